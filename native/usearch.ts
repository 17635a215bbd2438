// The single place usearch (a native addon: HNSW graph, SIMD exact search, memory-mapped
// views) is loaded; src/vector/ imports from here and nowhere else does. A narrow typed
// surface over usearch's JS wrapper: flat typed arrays in, flat typed arrays out, plain
// Errors thrown (src/vector/ turns them into LeindexError). Any thread (it is an N-API addon).

import { createRequire } from 'node:module';
import type * as Usearch from 'usearch';

const require = createRequire(import.meta.url);
// The CommonJS build: its ESM twin finds the prebuild through a stack-trace trick.
const usearch = require('usearch') as typeof Usearch;

/** Scalar types leindex stores vectors as (usearch names). */
export type NativeScalar = 'i8' | 'f16' | 'f32';

export interface NativeIndexConfig {
  readonly dimensions: number;
  readonly quantization: NativeScalar;
  readonly connectivity: number;
  readonly expansionAdd: number;
  readonly expansionSearch: number;
}

/** Hits of one query: keys and cosine distances (1 - similarity), best first. */
export interface NativeHits {
  readonly keys: BigUint64Array;
  readonly distances: Float32Array;
}

/** One usearch dense index (cosine metric, one vector per key). */
export class NativeIndex {
  private readonly index: Usearch.Index;

  constructor(config: NativeIndexConfig) {
    this.index = new usearch.Index({
      dimensions: config.dimensions,
      metric: 'cos' as Usearch.MetricKind,
      quantization: config.quantization as Usearch.ScalarKind,
      connectivity: config.connectivity,
      expansion_add: config.expansionAdd,
      expansion_search: config.expansionSearch,
      multi: false,
    });
  }

  /** Adds rows of `vectors` under `keys`; the addon spreads the batch over `threads` threads. */
  add(keys: BigUint64Array, vectors: Float32Array | Int8Array, threads: number): void {
    this.index.add(keys, vectors, threads);
  }

  /** Searches every row of `queries` (a flat matrix); one NativeHits per row. */
  search(queries: Float32Array | Int8Array, k: number, threads: number): NativeHits[] {
    return splitHits(this.index.search(queries, k, threads));
  }

  /** Removes keys; returns how many were present. */
  remove(keys: BigUint64Array): number {
    if (keys.length === 0) return 0;
    const removed = this.index.remove(keys);
    return Array.isArray(removed) ? removed.reduce((a, b) => a + b, 0) : removed;
  }

  contains(keys: BigUint64Array): boolean[] {
    if (keys.length === 0) return [];
    const res = this.index.contains(keys);
    return Array.isArray(res) ? res : [res];
  }

  size(): number {
    return this.index.size();
  }

  dimensions(): number {
    return this.index.dimensions();
  }

  connectivity(): number {
    return this.index.connectivity();
  }

  save(path: string): void {
    this.index.save(path);
  }

  /** Reads a saved index into memory (it can then be changed and saved again). */
  load(path: string): void {
    this.index.load(path);
  }

  /** Memory-maps a saved index read-only: pages load on demand, nothing is copied. */
  view(path: string): void {
    this.index.view(path);
  }
}

/**
 * Brute-force cosine top-k of each query row over `dataset` rows (both the same element
 * type). Keys of the hits are row numbers of `dataset`. `k` must not exceed the row count.
 */
export function nativeExactSearch(
  dataset: Float32Array | Int8Array,
  queries: Float32Array | Int8Array,
  dims: number,
  k: number,
  threads: number,
): NativeHits[] {
  return splitHits(usearch.exactSearch(dataset, queries, dims, k, 'cos' as Usearch.MetricKind, threads));
}

/** usearch answers one query with Matches and several with BatchMatches. */
function splitHits(res: Usearch.Matches | Usearch.BatchMatches): NativeHits[] {
  if (!(res instanceof usearch.BatchMatches)) return [{ keys: res.keys, distances: res.distances }];
  return Array.from({ length: res.counts.length }, (_, i) => {
    const m = res.get(i);
    return { keys: m.keys, distances: m.distances };
  });
}
