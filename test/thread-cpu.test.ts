// The worker-thread CPU clock behind the pool's `workerCpuMs` figure (workers/thread-cpu.ts):
// it advances with this thread's own work, and it is the thread's, not the process's: while a
// worker thread burns CPU, the waiting main thread's clock hardly moves.

import { Worker } from 'node:worker_threads';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { threadCpuMs } from '../workers/thread-cpu.js';

const MODULE_URL = new URL('../workers/thread-cpu.js', import.meta.url).href;

/** Spins until this thread's clock moved by `ms` (or 20 s of wall passed); returns the clock's move. */
function burn(clock: () => number | undefined, ms: number): number {
  const start = clock() ?? 0;
  const until = Date.now() + 20_000;
  let x = 0;
  while ((clock() ?? 0) - start < ms && Date.now() < until) for (let i = 0; i < 1e5; i++) x += Math.sqrt(i);
  return (clock() ?? 0) - start + (x > 0 ? 0 : 1);
}

const linux = process.platform === 'linux';

test('the clock reads, and advances with work on this thread', () => {
  const before = threadCpuMs();
  if (!linux) {
    assert.is(before, undefined);
    return;
  }
  assert.type(before, 'number');
  assert.ok(Number.isFinite(before) && before! >= 0);
  const moved = burn(threadCpuMs, 60);
  assert.ok(moved >= 60, `the clock moved ${moved} ms while this thread worked`);
});

test("a worker's CPU is counted on its clock, not on the waiting main thread's", async () => {
  if (!linux) return;
  const mainBefore = threadCpuMs()!;
  const code = `
    const { parentPort } = require('node:worker_threads');
    import(${JSON.stringify(MODULE_URL)}).then(({ threadCpuMs }) => {
      const start = threadCpuMs();
      let x = 0;
      while (threadCpuMs() - start < 300) for (let i = 0; i < 1e5; i++) x += Math.sqrt(i);
      parentPort.postMessage(threadCpuMs() - start + (x > 0 ? 0 : 1));
    });`;
  const workerMs = await new Promise<number>((resolve, reject) => {
    const w = new Worker(code, { eval: true });
    w.once('message', (m: number) => {
      resolve(m);
      void w.terminate();
    });
    w.once('error', reject);
  });
  const mainMs = threadCpuMs()! - mainBefore;
  assert.ok(workerMs >= 300, `the worker's clock moved ${workerMs} ms`);
  assert.ok(
    mainMs < workerMs / 2,
    `the main thread's clock moved ${mainMs} ms while the worker burned ${workerMs} ms`,
  );
});

test.run();
