import { Module } from '@nestjs/common';
import { ScreeningJobs } from '../../jobs/screening.jobs';
import { BacktestService } from './backtest.service';
import { FindingsService } from './findings.service';
import { FindingsController, RulesController, ScreeningRunsController } from './screening.controller';
import { ScreeningService } from './screening.service';

@Module({
  controllers: [FindingsController, RulesController, ScreeningRunsController],
  providers: [ScreeningService, FindingsService, BacktestService, ScreeningJobs],
  exports: [ScreeningService, FindingsService, BacktestService],
})
export class ScreeningModule {}
