import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { generateDemoData, type DemoSummary } from '../../src/demo/generator';

/**
 * The demo data set's institution profiles (docs/demo-data.md), measured from the files of the
 * default-sized data set with a fixed seed: abusive institutions bill more lines, nearer their
 * ceilings, with more planted findings than their normal peers (same kind and level); honest
 * expensive ones (tertiary and specialised hospitals) cost more without more findings.
 */

type Row = Record<string, string>;
const readCsv = (path: string): Row[] => parse(readFileSync(path), { columns: true, skip_empty_lines: true }) as Row[];
const DAY = 86_400_000;
const days = (a: string, b: string): number => (Date.parse(b) - Date.parse(a)) / DAY;

interface Stats {
  code: string;
  kind: string;
  level: string;
  profile: string;
  claims: number;
  linesPerClaim: number;
  costPerClaim: number;
  /** share of lines of items with a ceiling priced at 95–100 % of it */
  nearCeiling: number;
  findingsPerClaim: number;
  /** average length of stay (NaN without stays) */
  stay: number;
  /** share of outpatient and pharmacy claims the patient repeats at the same place within 1–7 days */
  revisit7: number;
}

const mean = (xs: number[]): number => {
  const v = xs.filter((x) => !Number.isNaN(x));
  return v.reduce((a, b) => a + b, 0) / v.length;
};

function measure(dir: string): Stats[] {
  const institutions = readCsv(join(dir, 'reference/institutions.csv'));
  const labels = new Map(readCsv(join(dir, 'labels/institution_labels.csv')).map((r) => [r.institution_code!, r]));
  const ceilings = new Map(readCsv(join(dir, 'reference/catalog_items.csv')).map((r) => [r.code!.toUpperCase(), r.price_ceiling ? Number(r.price_ceiling) : null]));
  const rejected = new Set(readCsv(join(dir, 'labels/expected_rejections.csv')).filter((r) => r.batch === '1').map((r) => r.claim_id));
  const claims = readCsv(join(dir, 'claims/claims.csv')).filter((c) => !rejected.has(c.claim_id));
  const lines = new Map<string, Row[]>();
  for (const l of readCsv(join(dir, 'claims/claim_items.csv'))) lines.set(l.claim_id!, [...(lines.get(l.claim_id!) ?? []), l]);
  const findings = new Map<string, number>();
  for (const f of readCsv(join(dir, 'labels/expected_findings.csv'))) findings.set(f.claim_id!, (findings.get(f.claim_id!) ?? 0) + 1);
  const byPatient = new Map<string, Row[]>();
  for (const c of claims) byPatient.set(c.patient_id!, [...(byPatient.get(c.patient_id!) ?? []), c]);
  const revisited = new Set<string>();
  for (const list of byPatient.values()) {
    for (const a of list) {
      if (a.visit_type === 'inpatient') continue;
      const again = list.some((b) => b.institution_code === a.institution_code && b.visit_type === a.visit_type && days(a.admission_date!, b.admission_date!) >= 1 && days(a.admission_date!, b.admission_date!) <= 7);
      if (again) revisited.add(a.claim_id!);
    }
  }
  return institutions.map((inst) => {
    const own = claims.filter((c) => c.institution_code === inst.code);
    let nLines = 0;
    let cost = 0;
    let capped = 0;
    let near = 0;
    let found = 0;
    for (const c of own) {
      const ls = lines.get(c.claim_id!) ?? [];
      nLines += ls.length;
      cost += Number(c.total_amount);
      found += findings.get(c.claim_id!) ?? 0;
      for (const l of ls) {
        const ceiling = ceilings.get(l.item_code!.trim().toUpperCase());
        if (!ceiling) continue;
        capped++;
        const r = Number(l.unit_price) / ceiling;
        if (r >= 0.95 && r <= 1) near++;
      }
    }
    const stays = own.filter((c) => c.visit_type === 'inpatient');
    const visits = own.filter((c) => c.visit_type !== 'inpatient');
    return {
      code: inst.code!,
      kind: inst.kind!,
      level: inst.level!,
      profile: labels.get(inst.code!)?.profile ?? '',
      claims: own.length,
      linesPerClaim: nLines / own.length,
      costPerClaim: cost / own.length,
      nearCeiling: capped > 0 ? near / capped : 0,
      findingsPerClaim: found / own.length,
      stay: stays.length > 0 ? mean(stays.map((c) => days(c.admission_date!, c.discharge_date!))) : NaN,
      revisit7: visits.length > 0 ? visits.filter((c) => revisited.has(c.claim_id!)).length / visits.length : NaN,
    };
  });
}

describe('demo data: institution profiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fundguard-profiles-'));
  let summary: DemoSummary;
  let json: { abusiveProfiles: Record<string, Record<string, number | string>> };
  let stats: Stats[];
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeAll(async () => {
    summary = await generateDemoData({ outDir: dir, claims: 20_000, seed: 'institution-profiles' });
    json = JSON.parse(readFileSync(join(dir, 'labels/summary.json'), 'utf8'));
    stats = measure(dir);
  });

  /** Honest institutions of the same kind and level (specialised hospitals, with their own case mix, aside). */
  const specialised = (s: Stats): boolean => s.profile === 'honest_expensive' && s.level !== '3';
  const peersOf = (s: Stats): Stats[] => stats.filter((p) => p.profile !== 'abusive' && !specialised(p) && p.kind === s.kind && p.level === s.level);
  const abusive = (): Stats[] => stats.filter((s) => s.profile === 'abusive');
  const behaviour = (s: Stats, b: string): number => Number(json.abusiveProfiles[s.code]?.[b] ?? 0);

  it('labels every institution once, with its kind and level, a profile and the abusive flag', () => {
    const raw = readFileSync(join(dir, 'labels/institution_labels.csv'), 'utf8');
    expect(raw.split('\n')[0]).toBe('institution_code,kind,level,profile,abusive');
    const labels = readCsv(join(dir, 'labels/institution_labels.csv'));
    const institutions = readCsv(join(dir, 'reference/institutions.csv'));
    expect(labels.map((l) => l.institution_code).sort()).toEqual(institutions.map((i) => i.code).sort());
    expect(new Set(labels.map((l) => l.institution_code)).size).toBe(labels.length);
    for (const l of labels) {
      const inst = institutions.find((i) => i.code === l.institution_code)!;
      expect([l.kind, l.level]).toEqual([inst.kind, inst.level]);
      expect(['abusive', 'honest_expensive', 'normal']).toContain(l.profile);
      expect(l.abusive).toBe(l.profile === 'abusive' ? '1' : '0');
    }
    expect(summary.abusiveInstitutions).toBe(labels.filter((l) => l.abusive === '1').length);
    expect(summary.honestExpensiveInstitutions).toBe(labels.filter((l) => l.profile === 'honest_expensive').length);
    expect(json).toMatchObject({ abusiveInstitutions: summary.abusiveInstitutions, honestExpensiveInstitutions: summary.honestExpensiveInstitutions });

    // about a tenth of hospitals, primary care and clinics, of several kinds; a pharmacy or two
    const care = labels.filter((l) => l.kind !== 'pharmacy');
    const share = care.filter((l) => l.abusive === '1').length / care.length;
    expect(share).toBeGreaterThanOrEqual(0.07);
    expect(share).toBeLessThanOrEqual(0.14);
    expect(new Set(care.filter((l) => l.abusive === '1').map((l) => `${l.kind}/${l.level}`)).size).toBeGreaterThanOrEqual(3);
    expect(labels.filter((l) => l.kind === 'pharmacy' && l.abusive === '1').length).toBeGreaterThanOrEqual(1);
    // every honest tertiary hospital is honest-expensive; so is at least one specialised hospital
    for (const l of labels.filter((x) => x.kind === 'hospital' && x.level === '3')) expect(l.profile).not.toBe('normal');
    expect(labels.some((l) => l.profile === 'honest_expensive' && l.level !== '3')).toBe(true);
    // each abusive institution has some behaviours, never all of them
    for (const a of Object.values(json.abusiveProfiles)) {
      const n = Object.keys(a).filter((k) => k !== 'kind' && k !== 'level').length;
      expect(n).toBeGreaterThanOrEqual(2);
      expect(n).toBeLessThan(8);
    }
  });

  it('has volume enough for monthly statistics: most institutions have 30 claims a month or more', () => {
    const months = 3;
    const small = stats.filter((s) => s.claims / months < 30);
    expect(small.length).toBeLessThanOrEqual(Math.floor(stats.length * 0.1));
  });

  it('abusive institutions bill more lines per claim, nearer their ceilings, with more planted findings than their normal peers', () => {
    const diff = (key: keyof Stats, pick: (s: Stats) => boolean = () => true): number[] =>
      abusive()
        .filter(pick)
        .map((s) => (s[key] as number) - mean(peersOf(s).map((p) => p[key] as number)));
    // on average over all abusive institutions
    expect(mean(diff('linesPerClaim'))).toBeGreaterThan(0.3);
    expect(mean(diff('nearCeiling'))).toBeGreaterThan(0.05);
    expect(mean(diff('findingsPerClaim'))).toBeGreaterThan(0.005);
    expect(mean(diff('costPerClaim'))).toBeGreaterThan(0);
    // and clearly where the behaviour is there
    for (const d of diff('linesPerClaim', (s) => behaviour(s, 'padding') >= 0.4)) expect(d).toBeGreaterThan(0.5);
    for (const d of diff('nearCeiling', (s) => behaviour(s, 'nearCeiling') >= 0.4)) expect(d).toBeGreaterThan(0.2);
    for (const s of abusive().filter((x) => behaviour(x, 'violations') >= 0.4)) {
      expect(s.findingsPerClaim).toBeGreaterThan(2 * mean(peersOf(s).map((p) => p.findingsPerClaim)));
    }
    for (const d of diff('stay', (s) => behaviour(s, 'longStay') >= 0.4)) expect(d).toBeGreaterThan(0.5);
    for (const s of abusive().filter((x) => behaviour(x, 'revisits') >= 0.4)) expect(s.revisit7).toBeGreaterThan(2 * mean(peersOf(s).map((p) => p.revisit7)));
    // the behaviours are spread: no single one is shared by every abusive institution
    for (const b of ['padding', 'nearCeiling', 'longStay', 'revisits', 'drugs', 'consumables', 'upcoding', 'violations']) {
      expect(abusive().filter((s) => behaviour(s, b) > 0).length).toBeLessThan(abusive().length);
    }
  });

  it('honest expensive institutions cost more than the normal ones of their kind, without more findings per claim', () => {
    const honest = stats.filter((s) => s.profile === 'honest_expensive');
    expect(honest.length).toBeGreaterThanOrEqual(4);
    // dearer than the ordinary (normal) institutions of their kind, and than their own level's
    const normalHospitals = stats.filter((s) => s.kind === 'hospital' && s.profile === 'normal');
    const kindCost = mean(normalHospitals.map((s) => s.costPerClaim));
    for (const s of honest) {
      expect(s.kind).toBe('hospital');
      expect(s.costPerClaim).toBeGreaterThan(kindCost);
      if (specialised(s)) expect(s.costPerClaim).toBeGreaterThan(1.2 * mean(peersOf(s).map((p) => p.costPerClaim)));
    }
    expect(mean(honest.map((s) => s.costPerClaim))).toBeGreaterThan(1.3 * kindCost);
    const perClaim = (list: Stats[]): number => list.reduce((a, s) => a + s.findingsPerClaim * s.claims, 0) / list.reduce((a, s) => a + s.claims, 0);
    // the same background rate of plants (up to chance)
    expect(perClaim(honest)).toBeLessThanOrEqual(1.5 * perClaim(normalHospitals));
    expect(perClaim(honest)).toBeLessThan(perClaim(abusive().filter((s) => behaviour(s, 'violations') > 0)));
  });

  it('tertiary hospitals cost more than secondary ones, so cost alone, ignoring peers, would point at honest hospitals', () => {
    const level = (l: string): Stats[] => stats.filter((s) => s.kind === 'hospital' && s.level === l && s.profile !== 'abusive');
    const cost3 = mean(level('3').map((s) => s.costPerClaim));
    const cost2 = mean(level('2').filter((s) => s.profile === 'normal').map((s) => s.costPerClaim));
    expect(cost3).toBeGreaterThan(1.15 * cost2);
    expect(mean(level('3').map((s) => s.linesPerClaim))).toBeGreaterThan(mean(level('2').map((s) => s.linesPerClaim)));
    expect(mean(level('3').map((s) => s.stay))).toBeGreaterThan(mean(level('2').filter((s) => s.profile === 'normal').map((s) => s.stay)));
    // most honest-expensive institutions cost more per claim than the typical abusive one
    const costs = abusive()
      .map((s) => s.costPerClaim)
      .sort((a, b) => a - b);
    const medianAbusive = costs[Math.floor(costs.length / 2)]!;
    const honest = stats.filter((s) => s.profile === 'honest_expensive');
    expect(honest.filter((s) => s.costPerClaim > medianAbusive).length).toBeGreaterThan(honest.length / 2);
  });
});
