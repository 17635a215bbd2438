// The single place usearch (a native addon: HNSW graph, SIMD exact search, memory-mapped
// views) is loaded; src/vector/ imports from here and nowhere else does. Binds the compiled
// addon directly, not usearch's JS wrapper: the wrapper converts every Int8Array to a
// Float32Array before the addon sees it, so int8 rows leindex scaled itself would be
// re-quantised by usearch's coarser cast (measured: recall@10 capped near 0.96). Plain
// Errors are thrown; src/vector/ turns them into LeindexError. Any thread (N-API addon).

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** Scalar types leindex stores vectors as (usearch names). */
export type NativeScalar = 'i8' | 'f16' | 'f32';

type Rows = Float32Array | Int8Array;
type RawHits = [keys: BigUint64Array, distances: Float32Array, counts: BigUint64Array];

/** The addon's class as javascript/lib.cpp defines it (usearch 2.26). */
interface CompiledIndex {
  add(keys: BigUint64Array, vectors: Rows, threads: number): void;
  search(queries: Rows, k: number, threads: number): RawHits;
  contains(keys: BigUint64Array): boolean[];
  remove(keys: BigUint64Array): number[];
  dimensions(): number;
  connectivity(): number;
  size(): number;
  save(path: string): void;
  load(path: string): void;
  view(path: string): void;
}

interface Compiled {
  CompiledIndex: new (
    dimensions: number,
    metric: string,
    quantization: string,
    connectivity: number,
    expansionAdd: number,
    expansionSearch: number,
    multi: boolean,
  ) => CompiledIndex;
  exactSearch(
    dataset: Rows,
    queries: Rows,
    dims: number,
    k: number,
    metric: string,
    threads: number,
  ): RawHits;
  version(): string;
}

let loaded: Compiled | undefined;

/**
 * The addon, loaded on first use: a search whose vector file is opened in a worker thread
 * (src/vector/view-worker.ts) never needs it on its main thread (~12 ms of a cold start).
 */
function compiled(): Compiled {
  if (!loaded) {
    // usearch's package root (javascript/dist/cjs/usearch.js → ../../..), where node-gyp-build
    // finds the prebuild for this platform, as usearch's own wrapper does.
    const usearchMain = require.resolve('usearch');
    const usearchRoot = join(dirname(usearchMain), '..', '..', '..');
    const nodeGypBuild = createRequire(usearchMain)('node-gyp-build') as (dir: string) => unknown;
    loaded = nodeGypBuild(usearchRoot) as Compiled;
  }
  return loaded;
}

export function usearchVersion(): string {
  return compiled().version();
}

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
  private readonly index: CompiledIndex;

  constructor(c: NativeIndexConfig) {
    for (const n of [c.dimensions, c.connectivity, c.expansionAdd, c.expansionSearch]) {
      if (!Number.isInteger(n) || n < 0) throw new Error(`bad index parameter ${n}`);
    }
    this.index = new (compiled().CompiledIndex)(
      c.dimensions,
      'cos',
      c.quantization,
      c.connectivity,
      c.expansionAdd,
      c.expansionSearch,
      false,
    );
  }

  /**
   * Adds rows under `keys` (one key per row), spread over `threads` native threads. Int8Array
   * rows reach an i8 index unchanged; Float32Array rows are cast by usearch.
   */
  add(keys: BigUint64Array, vectors: Rows, threads: number): void {
    if (vectors.length !== keys.length * this.index.dimensions())
      throw new Error('keys and rows differ in count');
    if (keys.length > 0) this.index.add(keys, vectors, threads);
  }

  /** Searches every row of `queries` (a flat matrix); one NativeHits per row. */
  search(queries: Rows, k: number, threads: number): NativeHits[] {
    const rows = queries.length / this.index.dimensions();
    if (!Number.isInteger(rows) || !Number.isInteger(k) || k < 1) throw new Error('bad query matrix or k');
    return splitHits(this.index.search(queries, k, threads), k);
  }

  /** Removes keys; returns how many were present. */
  remove(keys: BigUint64Array): number {
    if (keys.length === 0) return 0;
    return this.index.remove(keys).reduce((a, b) => a + b, 0);
  }

  contains(keys: BigUint64Array): boolean[] {
    return keys.length === 0 ? [] : this.index.contains(keys);
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
 * type). Keys of the hits are row numbers of `dataset`; `k` at most its row count.
 */
export function nativeExactSearch(
  dataset: Rows,
  queries: Rows,
  dims: number,
  k: number,
  threads: number,
): NativeHits[] {
  if (dataset.constructor !== queries.constructor) throw new Error('dataset and queries differ in type');
  if (!Number.isInteger(k) || k < 1 || k > dataset.length / dims) throw new Error('bad k for exact search');
  return splitHits(compiled().exactSearch(dataset, queries, dims, k, 'cos', threads), k);
}

/** The addon answers a query matrix with k slots per row and a count of filled ones. */
function splitHits([keys, distances, counts]: RawHits, k: number): NativeHits[] {
  return Array.from(counts, (count, i) => ({
    keys: keys.subarray(i * k, i * k + Number(count)),
    distances: distances.subarray(i * k, i * k + Number(count)),
  }));
}
