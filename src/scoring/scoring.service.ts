import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { DomainErrorCode, DomainException } from '../common/domain.exception';
import { withPgClient } from '../database/pg-client';
import { EntityType, featuresFor } from './features';
import { institutionFeatures, monthsWithClaims, physicianFeatures } from './feature-store';
import { EntityFeatures, PeerScore, rankScores, scoreAgainstPeers } from './peers';
import { blend, fitSupervised } from './supervised';
import { isMonth } from '../common/calendar';

export interface ScoredRow extends PeerScore {
  entityType: EntityType;
  period: string;
  rank: number;
  features: Record<string, number | null>;
}

/** Serialises scoring runs. */
const SCORING_LOCK = 7270003;

const LEVEL_ZH = ['未定级', '一级', '二级', '三级'];
const KIND_ZH: Record<string, string> = { hospital: '医院', primary_care: '基层医疗机构', clinic: '诊所', pharmacy: '药店' };

/** Risk scoring: features per period, peer comparison, ranks and explanations, stored per period. */
@Injectable()
export class ScoringService {
  private readonly logger = new Logger('Scoring');

  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  private withClient<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    return withPgClient(this.ds, fn);
  }

  /** Scores the given periods (YYYY-MM), or every period with claims; returns the periods scored. */
  async score(periods?: readonly string[]): Promise<{ periods: string[]; institutions: number; physicians: number }> {
    for (const p of periods ?? []) {
      if (!isMonth(p)) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid period', [{ path: 'period', reason: `"${p}" is not a month YYYY-MM` }]);
    }
    return this.withClient(async (c) => {
      // One scoring at a time (a queued job and a command may overlap): each replaces whole periods.
      await c.query('SELECT pg_advisory_lock($1)', [SCORING_LOCK]);
      try {
        return await this.scoreLocked(c, periods);
      } finally {
        await c.query('SELECT pg_advisory_unlock($1)', [SCORING_LOCK]);
      }
    });
  }

  private async scoreLocked(c: PoolClient, periods: readonly string[] | undefined) {
    {
      const months = periods ? periods.map((p) => `${p}-01`) : await monthsWithClaims(c);
      const t0 = Date.now();
      const inst = await institutionFeatures(c, months);
      const docs = await physicianFeatures(c, months);
      const rows: ScoredRow[] = [];
      for (const period of new Set([...inst.map((r) => r.period), ...docs.map((r) => r.period)])) {
        rows.push(
          ...this.scorePeriod(
            'institution',
            period,
            inst.filter((r) => r.period === period).map((r) => ({
              code: r.code,
              volume: r.features.claims ?? 0,
              features: r.features,
              groups: [
                { key: `${r.kind}|${r.level}`, zh: `同级同类机构（${LEVEL_ZH[r.level] ?? r.level}${KIND_ZH[r.kind] ?? r.kind}）` },
                { key: r.kind, zh: `同类机构（${KIND_ZH[r.kind] ?? r.kind}）` },
                { key: '*', zh: '全部机构' },
              ],
            })),
          ),
          ...this.scorePeriod(
            'physician',
            period,
            docs.filter((r) => r.period === period).map((r) => ({
              code: r.code,
              volume: r.features.claims ?? 0,
              features: r.features,
              groups: [
                ...(r.specialty ? [{ key: `specialty|${r.specialty}`, zh: `同专科医师（${r.specialty}）` }] : []),
                { key: '*', zh: '全部医师' },
              ],
            })),
          ),
        );
      }
      await this.store(c, months.map((m) => m.slice(0, 7)), rows);
      await this.applySupervised(c, 'institution', [...new Set(rows.map((r) => r.period))]);
      const scored = [...new Set(rows.map((r) => r.period))].sort();
      this.logger.log(`scored ${scored.length} period(s): ${inst.length} institution-periods, ${docs.length} physician-periods in ${Date.now() - t0} ms`);
      return { periods: scored, institutions: inst.length, physicians: docs.length };
    }
  }

  private scorePeriod(entityType: EntityType, period: string, entities: EntityFeatures[]): ScoredRow[] {
    const scores = scoreAgainstPeers(entities, featuresFor(entityType));
    const byCode = new Map(entities.map((e) => [e.code, e]));
    return rankScores(scores).map((s) => ({ ...s, entityType, period, features: { ...byCode.get(s.code)!.features } }));
  }

  private async store(c: PoolClient, periods: string[], rows: ScoredRow[]): Promise<void> {
    await c.query('BEGIN');
    try {
      await c.query('DELETE FROM risk_score WHERE period = ANY($1::text[])', [periods]);
      for (let i = 0; i < rows.length; i += 1000) {
        const chunk = rows.slice(i, i + 1000);
        const cols = ['entity_type', 'entity_code', 'period', 'peer_group', 'peer_size', 'score', 'rank', 'unsupervised', 'features', 'z_scores', 'percentiles', 'peer_medians', 'drivers'];
        await c.query(
          `INSERT INTO risk_score (${cols.join(', ')}, computed_at)
           SELECT *, now() FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::numeric[], $7::int[], $8::float8[], $9::jsonb[], $10::jsonb[], $11::jsonb[], $12::jsonb[], $13::jsonb[])`,
          [
            chunk.map((r) => r.entityType),
            chunk.map((r) => r.code),
            chunk.map((r) => r.period),
            chunk.map((r) => r.peerGroup),
            chunk.map((r) => r.peerSize),
            chunk.map((r) => r.score),
            chunk.map((r) => r.rank),
            chunk.map((r) => r.raw),
            chunk.map((r) => JSON.stringify(r.features)),
            chunk.map((r) => JSON.stringify(r.z)),
            chunk.map((r) => JSON.stringify(r.percentile)),
            chunk.map((r) => JSON.stringify(r.peerMedian)),
            chunk.map((r) => JSON.stringify(r.drivers)),
          ],
        );
      }
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /**
   * Trains a model version on every reviewed institution-period (confirmed findings → 1; reviewed,
   * all dismissed → 0) when enough exist, stores it with its cross-validated metrics, and blends its
   * probabilities into the scores of the periods just scored (then re-ranks them).
   */
  private async applySupervised(c: PoolClient, entityType: EntityType, periods: string[]): Promise<void> {
    const keys = featuresFor(entityType).filter((f) => f.direction === 1).map((f) => f.key);
    const code = entityType === 'institution' ? 'institution_code' : 'physician_code';
    const labelled = (
      await c.query<{ z: Record<string, number | null>; y: number }>(
        `SELECT r.z_scores AS z, CASE WHEN l.confirmed THEN 1 ELSE 0 END AS y
         FROM risk_score r JOIN (
           SELECT ${code} AS code, to_char(settle_month, 'YYYY-MM') AS period, bool_or(status = 'confirmed') AS confirmed
           FROM finding WHERE status IN ('confirmed', 'dismissed') AND ${code} IS NOT NULL GROUP BY 1, 2) l
         ON l.code = r.entity_code AND l.period = r.period
         WHERE r.entity_type = $1 ORDER BY r.period, r.entity_code`,
        [entityType],
      )
    ).rows;
    const row = (z: Record<string, number | null>) => keys.map((k) => z[k] ?? 0);
    const fit = fitSupervised(labelled.map((l) => row(l.z)), labelled.map((l) => l.y));
    if (!fit) return;
    const importance = Object.fromEntries(keys.map((k, i) => [k, fit.forest.importance[i] ?? 0]));
    const { rows: saved } = await c.query<{ version: number }>(
      `INSERT INTO risk_model (entity_type, trained_at, seed, rows, positives, features, options, metrics, importance, model)
       VALUES ($1, now(), $2, $3, $4, $5, $6, $7, $8, $9) RETURNING version`,
      [entityType, fit.forest.options.seed, labelled.length, labelled.filter((l) => l.y === 1).length, JSON.stringify(keys), JSON.stringify(fit.forest.options), JSON.stringify(fit.metrics), JSON.stringify(importance), JSON.stringify(fit.forest.toJSON())],
    );
    const version = saved[0]!.version;
    const current = (
      await c.query<{ code: string; period: string; z: Record<string, number | null>; unsupervised: number }>(
        `SELECT entity_code AS code, period, z_scores AS z, unsupervised FROM risk_score WHERE entity_type = $1 AND period = ANY($2::text[])`,
        [entityType, periods],
      )
    ).rows;
    const p = fit.forest.predict(current.map((r) => row(r.z)));
    const blended = current.map((r, i) => ({ ...r, probability: p[i]!, score: blend(Math.round((10000 * r.unsupervised) / (r.unsupervised + 1)) / 100, p[i]!) }));
    for (const period of periods) {
      const ranked = rankScores(blended.filter((b) => b.period === period));
      await c.query(
        `UPDATE risk_score r SET supervised = u.p, score = u.s, rank = u.rank, model_version = $3
         FROM unnest($1::text[], $2::float8[], $4::numeric[], $5::int[]) AS u(code, p, s, rank)
         WHERE r.entity_type = $6 AND r.period = $7 AND r.entity_code = u.code`,
        [ranked.map((b) => b.code), ranked.map((b) => b.probability), version, ranked.map((b) => b.score), ranked.map((b) => b.rank), entityType, period],
      );
    }
    this.logger.log(`risk model v${version} (${entityType}): ${labelled.length} reviewed, cross-validated ROC-AUC ${fit.metrics.rocAuc.mean.toFixed(3)}`);
  }

  /** The latest model versions with their cross-validated metrics. */
  async models(): Promise<unknown[]> {
    return this.ds.query(
      `SELECT version, entity_type AS "entityType", trained_at AS "trainedAt", seed, rows, positives, features, options, metrics, importance FROM risk_model ORDER BY version DESC LIMIT 20`,
    );
  }

  /** Scores of one entity type for a period (riskiest first), paged. */
  async list(opts: { entityType: EntityType; period?: string; page: number; pageSize: number }) {
    const period = opts.period ?? ((await this.ds.query(`SELECT max(period) AS p FROM risk_score WHERE entity_type = $1`, [opts.entityType]))[0]?.p as string | null);
    if (!period) return { period: null, total: 0, page: opts.page, pageSize: opts.pageSize, items: [] };
    const [{ total }] = await this.ds.query('SELECT count(*)::int AS total FROM risk_score WHERE entity_type = $1 AND period = $2', [opts.entityType, period]);
    const items = await this.ds.query(
      `SELECT ${VIEW} FROM risk_score WHERE entity_type = $1 AND period = $2 ORDER BY rank LIMIT ${opts.pageSize} OFFSET ${(opts.page - 1) * opts.pageSize}`,
      [opts.entityType, period],
    );
    return { period, total, page: opts.page, pageSize: opts.pageSize, items };
  }

  /** Every period's score of one entity, newest first. */
  async history(entityType: EntityType, code: string) {
    const items = await this.ds.query(`SELECT ${VIEW} FROM risk_score WHERE entity_type = $1 AND entity_code = $2 ORDER BY period DESC`, [entityType, code.toUpperCase()]);
    if (items.length === 0) throw new DomainException(DomainErrorCode.NotFound, `no risk score for ${entityType} ${code}`);
    return { entityType, code: code.toUpperCase(), periods: items };
  }

  /** institution_code,period,score,rank rows for the export, period by period, riskiest first. */
  async *iterateInstitutionScores(): AsyncGenerator<{ institution_code: string; period: string; score: string; rank: number }> {
    const periods: { period: string }[] = await this.ds.query(`SELECT DISTINCT period FROM risk_score WHERE entity_type = 'institution' ORDER BY 1`);
    for (const { period } of periods) {
      yield* (await this.ds.query(
        `SELECT entity_code AS institution_code, period, score::text AS score, rank FROM risk_score WHERE entity_type = 'institution' AND period = $1 ORDER BY rank`,
        [period],
      )) as { institution_code: string; period: string; score: string; rank: number }[];
    }
  }
}

const VIEW = `entity_type AS "entityType", entity_code AS code, period, score::float8 AS score, rank, peer_group AS "peerGroup", peer_size AS "peerSize",
  unsupervised, supervised, model_version AS "modelVersion", drivers, features, z_scores AS "zScores", percentiles, peer_medians AS "peerMedians", computed_at AS "computedAt"`;
