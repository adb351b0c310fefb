import { createHmac } from 'node:crypto';
import {
  claimStageValues,
  ClaimItemRow,
  ClaimRow,
  itemStageValues,
  Pseudonymizer,
  RowResult,
  validateClaimItemRow,
  validateClaimRow,
} from '../../src/imports/claim-rows';
import { FILE_SPECS, RowProblem, requiredColumns } from '../../src/imports/interchange';

/**
 * Row-level rejection rules of INTERCHANGE.md for claims.csv and claim_items.csv: one scenario per
 * rule, built from a valid row with a few cells changed.
 */

type Getter = (column: string) => string | undefined;
/** Contract column → raw cell; `undefined` means the column is absent from the file. */
type Cells = Record<string, string | undefined>;

const OPTS = { defaultUtcOffset: '+08:00' };
const KEY = 'unit-test-pseudonym-key-0123456789';
const pz = new Pseudonymizer(KEY);
const PATIENT_ID = '640105199001011234';

const BASE_CLAIM: Readonly<Cells> = {
  claim_id: 'C0001',
  institution_code: 'H64010300001',
  physician_code: 'D640105000123',
  patient_id: PATIENT_ID,
  patient_gender: 'M',
  patient_birth_date: '1990-01-01',
  insurance_type: 'employee',
  visit_type: 'inpatient',
  admission_date: '2025-01-02',
  discharge_date: '2025-01-05',
  primary_diagnosis: 'J18.9',
  secondary_diagnoses: 'I10;E11.9',
  discharge_status: 'normal',
  total_amount: '1000.00',
  fund_paid: '700.00',
  self_paid: '300.00',
  settled_at: '2025-01-05T10:15:00+08:00',
  insured_region: '640105',
  service_region: '640104',
};

const BASE_ITEM: Readonly<Cells> = {
  claim_id: 'C0001',
  item_seq: '1',
  item_code: 'X01AB',
  item_name: '阿莫西林胶囊',
  service_date: '2025-01-02',
  unit_price: '12.50',
  quantity: '2',
  amount: '25.00',
  days_supply: '7',
};

function getter(cells: Cells): Getter {
  return (column) => (Object.prototype.hasOwnProperty.call(cells, column) ? cells[column] : undefined);
}

/** A claims.csv row: the valid base row with `overrides` applied (undefined = column absent). */
function claimRow(overrides: Cells = {}): Getter {
  return getter({ ...BASE_CLAIM, ...overrides });
}

function itemRow(overrides: Cells = {}): Getter {
  return getter({ ...BASE_ITEM, ...overrides });
}

function checkClaim(overrides: Cells = {}, p: Pseudonymizer = pz): RowResult<ClaimRow> {
  return validateClaimRow(claimRow(overrides), OPTS, p);
}

function acceptedClaim(overrides: Cells = {}, p: Pseudonymizer = pz): ClaimRow {
  const r = checkClaim(overrides, p);
  expect(r.problems).toEqual([]);
  if (r.row === null) throw new Error('claim was rejected');
  return r.row;
}

function claimProblems(overrides: Cells): RowProblem[] {
  const r = checkClaim(overrides);
  expect(r.row).toBeNull();
  return r.problems;
}

function acceptedItem(overrides: Cells = {}): ClaimItemRow {
  const r = validateClaimItemRow(itemRow(overrides), OPTS);
  expect(r.problems).toEqual([]);
  if (r.row === null) throw new Error('item was rejected');
  return r.row;
}

function itemProblems(overrides: Cells): RowProblem[] {
  const r = validateClaimItemRow(itemRow(overrides), OPTS);
  expect(r.row).toBeNull();
  return r.problems;
}

const problem = (column: string, value: string | null, reason: string): RowProblem => ({ column, value, reason });

const expectedKey = (id: string, key = KEY) => createHmac('sha256', key).update(id).digest('hex').slice(0, 32);

describe('claims.csv: a valid row', () => {
  it('comes out in canonical form', () => {
    expect(acceptedClaim()).toEqual({
      claimId: 'C0001',
      institutionCode: 'H64010300001',
      physicianCode: 'D640105000123',
      patientKey: expectedKey(PATIENT_ID),
      patientGender: 'M',
      patientBirthDate: '1990-01-01',
      insuranceType: 'employee',
      visitType: 'inpatient',
      admissionDate: '2025-01-02',
      dischargeDate: '2025-01-05',
      primaryDiagnosis: 'J18.9',
      secondaryDiagnoses: ['I10', 'E11.9'],
      dischargeStatus: 'normal',
      totalFen: 100000,
      fundPaidFen: 70000,
      selfPaidFen: 30000,
      settledAt: '2025-01-05T10:15:00+08:00',
      settleMonth: '2025-01-01',
      insuredRegion: '640105',
      serviceRegion: '640104',
    });
  });

  it.each([
    ['absent', undefined],
    ['blank', ''],
    ['whitespace only', '   '],
  ])('reads optional columns that are %s as no value', (_what, cell) => {
    const row = acceptedClaim({
      physician_code: cell,
      secondary_diagnoses: cell,
      discharge_status: cell,
      insured_region: cell,
      service_region: cell,
    });
    expect({
      physicianCode: row.physicianCode,
      secondaryDiagnoses: row.secondaryDiagnoses,
      dischargeStatus: row.dischargeStatus,
      insuredRegion: row.insuredRegion,
      serviceRegion: row.serviceRegion,
    }).toEqual({ physicianCode: null, secondaryDiagnoses: [], dischargeStatus: null, insuredRegion: null, serviceRegion: null });
  });

  it('applies the default UTC offset to a settled_at without one and computes the settle month', () => {
    const row = acceptedClaim({ settled_at: '2025-02-01 00:30:00' });
    expect([row.settledAt, row.settleMonth]).toEqual(['2025-02-01T00:30:00+08:00', '2025-02-01']);
  });

  it('trims and upper-cases codes (x01ab = X01AB)', () => {
    const row = acceptedClaim({
      institution_code: '  h64010300001 ',
      physician_code: 'd640105000123',
      primary_diagnosis: ' j18.9 ',
    });
    expect([row.institutionCode, row.physicianCode, row.primaryDiagnosis]).toEqual(['H64010300001', 'D640105000123', 'J18.9']);
  });

  it('splits secondary diagnoses on ;, trimming and upper-casing each and dropping empty parts', () => {
    expect(acceptedClaim({ secondary_diagnoses: ' i10 ; e11.9;;k29.7; ' }).secondaryDiagnoses).toEqual(['I10', 'E11.9', 'K29.7']);
    expect(acceptedClaim({ secondary_diagnoses: 'I10' }).secondaryDiagnoses).toEqual(['I10']);
  });

  it('reads enumerations case-insensitively and stores their canonical spelling', () => {
    const row = acceptedClaim({ patient_gender: 'f', insurance_type: 'RESIDENT', visit_type: 'Outpatient', discharge_status: 'DEATH' });
    expect([row.patientGender, row.insuranceType, row.visitType, row.dischargeStatus]).toEqual(['F', 'resident', 'outpatient', 'death']);
  });

  it('trims the cells of required values', () => {
    const row = acceptedClaim({ claim_id: ' C0001 ', total_amount: ' 1000.00 ', admission_date: ' 2025-01-02' });
    expect([row.claimId, row.totalFen, row.admissionDate]).toEqual(['C0001', 100000, '2025-01-02']);
  });
});

describe('claims.csv: a required value missing', () => {
  const CONTRACT_REQUIRED = [
    'claim_id',
    'institution_code',
    'patient_id',
    'patient_gender',
    'patient_birth_date',
    'insurance_type',
    'visit_type',
    'admission_date',
    'discharge_date',
    'total_amount',
    'fund_paid',
    'self_paid',
    'settled_at',
  ];
  const specRequired = FILE_SPECS.claims.filter((c) => c.required === true).map((c) => c.name);

  it('the spec requires exactly the contract\'s unconditionally required columns', () => {
    expect(specRequired).toEqual(CONTRACT_REQUIRED);
  });

  describe.each(specRequired)('%s', (column) => {
    it.each([
      ['absent from the file', undefined],
      ['blank', ''],
      ['whitespace only', ' \t '],
    ])('rejects the claim when the column is %s', (_what, cell) => {
      expect(claimProblems({ [column]: cell })).toEqual([problem(column, null, 'is required')]);
    });
  });

  it('requires primary_diagnosis for an inpatient claim', () => {
    expect(claimProblems({ visit_type: 'inpatient', primary_diagnosis: '' })).toEqual([
      problem('primary_diagnosis', null, 'is required when visit_type is inpatient'),
    ]);
  });

  it('requires primary_diagnosis for an outpatient claim (visit_type in any case)', () => {
    expect(claimProblems({ visit_type: 'OUTPATIENT', primary_diagnosis: undefined })).toEqual([
      problem('primary_diagnosis', null, 'is required when visit_type is outpatient'),
    ]);
  });

  it('does not require primary_diagnosis for a pharmacy claim', () => {
    const row = acceptedClaim({ visit_type: 'pharmacy', primary_diagnosis: '', discharge_date: '2025-01-02' });
    expect([row.visitType, row.primaryDiagnosis]).toEqual(['pharmacy', null]);
    expect(acceptedClaim({ visit_type: 'Pharmacy', primary_diagnosis: undefined, discharge_date: '2025-01-02' }).primaryDiagnosis).toBeNull();
  });

  it('reports only visit_type when visit_type is unknown and primary_diagnosis is blank', () => {
    expect(claimProblems({ visit_type: 'emergency', primary_diagnosis: '' })).toEqual([
      problem('visit_type', 'emergency', 'must be one of outpatient, inpatient, pharmacy'),
    ]);
  });

  it('requiredColumns(claims) lists only the unconditionally required columns (what the header must hold)', () => {
    // Its doc comment: "Columns of a file's spec that are required unconditionally". A pharmacy-only
    // export has no primary_diagnosis column, and the contract does not require one for pharmacy.
    expect(requiredColumns('claims')).toEqual(CONTRACT_REQUIRED);
  });

  it('requiredColumns(claim_items) lists the contract\'s required item columns', () => {
    expect(requiredColumns('claim_items')).toEqual(['claim_id', 'item_seq', 'item_code', 'service_date', 'unit_price', 'quantity', 'amount']);
  });
});

describe('claims.csv: a malformed value', () => {
  it.each([
    ['patient_gender', 'X', 'must be one of M, F'],
    ['patient_gender', 'male', 'must be one of M, F'],
    ['patient_gender', '男', 'must be one of M, F'],
    ['insurance_type', 'commercial', 'must be one of employee, resident'],
    ['visit_type', 'emergency', 'must be one of outpatient, inpatient, pharmacy'],
    ['discharge_status', 'escaped', 'must be one of normal, transfer, death, other'],
  ])('rejects an unknown enumeration value: %s = %s', (column, raw, reason) => {
    expect(claimProblems({ [column]: raw })).toEqual([problem(column, raw, reason)]);
  });

  it.each([
    ['patient_birth_date', '2023-02-29', 'is not a real calendar date'],
    ['admission_date', '2025-04-31', 'is not a real calendar date'],
    ['discharge_date', '2025-13-01', 'is not a real calendar date'],
    ['admission_date', '2025/01/02', 'is not a date in the form YYYY-MM-DD'],
    ['settled_at', '2025-02-29T10:00:00+08:00', 'is not a real calendar date'],
    ['settled_at', '2025-01-05T24:00:00+08:00', 'is not a real time of day'],
    ['settled_at', '05/01/2025 10:15', 'is not an ISO 8601 timestamp (e.g. 2025-01-03T10:15:00+08:00)'],
  ])('rejects an impossible date: %s = %s', (column, raw, reason) => {
    expect(claimProblems({ [column]: raw })).toEqual([problem(column, raw, reason)]);
  });

  it.each([
    ['claim_id', 'C'.repeat(65), 'is longer than 64 characters'],
    ['institution_code', 'H 64010300001', 'must not contain spaces, commas or semicolons'],
    ['physician_code', 'D1,D2', 'must not contain spaces, commas or semicolons'],
    ['secondary_diagnoses', 'I10;E 11.9', 'holds "E 11.9" which must not contain spaces, commas or semicolons'],
    ['total_amount', '1000.001', 'is not an amount in yuan with at most two decimals'],
    ['fund_paid', '七百', 'is not an amount in yuan with at most two decimals'],
    ['self_paid', '300,00', 'is not an amount in yuan with at most two decimals'],
    ['insured_region', '6401', 'is not a 6-digit administrative division code'],
    ['service_region', '64010A', 'is not a 6-digit administrative division code'],
  ])('rejects %s = %j', (column, raw, reason) => {
    expect(claimProblems({ [column]: raw })).toEqual([problem(column, raw, reason)]);
  });

  it('rejects a value holding bytes the decoder could not read (U+FFFD)', () => {
    expect(claimProblems({ institution_code: 'H6401\uFFFD01' })).toEqual([
      problem('institution_code', 'H6401\uFFFD01', 'holds bytes that are not valid in the file encoding'),
    ]);
  });
});

describe('claims.csv: total_amount = fund_paid + self_paid (±0.01)', () => {
  it.each([
    ['1000.00', 100000],
    ['1000', 100000],
    ['1000.01', 100001],
    ['999.99', 99999],
  ])('accepts total_amount %s against 700.00 + 300.00 (%i fen)', (total, fen) => {
    expect(acceptedClaim({ total_amount: total }).totalFen).toBe(fen);
  });

  it('rejects a total 0.02 above the sum, naming the column, the value and the sum', () => {
    expect(claimProblems({ total_amount: '1000.02' })).toEqual([
      problem('total_amount', '1000.02', 'differs from fund_paid + self_paid = 1000.00 by more than 0.01'),
    ]);
  });

  it('rejects a total 0.02 below the sum', () => {
    expect(claimProblems({ total_amount: '999.98' })).toEqual([
      problem('total_amount', '999.98', 'differs from fund_paid + self_paid = 1000.00 by more than 0.01'),
    ]);
  });

  it('rejects a split that does not add up even when each amount is well-formed', () => {
    expect(claimProblems({ fund_paid: '800.00' })).toEqual([
      problem('total_amount', '1000.00', 'differs from fund_paid + self_paid = 1100.00 by more than 0.01'),
    ]);
  });

  it('does not compare the sum when one of the amounts is itself invalid', () => {
    expect(claimProblems({ self_paid: 'x' })).toEqual([problem('self_paid', 'x', 'is not an amount in yuan with at most two decimals')]);
  });
});

describe('claims.csv: discharge_date must not precede admission_date', () => {
  it('rejects a discharge the day before admission', () => {
    expect(claimProblems({ admission_date: '2025-01-05', discharge_date: '2025-01-04' })).toEqual([
      problem('discharge_date', '2025-01-04', 'precedes admission_date 2025-01-05'),
    ]);
  });

  it('rejects a discharge in the previous year', () => {
    expect(claimProblems({ admission_date: '2025-01-01', discharge_date: '2024-12-31' })).toEqual([
      problem('discharge_date', '2024-12-31', 'precedes admission_date 2025-01-01'),
    ]);
  });

  it('accepts a discharge on the admission day', () => {
    const row = acceptedClaim({ admission_date: '2025-01-05', discharge_date: '2025-01-05' });
    expect([row.admissionDate, row.dischargeDate]).toEqual(['2025-01-05', '2025-01-05']);
  });
});

describe('claims.csv: every problem of a row is reported', () => {
  it('lists each problem with its column, value and reason, not only the first', () => {
    const r = checkClaim({
      patient_gender: 'X',
      patient_birth_date: '2025-02-29',
      insurance_type: '',
      visit_type: 'inpatient',
      primary_diagnosis: '',
      admission_date: '2025-01-05',
      discharge_date: '2025-01-04',
      total_amount: '1000.50',
      settled_at: 'soon',
      insured_region: '64',
    });
    expect(r.row).toBeNull();
    const expected = [
      problem('patient_gender', 'X', 'must be one of M, F'),
      problem('patient_birth_date', '2025-02-29', 'is not a real calendar date'),
      problem('insurance_type', null, 'is required'),
      problem('primary_diagnosis', null, 'is required when visit_type is inpatient'),
      problem('settled_at', 'soon', 'is not an ISO 8601 timestamp (e.g. 2025-01-03T10:15:00+08:00)'),
      problem('insured_region', '64', 'is not a 6-digit administrative division code'),
      problem('total_amount', '1000.50', 'differs from fund_paid + self_paid = 1000.00 by more than 0.01'),
      problem('discharge_date', '2025-01-04', 'precedes admission_date 2025-01-05'),
    ];
    expect(r.problems).toHaveLength(expected.length);
    expect(r.problems).toEqual(expect.arrayContaining(expected));
    for (const p of r.problems) expect(Object.keys(p).sort()).toEqual(['column', 'reason', 'value']);
  });

});

describe('claims.csv: the patient id is never in clear in the result', () => {
  const expectNoClearId = (result: unknown, id: string) => {
    const json = JSON.stringify(result);
    expect(json).not.toContain(id);
    expect(json.toUpperCase()).not.toContain(id.toUpperCase());
  };

  it('an accepted row carries only the 32-hex keyed hash', () => {
    const r = checkClaim();
    expect(r.row?.patientKey).toMatch(/^[0-9a-f]{32}$/);
    expect(r.row?.patientKey).toBe(expectedKey(PATIENT_ID));
    expect(r.row).not.toHaveProperty('patientId');
    expectNoClearId(r, PATIENT_ID);
  });

  it('a rejected row does not carry the id in its problems', () => {
    const r = checkClaim({ patient_gender: 'X', discharge_date: '2024-01-01' });
    if (r.row !== null) throw new Error('expected a rejection');
    expectNoClearId(r, PATIENT_ID);
  });

  it('a rejected row whose id has letters does not leak it in another case', () => {
    const id = 'ab640105x';
    const r = checkClaim({ patient_id: id, patient_gender: 'X' });
    if (r.row !== null) throw new Error('expected a rejection');
    expectNoClearId(r, id);
  });

  it('a patient id that is itself invalid (longer than 64 characters) is not echoed in the problem', () => {
    const longId = `6401051990010112340000${'9'.repeat(43)}`; // 65 characters
    const r = checkClaim({ patient_id: longId });
    expect(r.row).toBeNull();
    expect(r.problems.map((p) => [p.column, p.reason])).toEqual([['patient_id', 'is longer than 64 characters']]);
    expectNoClearId(r, longId);
  });

  it('a patient id holding undecodable bytes (U+FFFD) is not echoed in the problem', () => {
    const badId = '640105199001\uFFFD011234';
    const r = checkClaim({ patient_id: badId });
    expect(r.row).toBeNull();
    expect(r.problems.map((p) => [p.column, p.reason])).toEqual([['patient_id', 'holds bytes that are not valid in the file encoding']]);
    expectNoClearId(r, '640105199001');
  });
});

describe('Pseudonymizer', () => {
  it('is a stable 32-hex HMAC-SHA256 of the upper-cased id', () => {
    const k = pz.patientKey(PATIENT_ID);
    expect(k).toMatch(/^[0-9a-f]{32}$/);
    expect(k).toBe(expectedKey(PATIENT_ID));
    expect(new Pseudonymizer(KEY).patientKey(PATIENT_ID)).toBe(k);
  });

  it('differs by key', () => {
    const other = new Pseudonymizer('another-pseudonym-key-9876543210');
    expect(other.patientKey(PATIENT_ID)).not.toBe(pz.patientKey(PATIENT_ID));
    expect(other.patientKey(PATIENT_ID)).toBe(expectedKey(PATIENT_ID, 'another-pseudonym-key-9876543210'));
  });

  it('is insensitive to case and surrounding whitespace of the id', () => {
    expect(pz.patientKey(' 64010519900101123x\t')).toBe(pz.patientKey('64010519900101123X'));
    expect(pz.patientKey('ab-12')).toBe(pz.patientKey('AB-12'));
  });

  it('differs for different ids', () => {
    expect(pz.patientKey('640105199001011235')).not.toBe(pz.patientKey(PATIENT_ID));
  });

  it('gives one key for one person across claims written differently', () => {
    expect(acceptedClaim({ patient_id: ' 64010519900101123x ' }).patientKey).toBe(acceptedClaim({ patient_id: '64010519900101123X' }).patientKey);
  });
});

describe('claim_items.csv rows', () => {
  it('a valid line comes out in canonical form', () => {
    expect(acceptedItem()).toEqual({
      claimId: 'C0001',
      itemSeq: 1,
      itemCode: 'X01AB',
      itemName: '阿莫西林胶囊',
      serviceDate: '2025-01-02',
      unitPriceFen: 1250,
      quantity: '2',
      amountFen: 2500,
      daysSupply: 7,
    });
  });

  it('trims and upper-cases the item code (x01ab = X01AB)', () => {
    expect(acceptedItem({ item_code: ' x01ab ' }).itemCode).toBe('X01AB');
  });

  it('reads absent optional columns as no value', () => {
    const it_ = acceptedItem({ item_name: undefined, days_supply: '' });
    expect([it_.itemName, it_.daysSupply]).toEqual([null, null]);
  });

  it('keeps a fractional quantity in canonical text', () => {
    const line = acceptedItem({ unit_price: '12.50', quantity: '1.50', amount: '18.75' });
    expect([line.quantity, line.amountFen]).toEqual(['1.5', 1875]);
  });

  const itemRequired = FILE_SPECS.claim_items.filter((c) => c.required === true).map((c) => c.name);

  it('the spec requires exactly the contract\'s required item columns', () => {
    expect(itemRequired).toEqual(['claim_id', 'item_seq', 'item_code', 'service_date', 'unit_price', 'quantity', 'amount']);
  });

  describe.each(itemRequired)('%s', (column) => {
    it.each([
      ['absent from the file', undefined],
      ['blank', ''],
    ])('rejects the line when the column is %s', (_what, cell) => {
      expect(itemProblems({ [column]: cell })).toEqual([problem(column, null, 'is required')]);
    });
  });

  it.each([
    ['0', 'must be greater than zero'],
    ['0.000', 'must be greater than zero'],
    ['-1', 'must be greater than zero'],
    ['-0.5', 'must be greater than zero'],
    ['two', 'is not a number'],
  ])('rejects a quantity that is not positive: %s', (raw, reason) => {
    expect(itemProblems({ quantity: raw })).toEqual([problem('quantity', raw, reason)]);
  });

  it.each([
    ['item_seq', '0', 'must be at least 1'],
    ['item_seq', '1.5', 'is not a whole number'],
    ['service_date', '2025-02-29', 'is not a real calendar date'],
    ['service_date', '2025-04-31', 'is not a real calendar date'],
    ['unit_price', '12.505', 'is not an amount in yuan with at most two decimals'],
    ['amount', 'abc', 'is not an amount in yuan with at most two decimals'],
    ['days_supply', '0', 'must be at least 1'],
    ['days_supply', '3651', 'must be at most 3650'],
    ['item_code', 'X01 AB', 'must not contain spaces, commas or semicolons'],
    ['item_name', 'x'.repeat(501), 'is longer than 500 characters'],
    ['item_name', '阿莫\uFFFD林', 'holds bytes that are not valid in the file encoding'],
  ])('rejects %s = %j', (column, raw, reason) => {
    expect(itemProblems({ [column]: raw })).toEqual([problem(column, raw, reason)]);
  });

  it.each([
    ['25.00', 2500],
    ['25', 2500],
    ['25.01', 2501],
    ['24.99', 2499],
  ])('accepts amount %s for 12.50 × 2 (within 0.01; %i fen)', (amount, fen) => {
    expect(acceptedItem({ amount }).amountFen).toBe(fen);
  });

  it('rejects an amount 0.02 above unit_price × quantity, naming both', () => {
    expect(itemProblems({ amount: '25.02' })).toEqual([
      problem('amount', '25.02', 'differs from unit_price × quantity = 12.50 × 2 by more than 0.01'),
    ]);
  });

  it('rejects an amount 0.02 below unit_price × quantity', () => {
    expect(itemProblems({ amount: '24.98' })).toEqual([
      problem('amount', '24.98', 'differs from unit_price × quantity = 12.50 × 2 by more than 0.01'),
    ]);
  });

  it('checks a fractional quantity exactly: 3.00 × 0.333 = 0.999', () => {
    expect(acceptedItem({ unit_price: '3.00', quantity: '0.333', amount: '1.00' }).amountFen).toBe(100);
    expect(acceptedItem({ unit_price: '3.00', quantity: '0.333', amount: '0.99' }).amountFen).toBe(99);
    expect(itemProblems({ unit_price: '3.00', quantity: '0.333', amount: '1.01' })).toEqual([
      problem('amount', '1.01', 'differs from unit_price × quantity = 3.00 × 0.333 by more than 0.01'),
    ]);
  });

  it('names the quantity in canonical form in the problem', () => {
    const r = validateClaimItemRow(itemRow({ quantity: '2.000', amount: '30.00' }), OPTS);
    if (r.row !== null) throw new Error('expected a rejection');
    expect(r.problems).toEqual([problem('amount', '30.00', 'differs from unit_price × quantity = 12.50 × 2 by more than 0.01')]);
  });

  it('reports every problem of a line, not only the first', () => {
    const problems = itemProblems({ item_seq: 'x', item_code: '', service_date: '2025-04-31', quantity: '0', days_supply: '-3' });
    expect(problems).toHaveLength(5);
    expect(problems).toEqual(
      expect.arrayContaining([
        problem('item_seq', 'x', 'is not a whole number'),
        problem('item_code', null, 'is required'),
        problem('service_date', '2025-04-31', 'is not a real calendar date'),
        problem('quantity', '0', 'must be greater than zero'),
        problem('days_supply', '-3', 'must be at least 1'),
      ]),
    );
  });

  it('reports both a malformed value and the amount mismatch of one line', () => {
    const problems = itemProblems({ service_date: '2025-13-01', amount: '26.00' });
    expect(problems).toEqual([
      problem('service_date', '2025-13-01', 'is not a real calendar date'),
      problem('amount', '26.00', 'differs from unit_price × quantity = 12.50 × 2 by more than 0.01'),
    ]);
  });
});

describe('staged values (what "identical re-submission" compares)', () => {
  const claimText = (overrides: Cells = {}, p: Pseudonymizer = pz) => JSON.stringify(claimStageValues(acceptedClaim(overrides, p)));
  const itemText = (overrides: Cells = {}) => JSON.stringify(itemStageValues(acceptedItem(overrides)));

  it('is equal for a claim written differently with the same content', () => {
    const variant = claimText({
      claim_id: ' C0001 ',
      institution_code: 'h64010300001',
      physician_code: ' d640105000123',
      patient_id: ` ${PATIENT_ID} `,
      patient_gender: 'm',
      insurance_type: 'EMPLOYEE',
      visit_type: 'Inpatient',
      primary_diagnosis: 'j18.9',
      secondary_diagnoses: ' i10 ; e11.9 ;',
      discharge_status: 'NORMAL',
      total_amount: '1000',
      fund_paid: '700.0',
      self_paid: '+300',
      settled_at: '2025-01-05 02:15:00Z',
    });
    expect(variant).toBe(claimText());
  });

  it('is equal whether settled_at has the default offset written or implied', () => {
    expect(claimText({ settled_at: '2025-01-05T10:15:00' })).toBe(claimText({ settled_at: '2025-01-05T10:15:00+0800' }));
  });

  it.each<[string, Cells]>([
    ['claim_id', { claim_id: 'C0002' }],
    ['institution_code', { institution_code: 'H64010300002' }],
    ['physician_code removed', { physician_code: '' }],
    ['patient_id', { patient_id: '640105199001011235' }],
    ['patient_gender', { patient_gender: 'F' }],
    ['patient_birth_date', { patient_birth_date: '1990-01-02' }],
    ['insurance_type', { insurance_type: 'resident' }],
    ['visit_type', { visit_type: 'outpatient' }],
    ['admission_date', { admission_date: '2025-01-03' }],
    ['discharge_date', { discharge_date: '2025-01-06' }],
    ['primary_diagnosis', { primary_diagnosis: 'J18.0' }],
    ['secondary_diagnoses', { secondary_diagnoses: 'I10' }],
    ['discharge_status', { discharge_status: 'transfer' }],
    ['total_amount by one fen (still accepted)', { total_amount: '1000.01' }],
    ['the fund / self split', { fund_paid: '600.00', self_paid: '400.00' }],
    ['settled_at by one second', { settled_at: '2025-01-05T10:15:01+08:00' }],
    ['settled_at offset (another instant)', { settled_at: '2025-01-05T10:15:00+07:00' }],
    ['insured_region', { insured_region: '640106' }],
    ['service_region removed', { service_region: '' }],
  ])('differs when the claim\'s %s differs', (_what, overrides) => {
    expect(claimText(overrides)).not.toBe(claimText());
  });

  it('differs under another pseudonym key (the key is part of the content)', () => {
    expect(claimText({}, new Pseudonymizer('another-pseudonym-key-9876543210'))).not.toBe(claimText());
  });

  it('does not contain the patient id', () => {
    expect(claimText().includes(PATIENT_ID)).toBe(false);
  });

  it('is equal for a line written differently with the same content (1.50 = 1.5, 10 = 10.00)', () => {
    const a = itemText({ item_seq: '01', item_code: 'x01ab', unit_price: '10', quantity: '1.50', amount: '15', days_supply: '07' });
    const b = itemText({ item_seq: '1', item_code: 'X01AB', unit_price: '10.00', quantity: '1.5', amount: '15.00', days_supply: '7' });
    expect(a).toBe(b);
  });

  it.each<[string, Cells]>([
    ['item_seq', { item_seq: '2' }],
    ['item_code', { item_code: 'X01AC' }],
    ['item_name', { item_name: '阿莫西林胶囊 0.25g' }],
    ['item_name removed', { item_name: '' }],
    ['service_date', { service_date: '2025-01-03' }],
    ['unit_price and amount', { unit_price: '12.00', amount: '24.00' }],
    ['quantity and amount', { quantity: '3', amount: '37.50' }],
    ['amount by one fen (still accepted)', { amount: '25.01' }],
    ['days_supply', { days_supply: '14' }],
    ['days_supply removed', { days_supply: '' }],
  ])('differs when the line\'s %s differs', (_what, overrides) => {
    expect(itemText(overrides)).not.toBe(itemText());
  });

  it('rejects a settled_at with an impossible UTC offset instead of accepting a claim whose staged values throw', () => {
    const r = checkClaim({ settled_at: '2025-01-05T10:15:00+25:00' });
    const accepted = r.row;
    // Accepted, this row makes claimStageValues throw RangeError: Invalid time value.
    if (accepted !== null) expect(() => claimStageValues(accepted)).not.toThrow();
    expect(r.problems.map((p) => p.column)).toEqual(['settled_at']);
    expect(r.row).toBeNull();
  });
});
