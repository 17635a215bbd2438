// Merge cost and call edges of an existing index: loads every stored fragment of INDEX_DIR, runs
// mergeFragments REPS times in this process (CPU per merge phase, process.cpuUsage) and prints
// one JSON line: graph digest, edge count, call edges by confidence, resolution bands, runs. With
// DUMP, writes every call edge as `source<TAB>target<TAB>confidence` (file#qualifiedName:line),
// sorted, for diffing two branches' edges. Used for the dispatch figures in bench/analyze/README.md.
// Usage: node --expose-gc bench/merge-edges.mjs INDEX_DIR [REPS] [DUMP]   (build first: npx tsc -p .)
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
const [indexDir, repsArg, dump] = process.argv.slice(2);
const dist = new URL('../dist', import.meta.url).pathname;
const { mergeFragments } = await import(`${dist}/src/graph/merge.js`);
const { edgesByKind, graphDigest, EdgeKind } = await import(`${dist}/src/graph/graph.js`);
const { storedMergeInputs } = await import('./stored-inputs.mjs');
const inputs = await storedMergeInputs(indexDir);
const reps = Number(repsArg ?? 2);
let graph;
const runs = [];
for (let r = 0; r < reps; r++) {
  globalThis.gc?.();
  const c0 = process.cpuUsage();
  let mark = c0;
  const ph = {};
  graph = mergeFragments(inputs, {
    onPhase: (n) => {
      const d = process.cpuUsage(mark);
      mark = process.cpuUsage();
      ph[n] = Math.round((d.user + d.system) / 1000);
    },
  });
  const c = process.cpuUsage(c0);
  runs.push({ cpu: Math.round((c.user + c.system) / 1000), ...ph });
}
const g = graph;
const F = g.forward;
const byConf = {};
const lines = [];
const qn = (id) =>
  `${g.files.relPath[g.symbols.file[id]] ?? '<ext>'}#${g.strings[g.symbols.qualifiedName[id]] ?? ''}:${g.symbols.startLine[id]}`;
for (let s = 0; s < F.offsets.length - 1; s++)
  for (let e = F.offsets[s]; e < F.offsets[s + 1]; e++)
    if (F.kinds[e] === EdgeKind.calls) {
      byConf[F.confidence[e]] = (byConf[F.confidence[e]] ?? 0) + 1;
      if (dump) lines.push(`${qn(s)}\t${qn(F.targets[e])}\t${F.confidence[e]}`);
    }
if (dump) writeFileSync(dump, lines.sort().join('\n') + '\n');
const s = g.stats;
console.log(
  JSON.stringify({
    load: loadavg().map((x) => +x.toFixed(2)),
    digest: graphDigest(g).slice(0, 16),
    edges: F.targets.length,
    calls: edgesByKind(g).calls,
    byConf,
    callConfidence: s.callConfidence,
    resolved: +(
      Object.values(s.resolved).reduce((a, b) => a + b, 0) / Object.values(s.refs).reduce((a, b) => a + b, 0)
    ).toFixed(4),
    runs,
  }),
);
