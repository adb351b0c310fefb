import { Global, Inject, Injectable, Logger, Module } from '@nestjs/common';
import { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { RuleLibrary, defaultRulesRoot, loadRuleLibrary } from './rule-library';

/** The rule library, loaded and compiled once at start: a bad rule file stops the process, naming file and line. */
@Injectable()
export class RuleLibraryService {
  readonly library: RuleLibrary;
  readonly root: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.root = config.screening.rulesDir ?? defaultRulesRoot();
    this.library = loadRuleLibrary(this.root);
    new Logger('Rules').log(`${this.library.rules.length} rules loaded from ${this.root} (library ${this.library.hash})`);
  }
}

@Global()
@Module({ providers: [RuleLibraryService], exports: [RuleLibraryService] })
export class RulesEngineModule {}
