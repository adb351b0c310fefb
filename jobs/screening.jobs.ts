import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../src/config/config';
import { APP_CONFIG } from '../src/config/config.module';
import { ScreeningService } from '../src/screening/screening.service';
import { JobHandlerRegistry } from './job-handler.registry';
import { JobQueue, PermanentJobError } from './job-queue';
import { JobName, JobOf } from './job.types';

/** Screening jobs: thin, they call the screening service; a run is marked failed when a job finally gives up. */
@Injectable()
export class ScreeningJobs implements OnModuleInit {
  constructor(
    private readonly registry: JobHandlerRegistry,
    private readonly screening: ScreeningService,
    private readonly jobs: JobQueue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private guarded<N extends 'screen.plan' | 'screen.batch' | 'screen.finish'>(fn: (job: JobOf<N>) => Promise<unknown>) {
    return async (job: JobOf<N>) => {
      try {
        return await fn(job);
      } catch (err) {
        if (err instanceof PermanentJobError || job.attempt >= this.config.queue.attempts) {
          await this.screening.markFailed(job.data.runId, `${job.name as JobName}: ${(err as Error).message}`).catch(() => undefined);
        }
        throw err;
      }
    };
  }

  onModuleInit() {
    this.registry.register('screen.plan', this.guarded<'screen.plan'>((job) => this.screening.plan(job.data.runId)));
    this.registry.register('screen.batch', this.guarded<'screen.batch'>((job) => this.screening.batch(job.data.runId, job.data.fromPk, job.data.toPk)));
    this.registry.register(
      'screen.finish',
      this.guarded<'screen.finish'>(async (job) => {
        const counts = await this.screening.finish(job.data.runId);
        // New findings become cases (one job per run: a retried finish does not queue it twice).
        await this.jobs.enqueue('cases.open', { after: `screen.finish ${job.data.runId}` }, `cases-open-screen-${job.data.runId}`);
        return counts;
      }),
    );
  }
}
