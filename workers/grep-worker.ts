// The grep worker: matches a regex over batches of file texts the main thread sends, and
// posts each file's line matches back. It exists so that a runaway (catastrophically
// backtracking) regex can be stopped: JS regexes cannot be interrupted, but a worker can be
// terminated. Worker thread; speaks only the grep messages of src/protocol.ts.

import { parentPort, workerData } from 'node:worker_threads';
import type {
  GrepBatch,
  GrepBatchDone,
  GrepFileDone,
  GrepHitMessage,
  GrepWorkerData,
} from '../src/protocol.js';
import { LineScanner } from '../src/query/grep-match.js';

const data = workerData as GrepWorkerData;
// The pattern was compiled once on the main thread, so it is valid here too.
const scanner = new LineScanner(
  { kind: 'regex', source: data.source, flags: data.flags, linear: false },
  data,
);
const progress = new Int32Array(data.progress);
const port = parentPort;
if (!port) throw new Error('grep-worker must run in a worker thread');

port.on('message', (msg: GrepBatch) => {
  const failed: number[] = [];
  for (const input of msg.files) {
    if (scanner.exhausted) break;
    try {
      let reported = 0;
      const matchedLines = scanner.scan(input.text, (match) => {
        const hit: GrepHitMessage = { type: 'hit', file: input.file, match };
        port.postMessage(hit);
        reported++;
      });
      if (matchedLines > 0) {
        const done: GrepFileDone = { type: 'file', file: input.file, matchedLines, reported };
        port.postMessage(done);
      }
    } catch {
      // V8's regex engine can overflow its stack on some patterns and inputs: skip the file.
      failed.push(input.file);
    }
    Atomics.add(progress, 0, 1);
  }
  const done: GrepBatchDone = {
    type: 'done',
    batch: msg.batch,
    limitReached: scanner.exhausted,
    failed,
  };
  port.postMessage(done);
});
