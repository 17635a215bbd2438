// Re-index cost of a one-file edit and a one-file touch on an existing index, per phase in
// CPU time, for comparing builds of leindex (the lexicon is rebuilt in full, or as a delta
// over its base): the code under test is loaded from --dist, so one script measures both.
// The tree is edited in place (give it a copy) and restored after each round.
// Usage: node bench/search/lexicon-incremental.mjs --dist <dist dir> --root <tree> --index-dir <dir>
//          [--victim <relPath>] [--rounds 3] [--label name] [--no-embeddings]
// Prints one JSON line per measured run on stdout; progress on stderr.

import { Buffer } from 'node:buffer';
import { readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const argv = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const dist = resolve(arg('--dist', 'dist'));
const root = resolve(arg('--root', 'bench/corpus'));
const indexDir = resolve(arg('--index-dir', '/tmp/lexicon-incremental-idx'));
const rounds = Number(arg('--rounds', '3'));
const label = arg('--label', dist);
const { runIndex } = await import(pathToFileURL(join(dist, 'src/pipeline/run-index.js')).href);
const { defaultOptions } = await import(pathToFileURL(join(dist, 'src/config.js')).href);
const options = {
  ...defaultOptions(root),
  indexDir,
  ...(argv.includes('--no-embeddings') ? { embeddings: false } : {}),
};
const victim = arg('--victim', undefined);
if (!victim) throw new Error('--victim <relPath> is required');
const abs = join(root, victim);
const original = readFileSync(abs);
const st = statSync(abs);

const row = (kind, round, s) => ({
  bench: 'lexicon-incremental',
  label,
  kind,
  round,
  victim,
  generation: s.generation,
  parsed: s.files.parsed,
  totalMs: +s.phases.totalMs.toFixed(1),
  cpuMs: +s.cpuMs.toFixed(1),
  mergeCpuMs: +s.phaseCpuMs.mergeMs.toFixed(1),
  lexiconCpuMs: s.phaseCpuMs.lexiconMs === undefined ? null : +s.phaseCpuMs.lexiconMs.toFixed(1),
  storeCpuMs: +s.phaseCpuMs.storeMs.toFixed(1),
  phaseCpuMs: s.phaseCpuMs,
  phases: s.phases,
  loadavg1: +loadavg()[0].toFixed(2),
  date: new Date().toISOString(),
  node: process.version,
});

try {
  for (let round = 0; round < rounds; round++) {
    const comment = victim.endsWith('.py') ? `\n# bench edit ${round}\n` : `\n// bench edit ${round}\n`;
    writeFileSync(abs, Buffer.concat([original, Buffer.from(comment)]));
    process.stderr.write(`${label}: round ${round}: edited\n`);
    console.log(JSON.stringify(row('one-file-edited', round, await runIndex({ root, options }))));
    writeFileSync(abs, original);
    const later = new Date(st.mtimeMs + 5000 * (round + 1));
    utimesSync(abs, later, later);
    process.stderr.write(`${label}: round ${round}: restored\n`);
    console.log(JSON.stringify(row('restored', round, await runIndex({ root, options }))));
    utimesSync(abs, later, new Date(st.mtimeMs + 5000 * (round + 1) + 2500));
    process.stderr.write(`${label}: round ${round}: touched\n`);
    console.log(JSON.stringify(row('one-file-touched', round, await runIndex({ root, options }))));
  }
} finally {
  writeFileSync(abs, original);
  utimesSync(abs, st.atime, st.mtime);
}
