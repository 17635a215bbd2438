// The vector worker: opens one vector file (VectorIndexView: usearch's memory-mapped view,
// ~100 ms of loading the addon and walking the graph on the corpus) as soon as it starts, so
// a cold search pays for that beside its main thread, then answers nearest-neighbour
// queries on its port. Worker thread; speaks only the vector messages of src/protocol.ts.

import { workerData } from 'node:worker_threads';
import {
  VECTOR_SIGNAL,
  type VectorSearchRequest,
  type VectorWorkerAnswer,
  type VectorWorkerData,
  type VectorWorkerFailure,
} from '../src/protocol.js';
import type { VectorIndexView } from '../src/vector/view.js';

const data = workerData as VectorWorkerData;
const signal = new Int32Array(data.signal);
const port = data.port;

/** Wakes the main thread, which may be blocked waiting for an answer. */
function bump(): void {
  Atomics.add(signal, VECTOR_SIGNAL.answers, 1);
  Atomics.notify(signal, VECTOR_SIGNAL.answers);
}

// However the worker ends (an uncaught error, process.exit), the main thread must not wait
// for an answer that will never come. Registered before anything that can fail is loaded.
process.on('exit', () => {
  Atomics.store(signal, VECTOR_SIGNAL.exited, 1);
  bump();
});

function failure(err: unknown): VectorWorkerFailure {
  const e = err as { code?: unknown; message?: unknown; hint?: unknown; name?: unknown };
  const ours = e?.name === 'LeindexError' && typeof e.code === 'string';
  return {
    type: 'error',
    code: ours ? (e.code as string) : 'E_WORKER',
    message: typeof e?.message === 'string' ? e.message : String(err),
    hint: typeof e?.hint === 'string' ? e.hint : undefined,
  };
}

function answer(a: VectorWorkerAnswer): void {
  port.postMessage(a);
  bump();
}

let view: VectorIndexView | undefined;
let openFailure: VectorWorkerFailure | undefined;
try {
  // Loaded here, not imported at the top, so a failing addon load is reported as an answer.
  const { VectorIndexView } = await import('../src/vector/view.js');
  view = VectorIndexView.open(data.path, { stamp: data.stamp });
} catch (err) {
  openFailure = failure(err);
}

port.on('message', (msg: VectorSearchRequest) => {
  if (openFailure || !view) return answer(openFailure ?? failure(new Error('vector view not open')));
  try {
    // As HnswVectors in process: a query of another dimension (another model) finds nothing.
    const hits =
      view.dim === msg.query.length
        ? view.search(msg.query, msg.k)
        : { keys: new Float64Array(0), similarities: new Float32Array(0) };
    answer({ type: 'hits', keys: hits.keys, similarities: hits.similarities });
  } catch (err) {
    answer(failure(err));
  }
});
