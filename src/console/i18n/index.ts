import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { en } from './en';
import { zh } from './zh';

export const LANGS = ['zh', 'en'] as const;
export type Lang = (typeof LANGS)[number];
export const DEFAULT_LANG: Lang = 'zh';
export const LANG_COOKIE = 'fg_lang';

/** `<html lang>` of each language. */
export const HTML_LANG: Record<Lang, string> = { zh: 'zh-CN', en: 'en' };

export interface MessageTree {
  [key: string]: string | MessageTree;
}

/** Nested messages → { 'a.b.c': text }. */
export function flatten(tree: MessageTree, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out[key] = v;
    else flatten(v, key, out);
  }
  return out;
}

/**
 * A feature's own messages: `src/<feature>/i18n.ts` exporting `zh` and `en` (same keys, namespaced
 * by the feature, e.g. { cases: { title: '案件' } }), so feature pages add their texts without
 * editing the console's dictionaries. Found by file name at start.
 */
export function featureMessageFiles(srcDir = join(__dirname, '..', '..')): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(srcDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    for (const ext of ['.js', '.ts']) {
      const f = join(srcDir, entry.name, `i18n${ext}`);
      if (existsSync(f)) {
        files.push(f);
        break;
      }
    }
  }
  return files;
}

export type Dictionaries = Record<Lang, Record<string, string>>;

/** The console's dictionaries merged with every feature's; a key defined twice is an error. */
export function loadDictionaries(files = featureMessageFiles()): Dictionaries {
  const dicts: Dictionaries = { zh: flatten(zh as unknown as MessageTree), en: flatten(en as unknown as MessageTree) };
  for (const file of files) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(file) as Partial<Record<Lang, MessageTree>>;
    for (const lang of LANGS) {
      const tree = mod[lang];
      if (!tree) throw new Error(`${file} must export '${lang}' messages`);
      for (const [k, v] of Object.entries(flatten(tree))) {
        if (k in dicts[lang]) throw new Error(`message key ${k} of ${file} is already defined`);
        dicts[lang][k] = v;
      }
    }
  }
  return dicts;
}

/** Fills `{name}` placeholders; unknown placeholders stay visible so a missing value is noticed. */
export function interpolate(text: string, vars: Record<string, unknown> = {}): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (vars[name] === undefined || vars[name] === null ? whole : String(vars[name])));
}

export function isLang(v: unknown): v is Lang {
  return typeof v === 'string' && (LANGS as readonly string[]).includes(v);
}
