import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { CsvFormatError, CsvRecord, CsvSource, openCsv } from '../../src/imports/csv-source';
import { detectEncoding, detectFileEncoding, UnsupportedEncodingError } from '../../src/imports/encoding';

/**
 * Encodings of the contract (UTF-8 with or without BOM, GB18030/GBK, detected) and RFC 4180 parsing,
 * on real files written to a temporary directory and read back through openCsv.
 */

const YINCHUAN = '银川市第一人民医院';
const NINGXIA = '宁夏回族自治区人民医院';
/** 䶮 (U+4DAE, CJK Ext. A) and 𠀀 (U+20000, Ext. B) are four-byte sequences in GB18030 and absent from GBK. */
const RARE = '刘䶮诊所𠀀';

let dir: string;
let n = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fundguard-encoding-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeTemp(content: Buffer | string): string {
  const path = join(dir, `f${++n}.csv`);
  writeFileSync(path, content);
  return path;
}

const utf8 = (text: string) => Buffer.from(text, 'utf8');
const utf8Bom = (text: string) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
const gb18030 = (text: string) => iconv.encode(text, 'gb18030');
const gbk = (text: string) => iconv.encode(text, 'gbk');

async function readAll(src: CsvSource): Promise<CsvRecord[]> {
  const out: CsvRecord[] = [];
  for await (const r of src.records) out.push(r);
  return out;
}

async function load(content: Buffer | string, opts?: Parameters<typeof openCsv>[1]) {
  const path = writeTemp(content);
  const src = await openCsv(path, opts);
  const records = await readAll(src);
  return { path, src, header: src.header, records };
}

const INSTITUTIONS = `code,name,kind,level,ownership,region\nH64010400001,${YINCHUAN},hospital,3,public,640104\nH64010500002,${NINGXIA},hospital,3,public,640105\n`;

describe('UTF-8', () => {
  it('reads a file without BOM, with Chinese names intact', async () => {
    const { src, header, records } = await load(utf8(INSTITUTIONS));
    expect(src.encoding()).toBe('utf8');
    expect(header).toEqual(['code', 'name', 'kind', 'level', 'ownership', 'region']);
    expect(records).toEqual([
      { line: 2, fields: ['H64010400001', YINCHUAN, 'hospital', '3', 'public', '640104'] },
      { line: 3, fields: ['H64010500002', NINGXIA, 'hospital', '3', 'public', '640105'] },
    ]);
  });

  it('drops the BOM: the first header column comes out clean as `code`', async () => {
    const { src, header, records } = await load(utf8Bom(INSTITUTIONS));
    expect(src.encoding()).toBe('utf8');
    expect(header[0]).toBe('code');
    expect(header[0]!.charCodeAt(0)).toBe(0x63);
    expect(header).toEqual(['code', 'name', 'kind', 'level', 'ownership', 'region']);
    expect(records.map((r) => r.fields[1])).toEqual([YINCHUAN, NINGXIA]);
  });

  it('drops the BOM of a header-only file', async () => {
    const { header, records } = await load(utf8Bom('code,name\r\n'));
    expect(header).toEqual(['code', 'name']);
    expect(records).toEqual([]);
  });

  it('trims the header names', async () => {
    const { header } = await load(utf8(' code , name \nA,b\n'));
    expect(header).toEqual(['code', 'name']);
  });

  it('keeps characters outside the BMP', async () => {
    const { records } = await load(utf8(`code,name\nC1,${RARE}\n`));
    expect(records[0]!.fields[1]).toBe(RARE);
  });

  it('reports the file size and, once read, every byte read', async () => {
    const { path, src } = await load(utf8(INSTITUTIONS));
    expect(src.sizeBytes).toBe(statSync(path).size);
    expect(src.bytesRead()).toBe(statSync(path).size);
    expect(src.path).toBe(path);
  });
});

describe('GB18030 / GBK (what Excel in China writes)', () => {
  it('detects GB18030 and round-trips Chinese institution names exactly', async () => {
    const { src, header, records } = await load(gb18030(INSTITUTIONS));
    expect(src.encoding()).toBe('gb18030');
    expect(header).toEqual(['code', 'name', 'kind', 'level', 'ownership', 'region']);
    expect(records).toEqual([
      { line: 2, fields: ['H64010400001', YINCHUAN, 'hospital', '3', 'public', '640104'] },
      { line: 3, fields: ['H64010500002', NINGXIA, 'hospital', '3', 'public', '640105'] },
    ]);
  });

  it('round-trips Chinese header names (a bureau export)', async () => {
    const { header, records } = await load(gb18030('结算ID,机构编码,入院日期\r\nJS001,H64010400001,2025/01/02\r\n'));
    expect(header).toEqual(['结算ID', '机构编码', '入院日期']);
    expect(records).toEqual([{ line: 2, fields: ['JS001', 'H64010400001', '2025/01/02'] }]);
  });

  it('round-trips characters that GB18030 encodes in four bytes', async () => {
    const bytes = gb18030(`code,name\nC1,${RARE}\n`);
    expect(iconv.decode(bytes, 'gb18030')).toBe(`code,name\nC1,${RARE}\n`); // the fixture itself is sound
    const { src, records } = await load(bytes);
    expect(src.encoding()).toBe('gb18030');
    expect(records[0]!.fields[1]).toBe(RARE);
  });

  it('detects a GBK file whose first bytes are ASCII and whose Chinese comes later', async () => {
    const asciiRows = Array.from({ length: 2000 }, (_, i) => `H${String(i).padStart(11, '0')},Clinic ${i},clinic,,private,640104\n`).join('');
    const text = `code,name,kind,level,ownership,region\n${asciiRows}H64010400001,${YINCHUAN},hospital,3,public,640104\n`;
    const bytes = gbk(text);
    expect(bytes.subarray(0, 1000).every((b) => b < 0x80)).toBe(true);
    const { src, records } = await load(bytes);
    expect(src.encoding()).toBe('gb18030');
    expect(records).toHaveLength(2001);
    expect(records[2000]).toEqual({ line: 2002, fields: ['H64010400001', YINCHUAN, 'hospital', '3', 'public', '640104'] });
  });

  it('detects a GBK file whose Chinese first appears after the first MiB', async () => {
    // e.g. claim_items.csv whose item_name is empty on the first 25 000 lines.
    const asciiRows = Array.from({ length: 25000 }, (_, i) => `C${String(i).padStart(8, '0')},1,X01AB,,2025-01-02,12.50,2,25.00,7\n`).join('');
    const header = 'claim_id,item_seq,item_code,item_name,service_date,unit_price,quantity,amount,days_supply\n';
    const text = `${header}${asciiRows}C99999999,1,X01AB,阿莫西林胶囊,2025-01-02,12.50,2,25.00,7\n`;
    const bytes = gbk(text);
    expect(bytes.indexOf(gbk('阿莫西林'))).toBeGreaterThan(1024 * 1024);
    const { src, records } = await load(bytes);
    expect(src.encoding()).toBe('gb18030');
    expect(records[records.length - 1]!.fields[3]).toBe('阿莫西林胶囊');
  });

  it('reads a GB18030 file as such when the encoding is forced', async () => {
    const { src, records } = await load(gb18030(INSTITUTIONS), { encoding: 'gb18030' });
    expect(src.encoding()).toBe('gb18030');
    expect(records.map((r) => r.fields[1])).toEqual([YINCHUAN, NINGXIA]);
  });

  it('reads a UTF-8 file as such when the encoding is forced', async () => {
    const { src, records } = await load(utf8(INSTITUTIONS), { encoding: 'utf8' });
    expect(src.encoding()).toBe('utf8');
    expect(records.map((r) => r.fields[1])).toEqual([YINCHUAN, NINGXIA]);
  });

  it('detectFileEncoding tells the two apart', async () => {
    expect(await detectFileEncoding(writeTemp(gb18030(INSTITUTIONS)))).toBe('gb18030');
    expect(await detectFileEncoding(writeTemp(utf8(INSTITUTIONS)))).toBe('utf8');
    expect(await detectFileEncoding(writeTemp(utf8Bom(INSTITUTIONS)))).toBe('utf8');
  });
});

describe('UTF-16 (not an encoding of the contract)', () => {
  it('rejects a UTF-16 LE file with BOM with a message saying how to save it', async () => {
    const path = writeTemp(Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(INSTITUTIONS, 'utf16le')]));
    const err = await openCsv(path).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UnsupportedEncodingError);
    expect((err as Error).message).toBe('is UTF-16 encoded; save it as CSV in UTF-8 or GB18030 (Excel: "CSV UTF-8")');
  });

  it('rejects a UTF-16 BE file with BOM', async () => {
    const le = iconv.encode(INSTITUTIONS, 'utf16le');
    const be = Buffer.from(le);
    be.swap16();
    const path = writeTemp(Buffer.concat([Buffer.from([0xfe, 0xff]), be]));
    await expect(openCsv(path)).rejects.toBeInstanceOf(UnsupportedEncodingError);
  });
});

describe('RFC 4180 parsing and line numbers (header = line 1)', () => {
  it('reads quoted fields holding commas, doubled quotes and newlines', async () => {
    const csv = 'code,name,note\nA,"Smith, John","He said ""hi"""\nB,"two\nlines",plain\n';
    const { records } = await load(csv);
    expect(records.map((r) => r.fields)).toEqual([
      ['A', 'Smith, John', 'He said "hi"'],
      ['B', 'two\nlines', 'plain'],
    ]);
  });

  it('reads CRLF files (Excel) with CRLF inside a quoted field', async () => {
    const { records } = await load('code,name\r\nA,"line 1\r\nline 2"\r\nB,b\r\n');
    expect(records.map((r) => r.fields)).toEqual([
      ['A', 'line 1\r\nline 2'],
      ['B', 'b'],
    ]);
  });

  it('keeps empty fields and quoted empty fields as empty strings', async () => {
    const { records } = await load('a,b,c\n,"",x\n');
    expect(records).toEqual([{ line: 2, fields: ['', '', 'x'] }]);
  });

  it('keeps a record with fewer fields than the header (columns checked later)', async () => {
    const { records } = await load('a,b,c\n1,2\n');
    expect(records).toEqual([{ line: 2, fields: ['1', '2'] }]);
  });

  it('numbers records by physical line, counting skipped blank lines and earlier multi-line records', async () => {
    const csv = ['code,name', 'A,a', '', 'B,"x', 'y"', 'C,c', '', '', 'D,d', ''].join('\n');
    //            1           2     3   4      5     6     7   8   9
    const { records } = await load(csv);
    expect(records.map((r) => [r.fields[0], r.line])).toEqual(
      expect.arrayContaining([
        ['A', 2],
        ['C', 6],
        ['D', 9],
      ]),
    );
    expect(records.map((r) => r.fields[0])).toEqual(['A', 'B', 'C', 'D']);
  });

  it('numbers a multi-line record by the line it starts on', async () => {
    const csv = ['code,name', 'A,"first', 'second', 'third"', 'B,b', ''].join('\n');
    //            1           2           3         4         5
    const { records } = await load(csv);
    expect(records).toEqual([
      { line: 2, fields: ['A', 'first\nsecond\nthird'] },
      { line: 5, fields: ['B', 'b'] },
    ]);
  });

  it('numbers records of a GB18030 file the same way', async () => {
    const { records } = await load(gb18030(`code,name\n\nH1,"${YINCHUAN}"\nH2,${NINGXIA}\n`));
    expect(records).toEqual([
      { line: 3, fields: ['H1', YINCHUAN] },
      { line: 4, fields: ['H2', NINGXIA] },
    ]);
  });

  it('honours another delimiter', async () => {
    const { header, records } = await load('code;name\nA;"x;y"\n', { delimiter: ';' });
    expect(header).toEqual(['code', 'name']);
    expect(records).toEqual([{ line: 2, fields: ['A', 'x;y'] }]);
  });

  it('reports an unterminated quote as a CsvFormatError naming the file and the line', async () => {
    const path = writeTemp('code,name\nA,b\nB,"unterminated\n');
    const err = await (async () => {
      try {
        await readAll(await openCsv(path));
        return null;
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(CsvFormatError);
    expect((err as Error).message).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} line 3: not valid CSV \\(`));
  });

  it('rejects an empty file: a header row is required', async () => {
    const path = writeTemp('');
    const err = await openCsv(path).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CsvFormatError);
    expect((err as Error).message).toBe(`${path}: the file is empty (a header row is required)`);
  });

  it('rejects a file of blank lines or only a BOM as empty', async () => {
    await expect(openCsv(writeTemp('\n\n'))).rejects.toThrow(/the file is empty \(a header row is required\)$/);
    await expect(openCsv(writeTemp('\r\n\r\n'))).rejects.toThrow(/the file is empty \(a header row is required\)$/);
    await expect(openCsv(writeTemp(Buffer.from([0xef, 0xbb, 0xbf])))).rejects.toThrow(/the file is empty \(a header row is required\)$/);
  });

  it('stops cleanly when the reader leaves early', async () => {
    const src = await openCsv(writeTemp(utf8(INSTITUTIONS)));
    const seen: string[] = [];
    for await (const r of src.records) {
      seen.push(r.fields[0]!);
      break;
    }
    expect(seen).toEqual(['H64010400001']);
  });
});

describe('detectEncoding (on a sample of the first bytes)', () => {
  const text = `code,name\nH64010400001,${YINCHUAN}\n`;

  it('says utf8 for plain ASCII and for an empty sample', () => {
    expect(detectEncoding(utf8('code,name\nA,b\n'))).toBe('utf8');
    expect(detectEncoding(new Uint8Array(0))).toBe('utf8');
  });

  it('says utf8 for a UTF-8 sample with or without BOM', () => {
    expect(detectEncoding(utf8(text))).toBe('utf8');
    expect(detectEncoding(utf8Bom(text))).toBe('utf8');
  });

  it('says utf8 for a sample cut in the middle of a multi-byte UTF-8 character', () => {
    const bytes = utf8(text);
    const start = bytes.indexOf(utf8('银'));
    expect(start).toBeGreaterThan(0);
    // 银 is three bytes: cut after its first and after its second byte.
    expect(detectEncoding(bytes.subarray(0, start + 1))).toBe('utf8');
    expect(detectEncoding(bytes.subarray(0, start + 2))).toBe('utf8');
    // and a four-byte character cut after three bytes
    const four = utf8('code,name\nC1,𠀀');
    expect(detectEncoding(four.subarray(0, four.length - 1))).toBe('utf8');
  });

  it('says gb18030 for GB18030 and GBK samples, also when cut in the middle of a character', () => {
    const bytes = gb18030(text);
    expect(detectEncoding(bytes)).toBe('gb18030');
    expect(detectEncoding(gbk(text))).toBe('gb18030');
    const start = bytes.indexOf(gb18030('银'));
    expect(detectEncoding(bytes.subarray(0, start + 3))).toBe('gb18030');
  });

  it('throws UnsupportedEncodingError for UTF-16 LE and BE byte order marks', () => {
    expect(() => detectEncoding(Uint8Array.from([0xff, 0xfe, 0x63, 0x00]))).toThrow(UnsupportedEncodingError);
    expect(() => detectEncoding(Uint8Array.from([0xfe, 0xff, 0x00, 0x63]))).toThrow(/is UTF-16 encoded/);
  });
});
