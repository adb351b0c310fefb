import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes, randomUUID } from 'node:crypto';
import { sha256Hex } from '../inspections/canonical';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { DataSource, EntityManager } from 'typeorm';
import { Actor, systemActor } from '../accounts/roles';
import { AuditService } from '../audit/audit.service';
import { CaseEvents, CaseFinalEvent } from '../cases/case-events';
import type { Acting } from '../cases/cases.service';
import { CasesService } from '../cases/cases.service';
import { fenOf, yuanText } from '../cases/money';
import { DomainErrorCode, DomainException } from '../common/domain.exception';
import { isUuid } from '../common/query';
import { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { Challenge, ChallengeError, challengeKey, newChallenge, verifyChallenge } from './tip-challenge';
import { decryptIdentity, encryptIdentity, identityKeyId, TipIdentity, TipIdentityError } from './tip-identity';
import { computeReward } from './tip-reward-policy';
import { TipRewardPolicyService } from './tip-reward-policy.service';
import { allowedActions, TipAction, TipActionInput, TipStatus, TipTransition, transition, WorkflowTip } from './tip-workflow';
import { Tip, TipCategory } from './tip.entities';
import { TipListFilter, TipSubmission, TRACKING_ALPHABET, TRACKING_LENGTH } from './tips.dto';

/** Tracking requests one client address may make per hour (codes have 80 bits: this only slows scanners). */
export const TRACK_RATE_PER_HOUR = 60;

const TIP_NUMBER = /^JB-\d{4}-\d{6,}$/;


/** What the audit trail records of a tip: never the identity, the description or the tracking code. */
interface TipSnapshot {
  number: string;
  status: TipStatus;
  assignedTo: string | null;
  caseId: string | null;
  rewardLevel: number | null;
}

interface StepResult {
  publicNote?: string | null;
  internalNote?: string | null;
  /** Extra facts for the audit entry's `after`. */
  audit?: Record<string, unknown>;
}

interface TipListRow {
  id: string;
  number: string;
  status: TipStatus;
  category: TipCategory;
  institution_code: string | null;
  institution_name: string | null;
  anonymous: boolean;
  assigned_to: string | null;
  assignee_name: string | null;
  received_at: Date;
  case_id: string | null;
  case_number: string | null;
  reward_amount: string | null;
  excerpt: string;
  total: string;
}

const notFound = (ref: string) => new DomainException(DomainErrorCode.NotFound, `tip ${ref} does not exist`, [{ path: 'id', reason: 'no such tip' }]);
const challengeRefused = (reason: string) => new DomainException(DomainErrorCode.InvalidInput, `challenge: ${reason}`, [{ path: 'challenge', reason }]);
const REUSED = 'has already been used for a tip: answer the new question';

/** `K7QM2XWE9TRAV4FE` → `K7QM-2XWE-9TRA-V4FE` */
export function formatTrackingCode(code: string): string {
  return code.match(/.{1,4}/g)!.join('-');
}

/** sha256 hex of the normalised code: what the tip row keeps. */
export function trackingCodeHash(code: string): string {
  return sha256Hex(code);
}

/** 16 characters of Crockford base32 (80 random bits). */
export function newTrackingCode(): string {
  return [...randomBytes(TRACKING_LENGTH)].map((b) => TRACKING_ALPHABET[b & 31]).join('');
}

function isUniqueViolation(err: unknown, index: string): boolean {
  const e = err as { code?: string; constraint?: string; message?: string; driverError?: { code?: string; constraint?: string; message?: string } };
  const code = e?.driverError?.code ?? e?.code;
  const text = `${e?.driverError?.constraint ?? e?.constraint ?? ''} ${e?.driverError?.message ?? e?.message ?? ''}`;
  return code === '23505' && text.includes(index);
}

const asBuffer = (v: unknown): Buffer => (Buffer.isBuffer(v) ? v : Buffer.from(v as Uint8Array));

/**
 * 举报: tips from the public with a protected identity, worked by supervisors into cases, and
 * rewarded under rules/tip-rewards.yaml when their case becomes final with a violation.
 */
@Injectable()
export class TipsService implements OnModuleInit {
  private readonly logger = new Logger('Tips');
  private readonly submitLimiter: RateLimiterMemory;
  private readonly trackLimiter: RateLimiterMemory;
  private readonly key: Buffer;
  private readonly challengeKey: Buffer;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly audit: AuditService,
    private readonly events: CaseEvents,
    private readonly cases: CasesService,
    private readonly rewards: TipRewardPolicyService,
  ) {
    this.key = config.tips.identityKey;
    this.challengeKey = challengeKey(this.key);
    this.submitLimiter = new RateLimiterMemory({ keyPrefix: 'tips', points: config.tips.ratePerHour, duration: 3600 });
    this.trackLimiter = new RateLimiterMemory({ keyPrefix: 'tips-track', points: TRACK_RATE_PER_HOUR, duration: 3600 });
  }

  onModuleInit() {
    // Production refuses to start without TIP_IDENTITY_KEY (src/config); elsewhere the development key serves.
    this.events.onFinal('tips.reward', (m, e) => this.onCaseFinal(m, e));
  }

  // -------------------------------------------------------------------------------------------
  // Time in the bureau's zone

  private localDate(at: Date = new Date()): string {
    const m = /^([+-])(\d{2}):(\d{2})$/.exec(this.config.import.defaultUtcOffset)!;
    const offsetMs = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000;
    return new Date(at.getTime() + offsetMs).toISOString().slice(0, 10);
  }

  // -------------------------------------------------------------------------------------------
  // The public side

  /** A fresh challenge for the form (stateless: nothing is stored). */
  challenge(now = new Date()): Challenge {
    return newChallenge(this.challengeKey, now);
  }

  /** The reward policy as the public page and the API show it. */
  policyView() {
    const p = this.rewards.policy;
    return {
      name: p.name,
      basis: p.basis,
      minimum: `${p.minimum}.00`,
      maximum: `${p.maximum}.00`,
      levels: p.levels.map((l) => ({ level: l.level, share: l.share, percent: `${l.shareBp / 100}%`, description: l.description })),
      version: this.rewards.version,
    };
  }

  private async consume(limiter: RateLimiterMemory, ip: string | null | undefined, what: string, perHour: number): Promise<void> {
    try {
      await limiter.consume(ip || 'unknown');
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) throw res;
      const minutes = Math.max(1, Math.ceil(res.msBeforeNext / 60_000));
      throw new DomainException(DomainErrorCode.TooManyRequests, `too many ${what} from this address; try again in ${minutes} min`, [
        { path: 'rate', reason: `at most ${perHour} ${what} per hour from one address` },
      ]);
    }
  }

  /**
   * Receives a tip: rate limit per address, the challenge (its nonce answers one tip only), the
   * institution if coded, the identity sealed under the tip's id. The tracking code is returned
   * here once and only its hash is stored. The audit entry names neither the tipster nor the
   * address they wrote from.
   */
  async submit(input: TipSubmission, ip: string | null): Promise<{ id: string; number: string; trackingCode: string; status: TipStatus; receivedAt: Date }> {
    await this.consume(this.submitLimiter, ip, 'tips', this.config.tips.ratePerHour);
    let nonce: string;
    try {
      nonce = verifyChallenge(this.challengeKey, input.challenge.token, input.challenge.answer).nonce;
    } catch (err) {
      if (err instanceof ChallengeError) throw challengeRefused(err.message);
      throw err;
    }
    const id = randomUUID();
    const code = newTrackingCode();
    const now = new Date();
    let number: string;
    try {
      number = await this.ds.transaction(async (m) => {
        const used = (await m.query(`SELECT 1 FROM tip WHERE challenge_nonce = $1`, [nonce])) as unknown[];
        if (used.length) throw challengeRefused(REUSED);
        if (input.institutionCode) {
          const found = (await m.query(`SELECT 1 FROM institution WHERE code = $1`, [input.institutionCode])) as unknown[];
          if (!found.length) {
            throw new DomainException(DomainErrorCode.InvalidInput, 'unknown institution', [
              { path: 'institutionCode', reason: `no designated institution has the code ${input.institutionCode}: check it, or give the institution's name instead` },
            ]);
          }
        }
        const sealed = input.identity ? encryptIdentity(input.identity, this.key, id) : null;
        const [row] = (await m.query(
          `INSERT INTO tip (id, number, tracking_code_hash, status, institution_code, institution_name, category, description, occurred_on, anonymous,
             identity_ciphertext, identity_key_id, challenge_nonce, received_at)
           SELECT $1, 'JB-' || $2 || '-' || lpad(n::text, greatest(6, length(n::text)), '0'), $3, 'received', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13
           FROM (SELECT nextval('tip_number_seq') AS n) s
           RETURNING number`,
          [
            id,
            this.localDate(now).slice(0, 4),
            trackingCodeHash(code),
            input.institutionCode,
            input.institutionName,
            input.category,
            input.description,
            input.occurredOn,
            input.anonymous,
            sealed,
            sealed ? identityKeyId(this.key) : null,
            nonce,
            now,
          ],
        )) as { number: string }[];
        await this.addEvent(m, id, { at: now, action: 'receive', status: 'received', publicNote: null, internalNote: null, actor: systemActor('public') });
        await this.audit.record(m, {
          actor: systemActor('public'),
          action: 'tip.receive',
          entityType: 'tip',
          entityId: id,
          after: {
            number: row!.number,
            status: 'received',
            category: input.category,
            institutionCode: input.institutionCode,
            anonymous: input.anonymous,
            identitySealed: sealed !== null,
            identityKeyId: sealed ? identityKeyId(this.key) : null,
            descriptionSha256: sha256Hex(input.description),
          },
          // The tipster's address is not kept: it could identify them.
          ip: null,
        });
        return row!.number;
      });
    } catch (err) {
      if (isUniqueViolation(err, 'uq_tip_challenge_nonce')) throw challengeRefused(REUSED);
      throw err;
    }
    this.logger.log(`tip ${number} received`);
    return { id, number, trackingCode: formatTrackingCode(code), status: 'received', receivedAt: now };
  }

  /** What the tipster sees with the tracking code: status, the public timeline, the reward amount once granted. */
  async track(code: string, ip: string | null) {
    await this.consume(this.trackLimiter, ip, 'tracking requests', TRACK_RATE_PER_HOUR);
    const tip = await this.ds.getRepository(Tip).findOne({ where: { trackingCodeHash: trackingCodeHash(code) } });
    if (!tip) throw new DomainException(DomainErrorCode.NotFound, 'no tip has this tracking code', [{ path: 'code', reason: 'check the code you were given when you submitted the tip' }]);
    const events = (await this.ds.query(`SELECT at, action, status, public_note FROM tip_event WHERE tip_id = $1 ORDER BY at, id`, [tip.id])) as {
      at: Date;
      action: string;
      status: TipStatus;
      public_note: string | null;
    }[];
    const timeline: { at: Date; status: TipStatus; note: string | null }[] = [];
    let last: TipStatus | null = null;
    for (const e of events) {
      // Status changes and public notes; internal notes and internal steps never.
      if (e.status !== last || e.public_note) timeline.push({ at: e.at, status: e.status, note: e.public_note });
      last = e.status;
    }
    const [reward] = (await this.ds.query(`SELECT amount, to_char(paid_on, 'YYYY-MM-DD') AS paid_on FROM tip_reward WHERE tip_id = $1`, [tip.id])) as { amount: string; paid_on: string | null }[];
    return {
      number: tip.number,
      status: tip.status,
      category: tip.category,
      receivedAt: tip.receivedAt,
      timeline,
      reward: reward ? { amount: yuanText(fenOf(reward.amount)), paidOn: reward.paid_on } : null,
    };
  }

  // -------------------------------------------------------------------------------------------
  // The supervisors' side: reading

  private async load(m: EntityManager, ref: string, lock: boolean): Promise<Tip> {
    const where = isUuid(ref) ? { id: ref.toLowerCase() } : TIP_NUMBER.test(ref) ? { number: ref } : null;
    if (!where) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid tip id', [{ path: 'id', reason: 'must be a tip id (UUID) or number (JB-YYYY-NNNNNN)' }]);
    const tip = await m.getRepository(Tip).findOne({ where, lock: lock ? { mode: 'pessimistic_write' } : undefined });
    if (!tip) throw notFound(ref);
    return tip;
  }

  private async caseOf(m: EntityManager, caseId: string | null): Promise<{ id: string; number: string; status: string; dismissed: boolean } | null> {
    if (!caseId) return null;
    const [c] = (await m.query(`SELECT id, number, status, final_at FROM supervision_case WHERE id = $1`, [caseId])) as { id: string; number: string; status: string; final_at: Date | null }[];
    if (!c) return null;
    return { id: c.id, number: c.number, status: c.status, dismissed: c.status === 'dismissed' || (c.status === 'closed' && c.final_at === null) };
  }

  private async workflowTip(m: EntityManager, tip: Tip): Promise<WorkflowTip> {
    const c = await this.caseOf(m, tip.caseId);
    const reward = (await m.query(`SELECT 1 FROM tip_reward WHERE tip_id = $1`, [tip.id])) as unknown[];
    return { number: tip.number, status: tip.status, caseNumber: c?.number ?? null, caseDismissed: c?.dismissed ?? false, hasReward: reward.length > 0 };
  }

  private snapshot(tip: Tip): TipSnapshot {
    return { number: tip.number, status: tip.status, assignedTo: tip.assignedTo, caseId: tip.caseId, rewardLevel: tip.rewardLevel };
  }

  /** Tips, newest first, with counts per status; `mine`: those assigned to the actor. */
  async list(f: TipListFilter, actor: Actor) {
    const params: unknown[] = [];
    const conds: string[] = [];
    if (f.status) conds.push(`t.status = $${params.push(f.status)}`);
    if (f.mine) conds.push(`t.assigned_to = $${params.push(actor.userId)}`);
    const where = conds.length ? `WHERE ${conds.join(' AND ')}` : '';
    const rows = (await this.ds.query(
      `SELECT t.id, t.number, t.status, t.category, t.institution_code, coalesce(i.name, t.institution_name) AS institution_name, t.anonymous, t.assigned_to,
              u.display_name AS assignee_name, t.received_at, t.case_id, c.number AS case_number, r.amount AS reward_amount, left(t.description, 80) AS excerpt,
              count(*) OVER () AS total
       FROM tip t
       LEFT JOIN institution i ON i.code = t.institution_code
       LEFT JOIN user_account u ON u.id = t.assigned_to
       LEFT JOIN supervision_case c ON c.id = t.case_id
       LEFT JOIN tip_reward r ON r.tip_id = t.id
       ${where}
       ORDER BY t.received_at DESC, t.number DESC
       LIMIT $${params.push(f.pageSize)} OFFSET $${params.push((f.page - 1) * f.pageSize)}`,
      params,
    )) as TipListRow[];
    const counts = (await this.ds.query(`SELECT status, count(*)::int AS n FROM tip GROUP BY status`)) as { status: TipStatus; n: number }[];
    return {
      total: rows.length ? Number(rows[0]!.total) : 0,
      page: f.page,
      pageSize: f.pageSize,
      counts: Object.fromEntries(counts.map((c) => [c.status, c.n])),
      items: rows.map((r) => ({
        id: r.id,
        number: r.number,
        status: r.status,
        category: r.category,
        institutionCode: r.institution_code,
        institutionName: r.institution_name,
        anonymous: r.anonymous,
        assignee: r.assigned_to ? { id: r.assigned_to, name: r.assignee_name } : null,
        receivedAt: r.received_at,
        case: r.case_id ? { id: r.case_id, number: r.case_number } : null,
        rewardAmount: r.reward_amount === null ? null : yuanText(fenOf(r.reward_amount)),
        excerpt: r.excerpt,
      })),
    };
  }

  /** A tip with its whole timeline (internal notes too), case, reward and the actions the actor may take. Never the identity. */
  async detail(ref: string, actor: Actor) {
    const m = this.ds.manager;
    const tip = await this.load(m, ref, false);
    const wf = await this.workflowTip(m, tip);
    const c = await this.caseOf(m, tip.caseId);
    const [inst] = (await m.query(`SELECT name FROM institution WHERE code = $1`, [tip.institutionCode])) as { name: string }[];
    const [assignee] = tip.assignedTo ? ((await m.query(`SELECT display_name, name FROM user_account WHERE id = $1`, [tip.assignedTo])) as { display_name: string; name: string }[]) : [];
    const events = (await m.query(`SELECT at, action, status, public_note, internal_note, actor_name FROM tip_event WHERE tip_id = $1 ORDER BY at, id`, [tip.id])) as {
      at: Date;
      action: string;
      status: TipStatus;
      public_note: string | null;
      internal_note: string | null;
      actor_name: string;
    }[];
    const reward = await this.rewardView(m, tip.id);
    return {
      id: tip.id,
      number: tip.number,
      status: tip.status,
      category: tip.category,
      institution: { code: tip.institutionCode, name: inst?.name ?? null, reportedName: tip.institutionName },
      description: tip.description,
      occurredOn: tip.occurredOn,
      receivedAt: tip.receivedAt,
      closedAt: tip.closedAt,
      anonymous: tip.anonymous,
      identity: {
        sealed: tip.identityCiphertext !== null,
        keyId: tip.identityKeyId,
        // Only the supervisor the tip is assigned to may open it (GET /api/tips/:id/identity).
        readableByYou: !tip.anonymous && actor.role === 'supervisor' && actor.userId !== null && actor.userId === tip.assignedTo,
      },
      assignee: tip.assignedTo ? { id: tip.assignedTo, name: assignee?.display_name ?? null, login: assignee?.name ?? null } : null,
      assignedAt: tip.assignedAt,
      case: c ? { id: c.id, number: c.number, status: c.status } : null,
      rewardLevel: tip.rewardLevel,
      reward,
      events: events.map((e) => ({ at: e.at, action: e.action, status: e.status, publicNote: e.public_note, internalNote: e.internal_note, actor: e.actor_name })),
      allowedActions: allowedActions(wf, actor),
    };
  }

  private async rewardView(m: EntityManager, tipId: string) {
    const [r] = (await m.query(
      `SELECT r.level, r.level_defaulted, r.basis_amount, r.share::text AS share, r.computed_amount, r.amount, r.clamped_by, r.policy_version, r.recorded_by_name, r.recorded_at,
              to_char(r.paid_on, 'YYYY-MM-DD') AS paid_on, r.case_id, r.decision_id
       FROM tip_reward r WHERE r.tip_id = $1`,
      [tipId],
    )) as {
      level: number;
      level_defaulted: boolean;
      basis_amount: string;
      share: string;
      computed_amount: string;
      amount: string;
      clamped_by: 'minimum' | 'maximum' | null;
      policy_version: string;
      recorded_by_name: string;
      recorded_at: Date;
      paid_on: string | null;
      case_id: string;
      decision_id: string;
    }[];
    if (!r) return null;
    return {
      level: r.level,
      levelDefaulted: r.level_defaulted,
      basisAmount: yuanText(fenOf(r.basis_amount)),
      share: r.share,
      computedAmount: yuanText(fenOf(r.computed_amount)),
      amount: yuanText(fenOf(r.amount)),
      clampedBy: r.clamped_by,
      policyVersion: r.policy_version,
      recordedBy: r.recorded_by_name,
      recordedAt: r.recorded_at,
      paidOn: r.paid_on,
      caseId: r.case_id,
      decisionId: r.decision_id,
    };
  }

  /** Active supervisors (whom a tip can be assigned to). */
  async supervisors(): Promise<{ id: string; name: string; displayName: string }[]> {
    const rows = (await this.ds.query(`SELECT id, name, display_name FROM user_account WHERE role = 'supervisor' AND disabled_at IS NULL ORDER BY name`)) as {
      id: string;
      name: string;
      display_name: string;
    }[];
    return rows.map((r) => ({ id: r.id, name: r.name, displayName: r.display_name }));
  }

  /**
   * The tipster's identity, for the supervisor the tip is assigned to and nobody else (admins and
   * auditors included): every read is audited (who and when, never what), a refusal too.
   */
  async readIdentity(ref: string, by: Acting): Promise<{ id: string; number: string; anonymous: boolean; identity: TipIdentity | null }> {
    const tip = await this.load(this.ds.manager, ref, false);
    if (by.actor.role !== 'supervisor' || !by.actor.userId || by.actor.userId !== tip.assignedTo) {
      await this.audit.record(this.ds.manager, {
        actor: by.actor,
        action: 'tip.identity.refused',
        entityType: 'tip',
        entityId: tip.id,
        after: { number: tip.number, assignedTo: tip.assignedTo },
        ip: by.ip ?? null,
      });
      throw new DomainException(DomainErrorCode.Forbidden, `only the supervisor tip ${tip.number} is assigned to may read the tipster's identity`, [
        { path: 'id', reason: tip.assignedTo ? 'the tip is assigned to another supervisor' : 'the tip is not assigned yet' },
      ]);
    }
    if (tip.anonymous || !tip.identityCiphertext) return { id: tip.id, number: tip.number, anonymous: true, identity: null };
    let identity: TipIdentity;
    try {
      identity = decryptIdentity(asBuffer(tip.identityCiphertext), this.key, tip.identityKeyId ?? '', tip.id);
    } catch (err) {
      if (!(err instanceof TipIdentityError)) throw err;
      this.logger.error(`tip ${tip.number}: identity cannot be opened (${err.reason}): ${err.message}`);
      throw new DomainException(DomainErrorCode.Unavailable, `the identity of tip ${tip.number} cannot be opened: ${err.message}`, [{ path: 'identity', reason: err.reason }]);
    }
    await this.audit.record(this.ds.manager, {
      actor: by.actor,
      action: 'tip.identity.read',
      entityType: 'tip',
      entityId: tip.id,
      after: { number: tip.number, identityKeyId: tip.identityKeyId },
      ip: by.ip ?? null,
    });
    return { id: tip.id, number: tip.number, anonymous: false, identity };
  }

  // -------------------------------------------------------------------------------------------
  // The supervisors' side: changing

  private async addEvent(
    m: EntityManager,
    tipId: string,
    e: { at: Date; action: string; status: TipStatus; publicNote: string | null; internalNote: string | null; actor: Actor },
  ): Promise<string> {
    const [row] = (await m.query(
      `INSERT INTO tip_event (tip_id, at, action, status, public_note, internal_note, actor_user_id, actor_name) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id::text AS id`,
      [tipId, e.at, e.action, e.status, e.publicNote, e.internalNote, e.actor.userId, e.actor.name],
    )) as { id: string }[];
    return row!.id;
  }

  /**
   * One workflow step in one transaction: lock the tip, ask the workflow, apply the change, write
   * the timeline event and audit it (before and after).
   */
  private async step(ref: string, by: Acting, action: TipAction, input: TipActionInput, apply: (m: EntityManager, tip: Tip, t: TipTransition, now: Date) => Promise<StepResult>): Promise<string> {
    return this.ds.transaction(async (m) => {
      const tip = await this.load(m, ref, true);
      const t = transition(await this.workflowTip(m, tip), action, by.actor, input);
      const before = this.snapshot(tip);
      const now = new Date();
      const r = await apply(m, tip, t, now);
      tip.status = t.to;
      await m.query(
        `UPDATE tip SET status = $2, assigned_to = $3, assigned_at = $4, case_id = $5, reward_level = $6, closed_at = $7, updated_at = now() WHERE id = $1`,
        [tip.id, tip.status, tip.assignedTo, tip.assignedAt, tip.caseId, tip.rewardLevel, tip.closedAt],
      );
      const eventId = await this.addEvent(m, tip.id, { at: now, action, status: t.to, publicNote: r.publicNote ?? null, internalNote: r.internalNote ?? null, actor: by.actor });
      await this.audit.record(m, {
        actor: by.actor,
        action: `tip.${action}`,
        entityType: 'tip',
        entityId: tip.id,
        before,
        after: { ...this.snapshot(tip), eventId, ...(r.audit ?? {}) },
        ip: by.ip ?? null,
      });
      return tip.id;
    });
  }

  /**
   * Assigns the tip to an active supervisor: from then on only they may read the identity. Once
   * assigned, only the assignee or an admin may hand it on — otherwise any supervisor could assign
   * it to themselves, read the identity and give it back.
   */
  async assign(ref: string, input: { assignee: string }, by: Acting) {
    await this.step(ref, by, 'assign', { assignee: input.assignee }, async (m, tip, _t, now) => {
      if (tip.assignedTo && by.actor.role !== 'admin' && by.actor.userId !== tip.assignedTo) {
        throw new DomainException(DomainErrorCode.Forbidden, `tip ${tip.number} is assigned to another supervisor: only they or an admin may reassign it`, [
          { path: 'assignee', reason: 'the tip is already assigned; ask its supervisor or an admin' },
        ]);
      }
      const a = input.assignee.trim();
      const [u] = (await m.query(
        isUuid(a) ? `SELECT id, name, role, disabled_at FROM user_account WHERE id = $1` : `SELECT id, name, role, disabled_at FROM user_account WHERE name = $1`,
        [a.toLowerCase()],
      )) as { id: string; name: string; role: string; disabled_at: Date | null }[];
      if (!u || u.role !== 'supervisor' || u.disabled_at) {
        throw new DomainException(DomainErrorCode.InvalidInput, 'invalid assignee', [{ path: 'assignee', reason: `${a} is not an active supervisor (tips are handled by supervisors)` }]);
      }
      if (u.id === tip.assignedTo) throw new DomainException(DomainErrorCode.Conflict, `tip ${tip.number} is already assigned to ${u.name}`, [{ path: 'assignee', reason: 'is the current assignee' }]);
      tip.assignedTo = u.id;
      tip.assignedAt = now;
      return { internalNote: `→ ${u.name}`, audit: { assignee: u.name } };
    });
    return this.detail(ref, by.actor);
  }

  async startInvestigation(ref: string, by: Acting) {
    await this.step(ref, by, 'start_investigation', {}, async () => ({}));
    return this.detail(ref, by.actor);
  }

  /** A note on the timeline: public ones are shown to the tipster, internal ones only here. */
  async addNote(ref: string, input: { note: string; visibility: 'public' | 'internal' }, by: Acting) {
    await this.step(ref, by, 'note', { note: input.note }, async () =>
      input.visibility === 'public' ? { publicNote: input.note, audit: { visibility: 'public' } } : { internalNote: input.note, audit: { visibility: 'internal' } },
    );
    return this.detail(ref, by.actor);
  }

  /** The reward level (1 = best supported) the computation will use when the case becomes final. */
  async setLevel(ref: string, input: { level: number }, by: Acting) {
    if (!this.rewards.policy.levels.some((l) => l.level === input.level)) {
      throw new DomainException(DomainErrorCode.InvalidInput, 'invalid reward level', [{ path: 'level', reason: `must be a level of the reward policy: 1 to ${this.rewards.policy.levels.length}` }]);
    }
    await this.step(ref, by, 'set_level', { level: input.level }, async (_m, tip) => {
      const from = tip.rewardLevel;
      tip.rewardLevel = input.level;
      return { internalNote: `奖励等级 ${from ?? '—'} → ${input.level}`, audit: { levelFrom: from } };
    });
    return this.detail(ref, by.actor);
  }

  /** Opens a case from the tip (in the same transaction): the tip's institution unless another is given. */
  async openCase(ref: string, input: { institutionCode: string | null; amountAtRiskFen: bigint; note: string | null }, by: Acting) {
    await this.step(ref, by, 'open_case', {}, async (m, tip, _t, now) => {
      const code = input.institutionCode ?? tip.institutionCode;
      if (!code) {
        throw new DomainException(DomainErrorCode.InvalidInput, 'the case needs an institution', [
          { path: 'institutionCode', reason: `tip ${tip.number} names no institution code (only "${tip.institutionName ?? ''}"): give the code of the institution the case is against` },
        ]);
      }
      const found = (await m.query(`SELECT 1 FROM institution WHERE code = $1`, [code])) as unknown[];
      if (!found.length) throw new DomainException(DomainErrorCode.InvalidInput, 'unknown institution', [{ path: 'institutionCode', reason: `no designated institution has the code ${code}` }]);
      const c = await this.cases.openFromTip(
        m,
        { institutionCode: code, tipId: tip.id, tipNumber: tip.number, category: tip.category, amountAtRisk: yuanText(input.amountAtRiskFen), at: now, notes: input.note },
        by.actor,
      );
      tip.caseId = c.id;
      return { internalNote: `${c.number}${input.note ? ` · ${input.note}` : ''}`, audit: { caseNumber: c.number, institutionCode: code } };
    });
    return this.detail(ref, by.actor);
  }

  /** Closes the tip as not substantiated (不属实), with an internal reason and optionally a note for the tipster. */
  async close(ref: string, input: { reason: string; publicNote: string | null }, by: Acting) {
    await this.step(ref, by, 'close', { reason: input.reason }, async (_m, tip, _t, now) => {
      tip.closedAt = now;
      return { internalNote: input.reason, publicNote: input.publicNote };
    });
    return this.detail(ref, by.actor);
  }

  /** Records that the granted reward was paid: the tip becomes rewarded. */
  async recordPayment(ref: string, input: { paidOn: string }, by: Acting) {
    await this.step(ref, by, 'record_payment', { paidOn: input.paidOn }, async (m, tip) => {
      await m.query(`UPDATE tip_reward SET paid_on = $2, updated_at = now() WHERE tip_id = $1`, [tip.id, input.paidOn]);
      return { audit: { paidOn: input.paidOn } };
    });
    return this.detail(ref, by.actor);
  }

  // -------------------------------------------------------------------------------------------
  // The reward

  /**
   * The case opened from a tip became final with a violation: inside the case's transaction the
   * tip is substantiated and its reward computed under the policy in force and recorded, once
   * (a re-emitted event finds the reward and adds nothing).
   */
  private async onCaseFinal(m: EntityManager, e: CaseFinalEvent): Promise<void> {
    const tip = await m.getRepository(Tip).findOne({ where: { caseId: e.case.id }, lock: { mode: 'pessimistic_write' } });
    if (!tip) return;
    const existing = (await m.query(`SELECT 1 FROM tip_reward WHERE tip_id = $1`, [tip.id])) as unknown[];
    if (existing.length) return;
    if (tip.status !== 'case_opened') {
      this.logger.warn(`case ${e.case.number} became final, but its tip ${tip.number} is ${tip.status}: no reward computed`);
      return;
    }
    const t = transition(await this.workflowTip(m, tip), 'substantiate', { role: 'system' });
    const policy = this.rewards.policy;
    // A level the policy in force no longer has (the file changed since it was set) must not stop the
    // case from becoming final: the lowest level applies, and the note says why.
    const levelGone = tip.rewardLevel !== null && !policy.levels.some((l) => l.level === tip.rewardLevel);
    const r = computeReward(policy, levelGone ? null : tip.rewardLevel, fenOf(e.decision.amountToRecover));
    const before = this.snapshot(tip);
    await m.query(
      `INSERT INTO tip_reward (tip_id, case_id, decision_id, level, level_defaulted, basis_amount, share, computed_amount, amount, clamped_by, policy_version, recorded_by, recorded_by_name, recorded_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [
        tip.id,
        e.case.id,
        e.decision.id,
        r.level,
        r.levelDefaulted,
        yuanText(r.basisFen),
        r.share,
        yuanText(r.rawFen),
        yuanText(r.amountFen),
        r.clamped,
        this.rewards.version,
        e.actor.userId,
        e.actor.name,
        e.at,
      ],
    );
    tip.status = t.to;
    tip.closedAt = e.at;
    await m.query(`UPDATE tip SET status = $2, closed_at = $3, updated_at = now() WHERE id = $1`, [tip.id, tip.status, tip.closedAt]);
    const clampText = r.clamped === 'minimum' ? `，低于最低额，按 ¥${policy.minimum} 发放` : r.clamped === 'maximum' ? `，高于最高额，按 ¥${policy.maximum} 发放` : '';
    const levelText = levelGone
      ? `第 ${r.level} 级（设定的第 ${tip.rewardLevel} 级已不在现行奖励办法中，按最低等级计）`
      : r.levelDefaulted
        ? `第 ${r.level} 级（未设定奖励等级，按最低等级计）`
        : `第 ${r.level} 级`;
    const note = `案件 ${e.case.number} 处理决定生效：奖励 ${levelText}，${r.share} × 追回金额 ¥${yuanText(r.basisFen)} = ¥${yuanText(r.rawFen)}${clampText}；奖励金额 ¥${yuanText(r.amountFen)}（办法版本 ${this.rewards.version.slice(0, 12)}）`;
    const eventId = await this.addEvent(m, tip.id, { at: e.at, action: 'substantiate', status: t.to, publicNote: null, internalNote: note, actor: e.actor });
    await this.audit.record(m, {
      actor: e.actor,
      action: 'tip.substantiate',
      entityType: 'tip',
      entityId: tip.id,
      before,
      after: {
        ...this.snapshot(tip),
        eventId,
        caseNumber: e.case.number,
        decisionId: e.decision.id,
        reward: {
          level: r.level,
          levelDefaulted: r.levelDefaulted,
          basisAmount: yuanText(r.basisFen),
          share: r.share,
          computedAmount: yuanText(r.rawFen),
          amount: yuanText(r.amountFen),
          clampedBy: r.clamped,
          policyVersion: this.rewards.version,
        },
      },
      ip: e.ip,
    });
    this.logger.log(`tip ${tip.number} substantiated by case ${e.case.number}: reward ¥${yuanText(r.amountFen)}`);
  }
}
