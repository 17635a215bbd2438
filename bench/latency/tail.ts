// The slow tail of warm search, explained: runs the benchmark's query set twice in one
// session and prints, for the slowest queries of the first pass, their CPU ms in both passes
// and the session caches they filled (lexical buckets, fragments): a query slow only the
// first time pays for first use, one slow both times for its own work.
// Usage: node dist/bench/latency/tail.js <root> --index-dir D [--queries 300] [--top 12]
// Main thread.

import { join } from 'node:path';
import { IndexSession } from '../../src/query/session.js';
import { searchIndex } from '../../src/query/search.js';
import { arg, drawQueries } from './queries.js';

function cpuMs(f: () => void): number {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

function main(): void {
  const argv = process.argv.slice(2);
  const root = argv[0];
  if (!root) throw new Error('usage: tail.js <root> [--index-dir D] [--queries N] [--top N]');
  const indexDir = arg(argv, '--index-dir') ?? join(root, '.leindex');
  const session = IndexSession.open(root, indexDir);
  const queries = drawQueries(session, Number(arg(argv, '--queries') ?? 300));
  searchIndex(session, 'warm up query', { limit: 10 });
  const first = queries.map((q) => cpuMs(() => searchIndex(session, q.text, { limit: 10 })));
  const second = queries.map((q) => cpuMs(() => searchIndex(session, q.text, { limit: 10 })));
  const order = first.map((_, i) => i).sort((a, b) => first[b]! - first[a]!);
  const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
  const p = (xs: number[], q: number): number => +sorted(xs)[Math.floor(q * (xs.length - 1))]!.toFixed(1);
  console.log(
    JSON.stringify({
      first: { p50: p(first, 0.5), p90: p(first, 0.9), p99: p(first, 0.99) },
      second: { p50: p(second, 0.5), p90: p(second, 0.9), p99: p(second, 0.99) },
    }),
  );
  for (const i of order.slice(0, Number(arg(argv, '--top') ?? 12))) {
    const q = queries[i]!;
    console.log(
      `${first[i]!.toFixed(1).padStart(6)} ${second[i]!.toFixed(1).padStart(6)} #${i} ${q.type} ${q.text.length}ch ${JSON.stringify(q.text.slice(0, 70))}`,
    );
  }
  void session.close();
}

main();
