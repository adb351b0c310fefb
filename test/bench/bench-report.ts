import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const FILE = join(ROOT, 'BENCHMARKS.md');
const HEADER = '# Benchmarks\n\nMeasured by `npm run bench`; each section is rewritten by the benchmark named in it.\n';

/**
 * Replaces one benchmark's section of BENCHMARKS.md (between `<!-- bench:NAME -->` markers), keeping
 * the others, so each benchmark can be re-run alone.
 */
export function writeBenchSection(name: string, markdown: string): void {
  const open = `<!-- bench:${name} -->`;
  const close = `<!-- /bench:${name} -->`;
  const block = `${open}\n${markdown.trim()}\n${close}`;
  let text = existsSync(FILE) ? readFileSync(FILE, 'utf8') : HEADER;
  if (!text.includes('<!-- bench:')) text = HEADER; // an old single-report file: start over
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  text = start >= 0 && end > start ? text.slice(0, start) + block + text.slice(end + close.length) : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(FILE, text);
}
