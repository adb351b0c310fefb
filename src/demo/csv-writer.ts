import { createWriteStream, type WriteStream } from 'node:fs';

/** RFC 4180 quoting: only fields holding a comma, a quote, CR or LF are quoted; quotes are doubled. */
export function csvField(value: string): string {
  if (/[",\r\n]/.test(value)) return `"${value.replace(/"/g, '""')}"`;
  return value;
}

/** One CSV record with its `\n` terminator. */
export function csvLine(fields: readonly string[]): string {
  let out = '';
  for (let i = 0; i < fields.length; i++) {
    if (i > 0) out += ',';
    out += csvField(fields[i] as string);
  }
  return out + '\n';
}

const FLUSH_AT = 64 * 1024;

/**
 * Buffered CSV file writer (UTF-8, no BOM, `\n`) that honours stream backpressure: rows are
 * collected into ~64 KiB chunks, and `flushIfNeeded` waits for 'drain' when the stream is full,
 * so a million-line file never sits in memory as one string.
 */
export class CsvFileWriter {
  private readonly stream: WriteStream;
  private chunks: string[] = [];
  private pending = 0;
  private failure: Error | null = null;
  /** Physical lines written so far, header included (the next row's line number is lines + 1). */
  lines = 0;

  constructor(
    readonly path: string,
    header: readonly string[],
  ) {
    this.stream = createWriteStream(path, { encoding: 'utf8' });
    this.stream.on('error', (err) => {
      this.failure = err;
    });
    this.writeLine(csvLine(header));
  }

  /** Appends an already-serialised record (from `csvLine`) and returns its physical line number. */
  writeLine(line: string): number {
    this.chunks.push(line);
    this.pending += line.length;
    // Our fields never contain CR/LF, so one record is exactly one physical line.
    this.lines++;
    return this.lines;
  }

  writeRow(fields: readonly string[]): number {
    return this.writeLine(csvLine(fields));
  }

  /** Hands the buffer to the stream once it is large enough; waits while the stream is saturated. */
  async flushIfNeeded(): Promise<void> {
    if (this.pending >= FLUSH_AT) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.chunks.length === 0) return;
    const data = this.chunks.join('');
    this.chunks = [];
    this.pending = 0;
    if (!this.stream.write(data)) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = (): void => {
          this.stream.off('error', onError);
          resolve();
        };
        const onError = (err: Error): void => {
          this.stream.off('drain', onDrain);
          reject(err);
        };
        this.stream.once('drain', onDrain);
        this.stream.once('error', onError);
      });
    }
  }

  async close(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve, reject) => {
      this.stream.end((err?: Error | null) => (err ? reject(err) : resolve()));
    });
    if (this.failure) throw this.failure;
  }
}
