import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { parse } from 'csv-parse';
import iconv from 'iconv-lite';
import { DetectingDecoder, detectFileEncoding, FileEncoding } from './encoding';

export interface CsvRecord {
  /** Physical line of the record in the file (the header is line 1). */
  line: number;
  fields: string[];
}

export interface CsvSource {
  path: string;
  /** The encoding as far as it is known (a file that starts with ASCII is decided later). */
  encoding: () => FileEncoding | 'ascii';
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
  const auto = !opts.encoding || opts.encoding === 'auto';
  // Fail fast (before any row) on what detection can already tell, e.g. a UTF-16 file.
  if (auto) await detectFileEncoding(path);
  const { size } = await stat(path);
  const file = createReadStream(path, { highWaterMark: 256 * 1024 });
  const detector = auto ? new DetectingDecoder() : null;
  const decoder = detector ?? iconv.decodeStream(opts.encoding === 'gb18030' ? 'gb18030' : 'utf8', { stripBOM: true });
  const parser = file.pipe(decoder).pipe(
    parse({
      bom: true,
      delimiter: opts.delimiter ?? ',',
      relax_column_count: true,
      skip_empty_lines: true,
      info: true,
    }),
  );
  file.on('error', (err) => parser.destroy(err));
  decoder.on('error', (err) => parser.destroy(err));
  const iterator = parser[Symbol.asyncIterator]() as AsyncIterator<{ record: string[]; info: { lines: number; empty_lines: number } }>;
  const first = await nextOrFail(iterator, path);
  const header = first.done ? [] : first.value.record.map((h) => h.trim());
  if (header.every((h) => h === '')) throw new CsvFormatError(`${path}: the file is empty (a header row is required)`);
  // csv-parse tells where a record ends; a record (possibly spanning lines) starts after the previous one and the blank lines between.
  let last = first.done ? { lines: 0, empty_lines: 0 } : { lines: first.value.info.lines, empty_lines: first.value.info.empty_lines };
  const records: AsyncIterable<CsvRecord> = {
    [Symbol.asyncIterator]: () => ({
      async next() {
        const r = await nextOrFail(iterator, path);
        if (r.done) return { done: true, value: undefined };
        const { lines, empty_lines } = r.value.info;
        const line = last.lines + 1 + (empty_lines - last.empty_lines);
        last = { lines, empty_lines };
        return { done: false, value: { line, fields: r.value.record } };
      },
      async return() {
        parser.destroy();
        file.destroy();
        return { done: true, value: undefined };
      },
    }),
  };
  const encoding = () => (detector ? (detector.encoding ?? 'ascii') : (opts.encoding as FileEncoding));
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
