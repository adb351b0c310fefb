import { Injectable, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource, EntityManager } from 'typeorm';
import { Actor } from '../accounts/roles';
import { AuditService } from '../audit/audit.service';
import { yuanText } from '../cases/money';
import { CasesService } from '../cases/cases.service';
import { isUuid } from '../common/query';
import { DomainErrorCode, DomainException } from '../common/domain.exception';
import { parseYamlSource } from '../common/yaml-source';
import { CreditPolicyService } from '../credit/credit-policy.service';
import { CreditService } from '../credit/credit.service';
import { addWorkingDays, localDate } from '../credit/ledger';
import { commitmentOf, DrawInputError, newSeed, runDraw, verifyDraw } from './draw-algorithm';
import type { DrawInput, DrawInspector, DrawObject, DrawResult, DrawRules } from './draw.types';
import { InspectionDraw, InspectionPlan, PlanMatter, ResultOutcome } from './inspection.entities';
import { parsePlanInput, PlanInput, ResultInput } from './inspection-plan.dto';
import { rulesFolder } from '../common/rules-folder';

/** Results are due public within this many working days (Mon–Fri; holidays not modelled). */
export const PUBLICATION_WORKING_DAYS = 20;
const TZ = 'Asia/Shanghai';

export interface Acting {
  actor: Actor;
  ip?: string | null;
}

function notFound(what: string, path = 'id'): DomainException {
  return new DomainException(DomainErrorCode.NotFound, `${what} not found`, [{ path, reason: 'no such record' }]);
}
function conflict(message: string, path: string, reason: string): DomainException {
  return new DomainException(DomainErrorCode.Conflict, message, [{ path, reason }]);
}

/** The list of inspection matters (一单), checked: every matter has a unique code, the matter, its basis and method. */
export function loadMatters(file = join(rulesFolder('inspection-matters.yaml'), 'inspection-matters.yaml')): PlanMatter[] {
  const src = parseYamlSource(readFileSync(file, 'utf8'), file);
  if (src.syntaxProblems.length) throw new Error(src.syntaxProblems.join('\n'));
  const list = (src.data as { matters?: unknown })?.matters;
  if (!Array.isArray(list) || !list.length) throw new Error(`${file}:${src.lineOf(['matters'])}: matters must be a non-empty list`);
  const seen = new Set<string>();
  return list.map((m, i) => {
    const o = (m ?? {}) as Record<string, unknown>;
    for (const k of ['code', 'matter', 'basis', 'method']) {
      if (typeof o[k] !== 'string' || !(o[k] as string).trim()) throw new Error(`${file}:${src.lineOf(['matters', i])}: matters[${i}].${k} is required`);
    }
    if (seen.has(o.code as string)) throw new Error(`${file}:${src.lineOf(['matters', i, 'code'])}: matter code ${String(o.code)} is defined twice`);
    seen.add(o.code as string);
    return { code: o.code as string, matter: o.matter as string, basis: o.basis as string, method: o.method as string };
  });
}

interface AssignmentRow {
  id: string;
  plan_id: string;
  draw_id: string;
  institution_code: string;
  institution_name: string | null;
  grade: string;
  team: string[];
  status: string;
  due_on: string;
  plan_name: string;
  period: string;
  matters: PlanMatter[];
  result_id: string | null;
  outcome: string | null;
  amount_found: string | null;
  notes: string | null;
  case_id: string | null;
  case_number: string | null;
  recorded_at: Date | null;
  recorded_by_inspector: string | null;
  publish_due_on: string | null;
  published_at: Date | null;
}

/**
 * 双随机、一公开: inspection plans, the commitment to a secret seed, the draw (objects with their
 * credit grades and inspectors snapshotted, the pure algorithm of draw-algorithm.ts), its
 * publication and verification, inspectors' assignments and results (cases, credit), publication deadlines.
 */
@Injectable()
export class InspectionsService implements OnModuleInit {
  readonly matters: PlanMatter[] = loadMatters();
  private credit!: CreditService;
  private policies!: CreditPolicyService;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly audit: AuditService,
    private readonly cases: CasesService,
    private readonly moduleRef: ModuleRef,
  ) {}

  onModuleInit() {
    // CreditModule is a dynamic module per process role, registered once by AppModule.
    this.credit = this.moduleRef.get(CreditService, { strict: false });
    this.policies = this.moduleRef.get(CreditPolicyService, { strict: false });
  }

  /** The credit grades, best first, with the policy's sampling ratio (a plan's default). */
  gradeRatios(): { grade: string; samplingRatio: number }[] {
    return this.policies.policy.grades.map((g) => ({ grade: g.grade, samplingRatio: g.samplingRatio }));
  }

  parsePlan(body: unknown): PlanInput {
    return parsePlanInput(
      body,
      this.gradeRatios().map((g) => g.grade),
      this.matters.map((m) => m.code),
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Plans

  private planDto(p: InspectionPlan) {
    return {
      id: p.id,
      name: p.name,
      period: p.period,
      periodFrom: p.periodFrom,
      periodTo: p.periodTo,
      matters: p.matters,
      objectFilter: p.objectFilter,
      samplingRatio: p.samplingRatio,
      minPerStratum: p.minPerStratum,
      teamSize: p.teamSize,
      loadCap: p.loadCap,
      avoidSameRegion: p.avoidSameRegion,
      avoidPrevious: p.avoidPrevious,
      status: p.status,
      commitment: p.commitment,
      committedAt: p.committedAt,
      redrawPending: p.redrawReason !== null,
      redrawReason: p.redrawReason,
      createdBy: p.createdBy,
      createdAt: p.createdAt,
    };
  }

  async createPlan(input: PlanInput, by: Acting) {
    const ratios = Object.fromEntries(this.gradeRatios().map((g) => [g.grade, input.samplingRatio[g.grade] ?? g.samplingRatio]));
    const plan = await this.ds.transaction(async (m) => {
      const p = m.create(InspectionPlan, {
        name: input.name,
        period: input.period,
        periodFrom: input.periodFrom,
        periodTo: input.periodTo,
        matters: input.matterCodes.map((c) => this.matters.find((x) => x.code === c)!),
        objectFilter: input.objectFilter,
        samplingRatio: ratios,
        minPerStratum: input.minPerStratum,
        teamSize: input.teamSize,
        loadCap: input.loadCap,
        avoidSameRegion: input.avoidSameRegion,
        avoidPrevious: input.avoidPrevious,
        status: 'draft',
        seed: null,
        commitment: null,
        committedAt: null,
        redrawReason: null,
        createdBy: by.actor.name,
      });
      await m.save(p);
      await this.audit.record(m, { actor: by.actor, action: 'inspection_plan.create', entityType: 'inspection_plan', entityId: p.id, after: this.planDto(p), ip: by.ip ?? null });
      return p;
    });
    return this.planDto(plan);
  }

  private async loadPlan(m: EntityManager, id: string, lock = false): Promise<InspectionPlan> {
    if (!isUuid(id)) throw notFound('inspection plan');
    const p = await m.findOne(InspectionPlan, { where: { id: id.toLowerCase() }, ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
    if (!p) throw notFound('inspection plan');
    return p;
  }

  async listPlans() {
    const plans = await this.ds.getRepository(InspectionPlan).find({ order: { createdAt: 'DESC' }, take: 200 });
    const draws: { plan_id: string; id: string; number: number; drawn_at: Date; assignments: number; unstaffed: number }[] = await this.ds.query(
      `SELECT d.plan_id, d.id, d.number, d.drawn_at, jsonb_array_length(d.result->'assignments') AS assignments, jsonb_array_length(d.result->'unstaffed') AS unstaffed
       FROM inspection_draw d WHERE d.plan_id = ANY($1::uuid[]) ORDER BY d.plan_id, d.number`,
      [plans.map((p) => p.id)],
    );
    return plans.map((p) => ({ ...this.planDto(p), draws: draws.filter((d) => d.plan_id === p.id).map(({ plan_id: _p, ...d }) => d) }));
  }

  async plan(id: string) {
    const p = await this.loadPlan(this.ds.manager, id);
    const draws = await this.ds.query(
      `SELECT id, number, commitment, committed_at AS "committedAt", seed, drawn_at AS "drawnAt", drawn_by AS "drawnBy", result_hash AS "resultHash", replaces_draw_id AS "replacesDrawId", reason,
              jsonb_array_length(result->'assignments') AS assignments, result->'unstaffed' AS unstaffed, result->'strata' AS strata
       FROM inspection_draw WHERE plan_id = $1 ORDER BY number`,
      [p.id],
    );
    return { ...this.planDto(p), draws };
  }

  /**
   * Publishes the commitment (SHA-256 of a fresh secret seed) of the plan's next draw. The seed stays
   * in the plan row (never read for a response) until the draw reveals it.
   */
  async commit(id: string, by: Acting) {
    const p = await this.ds.transaction(async (m) => {
      const p = await this.loadPlan(m, id, true);
      if (p.status !== 'draft') throw conflict(`the plan is ${p.status}: only a draft plan is committed (a drawn plan asks for a redraw)`, 'status', `is ${p.status}`);
      await this.newCommitment(m, p, null);
      await this.audit.record(m, { actor: by.actor, action: 'inspection_plan.commit', entityType: 'inspection_plan', entityId: p.id, before: { status: 'draft' }, after: { status: 'committed', commitment: p.commitment, committedAt: p.committedAt }, ip: by.ip ?? null });
      return p;
    });
    return this.planDto(p);
  }

  private async newCommitment(m: EntityManager, p: InspectionPlan, reason: string | null): Promise<void> {
    const seed = newSeed();
    p.commitment = commitmentOf(seed);
    p.committedAt = new Date();
    p.status = 'committed';
    p.redrawReason = reason;
    await m.query(`UPDATE inspection_plan SET seed = $2, commitment = $3, committed_at = $4, status = 'committed', redraw_reason = $5, updated_at = now() WHERE id = $1`, [
      p.id,
      seed,
      p.commitment,
      p.committedAt,
      reason,
    ]);
  }

  /**
   * A redraw: refused once any result of the current draw is recorded; otherwise a new commitment is
   * published now and the next `draw` appends a new draw (with this reason) replacing the current one.
   */
  async requestRedraw(id: string, reason: string, by: Acting) {
    const p = await this.ds.transaction(async (m) => {
      const p = await this.loadPlan(m, id, true);
      if (p.status !== 'drawn') throw conflict(`the plan is ${p.status}: only a drawn plan is redrawn`, 'status', `is ${p.status}`);
      const [{ n }]: { n: number }[] = await m.query(
        `SELECT count(*)::int AS n FROM inspection_result r JOIN inspection_assignment a ON a.id = r.assignment_id WHERE a.plan_id = $1 AND a.status <> 'superseded'`,
        [p.id],
      );
      if (n > 0) throw conflict(`${n} result(s) of the current draw are recorded: it can no longer be redrawn`, 'id', 'has recorded results');
      await this.newCommitment(m, p, reason);
      await this.audit.record(m, { actor: by.actor, action: 'inspection_plan.redraw_request', entityType: 'inspection_plan', entityId: p.id, before: { status: 'drawn' }, after: { status: 'committed', commitment: p.commitment, committedAt: p.committedAt, reason }, ip: by.ip ?? null });
      return p;
    });
    return this.planDto(p);
  }

  /** The objects: institutions matching the plan's filter, with their credit grade now, by code. */
  private async snapshotObjects(m: EntityManager, p: InspectionPlan): Promise<DrawObject[]> {
    const f = p.objectFilter;
    const rows: { code: string; kind: string; level: number | null; region: string }[] = await m.query(
      `SELECT code, kind, level, region FROM institution
       WHERE ($1::text IS NULL OR kind = $1) AND ($2::int IS NULL OR level = $2) AND ($3::text IS NULL OR region LIKE $3 || '%')
       ORDER BY code`,
      [f.kind, f.level, f.region],
    );
    const grades = await this.credit.gradesFor(rows.map((r) => r.code), m);
    return rows.map((r) => ({ code: r.code, kind: r.kind, level: r.level, region: r.region.trim(), grade: grades.get(r.code.toUpperCase())?.grade ?? this.gradeRatios()[0]!.grade }));
  }

  private async snapshotInspectors(m: EntityManager): Promise<DrawInspector[]> {
    const rows: { code: string; unit: string; region: string; conflicts: string[] }[] = await m.query(`SELECT code, unit, region, conflicts FROM inspector ORDER BY code`);
    return rows.map((r) => ({ code: r.code, unit: r.unit, region: r.region.trim(), conflicts: [...r.conflicts].sort() }));
  }

  /** The current draw of the plan drawn last before this one (for 'not the same inspector as last time'). */
  private async previousPairs(m: EntityManager, p: InspectionPlan): Promise<{ institution: string; inspectors: string[] }[]> {
    const [prev]: { id: string }[] = await m.query(
      `SELECT d.id FROM inspection_draw d
       WHERE d.plan_id <> $1 AND NOT EXISTS (SELECT 1 FROM inspection_draw x WHERE x.replaces_draw_id = d.id)
       ORDER BY d.drawn_at DESC LIMIT 1`,
      [p.id],
    );
    if (!prev) return [];
    const rows: { institution_code: string; team: string[] }[] = await m.query(`SELECT institution_code, team FROM inspection_assignment WHERE draw_id = $1 ORDER BY institution_code`, [prev.id]);
    return rows.map((r) => ({ institution: r.institution_code, inspectors: [...r.team].sort() }));
  }

  /**
   * The draw: snapshots, the algorithm, the published row (seed revealed), one assignment per drawn
   * institution; a redraw supersedes the current draw's assignments and links to it.
   */
  async draw(id: string, by: Acting) {
    const drawId = await this.ds.transaction(async (m) => {
      const p = await this.loadPlan(m, id, true);
      if (p.status !== 'committed') throw conflict(`the plan is ${p.status}: commit it first (the commitment is published before the draw)`, 'status', `is ${p.status}`);
      const [{ seed }]: { seed: string }[] = await m.query(`SELECT seed FROM inspection_plan WHERE id = $1`, [p.id]);
      const rules: DrawRules = {
        samplingRatio: p.samplingRatio,
        minPerStratum: p.minPerStratum,
        teamSize: p.teamSize,
        loadCap: p.loadCap,
        avoidSameRegion: p.avoidSameRegion,
        avoidPrevious: p.avoidPrevious,
      };
      const objects = await this.snapshotObjects(m, p);
      const inspectors = await this.snapshotInspectors(m);
      const previous = p.avoidPrevious ? await this.previousPairs(m, p) : [];
      const input: DrawInput = { seed, planId: p.id, rules, objects, inspectors, previous };
      let result: DrawResult;
      try {
        result = runDraw(input);
      } catch (err) {
        if (err instanceof DrawInputError) throw conflict(`the draw cannot run on these inputs: ${err.message}`, 'id', err.message);
        throw err;
      }
      const [current]: { id: string; number: number }[] = await m.query(
        `SELECT id, number FROM inspection_draw WHERE plan_id = $1 ORDER BY number DESC LIMIT 1`,
        [p.id],
      );
      const now = new Date();
      const d = m.create(InspectionDraw, {
        planId: p.id,
        number: (current?.number ?? 0) + 1,
        commitment: p.commitment!,
        committedAt: p.committedAt!,
        seed,
        drawnAt: now,
        drawnBy: by.actor.name,
        rules,
        objects,
        inspectors,
        previous,
        result,
        resultHash: result.resultHash,
        replacesDrawId: current?.id ?? null,
        reason: current ? p.redrawReason : null,
      });
      await m.save(d);
      if (current) await m.query(`UPDATE inspection_assignment SET status = 'superseded', updated_at = now() WHERE draw_id = $1`, [current.id]);
      for (const a of result.assignments) {
        await m.query(`INSERT INTO inspection_assignment (plan_id, draw_id, institution_code, grade, team, status, due_on) VALUES ($1, $2, $3, $4, $5, 'open', $6)`, [
          p.id,
          d.id,
          a.institution,
          a.grade,
          a.team,
          p.periodTo,
        ]);
      }
      // The seed leaves the plan: from now on it lives in the published draw only.
      await m.query(`UPDATE inspection_plan SET seed = NULL, status = 'drawn', redraw_reason = NULL, updated_at = now() WHERE id = $1`, [p.id]);
      await this.audit.record(m, {
        actor: by.actor,
        action: current ? 'inspection_draw.redraw' : 'inspection_draw.draw',
        entityType: 'inspection_draw',
        entityId: d.id,
        before: current ? { drawId: current.id, number: current.number } : null,
        after: { planId: p.id, number: d.number, commitment: d.commitment, resultHash: d.resultHash, inputHashes: result.inputHashes, assignments: result.assignments.length, unstaffed: result.unstaffed, reason: d.reason },
        ip: by.ip ?? null,
      });
      return d.id;
    });
    return this.drawView(drawId);
  }

  // ---------------------------------------------------------------------------------------------
  // Published draws

  private async loadDraw(id: string): Promise<InspectionDraw> {
    if (!isUuid(id)) throw notFound('draw');
    const d = await this.ds.getRepository(InspectionDraw).findOne({ where: { id: id.toLowerCase() } });
    if (!d) throw notFound('draw');
    return d;
  }

  /** The draw id of a plan's draw number (the latest when no number). */
  async drawIdOf(planId: string, number?: number): Promise<string> {
    if (!isUuid(planId)) throw notFound('inspection plan', 'plan');
    const [d]: { id: string }[] = await this.ds.query(
      `SELECT id FROM inspection_draw WHERE plan_id = $1 AND ($2::int IS NULL OR number = $2) ORDER BY number DESC LIMIT 1`,
      [planId.toLowerCase(), number ?? null],
    );
    if (!d) throw notFound(number ? `draw ${number} of the plan` : 'a draw of the plan', number ? 'draw' : 'plan');
    return d.id;
  }

  /** Everything the public needs to recompute the draw: the commitment, the seed, the inputs, the result. */
  async publishedJson(id: string) {
    const d = await this.loadDraw(id);
    const p = await this.loadPlan(this.ds.manager, d.planId);
    return {
      algorithmDoc: 'docs/draw-algorithm.md',
      plan: { id: p.id, name: p.name, period: p.period, periodFrom: p.periodFrom, periodTo: p.periodTo, matters: p.matters, objectFilter: p.objectFilter },
      draw: { id: d.id, number: d.number, drawnAt: d.drawnAt, replacesDrawId: d.replacesDrawId, reason: d.reason },
      commitment: d.commitment,
      committedAt: d.committedAt,
      seed: d.seed,
      input: { seed: d.seed, planId: d.planId, rules: d.rules, objects: d.objects, inspectors: d.inspectors, previous: d.previous } satisfies DrawInput,
      result: d.result,
    };
  }

  /**
   * 一公开 of results: every published inspection result (optionally of one institution, or of one
   * draw), newest first — the enforcing body, the object, the matters and the conclusion.
   */
  async publishedResults(f: { institutionCode?: string; drawId?: string } = {}) {
    const rows: { draw_id: string; plan_name: string; plan_period: string; institution_code: string; institution_name: string | null; unit: string | null; matters: PlanMatter[]; outcome: string; amount_found: string | null; recorded_at: Date; published_at: Date }[] =
      await this.ds.query(
        `SELECT a.draw_id, p.name AS plan_name, p.period AS plan_period, a.institution_code, inst.name AS institution_name, i.unit, p.matters, r.outcome, r.amount_found, r.recorded_at, r.published_at
         FROM inspection_result r JOIN inspection_assignment a ON a.id = r.assignment_id JOIN inspection_plan p ON p.id = a.plan_id
         LEFT JOIN inspector i ON i.code = a.team[1] LEFT JOIN institution inst ON inst.code = a.institution_code
         WHERE r.published_at IS NOT NULL AND ($1::text IS NULL OR a.institution_code = $1) AND ($2::uuid IS NULL OR a.draw_id = $2)
         ORDER BY r.published_at DESC, a.institution_code`,
        [f.institutionCode ?? null, f.drawId ?? null],
      );
    return rows.map((r) => ({
      drawId: r.draw_id,
      plan: { name: r.plan_name, period: r.plan_period },
      institutionCode: r.institution_code,
      institutionName: r.institution_name,
      enforcingBody: r.unit,
      matters: r.matters.map((m) => m.matter),
      outcome: r.outcome,
      amountFound: r.amount_found,
      decidedAt: r.recorded_at,
      publishedAt: r.published_at,
    }));
  }

  /** The plans the public may see (committed or drawn; drafts are internal) with their published draws. */
  async publicPlans() {
    const plans: { id: string; name: string; period: string; period_from: string; period_to: string; matters: PlanMatter[]; status: string; commitment: string | null; committed_at: Date | null }[] = await this.ds.query(
      `SELECT id, name, period, to_char(period_from, 'YYYY-MM-DD') AS period_from, to_char(period_to, 'YYYY-MM-DD') AS period_to, matters, status, commitment, committed_at
       FROM inspection_plan p
       WHERE p.status = 'committed' OR EXISTS (SELECT 1 FROM inspection_draw d WHERE d.plan_id = p.id)
       ORDER BY period_from DESC, name`,
    );
    const draws: { plan_id: string; id: string; number: number; drawn_at: Date; result_hash: string; assignments: number; unstaffed: number; replaced: boolean }[] = await this.ds.query(
      `SELECT d.plan_id, d.id, d.number, d.drawn_at, d.result_hash, jsonb_array_length(d.result->'assignments') AS assignments, jsonb_array_length(d.result->'unstaffed') AS unstaffed,
              EXISTS (SELECT 1 FROM inspection_draw n WHERE n.replaces_draw_id = d.id) AS replaced
       FROM inspection_draw d ORDER BY d.plan_id, d.number`,
    );
    return plans.map((p) => ({
      id: p.id,
      name: p.name,
      period: p.period,
      periodFrom: p.period_from,
      periodTo: p.period_to,
      matters: p.matters.map((m) => m.matter),
      // A commitment awaiting its draw is public; a plan's later commitment (a redraw pending) is shown too.
      pendingCommitment: p.status === 'committed' ? { commitment: p.commitment, committedAt: p.committed_at } : null,
      draws: draws.filter((d) => d.plan_id === p.id).map((d) => ({ id: d.id, number: d.number, drawnAt: d.drawn_at, resultHash: d.result_hash, assignments: d.assignments, unstaffed: d.unstaffed, replaced: d.replaced })),
    }));
  }

  /** Recomputes a published draw from its published data (verifyDraw) and says whether it matches. */
  async verify(id: string): Promise<{ drawId: string; planId: string; number: number; ok: boolean; problems: string[] }> {
    const j = await this.publishedJson(id);
    const r = verifyDraw({ commitment: j.commitment, seed: j.seed, input: j.input, result: j.result });
    return { drawId: j.draw.id, planId: j.plan.id, number: j.draw.number, ok: r.ok, problems: r.problems };
  }

  /** The public view of a draw: plan, commitment, seed, hashes, institutions and teams, published results, verification. */
  async drawView(id: string) {
    const j = await this.publishedJson(id);
    const names = new Map<string, string>(
      ((await this.ds.query(`SELECT code, name FROM institution WHERE code = ANY($1::text[])`, [j.result.assignments.map((a) => a.institution)])) as { code: string; name: string }[]).map((r) => [r.code, r.name]),
    );
    const units = new Map(j.input.inspectors.map((i) => [i.code, i.unit]));
    const results = await this.publishedResults({ drawId: j.draw.id });
    const [replacedBy]: { id: string; number: number }[] = await this.ds.query(`SELECT id, number FROM inspection_draw WHERE replaces_draw_id = $1`, [j.draw.id]);
    const v = verifyDraw({ commitment: j.commitment, seed: j.seed, input: j.input, result: j.result });
    return {
      plan: j.plan,
      rules: j.input.rules,
      draw: j.draw,
      replacedBy: replacedBy ?? null,
      commitment: j.commitment,
      committedAt: j.committedAt,
      seed: j.seed,
      algorithm: j.result.algorithm,
      inputHashes: j.result.inputHashes,
      resultHash: j.result.resultHash,
      strata: j.result.strata,
      objectCount: j.input.objects.length,
      inspectorCount: j.input.inspectors.length,
      assignments: j.result.assignments.map((a) => ({ institution: a.institution, name: names.get(a.institution) ?? null, grade: a.grade, team: a.team.map((c) => ({ code: c, unit: units.get(c) ?? null })) })),
      unstaffed: j.result.unstaffed,
      results: results
        .sort((a, b) => (a.institutionCode < b.institutionCode ? -1 : 1))
        .map((r) => ({ institution: r.institutionCode, enforcingBody: r.enforcingBody, matters: r.matters, outcome: r.outcome, amountFound: r.amountFound, decidedAt: r.decidedAt, publishedAt: r.publishedAt })),
      verification: { ok: v.ok, problems: v.problems },
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Inspectors and assignments

  /** Links a login with role inspector to an inspector of the directory (one each way; a new link replaces the old ones). */
  async linkInspector(input: { user: string; inspectorCode: string }, by: Acting) {
    return this.ds.transaction(async (m) => {
      const ref = input.user.trim();
      const [u]: { id: string; name: string; role: string }[] = await m.query(`SELECT id, name, role FROM user_account WHERE ${isUuid(ref) ? 'id = $1::uuid' : 'name = lower($1)'}`, [ref]);
      if (!u) throw notFound('user', 'user');
      if (u.role !== 'inspector') throw new DomainException(DomainErrorCode.InvalidInput, 'only an inspector login is linked', [{ path: 'user', reason: `has role ${u.role}, not inspector` }]);
      const code = input.inspectorCode.trim();
      const [i]: { code: string }[] = await m.query(`SELECT code FROM inspector WHERE code = $1`, [code]);
      if (!i) throw notFound('inspector', 'inspector');
      const before: { inspector_code: string; user_id: string }[] = await m.query(`SELECT inspector_code, user_id FROM inspector_account WHERE inspector_code = $1 OR user_id = $2`, [i.code, u.id]);
      await m.query(`DELETE FROM inspector_account WHERE inspector_code = $1 OR user_id = $2`, [i.code, u.id]);
      await m.query(`INSERT INTO inspector_account (inspector_code, user_id) VALUES ($1, $2)`, [i.code, u.id]);
      await this.audit.record(m, {
        actor: by.actor,
        action: 'inspector.link',
        entityType: 'inspector_account',
        entityId: i.code,
        before: before.length ? { links: before.map((b) => ({ inspectorCode: b.inspector_code, userId: b.user_id })) } : null,
        after: { inspectorCode: i.code, userId: u.id, userName: u.name },
        ip: by.ip ?? null,
      });
      return { inspectorCode: i.code, userId: u.id, userName: u.name };
    });
  }

  /** The inspector code of a login, or null. */
  async inspectorCodeOf(userId: string | null, m: EntityManager = this.ds.manager): Promise<string | null> {
    if (!userId) return null;
    const [r]: { inspector_code: string }[] = await m.query(`SELECT inspector_code FROM inspector_account WHERE user_id = $1`, [userId]);
    return r?.inspector_code ?? null;
  }

  private assignmentSql(where: string): string {
    return `SELECT a.id, a.plan_id, a.draw_id, a.institution_code, i.name AS institution_name, a.grade, a.team, a.status, to_char(a.due_on, 'YYYY-MM-DD') AS due_on,
                   p.name AS plan_name, p.period, p.matters,
                   r.id AS result_id, r.outcome, r.amount_found, r.notes, r.case_id, c.number AS case_number, r.recorded_at, r.recorded_by_inspector,
                   to_char(r.publish_due_on, 'YYYY-MM-DD') AS publish_due_on, r.published_at
            FROM inspection_assignment a JOIN inspection_plan p ON p.id = a.plan_id
            LEFT JOIN institution i ON i.code = a.institution_code
            LEFT JOIN inspection_result r ON r.assignment_id = a.id
            LEFT JOIN supervision_case c ON c.id = r.case_id
            WHERE ${where}
            ORDER BY a.due_on, p.name, a.institution_code`;
  }

  private async assignmentDto(rows: AssignmentRow[]) {
    const codes = [...new Set(rows.flatMap((r) => r.team))];
    const units = new Map(((await this.ds.query(`SELECT code, name, unit FROM inspector WHERE code = ANY($1::text[])`, [codes])) as { code: string; name: string; unit: string }[]).map((r) => [r.code, r]));
    return rows.map((r) => ({
      id: r.id,
      planId: r.plan_id,
      drawId: r.draw_id,
      plan: { id: r.plan_id, name: r.plan_name, period: r.period },
      institution: { code: r.institution_code, name: r.institution_name },
      grade: r.grade,
      matters: r.matters,
      team: r.team.map((c, i) => ({ code: c, name: units.get(c)?.name ?? null, unit: units.get(c)?.unit ?? null, leader: i === 0 })),
      status: r.status,
      dueOn: r.due_on,
      result: r.result_id
        ? {
            id: r.result_id,
            outcome: r.outcome,
            amountFound: r.amount_found,
            notes: r.notes,
            caseId: r.case_id,
            caseNumber: r.case_number,
            recordedAt: r.recorded_at,
            recordedByInspector: r.recorded_by_inspector,
            publishDueOn: r.publish_due_on,
            publishedAt: r.published_at,
          }
        : null,
    }));
  }

  /**
   * Assignments: an inspector sees those of its own teams only (whatever it asks), others see all
   * (or their own with mine=true, which for a non-inspector is none). Superseded ones are left out.
   */
  async assignments(f: { mine: boolean; planId?: string }, actor: Actor) {
    const params: unknown[] = [];
    const conds = [`a.status <> 'superseded'`];
    const own = actor.role === 'inspector' || f.mine;
    const code = own ? await this.inspectorCodeOf(actor.userId) : null;
    if (own) {
      if (!code) return { inspectorCode: null, items: [] };
      conds.push(`$${params.push(code)} = ANY(a.team)`);
    }
    if (f.planId) {
      if (!isUuid(f.planId)) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid filter', [{ path: 'plan', reason: 'must be a plan id (UUID)' }]);
      conds.push(`a.plan_id = $${params.push(f.planId.toLowerCase())}`);
    }
    const rows: AssignmentRow[] = await this.ds.query(this.assignmentSql(conds.join(' AND ')), params);
    return { inspectorCode: code, items: await this.assignmentDto(rows) };
  }

  /**
   * Records the result of an assignment, once (a correction is refused: a result feeds credit and
   * may open a case, so it is corrected through those, not by rewriting it). Only a member of the
   * assignment's team records it. Violations and referrals open a case; every result goes to
   * credit; all in one transaction.
   */
  async recordResult(assignmentId: string, input: ResultInput, by: Acting) {
    if (!isUuid(assignmentId)) throw notFound('assignment');
    const id = await this.ds.transaction(async (m) => {
      const [a]: { id: string; institution_code: string; team: string[]; status: string; plan_id: string }[] = await m.query(
        `SELECT id, institution_code, team, status, plan_id FROM inspection_assignment WHERE id = $1 FOR UPDATE`,
        [assignmentId.toLowerCase()],
      );
      const code = await this.inspectorCodeOf(by.actor.userId, m);
      // Someone else's assignment is not found (its existence is not disclosed to other inspectors).
      if (!a || !code || !a.team.includes(code)) throw notFound('assignment');
      if (a.status === 'superseded') throw conflict('the assignment was superseded by a redraw', 'id', 'is superseded');
      // The plan row is shared-locked against requestRedraw (which locks it for update and counts results):
      // either the redraw sees this result and is refused, or this result sees the pending redraw.
      const [plan]: { status: string }[] = await m.query(`SELECT status FROM inspection_plan WHERE id = $1 FOR SHARE`, [a.plan_id]);
      if (plan?.status === 'committed') throw conflict('a redraw of this plan is pending: the assignment will be replaced, record results on the new draw', 'id', 'has a pending redraw');
      const [existing]: { id: string }[] = await m.query(`SELECT id FROM inspection_result WHERE assignment_id = $1`, [a.id]);
      if (existing || a.status === 'done') throw conflict('a result is already recorded for this assignment (recorded once; corrections go through the case or a credit appeal)', 'id', 'has a result');
      const now = new Date();
      const amount = input.amountFen !== null ? yuanText(input.amountFen) : null;
      const opened =
        input.outcome === 'compliant'
          ? null
          : await this.cases.openFromInspection(m, { institutionCode: a.institution_code, inspectionId: a.id, outcome: input.outcome, amountAtRisk: amount ?? '0.00', at: now, notes: input.notes }, by.actor);
      const entry = await this.credit.recordInspectionResult(m, { institutionCode: a.institution_code, inspectionId: a.id, outcome: input.outcome as ResultOutcome, at: now, actor: by.actor, ip: by.ip ?? null });
      const publishDueOn = addWorkingDays(localDate(now, TZ), PUBLICATION_WORKING_DAYS);
      const [r]: { id: string }[] = await m.query(
        `INSERT INTO inspection_result (assignment_id, outcome, amount_found, notes, case_id, credit_entry_id, recorded_at, recorded_by, recorded_by_inspector, publish_due_on)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
        [a.id, input.outcome, amount, input.notes, opened?.id ?? null, entry.entryId, now, by.actor.userId, code, publishDueOn],
      );
      await m.query(`UPDATE inspection_assignment SET status = 'done', updated_at = now() WHERE id = $1`, [a.id]);
      await this.audit.record(m, {
        actor: by.actor,
        action: 'inspection_result.record',
        entityType: 'inspection_assignment',
        entityId: a.id,
        before: { status: a.status },
        after: { status: 'done', resultId: r!.id, outcome: input.outcome, amountFound: amount, notes: input.notes, caseId: opened?.id ?? null, caseNumber: opened?.number ?? null, creditEntryId: entry.entryId, inspectorCode: code, publishDueOn },
        ip: by.ip ?? null,
      });
      return a.id;
    });
    const rows: AssignmentRow[] = await this.ds.query(this.assignmentSql('a.id = $1'), [id]);
    return (await this.assignmentDto(rows))[0]!;
  }

  /** Makes an assignment's result public (一公开) on the draw's public page. */
  async publishResult(assignmentId: string, by: Acting) {
    if (!isUuid(assignmentId)) throw notFound('assignment');
    await this.ds.transaction(async (m) => {
      const [r]: { id: string; published_at: Date | null }[] = await m.query(
        `SELECT r.id, r.published_at FROM inspection_result r WHERE r.assignment_id = $1 FOR UPDATE`,
        [assignmentId.toLowerCase()],
      );
      if (!r) throw notFound('result of the assignment');
      if (r.published_at) throw conflict('the result is already public', 'id', 'is published');
      const now = new Date();
      await m.query(`UPDATE inspection_result SET published_at = $2, updated_at = now() WHERE id = $1`, [r.id, now]);
      await this.audit.record(m, { actor: by.actor, action: 'inspection_result.publish', entityType: 'inspection_assignment', entityId: assignmentId.toLowerCase(), before: { publishedAt: null }, after: { publishedAt: now }, ip: by.ip ?? null });
    });
    const rows: AssignmentRow[] = await this.ds.query(this.assignmentSql('a.id = $1'), [assignmentId.toLowerCase()]);
    return (await this.assignmentDto(rows))[0]!;
  }

  /** Results not yet public whose deadline (20 working days after the result) has passed, oldest first. */
  async latePublications(today = localDate(new Date(), TZ)) {
    const rows: { assignment_id: string; institution_code: string; plan_name: string; outcome: string; recorded_at: Date; publish_due_on: string }[] = await this.ds.query(
      `SELECT r.assignment_id, a.institution_code, p.name AS plan_name, r.outcome, r.recorded_at, to_char(r.publish_due_on, 'YYYY-MM-DD') AS publish_due_on
       FROM inspection_result r JOIN inspection_assignment a ON a.id = r.assignment_id JOIN inspection_plan p ON p.id = a.plan_id
       WHERE r.published_at IS NULL AND r.publish_due_on < $1::date ORDER BY r.publish_due_on, a.institution_code`,
      [today],
    );
    return rows.map((r) => ({ assignmentId: r.assignment_id, institutionCode: r.institution_code, planName: r.plan_name, outcome: r.outcome, recordedAt: r.recorded_at, publishDueOn: r.publish_due_on }));
  }
}
