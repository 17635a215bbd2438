// What a stale-key list (src/pipeline/vectors.ts: a generation that kept an earlier vector file)
// costs a vector search: the nearest 50 of the latency benchmark's queries, searched with the
// generation's record as it is, then with a synthetic list of N files' keys made stale (their
// rows in the file skipped, their vectors scanned from their fragments: the same vectors, so an
// exact search would return the same hits). Prints one JSON line per N: CPU per query (median,
// p90; fragment reads included, the session's fragment cache warm after the first pass) and
// how many of the 50 hits equal the plain search's. Usage:
//   node dist/bench/vector/stale-keys.js <root> --index-dir D [--queries 100] [--files 0,16,64,256]
// Main thread.

import { loadavg } from 'node:os';
import { join } from 'node:path';
import { IndexSession } from '../../src/query/session.js';
import { embedQuery } from '../../src/embed/embedder.js';
import { arg, drawQueries } from '../latency/queries.js';

function main(): void {
  const argv = process.argv.slice(2);
  const root = argv[0];
  if (!root) throw new Error('usage: stale-keys.js <root> [--index-dir D] [--queries N] [--files a,b]');
  const indexDir = arg(argv, '--index-dir') ?? join(root, '.leindex');
  const n = Number(arg(argv, '--queries') ?? 100);
  const counts = (arg(argv, '--files') ?? '0,16,64,256').split(',').map(Number);
  const session = IndexSession.open(root, indexDir);
  const record = session.reader.info.vectors;
  if (!record) throw new Error('the index has no vector file');
  const model = session.model();
  const queries = drawQueries(session, n).map((q) => embedQuery(model, q.text));
  const files = session.files();
  // Files with vectors, in a fixed scattered order (every 7th row, wrapping).
  const withVectors: number[] = [];
  for (let i = 0, f = 0; i < files.relPath.length; i++, f = (f + 7) % files.relPath.length)
    if (session.fragment(f).vectorCount > 0) withVectors.push(f);
  const plain = queries.map((q) => session.vectors().nearest(q, 50).ids);
  for (const count of counts) {
    const stale: [number, number, number][] = withVectors.slice(0, count).map((f) => {
      const frag = session.fragment(f);
      const rows = (files.symbolStart[f + 1] ?? 0) - (files.symbolStart[f] ?? 0);
      return [files.fileKey![f]!, rows, frag.vectorCount];
    });
    (record as { stale?: unknown }).stale = count === 0 ? undefined : stale;
    const vectors = session.vectors();
    const cpu: number[] = [];
    let same = 0;
    for (let pass = 0; pass < 2; pass++) {
      queries.forEach((q, i) => {
        const c0 = process.cpuUsage();
        const hits = vectors.nearest(q, 50).ids;
        const c = process.cpuUsage(c0);
        if (pass === 1) {
          cpu.push((c.user + c.system) / 1000);
          const want = new Set(plain[i]);
          same += hits.filter((id) => want.has(id)).length;
        }
      });
    }
    cpu.sort((a, b) => a - b);
    const rows = stale.reduce((s, e) => s + e[2], 0);
    console.log(
      JSON.stringify({
        staleFiles: count,
        staleVectors: rows,
        deadRows: stale.reduce((s, e) => s + e[1], 0),
        queries: n,
        cpuMsP50: +cpu[Math.floor(cpu.length / 2)]!.toFixed(2),
        cpuMsP90: +cpu[Math.floor(cpu.length * 0.9)]!.toFixed(2),
        sameHitsShare: +(same / (50 * n)).toFixed(4),
        load: loadavg().map((x) => +x.toFixed(2)),
      }),
    );
  }
}

main();
