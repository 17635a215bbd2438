// Read-only search over a saved vector index. Large indexes are memory-mapped (pages load on
// demand, file-backed and shared: opening copies nothing into the JS heap): an i8 index
// through native/hnswview (usearch's graph search without the key table usearch's view()
// builds by walking every node: ~3,000 page faults of a cold search), else, or when that
// addon is not built, through usearch's view (hnswview can address the graph and map the
// file's pages in a thread of its own: `background`); small ones (≤ exactBelow live vectors)
// are read whole and searched exactly. The file is checked (format.ts) before any native code sees it.
// Main or server thread.

import { HnswView, hnswViewAvailable, type HnswKernel } from '../../native/hnswview.js';
import { NativeIndex } from '../../native/usearch.js';
import { describeError, LeindexError } from '../errors.js';
import { ExactRows } from './exact.js';
import { inspectVectorFile, type VectorFileInfo, type VectorFileStamp, type VerifyMode } from './format.js';
import { DEFAULT_EXACT_BELOW } from './options.js';
import { checkK, checkQuery, graphSearch, NO_HITS, quantizeI8, type VectorHits } from './query.js';

export interface ViewOptions {
  /** The dimension the caller's embedding model makes: a file of another is refused. */
  readonly dim?: number;
  /** Search candidate list size (default: the one the index was saved with). */
  readonly expansionSearch?: number;
  /** Search exactly when the index has at most this many live vectors. */
  readonly exactBelow?: number;
  /**
   * How much of the file to check before use: 'graph' (default) guarantees usearch cannot
   * crash on it; 'full' also checksums the vectors; 'layout' only checks sizes and headers.
   */
  readonly verify?: VerifyMode;
  /**
   * The stamp its writer recorded (stampVectorFile): in 'graph' mode a file found exactly
   * as stamped is not re-read for its graph CRC.
   */
  readonly stamp?: VectorFileStamp | undefined;
  /** Map with usearch even when native/hnswview could (tests compare the two). */
  readonly engine?: 'usearch';
  /** hnswview's distance kernel (default: its own where it has one; tests compare the two). */
  readonly kernel?: HnswKernel;
  /**
   * Let hnswview address the graph and map the file's pages in a native thread while the
   * caller goes on (HnswView.open); the first search waits for it. If that thread fails, the
   * first search maps the file with usearch instead, as a failed open here would have.
   */
  readonly background?: boolean;
}

/** How a view searches: brute force, hnswview's graph search, or usearch's. */
export type ViewEngine = 'exact' | 'hnswview' | 'usearch';

export class VectorIndexView {
  private native: NativeIndex | undefined;
  private graph: HnswView | undefined;
  private exactRows: ExactRows | undefined;
  private closed = false;
  /** A background hnswview open not yet waited for: where to fall back to usearch from. */
  private pending: { path: string; expansion: number } | undefined;

  private constructor(
    readonly info: VectorFileInfo,
    engine: { native?: NativeIndex; graph?: HnswView; exactRows?: ExactRows },
  ) {
    this.native = engine.native;
    this.graph = engine.graph;
    this.exactRows = engine.exactRows;
  }

  /** Opens `path`: E_INDEX_MISSING if absent, E_STORE_CORRUPT if damaged or of another dim. */
  static open(path: string, options: ViewOptions = {}): VectorIndexView {
    const info = inspectVectorFile(path, options.verify ?? 'graph', options.dim, options.stamp);
    if (info.present <= (options.exactBelow ?? DEFAULT_EXACT_BELOW)) {
      return new VectorIndexView(info, { exactRows: ExactRows.read(info) });
    }
    const expansion = options.expansionSearch ?? info.expansionSearch;
    if (info.quantization === 'i8' && options.engine !== 'usearch' && hnswViewAvailable(options.kernel)) {
      try {
        const graph = HnswView.open(
          path,
          { headOffset: info.headOffset, rowBytes: info.rowBytes, dimensions: info.dim, expansion },
          options.kernel,
          options.background === true,
        );
        const view = new VectorIndexView(info, { graph });
        if (options.background) view.pending = { path, expansion };
        return view;
      } catch {
        // Whatever hnswview could not do (usearch's library moved, the file changed under
        // us), usearch's own view below either does, or reports the file as it always has.
      }
    }
    return new VectorIndexView(info, { native: VectorIndexView.mapWithUsearch(path, info, expansion) });
  }

  /** usearch's view of `path`, checked against what inspectVectorFile found. */
  private static mapWithUsearch(path: string, info: VectorFileInfo, expansion: number): NativeIndex {
    const native = new NativeIndex({
      dimensions: info.dim,
      quantization: info.quantization,
      connectivity: info.connectivity,
      expansionAdd: info.expansionAdd,
      expansionSearch: expansion,
    });
    try {
      native.view(path);
    } catch (err) {
      throw new LeindexError('E_STORE_CORRUPT', `cannot map vector index ${path}: ${describeError(err)}`, {
        hint: 'run `leindex index --rebuild` to rebuild the vector index',
        cause: err,
      });
    }
    // The file may have been replaced between the check and the map: trust only what we checked.
    if (native.size() !== info.present || native.dimensions() !== info.dim) {
      throw new LeindexError('E_STORE_CORRUPT', `vector index ${path} changed while it was opened`, {
        hint: 'retry; if it persists run `leindex index --rebuild`',
      });
    }
    return native;
  }

  /** Which code searches this view. */
  get engine(): ViewEngine {
    return this.exactRows ? 'exact' : this.graph ? 'hnswview' : 'usearch';
  }

  get dim(): number {
    return this.info.dim;
  }

  /** Live vectors. */
  get size(): number {
    return this.info.present;
  }

  /** True when searches are brute force (small index). */
  get exact(): boolean {
    return this.exactRows !== undefined;
  }

  /**
   * The k nearest keys to `query` by cosine, best first (fewer when the index is smaller).
   * An all-zero query has no direction and matches nothing.
   */
  search(query: Float32Array, k: number): VectorHits {
    this.checkOpen();
    checkK(k);
    if (checkQuery(query, this.dim) === 'zero' || this.size === 0) return NO_HITS;
    this.settle();
    if (this.exactRows) return this.exactRows.search(query, k);
    if (this.graph) return this.graphSearch(query, k);
    const native = this.native as NativeIndex;
    return (
      graphSearch(native, query, this.dim, this.info.quantization, Math.min(k, this.size), 1)[0] ?? NO_HITS
    );
  }

  /** search() for every row of a flat query matrix, spread over `threads` native threads. */
  searchBatch(queries: Float32Array, k: number, threads = 1): VectorHits[] {
    this.checkOpen();
    checkK(k);
    const n = queries.length / this.dim;
    if (!Number.isInteger(n))
      throw new LeindexError('E_USAGE', `query matrix is not a multiple of ${this.dim}`);
    const out: VectorHits[] = new Array<VectorHits>(n).fill(NO_HITS);
    const live: number[] = [];
    for (let i = 0; i < n; i++) {
      if (checkQuery(queries.subarray(i * this.dim, (i + 1) * this.dim), this.dim) === 'ok') live.push(i);
    }
    if (live.length === 0 || this.size === 0) return out;
    this.settle();
    if (this.exactRows) {
      for (const i of live)
        out[i] = this.exactRows.search(queries.subarray(i * this.dim, (i + 1) * this.dim), k);
      return out;
    }
    if (this.graph) {
      for (const i of live) out[i] = this.graphSearch(queries.subarray(i * this.dim, (i + 1) * this.dim), k);
      return out;
    }
    const rows = new Float32Array(live.length * this.dim);
    live.forEach((i, j) => rows.set(queries.subarray(i * this.dim, (i + 1) * this.dim), j * this.dim));
    const hits = graphSearch(
      this.native as NativeIndex,
      rows,
      this.dim,
      this.info.quantization,
      Math.min(k, this.size),
      threads,
    );
    live.forEach((i, j) => (out[i] = hits[j] ?? NO_HITS));
    return out;
  }

  /**
   * Drops the index. hnswview unmaps at once; usearch's mapping is released when its native
   * object is collected (it has no explicit unmap). On POSIX a replaced or deleted file is
   * unaffected.
   */
  close(): void {
    this.closed = true;
    this.graph?.close();
    this.graph = undefined;
    this.native = undefined;
    this.exactRows = undefined;
  }

  /**
   * Waits for a background hnswview open; what it could not do, usearch's view does (or
   * reports), as a failed open() would have.
   */
  private settle(): void {
    if (!this.pending) return;
    const { path, expansion } = this.pending;
    this.pending = undefined;
    try {
      (this.graph as HnswView).ready();
    } catch {
      this.graph?.close();
      this.graph = undefined;
      this.native = VectorIndexView.mapWithUsearch(path, this.info, expansion);
    }
  }

  /** hnswview's search of one checked, non-zero query (an i8 index: quantised as for usearch). */
  private graphSearch(query: Float32Array, k: number): VectorHits {
    const h = (this.graph as HnswView).search(quantizeI8(query, this.dim), Math.min(k, this.size));
    const similarities = new Float32Array(h.distances.length);
    for (let i = 0; i < similarities.length; i++) similarities[i] = 1 - h.distances[i]!;
    return { keys: h.keys, similarities };
  }

  private checkOpen(): void {
    if (this.closed) throw new LeindexError('E_USAGE', 'vector index view is closed');
  }
}
