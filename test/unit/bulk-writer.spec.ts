import { BulkValue, copyEscape } from '../../src/database/bulk-writer';

/** copyEscape: one value in PostgreSQL's COPY text format (tab-separated, \N for NULL). */

/** Decodes one COPY text field the way PostgreSQL does (for the escapes copyEscape writes). */
function copyUnescape(field: string): string | null {
  if (field === '\\N') return null;
  return field.replace(/\\(.)/g, (_m, c: string) => ({ t: '\t', n: '\n', r: '\r', '\\': '\\' })[c] ?? c);
}

describe('copyEscape', () => {
  it('writes NULL as \\N', () => {
    expect(copyEscape(null)).toBe('\\N');
  });

  it('writes the text "\\N" so that it is not read as NULL', () => {
    expect(copyEscape('\\N')).toBe('\\\\N');
  });

  it('leaves plain text, empty text and Chinese text as is', () => {
    expect(copyEscape('H64010300001')).toBe('H64010300001');
    expect(copyEscape('')).toBe('');
    expect(copyEscape('银川市第一人民医院')).toBe('银川市第一人民医院');
    expect(copyEscape('a "quoted", text; with N')).toBe('a "quoted", text; with N');
  });

  it('escapes tabs, newlines and carriage returns', () => {
    expect(copyEscape('a\tb')).toBe('a\\tb');
    expect(copyEscape('a\nb')).toBe('a\\nb');
    expect(copyEscape('a\rb')).toBe('a\\rb');
    expect(copyEscape('line 1\r\nline 2\r\n')).toBe('line 1\\r\\nline 2\\r\\n');
    expect(copyEscape('\t\t')).toBe('\\t\\t');
  });

  it('escapes backslashes, before the other escapes', () => {
    expect(copyEscape('C:\\data\\claims.csv')).toBe('C:\\\\data\\\\claims.csv');
    expect(copyEscape('\\')).toBe('\\\\');
    // a backslash followed by the letter t is not a tab
    expect(copyEscape('a\\tb')).toBe('a\\\\tb');
    expect(copyEscape('\\\t')).toBe('\\\\\\t');
  });

  it('writes numbers as their decimal text', () => {
    expect(copyEscape(0)).toBe('0');
    expect(copyEscape(42)).toBe('42');
    expect(copyEscape(-1234)).toBe('-1234');
    expect(copyEscape(1.5)).toBe('1.5');
    expect(copyEscape(999_999_999_999_999)).toBe('999999999999999');
  });

  it('never leaves a raw tab, newline or carriage return in a field', () => {
    for (const v of ['\t', '\n', '\r', 'x\ty\nz\r', '\\\n\\']) {
      expect(copyEscape(v)).not.toMatch(/[\t\n\r]/);
    }
  });

  it('round-trips a row of values through the COPY text format', () => {
    const row: BulkValue[] = [1, 'C0001', null, 'tab\there', 'new\nline', 'back\\slash', '\\N', '', '阿莫西林\r\n胶囊', 250];
    const line = row.map(copyEscape).join('\t');
    expect(line.split('\n')).toHaveLength(1);
    const fields = line.split('\t');
    expect(fields).toHaveLength(row.length);
    expect(fields.map(copyUnescape)).toEqual(row.map((v) => (typeof v === 'number' ? String(v) : v)));
  });
});
