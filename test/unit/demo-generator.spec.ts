import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse } from 'csv-parse/sync';
import { generateDemoData, type DemoSummary } from '../../src/demo/generator';
import { FINDING_CATEGORIES, oracleFindings, oracleImport, type OracleFinding, type Row } from '../../src/demo/oracle';

/**
 * The demo generator's labels are checked against an independent oracle: the files are parsed
 * back, batch 2 is applied over batch 1 the way the contract says, and the oracle's rejections and
 * findings must equal the labels exactly.
 */

const PROBLEM_KEYWORDS = [
  'missing_required',
  'bad_enum',
  'impossible_date',
  'nonpositive_quantity',
  'total_mismatch',
  'items_sum_mismatch',
  'discharge_before_admission',
  'amount_mismatch',
];

function readCsv(path: string): Row[] {
  return parse(readFileSync(path), { columns: true, skip_empty_lines: true }) as Row[];
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

function digest(dir: string): Record<string, string> {
  return Object.fromEntries(filesUnder(dir).map((p) => [relative(dir, p), createHash('sha256').update(readFileSync(p)).digest('hex')]));
}

const findingKey = (f: { claim_id: string; item_seq: number | null | string; category: string }): string =>
  `${f.claim_id}|${f.item_seq ?? ''}|${f.category}`;

interface Loaded {
  summary: DemoSummary;
  oracle: OracleFinding[];
  expected: Row[];
  expectedRejections: Row[];
  oracleRejections: ReturnType<typeof oracleImport>['rejections'];
}

function load(dir: string, summary: DemoSummary): Loaded {
  const b1 = { claims: readCsv(join(dir, 'claims/claims.csv')), items: readCsv(join(dir, 'claims/claim_items.csv')) };
  const b2 = { claims: readCsv(join(dir, 'claims-batch2/claims.csv')), items: readCsv(join(dir, 'claims-batch2/claim_items.csv')) };
  const stored = oracleImport([b1, b2]);
  const oracle = oracleFindings({
    claims: stored.claims,
    items: stored.items,
    catalog: readCsv(join(dir, 'reference/catalog_items.csv')),
    persons: readCsv(join(dir, 'reference/persons.csv')),
  });
  return {
    summary,
    oracle,
    expected: readCsv(join(dir, 'labels/expected_findings.csv')),
    expectedRejections: readCsv(join(dir, 'labels/expected_rejections.csv')),
    oracleRejections: stored.rejections,
  };
}

describe('demo data generator', () => {
  const root = mkdtempSync(join(tmpdir(), 'fundguard-demo-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  describe('a 2,000-claim data set', () => {
    const dir = join(root, 'main');
    let data: Loaded;
    let progressCalls: number[];

    beforeAll(async () => {
      progressCalls = [];
      const summary = await generateDemoData({ outDir: dir, claims: 2000, seed: 'unit-test', onProgress: (n) => progressCalls.push(n) });
      data = load(dir, summary);
    });

    it('labels exactly the findings an independent oracle computes after both batches', () => {
      const oracle = new Map(data.oracle.map((f) => [findingKey(f), f.amount_at_risk]));
      const expected = new Map(data.expected.map((f) => [findingKey({ claim_id: f.claim_id!, item_seq: f.item_seq!, category: f.category! }), f.amount_at_risk]));
      const missing = [...oracle.keys()].filter((k) => !expected.has(k));
      const extra = [...expected.keys()].filter((k) => !oracle.has(k));
      expect({ missing, extra }).toEqual({ missing: [], extra: [] });
      const amountDiffs = [...expected].filter(([k, a]) => oracle.get(k) !== a).map(([k, a]) => `${k}: label ${a}, oracle ${oracle.get(k)}`);
      expect(amountDiffs).toEqual([]);
      expect(data.expected.length).toBe(data.summary.expectedFindings);
    });

    it('labels exactly the rejections the oracle importer finds, one problem each', () => {
      const got = data.oracleRejections.map((r) => `${r.batch}|${r.claim_id}|${r.file}|${r.line}|${r.problems.join('+')}`).sort();
      const want = data.expectedRejections.map((r) => `${r.batch}|${r.claim_id}|${r.file}|${r.line}|${r.problem}`).sort();
      expect(got).toEqual(want);
    });

    it('plants every category and every rejection problem', () => {
      const cats = new Set(data.expected.map((f) => f.category));
      for (const c of FINDING_CATEGORIES) expect(cats).toContain(c);
      for (const batch of ['1', '2']) {
        const problems = new Set(data.expectedRejections.filter((r) => r.batch === batch).map((r) => r.problem));
        for (const p of [...PROBLEM_KEYWORDS, 'orphan_line']) expect(problems).toContain(p);
      }
    });

    it('reports row counts that match the files', () => {
      const s = data.summary;
      const rows = (p: string): number => readCsv(join(dir, p)).length;
      expect(rows('claims/claims.csv')).toBe(2000);
      expect(s.batch1.claims).toBe(2000);
      expect(rows('claims/claim_items.csv')).toBe(s.batch1.lines);
      expect(rows('claims-batch2/claims.csv')).toBe(s.batch2.claims);
      expect(rows('claims-batch2/claim_items.csv')).toBe(s.batch2.lines);
      expect(s.batch2.claims).toBe(s.batch2.resent + s.batch2.corrected + s.batch2.fixedResubmissions + s.batch2.new + s.batch2.malformedClaims);
      expect(rows('reference/institutions.csv')).toBe(s.institutions);
      expect(rows('reference/physicians.csv')).toBe(s.physicians);
      expect(rows('reference/catalog_items.csv')).toBe(s.catalogItems);
      expect(rows('reference/persons.csv')).toBe(s.persons);
      expect(rows('reference/inspectors.csv')).toBe(s.inspectors);
      expect(rows('labels/expected_findings.csv')).toBe(s.expectedFindings);
      const rej = readCsv(join(dir, 'labels/expected_rejections.csv'));
      expect(rej.filter((r) => r.batch === '1' && r.file === 'claims.csv')).toHaveLength(s.batch1.malformedClaims);
      expect(rej.filter((r) => r.batch === '1' && r.file === 'claim_items.csv')).toHaveLength(s.batch1.orphanLines);
      expect(rej.filter((r) => r.batch === '2' && r.file === 'claims.csv')).toHaveLength(s.batch2.malformedClaims);
      expect(rej.filter((r) => r.batch === '2' && r.file === 'claim_items.csv')).toHaveLength(s.batch2.orphanLines);

      const json = JSON.parse(readFileSync(join(dir, 'labels/summary.json'), 'utf8')) as Record<string, unknown>;
      const { outDir, ...rest } = s;
      expect(outDir).toBe(dir);
      expect(json).toMatchObject(rest);
      const byCat = json.findingsByCategory as Record<string, number>;
      for (const c of FINDING_CATEGORIES) expect(byCat[c]).toBe(data.expected.filter((f) => f.category === c).length);
      expect(progressCalls.length).toBeGreaterThan(0);
    });

    it('has the promised shape: batch 2 content, ages, visit types, both genders and insurance types', () => {
      const s = data.summary;
      expect(s.batch2.resent).toBeGreaterThanOrEqual(80); // ~5 %
      expect(s.batch2.corrected).toBeGreaterThanOrEqual(40); // ~2 % plus the deliberate ones
      expect(s.batch2.fixedResubmissions).toBeGreaterThanOrEqual(1);
      expect(s.batch2.new).toBeGreaterThanOrEqual(60); // ~3 %
      const claims = readCsv(join(dir, 'claims/claims.csv'));
      const valid = claims.filter((c) => ['outpatient', 'inpatient', 'pharmacy'].includes(c.visit_type ?? ''));
      expect(new Set(valid.map((c) => c.visit_type))).toEqual(new Set(['outpatient', 'inpatient', 'pharmacy']));
      expect(new Set(valid.map((c) => c.patient_gender)).has('M')).toBe(true);
      expect(new Set(valid.map((c) => c.patient_gender)).has('F')).toBe(true);
      expect(new Set(valid.map((c) => c.insurance_type)).has('resident')).toBe(true);
      expect(new Set(valid.map((c) => c.insurance_type)).has('employee')).toBe(true);
      const ages = valid.map((c) => Number((c.admission_date ?? '').slice(0, 4)) - Number((c.patient_birth_date ?? '0').slice(0, 4)));
      expect(Math.min(...ages)).toBeLessThanOrEqual(1);
      expect(Math.max(...ages)).toBeGreaterThanOrEqual(85);
      const items = readCsv(join(dir, 'claims/claim_items.csv'));
      expect(items.length / claims.length).toBeGreaterThan(3.3);
      expect(items.length / claims.length).toBeLessThan(5.5); // tertiary hospitals and padding abusers bill more lines
      expect(items.some((i) => i.quantity === '0.5' || i.quantity === '1.5')).toBe(true);
      const raw = readFileSync(join(dir, 'claims/claims.csv'));
      expect(raw[0]).not.toBe(0xef); // no BOM
      expect(raw.includes('\r')).toBe(false);
      expect(raw.toString('utf8').split('\n')[0]).toBe(
        'claim_id,institution_code,physician_code,patient_id,patient_gender,patient_birth_date,insurance_type,visit_type,admission_date,discharge_date,primary_diagnosis,secondary_diagnoses,discharge_status,total_amount,fund_paid,self_paid,settled_at,insured_region,service_region',
      );
    });
  });

  it('is deterministic: same seed → identical files, different seed → different files', async () => {
    const a = join(root, 'a');
    const b = join(root, 'b');
    const c = join(root, 'c');
    await generateDemoData({ outDir: a, claims: 600, seed: 42 });
    await generateDemoData({ outDir: b, claims: 600, seed: 42 });
    await generateDemoData({ outDir: c, claims: 600, seed: 43 });
    const da = digest(a);
    expect(Object.keys(da)).toHaveLength(14);
    expect(digest(b)).toEqual(da);
    const dc = digest(c);
    expect(dc['claims/claims.csv']).not.toBe(da['claims/claims.csv']);
    expect(dc['labels/expected_findings.csv']).not.toBe(da['labels/expected_findings.csv']);
  });

  it('still plants two of every category, and every problem, at 300 claims (and agrees with the oracle)', async () => {
    const dir = join(root, 'tiny');
    const summary = await generateDemoData({ outDir: dir, claims: 300, seed: 'tiny', startMonth: '2024-02', months: 1 });
    const data = load(dir, summary);
    for (const c of FINDING_CATEGORIES) {
      expect(new Set(data.expected.filter((f) => f.category === c).map((f) => f.claim_id)).size).toBeGreaterThanOrEqual(2);
    }
    const oracle = new Map(data.oracle.map((f) => [findingKey(f), f.amount_at_risk]));
    const expected = new Map(data.expected.map((f) => [findingKey({ claim_id: f.claim_id!, item_seq: f.item_seq!, category: f.category! }), f.amount_at_risk]));
    expect([...expected].sort()).toEqual([...oracle].sort());
    for (const batch of ['1', '2']) {
      const problems = new Set(data.expectedRejections.filter((r) => r.batch === batch).map((r) => r.problem));
      for (const p of [...PROBLEM_KEYWORDS, 'orphan_line']) expect(problems).toContain(p);
    }
    expect(summary.batch1.claims).toBe(300);
  });

  it('refuses sizes too small to hold the planted cases', async () => {
    await expect(generateDemoData({ outDir: join(root, 'x'), claims: 50, seed: 1 })).rejects.toThrow(RangeError);
  });
});

describe('reference oracle', () => {
  const catalog: Row[] = [
    { code: 'X1', kind: 'drug', price_ceiling: '10.00', max_daily_qty: '2', max_days_supply: '7' },
    { code: 'S1', kind: 'service', gender_limit: 'F', min_age: '18', max_age: '60', setting_limit: 'inpatient' },
    { code: 'B', kind: 'service', exclusive_group: 'G' },
    { code: 'P1', kind: 'service', exclusive_group: 'G' },
    { code: 'P2', kind: 'service', exclusive_group: 'G' },
    { code: 'I1', kind: 'drug', indications: 'E11;I10' },
  ];
  const claim = (over: Partial<Record<string, string>>): Row => ({
    claim_id: 'C1',
    institution_code: 'H1',
    patient_id: 'P',
    patient_gender: 'M',
    patient_birth_date: '2000-03-10',
    visit_type: 'outpatient',
    admission_date: '2025-03-10',
    discharge_date: '2025-03-10',
    primary_diagnosis: 'J06.9',
    fund_paid: '50.00',
    settled_at: '2025-03-10T10:00:00+08:00',
    ...over,
  });
  const item = (seq: number, code: string, price: string, qty: string, over: Partial<Record<string, string>> = {}): Row => ({
    claim_id: 'C1',
    item_seq: String(seq),
    item_code: code,
    service_date: '2025-03-10',
    unit_price: price,
    quantity: qty,
    amount: (Number(price) * Number(qty)).toFixed(2),
    ...over,
  });
  const run = (claims: Row[], items: Row[], persons: Row[] = []): string[] =>
    oracleFindings({ claims, items, catalog, persons }).map((f) => `${f.claim_id}|${f.item_seq ?? ''}|${f.category}|${f.amount_at_risk}`);

  it('puts the daily excess on the last line and 0.00 on the others; exactly the maximum is fine', () => {
    expect(run([claim({})], [item(1, 'X1', '10.00', '1.5'), item(2, 'x1 ', '10.00', '1')])).toEqual(['C1|1|DAILY_QTY|0.00', 'C1|2|DAILY_QTY|5.00']);
    expect(run([claim({})], [item(1, 'X1', '10.00', '1.5'), item(2, 'X1', '10.00', '0.5')])).toEqual([]);
  });

  it('rounds days-of-supply amounts half up and ignores inpatient dispensing', () => {
    expect(run([claim({})], [item(1, 'X1', '9.99', '1', { days_supply: '14' })])).toEqual(['C1|1|DAYS_SUPPLY|5.00']);
    expect(run([claim({ visit_type: 'inpatient' })], [item(1, 'X1', '9.99', '1', { days_supply: '14' })])).toEqual([]);
  });

  it('computes price excess per unit and age in completed years (the birthday counts)', () => {
    expect(run([claim({})], [item(1, 'X1', '10.40', '1.5')])).toEqual(['C1|1|PRICE_CEILING|0.60']);
    const s1 = (birth: string): string[] => run([claim({ patient_gender: 'F', visit_type: 'inpatient', patient_birth_date: birth })], [item(1, 'S1', '5.00', '1')]);
    expect(s1('2007-03-10')).toEqual([]); // 18 today
    expect(s1('2007-03-11')).toEqual(['C1|1|AGE_LIMIT|5.00']); // 18 tomorrow
    expect(s1('1964-03-10')).toEqual(['C1|1|AGE_LIMIT|5.00']); // 61 today
    expect(s1('1964-03-11')).toEqual([]); // still 60
  });

  it('keeps the largest exclusive line (ties: lowest item_seq) and flags the rest', () => {
    expect(run([claim({})], [item(1, 'P1', '8.00', '1'), item(2, 'B', '40.00', '1'), item(3, 'P2', '8.00', '1')])).toEqual([
      'C1|1|EXCLUSIVE_ITEMS|8.00',
      'C1|3|EXCLUSIVE_ITEMS|8.00',
    ]);
    expect(run([claim({})], [item(1, 'P1', '8.00', '1'), item(2, 'P2', '8.00', '1')])).toEqual(['C1|2|EXCLUSIVE_ITEMS|8.00']);
    expect(run([claim({})], [item(1, 'B', '40.00', '1'), item(2, 'P1', '8.00', '1', { service_date: '2025-03-11' })])).toEqual([]);
  });

  it('matches indications by prefix over all diagnoses, and checks gender and setting', () => {
    expect(run([claim({ secondary_diagnoses: 'E11.9' })], [item(1, 'I1', '3.00', '1')])).toEqual([]);
    expect(run([claim({})], [item(1, 'I1', '3.00', '1')])).toEqual(['C1|1|INDICATION|3.00']);
    expect(run([claim({ patient_birth_date: '1990-01-01' })], [item(1, 'S1', '5.00', '1')])).toEqual(['C1|1|GENDER_LIMIT|5.00', 'C1|1|SETTING_LIMIT|5.00']);
  });

  it('flags the later-settled duplicate, split admissions, overlaps, and claims after death', () => {
    const a = claim({ claim_id: 'C1' });
    const b = claim({ claim_id: 'C2', settled_at: '2025-03-10T09:00:00+08:00', fund_paid: '40.00' });
    const itemsAB = [item(1, 'X1', '5.00', '1'), item(1, 'x1', '5', '1.00', { claim_id: 'C2' })];
    expect(run([a, b], itemsAB)).toEqual(['C1||DUPLICATE_CLAIM|50.00']);
    expect(run([a, claim({ claim_id: 'C2' })], [item(1, 'X1', '5.00', '1'), item(1, 'X1', '5.00', '1', { claim_id: 'C2' })])).toEqual(['C2||DUPLICATE_CLAIM|50.00']);

    const stay = (id: string, inst: string, adm: string, dis: string, dx: string, status = 'normal'): Row =>
      claim({ claim_id: id, institution_code: inst, visit_type: 'inpatient', admission_date: adm, discharge_date: dis, primary_diagnosis: dx, discharge_status: status });
    expect(run([stay('A', 'H1', '2025-03-01', '2025-03-05', 'J18.0'), stay('B', 'H1', '2025-03-20', '2025-03-22', 'J18.9')], [])).toEqual(['B||SPLIT_ADMISSION|50.00']);
    expect(run([stay('A', 'H1', '2025-03-01', '2025-03-05', 'J18.0'), stay('B', 'H1', '2025-03-21', '2025-03-22', 'J18.9')], [])).toEqual([]);
    expect(run([stay('A', 'H1', '2025-03-01', '2025-03-05', 'J18.0'), stay('B', 'H2', '2025-03-04', '2025-03-08', 'I10')], [])).toEqual([
      'A||OVERLAP_ADMISSION|50.00',
      'B||OVERLAP_ADMISSION|50.00',
    ]);
    expect(run([stay('A', 'H1', '2025-03-01', '2025-03-05', 'J18.0', 'transfer'), stay('B', 'H2', '2025-03-05', '2025-03-08', 'J18.0')], [])).toEqual([]);

    expect(run([claim({ admission_date: '2025-03-10' })], [], [{ patient_id: 'P', death_date: '2025-03-09' }])).toEqual(['C1||AFTER_DEATH|50.00']);
    expect(run([claim({ admission_date: '2025-03-10' })], [], [{ patient_id: 'P', death_date: '2025-03-10' }])).toEqual([]);
    expect(run([stay('A', 'H1', '2025-03-01', '2025-03-05', 'I21.9', 'death'), claim({ claim_id: 'Z', admission_date: '2025-03-06', discharge_date: '2025-03-06' })], [])).toEqual([
      'Z||AFTER_DEATH|50.00',
    ]);
  });

  it('rejects malformed claims with their problems and orphan lines', () => {
    const ok = claim({ insurance_type: 'employee', total_amount: '10.00', self_paid: '0.00', fund_paid: '10.00' });
    const stored = oracleImport([
      {
        claims: [ok, { ...ok, claim_id: 'C2', total_amount: '11.00', self_paid: '1.00' }],
        items: [item(1, 'X1', '10.00', '1'), item(1, 'X1', '10.00', '1', { claim_id: 'C2' }), item(1, 'X1', '1.00', '1', { claim_id: 'C9' })],
      },
    ]);
    expect(stored.claims.map((c) => c.claim_id)).toEqual(['C1']);
    expect(stored.rejections).toEqual([
      { batch: 1, claim_id: 'C9', file: 'claim_items.csv', line: 4, problems: ['orphan_line'] },
      { batch: 1, claim_id: 'C2', file: 'claims.csv', line: 3, problems: ['items_sum_mismatch'] },
    ]);
  });
});
