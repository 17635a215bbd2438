// The vector index file: usearch's own serialisation (matrix, 64-byte header, HNSW graph)
// followed by a leindex trailer (parameters, churn counters, CRC-32s). Checks a file before
// usearch touches it, because usearch trusts its input: a flipped byte in a neighbour list
// is a segfault at search time. Reads and seals files with small chunked reads (no heap
// growth by file size). Any thread; synchronous fs.

import {
  closeSync,
  fstatSync,
  fsyncSync,
  openSync,
  readSync,
  statSync,
  writeSync,
  type BigIntStats,
} from 'node:fs';
import { createRequire } from 'node:module';
import { describeError, LeindexError } from '../errors.js';
import { bytesPerScalar, type VectorQuantization } from './options.js';

/** Layout constants of usearch 2.x's dense index (include/usearch/index_dense.hpp, index.hpp). */
const MATRIX_HEAD_BYTES = 8; // u32 rows, u32 bytes per row
const DENSE_HEAD_BYTES = 64;
const GRAPH_HEAD_BYTES = 40; // u64 size, connectivity, connectivity_base, max_level, entry_slot
const NODE_HEAD_BYTES = 10; // u64 key, i16 level
const SLOT_BYTES = 4; // u32 compressed slots; every neighbour list also starts with a u32 count
const USEARCH_MAJOR = 2;
const METRIC_COS = 0x63; // 'c'
const KIND_U64 = 14;
const KIND_U32 = 15;
const SCALAR_CODE: Record<VectorQuantization, number> = { i8: 23, f16: 12, f32: 11 };
/** usearch marks a removed slot with the all-ones key. */
export const FREE_KEY = 0xffff_ffff_ffff_ffffn;

const TRAILER_MAGIC = 'LEIVECT1';
const TRAILER_VERSION = 1;
export const TRAILER_BYTES = 96;
const CHUNK = 1 << 20;

/** What the trailer records beyond usearch's own header. */
export interface TrailerFields {
  readonly expansionAdd: number;
  readonly expansionSearch: number;
  /** Live vectors right after the last full build. */
  readonly builtSize: number;
  /** Vectors removed or replaced since the last full build. */
  readonly churn: number;
}

export interface VectorFileInfo extends TrailerFields {
  readonly path: string;
  readonly fileBytes: number;
  readonly dim: number;
  readonly quantization: VectorQuantization;
  readonly connectivity: number;
  /** Slots in the graph, live or removed. */
  readonly rows: number;
  readonly present: number;
  /** Removed slots not yet reused. */
  readonly tombstones: number;
  readonly rowBytes: number;
  /** Offset of usearch's 64-byte header (= end of the vector matrix). */
  readonly headOffset: number;
  /** Offset of the i16 level of every node; the nodes follow. */
  readonly levelsOffset: number;
  /** Bytes of a node at level 0, and extra bytes per level above it. */
  readonly baseNodeBytes: number;
  readonly levelNodeBytes: number;
}

/** How much of a file to check on open: layout only, plus graph CRC, plus vectors CRC. */
export type VerifyMode = 'layout' | 'graph' | 'full';

/**
 * What a sealed file looked like on disk when its writer had just checked it (stamped after
 * the rename that published it): device, inode, size and change times to the nanosecond,
 * and the graph CRC its trailer records. An open in 'graph' mode that finds the file exactly
 * so skips re-reading the graph for its CRC (the ~17 MB read that was 15-40 ms of a cold
 * search); any write, truncation or replacement through the filesystem changes the ctime,
 * and then the CRC is checked as before. Stored in the generation's info record (strings:
 * the values exceed 2^53).
 */
export interface VectorFileStamp {
  readonly dev: string;
  readonly ino: string;
  readonly size: number;
  readonly mtimeNs: string;
  readonly ctimeNs: string;
  readonly graphCrc: number;
}

const REBUILD_HINT = 'run `leindex index --rebuild` to rebuild the vector index';

function corrupt(path: string, what: string): LeindexError {
  return new LeindexError('E_STORE_CORRUPT', `vector index ${path}: ${what}`, { hint: REBUILD_HINT });
}

export function openForRead(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new LeindexError('E_INDEX_MISSING', `no vector index at ${path}`, {
        hint: 'run `leindex index` to build it',
        cause: err,
      });
    }
    throw new LeindexError('E_IO', `cannot open vector index ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

export function readAt(fd: number, offset: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, offset + got);
    if (n === 0) break;
    got += n;
  }
  return got === length ? buf : buf.subarray(0, got);
}

/** CRC-32 of bytes [from, to) of a file, read in 1 MiB chunks. */
function crcRange(fd: number, from: number, to: number): number {
  const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(to - from, 1)));
  let crc = 0;
  for (let pos = from; pos < to;) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, to - pos), pos);
    if (n === 0) break;
    crc = crc32(buf.subarray(0, n), crc);
    pos += n;
  }
  return crc;
}

/**
 * Checks the usearch part of a file (`payloadBytes` long) against what a well-formed index
 * of that shape must look like, down to its exact length, without trusting any count
 * before it is bounded by the file size. `levels` false skips reading every node's level
 * (for a file its stamp vouches for, whose layout was checked when it was sealed: the
 * loop over 116k levels was 5-10 ms of a cold search, most of it in V8's interpreter).
 */
function readLayout(
  fd: number,
  path: string,
  payloadBytes: number,
  levels = true,
): Omit<VectorFileInfo, keyof TrailerFields> {
  const fail = (what: string): never => {
    throw corrupt(path, what);
  };
  if (payloadBytes < MATRIX_HEAD_BYTES + DENSE_HEAD_BYTES + GRAPH_HEAD_BYTES) fail('file too short');
  const mh = readAt(fd, 0, MATRIX_HEAD_BYTES);
  const rows = mh.readUInt32LE(0);
  const rowBytes = mh.readUInt32LE(4);
  const headOffset = MATRIX_HEAD_BYTES + rows * rowBytes;
  if (headOffset + DENSE_HEAD_BYTES + GRAPH_HEAD_BYTES + rows * 2 > payloadBytes)
    fail('vector matrix exceeds the file');

  const h = readAt(fd, headOffset, DENSE_HEAD_BYTES);
  if (h.toString('latin1', 0, 7) !== 'usearch') fail('bad usearch header magic');
  if (h.readUInt16LE(7) !== USEARCH_MAJOR)
    fail(`usearch format ${h.readUInt16LE(7)}.x, expected ${USEARCH_MAJOR}.x`);
  if (h[13] !== METRIC_COS || h[15] !== KIND_U64 || h[16] !== KIND_U32)
    fail('not a cosine index with u64 keys');
  const quantization = (Object.keys(SCALAR_CODE) as VectorQuantization[]).find(
    (q) => SCALAR_CODE[q] === h[14],
  );
  if (!quantization) fail(`unsupported scalar kind ${h[14]}`);
  const q = quantization as VectorQuantization;
  const present = Number(h.readBigUInt64LE(17));
  const tombstones = Number(h.readBigUInt64LE(25));
  const dim = Number(h.readBigUInt64LE(33));
  if (h[41] !== 0) fail('multi-vector index');
  if (dim < 1 || dim > 65536 || dim * bytesPerScalar(q) !== rowBytes)
    fail('dimensions disagree with the row size');
  if (present + tombstones !== rows) fail('live and removed counts disagree with the row count');

  const g = readAt(fd, headOffset + DENSE_HEAD_BYTES, GRAPH_HEAD_BYTES);
  const size = Number(g.readBigUInt64LE(0));
  const connectivity = Number(g.readBigUInt64LE(8));
  const connectivityBase = Number(g.readBigUInt64LE(16));
  const maxLevel = Number(g.readBigUInt64LE(24));
  const entry = Number(g.readBigUInt64LE(32));
  if (size !== rows) fail('graph size disagrees with the row count');
  if (connectivity < 2 || connectivity > 1024 || connectivityBase < connectivity || connectivityBase > 2048)
    fail('implausible connectivity');
  if (rows > 0 && (maxLevel > 64 || entry >= rows)) fail('bad entry point');

  const levelsOffset = headOffset + DENSE_HEAD_BYTES + GRAPH_HEAD_BYTES;
  const baseNodeBytes = NODE_HEAD_BYTES + SLOT_BYTES * (connectivityBase + 1);
  const levelNodeBytes = SLOT_BYTES * (connectivity + 1);
  let end = levels ? levelsOffset + rows * 2 : payloadBytes;
  for (let from = 0; levels && from < rows; from += CHUNK / 2) {
    const n = Math.min(CHUNK / 2, rows - from);
    const lv = readAt(fd, levelsOffset + from * 2, n * 2);
    if (lv.length !== n * 2) fail('truncated node levels');
    // An Int16Array over the chunk where it can be (a readInt16LE call per node was most of
    // a cold open's ~20 ms layout check; 116k nodes on the corpus).
    const levels =
      LITTLE_ENDIAN && lv.byteOffset % 2 === 0
        ? new Int16Array(lv.buffer, lv.byteOffset, n)
        : Int16Array.from({ length: n }, (_, i) => lv.readInt16LE(i * 2));
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const level = levels[i]!;
      if (level < 0 || level > maxLevel) fail(`node ${from + i} has level ${level}`);
      sum += level;
    }
    end += n * baseNodeBytes + sum * levelNodeBytes;
  }
  if (end !== payloadBytes) fail(`graph ends at byte ${end}, file has ${payloadBytes}`);
  return {
    path,
    fileBytes: payloadBytes + TRAILER_BYTES,
    dim,
    quantization: q,
    connectivity,
    rows,
    present,
    tombstones,
    rowBytes,
    headOffset,
    levelsOffset,
    baseNodeBytes,
    levelNodeBytes,
  };
}

/**
 * Validates a vector index file and returns its description, or throws E_INDEX_MISSING /
 * E_STORE_CORRUPT. `verify` chooses how far (VerifyMode); 'graph' and 'full' read that much
 * of the file once (into the page cache, not the heap).
 */
export function inspectVectorFile(
  path: string,
  verify: VerifyMode,
  expectDim?: number,
  stamp?: VectorFileStamp,
): VectorFileInfo {
  const fd = openForRead(path);
  try {
    const st = fstatSync(fd, { bigint: true });
    const fileBytes = Number(st.size);
    if (fileBytes < TRAILER_BYTES) throw corrupt(path, `${fileBytes} bytes is too short to be an index`);
    const t = readAt(fd, fileBytes - TRAILER_BYTES, TRAILER_BYTES);
    if (t.toString('latin1', 0, 8) !== TRAILER_MAGIC) throw corrupt(path, 'no leindex trailer (truncated?)');
    if (crc32(t.subarray(0, TRAILER_BYTES - 4)) !== t.readUInt32LE(TRAILER_BYTES - 4))
      throw corrupt(path, 'damaged trailer');
    if (t.readUInt32LE(8) !== TRAILER_VERSION) throw corrupt(path, `trailer version ${t.readUInt32LE(8)}`);
    const payloadBytes = t.readDoubleLE(64);
    if (payloadBytes !== fileBytes - TRAILER_BYTES)
      throw corrupt(path, 'length differs from the one recorded');
    const graphCrc = t.readUInt32LE(72);
    const vouched = verify === 'graph' && stamp !== undefined && stampMatches(stamp, st, graphCrc);
    const layout = readLayout(fd, path, payloadBytes, !vouched);
    if (t.readUInt32LE(12) !== layout.dim || t.readUInt32LE(16) !== SCALAR_CODE[layout.quantization])
      throw corrupt(path, 'trailer disagrees with the usearch header');
    if (expectDim !== undefined && layout.dim !== expectDim) {
      throw new LeindexError(
        'E_STORE_CORRUPT',
        `vector index ${path} holds ${layout.dim}-d vectors, the embedding model makes ${expectDim}-d`,
        { hint: REBUILD_HINT },
      );
    }
    if (verify !== 'layout' && !vouched && crcRange(fd, layout.headOffset, payloadBytes) !== graphCrc)
      throw corrupt(path, 'graph checksum mismatch');
    if (verify === 'full' && crcRange(fd, 0, layout.headOffset) !== t.readUInt32LE(76))
      throw corrupt(path, 'vector checksum mismatch');
    return {
      ...layout,
      expansionAdd: t.readUInt32LE(20),
      expansionSearch: t.readUInt32LE(24),
      builtSize: t.readDoubleLE(32),
      churn: t.readDoubleLE(40),
    };
  } catch (err) {
    if (err instanceof LeindexError) throw err;
    throw new LeindexError('E_IO', `cannot read vector index ${path}: ${describeError(err)}`, {
      hint: 'check that the path is a file leindex can read',
      cause: err,
    });
  } finally {
    closeSync(fd);
  }
}

function stampMatches(stamp: VectorFileStamp, st: BigIntStats, graphCrc: number): boolean {
  return (
    stamp.graphCrc === graphCrc &&
    stamp.size === Number(st.size) &&
    stamp.ino === String(st.ino) &&
    stamp.dev === String(st.dev) &&
    stamp.mtimeNs === String(st.mtimeNs) &&
    stamp.ctimeNs === String(st.ctimeNs)
  );
}

/**
 * The stamp of a sealed file as it is now (see VectorFileStamp): taken by the writer right
 * after publishing a file whose layout and CRCs it has just computed.
 */
export function stampVectorFile(path: string): VectorFileStamp {
  const st = statSync(path, { bigint: true });
  const fd = openForRead(path);
  try {
    const t = readAt(fd, Number(st.size) - TRAILER_BYTES, TRAILER_BYTES);
    if (t.length !== TRAILER_BYTES || t.toString('latin1', 0, 8) !== TRAILER_MAGIC)
      throw corrupt(path, 'no leindex trailer (truncated?)');
    return {
      dev: String(st.dev),
      ino: String(st.ino),
      size: Number(st.size),
      mtimeNs: String(st.mtimeNs),
      ctimeNs: String(st.ctimeNs),
      graphCrc: t.readUInt32LE(72),
    };
  } finally {
    closeSync(fd);
  }
}

/**
 * Appends the trailer to a file usearch just saved (checking its layout on the way, so a
 * usearch format change fails at save, not at the next open) and fsyncs it.
 */
export function sealVectorFile(path: string, fields: TrailerFields): VectorFileInfo {
  const fd = openSync(path, 'r+');
  try {
    const payloadBytes = fstatSync(fd).size;
    const layout = readLayout(fd, path, payloadBytes);
    const t = Buffer.alloc(TRAILER_BYTES);
    t.write(TRAILER_MAGIC, 0, 'latin1');
    t.writeUInt32LE(TRAILER_VERSION, 8);
    t.writeUInt32LE(layout.dim, 12);
    t.writeUInt32LE(SCALAR_CODE[layout.quantization], 16);
    t.writeUInt32LE(fields.expansionAdd, 20);
    t.writeUInt32LE(fields.expansionSearch, 24);
    t.writeDoubleLE(fields.builtSize, 32);
    t.writeDoubleLE(fields.churn, 40);
    t.writeDoubleLE(payloadBytes, 64);
    t.writeUInt32LE(crcRange(fd, layout.headOffset, payloadBytes), 72);
    t.writeUInt32LE(crcRange(fd, 0, layout.headOffset), 76);
    t.writeUInt32LE(crc32(t.subarray(0, TRAILER_BYTES - 4)), TRAILER_BYTES - 4);
    writeSync(fd, t, 0, TRAILER_BYTES, payloadBytes);
    fsyncSync(fd);
    return { ...layout, ...fields };
  } finally {
    closeSync(fd);
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

const require = createRequire(import.meta.url);
type Crc = (data: Uint8Array, value?: number) => number;
let nativeCrc: Crc | null | undefined;
/** Below this many bytes the table CRC is used: a stamped open checks only the trailer. */
const NATIVE_CRC_FROM = 64 * 1024;
let table: Uint32Array | undefined;
function crc32(data: Uint8Array, value = 0): number {
  // node:zlib is loaded only for a large checksum: loading it was ~7 ms of every cold search,
  // which (with a stamped vector file) checksums only the 100-byte trailer. zlib.crc32
  // arrived in Node 20.15; the table CRC (same polynomial) keeps 20.10+ working.
  if (data.length >= NATIVE_CRC_FROM) {
    nativeCrc ??= (require('node:zlib') as { crc32?: Crc }).crc32 ?? null;
    if (nativeCrc) return nativeCrc(data, value);
  }
  table ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let c = ~value >>> 0;
  for (const byte of data) c = (table[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
  return ~c >>> 0;
}
