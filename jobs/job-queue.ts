import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { Queue, QueueEvents } from 'bullmq';
import { APP_CONFIG } from '../src/config/config.module';
import { AppConfig } from '../src/config/config';
import { JobHandlerRegistry } from './job-handler.registry';
import { JOB_QUEUE, JobName, JobPayloads, QueueName } from './job.types';

/** A failure that retrying cannot fix (a file missing, a bad mapping): the job fails at once. */
export class PermanentJobError extends Error {}

export interface JobHandle {
  id: string;
  /** Resolves with the handler's result when the job completes; rejects when it finally fails. */
  finished(): Promise<unknown>;
}

/** Enqueues typed jobs with idempotent ids; Redis (BullMQ) or in-process, same handlers. */
export abstract class JobQueue {
  abstract enqueue<N extends JobName>(name: N, data: JobPayloads[N], jobId: string): Promise<JobHandle>;
  abstract counts(): Promise<Record<string, Record<string, number>>>;
}

/** BullMQ: retries with exponential backoff; the job id makes a duplicate enqueue a no-op. */
@Injectable()
export class BullJobQueue extends JobQueue implements OnModuleDestroy {
  /** One event stream per queue, opened when someone first waits on a job of that queue. */
  private readonly events = new Map<string, Promise<QueueEvents>>();

  constructor(
    @InjectQueue(QueueName.Import) private readonly importQueue: Queue,
    @InjectQueue(QueueName.Screening) private readonly screeningQueue: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
  }

  private queue(name: JobName): Queue {
    switch (JOB_QUEUE[name]) {
      case QueueName.Import:
        return this.importQueue;
      case QueueName.Screening:
        return this.screeningQueue;
    }
  }

  async enqueue<N extends JobName>(name: N, data: JobPayloads[N], jobId: string): Promise<JobHandle> {
    const queue = this.queue(name);
    const job = await queue.add(name, data, {
      jobId,
      attempts: this.config.queue.attempts,
      backoff: { type: 'exponential', delay: this.config.queue.backoffMs },
      removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
      removeOnFail: { age: 30 * 24 * 3600 },
    });
    return {
      id: job.id!,
      finished: async () => {
        let events = this.events.get(queue.name);
        if (!events) {
          const e = new QueueEvents(queue.name, { connection: queue.opts.connection, prefix: queue.opts.prefix });
          events = e.waitUntilReady().then(() => e);
          this.events.set(queue.name, events);
        }
        return job.waitUntilFinished(await events);
      },
    };
  }

  async counts() {
    const states = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;
    return {
      [QueueName.Import]: await this.importQueue.getJobCounts(...states),
      [QueueName.Screening]: await this.screeningQueue.getJobCounts(...states),
    };
  }

  async onModuleDestroy() {
    await Promise.all([...this.events.values()].map(async (e) => (await e).close()));
  }
}

/**
 * No Redis: jobs run in this process through the same handlers, with the same retry policy
 * (like Laravel's sync driver, but still asynchronous to the caller).
 */
@Injectable()
export class InProcessJobQueue extends JobQueue {
  private readonly logger = new Logger('Jobs');
  /** Jobs not yet settled, by id (a duplicate enqueue joins the running one). */
  private readonly jobs = new Map<string, { queue: QueueName; state: string; promise: Promise<unknown> }>();
  /** Settled jobs are counted per queue, not kept: an API process runs for months. */
  private readonly settled = new Map<QueueName, { completed: number; failed: number }>(Object.values(QueueName).map((q) => [q, { completed: 0, failed: 0 }]));

  constructor(
    private readonly registry: JobHandlerRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
  }

  async enqueue<N extends JobName>(name: N, data: JobPayloads[N], jobId: string): Promise<JobHandle> {
    let entry = this.jobs.get(jobId);
    if (!entry) {
      const e = { queue: JOB_QUEUE[name], state: 'waiting', promise: Promise.resolve() as Promise<unknown> };
      e.promise = this.run(name, data, jobId, e);
      e.promise.then(
        () => this.settle(jobId, e.queue, 'completed'),
        () => this.settle(jobId, e.queue, 'failed'),
      );
      this.jobs.set(jobId, e);
      entry = e;
    }
    const promise = entry.promise;
    return { id: jobId, finished: () => promise };
  }

  private async run<N extends JobName>(name: N, data: JobPayloads[N], id: string, entry: { state: string }): Promise<unknown> {
    await new Promise((r) => setImmediate(r));
    const { attempts, backoffMs } = this.config.queue;
    for (let attempt = 1; ; attempt++) {
      entry.state = 'active';
      try {
        return await this.registry.get(name)({ id, name, data, attempt }, { progress: () => undefined });
      } catch (err) {
        if (err instanceof PermanentJobError || attempt >= attempts) {
          this.logger.error(`job ${name} ${id} failed after ${attempt} attempt(s): ${(err as Error).message}`);
          throw err;
        }
        const delay = backoffMs * 2 ** (attempt - 1);
        this.logger.warn(`job ${name} ${id} attempt ${attempt} failed (${(err as Error).message}); retrying in ${delay} ms`);
        entry.state = 'delayed';
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private settle(jobId: string, queue: QueueName, outcome: 'completed' | 'failed') {
    this.jobs.delete(jobId);
    this.settled.get(queue)![outcome]++;
  }

  async counts() {
    const out: Record<string, Record<string, number>> = {};
    for (const [q, settled] of this.settled) out[q] = { waiting: 0, active: 0, delayed: 0, ...settled };
    for (const j of this.jobs.values()) out[j.queue]![j.state] = (out[j.queue]![j.state] ?? 0) + 1;
    return out;
  }
}
