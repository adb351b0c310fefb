import { Inject, Injectable, Logger } from '@nestjs/common';
import { CaseEvents } from './case-events';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { mayRead, ownInstitution } from '../accounts/institution-scope';
import { Actor, systemActor } from '../accounts/roles';
import { AuditService } from '../audit/audit.service';
import { DomainErrorCode, DomainException } from '../common/domain.exception';
import { isUuid } from '../common/query';
import { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { RuleLibraryService } from '../rules-engine/rules-engine.module';
import {
  allowedActions,
  appealDeadline,
  ActionInput,
  AppealOutcome,
  CASE_STATUS_ZH,
  CASE_STATUSES,
  CaseAction,
  CaseStatus,
  COLLECTING_STATUSES,
  Transition,
  transition,
  WorkflowCase,
} from './case-workflow';
import { CaseAppeal, CaseDecision, FindingOutcome, Recovery, RecoveryKind, SupervisionCase } from './case.entities';
import { CaseListFilter, DecisionInput, PaymentInput, RecoveryListFilter } from './cases.dto';
import { fenOf, multipleText, yuanText } from './money';
import { AGREEMENT_ACTION_ZH, ARTICLE_RANGES, checkPenaltyRanges, fineFen } from './penalties';
import { patientPseudonym, scrubEvidence } from './pseudonym';
import { PhysicianPointsPolicyService } from '../physician-record/physician-policy.module';

/** Serialises case opening (a job after every screening run and scoring run, the CLI). */
const CASES_OPEN_LOCK = 7270005;
/** Claims (with their lines) shown in a case's detail; the findings are always all shown. */
const DETAIL_CLAIMS = 100;

/** Who acts, and from where (HTTP requests). */
export interface Acting {
  actor: Actor;
  ip?: string | null;
}

export interface OpenResult {
  opened: number;
  /** Existing open / in-review cases that received new findings. */
  extended: number;
  findingsAdded: number;
  /** Existing cases whose amounts changed (findings retired or re-opened by screening). */
  refreshed: number;
}

/** A case's state as the audit trail records it before and after a change. */
export interface CaseSnapshot {
  number: string;
  status: CaseStatus;
  assigneeId: string | null;
  amountAtRisk: string;
  findingCount: number;
  appealWaived: boolean;
  decision: {
    id: string;
    article: string;
    violationType: string;
    amountToRecover: string;
    fineMultiple: string;
    fineAmount: string;
    suspensionMonths: number;
    agreementAction: string;
    responsiblePhysicianCode: string | null;
    physicianPoints: number | null;
  } | null;
}

const CASE_NUMBER = /^AJ-\d{4}-\d{6,}$/;

const notFound = (ref: string) => new DomainException(DomainErrorCode.NotFound, `case ${ref} does not exist`);

/** Cases (案件): opened from findings and risk scores, worked through review, decision, appeal, recovery and closure. */
@Injectable()
export class CasesService {
  private readonly logger = new Logger('Cases');

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly audit: AuditService,
    private readonly rules: RuleLibraryService,
    private readonly events: CaseEvents,
    private readonly physicianPolicy: PhysicianPointsPolicyService,
  ) {}

  // -------------------------------------------------------------------------------------------
  // Time in the bureau's zone (dates of due dates and payments are local dates)

  private localDate(at: Date = new Date(), plusDays = 0): string {
    const m = /^([+-])(\d{2}):(\d{2})$/.exec(this.config.import.defaultUtcOffset)!;
    const offsetMs = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000;
    return new Date(at.getTime() + offsetMs + plusDays * 86_400_000).toISOString().slice(0, 10);
  }

  // -------------------------------------------------------------------------------------------
  // Opening

  /** Both openings, findings first (a job after screening and after scoring; `fundguard cases open`). */
  async open(actor: Actor = systemActor('cases.open')): Promise<{ findings: OpenResult; risk: { opened: number } }> {
    const findings = await this.openFromFindings(actor);
    const risk = await this.openFromRisk(actor);
    return { findings, risk };
  }

  /**
   * Every open finding not yet in a case goes into one: the group's case still collecting findings
   * (open / in review) when there is one, a new case otherwise. Groups: CASE_GROUPING
   * institution-period (institution × settlement month), or claim (one case per claim for
   * claim-level findings; institution-period rules' findings still per institution-month).
   * Amounts of collecting cases are recomputed (screening may have retired or re-opened findings).
   */
  async openFromFindings(actor: Actor = systemActor('cases.open')): Promise<OpenResult> {
    const periodRules = this.rules.library.rules.filter((r) => r.scope === 'institution-period').map((r) => r.id);
    const byClaim = this.config.cases.grouping === 'claim';
    const result = await this.ds.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1)', [CASES_OPEN_LOCK]);
      const groups: { institution_code: string; period: string; claim_id: string | null; ids: string[] }[] = await m.query(
        `SELECT f.institution_code, to_char(f.settle_month, 'YYYY-MM') AS period,
                CASE WHEN $1::boolean AND NOT (f.rule_id = ANY($2::text[])) THEN f.claim_id END AS claim_id,
                array_agg(f.id::text ORDER BY f.id) AS ids
         FROM finding f
         WHERE f.status = 'open' AND NOT EXISTS (SELECT 1 FROM case_finding cf WHERE cf.finding_id = f.id)
         GROUP BY 1, 2, 3`,
        [byClaim, periodRules],
      );
      const collecting: { id: string; number: string; institution_code: string; period: string; claim_id: string | null; status: CaseStatus; assignee_id: string | null; amount_at_risk: string; finding_count: number }[] =
        await m.query(
          `SELECT id, number, institution_code, period, claim_id, status, assignee_id, amount_at_risk, finding_count FROM supervision_case
           WHERE kind = 'findings' AND status = ANY($1::text[]) ORDER BY id FOR UPDATE`,
          [COLLECTING_STATUSES],
        );
      const keyOf = (g: { institution_code: string; period: string; claim_id: string | null }) => (g.claim_id ? `claim|${g.claim_id}` : `period|${g.institution_code}|${g.period}`);
      const existing = new Map(collecting.map((c) => [keyOf(c), c]));

      // A claim corrected into another month is still one claim: its groups merge.
      const wanted = new Map<string, { institution_code: string; period: string; claim_id: string | null; ids: string[] }>();
      for (const g of groups) {
        const k = keyOf(g);
        const w = wanted.get(k);
        if (w) w.ids.push(...g.ids);
        else wanted.set(k, { ...g, ids: [...g.ids] });
      }
      const toCreate = [...wanted.entries()].filter(([k]) => !existing.has(k)).map(([, g]) => g);
      const now = new Date();
      const created: { id: string; number: string; institution_code: string; period: string; claim_id: string | null }[] = toCreate.length
        ? await m.query(
            `INSERT INTO supervision_case (number, kind, grouping, institution_code, period, claim_id, status, opened_at, review_due_on)
             SELECT 'AJ-' || $1 || '-' || lpad(x.n::text, greatest(6, length(x.n::text)), '0'), 'findings', x.g, x.i, x.p, x.cl, 'open', $2, $3::date
             FROM (SELECT nextval('supervision_case_number_seq') AS n, u.* FROM unnest($4::text[], $5::text[], $6::text[], $7::text[]) WITH ORDINALITY AS u(g, i, p, cl, ord)) x
             ORDER BY x.n
             RETURNING id, number, institution_code, period, claim_id`,
            [
              this.localDate(now).slice(0, 4),
              now,
              this.localDate(now, this.config.cases.reviewDays),
              toCreate.map((g) => (g.claim_id ? 'claim' : 'institution-period')),
              toCreate.map((g) => g.institution_code),
              toCreate.map((g) => g.period),
              toCreate.map((g) => g.claim_id),
            ],
          )
        : [];
      const caseOf = new Map<string, string>([...existing.entries()].map(([k, c]) => [k, c.id]));
      for (const c of created) caseOf.set(keyOf(c), c.id);
      const links: [string, string][] = [];
      for (const [k, g] of wanted) for (const id of g.ids) links.push([id, caseOf.get(k)!]);
      if (links.length) {
        await m.query(
          `INSERT INTO case_finding (finding_id, case_id, added_at) SELECT f::bigint, c::uuid, $3 FROM unnest($1::text[], $2::text[]) AS u(f, c) ON CONFLICT (finding_id) DO NOTHING`,
          [links.map((l) => l[0]), links.map((l) => l[1]), now],
        );
      }
      const touched = [...collecting.map((c) => c.id), ...created.map((c) => c.id)];
      const amounts = new Map<string, { amount: string; n: number }>();
      if (touched.length) {
        // TypeORM answers an UPDATE with [rows, affected].
        const [rows]: [{ id: string; amount_at_risk: string; finding_count: number }[], number] = await m.query(
          `UPDATE supervision_case c SET amount_at_risk = s.amount, finding_count = s.n, updated_at = now()
           FROM (SELECT cf.case_id, count(*)::int AS n, coalesce(sum(f.amount_at_risk) FILTER (WHERE f.status NOT IN ('retired', 'dismissed')), 0) AS amount
                 FROM case_finding cf JOIN finding f ON f.id = cf.finding_id WHERE cf.case_id = ANY($1::uuid[]) GROUP BY cf.case_id) s
           WHERE c.id = s.case_id AND (c.amount_at_risk <> s.amount OR c.finding_count <> s.n)
           RETURNING c.id, c.amount_at_risk, c.finding_count`,
          [touched],
        );
        for (const r of rows) amounts.set(r.id, { amount: r.amount_at_risk, n: r.finding_count });
      }

      const snap = (c: { number: string; status: CaseStatus; assignee_id: string | null }, amount: string, n: number): CaseSnapshot => ({
        number: c.number,
        status: c.status,
        assigneeId: c.assignee_id,
        amountAtRisk: amount,
        findingCount: n,
        appealWaived: false,
        decision: null,
      });
      for (const c of created) {
        const a = amounts.get(c.id) ?? { amount: '0.00', n: 0 };
        await this.audit.record(m, {
          actor,
          action: 'case.open',
          entityType: 'case',
          entityId: c.id,
          after: { ...snap({ number: c.number, status: 'open', assignee_id: null }, a.amount, a.n), kind: 'findings', institutionCode: c.institution_code, period: c.period, claimId: c.claim_id },
        });
      }
      let extended = 0;
      let refreshed = 0;
      for (const c of collecting) {
        const a = amounts.get(c.id);
        if (!a) continue;
        const added = a.n - c.finding_count;
        if (added > 0) extended++;
        else refreshed++;
        await this.audit.record(m, {
          actor,
          action: added > 0 ? 'case.add_findings' : 'case.refresh',
          entityType: 'case',
          entityId: c.id,
          before: snap(c, c.amount_at_risk, c.finding_count),
          after: snap(c, a.amount, a.n),
        });
      }
      return { opened: created.length, extended, findingsAdded: links.length, refreshed };
    });
    if (result.opened || result.findingsAdded || result.refreshed) {
      this.logger.log(`cases from findings: ${result.opened} opened, ${result.extended} extended, ${result.findingsAdded} finding(s) added, ${result.refreshed} refreshed`);
    }
    return result;
  }

  /**
   * A risk case for every institution-month whose risk score (risk_score keeps one, the latest, per
   * period) is at or above CASE_RISK_THRESHOLD, unless that institution-month already has one.
   */
  async openFromRisk(actor: Actor = systemActor('cases.open')): Promise<{ opened: number }> {
    const threshold = this.config.cases.riskThreshold;
    const opened = await this.ds.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1)', [CASES_OPEN_LOCK]);
      const rows: { code: string; period: string; score: string; rank: number; peer_group: string; peer_size: number; drivers: unknown[]; supervised: number | null; model_version: number | null; computed_at: Date; ranked: number }[] =
        await m.query(
          `SELECT r.entity_code AS code, r.period, r.score::text AS score, r.rank, r.peer_group, r.peer_size, r.drivers, r.supervised, r.model_version, r.computed_at,
                  (SELECT count(*)::int FROM risk_score x WHERE x.entity_type = 'institution' AND x.period = r.period) AS ranked
           FROM risk_score r
           WHERE r.entity_type = 'institution' AND r.score >= $1
             AND NOT EXISTS (SELECT 1 FROM supervision_case c WHERE c.kind = 'risk' AND c.institution_code = r.entity_code AND c.period = r.period)
           ORDER BY r.period, r.rank`,
          [threshold],
        );
      const now = new Date();
      for (const r of rows) {
        const snapshot = {
          score: Number(r.score),
          threshold,
          rank: r.rank,
          of: r.ranked,
          peerGroup: r.peer_group,
          peerSize: r.peer_size,
          supervised: r.supervised,
          modelVersion: r.model_version,
          drivers: r.drivers,
          computedAt: r.computed_at,
        };
        const [c]: { id: string; number: string }[] = await m.query(
          `INSERT INTO supervision_case (number, kind, grouping, institution_code, period, status, opened_at, review_due_on, risk_snapshot)
           SELECT 'AJ-' || $1 || '-' || lpad(n::text, greatest(6, length(n::text)), '0'), 'risk', 'institution-period', $2, $3, 'open', $4, $5::date, $6::jsonb
           FROM (SELECT nextval('supervision_case_number_seq') AS n) s
           ON CONFLICT (institution_code, period) WHERE kind = 'risk' DO NOTHING
           RETURNING id, number`,
          [this.localDate(now).slice(0, 4), r.code, r.period, now, this.localDate(now, this.config.cases.reviewDays), JSON.stringify(snapshot)],
        );
        if (!c) continue;
        await this.audit.record(m, {
          actor,
          action: 'case.open',
          entityType: 'case',
          entityId: c.id,
          after: { number: c.number, status: 'open', kind: 'risk', institutionCode: r.code, period: r.period, riskScore: snapshot.score, threshold },
        });
      }
      return rows.length;
    });
    if (opened) this.logger.log(`cases from risk scores: ${opened} opened (score ≥ ${threshold})`);
    return { opened };
  }

  /**
   * A case opened by an on-site inspection result (violations found, or referred), inside the
   * caller's transaction; the inspection's facts go to the audit entry, its amount to the amount at risk.
   */
  async openFromInspection(
    m: EntityManager,
    input: { institutionCode: string; inspectionId: string; outcome: string; amountAtRisk: string; at: Date; notes: string | null },
    actor: Actor,
  ): Promise<{ id: string; number: string }> {
    return this.openFromSource(m, 'inspection', input, { inspectionId: input.inspectionId, outcome: input.outcome }, actor);
  }

  /**
   * A case opened from a public tip (举报) by the supervisor handling it, inside the caller's
   * transaction; the audit entry names the tip (never its tipster), its amount goes to the amount at risk.
   */
  async openFromTip(
    m: EntityManager,
    input: { institutionCode: string; tipId: string; tipNumber: string; category: string; amountAtRisk: string; at: Date; notes: string | null },
    actor: Actor,
  ): Promise<{ id: string; number: string }> {
    return this.openFromSource(m, 'tip', input, { tipId: input.tipId, tipNumber: input.tipNumber, category: input.category }, actor);
  }

  /** One institution-period case opened by something outside screening (an inspection, a tip), audited with its source's facts. */
  private async openFromSource(
    m: EntityManager,
    kind: 'inspection' | 'tip',
    input: { institutionCode: string; amountAtRisk: string; at: Date; notes: string | null },
    source: Record<string, unknown>,
    actor: Actor,
  ): Promise<{ id: string; number: string }> {
    const day = this.localDate(input.at);
    const [c]: { id: string; number: string }[] = await m.query(
      `INSERT INTO supervision_case (number, kind, grouping, institution_code, period, status, opened_at, review_due_on, amount_at_risk)
       SELECT 'AJ-' || $1 || '-' || lpad(n::text, greatest(6, length(n::text)), '0'), $7, 'institution-period', $2, $3, 'open', $4, $5::date, $6
       FROM (SELECT nextval('supervision_case_number_seq') AS n) s
       RETURNING id, number`,
      [day.slice(0, 4), input.institutionCode, day.slice(0, 7), input.at, this.localDate(input.at, this.config.cases.reviewDays), input.amountAtRisk, kind],
    );
    await this.audit.record(m, {
      actor,
      action: 'case.open',
      entityType: 'case',
      entityId: c!.id,
      after: { number: c!.number, status: 'open', kind, institutionCode: input.institutionCode, ...source, amountAtRisk: input.amountAtRisk, notes: input.notes },
    });
    return c!;
  }

  // -------------------------------------------------------------------------------------------
  // Reading

  /** A case by id or number, or 404 (also for an institution login asking for another institution's case). */
  private async load(m: EntityManager, ref: string, actor: Actor | undefined, lock: boolean): Promise<SupervisionCase> {
    const where = isUuid(ref) ? { id: ref.toLowerCase() } : CASE_NUMBER.test(ref) ? { number: ref } : null;
    if (!where) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid case id', [{ path: 'id', reason: 'must be a case id (UUID) or number (AJ-YYYY-NNNNNN)' }]);
    const c = await m.getRepository(SupervisionCase).findOne({ where, lock: lock ? { mode: 'pessimistic_write' } : undefined });
    if (!c || !mayRead(actor, c.institutionCode)) throw notFound(ref);
    return c;
  }

  private async outstandingRecoveries(m: EntityManager, caseId: string): Promise<number> {
    const [r] = await m.query(`SELECT count(*)::int AS n FROM recovery WHERE case_id = $1 AND cancelled_at IS NULL AND amount_paid < amount_due`, [caseId]);
    return (r as { n: number }).n;
  }

  private workflowCase(c: SupervisionCase, outstanding: number): WorkflowCase {
    return {
      number: c.number,
      status: c.status,
      institutionCode: c.institutionCode,
      assigneeId: c.assigneeId,
      appealDeadline: c.appealDeadline,
      appealWaived: c.appealWaived,
      recoveriesOutstanding: outstanding,
    };
  }

  private async currentDecision(m: EntityManager, caseId: string): Promise<CaseDecision | null> {
    return m.getRepository(CaseDecision).findOne({ where: { caseId, supersededBy: IsNull() }, order: { decidedAt: 'DESC' } });
  }

  private async snapshot(m: EntityManager, c: SupervisionCase): Promise<CaseSnapshot> {
    const d = await this.currentDecision(m, c.id);
    return {
      number: c.number,
      status: c.status,
      assigneeId: c.assigneeId,
      amountAtRisk: yuanText(fenOf(c.amountAtRisk)),
      findingCount: c.findingCount,
      appealWaived: c.appealWaived,
      decision: d
        ? {
            id: d.id,
            article: d.article,
            violationType: d.violationType,
            amountToRecover: d.amountToRecover,
            fineMultiple: d.fineMultiple,
            fineAmount: d.fineAmount,
            suspensionMonths: d.suspensionMonths,
            agreementAction: d.agreementAction,
            responsiblePhysicianCode: d.responsiblePhysicianCode,
            physicianPoints: d.physicianPoints,
          }
        : null,
    };
  }

  /** Cases, filtered and paged; an institution login sees only its own (asking for another is a 403 naming `institution`). */
  async list(f: CaseListFilter, actor: Actor) {
    const own = ownInstitution(actor, f.institution);
    const institution = own ?? f.institution;
    const conds: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      params.push(v);
      conds.push(sql.replaceAll('?', `$${params.length}`));
    };
    if (institution) add('c.institution_code = ?', institution);
    if (f.category) add('EXISTS (SELECT 1 FROM case_finding cf JOIN finding fi ON fi.id = cf.finding_id WHERE cf.case_id = c.id AND fi.category = ?)', f.category);
    if (f.status) add('c.status = ANY(?::text[])', f.status);
    if (f.assignee === 'none') conds.push('c.assignee_id IS NULL');
    else if (f.assignee === 'me') {
      if (!actor.userId) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid filter', [{ path: 'assignee', reason: 'me needs a logged-in user' }]);
      add('c.assignee_id = ?::uuid', actor.userId);
    } else if (f.assignee) add('c.assignee_id = ?::uuid', f.assignee);
    if (f.minAmountFen !== undefined) add('c.amount_at_risk >= ?::numeric', yuanText(f.minAmountFen));
    if (f.maxAmountFen !== undefined) add('c.amount_at_risk <= ?::numeric', yuanText(f.maxAmountFen));
    if (f.period) add('c.period = ?', f.period);
    if (f.kind) add('c.kind = ?', f.kind);
    const where = conds.length ? `WHERE ${conds.join(' AND ')}` : '';
    const dir = f.order === 'asc' ? 'ASC' : 'DESC';
    const orderBy = f.sort === 'amount' ? `c.amount_at_risk ${dir}, c.opened_at DESC, c.number` : `c.opened_at ${dir}, c.number ${dir}`;
    const [{ total }] = await this.ds.query(`SELECT count(*)::int AS total FROM supervision_case c ${where}`, params);
    const rows: Record<string, unknown>[] = await this.ds.query(
      `SELECT c.*, c.review_due_on::text AS review_due_text, i.name AS institution_name, u.display_name AS assignee_name,
              (SELECT coalesce(array_agg(DISTINCT fi.category ORDER BY fi.category), '{}') FROM case_finding cf JOIN finding fi ON fi.id = cf.finding_id WHERE cf.case_id = c.id) AS categories
       FROM supervision_case c
       LEFT JOIN institution i ON i.code = c.institution_code
       LEFT JOIN user_account u ON u.id = c.assignee_id
       ${where} ORDER BY ${orderBy} LIMIT ${f.pageSize} OFFSET ${(f.page - 1) * f.pageSize}`,
      params,
    );
    return { total, page: f.page, pageSize: f.pageSize, items: rows.map((r) => this.listItem(r)) };
  }

  private listItem(r: Record<string, unknown>) {
    const snap = r.risk_snapshot as { score?: number } | null;
    return {
      id: r.id as string,
      number: r.number as string,
      kind: r.kind as string,
      grouping: r.grouping as string,
      institutionCode: r.institution_code as string,
      institutionName: (r.institution_name as string | null) ?? null,
      period: r.period as string,
      claimId: (r.claim_id as string | null) ?? null,
      status: r.status as CaseStatus,
      statusZh: CASE_STATUS_ZH[r.status as CaseStatus],
      assigneeId: (r.assignee_id as string | null) ?? null,
      assigneeName: (r.assignee_name as string | null) ?? null,
      amountAtRisk: yuanText(fenOf(r.amount_at_risk as string)),
      findingCount: r.finding_count as number,
      categories: (r.categories as string[] | null) ?? [],
      riskScore: snap?.score ?? null,
      openedAt: r.opened_at as Date,
      // ::text: pg turns a date column into a Date at local midnight, which is not a calendar date.
      reviewDueOn: r.review_due_text as string,
      decidedAt: (r.decided_at as Date | null) ?? null,
      appealDeadline: (r.appeal_deadline as Date | null) ?? null,
    };
  }

  /**
   * A case with everything needed to work it: findings (rule, why, evidence), the claims and lines
   * involved (patients as short pseudonyms), the institution's risk score for the period with its
   * drivers against peers, decisions, appeals, recoveries, and the actions open to this actor.
   */
  async detail(ref: string, actor: Actor) {
    const m = this.ds.manager;
    const c = await this.load(m, ref, actor, false);
    const now = new Date();
    const outstanding = await this.outstandingRecoveries(m, c.id);
    const [inst] = (await m.query(`SELECT name, kind, level FROM institution WHERE code = $1`, [c.institutionCode])) as { name: string; kind: string; level: number | null }[];
    const [assignee] = c.assigneeId ? ((await m.query(`SELECT display_name FROM user_account WHERE id = $1`, [c.assigneeId])) as { display_name: string }[]) : [];

    const findingRows: Record<string, unknown>[] = await m.query(
      `SELECT f.id, f.claim_pk, f.claim_id, f.item_seq, f.rule_id, f.rule_version, f.category, f.result_type, f.severity, f.amount_at_risk,
              f.why_zh, f.why_en, f.evidence, f.related_claim_id, f.status, f.physician_code, f.retired_at, to_char(f.settle_month, 'YYYY-MM') AS period,
              cf.outcome, cf.added_at
       FROM case_finding cf JOIN finding f ON f.id = cf.finding_id WHERE cf.case_id = $1 ORDER BY f.amount_at_risk DESC, f.id`,
      [c.id],
    );
    const findings = findingRows.map((f) => {
      const rule = this.rules.library.byId.get(f.rule_id as string);
      return {
        id: f.id as string,
        claimId: f.claim_id as string,
        itemSeq: (f.item_seq as number) === 0 ? null : (f.item_seq as number),
        ruleId: f.rule_id as string,
        ruleVersion: f.rule_version as number,
        ruleTitle: rule ? rule.spec.title : null,
        category: f.category as string,
        resultType: f.result_type as string,
        severity: f.severity as string,
        amountAtRisk: yuanText(fenOf(f.amount_at_risk as string)),
        why: { zh: f.why_zh as string, en: f.why_en as string },
        evidence: scrubEvidence(f.evidence),
        relatedClaimId: (f.related_claim_id as string | null) ?? null,
        physicianCode: (f.physician_code as string | null) ?? null,
        period: f.period as string,
        status: f.status as string,
        retired: f.status === 'retired',
        outcome: (f.outcome as FindingOutcome | null) ?? null,
      };
    });

    // The claims involved, most at risk first, each with every line (the flagged ones marked).
    const riskByClaim = new Map<string, bigint>();
    for (const f of findingRows) riskByClaim.set(String(f.claim_pk), (riskByClaim.get(String(f.claim_pk)) ?? 0n) + fenOf(f.amount_at_risk as string));
    const claimPks = [...riskByClaim.entries()].sort((a, b) => (b[1] > a[1] ? 1 : b[1] < a[1] ? -1 : 0)).map(([pk]) => pk);
    const shownPks = claimPks.slice(0, DETAIL_CLAIMS);
    const claimRows: Record<string, unknown>[] = shownPks.length
      ? await m.query(
          `SELECT c.id::text AS pk, c.claim_id, c.version, c.is_current, c.visit_type, c.admission_date::text AS admission_date, c.discharge_date::text AS discharge_date,
                  c.primary_diagnosis, c.secondary_diagnoses, c.discharge_status, c.total_amount, c.fund_paid, c.self_paid, c.patient_key, c.patient_gender,
                  date_part('year', age(c.admission_date, c.patient_birth_date))::int AS patient_age, c.physician_code, to_char(c.settle_month, 'YYYY-MM') AS period
           FROM claim c WHERE c.id = ANY($1::bigint[])`,
          [shownPks],
        )
      : [];
    const lineRows: Record<string, unknown>[] = shownPks.length
      ? await m.query(
          `SELECT claim_pk::text AS pk, item_seq, item_code, item_name, service_date::text AS service_date, unit_price, quantity::text AS quantity, amount, days_supply
           FROM claim_item WHERE claim_pk = ANY($1::bigint[]) ORDER BY claim_pk, item_seq`,
          [shownPks],
        )
      : [];
    const flagged = new Map<string, string[]>();
    for (const f of findingRows) {
      const k = `${f.claim_pk}|${f.item_seq}`;
      flagged.set(k, [...(flagged.get(k) ?? []), f.rule_id as string]);
    }
    const byPk = new Map(claimRows.map((r) => [r.pk as string, r]));
    const claims = shownPks
      .map((pk) => byPk.get(pk))
      .filter((r): r is Record<string, unknown> => !!r)
      .map((r) => ({
        claimId: r.claim_id as string,
        version: r.version as number,
        current: r.is_current as boolean,
        period: r.period as string,
        visitType: r.visit_type as string,
        admissionDate: r.admission_date as string,
        dischargeDate: r.discharge_date as string,
        primaryDiagnosis: (r.primary_diagnosis as string | null) ?? null,
        secondaryDiagnoses: (r.secondary_diagnoses as string[]) ?? [],
        dischargeStatus: (r.discharge_status as string | null) ?? null,
        physicianCode: (r.physician_code as string | null) ?? null,
        patient: { pseudonym: patientPseudonym(r.patient_key as string), gender: r.patient_gender as string, age: r.patient_age as number },
        totalAmount: yuanText(fenOf(r.total_amount as string)),
        fundPaid: yuanText(fenOf(r.fund_paid as string)),
        selfPaid: yuanText(fenOf(r.self_paid as string)),
        amountAtRisk: yuanText(riskByClaim.get(r.pk as string) ?? 0n),
        claimFlags: flagged.get(`${r.pk}|0`) ?? [],
        lines: lineRows
          .filter((l) => l.pk === r.pk)
          .map((l) => ({
            itemSeq: l.item_seq as number,
            itemCode: l.item_code as string,
            itemName: (l.item_name as string | null) ?? null,
            serviceDate: l.service_date as string,
            unitPrice: yuanText(fenOf(l.unit_price as string)),
            quantity: l.quantity as string,
            amount: yuanText(fenOf(l.amount as string)),
            daysSupply: (l.days_supply as number | null) ?? null,
            flaggedBy: flagged.get(`${r.pk}|${l.item_seq}`) ?? [],
          })),
      }));

    const [risk] = (await m.query(
      `SELECT r.score::float8 AS score, r.rank, r.peer_group AS "peerGroup", r.peer_size AS "peerSize", r.drivers, r.supervised, r.model_version AS "modelVersion", r.computed_at AS "computedAt",
              (SELECT count(*)::int FROM risk_score x WHERE x.entity_type = 'institution' AND x.period = r.period) AS "rankedOf"
       FROM risk_score r WHERE r.entity_type = 'institution' AND r.entity_code = $1 AND r.period = $2`,
      [c.institutionCode, c.period],
    )) as Record<string, unknown>[];

    const decisions = (await m.getRepository(CaseDecision).find({ where: { caseId: c.id }, order: { decidedAt: 'ASC' } })).map((d) => this.decisionView(d));
    const appeals = (await m.getRepository(CaseAppeal).find({ where: { caseId: c.id }, order: { filedAt: 'ASC' } })).map((a) => ({
      id: a.id,
      decisionId: a.decisionId,
      filedBy: a.filedBy,
      filedByName: a.filedByName,
      reason: a.reason,
      filedAt: a.filedAt,
      outcome: a.outcome,
      outcomeReason: a.outcomeReason,
      decidedBy: a.decidedBy,
      decidedByName: a.decidedByName,
      decidedAt: a.decidedAt,
      newDecisionId: a.newDecisionId,
    }));
    const recoveries = await this.recoveryViews(m, { caseId: c.id }, 1, 100);
    const actions = actor ? allowedActions(this.workflowCase(c, outstanding), actor, now) : [];
    const history =
      actor.role === 'institution'
        ? undefined
        : (await this.audit.list({ entityType: 'case', entityId: c.id, limit: 200, offset: 0 })).items.map((e) => ({ at: e.at, action: e.action, actor: e.actor }));

    return {
      id: c.id,
      number: c.number,
      kind: c.kind,
      grouping: c.grouping,
      institution: { code: c.institutionCode, name: inst?.name ?? null, kind: inst?.kind ?? null, level: inst?.level ?? null },
      period: c.period,
      claimId: c.claimId,
      status: c.status,
      statusZh: CASE_STATUS_ZH[c.status],
      assigneeId: c.assigneeId,
      assigneeName: assignee?.display_name ?? null,
      amountAtRisk: yuanText(fenOf(c.amountAtRisk)),
      findingCount: c.findingCount,
      openedAt: c.openedAt,
      reviewDueOn: String(c.reviewDueOn).slice(0, 10),
      reviewedAt: c.reviewedAt,
      confirmReason: c.confirmReason,
      dismissReason: c.dismissReason,
      decidedAt: c.decidedAt,
      appealDeadline: c.appealDeadline,
      appealWaived: c.appealWaived,
      finalAt: c.finalAt,
      closedAt: c.closedAt,
      closeReason: c.closeReason,
      riskSnapshot: c.riskSnapshot,
      findings,
      claims,
      claimsTotal: claimPks.length,
      risk: risk ?? null,
      decisions,
      currentDecision: decisions.find((d) => d.supersededBy === null) ?? null,
      appeals,
      recoveries: recoveries.items,
      allowedActions: actions,
      paymentAllowed: ['admin', 'supervisor'].includes(actor.role) && ['decided', 'appealed', 'final'].includes(c.status),
      ...(history ? { history } : {}),
    };
  }

  private decisionView(d: CaseDecision) {
    return {
      id: d.id,
      violationType: d.violationType,
      article: d.article,
      articleZh: ARTICLE_RANGES[d.article]?.titleZh ?? null,
      clauseText: d.clauseText,
      amountToRecover: yuanText(fenOf(d.amountToRecover)),
      fineMultiple: d.fineMultiple,
      fineAmount: yuanText(fenOf(d.fineAmount)),
      suspensionMonths: d.suspensionMonths,
      agreementAction: d.agreementAction,
      agreementActionZh: AGREEMENT_ACTION_ZH[d.agreementAction],
      reason: d.reason,
      decidedBy: d.decidedBy,
      decidedByName: d.decidedByName,
      decidedAt: d.decidedAt,
      supersededBy: d.supersededBy,
      responsiblePhysicianCode: d.responsiblePhysicianCode,
      physicianPoints: d.physicianPoints,
      physicianSeverityBand: d.physicianSeverityBand,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Changing

  /**
   * One workflow step in one transaction: lock the case, ask the workflow, apply the change, audit
   * it (before and after), close the case when it became final with nothing left to collect.
   */
  private async step(
    ref: string,
    by: Acting,
    action: CaseAction,
    input: ActionInput,
    auditAction: string,
    apply: (m: EntityManager, c: SupervisionCase, t: Transition, now: Date) => Promise<void>,
  ): Promise<string> {
    return this.ds.transaction(async (m) => {
      const c = await this.load(m, ref, by.actor, true);
      const now = new Date();
      const t = transition(this.workflowCase(c, await this.outstandingRecoveries(m, c.id)), action, by.actor, input, now);
      const before = await this.snapshot(m, c);
      await apply(m, c, t, now);
      c.status = t.to;
      if (t.assignTo) c.assigneeId = t.assignTo;
      await m.getRepository(SupervisionCase).save(c);
      await this.audit.record(m, { actor: by.actor, action: auditAction, entityType: 'case', entityId: c.id, before, after: await this.snapshot(m, c), ip: by.ip });
      if (t.to === 'final' && before.status !== 'final') await this.emitFinal(m, c, by, now);
      await this.closeIfSettled(m, c, by, now);
      return c.id;
    });
  }

  /** Tells the listeners (credit, the physicians' record) that the case's decision is final. */
  private async emitFinal(m: EntityManager, c: SupervisionCase, by: Acting, now: Date): Promise<void> {
    const decision = await this.currentDecision(m, c.id);
    if (!decision) throw new Error(`case ${c.number} became final without a decision`);
    const rows = (await m.query(
      `SELECT DISTINCT f.category, f.severity FROM case_finding cf JOIN finding f ON f.id = cf.finding_id WHERE cf.case_id = $1 AND f.status = 'confirmed'`,
      [c.id],
    )) as { category: string; severity: string }[];
    const distinct = (xs: string[]) => [...new Set(xs)].sort();
    await this.events.emitFinal(m, {
      case: c,
      decision,
      confirmedCategories: distinct(rows.map((r) => r.category)),
      confirmedSeverities: distinct(rows.map((r) => r.severity)),
      actor: by.actor,
      ip: by.ip ?? null,
      at: now,
    });
  }

  /** A final case with nothing left to collect (every recovery paid, or none ordered) closes itself. */
  private async closeIfSettled(m: EntityManager, c: SupervisionCase, by: Acting, now: Date): Promise<void> {
    if (c.status !== 'final') return;
    const [r] = (await m.query(
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE amount_paid < amount_due)::int AS outstanding FROM recovery WHERE case_id = $1 AND cancelled_at IS NULL`,
      [c.id],
    )) as { total: number; outstanding: number }[];
    if (r!.outstanding > 0) return;
    const before = await this.snapshot(m, c);
    c.status = 'closed';
    c.closedAt = now;
    c.closeReason = r!.total > 0 ? '追回款项已全部缴清 (every recovery paid)' : '无待追回款项 (nothing to recover)';
    await m.getRepository(SupervisionCase).save(c);
    await this.audit.record(m, { actor: by.actor, action: 'case.close', entityType: 'case', entityId: c.id, before, after: { ...(await this.snapshot(m, c)), closeReason: c.closeReason }, ip: by.ip });
  }

  private async recomputeAmount(m: EntityManager, c: SupervisionCase): Promise<void> {
    const [s] = (await m.query(
      `SELECT count(*)::int AS n, coalesce(sum(f.amount_at_risk) FILTER (WHERE f.status NOT IN ('retired', 'dismissed')), 0)::text AS amount
       FROM case_finding cf JOIN finding f ON f.id = cf.finding_id WHERE cf.case_id = $1`,
      [c.id],
    )) as { n: number; amount: string }[];
    c.amountAtRisk = yuanText(fenOf(s!.amount));
    c.findingCount = s!.n;
  }

  /**
   * The learning loop: a reviewed outcome goes to the finding itself (confirmed / dismissed), so the
   * rule's precision and the risk model's labels follow reviews. Retired findings keep their status.
   */
  private async writeOutcomes(m: EntityManager, caseId: string, outcomes: Map<string, FindingOutcome>): Promise<void> {
    if (!outcomes.size) return;
    const ids = [...outcomes.keys()];
    const vals = ids.map((id) => outcomes.get(id)!);
    await m.query(
      `UPDATE case_finding cf SET outcome = u.o FROM unnest($1::bigint[], $2::text[]) AS u(id, o) WHERE cf.case_id = $3 AND cf.finding_id = u.id`,
      [ids, vals, caseId],
    );
    await m.query(
      `UPDATE finding f SET status = u.o, updated_at = now() FROM unnest($1::bigint[], $2::text[]) AS u(id, o) WHERE f.id = u.id AND f.status <> 'retired'`,
      [ids, vals],
    );
  }

  /** The case's findings with their current status, locked for the review. */
  private async caseFindings(m: EntityManager, caseId: string): Promise<{ id: string; status: string }[]> {
    return m.query(`SELECT f.id::text AS id, f.status FROM case_finding cf JOIN finding f ON f.id = cf.finding_id WHERE cf.case_id = $1 ORDER BY f.id FOR UPDATE OF f`, [caseId]);
  }

  /** Assigns the case to a supervisor or admin (open, in review or confirmed cases). */
  async assign(ref: string, assigneeId: string, by: Acting): Promise<string> {
    const [u] = (await this.ds.query(`SELECT role, disabled_at FROM user_account WHERE id = $1`, [assigneeId])) as { role: string; disabled_at: Date | null }[];
    if (!u || u.disabled_at) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid assignee', [{ path: 'assigneeId', reason: u ? 'the account is disabled' : 'no such user' }]);
    if (u.role !== 'supervisor' && u.role !== 'admin') {
      throw new DomainException(DomainErrorCode.InvalidInput, 'invalid assignee', [{ path: 'assigneeId', reason: `must be a supervisor or admin (this user is ${u.role})` }]);
    }
    return this.step(ref, by, 'assign', {}, 'case.assign', async (_m, c) => {
      c.assigneeId = assigneeId;
    });
  }

  /** open → in_review; an unassigned case is assigned to whoever starts the review. */
  async startReview(ref: string, by: Acting): Promise<string> {
    return this.step(ref, by, 'start_review', {}, 'case.start_review', async () => undefined);
  }

  /**
   * in_review → confirmed, with an outcome per finding (default: confirmed); at least one must be
   * confirmed (dismissing them all is dismissing the case). A risk case without findings needs a reason.
   */
  async confirm(ref: string, input: { outcomes: Map<string, FindingOutcome>; reason: string | null }, by: Acting): Promise<string> {
    return this.step(ref, by, 'confirm', { reason: input.reason }, 'case.confirm', async (m, c, _t, now) => {
      const rows = await this.caseFindings(m, c.id);
      const byId = new Map(rows.map((r) => [r.id, r]));
      const errors = [];
      for (const id of input.outcomes.keys()) {
        const f = byId.get(id);
        if (!f) errors.push({ path: `outcomes.${id}`, reason: `finding ${id} is not in case ${c.number}` });
        else if (f.status === 'retired') errors.push({ path: `outcomes.${id}`, reason: `finding ${id} is retired (its claim changed): it takes no outcome` });
      }
      const active = rows.filter((r) => r.status !== 'retired');
      const outcomes = new Map(active.map((r) => [r.id, input.outcomes.get(r.id) ?? ('confirmed' as FindingOutcome)]));
      if (active.length && ![...outcomes.values()].includes('confirmed')) {
        errors.push({ path: 'outcomes', reason: 'at least one finding must be confirmed; to dismiss every finding, dismiss the case' });
      }
      if (!active.length && !input.reason) {
        errors.push({ path: 'reason', reason: `is required: case ${c.number} has no finding to confirm, say what was found` });
      }
      if (errors.length) throw new DomainException(DomainErrorCode.InvalidInput, `cannot confirm case ${c.number}`, errors);
      await this.writeOutcomes(m, c.id, outcomes);
      await this.recomputeAmount(m, c);
      c.reviewedAt = now;
      c.confirmReason = input.reason;
    });
  }

  /** in_review → dismissed (reason required); every finding of the case is dismissed. */
  async dismiss(ref: string, input: { reason: string | null }, by: Acting): Promise<string> {
    return this.step(ref, by, 'dismiss', { reason: input.reason }, 'case.dismiss', async (m, c, _t, now) => {
      const rows = await this.caseFindings(m, c.id);
      await this.writeOutcomes(m, c.id, new Map(rows.filter((r) => r.status !== 'retired').map((r) => [r.id, 'dismissed' as FindingOutcome])));
      await this.recomputeAmount(m, c);
      c.reviewedAt = now;
      c.dismissReason = input.reason;
    });
  }

  private checkRanges(d: DecisionInput, prefix = ''): void {
    const errors = checkPenaltyRanges(d).map((e) => ({ ...e, path: `${prefix}${e.path}` }));
    if (errors.length) throw new DomainException(DomainErrorCode.InvalidInput, `the decision is outside the range of 条例 art. ${d.article}`, errors);
  }

  /**
   * The responsible physician must exist and belong to the case's institution, or (a physician who
   * has since moved) be the physician of one of the case's claims.
   */
  private async checkResponsiblePhysician(m: EntityManager, c: SupervisionCase, d: DecisionInput, prefix = ''): Promise<void> {
    const code = d.responsiblePhysicianCode;
    if (code === null) return;
    const [p] = (await m.query(`SELECT institution_code FROM physician WHERE code = $1`, [code])) as { institution_code: string }[];
    let reason: string | null = null;
    if (!p) reason = `no physician ${code} in the physician directory`;
    else if (p.institution_code !== c.institutionCode) {
      const [onCase] = await m.query(
        `SELECT 1 FROM case_finding cf JOIN finding f ON f.id = cf.finding_id JOIN claim cl ON cl.id = f.claim_pk WHERE cf.case_id = $1 AND cl.physician_code = $2 LIMIT 1`,
        [c.id, code],
      );
      if (!onCase) reason = `physician ${code} belongs to ${p.institution_code}, not to ${c.institutionCode}, and treated none of the case's claims`;
    }
    if (reason) throw new DomainException(DomainErrorCode.InvalidInput, `invalid responsible physician for case ${c.number}`, [{ path: `${prefix}responsiblePhysicianCode`, reason }]);
  }

  private async insertDecision(m: EntityManager, c: SupervisionCase, d: DecisionInput, by: Acting, now: Date): Promise<CaseDecision> {
    return m.getRepository(CaseDecision).save(
      m.getRepository(CaseDecision).create({
        caseId: c.id,
        violationType: d.violationType,
        article: d.article,
        clauseText: d.clauseText,
        amountToRecover: yuanText(d.recoverFen),
        fineMultiple: multipleText(d.fineMultipleHundredths),
        fineAmount: yuanText(fineFen(d.recoverFen, d.fineMultipleHundredths)),
        suspensionMonths: d.suspensionMonths,
        agreementAction: d.agreementAction,
        reason: d.reason,
        decidedBy: by.actor.userId,
        decidedByName: by.actor.name,
        decidedAt: now,
        supersededBy: null,
        responsiblePhysicianCode: d.responsiblePhysicianCode,
        physicianPoints: d.physicianPoints,
        physicianSeverityBand: d.physicianPoints === null ? null : (this.physicianPolicy.bandOf(d.physicianPoints)?.band ?? null),
      }),
    );
  }

  /** The refund and the fine a decision orders: created, or (amended decision) set to the new amounts. */
  private async applyRecoveries(m: EntityManager, c: SupervisionCase, d: CaseDecision, by: Acting, now: Date): Promise<void> {
    const repo = m.getRepository(Recovery);
    const due: Record<RecoveryKind, string> = { refund: d.amountToRecover, fine: d.fineAmount };
    for (const kind of ['refund', 'fine'] as RecoveryKind[]) {
      const amount = yuanText(fenOf(due[kind]));
      const existing = await repo.findOne({ where: { caseId: c.id, kind }, lock: { mode: 'pessimistic_write' } });
      if (!existing) {
        if (fenOf(amount) === 0n) continue;
        const r = await repo.save(
          repo.create({ caseId: c.id, decisionId: d.id, kind, institutionCode: c.institutionCode, amountDue: amount, amountPaid: '0.00', dueDate: this.localDate(now, this.config.cases.recoveryDays), cancelledAt: null }),
        );
        await this.audit.record(m, { actor: by.actor, action: 'recovery.create', entityType: 'recovery', entityId: r.id, after: this.recoverySnapshot(r, c.number), ip: by.ip });
        continue;
      }
      const before = this.recoverySnapshot(existing, c.number);
      existing.decisionId = d.id;
      existing.amountDue = amount;
      existing.dueDate = this.localDate(now, this.config.cases.recoveryDays);
      existing.cancelledAt = null;
      await repo.save(existing);
      await this.audit.record(m, { actor: by.actor, action: 'recovery.amend', entityType: 'recovery', entityId: existing.id, before, after: this.recoverySnapshot(existing, c.number), ip: by.ip });
    }
  }

  private recoverySnapshot(r: Recovery, caseNumber: string) {
    return { caseNumber, kind: r.kind, amountDue: yuanText(fenOf(r.amountDue)), amountPaid: yuanText(fenOf(r.amountPaid)), dueDate: String(r.dueDate).slice(0, 10), cancelled: r.cancelledAt !== null };
  }

  /** confirmed → decided: the decision (checked against its article's ranges) and the recoveries it orders. */
  async decide(ref: string, d: DecisionInput, by: Acting): Promise<string> {
    return this.step(ref, by, 'decide', {}, 'case.decide', async (m, c, _t, now) => {
      this.checkRanges(d);
      await this.checkResponsiblePhysician(m, c, d);
      const decision = await this.insertDecision(m, c, d, by, now);
      c.decidedAt = now;
      c.appealDeadline = appealDeadline(now, this.config.cases.appealDays);
      await this.applyRecoveries(m, c, decision, by, now);
    });
  }

  /** decided → appealed: the institution contests the decision within the appeal window (申诉). */
  async appeal(ref: string, input: { reason: string | null }, by: Acting): Promise<string> {
    return this.step(ref, by, 'appeal', { reason: input.reason }, 'case.appeal', async (m, c, _t, now) => {
      const d = await this.currentDecision(m, c.id);
      if (!d) throw new DomainException(DomainErrorCode.Conflict, `case ${c.number} has no decision to appeal`);
      await m.getRepository(CaseAppeal).save(
        m.getRepository(CaseAppeal).create({ caseId: c.id, decisionId: d.id, filedBy: by.actor.userId, filedByName: by.actor.name, reason: input.reason!, filedAt: now }),
      );
    });
  }

  /**
   * appealed → final (upheld: the decision stands; amended: a new decision supersedes it and the
   * recoveries follow) or → dismissed (overturned: findings dismissed, recoveries cancelled).
   */
  async decideAppeal(ref: string, input: { outcome: AppealOutcome | undefined; reason: string | null; decision: DecisionInput | null }, by: Acting): Promise<string> {
    return this.step(
      ref,
      by,
      'decide_appeal',
      { outcome: input.outcome, reason: input.reason, hasDecision: input.decision !== null },
      'case.appeal_decide',
      async (m, c, _t, now) => {
        const appeal = await m.getRepository(CaseAppeal).findOne({ where: { caseId: c.id, outcome: IsNull() }, lock: { mode: 'pessimistic_write' } });
        if (!appeal) throw new DomainException(DomainErrorCode.Conflict, `case ${c.number} has no pending appeal`);
        appeal.outcome = input.outcome!;
        appeal.outcomeReason = input.reason;
        appeal.decidedBy = by.actor.userId;
        appeal.decidedByName = by.actor.name;
        appeal.decidedAt = now;
        if (input.outcome === 'amended') {
          this.checkRanges(input.decision!, 'decision.');
          await this.checkResponsiblePhysician(m, c, input.decision!, 'decision.');
          const old = await this.currentDecision(m, c.id);
          const next = await this.insertDecision(m, c, input.decision!, by, now);
          if (old) await m.getRepository(CaseDecision).update({ id: old.id }, { supersededBy: next.id });
          appeal.newDecisionId = next.id;
          await this.applyRecoveries(m, c, next, by, now);
          c.finalAt = now;
        } else if (input.outcome === 'upheld') {
          c.finalAt = now;
        } else {
          const rows = await this.caseFindings(m, c.id);
          await this.writeOutcomes(m, c.id, new Map(rows.filter((r) => r.status !== 'retired').map((r) => [r.id, 'dismissed' as FindingOutcome])));
          await this.recomputeAmount(m, c);
          const open = await m.getRepository(Recovery).find({ where: { caseId: c.id }, lock: { mode: 'pessimistic_write' } });
          for (const r of open.filter((x) => x.cancelledAt === null)) {
            const before = this.recoverySnapshot(r, c.number);
            r.cancelledAt = now;
            await m.getRepository(Recovery).save(r);
            await this.audit.record(m, { actor: by.actor, action: 'recovery.cancel', entityType: 'recovery', entityId: r.id, before, after: this.recoverySnapshot(r, c.number), ip: by.ip });
          }
          c.dismissReason = input.reason;
        }
        await m.getRepository(CaseAppeal).save(appeal);
      },
    );
  }

  /** decided → final once the appeal window has passed, or at once when the institution waived its appeal. */
  async finalize(ref: string, input: { waived: boolean }, by: Acting): Promise<string> {
    return this.step(ref, by, 'finalize', { waived: input.waived }, 'case.finalize', async (_m, c, _t, now) => {
      if (input.waived) c.appealWaived = true;
      c.finalAt = now;
    });
  }

  /** final or dismissed → closed (a reason is needed while recoveries are outstanding). */
  async close(ref: string, input: { reason: string | null }, by: Acting): Promise<string> {
    return this.step(ref, by, 'close', { reason: input.reason }, 'case.close', async (_m, c, _t, now) => {
      c.closedAt = now;
      c.closeReason = input.reason;
    });
  }

  // -------------------------------------------------------------------------------------------
  // Recoveries

  private recoveryStatusSql(today: string) {
    return `CASE WHEN r.cancelled_at IS NOT NULL THEN 'cancelled' WHEN r.amount_paid >= r.amount_due THEN 'paid' WHEN r.due_date < '${today}'::date THEN 'overdue' ELSE 'open' END`;
  }

  private async recoveryViews(m: EntityManager, f: Omit<RecoveryListFilter, 'page' | 'pageSize'>, page: number, pageSize: number) {
    const today = this.localDate();
    const status = this.recoveryStatusSql(today);
    const conds: string[] = [];
    const params: unknown[] = [];
    if (f.caseId) conds.push(`r.case_id = $${params.push(f.caseId)}`);
    if (f.institution) conds.push(`r.institution_code = $${params.push(f.institution)}`);
    if (f.status) conds.push(`${status} = $${params.push(f.status)}`);
    const where = conds.length ? `WHERE ${conds.join(' AND ')}` : '';
    const [{ total }] = await m.query(`SELECT count(*)::int AS total FROM recovery r ${where}`, params);
    const rows: Record<string, unknown>[] = await m.query(
      `SELECT r.*, r.due_date::text AS due, c.number AS case_number, ${status} AS status
       FROM recovery r JOIN supervision_case c ON c.id = r.case_id ${where}
       ORDER BY r.due_date, c.number, r.kind LIMIT ${pageSize} OFFSET ${(page - 1) * pageSize}`,
      params,
    );
    const payments: Record<string, unknown>[] = rows.length
      ? await m.query(`SELECT id, recovery_id, amount, paid_on::text AS paid_on, reference, recorded_by, recorded_by_name, created_at FROM recovery_payment WHERE recovery_id = ANY($1::uuid[]) ORDER BY paid_on, created_at`, [
          rows.map((r) => r.id),
        ])
      : [];
    return {
      total: total as number,
      page,
      pageSize,
      items: rows.map((r) => ({
        id: r.id as string,
        caseId: r.case_id as string,
        caseNumber: r.case_number as string,
        decisionId: r.decision_id as string,
        kind: r.kind as RecoveryKind,
        institutionCode: r.institution_code as string,
        amountDue: yuanText(fenOf(r.amount_due as string)),
        amountPaid: yuanText(fenOf(r.amount_paid as string)),
        outstanding: yuanText(r.cancelled_at ? 0n : fenOf(r.amount_due as string) - fenOf(r.amount_paid as string) > 0n ? fenOf(r.amount_due as string) - fenOf(r.amount_paid as string) : 0n),
        dueDate: r.due as string,
        status: r.status as string,
        cancelledAt: (r.cancelled_at as Date | null) ?? null,
        payments: payments
          .filter((p) => p.recovery_id === r.id)
          .map((p) => ({ id: p.id as string, amount: yuanText(fenOf(p.amount as string)), paidOn: p.paid_on as string, reference: p.reference as string, recordedBy: p.recorded_by as string | null, recordedByName: p.recorded_by_name as string, recordedAt: p.created_at as Date })),
      })),
    };
  }

  /** Recoveries, filtered and paged; an institution login sees only its own. */
  async listRecoveries(f: RecoveryListFilter, actor: Actor) {
    const own = ownInstitution(actor, f.institution);
    return this.recoveryViews(this.ds.manager, { ...f, institution: own ?? f.institution }, f.page, f.pageSize);
  }

  /** Records a payment against a recovery (never more than is outstanding); the case closes when it is final and all is paid. */
  async recordPayment(recoveryId: string, p: PaymentInput, by: Acting) {
    if (!isUuid(recoveryId)) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid recovery id', [{ path: 'id', reason: 'must be a UUID' }]);
    const caseId = await this.ds.transaction(async (m) => {
      const found = await m.getRepository(Recovery).findOne({ where: { id: recoveryId } });
      if (!found || !mayRead(by.actor, found.institutionCode)) throw new DomainException(DomainErrorCode.NotFound, `recovery ${recoveryId} does not exist`);
      // The case first, then the recovery: the order every workflow step locks them in.
      const c = await this.load(m, found.caseId, by.actor, true);
      const r = (await m.getRepository(Recovery).findOne({ where: { id: recoveryId }, lock: { mode: 'pessimistic_write' } }))!;
      if (r.cancelledAt) throw new DomainException(DomainErrorCode.Conflict, `the ${r.kind} of case ${c.number} was cancelled (the decision was overturned); nothing is due`);
      if (!['decided', 'appealed', 'final'].includes(c.status)) {
        throw new DomainException(DomainErrorCode.Conflict, `case ${c.number} is ${c.status}; payments are recorded on decided, appealed or final cases`);
      }
      const outstanding = fenOf(r.amountDue) - fenOf(r.amountPaid);
      const errors = [];
      if (p.amountFen > outstanding) errors.push({ path: 'amount', reason: `exceeds what is outstanding on this ${r.kind}: ${yuanText(outstanding > 0n ? outstanding : 0n)}` });
      if (p.paidOn > this.localDate()) errors.push({ path: 'paidOn', reason: 'is in the future' });
      if (errors.length) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid payment', errors);
      const before = this.recoverySnapshot(r, c.number);
      const pay = await m.query(
        `INSERT INTO recovery_payment (recovery_id, amount, paid_on, reference, recorded_by, recorded_by_name) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
        [r.id, yuanText(p.amountFen), p.paidOn, p.reference, by.actor.userId, by.actor.name],
      );
      r.amountPaid = yuanText(fenOf(r.amountPaid) + p.amountFen);
      await m.getRepository(Recovery).save(r);
      await this.audit.record(m, {
        actor: by.actor,
        action: 'recovery.payment',
        entityType: 'recovery',
        entityId: r.id,
        before,
        after: { ...this.recoverySnapshot(r, c.number), payment: { id: (pay as { id: string }[])[0]!.id, amount: yuanText(p.amountFen), paidOn: p.paidOn, reference: p.reference } },
        ip: by.ip,
      });
      await this.closeIfSettled(m, c, by, new Date());
      return c.id;
    });
    return (await this.recoveryViews(this.ds.manager, { caseId }, 1, 100)).items.find((x) => x.id === recoveryId)!;
  }

  /** Who a case may be assigned to: active supervisors and admins. */
  async assignableUsers(): Promise<{ id: string; name: string; role: string }[]> {
    return this.ds.query(`SELECT id, display_name AS name, role FROM user_account WHERE role IN ('supervisor', 'admin') AND disabled_at IS NULL ORDER BY display_name, id`);
  }

  // -------------------------------------------------------------------------------------------
  // Dashboard

  /** Counts for the dashboard: cases by status, open amount at risk, overdue recoveries, active cases per assignee. */
  async summary(scope: { institutionCode?: string } = {}) {
    const inst = scope.institutionCode ?? null;
    const today = this.localDate();
    const byStatusRows: { status: CaseStatus; n: number; amount: string }[] = await this.ds.query(
      `SELECT status, count(*)::int AS n, coalesce(sum(amount_at_risk), 0)::text AS amount FROM supervision_case WHERE ($1::text IS NULL OR institution_code = $1) GROUP BY status`,
      [inst],
    );
    const byStatus = Object.fromEntries(CASE_STATUSES.map((s) => [s, byStatusRows.find((r) => r.status === s)?.n ?? 0])) as Record<CaseStatus, number>;
    const active: CaseStatus[] = ['open', 'in_review', 'confirmed'];
    const openAmount = byStatusRows.filter((r) => active.includes(r.status)).reduce((s, r) => s + fenOf(r.amount), 0n);
    const [overdue] = (await this.ds.query(
      `SELECT count(*)::int AS n, coalesce(sum(amount_due - amount_paid), 0)::text AS outstanding FROM recovery
       WHERE cancelled_at IS NULL AND amount_paid < amount_due AND due_date < $1::date AND ($2::text IS NULL OR institution_code = $2)`,
      [today, inst],
    )) as { n: number; outstanding: string }[];
    const [reviewOverdue] = (await this.ds.query(
      `SELECT count(*)::int AS n FROM supervision_case WHERE status IN ('open', 'in_review') AND review_due_on < $1::date AND ($2::text IS NULL OR institution_code = $2)`,
      [today, inst],
    )) as { n: number }[];
    const perAssignee: { assignee_id: string | null; name: string | null; n: number; amount: string }[] = await this.ds.query(
      `SELECT c.assignee_id, u.display_name AS name, count(*)::int AS n, coalesce(sum(c.amount_at_risk), 0)::text AS amount
       FROM supervision_case c LEFT JOIN user_account u ON u.id = c.assignee_id
       WHERE c.status = ANY($1::text[]) AND ($2::text IS NULL OR c.institution_code = $2)
       GROUP BY 1, 2 ORDER BY n DESC, name NULLS FIRST`,
      [active, inst],
    );
    return {
      byStatus,
      activeCases: active.reduce((s, k) => s + byStatus[k], 0),
      openAmountAtRisk: yuanText(openAmount),
      reviewOverdue: reviewOverdue!.n,
      overdueRecoveries: { count: overdue!.n, outstanding: yuanText(fenOf(overdue!.outstanding)) },
      perAssignee: perAssignee.map((r) => ({ assigneeId: r.assignee_id, assigneeName: r.name, cases: r.n, amountAtRisk: yuanText(fenOf(r.amount)) })),
    };
  }
}
