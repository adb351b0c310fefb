import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { CsvRecord, detectNewline, openCsv } from '../../src/imports/csv-source';

const dir = mkdtempSync(join(tmpdir(), 'fundguard-newlines-'));
let n = 0;
const write = (content: Buffer | string) => {
  const path = join(dir, `f${n++}.csv`);
  writeFileSync(path, content);
  return path;
};
const read = async (path: string) => {
  const csv = await openCsv(path);
  const rows: CsvRecord[] = [];
  for await (const r of csv.records) rows.push(r);
  return { header: csv.header, rows };
};

/** Excel writes CRLF; Unix tools LF. Both read the same, whatever the encoding and where it shows. */
describe('line endings', () => {
  it.each([
    ['CRLF, GBK, Chinese in the header', iconv.encode('code,名称,kind\r\nH1,"医院, 一",hospital\r\nH2,诊所,"clinic"\r\n', 'gb18030')],
    ['CRLF, UTF-8, Chinese later', Buffer.from('code,name,kind\r\nH1,"A, B",hospital\r\nH2,医院,"clinic"\r\n', 'utf8')],
    ['LF, GBK', iconv.encode('code,名称,kind\nH1,"医院, 一",hospital\nH2,诊所,"clinic"\n', 'gb18030')],
  ])('%s: no carriage return left in any field, quoted last fields accepted', async (_what, bytes) => {
    const { header, rows } = await read(write(bytes));
    expect(header).toHaveLength(3);
    expect(rows.map((r) => r.line)).toEqual([2, 3]);
    for (const r of rows) for (const f of r.fields) expect(f).not.toMatch(/\r/);
    expect(rows[1]!.fields[2]).toBe('clinic');
  });

  it('finds the first line break outside quotes', async () => {
    expect(await detectNewline(write('a,"x\ny"\r\nb,c\r\n'))).toBe('\r\n');
    expect(await detectNewline(write('a,b\nc,d\n'))).toBe('\n');
    expect(await detectNewline(write('a,b'))).toBe('\n');
  });
});
