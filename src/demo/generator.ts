import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatFen, formatHalfQty, lineAmountFen, roundHalfUpDiv } from './amounts';
import { civilFromDays, daysFromCivil, daysInMonth, formatDay, weekday } from '../common/calendar';
import {
  CATEGORIES,
  CLAIM_COLUMNS,
  ITEM_COLUMNS,
  claimFields,
  labelsOf,
  lineFields,
  serialize,
  World,
  type Claim,
  type Label,
  type Period,
  type SerializedClaim,
} from './claim-builder';
import { CsvFileWriter, csvLine } from './csv-writer';
import {
  buildPlain,
  buildScenarios,
  buildTaskClaim,
  correct,
  LINE_CATEGORIES,
  NEAR_KINDS,
  PROBLEMS,
  type CorrectionKind,
  type Problem,
  type ScenarioClaim,
  type Task,
} from './plants';
import { assignProfiles, extraPlants } from './profiles';
import { Rng } from './random';
import { ABUSE_BEHAVIOURS, buildCatalog, buildInspectors, buildInstitutions, buildLedger, buildPhysicians } from './reference-data';

/**
 * Seeded demo-data generator for the interchange format (INTERCHANGE.md): reference data, two
 * claim batches (the second with re-sends, corrections, fixed re-submissions and new claims),
 * planted violations of the twelve standard categories plus near misses, malformed claims and
 * orphan lines — and the labels saying exactly what an importer and rule engine must find.
 * Institutions have profiles (profiles.ts): about a tenth are abusive (padding, prices just under
 * ceilings, longer stays, induced revisits, more violations …), tertiary and specialised hospitals
 * are honestly expensive; labels/institution_labels.csv says which, for evaluating risk scores.
 * docs/demo-data.md describes the data set.
 *
 * Same (seed, options) → byte-identical files. Claims are streamed to disk with backpressure;
 * memory holds the patient registry, the labels and the few percent of claims batch 2 repeats.
 */

export interface DemoOptions {
  outDir: string;
  /** Rows of batch 1's claims.csv (malformed ones included). At least 200. */
  claims: number;
  seed: number | string;
  /** 'YYYY-MM', default '2025-01' */
  startMonth?: string;
  /** default 3 */
  months?: number;
  onProgress?: (claimsWritten: number) => void;
}

export interface DemoSummary {
  outDir: string;
  institutions: number;
  physicians: number;
  catalogItems: number;
  persons: number;
  inspectors: number;
  batch1: { claims: number; lines: number; malformedClaims: number; orphanLines: number };
  batch2: {
    claims: number;
    lines: number;
    resent: number;
    corrected: number;
    fixedResubmissions: number;
    new: number;
    malformedClaims: number;
    orphanLines: number;
  };
  expectedFindings: number;
  /** Institutions with the profile `abusive` (labels/institution_labels.csv). */
  abusiveInstitutions: number;
  /** Institutions with the profile `honest_expensive`: tertiary and specialised hospitals. */
  honestExpensiveInstitutions: number;
}

export const MIN_DEMO_CLAIMS = 200;

interface Rejection {
  batch: 1 | 2;
  claimId: string;
  file: 'claims.csv' | 'claim_items.csv';
  line: number;
  problem: Problem | 'orphan_line';
}

interface BatchWriters {
  claims: CsvFileWriter;
  items: CsvFileWriter;
}

/** Generates the demo data set into `opts.outDir` and returns what was written. */
export async function generateDemoData(opts: DemoOptions): Promise<DemoSummary> {
  const N = opts.claims;
  if (!Number.isInteger(N) || N < MIN_DEMO_CLAIMS) throw new RangeError(`claims must be a whole number ≥ ${MIN_DEMO_CLAIMS} (got ${N})`);
  const startMonth = opts.startMonth ?? '2025-01';
  const sm = /^(\d{4})-(\d{2})$/.exec(startMonth);
  if (!sm || Number(sm[2]) < 1 || Number(sm[2]) > 12) throw new RangeError(`startMonth must be YYYY-MM (got ${startMonth})`);
  const months = opts.months ?? 3;
  if (!Number.isInteger(months) || months < 1 || months > 24) throw new RangeError(`months must be 1–24 (got ${months})`);
  const period = makePeriod(Number(sm[1]), Number(sm[2]), months);

  // Independent streams, so e.g. the reference data do not change when only the claim count does.
  const root = Rng.fromSeed(opts.seed);
  const refRng = root.fork();
  const planRng = root.fork();
  const claimRng = root.fork();
  const profileRng = root.fork();

  // --- reference data ------------------------------------------------------------------------
  const catalog = buildCatalog(refRng);
  const institutions = buildInstitutions(refRng, clamp(Math.round(30 + Math.sqrt(N) / 5.6), 40, 120));
  const physicians = buildPhysicians(refRng, institutions);
  const inspectors = buildInspectors(refRng, clamp(Math.round(18 + Math.sqrt(N) / 20), 20, 40), institutions);
  const ledger = buildLedger(refRng, period.months);
  // Abusive and honest-expensive institutions, so risk scoring can be evaluated.
  const profiles = assignProfiles(profileRng, institutions);

  const world = new World(claimRng, catalog, institutions, physicians, period);
  const poolSize = Math.max(150, Math.round(N * 0.35));
  for (let i = 0; i < poolSize; i++) world.newPatient();

  // --- the plan ----------------------------------------------------------------------------------
  const k = Math.max(2, Math.round(N / 1000)); // planted violations per category
  const kNear = Math.max(1, Math.round(N / 5000)); // near misses per kind
  const scenarios = buildScenarios(world, k, kNear);
  for (const s of scenarios) {
    if (s.claim.admDay < period.start || s.claim.admDay > period.end) throw new Error(`scenario claim outside the period: ${s.claim.note}`);
  }
  const scenarioResend = scenarios.map((s) => s.batch === 1 && s.correction === null && planRng.chance(0.05));
  const sc1 = scenarios.filter((s) => s.batch === 1).length;
  const sc2 = scenarios.length - sc1;

  const newValid = Math.max(Math.round(0.03 * N), sc2 + 1);
  const m1 = Math.max(PROBLEMS.length, Math.round(0.005 * N));
  const m2 = Math.max(PROBLEMS.length, Math.round(0.0005 * N));
  const o1 = N - sc1; // ordinary batch-1 slots
  const o2 = newValid - sc2; // ordinary batch-2 new claims
  const slots = o1 + o2 + m2;

  const tasks: Task[] = [];
  const b1Only: number[] = [];
  const anyBatch: number[] = [];
  const addTask = (t: Task, batch1Only: boolean): void => {
    (batch1Only ? b1Only : anyBatch).push(tasks.length);
    tasks.push(t);
  };
  const removeK = Math.max(1, Math.floor(k / 10));
  for (const cat of LINE_CATEGORIES) {
    // PRICE_CEILING and DAYS_SUPPLY get extra plants that a batch-2 correction removes again
    const removable = cat === 'PRICE_CEILING' || cat === 'DAYS_SUPPLY';
    for (let v = 0; v < k + (removable ? removeK : 0); v++) {
      const remove = removable && v >= k;
      addTask({ t: 'plant', cat, variant: v, remove }, remove);
    }
  }
  // more plants at the institutions with the abusive behaviour "violations"
  for (const x of extraPlants(profileRng, institutions, N)) addTask({ t: 'plant', cat: x.cat, variant: x.variant, remove: false, at: x.inst }, false);
  for (const kind of NEAR_KINDS) for (let v = 0; v < kNear; v++) addTask({ t: 'near', kind, variant: v }, false);
  const fixCount = Math.max(1, Math.round(0.4 * m1));
  for (let i = 0; i < m1; i++) addTask({ t: 'malformed', problem: PROBLEMS[i % PROBLEMS.length] as Problem, fix: i < fixCount }, true);
  for (let i = 0, n = Math.max(2, Math.round(0.02 * N)); i < n; i++) addTask({ t: 'corrPlain' }, true);
  for (let i = 0; i < removeK; i++) {
    addTask({ t: 'corrIntro', cat: 'DAILY_QTY' }, true);
    addTask({ t: 'corrIntro', cat: 'PRICE_CEILING' }, true);
  }
  if (b1Only.length + anyBatch.length > o1) {
    throw new RangeError(`${N} claims leave too little room for the planted cases; use at least ${MIN_DEMO_CLAIMS} claims`);
  }

  const slotBatch = new Uint8Array(slots).fill(1);
  const slotTask = new Int32Array(slots).fill(-1);
  const slotResend = new Uint8Array(slots);
  const b2Slots = planRng.sampleIndices(slots, o2 + m2);
  for (const s of b2Slots) slotBatch[s] = 2;
  const b2Malformed = b2Slots.slice(0, m2);
  const b2Valid = b2Slots.slice(m2);
  b2Malformed.forEach((s, i) => {
    slotTask[s] = tasks.length;
    tasks.push({ t: 'malformed', problem: PROBLEMS[i % PROBLEMS.length] as Problem, fix: false });
  });
  const b1Free: number[] = [];
  for (let s = 0; s < slots; s++) if (slotBatch[s] === 1) b1Free.push(s);
  planRng.shuffle(b1Free);
  for (const t of b1Only) slotTask[b1Free.pop() as number] = t;
  const pB2 = o2 / (o1 + o2);
  for (const t of anyBatch) {
    const s = b2Valid.length > 0 && planRng.chance(pB2) ? (b2Valid.pop() as number) : (b1Free.pop() as number);
    slotTask[s] = t;
  }
  // Re-sends: untouched batch-1 claims or ones carrying a plant/near miss (never a correction or malformation).
  const resendable: number[] = [];
  for (let s = 0; s < slots; s++) {
    if (slotBatch[s] !== 1) continue;
    const t = slotTask[s] as number;
    const task = t >= 0 ? (tasks[t] as Task) : null;
    if (!task || (task.t === 'plant' && !task.remove) || task.t === 'near') resendable.push(s);
  }
  const resendCount = Math.min(resendable.length, Math.round(0.05 * o1));
  for (const i of planRng.sampleIndices(resendable.length, resendCount)) slotResend[resendable[i] as number] = 1;

  // Ordinary slots per day (fewer at weekends), largest-remainder rounding so they add up exactly.
  const perDay = allocate(slots, period, (d) => (weekday(d) === 5 ? 0.62 : weekday(d) === 6 ? 0.5 : 1));
  const scenarioByDay = new Map<number, number[]>();
  scenarios.forEach((s, i) => {
    const arr = scenarioByDay.get(s.claim.admDay) ?? [];
    arr.push(i);
    scenarioByDay.set(s.claim.admDay, arr);
  });
  const orphanGroups1 = Math.max(1, Math.round((0.002 * 4 * N) / 1.25));
  const orphanAfter = new Uint8Array(N);
  for (const i of planRng.sampleIndices(N, orphanGroups1)) orphanAfter[i] = 1;

  // --- output ----------------------------------------------------------------------------------
  const dirs = {
    reference: join(opts.outDir, 'reference'),
    b1: join(opts.outDir, 'claims'),
    b2: join(opts.outDir, 'claims-batch2'),
    labels: join(opts.outDir, 'labels'),
  };
  for (const d of Object.values(dirs)) await mkdir(d, { recursive: true });
  const w1: BatchWriters = {
    claims: new CsvFileWriter(join(dirs.b1, 'claims.csv'), CLAIM_COLUMNS),
    items: new CsvFileWriter(join(dirs.b1, 'claim_items.csv'), ITEM_COLUMNS),
  };
  const w2: BatchWriters = {
    claims: new CsvFileWriter(join(dirs.b2, 'claims.csv'), CLAIM_COLUMNS),
    items: new CsvFileWriter(join(dirs.b2, 'claim_items.csv'), ITEM_COLUMNS),
  };
  const writersOf = (batch: 1 | 2): BatchWriters => (batch === 1 ? w1 : w2);

  const labels = new Map<string, Label[]>();
  const notes = new Map<string, string>();
  const rejections: Rejection[] = [];
  const resends: SerializedClaim[] = [];
  const corrections: { claim: Claim; kind: CorrectionKind }[] = [];
  const fixes: Claim[] = [];
  const counts = { m1: 0, m2: 0, orphans1: 0, orphans2: 0, new2: 0, resent: 0, corrected: 0, fixed: 0, written: 0 };
  const monthSeq = new Map<string, number>();
  let orphanSeq = 0;
  let b1Index = 0;

  const nextId = (day: number): string => {
    const v = civilFromDays(day);
    const ym = `${v.y}${v.m < 10 ? '0' : ''}${v.m}`;
    const n = (monthSeq.get(ym) ?? 0) + 1;
    if (n >= 9_000_000) throw new Error('claim id space exhausted'); // 9xxxxxx is reserved for orphan lines
    monthSeq.set(ym, n);
    return `C${ym}${String(n).padStart(7, '0')}`;
  };
  const register = (c: Claim): void => {
    const ls = labelsOf(c);
    if (ls.length > 0) labels.set(c.id, ls);
    else labels.delete(c.id);
    if (c.note !== '') notes.set(c.id, c.note);
    else notes.delete(c.id);
  };
  const progress = (): void => {
    counts.written++;
    if (opts.onProgress && counts.written % 1000 === 0) opts.onProgress(counts.written);
  };
  const writeSerialized = async (batch: 1 | 2, ser: SerializedClaim): Promise<number> => {
    const w = writersOf(batch);
    const line = w.claims.writeLine(ser.claimLine);
    for (const l of ser.itemLines) w.items.writeLine(l);
    await w.claims.flushIfNeeded();
    await w.items.flushIfNeeded();
    return line;
  };
  const writeOrphans = async (batch: 1 | 2): Promise<void> => {
    const w = writersOf(batch);
    const day = planRng.int(period.start, period.end);
    const v = civilFromDays(day);
    const id = `C${v.y}${v.m < 10 ? '0' : ''}${v.m}9${String(++orphanSeq).padStart(6, '0')}`;
    const n = planRng.chance(0.75) ? 1 : 2;
    for (let i = 1; i <= n; i++) {
      const it = planRng.pick(catalog);
      const qHalf = it.maxDaily === null ? planRng.pick(it.qtyHalf) : Math.min(planRng.pick(it.qtyHalf), 2 * it.maxDaily);
      const line = w.items.writeRow([id, String(i), it.code, it.name, formatDay(day), formatFen(it.priceFen), formatHalfQty(qHalf), formatFen(lineAmountFen(it.priceFen, qHalf)), '']);
      rejections.push({ batch, claimId: id, file: 'claim_items.csv', line, problem: 'orphan_line' });
      if (batch === 1) counts.orphans1++;
      else counts.orphans2++;
    }
    await w.items.flushIfNeeded();
  };
  const afterBatch1Claim = async (): Promise<void> => {
    if (orphanAfter[b1Index++] === 1) await writeOrphans(1);
  };

  const emitValid = async (c: Claim, batch: 1 | 2, resend: boolean, correction: CorrectionKind | null): Promise<void> => {
    c.id = nextId(c.admDay);
    const ser = serialize(c);
    await writeSerialized(batch, ser);
    register(c);
    if (batch === 1) {
      if (resend) resends.push(ser);
      if (correction) corrections.push({ claim: c, kind: correction });
      await afterBatch1Claim();
    } else {
      counts.new2++;
    }
    progress();
  };
  const emitMalformed = async (c: Claim, batch: 1 | 2, problem: Problem, fix: boolean): Promise<void> => {
    c.id = nextId(c.admDay);
    if (fix) fixes.push(c);
    const line = await writeSerialized(batch, malform(world.rng, c, problem));
    rejections.push({ batch, claimId: c.id, file: 'claims.csv', line, problem });
    if (batch === 1) {
      counts.m1++;
      await afterBatch1Claim();
    } else {
      counts.m2++;
    }
    progress();
  };
  const emitSlot = async (s: number, day: number): Promise<void> => {
    const t = slotTask[s] as number;
    const batch = slotBatch[s] as 1 | 2;
    const task = t >= 0 ? (tasks[t] as Task) : null;
    if (!task) {
      await emitValid(buildPlain(world, day), batch, slotResend[s] === 1, null);
      return;
    }
    let c: Claim | null = null;
    for (let attempt = 0; attempt < 60 && !c; attempt++) c = buildTaskClaim(world, task, day);
    if (!c) throw new Error(`could not build a claim for task ${JSON.stringify(task)}`);
    if (task.t === 'malformed') {
      await emitMalformed(c, batch, task.problem, task.fix);
      return;
    }
    let correction: CorrectionKind | null = null;
    if (task.t === 'corrPlain') correction = 'plain';
    else if (task.t === 'corrIntro') correction = task.cat === 'DAILY_QTY' ? 'introDaily' : 'introPrice';
    else if (task.t === 'plant' && task.remove) correction = task.cat === 'PRICE_CEILING' ? 'removePrice' : 'removeDays';
    await emitValid(c, batch, slotResend[s] === 1, correction);
  };
  const emitScenario = async (i: number): Promise<void> => {
    const s = scenarios[i] as ScenarioClaim;
    await emitValid(s.claim, s.batch, scenarioResend[i] === true, s.correction);
  };

  // --- batch 1 (and the new claims of batch 2), day by day ---------------------------------------
  let slot = 0;
  for (let day = period.start; day <= period.end; day++) {
    const nOrd = perDay[day - period.start] as number;
    const sc = scenarioByDay.get(day) ?? [];
    const total = nOrd + sc.length;
    // scenario claims at random places among the day's claims, in their own order
    const at = sc.length > 0 ? planRng.sampleIndices(total, sc.length).sort((a, b) => a - b) : [];
    let si = 0;
    for (let pos = 0; pos < total; pos++) {
      if (si < at.length && at[si] === pos) await emitScenario(sc[si++] as number);
      else await emitSlot(slot++, day);
    }
  }
  if (slot !== slots) throw new Error(`internal: ${slot} of ${slots} slots emitted`);
  await w1.claims.close();
  await w1.items.close();

  // --- the rest of batch 2: re-sends, corrections, fixed re-submissions, orphans -------------
  type Entry = { kind: 'resend'; ser: SerializedClaim } | { kind: 'correct'; claim: Claim; how: CorrectionKind } | { kind: 'fix'; claim: Claim } | { kind: 'orphan' };
  const entries: Entry[] = [
    ...resends.map((ser): Entry => ({ kind: 'resend', ser })),
    ...corrections.map((c): Entry => ({ kind: 'correct', claim: c.claim, how: c.kind })),
    ...fixes.map((claim): Entry => ({ kind: 'fix', claim })),
  ];
  const estLines2 = 4 * (entries.length + counts.new2 + counts.m2);
  const orphanGroups2 = Math.max(1, Math.round((0.002 * estLines2) / 1.25));
  for (let i = 0; i < orphanGroups2; i++) entries.push({ kind: 'orphan' });
  planRng.shuffle(entries);
  for (const e of entries) {
    if (e.kind === 'resend') {
      await writeSerialized(2, e.ser);
      counts.resent++;
    } else if (e.kind === 'correct') {
      const next = correct(world, e.claim, e.how);
      await writeSerialized(2, serialize(next));
      register(next);
      counts.corrected++;
    } else if (e.kind === 'fix') {
      e.claim.note = e.claim.note || 'fixed-resubmission';
      await writeSerialized(2, serialize(e.claim));
      register(e.claim);
      counts.fixed++;
    } else {
      await writeOrphans(2);
    }
  }
  await w2.claims.close();
  await w2.items.close();
  opts.onProgress?.(counts.written);

  // --- reference files -----------------------------------------------------------------------
  await writeCsv(
    join(dirs.reference, 'institutions.csv'),
    ['code', 'name', 'kind', 'level', 'ownership', 'region'],
    institutions.map((i) => [i.code, i.name, i.kind, String(i.level), i.ownership, i.region]),
  );
  await writeCsv(join(dirs.reference, 'physicians.csv'), ['code', 'name', 'institution_code', 'specialty'], physicians.map((p) => [p.code, p.name, p.institutionCode, p.specialty]));
  await writeCsv(
    join(dirs.reference, 'catalog_items.csv'),
    ['code', 'name', 'kind', 'price_ceiling', 'gender_limit', 'min_age', 'max_age', 'max_daily_qty', 'max_days_supply', 'indications', 'setting_limit', 'exclusive_group'],
    catalog.map((it) => [
      it.code,
      it.name,
      it.kind,
      it.ceilingFen === null ? '' : formatFen(it.ceilingFen),
      it.gender ?? '',
      it.minAge === null ? '' : String(it.minAge),
      it.maxAge === null ? '' : String(it.maxAge),
      it.maxDaily === null ? '' : String(it.maxDaily),
      it.maxDays === null ? '' : String(it.maxDays),
      (it.indications ?? []).join(';'),
      it.setting ?? '',
      it.group ?? '',
    ]),
  );
  const persons = [...world.pool, ...world.reserved];
  await writeCsv(join(dirs.reference, 'persons.csv'), ['patient_id', 'death_date'], persons.map((p) => [p.id, p.registryDeath === null ? '' : formatDay(p.registryDeath)]));
  await writeCsv(
    join(dirs.reference, 'inspectors.csv'),
    ['code', 'name', 'unit', 'region', 'conflicts'],
    inspectors.map((i) => [i.code, i.name, i.unit, i.region, i.conflicts.join(';')]),
  );
  await writeCsv(
    join(dirs.reference, 'fund_ledger.csv'),
    ['period', 'insurance_type', 'income', 'expenditure', 'balance'],
    ledger.map((r) => [r.period, r.insuranceType, formatFen(r.incomeFen), formatFen(r.expenditureFen), formatFen(r.balanceFen)]),
  );

  // --- labels --------------------------------------------------------------------------------
  const findingRows: { claimId: string; seq: number | null; category: string; amountFen: number }[] = [];
  for (const [claimId, ls] of labels) for (const l of ls) findingRows.push({ claimId, seq: l.seq, category: l.category, amountFen: l.amountFen });
  // claim_id, then claim-level before lines, then item_seq, then category
  const cmp = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
  findingRows.sort((a, b) => cmp(a.claimId, b.claimId) || (a.seq ?? 0) - (b.seq ?? 0) || cmp(a.category, b.category));
  await writeCsv(
    join(dirs.labels, 'expected_findings.csv'),
    ['claim_id', 'item_seq', 'category', 'amount_at_risk'],
    findingRows.map((f) => [f.claimId, f.seq === null ? '' : String(f.seq), f.category, formatFen(f.amountFen)]),
  );
  await writeCsv(
    join(dirs.labels, 'institution_labels.csv'),
    ['institution_code', 'kind', 'level', 'profile', 'abusive'],
    institutions.map((i) => [i.code, i.kind, String(i.level), i.profile, i.profile === 'abusive' ? '1' : '0']),
  );
  rejections.sort((a, b) => a.batch - b.batch || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line);
  await writeCsv(
    join(dirs.labels, 'expected_rejections.csv'),
    ['batch', 'claim_id', 'file', 'line', 'problem'],
    rejections.map((r) => [String(r.batch), r.claimId, r.file, String(r.line), r.problem]),
  );

  const summary: DemoSummary = {
    outDir: opts.outDir,
    institutions: institutions.length,
    physicians: physicians.length,
    catalogItems: catalog.length,
    persons: persons.length,
    inspectors: inspectors.length,
    batch1: { claims: w1.claims.lines - 1, lines: w1.items.lines - 1, malformedClaims: counts.m1, orphanLines: counts.orphans1 },
    batch2: {
      claims: w2.claims.lines - 1,
      lines: w2.items.lines - 1,
      resent: counts.resent,
      corrected: counts.corrected,
      fixedResubmissions: counts.fixed,
      new: counts.new2,
      malformedClaims: counts.m2,
      orphanLines: counts.orphans2,
    },
    expectedFindings: findingRows.length,
    abusiveInstitutions: profiles.abusive.length,
    honestExpensiveInstitutions: profiles.honestExpensive.length,
  };
  if (summary.batch1.claims !== N) throw new Error(`internal: batch 1 has ${summary.batch1.claims} claims, expected ${N}`);

  const findingsByCategory = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<string, number>;
  for (const f of findingRows) findingsByCategory[f.category] = (findingsByCategory[f.category] ?? 0) + 1;
  const rejectionsByProblem: Record<string, number> = {};
  for (const r of rejections) rejectionsByProblem[`batch${r.batch}:${r.problem}`] = (rejectionsByProblem[`batch${r.batch}:${r.problem}`] ?? 0) + 1;
  const nearMisses: Record<string, number> = {};
  for (const [id, note] of notes) {
    if (!note.startsWith('near:')) continue;
    if (labels.has(id)) throw new Error(`internal: near-miss claim ${id} carries a label`);
    nearMisses[note.slice(5)] = (nearMisses[note.slice(5)] ?? 0) + 1;
  }
  // Which behaviours the abusive institutions have, and how strongly (0–1), for diagnosing a score's misses.
  const abuseBehaviours = Object.fromEntries(ABUSE_BEHAVIOURS.map((b) => [b, profiles.abusive.filter((i) => i.abuse?.[b] !== undefined).length]));
  const abusiveProfiles = Object.fromEntries(profiles.abusive.map((i) => [i.code, { kind: i.kind, level: i.level, ...i.abuse }]));
  const honestExpensiveProfiles = Object.fromEntries(
    profiles.honestExpensive.map((i) => [i.code, { kind: i.kind, level: i.level, severity: i.severity, ...(i.focus ? { focus: i.focus.join(';') } : {}) }]),
  );
  const { outDir: _outDir, ...withoutDir } = summary;
  void _outDir;
  await writeFile(
    join(dirs.labels, 'summary.json'),
    `${JSON.stringify(
      {
        ...withoutDir,
        findingsByCategory,
        rejectionsByProblem,
        nearMissClaims: sortKeys(nearMisses),
        abuseBehaviours,
        abusiveProfiles,
        honestExpensiveProfiles,
        seed: String(opts.seed),
        startMonth,
        months,
      },
      null,
      2,
    )}\n`,
    'utf8',
  );
  return summary;
}

// ---------------------------------------------------------------------------------------------

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

function sortKeys(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function makePeriod(y: number, m: number, months: number): Period {
  const list: string[] = [];
  let yy = y;
  let mm = m;
  for (let i = 0; i < months; i++) {
    list.push(`${yy}-${mm < 10 ? '0' : ''}${mm}`);
    mm++;
    if (mm > 12) {
      mm = 1;
      yy++;
    }
  }
  const last = list[list.length - 1] as string;
  const ly = Number(last.slice(0, 4));
  const lm = Number(last.slice(5, 7));
  return { start: daysFromCivil(y, m, 1), end: daysFromCivil(ly, lm, daysInMonth(ly, lm)), months: list };
}

/** Splits `total` over the period's days in proportion to `weight(day)`, exactly (largest remainder). */
function allocate(total: number, period: Period, weight: (day: number) => number): number[] {
  const days = period.end - period.start + 1;
  const ws: number[] = [];
  let sum = 0;
  for (let i = 0; i < days; i++) {
    const w = weight(period.start + i);
    ws.push(w);
    sum += w;
  }
  const out = ws.map((w) => Math.floor((total * w) / sum));
  let rest = total - out.reduce((a, b) => a + b, 0);
  const order = ws.map((w, i) => ({ i, frac: (total * w) / sum - Math.floor((total * w) / sum) })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (let j = 0; rest > 0; j = (j + 1) % order.length, rest--) out[(order[j] as { i: number }).i]! += 1;
  return out;
}

async function writeCsv(path: string, header: readonly string[], rows: Iterable<readonly string[]>): Promise<void> {
  const w = new CsvFileWriter(path, header);
  for (const r of rows) {
    w.writeRow(r);
    await w.flushIfNeeded();
  }
  await w.close();
}

/**
 * Serialises a claim with exactly one contract problem (the claim is rejected as a whole): the
 * other fields stay consistent, so the problem keyword is the only reason an importer can give.
 */
function malform(rng: Rng, c: Claim, problem: Problem): SerializedClaim {
  const cf = claimFields(c);
  const lfs = c.lines.map((l) => lineFields(c, l));
  const col = (name: (typeof CLAIM_COLUMNS)[number]): number => CLAIM_COLUMNS.indexOf(name);
  const icol = (name: (typeof ITEM_COLUMNS)[number]): number => ITEM_COLUMNS.indexOf(name);
  const li = rng.int(0, lfs.length - 1);
  const line = lfs[li] as string[];
  let total = c.totalFen;
  let fund = c.fundFen;
  let self = c.selfFen;
  const money = (): void => {
    cf[col('total_amount')] = formatFen(total);
    cf[col('fund_paid')] = formatFen(fund);
    cf[col('self_paid')] = formatFen(self);
  };
  switch (problem) {
    case 'missing_required': {
      if (rng.chance(0.3)) {
        line[icol(rng.pick(['item_code', 'service_date'] as const))] = '';
      } else {
        const cols: (typeof CLAIM_COLUMNS)[number][] = ['institution_code', 'patient_id', 'patient_gender', 'patient_birth_date', 'insurance_type', 'settled_at'];
        if (c.visit !== 'pharmacy') cols.push('primary_diagnosis');
        cf[col(rng.pick(cols))] = '';
      }
      break;
    }
    case 'bad_enum': {
      const which = rng.int(0, 2);
      if (which === 0) cf[col('patient_gender')] = rng.pick(['U', 'X', '男']);
      else if (which === 1) cf[col('insurance_type')] = rng.pick(['commercial', '新农合']);
      else cf[col('visit_type')] = rng.pick(['emergency', 'daycare']);
      break;
    }
    case 'impossible_date': {
      if (rng.chance(0.5)) cf[col('patient_birth_date')] = `${c.patient.birth.y}-02-30`;
      else {
        const v = civilFromDays(c.lines[li]!.day);
        line[icol('service_date')] = rng.chance(0.5) ? `${v.y}-${v.m < 10 ? '0' : ''}${v.m}-32` : `${v.y}-13-${v.d < 10 ? '0' : ''}${v.d}`;
      }
      break;
    }
    case 'nonpositive_quantity': {
      const l = c.lines[li]!;
      const negative = rng.chance(0.4) && total - 2 * l.amountFen > 0;
      const newAmount = negative ? -l.priceFen : 0;
      line[icol('quantity')] = negative ? '-1' : '0';
      line[icol('amount')] = formatFen(newAmount);
      total = total - l.amountFen + newAmount;
      fund = roundHalfUpDiv(total * c.fundPermille, 1000);
      self = total - fund;
      money();
      break;
    }
    case 'total_mismatch':
      fund += 100; // fund + self no longer add up to the total
      money();
      break;
    case 'items_sum_mismatch':
      total += 500; // consistent with fund + self, but not with the lines
      self += 500;
      money();
      break;
    case 'discharge_before_admission': {
      const a = cf[col('admission_date')] as string;
      cf[col('admission_date')] = cf[col('discharge_date')] as string;
      cf[col('discharge_date')] = a;
      break;
    }
    case 'amount_mismatch': {
      const l = c.lines[li]!;
      line[icol('amount')] = formatFen(l.amountFen + 50);
      total += 50;
      self += 50;
      money();
      break;
    }
  }
  return { claimLine: csvLine(cf), itemLines: lfs.map((f) => csvLine(f)) };
}
