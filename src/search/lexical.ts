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

/** Symbol ids from `from` up to, not including, `to`. */
export interface IdRange {
  from: number;
  to: number;
}

/**
 * One selection from a scored query: the best `limit` symbols that `accept` passes. `within`
 * (ascending, disjoint) says where all of those lie, so the rest is not visited: it narrows
 * the work, never the result, and `accept` must still reject ids outside it.
 */
export interface LexicalPass {
  limit: number;
  accept?: ((id: number) => boolean) | undefined;
  within?: readonly IdRange[] | undefined;
}

/**
 * A query whose postings number more than 1/DENSE_SHARE of all symbols is ranked by scanning
 * the whole accumulator instead of a list of the symbols it touched.
 */
const DENSE_SHARE = 4;

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
    return this.searchPasses(query, [{ limit, accept }])[0]!;
  }

  /**
   * Like search, but one scoring of the query feeds several selections (a global list and one
   * inside the projects a query names): each pass is the best `limit` symbols its `accept`
   * passes, exactly what a search with that filter returns, for one postings walk. `walk`
   * forces the dense scan or the touched list (tests: both must rank alike).
   */
  searchPasses(
    query: ReadonlyMap<string, number>,
    passes: readonly LexicalPass[],
    walk: 'auto' | 'dense' | 'touched' = 'auto',
  ): LexicalHits[] {
    // BM25's length normalisation K1 · (1 − B + B · length / avg), per posting from the mapped
    // lengths (no table of all symbols' norms: a cold search touched every symbol's length and
    // built a 1.3 MB table for the few thousand postings it scores; same doubles either way).
    const lengths = this.lengths();
    const avgNorm = this.avgNorm;
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
    // Dense accumulator. A query whose postings touch a good share of all symbols (a pasted
    // report: ~57k of the corpus's 162k) is ranked by one scan of the whole accumulator; a
    // narrower one keeps a list of the symbols it touched (pushing to it was most of a long
    // query's walk). Every contribution is positive (idf > 0, tf >= 0.5), so "touched" and
    // "score > 0" are the same set, and topK's order does not depend on how it is visited.
    const n = this.reader.info.fileSymbolCount;
    const acc = this.accumulator(n);
    let postings = 0;
    for (const t of used) postings += (t.p.base?.docs.length ?? 0) + (t.p.delta?.docs.length ?? 0);
    const dense = walk === 'auto' ? postings * DENSE_SHARE > n : walk === 'dense';
    const touched: number[] = [];
    for (const t of used) {
      const qw = t.idf * (1 + Math.log(t.qtf));
      const { base, delta } = t.p;
      if (base) {
        const { docs, weights } = base;
        for (let i = 0; i < docs.length; i++) {
          const bd = docs[i]!;
          const d = map ? map[bd]! : bd;
          if (d < 0) continue;
          const tf = weights[i]! / 2;
          const len = lengths[bd];
          const norm = len === undefined ? avgNorm : K1 * (1 - B + (B * len) / avg);
          if (!dense && acc[d] === 0) touched.push(d);
          acc[d]! += (qw * tf * (K1 + 1)) / (tf + norm);
        }
      }
      if (delta) {
        for (let i = 0; i < delta.docs.length; i++) {
          const d = delta.docs[i]!;
          const tf = delta.weights[i]! / 2;
          const norm = K1 * (1 - B + (B * this.deltaLength(d, avg)) / avg);
          if (!dense && acc[d] === 0) touched.push(d);
          acc[d]! += (qw * tf * (K1 + 1)) / (tf + norm);
        }
      }
    }
    const terms = looked.map(({ term, idf, df }) => ({ term, idf, df }));
    const out = passes.map(({ limit, accept, within }) => {
      const top = topK(dense ? undefined : touched, acc, limit, accept, within);
      return {
        ids: Int32Array.from(top, ([id]) => id),
        scores: Float32Array.from(top, ([, score]) => score),
        terms,
      };
    });
    if (dense) acc.fill(0);
    else for (const d of touched) acc[d] = 0;
    return out;
  }

  /** The norm of a symbol past the lengths table: of average length, as (B · avg) / avg. */
  private get avgNorm(): number {
    const avg = this.info.avgLength || 1;
    return K1 * (1 - B + (B * avg) / avg);
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

/**
 * The best `k` of `ids` (undefined: every id with a score above 0, inside `within` when
 * given) by score (desc, then id asc) that pass `accept`: a bounded min-heap. Once it is full,
 * an id no better than its worst is skipped before any call.
 */
function topK(
  ids: readonly number[] | undefined,
  score: Float64Array,
  k: number,
  accept: ((id: number) => boolean) | undefined,
  within?: readonly IdRange[],
): [number, number][] {
  const heap: number[] = [];
  if (k <= 0) return [];
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
  // The heap's worst, once full: an id must beat (minScore, minId) to enter.
  let minScore = -Infinity;
  let minId = -1;
  const visit = (id: number, sc: number): void => {
    if (sc < minScore || (sc === minScore && id > minId)) return;
    if (accept && !accept(id)) return;
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
    if (heap.length === k) {
      minId = heap[0]!;
      minScore = score[minId]!;
    }
  };
  if (ids) {
    for (const id of ids) visit(id, score[id]!);
  } else {
    for (const { from, to } of within ?? [{ from: 0, to: score.length }]) {
      const end = Math.min(to, score.length);
      for (let id = Math.max(0, from); id < end; id++) {
        const sc = score[id]!;
        if (sc > 0) visit(id, sc);
      }
    }
  }
  heap.sort((a, b) => score[b]! - score[a]! || a - b);
  return heap.map((id) => [id, score[id]!]);
}
