// Lexical-only query cost (CPU) on an index: 400 query bags drawn (seeded) from the index's
// own symbol names and qualified names plus phrases, LexicalIndex.search(limit 100) + a name
// prefix lookup each; prints the CPU per pass and a digest of all results (equal digests: the
// two indexes answer alike, e.g. a lexicon delta and its compaction, bench/search/lexicon-delta-prep.mjs).
// Usage: node bench/search/lexicon-query-cpu.mjs <dist dir> <root> <index dir> [passes]
import { createHash } from 'node:crypto';
const [dist, root, idx, passes = '5'] = process.argv.slice(2);
const { IndexSession } = await import(`${dist}/src/query/session.js`);
const { queryTermBag } = await import(`${dist}/src/search/terms.js`);
let a = 42;
const rand = () => {
  a = (a + 0x6d2b79f5) | 0;
  let t = Math.imul(a ^ (a >>> 15), 1 | a);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const t0 = cpu();
const s = IndexSession.open(root, idx);
const g = s.graph();
const queries = [];
while (queries.length < 400) {
  const id = Math.floor(rand() * g.fileSymbolCount);
  const info = s.symbol(id);
  if (info.name.length < 3) continue;
  const k = queries.length % 4;
  const text =
    k === 0
      ? info.name
      : k === 1
        ? `${info.qualifiedName} ${info.file}`
        : k === 2
          ? `how does ${info.name} handle the ${s.symbol(Math.floor(rand() * g.fileSymbolCount)).name} error`
          : info.name.slice(0, Math.max(3, info.name.length >> 1));
  queries.push(text);
}
const tOpen = cpu();
const lex = s.lexical();
const names = s.names();
lex.search(queryTermBag('open'), 10);
names.prefixed('ope', 10);
const tFirst = cpu();
const out = [];
for (let p = 0; p < Number(passes); p++) {
  const h = createHash('sha256');
  const c0 = cpu();
  for (const q of queries) {
    const r = lex.search(queryTermBag(q), 100);
    h.update(`${q}|${r.ids.join(',')}|${Array.from(r.scores).join(',')}|`);
    h.update(names.prefixed(q.split(/\W/)[0] ?? q, 50).join(','));
  }
  out.push({ pass: p, cpuMs: +(cpu() - c0).toFixed(1), digest: h.digest('hex').slice(0, 16) });
}
console.log(
  JSON.stringify({
    idx,
    info: lex.info.delta ?? null,
    setupCpuMs: +(tOpen - t0).toFixed(1),
    firstQueryCpuMs: +(tFirst - tOpen).toFixed(1),
    passes: out,
    loadavg1: (await import('node:os')).loadavg()[0],
  }),
);
await s.close();
