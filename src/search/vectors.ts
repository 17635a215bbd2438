// Where search gets symbol vectors from: the VectorSource interface, and its exact
// implementation that scans the int8 vectors stored in the fragments (used when the index
// has no HNSW file, and as the reference the HNSW path is tested against). Main thread.

import { i8Dots } from '../../native/hnswview.js';
import type { FragmentReader } from '../graph/fragment.js';
import { NONE } from '../protocol.js';
import type { IndexSession } from '../query/session.js';

export interface VectorSource {
  /** The k symbol ids most similar (cosine) to unit vector q, best first. */
  nearest(q: Float32Array, k: number): { ids: number[]; sims: number[] };
  /** Cosine of q with symbol `id`'s vector, or undefined when it has none. */
  similarity(id: number, q: Float32Array): number | undefined;
  /** similarity for each of `ids`, reading each file's fragment once. */
  similarities(ids: readonly number[], q: Float32Array): (number | undefined)[];
  /** Drops what it holds in memory; returns the bytes freed (the governor's spill). */
  release(): number;
  /** Starts opening what nearest() will search, in the background where it can. */
  prepare?(): void;
}

/** The vector of symbol `id` from its fragment, dequantised, or undefined. */
export function symbolVector(session: IndexSession, id: number): Float32Array | undefined {
  return session.symbolVector(id);
}

/**
 * Cosine of q with each of `ids`' stored vectors (undefined where none or of another
 * dimension): cosine(symbolVector(id), q), to the bit, reading each file's fragment once (a
 * query's ~100 lookups fall in ~40 files) and without dequantised copies (rowDots).
 */
export function similarities(
  session: IndexSession,
  ids: readonly number[],
  q: Float32Array,
): (number | undefined)[] {
  const g = session.view();
  const out = new Array<number | undefined>(ids.length).fill(undefined);
  const byFile = new Map<number, number[]>();
  ids.forEach((id, k) => {
    const file = g.symbols.file[id] ?? NONE;
    if (file === NONE) return;
    const list = byFile.get(file);
    if (list) list.push(k);
    else byFile.set(file, [k]);
  });
  for (const [file, ks] of byFile) {
    // Valid until the next store read: every row is used before it.
    const frag = session.fragmentInPassing(file);
    if (frag.vectorDim !== q.length) continue;
    const start = g.files.symbolStart[file] ?? 0;
    const rows: number[] = [];
    const at: number[] = [];
    for (const k of ks) {
      const i = frag.vectorIndexOf(ids[k]! - start);
      if (i < 0) continue;
      rows.push(i);
      at.push(k);
    }
    if (rows.length === 0) continue;
    const sims = rowDots(frag, Int32Array.from(rows), q);
    at.forEach((k, j) => (out[k] = sims[j]!));
  }
  return out;
}

/**
 * cosine(frag.vector(i), q) for each i of `rows`: each component int8 × scale rounded to f32
 * (as the dequantised Float32Array stores it), summed in double in order. The addon does it
 * where it is built (a cold search runs this in V8's interpreter, which allocates a heap
 * number per operation: ~75 rows × 256 components); the loop below is the same arithmetic.
 */
export function rowDots(frag: FragmentReader, rows: Int32Array, q: Float32Array): Float64Array {
  const { scales, data } = frag.vectorBlock();
  const native = i8Dots(data, scales, rows, q);
  if (native) return native;
  return jsRowDots(data, scales, rows, q);
}

/** rowDots' arithmetic in JS (no addon; tests compare the two). */
export function jsRowDots(
  data: Int8Array,
  scales: Float32Array,
  rows: Int32Array,
  q: Float32Array,
): Float64Array {
  const dim = q.length;
  const out = new Float64Array(rows.length);
  for (let j = 0; j < rows.length; j++) {
    const r = rows[j]!;
    const scale = scales[r]!;
    let s = 0;
    for (let k = 0, at = r * dim; k < dim; k++, at++) s += Math.fround(data[at]! * scale) * q[k]!;
    out[j] = s;
  }
  return out;
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Exact search over every stored vector: loads them all once (int8, dim bytes each). */
export class ExactVectors implements VectorSource {
  private ids: Int32Array | undefined;
  private scales: Float32Array | undefined;
  private data: Int8Array | undefined;
  private dim = 0;

  constructor(private readonly session: IndexSession) {}

  private load(): void {
    if (this.ids) return;
    const g = this.session.graph();
    const ids: number[] = [];
    const scales: number[] = [];
    const chunks: Int8Array[] = [];
    // The fragments' int8 rows with their scales, as stored: nothing to re-quantise.
    for (let file = 0; file < g.files.relPath.length; file++) {
      const frag = this.session.fragment(file);
      if (frag.vectorCount === 0) continue;
      this.dim = frag.vectorDim;
      const base = g.files.symbolStart[file] ?? 0;
      const block = frag.vectorBlock();
      for (let i = 0; i < frag.vectorCount; i++) {
        ids.push(base + block.rows[i]!);
        scales.push(block.scales[i]!);
        chunks.push(block.data.slice(i * this.dim, (i + 1) * this.dim));
      }
    }
    this.ids = Int32Array.from(ids);
    this.scales = Float32Array.from(scales);
    this.data = new Int8Array(chunks.length * this.dim);
    chunks.forEach((q, i) => this.data!.set(q, i * this.dim));
  }

  nearest(q: Float32Array, k: number): { ids: number[]; sims: number[] } {
    this.load();
    const ids = this.ids!;
    const scales = this.scales!;
    const data = this.data!;
    const dim = this.dim;
    if (dim !== q.length) return { ids: [], sims: [] };
    const sims = new Float32Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      let s = 0;
      const base = i * dim;
      for (let d = 0; d < dim; d++) s += q[d]! * data[base + d]!;
      sims[i] = s * scales[i]!;
    }
    const order = Array.from(sims.keys());
    order.sort((a, b) => sims[b]! - sims[a]! || ids[a]! - ids[b]!);
    const top = order.slice(0, k);
    return { ids: top.map((i) => ids[i]!), sims: top.map((i) => sims[i]!) };
  }

  similarity(id: number, q: Float32Array): number | undefined {
    const v = symbolVector(this.session, id);
    return v && v.length === q.length ? cosine(v, q) : undefined;
  }

  similarities(ids: readonly number[], q: Float32Array): (number | undefined)[] {
    return similarities(this.session, ids, q);
  }

  release(): number {
    const bytes = (this.data?.byteLength ?? 0) + (this.ids?.byteLength ?? 0) * 2;
    this.ids = undefined;
    this.scales = undefined;
    this.data = undefined;
    return bytes;
  }
}
