// Memory samples for the governor: the process's RSS from pidusage (which covers the parse
// workers: they are threads of this process, sharing its pid) and the main isolate's heap
// picture from process.memoryUsage(). A synchronous variant serves code that cannot yield
// (the merge). Main thread; the sampler is swappable so tests inject their own samples.

import { clearPidStats, pidStat } from '../../native/pidusage.js';

export interface MemorySample {
  /** performance.now() when taken. */
  atMs: number;
  /** Resident set of the whole process (all threads), bytes. */
  rss: number;
  /** Main isolate only (workers have their own heaps, inside rss). */
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** CPU use since the previous pidusage call, % of one core (undefined for sync samples). */
  cpu?: number;
}

export interface MemorySampler {
  sample(): Promise<MemorySample>;
  sampleSync(): MemorySample;
  /** Releases what sampling holds open (pidusage's descriptors). */
  close(): void;
}

/** Samples this process: pidusage for RSS and CPU, process.memoryUsage() for the heap. */
export function processSampler(pid = process.pid): MemorySampler {
  let pidusageBroken = false;
  const heap = (): Omit<MemorySample, 'rss' | 'cpu'> => {
    const m = process.memoryUsage();
    return {
      atMs: performance.now(),
      heapUsed: m.heapUsed,
      heapTotal: m.heapTotal,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
    };
  };
  return {
    async sample(): Promise<MemorySample> {
      if (!pidusageBroken) {
        try {
          const stat = await pidStat(pid);
          return { ...heap(), rss: stat.memory, cpu: stat.cpu };
        } catch (err) {
          // No /proc (or no ps): fall back to libuv's own RSS reading, which only sees this process.
          if (pid !== process.pid) throw err;
          pidusageBroken = true;
        }
      }
      return { ...heap(), rss: process.memoryUsage.rss() };
    },
    sampleSync(): MemorySample {
      return { ...heap(), rss: process.memoryUsage.rss() };
    },
    close(): void {
      clearPidStats();
    },
  };
}

/** A sampler that replays given RSS values (tests): the last one repeats. */
export function scriptedSampler(rssValues: readonly number[]): MemorySampler & { readonly taken: number } {
  let i = 0;
  const next = (): MemorySample => {
    const rss = rssValues[Math.min(i, rssValues.length - 1)] ?? 0;
    i++;
    return { atMs: performance.now(), rss, heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 };
  };
  return {
    get taken() {
      return i;
    },
    sample: () => Promise.resolve(next()),
    sampleSync: next,
    close: () => undefined,
  };
}
