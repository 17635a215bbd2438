// One file of an indexed tree edited four ways, re-indexed with each given CLI build and index
// dir in turn (interleaved, the order alternating per round), then restored and re-indexed
// again: no-op (nothing written), comment (a comment line appended), body (line LINE, a call
// statement inside a function body, duplicated) and declaration (a function appended). Prints
// one JSON line per run: kind, step (edit / restore), build, path taken (patched, reresolved or
// mergeReason), wall ms, whole-process CPU ms (user + sys of the child, startup included), the
// summary's CPU ms and its vector phase's, peak RSS, digest, load average. The tree is edited
// in place: use a copy.
// Usage: node bench/edit-kinds.mjs ROOT FILE LINE ROUNDS CLI=INDEX_DIR [CLI=INDEX_DIR ...]
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const [root, file, lineArg, roundsArg, ...builds] = process.argv.slice(2);
const path = join(root, file);
const line = Number(lineArg) - 1;
const rounds = Number(roundsArg ?? 3);
const comment = /\.py$/.test(file) ? '#' : '//';
const extra = /\.py$/.test(file)
  ? '\n\ndef _leindex_bench_extra():\n    return 1\n'
  : /\.rs$/.test(file)
    ? '\n\nfn leindex_bench_extra() -> i32 {\n    1\n}\n'
    : '\n\nexport function leindexBenchExtra(): number {\n  return 1;\n}\n';

const KINDS = {
  noop: undefined, // nothing written
  comment: (t) => `${t}\n${comment} a note\n`,
  body: (t) => {
    const lines = t.split('\n');
    lines.splice(line + 1, 0, lines[line]);
    return lines.join('\n');
  },
  declaration: (t) => `${t}${extra}`,
};

function run(build, kind, step, round) {
  const [cli, indexDir] = build.split('=');
  const t0 = performance.now();
  const r = spawnSync(
    '/usr/bin/time',
    ['-f', 'TIME %U %S %M', 'node', cli, 'index', root, '--index-dir', indexDir, '--json', '-q'],
    { maxBuffer: 1 << 26 },
  );
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cli}: exit ${r.status}: ${r.stderr}`);
  const [, user, sys, rssKb] = /TIME (\S+) (\S+) (\d+)/.exec(r.stderr.toString()) ?? [];
  const s = JSON.parse(r.stdout.toString());
  console.log(
    JSON.stringify({
      kind,
      step,
      round,
      file,
      cli,
      patched: s.patched,
      reresolved: s.reresolved ?? 0,
      mergeReason: s.mergeReason,
      changed: s.changed,
      wallMs: Math.round(wall),
      processCpuMs: Math.round((Number(user) + Number(sys)) * 1000),
      cpuMs: Math.round(s.cpuMs ?? 0),
      mergeCpuMs: Math.round(s.phaseCpuMs?.mergeMs ?? 0),
      vectorCpuMs: Math.round(s.phaseCpuMs?.vectorMs ?? 0),
      peakRssMb: Math.round(Number(rssKb) / 1024),
      digest: s.digest?.slice(0, 16),
      load: loadavg().map((x) => +x.toFixed(2)),
    }),
  );
}

const original = readFileSync(path, 'utf8');
try {
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? builds : [...builds].reverse();
    for (const [kind, edit] of Object.entries(KINDS)) {
      if (edit) writeFileSync(path, edit(original));
      for (const b of order) run(b, kind, 'edit', round);
      if (edit) writeFileSync(path, original);
      for (const b of order) run(b, kind, 'restore', round);
    }
  }
} finally {
  writeFileSync(path, original);
}
