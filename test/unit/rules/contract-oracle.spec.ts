import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { generateDemoData } from '../../../src/demo/generator';
import { FINDING_CATEGORIES, oracleFindings, oracleImport, type Row } from '../../../src/demo/oracle';
import { screenAll } from '../../../src/rules-engine/engine';
import { modelFromRows } from '../../../src/rules-engine/from-rows';
import { loadRuleLibrary } from '../../../src/rules-engine/rule-library';
import { fenText } from '../../../src/rules-engine/values';

/**
 * The engine with the shipped library against the independent oracle of the contract, on a
 * generated data set (corrections applied the way the importer applies them): in the twelve
 * categories the engine reports exactly the oracle's findings, with the same amounts, and the
 * generator's labels agree.
 */
const readCsv = (path: string): Row[] => parse(readFileSync(path), { columns: true, skip_empty_lines: true }) as Row[];
const CONTRACT = new Set<string>(FINDING_CATEGORIES);

describe('the twelve categories against the contract oracle', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fg-oracle-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    [4000, 11],
    [1500, 'edge-seed'],
  ])('%i claims, seed %s', async (claims, seed) => {
    const out = join(dir, String(seed));
    await generateDemoData({ outDir: out, claims, seed });
    const batch = (sub: string) => ({ claims: readCsv(join(out, sub, 'claims.csv')), items: readCsv(join(out, sub, 'claim_items.csv')) });
    const stored = oracleImport([batch('claims'), batch('claims-batch2')]);
    const catalog = readCsv(join(out, 'reference/catalog_items.csv'));
    const persons = readCsv(join(out, 'reference/persons.csv'));
    const institutions = readCsv(join(out, 'reference/institutions.csv'));
    const want = oracleFindings({ claims: stored.claims, items: stored.items, catalog, persons })
      .map((f) => `${f.claim_id.toUpperCase()}|${f.item_seq ?? ''}|${f.category}|${f.amount_at_risk}`)
      .sort();
    const labels = readCsv(join(out, 'labels/expected_findings.csv'))
      .map((f) => `${String(f.claim_id).toUpperCase()}|${f.item_seq ?? ''}|${f.category}|${f.amount_at_risk}`)
      .sort();

    const { claims: model, kb } = modelFromRows({ claims: stored.claims, items: stored.items, catalog, persons, institutions });
    const library = loadRuleLibrary();
    const got = screenAll(model, kb, library.rules)
      .filter((h) => CONTRACT.has(h.rule.spec.category))
      .map((h) => `${h.claim.claimId}|${h.itemSeq ?? ''}|${h.rule.spec.category}|${fenText(h.amountFen)}`)
      .sort();

    expect(want.length).toBeGreaterThan(20);
    expect(new Set(want.map((w) => w.split('|')[2])).size).toBe(12);
    expect(got).toEqual(want);
    expect(labels).toEqual(want);
  });
});
