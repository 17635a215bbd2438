// Query side of the lexical index: BM25 over the bucketed postings of the current
// generation, reading only the buckets of the query's terms (each a small blob, decoded
// once and cached) plus the per-symbol lengths. Input: a weighted query bag; output: the
// top symbol ids with their BM25 scores. Main (or server) thread.

import { LeindexError } from '../errors.js';
import { IDF_FLOOR_SHARE } from './params.js';
import type { IndexReader } from '../store/read.js';
import {
  LEX_BUCKET_PREFIX,
  LEX_LENGTHS_BLOB,
  bucketOf,
  decodeBucket,
  postingsOf,
  type Bucket,
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

export class LexicalIndex {
  private readonly buckets = new Map<number, Bucket | null>();
  private lengthsCache: Float32Array | undefined;

  constructor(
    private readonly reader: IndexReader,
    readonly info: LexiconInfo,
  ) {}

  static open(reader: IndexReader): LexicalIndex {
    const info = reader.info.lexicon;
    if (!info) {
      throw new LeindexError('E_SCHEMA_MISMATCH', 'this index has no lexical search index', {
        hint: 'run `leindex index` again to build it',
      });
    }
    return new LexicalIndex(reader, info);
  }

  private lengths(): Float32Array {
    if (!this.lengthsCache) {
      const b = this.reader.blob(LEX_LENGTHS_BLOB);
      if (!b) throw new LeindexError('E_STORE_CORRUPT', 'the lexical index has no lengths blob');
      this.lengthsCache = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
    }
    return this.lengthsCache;
  }

  private bucket(n: number): Bucket | null {
    let b = this.buckets.get(n);
    if (b === undefined) {
      const bytes = this.reader.blob(`${LEX_BUCKET_PREFIX}${n}`);
      b = bytes ? decodeBucket(bytes) : null;
      this.buckets.set(n, b);
    }
    return b;
  }

  /** Postings of one term (for tests and diagnostics). */
  postings(term: string): { docs: Int32Array; weights: Uint16Array } | undefined {
    const h = termHash(term);
    const b = this.bucket(bucketOf(h, this.info.bucketBits));
    return b ? postingsOf(b, h) : undefined;
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
    const avg = this.info.avgLength || 1;
    const looked: { term: string; hash: number; qtf: number; df: number; idf: number }[] = [];
    for (const [term, qtf] of query) {
      const hash = termHash(term);
      const b = this.bucket(bucketOf(hash, this.info.bucketBits));
      const p = b ? postingsOf(b, hash) : undefined;
      const df = p?.docs.length ?? 0;
      looked.push({ term, hash, qtf, df, idf: df > 0 ? this.idf(df) : 0 });
      if (looked.length >= MAX_QUERY_TERMS * 4) break;
    }
    let used = looked.filter((t) => t.df > 0);
    const informative = used.filter((t) => t.df <= this.info.docCount * IDF_FLOOR_SHARE);
    if (informative.length > 0) used = informative;
    used.sort((a, b) => b.qtf * b.idf - a.qtf * a.idf || a.hash - b.hash);
    used = used.slice(0, MAX_QUERY_TERMS);
    // Dense accumulator + touched list: a Map per posting was most of a query's time.
    const acc = this.accumulator(lengths.length);
    const touched: number[] = [];
    for (const t of used) {
      const b = this.bucket(bucketOf(t.hash, this.info.bucketBits));
      const p = b ? postingsOf(b, t.hash) : undefined;
      if (!p) continue;
      const qw = t.idf * (1 + Math.log(t.qtf));
      for (let i = 0; i < p.docs.length; i++) {
        const d = p.docs[i]!;
        const tf = p.weights[i]! / 2;
        const norm = K1 * (1 - B + (B * (lengths[d] ?? avg)) / avg);
        if (acc[d] === 0) touched.push(d);
        acc[d]! += (qw * tf * (K1 + 1)) / (tf + norm);
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

  /** Drops decoded buckets and lengths (the governor's spill); they reload on the next query. */
  release(): number {
    let bytes = this.lengthsCache?.byteLength ?? 0;
    for (const b of this.buckets.values()) if (b) bytes += b.docs.byteLength * 1.5 + b.hashes.byteLength * 2;
    this.buckets.clear();
    this.lengthsCache = undefined;
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
