// The lexical index of a generation, built at merge from the terms the parse workers put in
// each fragment (plus each file's path terms), and its encoding in the store: postings split
// into 2^bucketBits buckets by the top bits of the term hash, one store blob per bucket, so a
// query reads a few small blobs instead of the whole index.
//
// Incremental, LSM-style: a *base* segment (buckets, per-symbol lengths, and the file list it
// was built from: path, content hash, symbol range, doc count and length sum per file) is
// written by the generation that builds it and then kept, unchanged, by later generations that
// name it (info.lexicon.baseGeneration). Each later generation writes only a *delta*: the
// postings of the files whose content differs from the base (keyed by this generation's symbol
// ids), and a remap of the base's files to this generation's ids (a shift per file, or DEAD
// for a file that changed or went: the tombstones). Merge numbers symbols by path order, so an
// unchanged file keeps its rows but may shift; the remap absorbs that. BM25 statistics stay
// exact: doc count and length sum come from the per-file figures, and a per-term dead-count
// table (base postings of dead files, per term hash) gives df = base − dead + delta without
// reading postings. The table is kept incrementally: the previous generation's, plus the
// terms of base files that died since (their fragments, still stored for the previous
// generation), minus those of files restored to their base content.
// When the churn (delta symbols + dead base symbols) passes COMPACT_SHARE of the base, the
// generation builds a new base instead (in its own commit, like everything else).
// Coordinator thread (build); any (codec).

import { LeindexError } from '../errors.js';
import type { FragmentReader } from '../graph/fragment.js';
import type { IndexGraph } from '../graph/graph.js';
import { decodeColumns, decodeStrings, encodeColumns, encodeStrings } from '../store/codec.js';
import { PATH_WEIGHT, pathTerms, termHash } from './terms.js';

/** Base blobs: lengths per base symbol id, one blob per non-empty bucket, the base's files. */
export const LEX_LENGTHS_BLOB = 'lex.lengths';
export const LEX_BUCKET_PREFIX = 'lex.b.';
export const LEX_FILES_BLOB = 'lex.files';
export const LEX_FILE_PATHS_BLOB = 'lex.files.paths';
export const LEX_FILE_HASHES_BLOB = 'lex.files.hashes';
/** Delta blobs (a generation that reuses an earlier base): remap, buckets, lengths. */
export const LEX_REMAP_BLOB = 'lex.remap';
export const LEX_DELTA_PREFIX = 'lex.d.';
export const LEX_DELTA_LENGTHS_BLOB = 'lex.dlen';
/** Delta blob: base postings of dead files per term (hashes ascending, counts). */
export const LEX_DEAD_COUNTS_BLOB = 'lex.dead';
export const LEX_RECORD = 'lexicon';
/** The name index's base blobs start with this (src/search/names.ts); its delta's do not. */
export const LEX_NAMES_BASE_PREFIX = 'lex.names.';
/** A remap entry for a base file that changed or was deleted. */
export const LEX_DEAD = -0x80000000;
/**
 * Churn (symbols in the delta + dead base symbols) above this share of the base's symbols
 * compacts into a new base. A one-file edit costs O(symbols changed since the base); the
 * share bounds that at a tenth of a full build, and the compaction is one full build.
 */
export const COMPACT_SHARE = 0.1;

export interface LexiconInfo {
  /** The base's bucket bits. */
  bucketBits: number;
  /** Live symbols with at least one term (base alive + delta): exact, as a full build has it. */
  docCount: number;
  /** Mean weighted length of those symbols (BM25 length normalisation): exact. */
  avgLength: number;
  /** Distinct term hashes of the base. */
  termCount: number;
  /** Postings of the base. */
  postings: number;
  /** The generation whose base blobs this one reads (absent in older indexes: its own). */
  baseGeneration?: number;
  /** The delta over the base, when this generation did not build a new one. */
  delta?: LexiconDeltaInfo;
}

export interface LexiconDeltaInfo {
  bucketBits: number;
  /** Files whose postings are in the delta (new or changed since the base). */
  files: number;
  /** Symbols of those files. */
  symbols: number;
  postings: number;
  /** Base files that are dead here (changed or deleted), and their symbols. */
  deadFiles: number;
  deadSymbols: number;
}

/** The base's record of the files it was built from. */
export interface LexiconBase {
  paths: string[];
  hashes: string[];
  /** Base symbol id range per file (length files + 1). */
  starts: Int32Array;
  /** Symbols with terms per file. */
  docs: Int32Array;
  /** Sum of those symbols' lengths per file. */
  lengthSum: Float64Array;
}

export function decodeLexiconBase(cols: Uint8Array, paths: Uint8Array, hashes: Uint8Array): LexiconBase {
  const c = decodeColumns(cols);
  return {
    paths: decodeStrings(paths),
    hashes: decodeStrings(hashes),
    starts: c.starts as Int32Array,
    docs: c.docs as Int32Array,
    lengthSum: c.lengthSum as Float64Array,
  };
}

/** One bucket, decoded: terms ascending by hash, each with its postings (symbol ids ascending). */
export interface Bucket {
  hashes: Uint32Array;
  starts: Uint32Array;
  docs: Int32Array;
  /** Weighted term frequency × 2. */
  weights: Uint16Array;
}

/** Entries per chunk of Entries (64 Ki: 640 KB a chunk). */
const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK - 1;

/**
 * Growable struct-of-arrays of (hash, doc, weight) entries, in fixed-size chunks: growing
 * never copies, and at most one chunk is unused (a doubling array held up to 2x the
 * postings, 3x while it grew: 63 MB for the corpus's 2.7M postings, 27 MB now).
 */
class Entries {
  private readonly hashes: Uint32Array[] = [];
  private readonly docs: Int32Array[] = [];
  private readonly weights: Uint16Array[] = [];
  length = 0;
  push(h: number, d: number, w: number): void {
    const c = this.length >>> CHUNK_BITS;
    if (c === this.hashes.length) {
      this.hashes.push(new Uint32Array(CHUNK));
      this.docs.push(new Int32Array(CHUNK));
      this.weights.push(new Uint16Array(CHUNK));
    }
    const i = this.length & CHUNK_MASK;
    this.hashes[c]![i] = h;
    this.docs[c]![i] = d;
    this.weights[c]![i] = w;
    this.length++;
  }
  hash(k: number): number {
    return this.hashes[k >>> CHUNK_BITS]![k & CHUNK_MASK]!;
  }
  doc(k: number): number {
    return this.docs[k >>> CHUNK_BITS]![k & CHUNK_MASK]!;
  }
  weight(k: number): number {
    return this.weights[k >>> CHUNK_BITS]![k & CHUNK_MASK]!;
  }
}

/** Where collectFile puts a posting. */
interface PostingSink {
  push(hash: number, doc: number, weight: number): void;
}

/**
 * Adds one file's postings (its fragment's terms plus its path terms) under the graph's ids;
 * calls `doc(id, length)` for every symbol with at least one term.
 */
function collectFile(
  g: IndexGraph,
  file: number,
  fragment: FragmentReader,
  entries: PostingSink,
  rowHashes: Set<number>,
  doc: (id: number, length: number) => void,
): void {
  const base = g.files.symbolStart[file] ?? 0;
  const end = g.files.symbolStart[file + 1] ?? base;
  collectRows(g.files.relPath[file] ?? '', base, end, fragment, entries, rowHashes, doc);
}

/** collectFile for a file given by path and id range (a base file that is not in the graph). */
function collectRows(
  relPath: string,
  base: number,
  end: number,
  fragment: FragmentReader,
  entries: PostingSink,
  rowHashes: Set<number>,
  doc: (id: number, length: number) => void,
): void {
  const pathWeight = Math.round(PATH_WEIGHT * 2);
  const path = pathTerms(relPath).map(termHash);
  const { starts, hashes, weights } = fragment.terms();
  for (let id = base; id < end; id++) {
    const row = id - base;
    rowHashes.clear();
    let len = 0;
    const a = starts[row] ?? 0;
    const b = starts.length > 0 ? (starts[row + 1] ?? a) : a;
    for (let t = a; t < b; t++) {
      const h = hashes[t]!;
      if (rowHashes.has(h)) continue; // a hash collision inside one symbol: keep the first
      rowHashes.add(h);
      entries.push(h, id, weights[t]!);
      len += weights[t]!;
    }
    // The module row stands for the file: its path counts as its name.
    const pw = row === 0 ? pathWeight * 4 : pathWeight;
    for (const h of path) {
      if (rowHashes.has(h)) continue;
      rowHashes.add(h);
      entries.push(h, id, pw);
      len += pw;
    }
    if (len > 0) doc(id, len / 2);
  }
}

/** ~32 terms per bucket: a query term costs one small blob read. */
function bucketBitsFor(distinct: number, min: number): number {
  return Math.max(min, Math.min(16, Math.ceil(Math.log2(Math.max(1, distinct / 32)))));
}

export interface LexiconBuild {
  blobs: Record<string, Uint8Array>;
  info: LexiconInfo;
  /** True when this build wrote a new base (first build, compaction, or no usable base). */
  compacted: boolean;
  /** For a delta: the files (graph order) whose base postings are live, so only the rest are new. */
  covered?: Uint8Array;
}

/** The previous generation's base, as the next build needs it. */
export interface PreviousLexicon {
  info: LexiconInfo;
  /** The generation holding the base blobs. */
  generation: number;
  files: LexiconBase;
  /** The previous generation's remap (undefined: it is the base, every base file alive). */
  remap: Int32Array | undefined;
  /** The previous generation's dead counts per term hash (empty when it is the base). */
  dead: Map<number, number>;
  /** A stored fragment by content hash (the base content of a file that dies now). */
  fragment: (contentHash: string) => FragmentReader | undefined;
}

/**
 * Builds the lexicon of a merged graph for `generation`. `fragmentOf(file)` gives each file's
 * fragment (the ones merge just read). With `previous`, only the files whose content differs
 * from its base are read (a delta), unless the churn passes `compactShare`.
 */
export function buildLexicon(
  g: IndexGraph,
  fragmentOf: (file: number) => FragmentReader,
  opts: { generation: number; previous?: PreviousLexicon | undefined; compactShare?: number | undefined } = {
    generation: 0,
  },
): LexiconBuild {
  const prev = opts.previous;
  if (prev) {
    const delta = buildDelta(g, fragmentOf, prev, opts.compactShare ?? COMPACT_SHARE);
    if (delta) return delta;
  }
  return buildBase(g, fragmentOf, opts.generation);
}

function buildBase(
  g: IndexGraph,
  fragmentOf: (file: number) => FragmentReader,
  generation: number,
): LexiconBuild {
  const symbolTotal = g.symbols.kind.length;
  const fileCount = g.files.relPath.length;
  const lengths = new Float32Array(symbolTotal);
  const entries = new Entries();
  const rowHashes = new Set<number>();
  const fileDocs = new Int32Array(fileCount);
  const fileLengths = new Float64Array(fileCount);
  let docCount = 0;
  let lengthSum = 0;
  for (let file = 0; file < fileCount; file++) {
    collectFile(g, file, fragmentOf(file), entries, rowHashes, (id, len) => {
      lengths[id] = len;
      fileDocs[file]!++;
      fileLengths[file]! += len;
    });
    docCount += fileDocs[file]!;
    lengthSum += fileLengths[file]!;
  }
  const distinct = countDistinct(entries);
  const bucketBits = bucketBitsFor(distinct, 4);
  const blobs: Record<string, Uint8Array> = {
    [LEX_LENGTHS_BLOB]: new Uint8Array(lengths.buffer),
    [LEX_FILES_BLOB]: encodeColumns({
      starts: g.files.symbolStart.slice(0, fileCount + 1),
      docs: fileDocs,
      lengthSum: fileLengths,
    }),
    [LEX_FILE_PATHS_BLOB]: encodeStrings(g.files.relPath),
    [LEX_FILE_HASHES_BLOB]: encodeStrings(g.files.contentHash),
  };
  for (const [bucket, bytes] of encodeBuckets(entries, bucketBits))
    blobs[`${LEX_BUCKET_PREFIX}${bucket}`] = bytes;
  return {
    blobs,
    info: {
      bucketBits,
      docCount,
      avgLength: docCount > 0 ? lengthSum / docCount : 0,
      termCount: distinct,
      postings: entries.length,
      baseGeneration: generation,
    },
    compacted: true,
  };
}

/** The delta over `prev`'s base, or undefined when the churn calls for a new base. */
function buildDelta(
  g: IndexGraph,
  fragmentOf: (file: number) => FragmentReader,
  prev: PreviousLexicon,
  compactShare: number,
): LexiconBuild | undefined {
  const base = prev.files;
  const baseFiles = base.paths.length;
  const baseSymbols = base.starts[baseFiles] ?? 0;
  if (baseSymbols === 0) return undefined;
  const { relPath, contentHash, symbolStart } = g.files;
  const fileCount = relPath.length;
  const current = new Map<string, number>();
  for (let j = 0; j < fileCount; j++) current.set(relPath[j]!, j);
  // The remap: each base file's shift to this generation's ids, or DEAD.
  const remap = new Int32Array(baseFiles);
  const covered = new Uint8Array(fileCount);
  let docCount = 0;
  let lengthSum = 0;
  let deadFiles = 0;
  let deadSymbols = 0;
  for (let i = 0; i < baseFiles; i++) {
    const j = current.get(base.paths[i]!);
    const a = base.starts[i]!;
    const n = base.starts[i + 1]! - a;
    if (j !== undefined && contentHash[j] === base.hashes[i] && symbolStart[j + 1]! - symbolStart[j]! === n) {
      remap[i] = symbolStart[j]! - a;
      covered[j] = 1;
      docCount += base.docs[i]!;
      lengthSum += base.lengthSum[i]!;
    } else {
      remap[i] = LEX_DEAD;
      deadFiles++;
      deadSymbols += n;
    }
  }
  let deltaFiles = 0;
  let deltaSymbols = 0;
  for (let j = 0; j < fileCount; j++) {
    if (covered[j]) continue;
    deltaFiles++;
    deltaSymbols += symbolStart[j + 1]! - symbolStart[j]!;
  }
  if (deltaSymbols + deadSymbols > compactShare * baseSymbols) return undefined;
  const rowHashes = new Set<number>();
  const dead = deadCounts(prev, remap, current, g, fragmentOf, rowHashes);
  if (!dead) return undefined;
  const entries = new Entries();
  const ids: number[] = [];
  const lens: number[] = [];
  for (let j = 0; j < fileCount; j++) {
    if (covered[j]) continue;
    collectFile(g, j, fragmentOf(j), entries, rowHashes, (id, len) => {
      ids.push(id);
      lens.push(len);
      docCount++;
      lengthSum += len;
    });
  }
  const distinct = countDistinct(entries);
  const bucketBits = bucketBitsFor(distinct, 0);
  const blobs: Record<string, Uint8Array> = {
    [LEX_REMAP_BLOB]: new Uint8Array(remap.buffer),
    [LEX_DELTA_LENGTHS_BLOB]: encodeColumns({ ids: Int32Array.from(ids), lengths: Float32Array.from(lens) }),
    [LEX_DEAD_COUNTS_BLOB]: encodeDeadCounts(dead),
  };
  for (const [bucket, bytes] of encodeBuckets(entries, bucketBits))
    blobs[`${LEX_DELTA_PREFIX}${bucket}`] = bytes;
  return {
    blobs,
    info: {
      bucketBits: prev.info.bucketBits,
      docCount,
      avgLength: docCount > 0 ? lengthSum / docCount : 0,
      termCount: prev.info.termCount,
      postings: prev.info.postings,
      baseGeneration: prev.generation,
      delta: {
        bucketBits,
        files: deltaFiles,
        symbols: deltaSymbols,
        postings: entries.length,
        deadFiles,
        deadSymbols,
      },
    },
    compacted: false,
    covered,
  };
}

/**
 * This generation's dead counts: the previous generation's, plus the base postings of the
 * base files that died since (read from their stored fragments), minus those of files back
 * to their base content. Undefined when a dying file's fragment is gone (store damage): the
 * caller then builds a new base.
 */
function deadCounts(
  prev: PreviousLexicon,
  remap: Int32Array,
  current: ReadonlyMap<string, number>,
  g: IndexGraph,
  fragmentOf: (file: number) => FragmentReader,
  rowHashes: Set<number>,
): Map<number, number> | undefined {
  const base = prev.files;
  const dead = new Map(prev.dead);
  const noDoc = (): void => {};
  for (let i = 0; i < remap.length; i++) {
    const wasAlive = prev.remap ? prev.remap[i] !== LEX_DEAD : true;
    const alive = remap[i] !== LEX_DEAD;
    if (wasAlive === alive) continue;
    let fragment: FragmentReader | undefined;
    if (alive) fragment = fragmentOf(current.get(base.paths[i]!)!);
    else fragment = prev.fragment(base.hashes[i]!);
    if (!fragment) return undefined;
    const step = alive ? -1 : 1;
    const sink: PostingSink = {
      push(h) {
        const n = (dead.get(h) ?? 0) + step;
        if (n === 0) dead.delete(h);
        else dead.set(h, n);
      },
    };
    collectRows(base.paths[i]!, 0, base.starts[i + 1]! - base.starts[i]!, fragment, sink, rowHashes, noDoc);
  }
  return dead;
}

/** Dead counts as a blob: hashes ascending, counts (deterministic for the same history). */
function encodeDeadCounts(dead: ReadonlyMap<number, number>): Uint8Array {
  const hashes = Uint32Array.from(dead.keys()).sort();
  const counts = Int32Array.from(hashes, (h) => dead.get(h)!);
  return encodeColumns({ hashes, counts });
}

/** The dead counts of a delta generation, decoded (hashes ascending). */
export interface DeadCounts {
  hashes: Uint32Array;
  counts: Int32Array;
}

export function decodeDeadCounts(bytes: Uint8Array): DeadCounts {
  const c = decodeColumns(bytes);
  return { hashes: c.hashes as Uint32Array, counts: c.counts as Int32Array };
}

/** The dead count of `hash` (0 when absent). */
export function deadCountOf(d: DeadCounts, hash: number): number {
  let lo = 0;
  let hi = d.hashes.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const h = d.hashes[mid]!;
    if (h === hash) return d.counts[mid]!;
    if (h < hash) lo = mid + 1;
    else hi = mid - 1;
  }
  return 0;
}

function countDistinct(e: Entries): number {
  const seen = new Set<number>();
  for (let i = 0; i < e.length; i++) seen.add(e.hash(i));
  return seen.size;
}

export function bucketOf(hash: number, bucketBits: number): number {
  return bucketBits === 0 ? 0 : hash >>> (32 - bucketBits);
}

/** A bucket's entries sort by one float key: hash × 2^21 + position in the bucket (exact below 2^53). */
const POS_BITS = 21;
const POS_SPAN = 2 ** POS_BITS;

/**
 * Counting sort by bucket (stable: docs stay ascending), then per bucket by hash (and by
 * position, which keeps equal hashes in doc order): one typed-array sort of packed keys in a
 * scratch buffer reused by every bucket, instead of an array of numbers and a comparator each.
 */
function* encodeBuckets(e: Entries, bits: number): Generator<[number, Uint8Array]> {
  const nb = 1 << bits;
  const counts = new Int32Array(nb + 1);
  for (let i = 0; i < e.length; i++) counts[bucketOf(e.hash(i), bits) + 1]!++;
  let largest = 0;
  for (let b = 0; b < nb; b++) {
    largest = Math.max(largest, counts[b + 1]!);
    counts[b + 1]! += counts[b]!;
  }
  const order = new Int32Array(e.length);
  const fill = counts.slice(0, nb);
  for (let i = 0; i < e.length; i++) order[fill[bucketOf(e.hash(i), bits)]!++] = i;
  const keys = new Float64Array(largest);
  const idx = new Int32Array(largest);
  for (let b = 0; b < nb; b++) {
    const a = counts[b]!;
    const z = counts[b + 1]!;
    const n = z - a;
    if (n === 0) continue;
    if (n < POS_SPAN) {
      for (let j = 0; j < n; j++) keys[j] = e.hash(order[a + j]!) * POS_SPAN + j;
      const sorted = keys.subarray(0, n).sort();
      for (let j = 0; j < n; j++) {
        const key = sorted[j]!;
        idx[j] = order[a + (key - Math.floor(key / POS_SPAN) * POS_SPAN)]!;
      }
    } else {
      // A bucket too large for the packed key (2M postings of one hash range): compare.
      const all = Array.from(order.subarray(a, z));
      all.sort((x, y) => e.hash(x) - e.hash(y));
      idx.set(all);
    }
    yield [b, encodeBucket(e, idx.subarray(0, n))];
  }
}

/**
 * Bucket layout (little-endian): Uint32 n, Uint32 m, Uint32 hashes[n], Uint32 starts[n + 1],
 * Int32 docs[m], Uint16 weights[m] (padded to 4 bytes).
 */
function encodeBucket(e: Entries, idx: Int32Array): Uint8Array {
  let n = 0;
  for (let i = 0; i < idx.length; i++) if (i === 0 || e.hash(idx[i]!) !== e.hash(idx[i - 1]!)) n++;
  const m = idx.length;
  const words = 2 + n + n + 1 + m + Math.ceil(m / 2);
  const buf = new ArrayBuffer(words * 4);
  const u32 = new Uint32Array(buf);
  u32[0] = n;
  u32[1] = m;
  const hashes = u32.subarray(2, 2 + n);
  const starts = u32.subarray(2 + n, 3 + 2 * n);
  const docs = new Int32Array(buf, (3 + 2 * n) * 4, m);
  const weights = new Uint16Array(buf, (3 + 2 * n + m) * 4, m);
  let t = -1;
  for (let i = 0; i < m; i++) {
    const k = idx[i]!;
    const h = e.hash(k);
    if (t < 0 || hashes[t] !== h) {
      t++;
      hashes[t] = h;
      starts[t] = i;
    }
    docs[i] = e.doc(k);
    weights[i] = e.weight(k);
  }
  starts[n] = m;
  return new Uint8Array(buf);
}

export function decodeBucket(bytes: Uint8Array): Bucket {
  const own = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  const head = new Uint32Array(own.buffer, own.byteOffset, 2);
  const n = head[0]!;
  const m = head[1]!;
  const at = own.byteOffset;
  return {
    hashes: new Uint32Array(own.buffer, at + 8, n),
    starts: new Uint32Array(own.buffer, at + 8 + n * 4, n + 1),
    docs: new Int32Array(own.buffer, at + (3 + 2 * n) * 4, m),
    weights: new Uint16Array(own.buffer, at + (3 + 2 * n + m) * 4, m),
  };
}

/** The postings of `hash` in a decoded bucket, or undefined. */
export function postingsOf(
  bucket: Bucket,
  hash: number,
): { docs: Int32Array; weights: Uint16Array } | undefined {
  let lo = 0;
  let hi = bucket.hashes.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const h = bucket.hashes[mid]!;
    if (h === hash) {
      const a = bucket.starts[mid]!;
      const b = bucket.starts[mid + 1]!;
      return { docs: bucket.docs.subarray(a, b), weights: bucket.weights.subarray(a, b) };
    }
    if (h < hash) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

/** True for the blobs of a base segment (shared by later generations, never copied). */
export function isLexiconBaseBlob(name: string): boolean {
  return (
    name === LEX_LENGTHS_BLOB ||
    name.startsWith(LEX_BUCKET_PREFIX) ||
    name === LEX_FILES_BLOB ||
    name === LEX_FILE_PATHS_BLOB ||
    name === LEX_FILE_HASHES_BLOB ||
    name.startsWith(LEX_NAMES_BASE_PREFIX)
  );
}

/**
 * The base a generation's lexicon reads, with that generation's remap and dead counts, as the
 * next build needs it; undefined if unusable (the next build then writes a new base).
 */
export function previousLexicon(
  info: LexiconInfo | undefined,
  previousGeneration: number | undefined,
  blobAt: (generation: number, name: string) => Uint8Array | undefined,
  fragment: (contentHash: string) => FragmentReader | undefined,
): PreviousLexicon | undefined {
  if (info?.baseGeneration === undefined || previousGeneration === undefined) return undefined;
  const generation = info.baseGeneration;
  const cols = blobAt(generation, LEX_FILES_BLOB);
  const paths = blobAt(generation, LEX_FILE_PATHS_BLOB);
  const hashes = blobAt(generation, LEX_FILE_HASHES_BLOB);
  if (!cols || !paths || !hashes) return undefined;
  let remap: Int32Array | undefined;
  const dead = new Map<number, number>();
  if (info.delta) {
    const r = blobAt(previousGeneration, LEX_REMAP_BLOB);
    const d = blobAt(previousGeneration, LEX_DEAD_COUNTS_BLOB);
    if (!r || !d) return undefined;
    remap = new Int32Array(r.slice().buffer);
    const counts = decodeDeadCounts(d);
    counts.hashes.forEach((h, k) => dead.set(h, counts.counts[k]!));
  }
  return { info, generation, files: decodeLexiconBase(cols, paths, hashes), remap, dead, fragment };
}

/**
 * Base symbol id → this generation's id (-1: the file changed or went), from the base's file
 * ranges and this generation's remap; undefined when this generation has no delta (the base
 * is its own, ids are the same).
 */
export function baseDocMap(
  info: LexiconInfo,
  baseBlob: (name: string) => Uint8Array | undefined,
  blob: (name: string) => Uint8Array | undefined,
): Int32Array | undefined {
  if (!info.delta) return undefined;
  const files = baseBlob(LEX_FILES_BLOB);
  const r = blob(LEX_REMAP_BLOB);
  if (!files || !r)
    throw new LeindexError('E_STORE_CORRUPT', 'the lexical index lacks its base files or remap');
  const starts = decodeColumns(files).starts as Int32Array;
  const own = r.byteOffset % 4 === 0 ? r : r.slice();
  const remap = new Int32Array(own.buffer, own.byteOffset, own.byteLength / 4);
  const map = new Int32Array(starts[starts.length - 1] ?? 0).fill(-1);
  for (let f = 0; f < remap.length; f++) {
    const shift = remap[f]!;
    if (shift === LEX_DEAD) continue;
    for (let d = starts[f]!; d < starts[f + 1]!; d++) map[d] = d + shift;
  }
  return map;
}
