// Scale run: the same corpus at 1x, 2x and 4x (copies built by `node scripts/assemble-corpus.mjs
// --scale N`), each profiled by `leindex bench --json` in a fresh process, so time and memory
// growth can be read off one table. Appends JSON lines to bench/runs/scale-<date>.jsonl and
// prints a summary table on stdout. Usage: node bench/scale.mjs [--threads N] [--corpus DIR]
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const threads = flag('--threads', String(cpus().length));
const extra = args.includes('--no-embeddings') ? ['--no-embeddings'] : [];
const corpus = flag('--corpus', join(root, 'bench', 'corpus'));
const runs = join(root, 'bench', 'runs');
mkdirSync(runs, { recursive: true });
const out = join(runs, `scale-${new Date().toISOString().slice(0, 10)}.jsonl`);

const rows = [];
for (const [scale, dir] of [
  [1, corpus],
  [2, `${corpus}-x2`],
  [4, `${corpus}-x4`],
]) {
  if (!existsSync(dir)) {
    process.stderr.write(
      `skip x${scale}: ${dir} does not exist (node scripts/assemble-corpus.mjs --scale ${scale})\n`,
    );
    continue;
  }
  process.stderr.write(`bench x${scale}: ${dir}\n`);
  const json = execFileSync(
    process.execPath,
    [join(root, 'bin', 'leindex.js'), 'bench', dir, '--threads', threads, '--json', '--quiet', ...extra],
    {
      maxBuffer: 64 << 20,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  ).toString();
  const r = JSON.parse(json);
  const row = {
    scale,
    files: r.files,
    mb: +(r.bytes / 1e6).toFixed(1),
    threads: r.threads,
    ceilingS: +(r.ceiling.wallMs / 1000).toFixed(2),
    indexS: +(r.full.phases.totalMs / 1000).toFixed(2),
    ratio: +r.ratioTotal.toFixed(2),
    mbPerSec: +r.full.mbPerSec.toFixed(2),
    filesPerSec: Math.round(r.full.filesPerSec),
    peakRssMb: Math.round(r.full.peakRssMb),
    noopS: +(r.noop.wallMs / 1000).toFixed(3),
    editS: +(r.oneFileEdited.wallMs / 1000).toFixed(3),
    editPatched: r.oneFileEdited.patched,
    codeEditS: +(r.oneFileCodeEdited.wallMs / 1000).toFixed(3),
    touchS: +(r.oneFileTouched.wallMs / 1000).toFixed(3),
    symbols: r.full.symbols.total,
    edges: r.full.edges.total,
  };
  row.embeddings = extra.length === 0;
  rows.push(row);
  appendFileSync(
    out,
    `${JSON.stringify({ ...row, date: r.date, node: r.node, cpus: r.cpus, phases: r.full.phases, phaseCpuMs: r.full.phaseCpuMs, pool: r.full.pool })}\n`,
  );
}
console.table(rows);
process.stderr.write(`recorded in ${out}\n`);
