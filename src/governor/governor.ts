// The memory governor: samples the process at an interval that shortens near the budget,
// and at 90% of it acts in order of cost — slows the parse pool, flushes store writes,
// spills registered caches, recycles workers — then relaxes below 75%. The budget is held
// against RSS minus file-backed pages (see pressureOf). Every action, spill and reload goes
// into a log (MemoryReport, and memoryLog() for the whole process) that the index summary,
// `leindex bench` and `leindex diagnostics` show. Main thread.

import v8 from 'node:v8';
import vm from 'node:vm';
import { silentLogger, type Logger } from '../util/log.js';
import { resolveBudget, type MemoryBudget, type RequestedBudgetSource } from './budget.js';
import { MemoryPolicy, nextSampleDelay, type PolicyAction, type PolicyOptions } from './policy.js';
import { pressureOf, processSampler, type MemorySample, type MemorySampler } from './sampler.js';
import { checkBudgetFloor, maxThreadsFor, workerHeapMbFor } from './sizing.js';

/** A cache the governor may drop; whatever it held must reload lazily, giving the same answers. */
export interface Spillable {
  readonly name: string;
  /** Bytes it holds now (an estimate is fine; it orders the spills and fills the log). */
  bytes(): number;
  /** Drops what it can; returns the bytes freed. */
  spill(): number;
  /** Pressure is over: it may keep what it reloads again. */
  relax?(): void;
}

/** Handed back by register(): the cache reports its reloads through it. */
export interface SpillHandle {
  /** `count` reloads of `bytes` in total took `ms` (aggregated into one log entry per episode). */
  reloaded(bytes: number, ms: number, count?: number): void;
  dispose(): void;
}

/** What the governor asks of a worker pool. */
export interface PoolControl {
  /** 0 = normal; 1 = one task per thread, halved shards; 2 = one task, quartered shards. */
  throttle(level: number): void;
  /** Restart the workers once the tasks in flight are done (frees their heaps). */
  recycle(): void;
}

/** What a worker pool tells the governor (the pool attaches itself and detaches when destroyed). */
export interface PoolGovernor {
  attachPool(pool: PoolControl): () => void;
  workerDied(what: string): void;
}

export type MemoryEventKind = 'throttle' | 'relax' | 'flush' | 'spill' | 'reload' | 'recycle' | 'worker-died';

export interface MemoryEvent {
  /** ms since the governor started. */
  atMs: number;
  kind: MemoryEventKind;
  /** The cache, pool or store concerned, with any detail. */
  what: string;
  /** Bytes freed (spill) or read back (reload); 0 when not applicable. */
  bytes: number;
  /** Time the action took (a flush, a spill, the reloads of an episode). */
  ms: number;
  /** How many (reloads are aggregated). */
  count: number;
  rssBytes: number;
  /** RSS minus file-backed pages (what the budget is held against) at the time. */
  anonBytes: number;
}

export interface MemoryReport {
  budget: MemoryBudget;
  actAtBytes: number;
  relaxAtBytes: number;
  /** Per-worker V8 old-generation cap derived from the budget (undefined: V8's default). */
  workerHeapMb: number | undefined;
  /** Worker threads allowed by the budget (undefined: not asked). */
  maxThreads: number | undefined;
  /** Highest RSS sampled (includes file-backed pages: the node binary, the mapped store). */
  peakRssBytes: number;
  /** Highest RSS minus file-backed pages sampled: the figure held against the budget. */
  peakAnonBytes: number;
  samples: number;
  spills: number;
  spilledBytes: number;
  reloads: number;
  reloadedBytes: number;
  throttles: number;
  flushes: number;
  recycles: number;
  workerDeaths: number;
  /** The first MAX_EVENTS events; the counters above cover all of them. */
  events: MemoryEvent[];
}

export interface GovernorOptions {
  readonly policy?: PolicyOptions;
  readonly sampler?: MemorySampler;
  readonly logger?: Logger;
  /** Sampling interval bounds, ms (see nextSampleDelay). */
  readonly minIntervalMs?: number;
  readonly maxIntervalMs?: number;
  /**
   * A checkpoint spills, and a spill is followed by a full GC, only when that frees at least
   * this share of the budget. Default 0.02: re-spilling a few MB of reload window again and
   * again only thrashes the merge (tests of tiny trees set 0).
   */
  readonly usefulSpillShare?: number;
}

const MB = 2 ** 20;
const MAX_EVENTS = 500;

const USEFUL_SPILL_SHARE = 0.02;

/** The events of every governor in this process, newest last (bounded), for `leindex diagnostics`. */
const processLog: MemoryEvent[] = [];
const PROCESS_LOG_MAX = 1000;

export function memoryLog(): readonly MemoryEvent[] {
  return processLog;
}

/**
 * The governor of an index run: resolves the budget from the options (flag, env or config,
 * against the cgroup limit and physical memory), refuses one below the floor before anything
 * is touched, and starts sampling.
 */
export function startGovernor(
  options: {
    readonly memoryBudgetMb: number | undefined;
    readonly memoryBudgetSource?: RequestedBudgetSource;
  },
  logger?: Logger,
): MemoryGovernor {
  const budget = resolveBudget({
    requestedMb: options.memoryBudgetMb,
    requestedSource: options.memoryBudgetSource,
  });
  checkBudgetFloor(budget);
  logger?.debug(`memory budget ${Math.round(budget.bytes / MB)} MB: ${budget.detail}`);
  return new MemoryGovernor(budget, logger ? { logger } : {}).start();
}

export class MemoryGovernor {
  readonly policy: MemoryPolicy;
  private readonly sampler: MemorySampler;
  private readonly log: Logger;
  private readonly spillables = new Set<Spillable>();
  private readonly pools = new Set<PoolControl>();
  private readonly flushers = new Set<() => Promise<void>>();
  private readonly pendingReloads = new Map<string, { bytes: number; ms: number; count: number }>();
  private readonly events: MemoryEvent[] = [];
  private readonly counts = {
    spills: 0,
    spilledBytes: 0,
    reloads: 0,
    reloadedBytes: 0,
    throttles: 0,
    flushes: 0,
    recycles: 0,
    workerDeaths: 0,
  };
  private readonly startedAt = performance.now();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private running = false;
  private last: MemorySample | undefined;
  private peak = 0;
  private peakAnon = 0;
  private maxThreads: number | undefined;
  private samples = 0;
  private workerHeap: number | undefined;

  constructor(
    readonly budget: MemoryBudget,
    private readonly options: GovernorOptions = {},
  ) {
    this.policy = new MemoryPolicy(options.policy);
    this.sampler = options.sampler ?? processSampler();
    this.log = options.logger ?? silentLogger;
  }

  get actAtBytes(): number {
    return this.budget.bytes * this.policy.actAt;
  }

  /** Starts sampling (the timer does not keep the process alive). */
  start(): this {
    if (this.running) return this;
    this.running = true;
    this.schedule(0);
    return this;
  }

  /** Stops sampling, waits for a tick in progress, releases pidusage; returns the report. Idempotent. */
  stop(): Promise<MemoryReport> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private stopped: Promise<MemoryReport> | undefined;
  private async shutdown(): Promise<MemoryReport> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.ticking;
    this.observe(this.sampler.sampleSync());
    this.flushReloads();
    this.sampler.close();
    return this.report();
  }

  register(cache: Spillable): SpillHandle {
    this.spillables.add(cache);
    return {
      reloaded: (bytes, ms, count = 1) => {
        const p = this.pendingReloads.get(cache.name) ?? { bytes: 0, ms: 0, count: 0 };
        p.bytes += bytes;
        p.ms += ms;
        p.count += count;
        this.pendingReloads.set(cache.name, p);
        this.counts.reloads += count;
        this.counts.reloadedBytes += bytes;
      },
      dispose: () => {
        this.spillables.delete(cache);
      },
    };
  }

  /** The pool is throttled to the current level at once (a pool started under pressure starts slow). */
  attachPool(pool: PoolControl): () => void {
    this.pools.add(pool);
    if (this.policy.throttleLevel > 0) pool.throttle(this.policy.throttleLevel);
    return () => this.pools.delete(pool);
  }

  /** A way to flush pending writes (the index store's write queue). */
  addFlusher(flush: () => Promise<void>): () => void {
    this.flushers.add(flush);
    return () => this.flushers.delete(flush);
  }

  /** The per-worker V8 heap cap for this budget (see workerHeapMbFor); kept for the report. */
  workerHeapMb(threads: number): number | undefined {
    this.workerHeap = workerHeapMbFor(this.budget, threads);
    return this.workerHeap;
  }

  /** How many worker threads to start for `requested` (see maxThreadsFor); kept for the report. */
  threadsFor(requested: number): number {
    this.maxThreads = maxThreadsFor(this.budget);
    return Math.min(requested, this.maxThreads);
  }

  /** A worker died (out of memory or a crash): logged with the shard that was running. */
  workerDied(what: string): void {
    this.counts.workerDeaths++;
    this.record('worker-died', what, 0, 0, 1);
  }

  /**
   * For synchronous stretches (the merge): samples now and, above the act line, spills at
   * once. Cheap enough (~20 µs) to call every few hundred items of a loop.
   */
  checkpoint(): void {
    if (!this.running) return;
    const s = this.sampler.sampleSync();
    this.observe(s);
    // Spilling a few MB (a reload window) again and again would only thrash the merge.
    if (this.spillableBytes() < this.usefulSpillBytes()) return;
    if (this.policy.urgent(pressureOf(s), this.budget.bytes, s.atMs)) this.spillAll();
  }

  /** One sample and at most one action (the timer calls this; tests call it directly). */
  async tick(): Promise<void> {
    const s = await this.sampler.sample();
    this.observe(s);
    this.flushReloads();
    const action = this.policy.decide(pressureOf(s), this.budget.bytes, s.atMs);
    if (action) await this.act(action);
  }

  report(): MemoryReport {
    return {
      budget: this.budget,
      actAtBytes: Math.round(this.budget.bytes * this.policy.actAt),
      relaxAtBytes: Math.round(this.budget.bytes * this.policy.relaxAt),
      workerHeapMb: this.workerHeap,
      maxThreads: this.maxThreads,
      peakRssBytes: this.peak,
      peakAnonBytes: this.peakAnon,
      samples: this.samples,
      ...this.counts,
      events: [...this.events],
    };
  }

  // ------------------------------------------------------------------ internals

  private schedule(delay: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick()
        .catch((err: unknown) => this.log.warn(`memory governor: ${String(err)}`))
        .finally(() => {
          this.ticking = undefined;
          this.schedule(this.delayAfter());
        });
    }, delay);
    this.timer.unref();
  }

  private prevForGrowth: MemorySample | undefined;
  private delayAfter(): number {
    const cur = this.last;
    if (!cur) return this.options.minIntervalMs ?? 50;
    const prev = this.prevForGrowth;
    this.prevForGrowth = cur;
    const growth =
      prev && cur.atMs > prev.atMs ? (pressureOf(cur) - pressureOf(prev)) / (cur.atMs - prev.atMs) : 0;
    return nextSampleDelay(pressureOf(cur), this.budget.bytes, growth, this.policy.actAt, {
      ...(this.options.minIntervalMs !== undefined ? { minMs: this.options.minIntervalMs } : {}),
      ...(this.options.maxIntervalMs !== undefined ? { maxMs: this.options.maxIntervalMs } : {}),
    });
  }

  private observe(s: MemorySample): void {
    this.samples++;
    this.last = s;
    if (s.rss > this.peak) this.peak = s.rss;
    const anon = pressureOf(s);
    if (anon > this.peakAnon) this.peakAnon = anon;
  }

  private usefulSpillBytes(): number {
    return this.budget.bytes * (this.options.usefulSpillShare ?? USEFUL_SPILL_SHARE);
  }

  private spillableBytes(): number {
    let n = 0;
    for (const c of this.spillables) n += c.bytes();
    return n;
  }

  private async act(action: PolicyAction): Promise<void> {
    const t = performance.now();
    switch (action.kind) {
      case 'throttle':
        this.counts.throttles++;
        for (const p of this.pools) p.throttle(action.level);
        this.record('throttle', `pool level ${action.level}`, 0, 0, 1);
        return;
      case 'flush': {
        if (this.flushers.size === 0) return;
        for (const f of this.flushers) await f();
        this.counts.flushes++;
        this.record('flush', 'store writes', 0, performance.now() - t, 1);
        return;
      }
      case 'spill':
        this.spillAll();
        return;
      case 'recycle':
        if (this.pools.size === 0) return;
        this.counts.recycles++;
        for (const p of this.pools) p.recycle();
        this.record('recycle', 'parse workers', 0, 0, 1);
        return;
      case 'relax':
        for (const p of this.pools) p.throttle(0);
        for (const c of this.spillables) c.relax?.();
        this.record('relax', 'below the relax line', 0, 0, 1);
        return;
    }
  }

  /**
   * Spills every cache that holds something, biggest first; then, if that freed a useful
   * amount, a full GC, because what a cache lets go of (fragments on SharedArrayBuffers,
   * decoded strings) leaves RSS only when V8 collects it, and a small heap collects rarely.
   */
  private spillAll(): void {
    const order = [...this.spillables].map((c) => ({ c, b: c.bytes() })).filter((x) => x.b > 0);
    order.sort((a, b) => b.b - a.b);
    let total = 0;
    for (const { c } of order) {
      this.flushReloads(c.name);
      const t = performance.now();
      const freed = c.spill();
      total += freed;
      this.counts.spills++;
      this.counts.spilledBytes += freed;
      this.record('spill', c.name, freed, performance.now() - t, 1);
      this.log.debug(`memory governor: spilled ${c.name} (${Math.round(freed / MB)} MB)`);
    }
    if (total > 0 && total >= this.usefulSpillBytes()) collectGarbage();
  }

  /** Turns aggregated reloads into log entries (one per cache per episode). */
  private flushReloads(only?: string): void {
    for (const [name, p] of this.pendingReloads) {
      if (only !== undefined && name !== only) continue;
      this.record('reload', name, p.bytes, p.ms, p.count);
      this.pendingReloads.delete(name);
    }
  }

  private record(kind: MemoryEventKind, what: string, bytes: number, ms: number, count: number): void {
    const e: MemoryEvent = {
      atMs: Math.round(performance.now() - this.startedAt),
      kind,
      what,
      bytes: Math.round(bytes),
      ms: Math.round(ms * 100) / 100,
      count,
      rssBytes: this.last?.rss ?? 0,
      anonBytes: this.last ? pressureOf(this.last) : 0,
    };
    if (this.events.length < MAX_EVENTS) this.events.push(e);
    processLog.push(e);
    if (processLog.length > PROCESS_LOG_MAX) processLog.splice(0, processLog.length - PROCESS_LOG_MAX);
  }
}

let gc: (() => void) | undefined;
/** A full GC of this isolate (--expose-gc can be set at run time; the function comes from a fresh context). */
function collectGarbage(): void {
  if (!gc) {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  }
  gc();
}
