import { Module } from '@nestjs/common';
import { CasesJobs } from '../../jobs/cases.jobs';
import { CaseEvents } from './case-events';
import { CasePublicationController } from './case-publication.controller';
import { CasePublicationService } from './case-publication.service';
import { CasesPagesController } from './cases-pages.controller';
import { CasesController, RecoveriesController } from './cases.controller';
import { CasesService } from './cases.service';

/** Cases: opening from findings and risk scores, review, decisions, appeals, recoveries; their API and pages. */
@Module({
  controllers: [CasesController, RecoveriesController, CasesPagesController, CasePublicationController],
  providers: [CasesService, CasesJobs, CaseEvents, CasePublicationService],
  exports: [CasesService, CaseEvents, CasePublicationService],
})
export class CasesModule {}
