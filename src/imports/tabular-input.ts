import { join } from 'node:path';
import { access } from 'node:fs/promises';
import { buildRowAccessor, ColumnMapping, sourceFileName } from './column-mapping';
import { CsvRecord, openCsv } from './csv-source';
import { InterchangeFile } from './interchange';

/**
 * Rows of one contract file, whatever they came from (a CSV file, possibly column-mapped, or a
 * JSON request), with a getter per contract column.
 */
export interface TabularInput {
  /** The contract file these rows stand for, as named in reasons (e.g. claims.csv). */
  file: string;
  /** Where the rows came from, for messages (a path, or "request"). */
  origin: string;
  /** Rows in batches (one await per batch keeps the hot path cheap). */
  batches: AsyncIterable<InputRow[]>;
  sizeBytes: number;
  bytesRead(): number;
}

export interface InputRow {
  line: number;
  get: (column: string) => string | undefined;
  /** Set when the row's shape is wrong (e.g. more fields than the header). */
  shapeProblem?: string;
}

export class InputError extends Error {}

export async function fileExists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Opens a contract file in a directory through the mapping; null when the file is absent. */
export async function openMappedCsv(dir: string, file: InterchangeFile, mapping: ColumnMapping): Promise<TabularInput | null> {
  const path = join(dir, sourceFileName(mapping, file));
  if (!(await fileExists(path))) return null;
  const csv = await openCsv(path, { encoding: mapping.encoding, delimiter: mapping.delimiter });
  const { accessor, missing } = buildRowAccessor(file, csv.header, mapping);
  if (missing.length > 0) {
    throw new InputError(`${path}: the header lacks required column(s) ${missing.join(', ')} (found: ${csv.header.join(', ')})`);
  }
  const width = csv.header.length;
  return {
    file: `${file}.csv`,
    origin: path,
    sizeBytes: csv.sizeBytes,
    bytesRead: csv.bytesRead,
    batches: mapBatches(csv.batches, (r) => {
      const get = accessor(r.fields);
      if (r.fields.length === width) return { line: r.line, get };
      return { line: r.line, get, shapeProblem: `the row has ${r.fields.length} fields where the header has ${width}` };
    }),
  };
}

async function* mapBatches(batches: AsyncIterable<CsvRecord[]>, fn: (r: CsvRecord) => InputRow): AsyncIterable<InputRow[]> {
  for await (const b of batches) yield b.map(fn);
}

/** Rows of a JSON request: each object's own fields, numbers written as text. */
export function jsonInput(file: string, objects: Record<string, unknown>[]): TabularInput {
  return {
    file,
    origin: 'request',
    sizeBytes: objects.length,
    bytesRead: () => objects.length,
    batches: (async function* (): AsyncIterable<InputRow[]> {
      yield objects.map((o, idx) => ({
          line: idx + 1,
          get: (c: string) => {
            const v = o[c];
            if (v === undefined || v === null) return undefined;
            if (typeof v === 'string') return v;
            if (typeof v === 'number' || typeof v === 'boolean') return String(v);
            if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.join(';');
            return JSON.stringify(v);
          },
        }));
    })(),
  };
}
