import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { mayRead, ownInstitution } from '../accounts/institution-scope';
import { Actor, systemActor } from '../accounts/roles';
import { AuditService } from '../audit/audit.service';
import { CaseEvents, CaseFinalEvent } from '../cases/case-events';
import { CasesService } from '../cases/cases.service';
import { DomainErrorCode, DomainException } from '../common/domain.exception';
import {
  BonusKind,
  CreditPolicy,
  gradeOf,
  INSPECTION_OUTCOMES,
  InspectionOutcome,
  LoadedPolicy,
  priceBonus,
  priceInspection,
  priceOverdueRecovery,
  priceViolation,
  Severity,
  SEVERITIES,
} from './credit-policy';
import { CreditPolicyService } from './credit-policy.service';
import { CreditListFilter, CreditRequestFilter, parseEntryId, parseRequestId } from './credit.dto';
import { CreditRequestStatus, CreditRequestType } from './credit.entities';
import { addDays, addMonths, addWorkingDays, CauseFacts, compareUnderDraft, cycleOf, EntryKind, LedgerEntryFacts, localDate, replay, standingOf } from './ledger';

/** Serialises year-end rollovers (the scheduled job, the CLI, a start in in-process mode). */
const CREDIT_ROLLOVER_LOCK = 7270012;

/** Who acts, and from where. */
export interface CreditActing {
  actor: Actor;
  ip?: string | null;
}

/** What the inspections module reports about an on-site inspection. */
export interface InspectionResultInput {
  institutionCode: string;
  inspectionId: string;
  outcome: InspectionOutcome;
  /** When the inspection took place. */
  at: Date;
  actor: Actor;
  ip?: string | null;
}

export interface GradeInfo {
  score: number;
  grade: string;
  samplingRatio: number;
}

interface NewEntry {
  institutionCode: string;
  cycle: number;
  kind: EntryKind;
  points: number;
  causeType: string;
  causeId: string;
  facts: CauseFacts;
  reasonZh: string;
  reasonEn: string;
  effectiveAt: Date;
  reversesEntryId?: string | null;
}

interface EntryRow {
  id: string;
  institution_code: string;
  cycle: number;
  points: number;
  kind: EntryKind;
  cause_type: string;
  cause_id: string;
  cause_facts: CauseFacts;
  policy_version: number;
  reason_zh: string;
  reason_en: string;
  actor_user_id: string | null;
  actor_name: string;
  actor_role: string;
  effective_at: Date;
  reverses_entry_id: string | null;
  created_at: Date;
}

interface RequestRow {
  id: string;
  type: CreditRequestType;
  institution_code: string;
  entry_id: string;
  reason: string;
  filed_by: string | null;
  filed_by_name: string;
  filed_at: Date;
  due_on: string;
  status: CreditRequestStatus;
  decision_reason: string | null;
  rectified: boolean | null;
  decided_by: string | null;
  decided_by_name: string | null;
  decided_at: Date | null;
  result_entry_id: string | null;
}

const ENTRY_COLUMNS = `id::text AS id, institution_code, cycle, points, kind, cause_type, cause_id, cause_facts, policy_version, reason_zh, reason_en,
  actor_user_id, actor_name, actor_role, effective_at, reverses_entry_id::text AS reverses_entry_id, created_at`;
const requestColumns = (a: string) =>
  `${a}.id, ${a}.type, ${a}.institution_code, ${a}.entry_id::text AS entry_id, ${a}.reason, ${a}.filed_by, ${a}.filed_by_name, ${a}.filed_at, ${a}.due_on::text AS due_on,
   ${a}.status, ${a}.decision_reason, ${a}.rectified, ${a}.decided_by, ${a}.decided_by_name, ${a}.decided_at, ${a}.result_entry_id::text AS result_entry_id`;
const REQUEST_COLUMNS = requestColumns('credit_request');

/** Deductions an institution may appeal (reversals, repairs and bonuses are not deductions to contest). */
const APPEALABLE: EntryKind[] = ['violation', 'inspection', 'overdue_recovery'];

const ARTICLE_ZH: Record<string, string> = { '38': '第三十八条', '40': '第四十条' };
const SEVERITY_ZH: Record<Severity, string> = { low: '低', medium: '中', high: '高' };
const BONUS_ZH: Record<BonusKind, string> = { clean_inspection: '检查合规', self_correction: '自查自纠', pledge_signed: '签署信用承诺' };
const BONUS_EN: Record<BonusKind, string> = { clean_inspection: 'clean inspection', self_correction: 'voluntary self-correction', pledge_signed: 'credit pledge signed' };
const OUTCOME_ZH: Record<InspectionOutcome, string> = { compliant: '合规', violations: '发现违规', referred: '移交立案' };
const signed = (n: number) => (n > 0 ? `+${n}` : n < 0 ? `−${-n}` : '±0');

const conflict = (message: string) => new DomainException(DomainErrorCode.Conflict, message);
const notFound = (message: string) => new DomainException(DomainErrorCode.NotFound, message);

/**
 * 信用管理: the institutions' credit ledger. Every change is an entry linked to its cause and to the
 * policy version that priced it; scores and grades are replayed from the entries (a cache per
 * institution and cycle is refreshed in the same transaction); appeals, repairs, the overdue scan,
 * the year-end rollover and what-if runs of draft policies.
 */
@Injectable()
export class CreditService implements OnModuleInit {
  private readonly logger = new Logger('Credit');

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly policies: CreditPolicyService,
    private readonly audit: AuditService,
    private readonly events: CaseEvents,
    private readonly cases: CasesService,
  ) {}

  async onModuleInit() {
    const reg = await this.policies.register();
    this.events.onFinal('credit', (m, e) => this.onCaseFinal(m, e));
    // Standings take the scale and bands of the policy in force: a new version regrades everyone.
    if (reg.isNew) {
      const r = await this.recomputeAll(systemActor('credit.policy'), `policy version ${reg.version}`);
      if (r.changed) this.logger.log(`credit policy version ${reg.version}: ${r.changed} standing(s) changed`);
    }
  }

  private get policy(): CreditPolicy {
    return this.policies.policy;
  }

  private get tz(): string {
    return this.policy.cycle.timeZone;
  }

  /** The cycle (calendar year in the policy's zone) of an instant. */
  cycleAt(at: Date = new Date()): number {
    return cycleOf(at, this.tz);
  }

  today(): string {
    return localDate(new Date(), this.tz);
  }

  private baseStanding(p: CreditPolicy = this.policy) {
    const g = gradeOf(p, p.scale.base);
    return { score: p.scale.base, grade: g.grade };
  }

  // -------------------------------------------------------------------------------------------
  // Writing entries

  /** Makes sure the standing row exists and locks it: entries of one institution-cycle are serialised. */
  private async lockStanding(m: EntityManager, code: string, cycle: number): Promise<{ score: number; grade: string }> {
    const base = this.baseStanding();
    await m.query(
      `INSERT INTO credit_standing (institution_code, cycle, score, grade, policy_version, entry_count, computed_at) VALUES ($1, $2, $3, $4, $5, 0, now())
       ON CONFLICT (institution_code, cycle) DO NOTHING`,
      [code, cycle, base.score, base.grade, this.policies.version],
    );
    const [row] = (await m.query(`SELECT score, grade FROM credit_standing WHERE institution_code = $1 AND cycle = $2 FOR UPDATE`, [code, cycle])) as { score: number; grade: string }[];
    return row!;
  }

  /** Replays the institution-cycle's entries and stores the result in the standing cache. */
  private async refreshStanding(m: EntityManager, code: string, cycle: number): Promise<{ score: number; grade: string; entryCount: number }> {
    const rows = (await m.query(`SELECT id::text AS id, points FROM credit_entry WHERE institution_code = $1 AND cycle = $2 ORDER BY id`, [code, cycle])) as { id: string; points: number }[];
    const s = standingOf(this.policy, rows);
    await m.query(
      `INSERT INTO credit_standing (institution_code, cycle, score, grade, policy_version, entry_count, computed_at) VALUES ($1, $2, $3, $4, $5, $6, now())
       ON CONFLICT (institution_code, cycle) DO UPDATE SET score = EXCLUDED.score, grade = EXCLUDED.grade, policy_version = EXCLUDED.policy_version,
         entry_count = EXCLUDED.entry_count, computed_at = EXCLUDED.computed_at, updated_at = now()`,
      [code, cycle, s.score, s.grade, this.policies.version, rows.length],
    );
    return { score: s.score, grade: s.grade, entryCount: rows.length };
  }

  /**
   * Adds one entry unless its cause already has one (then nothing happens: retries and re-emitted
   * events count once), refreshes the standing and audits both, in the caller's transaction.
   */
  private async addEntry(m: EntityManager, e: NewEntry, by: CreditActing): Promise<{ id: string; created: boolean }> {
    const before = await this.lockStanding(m, e.institutionCode, e.cycle);
    const inserted = (await m.query(
      `INSERT INTO credit_entry (institution_code, cycle, points, kind, cause_type, cause_id, cause_facts, policy_version, reason_zh, reason_en,
         actor_user_id, actor_name, actor_role, effective_at, reverses_entry_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
       ON CONFLICT (institution_code, kind, cause_type, cause_id) DO NOTHING RETURNING id::text AS id`,
      [
        e.institutionCode,
        e.cycle,
        e.points,
        e.kind,
        e.causeType,
        e.causeId,
        JSON.stringify(e.facts),
        this.policies.version,
        e.reasonZh,
        e.reasonEn,
        by.actor.userId,
        by.actor.name,
        by.actor.role,
        e.effectiveAt,
        e.reversesEntryId ?? null,
      ],
    )) as { id: string }[];
    if (!inserted.length) {
      const [existing] = (await m.query(`SELECT id::text AS id FROM credit_entry WHERE institution_code = $1 AND kind = $2 AND cause_type = $3 AND cause_id = $4`, [
        e.institutionCode,
        e.kind,
        e.causeType,
        e.causeId,
      ])) as { id: string }[];
      return { id: existing!.id, created: false };
    }
    const id = inserted[0]!.id;
    const after = await this.refreshStanding(m, e.institutionCode, e.cycle);
    await this.audit.record(m, {
      actor: by.actor,
      action: `credit.${e.kind}`,
      entityType: 'credit_entry',
      entityId: id,
      before: { institutionCode: e.institutionCode, cycle: e.cycle, score: before.score, grade: before.grade },
      after: {
        institutionCode: e.institutionCode,
        cycle: e.cycle,
        entry: { id, kind: e.kind, points: e.points, cause: { type: e.causeType, id: e.causeId }, policyVersion: this.policies.version, reversesEntryId: e.reversesEntryId ?? null },
        score: after.score,
        grade: after.grade,
      },
      ip: by.ip ?? null,
    });
    return { id, created: true };
  }

  /** Runs `fn` in the caller's transaction, or in a new one when the manager has none. */
  private inTransaction<T>(m: EntityManager, fn: (m: EntityManager) => Promise<T>): Promise<T> {
    return m.queryRunner?.isTransactionActive ? fn(m) : m.transaction(fn);
  }

  // -------------------------------------------------------------------------------------------
  // Causes

  /** A case decision became final: deduct for the confirmed violation, inside the case's transaction. */
  private async onCaseFinal(m: EntityManager, e: CaseFinalEvent): Promise<void> {
    const severity = highestSeverity(e.confirmedSeverities);
    const facts: CauseFacts = {
      type: 'case',
      caseId: e.case.id,
      caseNumber: e.case.number,
      decisionId: e.decision.id,
      decidedAt: new Date(e.decision.decidedAt).toISOString(),
      article: e.decision.article,
      violationType: e.decision.violationType,
      categories: [...e.confirmedCategories].sort(),
      severity,
    };
    const price = priceViolation(this.policy, facts);
    const largest = this.policy.violation.combine === 'largest';
    const partsZh = [`${ARTICLE_ZH[facts.article]}（${facts.violationType}）${price.article} 分`];
    const partsEn = [`art. ${facts.article} (${facts.violationType}) ${price.article}`];
    if (price.category.code) {
      partsZh.push(`类别 ${price.category.code} ${price.category.points} 分`);
      partsEn.push(`category ${price.category.code} ${price.category.points}`);
    }
    if (severity) {
      partsZh.push(`严重程度${SEVERITY_ZH[severity]} ${price.severity} 分`);
      partsEn.push(`severity ${severity} ${price.severity}`);
    }
    await this.addEntry(
      m,
      {
        institutionCode: e.case.institutionCode,
        cycle: this.cycleAt(e.at),
        kind: 'violation',
        points: price.points,
        causeType: 'case',
        causeId: e.case.id,
        facts,
        reasonZh: `案件 ${facts.caseNumber} 处理决定生效，扣 ${-price.points} 分（${largest ? '取最大：' : ''}${partsZh.join(largest ? '、' : ' + ')}${price.capped ? '，以单案上限为限' : ''}）`,
        reasonEn: `case ${facts.caseNumber} decision final: ${signed(price.points)} (${largest ? 'largest of ' : ''}${partsEn.join(largest ? ', ' : ' + ')}${price.capped ? ', capped per case' : ''})`,
        effectiveAt: e.at,
      },
      { actor: e.actor, ip: e.ip },
    );
  }

  /**
   * An on-site inspection's result (the inspections module calls this in its own transaction): a
   * compliant one earns the clean-inspection bonus, violations or a referral deduct. Once per inspection.
   */
  async recordInspectionResult(m: EntityManager, input: InspectionResultInput): Promise<{ entryId: string; created: boolean; points: number }> {
    const errors = [];
    const code = typeof input.institutionCode === 'string' ? input.institutionCode.trim().toUpperCase() : '';
    if (!/^[\w.-]{1,64}$/.test(code)) errors.push({ path: 'institutionCode', reason: 'must be an institution code' });
    const inspectionId = typeof input.inspectionId === 'string' ? input.inspectionId.trim() : '';
    if (!inspectionId || inspectionId.length > 128) errors.push({ path: 'inspectionId', reason: 'is required (at most 128 characters)' });
    if (!INSPECTION_OUTCOMES.includes(input.outcome)) errors.push({ path: 'outcome', reason: `must be one of ${INSPECTION_OUTCOMES.join(', ')}` });
    if (!(input.at instanceof Date) || Number.isNaN(input.at.getTime())) errors.push({ path: 'at', reason: 'must be a date' });
    if (errors.length) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid inspection result', errors);
    return this.inTransaction(m, async (tx) => {
      await this.assertInstitution(tx, code, 'institutionCode');
      const points = priceInspection(this.policy, input.outcome);
      const r = await this.addEntry(
        tx,
        {
          institutionCode: code,
          cycle: this.cycleAt(),
          kind: 'inspection',
          points,
          causeType: 'inspection',
          causeId: inspectionId,
          facts: { type: 'inspection', inspectionId, outcome: input.outcome, at: input.at.toISOString() },
          reasonZh: `检查 ${inspectionId}（${localDate(input.at, this.tz)}）结果：${OUTCOME_ZH[input.outcome]}，${points >= 0 ? `加 ${points}` : `扣 ${-points}`} 分`,
          reasonEn: `inspection ${inspectionId} (${localDate(input.at, this.tz)}): ${input.outcome}, ${signed(points)}`,
          effectiveAt: input.at,
        },
        { actor: input.actor, ip: input.ip ?? null },
      );
      return { entryId: r.id, created: r.created, points };
    });
  }

  /** Deducts once for every recovery (refund or fine) past its due date and not paid in full. */
  async scanOverdueRecoveries(actor: Actor = systemActor('credit.overdue-scan')): Promise<{ overdue: number; deducted: number }> {
    const reader = systemActor('credit.overdue-scan');
    let page = 1;
    let overdue = 0;
    let deducted = 0;
    for (;;) {
      const r = await this.cases.listRecoveries({ status: 'overdue', page, pageSize: 500 }, reader);
      for (const rec of r.items) {
        overdue++;
        const points = priceOverdueRecovery(this.policy);
        const kindZh = rec.kind === 'fine' ? '罚款' : '追回款';
        const created = await this.ds.transaction(async (m) =>
          this.addEntry(
            m,
            {
              institutionCode: rec.institutionCode.toUpperCase(),
              cycle: this.cycleAt(),
              kind: 'overdue_recovery',
              points,
              causeType: 'recovery',
              causeId: rec.id,
              facts: { type: 'recovery', recoveryId: rec.id, caseId: rec.caseId, caseNumber: rec.caseNumber, recoveryKind: rec.kind, dueDate: rec.dueDate, amountDue: rec.amountDue },
              reasonZh: `案件 ${rec.caseNumber} 的${kindZh}（¥${rec.amountDue}，应于 ${rec.dueDate} 前缴清）逾期未缴，扣 ${-points} 分`,
              reasonEn: `case ${rec.caseNumber}: the ${rec.kind} (¥${rec.amountDue}, due ${rec.dueDate}) is overdue, ${signed(points)}`,
              effectiveAt: new Date(),
            },
            { actor },
          ),
        );
        if (created.created) deducted++;
      }
      if (page * r.pageSize >= r.total || r.items.length === 0) break;
      page++;
    }
    return { overdue, deducted };
  }

  /** A bonus recorded by a supervisor: clean inspection, self-correction (自查自纠), pledge (信用承诺, once a cycle). */
  async recordBonus(input: { institutionCode: string; kind: BonusKind; reference: string; note: string | null }, by: CreditActing) {
    const cycle = this.cycleAt();
    const rule = this.policy.bonuses[input.kind];
    const causeId = rule.oncePerCycle ? `${input.kind}:${cycle}` : `${input.kind}:${input.reference}`;
    const points = priceBonus(this.policy, input.kind);
    const id = await this.ds.transaction(async (m) => {
      await this.assertInstitution(m, input.institutionCode, 'institutionCode');
      const r = await this.addEntry(
        m,
        {
          institutionCode: input.institutionCode,
          cycle,
          kind: 'bonus',
          points,
          causeType: 'bonus',
          causeId,
          facts: { type: 'bonus', bonusKind: input.kind, reference: input.reference, ...(input.note ? { note: input.note } : {}) } as CauseFacts,
          reasonZh: `${BONUS_ZH[input.kind]}（凭证 ${input.reference}），加 ${points} 分${input.note ? `：${input.note}` : ''}`,
          reasonEn: `${BONUS_EN[input.kind]} (reference ${input.reference}), ${signed(points)}${input.note ? `: ${input.note}` : ''}`,
          effectiveAt: new Date(),
        },
        by,
      );
      if (!r.created) {
        throw conflict(
          rule.oncePerCycle
            ? `the ${input.kind} bonus of ${input.institutionCode} was already recorded in cycle ${cycle} (entry ${r.id}); it counts once a cycle`
            : `this ${input.kind} bonus (reference ${input.reference}) of ${input.institutionCode} was already recorded (entry ${r.id})`,
        );
      }
      return r.id;
    });
    return this.entryView(id);
  }

  private async assertInstitution(m: EntityManager, code: string, path: string): Promise<void> {
    const rows = (await m.query(`SELECT 1 FROM institution WHERE code = $1`, [code])) as unknown[];
    if (!rows.length) throw new DomainException(DomainErrorCode.InvalidInput, `institution ${code} does not exist`, [{ path, reason: 'is not an imported institution' }]);
  }

  // -------------------------------------------------------------------------------------------
  // Appeals and repair

  private async loadEntry(m: EntityManager, id: string, actor: Actor): Promise<EntryRow> {
    const [row] = (await m.query(`SELECT ${ENTRY_COLUMNS} FROM credit_entry WHERE id = $1`, [id])) as EntryRow[];
    // Another institution's entry is not found (an institution learns nothing of others).
    if (!row || !mayRead(actor, row.institution_code)) throw notFound(`credit entry ${id} does not exist`);
    return row;
  }

  private async undoneBy(m: EntityManager, entryId: string): Promise<{ id: string; kind: EntryKind } | null> {
    const [row] = (await m.query(`SELECT id::text AS id, kind FROM credit_entry WHERE reverses_entry_id = $1`, [entryId])) as { id: string; kind: EntryKind }[];
    return row ?? null;
  }

  /** The institution appeals one of its deductions within the policy's window. */
  async appeal(entryRef: string, input: { reason: string }, by: CreditActing) {
    const entryId = parseEntryId(entryRef);
    const id = await this.ds.transaction(async (m) => {
      const e = await this.loadEntry(m, entryId, by.actor);
      if (!APPEALABLE.includes(e.kind) || e.points >= 0) throw conflict(`entry ${e.id} is a ${e.kind} of ${signed(e.points)}; only deductions (violation, inspection, overdue recovery) can be appealed`);
      // Serialises two appeals of the same entry sent at once: the second sees the first (409), not the unique index (500).
      await this.lockStanding(m, e.institution_code, e.cycle);
      const undone = await this.undoneBy(m, e.id);
      if (undone) throw conflict(`entry ${e.id} was already undone by entry ${undone.id} (${undone.kind})`);
      const closes = addDays(localDate(e.created_at, this.tz), this.policy.appeals.windowDays);
      const today = this.today();
      if (today > closes) throw conflict(`the appeal window of entry ${e.id} closed on ${closes} (${this.policy.appeals.windowDays} days after it was recorded)`);
      const [existing] = (await m.query(`SELECT id, status FROM credit_request WHERE type = 'appeal' AND entry_id = $1`, [e.id])) as { id: string; status: string }[];
      if (existing) throw conflict(`entry ${e.id} was already appealed (appeal ${existing.id}, ${existing.status}); an entry is appealed once`);
      const dueOn = addWorkingDays(today, this.policy.appeals.decisionWorkingDays);
      return this.fileRequest(m, 'appeal', e, input.reason, dueOn, by);
    });
    return this.requestView(id, by.actor);
  }

  /** Files an institution's appeal or repair request about one of its entries (open, due on `dueOn`), audited. */
  private async fileRequest(m: EntityManager, type: 'appeal' | 'repair', e: { id: string; institution_code: string; points: number }, reason: string, dueOn: string, by: CreditActing): Promise<string> {
    const [row] = (await m.query(
      `INSERT INTO credit_request (type, institution_code, entry_id, reason, filed_by, filed_by_name, filed_at, due_on, status)
       VALUES ($1, $2, $3, $4, $5, $6, now(), $7, 'open') RETURNING id`,
      [type, e.institution_code, e.id, reason, by.actor.userId, by.actor.name, dueOn],
    )) as { id: string }[];
    await this.audit.record(m, {
      actor: by.actor,
      action: type === 'appeal' ? 'credit.appeal' : 'credit.repair_request',
      entityType: 'credit_request',
      entityId: row!.id,
      after: { type, status: 'open', entryId: e.id, institutionCode: e.institution_code, points: e.points, reason, dueOn },
      ip: by.ip ?? null,
    });
    return row!.id;
  }

  /** A supervisor upholds the deduction or reverses it (a reversal entry restoring its points). */
  async decideAppeal(ref: string, input: { outcome: 'upheld' | 'reversed'; reason: string }, by: CreditActing) {
    const id = parseRequestId(ref, 'appeal');
    await this.ds.transaction(async (m) => {
      const r = await this.lockRequest(m, id, 'appeal');
      const e = await this.loadEntry(m, r.entry_id, systemActor());
      let resultEntryId: string | null = null;
      if (input.outcome === 'reversed') {
        const undone = await this.undoneBy(m, e.id);
        if (undone) throw conflict(`entry ${e.id} was already undone by entry ${undone.id} (${undone.kind}); the appeal can only be upheld`);
        resultEntryId = (
          await this.addEntry(
            m,
            {
              institutionCode: e.institution_code,
              cycle: e.cycle,
              kind: 'appeal_reversal',
              points: -e.points,
              causeType: 'credit_appeal',
              causeId: r.id,
              facts: { type: 'credit_appeal', appealId: r.id, reverses: e.id },
              reasonZh: `申诉成立，撤销第 ${e.id} 号扣分（${signed(-e.points)}）：${input.reason}`,
              reasonEn: `appeal upheld for the institution: entry ${e.id} reversed (${signed(-e.points)}): ${input.reason}`,
              effectiveAt: new Date(),
              reversesEntryId: e.id,
            },
            by,
          )
        ).id;
      }
      await this.closeRequest(m, r, input.outcome, input.reason, null, resultEntryId, by, 'credit.appeal_decide');
    });
    return this.requestView(id, by.actor);
  }

  /**
   * When a violation deduction may be repaired: `waiting_months` after the decision of the latest
   * violation of the institution that is not undone (this one or a newer one).
   */
  private async repairEligibleFrom(m: EntityManager, e: EntryRow): Promise<{ from: string; blockedBy: string | null }> {
    const facts = e.cause_facts as Extract<CauseFacts, { type: 'case' }>;
    const rows = (await m.query(
      `SELECT e.id::text AS id, e.cause_facts->>'caseNumber' AS case_number, e.cause_facts->>'decidedAt' AS decided_at FROM credit_entry e
       WHERE e.institution_code = $1 AND e.kind = 'violation' AND (e.cause_facts->>'decidedAt') > $2 AND e.id <> $3
         AND NOT EXISTS (SELECT 1 FROM credit_entry r WHERE r.reverses_entry_id = e.id)
       ORDER BY e.cause_facts->>'decidedAt' DESC LIMIT 1`,
      [e.institution_code, facts.decidedAt, e.id],
    )) as { id: string; case_number: string; decided_at: string }[];
    const latest = rows[0];
    const from = addMonths(localDate(new Date(latest?.decided_at ?? facts.decidedAt), this.tz), this.policy.repair.waitingMonths);
    return { from, blockedBy: latest ? `entry ${latest.id} (case ${latest.case_number})` : null };
  }

  private async checkRepairable(m: EntityManager, e: EntryRow): Promise<void> {
    if (e.kind !== 'violation') throw conflict(`entry ${e.id} is a ${e.kind}; only violation deductions can be repaired`);
    const undone = await this.undoneBy(m, e.id);
    if (undone) throw conflict(`entry ${e.id} was already undone by entry ${undone.id} (${undone.kind})`);
    const current = this.cycleAt();
    if (e.cycle !== current) throw conflict(`entry ${e.id} belongs to the closed cycle ${e.cycle}; the cycle ${current} started again at the base score`);
    const { from, blockedBy } = await this.repairEligibleFrom(m, e);
    if (this.today() < from) {
      throw conflict(
        `entry ${e.id} can be repaired from ${from}: ${this.policy.repair.waitingMonths} months after the decision${blockedBy ? ` of the newer violation ${blockedBy}` : ''} without a newer violation`,
      );
    }
  }

  /** The institution asks for repair (信用修复) of one of its violation deductions. */
  async requestRepair(input: { entryId: string; reason: string }, by: CreditActing) {
    const id = await this.ds.transaction(async (m) => {
      const e = await this.loadEntry(m, input.entryId, by.actor);
      // One institution's requests one at a time: the checks below then see each other's results.
      await this.lockStanding(m, e.institution_code, e.cycle);
      const [open] = (await m.query(`SELECT id, status FROM credit_request WHERE type = 'repair' AND entry_id = $1 AND status IN ('open', 'granted')`, [e.id])) as {
        id: string;
        status: string;
      }[];
      if (open) throw conflict(`entry ${e.id} already has a repair request (${open.id}, ${open.status})`);
      await this.checkRepairable(m, e);
      const dueOn = addWorkingDays(this.today(), this.policy.repair.decisionWorkingDays);
      return this.fileRequest(m, 'repair', e, input.reason, dueOn, by);
    });
    return this.requestView(id, by.actor);
  }

  /** A supervisor grants a repair (the fault confirmed rectified; a repair entry restores the points) or refuses it. */
  async decideRepair(ref: string, input: { outcome: 'granted' | 'refused'; reason: string; rectified: boolean }, by: CreditActing) {
    const id = parseRequestId(ref, 'repair');
    await this.ds.transaction(async (m) => {
      const r = await this.lockRequest(m, id, 'repair');
      const e = await this.loadEntry(m, r.entry_id, systemActor());
      let resultEntryId: string | null = null;
      if (input.outcome === 'granted') {
        if (!input.rectified) {
          throw new DomainException(DomainErrorCode.InvalidInput, 'a repair is granted only once the fault is confirmed rectified', [
            { path: 'rectified', reason: 'must be true: confirm that the institution rectified the fault' },
          ]);
        }
        await this.lockStanding(m, e.institution_code, e.cycle);
        // Checked again: a newer violation may have become final since the request.
        await this.checkRepairable(m, e);
        resultEntryId = (
          await this.addEntry(
            m,
            {
              institutionCode: e.institution_code,
              cycle: e.cycle,
              kind: 'repair',
              points: -e.points,
              causeType: 'credit_repair',
              causeId: r.id,
              facts: { type: 'credit_repair', repairId: r.id, reverses: e.id },
              reasonZh: `信用修复：恢复第 ${e.id} 号扣分（${signed(-e.points)}），已确认整改到位：${input.reason}`,
              reasonEn: `credit repair: entry ${e.id} restored (${signed(-e.points)}), fault confirmed rectified: ${input.reason}`,
              effectiveAt: new Date(),
              reversesEntryId: e.id,
            },
            by,
          )
        ).id;
      }
      await this.closeRequest(m, r, input.outcome, input.reason, input.outcome === 'granted' ? true : input.rectified, resultEntryId, by, 'credit.repair_decide');
    });
    return this.requestView(id, by.actor);
  }

  private async lockRequest(m: EntityManager, id: string, type: CreditRequestType): Promise<RequestRow> {
    const [r] = (await m.query(`SELECT ${REQUEST_COLUMNS} FROM credit_request WHERE id = $1 AND type = $2 FOR UPDATE`, [id, type])) as RequestRow[];
    if (!r) throw notFound(`${type} ${id} does not exist`);
    if (r.status !== 'open') throw conflict(`${type} ${id} is ${r.status} (decided ${r.decided_at ? new Date(r.decided_at).toISOString() : ''} by ${r.decided_by_name ?? '?'}); only open requests are decided`);
    return r;
  }

  private async closeRequest(
    m: EntityManager,
    r: RequestRow,
    status: CreditRequestStatus,
    reason: string,
    rectified: boolean | null,
    resultEntryId: string | null,
    by: CreditActing,
    action: string,
  ): Promise<void> {
    await m.query(
      `UPDATE credit_request SET status = $2, decision_reason = $3, rectified = $4, decided_by = $5, decided_by_name = $6, decided_at = now(), result_entry_id = $7, updated_at = now() WHERE id = $1`,
      [r.id, status, reason, rectified, by.actor.userId, by.actor.name, resultEntryId],
    );
    await this.audit.record(m, {
      actor: by.actor,
      action,
      entityType: 'credit_request',
      entityId: r.id,
      before: { type: r.type, status: r.status, entryId: r.entry_id, institutionCode: r.institution_code },
      after: { type: r.type, status, entryId: r.entry_id, institutionCode: r.institution_code, reason, rectified, resultEntryId },
      ip: by.ip ?? null,
    });
  }

  // -------------------------------------------------------------------------------------------
  // Rebuilding, rollover

  /** Rebuilds every standing from the entries (scores are never edited: this is the repair tool). */
  async recomputeAll(actor: Actor, why = 'recompute'): Promise<{ standings: number; changed: number }> {
    return this.ds.transaction(async (m) => {
      const pairs = (await m.query(
        `SELECT institution_code, cycle FROM credit_entry UNION SELECT institution_code, cycle FROM credit_standing ORDER BY 1, 2`,
      )) as { institution_code: string; cycle: number }[];
      const changes: { institutionCode: string; cycle: number; before: string; after: string }[] = [];
      for (const p of pairs) {
        const [old] = (await m.query(`SELECT score, grade FROM credit_standing WHERE institution_code = $1 AND cycle = $2 FOR UPDATE`, [p.institution_code, p.cycle])) as {
          score: number;
          grade: string;
        }[];
        const now = await this.refreshStanding(m, p.institution_code, p.cycle);
        if (!old || old.score !== now.score || old.grade !== now.grade) {
          changes.push({ institutionCode: p.institution_code, cycle: p.cycle, before: old ? `${old.score} ${old.grade}` : '—', after: `${now.score} ${now.grade}` });
        }
      }
      if (changes.length) {
        await this.audit.record(m, {
          actor,
          action: 'credit.recompute',
          entityType: 'credit_standing',
          entityId: null,
          before: null,
          after: { why, policyVersion: this.policies.version, standings: pairs.length, changed: changes.length, changes: changes.slice(0, 200) },
        });
      }
      return { standings: pairs.length, changed: changes.length };
    });
  }

  /**
   * Closes a cycle (idempotent per year): every institution's final score and grade of that year
   * are archived (closed_at) and the next cycle starts at the base for everyone. A year that has
   * not ended is refused.
   */
  async rollover(year: number, actor: Actor): Promise<{ year: number; alreadyClosed: boolean; institutions: number; gradeCounts: Record<string, number> }> {
    if (!Number.isInteger(year) || year < 2000 || year > 2999) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid year', [{ path: 'year', reason: 'must be a year YYYY' }]);
    const current = this.cycleAt();
    if (year >= current) throw conflict(`cycle ${year} has not ended (it ends at the end of ${year}-12-31, ${this.tz}); the current cycle is ${current}`);
    return this.ds.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1)', [CREDIT_ROLLOVER_LOCK]);
      const [done] = (await m.query(`SELECT institutions, grade_counts FROM credit_cycle WHERE year = $1`, [year])) as { institutions: number; grade_counts: Record<string, number> }[];
      if (done) return { year, alreadyClosed: true, institutions: done.institutions, gradeCounts: done.grade_counts };
      const codes = (
        (await m.query(
          `SELECT code AS c FROM institution UNION SELECT institution_code FROM credit_entry WHERE cycle = $1 UNION SELECT institution_code FROM credit_standing WHERE cycle = $1 ORDER BY 1`,
          [year],
        )) as { c: string }[]
      ).map((r) => r.c);
      const gradeCounts: Record<string, number> = Object.fromEntries(this.policy.grades.map((g) => [g.grade, 0]));
      const base = this.baseStanding();
      for (const code of codes) {
        await this.lockStanding(m, code, year);
        const s = await this.refreshStanding(m, code, year);
        gradeCounts[s.grade] = (gradeCounts[s.grade] ?? 0) + 1;
        await m.query(`UPDATE credit_standing SET closed_at = now() WHERE institution_code = $1 AND cycle = $2`, [code, year]);
        // The new cycle starts at the base (entries already recorded in it keep counting).
        await m.query(
          `INSERT INTO credit_standing (institution_code, cycle, score, grade, policy_version, entry_count, computed_at) VALUES ($1, $2, $3, $4, $5, 0, now())
           ON CONFLICT (institution_code, cycle) DO NOTHING`,
          [code, year + 1, base.score, base.grade, this.policies.version],
        );
      }
      await m.query(`INSERT INTO credit_cycle (year, closed_at, closed_by, policy_version, institutions, grade_counts) VALUES ($1, now(), $2, $3, $4, $5)`, [
        year,
        actor.name,
        this.policies.version,
        codes.length,
        JSON.stringify(gradeCounts),
      ]);
      await this.audit.record(m, {
        actor,
        action: 'credit.rollover',
        entityType: 'credit_cycle',
        entityId: String(year),
        before: { year, closed: false },
        after: { year, closed: true, institutions: codes.length, gradeCounts, nextCycle: year + 1, nextStartsAt: base.score, policyVersion: this.policies.version },
      });
      return { year, alreadyClosed: false, institutions: codes.length, gradeCounts };
    });
  }

  /** Closes every past cycle that has entries or standings but was not rolled over (a process that was down on 1 January). */
  async closeDueCycles(actor: Actor): Promise<number[]> {
    const current = this.cycleAt();
    const rows = (await this.ds.query(
      `SELECT cycle FROM (SELECT cycle FROM credit_entry UNION SELECT cycle FROM credit_standing) c WHERE cycle < $1 AND NOT EXISTS (SELECT 1 FROM credit_cycle y WHERE y.year = c.cycle) ORDER BY 1`,
      [current],
    )) as { cycle: number }[];
    const closed: number[] = [];
    for (const r of rows) if (!(await this.rollover(r.cycle, actor)).alreadyClosed) closed.push(r.cycle);
    return closed;
  }

  // -------------------------------------------------------------------------------------------
  // Reading

  private grade(score: number, p: CreditPolicy = this.policy) {
    const g = gradeOf(p, score);
    return { grade: g.grade, samplingRatio: g.samplingRatio, reviewIntensity: g.reviewIntensity };
  }

  /** Score, grade and sampling ratio of the current cycle for the double-random draw and the public grade list (every institution when `codes` is omitted). */
  async gradesFor(codes?: string[], m: EntityManager = this.ds.manager): Promise<Map<string, GradeInfo>> {
    const cycle = this.cycleAt();
    const upper = codes?.map((c) => c.toUpperCase());
    // `m`: a caller inside a transaction (the draw) reads on its own connection (embedded mode has one).
    const rows = (await m.query(
      `SELECT c.code, s.score FROM (SELECT code FROM institution UNION SELECT institution_code FROM credit_standing WHERE cycle = $1) c
       LEFT JOIN credit_standing s ON s.institution_code = c.code AND s.cycle = $1
       WHERE $2::text[] IS NULL OR c.code = ANY($2::text[])`,
      [cycle, upper ?? null],
    )) as { code: string; score: number | null }[];
    const out = new Map<string, GradeInfo>();
    // Codes without any credit record yet stand at the base.
    const base = this.policy.scale.base;
    for (const code of upper ?? []) out.set(code, { score: base, grade: this.grade(base).grade, samplingRatio: this.grade(base).samplingRatio });
    for (const r of rows) {
      const score = r.score ?? this.policy.scale.base;
      const g = this.grade(score);
      out.set(r.code, { score, grade: g.grade, samplingRatio: g.samplingRatio });
    }
    return out;
  }

  /** The list: every institution with its score and grade in a cycle (the current one by default), filtered and paged, with counts per grade. */
  async list(f: CreditListFilter) {
    const cycle = f.cycle ?? this.cycleAt();
    const base = this.baseStanding();
    const conds: string[] = [];
    const params: unknown[] = [cycle, base.score, base.grade];
    if (f.kind) conds.push(`x.kind = $${params.push(f.kind)}`);
    if (f.level !== undefined) conds.push(`x.level = $${params.push(f.level)}`);
    if (f.region) conds.push(`x.region LIKE $${params.push(`${f.region}%`)}`);
    if (f.q) conds.push(`(x.code ILIKE $${params.push(`%${f.q}%`)} OR x.name ILIKE $${params.length})`);
    const scoped = `WITH x AS (
        SELECT coalesce(i.code, s.institution_code) AS code, i.name, i.kind, i.level, i.region,
               coalesce(s.score, $2) AS score, coalesce(s.grade, $3) AS grade, coalesce(s.entry_count, 0) AS entry_count, s.computed_at, s.closed_at
        FROM institution i FULL JOIN (SELECT * FROM credit_standing WHERE cycle = $1) s ON s.institution_code = i.code)
      SELECT * FROM x ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''}`;
    const counts = (await this.ds.query(`SELECT grade, count(*)::int AS n FROM (${scoped}) y GROUP BY grade`, params)) as { grade: string; n: number }[];
    const gradeCounts = this.policy.grades.map((g) => ({ grade: g.grade, count: counts.find((c) => c.grade === g.grade)?.n ?? 0 }));
    const withGrade = f.grade ? ` WHERE y.grade = $${params.push(f.grade)}` : '';
    const [{ total }] = (await this.ds.query(`SELECT count(*)::int AS total FROM (${scoped}) y${withGrade}`, params)) as { total: number }[];
    const order = f.sort === 'code' ? 'y.code' : 'y.score, y.code';
    const rows = (await this.ds.query(`SELECT * FROM (${scoped}) y${withGrade} ORDER BY ${order} LIMIT ${f.pageSize} OFFSET ${(f.page - 1) * f.pageSize}`, params)) as {
      code: string;
      name: string | null;
      kind: string | null;
      level: number | null;
      region: string | null;
      score: number;
      grade: string;
      entry_count: number;
      computed_at: Date | null;
      closed_at: Date | null;
    }[];
    return {
      cycle,
      policyVersion: this.policies.version,
      total,
      page: f.page,
      pageSize: f.pageSize,
      gradeCounts,
      items: rows.map((r) => ({
        institutionCode: r.code,
        name: r.name,
        kind: r.kind,
        level: r.level,
        region: r.region,
        cycle,
        score: r.score,
        grade: r.grade,
        samplingRatio: this.grade(r.score).samplingRatio,
        entryCount: r.entry_count,
        computedAt: r.computed_at,
        closed: r.closed_at !== null,
      })),
    };
  }

  private link(f: CauseFacts): { href: string; label: string } | null {
    if (f.type === 'case' || f.type === 'recovery') return { href: `/console/cases/${f.caseId}`, label: f.caseNumber };
    return null;
  }

  private entryDto(e: EntryRow) {
    return {
      id: e.id,
      institutionCode: e.institution_code,
      cycle: e.cycle,
      kind: e.kind,
      points: e.points,
      cause: { type: e.cause_type, id: e.cause_id, facts: e.cause_facts, link: this.link(e.cause_facts) },
      policyVersion: e.policy_version,
      reason: { zh: e.reason_zh, en: e.reason_en },
      actor: { userId: e.actor_user_id, name: e.actor_name, role: e.actor_role },
      effectiveAt: e.effective_at,
      createdAt: e.created_at,
      reversesEntryId: e.reverses_entry_id,
    };
  }

  async entryView(id: string) {
    const [row] = (await this.ds.query(`SELECT ${ENTRY_COLUMNS} FROM credit_entry WHERE id = $1`, [id])) as EntryRow[];
    return this.entryDto(row!);
  }

  private requestDto(r: RequestRow, today: string) {
    return {
      id: r.id,
      type: r.type,
      institutionCode: r.institution_code,
      entryId: r.entry_id,
      reason: r.reason,
      filedBy: r.filed_by,
      filedByName: r.filed_by_name,
      filedAt: r.filed_at,
      dueOn: r.due_on,
      overdue: r.status === 'open' && today > r.due_on,
      status: r.status,
      decisionReason: r.decision_reason,
      rectified: r.rectified,
      decidedBy: r.decided_by,
      decidedByName: r.decided_by_name,
      decidedAt: r.decided_at,
      resultEntryId: r.result_entry_id,
    };
  }

  async requestView(id: string, actor: Actor) {
    const [r] = (await this.ds.query(`SELECT ${REQUEST_COLUMNS} FROM credit_request WHERE id = $1`, [id])) as RequestRow[];
    if (!r || !mayRead(actor, r.institution_code)) throw notFound(`credit request ${id} does not exist`);
    return this.requestDto(r, this.today());
  }

  /** Appeals and repair requests (open ones by default, the oldest due first); an institution sees its own. */
  async requests(f: CreditRequestFilter, actor: Actor) {
    const own = ownInstitution(actor, f.institution);
    const conds: string[] = [];
    const params: unknown[] = [];
    if (f.status === 'open') conds.push(`r.status = 'open'`);
    if (f.status === 'decided') conds.push(`r.status <> 'open'`);
    if (f.type) conds.push(`r.type = $${params.push(f.type)}`);
    const inst = own ?? f.institution;
    if (inst) conds.push(`r.institution_code = $${params.push(inst)}`);
    const where = conds.length ? `WHERE ${conds.join(' AND ')}` : '';
    const [{ total }] = (await this.ds.query(`SELECT count(*)::int AS total FROM credit_request r ${where}`, params)) as { total: number }[];
    const rows = (await this.ds.query(
      `SELECT ${requestColumns('r')}, e.points AS entry_points, e.kind AS entry_kind, e.reason_zh AS entry_reason_zh, e.reason_en AS entry_reason_en, i.name AS institution_name
       FROM credit_request r JOIN credit_entry e ON e.id = r.entry_id LEFT JOIN institution i ON i.code = r.institution_code ${where}
       ORDER BY (r.status = 'open') DESC, r.due_on, r.filed_at LIMIT ${f.pageSize} OFFSET ${(f.page - 1) * f.pageSize}`,
      params,
    )) as (RequestRow & { entry_points: number; entry_kind: EntryKind; entry_reason_zh: string; entry_reason_en: string; institution_name: string | null })[];
    const today = this.today();
    return {
      total,
      page: f.page,
      pageSize: f.pageSize,
      items: rows.map((r) => ({
        ...this.requestDto(r, today),
        institutionName: r.institution_name,
        entry: { id: r.entry_id, kind: r.entry_kind, points: r.entry_points, reason: { zh: r.entry_reason_zh, en: r.entry_reason_en } },
      })),
    };
  }

  /** What the policy in force says: version, scale, cycle, deductions, bonuses, and what each grade means. */
  policyView() {
    const p = this.policy;
    return {
      version: this.policies.version,
      hash: this.policies.current.hash,
      source: this.policies.file,
      name: p.name,
      scale: p.scale,
      cycle: { ...p.cycle, current: this.cycleAt() },
      violation: p.violation,
      inspection: p.inspection,
      overdueRecovery: p.overdueRecovery,
      bonuses: p.bonuses,
      appeals: p.appeals,
      repair: p.repair,
      grades: p.grades.map((g, i) => ({
        grade: g.grade,
        minScore: g.minScore,
        maxScore: i === 0 ? p.scale.maximum : p.grades[i - 1]!.minScore - 1,
        samplingRatio: g.samplingRatio,
        reviewIntensity: g.reviewIntensity,
      })),
      baseGrade: gradeOf(p, p.scale.base).grade,
    };
  }

  /**
   * One institution's credit in a cycle (the current one by default): standing, what its grade
   * means, every entry with its cause, the score after each entry (the history), its requests, and
   * what the caller may do with each entry. An institution login sees only its own (403).
   */
  async profile(codeRaw: string, actor: Actor, cycleArg?: number) {
    const code = codeRaw.toUpperCase();
    ownInstitution(actor, code, 'code');
    const cycle = cycleArg ?? this.cycleAt();
    const [inst] = (await this.ds.query(`SELECT code, name, kind, level, region FROM institution WHERE code = $1`, [code])) as {
      code: string;
      name: string;
      kind: string;
      level: number | null;
      region: string;
    }[];
    const entries = (await this.ds.query(`SELECT ${ENTRY_COLUMNS} FROM credit_entry WHERE institution_code = $1 AND cycle = $2 ORDER BY id`, [code, cycle])) as EntryRow[];
    const cycles = (await this.ds.query(
      `SELECT cycle, score, grade, closed_at FROM credit_standing WHERE institution_code = $1 UNION SELECT DISTINCT cycle, NULL::integer, NULL::varchar, NULL::timestamptz FROM credit_entry e
       WHERE institution_code = $1 AND NOT EXISTS (SELECT 1 FROM credit_standing s WHERE s.institution_code = e.institution_code AND s.cycle = e.cycle) ORDER BY 1 DESC`,
      [code],
    )) as { cycle: number; score: number | null; grade: string | null; closed_at: Date | null }[];
    if (!inst && !entries.length && !cycles.length) throw notFound(`institution ${code} does not exist`);
    const [standing] = (await this.ds.query(`SELECT score, grade, policy_version, entry_count, computed_at, closed_at FROM credit_standing WHERE institution_code = $1 AND cycle = $2`, [
      code,
      cycle,
    ])) as { score: number; grade: string; policy_version: number; entry_count: number; computed_at: Date; closed_at: Date | null }[];
    const r = replay(this.policy.scale, entries);
    const steps = new Map(r.steps.map((s) => [s.id, s]));
    const ids = entries.map((e) => e.id);
    const undoers = ids.length
      ? ((await this.ds.query(`SELECT id::text AS id, kind, reverses_entry_id::text AS reverses FROM credit_entry WHERE reverses_entry_id = ANY($1::bigint[])`, [ids])) as {
          id: string;
          kind: EntryKind;
          reverses: string;
        }[])
      : [];
    const reqRows = ids.length ? ((await this.ds.query(`SELECT ${REQUEST_COLUMNS} FROM credit_request WHERE entry_id = ANY($1::bigint[]) ORDER BY filed_at`, [ids])) as RequestRow[]) : [];
    const today = this.today();
    const current = this.cycleAt();
    const isOwn = actor.role === 'institution';
    const items = [];
    for (const e of entries) {
      const undone = undoers.find((u) => u.reverses === e.id) ?? null;
      const reqs = reqRows.filter((q) => q.entry_id === e.id).map((q) => this.requestDto(q, today));
      const appeal = reqs.find((q) => q.type === 'appeal') ?? null;
      const activeRepair = reqs.find((q) => q.type === 'repair' && (q.status === 'open' || q.status === 'granted')) ?? null;
      const appealCloses = addDays(localDate(e.created_at, this.tz), this.policy.appeals.windowDays);
      const appealable = APPEALABLE.includes(e.kind) && e.points < 0 && !undone && !appeal && today <= appealCloses;
      let repairFrom: string | null = null;
      if (e.kind === 'violation' && !undone && e.cycle === current) repairFrom = (await this.repairEligibleFrom(this.ds.manager, e)).from;
      const repairable = repairFrom !== null && !activeRepair && today >= repairFrom;
      items.push({
        ...this.entryDto(e),
        applied: steps.get(e.id)!.applied,
        scoreAfter: steps.get(e.id)!.scoreAfter,
        undoneBy: undone,
        requests: reqs,
        appeal: { possible: appealable, closesOn: APPEALABLE.includes(e.kind) && e.points < 0 ? appealCloses : null, mine: isOwn && appealable },
        repair: { possible: repairable, from: repairFrom, mine: isOwn && repairable, active: activeRepair },
      });
    }
    const score = r.score;
    const g = this.grade(score);
    return {
      institution: inst ? { code: inst.code, name: inst.name, kind: inst.kind, level: inst.level, region: inst.region } : { code, name: null, kind: null, level: null, region: null },
      cycle,
      currentCycle: current,
      closed: !!standing?.closed_at,
      standing: {
        score,
        grade: g.grade,
        samplingRatio: g.samplingRatio,
        meaning: g.reviewIntensity,
        policyVersion: this.policies.version,
        cached: standing ? { score: standing.score, grade: standing.grade, policyVersion: standing.policy_version, computedAt: standing.computed_at } : null,
      },
      scale: this.policy.scale,
      entries: items,
      history: [{ entryId: null, at: null, score: this.policy.scale.base }, ...items.map((e) => ({ entryId: e.id, at: e.createdAt, score: e.scoreAfter }))],
      cycles: cycles.map((c) => ({ cycle: c.cycle, score: c.score, grade: c.grade, closed: c.closed_at !== null })),
    };
  }

  // -------------------------------------------------------------------------------------------
  // What-if

  /**
   * Every institution's score and grade in a cycle (the current one by default) under a draft
   * policy — each entry priced again from its cause under the draft and replayed from the draft's
   * base — against the standing under the policy in force. Writes nothing.
   */
  async whatIf(draft: unknown, opts: { cycle?: number } = {}) {
    return this.whatIfPolicy(this.policies.parseDraft(draft), opts);
  }

  /** What-if of a draft already checked (the CLI loads it from a file, so problems name that file). */
  async whatIfPolicy(loaded: LoadedPolicy, opts: { cycle?: number } = {}) {
    const d = loaded.policy;
    const p = this.policy;
    const cycle = opts.cycle ?? this.cycleAt();
    const entries = (await this.ds.query(`SELECT ${ENTRY_COLUMNS} FROM credit_entry WHERE cycle = $1 ORDER BY id`, [cycle])) as EntryRow[];
    const byId = new Map<string, LedgerEntryFacts>(entries.map((e) => [e.id, { id: e.id, kind: e.kind, points: e.points, facts: e.cause_facts }]));
    // Reversals of entries from another cycle need their originals to be priced again.
    const missing = entries
      .map((e) => e.cause_facts)
      .filter((f): f is Extract<CauseFacts, { reverses: string }> => (f.type === 'credit_appeal' || f.type === 'credit_repair') && !byId.has(f.reverses))
      .map((f) => f.reverses);
    if (missing.length) {
      for (const o of (await this.ds.query(`SELECT ${ENTRY_COLUMNS} FROM credit_entry WHERE id = ANY($1::bigint[])`, [missing])) as EntryRow[]) {
        byId.set(o.id, { id: o.id, kind: o.kind, points: o.points, facts: o.cause_facts });
      }
    }
    const institutions = (await this.ds.query(
      `SELECT code, name FROM institution UNION SELECT DISTINCT institution_code, NULL FROM credit_entry WHERE cycle = $1 AND institution_code NOT IN (SELECT code FROM institution) ORDER BY 1`,
      [cycle],
    )) as { code: string; name: string | null }[];
    const perInstitution = new Map<string, LedgerEntryFacts[]>();
    for (const e of entries) perInstitution.set(e.institution_code, [...(perInstitution.get(e.institution_code) ?? []), byId.get(e.id)!]);
    const r = compareUnderDraft(
      p,
      d,
      institutions.map((i) => ({ code: i.code, name: i.name, entries: perInstitution.get(i.code) ?? [] })),
      (id) => byId.get(id),
    );
    return {
      cycle,
      current: { version: this.policies.version, hash: this.policies.current.hash },
      draft: { hash: loaded.hash, sameAsCurrent: loaded.hash === this.policies.current.hash },
      summary: { ...r.summary, entriesRepriced: entries.length },
      institutions: r.institutions,
    };
  }
}

/** The highest known severity (low < medium < high) among a case's confirmed findings. */
function highestSeverity(severities: string[]): Severity | null {
  let best: Severity | null = null;
  for (const s of severities as Severity[]) {
    if (SEVERITIES.includes(s) && (best === null || SEVERITIES.indexOf(s) > SEVERITIES.indexOf(best))) best = s;
  }
  return best;
}
