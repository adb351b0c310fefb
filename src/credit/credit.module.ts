import { DynamicModule, Module } from '@nestjs/common';
import { CREDIT_PROCESS_ROLE, CreditJobs, CreditProcessRole } from '../../jobs/credit.jobs';
import { CasesModule } from '../cases/cases.module';
import { CreditPagesController } from './credit-pages.controller';
import { CreditPolicyService } from './credit-policy.service';
import { CreditController } from './credit.controller';
import { CreditService } from './credit.service';

/** Credit management (信用管理): the policy, the ledger and its causes, appeals and repair, the jobs, the API and pages. */
@Module({})
export class CreditModule {
  static forRoot(role: CreditProcessRole): DynamicModule {
    return {
      module: CreditModule,
      imports: [CasesModule],
      controllers: [CreditController, CreditPagesController],
      providers: [CreditPolicyService, CreditService, CreditJobs, { provide: CREDIT_PROCESS_ROLE, useValue: role }],
      exports: [CreditService, CreditPolicyService],
    };
  }
}
