import { FeeRow, feeStructureOf } from '../../../src/disclosure/disclosure.service';

const fen = (yuan: number) => BigInt(Math.round(yuan * 100));
const row = (over: Partial<FeeRow>): FeeRow => ({
  institutionCode: 'H1',
  peerKey: null,
  institutions: 1,
  setting: 'inpatient',
  dx: 'J18',
  claims: 10,
  patients: 10,
  total: fen(10_000),
  fundPaid: fen(7_000),
  drug: fen(4_000),
  service: fen(5_000),
  consumable: fen(1_000),
  other: 0n,
  stayDays: 80,
  ...over,
});
const H1 = { code: 'H1', name: '一院', kind: 'hospital' as const, level: 3, ownership: 'public' as const, region: '640104' };

describe('fee structure of common diseases against peers', () => {
  it('takes the most frequent diagnoses of the main setting and compares each with the peer group', () => {
    const rows = [
      row({ dx: 'J18', claims: 10 }),
      row({ dx: 'I63', claims: 30, patients: 28, total: fen(60_000), fundPaid: fen(45_000), stayDays: 300 }),
      row({ dx: 'J06', setting: 'outpatient', claims: 500, patients: 400 }),
      row({ institutionCode: null, peerKey: 'hospital|3', institutions: 4, dx: 'I63', claims: 100, patients: 95, total: fen(150_000), fundPaid: fen(120_000), drug: fen(50_000), service: fen(40_000), consumable: fen(10_000), stayDays: 900 }),
      row({ institutionCode: null, peerKey: 'hospital|2', institutions: 9, dx: 'I63', claims: 999 }),
    ];
    const f = feeStructureOf(H1, rows, 5);
    expect(f.setting).toBe('inpatient');
    expect(f.lines.map((l) => l.dx)).toEqual(['I63', 'J18']);
    const i63 = f.lines[0]!;
    expect(i63.name.zh).toBe('脑梗死');
    expect(i63.own).toMatchObject({ claims: 30, averageCost: '2000.00', fundShare: 0.75, drugShare: 0.4, averageStay: 10, suppressed: false });
    expect(i63.peers).toMatchObject({ institutions: 4, claims: 100, averageCost: '1500.00', fundShare: 0.8, drugShare: 0.5, serviceShare: 0.4, consumableShare: 0.1, averageStay: 9 });
  });

  it('suppresses an institution line or a peer line describing fewer than k patients', () => {
    const rows = [row({ dx: 'K35', claims: 4, patients: 4 }), row({ institutionCode: null, peerKey: 'hospital|3', dx: 'K35', claims: 4, patients: 4 })];
    const [l] = feeStructureOf(H1, rows, 5).lines;
    expect(l!.own).toEqual({ claims: null, patients: null, averageCost: null, fundShare: null, drugShare: null, serviceShare: null, consumableShare: null, averageStay: null, suppressed: true });
    expect(l!.peers.suppressed).toBe(true);
    expect(feeStructureOf(H1, rows, 4).lines[0]!.own.suppressed).toBe(false);
  });

  it('has no peer figures when no member of the group has published figures for the diagnosis', () => {
    const [l] = feeStructureOf(H1, [row({ dx: 'K35', claims: 3, patients: 3 })], 5).lines;
    expect(l!.peers).toMatchObject({ institutions: 0, suppressed: true, claims: null, averageCost: null });
  });

  it('uses outpatient diagnoses for an institution without admissions, without stays, and nothing without claims', () => {
    const pharmacy = { ...H1, code: 'Y1', kind: 'pharmacy' as const, level: null };
    const f = feeStructureOf(pharmacy, [row({ institutionCode: 'Y1', setting: 'outpatient', dx: 'I10', claims: 50, patients: 40 })], 5);
    expect(f.setting).toBe('outpatient');
    expect(f.lines[0]!.own.averageStay).toBeNull();
    expect(feeStructureOf(pharmacy, [], 5)).toEqual({ setting: null, peerGroup: { kind: 'pharmacy', level: null }, lines: [] });
  });
});
