// Runs shards on a Piscina pool of parse workers (or in-process, the serial path used to
// check determinism), with a bounded number of tasks in flight, abort support, and a retry
// that splits a shard whose worker died (out of memory, a native crash), so one poisonous
// file is skipped with a reason and never takes its shard-mates down. The memory governor
// can throttle it (fewer tasks in flight, smaller shards) and recycle its workers.
// Coordinator thread.

import { Piscina } from 'piscina';
import { fileURLToPath } from 'node:url';
import { LeindexError, describeError } from '../errors.js';
import type { PoolControl, PoolGovernor } from '../governor/governor.js';
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
  /** The memory governor: it may throttle and recycle this pool, and hears of worker deaths. */
  readonly governor?: PoolGovernor | undefined;
  /** The worker module (tests run fixture workers). Default: the parse worker. */
  readonly workerFile?: string;
}

export type ShardCallback = (result: ParseResult, shard: readonly ParseTaskFile[]) => Promise<void> | void;

/** A recycle is refused until this many shards per thread finished since the last one. */
const RECYCLE_EVERY_SHARDS_PER_THREAD = 2;

export class ParsePool implements PoolControl {
  private piscina: Piscina | undefined;
  private serial: ((task: ParseTask) => Promise<ParseResult>) | undefined;
  private level = 0;
  private active = 0;
  /** Lanes waiting for a slot (the in-flight limit dropped) or for a recycle to finish. */
  private waiters: (() => void)[] = [];
  private recycleWanted = false;
  private recycling: Promise<void> | undefined;
  private doneSinceRecycle = 0;
  /** Times the workers were restarted (the memory governor's recycle). */
  recycles = 0;
  private detach: (() => void) | undefined;

  constructor(private readonly options: ParsePoolOptions) {
    this.piscina = this.createPiscina();
    this.detach = options.governor?.attachPool(this);
  }

  private createPiscina(): Piscina | undefined {
    if (this.options.threads <= 0) return undefined;
    return new Piscina({
      filename: this.options.workerFile ?? WORKER_FILE,
      minThreads: this.options.threads,
      maxThreads: this.options.threads,
      idleTimeout: 60_000,
      ...(this.options.workerHeapMb
        ? { resourceLimits: { maxOldGenerationSizeMb: this.options.workerHeapMb } }
        : {}),
    });
  }

  get threads(): number {
    return this.options.threads;
  }

  /** PoolControl: 0 normal, 1 one task per thread and halved shards, 2 one task and quartered shards. */
  throttle(level: number): void {
    this.level = Math.max(0, Math.min(2, level));
    this.wake();
  }

  /** PoolControl: restart the workers when the tasks in flight are done (refused if done recently). */
  recycle(): void {
    if (!this.piscina) return;
    if (this.doneSinceRecycle < RECYCLE_EVERY_SHARDS_PER_THREAD * this.options.threads) return;
    this.recycleWanted = true;
  }

  private limit(): number {
    const full = Math.max(1, this.options.threads * (this.options.inFlightPerThread ?? 2));
    if (this.level === 0) return full;
    return this.level === 1 ? Math.max(1, this.options.threads) : 1;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }

  /**
   * Takes a slot for one task: under the in-flight limit and not during a recycle. The count
   * goes up here, before any await can let another lane see the same free slot.
   */
  private async acquire(): Promise<void> {
    for (;;) {
      if (this.recycleWanted && !this.recycling) this.recycling = this.restartWorkers();
      if (this.recycling) {
        await this.recycling;
        continue;
      }
      if (this.active < this.limit()) {
        this.active++;
        return;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private release(): void {
    this.active--;
    this.wake();
  }

  /** Drains the tasks in flight, then replaces the workers (their heaps and parser memory go). */
  private async restartWorkers(): Promise<void> {
    while (this.active > 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
    // The old workers go first, so the two sets never hold memory at the same time.
    await this.piscina?.destroy();
    this.piscina = this.createPiscina();
    this.recycles++;
    this.doneSinceRecycle = 0;
    this.recycleWanted = false;
    this.recycling = undefined;
    this.wake();
  }

  /**
   * Runs every shard; `onResult` is called once per completed shard (in completion order,
   * which is why the merge sorts by path). Resolves when all shards are done.
   */
  async run(shards: readonly (readonly ParseTaskFile[])[], onResult: ShardCallback): Promise<void> {
    const queue = [...shards];
    const lanes = Math.max(1, this.options.threads * (this.options.inFlightPerThread ?? 2));
    let failure: Error | undefined;
    const lane = async (): Promise<void> => {
      while (queue.length > 0 && failure === undefined) {
        this.throwIfAborted();
        await this.acquire();
        let shard = queue.shift();
        if (!shard || failure !== undefined) {
          this.release();
          break;
        }
        if (this.level > 0 && shard.length > 1) {
          // Throttled: run a half (a quarter) now and put the rest back in front.
          const take = Math.ceil(shard.length / (this.level === 1 ? 2 : 4));
          queue.unshift(shard.slice(take));
          shard = shard.slice(0, take);
        }
        // The slot is given back as soon as the worker answers (so the next shard can start
        // while this one's fragments are stored), or at the end when it failed.
        let released = false;
        const releaseOnce = (): void => {
          if (released) return;
          released = true;
          this.release();
        };
        try {
          await this.runShard(shard, onResult, releaseOnce);
        } catch (err) {
          failure ??= err instanceof Error ? err : new Error(String(err));
        } finally {
          releaseOnce();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(lanes, shards.length) }, lane));
    if (failure !== undefined) throw failure;
    this.throwIfAborted();
  }

  /**
   * Runs a shard (retrying it in halves if its worker dies); `answered` is called when a
   * worker has answered for the whole shard, before `onResult` runs.
   */
  private async runShard(
    shard: readonly ParseTaskFile[],
    onResult: ShardCallback,
    answered: () => void = () => {},
  ): Promise<void> {
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
      this.options.governor?.workerDied(
        `${describeError(err)} (shard of ${shard.length} file${shard.length === 1 ? '' : 's'} from ${shard[0]?.relPath ?? '?'})`,
      );
      if (shard.length > 1) {
        // A worker died (out of memory, a native crash): halve and retry, down to the file.
        const mid = Math.ceil(shard.length / 2);
        await this.runShard(shard.slice(0, mid), onResult);
        await this.runShard(shard.slice(mid), onResult);
        return;
      }
      const file = shard[0];
      if (!file) return;
      this.doneSinceRecycle++;
      await onResult(
        {
          buffer: new SharedArrayBuffer(0),
          outcomes: [
            {
              status: 'skipped',
              relPath: file.relPath,
              reason: 'unreadable',
              detail: `parse worker failed: ${describeError(err)}${outOfMemoryHint(err, this.options.workerHeapMb)}`,
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
    // Counted before the callback: a recycle asked from it sees every shard that came back so far.
    this.doneSinceRecycle++;
    answered();
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
      const mod = (await import(this.options.workerFile ?? WORKER_FILE)) as {
        default: (t: ParseTask) => Promise<ParseResult>;
      };
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
    this.detach?.();
    this.detach = undefined;
    const p = this.piscina;
    this.piscina = undefined;
    await p?.destroy();
  }
}

function isAbort(err: unknown): boolean {
  return (err as { name?: string }).name === 'AbortError';
}

function outOfMemoryHint(err: unknown, heapMb: number | undefined): string {
  if ((err as { code?: string }).code !== 'ERR_WORKER_OUT_OF_MEMORY') return '';
  return heapMb ? ` (worker heap capped at ${heapMb} MB by the memory budget)` : '';
}
