// The single place the memtrim addon (native/memtrim/memtrim.c) is loaded: returning free
// malloc memory to the kernel and dropping the resident pages of memory-mapped files, for
// the memory governor; and replacing the process with a new image of the node binary (the
// index command's restart with V8 flags at a tight budget). The addon is optional: when it
// was not built (or this is not Linux with glibc) every function here reports that it did
// nothing. Any thread (reexecProcess: the main thread).

import { readFileSync, realpathSync } from 'node:fs';
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

/** A read-only private mapping of the executable that holds no private copy of a page. */
interface CleanRange {
  readonly start: number;
  readonly length: number;
}

/** The executable's clean read-only ranges, found once (see dropExecutablePages). */
let executableRanges: readonly CleanRange[] | undefined;

/**
 * The node executable's private read-only mappings (code `r-xp`, constants `r--p`) that hold
 * no anonymous page, from /proc/self/smaps. A read-only private mapping can hold private
 * copies only where the loader wrote before protecting it (RELRO: relocated pointers, which
 * MADV_DONTNEED would turn back into the file's unrelocated bytes), and those show as
 * `Anonymous:` pages; such mappings are left alone. The executable is mapped before main and
 * never unmapped, and nothing makes its read-only mappings writable, so the list holds for
 * the life of the process.
 */
function findExecutableRanges(): readonly CleanRange[] {
  let exe: string;
  let smaps: string;
  try {
    exe = realpathSync(process.execPath);
    smaps = readFileSync('/proc/self/smaps', 'latin1');
  } catch {
    return [];
  }
  const ranges: CleanRange[] = [];
  let cur: { start: number; length: number; anonymousKb: number } | undefined;
  const close = (): void => {
    if (cur && cur.anonymousKb === 0) ranges.push({ start: cur.start, length: cur.length });
    cur = undefined;
  };
  for (const line of smaps.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      close();
      const perms = head[3]!;
      if ((perms === 'r-xp' || perms === 'r--p') && head[4] === exe) {
        const start = parseInt(head[1]!, 16);
        // Unknown until its Anonymous line is read: a mapping without one is not dropped.
        cur = { start, length: parseInt(head[2]!, 16) - start, anonymousKb: -1 };
      }
      continue;
    }
    const anon = cur && /^Anonymous:\s+(\d+) kB/.exec(line);
    if (cur && anon) cur.anonymousKb = Number(anon[1]);
  }
  close();
  return ranges;
}

/**
 * Drops the resident pages of the node executable's clean read-only mappings (see
 * findExecutableRanges): on this machine ~40 MB of a process's RSS is the executable (V8's
 * startup snapshot, ICU data, code run once at start), most of it never touched again; what
 * is in use faults back in from the page cache (minor faults, no I/O). The kernel reclaims
 * such pages first under memory pressure anyway; dropping them keeps the RSS the governor
 * holds to the budget for the memory the run cannot give back. Returns the bytes of address
 * space advised, 0 when not available.
 */
export function dropExecutablePages(): number {
  if (!addon) return 0;
  executableRanges ??= findExecutableRanges();
  let advised = 0;
  for (const r of executableRanges) if (addon.dropPages(r.start, r.length) === 0) advised += r.length;
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
