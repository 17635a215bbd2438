// The VectorSource of an index with an HNSW file: nearest neighbours from the memory-mapped
// vector index (src/vector: usearch `view`, pages in on demand, not heap), keys mapped back to
// this generation's symbol ids through the file table's stable file keys. Opened in this
// thread on first use or when a search starts (prepare(): hnswview addresses the graph and
// maps the file's pages in a native thread of its own meanwhile), or in a worker started at
// once (`background`, LEINDEX_VECTOR_WORKER=on). Main thread.

import { join } from 'node:path';
import { LeindexError } from '../errors.js';
import type { IndexSession } from '../query/session.js';
import { VECTOR_DIR, splitVectorKey } from '../pipeline/vectors.js';
import type { VectorHits } from '../vector/query.js';
import { VectorIndexView } from '../vector/view.js';
import { VectorViewWorker } from '../vector/view-worker.js';
import { cosine, similarities, symbolVector, type VectorSource } from './vectors.js';

export interface HnswOptions {
  /** Open the file in a worker thread now (VectorViewWorker) instead of here on first use. */
  readonly background?: boolean;
  /** The worker's script (tests); see ViewWorkerOptions. */
  readonly workerFile?: string;
}

export class HnswVectors implements VectorSource {
  private view: VectorIndexView | undefined;
  private worker: VectorViewWorker | undefined;
  private fileOfKey: Map<number, number> | undefined;

  constructor(
    private readonly session: IndexSession,
    private readonly file: string,
    options: HnswOptions = {},
  ) {
    if (options.background) {
      try {
        this.worker = VectorViewWorker.start(this.path, {
          stamp: this.session.reader.info.vectors?.stamp,
          ...(options.workerFile !== undefined ? { workerFile: options.workerFile } : {}),
        });
      } catch {
        // No thread to be had (resource limits): the file is opened here on first use.
        this.worker = undefined;
      }
    }
  }

  private get path(): string {
    return join(this.session.indexDir, VECTOR_DIR, this.file);
  }

  private keyMap(): Map<number, number> {
    if (!this.fileOfKey) {
      const keys = this.session.files().fileKey;
      this.fileOfKey = new Map();
      keys?.forEach((k, file) => this.fileOfKey!.set(k, file));
    }
    return this.fileOfKey;
  }

  private search(q: Float32Array, k: number): VectorHits {
    // The worker answers as the view below would (same file, same code), dimension check
    // included, and fails as it would (a damaged file is the same LeindexError). A worker that
    // died (E_WORKER) is only a lost head start: the file is opened here instead.
    if (this.worker) {
      try {
        return this.worker.search(q, k);
      } catch (err) {
        if (!(err instanceof LeindexError && err.code === 'E_WORKER')) throw err;
        this.worker.close();
        this.worker = undefined;
      }
    }
    const view = this.open();
    if (view.dim !== q.length) return { keys: new Float64Array(0), similarities: new Float32Array(0) };
    return view.search(q, k);
  }

  /**
   * Opens the vector index in this thread now, if it is not open yet (else on first search).
   * With `background`, hnswview addresses the graph and maps the file's pages in a native
   * thread of its own, which the first search waits for (VectorIndexView's `background`).
   */
  open(background = false): VectorIndexView {
    this.view ??= VectorIndexView.open(this.path, {
      stamp: this.session.reader.info.vectors?.stamp,
      background,
    });
    return this.view;
  }

  /**
   * Starts opening the vector index for a search that will need it soon: its file checks and
   * the map here, the rest in hnswview's thread while this one scores the lexical and name
   * candidates and embeds the query. No-op when a worker opens it or it is open.
   */
  prepare(): void {
    if (!this.worker && !this.view) this.open(true);
  }

  nearest(q: Float32Array, k: number): { ids: number[]; sims: number[] } {
    const hits = this.search(q, k);
    const fileOfKey = this.keyMap();
    const starts = this.session.files().symbolStart;
    const ids: number[] = [];
    const sims: number[] = [];
    for (let i = 0; i < hits.keys.length; i++) {
      const { fileKey, row } = splitVectorKey(hits.keys[i]!);
      const file = fileOfKey.get(fileKey);
      if (file === undefined) continue;
      ids.push((starts[file] ?? 0) + row);
      sims.push(hits.similarities[i]!);
    }
    return { ids, sims };
  }

  similarity(id: number, q: Float32Array): number | undefined {
    const v = symbolVector(this.session, id);
    return v && v.length === q.length ? cosine(v, q) : undefined;
  }

  similarities(ids: readonly number[], q: Float32Array): (number | undefined)[] {
    return similarities(this.session, ids, q);
  }

  /** Drops the view (or stops the worker: a later search opens the file in this thread). */
  release(): number {
    const bytes = (this.fileOfKey?.size ?? 0) * 32;
    this.view?.close();
    this.view = undefined;
    this.worker?.close();
    this.worker = undefined;
    this.fileOfKey = undefined;
    return bytes;
  }
}
