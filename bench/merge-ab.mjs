// In-process A/B of two builds' merge: loads an index's stored fragments once, then runs each
// build's mergeFragments on them in turn (A B, B A, … per round), CPU per merge phase; prints
// both graphs' digests, per phase the min / median CPU ms of each, and the runs as JSON.
// Usage: node --expose-gc bench/merge-ab.mjs INDEX_DIR DIST_A DIST_B [ROUNDS=3]
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
const [dir, a, b, roundsArg] = process.argv.slice(2);
const [distA, distB] = [resolve(a), resolve(b)];
const { storedMergeInputs } = await import('./stored-inputs.mjs');
const inputs = await storedMergeInputs(dir);
const builds = {};
for (const [k, d] of [
  ['A', distA],
  ['B', distB],
]) {
  builds[k] = {
    ...(await import(`${d}/src/graph/merge.js`)),
    ...(await import(`${d}/src/graph/graph.js`)),
    runs: [],
  };
}
const rounds = Number(roundsArg ?? 3);
const loads = [];
for (let r = 0; r < rounds; r++) {
  for (const k of r % 2 ? ['B', 'A'] : ['A', 'B']) {
    const b = builds[k];
    globalThis.gc?.();
    const c0 = process.cpuUsage();
    let mark = c0;
    const ph = {};
    const onPhase = (name) => {
      const d = process.cpuUsage(mark);
      mark = process.cpuUsage();
      ph[name] = (d.user + d.system) / 1000;
    };
    const g = b.mergeFragments(inputs, { onPhase });
    const c = process.cpuUsage(c0);
    ph.total = (c.user + c.system) / 1000;
    b.runs.push(ph);
    if (r === 0) b.digest = b.graphDigest(g);
    loads.push(loadavg()[0]);
    process.stderr.write(`${k} ${Math.round(ph.total)} `);
  }
}
process.stderr.write('\n');
console.log(
  'digest A',
  builds.A.digest.slice(0, 8),
  'B',
  builds.B.digest.slice(0, 8),
  builds.A.digest === builds.B.digest ? 'SAME' : 'DIFFERENT',
);
console.log('load', Math.min(...loads).toFixed(1), '-', Math.max(...loads).toFixed(1));
const phases = Object.keys(builds.A.runs[0]);
const med = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s[s.length >> 1];
};
console.log('phase'.padEnd(10), 'A min/med'.padStart(14), 'B min/med'.padStart(14), ' B/A(min)');
for (const p of phases) {
  const a = builds.A.runs.map((x) => x[p]),
    b = builds.B.runs.map((x) => x[p]);
  console.log(
    p.padEnd(10),
    `${Math.round(Math.min(...a))}/${Math.round(med(a))}`.padStart(14),
    `${Math.round(Math.min(...b))}/${Math.round(med(b))}`.padStart(14),
    (Math.min(...b) / Math.min(...a)).toFixed(2).padStart(8),
  );
}
console.log(JSON.stringify({ A: builds.A.runs, B: builds.B.runs }));
