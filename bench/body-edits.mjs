// One-file code edits on an indexed tree: picks N random call statements inside function bodies
// (seeded), duplicates each (a body edit: one more call, nothing declared), re-indexes with
// each given CLI build and index dir in turn (interleaved), then restores the file and
// re-indexes again. Prints one JSON line per run: the edit, the build, whether the run
// re-resolved the file alone (summary.reresolved) or why it merged, merge wall / CPU ms, total
// wall / CPU ms, load average. The tree is edited in place: use a copy.
// Usage: node bench/body-edits.mjs ROOT N SEED CLI=INDEX_DIR [CLI=INDEX_DIR ...]
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const [root, nArg, seedArg, ...builds] = process.argv.slice(2);
const n = Number(nArg ?? 20);
let seed = Number(seedArg ?? 1) | 1;
const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) / 0x7fffffff;

const CALL = {
  ts: /^(\s{4,})(?:await\s+)?[A-Za-z_$][\w$.]*\([^;{}]*\);\s*$/,
  py: /^(\s{8,})(?:await\s+)?[A-Za-z_][\w.]*\([^#]*\)\s*$/,
  rs: /^(\s{8,})[A-Za-z_][\w:.]*\([^{}]*\);\s*$/,
};
const kindOf = (p) =>
  /\.(ts|tsx|js|mjs|cjs)$/.test(p) ? 'ts' : p.endsWith('.py') ? 'py' : p.endsWith('.rs') ? 'rs' : undefined;

const candidates = [];
(function walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== '.leindex' && e.name !== 'node_modules') walk(p);
      continue;
    }
    const k = kindOf(p);
    if (!k || statSync(p).size > 200_000) continue;
    const lines = readFileSync(p, 'utf8').split('\n');
    lines.forEach((l, i) => {
      if (CALL[k].test(l) && !/^\s*(return|if|while|for|yield|raise|assert|print)\b/.test(l))
        candidates.push({ path: p, line: i });
    });
  }
})(root);
candidates.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line));

function run(build, edit, step) {
  const [cli, indexDir] = build.split('=');
  const t0 = performance.now();
  const out = execFileSync('node', [cli, 'index', root, '--index-dir', indexDir, '--json', '-q'], {
    maxBuffer: 1 << 26,
  });
  const wall = performance.now() - t0;
  const s = JSON.parse(out.toString());
  console.log(
    JSON.stringify({
      edit,
      step,
      cli,
      reresolved: s.reresolved ?? 0,
      patched: s.patched,
      mergeReason: s.mergeReason,
      mergeMs: Math.round(s.phases?.mergeMs ?? 0),
      mergeCpuMs: Math.round(s.phaseCpuMs?.mergeMs ?? 0),
      wallMs: Math.round(wall),
      cpuMs: Math.round(s.cpuMs ?? 0),
      digest: s.digest.slice(0, 16),
      load: loadavg().map((x) => +x.toFixed(2)),
    }),
  );
}

for (let i = 0; i < n; i++) {
  const c = candidates[Math.floor(rand() * candidates.length)];
  const text = readFileSync(c.path, 'utf8');
  const lines = text.split('\n');
  lines.splice(c.line + 1, 0, lines[c.line]);
  const edit = `${c.path.slice(root.length + 1)}:${c.line + 1}`;
  writeFileSync(c.path, lines.join('\n'));
  for (const b of builds) run(b, edit, 'edit');
  writeFileSync(c.path, text);
  for (const b of builds) run(b, edit, 'restore');
}
