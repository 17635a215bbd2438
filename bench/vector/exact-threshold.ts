// Up to which size is brute force the better search: for subsets of the real corpus vectors
// (n = 1k … 80k, a random sample), single-query latency of the exact path and of the graph
// path (default parameters), the graph's recall against exact f32, and what the exact path
// costs to open and hold. One JSON line per n into bench/runs/vector-exact-<date>.jsonl.
// Usage: node dist/bench/vector/exact-threshold.js [--index-dir d] [--cache d] [--out f|'']

import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { nativeExactSearch } from '../../native/usearch.js';
import { VectorIndexBuilder } from '../../src/vector/builder.js';
import { DEFAULT_VECTOR_PARAMS } from '../../src/vector/options.js';
import type { VectorHits } from '../../src/vector/query.js';
import { VectorIndexView } from '../../src/vector/view.js';
import { arg, percentile, record, round, setup, time } from './common.js';
import { prng } from '../../scripts/embed/linalg.js';
import { loadCorpusVectors, TRUTH_K } from './corpus-vectors.js';

const SIZES = [1000, 2000, 5000, 10_000, 20_000, 40_000, 80_000];
const QUERIES = 500;

function latencies(view: VectorIndexView, queries: Float32Array, dim: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < queries.length; i += dim)
    out.push(time(() => view.search(queries.subarray(i, i + dim), TRUTH_K))[1]);
  return out.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const c = await loadCorpusVectors(arg('index-dir', '/tmp/vec-idx'), arg('cache', '/tmp/vec-cache'));
  const out = arg('out', 'bench/runs/vector-exact-2026-11-24.jsonl');
  const work = arg('work', '/tmp/vec-bench');
  mkdirSync(work, { recursive: true });
  const d = c.dim;
  const order = Array.from({ length: c.keys.length }, (_, i) => i);
  const rand = prng(11);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j] ?? 0, order[i] ?? 0];
  }
  const queries = c.textQueries.subarray(0, QUERIES * d);
  for (const n of SIZES) {
    const keys = new Float64Array(n);
    const vectors = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      const r = order[i] ?? 0;
      keys[i] = c.keys[r] ?? 0;
      vectors.set(c.vectors.subarray(r * d, (r + 1) * d), i * d);
    }
    const file = join(work, `exact-${n}.idx`);
    const b = VectorIndexBuilder.create(d, { threads: 2 });
    b.add(keys, vectors);
    b.save(file);
    const truth = nativeExactSearch(vectors, queries, d, TRUTH_K, 2);
    const recallOf = (hits: VectorHits[]): number => {
      let sum = 0;
      hits.forEach((h, i) => {
        const t = truth[i];
        const want = new Set(Array.from(t?.keys ?? [], (row) => keys[Number(row)]));
        const kth = 1 - (t?.distances[TRUTH_K - 1] ?? 0);
        // Hits found but not in the exact set still count when tied with the k-th (ε = 1e-3).
        h.keys.forEach((k, j) => {
          if (want.has(k) || (h.similarities[j] ?? -1) >= kth - 1e-3) sum += 1 / TRUTH_K;
        });
      });
      return sum / hits.length;
    };
    const [exactView, exactOpenMs] = time(() => VectorIndexView.open(file, { exactBelow: Infinity }));
    const [graphView, graphOpenMs] = time(() => VectorIndexView.open(file, { exactBelow: 0 }));
    // Interleave the two paths so a busy moment of the shared machine hits both.
    const ex: number[] = [];
    const gr: number[] = [];
    for (let rep = 0; rep < 3; rep++) {
      ex.push(...latencies(exactView, queries, d));
      gr.push(...latencies(graphView, queries, d));
    }
    ex.sort((a, b) => a - b);
    gr.sort((a, b) => a - b);
    const qs = (v: VectorIndexView): VectorHits[] =>
      Array.from({ length: QUERIES }, (_, i) => v.search(queries.subarray(i * d, (i + 1) * d), TRUTH_K));
    record(out, {
      bench: 'vector-exact-threshold',
      n,
      dim: d,
      ...DEFAULT_VECTOR_PARAMS,
      fileMB: round(statSync(file).size / 1e6, 2),
      exactOpenMs: round(exactOpenMs, 2),
      exactHeldMB: round((n * d) / 1e6, 2),
      graphOpenMs: round(graphOpenMs, 2),
      exactP50Ms: round(percentile(ex, 50), 3),
      exactP99Ms: round(percentile(ex, 99), 3),
      graphP50Ms: round(percentile(gr, 50), 3),
      graphP99Ms: round(percentile(gr, 99), 3),
      exactRecall: round(recallOf(qs(exactView)), 4),
      graphRecall: round(recallOf(qs(graphView)), 4),
      ...setup(),
    });
    rmSync(file, { force: true });
  }
}

await main();
