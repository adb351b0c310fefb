import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pseudonymizer, validateClaimRow } from '../../src/imports/claim-rows';
import {
  buildRowAccessor,
  ColumnMapping,
  ColumnMappingError,
  IDENTITY_MAPPING,
  loadColumnMapping,
  parseColumnMapping,
  sourceFileName,
} from '../../src/imports/column-mapping';
import { validateRow } from '../../src/imports/interchange';

/**
 * A bureau's own export (Chinese column names, its own date formats and codes) mapped onto the
 * interchange format by a column-mapping file, then validated exactly like a contract file.
 */

const OPTS = { defaultUtcOffset: '+08:00' };

const BUREAU_MAPPING = `
# 某市医保局 结算数据导出 → interchange v1
version: 1
encoding: gb18030
files:
  claims:
    file: 结算信息.csv
    columns:
      claim_id: 结算ID
      institution_code: 机构编码
      physician_code: 医师编码
      patient_id: 个人编号
      patient_gender: 性别
      patient_birth_date: 出生日期
      insurance_type: 险种
      visit_type: 就诊类型
      admission_date: 入院日期
      discharge_date: 出院日期
      primary_diagnosis: 主要诊断
      secondary_diagnoses: 次要诊断
      discharge_status: 离院方式
      total_amount: 医疗费总额
      fund_paid: 基金支付
      self_paid: 个人自付
      settled_at: 结算时间
      insured_region: 参保地
      service_region: 就医地
    dateFormats:
      patient_birth_date: YYYYMMDD
      admission_date: YYYY/MM/DD
      discharge_date: YYYY/MM/DD
      settled_at: YYYY/MM/DD HH:mm:ss
    values:
      patient_gender: { 男: M, 女: F }
      visit_type: { 门诊: outpatient, 住院: inpatient, 药店购药: pharmacy }
      insurance_type: { 职工: employee, 居民: resident }
      discharge_status: { "1": normal, "2": transfer, "5": death, "9": other }
    defaults:
      insurance_type: employee
  claim_items:
    file: 费用明细.csv
    columns:
      claim_id: 结算ID
      item_seq: 序号
      item_code: 项目编码
      service_date: 费用日期
    dateFormats:
      service_date: YYYY/MM/DD
`;

/** The export's header; 险种 (insurance_type) is absent: the mapping supplies a default. */
const BUREAU_HEADER = [
  '结算ID',
  '机构编码',
  '医师编码',
  '个人编号',
  '性别',
  '出生日期',
  '就诊类型',
  '入院日期',
  '出院日期',
  '主要诊断',
  '次要诊断',
  '离院方式',
  '医疗费总额',
  '基金支付',
  '个人自付',
  '结算时间',
  '参保地',
  '就医地',
];

const BUREAU_ROW: Record<string, string> = {
  结算ID: 'JS20250105001',
  机构编码: 'h64010400001',
  医师编码: 'D640104000123',
  个人编号: '640105199001011234',
  性别: '男',
  出生日期: '19900101',
  就诊类型: '门诊',
  入院日期: '2025/01/05',
  出院日期: '2025/01/05',
  主要诊断: 'j18.9',
  次要诊断: 'I10;E11.9',
  离院方式: '1',
  医疗费总额: '356.40',
  基金支付: '249.48',
  个人自付: '106.92',
  结算时间: '2025/01/05 10:15:00',
  参保地: '640105',
  就医地: '640104',
};

/** A record of the export, in header order, with some cells changed. */
function bureauRecord(overrides: Record<string, string> = {}, header: string[] = BUREAU_HEADER): string[] {
  const cells = { ...BUREAU_ROW, ...overrides };
  return header.map((h) => cells[h] ?? '');
}

function mapped(overrides: Record<string, string> = {}, header: string[] = BUREAU_HEADER, mapping: ColumnMapping = parseColumnMapping(BUREAU_MAPPING)) {
  const { accessor } = buildRowAccessor('claims', header, mapping);
  return accessor(bureauRecord(overrides, header));
}

function mappingProblems(yaml: string, source = 'm.yaml'): string[] {
  try {
    parseColumnMapping(yaml, source);
  } catch (e) {
    expect(e).toBeInstanceOf(ColumnMappingError);
    return (e as ColumnMappingError).problems;
  }
  throw new Error('expected a ColumnMappingError');
}

describe('a realistic bureau export through its mapping', () => {
  it('parses the mapping with its settings', () => {
    const m = parseColumnMapping(BUREAU_MAPPING, 'bureau.yaml');
    expect(m.version).toBe(1);
    expect(m.encoding).toBe('gb18030');
    expect(m.delimiter).toBe(',');
    expect(m.files.claims?.columns.claim_id).toBe('结算ID');
    expect(m.files.claims?.defaults).toEqual({ insurance_type: 'employee' });
  });

  it('yields valid contract values for every claims column', () => {
    const { values, problems } = validateRow('claims', mapped(), OPTS);
    expect(problems).toEqual([]);
    expect(values).toEqual({
      claim_id: 'JS20250105001',
      institution_code: 'H64010400001',
      physician_code: 'D640104000123',
      patient_id: '640105199001011234',
      patient_gender: 'M',
      patient_birth_date: '1990-01-01',
      insurance_type: 'employee',
      visit_type: 'outpatient',
      admission_date: '2025-01-05',
      discharge_date: '2025-01-05',
      primary_diagnosis: 'J18.9',
      secondary_diagnoses: ['I10', 'E11.9'],
      discharge_status: 'normal',
      total_amount: 35640,
      fund_paid: 24948,
      self_paid: 10692,
      settled_at: { iso: '2025-01-05T10:15:00+08:00', month: '2025-01-01' },
      insured_region: '640105',
      service_region: '640104',
    });
  });

  it('hands the accessor straight to validateClaimRow', () => {
    const r = validateClaimRow(mapped({ 就诊类型: '住院', 入院日期: '2025/01/02', 性别: '女', 离院方式: '5' }), OPTS, new Pseudonymizer('unit-test-pseudonym-key-0123456789'));
    expect(r.problems).toEqual([]);
    expect(r.row).toMatchObject({
      claimId: 'JS20250105001',
      visitType: 'inpatient',
      patientGender: 'F',
      admissionDate: '2025-01-02',
      dischargeDate: '2025-01-05',
      dischargeStatus: 'death',
      insuranceType: 'employee',
      settledAt: '2025-01-05T10:15:00+08:00',
      settleMonth: '2025-01-01',
    });
  });

  it('converts the source columns through the accessor, column by column', () => {
    const get = mapped();
    expect([get('claim_id'), get('patient_gender'), get('visit_type'), get('admission_date'), get('patient_birth_date'), get('settled_at'), get('insurance_type')]).toEqual([
      'JS20250105001',
      'M',
      'outpatient',
      '2025-01-05',
      '1990-01-01',
      '2025-01-05T10:15:00',
      'employee',
    ]);
  });

  it('returns undefined for a column that is not in the contract file', () => {
    expect(mapped()('no_such_column')).toBeUndefined();
    expect(mapped()('item_seq')).toBeUndefined();
  });

  it('uses a mapped column when the export has it and the default when its cell is blank', () => {
    const header = [...BUREAU_HEADER, '险种'];
    expect(validateRow('claims', mapped({ 险种: '居民' }, header), OPTS).values.insurance_type).toBe('resident');
    expect(validateRow('claims', mapped({ 险种: '' }, header), OPTS).values.insurance_type).toBe('employee');
    expect(validateRow('claims', mapped({ 险种: '  ' }, header), OPTS).values.insurance_type).toBe('employee');
  });

  it('matches value maps on the trimmed cell', () => {
    expect(mapped({ 就诊类型: ' 门诊 ', 性别: '女 ' })('visit_type')).toBe('outpatient');
    expect(mapped({ 性别: '女 ' })('patient_gender')).toBe('F');
  });

  it('passes a value absent from the value map through, to be validated as written', () => {
    expect(mapped({ 就诊类型: 'INPATIENT' })('visit_type')).toBe('INPATIENT');
    expect(validateRow('claims', mapped({ 就诊类型: 'INPATIENT' }), OPTS).values.visit_type).toBe('inpatient');
    expect(validateRow('claims', mapped({ 就诊类型: '急诊' }), OPTS).problems).toEqual([
      { column: 'visit_type', value: '急诊', reason: 'must be one of outpatient, inpatient, pharmacy' },
    ]);
  });

  it.each(['constructor', 'toString'])(
    'passes a cell spelled like an Object.prototype member (%s) through as text, not as a function',
    (cell) => {
      const get = mapped({ 就诊类型: cell });
      expect(get('visit_type')).toBe(cell);
      expect(validateRow('claims', get, OPTS).problems).toEqual([
        { column: 'visit_type', value: cell, reason: 'must be one of outpatient, inpatient, pharmacy' },
      ]);
    },
  );

  it.each([
    ['an impossible date', '入院日期', 'admission_date', '2025/02/30', 'is not a date in the form YYYY-MM-DD'],
    ['another layout', '入院日期', 'admission_date', '02/01/2025', 'is not a date in the form YYYY-MM-DD'],
    ['single-digit month and day', '出院日期', 'discharge_date', '2025/1/5', 'is not a date in the form YYYY-MM-DD'],
    ['hour 24', '结算时间', 'settled_at', '2025/01/05 24:00:00', 'is not an ISO 8601 timestamp (e.g. 2025-01-03T10:15:00+08:00)'],
    ['a date with dashes for YYYYMMDD', '出生日期', 'patient_birth_date', '1990-13-01', 'is not a real calendar date'],
  ])('passes a value not matching its date format through unchanged (%s), which then fails validation', (_what, source, column, cell, reason) => {
    const get = mapped({ [source]: cell });
    expect(get(column)).toBe(cell);
    expect(validateRow('claims', get, OPTS).problems).toEqual([{ column, value: cell, reason }]);
  });

  it('leaves a blank date cell blank (then required)', () => {
    const get = mapped({ 入院日期: '' });
    expect(get('admission_date')).toBe('');
    expect(validateRow('claims', get, OPTS).problems).toEqual([{ column: 'admission_date', value: null, reason: 'is required' }]);
  });

  it('maps the items file with its own columns and date format', () => {
    const m = parseColumnMapping(BUREAU_MAPPING);
    const header = ['结算ID', '序号', '项目编码', 'item_name', '费用日期', 'unit_price', 'quantity', 'amount'];
    const { accessor, missing } = buildRowAccessor('claim_items', header, m);
    expect(missing).toEqual([]);
    const { values, problems } = validateRow('claim_items', accessor(['JS20250105001', '1', 'x01ab', '阿莫西林胶囊', '2025/01/05', '12.50', '1.50', '18.75']), OPTS);
    expect(problems).toEqual([]);
    expect(values).toMatchObject({ claim_id: 'JS20250105001', item_seq: 1, item_code: 'X01AB', item_name: '阿莫西林胶囊', service_date: '2025-01-05', unit_price: 1250, amount: 1875 });
  });
});

describe('buildRowAccessor: missing required source columns', () => {
  it('names the source columns of the bureau export that are missing', () => {
    const header = BUREAU_HEADER.filter((h) => h !== '结算时间' && h !== '个人编号');
    expect(buildRowAccessor('claims', header, parseColumnMapping(BUREAU_MAPPING)).missing).toEqual(['个人编号', '结算时间']);
  });

  it('does not count a column with a default as missing', () => {
    expect(BUREAU_HEADER).not.toContain('险种');
    expect(buildRowAccessor('claims', BUREAU_HEADER, parseColumnMapping(BUREAU_MAPPING)).missing).toEqual([]);
  });

  it('does not count optional or conditionally required columns as missing', () => {
    const header = BUREAU_HEADER.filter((h) => !['医师编码', '次要诊断', '离院方式', '参保地', '就医地', '主要诊断'].includes(h));
    expect(buildRowAccessor('claims', header, parseColumnMapping(BUREAU_MAPPING)).missing).toEqual([]);
  });

  it('names contract columns under the identity mapping', () => {
    const header = ['claim_id', 'institution_code', 'patient_gender', 'patient_birth_date', 'insurance_type', 'visit_type', 'admission_date', 'discharge_date', 'total_amount', 'fund_paid', 'self_paid'];
    expect(buildRowAccessor('claims', header, IDENTITY_MAPPING).missing).toEqual(['patient_id', 'settled_at']);
  });

  it('lists every required column of an empty header', () => {
    expect(buildRowAccessor('claim_items', [], IDENTITY_MAPPING).missing).toEqual(['claim_id', 'item_seq', 'item_code', 'service_date', 'unit_price', 'quantity', 'amount']);
  });

  it('maps contract columns to source columns', () => {
    const { sourceColumn } = buildRowAccessor('claims', BUREAU_HEADER, parseColumnMapping(BUREAU_MAPPING));
    expect([sourceColumn('claim_id'), sourceColumn('settled_at'), sourceColumn('insurance_type')]).toEqual(['结算ID', '结算时间', '险种']);
    const items = buildRowAccessor('claim_items', [], parseColumnMapping(BUREAU_MAPPING));
    expect([items.sourceColumn('item_code'), items.sourceColumn('amount')]).toEqual(['项目编码', 'amount']);
  });
});

describe('buildRowAccessor under the identity mapping', () => {
  it('reads contract columns by name, whatever their order, and matches trimmed header names', () => {
    const { accessor, missing } = buildRowAccessor('institutions', [' region', 'name ', 'code', 'kind'], IDENTITY_MAPPING);
    expect(missing).toEqual([]);
    const get = accessor(['640104', '银川市第一人民医院', 'H64010400001', 'hospital']);
    expect([get('code'), get('name'), get('kind'), get('region'), get('level')]).toEqual(['H64010400001', '银川市第一人民医院', 'hospital', '640104', undefined]);
  });

  it('gives undefined for a cell beyond a short record', () => {
    const { accessor } = buildRowAccessor('institutions', ['code', 'name', 'kind', 'region'], IDENTITY_MAPPING);
    expect(accessor(['H1', 'x'])('region')).toBeUndefined();
  });

  it('converts nothing: a bureau date stays as written and fails validation', () => {
    const { accessor } = buildRowAccessor('persons', ['patient_id', 'death_date'], IDENTITY_MAPPING);
    const { problems } = validateRow('persons', accessor(['P1', '2025/01/05']), OPTS);
    expect(problems).toEqual([{ column: 'death_date', value: '2025/01/05', reason: 'is not a date in the form YYYY-MM-DD' }]);
  });
});

describe('sourceFileName', () => {
  it('gives the mapped file name, else <file>.csv', () => {
    const m = parseColumnMapping(BUREAU_MAPPING);
    expect(sourceFileName(m, 'claims')).toBe('结算信息.csv');
    expect(sourceFileName(m, 'claim_items')).toBe('费用明细.csv');
    expect(sourceFileName(m, 'institutions')).toBe('institutions.csv');
    expect(sourceFileName(IDENTITY_MAPPING, 'claims')).toBe('claims.csv');
  });

  it('gives <file>.csv for a mapped file without its own file name', () => {
    expect(sourceFileName(parseColumnMapping('files:\n  claims:\n    columns: { claim_id: 结算ID }\n'), 'claims')).toBe('claims.csv');
  });
});

describe('parseColumnMapping: invalid mappings', () => {
  it('reads an empty document as the identity mapping', () => {
    expect(parseColumnMapping('')).toEqual(IDENTITY_MAPPING);
    expect(IDENTITY_MAPPING).toEqual({ version: 1, encoding: 'auto', delimiter: ',', files: {} });
  });

  it('rejects an unknown contract file, naming its path and the valid files', () => {
    expect(mappingProblems('files:\n  claim:\n    columns: { claim_id: 结算ID }\n')).toEqual([
      'm.yaml: files.claim: not a file of the interchange format (institutions, physicians, catalog_items, persons, fund_ledger, inspectors, claims, claim_items)',
    ]);
  });

  it.each(['columns', 'values', 'defaults'])('rejects an unknown column under %s, naming its path', (section) => {
    const body = section === 'columns' ? '{ claimid: 结算ID }' : section === 'values' ? '{ sex: { 男: M } }' : '{ sex: M }';
    const col = section === 'columns' ? 'claimid' : 'sex';
    expect(mappingProblems(`files:\n  claims:\n    ${section}: ${body}\n`)).toEqual([`m.yaml: files.claims.${section}.${col}: claims has no column ${col}`]);
  });

  it('rejects a date format on a column that is not a date', () => {
    expect(mappingProblems('files:\n  claims:\n    dateFormats: { total_amount: YYYY/MM/DD }\n')).toEqual([
      'm.yaml: files.claims.dateFormats.total_amount: total_amount is not a date column',
    ]);
  });

  it('rejects a date format on a column of another file', () => {
    expect(mappingProblems('files:\n  claim_items:\n    dateFormats: { admission_date: YYYY/MM/DD }\n')).toEqual([
      'm.yaml: files.claim_items.dateFormats.admission_date: claim_items has no column admission_date',
    ]);
  });

  it('lists every problem of the mapping at once', () => {
    const problems = mappingProblems(
      'files:\n  nope: {}\n  claims:\n    columns: { bogus: x }\n    dateFormats: { fund_paid: YYYY }\n  claim_items:\n    defaults: { qty: "1" }\n',
    );
    expect(problems).toEqual([
      'm.yaml: files.nope: not a file of the interchange format (institutions, physicians, catalog_items, persons, fund_ledger, inspectors, claims, claim_items)',
      'm.yaml: files.claims.columns.bogus: claims has no column bogus',
      'm.yaml: files.claims.dateFormats.fund_paid: fund_paid is not a date column',
      'm.yaml: files.claim_items.defaults.qty: claim_items has no column qty',
    ]);
  });

  it('rejects YAML that does not parse, naming the source', () => {
    const problems = mappingProblems('files: [unclosed\n  claims: {', 'bureau.yaml');
    expect(problems.length).toBeGreaterThanOrEqual(1);
    for (const p of problems) expect(p.startsWith('bureau.yaml: ')).toBe(true);
  });

  it('rejects an unknown top-level key', () => {
    expect(mappingProblems('version: 1\nfiels: {}\n')).toEqual([expect.stringMatching(/^m\.yaml: \(root\): .*"fiels"/)]);
  });

  it('rejects an unknown key of a file mapping, naming its path', () => {
    expect(mappingProblems('files:\n  claims:\n    colums: { claim_id: 结算ID }\n')).toEqual([expect.stringMatching(/^m\.yaml: files\.claims: .*"colums"/)]);
  });

  it.each([
    ['version', 'version: 2\n'],
    ['encoding', 'encoding: latin1\n'],
    ['delimiter', 'delimiter: ";;"\n'],
  ])('rejects a bad %s, naming it', (key, yaml) => {
    expect(mappingProblems(yaml)).toEqual([expect.stringMatching(new RegExp(`^m\\.yaml: ${key}: `))]);
  });

  it('rejects a column mapped to an empty source name, naming the path', () => {
    expect(mappingProblems('files:\n  claims:\n    columns: { claim_id: "" }\n')).toEqual([expect.stringMatching(/^m\.yaml: files\.claims\.columns\.claim_id: /)]);
  });

  it('puts every problem in the error message', () => {
    try {
      parseColumnMapping('files:\n  nope: {}\n  claims:\n    columns: { bogus: x }\n', 'm.yaml');
      throw new Error('expected a ColumnMappingError');
    } catch (e) {
      expect(e).toBeInstanceOf(Error);
      expect((e as Error).message).toBe(
        'Invalid column mapping:\n' +
          '  - m.yaml: files.nope: not a file of the interchange format (institutions, physicians, catalog_items, persons, fund_ledger, inspectors, claims, claim_items)\n' +
          '  - m.yaml: files.claims.columns.bogus: claims has no column bogus',
      );
    }
  });
});

describe('loadColumnMapping', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fundguard-mapping-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a mapping file', async () => {
    const path = join(dir, 'bureau.yaml');
    writeFileSync(path, BUREAU_MAPPING);
    expect(await loadColumnMapping(path)).toEqual(parseColumnMapping(BUREAU_MAPPING));
  });

  it('names the file in its problems', async () => {
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'files:\n  claim: {}\n');
    await expect(loadColumnMapping(path)).rejects.toMatchObject({
      problems: [`${path}: files.claim: not a file of the interchange format (institutions, physicians, catalog_items, persons, fund_ledger, inspectors, claims, claim_items)`],
    });
  });
});
