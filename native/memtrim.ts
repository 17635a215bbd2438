// The single place the memtrim addon (native/memtrim/memtrim.c) is loaded: returning free
// malloc memory to the kernel and dropping the resident pages of memory-mapped files, for
// the memory governor; and replacing the process with a new image of the node binary (the
// index command's restart with V8 flags at a tight budget). The addon is optional: when it
// was not built (or this is not Linux with glibc) every function here reports that it did
// nothing. Any thread (reexecProcess: the main thread).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

interface Addon {
  trim(): number;
  setTrimThreshold(bytes: number): number;
  setArenaMax(n: number): number;
  dropPages(start: number, length: number): number;
  /** Absent from builds older than the function (the addon is rebuilt on install). */
  reexec?(path: string, argv: string[]): number;
}

const require = createRequire(import.meta.url);

function load(): Addon | undefined {
  // From dist/native/ (compiled) or native/ (sources): the build directory sits beside the C file.
  for (const rel of [
    '../../native/memtrim/build/Release/memtrim.node',
    './memtrim/build/Release/memtrim.node',
  ]) {
    try {
      return require(rel) as Addon;
    } catch {
      // not built here
    }
  }
  return undefined;
}

const addon = process.platform === 'linux' ? load() : undefined;

/** Whether the addon is loaded (the governor's report says so). */
export const memtrimAvailable = addon !== undefined;

/** malloc_trim(0): gives every arena's free pages back. True if anything was returned. */
export function trimMalloc(): boolean {
  return (addon?.trim() ?? 0) === 1;
}

/**
 * Sets glibc's M_TRIM_THRESHOLD (fixing it: glibc otherwise raises it up to 64 MiB as large
 * blocks are freed, after which arenas are never trimmed). False when not available.
 */
export function setTrimThreshold(bytes: number): boolean {
  return (addon?.setTrimThreshold(bytes) ?? 0) === 1;
}

/**
 * Sets glibc's M_ARENA_MAX: threads started from now on share arenas once that many exist
 * (glibc's default allows 8 per core, and each keeps what its thread freed). Only arenas
 * created later are affected. False when not available.
 */
export function setArenaMax(n: number): boolean {
  return (addon?.setArenaMax(n) ?? 0) === 1;
}

/**
 * Drops the resident pages of this process's shared mappings of files whose path satisfies
 * `match` (MADV_DONTNEED: clean or page-cache pages, read back from the page cache on the next
 * access). Returns the bytes of address space advised (not what was resident), 0 when not available.
 */
export function dropMappedFiles(match: (path: string) => boolean): number {
  if (!addon) return 0;
  let maps: string;
  try {
    maps = readFileSync('/proc/self/maps', 'latin1');
  } catch {
    return 0;
  }
  let advised = 0;
  for (const line of maps.split('\n')) {
    // start-end perms offset dev inode path; only shared mappings (private ones could hold copies).
    const m = /^([0-9a-f]+)-([0-9a-f]+) \S\S\Ss \S+ \S+ \d+\s+(\/.*)$/.exec(line);
    if (!m || !match(m[3]!)) continue;
    const start = parseInt(m[1]!, 16);
    const length = parseInt(m[2]!, 16) - start;
    if (addon.dropPages(start, length) === 0) advised += length;
  }
  return advised;
}

/**
 * Replaces this process with `path` run with `argv` (execv: same pid, same open stdio, the
 * environment as it is now). Returns only when that failed: the errno, or -1 when the addon is
 * not available.
 */
export function reexecProcess(path: string, argv: readonly string[]): number {
  return addon?.reexec ? addon.reexec(path, [...argv]) : -1;
}

/** Whether reexecProcess can work here (the addon is loaded and has the function). */
export const reexecAvailable = typeof addon?.reexec === 'function';
