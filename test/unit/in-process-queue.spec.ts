import { Logger } from '@nestjs/common';
import { loadConfig } from '../../src/config/config';
import { JobHandlerRegistry, MissingJobHandlerError } from '../../jobs/job-handler.registry';
import { InProcessJobQueue, PermanentJobError } from '../../jobs/job-queue';

/** Without Redis, jobs run in-process through the same handlers, with the same retry policy. */
describe('InProcessJobQueue', () => {
  const config = loadConfig({ JOB_ATTEMPTS: '3', JOB_BACKOFF_MS: '1' });
  let registry: JobHandlerRegistry;
  let queue: InProcessJobQueue;
  let calls: number[];

  beforeAll(() => {
    // The queue logs each failed attempt; the assertions below say what matters.
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  beforeEach(() => {
    registry = new JobHandlerRegistry();
    queue = new InProcessJobQueue(registry, config);
    calls = [];
  });

  it('retries a failing handler with backoff until it succeeds', async () => {
    registry.register('import.claims', async (job) => {
      calls.push(job.attempt);
      if (job.attempt < 3) throw new Error('database restarting');
      return 'done';
    });
    await expect((await queue.enqueue('import.claims', { importId: 'a' }, 'import-a')).finished()).resolves.toBe('done');
    expect(calls).toEqual([1, 2, 3]);
    expect((await queue.counts()).import).toMatchObject({ completed: 1, failed: 0, active: 0 });
  });

  it('counts jobs under the queue their name belongs to', async () => {
    registry.register('screen.plan', async () => 'planned');
    await (await queue.enqueue('screen.plan', { runId: 'r' }, 'plan-r')).finished();
    const counts = await queue.counts();
    expect(counts.screening).toMatchObject({ completed: 1, failed: 0 });
    expect(counts.import).toMatchObject({ completed: 0, failed: 0 });
  });

  it('gives up after the configured attempts, and at once on a permanent error', async () => {
    registry.register('import.claims', async (job) => {
      calls.push(job.attempt);
      throw new Error('always');
    });
    registry.register('import.reference', async () => {
      throw new PermanentJobError('the file is missing');
    });
    await expect((await queue.enqueue('import.claims', { importId: 'b' }, 'import-b')).finished()).rejects.toThrow('always');
    expect(calls).toEqual([1, 2, 3]);
    await expect((await queue.enqueue('import.reference', { importId: 'c' }, 'import-c')).finished()).rejects.toThrow('the file is missing');
    expect((await queue.counts()).import).toMatchObject({ failed: 2 });
  });

  it('runs a job once when it is enqueued twice with the same id while running', async () => {
    let release!: () => void;
    registry.register('import.claims', async () => {
      calls.push(1);
      await new Promise<void>((r) => (release = r));
    });
    const a = await queue.enqueue('import.claims', { importId: 'd' }, 'import-d');
    const b = await queue.enqueue('import.claims', { importId: 'd' }, 'import-d');
    await new Promise((r) => setTimeout(r, 5));
    release();
    await Promise.all([a.finished(), b.finished()]);
    expect(calls).toEqual([1]);
  });

  it('refuses to start when a job name has no handler', () => {
    registry.register('import.claims', async () => undefined);
    expect(() => registry.assertComplete()).toThrow(MissingJobHandlerError);
    expect(() => registry.assertComplete()).toThrow(/import\.reference/);
  });
});
