import { Module } from '@nestjs/common';
import { CasesModule } from '../cases/cases.module';
import { ScreeningModule } from '../screening/screening.module';
import { PhysicianRecordPagesController } from './physician-record-pages.controller';
import { PhysicianRecordController } from './physician-record.controller';
import { PhysicianRecordService } from './physician-record.service';

/** The physicians' points record (驾照式记分): entries from final decisions, sanctions, their API and pages. The policy is PhysicianPolicyModule (global). */
@Module({
  imports: [CasesModule, ScreeningModule],
  controllers: [PhysicianRecordController, PhysicianRecordPagesController],
  providers: [PhysicianRecordService],
  exports: [PhysicianRecordService],
})
export class PhysicianRecordModule {}
