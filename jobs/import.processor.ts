import { Inject, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Job, UnrecoverableError } from 'bullmq';
import { APP_CONFIG } from '../src/config/config.module';
import { AppConfig } from '../src/config/config';
import { JobHandlerRegistry } from './job-handler.registry';
import { PermanentJobError } from './job-queue';
import { JobName, QueueName } from './job.types';

/**
 * The worker of the import queue: dispatches by job name to the registered handler. It starts
 * only after every handler is registered, with the configured concurrency and lock duration.
 */
@Processor(QueueName.Import, { autorun: false })
export class ImportQueueProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger('ImportWorker');

  constructor(
    private readonly registry: JobHandlerRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
  }

  onApplicationBootstrap() {
    this.registry.assertComplete();
    Object.assign(this.worker.opts, { lockDuration: this.config.queue.lockMs, stalledInterval: this.config.queue.lockMs });
    this.worker.concurrency = this.config.queue.concurrency;
    this.worker.on('failed', (job, err) => this.logger.warn(`job ${job?.name} ${job?.id} attempt ${job?.attemptsMade} failed: ${err.message}`));
    void this.worker.run();
    this.logger.log(`processing queue "${QueueName.Import}" (concurrency ${this.config.queue.concurrency})`);
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
