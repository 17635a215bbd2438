// A stand-in for src/vector/view-worker.ts in tests: a worker script that flags its exit on the
// signal buffer as the real worker does (slot 1 set, slot 0 bumped and notified), then runs
// `body` instead of opening an index, to make the worker die or throw where a test wants it.

import { writeFileSync } from 'node:fs';

/** Writes the stand-in worker to `path` and returns `path` (for `workerFile`). */
export function writeFakeVectorWorker(path: string, body: string): string {
  writeFileSync(
    path,
    `import { workerData } from 'node:worker_threads';
const s = new Int32Array(workerData.signal);
process.on('exit', () => { Atomics.store(s, 1, 1); Atomics.add(s, 0, 1); Atomics.notify(s, 0); });
${body}
`,
  );
  return path;
}
