import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { en } from '../../../src/console/i18n/en';
import { zh } from '../../../src/console/i18n/zh';
import { MessageTree, featureMessageFiles, flatten, interpolate, loadDictionaries } from '../../../src/console/i18n';

const SRC = join(__dirname, '..', '..', '..', 'src');

function hbsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...hbsFiles(p));
    else if (name.endsWith('.hbs')) out.push(p);
  }
  return out;
}

describe('console messages', () => {
  it('zh.ts and en.ts have exactly the same keys', () => {
    const z = Object.keys(flatten(zh as unknown as MessageTree)).sort();
    const e = Object.keys(flatten(en as unknown as MessageTree)).sort();
    expect(e.filter((k) => !z.includes(k))).toEqual([]);
    expect(z.filter((k) => !e.includes(k))).toEqual([]);
  });

  it("every feature's i18n.ts has the same keys in zh and en", () => {
    for (const file of featureMessageFiles(SRC)) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(file) as { zh: MessageTree; en: MessageTree };
      const z = Object.keys(flatten(mod.zh)).sort();
      const e = Object.keys(flatten(mod.en)).sort();
      expect({ file: relative(SRC, file), keys: e }).toEqual({ file: relative(SRC, file), keys: z });
    }
  });

  it('has no empty message and the same placeholders in both languages', () => {
    const dicts = loadDictionaries(featureMessageFiles(SRC));
    const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const [key, text] of Object.entries(dicts.zh)) {
      expect({ key, empty: text.trim() === '' }).toEqual({ key, empty: false });
      expect({ key, vars: placeholders(dicts.en[key] ?? '') }).toEqual({ key, vars: placeholders(text) });
    }
  });

  it('every {{t "key"}} in a template under src/ exists', () => {
    const dicts = loadDictionaries(featureMessageFiles(SRC));
    const missing: string[] = [];
    const files = hbsFiles(SRC);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      // {{t "key" …}} and (t "key" …) as a subexpression
      for (const m of text.matchAll(/[{(]\s*t\s+["']([^"']+)["']/g)) {
        if (!(m[1]! in dicts.zh) || !(m[1]! in dicts.en)) missing.push(`${relative(SRC, f)}: ${m[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('fills placeholders and keeps unknown ones visible', () => {
    expect(interpolate('共 {total} 条，第 {page} 页', { total: 3, page: 1 })).toBe('共 3 条，第 1 页');
    expect(interpolate('{a} {b}', { a: 1 })).toBe('1 {b}');
  });
});
