// Exact (brute-force) search for small indexes: the live rows of a saved index file, read
// once into typed arrays (rows × dim bytes for int8), searched with usearch's SIMD kernels.
// Main or server thread.

import { closeSync } from 'node:fs';
import { nativeExactSearch } from '../../native/usearch.js';
import { FREE_KEY, openForRead, readAt, TRAILER_BYTES, type VectorFileInfo } from './format.js';
import type { VectorQuantization } from './options.js';
import { NO_HITS, quantizeI8, toHits, type VectorHits } from './query.js';

/** The live rows of an index file, in memory, for brute-force search. */
export class ExactRows {
  private constructor(
    readonly dim: number,
    readonly quantization: VectorQuantization,
    /** i8 rows as stored, or f32 (f16 files are widened). */
    private readonly data: Int8Array | Float32Array,
    private readonly keys: Float64Array,
  ) {}

  get size(): number {
    return this.keys.length;
  }

  /** Reads the vector matrix and node keys of a validated file, dropping removed slots. */
  static read(info: VectorFileInfo): ExactRows {
    const fd = openForRead(info.path);
    try {
      // One read of the levels and nodes (a small index's graph is a few MB).
      const graph = readAt(fd, info.levelsOffset, info.fileBytes - TRAILER_BYTES - info.levelsOffset);
      const live: number[] = [];
      const keys: number[] = [];
      let pos = info.rows * 2;
      for (let i = 0; i < info.rows; i++) {
        const key = graph.readBigUInt64LE(pos);
        pos += info.baseNodeBytes + graph.readInt16LE(i * 2) * info.levelNodeBytes;
        if (key === FREE_KEY) continue;
        live.push(i);
        keys.push(Number(key));
      }
      const matrix = readAt(fd, 8, info.rows * info.rowBytes);
      return new ExactRows(
        info.dim,
        info.quantization,
        liveRows(matrix, info, live),
        Float64Array.from(keys),
      );
    } finally {
      closeSync(fd);
    }
  }

  /** Top-k by cosine over every live row (query already checked). */
  search(query: Float32Array, k: number): VectorHits {
    const n = Math.min(k, this.size);
    if (n === 0) return NO_HITS;
    const q = this.quantization === 'i8' ? quantizeI8(query, this.dim) : query;
    const hits = nativeExactSearch(this.data, q, this.dim, n, 1)[0];
    return hits ? toHits(hits, this.keys) : NO_HITS;
  }
}

/**
 * The live rows of the stored matrix as searchable typed arrays: int8 rows as they are (no
 * copy when nothing was removed, else runs of live rows copied), f16/f32 widened to f32.
 */
function liveRows(matrix: Buffer, info: VectorFileInfo, live: readonly number[]): Int8Array | Float32Array {
  const dim = info.dim;
  if (info.quantization === 'i8') {
    const src = new Int8Array(matrix.buffer, matrix.byteOffset, matrix.length);
    if (live.length === info.rows) return src;
    const out = new Int8Array(live.length * dim);
    live.forEach((row, j) => out.set(src.subarray(row * dim, (row + 1) * dim), j * dim));
    return out;
  }
  const out = new Float32Array(live.length * dim);
  const f16 = info.quantization === 'f16';
  live.forEach((row, j) => {
    for (let c = 0; c < dim; c++) {
      out[j * dim + c] = f16
        ? halfToFloat(matrix.readUInt16LE((row * dim + c) * 2))
        : matrix.readFloatLE((row * dim + c) * 4);
    }
  });
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
