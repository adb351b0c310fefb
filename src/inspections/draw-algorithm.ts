/**
 * The double-random draw (双随机): which institutions are inspected, and by whom. A pure,
 * deterministic function of the published inputs, specified step by step in docs/draw-algorithm.md
 * so that anyone can re-implement it and check a published draw. Never change what version
 * 'fundguard-draw-v1' computes: old draws must keep verifying. A different algorithm is a new version.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { canonicalHash, sha256Hex } from './canonical';
import { DrawAssignment, DrawInput, DrawInspector, DrawObject, DrawResult, DrawRules } from './draw.types';

/** The version this module computes; stored in every result. */
export const DRAW_ALGORITHM = 'fundguard-draw-v1';

/** Bad draw input; `field` names what is wrong (e.g. `rules.teamSize`, `objects[3].code`). */
export class DrawInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'DrawInputError';
  }
}

const SEED_PATTERN = /^[0-9a-f]{64}$/;

/** A fresh secret seed: 32 random bytes from the OS CSPRNG, lowercase hex. */
export function newSeed(): string {
  return randomBytes(32).toString('hex');
}

/** The commitment published before the draw: SHA-256 (hex) of the seed's 32 bytes (not of its hex text). */
export function commitmentOf(seedHex: string): string {
  return sha256Hex(seedBytes(seedHex, 'seed'));
}

function seedBytes(seedHex: string, field: string): Buffer {
  if (typeof seedHex !== 'string' || !SEED_PATTERN.test(seedHex.toLowerCase())) {
    throw new DrawInputError(field, 'must be 64 hexadecimal characters (32 bytes)');
  }
  return Buffer.from(seedHex, 'hex');
}

/**
 * Orders strings by Unicode code point (the same as comparing their UTF-8 bytes), not by JavaScript's
 * UTF-16 units, so that another language's plain byte-string sort gives the same order.
 */
export function compareCodes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * A stream of uniform integers for one purpose. Block k is HMAC-SHA256(key = seed bytes,
 * message = UTF-8 of `${planId}|${label}|${k}`), read as eight big-endian uint32 words in order.
 * Each purpose (a stratum, the staffing order, one institution's team) has its own label, so that
 * a change in one (say an inspector added) cannot shift the numbers another consumes.
 */
export class DrawStream {
  private block = Buffer.alloc(0);
  private offset = 0;
  private counter = 0;

  constructor(
    private readonly key: Buffer,
    private readonly planId: string,
    readonly label: string,
  ) {}

  /** The next 32-bit word of the stream. */
  nextUint32(): number {
    if (this.offset >= this.block.length) {
      this.block = createHmac('sha256', this.key).update(`${this.planId}|${this.label}|${this.counter}`, 'utf8').digest();
      this.counter += 1;
      this.offset = 0;
    }
    const word = this.block.readUInt32BE(this.offset);
    this.offset += 4;
    return word;
  }

  /**
   * Uniform in [0, n) by rejection sampling: words at or above the largest multiple of n below 2^32
   * are discarded, so no value is favoured (plain `word % n` would favour the small ones).
   */
  uniformInt(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 32) throw new RangeError(`uniformInt: n must be an integer in [1, 2^32] (got ${n})`);
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const word = this.nextUint32();
      if (word < limit) return word % n;
    }
  }
}

/**
 * The first `k` elements of a seeded Fisher–Yates shuffle of `items` (a uniformly random ordered
 * k-subset): for i = 0 … k−1, j = i + uniformInt(len − i), swap items i and j.
 */
export function pickWithoutReplacement<T>(items: readonly T[], k: number, stream: DrawStream): T[] {
  const a = [...items];
  if (k > a.length) throw new RangeError(`cannot pick ${k} of ${a.length}`);
  for (let i = 0; i < k; i++) {
    const j = i + stream.uniformInt(a.length - i);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a.slice(0, k);
}

/**
 * How many of a stratum's `size` objects to draw: max(minPerStratum, ⌈ratio × size⌉), at most size.
 * The product is computed exactly: the ratio is taken as the decimal it is written as (its shortest
 * round-trip form, e.g. 0.1 means 1/10), so ⌈0.1 × 30⌉ is 3, not the 4 that floating point gives.
 */
export function drawCount(ratio: number, size: number, minPerStratum: number): number {
  const { numerator, denominator } = decimalFraction(ratio);
  const bigSize = BigInt(size);
  const ceil = (numerator * bigSize + denominator - 1n) / denominator;
  return Math.min(size, Math.max(minPerStratum, Number(ceil)));
}

/** The exact fraction a number's shortest decimal form denotes (non-negative finite numbers only). */
function decimalFraction(x: number): { numerator: bigint; denominator: bigint } {
  const m = /^(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/.exec(String(x));
  if (!m) throw new RangeError(`not a non-negative decimal: ${x}`);
  const digits = m[1] + (m[2] ?? '');
  const exponent = Number(m[3] ?? 0) - (m[2]?.length ?? 0);
  return exponent >= 0
    ? { numerator: BigInt(digits) * 10n ** BigInt(exponent), denominator: 1n }
    : { numerator: BigInt(digits), denominator: 10n ** BigInt(-exponent) };
}

/** The inputs after canonicalisation (step 1 of the documentation): validated, sorted, de-duplicated. */
export interface CanonicalDrawInput {
  seed: string;
  planId: string;
  rules: DrawRules;
  objects: DrawObject[];
  inspectors: DrawInspector[];
  previous: { institution: string; inspectors: string[] }[];
}

function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new DrawInputError(field, 'must be a non-empty string');
  return value;
}

function requireInteger(value: unknown, field: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new DrawInputError(field, `must be an integer of at least ${min} (got ${String(value)})`);
  }
  return value;
}

function requireBoolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw new DrawInputError(field, 'must be true or false');
  return value;
}

function requireArray(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) throw new DrawInputError(field, 'must be a list');
  return value;
}

function sortedUniqueCodes(value: unknown, field: string): string[] {
  const codes = requireArray(value, field).map((c, i) => requireString(c, `${field}[${i}]`));
  return [...new Set(codes)].sort(compareCodes);
}

function refuseDuplicates(codes: string[], field: string): void {
  for (let i = 1; i < codes.length; i++) {
    if (codes[i] === codes[i - 1]) throw new DrawInputError(field, `duplicate code "${codes[i]}"`);
  }
}

function canonicalRules(rules: DrawRules): DrawRules {
  if (rules === null || typeof rules !== 'object') throw new DrawInputError('rules', 'missing');
  const ratios = rules.samplingRatio;
  if (ratios === null || typeof ratios !== 'object' || Array.isArray(ratios)) {
    throw new DrawInputError('rules.samplingRatio', 'must map each grade to a ratio');
  }
  const samplingRatio: Record<string, number> = {};
  for (const grade of Object.keys(ratios).sort(compareCodes)) {
    const r = ratios[grade];
    if (typeof r !== 'number' || !Number.isFinite(r) || r < 0 || r > 1) {
      throw new DrawInputError(`rules.samplingRatio.${grade}`, `must be a number from 0 to 1 (got ${String(r)})`);
    }
    samplingRatio[grade] = r;
  }
  // Only the documented fields are hashed and used; anything else a caller carries is not part of the draw.
  return {
    samplingRatio,
    minPerStratum: requireInteger(rules.minPerStratum, 'rules.minPerStratum', 0),
    teamSize: requireInteger(rules.teamSize, 'rules.teamSize', 2),
    loadCap: requireInteger(rules.loadCap, 'rules.loadCap', 1),
    avoidSameRegion: requireBoolean(rules.avoidSameRegion, 'rules.avoidSameRegion'),
    avoidPrevious: requireBoolean(rules.avoidPrevious, 'rules.avoidPrevious'),
  };
}

/** Step 1: validates the input and puts it in its one canonical form; throws DrawInputError naming the field. */
export function canonicaliseInput(input: DrawInput): CanonicalDrawInput {
  seedBytes(input.seed, 'seed');
  const planId = requireString(input.planId, 'planId');
  const rules = canonicalRules(input.rules);

  const objects = requireArray(input.objects, 'objects')
    .map((raw, i): DrawObject => {
      const o = raw as DrawObject;
      const level = o?.level ?? null;
      if (level !== null && (typeof level !== 'number' || !Number.isFinite(level))) {
        throw new DrawInputError(`objects[${i}].level`, 'must be a number or null');
      }
      return {
        code: requireString(o?.code, `objects[${i}].code`),
        kind: requireString(o.kind, `objects[${i}].kind`),
        level,
        region: requireString(o.region, `objects[${i}].region`),
        grade: requireString(o.grade, `objects[${i}].grade`),
      };
    })
    .sort((a, b) => compareCodes(a.code, b.code));
  refuseDuplicates(
    objects.map((o) => o.code),
    'objects',
  );

  const inspectors = requireArray(input.inspectors, 'inspectors')
    .map((raw, i): DrawInspector => {
      const p = raw as DrawInspector;
      return {
        code: requireString(p?.code, `inspectors[${i}].code`),
        unit: requireString(p.unit, `inspectors[${i}].unit`),
        region: requireString(p.region, `inspectors[${i}].region`),
        conflicts: sortedUniqueCodes(p.conflicts ?? [], `inspectors[${i}].conflicts`),
      };
    })
    .sort((a, b) => compareCodes(a.code, b.code));
  refuseDuplicates(
    inspectors.map((p) => p.code),
    'inspectors',
  );

  const previous = requireArray(input.previous ?? [], 'previous')
    .map((raw, i) => {
      const e = raw as { institution: string; inspectors: string[] };
      return {
        institution: requireString(e?.institution, `previous[${i}].institution`),
        inspectors: sortedUniqueCodes(e.inspectors, `previous[${i}].inspectors`),
      };
    })
    .sort((a, b) => compareCodes(a.institution, b.institution));
  refuseDuplicates(
    previous.map((e) => e.institution),
    'previous',
  );

  for (const o of objects) {
    if (!Object.prototype.hasOwnProperty.call(rules.samplingRatio, o.grade)) {
      throw new DrawInputError(`rules.samplingRatio.${o.grade}`, `no sampling ratio for grade "${o.grade}" (object ${o.code})`);
    }
  }
  return { seed: input.seed.toLowerCase(), planId, rules, objects, inspectors, previous };
}

/** SHA-256 of the canonical JSON of each canonicalised input part. */
export function inputHashesOf(c: CanonicalDrawInput): DrawResult['inputHashes'] {
  return {
    rules: canonicalHash(c.rules),
    objects: canonicalHash(c.objects),
    inspectors: canonicalHash(c.inspectors),
    previous: canonicalHash(c.previous),
  };
}

/** The result hash: SHA-256 of the canonical JSON of everything in the result but the hash itself. */
export function resultHashOf(r: Omit<DrawResult, 'resultHash'>): string {
  return canonicalHash({
    algorithm: r.algorithm,
    strata: r.strata,
    assignments: r.assignments,
    unstaffed: r.unstaffed,
    inputHashes: r.inputHashes,
  });
}

/**
 * Runs the draw: canonicalise, draw each grade's stratum, order the drawn objects, staff each with
 * a team of exactly teamSize eligible inspectors (or report it unstaffed), hash. Deterministic.
 */
export function runDraw(input: DrawInput): DrawResult {
  const c = canonicaliseInput(input);
  const key = Buffer.from(c.seed, 'hex');
  const stream = (label: string) => new DrawStream(key, c.planId, label);
  const { rules } = c;

  // Step 2: strata by grade, in grade order; each drawn from its own stream.
  const grades = [...new Set(c.objects.map((o) => o.grade))].sort(compareCodes);
  const strata: DrawResult['strata'] = [];
  const drawn: DrawObject[] = [];
  for (const grade of grades) {
    const members = c.objects.filter((o) => o.grade === grade);
    const n = drawCount(rules.samplingRatio[grade], members.length, rules.minPerStratum);
    strata.push({ grade, size: members.length, drawn: n });
    drawn.push(...pickWithoutReplacement(members, n, stream(`stratum|${grade}`)));
  }

  // Step 3: staffing order — a seeded shuffle of the drawn objects (sorted by code first), so that
  // under the load cap no grade or code range is systematically staffed last.
  drawn.sort((a, b) => compareCodes(a.code, b.code));
  const order = pickWithoutReplacement(drawn, drawn.length, stream('order'));

  // Step 4: teams.
  const previousTeam = new Map(c.previous.map((e) => [e.institution, new Set(e.inspectors)]));
  const load = new Map<string, number>(c.inspectors.map((p) => [p.code, 0]));
  const assignments: DrawAssignment[] = [];
  const unstaffed: string[] = [];
  for (const object of order) {
    const before = previousTeam.get(object.code);
    const eligible = c.inspectors.filter(
      (p) =>
        !p.conflicts.includes(object.code) &&
        !(rules.avoidSameRegion && p.region === object.region) &&
        !(rules.avoidPrevious && before?.has(p.code)) &&
        (load.get(p.code) ?? 0) < rules.loadCap,
    );
    if (eligible.length < rules.teamSize) {
      unstaffed.push(object.code);
      continue;
    }
    const team = pickWithoutReplacement(eligible, rules.teamSize, stream(`team|${object.code}`));
    for (const p of team) load.set(p.code, (load.get(p.code) ?? 0) + 1);
    assignments.push({ institution: object.code, grade: object.grade, team: team.map((p) => p.code) });
  }

  // Step 5: hashes.
  const body = { algorithm: DRAW_ALGORITHM, strata, assignments, unstaffed, inputHashes: inputHashesOf(c) };
  return { ...body, resultHash: resultHashOf(body) };
}

/** What a verification found: ok when there are no problems. */
export interface DrawVerification {
  ok: boolean;
  problems: string[];
}

function describeAssignment(a: DrawAssignment | undefined): string {
  return a ? `${a.institution} (grade ${a.grade}) → [${a.team.join(', ')}]` : 'nothing';
}

/**
 * Checks a published draw from its published parts alone: the seed against the commitment, the
 * inputs against their hashes, and the whole result against a recomputation. Names the first
 * difference of each kind.
 */
export function verifyDraw(published: { commitment: string; seed: string; input: DrawInput; result: DrawResult }): DrawVerification {
  const problems: string[] = [];
  const { commitment, seed, input, result } = published;

  let seedOk = true;
  try {
    const expected = commitmentOf(seed);
    if (typeof commitment !== 'string' || commitment.toLowerCase() !== expected) {
      problems.push(`the revealed seed does not match the commitment: SHA-256(seed) is ${expected}, the commitment published before the draw is ${String(commitment)}`);
    }
  } catch (e) {
    seedOk = false;
    problems.push(`the revealed seed is not valid: ${(e as Error).message}`);
  }
  if (seedOk && typeof input?.seed === 'string' && input.seed.toLowerCase() !== seed.toLowerCase()) {
    problems.push('the input names a different seed from the revealed one; the draw is recomputed with the revealed seed');
  }

  if (result?.algorithm !== DRAW_ALGORITHM) {
    problems.push(`the result was computed by algorithm "${String(result?.algorithm)}", this verifier implements "${DRAW_ALGORITHM}"`);
    return { ok: false, problems };
  }

  const publishedHash = resultHashOf(result);
  if (publishedHash !== result.resultHash) {
    problems.push(`the published result hash ${result.resultHash} is not the hash of the published result (${publishedHash}): the result or its hash was edited`);
  }

  if (!seedOk) return { ok: false, problems };
  let recomputed: DrawResult;
  try {
    recomputed = runDraw({ ...input, seed });
  } catch (e) {
    problems.push(`the published input cannot be drawn from: ${(e as Error).message}`);
    return { ok: false, problems };
  }

  for (const part of ['rules', 'objects', 'inspectors', 'previous'] as const) {
    if (recomputed.inputHashes[part] !== result.inputHashes?.[part]) {
      problems.push(`the ${part} differ from those the draw was published with: their hash is ${recomputed.inputHashes[part]}, the published one ${String(result.inputHashes?.[part])}`);
    }
  }

  const strataCount = Math.max(recomputed.strata.length, result.strata?.length ?? 0);
  for (let i = 0; i < strataCount; i++) {
    const want = recomputed.strata[i];
    const got = result.strata?.[i];
    if (want?.grade !== got?.grade || want?.size !== got?.size || want?.drawn !== got?.drawn) {
      problems.push(
        `stratum ${i + 1} differs: recomputed ${want ? `grade ${want.grade}, ${want.drawn} of ${want.size}` : 'nothing'}, published ${got ? `grade ${got.grade}, ${got.drawn} of ${got.size}` : 'nothing'}`,
      );
      break;
    }
  }

  const assignmentCount = Math.max(recomputed.assignments.length, result.assignments?.length ?? 0);
  for (let i = 0; i < assignmentCount; i++) {
    const want = recomputed.assignments[i];
    const got = result.assignments?.[i];
    if (JSON.stringify(want) !== JSON.stringify(got && { institution: got.institution, grade: got.grade, team: got.team })) {
      problems.push(`assignment ${i + 1} differs: recomputed ${describeAssignment(want)}, published ${describeAssignment(got)}`);
      break;
    }
  }

  if (JSON.stringify(recomputed.unstaffed) !== JSON.stringify(result.unstaffed)) {
    problems.push(`the unstaffed objects differ: recomputed [${recomputed.unstaffed.join(', ')}], published [${(result.unstaffed ?? []).join(', ')}]`);
  }

  if (recomputed.resultHash !== result.resultHash) {
    problems.push(`the result hash differs: recomputed ${recomputed.resultHash}, published ${result.resultHash}`);
  }
  return { ok: problems.length === 0, problems };
}
