import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { parse } from 'csv-parse';
import iconv from 'iconv-lite';
import { detectFileEncoding, FileEncoding } from './encoding';

export interface CsvRecord {
  /** Physical line of the record in the file (the header is line 1). */
  line: number;
  fields: string[];
}

export interface CsvSource {
  path: string;
  encoding: FileEncoding;
  sizeBytes: number;
  header: string[];
  records: AsyncIterable<CsvRecord>;
  /** Bytes of the file read so far (for progress). */
  bytesRead(): number;
}

export class CsvFormatError extends Error {}

/**
 * Opens a CSV file as a stream of records: encoding detected (or forced), BOM dropped, RFC 4180
 * parsing by csv-parse. Memory stays flat whatever the file size.
 */
export async function openCsv(path: string, opts: { encoding?: FileEncoding | 'auto'; delimiter?: string } = {}): Promise<CsvSource> {
  const encoding = !opts.encoding || opts.encoding === 'auto' ? await detectFileEncoding(path) : opts.encoding;
  const { size } = await stat(path);
  const file = createReadStream(path, { highWaterMark: 256 * 1024 });
  const text: NodeJS.ReadableStream = encoding === 'gb18030' ? file.pipe(iconv.decodeStream('gb18030')) : file;
  const parser = text.pipe(
    parse({
      bom: true,
      delimiter: opts.delimiter ?? ',',
      relax_column_count: true,
      skip_empty_lines: true,
      info: true,
      encoding: encoding === 'utf8' ? 'utf8' : undefined,
    }),
  );
  file.on('error', (err) => parser.destroy(err));
  const iterator = parser[Symbol.asyncIterator]() as AsyncIterator<{ record: string[]; info: { lines: number } }>;
  const first = await nextOrFail(iterator, path);
  if (first.done) throw new CsvFormatError(`${path}: the file is empty (a header row is required)`);
  const header = first.value.record.map((h) => h.trim());
  const records: AsyncIterable<CsvRecord> = {
    [Symbol.asyncIterator]: () => ({
      async next() {
        const r = await nextOrFail(iterator, path);
        return r.done ? { done: true, value: undefined } : { done: false, value: { line: r.value.info.lines, fields: r.value.record } };
      },
      async return() {
        parser.destroy();
        file.destroy();
        return { done: true, value: undefined };
      },
    }),
  };
  return { path, encoding, sizeBytes: size, header, records, bytesRead: () => file.bytesRead };
}

async function nextOrFail<T>(it: AsyncIterator<T>, path: string): Promise<IteratorResult<T>> {
  try {
    return await it.next();
  } catch (err) {
    const e = err as Error & { code?: string; lines?: number };
    if (e.code?.startsWith('CSV_')) {
      throw new CsvFormatError(`${path}${e.lines ? ` line ${e.lines}` : ''}: not valid CSV (${e.message})`);
    }
    throw err;
  }
}
