// The memory budget: the smallest of what the user asked for (--memory-budget, then
// LEINDEX_MEMORY_BUDGET, then memory_budget_mb in the config file), the container's cgroup
// limit (v2 memory.max or v1 memory.limit_in_bytes, found through /proc/self/cgroup) and
// physical memory, with where it came from. Any thread; synchronous file reads only.
// The cgroup root and /proc file are injectable so tests use fake cgroup trees.

import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join, posix } from 'node:path';
import { LeindexError } from '../errors.js';

export type BudgetSource = 'flag' | 'config' | 'env' | 'cgroup-v2' | 'cgroup-v1' | 'physical';
export type RequestedBudgetSource = 'flag' | 'config' | 'env';

export interface MemoryBudget {
  bytes: number;
  /** Which limit is the smallest (the one the governor works to). */
  source: BudgetSource;
  /** Every limit that was found, for `leindex diagnostics`. */
  detail: string;
}

export interface BudgetInputs {
  /** What the user asked for, in MiB (flag, env or config: see IndexOptions.memoryBudgetSource). */
  readonly requestedMb?: number | undefined;
  readonly requestedSource?: RequestedBudgetSource | undefined;
  /** Where the cgroup hierarchies are mounted. Default /sys/fs/cgroup. */
  readonly cgroupRoot?: string;
  /** The process's cgroup membership file. Default /proc/self/cgroup. */
  readonly procCgroupFile?: string;
  /** Physical memory in bytes. Default os.totalmem(). */
  readonly physicalBytes?: number;
}

export interface CgroupLimit {
  bytes: number;
  source: 'cgroup-v2' | 'cgroup-v1';
  /** The control file the limit was read from. */
  file: string;
}

/**
 * cgroup v1 writes "no limit" as a huge page-aligned number (9223372036854771712 on 64-bit);
 * anything at or above 2^60 bytes is treated the same way.
 */
const V1_UNLIMITED = 2 ** 60;

const MB = 2 ** 20;

export function resolveBudget(inputs: BudgetInputs = {}): MemoryBudget {
  const physical = inputs.physicalBytes ?? totalmem();
  const candidates: { bytes: number; source: BudgetSource; what: string }[] = [
    { bytes: physical, source: 'physical', what: `physical memory ${mb(physical)}` },
  ];
  const cgroup = cgroupLimit(inputs.cgroupRoot, inputs.procCgroupFile);
  if (cgroup) {
    candidates.push({
      bytes: cgroup.bytes,
      source: cgroup.source,
      what: `${cgroup.source} limit ${mb(cgroup.bytes)} (${cgroup.file})`,
    });
  }
  if (inputs.requestedMb !== undefined) {
    if (!Number.isFinite(inputs.requestedMb) || inputs.requestedMb <= 0)
      throw new LeindexError('E_USAGE', `memory budget must be a positive number of MB`);
    const source = inputs.requestedSource ?? 'flag';
    candidates.push({
      bytes: Math.floor(inputs.requestedMb * MB),
      source,
      what: `${REQUEST_NAMES[source]} ${mb(inputs.requestedMb * MB)}`,
    });
  }
  // Ties go to the user's own number, then the cgroup: the most specific explanation.
  const order: BudgetSource[] = ['flag', 'env', 'config', 'cgroup-v2', 'cgroup-v1', 'physical'];
  candidates.sort((a, b) => a.bytes - b.bytes || order.indexOf(a.source) - order.indexOf(b.source));
  const best = candidates[0]!;
  const others = candidates.slice(1).map((c) => c.what);
  return {
    bytes: best.bytes,
    source: best.source,
    detail: others.length ? `${best.what}; also ${others.join(', ')}` : best.what,
  };
}

const REQUEST_NAMES: Record<RequestedBudgetSource, string> = {
  flag: '--memory-budget',
  env: 'LEINDEX_MEMORY_BUDGET',
  config: 'memory_budget_mb (config file)',
};

/**
 * The tightest memory limit of the cgroups this process is in, or undefined when none is
 * set. Hierarchical limits apply from every ancestor, so each level up to the mount is read
 * and the smallest wins. In a container without a cgroup namespace /proc/self/cgroup names
 * the host's path while the mount shows only the container's own group: walking up from the
 * (missing) deep path reaches the mount root, which is that group.
 */
export function cgroupLimit(
  cgroupRoot = '/sys/fs/cgroup',
  procCgroupFile = '/proc/self/cgroup',
): CgroupLimit | undefined {
  const membership = readText(procCgroupFile);
  if (membership === undefined) return undefined;
  let best: CgroupLimit | undefined;
  const consider = (c: CgroupLimit | undefined): void => {
    if (c && (!best || c.bytes < best.bytes)) best = c;
  };
  for (const line of membership.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    const id = m[1] ?? '';
    const controllers = m[2] ?? '';
    const path = m[3] ?? '/';
    if (id === '0' && controllers === '') {
      // v2: the unified hierarchy, mounted at the root (pure v2) or at root/unified (hybrid).
      for (const mount of [cgroupRoot, join(cgroupRoot, 'unified')]) {
        consider(smallestUp(mount, path, 'memory.max', 'cgroup-v2'));
      }
    } else if (controllers.split(',').includes('memory')) {
      consider(smallestUp(join(cgroupRoot, 'memory'), path, 'memory.limit_in_bytes', 'cgroup-v1'));
    }
  }
  return best;
}

function smallestUp(
  mount: string,
  cgroupPath: string,
  file: string,
  source: CgroupLimit['source'],
): CgroupLimit | undefined {
  let best: CgroupLimit | undefined;
  let dir = posix.normalize(`/${cgroupPath}`);
  for (;;) {
    const path = join(mount, dir, file);
    const bytes = parseLimit(readText(path), source);
    if (bytes !== undefined && (!best || bytes < best.bytes)) best = { bytes, source, file: path };
    if (dir === '/') break;
    dir = posix.dirname(dir);
  }
  return best;
}

function parseLimit(text: string | undefined, source: CgroupLimit['source']): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (t === '' || t === 'max') return undefined;
  const n = Number(t);
  if (!Number.isFinite(n) || n <= 0) return undefined;
  if (source === 'cgroup-v1' && n >= V1_UNLIMITED) return undefined;
  return n;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function mb(bytes: number): string {
  return `${Math.round(bytes / MB)} MB`;
}
