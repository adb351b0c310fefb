import { DynamicModule, Module } from '@nestjs/common';
import { AccountsModule } from './accounts/accounts.module';
import { AuditModule } from './audit/audit.module';
import { CasesModule } from './cases/cases.module';
import { CreditModule } from './credit/credit.module';
import { AppConfig } from './config/config';
import { ConfigModule } from './config/config.module';
import { ConsoleModule } from './console/console.module';
import { DatabaseModule } from './database/database.module';
import { HealthController } from './health/health.controller';
import { ImportsModule } from './imports/imports.module';
import { InspectionsModule } from './inspections/inspections.module';
import { DisclosureModule } from './disclosure/disclosure.module';
import { JobsModule } from '../jobs/jobs.module';
import { PhysicianPolicyModule } from './physician-record/physician-policy.module';
import { PhysicianRecordModule } from './physician-record/physician-record.module';
import { RulesEngineModule } from './rules-engine/rules-engine.module';
import { ScreeningModule } from './screening/screening.module';
import { ScoringModule } from './scoring/scoring.module';
import { TipsModule } from './tips/tips.module';

/** api: HTTP only; worker: queue workers only; cli: workers, no HTTP; all: both (demo). */
export type ProcessRole = 'api' | 'worker' | 'cli' | 'all';

/**
 * The one application module, assembled per process role: the API enqueues, the worker and the
 * CLI also run queue workers (the CLI runs its own jobs to completion).
 */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, role: ProcessRole, opts: { migrate?: boolean } = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot(config, opts),
        JobsModule.forRoot(config, { runWorkers: role !== 'api' }),
        AuditModule,
        AccountsModule,
        ConsoleModule,
        RulesEngineModule,
        ScreeningModule,
        ScoringModule,
        ImportsModule,
        CasesModule,
        PhysicianPolicyModule,
        PhysicianRecordModule,
        CreditModule.forRoot(role),
        InspectionsModule,
        TipsModule,
        DisclosureModule,
      ],
      controllers: role === 'api' || role === 'all' ? [HealthController] : [],
    };
  }
}
