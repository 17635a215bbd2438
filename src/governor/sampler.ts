// Memory samples for the governor: the process's RSS from pidusage (which covers the parse
// workers: they are threads of this process, sharing its pid), the file-backed part of it
// from /proc/<pid>/status, and the main isolate's heap picture from process.memoryUsage().
// A synchronous variant serves code that cannot yield (the merge). Main thread; the sampler
// is swappable so tests inject their own samples.

import { readFileSync } from 'node:fs';
import { clearPidStats, pidStat } from '../../native/pidusage.js';

export interface MemorySample {
  /** performance.now() when taken. */
  atMs: number;
  /** Resident set of the whole process (all threads), bytes. */
  rss: number;
  /**
   * The file-backed part of rss (the node binary, the memory-mapped index store), bytes:
   * clean pages of files that the kernel drops whenever it needs the memory. 0 when unknown.
   */
  rssFile: number;
  /** Main isolate only (workers have their own heaps, inside rss). */
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** CPU use since the previous pidusage call, % of one core (undefined for sync samples). */
  cpu?: number;
}

/**
 * What the budget is held against: resident memory the kernel cannot take back without
 * swap (RSS minus file-backed pages). Measured on the benchmark corpus, the mapped store
 * alone is 80–190 MB of RSS by the merge; counting it would make the governor spill
 * fragments whose re-reading maps the very same pages back in.
 */
export function pressureOf(s: MemorySample): number {
  return Math.max(0, s.rss - s.rssFile);
}

export interface MemorySampler {
  sample(): Promise<MemorySample>;
  sampleSync(): MemorySample;
  /** Releases what sampling holds open (pidusage's descriptors). */
  close(): void;
  /** The samples do not come from this process (tests): releasing memory cannot show in them. */
  readonly simulated?: boolean;
}

/**
 * Samples a process (default this one): pidusage for RSS and CPU, process.memoryUsage() for
 * the heap. The synchronous sample (the merge's checkpoints, hundreds a second at 256 MB) is
 * one read of /proc/<pid>/status for RSS and its file-backed part, with the heap figures of
 * the last full sample: nothing in the governor decides on them, and process.memoryUsage()
 * was ~40% of a checkpoint's cost (bench/memory.md, "h/gov256d").
 */
export function processSampler(pid = process.pid): MemorySampler {
  let pidusageBroken = false;
  const statusFile = `/proc/${pid}/status`;
  let statusBroken = false;
  /** VmRSS and RssFile (bytes) from one small procfs read (~20 µs; RssFile exists since Linux 4.5). */
  const status = (): { rss: number; rssFile: number } | undefined => {
    if (statusBroken) return undefined;
    try {
      const text = readFileSync(statusFile, 'latin1');
      const rss = /VmRSS:\s+(\d+)/.exec(text);
      const file = /RssFile:\s+(\d+)/.exec(text);
      if (rss && file) return { rss: Number(rss[1]) * 1024, rssFile: Number(file[1]) * 1024 };
    } catch {
      // not Linux: no breakdown, the budget applies to the whole RSS
    }
    statusBroken = true;
    return undefined;
  };
  let lastHeap: Omit<MemorySample, 'atMs' | 'rss' | 'rssFile' | 'cpu'> = {
    heapUsed: 0,
    heapTotal: 0,
    external: 0,
    arrayBuffers: 0,
  };
  const heap = (): Omit<MemorySample, 'atMs' | 'rss' | 'rssFile' | 'cpu'> => {
    const m = process.memoryUsage();
    lastHeap = {
      heapUsed: m.heapUsed,
      heapTotal: m.heapTotal,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
    };
    return lastHeap;
  };
  return {
    async sample(): Promise<MemorySample> {
      if (!pidusageBroken) {
        try {
          const stat = await pidStat(pid);
          return {
            ...heap(),
            atMs: performance.now(),
            rss: stat.memory,
            rssFile: status()?.rssFile ?? 0,
            cpu: stat.cpu,
          };
        } catch (err) {
          // No /proc (or no ps): fall back to libuv's own RSS reading, which only sees this process.
          if (pid !== process.pid) throw err;
          pidusageBroken = true;
        }
      }
      return {
        ...heap(),
        atMs: performance.now(),
        rss: process.memoryUsage.rss(),
        rssFile: status()?.rssFile ?? 0,
      };
    },
    sampleSync(): MemorySample {
      const s = status();
      if (s) return { ...lastHeap, atMs: performance.now(), ...s };
      // Without /proc/<pid>/status (another OS; or another process, which memoryUsage cannot see).
      return { ...heap(), atMs: performance.now(), rss: process.memoryUsage.rss(), rssFile: 0 };
    },
    close(): void {
      clearPidStats();
    },
  };
}

/** A sampler that replays given RSS values (tests; nothing file-backed): the last one repeats. */
export function scriptedSampler(rssValues: readonly number[]): MemorySampler & { readonly taken: number } {
  let i = 0;
  const next = (): MemorySample => {
    const rss = rssValues[Math.min(i, rssValues.length - 1)] ?? 0;
    i++;
    return {
      atMs: performance.now(),
      rss,
      rssFile: 0,
      heapUsed: 0,
      heapTotal: 0,
      external: 0,
      arrayBuffers: 0,
    };
  };
  return {
    simulated: true,
    get taken() {
      return i;
    },
    sample: () => Promise.resolve(next()),
    sampleSync: next,
    close: () => undefined,
  };
}
