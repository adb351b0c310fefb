import { Global, Module } from '@nestjs/common';
import { CasesModule } from '../cases/cases.module';
import { InspectionsModule } from '../inspections/inspections.module';
import { ScoringModule } from '../scoring/scoring.module';
import { ScreeningModule } from '../screening/screening.module';
import { AuditPagesController } from './audit-pages.controller';
import { ConsoleStaticController } from './console-static.controller';
import { DashboardController } from './dashboard.controller';
import { InstitutionDirectoryService } from './institution-directory.service';
import { InstitutionsPagesController } from './institutions-pages.controller';
import { LoginController } from './login.controller';
import { RulesPagesController } from './rules-pages.controller';
import { ViewRenderer } from './view-renderer.service';

/** The server-rendered console: the view renderer (global, for every feature's pages) and its pages. */
@Global()
@Module({
  imports: [ScreeningModule, ScoringModule, CasesModule, InspectionsModule],
  controllers: [ConsoleStaticController, LoginController, DashboardController, RulesPagesController, InstitutionsPagesController, AuditPagesController],
  providers: [ViewRenderer, InstitutionDirectoryService],
  exports: [ViewRenderer],
})
export class ConsoleModule {}
