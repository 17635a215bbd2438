// Search latency on an existing index: a few hundred varied queries drawn deterministically
// from the index itself (identifiers, prefixes, names spelled as phrases, first sentences of
// docs, pasted-report paragraphs), run warm in this process and cold as fresh CLI processes.
// Usage: node dist/bench/latency/search.js <root> [--index-dir D] [--queries 300] [--cold 20]
//          [--record bench/runs/search-latency-<date>.jsonl --label what]
//          [--compare-bin other/bin/leindex.js]  (cold runs of another build, interleaved)
//          [--compare-index-dir D2]  (that build's index, when it reads another schema)
// Prints JSON lines (one per query type and phase, with the load average) on stdout, appends
// them to --record, and lists the slowest warm queries on stderr. Cold figures are wall and
// CPU (user + sys, from /usr/bin/time) of fresh processes.

import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IndexSession } from '../../src/query/session.js';
import { searchIndex } from '../../src/query/search.js';
import { arg, drawQueries, type Query } from './queries.js';

const BIN = fileURLToPath(new URL('../../../bin/leindex.js', import.meta.url));
const TIME = '/usr/bin/time';

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function summary(phase: string, type: string, ms: number[]): Record<string, unknown> {
  const s = [...ms].sort((a, b) => a - b);
  return {
    phase,
    type,
    n: s.length,
    p50: +percentile(s, 0.5).toFixed(2),
    p90: +percentile(s, 0.9).toFixed(2),
    p99: +percentile(s, 0.99).toFixed(2),
    max: +(s[s.length - 1] ?? 0).toFixed(2),
  };
}

/** Wall and CPU ms of one fresh `leindex search` process (CPU from /usr/bin/time when present). */
function coldRun(
  bin: string,
  root: string,
  indexDir: string,
  text: string,
): { wall: number; cpu: number | undefined; faults: number | undefined } {
  const args = [bin, 'search', text, '--path', root, '--index-dir', indexDir, '--json', '--limit', '10'];
  const timed = existsSync(TIME);
  const t0 = performance.now();
  const r = timed
    ? spawnSync(TIME, ['-f', 'LEINDEX_TIME %U %S %R', process.execPath, ...args], {
        encoding: 'utf8',
        maxBuffer: 1 << 24,
      })
    : spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  const wall = performance.now() - t0;
  if (r.status !== 0 && r.status !== 1) throw new Error(`search failed: ${r.stderr}`);
  const m = /LEINDEX_TIME ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  return {
    wall,
    cpu: m ? (Number(m[1]) + Number(m[2])) * 1000 : undefined,
    faults: m ? Number(m[3]) : undefined,
  };
}

function main(): void {
  const argv = process.argv.slice(2);
  const root = argv[0];
  if (!root)
    throw new Error(
      'usage: search.js <root> [--index-dir D] [--queries N] [--cold N] [--compare-bin B [--compare-index-dir D2]] [--record F --label L]',
    );
  const indexDir = arg(argv, '--index-dir') ?? join(root, '.leindex');
  const n = Number(arg(argv, '--queries') ?? 300);
  const coldN = Number(arg(argv, '--cold') ?? 20);
  const record = arg(argv, '--record');
  const rows: Record<string, unknown>[] = [];
  const base = {
    bench: 'search-latency',
    label: arg(argv, '--label') ?? '',
    date: new Date().toISOString(),
    node: process.version,
  };
  const emit = (row: Record<string, unknown>): void => {
    const full = { ...base, ...row, loadavg: loadavg().map((x) => +x.toFixed(2)) };
    rows.push(full);
    console.log(JSON.stringify(full));
  };

  let t = performance.now();
  const session = IndexSession.open(root, indexDir);
  const queries = drawQueries(session, n);
  const openMs = performance.now() - t;
  // First query pays for loading the graph, model and vector view: reported on its own.
  t = performance.now();
  searchIndex(session, 'warm up query', { limit: 10 });
  const firstMs = performance.now() - t;
  const byType = new Map<string, number[]>();
  const cpuByType = new Map<string, number[]>();
  const all: number[] = [];
  const timed: { ms: number; cpu: number; q: Query }[] = [];
  const cpu0 = process.cpuUsage();
  for (const q of queries) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    searchIndex(session, q.text, { limit: 10 });
    const ms = performance.now() - t0;
    const c = process.cpuUsage(c0);
    timed.push({ ms, cpu: (c.user + c.system) / 1000, q });
    all.push(ms);
    const list = byType.get(q.type) ?? [];
    list.push(ms);
    byType.set(q.type, list);
    const cpus = cpuByType.get(q.type) ?? [];
    cpus.push((c.user + c.system) / 1000);
    cpuByType.set(q.type, cpus);
  }
  const warmCpu = process.cpuUsage(cpu0);
  const cpuSorted = timed.map((t) => t.cpu).sort((a, b) => a - b);
  const rss = process.memoryUsage();
  emit({
    phase: 'setup',
    openMs: +openMs.toFixed(1),
    firstQueryMs: +firstMs.toFixed(1),
    queries: queries.length,
    rssMb: Math.round(rss.rss / 2 ** 20),
    heapMb: Math.round(rss.heapUsed / 2 ** 20),
  });
  emit({
    ...summary('warm', 'all', all),
    cpuMsPerQuery: +((warmCpu.user + warmCpu.system) / 1000 / Math.max(1, all.length)).toFixed(2),
    // Per-query CPU ms: what wall time would be on an idle machine (wall is inflated by load).
    cpuP50: +percentile(cpuSorted, 0.5).toFixed(2),
    cpuP90: +percentile(cpuSorted, 0.9).toFixed(2),
    cpuP99: +percentile(cpuSorted, 0.99).toFixed(2),
  });
  for (const [type, ms] of [...byType].sort()) {
    const cpu = [...cpuByType.get(type)!].sort((a, b) => a - b);
    emit({
      ...summary('warm', type, ms),
      cpuP50: +percentile(cpu, 0.5).toFixed(2),
      cpuP90: +percentile(cpu, 0.9).toFixed(2),
      cpuP99: +percentile(cpu, 0.99).toFixed(2),
    });
  }
  // The slow tail, for finding its cause.
  const slow = timed.sort((a, b) => b.ms - a.ms).slice(0, 8);
  for (const s of slow) {
    process.stderr.write(
      `slow ${s.ms.toFixed(1)} ms (cpu ${s.cpu.toFixed(1)}) ${s.q.type}: ${JSON.stringify(s.q.text.slice(0, 90))}\n`,
    );
  }
  void session.close();

  // Cold: fresh CLI processes; with --compare-bin, that build's CLI runs each query right
  // after this one (A, B, A, B, ...) so both see the same load.
  const other = arg(argv, '--compare-bin');
  const otherIndexDir = arg(argv, '--compare-index-dir') ?? indexDir;
  const bins: [string, string, string][] = [
    ['this', BIN, indexDir],
    ...(other ? [['compare', other, otherIndexDir] as [string, string, string]] : []),
  ];
  const cold = new Map(
    bins.map(([name]) => [name, { wall: [] as number[], cpu: [] as number[], faults: [] as number[] }]),
  );
  for (let i = 0; i < coldN && i < queries.length; i++) {
    const text = queries[(i * 7) % queries.length]!.text;
    for (const [name, bin, dir] of bins) {
      const r = coldRun(bin, root, dir, text);
      const c = cold.get(name)!;
      c.wall.push(r.wall);
      if (r.cpu !== undefined) c.cpu.push(r.cpu);
      if (r.faults !== undefined) c.faults.push(r.faults);
    }
  }
  const median = (xs: number[]): number | null =>
    xs.length
      ? +percentile(
          [...xs].sort((a, b) => a - b),
          0.5,
        ).toFixed(1)
      : null;
  if (coldN > 0) {
    for (const [name, bin] of bins) {
      const c = cold.get(name)!;
      emit({
        ...summary('cold-cli', 'all', c.wall),
        build: name === 'this' ? 'this' : bin,
        cpuP50: median(c.cpu),
        faultsP50: median(c.faults),
      });
    }
  }
  if (record) appendFileSync(record, rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

main();
