// What both search paths share: checking and int8-quantising a query, and turning usearch's
// (row or key, distance) pairs into keys with cosine similarities, best first. Also the
// graph (HNSW) search itself. Main or server thread (the builder's thread for its search).

import type { NativeHits, NativeIndex } from '../../native/usearch.js';
import { LeindexError } from '../errors.js';
import type { VectorQuantization } from './options.js';

/** Search hits, best first: keys and their cosine similarity (on the stored precision). */
export interface VectorHits {
  readonly keys: Float64Array;
  readonly similarities: Float32Array;
}

export const NO_HITS: VectorHits = { keys: new Float64Array(0), similarities: new Float32Array(0) };

/**
 * Scales each row so its largest component is ±127 and rounds: the precision int8 can give
 * a unit vector (usearch's own cast maps |v| = 1 to 127, so a 256-d vector's components
 * would use only about ±8 of the range). Cosine ignores the per-row scale.
 */
export function quantizeI8(vectors: Float32Array, dim: number): Int8Array {
  const out = new Int8Array(vectors.length);
  for (let r = 0; r < vectors.length; r += dim) {
    let max = 0;
    for (let i = r; i < r + dim; i++) {
      const a = Math.abs(vectors[i] ?? 0);
      if (a > max) max = a;
    }
    if (max === 0) continue;
    const s = 127 / max;
    for (let i = r; i < r + dim; i++) out[i] = Math.round((vectors[i] ?? 0) * s);
  }
  return out;
}

/** What the query is, before any native call: usable, or all zeros (matches nothing). */
export function checkQuery(query: Float32Array, dim: number): 'ok' | 'zero' {
  if (query.length !== dim) {
    throw new LeindexError('E_USAGE', `query has ${query.length} dimensions, the index ${dim}`);
  }
  let zero = true;
  for (let i = 0; i < dim; i++) {
    const x = query[i] ?? 0;
    if (!Number.isFinite(x)) throw new LeindexError('E_USAGE', 'query vector has a non-finite component');
    if (x !== 0) zero = false;
  }
  return zero ? 'zero' : 'ok';
}

/** Native hits → VectorHits, mapping row numbers through `rowKeys` when given. */
export function toHits(h: NativeHits, rowKeys?: Float64Array): VectorHits {
  const n = h.keys.length;
  const keys = new Float64Array(n);
  const similarities = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const k = Number(h.keys[i] ?? 0n);
    keys[i] = rowKeys ? (rowKeys[k] ?? -1) : k;
    similarities[i] = 1 - (h.distances[i] ?? 1);
  }
  return { keys, similarities };
}

/**
 * Top-k of each row of `queries` through the HNSW graph. Rows must have passed checkQuery
 * and be non-zero; `k` at most the index size (usearch allocates k slots per query).
 */
export function graphSearch(
  index: NativeIndex,
  queries: Float32Array,
  dim: number,
  quantization: VectorQuantization,
  k: number,
  threads: number,
): VectorHits[] {
  const q = quantization === 'i8' ? quantizeI8(queries, dim) : queries;
  return index.search(q, k, threads).map((h) => toHits(h));
}

/** A positive integer k, or E_USAGE. */
export function checkK(k: number): number {
  if (!Number.isInteger(k) || k < 1)
    throw new LeindexError('E_USAGE', `k must be a positive integer, got ${k}`);
  return k;
}
