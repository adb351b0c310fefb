import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { JobQueue } from '../../jobs/job-queue';
import { CurrentActor, Roles, ROLES, type Actor } from '../accounts/roles';
import { CASE_STATUSES } from '../cases/case-workflow';
import { CasesService } from '../cases/cases.service';
import { InspectionsService } from '../inspections/inspections.service';
import { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { FindingsService } from '../screening/findings.service';
import { ScoringService } from '../scoring/scoring.service';
import { toFen } from './format';
import { navFor } from './nav';
import { ViewRenderer } from './view-renderer.service';

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;

/** Queue counts as table rows, in a fixed column order. */
export async function queueRows(queue: JobQueue): Promise<{ name: string; counts: number[]; failed: number }[]> {
  const counts = await queue.counts();
  return Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, c]) => ({ name, counts: QUEUE_STATES.map((s) => c[s] ?? 0), failed: c.failed ?? 0 }));
}

/** The dashboard (open cases, findings by category, riskiest institutions, queues) and the queue page. */
@ApiExcludeController()
@Controller('console')
export class DashboardController {
  constructor(
    private readonly views: ViewRenderer,
    private readonly findings: FindingsService,
    private readonly scoring: ScoringService,
    private readonly queue: JobQueue,
    private readonly cases: CasesService,
    private readonly inspections: InspectionsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @Roles(...ROLES)
  async dashboard(@CurrentActor() actor: Actor, @Res() res: Response) {
    // The institution role's home is its own profile; the inspector has no fund-wide figures.
    if (actor.role === 'institution' && actor.institutionCode) return res.redirect(303, `/console/institutions/${encodeURIComponent(actor.institutionCode)}`);
    if (actor.role !== 'admin' && actor.role !== 'supervisor' && actor.role !== 'auditor') {
      return this.views.render(res, 'console/home-limited', { links: navFor(actor, '/console') }, { title: 'dashboard.limitedTitle' });
    }
    const [cases, byCategory, riskiest, queues, late] = await Promise.all([
      this.cases.summary(),
      this.findings.countsByCategory(),
      this.scoring.list({ entityType: 'institution', page: 1, pageSize: 10 }),
      queueRows(this.queue),
      this.inspections.latePublications(),
    ]);
    let fen = 0n;
    let findings = 0;
    for (const c of byCategory) {
      fen += toFen(c.amount) ?? 0n;
      findings += c.findings;
    }
    const sortedCategories = [...byCategory].sort((a, b) => Number((toFen(b.amount) ?? 0n) - (toFen(a.amount) ?? 0n)) || a.category.localeCompare(b.category));
    this.views.render(
      res,
      'console/dashboard',
      {
        cases: { ...cases, byStatus: CASE_STATUSES.map((status) => ({ status, cases: cases.byStatus[status] })) },
        findings: { total: findings, amountFen: fen.toString(), byCategory: sortedCategories },
        riskiest: { period: riskiest.period, items: riskiest.items },
        queues,
        queueStates: QUEUE_STATES,
        latePublications: { count: late.length, oldestDue: late[0]?.publishDueOn ?? null },
        isAdmin: actor.role === 'admin',
      },
      { title: 'dashboard.title' },
    );
  }

  @Get('queues')
  @Roles('admin')
  async queues(@Res() res: Response) {
    this.views.render(
      res,
      'console/queues',
      { queues: await queueRows(this.queue), queueStates: QUEUE_STATES, inProcess: this.config.queue.inProcess },
      { title: 'queues.title' },
    );
  }
}
