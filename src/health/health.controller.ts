import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../accounts/roles';
import { InjectDataSource } from '@nestjs/typeorm';
import { Response } from 'express';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { JobQueue } from '../../jobs/job-queue';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly jobs: JobQueue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @Public()
  @ApiOperation({ summary: 'Database and queue health (503 when either is down)' })
  async health(@Res() res: Response) {
    const database = await timed(() => this.ds.query('SELECT 1'));
    const queue = await timed(() => this.jobs.counts());
    const ok = database.ok && queue.ok;
    res.status(ok ? 200 : 503).json({
      status: ok ? 'ok' : 'error',
      database: { ...database, mode: this.config.database.embedded ? 'embedded' : 'server' },
      queue: { ...queue, mode: this.config.queue.inProcess ? 'in-process' : 'redis' },
    });
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ok: boolean; ms: number; detail?: T; error?: string }> {
  const t0 = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error('timed out after 3 s')), 3000)));
    const detail = await Promise.race([fn(), timeout]);
    return { ok: true, ms: Date.now() - t0, detail: typeof detail === 'object' && !Array.isArray(detail) ? detail : undefined };
  } catch (err) {
    return { ok: false, ms: Date.now() - t0, error: (err as Error).message };
  } finally {
    // A probe that answered must not leave its 3-second timer behind on every request.
    clearTimeout(timer);
  }
}
