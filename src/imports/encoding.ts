import { open } from 'node:fs/promises';
import { Transform, TransformCallback } from 'node:stream';
import iconv from 'iconv-lite';

export type FileEncoding = 'utf8' | 'gb18030';

export class UnsupportedEncodingError extends Error {}

const SAMPLE_BYTES = 1024 * 1024;

function hasUtf16Bom(b: Uint8Array): boolean {
  return (b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff);
}

/**
 * Tells UTF-8 (with or without BOM) from GB18030/GBK, the two encodings of the contract. A sample
 * that decodes as strict UTF-8 is UTF-8: GBK text of any length is almost never valid UTF-8, while
 * a GB18030 decoder accepts nearly any byte sequence, so the strict check must come first.
 */
export function detectEncoding(sample: Uint8Array): FileEncoding {
  if (sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf) return 'utf8';
  if (hasUtf16Bom(sample)) {
    throw new UnsupportedEncodingError('is UTF-16 encoded; save it as CSV in UTF-8 or GB18030 (Excel: "CSV UTF-8")');
  }
  try {
    // stream: true tolerates a multi-byte character cut at the end of the sample.
    new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: true });
    return 'utf8';
  } catch {
    return 'gb18030';
  }
}

/** Reads the start of a file and detects its encoding (a pure-ASCII start says utf8). */
export async function detectFileEncoding(path: string): Promise<FileEncoding> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(SAMPLE_BYTES);
    const { bytesRead } = await fh.read(buf, 0, SAMPLE_BYTES, 0);
    return detectEncoding(buf.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

const DECIDE_BYTES = 64 * 1024;

/**
 * Decodes a byte stream to text, deciding the encoding where it can be decided: ASCII reads the
 * same in both, so the choice waits for the first non-ASCII bytes (a GBK file may hold only codes
 * and numbers for its first megabytes) and is made on the 64 KB that follow them.
 */
export class DetectingDecoder extends Transform {
  private decoder?: { write(b: Buffer): string; end(): string | undefined };
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private started = false;
  encoding?: FileEncoding;

  constructor(private readonly onDecided?: (e: FileEncoding) => void) {
    super({ decodeStrings: true, encoding: 'utf8' });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
    try {
      if (!this.started) {
        this.started = true;
        if (hasUtf16Bom(chunk)) throw new UnsupportedEncodingError('is UTF-16 encoded; save it as CSV in UTF-8 or GB18030 (Excel: "CSV UTF-8")');
      }
      if (this.decoder) return cb(null, this.decoder.write(chunk));
      if (this.pendingBytes === 0) {
        const firstHigh = chunk.findIndex((b) => b >= 0x80);
        if (firstHigh < 0) return cb(null, chunk.toString('latin1'));
        this.push(chunk.subarray(0, firstHigh).toString('latin1'));
        chunk = chunk.subarray(firstHigh);
      }
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.pendingBytes >= DECIDE_BYTES) this.decide();
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  override _flush(cb: TransformCallback) {
    if (!this.decoder && this.pendingBytes > 0) this.decide();
    cb(null, this.decoder?.end() ?? '');
  }

  private decide() {
    const sample = Buffer.concat(this.pending);
    this.encoding = detectEncoding(sample);
    this.onDecided?.(this.encoding);
    this.decoder = iconv.getDecoder(this.encoding === 'utf8' ? 'utf8' : 'gb18030', { stripBOM: true });
    this.pending = [];
    this.push(this.decoder.write(sample));
  }
}
