import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDemoData } from '../../../src/demo/generator';
import { screenClaims } from '../../../src/rules-engine/engine';
import type { ScreenClaim } from '../../../src/rules-engine/model';
import { loadRuleLibrary } from '../../../src/rules-engine/rule-library';
import {
  BENCH_RULE_IDS,
  JSON_RULES,
  createJsonRulesEngine,
  loadDemoModel,
  screenWithJsonRulesEngine,
  type PathMode,
} from '../../bench/json-rules-engine-rules';

/**
 * The screening benchmark compares our engine with the same ten line rules written for
 * json-rules-engine (test/bench/json-rules-engine-rules.ts); the comparison is only fair if both
 * compute the same thing. Over a generated data set with planted violations — plus a few claims
 * made from it for the two rules the generator plants nothing for (a line dated outside the stay,
 * an item code absent from the catalog) — they must report exactly the same (claim, line, rule) hits.
 */

/** Copies of generated claims with lines moved outside the stay, to its edges, and to codes not in the catalog. */
function craftedClaims(claims: readonly ScreenClaim[]): ScreenClaim[] {
  const inpatient = claims.filter((c) => c.visitType === 'inpatient' && c.lines.length >= 4 && c.dischargeDay > c.admissionDay).slice(0, 3);
  const other = claims.filter((c) => c.visitType !== 'inpatient' && c.lines.length >= 2).slice(0, 3);
  expect(inpatient.length).toBe(3);
  expect(other.length).toBe(3);
  const out: ScreenClaim[] = [];
  inpatient.forEach((c, i) => {
    const lines = c.lines.map((l) => ({ ...l }));
    lines[0]!.serviceDay = c.admissionDay - 1 - i; // before admission
    lines[1]!.serviceDay = c.dischargeDay + 1 + i; // after discharge
    lines[2]!.serviceDay = i % 2 ? c.admissionDay : c.dischargeDay; // on the edge: no hit
    lines[3]!.code = `X-UNLISTED-${i}`;
    out.push({ ...c, claimId: `${c.claimId}-CRAFTED`, lines });
  });
  other.forEach((c, i) => {
    const lines = c.lines.map((l) => ({ ...l }));
    lines[0]!.serviceDay = c.admissionDay + 3; // outside the visit, but not an inpatient claim: no hit
    lines[1]!.code = `X-UNLISTED-${i}`;
    out.push({ ...c, claimId: `${c.claimId}-CRAFTED`, lines });
  });
  return out;
}

describe('json-rules-engine rules of the benchmark', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fg-jre-parity-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are the ten line rules of the library, by id', () => {
    const library = loadRuleLibrary();
    expect(JSON_RULES.map((r) => r.name)).toEqual([...BENCH_RULE_IDS]);
    for (const id of BENCH_RULE_IDS) expect(library.byId.get(id)?.scope).toBe('line');
  });

  it('find the same hits as our engine over 600 generated claims and a few crafted ones', async () => {
    await generateDemoData({ outDir: dir, claims: 600, seed: 'jre-parity' });
    const model = loadDemoModel(dir);
    const claims = [...model.claims, ...craftedClaims(model.claims)];
    const library = loadRuleLibrary();
    const rules = BENCH_RULE_IDS.map((id) => library.byId.get(id)!);

    const ours: string[] = [];
    screenClaims(claims, model.kb, rules, (h) => ours.push(`${h.claim.claimId}|${h.itemSeq}|${h.rule.id}`));
    ours.sort();
    for (const paths of ['jsonpath', 'property'] as PathMode[]) {
      const theirs: string[] = [];
      await screenWithJsonRulesEngine(createJsonRulesEngine(BENCH_RULE_IDS, paths), claims, model.kb, (c, seq, rule) => theirs.push(`${c.claimId}|${seq}|${rule}`));
      expect({ paths, hits: theirs.sort() }).toEqual({ paths, hits: ours });
    }

    // Every rule has something to agree on, and the crafted claims hit exactly where meant to.
    const count = (rule: string) => ours.filter((k) => k.endsWith(`|${rule}`)).length;
    expect(BENCH_RULE_IDS.filter((id) => count(id) === 0)).toEqual([]);
    const crafted = ours.filter((k) => k.includes('-CRAFTED|') && /\|(service-outside-stay|unlisted-item)$/.test(k));
    expect(crafted.filter((k) => k.endsWith('|service-outside-stay')).length).toBe(6);
    expect(crafted.filter((k) => k.endsWith('|unlisted-item')).length).toBe(6);
  });
});
