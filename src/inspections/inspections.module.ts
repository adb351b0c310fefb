import { Module } from '@nestjs/common';
import { CasesModule } from '../cases/cases.module';
import { InspectionsController } from './inspections.controller';
import { InspectionsPagesController } from './inspections-pages.controller';
import { InspectionsService } from './inspections.service';

/**
 * 双随机、一公开: plans, committed and revealed draws, verification, assignments and results; API,
 * console and public pages. CreditService comes from the application's one CreditModule (see
 * InspectionsService.onModuleInit): importing CreditModule.forRoot again would build a second one.
 */
@Module({
  imports: [CasesModule],
  controllers: [InspectionsController, InspectionsPagesController],
  providers: [InspectionsService],
  exports: [InspectionsService],
})
export class InspectionsModule {}
