import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { mayRead } from '../accounts/institution-scope';
import { CASE_STATUSES } from '../cases/case-workflow';
import { CasesService } from '../cases/cases.service';
import { CurrentActor, Roles, type Actor } from '../accounts/roles';
import { DomainErrorCode, DomainException } from '../common/domain.exception';
import { parsePaging } from '../common/query';
import { featuresFor } from '../scoring/features';
import { ScoringService } from '../scoring/scoring.service';
import { pager } from './format';
import { InstitutionDirectoryService, InstitutionSort } from './institution-directory.service';
import { ViewRenderer } from './view-renderer.service';

const SORTS: readonly InstitutionSort[] = ['score', 'findings', 'code'];
/** Periods of score history shown on a profile. */
const HISTORY_PERIODS = 6;

interface ScoreView {
  period: string;
  score: number;
  rank: number;
  peerGroup: string;
  peerSize: number;
  drivers: { feature: string; zh: string; en: string }[];
  features: Record<string, number | null>;
  zScores: Record<string, number | null>;
  percentiles: Record<string, number | null>;
  peerMedians: Record<string, number | null>;
}

/** Designated institutions: the list with latest risk, and a profile against peers. */
@ApiExcludeController()
@Controller('console/institutions')
export class InstitutionsPagesController {
  constructor(
    private readonly views: ViewRenderer,
    private readonly directory: InstitutionDirectoryService,
    private readonly scoring: ScoringService,
    private readonly cases: CasesService,
  ) {}

  @Get()
  @Roles('admin', 'supervisor', 'auditor')
  async list(@Res() res: Response, @Query() query: Record<string, unknown>) {
    const { page, pageSize } = parsePaging(query, 200);
    const sort = (query.sort === undefined || query.sort === '' ? 'score' : query.sort) as InstitutionSort;
    if (!SORTS.includes(sort)) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid sort', [{ path: 'sort', reason: `must be one of ${SORTS.join(', ')}` }]);
    const q = query.q;
    if (q !== undefined && (typeof q !== 'string' || q.length > 100)) {
      throw new DomainException(DomainErrorCode.InvalidInput, 'invalid search', [{ path: 'q', reason: 'must be text of at most 100 characters' }]);
    }
    const r = await this.directory.list({ search: q?.trim() || undefined, sort, page, pageSize });
    this.views.render(res, 'console/institutions', { items: r.items, period: r.period, sort, q: q ?? '', pager: pager(r.total, page, pageSize) }, { title: 'institutions.title' });
  }

  @Get(':code')
  @Roles('admin', 'supervisor', 'auditor', 'institution')
  async profile(@Param('code') rawCode: string, @CurrentActor() actor: Actor, @Res() res: Response) {
    const code = rawCode.toUpperCase();
    // Checked before reading anything, so an institution login learns nothing about other codes.
    if (!mayRead(actor, code)) {
      throw new DomainException(DomainErrorCode.Forbidden, `an institution login may only read its own institution`, [{ path: 'code', reason: `must be ${actor.institutionCode}` }]);
    }
    const institution = await this.directory.get(code);
    const [byCategory, history, cases] = await Promise.all([this.directory.openFindingsByCategory(code), this.scoreHistory(code), this.cases.summary({ institutionCode: code })]);
    const latest = history[0] ?? null;
    const lang = this.views.langOf(res.req as never);
    // In the order scoring defines them (the list the explanations share), not the JSON's.
    const features = latest
      ? featuresFor('institution')
          .filter((def) => def.key in latest.features)
          .map((def) => ({
            key: def.key,
            label: lang === 'en' ? def.en : def.zh,
            unit: def.unit,
            scored: def.direction === 1 && def.weight > 0,
            value: latest.features[def.key],
            peerMedian: latest.peerMedians[def.key] ?? null,
            z: latest.zScores[def.key] ?? null,
            percentile: latest.percentiles[def.key] ?? null,
            driver: latest.drivers.some((d) => d.feature === def.key),
          }))
      : [];
    let total = 0;
    for (const c of byCategory) total += c.findings;
    this.views.render(
      res,
      'console/institution',
      {
        institution,
        latest,
        features,
        history: history.slice(0, HISTORY_PERIODS),
        byCategory,
        openFindings: total,
        cases: { ...cases, byStatus: CASE_STATUSES.map((status) => ({ status, cases: cases.byStatus[status] })).filter((r) => r.cases > 0) },
        casesHref: `/console/cases?institution=${encodeURIComponent(code)}`,
      },
      { title: 'institutions.profileTitle', titleVars: { name: institution.name } },
    );
  }

  /** Newest first; an institution never scored has no history (the service answers 404 for it). */
  private async scoreHistory(code: string): Promise<ScoreView[]> {
    try {
      return (await this.scoring.history('institution', code)).periods as ScoreView[];
    } catch (err) {
      if (err instanceof DomainException && err.code === DomainErrorCode.NotFound) return [];
      throw err;
    }
  }
}
