// Runs every compiled test file (dist/test/**/*.test.js) in its own node process, two at a
// time (the CI runner has two cores), and ends with the plain line `N passed, N failed`
// that CI reads. uvu prints its own per-file totals; this sums them.
// Usage: node scripts/run-tests.mjs [filter-substring ...]
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const testDir = join(root, 'dist', 'test');
const filters = process.argv.slice(2);
const parallel = Number(process.env.LEINDEX_TEST_JOBS ?? 2);

function listTests(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (name === 'fixtures') continue;
    if (statSync(p).isDirectory()) out.push(...listTests(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const files = listTests(testDir).filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
let passed = 0;
let failed = 0;
let skipped = 0;
const failedFiles = [];

function runOne(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [file], { cwd: root, env: { ...process.env, FORCE_COLOR: '0' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code, signal) => {
      const total = Number(/Total:\s+(\d+)/.exec(out)?.[1] ?? 0);
      const ok = Number(/Passed:\s+(\d+)/.exec(out)?.[1] ?? 0);
      const skip = Number(/Skipped:\s+(\d+)/.exec(out)?.[1] ?? 0);
      let bad = total - ok - skip;
      // A file that crashed before uvu could report counts as one failure, never as zero.
      if ((code !== 0 || signal) && bad === 0) bad = 1;
      passed += ok;
      failed += bad;
      skipped += skip;
      const name = relative(testDir, file);
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      if (bad > 0) {
        failedFiles.push(name);
        process.stdout.write(`\n--- FAIL ${name} (exit ${code ?? signal}, ${secs}s)\n${out}\n`);
      } else {
        process.stdout.write(`ok   ${name}: ${ok} passed${skip ? `, ${skip} skipped` : ''} (${secs}s)\n`);
      }
      resolve();
    });
  });
}

const queue = [...files];
await Promise.all(
  Array.from({ length: Math.max(1, parallel) }, async () => {
    while (queue.length) await runOne(queue.shift());
  }),
);
if (failedFiles.length) process.stdout.write(`\nfailed files: ${failedFiles.join(', ')}\n`);
if (files.length === 0) {
  process.stdout.write('no test files found\n');
  failed += 1;
}
process.stdout.write(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed > 0 ? 1 : 0);
