// The memory governor: samples the process at an interval that shortens near the budget,
// and at 90% of it first gives memory back (malloc trim, mapped store pages and the
// executable's cold pages dropped: see MemoryReleaser), then acts in order of cost — slows
// the parse pool, flushes store writes, spills registered caches, recycles workers — then
// relaxes below 75%. The budget is held against RSS (RSS minus file-backed pages without the
// memtrim addon: see pressure()). Every action, spill and reload goes into a log
// (MemoryReport, and memoryLog() for the whole process) that the index summary, `leindex
// bench` and `leindex diagnostics` show. Main thread.

import { channel } from 'node:diagnostics_channel';
import v8 from 'node:v8';
import vm from 'node:vm';
import {
  dropExecutablePages,
  dropMappedFiles,
  memtrimAvailable,
  setArenaMax,
  setTrimThreshold,
  trimMalloc,
} from '../../native/memtrim.js';
import { silentLogger, type Logger } from '../util/log.js';
import { resolveBudget, type MemoryBudget, type RequestedBudgetSource } from './budget.js';
import { restartFlags } from './restart.js';
import { MemoryPolicy, nextSampleDelay, type PolicyAction, type PolicyOptions } from './policy.js';
import { pressureOf, processSampler, type MemorySample, type MemorySampler } from './sampler.js';
import {
  checkBudgetFloor,
  deferVectorsFor,
  maxThreadsFor,
  vectorSegmentRowsFor,
  workerHeapMbFor,
} from './sizing.js';

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

/**
 * Gives memory back to the kernel without losing anything: free malloc pages (glibc keeps a
 * worker thread's arena for the life of the process) and the resident pages of the mapped
 * index store (clean or in the page cache: they fault back in when read). The default is the
 * memtrim addon; without it (not built, not Linux) nothing is available.
 */
export interface MemoryReleaser {
  readonly available: boolean;
  /** Returns free malloc memory; true if any was returned. */
  trim(): boolean;
  /** Drops the resident pages of the mapped store files; returns the bytes of mappings advised. */
  dropMapped(): number;
  /**
   * Drops the resident pages of the executable's clean read-only mappings (its cold startup
   * pages; what is in use faults back in from the page cache): with each full release only,
   * as the hot part comes straight back. Returns the bytes of mappings advised.
   */
  dropCode?(): number;
  /** Makes the allocator keep less (fewer arenas, trimmed sooner); true if it could. */
  tune(): boolean;
  /** A full GC of this isolate (tests count them); default: the real one. */
  collect?(): void;
}

/** The index store's files: the LMDB map and the vector index file. */
const isStoreFile = (path: string): boolean => path.endsWith('.mdb') || path.endsWith('.usearch');
/**
 * glibc trims an arena's top when this much is free there (its default starts at 128 KiB but
 * climbs to 64 MiB as large blocks are freed, after which a worker's arena is never trimmed).
 */
const TRIM_THRESHOLD_BYTES = 1 << 20;
/**
 * Arenas glibc may create (it allows 8 per core, one per thread that allocates: 16 on the
 * benchmark machine, holding 360 MB by the end of an unconstrained parse). Set when the
 * governor starts, it caps the arenas created from then on: the parse workers share the
 * few that already exist.
 */
const ARENA_MAX = 2;

export const nativeReleaser: MemoryReleaser = {
  available: memtrimAvailable,
  trim: trimMalloc,
  dropMapped: () => dropMappedFiles(isStoreFile),
  dropCode: dropExecutablePages,
  tune: () => setArenaMax(ARENA_MAX) && setTrimThreshold(TRIM_THRESHOLD_BYTES),
};

/** Releases nothing (no addon; or a simulated process, whose samples a release cannot change). */
export const noReleaser: MemoryReleaser = {
  available: false,
  trim: () => false,
  dropMapped: () => 0,
  tune: () => false,
};

export type MemoryEventKind =
  'throttle' | 'relax' | 'flush' | 'spill' | 'reload' | 'recycle' | 'worker-died' | 'release';

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
  /** V8 flags the index command restarted this process with (src/governor/restart.ts; none: []). */
  heapFlags: readonly string[];
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
  /** Releases (malloc trim + mapped store pages dropped) and the RSS they gave back. */
  releases: number;
  releasedBytes: number;
  /** Full GCs the governor ran (settle, checkpoints above the act line) and their time, ms. */
  collections: number;
  collectionMs: number;
  /** What the budget is held against: the whole RSS (a releaser can drop mapped pages) or RSS minus file-backed pages. */
  heldAgainst: 'rss' | 'rss-minus-file';
  /** Highest RSS and RSS minus file-backed pages sampled in each phase of the run, bytes. */
  phasePeaks: Record<string, { rssBytes: number; anonBytes: number }>;
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
  /**
   * Gives memory back (malloc trim, mapped store pages). Default: the memtrim addon, unless the
   * sampler's samples are simulated (a release could not show in them).
   */
  readonly releaser?: MemoryReleaser;
  /**
   * Above the act line, release at most this often (ms), and no sooner than 20 times the last
   * release's duration after it (a slow trim must not stall the coordinator). Default 1000.
   */
  readonly releaseEveryMs?: number;
}

const MB = 2 ** 20;
const MAX_EVENTS = 500;

const USEFUL_SPILL_SHARE = 0.02;

/** Releases above the act line are spaced at least this many times their own duration apart. */
const RELEASE_COST_FACTOR = 20;
/**
 * Between full releases, the mapped store pages are dropped at most this often (ms): from the
 * timer, every 100 ms (the parse's writer maps pages back in as it writes); at a checkpoint
 * (the merge re-reads ~130 MB/s of spilled fragments at 256 MB: 100 ms let ~45 MB pile up),
 * every 10 ms and no sooner than DROP_COST_FACTOR times the last drop's duration.
 */
const DROP_EVERY_MS = 100;
const CHECKPOINT_DROP_EVERY_MS = 10;
const DROP_COST_FACTOR = 10;
/**
 * Above the act line, a checkpoint runs a full GC at most this often (ms) and no sooner than
 * GC_COST_FACTOR times the last one's duration: in the merge's resolution passes the garbage
 * (re-read fragments, the resolver's maps) piled up ~45 MB over the act line at 256 MB before
 * V8 collected it on its own (bench/memory.md, h/gov256e); settle() only ran at phase ends.
 */
const CHECKPOINT_GC_EVERY_MS = 200;
const GC_COST_FACTOR = 10;

/** Phase changes are published here (bench/memory-sampler.mjs labels its samples with them). */
const phaseChannel = channel('leindex:phase');

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
    releases: 0,
    releasedBytes: 0,
    collections: 0,
    collectionMs: 0,
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
  private currentPhase = 'start';
  private readonly releaser: MemoryReleaser;
  private lastReleaseAt = -Infinity;
  private lastReleaseMs = 0;
  private lastDropAt = -Infinity;
  private lastDropMs = 0;
  private lastCollectAt = -Infinity;
  private lastCollectMs = 0;
  /**
   * What a store-page drop cannot go below: the file-backed RSS after the last one (the node
   * binary's pages in use), or less when seen since.
   */
  private fileFloor = Infinity;
  private readonly pendingDrops = { count: 0, bytes: 0, ms: 0 };
  private readonly phasePeaks: Record<string, { rssBytes: number; anonBytes: number }> = {};

  constructor(
    readonly budget: MemoryBudget,
    private readonly options: GovernorOptions = {},
  ) {
    this.policy = new MemoryPolicy(options.policy);
    this.sampler = options.sampler ?? processSampler();
    this.log = options.logger ?? silentLogger;
    this.releaser = options.releaser ?? (this.sampler.simulated ? noReleaser : nativeReleaser);
    // Budget or not: the allocator should give back what it frees, as it frees it.
    this.releaser.tune();
  }

  /**
   * What the budget is held against. With a releaser, the whole RSS: the mapped store's
   * pages can be dropped, so they are the governor's to control. Without one, RSS minus
   * file-backed pages (clean cache the kernel reclaims under pressure): spilling would
   * otherwise re-map the very pages it counted.
   */
  pressure(s: MemorySample): number {
    return this.releaser.available ? s.rss : pressureOf(s);
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

  /** Whether the vector index is built after the parse (see deferVectorsFor). */
  deferVectors(): boolean {
    return deferVectorsFor(this.budget);
  }

  /** Rows per vector segment when the vectors are deferred (see vectorSegmentRowsFor). */
  vectorSegmentRows(): number {
    return vectorSegmentRowsFor(this.budget);
  }

  /** The run entered a phase (discover, parse, merge...): peaks are kept per phase. */
  phase(name: string): void {
    this.observe(this.sampler.sampleSync());
    this.currentPhase = name;
    if (phaseChannel.hasSubscribers) phaseChannel.publish({ phase: name });
    this.observe(this.sampler.sampleSync());
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
    let s = this.sampler.sampleSync();
    this.observe(s);
    s = this.collectIfDue(s);
    s = this.releaseIfDue(s, CHECKPOINT_DROP_EVERY_MS);
    // Spilling a few MB (a reload window) again and again would only thrash the merge.
    if (this.spillableBytes() < this.usefulSpillBytes()) return;
    if (this.policy.urgent(this.pressure(s), this.budget.bytes, s.atMs)) this.spillAll();
  }

  /**
   * After a synchronous stretch that leaves much garbage behind (the merge's resolver): above
   * the act line, a full GC, then a release, before the next phase allocates on top of it.
   */
  settle(why: string): void {
    if (!this.running || !this.releaser.available) return;
    const s = this.sampler.sampleSync();
    this.observe(s);
    if (this.pressure(s) < this.actAtBytes) return;
    this.collect();
    this.release(why);
  }

  /** A full GC, timed and counted; returns the sample taken after it. */
  private collect(): MemorySample {
    const t = performance.now();
    (this.releaser.collect ?? collectGarbage)();
    this.lastCollectMs = performance.now() - t;
    this.counts.collections++;
    this.counts.collectionMs += this.lastCollectMs;
    const after = this.sampler.sampleSync();
    this.observe(after);
    this.lastCollectAt = after.atMs;
    return after;
  }

  /**
   * At a checkpoint above the act line: a full GC when the last one is long enough ago (see
   * CHECKPOINT_GC_EVERY_MS). Returns the sample to decide on.
   */
  private collectIfDue(s: MemorySample): MemorySample {
    if (!this.releaser.available || this.pressure(s) < this.actAtBytes) return s;
    const wait = Math.max(CHECKPOINT_GC_EVERY_MS, this.lastCollectMs * GC_COST_FACTOR);
    if (s.atMs - this.lastCollectAt < wait) return s;
    return this.collect();
  }

  /**
   * Gives memory back now (malloc trim, mapped store pages dropped) and logs what RSS fell by;
   * returns the sample taken after (undefined without a releaser). run-index calls it when the
   * parse workers are gone.
   */
  release(why: string): MemorySample | undefined {
    if (!this.releaser.available) return undefined;
    const before = this.sampler.sampleSync();
    const t = performance.now();
    this.releaser.trim();
    const trimmedAt = performance.now();
    this.releaser.dropMapped();
    this.releaser.dropCode?.();
    const after = this.sampler.sampleSync();
    this.observe(after);
    this.lastReleaseAt = this.lastDropAt = after.atMs;
    this.lastReleaseMs = performance.now() - t;
    const freed = Math.max(0, before.rss - after.rss);
    this.counts.releases++;
    this.counts.releasedBytes += freed;
    const ms = (a: number, b: number): string => (b - a).toFixed(1);
    const detail = `trim ${ms(t, trimmedAt)} ms, drop ${ms(trimmedAt, performance.now())} ms`;
    this.record('release', `${why} (${detail})`, freed, performance.now() - t, 1);
    return after;
  }

  /**
   * Drops the mapped store pages only (a few ms: no malloc trim). Aggregated into one log
   * entry per episode, like reloads: the merge may need one every few hundred reads.
   */
  private dropMapped(): MemorySample {
    const before = this.sampler.sampleSync();
    const t = performance.now();
    this.releaser.dropMapped();
    const after = this.sampler.sampleSync();
    this.observe(after);
    // What dropping the store's pages gets down to now: the executable's hot pages, back since
    // the last full release, are not droppable here.
    this.fileFloor = after.rssFile;
    this.lastDropAt = after.atMs;
    this.lastDropMs = performance.now() - t;
    const freed = Math.max(0, before.rss - after.rss);
    this.counts.releases++;
    this.counts.releasedBytes += freed;
    this.pendingDrops.count++;
    this.pendingDrops.bytes += freed;
    this.pendingDrops.ms += performance.now() - t;
    return after;
  }

  /**
   * Above the act line, the cheapest actions first: a full release when the last one is long
   * enough ago, else dropping the mapped store pages when they are a useful share of the
   * budget. Returns the sample to decide on (taken after whatever was done).
   */
  private releaseIfDue(s: MemorySample, dropEveryMs = DROP_EVERY_MS): MemorySample {
    if (!this.releaser.available || this.pressure(s) < this.actAtBytes) return s;
    // A release that took long (malloc_trim walks every free chunk of every arena) waits longer:
    // releasing takes at most 1/RELEASE_COST_FACTOR of the time.
    const wait = Math.max(this.options.releaseEveryMs ?? 1000, this.lastReleaseMs * RELEASE_COST_FACTOR);
    if (s.atMs - this.lastReleaseAt >= wait) return this.release('above the act line') ?? s;
    const droppable = s.rssFile - this.fileFloor;
    const dropWait = Math.max(dropEveryMs, this.lastDropMs * DROP_COST_FACTOR);
    if (droppable >= this.usefulSpillBytes() && s.atMs - this.lastDropAt >= dropWait)
      return this.dropMapped();
    return s;
  }

  /** One sample and at most one action (the timer calls this; tests call it directly). */
  async tick(): Promise<void> {
    let s = await this.sampler.sample();
    this.observe(s);
    this.flushReloads();
    // Releasing costs a few ms and loses nothing: before any rung of the ladder.
    s = this.releaseIfDue(s);
    const action = this.policy.decide(this.pressure(s), this.budget.bytes, s.atMs);
    if (action) await this.act(action);
  }

  report(): MemoryReport {
    return {
      budget: this.budget,
      actAtBytes: Math.round(this.budget.bytes * this.policy.actAt),
      relaxAtBytes: Math.round(this.budget.bytes * this.policy.relaxAt),
      workerHeapMb: this.workerHeap,
      maxThreads: this.maxThreads,
      heapFlags: restartFlags(),
      peakRssBytes: this.peak,
      peakAnonBytes: this.peakAnon,
      heldAgainst: this.releaser.available ? 'rss' : 'rss-minus-file',
      samples: this.samples,
      ...this.counts,
      phasePeaks: { ...this.phasePeaks },
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
      prev && cur.atMs > prev.atMs ? (this.pressure(cur) - this.pressure(prev)) / (cur.atMs - prev.atMs) : 0;
    return nextSampleDelay(this.pressure(cur), this.budget.bytes, growth, this.policy.actAt, {
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
    if (s.rssFile < this.fileFloor) this.fileFloor = s.rssFile;
    const p = (this.phasePeaks[this.currentPhase] ??= { rssBytes: 0, anonBytes: 0 });
    if (s.rss > p.rssBytes) p.rssBytes = s.rss;
    if (anon > p.anonBytes) p.anonBytes = anon;
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
    if (total > 0 && total >= this.usefulSpillBytes()) {
      collectGarbage();
      // What the GC freed goes back to malloc, not to the kernel, until trimmed.
      this.release(`after spilling ${Math.round(total / MB)} MB`);
    }
  }

  /** Turns aggregated reloads into log entries (one per cache per episode). */
  private flushReloads(only?: string): void {
    if (this.pendingDrops.count > 0 && only === undefined) {
      const d = this.pendingDrops;
      this.record('release', `store pages dropped x${d.count}`, d.bytes, d.ms, d.count);
      d.count = d.bytes = d.ms = 0;
    }
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
