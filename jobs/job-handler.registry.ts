import { Injectable } from '@nestjs/common';
import { JOB_NAMES, JobHandler, JobName } from './job.types';

export class MissingJobHandlerError extends Error {}

/** Job name → handler. Modules register at init; the app refuses to start if a job has none. */
@Injectable()
export class JobHandlerRegistry {
  private readonly handlers = new Map<JobName, JobHandler<JobName>>();

  register<N extends JobName>(name: N, handler: JobHandler<N>): void {
    if (this.handlers.has(name)) throw new Error(`job ${name} has two handlers`);
    this.handlers.set(name, handler as unknown as JobHandler<JobName>);
  }

  get<N extends JobName>(name: N): JobHandler<N> {
    const h = this.handlers.get(name);
    if (!h) throw new MissingJobHandlerError(`no handler for job ${name}`);
    return h as unknown as JobHandler<N>;
  }

  /** Throws naming every job without a handler. */
  assertComplete(): void {
    const missing = JOB_NAMES.filter((n) => !this.handlers.has(n));
    if (missing.length > 0) throw new MissingJobHandlerError(`no handler registered for job(s): ${missing.join(', ')}`);
  }
}
