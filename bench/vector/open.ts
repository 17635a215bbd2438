// What opening the corpus-sized vector index costs a process: open time per verify mode,
// growth of the JS heap + ArrayBuffers and of RSS at open and after 1000 searches, the first
// search's latency. Each measurement runs in a fresh child process (nothing else loaded).
// Builds the index with the default parameters first (or reuses --file). Main thread.
// Usage: node dist/bench/vector/open.js [--index-dir d] [--cache d] [--file f] [--out f|'']

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { VectorIndexBuilder } from '../../src/vector/builder.js';
import { DEFAULT_VECTOR_PARAMS } from '../../src/vector/options.js';
import { VectorIndexView } from '../../src/vector/view.js';
import { arg, percentile, record, round, setup, time } from './common.js';

const MODES = ['layout', 'graph', 'full'] as const;

/** In the child: open, measure, search, print one JSON object. */
function child(file: string, mode: (typeof MODES)[number], queriesPath: string): void {
  const q = readFileSync(queriesPath);
  const queries = new Float32Array(q.buffer, q.byteOffset, q.byteLength / 4);
  const mem = (): { js: number; rss: number } => {
    const m = process.memoryUsage();
    return { js: m.heapUsed + m.arrayBuffers, rss: m.rss };
  };
  const m0 = mem();
  const [view, openMs] = time(() => VectorIndexView.open(file, { verify: mode }));
  const m1 = mem();
  const d = view.dim;
  const [, firstMs] = time(() => view.search(queries.subarray(0, d), 10));
  const lat: number[] = [];
  for (let i = d; i < Math.min(queries.length, 1001 * d); i += d) {
    lat.push(time(() => view.search(queries.subarray(i, i + d), 10))[1]);
  }
  lat.sort((a, b) => a - b);
  const m2 = mem();
  process.stdout.write(
    JSON.stringify({
      openMs: round(openMs, 2),
      openJsMB: round((m1.js - m0.js) / 1e6, 2),
      openRssMB: round((m1.rss - m0.rss) / 1e6, 2),
      firstSearchMs: round(firstMs, 3),
      p50Ms: round(percentile(lat, 50), 3),
      p99Ms: round(percentile(lat, 99), 3),
      afterSearchesJsMB: round((m2.js - m0.js) / 1e6, 2),
      afterSearchesRssMB: round((m2.rss - m0.rss) / 1e6, 2),
    }),
  );
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    child(argv[1] ?? '', (argv[2] ?? 'graph') as (typeof MODES)[number], argv[3] ?? '');
    return;
  }
  const { loadCorpusVectors } = await import('./corpus-vectors.js');
  const cacheDir = arg('cache', '/tmp/vec-cache');
  const c = await loadCorpusVectors(arg('index-dir', '/tmp/vec-idx'), cacheDir);
  const file = arg('file', '/tmp/vec-bench/open.idx');
  const out = arg('out', 'bench/runs/vector-open-2026-11-24.jsonl');
  if (!existsSync(file)) {
    const b = VectorIndexBuilder.create(c.dim, { threads: 2 });
    b.add(c.keys, c.vectors);
    b.save(file);
  }
  const self = fileURLToPath(import.meta.url);
  // Interleaved rounds: the shared machine's busy spells hit every mode alike.
  for (let round_ = 0; round_ < 3; round_++) {
    for (const mode of MODES) {
      const r = spawnSync(process.execPath, [self, '--child', file, mode, `${cacheDir}/textQueries.bin`], {
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
      record(out, {
        bench: 'vector-open',
        verify: mode,
        round: round_,
        n: c.keys.length,
        ...DEFAULT_VECTOR_PARAMS,
        fileMB: round(statSync(file).size / 1e6, 2),
        ...(JSON.parse(r.stdout) as Record<string, number>),
        ...setup(),
      });
    }
  }
}

await main();
