// The lexical index of one generation, built at merge from the terms the parse workers put
// in each fragment (plus each file's path terms), and its encoding in the store: postings
// split into 2^bucketBits buckets by the top bits of the term hash, one store blob per
// bucket, so a query reads a few small blobs instead of the whole index, and a generation
// is written in thousands of puts, not one per term. Coordinator thread (build); any (codec).

import type { FragmentReader } from '../graph/fragment.js';
import type { IndexGraph } from '../graph/graph.js';
import { PATH_WEIGHT, pathTerms, termHash } from './terms.js';

/** Blob names: lengths per symbol id, then one blob per non-empty bucket. */
export const LEX_LENGTHS_BLOB = 'lex.lengths';
export const LEX_BUCKET_PREFIX = 'lex.b.';
export const LEX_RECORD = 'lexicon';

export interface LexiconInfo {
  bucketBits: number;
  /** Symbols with at least one term. */
  docCount: number;
  /** Mean weighted length of those symbols (BM25 length normalisation). */
  avgLength: number;
  /** Distinct term hashes. */
  termCount: number;
  postings: number;
}

/** One bucket, decoded: terms ascending by hash, each with its postings (symbol ids ascending). */
export interface Bucket {
  hashes: Uint32Array;
  starts: Uint32Array;
  docs: Int32Array;
  /** Weighted term frequency × 2. */
  weights: Uint16Array;
}

/** Growable struct-of-arrays of (hash, doc, weight) entries. */
class Entries {
  hash = new Uint32Array(1 << 16);
  doc = new Int32Array(1 << 16);
  weight = new Uint16Array(1 << 16);
  length = 0;
  push(h: number, d: number, w: number): void {
    if (this.length === this.hash.length) {
      const n = this.length * 2;
      const grow = <T extends Uint32Array | Int32Array | Uint16Array>(a: T, make: (n: number) => T): T => {
        const b = make(n);
        b.set(a);
        return b;
      };
      this.hash = grow(this.hash, (k) => new Uint32Array(k));
      this.doc = grow(this.doc, (k) => new Int32Array(k));
      this.weight = grow(this.weight, (k) => new Uint16Array(k));
    }
    this.hash[this.length] = h;
    this.doc[this.length] = d;
    this.weight[this.length] = w;
    this.length++;
  }
}

/**
 * Builds the lexicon blobs of a merged graph. `fragmentOf(file)` gives each file's fragment
 * (the ones merge just read). Symbol ids are the graph's, so a generation's lexicon and graph
 * always agree.
 */
export function buildLexicon(
  g: IndexGraph,
  fragmentOf: (file: number) => FragmentReader,
): { blobs: Record<string, Uint8Array>; info: LexiconInfo } {
  const symbolTotal = g.symbols.kind.length;
  const lengths = new Float32Array(symbolTotal);
  const entries = new Entries();
  const pathWeight = Math.round(PATH_WEIGHT * 2);
  const rowHashes = new Set<number>();
  let docCount = 0;
  let lengthSum = 0;
  for (let file = 0; file < g.files.relPath.length; file++) {
    const base = g.files.symbolStart[file] ?? 0;
    const end = g.files.symbolStart[file + 1] ?? base;
    const path = pathTerms(g.files.relPath[file] ?? '').map(termHash);
    const { starts, hashes, weights } = fragmentOf(file).terms();
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
      if (len > 0) {
        lengths[id] = len / 2;
        docCount++;
        lengthSum += len / 2;
      }
    }
  }
  const distinct = countDistinct(entries);
  // ~32 terms per bucket: a query term costs one small blob read.
  const bucketBits = Math.max(4, Math.min(16, Math.ceil(Math.log2(Math.max(1, distinct / 32)))));
  const blobs: Record<string, Uint8Array> = {
    [LEX_LENGTHS_BLOB]: new Uint8Array(lengths.buffer),
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
    },
  };
}

function countDistinct(e: Entries): number {
  const seen = new Set<number>();
  for (let i = 0; i < e.length; i++) seen.add(e.hash[i]!);
  return seen.size;
}

export function bucketOf(hash: number, bucketBits: number): number {
  return hash >>> (32 - bucketBits);
}

/** Counting sort by bucket (stable: docs stay ascending), then per bucket by hash. */
function* encodeBuckets(e: Entries, bits: number): Generator<[number, Uint8Array]> {
  const nb = 1 << bits;
  const counts = new Int32Array(nb + 1);
  for (let i = 0; i < e.length; i++) counts[bucketOf(e.hash[i]!, bits) + 1]!++;
  for (let b = 0; b < nb; b++) counts[b + 1]! += counts[b]!;
  const order = new Int32Array(e.length);
  const fill = counts.slice(0, nb);
  for (let i = 0; i < e.length; i++) order[fill[bucketOf(e.hash[i]!, bits)]!++] = i;
  for (let b = 0; b < nb; b++) {
    const a = counts[b]!;
    const z = counts[b + 1]!;
    if (z === a) continue;
    const idx = Array.from(order.subarray(a, z));
    // Stable: equal hashes keep their (ascending doc) order.
    idx.sort((x, y) => e.hash[x]! - e.hash[y]!);
    yield [b, encodeBucket(e, idx)];
  }
}

/**
 * Bucket layout (little-endian): Uint32 n, Uint32 m, Uint32 hashes[n], Uint32 starts[n + 1],
 * Int32 docs[m], Uint16 weights[m] (padded to 4 bytes).
 */
function encodeBucket(e: Entries, idx: number[]): Uint8Array {
  let n = 0;
  for (let i = 0; i < idx.length; i++) if (i === 0 || e.hash[idx[i]!] !== e.hash[idx[i - 1]!]) n++;
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
    const h = e.hash[k]!;
    if (t < 0 || hashes[t] !== h) {
      t++;
      hashes[t] = h;
      starts[t] = i;
    }
    docs[i] = e.doc[k]!;
    weights[i] = e.weight[k]!;
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
