// The vector index's tunables with their defaults in one place, each with where its value
// comes from (bench/vector/README.md has the measurements). Pure data; any thread.

/** How vectors are stored inside the index (and in its file). */
export type VectorQuantization = 'i8' | 'f16' | 'f32';

export interface VectorIndexParams {
  /**
   * HNSW links per node on the upper layers (the base layer gets twice as many). More links:
   * better recall per expansion, slower builds, bigger files.
   */
  readonly connectivity: number;
  /** Candidate list size while inserting (efConstruction). The main lever on build time. */
  readonly expansionAdd: number;
  /** Candidate list size while searching (ef); searches for k > ef use k. */
  readonly expansionSearch: number;
  /**
   * i8 stores each vector scaled so its largest component is ±127 (cosine ignores the scale),
   * a quarter of f32; f16 half.
   */
  readonly quantization: VectorQuantization;
}

/**
 * Chosen on the 115k real corpus vectors (256-d, 2 threads; bench/vector/README.md): the
 * cheapest build whose recall@10 stayed >= 0.95 on both query sets in every repetition.
 * expansionAdd 32 builds in ~60% of the CPU but its recall swung by 0.03 between builds;
 * i8 (per-row scaled) matched f32 recall at a third of the file and half the build CPU.
 */
export const DEFAULT_VECTOR_PARAMS: VectorIndexParams = {
  connectivity: 16,
  expansionAdd: 64,
  expansionSearch: 128,
  quantization: 'i8',
};

/**
 * Indexes with at most this many live vectors are searched by brute force. Measured on
 * corpus subsets (bench/vector/README.md, "exact threshold"): at 5k, exact search p50 was
 * 0.09 ms against the graph's 0.065 ms, at 10k twice the graph's; below this size results
 * are exact and deterministic (2-thread HNSW builds differ run to run) for the price of
 * reading the file (~2 MB at 5k) at open.
 */
export const DEFAULT_EXACT_BELOW = 5_000;

/**
 * When an incrementally updated index should be rebuilt from scratch instead: once the
 * vectors removed (or replaced) since its last full build reach this fraction of its size
 * at that build. Removed nodes stay in the graph as tombstones and replaced ones keep stale
 * in-links, so recall and speed drift down with churn (bench/vector/README.md, "churn").
 */
export const REBUILD_CHURN_RATIO = 0.5;

/** Keys are non-negative integers below 2^53 (exact in a JS number). */
export const MAX_KEY = Number.MAX_SAFE_INTEGER;

export function bytesPerScalar(q: VectorQuantization): number {
  return q === 'i8' ? 1 : q === 'f16' ? 2 : 4;
}
