import { Logger, OnApplicationBootstrap, Type } from '@nestjs/common';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Job, UnrecoverableError } from 'bullmq';
import { AppConfig } from '../src/config/config';
import { JobHandlerRegistry } from './job-handler.registry';
import { PermanentJobError } from './job-queue';
import { JobName, QueueName } from './job.types';

/**
 * The worker of one queue: dispatches by job name to the registered handler, and starts only after
 * every handler is registered. Built per configuration because BullMQ reads the lock timings when
 * the worker is constructed (changing them afterwards leaves renewals at the default).
 */
export function queueProcessor(config: AppConfig, queue: QueueName): Type<WorkerHost> {
  @Processor(queue, {
    autorun: false,
    concurrency: config.queue.concurrency,
    lockDuration: config.queue.lockMs,
    stalledInterval: config.queue.lockMs,
  })
  class QueueProcessor extends WorkerHost implements OnApplicationBootstrap {
    private readonly logger = new Logger(`Worker:${queue}`);

    constructor(private readonly registry: JobHandlerRegistry) {
      super();
    }

    onApplicationBootstrap() {
      this.registry.assertComplete();
      this.worker.on('error', (err) => this.logger.error(`worker error: ${err.message}`));
      this.worker.on('failed', (job, err) => this.logger.warn(`job ${job?.name} ${job?.id} attempt ${job?.attemptsMade} failed: ${err.message}`));
      void this.worker.run();
      this.logger.log(`processing queue "${queue}" (concurrency ${config.queue.concurrency})`);
    }

    async process(job: Job): Promise<unknown> {
      try {
        return await this.registry.get(job.name as JobName)(
          { id: job.id!, name: job.name as JobName, data: job.data, attempt: job.attemptsMade + 1 },
          { progress: (p) => job.updateProgress(p) },
        );
      } catch (err) {
        if (err instanceof PermanentJobError) throw new UnrecoverableError(err.message);
        throw err;
      }
    }
  }
  Object.defineProperty(QueueProcessor, 'name', { value: `${queue[0]!.toUpperCase()}${queue.slice(1)}QueueProcessor` });
  return QueueProcessor;
}
