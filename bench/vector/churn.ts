// When should an incrementally updated index be rebuilt: builds the corpus vectors with the
// default parameters, then repeatedly loads the saved file, removes a random slice of keys
// and adds them back (as re-indexing edited files does), saves, and measures recall@10 and
// latency through a view after each step, against a fresh build. Also removal alone
// (tombstones). One JSON line per step into bench/runs/vector-churn-<date>.jsonl.
// Usage: node dist/bench/vector/churn.js [--index-dir d] [--cache d] [--out f|'']

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { VectorIndexBuilder } from '../../src/vector/builder.js';
import { DEFAULT_VECTOR_PARAMS } from '../../src/vector/options.js';
import { VectorIndexView } from '../../src/vector/view.js';
import { arg, makeRecall, percentile, record, round, setup, time } from './common.js';
import { prng } from '../../scripts/embed/linalg.js';
import { loadCorpusVectors, TRUTH_K, type CorpusVectors } from './corpus-vectors.js';

/** Cumulative churn after each step, as a fraction of the corpus. */
const STEPS = [0.1, 0.15, 0.25, 0.5, 0.5];

function measure(c: CorpusVectors, file: string): Record<string, number> {
  const recall = makeRecall(c, 1e-3);
  const view = VectorIndexView.open(file, { exactBelow: 0 });
  const sym = view.searchBatch(c.symbolQueries, TRUTH_K, 2);
  const text = view.searchBatch(c.textQueries, TRUTH_K, 2);
  const lat: number[] = [];
  for (let i = 0; i < c.textQueries.length; i += c.dim) {
    lat.push(time(() => view.search(c.textQueries.subarray(i, i + c.dim), TRUTH_K))[1]);
  }
  lat.sort((a, b) => a - b);
  return {
    recallSym: round(recall(sym, 'symbol'), 4),
    recallText: round(recall(text, 'text'), 4),
    p50Ms: round(percentile(lat, 50), 3),
    p99Ms: round(percentile(lat, 99), 3),
  };
}

async function main(): Promise<void> {
  const c = await loadCorpusVectors(arg('index-dir', '/tmp/vec-idx'), arg('cache', '/tmp/vec-cache'));
  const out = arg('out', 'bench/runs/vector-churn-2026-11-24.jsonl');
  const work = arg('work', '/tmp/vec-bench');
  mkdirSync(work, { recursive: true });
  const n = c.keys.length;
  const d = c.dim;
  const file = join(work, 'churn.idx');
  const base = VectorIndexBuilder.create(d, { threads: 2 });
  base.add(c.keys, c.vectors);
  base.save(file);
  const line = (step: Record<string, unknown>): void =>
    record(out, {
      bench: 'vector-churn',
      n,
      ...DEFAULT_VECTOR_PARAMS,
      ...step,
      ...measure(c, file),
      ...setup(),
    });
  line({ step: 'fresh', churnRatio: 0 });

  const rand = prng(5);
  let total = 0;
  for (const frac of STEPS) {
    const b = VectorIndexBuilder.fromFile(file, { threads: 2 });
    const m = Math.floor(frac * n);
    const rows = Array.from({ length: m }, () => Math.floor(rand() * n));
    const picked = [...new Set(rows)];
    const keys = picked.map((r) => c.keys[r] ?? 0);
    const vecs = new Float32Array(picked.length * d);
    picked.forEach((r, j) => vecs.set(c.vectors.subarray(r * d, (r + 1) * d), j * d));
    const [, updateMs] = time(() => {
      b.remove(keys);
      b.add(keys, vecs);
    });
    b.save(file);
    total += picked.length;
    line({
      step: 'remove+readd',
      churnRatio: round(b.health().churnRatio, 3),
      cumulative: round(total / n, 3),
      updateMs: round(updateMs, 0),
    });
  }

  // Removal alone: a quarter of the keys become tombstones.
  const b = VectorIndexBuilder.create(d, { threads: 2 });
  b.add(c.keys, c.vectors);
  const gone = Array.from({ length: Math.floor(n / 4) }, (_, i) => c.keys[i * 4] ?? 0);
  b.remove(gone);
  b.save(file);
  const kept = new Set(gone);
  // Recall against the truth without the removed keys would need a new truth: report only
  // latency and how many removed keys leak into results (must be 0).
  const view = VectorIndexView.open(file, { exactBelow: 0 });
  let leaked = 0;
  for (const h of view.searchBatch(c.textQueries, TRUTH_K, 2))
    h.keys.forEach((k) => (leaked += kept.has(k) ? 1 : 0));
  record(out, {
    bench: 'vector-churn',
    n,
    ...DEFAULT_VECTOR_PARAMS,
    step: 'remove-25%',
    tombstones: view.info.tombstones,
    leaked,
    ...setup(),
  });
}

await main();
