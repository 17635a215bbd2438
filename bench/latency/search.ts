// Search latency on an existing index: a few hundred varied queries drawn deterministically
// from the index itself (identifiers, prefixes, names spelled as phrases, first sentences of
// docs, pasted-report paragraphs), run warm in this process and cold as fresh CLI processes.
// Usage: node dist/bench/latency/search.js <root> [--index-dir D] [--queries 300] [--cold 20]
// Prints JSON lines (one per query type and phase) on stdout.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IndexSession } from '../../src/query/session.js';
import { searchIndex } from '../../src/query/search.js';

const BIN = fileURLToPath(new URL('../../../bin/leindex.js', import.meta.url));

interface Query {
  type: string;
  text: string;
}

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** mulberry32: a seeded generator, so every run draws the same queries. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function drawQueries(session: IndexSession, count: number): Query[] {
  const g = session.graph();
  const rand = rng(42);
  const out: Query[] = [];
  const pick = (): number => Math.floor(rand() * g.fileSymbolCount);
  const fixed = [
    'where are expired sessions cleaned up',
    'parse the configuration file',
    'how does the scheduler pick the next task',
    'retry a request with exponential backoff',
    'compile a regular expression',
    'deserialize json into a struct',
    'spawn a task on the runtime',
    'escape html entities',
  ];
  for (const text of fixed) out.push({ type: 'phrase', text });
  let guard = 0;
  while (out.length < count && guard++ < count * 50) {
    const id = pick();
    const info = session.symbol(id);
    if (info.kind === 'module' || info.name.length < 3) continue;
    const r = out.length % 5;
    if (r === 0) out.push({ type: 'identifier', text: info.name });
    else if (r === 1)
      out.push({ type: 'prefix', text: info.name.slice(0, Math.max(3, Math.ceil(info.name.length * 0.6))) });
    else if (r === 2) {
      const words = info.name
        .replace(/([a-z])([A-Z])/g, '$1 $2')
        .replace(/_/g, ' ')
        .toLowerCase();
      if (words.split(' ').length < 2) continue;
      out.push({ type: 'phrase', text: words });
    } else if (r === 3) {
      const first = info.doc?.split(/(?<=[.!?])\s/)[0]?.trim();
      if (!first || first.length < 15) continue;
      out.push({ type: 'doc-sentence', text: first.slice(0, 200) });
    } else {
      const parts: string[] = [];
      while (parts.join(' ').length < 1500) {
        const d = session.symbol(pick()).doc;
        if (d) parts.push(d.slice(0, 400));
      }
      out.push({ type: 'bug-report', text: `Bug report: something is wrong.\n${parts.join('\n')}` });
    }
  }
  return out;
}

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

function main(): void {
  const argv = process.argv.slice(2);
  const root = argv[0];
  if (!root) throw new Error('usage: search.js <root> [--index-dir D] [--queries N] [--cold N]');
  const indexDir = arg(argv, '--index-dir') ?? join(root, '.leindex');
  const n = Number(arg(argv, '--queries') ?? 300);
  const coldN = Number(arg(argv, '--cold') ?? 20);

  let t = performance.now();
  const session = IndexSession.open(root, indexDir);
  const queries = drawQueries(session, n);
  const openMs = performance.now() - t;
  // First query pays for loading the graph, model and vector view: reported on its own.
  t = performance.now();
  searchIndex(session, 'warm up query', { limit: 10 });
  const firstMs = performance.now() - t;
  const byType = new Map<string, number[]>();
  const all: number[] = [];
  for (const q of queries) {
    const t0 = performance.now();
    searchIndex(session, q.text, { limit: 10 });
    const ms = performance.now() - t0;
    all.push(ms);
    const list = byType.get(q.type) ?? [];
    list.push(ms);
    byType.set(q.type, list);
  }
  const rss = process.memoryUsage();
  console.log(
    JSON.stringify({
      phase: 'setup',
      openMs: +openMs.toFixed(1),
      firstQueryMs: +firstMs.toFixed(1),
      queries: queries.length,
      rssMb: Math.round(rss.rss / 2 ** 20),
      heapMb: Math.round(rss.heapUsed / 2 ** 20),
    }),
  );
  console.log(JSON.stringify(summary('warm', 'all', all)));
  for (const [type, ms] of [...byType].sort()) console.log(JSON.stringify(summary('warm', type, ms)));
  void session.close();

  const cold: number[] = [];
  for (let i = 0; i < coldN && i < queries.length; i++) {
    const q = queries[(i * 7) % queries.length]!;
    const t0 = performance.now();
    const r = spawnSync(
      process.execPath,
      [BIN, 'search', q.text, '--path', root, '--index-dir', indexDir, '--json', '--limit', '10'],
      { encoding: 'utf8', maxBuffer: 1 << 24 },
    );
    cold.push(performance.now() - t0);
    if (r.status !== 0 && r.status !== 1) throw new Error(`search failed: ${r.stderr}`);
  }
  console.log(JSON.stringify(summary('cold-cli', 'all', cold)));
}

main();
