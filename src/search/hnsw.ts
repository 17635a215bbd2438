// The VectorSource of an index with an HNSW file: nearest neighbours from the memory-mapped
// vector index (src/vector: usearch `view`, pages in on demand, not heap), keys mapped back to
// this generation's symbol ids through the file table's stable file keys. A generation that
// kept an earlier file lists stale keys (src/pipeline/vectors.ts): their hits are dropped
// (over-fetching while they crowd the top k) and the current vectors of those keys' files are
// searched exactly from their fragments, with usearch's kernel, then merged. An index in
// segments (a build under a one-worker budget) is searched segment by segment and the hits
// merged by similarity: each segment is a whole index of its own vectors. Opened in this
// thread on first use or when a search starts (prepare(): hnswview addresses the graph and
// maps the file's pages in a native thread of its own meanwhile), or in a worker started at
// once (`background`, LEINDEX_VECTOR_WORKER=on). Main thread.

import { join } from 'node:path';
import { LeindexError } from '../errors.js';
import type { IndexSession } from '../query/session.js';
import { nativeExactSearch } from '../../native/usearch.js';
import { VECTOR_DIR, splitVectorKey, vectorFilesOf, type StaleKey } from '../pipeline/vectors.js';
import type { VectorFileStamp } from '../vector/format.js';
import { checkQuery, quantizeI8, toHits, type VectorHits } from '../vector/query.js';
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
  /** The index's files (one, or its segments) and their views, opened on first use. */
  private readonly files: readonly { file: string; stamp?: VectorFileStamp }[];
  private views: (VectorIndexView | undefined)[] = [];
  private worker: VectorViewWorker | undefined;
  private fileOfKey: Map<number, number> | undefined;

  /** For a session whose generation has a vector index (E_INDEX_MISSING otherwise). */
  constructor(
    private readonly session: IndexSession,
    options: HnswOptions = {},
  ) {
    const record = session.reader.info.vectors;
    if (!record) throw new LeindexError('E_INDEX_MISSING', 'this index has no vector file');
    this.files = vectorFilesOf(record);
    // The worker opens one file: an index in segments is opened here.
    if (options.background && this.files.length === 1) {
      try {
        this.worker = VectorViewWorker.start(this.pathOf(0), {
          stamp: this.files[0]!.stamp,
          ...(options.workerFile !== undefined ? { workerFile: options.workerFile } : {}),
        });
      } catch {
        // No thread to be had (resource limits): the file is opened here on first use.
        this.worker = undefined;
      }
    }
  }

  private pathOf(i: number): string {
    return join(this.session.indexDir, VECTOR_DIR, this.files[i]!.file);
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
    const views = this.open();
    if (views.length === 1) {
      const view = views[0]!;
      if (view.dim !== q.length) return { keys: new Float64Array(0), similarities: new Float32Array(0) };
      return view.search(q, k);
    }
    // Segments: each one's k best, merged (stable: ties keep the segments' build order).
    const hits: { key: number; sim: number }[] = [];
    for (const view of views) {
      if (view.dim !== q.length) continue;
      const h = view.search(q, k);
      for (let i = 0; i < h.keys.length; i++) hits.push({ key: h.keys[i]!, sim: h.similarities[i]! });
    }
    hits.sort((a, b) => b.sim - a.sim);
    const top = hits.slice(0, k);
    return {
      keys: Float64Array.from(top, (h) => h.key),
      similarities: Float32Array.from(top, (h) => h.sim),
    };
  }

  /**
   * Opens the vector index's files in this thread now, those not open yet (else on first
   * search). With `background`, hnswview addresses each graph and maps its pages in a native
   * thread of its own, which the first search waits for (VectorIndexView's `background`).
   */
  open(background = false): VectorIndexView[] {
    return this.files.map((f, i) => {
      const view = this.views[i] ?? VectorIndexView.open(this.pathOf(i), { stamp: f.stamp, background });
      this.views[i] = view;
      return view;
    });
  }

  /**
   * Starts opening the vector index for a search that will need it soon: its file checks and
   * the map here, the rest in hnswview's thread while this one scores the lexical and name
   * candidates and embeds the query. No-op when a worker opens it or it is open.
   */
  prepare(): void {
    if (!this.worker && this.views.length === 0) this.open(true);
  }

  nearest(q: Float32Array, k: number): { ids: number[]; sims: number[] } {
    const stale = this.session.reader.info.vectors?.stale;
    if (!stale || stale.length === 0) {
      const { ids, sims } = this.fileHits(q, k, undefined);
      return { ids, sims };
    }
    const staleKeys = new Set(stale.map((e) => e[0]));
    // Dead rows may crowd the top k: fetch more until k live ones (or every row) came back.
    // An exact search's k best live rows are then the same as a fresh index's.
    const dead = stale.reduce((n, e) => n + e[1], 0);
    let kk = k;
    let base: { ids: number[]; sims: number[]; all: boolean };
    for (;;) {
      base = this.fileHits(q, kk, staleKeys);
      if (base.ids.length >= k || base.all || kk >= k + dead) break;
      kk = Math.min(k + dead, kk * 4);
    }
    const extra = this.staleHits(q, k, stale);
    if (extra.ids.length === 0) return { ids: base.ids.slice(0, k), sims: base.sims.slice(0, k) };
    // Merged by similarity (ties by id: a fresh index's tie order is its rows' insertion order).
    const order = [...base.ids.keys()].map((i) => ({ id: base.ids[i]!, sim: base.sims[i]! }));
    for (let i = 0; i < extra.ids.length; i++) order.push({ id: extra.ids[i]!, sim: extra.sims[i]! });
    const top = order.sort((a, b) => b.sim - a.sim || a.id - b.id).slice(0, k);
    return { ids: top.map((h) => h.id), sims: top.map((h) => h.sim) };
  }

  /** The file's hits as symbol ids, those of `skip` keys (and of files gone) left out. */
  private fileHits(
    q: Float32Array,
    k: number,
    skip: ReadonlySet<number> | undefined,
  ): { ids: number[]; sims: number[]; all: boolean } {
    const hits = this.search(q, k);
    const fileOfKey = this.keyMap();
    const starts = this.session.files().symbolStart;
    const ids: number[] = [];
    const sims: number[] = [];
    for (let i = 0; i < hits.keys.length; i++) {
      const { fileKey, row } = splitVectorKey(hits.keys[i]!);
      const file = skip?.has(fileKey) ? undefined : fileOfKey.get(fileKey);
      if (file === undefined) continue;
      ids.push((starts[file] ?? 0) + row);
      sims.push(hits.similarities[i]!);
    }
    return { ids, sims, all: hits.keys.length < k };
  }

  /**
   * The k best of the stale keys' current vectors (read from their files' fragments), by
   * usearch's exact kernel on the int8 rows: what the index would hold for them.
   */
  private staleHits(
    q: Float32Array,
    k: number,
    stale: readonly StaleKey[],
  ): { ids: number[]; sims: number[] } {
    const fileOfKey = this.keyMap();
    const starts = this.session.files().symbolStart;
    const rowIds: number[] = [];
    const chunks: Int8Array[] = [];
    let dim = 0;
    for (const [key, , live] of stale) {
      const file = live > 0 ? fileOfKey.get(key) : undefined;
      if (file === undefined) continue;
      const frag = this.session.fragment(file);
      if (frag.vectorCount === 0 || frag.vectorDim !== q.length) continue;
      dim = frag.vectorDim;
      const { rows, data } = frag.vectorBlock();
      for (let i = 0; i < rows.length; i++) {
        const row = data.subarray(i * dim, (i + 1) * dim);
        // The index skips all-zero rows (no direction): so does this.
        if (row.every((x) => x === 0)) continue;
        rowIds.push((starts[file] ?? 0) + rows[i]!);
        chunks.push(row);
      }
    }
    if (rowIds.length === 0 || checkQuery(q, dim) === 'zero') return { ids: [], sims: [] };
    const data = new Int8Array(rowIds.length * dim);
    chunks.forEach((c, i) => data.set(c, i * dim));
    const native = nativeExactSearch(data, quantizeI8(q, dim), dim, Math.min(k, rowIds.length), 1)[0];
    if (!native) return { ids: [], sims: [] };
    const hits = toHits(native, Float64Array.from(rowIds));
    return { ids: Array.from(hits.keys), sims: Array.from(hits.similarities) };
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
    for (const view of this.views) view?.close();
    this.views = [];
    this.worker?.close();
    this.worker = undefined;
    this.fileOfKey = undefined;
    return bytes;
  }
}
