import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PhysicianPolicyError, loadPhysicianPointsPolicy, policyPath } from '../../../src/physician-record/physician-points.policy';

/** The policy file is checked at start; every problem names the file and the line. */
describe('rules/physician-points.yaml', () => {
  const shipped = readFileSync(policyPath(), 'utf8');
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fg-points-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const load = (text: string) => {
    const file = join(dir, 'physician-points.yaml');
    writeFileSync(file, text);
    return () => loadPhysicianPointsPolicy(file);
  };
  const problems = (text: string): string[] => {
    try {
      load(text)();
    } catch (e) {
      if (e instanceof PhysicianPolicyError) return e.problems;
      throw e;
    }
    return [];
  };
  const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

  it('loads the shipped policy: 12 points, bands 1–3/4–6/7–9/10–12, 9 → 1, 10 → 2, 11 → 3 months, 12 terminates (1 or 3 years)', () => {
    const p = load(shipped)();
    expect(p.annualPoints).toBe(12);
    expect(p.bands.map((b) => `${b.band}:${b.min}-${b.max}`)).toEqual(['minor:1-3', 'moderate:4-6', 'serious:7-9', 'grave:10-12']);
    expect([...p.suspension.monthsByTotal]).toEqual([
      [9, 1],
      [10, 2],
      [11, 3],
    ]);
    expect(p.termination).toEqual({ threshold: 12, barYears: 1, singleIncidentBarYears: 3 });
    expect(p.timezone).toBe('Asia/Shanghai');
    expect(p.hash).toMatch(/^[0-9a-f]{16}$/);
  });

  it('refuses months outside 1–6, naming the file and the line', () => {
    const text = shipped.replace('    11: 3', '    11: 7');
    const got = problems(text);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatch(new RegExp(`physician-points\\.yaml:${lineOf(text, '11: 7')}: suspension\\.months_by_total\\.11: must be <= 6`));
  });

  it('refuses an unknown key and a bad time zone, each at its line', () => {
    const text = shipped.replace('timezone: Asia/Shanghai', 'timezone: Asia/Nowhere').replace('  bar_years: 1', '  bar_years: 1\n  bar_months: 4');
    const schema = problems(text);
    expect(schema.some((p) => p.includes(`:${lineOf(text, 'bar_months')}: termination: unknown key "bar_months"`))).toBe(true);
    const zone = problems(shipped.replace('timezone: Asia/Shanghai', 'timezone: Asia/Nowhere'));
    expect(zone).toEqual([expect.stringMatching(new RegExp(`:${lineOf(shipped, 'timezone:')}: timezone: "Asia/Nowhere" is not an IANA time zone`))]);
  });

  it('refuses bands with a gap and a suspension threshold without its months', () => {
    const gap = shipped.replace('{ band: moderate, zh: 较重, min: 4, max: 6 }', '{ band: moderate, zh: 较重, min: 5, max: 6 }');
    expect(problems(gap)).toEqual([expect.stringMatching(new RegExp(`:${lineOf(gap, 'min: 5')}: severity_bands\\.1\\.min: must be 4`))]);
    const noMonths = shipped.replace('    9: 1\n', '');
    expect(problems(noMonths)).toEqual([expect.stringMatching(/suspension\.months_by_total: must give the months for the threshold itself \(9\)/)]);
  });

  it('refuses a suspension threshold at or above termination', () => {
    const text = shipped.replace('  threshold: 9', '  threshold: 12');
    expect(problems(text).some((p) => p.includes(`:${lineOf(text, 'threshold: 12')}: suspension.threshold: must be below termination.threshold (12)`))).toBe(true);
  });
});
