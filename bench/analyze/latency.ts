// Latency of the graph queries on a real index: graph load (decode from the store), then
// `context` at 2,000 and 8,000 tokens, `impact` to depth 3 and `symbol` lookups, each over
// the same few hundred symbols (every k-th function or method with a call edge), as p50/p99
// in one warm process. Main thread. One JSON line out.
// Usage: node dist/bench/analyze/latency.js --root DIR --index-dir DIR [--count N] [--record]

import { appendFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { contextFor } from '../../src/query/context.js';
import { impactOf } from '../../src/query/impact.js';
import { resolveSymbol } from '../../src/query/lookup.js';
import { IndexSession } from '../../src/query/session.js';
import { edgeKindIndex, symbolRef } from '../../src/query/symbol-info.js';
import { SymbolKind } from '../../src/protocol.js';
import { benchArgs } from './questions.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

function quantiles(xs: number[]): { p50: number; p90: number; p99: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number =>
    Math.round((s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0) * 10) / 10;
  return { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: q(1) };
}

async function main(): Promise<void> {
  const { arg, has, root, indexDir } = benchArgs();
  const count = Number(arg('--count') ?? 300);

  // Graph load: a fresh decode each time (the first also opens the store).
  const loads: number[] = [];
  const session = IndexSession.open(root, indexDir);
  for (let i = 0; i < 4; i++) {
    session.releaseCaches();
    const t = performance.now();
    session.graph();
    loads.push(performance.now() - t);
  }
  const g = session.graph();

  // The sample: functions and methods with at least one call edge, evenly spread over ids.
  const calls = edgeKindIndex('calls');
  const eligible: number[] = [];
  for (let id = 0; id < g.fileSymbolCount; id++) {
    const k = g.symbols.kind[id];
    if (k !== SymbolKind.function && k !== SymbolKind.method) continue;
    let has = false;
    for (let e = g.forward.offsets[id] ?? 0; e < (g.forward.offsets[id + 1] ?? 0); e++) {
      if (g.forward.kinds[e] === calls) has = true;
    }
    if (has) eligible.push(id);
  }
  const step = Math.max(1, Math.floor(eligible.length / count));
  const sample = eligible.filter((_, i) => i % step === 0).slice(0, count);
  const specs = sample.map((id) => {
    const r = symbolRef(g, id);
    return `${r.file}:${r.qualifiedName}`;
  });

  // CPU time (user + system of this process) beside wall time: on a shared machine the wall
  // time includes waiting for a core, the CPU time does not.
  const cpuMs: Record<string, number[]> = {};
  const timed = <T>(name: string, wall: number[], fn: () => T): T => {
    const c = process.cpuUsage();
    const t = performance.now();
    const out = fn();
    wall.push(performance.now() - t);
    const d = process.cpuUsage(c);
    (cpuMs[name] ??= []).push((d.user + d.system) / 1000);
    return out;
  };
  const timeEach = (name: string, fn: (spec: string) => unknown): number[] => {
    const wall: number[] = [];
    for (const spec of specs) timed(name, wall, () => fn(spec));
    return wall;
  };
  const lookup = timeEach('lookup', (spec) => resolveSymbol(session, spec));
  const ctx2k: number[] = [];
  const ctx8k: number[] = [];
  const tokens8k: number[] = [];
  const symbols8k: number[] = [];
  for (const spec of specs) {
    timed('context2k', ctx2k, () => contextFor(session, spec, { budget: 2000 }));
    const r = timed('context8k', ctx8k, () => contextFor(session, spec, { budget: 8000 }));
    tokens8k.push(r.bundle.tokens);
    symbols8k.push(r.bundle.stats.symbols);
  }
  const dependents: number[] = [];
  const impact = timeEach('impact', (spec) => dependents.push(impactOf(session, spec, 3).items.length));
  const row = {
    bench: 'graph-query-latency',
    date: new Date().toISOString(),
    machine: { nproc: cpus().length, cpu: cpus()[0]?.model ?? '?', node: process.version },
    root,
    symbols: g.symbols.kind.length,
    edges: g.forward.targets.length,
    sample: specs.length,
    graphLoadMs: { first: Math.round(loads[0] ?? 0), warm: quantiles(loads.slice(1)).p50 },
    lookupMs: quantiles(lookup),
    context2kMs: quantiles(ctx2k),
    context8kMs: quantiles(ctx8k),
    context8k: { tokens: quantiles(tokens8k), symbols: quantiles(symbols8k) },
    impactDepth3Ms: quantiles(impact),
    impactDependents: quantiles(dependents),
    cpuMs: Object.fromEntries(Object.entries(cpuMs).map(([k, v]) => [k, quantiles(v)])),
    loadAverage: loadavg()[0],
  };
  await session.close();
  process.stdout.write(`${JSON.stringify(row)}\n`);
  if (has('--record')) appendFileSync(join(REPO, 'bench/analyze/results.jsonl'), `${JSON.stringify(row)}\n`);
}

await main();
