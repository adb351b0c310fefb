import { BeforeApplicationShutdown, Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { systemActor } from '../src/accounts/roles';
import { CasesService } from '../src/cases/cases.service';
import { AppConfig } from '../src/config/config';
import { APP_CONFIG } from '../src/config/config.module';
import { JobHandlerRegistry } from './job-handler.registry';

/** Case jobs: thin, they call the cases service (which serialises openings itself). */
@Injectable()
export class CasesJobs implements OnModuleInit, BeforeApplicationShutdown {
  private readonly running = new Set<Promise<unknown>>();
  private stopping = false;

  constructor(
    private readonly registry: JobHandlerRegistry,
    private readonly cases: CasesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit() {
    this.registry.register('cases.open', () => {
      // A stopping process must not start an opening on a closing database. On Redis the job fails and
      // is retried (by another worker, or this one after a restart): a BullMQ worker still fetches jobs
      // between this hook and its own close, and a "skipped" success would lose them. In-process (a CLI
      // command ending) nothing outlives the process anyway, and every opening catches up on everything.
      if (this.stopping) {
        if (!this.config.queue.inProcess) return Promise.reject(new Error('the process is stopping: the opening is retried'));
        return Promise.resolve({ skipped: 'the process is stopping; the next opening catches up' });
      }
      const run = this.cases.open(systemActor('cases.open job'));
      this.running.add(run);
      void run.finally(() => this.running.delete(run)).catch(() => undefined);
      return run;
    });
  }

  /** Lets an opening in progress finish (its transaction) before the database connections close. */
  async beforeApplicationShutdown() {
    this.stopping = true;
    await Promise.allSettled([...this.running]);
  }
}
