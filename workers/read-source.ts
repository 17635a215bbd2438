// Reads one source file the way the index sees it: size limit, binary / minified / generated
// detection, BOM and UTF-16 handling, lossy UTF-8 decoding, and the content hash.
// Runs inside parse workers (and on the main thread in the serial path and tests).

import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { LanguageId, SkipReason } from '../src/protocol.js';

export type SourceRead =
  | {
      readonly ok: true;
      readonly text: string;
      readonly size: number;
      readonly mtimeMs: number;
      readonly contentHash: string;
      readonly lossyDecode: boolean;
      readonly hadBom: boolean;
      readonly utf16: boolean;
    }
  | { readonly ok: false; readonly reason: SkipReason; readonly detail: string; readonly size: number };

/** Bytes sniffed for NUL to call a file binary (the same window git uses). */
const BINARY_SNIFF_BYTES = 8000;
/** A file with any line longer than this, or an average line longer than MINIFIED_AVG_LINE, is minified. */
const MINIFIED_MAX_LINE = 5000;
const MINIFIED_AVG_LINE = 300;
/** Only the head of a file is searched for a generated-code marker, as tools put it there. */
const GENERATED_SNIFF_CHARS = 1024;
const GENERATED_MARKER = /@generated\b|\bDO NOT EDIT\b|\bauto-?generated\b|\bautomatically generated\b/i;

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });
const utf8Lossy = new TextDecoder('utf-8');
const utf16le = new TextDecoder('utf-16le');
const utf16be = new TextDecoder('utf-16be');

export interface ReadOptions {
  readonly maxFileBytes: number;
  /** Skip files that look minified (default true). */
  readonly skipMinified?: boolean;
  /** Skip files that carry a generated-code marker (default true). */
  readonly skipGenerated?: boolean;
}

export function readSource(absPath: string, language: LanguageId, options: ReadOptions): SourceRead {
  let bytes: Buffer;
  let mtimeMs: number;
  try {
    const st = statSync(absPath);
    if (!st.isFile()) return { ok: false, reason: 'not-a-file', detail: 'not a regular file', size: 0 };
    if (st.size > options.maxFileBytes) {
      return tooLarge(st.size, options.maxFileBytes);
    }
    mtimeMs = st.mtimeMs;
    bytes = readFileSync(absPath);
  } catch (err) {
    return ioSkip(err);
  }
  // The file may have grown between stat and read.
  if (bytes.length > options.maxFileBytes) return tooLarge(bytes.length, options.maxFileBytes);

  let text: string;
  let lossyDecode = false;
  let hadBom = false;
  let utf16 = false;
  if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    text = utf16le.decode(bytes.subarray(2));
    hadBom = utf16 = true;
  } else if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    text = utf16be.decode(bytes.subarray(2));
    hadBom = utf16 = true;
  } else {
    const sniff = bytes.subarray(0, BINARY_SNIFF_BYTES);
    if (sniff.includes(0))
      return { ok: false, reason: 'binary', detail: 'NUL byte in the first 8000 bytes', size: bytes.length };
    let body = bytes;
    if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
      body = bytes.subarray(3);
      hadBom = true;
    }
    try {
      text = utf8Fatal.decode(body);
    } catch {
      text = utf8Lossy.decode(body);
      lossyDecode = true;
    }
  }

  if (options.skipMinified !== false) {
    const why = minifiedReason(text);
    if (why) return { ok: false, reason: 'minified', detail: why, size: bytes.length };
  }
  if (options.skipGenerated !== false) {
    const head = text.slice(0, GENERATED_SNIFF_CHARS);
    const m = GENERATED_MARKER.exec(head);
    if (m)
      return {
        ok: false,
        reason: 'generated',
        detail: `marker "${m[0]}" in the first lines`,
        size: bytes.length,
      };
  }

  const hash = createHash('sha1');
  hash.update(language);
  hash.update('\u0000');
  hash.update(bytes);
  return {
    ok: true,
    text,
    size: bytes.length,
    mtimeMs,
    contentHash: hash.digest('hex'),
    lossyDecode,
    hadBom,
    utf16,
  };
}

function tooLarge(size: number, limit: number): SourceRead {
  return { ok: false, reason: 'too-large', detail: `${size} bytes > limit ${limit}`, size };
}

function ioSkip(err: unknown): SourceRead {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR')
    return { ok: false, reason: 'vanished', detail: 'deleted while indexing', size: 0 };
  if (code === 'ELOOP') return { ok: false, reason: 'symlink-loop', detail: 'symbolic link loop', size: 0 };
  if (code === 'EISDIR') return { ok: false, reason: 'not-a-file', detail: 'is a directory', size: 0 };
  return {
    ok: false,
    reason: 'unreadable',
    detail: `${code ?? 'error'}: ${(err as Error).message}`,
    size: 0,
  };
}

/** Long lines are what make a file minified; scanning line lengths is cheap next to parsing. */
function minifiedReason(text: string): string | undefined {
  if (text.length < 2 * MINIFIED_MAX_LINE) return undefined;
  let lines = 1;
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    const end = nl === -1 ? text.length : nl;
    if (end - start > MINIFIED_MAX_LINE) return `a line of ${end - start} characters`;
    if (nl === -1) break;
    lines++;
    start = nl + 1;
  }
  const avg = text.length / lines;
  return avg > MINIFIED_AVG_LINE ? `average line length ${Math.round(avg)}` : undefined;
}
