// The VectorSource of an index with an HNSW file: nearest neighbours from the memory-mapped
// vector index (src/vector: usearch `view`, pages in on demand, not heap), keys mapped back to
// this generation's symbol ids through the file table's stable file keys. Main thread.

import { join } from 'node:path';
import type { IndexSession } from '../query/session.js';
import { VECTOR_DIR, splitVectorKey } from '../pipeline/vectors.js';
import { VectorIndexView } from '../vector/view.js';
import { cosine, symbolVector, type VectorSource } from './vectors.js';

export class HnswVectors implements VectorSource {
  private view: VectorIndexView | undefined;
  private fileOfKey: Map<number, number> | undefined;

  constructor(
    private readonly session: IndexSession,
    private readonly file: string,
  ) {}

  private open(): { view: VectorIndexView; fileOfKey: Map<number, number> } {
    this.view ??= VectorIndexView.open(join(this.session.indexDir, VECTOR_DIR, this.file), {
      stamp: this.session.reader.info.vectors?.stamp,
    });
    if (!this.fileOfKey) {
      const keys = this.session.files().fileKey;
      this.fileOfKey = new Map();
      keys?.forEach((k, file) => this.fileOfKey!.set(k, file));
    }
    return { view: this.view, fileOfKey: this.fileOfKey };
  }

  nearest(q: Float32Array, k: number): { ids: number[]; sims: number[] } {
    const { view, fileOfKey } = this.open();
    if (view.dim !== q.length) return { ids: [], sims: [] };
    const hits = view.search(q, k);
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

  release(): number {
    const bytes = (this.fileOfKey?.size ?? 0) * 32;
    this.view?.close();
    this.view = undefined;
    this.fileOfKey = undefined;
    return bytes;
  }
}
