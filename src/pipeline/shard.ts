// Packs files into byte-bounded shards for the parse pool: big enough that per-task overhead
// (message, SAB allocation) is amortised, small enough that both cores stay busy to the end
// and a progress bar moves. Coordinator thread; pure.

import type { ParseTaskFile } from '../protocol.js';

export interface ShardPlanOptions {
  readonly threads: number;
  /** Upper bound on a shard's bytes. Default 1 MiB. */
  readonly maxShardBytes?: number;
  /** Upper bound on a shard's files (small files carry ~0.5 ms fixed cost each). Default 256. */
  readonly maxShardFiles?: number;
}

/** Lower bound on a shard's bytes, so tiny trees are not split into a shard per file. */
const MIN_SHARD_BYTES = 64 << 10;
/** Aim for this many shards per thread, so the last ones finish close together. */
const SHARDS_PER_THREAD = 8;

export function planShards(
  files: readonly (ParseTaskFile & { readonly size: number })[],
  options: ShardPlanOptions,
): ParseTaskFile[][] {
  const total = files.reduce((n, f) => n + f.size, 0);
  const maxBytes = options.maxShardBytes ?? 1 << 20;
  const maxFiles = options.maxShardFiles ?? 256;
  const target = Math.min(
    maxBytes,
    Math.max(MIN_SHARD_BYTES, Math.ceil(total / (options.threads * SHARDS_PER_THREAD))),
  );
  const shards: ParseTaskFile[][] = [];
  let cur: ParseTaskFile[] = [];
  let bytes = 0;
  for (const f of files) {
    if (cur.length > 0 && (bytes + f.size > target || cur.length >= maxFiles)) {
      shards.push(cur);
      cur = [];
      bytes = 0;
    }
    const task: ParseTaskFile =
      f.knownHash === undefined
        ? { absPath: f.absPath, relPath: f.relPath, language: f.language }
        : { absPath: f.absPath, relPath: f.relPath, language: f.language, knownHash: f.knownHash };
    cur.push(task);
    bytes += f.size;
  }
  if (cur.length) shards.push(cur);
  return shards;
}
