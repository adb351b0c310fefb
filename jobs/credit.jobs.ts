import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { systemActor } from '../src/accounts/roles';
import { AppConfig } from '../src/config/config';
import { APP_CONFIG } from '../src/config/config.module';
import { CreditPolicyService } from '../src/credit/credit-policy.service';
import { CreditService } from '../src/credit/credit.service';
import { JobHandlerRegistry } from './job-handler.registry';
import { QueueName } from './job.types';

/** Which kind of process runs the credit module: servers schedule the daily jobs, the CLI does not. */
export const CREDIT_PROCESS_ROLE = Symbol('CREDIT_PROCESS_ROLE');
export type CreditProcessRole = 'api' | 'worker' | 'cli' | 'all';

/** Daily overdue-recovery scan at 01:30 and the rollover at 00:05 on 1 January, in the policy's zone. */
export const CREDIT_SCHEDULES = {
  overdueScan: { id: 'credit-overdue-scan', pattern: '30 1 * * *' },
  rollover: { id: 'credit-rollover', pattern: '5 0 1 1 *' },
} as const;

/**
 * Credit jobs: thin, they call the credit service. With Redis and separate API / worker processes,
 * BullMQ job schedulers (cron in the policy's zone) enqueue them; otherwise (no Redis, or the demo's
 * all-in-one process) the server runs them at start when due and then every day. The CLI runs them
 * on demand.
 */
@Injectable()
export class CreditJobs implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('CreditJobs');
  private readonly running = new Set<Promise<unknown>>();
  private timer?: NodeJS.Timeout;
  private stopping = false;

  constructor(
    private readonly registry: JobHandlerRegistry,
    private readonly credit: CreditService,
    private readonly policies: CreditPolicyService,
    private readonly moduleRef: ModuleRef,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CREDIT_PROCESS_ROLE) private readonly role: CreditProcessRole,
  ) {}

  onModuleInit() {
    this.registry.register('credit.overdue-scan', () => this.track(this.credit.scanOverdueRecoveries(systemActor('credit.overdue-scan job'))));
    this.registry.register('credit.rollover', async (job) => {
      const actor = systemActor('credit.rollover job');
      if (job.data.year !== undefined) return this.track(this.credit.rollover(job.data.year, actor));
      return { closed: await this.track(this.credit.closeDueCycles(actor)) };
    });
  }

  async onApplicationBootstrap() {
    if (this.role === 'cli') return;
    // Separate API and worker processes share the schedule in Redis. A process that is both (the
    // demo) or has no Redis runs the jobs itself: a scheduler would leave a delayed job in the queue
    // for ever, and queue-quiet checks (tests, the demo's own waits) would never see it empty.
    if (!this.config.queue.inProcess && this.role !== 'all') {
      await this.schedule();
      return;
    }
    if (this.role === 'worker') return;
    // Catch up now (a rollover missed while the process was down, today's scan), then daily.
    void this.runDue();
  }

  /** Upserts the BullMQ job schedulers (idempotent: every server process may do it, the schedule exists once). */
  async schedule(): Promise<void> {
    const queue = this.moduleRef.get<Queue>(getQueueToken(QueueName.Screening), { strict: false });
    const tz = this.policies.policy.cycle.timeZone;
    const opts = { attempts: this.config.queue.attempts, backoff: { type: 'exponential', delay: this.config.queue.backoffMs } };
    await queue.upsertJobScheduler(CREDIT_SCHEDULES.overdueScan.id, { pattern: CREDIT_SCHEDULES.overdueScan.pattern, tz }, { name: 'credit.overdue-scan', data: { trigger: 'schedule' }, opts });
    await queue.upsertJobScheduler(CREDIT_SCHEDULES.rollover.id, { pattern: CREDIT_SCHEDULES.rollover.pattern, tz }, { name: 'credit.rollover', data: {}, opts });
    this.logger.log(`credit jobs scheduled on the ${QueueName.Screening} queue (${tz}): overdue scan "${CREDIT_SCHEDULES.overdueScan.pattern}", rollover "${CREDIT_SCHEDULES.rollover.pattern}"`);
  }

  /** Without a shared schedule: the rollover of past cycles and the overdue scan, then again after the next local midnight. */
  private async runDue(): Promise<void> {
    if (this.stopping) return;
    try {
      const closed = await this.track(this.credit.closeDueCycles(systemActor('credit.rollover')));
      if (closed.length) this.logger.log(`credit cycles closed: ${closed.join(', ')}`);
      const scan = await this.track(this.credit.scanOverdueRecoveries(systemActor('credit.overdue-scan')));
      if (scan.deducted) this.logger.log(`overdue recoveries: ${scan.deducted} new deduction(s) of ${scan.overdue} overdue`);
    } catch (err) {
      this.logger.error(`credit catch-up failed: ${(err as Error).message}`);
    }
    if (this.stopping) return;
    this.timer = setTimeout(() => void this.runDue(), msUntilNextLocalTime(this.policies.policy.cycle.timeZone, 0, 10));
    this.timer.unref();
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.running.add(p);
    void p.finally(() => this.running.delete(p)).catch(() => undefined);
    return p;
  }

  /** Lets a scan or rollover in progress finish before the database connections close. */
  async beforeApplicationShutdown() {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.allSettled([...this.running]);
  }
}

/** Milliseconds until the next hh:mm local time in a zone (at least a minute, at most a day and a bit). */
export function msUntilNextLocalTime(timeZone: string, hour: number, minute: number, now: Date = new Date()): number {
  // Minute by minute over at most a day: runs once a day, and needs no arithmetic on zone offsets.
  const target = (d: Date) => {
    const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(d);
    return Number(parts.find((p) => p.type === 'hour')!.value) === hour && Number(parts.find((p) => p.type === 'minute')!.value) === minute;
  };
  const start = Math.ceil((now.getTime() + 60_000) / 60_000) * 60_000;
  for (let t = start; t < start + 26 * 3600_000; t += 60_000) if (target(new Date(t))) return t - now.getTime();
  // A zone without that local time today (a DST gap): try again in a day.
  return 24 * 3600_000;
}
