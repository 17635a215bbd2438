// The vector view opened in a worker thread (a cold CLI search maps the file there while
// its main thread loads the rest): it answers exactly as the view opened in process, on the
// graph and the exact path; a damaged file is the same LeindexError; a worker that dies or
// never answers is a clear E_WORKER error, not a hang.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { VectorIndexBuilder } from '../src/vector/builder.js';
import { VectorIndexView } from '../src/vector/view.js';
import { VectorViewWorker } from '../src/vector/view-worker.js';
import { prng } from '../scripts/embed/linalg.js';
import { tempDir, type Workspace } from './helpers/workspace.js';
import { expectCode } from './helpers/errors.js';
import { writeFakeVectorWorker } from './helpers/vector-worker.js';

let ws: Workspace;
const open: VectorViewWorker[] = [];
test.before(() => {
  ws = tempDir('leindex-vector-worker-');
});
test.after(() => {
  for (const w of open) w.close();
  ws.cleanup();
});

const DIM = 32;

function unitRows(n: number, seed: number): Float32Array {
  const rand = prng(seed);
  const out = new Float32Array(n * DIM);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let j = 0; j < DIM; j++) {
      const x = rand() - 0.5;
      out[i * DIM + j] = x;
      norm += x * x;
    }
    for (let j = 0; j < DIM; j++) out[i * DIM + j] = (out[i * DIM + j] ?? 0) / Math.sqrt(norm);
  }
  return out;
}

function buildFile(name: string, n: number): string {
  const b = VectorIndexBuilder.create(DIM, { threads: 2 });
  const data = unitRows(n, 7);
  b.add(
    Array.from({ length: n }, (_, i) => 2 ** 40 + i * 3),
    data,
  );
  const path = join(ws.dir, name);
  b.save(path);
  return path;
}

function start(path: string, options: Parameters<typeof VectorViewWorker.start>[1] = {}): VectorViewWorker {
  const w = VectorViewWorker.start(path, options);
  open.push(w);
  return w;
}

for (const [label, n] of [
  ['graph', 6000],
  ['exact', 800],
] as const) {
  test(`the worker answers as the view in process (${label} path)`, () => {
    const path = buildFile(`${label}.vec`, n);
    const here = VectorIndexView.open(path);
    assert.is(here.exact, label === 'exact');
    const worker = start(path);
    const queries = unitRows(20, 11);
    for (let i = 0; i < 20; i++) {
      const q = queries.slice(i * DIM, (i + 1) * DIM);
      const a = here.search(q, 25);
      const b = worker.search(q, 25);
      assert.is(b.keys.length, 25);
      assert.equal(Array.from(b.keys), Array.from(a.keys));
      assert.equal(Array.from(b.similarities), Array.from(a.similarities));
    }
    // Zero queries match nothing; another dimension (another model) finds nothing.
    assert.is(worker.search(new Float32Array(DIM), 5).keys.length, 0);
    assert.is(worker.search(queries.slice(0, DIM - 1), 5).keys.length, 0);
    worker.close();
    expectCode(() => worker.search(queries.slice(0, DIM), 5), 'E_USAGE');
  });
}

test('a missing or damaged file is the same LeindexError as in process', () => {
  const path = buildFile('bad.vec', 800);
  const bytes = readFileSync(path);
  const damaged = join(ws.dir, 'damaged.vec');
  writeFileSync(damaged, bytes.subarray(0, bytes.length - 10));
  const q = unitRows(1, 3);
  for (const [p, code] of [
    [join(ws.dir, 'nope.vec'), 'E_INDEX_MISSING'],
    [damaged, 'E_STORE_CORRUPT'],
  ] as const) {
    const inProcess = expectCode(() => VectorIndexView.open(p), code);
    const viaWorker = expectCode(() => start(p).search(q, 5), code);
    assert.is(viaWorker.message, inProcess.message);
  }
});

test('a worker that dies, or throws before answering, is an E_WORKER error (no hang)', () => {
  const q = unitRows(1, 3);
  // As the real worker: flag its exit, then die before answering.
  const exits = writeFakeVectorWorker(join(ws.dir, 'exits.mjs'), 'process.exit(3);');
  const err = expectCode(() => start('unused.vec', { workerFile: exits }).search(q, 5), 'E_WORKER');
  assert.match(err.message, /stopped unexpectedly/);
  const throws = writeFakeVectorWorker(
    join(ws.dir, 'throws.mjs'),
    "workerData.port.on('message', () => { throw new Error('boom'); });",
  );
  const thrown = expectCode(
    () => start('unused.vec', { workerFile: throws, timeoutMs: 20_000 }).search(q, 5),
    'E_WORKER',
  );
  assert.match(thrown.message, /stopped unexpectedly/);
  // One that never answers nor exits: the timeout ends the wait.
  const silent = join(ws.dir, 'silent.mjs');
  writeFileSync(
    silent,
    `import { workerData } from 'node:worker_threads'; workerData.port.on('message', () => {});`,
  );
  const slow = expectCode(
    () => start('unused.vec', { workerFile: silent, timeoutMs: 300 }).search(q, 5),
    'E_WORKER',
  );
  assert.match(slow.message, /did not answer/);
});

test.run();
