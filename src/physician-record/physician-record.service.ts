import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { mayRead, ownInstitution } from '../accounts/institution-scope';
import { Actor } from '../accounts/roles';
import { AuditService } from '../audit/audit.service';
import { CaseEvents, CaseFinalEvent } from '../cases/case-events';
import { DomainErrorCode, DomainException } from '../common/domain.exception';
import { ScreeningService } from '../screening/screening.service';
import { afterCommit, installAfterCommit } from './after-commit';
import { PhysicianPointsPolicyService } from './physician-policy.module';
import { SanctionDecision, SanctionInForce, SanctionKind, SanctionState, bandOf, dayOf, dayText, decideSanction, localDay, stateOn, yearOf } from './physician-points';
import { PhysicianPointEntry, PhysicianSanction } from './physician-record.entities';

/** Serialises the points of one physician (advisory lock class; the second key is the code's hash). */
const PHYSICIAN_LOCK = 7270101;

export type QualificationStatus = SanctionState | 'qualified';

export interface SanctionFilter {
  active?: boolean;
  institution?: string;
  physician?: string;
  kind?: SanctionKind;
  page: number;
  pageSize: number;
}

export interface PhysicianListFilter {
  year: number;
  institution?: string;
  page: number;
  pageSize: number;
}

const notFound = (code: string) => new DomainException(DomainErrorCode.NotFound, `physician ${code} does not exist`);

interface SanctionRow {
  id: string;
  physician_code: string;
  kind: SanctionKind;
  starts_on: string;
  ends_on: string;
  months: number | null;
  bar_years: number | null;
  year: number;
  year_total: number;
  cause_entry_id: string;
  superseded_by: string | null;
  policy_hash: string;
  created_at: Date;
}

/** The physicians' points record (驾照式记分): points from final case decisions, the suspensions and terminations they trigger. */
@Injectable()
export class PhysicianRecordService implements OnModuleInit {
  private readonly logger = new Logger('PhysicianRecord');

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly audit: AuditService,
    private readonly events: CaseEvents,
    private readonly policyService: PhysicianPointsPolicyService,
    private readonly screening: ScreeningService,
  ) {}

  private get policy() {
    return this.policyService.policy;
  }

  onModuleInit() {
    installAfterCommit(this.ds);
    this.events.onFinal('physician-record', async (m, e) => {
      await this.recordFinal(m, e);
    });
  }

  /** Today in the policy's time zone (the points' calendar). */
  today(now = new Date()): number {
    return localDay(now, this.policy.timezone);
  }

  // -------------------------------------------------------------------------------------------
  // Recording

  /**
   * A final decision naming a responsible physician: its points are entered for the year of the
   * date it became final, and, in the same transaction, the year's total decides a suspension or
   * a termination (physician-points.ts). One entry per decision: a repeated event adds nothing.
   * A new sanction asks screening to look again at the physician's stored claims in its window.
   */
  async recordFinal(m: EntityManager, e: CaseFinalEvent): Promise<{ entry: PhysicianPointEntry; decision: SanctionDecision; sanction: PhysicianSanction | null } | null> {
    const d = e.decision;
    if (!d.responsiblePhysicianCode || d.physicianPoints === null || d.physicianPoints === undefined) return null;
    const code = d.responsiblePhysicianCode;
    const points = d.physicianPoints;
    await m.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [PHYSICIAN_LOCK, code]);

    const incidentDay = localDay(e.at, this.policy.timezone);
    const year = yearOf(incidentDay);
    const band = d.physicianSeverityBand ?? bandOf(this.policy, points)?.band ?? 'unbanded';
    const inserted = (await m.query(
      `INSERT INTO physician_point_entry (physician_code, institution_code, year, points, severity_band, case_id, decision_id, incident_date, recorded_by, recorded_by_name)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::date, $9, $10)
       ON CONFLICT (decision_id) DO NOTHING RETURNING id`,
      [code, e.case.institutionCode, year, points, band, e.case.id, d.id, dayText(incidentDay), e.actor.userId, e.actor.name],
    )) as { id: string }[];
    if (!inserted.length) return null;
    const entry = (await m.getRepository(PhysicianPointEntry).findOneBy({ id: inserted[0]!.id }))!;

    const [{ total }] = (await m.query(`SELECT coalesce(sum(points), 0)::int AS total FROM physician_point_entry WHERE physician_code = $1 AND year = $2`, [code, year])) as { total: number }[];
    await this.audit.record(m, {
      actor: e.actor,
      action: 'physician_points.record',
      entityType: 'physician_point_entry',
      entityId: entry.id,
      after: { physicianCode: code, year, points, severityBand: band, yearTotal: total, caseNumber: e.case.number, caseId: e.case.id, decisionId: d.id, incidentDate: dayText(incidentDay) },
      ip: e.ip,
    });

    const inForceRows = (await m.query(
      `SELECT id, kind, starts_on::text AS starts_on, ends_on::text AS ends_on FROM physician_sanction
       WHERE physician_code = $1 AND superseded_by IS NULL AND starts_on <= $2::date AND ends_on >= $2::date FOR UPDATE`,
      [code, dayText(incidentDay)],
    )) as { id: string; kind: SanctionKind; starts_on: string; ends_on: string }[];
    const inForce: SanctionInForce[] = inForceRows.map((r) => ({ id: r.id, kind: r.kind, startsOn: dayOf(r.starts_on), endsOn: dayOf(r.ends_on) }));
    const decision = decideSanction(this.policy, { yearTotal: total, incidentPoints: points, incidentDay }, inForce);
    if (!decision.create) {
      if (decision.outcome !== 'below_threshold') this.logger.log(`physician ${code}: ${total} points in ${year}, ${decision.outcome}`);
      return { entry, decision, sanction: null };
    }

    const plan = decision.create;
    const repo = m.getRepository(PhysicianSanction);
    const sanction = await repo.save(
      repo.create({
        physicianCode: code,
        kind: plan.kind,
        startsOn: dayText(plan.startsOn),
        endsOn: dayText(plan.endsOn),
        months: plan.months,
        barYears: plan.barYears,
        year,
        yearTotal: total,
        causeEntryId: entry.id,
        supersededBy: null,
        policyHash: this.policy.hash,
      }),
    );
    await this.audit.record(m, {
      actor: e.actor,
      action: 'physician_sanction.create',
      entityType: 'physician_sanction',
      entityId: sanction.id,
      after: { ...this.sanctionSnapshot(sanction), outcome: decision.outcome, caseNumber: e.case.number },
      ip: e.ip,
    });
    for (const id of decision.supersede) {
      const old = (await repo.findOneBy({ id }))!;
      const before = this.sanctionSnapshot(old);
      old.supersededBy = sanction.id;
      await repo.save(old);
      await this.audit.record(m, { actor: e.actor, action: 'physician_sanction.supersede', entityType: 'physician_sanction', entityId: id, before, after: this.sanctionSnapshot(old), ip: e.ip });
    }
    this.logger.log(`physician ${code}: ${total} points in ${year} → ${plan.kind} ${sanction.startsOn}–${sanction.endsOn} (${decision.outcome})`);

    // Claims already stored for the physician inside the window are screened again (after the
    // commit: the run and the sanction must be visible to the jobs).
    const runId = await this.screening.createScopedRun(
      m,
      { physicianCode: code, from: sanction.startsOn, to: sanction.endsOn, reason: `physician ${code} ${plan.kind} ${sanction.startsOn}–${sanction.endsOn} (sanction ${sanction.id})` },
      e.actor,
    );
    if (runId) await afterCommit(m, () => this.screening.startRun(runId));
    return { entry, decision, sanction };
  }

  private sanctionSnapshot(s: PhysicianSanction) {
    return {
      physicianCode: s.physicianCode,
      kind: s.kind,
      startsOn: String(s.startsOn).slice(0, 10),
      endsOn: String(s.endsOn).slice(0, 10),
      months: s.months,
      barYears: s.barYears,
      year: s.year,
      yearTotal: s.yearTotal,
      causeEntryId: s.causeEntryId,
      supersededBy: s.supersededBy,
      policyHash: s.policyHash,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Reading

  private sanctionView(r: SanctionRow & { physician_name?: string; institution_code?: string }, today: number) {
    const from = dayOf(r.starts_on);
    const until = dayOf(r.ends_on);
    return {
      id: r.id,
      physicianCode: r.physician_code,
      ...(r.physician_name !== undefined ? { physicianName: r.physician_name, institutionCode: r.institution_code } : {}),
      kind: r.kind,
      startsOn: r.starts_on,
      endsOn: r.ends_on,
      /** Termination: the first day a new registration may be accepted. */
      reRegistrationFrom: r.kind === 'termination' ? dayText(until + 1) : null,
      months: r.months,
      barYears: r.bar_years,
      year: r.year,
      yearTotal: r.year_total,
      causeEntryId: r.cause_entry_id,
      supersededBy: r.superseded_by,
      active: r.superseded_by === null && from <= today && until >= today,
      policyHash: r.policy_hash,
      createdAt: r.created_at,
    };
  }

  /**
   * A physician's record: points per year (what is left of the allowance), every entry with its
   * case and decision, every sanction, and the qualification today. An institution login sees only
   * its own physicians (another is a 404: it does not learn the code exists).
   */
  async record(rawCode: string, actor: Actor) {
    const code = rawCode.trim().toUpperCase();
    if (!/^[\w.-]{1,64}$/.test(code)) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid physician code', [{ path: 'code', reason: 'must be a physician code' }]);
    const [p] = (await this.ds.query(
      `SELECT p.code, p.name, p.institution_code, p.specialty, i.name AS institution_name FROM physician p LEFT JOIN institution i ON i.code = p.institution_code WHERE p.code = $1`,
      [code],
    )) as { code: string; name: string; institution_code: string; specialty: string | null; institution_name: string | null }[];
    if (!p || !mayRead(actor, p.institution_code)) throw notFound(code);
    const today = this.today();
    const entries = (await this.ds.query(
      `SELECT e.id, e.year, e.points, e.severity_band, e.incident_date::text AS incident_date, e.institution_code, e.case_id, c.number AS case_number, c.status AS case_status,
              e.decision_id, d.violation_type, d.article, e.recorded_by, e.recorded_by_name, e.created_at
       FROM physician_point_entry e JOIN supervision_case c ON c.id = e.case_id JOIN case_decision d ON d.id = e.decision_id
       WHERE e.physician_code = $1 ORDER BY e.incident_date DESC, e.created_at DESC`,
      [code],
    )) as Record<string, unknown>[];
    const sanctions = (await this.ds.query(
      `SELECT id, physician_code, kind, starts_on::text AS starts_on, ends_on::text AS ends_on, months, bar_years, year, year_total, cause_entry_id, superseded_by, policy_hash, created_at
       FROM physician_sanction WHERE physician_code = $1 ORDER BY starts_on DESC, created_at DESC`,
      [code],
    )) as SanctionRow[];
    const totals = new Map<number, { points: number; entries: number }>();
    for (const e of entries) {
      const t = totals.get(e.year as number) ?? { points: 0, entries: 0 };
      t.points += e.points as number;
      t.entries += 1;
      totals.set(e.year as number, t);
    }
    const thisYear = yearOf(today);
    if (!totals.has(thisYear)) totals.set(thisYear, { points: 0, entries: 0 });
    const views = sanctions.map((s) => this.sanctionView(s, today));
    const windows = views.map((s) => ({ kind: s.kind, startsOn: dayOf(s.startsOn), endsOn: dayOf(s.endsOn) }));
    const state = stateOn(windows, today);
    const current = views.filter((s) => s.active).sort((a, b) => (a.kind === b.kind ? (a.endsOn < b.endsOn ? 1 : -1) : a.kind === 'termination' ? -1 : 1))[0] ?? null;
    return {
      physician: { code: p.code, name: p.name, institutionCode: p.institution_code, institutionName: p.institution_name, specialty: p.specialty },
      status: { on: dayText(today), state: (state ?? 'qualified') as QualificationStatus, sanction: current },
      allowance: this.policy.annualPoints,
      years: [...totals.entries()]
        .sort((a, b) => b[0] - a[0])
        .map(([year, t]) => ({ year, points: t.points, entries: t.entries, remaining: Math.max(0, this.policy.annualPoints - t.points) })),
      // A physician who moved has entries from cases of other institutions: an institution login sees
      // the points (they bind the physician wherever they work) but not another institution's cases.
      entries: entries.map((e) => hideOthersCase(actor, {
        id: e.id as string,
        year: e.year as number,
        points: e.points as number,
        severityBand: e.severity_band as string,
        incidentDate: e.incident_date as string,
        institutionCode: e.institution_code as string,
        caseId: e.case_id as string | null,
        caseNumber: e.case_number as string | null,
        caseStatus: e.case_status as string | null,
        decisionId: e.decision_id as string | null,
        violationType: e.violation_type as string | null,
        article: e.article as string | null,
        recordedBy: (e.recorded_by as string | null) ?? null,
        recordedByName: e.recorded_by_name as string | null,
        recordedAt: e.created_at as Date,
      }),
      ),
      sanctions: views,
      policy: { version: this.policy.version, hash: this.policy.hash, suspensionThreshold: this.policy.suspension.threshold, terminationThreshold: this.policy.termination.threshold },
    };
  }

  /** Sanctions, newest first; `active`: in force today (not superseded). An institution login sees only its own physicians'. */
  async sanctions(f: SanctionFilter, actor: Actor) {
    const own = ownInstitution(actor, f.institution);
    const institution = own ?? f.institution;
    const today = this.today();
    const conds: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, v: unknown) => conds.push(sql.replaceAll('?', `$${params.push(v)}`));
    if (institution) add('p.institution_code = ?', institution);
    if (f.physician) add('s.physician_code = ?', f.physician);
    if (f.kind) add('s.kind = ?', f.kind);
    if (f.active) add('s.superseded_by IS NULL AND s.starts_on <= ?::date AND s.ends_on >= ?::date', dayText(today));
    const where = conds.length ? `WHERE ${conds.join(' AND ')}` : '';
    const [{ total }] = (await this.ds.query(`SELECT count(*)::int AS total FROM physician_sanction s JOIN physician p ON p.code = s.physician_code ${where}`, params)) as { total: number }[];
    const rows = (await this.ds.query(
      `SELECT s.id, s.physician_code, s.kind, s.starts_on::text AS starts_on, s.ends_on::text AS ends_on, s.months, s.bar_years, s.year, s.year_total, s.cause_entry_id,
              s.superseded_by, s.policy_hash, s.created_at, p.name AS physician_name, p.institution_code
       FROM physician_sanction s JOIN physician p ON p.code = s.physician_code ${where}
       ORDER BY s.starts_on DESC, s.created_at DESC LIMIT ${f.pageSize} OFFSET ${(f.page - 1) * f.pageSize}`,
      params,
    )) as (SanctionRow & { physician_name: string; institution_code: string })[];
    return { total, page: f.page, pageSize: f.pageSize, on: dayText(today), items: rows.map((r) => this.sanctionView(r, today)) };
  }

  /** Physicians with points in the year or a sanction in force today: the console's list (sanctioned first, then by points). */
  async physicians(f: PhysicianListFilter, actor: Actor) {
    const own = ownInstitution(actor, f.institution);
    const institution = own ?? f.institution ?? null;
    const today = dayText(this.today());
    const params = [f.year, today, institution];
    const base = `
      WITH y AS (SELECT physician_code, sum(points)::int AS points, count(*)::int AS entries FROM physician_point_entry WHERE year = $1 GROUP BY 1),
           s AS (SELECT DISTINCT ON (physician_code) physician_code, kind, starts_on::text AS starts_on, ends_on::text AS ends_on FROM physician_sanction
                 WHERE superseded_by IS NULL AND starts_on <= $2::date AND ends_on >= $2::date
                 ORDER BY physician_code, (kind = 'termination') DESC, ends_on DESC)
      SELECT p.code, p.name, p.institution_code, i.name AS institution_name, coalesce(y.points, 0) AS points, coalesce(y.entries, 0) AS entries,
             s.kind, s.starts_on, s.ends_on
      FROM physician p LEFT JOIN y ON y.physician_code = p.code LEFT JOIN s ON s.physician_code = p.code LEFT JOIN institution i ON i.code = p.institution_code
      WHERE (y.physician_code IS NOT NULL OR s.physician_code IS NOT NULL) AND ($3::text IS NULL OR p.institution_code = $3)`;
    const [{ total }] = (await this.ds.query(`SELECT count(*)::int AS total FROM (${base}) x`, params)) as { total: number }[];
    const rows = (await this.ds.query(
      `${base} ORDER BY (s.kind = 'termination') DESC NULLS LAST, (s.kind IS NOT NULL) DESC, points DESC, p.code LIMIT ${f.pageSize} OFFSET ${(f.page - 1) * f.pageSize}`,
      params,
    )) as Record<string, unknown>[];
    return {
      total,
      page: f.page,
      pageSize: f.pageSize,
      year: f.year,
      on: today,
      items: rows.map((r) => ({
        code: r.code as string,
        name: r.name as string,
        institutionCode: r.institution_code as string,
        institutionName: (r.institution_name as string | null) ?? null,
        points: r.points as number,
        entries: r.entries as number,
        remaining: Math.max(0, this.policy.annualPoints - (r.points as number)),
        status: (r.kind === 'termination' ? 'terminated' : r.kind === 'suspension' ? 'suspended' : 'qualified') as QualificationStatus,
        sanctionStartsOn: (r.starts_on as string | null) ?? null,
        sanctionEndsOn: (r.ends_on as string | null) ?? null,
      })),
    };
  }
}

/** An entry as an institution login may see it: another institution's case, decision and recorder withheld. */
function hideOthersCase<T extends { institutionCode: string; caseId: string | null; caseNumber: string | null; caseStatus: string | null; decisionId: string | null; violationType: string | null; article: string | null; recordedBy: string | null; recordedByName: string | null }>(actor: Actor, e: T): T {
  if (actor.role !== 'institution' || e.institutionCode === actor.institutionCode) return e;
  return { ...e, caseId: null, caseNumber: null, caseStatus: null, decisionId: null, violationType: null, article: null, recordedBy: null, recordedByName: null };
}
