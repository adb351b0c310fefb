import { readFile } from 'node:fs/promises';
import dayjs from 'dayjs';
import customParseFormat from 'dayjs/plugin/customParseFormat';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { FILE_SPECS, InterchangeFile } from './interchange';

dayjs.extend(customParseFormat);

/**
 * A column-mapping file lets a bureau's own export be imported without code: per contract file,
 * which source file and columns hold each contract column, date formats and value maps.
 * See docs/column-mapping.md and docs/examples/.
 */
const fileMappingSchema = z
  .object({
    file: z.string().min(1).optional(),
    columns: z.record(z.string(), z.string().min(1)).default({}),
    dateFormats: z.record(z.string(), z.string().min(1)).default({}),
    values: z.record(z.string(), z.record(z.string(), z.string())).default({}),
    defaults: z.record(z.string(), z.string()).default({}),
  })
  .strict();

const mappingSchema = z
  .object({
    version: z.literal(1).default(1),
    encoding: z.enum(['auto', 'utf8', 'gb18030']).default('auto'),
    delimiter: z.string().length(1).default(','),
    files: z.record(z.string(), fileMappingSchema).default({}),
  })
  .strict();

export type FileMapping = z.infer<typeof fileMappingSchema>;
export type ColumnMapping = z.infer<typeof mappingSchema>;

export class ColumnMappingError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid column mapping:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const DATE_COLUMNS: Record<string, 'date' | 'timestamp'> = {};
for (const specs of Object.values(FILE_SPECS)) {
  for (const c of specs) if (c.type.kind === 'date' || c.type.kind === 'timestamp') DATE_COLUMNS[c.name] = c.type.kind;
}

/** The identity mapping: the contract's own files and columns. */
export const IDENTITY_MAPPING: ColumnMapping = mappingSchema.parse({});

/** Parses and checks a mapping; every problem names its path in the YAML. */
export function parseColumnMapping(text: string, source = 'mapping'): ColumnMapping {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    throw new ColumnMappingError(doc.errors.map((e) => `${source}: ${e.message}`));
  }
  const parsed = mappingSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    throw new ColumnMappingError(parsed.error.issues.map((i) => `${source}: ${i.path.join('.') || '(root)'}: ${i.message}`));
  }
  const problems: string[] = [];
  for (const [file, fm] of Object.entries(parsed.data.files)) {
    const spec = FILE_SPECS[file as InterchangeFile];
    if (!spec) {
      problems.push(`${source}: files.${file}: not a file of the interchange format (${Object.keys(FILE_SPECS).join(', ')})`);
      continue;
    }
    const names = new Set(spec.map((c) => c.name));
    for (const section of ['columns', 'dateFormats', 'values', 'defaults'] as const) {
      for (const col of Object.keys(fm[section])) {
        if (!names.has(col)) problems.push(`${source}: files.${file}.${section}.${col}: ${file} has no column ${col}`);
      }
    }
    for (const col of Object.keys(fm.dateFormats)) {
      if (names.has(col) && !DATE_COLUMNS[col]) problems.push(`${source}: files.${file}.dateFormats.${col}: ${col} is not a date column`);
    }
  }
  if (problems.length > 0) throw new ColumnMappingError(problems);
  return parsed.data;
}

export async function loadColumnMapping(path: string): Promise<ColumnMapping> {
  return parseColumnMapping(await readFile(path, 'utf8'), path);
}

/** The name of the file holding a contract file in the source directory. */
export function sourceFileName(mapping: ColumnMapping, file: InterchangeFile): string {
  return mapping.files[file]?.file ?? `${file}.csv`;
}

/**
 * Builds, from a file's header, a getter per contract column that applies the mapping: the source
 * column, the value map, the date format (converted to the contract's form), or the default.
 */
export function buildRowAccessor(
  file: InterchangeFile,
  header: string[],
  mapping: ColumnMapping,
): { accessor: (record: string[]) => (column: string) => string | undefined; missing: string[]; sourceColumn: (c: string) => string } {
  const fm = mapping.files[file];
  const index = new Map<string, number>();
  header.forEach((h, i) => index.set(h.trim(), i));
  const sourceColumn = (c: string) => fm?.columns[c] ?? c;
  const plan = FILE_SPECS[file].map((spec) => {
    const src = sourceColumn(spec.name);
    return {
      name: spec.name,
      idx: index.get(src),
      values: fm?.values[spec.name],
      format: fm?.dateFormats[spec.name],
      kind: DATE_COLUMNS[spec.name],
      dflt: fm?.defaults[spec.name],
    };
  });
  const missing = plan
    .filter((p) => p.idx === undefined && p.dflt === undefined && FILE_SPECS[file].find((s) => s.name === p.name)!.required === true)
    .map((p) => sourceColumn(p.name));
  const byName = new Map(plan.map((p) => [p.name, p]));
  const simple = !fm;
  const accessor = (record: string[]) => (column: string) => {
    const p = byName.get(column);
    if (!p) return undefined;
    let v = p.idx === undefined ? undefined : record[p.idx];
    if (simple) return v;
    if ((v === undefined || v.trim() === '') && p.dflt !== undefined) v = p.dflt;
    if (v === undefined) return undefined;
    const t = v.trim();
    if (p.values && Object.hasOwn(p.values, t)) return p.values[t];
    if (p.format && t !== '') return convertDate(t, p.format, p.kind!);
    return v;
  };
  return { accessor, missing, sourceColumn };
}

/** Converts a date in a bureau's format to the contract's; a value that does not match is left as is to be reported. */
function convertDate(value: string, format: string, kind: 'date' | 'timestamp'): string {
  const d = dayjs(value, format, true);
  if (!d.isValid()) return value;
  return kind === 'date' ? d.format('YYYY-MM-DD') : d.format('YYYY-MM-DDTHH:mm:ss');
}
