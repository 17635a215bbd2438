// Where a cold search's time goes: runs the steps of one `leindex search` in this (fresh)
// process one by one — module loading, opening the store, the graph view, the lexical,
// name, model and vector stages, the search itself — and prints the wall and CPU ms of each
// as one JSON line. Run it as a new process each time (it measures first use). With --split
// the search's own parts run first as steps of their own (query embedding, vector index
// open, lexical search, query embedding, first vector search, similarity lookups: the
// search's order); "search" is then the rest.
// Each step: [wall ms, process CPU ms, minor faults, main-thread CPU ms]; total: [wall, CPU,
// main-thread CPU] from this script's start.
// Usage: node dist/bench/latency/cold-steps.js <root> --index-dir D [--split] [query]
// Main thread.

import { readFileSync } from 'node:fs';

/**
 * This thread's CPU ns so far (/proc/thread-self/schedstat; Linux), or NaN elsewhere: the
 * process's CPU also counts native threads (hnswview's background open), which run beside it.
 */
function threadCpuNs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]);
  } catch {
    return NaN;
  }
}

const t0 = performance.now();
const c0 = process.cpuUsage();
const m0 = threadCpuNs();
const f0 = process.resourceUsage().minorPageFault;
/**
 * Per step: wall ms, CPU ms (the process's), minor page faults (fresh memory touched; not
 * inflated by load), and this (main) thread's CPU ms.
 */
const steps: Record<string, [number, number, number, number]> = {};
let lastT = t0;
let lastC = c0;
let lastM = m0;
let lastF = f0;
function mark(name: string): void {
  const t = performance.now();
  const c = process.cpuUsage();
  const m = threadCpuNs();
  const f = process.resourceUsage().minorPageFault;
  steps[name] = [
    +(t - lastT).toFixed(1),
    +((c.user - lastC.user + c.system - lastC.system) / 1000).toFixed(1),
    f - lastF,
    +((m - lastM) / 1e6).toFixed(1),
  ];
  lastT = t;
  lastC = c;
  lastM = m;
  lastF = f;
}

const argv = process.argv.slice(2);
const root = argv[0] ?? '.';
const i = argv.indexOf('--index-dir');
const indexDir = i >= 0 ? argv[i + 1] : undefined;
const split = argv.includes('--split');
const query =
  argv.find((a, k) => k > 0 && !a.startsWith('--') && argv[k - 1] !== '--index-dir') ??
  'where are expired sessions cleaned up';

const { IndexSession } = await import('../../src/query/session.js');
const { searchIndex } = await import('../../src/query/search.js');
mark('import');
const session = IndexSession.open(root, indexDir);
mark('open');
session.view();
mark('view');
session.names();
mark('names');
session.lexical();
mark('lexical');
session.model();
mark('model');
const vecs = session.vectors();
mark('vectors');
if (split) {
  const { embedQuery } = await import('../../src/embed/embedder.js');
  const { queryTermBag } = await import('../../src/search/terms.js');
  const { HnswVectors } = await import('../../src/search/hnsw.js');
  mark('split-import');
  // In the search's order: the vector index is opened first (hnswview addresses it in a
  // thread of its own), then the lexical search and the query embedding, then the search.
  if (vecs instanceof HnswVectors) vecs.prepare();
  mark('vector-open');
  const bag = queryTermBag(query, 1 << 16);
  const lex = session.lexical().search(bag, 400, () => true);
  mark('lexical-search');
  const qvec = embedQuery(session.model(), query);
  mark('embed');
  const near = vecs.nearest(qvec, 200);
  mark('vector-search');
  // As the search does: the best candidates the nearest list missed (up to 100), their
  // similarities read in one batch (one fragment read per file).
  const nearSet = new Set(near.ids);
  const missed = Array.from(lex.ids)
    .filter((id) => !nearSet.has(id))
    .slice(0, 100);
  vecs.similarities(missed, qvec);
  mark('similarity');
}
const r = searchIndex(session, query, { limit: 10 });
mark('search');
const r2 = searchIndex(session, query, { limit: 10 });
mark('search-again');
const graphInPlace = (session.reader as { graphInPlace?: boolean }).graphInPlace;
const namesInPlace = (session.names() as { inPlace?: boolean }).inPlace;
await session.close();
mark('close');
const faults = process.resourceUsage().minorPageFault;
const total = [
  +(performance.now() - t0).toFixed(1),
  +((process.cpuUsage().user - c0.user + process.cpuUsage().system - c0.system) / 1000).toFixed(1),
  +((threadCpuNs() - m0) / 1e6).toFixed(1),
];
console.log(
  JSON.stringify({
    query: query.slice(0, 40),
    hits: r.hits.length,
    same: r2.hits.length === r.hits.length,
    total,
    faults,
    faultsBeforeMain: f0,
    // Whether the graph blob was read in place (a view into the store's map, no copy).
    graphInPlace,
    // Whether the name index's runs were read in place (schema 8: a padded blob).
    namesInPlace,
    steps,
    uptimeMs: +(process.uptime() * 1000).toFixed(0),
  }),
);
