import { Injectable, OnModuleInit } from '@nestjs/common';
import { ScoringService } from '../src/scoring/scoring.service';
import { JobHandlerRegistry } from './job-handler.registry';

/** Scoring jobs: thin, they call the scoring service. */
@Injectable()
export class ScoringJobs implements OnModuleInit {
  constructor(
    private readonly registry: JobHandlerRegistry,
    private readonly scoring: ScoringService,
  ) {}

  onModuleInit() {
    this.registry.register('score.periods', (job) => this.scoring.score(job.data.periods));
  }
}
