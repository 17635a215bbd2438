// Builds or updates the vector index in memory and saves it atomically: create() for a full
// build, fromFile() to load a saved index for an incremental update, add/remove batches of
// (key, vector), save(path). Keys are integers in [0, 2^53); vectors rows of `dim` floats
// (or int8). add() runs usearch on `threads` native threads and blocks its JS thread for the
// batch: the coordinator (or a worker of its own) owns a builder; it never crosses a thread.

import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { closeSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import { NativeIndex } from '../../native/usearch.js';
import { describeError, LeindexError } from '../errors.js';
import { inspectVectorFile, sealVectorFile, type VectorFileInfo } from './format.js';
import {
  DEFAULT_VECTOR_PARAMS,
  MAX_KEY,
  REBUILD_CHURN_RATIO,
  type VectorIndexParams,
  type VectorQuantization,
} from './options.js';
import { checkK, checkQuery, graphSearch, NO_HITS, quantizeI8, type VectorHits } from './query.js';

export interface BuilderOptions extends Partial<VectorIndexParams> {
  /** Native threads per add() batch (default: available cores). */
  readonly threads?: number;
}

/** How worn an incrementally updated index is. */
export interface VectorIndexHealth {
  readonly size: number;
  /** Live vectors at the last full build. */
  readonly builtSize: number;
  /** Vectors removed or replaced since then. */
  readonly churn: number;
  /** churn / max(builtSize, size). */
  readonly churnRatio: number;
  /** True once churnRatio reaches REBUILD_CHURN_RATIO: build from scratch instead. */
  readonly rebuildAdvised: boolean;
}

let tmpCounter = 0;

export class VectorIndexBuilder {
  private native: NativeIndex;
  readonly params: VectorIndexParams;
  threads: number;
  /** A build from scratch: its size at save is the built size. */
  private readonly fresh: boolean;
  private builtSize: number;
  private churn: number;
  /** Zero vectors skipped by add() (they have no direction to search by). */
  skippedZero = 0;

  private constructor(
    readonly dim: number,
    params: VectorIndexParams,
    threads: number,
    from?: VectorFileInfo,
  ) {
    if (!Number.isInteger(dim) || dim < 1) throw new LeindexError('E_USAGE', `bad vector dimension ${dim}`);
    this.params = params;
    this.threads = threads;
    this.native = new NativeIndex({ dimensions: dim, ...params });
    this.fresh = from === undefined;
    this.builtSize = from?.builtSize ?? 0;
    this.churn = from?.churn ?? 0;
  }

  /** An empty index for a full build. */
  static create(dim: number, options: BuilderOptions = {}): VectorIndexBuilder {
    const { threads, ...params } = options;
    return new VectorIndexBuilder(
      dim,
      { ...DEFAULT_VECTOR_PARAMS, ...params },
      threads ?? availableParallelism(),
    );
  }

  /**
   * A saved index, loaded into memory (fully checked first) to be updated and saved again.
   * Its connectivity and quantisation are the file's; expansions may be overridden.
   */
  static fromFile(
    path: string,
    options: { threads?: number; expectDim?: number; expansionAdd?: number; expansionSearch?: number } = {},
  ): VectorIndexBuilder {
    const info = inspectVectorFile(path, 'full', options.expectDim);
    const params: VectorIndexParams = {
      connectivity: info.connectivity,
      quantization: info.quantization,
      expansionAdd: options.expansionAdd ?? info.expansionAdd,
      expansionSearch: options.expansionSearch ?? info.expansionSearch,
    };
    const b = new VectorIndexBuilder(info.dim, params, options.threads ?? availableParallelism(), info);
    try {
      b.native.load(path);
    } catch (err) {
      throw new LeindexError('E_STORE_CORRUPT', `cannot load vector index ${path}: ${describeError(err)}`, {
        hint: 'run `leindex index --rebuild` to rebuild the vector index',
        cause: err,
      });
    }
    return b;
  }

  get quantization(): VectorQuantization {
    return this.params.quantization;
  }

  /** Live vectors. */
  get size(): number {
    return this.native.size();
  }

  /**
   * Adds a batch: `keys[i]` gets row i of `vectors` (Float32Array, or Int8Array scaled per
   * row any way: cosine ignores scale). A key already present is replaced (counted as
   * churn). All-zero rows are skipped. Returns how many rows were added.
   */
  add(keys: ArrayLike<number>, vectors: Float32Array | Int8Array): number {
    const n = keys.length;
    if (vectors.length !== n * this.dim) {
      throw new LeindexError(
        'E_USAGE',
        `${n} keys need ${n * this.dim} vector components, got ${vectors.length}`,
      );
    }
    const keep: number[] = [];
    const seen = new Set<number>();
    for (let i = 0; i < n; i++) {
      const key = checkKey(keys[i]);
      if (seen.has(key)) throw new LeindexError('E_USAGE', `key ${key} appears twice in one batch`);
      seen.add(key);
      let zero = true;
      for (let c = i * this.dim; c < (i + 1) * this.dim; c++) {
        const x = vectors[c] ?? 0;
        if (!Number.isFinite(x))
          throw new LeindexError('E_USAGE', `vector of key ${key} has a non-finite component`);
        if (x !== 0) zero = false;
      }
      if (zero) this.skippedZero++;
      else keep.push(i);
    }
    if (keep.length === 0) return 0;
    const big = BigUint64Array.from(keep, (i) => BigInt(keys[i] ?? 0));
    let rows: Float32Array | Int8Array = vectors;
    if (keep.length !== n) {
      rows =
        vectors instanceof Int8Array
          ? new Int8Array(keep.length * this.dim)
          : new Float32Array(keep.length * this.dim);
      keep.forEach((i, j) => rows.set(vectors.subarray(i * this.dim, (i + 1) * this.dim), j * this.dim));
    }
    if (this.params.quantization === 'i8' && rows instanceof Float32Array) rows = quantizeI8(rows, this.dim);
    // usearch refuses duplicate keys (and fails the batch half-way): replace explicitly.
    const present = this.native.contains(big);
    if (present.some(Boolean))
      this.remove(
        Array.from(big)
          .filter((_, i) => present[i])
          .map(Number),
      );
    try {
      this.native.add(big, rows, Math.max(1, this.threads));
    } catch (err) {
      const msg = describeError(err);
      throw new LeindexError(
        /reserve|memory/i.test(msg) ? 'E_RESOURCE_LIMIT' : 'E_INTERNAL',
        `adding ${keep.length} vectors: ${msg}`,
        { cause: err },
      );
    }
    return keep.length;
  }

  /** Removes keys (absent ones are ignored); returns how many were present. */
  remove(keys: ArrayLike<number>): number {
    const big = BigUint64Array.from(Array.from(keys, (k) => BigInt(checkKey(k))));
    const removed = this.native.remove(big);
    this.churn += removed;
    return removed;
  }

  health(): VectorIndexHealth {
    const size = this.size;
    const builtSize = this.fresh ? Math.max(this.builtSize, size) : this.builtSize;
    const churnRatio = this.churn / Math.max(builtSize, size, 1);
    return {
      size,
      builtSize,
      churn: this.churn,
      churnRatio,
      rebuildAdvised: churnRatio >= REBUILD_CHURN_RATIO,
    };
  }

  /** Graph search of the in-memory index (the saved file is searched with VectorIndexView). */
  search(query: Float32Array, k: number): VectorHits {
    const size = this.size;
    checkK(k);
    if (checkQuery(query, this.dim) === 'zero' || size === 0) return NO_HITS;
    return graphSearch(this.native, query, this.dim, this.quantization, Math.min(k, size), 1)[0] ?? NO_HITS;
  }

  /**
   * Saves the index to `path` (as save does) and gives its memory back: the builder then
   * holds a read-only view of that file and must not be used again; VectorIndexBuilder.fromFile
   * loads it back for more changes. The index run parks its index this way before the merge,
   * which needs the room under a small memory budget.
   */
  park(path: string): VectorFileInfo {
    const info = this.save(path);
    // usearch's view() resets the in-memory index (frees its vectors and links) before it maps the file.
    this.native.view(path);
    return info;
  }

  /**
   * Writes the index to `path` atomically: a temp file in the same folder, the trailer,
   * fsync, rename, fsync of the folder. A reader sees the old file or the new one, whole.
   */
  save(path: string): VectorFileInfo {
    const h = this.health();
    const tmp = `${path}.tmp-${process.pid}-${++tmpCounter}`;
    try {
      this.native.save(tmp);
      const info = sealVectorFile(tmp, {
        expansionAdd: this.params.expansionAdd,
        expansionSearch: this.params.expansionSearch,
        builtSize: h.builtSize,
        churn: h.churn,
      });
      renameSync(tmp, path);
      syncDir(dirname(path));
      return { ...info, path };
    } catch (err) {
      rmSync(tmp, { force: true });
      if (err instanceof LeindexError) throw err;
      throw new LeindexError('E_IO', `cannot save vector index ${path}: ${describeError(err)}`, {
        cause: err,
      });
    }
  }
}

function checkKey(key: number | undefined): number {
  if (key === undefined || !Number.isInteger(key) || key < 0 || key > MAX_KEY) {
    throw new LeindexError('E_USAGE', `vector keys are integers in [0, 2^53), got ${key}`);
  }
  return key;
}

function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms (Windows) cannot open or fsync a directory; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
