// Prints what search returns for a fixed set of varied queries (the latency benchmark's
// query set plus filters and modes), one JSON line per query, so two builds can be diffed:
// a speed change must not change a ranking. Usage:
//   node dist/bench/latency/compare.js <root> --index-dir D [--queries 60] [--worker] > out.jsonl
// --worker opens the vector index in a worker thread (prefetchVectors), as the CLI does.
// Main thread.

import { join } from 'node:path';
import { IndexSession } from '../../src/query/session.js';
import { searchIndex, type SearchOptions } from '../../src/query/search.js';
import { arg, drawQueries } from './queries.js';

function main(): void {
  const argv = process.argv.slice(2);
  const root = argv[0];
  if (!root) throw new Error('usage: compare.js <root> [--index-dir D] [--queries N]');
  const indexDir = arg(argv, '--index-dir') ?? join(root, '.leindex');
  const n = Number(arg(argv, '--queries') ?? 60);
  const session = IndexSession.open(root, indexDir);
  if (argv.includes('--worker')) session.prefetchVectors();
  const queries = drawQueries(session, n);
  const variants: SearchOptions[] = [
    { limit: 10 },
    { limit: 5, offset: 3, mode: 'text' },
    { limit: 10, mode: 'semantic', includeTests: true },
    { limit: 10, languages: ['rust'], kinds: ['function'] },
    { limit: 10, paths: ['**/*.py'] },
  ];
  queries.forEach((q, i) => {
    const opts = variants[i % variants.length]!;
    const r = searchIndex(session, q.text, opts);
    const hits = r.hits.map((h) => [
      h.file,
      h.qualifiedName,
      h.kind,
      h.startLine,
      h.score,
      h.parts,
      h.snippet,
    ]);
    console.log(
      JSON.stringify({
        q: q.text.slice(0, 60),
        opts,
        intent: r.intent,
        total: r.total,
        terms: r.terms,
        hits,
      }),
    );
  });
  void session.close();
}

main();
