import { BeforeApplicationShutdown, Injectable, OnModuleInit } from '@nestjs/common';
import { systemActor } from '../src/accounts/roles';
import { CasesService } from '../src/cases/cases.service';
import { JobHandlerRegistry } from './job-handler.registry';

/** Case jobs: thin, they call the cases service (which serialises openings itself). */
@Injectable()
export class CasesJobs implements OnModuleInit, BeforeApplicationShutdown {
  private readonly running = new Set<Promise<unknown>>();
  private stopping = false;

  constructor(
    private readonly registry: JobHandlerRegistry,
    private readonly cases: CasesService,
  ) {}

  onModuleInit() {
    this.registry.register('cases.open', () => {
      // A CLI command ends soon after its screening and scoring: an opening it queued must not start
      // on a closing database. Skipping loses nothing: every opening catches up on everything.
      if (this.stopping) return Promise.resolve({ skipped: 'the process is stopping; the next opening catches up' });
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
