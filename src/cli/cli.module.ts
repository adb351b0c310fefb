import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '../config/config';
import { ConfigModule } from '../config/config.module';
import { AuditCommand, AuditVerifyCommand } from './audit.command';
import { CasesCommand, CasesListCommand, CasesOpenCommand } from './cases.command';
import { CREDIT_COMMANDS } from './credit.command';
import { INSPECTIONS_COMMANDS } from './inspections.command';
import { DbCommand, DbMigrateCommand } from './db.command';
import { USERS_COMMANDS } from './users.command';
import { DemoCommand, DemoGenerateCommand, DemoRunCommand } from './demo.command';
import { ExportCommand, ExportRejectionsCommand } from './export.command';
import { ModelCommand, ModelEvaluateCommand } from './model.command';
import { ExportRiskCommand, ScoreCommand } from './scoring.command';
import { ExportFindingsCommand, RulesBacktestCommand, RulesCommand, RulesListCommand, RulesTestCommand, ScreenCommand } from './screening.command';
import { PublishCommand } from './publish.command';
import { ImportClaimsCommand, ImportCommand, ImportReferenceCommand, ImportStatusCommand } from './import.command';

/** The CLI's own module holds only the commands; each command starts the application it needs. */
@Module({})
export class CliModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: CliModule,
      imports: [ConfigModule.forRoot(config)],
      providers: [
        DbCommand, DbMigrateCommand,
        ImportCommand, ImportClaimsCommand, ImportReferenceCommand, ImportStatusCommand,
        ExportCommand, ExportRejectionsCommand, ExportFindingsCommand,
        ScoreCommand, ExportRiskCommand,
        ScreenCommand, RulesCommand, RulesListCommand, RulesTestCommand, RulesBacktestCommand,
        DemoCommand, DemoGenerateCommand, DemoRunCommand,
        ModelCommand, ModelEvaluateCommand,
        ...USERS_COMMANDS,
        AuditCommand, AuditVerifyCommand,
        CasesCommand, CasesOpenCommand, CasesListCommand,
        ...CREDIT_COMMANDS,
        ...INSPECTIONS_COMMANDS,
        PublishCommand,
      ],
    };
  }
}
