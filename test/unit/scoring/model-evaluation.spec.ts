import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { Rng } from '../../../src/demo/random';
import { CsvRecord } from '../../../src/imports/csv-source';
import { buildFeatureTable, evaluateModel, EvaluationReport, parseLabel, readFeatureTable } from '../../../src/scoring/model-evaluation';
import { loadForest, trainForest } from '../../../src/scoring/random-forest';

/** A labelled table in CSV terms: institutions, a noisy signal that tells the classes apart, noise, a category. */
function syntheticTable(rows: number, seed: number): { header: string[]; records: CsvRecord[] } {
  const rng = Rng.fromSeed(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rng.float())) * Math.cos(2 * Math.PI * rng.float());
  const header = ['institution', 'cost_per_claim', 'lines_per_claim', 'noise', 'level', 'confirmed'];
  const records: CsvRecord[] = [];
  for (let i = 0; i < rows; i++) {
    const fraud = i % 4 === 0;
    const cost = 1000 + (fraud ? 900 : 0) + 300 * normal();
    const lines = 5 + (fraud ? 2 : 0) + 1.5 * normal();
    records.push({
      line: i + 2,
      fields: [
        `H${String(i).padStart(4, '0')}`,
        i % 17 === 3 ? '' : cost.toFixed(2), // some missing cells, imputed per training fold
        lines.toFixed(1),
        normal().toFixed(3),
        rng.pick(['一级', '二级', '三级']),
        fraud ? (i % 8 === 0 ? 'Yes' : '是') : i % 3 ? 'No' : 'dismissed',
      ],
    });
  }
  return { header, records };
}

const options = { label: 'confirmed', id: 'institution' };

/** The report without its timings (the only part that may differ between two identical runs). */
function untimed(r: EvaluationReport) {
  return { ...r, seconds: undefined, folds: r.folds.map((f) => ({ ...f, trainSeconds: undefined })) };
}

describe('model evaluation', () => {
  const { header, records } = syntheticTable(160, 7);
  const table = buildFeatureTable(header, records, options, 'synthetic.csv');

  it('reads the table: id and label set aside, text column one-hot, missing cells counted', () => {
    expect(table.featureNames).toEqual(['cost_per_claim', 'lines_per_claim', 'noise', 'level=一级', 'level=三级', 'level=二级']);
    expect(table.y.filter((v) => v === 1)).toHaveLength(40);
    expect(table.ids[0]).toBe('H0000');
    expect(table.missingCells).toBe(records.filter((_, i) => i % 17 === 3).length);
    expect(table.oneHot).toEqual([{ column: 'level', values: ['一级', '三级', '二级'] }]);
  });

  it('separates a separable table (ROC-AUC > 0.9) and reports every fold', () => {
    const report = evaluateModel(table, { folds: 4, seed: 3, forest: { trees: 25 } });
    expect(report.folds).toHaveLength(4);
    expect(report.mean.rocAuc.mean).toBeGreaterThan(0.9);
    expect(report.pooled.rocAuc).toBeGreaterThan(0.9);
    expect(report.mean.prAuc.mean).toBeGreaterThan(report.data.baseRate);
    expect(report.data).toMatchObject({ rows: 160, positives: 40, baseRate: 0.25, features: 6, idColumn: 'institution' });
    for (const f of report.folds) {
      expect(f.testRows).toBe(40);
      expect(f.testPositives).toBe(10);
      expect(f.atThreshold.f1).toBeGreaterThan(0.5);
    }
    expect(report.topFeatures[0]!.name).toBe('cost_per_claim');
    expect(report.topFeatures[0]!.importance).toBeGreaterThan(0.05);
  });

  it('gives the identical report for the same seed, and another for another seed', () => {
    const a = evaluateModel(table, { folds: 3, seed: 11, forest: { trees: 10 } });
    const b = evaluateModel(table, { folds: 3, seed: 11, forest: { trees: 10 } });
    const c = evaluateModel(table, { folds: 3, seed: 12, forest: { trees: 10 } });
    expect(untimed(b)).toEqual(untimed(a));
    expect(untimed(c).folds).not.toEqual(untimed(a).folds);
  });

  it('accepts the label words of supervisors’ spreadsheets, in any case', () => {
    for (const v of ['Yes', 'Y', '1', 'TRUE', '是', 'Confirmed']) expect(parseLabel(v)).toBe(1);
    for (const v of ['no', 'n', '0', 'False', '否', 'DISMISSED']) expect(parseLabel(` ${v} `)).toBe(0);
    expect(parseLabel('maybe')).toBeUndefined();
  });

  it('names the line and the value of a label it cannot read', () => {
    const bad = records.map((r) => ({ ...r, fields: [...r.fields] }));
    bad[5]!.fields[5] = 'maybe';
    bad[9]!.fields[5] = '';
    expect(() => buildFeatureTable(header, bad, options, 'cases.csv')).toThrow('cases.csv, line 7: confirmed is "maybe"; expected Yes/No, Y/N, 1/0, true/false, 是/否 or confirmed/dismissed (and 1 more row(s))');
  });

  it('names a missing column, a text column with many values, and a column copying the label', () => {
    expect(() => buildFeatureTable(header, records, { label: 'fraud' })).toThrow('--label "fraud" is not a column of the table');
    expect(() => buildFeatureTable(header, records, { label: 'confirmed' })).toThrow('column "institution" is not numeric (line 2 has "H0000") and has 160 distinct values');
    const leaky = records.map((r) => ({ ...r, fields: [...r.fields, ['No', 'dismissed'].includes(r.fields[5]!) ? '0' : '1'] }));
    expect(() => buildFeatureTable([...header, 'confirmed_numeric'], leaky, options)).toThrow('feature "confirmed_numeric" separates the label perfectly on its own');
    expect(buildFeatureTable([...header, 'confirmed_numeric'], leaky, { ...options, exclude: ['confirmed_numeric'] }).excluded).toEqual(['confirmed_numeric']);
  });

  it('refuses bad options by name', () => {
    expect(() => evaluateModel(table, { folds: 1 })).toThrow('the number of folds must be an integer of at least 2');
    expect(() => evaluateModel(table, { forest: { trees: 0 } })).toThrow('trees must be a positive integer');
    expect(() => evaluateModel(table, { forest: { maxFeatures: 2.5 } })).toThrow('maxFeatures must be');
  });

  it('reads a GB18030 file with Chinese headers and numbers written with separators', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fg-model-'));
    try {
      const lines = ['机构编码,次均费用,占比,是否违规'];
      for (let i = 0; i < 10; i++) lines.push(`J${i},"${i % 2 ? '1,2' : ''}${i}0.5",${i * 3}%,${i % 3 === 0 ? '是' : '否'}`);
      const path = join(dir, '病例.csv');
      writeFileSync(path, iconv.encode(lines.join('\r\n') + '\r\n', 'gb18030'));
      const t = await readFeatureTable(path, { label: '是否违规', id: '机构编码' });
      expect(t.featureNames).toEqual(['次均费用', '占比']);
      expect(t.X[1]).toEqual([1210.5, 0.03]);
      expect(t.y.slice(0, 4)).toEqual([1, 0, 0, 1]);
      await expect(readFeatureTable(join(dir, 'none.csv'), { label: 'x' })).rejects.toThrow('--features: no such file');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('random forest wrapper', () => {
  const rng = Rng.fromSeed('forest');
  const X = Array.from({ length: 80 }, (_, i) => [i % 2 ? 2 + rng.float() : rng.float() * 2.2, rng.float(), rng.float()]);
  const y = X.map((_, i) => i % 2);

  it('returns class-1 probabilities, the same for the same seed', () => {
    const a = trainForest(X, y, { trees: 15, maxFeatures: 1, seed: 5 });
    const b = trainForest(X, y, { trees: 15, maxFeatures: 1, seed: 5 });
    const p = a.predict(X);
    expect(p).toEqual(b.predict(X));
    expect(a.oobScores).toEqual(b.oobScores);
    expect(p.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(p[1]!).toBeGreaterThan(0.5);
    expect(a.importance[0]!).toBeGreaterThan(0.5);
  });

  it('scores the same after a trip through JSON text', () => {
    const forest = trainForest(X, y, { trees: 8, maxDepth: 4, balanced: true, seed: 9 });
    const stored = JSON.parse(JSON.stringify(forest.toJSON()));
    expect(loadForest(stored).predict(X)).toEqual(forest.predict(X));
  });

  it('refuses missing values and a single class', () => {
    expect(() => trainForest([[1], [NaN]], [0, 1])).toThrow('row 1, feature 0 is NaN (impute missing values first)');
    expect(() => trainForest([[1], [2]], [1, 1])).toThrow('training needs both classes');
  });
});
