import { datasetCsv, datasetJson } from '../../../src/disclosure/open-data';

describe('open data files', () => {
  const d = {
    name: 'claims-monthly' as const,
    columns: ['period', 'key', 'patients', 'total', 'suppressed'],
    rows: [
      { period: '2025-03', key: '职工', patients: 12, total: '1234.50', suppressed: false },
      { period: '2025-03', key: 'a,"b"', patients: null, total: null, suppressed: true },
    ],
  };

  it('writes CSV with a BOM, CRLF, a header, empty suppressed cells and quoting', () => {
    expect(datasetCsv(d)).toBe('\uFEFFperiod,key,patients,total,suppressed\r\n2025-03,职工,12,1234.50,false\r\n2025-03,"a,""b""",,,true\r\n');
  });

  it('writes JSON with the period, the suppression threshold and the rows', () => {
    const j = JSON.parse(datasetJson(d, { period: '2025-03', generatedAt: new Date('2025-04-02T01:00:00Z'), minCell: 5 }));
    expect(j).toEqual({ dataset: 'claims-monthly', period: '2025-03', generatedAt: '2025-04-02T01:00:00.000Z', suppression: { minPatients: 5 }, columns: d.columns, rows: d.rows });
  });
});
