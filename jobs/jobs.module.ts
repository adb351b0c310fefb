import { DynamicModule, Global, Logger, Module, OnApplicationBootstrap, Provider } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { AppConfig, redisOptions } from '../src/config/config';
import { queueProcessor } from './queue.processor';
import { JobHandlerRegistry } from './job-handler.registry';
import { BullJobQueue, InProcessJobQueue, JobQueue } from './job-queue';
import { QueueName } from './job.types';

/**
 * Queues. With REDIS_URL: BullMQ queues, and workers only where asked (worker process, CLI).
 * Without: an in-process queue running the same handlers.
 */
@Global()
@Module({})
export class JobsModule implements OnApplicationBootstrap {
  constructor(private readonly registry: JobHandlerRegistry) {}

  static forRoot(config: AppConfig, opts: { runWorkers: boolean }): DynamicModule {
    const logger = new Logger('Jobs');
    if (config.queue.inProcess) {
      logger.log('queue mode: in-process (REDIS_URL unset) — jobs run inside this process');
      return {
        module: JobsModule,
        providers: [JobHandlerRegistry, { provide: JobQueue, useClass: InProcessJobQueue }],
        exports: [JobHandlerRegistry, JobQueue],
      };
    }
    logger.log(`queue mode: Redis (BullMQ)${opts.runWorkers ? ', with workers in this process' : ', enqueue only'}`);
    const providers: Provider[] = [JobHandlerRegistry, { provide: JobQueue, useClass: BullJobQueue }];
    if (opts.runWorkers) for (const q of Object.values(QueueName)) providers.push(queueProcessor(config, q));
    return {
      module: JobsModule,
      imports: [
        BullModule.forRoot({ connection: redisOptions(config.queue.redisUrl!), prefix: config.queue.prefix }),
        BullModule.registerQueue(...Object.values(QueueName).map((name) => ({ name }))),
      ],
      providers,
      exports: [JobHandlerRegistry, JobQueue, BullModule],
    };
  }

  onApplicationBootstrap() {
    this.registry.assertComplete();
  }
}
