// Runs shards on a Piscina pool of parse workers (or in-process, the serial path used to
// check determinism), with a bounded number of tasks in flight, abort support, and a retry
// that splits a shard whose worker died, so one poisonous file is skipped with a reason and
// never takes its shard-mates down. Coordinator thread.

import { Piscina } from 'piscina';
import { fileURLToPath } from 'node:url';
import { LeindexError, describeError } from '../errors.js';
import type { ParseResult, ParseTask, ParseTaskFile } from '../protocol.js';

export const WORKER_FILE = fileURLToPath(new URL('../../workers/parse-worker.js', import.meta.url));

export interface ParsePoolOptions {
  /** Worker threads; 0 runs every shard on the calling thread (the serial path). */
  readonly threads: number;
  readonly maxFileBytes: number;
  readonly extract: boolean;
  /** Embed symbols in the workers (see ParseTask.embed). */
  readonly embed?: boolean;
  /** Shards in flight per thread: enough to hide message latency, few enough to bound memory. */
  readonly inFlightPerThread?: number;
  /** Per-worker V8 heap cap in MiB (from the memory budget); undefined = V8's default. */
  readonly workerHeapMb?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

export type ShardCallback = (result: ParseResult, shard: readonly ParseTaskFile[]) => Promise<void> | void;

export class ParsePool {
  private readonly piscina: Piscina | undefined;
  private serial: ((task: ParseTask) => Promise<ParseResult>) | undefined;

  constructor(private readonly options: ParsePoolOptions) {
    if (options.threads > 0) {
      this.piscina = new Piscina({
        filename: WORKER_FILE,
        minThreads: options.threads,
        maxThreads: options.threads,
        idleTimeout: 60_000,
        ...(options.workerHeapMb ? { resourceLimits: { maxOldGenerationSizeMb: options.workerHeapMb } } : {}),
      });
    }
  }

  get threads(): number {
    return this.options.threads;
  }

  /**
   * Runs every shard; `onResult` is called once per completed shard (in completion order,
   * which is why the merge sorts by path). Resolves when all shards are done.
   */
  async run(shards: readonly (readonly ParseTaskFile[])[], onResult: ShardCallback): Promise<void> {
    const queue = [...shards];
    const limit = Math.max(1, this.options.threads * (this.options.inFlightPerThread ?? 2));
    let failure: Error | undefined;
    const lane = async (): Promise<void> => {
      while (queue.length > 0 && failure === undefined) {
        this.throwIfAborted();
        const shard = queue.shift();
        if (!shard) break;
        try {
          await this.runShard(shard, onResult);
        } catch (err) {
          failure ??= err instanceof Error ? err : new Error(String(err));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, shards.length) }, lane));
    if (failure !== undefined) throw failure;
    this.throwIfAborted();
  }

  private async runShard(shard: readonly ParseTaskFile[], onResult: ShardCallback): Promise<void> {
    const task: ParseTask = {
      files: shard,
      maxFileBytes: this.options.maxFileBytes,
      extract: this.options.extract,
      embed: this.options.embed ?? false,
    };
    let result: ParseResult;
    try {
      result = await this.exec(task);
    } catch (err) {
      if (isAbort(err) || this.options.signal?.aborted)
        throw new LeindexError('E_INTERRUPTED', 'interrupted');
      if (shard.length > 1) {
        // A worker died (out of memory, a native crash): halve and retry, down to the file.
        const mid = Math.ceil(shard.length / 2);
        await this.runShard(shard.slice(0, mid), onResult);
        await this.runShard(shard.slice(mid), onResult);
        return;
      }
      const file = shard[0];
      if (!file) return;
      await onResult(
        {
          buffer: new SharedArrayBuffer(0),
          outcomes: [
            {
              status: 'skipped',
              relPath: file.relPath,
              reason: 'unreadable',
              detail: `parse worker failed: ${describeError(err)}`,
              size: 0,
            },
          ],
          timings: { readMs: 0, parseMs: 0, extractMs: 0, embedMs: 0, encodeMs: 0, busyMs: 0 },
          bytesRead: 0,
          threadId: -1,
        },
        shard,
      );
      return;
    }
    await onResult(result, shard);
  }

  private async exec(task: ParseTask): Promise<ParseResult> {
    if (this.piscina) {
      return (await this.piscina.run(
        task,
        this.options.signal ? { signal: this.options.signal } : {},
      )) as ParseResult;
    }
    if (!this.serial) {
      const mod = (await import(WORKER_FILE)) as { default: (t: ParseTask) => Promise<ParseResult> };
      this.serial = mod.default;
    }
    return await this.serial(task);
  }

  private throwIfAborted(): void {
    if (this.options.signal?.aborted) throw new LeindexError('E_INTERRUPTED', 'interrupted');
  }

  /** Pool utilisation figures from Piscina (undefined on the serial path). */
  utilization(): number | undefined {
    return this.piscina?.utilization;
  }

  async destroy(): Promise<void> {
    await this.piscina?.destroy();
  }
}

function isAbort(err: unknown): boolean {
  return (err as { name?: string }).name === 'AbortError';
}
