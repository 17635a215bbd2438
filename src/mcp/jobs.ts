// Index jobs of the MCP server: one `runIndex` at a time per project, run in a child process
// (index-child.ts) so that the server's read-only store handle and the writer never share an
// LMDB environment (lmdb-js refuses a writer in a process that holds the store read-only), and
// so that the parse pool's memory is returned when the run ends. A job outlives the tool call
// that started it; callers join it and get heartbeats for MCP progress. Server thread.

import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { IndexOptions } from '../config.js';
import { LeindexError, type ErrorCode } from '../errors.js';
import type { IndexSummary } from '../pipeline/run-index.js';
import type { Logger } from '../util/log.js';

/** Sent to the child once, right after it starts. */
export interface IndexChildRequest {
  root: string;
  options: IndexOptions;
  rebuild: boolean;
}

/** What the child sends back: exactly one of these, then it exits. */
export type IndexChildMessage =
  | { type: 'done'; summary: IndexSummary }
  | { type: 'failed'; code: ErrorCode; message: string; hint: string | undefined };

export type JobStatus = 'running' | 'done' | 'failed';
/** Why a job was started: an explicit leindex_index call, a noticed change, or a missing index. */
export type JobTrigger = 'request' | 'refresh' | 'missing';

export interface JobProgress {
  elapsedMs: number;
  message: string;
}

/** How often a running job tells its waiters it is still alive (MCP progress notifications). */
const HEARTBEAT_MS = 1000;
/** After SIGTERM, how long the child gets to stop cleanly before SIGKILL. */
const KILL_GRACE_MS = 5000;

let nextJobNumber = 1;

export class IndexJob {
  readonly id = `ix-${nextJobNumber++}`;
  readonly startedAtMs = Date.now();
  status: JobStatus = 'running';
  finishedAtMs: number | undefined;
  summary: IndexSummary | undefined;
  error: LeindexError | undefined;
  /** Settles (never rejects) when the job has finished either way. */
  readonly done: Promise<void>;
  private readonly listeners = new Set<(p: JobProgress) => void>();
  private readonly heartbeat: NodeJS.Timeout;
  private child: ChildProcess | undefined;
  private finish!: () => void;

  constructor(
    readonly root: string,
    readonly rebuild: boolean,
    readonly trigger: JobTrigger,
    options: IndexOptions,
    private readonly log: Logger,
  ) {
    this.done = new Promise<void>((resolve) => (this.finish = resolve));
    this.heartbeat = setInterval(() => this.emit(), HEARTBEAT_MS);
    this.heartbeat.unref();
    this.spawn({ root, options, rebuild });
  }

  get elapsedMs(): number {
    return (this.finishedAtMs ?? Date.now()) - this.startedAtMs;
  }

  /** Calls `fn` on every heartbeat until the job ends; returns the unsubscribe. */
  onProgress(fn: (p: JobProgress) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Stops the run (the previous generation stays current); resolves when the child is gone. */
  async cancel(): Promise<void> {
    const child = this.child;
    if (!child || this.status !== 'running') return this.done;
    child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    force.unref();
    await this.done;
    clearTimeout(force);
  }

  private emit(): void {
    const secs = Math.round(this.elapsedMs / 1000);
    const p = { elapsedMs: this.elapsedMs, message: `indexing ${this.root}: ${secs}s so far` };
    for (const fn of this.listeners) fn(p);
  }

  private spawn(request: IndexChildRequest): void {
    const entry = fileURLToPath(new URL('./index-child.js', import.meta.url));
    let child: ChildProcess;
    try {
      // stdout is ignored: it belongs to the MCP transport of the parent, never to the child.
      child = fork(entry, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    } catch (err) {
      this.settle(undefined, new LeindexError('E_INTERNAL', `cannot start the indexer: ${String(err)}`));
      return;
    }
    this.child = child;
    let reply: IndexChildMessage | undefined;
    child.on('message', (m) => (reply = m as IndexChildMessage));
    child.on('error', (err) => this.log.warn(`index job ${this.id}: ${err.message}`));
    child.on('exit', (code, signal) => {
      if (reply?.type === 'done') this.settle(reply.summary, undefined);
      else if (reply?.type === 'failed')
        this.settle(undefined, new LeindexError(reply.code, reply.message, hintOf(reply.hint)));
      else
        this.settle(
          undefined,
          new LeindexError(
            'E_INTERNAL',
            `the indexer exited without a result (${signal ?? `code ${code}`})`,
            {
              hint: 'see the server log on stderr; the previous index generation is unchanged',
            },
          ),
        );
    });
    child.send(request);
  }

  private settle(summary: IndexSummary | undefined, error: LeindexError | undefined): void {
    if (this.status !== 'running') return;
    clearInterval(this.heartbeat);
    this.finishedAtMs = Date.now();
    this.summary = summary;
    this.error = error;
    this.status = error ? 'failed' : 'done';
    this.child = undefined;
    this.listeners.clear();
    if (error)
      this.log.warn(`index job ${this.id} (${this.trigger}) failed: ${error.code}: ${error.message}`);
    else this.log.debug(`index job ${this.id} (${this.trigger}) done in ${this.elapsedMs} ms`);
    this.finish();
  }
}

function hintOf(hint: string | undefined): { hint?: string } {
  return hint === undefined ? {} : { hint };
}

/**
 * Waits for `job` up to `ms` (or until `signal` aborts: the client cancelled its call, which
 * leaves the job running). Returns true if the job finished.
 */
export async function waitForJob(job: IndexJob, ms: number, signal: AbortSignal): Promise<boolean> {
  if (job.status !== 'running') return true;
  if (ms <= 0 || signal.aborted) return false;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    onAbort = resolve;
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([job.done, stop]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
  return job.status !== 'running';
}
