// Which HNSW parameters: builds the real corpus vectors into an index for every point of a
// grid (connectivity × expansionAdd × quantisation), saves it, maps it with a view and
// measures recall@10 against exact f32 search and single-query latency at several search
// expansions. One JSON line per build into bench/runs/vector-params-<date>.jsonl.
// Usage: node dist/bench/vector/params.js [--index-dir /tmp/vec-idx] [--cache /tmp/vec-cache]
//          [--grid full|quick] [--reps 1] [--threads 2] [--out file|''] [--only c,ea,q;c,ea,q…]

import { cpuUsage } from 'node:process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { NativeIndex } from '../../native/usearch.js';
import { VectorIndexBuilder } from '../../src/vector/builder.js';
import type { VectorQuantization } from '../../src/vector/options.js';
import { toHits, type VectorHits } from '../../src/vector/query.js';
import { VectorIndexView } from '../../src/vector/view.js';
import { arg, makeRecall, percentile, record, round, setup, time } from './common.js';
import { loadCorpusVectors, TRUTH_K, type CorpusVectors } from './corpus-vectors.js';

/** 'i8cast' = usearch's own f32→i8 cast (|v|=1 → 127) instead of leindex's per-row scaling. */
type Quant = VectorQuantization | 'i8cast';

interface GridPoint {
  connectivity: number;
  expansionAdd: number;
  quantization: Quant;
}

const SEARCH_EFS = [16, 32, 64, 128, 256, 512];
const BATCH = 1024; // vectors per add() call: about one parse result's worth

function grid(kind: string): GridPoint[] {
  const pts: GridPoint[] = [];
  if (kind === 'quick') {
    for (const quantization of ['i8', 'f16'] as const)
      pts.push({ connectivity: 16, expansionAdd: 64, quantization });
    return pts;
  }
  for (const connectivity of [8, 12, 16, 24])
    for (const expansionAdd of [16, 32, 64, 128])
      pts.push({ connectivity, expansionAdd, quantization: 'i8' });
  for (const expansionAdd of [32, 64]) pts.push({ connectivity: 32, expansionAdd, quantization: 'i8' });
  for (const connectivity of [12, 16])
    for (const expansionAdd of [32, 64]) pts.push({ connectivity, expansionAdd, quantization: 'f16' });
  pts.push({ connectivity: 16, expansionAdd: 64, quantization: 'f32' });
  pts.push({ connectivity: 16, expansionAdd: 64, quantization: 'i8cast' });
  return pts;
}

function buildAndSave(c: CorpusVectors, p: GridPoint, threads: number, file: string): Record<string, number> {
  const n = c.keys.length;
  const cpu0 = cpuUsage();
  const t0 = performance.now();
  let saveMs: number;
  if (p.quantization === 'i8cast') {
    const ix = new NativeIndex({ ...p, dimensions: c.dim, quantization: 'i8', expansionSearch: 64 });
    for (let i = 0; i < n; i += BATCH) {
      const m = Math.min(BATCH, n - i);
      const keys = BigUint64Array.from(c.keys.subarray(i, i + m), (k) => BigInt(k));
      ix.add(keys, c.vectors.subarray(i * c.dim, (i + m) * c.dim), threads);
    }
    saveMs = time(() => ix.save(file))[1];
  } else {
    const b = VectorIndexBuilder.create(c.dim, { ...p, quantization: p.quantization, threads });
    for (let i = 0; i < n; i += BATCH) {
      const m = Math.min(BATCH, n - i);
      b.add(c.keys.subarray(i, i + m), c.vectors.subarray(i * c.dim, (i + m) * c.dim));
    }
    saveMs = time(() => b.save(file))[1];
  }
  const wall = performance.now() - t0;
  const cpu = cpuUsage(cpu0);
  return {
    buildMs: round(wall - saveMs, 0),
    buildCpuMs: round((cpu.user + cpu.system) / 1000, 0),
    saveMs: round(saveMs, 0),
    fileMB: round(statSync(file).size / 1e6, 2),
  };
}

type Recall = ReturnType<typeof makeRecall>;
type Searcher = (queries: Float32Array, single: boolean) => VectorHits[];

function openSearcher(c: CorpusVectors, p: GridPoint, file: string, ef: number): Searcher {
  if (p.quantization === 'i8cast') {
    const ix = new NativeIndex({
      dimensions: c.dim,
      quantization: 'i8',
      connectivity: p.connectivity,
      expansionAdd: p.expansionAdd,
      expansionSearch: ef,
    });
    ix.view(file);
    return (q, single) => ix.search(q, TRUTH_K, single ? 1 : 2).map((h) => toHits(h));
  }
  const view = VectorIndexView.open(file, { exactBelow: 0, expansionSearch: ef });
  return (q, single) => (single ? [view.search(q, TRUTH_K)] : view.searchBatch(q, TRUTH_K, 2));
}

function measureSearch(
  c: CorpusVectors,
  recall: Recall,
  strict: Recall,
  search: Searcher,
): Record<string, number> {
  const symHits = search(c.symbolQueries, false);
  const textHits = search(c.textQueries, false);
  const lat: number[] = [];
  for (const qs of [c.symbolQueries, c.textQueries]) {
    for (let i = 0; i < qs.length; i += c.dim)
      lat.push(time(() => search(qs.subarray(i, i + c.dim), true))[1]);
  }
  lat.sort((a, b) => a - b);
  return {
    recallSym: round(recall(symHits, 'symbol'), 4),
    recallText: round(recall(textHits, 'text'), 4),
    strictSym: round(strict(symHits, 'symbol'), 4),
    strictText: round(strict(textHits, 'text'), 4),
    p50Ms: round(percentile(lat, 50), 3),
    p99Ms: round(percentile(lat, 99), 3),
  };
}

async function main(): Promise<void> {
  const c = await loadCorpusVectors(arg('index-dir', '/tmp/vec-idx'), arg('cache', '/tmp/vec-cache'));
  const recall = makeRecall(c, 1e-3);
  const strict = makeRecall(c, 1e-5);
  const threads = Number(arg('threads', '2'));
  const reps = Number(arg('reps', '1'));
  const out = arg('out', 'bench/runs/vector-params-2026-11-24.jsonl');
  const work = arg('work', '/tmp/vec-bench');
  mkdirSync(work, { recursive: true });
  let pts = grid(arg('grid', 'full'));
  const only = arg('only', '');
  if (only) {
    pts = only.split(';').map((spec) => {
      const [cn, ea, q] = spec.split(',');
      return { connectivity: Number(cn), expansionAdd: Number(ea), quantization: (q ?? 'i8') as Quant };
    });
  }
  const n = c.keys.length;
  process.stderr.write(`${n} vectors × ${c.dim}, ${pts.length} grid points × ${reps} reps\n`);
  // Reps loop outside the grid: a busy period of the shared machine then hits every point alike.
  for (let rep = 0; rep < reps; rep++) {
    for (const p of pts) {
      const file = join(work, `c${p.connectivity}-e${p.expansionAdd}-${p.quantization}.idx`);
      const build = buildAndSave(c, p, threads, file);
      const searches = SEARCH_EFS.map((ef) => ({
        ef,
        ...measureSearch(c, recall, strict, openSearcher(c, p, file, ef)),
      }));
      record(out, {
        bench: 'vector-params',
        n,
        dim: c.dim,
        ...p,
        threads,
        batch: BATCH,
        rep,
        ...build,
        vectorsPerSec: round((n / (build.buildMs ?? 1)) * 1000, 0),
        searches,
        ...setup(),
      });
      rmSync(file, { force: true });
    }
  }
}

await main();
