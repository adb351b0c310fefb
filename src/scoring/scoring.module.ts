import { Module } from '@nestjs/common';
import { ScoringJobs } from '../../jobs/scoring.jobs';
import { ScoringController } from './scoring.controller';
import { ScoringService } from './scoring.service';

@Module({
  controllers: [ScoringController],
  providers: [ScoringService, ScoringJobs],
  exports: [ScoringService],
})
export class ScoringModule {}
