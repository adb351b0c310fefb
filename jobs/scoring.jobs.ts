import { Injectable, OnModuleInit } from '@nestjs/common';
import { ScoringService } from '../src/scoring/scoring.service';
import { JobHandlerRegistry } from './job-handler.registry';
import { JobQueue } from './job-queue';

/** Scoring jobs: thin, they call the scoring service. */
@Injectable()
export class ScoringJobs implements OnModuleInit {
  constructor(
    private readonly registry: JobHandlerRegistry,
    private readonly scoring: ScoringService,
    private readonly jobs: JobQueue,
  ) {}

  onModuleInit() {
    this.registry.register('score.periods', async (job) => {
      const scored = await this.scoring.score(job.data.periods);
      // High risk scores become cases (one job per scoring job).
      await this.jobs.enqueue('cases.open', { after: `score.periods ${job.id}` }, `cases-open-${job.id}`);
      return scored;
    });
  }
}
