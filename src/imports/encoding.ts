import { open } from 'node:fs/promises';

export type FileEncoding = 'utf8' | 'gb18030';

export class UnsupportedEncodingError extends Error {}

const SAMPLE_BYTES = 1024 * 1024;

/**
 * Tells UTF-8 (with or without BOM) from GB18030/GBK, the two encodings of the contract. A sample
 * that decodes as strict UTF-8 is UTF-8: GBK text of any length is almost never valid UTF-8, while
 * a GB18030 decoder accepts nearly any byte sequence, so the strict check must come first.
 */
export function detectEncoding(sample: Uint8Array): FileEncoding {
  if (sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf) return 'utf8';
  if ((sample[0] === 0xff && sample[1] === 0xfe) || (sample[0] === 0xfe && sample[1] === 0xff)) {
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

/** Reads the start of a file and detects its encoding. */
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
