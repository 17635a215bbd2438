// Binary codecs for what the store keeps as blobs: a set of named typed-array columns in one
// value, and a string table as offsets + a UTF-8 pool. lmdb-js's msgpack encoding does not
// round-trip typed arrays, and columns this size are cheaper as raw bytes anyway.
// Runs on the coordinator thread (and in readers); pure functions, no I/O.

import { isAscii } from 'node:buffer';

export type Column = Int32Array | Uint32Array | Uint8Array | Float64Array | Float32Array | Uint16Array;

type TypeCode = 'i32' | 'u32' | 'u8' | 'f64' | 'f32' | 'u16';

function typeCode(col: Column): TypeCode {
  if (col instanceof Int32Array) return 'i32';
  if (col instanceof Uint32Array) return 'u32';
  if (col instanceof Uint8Array) return 'u8';
  if (col instanceof Float64Array) return 'f64';
  if (col instanceof Float32Array) return 'f32';
  return 'u16';
}

function makeColumn(code: TypeCode, buf: ArrayBuffer, byteOffset: number, length: number): Column {
  switch (code) {
    case 'i32':
      return new Int32Array(buf, byteOffset, length);
    case 'u32':
      return new Uint32Array(buf, byteOffset, length);
    case 'u8':
      return new Uint8Array(buf, byteOffset, length);
    case 'f64':
      return new Float64Array(buf, byteOffset, length);
    case 'f32':
      return new Float32Array(buf, byteOffset, length);
    case 'u16':
      return new Uint16Array(buf, byteOffset, length);
  }
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const COLUMNS_MAGIC = 0x314c4f43; // 'COL1'

/**
 * Layout: u32 magic, u32 headerBytes, header JSON (names, types, lengths), then each column
 * 8-byte aligned.
 */
export function encodeColumns(columns: Record<string, Column>): Uint8Array {
  const entries = Object.entries(columns);
  const meta = entries.map(([name, col]) => [name, typeCode(col), col.length] as const);
  const header = enc.encode(JSON.stringify(meta));
  let size = align8(8 + header.length);
  for (const [, col] of entries) size = align8(size + col.byteLength);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, COLUMNS_MAGIC, true);
  view.setUint32(4, header.length, true);
  out.set(header, 8);
  let off = align8(8 + header.length);
  for (const [, col] of entries) {
    out.set(new Uint8Array(col.buffer, col.byteOffset, col.byteLength), off);
    off = align8(off + col.byteLength);
  }
  return out;
}

/**
 * The columns of an encodeColumns blob. By default they are views into a copy (store reads
 * may be unaligned views into a reused buffer that the next read overwrites); `owned` says
 * the caller owns `bytes` (IndexReader.blob's copies), so 8-aligned bytes are viewed in place.
 */
export function decodeColumns(bytes: Uint8Array, owned = false): Record<string, Column> {
  let own = bytes;
  if (!owned || bytes.byteOffset % 8 !== 0) {
    own = new Uint8Array(bytes.byteLength);
    own.set(bytes);
  }
  const view = new DataView(own.buffer, own.byteOffset, own.byteLength);
  if (own.byteLength < 8 || view.getUint32(0, true) !== COLUMNS_MAGIC) throw new Error('not a column blob');
  const headerLen = view.getUint32(4, true);
  const meta = JSON.parse(dec.decode(own.subarray(8, 8 + headerLen))) as [string, TypeCode, number][];
  const out: Record<string, Column> = {};
  let off = align8(8 + headerLen);
  for (const [name, code, length] of meta) {
    const col = makeColumn(code, own.buffer as ArrayBuffer, own.byteOffset + off, length);
    out[name] = col;
    off = align8(off + col.byteLength);
  }
  return out;
}

/**
 * A string table: u32 count, u32 offsets[count + 1], UTF-8 pool. Sized with byteLength and
 * written in place: per-string TextEncoder calls allocated a buffer each and were 8% of a
 * merge of the benchmark corpus.
 */
export function encodeStrings(strings: readonly string[]): Uint8Array {
  const n = strings.length;
  const head = 4 + 4 * (n + 1);
  let pool = 0;
  for (const s of strings) pool += Buffer.byteLength(s, 'utf8');
  const out = Buffer.allocUnsafe(head + pool);
  out.writeUInt32LE(n, 0);
  let off = 0;
  for (let i = 0; i < n; i++) {
    out.writeUInt32LE(off, 4 + 4 * i);
    off += out.write(strings[i] ?? '', head + off, 'utf8');
  }
  out.writeUInt32LE(off, 4 + 4 * n);
  return out;
}

export function decodeStrings(bytes: Uint8Array): string[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = buf.readUInt32LE(0);
  const base = 4 + 4 * (n + 1);
  const off = offsetsOf(buf, n);
  const out = new Array<string>(n);
  const end = base + (off[n] ?? 0);
  if (end <= buf.byteLength && isAscii(buf.subarray(base, end))) {
    // An ASCII pool (paths, hashes, almost every identifier): one decode of the pool, sliced
    // per string (byte offsets are character offsets).
    const all = buf.toString('latin1', base, end);
    for (let i = 0; i < n; i++) out[i] = all.slice(off[i], off[i + 1]);
    return out;
  }
  for (let i = 0; i < n; i++) out[i] = buf.toString('utf8', base + off[i]!, base + off[i + 1]!);
  return out;
}

/**
 * The n + 1 offsets of a string table as a Uint32Array: a view when aligned, else a copy.
 * Buffer.readUInt32LE per offset ran as interpreted code in a fresh process (~1 µs each:
 * ~13 ms for a 7.6k-path file table).
 */
function offsetsOf(buf: Buffer, n: number): Uint32Array {
  if (LITTLE_ENDIAN && (buf.byteOffset + 4) % 4 === 0)
    return new Uint32Array(buf.buffer, buf.byteOffset + 4, n + 1);
  const out = new Uint32Array(n + 1);
  for (let i = 0; i <= n; i++) out[i] = buf.readUInt32LE(4 + 4 * i);
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function align8(n: number): number {
  return (n + 7) & ~7;
}

/**
 * A string table read in place: strings are decoded on first access, so a reader that needs
 * a few hundred of a million strings never decodes the rest (a cold search's budget).
 */
export class LazyStrings {
  readonly length: number;
  private readonly buf: Buffer;
  private readonly base: number;
  /**
   * Strings decoded so far. A Map, not an array of `length` slots: a query reads a few
   * thousand of the corpus's 160k strings, and the holey array cost ~2 ms and 320 page
   * faults (1.3 MB of fresh memory) to make in a cold search.
   */
  private readonly cache = new Map<number, string>();

  private readonly offsets: Uint32Array;

  constructor(bytes: Uint8Array) {
    this.buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.length = this.buf.readUInt32LE(0);
    this.base = 4 + 4 * (this.length + 1);
    this.offsets = offsetsOf(this.buf, this.length);
  }

  get(i: number): string | undefined {
    if (i < 0 || i >= this.length) return undefined;
    let s = this.cache.get(i);
    if (s === undefined) {
      s = this.buf.toString('utf8', this.base + this.offsets[i]!, this.base + this.offsets[i + 1]!);
      this.cache.set(i, s);
    }
    return s;
  }
}
