// Query side of the lexical index: BM25 over the bucketed postings of the current
// generation, reading only the buckets of the query's terms (each a small blob, decoded once
// and cached) plus the per-symbol lengths. The postings are the base segment's (under the base
// generation's ids, mapped to this generation's through the remap; dead files skipped) plus
// this generation's delta (see lexicon.ts); df is the base's postings minus the dead-count
// table's entry plus the delta's (live postings only, read from no posting list), so scores
// equal a full rebuild's. Input: a weighted query bag; output: the top symbol ids with their BM25
// scores. Main (or server) thread.

import { LeindexError } from '../errors.js';
import { decodeColumns } from '../store/codec.js';
import { IDF_FLOOR_SHARE } from './params.js';
import type { IndexReader } from '../store/read.js';
import {
  LEX_BUCKET_PREFIX,
  LEX_DEAD_COUNTS_BLOB,
  LEX_DELTA_LENGTHS_BLOB,
  LEX_DELTA_PREFIX,
  LEX_LENGTHS_BLOB,
  baseDocMap,
  bucketOf,
  deadCountOf,
  decodeBucket,
  decodeDeadCounts,
  postingsOf,
  type Bucket,
  type DeadCounts,
  type LexiconInfo,
} from './lexicon.js';
import { MAX_QUERY_TERMS, termHash } from './terms.js';

/** Robertson's defaults; the retrieval evaluation measured no gain from tuning them. */
const K1 = 1.2;
const B = 0.75;

export interface LexicalHits {
  ids: Int32Array;
  scores: Float32Array;
  /** The query terms that were looked up, with their IDF (0 when absent from the index). */
  terms: { term: string; idf: number; df: number }[];
}

interface Postings {
  docs: Int32Array;
  weights: Uint16Array;
}

/** A term's postings in both segments, and its live document frequency. */
interface TermPostings {
  base: Postings | undefined;
  delta: Postings | undefined;
  df: number;
}

export class LexicalIndex {
  private readonly buckets = new Map<number, Bucket | null>();
  private readonly deltaBuckets = new Map<number, Bucket | null>();
  private lengthsCache: Float32Array | undefined;
  private deltaLengthsCache: { ids: Int32Array; lengths: Float32Array } | undefined;
  private deadCache: DeadCounts | undefined;
  /** Base id → this generation's id (-1: dead); undefined while the base is this generation. */
  private docMapCache: Int32Array | null | undefined;
  private readonly baseGeneration: number;

  constructor(
    private readonly reader: IndexReader,
    readonly info: LexiconInfo,
  ) {
    this.baseGeneration = info.baseGeneration ?? reader.generation;
  }

  static open(reader: IndexReader): LexicalIndex {
    const info = reader.info.lexicon;
    if (!info) {
      throw new LeindexError('E_SCHEMA_MISMATCH', 'this index has no lexical search index', {
        hint: 'run `leindex index` again to build it',
      });
    }
    return new LexicalIndex(reader, info);
  }

  private baseBlob(name: string): Uint8Array | undefined {
    return this.reader.blobAt(this.baseGeneration, name);
  }

  private need(blob: Uint8Array | undefined, what: string): Uint8Array {
    if (!blob) throw new LeindexError('E_STORE_CORRUPT', `the lexical index has no ${what} blob`);
    return blob;
  }

  /** Lengths per base symbol id. */
  private lengths(): Float32Array {
    if (!this.lengthsCache) {
      const b = this.need(this.baseBlob(LEX_LENGTHS_BLOB), 'lengths');
      this.lengthsCache = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
    }
    return this.lengthsCache;
  }

  private deltaLengths(): { ids: Int32Array; lengths: Float32Array } {
    if (!this.deltaLengthsCache) {
      const c = decodeColumns(this.need(this.reader.blob(LEX_DELTA_LENGTHS_BLOB), 'delta lengths'));
      this.deltaLengthsCache = { ids: c.ids as Int32Array, lengths: c.lengths as Float32Array };
    }
    return this.deltaLengthsCache;
  }

  /** Base postings of dead files per term (a delta generation only). */
  private dead(): DeadCounts {
    this.deadCache ??= decodeDeadCounts(this.need(this.reader.blob(LEX_DEAD_COUNTS_BLOB), 'dead counts'));
    return this.deadCache;
  }

  private deltaLength(id: number, fallback: number): number {
    const { ids, lengths } = this.deltaLengths();
    let lo = 0;
    let hi = ids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = ids[mid]!;
      if (v === id) return lengths[mid]!;
      if (v < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return fallback;
  }

  /** Base id → current id (see baseDocMap), built once per session. */
  private docMap(): Int32Array | undefined {
    if (this.docMapCache === undefined) {
      this.docMapCache =
        baseDocMap(
          this.info,
          (name) => this.baseBlob(name),
          (name) => this.reader.blob(name),
        ) ?? null;
    }
    return this.docMapCache ?? undefined;
  }

  private bucket(n: number): Bucket | null {
    let b = this.buckets.get(n);
    if (b === undefined) {
      const bytes = this.baseBlob(`${LEX_BUCKET_PREFIX}${n}`);
      b = bytes ? decodeBucket(bytes) : null;
      this.buckets.set(n, b);
    }
    return b;
  }

  private deltaBucket(n: number): Bucket | null {
    let b = this.deltaBuckets.get(n);
    if (b === undefined) {
      const bytes = this.reader.blob(`${LEX_DELTA_PREFIX}${n}`);
      b = bytes ? decodeBucket(bytes) : null;
      this.deltaBuckets.set(n, b);
    }
    return b;
  }

  private lookup(hash: number): TermPostings {
    const b = this.bucket(bucketOf(hash, this.info.bucketBits));
    const base = b ? postingsOf(b, hash) : undefined;
    const deltaBits = this.info.delta?.bucketBits;
    const d = deltaBits === undefined ? null : this.deltaBucket(bucketOf(hash, deltaBits));
    const delta = d ? postingsOf(d, hash) : undefined;
    let df = delta?.docs.length ?? 0;
    if (base) df += base.docs.length - (this.info.delta ? deadCountOf(this.dead(), hash) : 0);
    return { base, delta, df };
  }

  /** Live postings of one term under this generation's ids, ascending (for tests and diagnostics). */
  postings(term: string): Postings | undefined {
    const { base, delta, df } = this.lookup(termHash(term));
    if (df === 0) return undefined;
    const map = this.docMap();
    const pairs: [number, number][] = [];
    if (base) {
      for (let i = 0; i < base.docs.length; i++) {
        const d = map ? map[base.docs[i]!]! : base.docs[i]!;
        if (d >= 0) pairs.push([d, base.weights[i]!]);
      }
    }
    if (delta) for (let i = 0; i < delta.docs.length; i++) pairs.push([delta.docs[i]!, delta.weights[i]!]);
    pairs.sort((a, b) => a[0] - b[0]);
    return { docs: Int32Array.from(pairs, (p) => p[0]), weights: Uint16Array.from(pairs, (p) => p[1]) };
  }

  /** Lucene's BM25 IDF (never negative). */
  idf(df: number): number {
    const n = this.info.docCount;
    return Math.log(1 + (n - df + 0.5) / (df + 0.5));
  }

  /**
   * Scores the query's terms and returns the best `limit` symbols (score desc, id asc). Long
   * queries keep their MAX_QUERY_TERMS most informative terms (count × IDF), so a pasted bug
   * report costs a bounded number of bucket reads; terms in more than IDF_FLOOR_SHARE of all
   * symbols are dropped as stop words of this repository when the query has better ones.
   */
  search(query: ReadonlyMap<string, number>, limit: number, accept?: (id: number) => boolean): LexicalHits {
    const lengths = this.lengths();
    const map = this.docMap();
    const avg = this.info.avgLength || 1;
    const looked: { term: string; hash: number; qtf: number; df: number; idf: number; p: TermPostings }[] =
      [];
    for (const [term, qtf] of query) {
      const hash = termHash(term);
      const p = this.lookup(hash);
      const df = p.df;
      looked.push({ term, hash, qtf, df, idf: df > 0 ? this.idf(df) : 0, p });
      if (looked.length >= MAX_QUERY_TERMS * 4) break;
    }
    let used = looked.filter((t) => t.df > 0);
    const informative = used.filter((t) => t.df <= this.info.docCount * IDF_FLOOR_SHARE);
    if (informative.length > 0) used = informative;
    used.sort((a, b) => b.qtf * b.idf - a.qtf * a.idf || a.hash - b.hash);
    used = used.slice(0, MAX_QUERY_TERMS);
    // Dense accumulator + touched list: a Map per posting was most of a query's time.
    const acc = this.accumulator(this.reader.info.fileSymbolCount);
    const touched: number[] = [];
    for (const t of used) {
      const qw = t.idf * (1 + Math.log(t.qtf));
      const { base, delta } = t.p;
      if (base) {
        for (let i = 0; i < base.docs.length; i++) {
          const bd = base.docs[i]!;
          const d = map ? map[bd]! : bd;
          if (d < 0) continue;
          const tf = base.weights[i]! / 2;
          const norm = K1 * (1 - B + (B * (lengths[bd] ?? avg)) / avg);
          if (acc[d] === 0) touched.push(d);
          acc[d]! += (qw * tf * (K1 + 1)) / (tf + norm);
        }
      }
      if (delta) {
        for (let i = 0; i < delta.docs.length; i++) {
          const d = delta.docs[i]!;
          const tf = delta.weights[i]! / 2;
          const norm = K1 * (1 - B + (B * this.deltaLength(d, avg)) / avg);
          if (acc[d] === 0) touched.push(d);
          acc[d]! += (qw * tf * (K1 + 1)) / (tf + norm);
        }
      }
    }
    const top = topK(touched, acc, limit, accept);
    for (const d of touched) acc[d] = 0;
    return {
      ids: Int32Array.from(top, ([id]) => id),
      scores: Float32Array.from(top, ([, score]) => score),
      terms: looked.map(({ term, idf, df }) => ({ term, idf, df })),
    };
  }

  private acc: Float64Array | undefined;
  private accumulator(n: number): Float64Array {
    if (!this.acc || this.acc.length !== n) this.acc = new Float64Array(n);
    return this.acc;
  }

  /** Drops decoded buckets, lengths and the doc map (the governor's spill); they reload on the next query. */
  release(): number {
    let bytes = (this.lengthsCache?.byteLength ?? 0) + (this.docMapCache?.byteLength ?? 0);
    for (const m of [this.buckets, this.deltaBuckets])
      for (const b of m.values()) if (b) bytes += b.docs.byteLength * 1.5 + b.hashes.byteLength * 2;
    if (this.deltaLengthsCache) bytes += this.deltaLengthsCache.ids.byteLength * 2;
    if (this.deadCache) bytes += this.deadCache.hashes.byteLength * 2;
    this.buckets.clear();
    this.deltaBuckets.clear();
    this.lengthsCache = undefined;
    this.deltaLengthsCache = undefined;
    this.deadCache = undefined;
    this.docMapCache = undefined;
    this.acc = undefined;
    return bytes;
  }
}

/** The best `k` of `ids` by score (desc, then id asc) that pass `accept`: a bounded min-heap. */
function topK(
  ids: readonly number[],
  score: Float64Array,
  k: number,
  accept: ((id: number) => boolean) | undefined,
): [number, number][] {
  const heap: number[] = [];
  // "a is worse than b": lower score, or equal score and higher id.
  const worse = (a: number, b: number): boolean => score[a]! < score[b]! || (score[a] === score[b] && a > b);
  const down = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && worse(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && worse(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  for (const id of ids) {
    if (heap.length === k && !worse(heap[0]!, id)) continue;
    if (accept && !accept(id)) continue;
    if (heap.length < k) {
      heap.push(id);
      for (let i = heap.length - 1; i > 0;) {
        const parent = (i - 1) >> 1;
        if (!worse(heap[i]!, heap[parent]!)) break;
        [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
        i = parent;
      }
    } else {
      heap[0] = id;
      down(0);
    }
  }
  heap.sort((a, b) => score[b]! - score[a]! || a - b);
  return heap.map((id) => [id, score[id]!]);
}
