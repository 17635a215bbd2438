// What a memory budget allows, decided once at the start of a run: whether a run can make
// progress at all (the floor, E_RESOURCE_LIMIT), how many parse workers to start and how big
// each worker's V8 heap may grow. Main thread; pure; the figures are measurements, noted.

import { LeindexError } from '../errors.js';
import type { MemoryBudget } from './budget.js';

const MB = 2 ** 20;

/**
 * Below this budget no index run can make progress. Measured on Node 20 (x64 Linux): the
 * coordinator with the store open is 54 MB RSS (13 MB of it not file-backed) and one parse
 * worker with its grammars and the embedding model adds 28 MB after its first shard; 96
 * leaves room for a shard and the merge of a small tree.
 */
export const MIN_BUDGET_MB = 96;
/** What the coordinator needs besides the workers (the 54 MB above plus slack), for worker caps. */
const COORDINATOR_MB = 64;
/** A worker's V8 heap is never capped below this (a large file's extraction needs ~40 MB). */
const MIN_WORKER_HEAP_MB = 64;
/** Above this budget V8's own default heap limit is tighter than anything derived here. */
const UNCAPPED_ABOVE_MB = 4096;
/**
 * Measured on the benchmark corpus (Node 20, glibc): a parse worker peaks at ~150 MB (its V8
 * isolate, freed when the pool stops, plus its share of the malloc arenas, which the governor
 * gives back with malloc_trim once it stops: see MemoryReleaser), and the coordinator needs
 * ~160 MB besides the merge's own working set.
 */
const WORKER_PEAK_MB = 150;
const COORDINATOR_BASE_MB = 160;

/** Throws E_RESOURCE_LIMIT (exit 4) when the budget is below what any run needs. */
export function checkBudgetFloor(budget: MemoryBudget): void {
  if (budget.bytes >= MIN_BUDGET_MB * MB) return;
  throw new LeindexError(
    'E_RESOURCE_LIMIT',
    `memory budget ${Math.round(budget.bytes / MB)} MB is below the ${MIN_BUDGET_MB} MB an index run needs (${budget.detail})`,
    {
      hint: `raise it (--memory-budget, LEINDEX_MEMORY_BUDGET or memory_budget_mb); the previous index is unchanged`,
    },
  );
}

/** Parse workers the budget holds: ~150 MB each after the coordinator's ~160 MB, at least one. */
export function maxThreadsFor(budget: MemoryBudget): number {
  return Math.max(1, Math.floor((budget.bytes / MB - COORDINATOR_BASE_MB) / WORKER_PEAK_MB));
}

/**
 * A per-worker V8 old-generation cap: half of what the coordinator leaves, shared by the
 * threads, never below 64 MB; none above 4 GB. A worker over it dies with
 * ERR_WORKER_OUT_OF_MEMORY and the pool retries its shard in halves.
 */
export function workerHeapMbFor(budget: MemoryBudget, threads: number): number | undefined {
  const budgetMb = budget.bytes / MB;
  if (budgetMb > UNCAPPED_ABOVE_MB) return undefined;
  return Math.max(MIN_WORKER_HEAP_MB, Math.floor(((budgetMb - COORDINATOR_MB) * 0.5) / Math.max(1, threads)));
}

/**
 * Whether the vector index is kept out of the parse's memory: when the budget holds one
 * parse worker. Measured on the benchmark corpus at 256 MB: one index built as the shards
 * arrive (~47 MB, its largest at the end of the parse) and the worker's isolate and arenas
 * took the parse-phase peak to 323–364 MB. A fresh build then goes into small segments saved
 * as they fill (vectorSegmentRowsFor), an update's vectors into the index after the parse.
 */
export function deferVectorsFor(budget: MemoryBudget): boolean {
  return maxThreadsFor(budget) <= 1;
}

/** An HNSW index being built holds ~550 B a row (256-d int8, 16 links; bench/memory.md, h/gov7). */
const SEGMENT_BYTES_PER_ROW = 550;
/** No segment smaller than this: a search queries every segment. */
const MIN_SEGMENT_ROWS = 4096;

/**
 * Rows per vector segment of a one-worker build (VectorStage.addSegmented): a segment in the
 * making is held beside the one worker through the parse, so it gets ~1/24 of the budget:
 * 20k rows at 256 MB, six segments for the benchmark corpus's 120k vectors. Measured there
 * (bench/memory.md): the parse-phase peak as before, the ~4.4 s build after the parse gone.
 */
export function vectorSegmentRowsFor(budget: MemoryBudget): number {
  return Math.max(MIN_SEGMENT_ROWS, Math.floor(budget.bytes / 24 / SEGMENT_BYTES_PER_ROW));
}
