import { INestApplication } from '@nestjs/common';
import { getQueueToken } from '@nestjs/bullmq';
import { Queue } from 'bullmq';
import { QueueName } from '../../jobs/job.types';
import { ImportsService } from '../../src/imports/imports.service';
import { ScreeningService } from '../../src/screening/screening.service';
import { waitFor } from './test-env';

/** Imports claims, waits for their screening, its scoring and the case openings both queue after. */
export async function importAndOpenCases(app: INestApplication, dir: string): Promise<void> {
  const imports = app.get(ImportsService);
  const screening = app.get(ScreeningService);
  const { run, job } = await imports.startImport('claims', dir);
  await job.finished();
  const sr = await waitFor(async () => (await screening.listRuns(100)).find((r) => r.importId === run.id), 'the screening run', 120_000);
  const done = await screening.waitForRun(sr.id, 50);
  if (done.status !== 'completed') throw new Error(`screening run ${done.id} ended ${done.status}`);
  // The chain itself queues the openings: after the finishing job, and after the scoring job.
  const queue = app.get<Queue>(getQueueToken(QueueName.Screening));
  for (const id of [`cases-open-screen-${done.id}`, `cases-open-score-${done.id}`]) {
    await waitFor(async () => (await (await queue.getJob(id))?.getState()) === 'completed', `job ${id}`, 120_000, 100);
  }
}

