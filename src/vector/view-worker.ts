// A VectorIndexView opened in a worker thread (workers/vector-worker.ts), opt-in with
// LEINDEX_VECTOR_WORKER=on (on 2 cores it did not shorten a cold search): started as soon as
// a cold search knows its vector file, it loads usearch and maps the file beside the main
// thread, which meanwhile loads the graph view, the lexicon and the model. A search is a
// synchronous call: the query is posted, the main thread blocks on a shared counter until
// the answer is there and takes it off the port with receiveMessageOnPort. Main thread.

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type * as WorkerThreads from 'node:worker_threads';
import type { MessagePort, Worker } from 'node:worker_threads';
import { LeindexError, type ErrorCode } from '../errors.js';
import {
  VECTOR_SIGNAL,
  type VectorSearchRequest,
  type VectorWorkerAnswer,
  type VectorWorkerData,
} from '../protocol.js';
import type { VectorFileStamp } from './format.js';
import { checkK, checkQuery, NO_HITS, type VectorHits } from './query.js';

export const VECTOR_WORKER_FILE = fileURLToPath(new URL('../../workers/vector-worker.js', import.meta.url));

/**
 * How long a search waits for the worker (which first has to finish opening the file):
 * opening a large index from a cold disk takes seconds, never minutes.
 */
const ANSWER_TIMEOUT_MS = 120_000;

export interface ViewWorkerOptions {
  readonly stamp?: VectorFileStamp | undefined;
  /** The worker's script (tests use fixture workers); default workers/vector-worker.js. */
  readonly workerFile?: string;
  /** Overrides ANSWER_TIMEOUT_MS. */
  readonly timeoutMs?: number;
}

/**
 * node:worker_threads, loaded by the first worker started: the module is ~4-8 ms of a fresh
 * process, and a cold search runs with the worker off unless a core is idle.
 */
const require = createRequire(import.meta.url);
let threads: typeof WorkerThreads | undefined;
function workerThreads(): typeof WorkerThreads {
  threads ??= require('node:worker_threads') as typeof WorkerThreads;
  return threads;
}

export class VectorViewWorker {
  private readonly signal: Int32Array;
  private worker: Worker | undefined;

  private constructor(
    private readonly path: string,
    private readonly port: MessagePort,
    worker: Worker,
    signal: SharedArrayBuffer,
    private readonly timeoutMs: number,
  ) {
    this.worker = worker;
    this.signal = new Int32Array(signal);
  }

  /** Starts the worker on `path`; returns at once (the open runs in the background). */
  static start(path: string, options: ViewWorkerOptions = {}): VectorViewWorker {
    const { MessageChannel, Worker } = workerThreads();
    const { port1, port2 } = new MessageChannel();
    const signal = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
    const data: VectorWorkerData = { path, stamp: options.stamp, port: port2, signal };
    const worker = new Worker(options.workerFile ?? VECTOR_WORKER_FILE, {
      workerData: data,
      transferList: [port2],
    });
    // Never the reason the process stays up: a CLI search exits when its output is written.
    worker.unref();
    // An error thrown in the worker ends it (the exited flag says so); without a listener it
    // would also be rethrown on this thread as an uncaught exception.
    worker.on('error', () => {});
    port1.unref();
    return new VectorViewWorker(path, port1, worker, signal, options.timeoutMs ?? ANSWER_TIMEOUT_MS);
  }

  /** VectorIndexView.search, answered by the worker (waits for the open to finish). */
  search(query: Float32Array, k: number): VectorHits {
    if (!this.worker) throw new LeindexError('E_USAGE', 'vector view worker is closed');
    checkK(k);
    if (checkQuery(query, query.length) === 'zero') return NO_HITS;
    const request: VectorSearchRequest = { type: 'search', query, k };
    this.port.postMessage(request);
    const a = this.next();
    if (a.type === 'error') {
      throw new LeindexError(a.code as ErrorCode, a.message, a.hint === undefined ? {} : { hint: a.hint });
    }
    return { keys: a.keys, similarities: a.similarities };
  }

  /** Blocks until the worker's next answer (or its exit, or the timeout). */
  private next(): VectorWorkerAnswer {
    const deadline = performance.now() + this.timeoutMs;
    for (;;) {
      const seen = Atomics.load(this.signal, VECTOR_SIGNAL.answers);
      const got = workerThreads().receiveMessageOnPort(this.port);
      if (got) {
        return got.message as VectorWorkerAnswer;
      }
      if (Atomics.load(this.signal, VECTOR_SIGNAL.exited) === 1) {
        this.close();
        throw new LeindexError('E_WORKER', `the vector search worker for ${this.path} stopped unexpectedly`, {
          hint: 'run the search again; if it keeps failing, `leindex index --rebuild` rebuilds the vector index',
        });
      }
      const left = deadline - performance.now();
      if (left <= 0) {
        this.close();
        throw new LeindexError(
          'E_WORKER',
          `the vector search worker for ${this.path} did not answer in ${this.timeoutMs} ms`,
          { hint: 'run the search again; a machine this busy may need `--mode text` (no vectors)' },
        );
      }
      // The worker posts its answer before bumping the counter, so a bump means a message.
      Atomics.wait(this.signal, VECTOR_SIGNAL.answers, seen, left);
    }
  }

  /** Stops the worker (the mapping goes with it). */
  close(): void {
    const w = this.worker;
    this.worker = undefined;
    this.port.close();
    if (w) void w.terminate();
  }
}
