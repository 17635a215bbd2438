// Binary codecs for what the store keeps as blobs: a set of named typed-array columns in one
// value, and a string table as offsets + a UTF-8 pool. lmdb-js's msgpack encoding does not
// round-trip typed arrays, and columns this size are cheaper as raw bytes anyway.
// Runs on the coordinator thread (and in readers); pure functions, no I/O.

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

export function decodeColumns(bytes: Uint8Array): Record<string, Column> {
  // Copy once into an aligned buffer we own: store reads may be unaligned views into a
  // reused buffer that the next read overwrites.
  const own = new Uint8Array(bytes.byteLength);
  own.set(bytes);
  const view = new DataView(own.buffer);
  if (own.byteLength < 8 || view.getUint32(0, true) !== COLUMNS_MAGIC) throw new Error('not a column blob');
  const headerLen = view.getUint32(4, true);
  const meta = JSON.parse(dec.decode(own.subarray(8, 8 + headerLen))) as [string, TypeCode, number][];
  const out: Record<string, Column> = {};
  let off = align8(8 + headerLen);
  for (const [name, code, length] of meta) {
    const col = makeColumn(code, own.buffer, off, length);
    out[name] = col;
    off = align8(off + col.byteLength);
  }
  return out;
}

/** A string table: u32 count, u32 offsets[count + 1], UTF-8 pool. */
export function encodeStrings(strings: readonly string[]): Uint8Array {
  const parts = strings.map((s) => enc.encode(s));
  const pool = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(4 + 4 * (strings.length + 1) + pool);
  const view = new DataView(out.buffer);
  view.setUint32(0, strings.length, true);
  let off = 0;
  let p = 4 + 4 * (strings.length + 1);
  for (let i = 0; i < parts.length; i++) {
    view.setUint32(4 + 4 * i, off, true);
    const part = parts[i] ?? new Uint8Array();
    out.set(part, p);
    p += part.length;
    off += part.length;
  }
  view.setUint32(4 + 4 * strings.length, off, true);
  return out;
}

export function decodeStrings(bytes: Uint8Array): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(0, true);
  const base = 4 + 4 * (n + 1);
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const a = view.getUint32(4 + 4 * i, true);
    const b = view.getUint32(8 + 4 * i, true);
    out[i] = dec.decode(bytes.subarray(base + a, base + b));
  }
  return out;
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
