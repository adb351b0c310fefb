import { INestApplication } from '@nestjs/common';
import { getQueueToken } from '@nestjs/bullmq';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Queue } from 'bullmq';
import { RequestHandler } from 'express';
import { QueueName } from '../../jobs/job.types';

/** Where Bull Board is mounted (admins only). */
export const QUEUE_BOARD_PATH = '/admin/queues';

/**
 * Mounts Bull Board over the service's BullMQ queues, behind `guard` (it is plain express, outside
 * Nest's guards). Only with Redis: in-process jobs have no queue to show, and the console's queue page
 * shows their counts instead.
 */
export function mountQueueBoard(app: INestApplication, guard: RequestHandler): void {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(QUEUE_BOARD_PATH);
  const queues = Object.values(QueueName).map((name) => new BullMQAdapter(app.get<Queue>(getQueueToken(name))));
  createBullBoard({ queues, serverAdapter, options: { uiConfig: { boardTitle: 'FundGuard queues' } } });
  app.use(QUEUE_BOARD_PATH, guard, serverAdapter.getRouter());
}
