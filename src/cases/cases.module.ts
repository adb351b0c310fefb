import { Module } from '@nestjs/common';
import { CasesJobs } from '../../jobs/cases.jobs';
import { CaseEvents } from './case-events';
import { CasesPagesController } from './cases-pages.controller';
import { CasesController, RecoveriesController } from './cases.controller';
import { CasesService } from './cases.service';

/** Cases: opening from findings and risk scores, review, decisions, appeals, recoveries; their API and pages. */
@Module({
  controllers: [CasesController, RecoveriesController, CasesPagesController],
  providers: [CasesService, CasesJobs, CaseEvents],
  exports: [CasesService, CaseEvents],
})
export class CasesModule {}
