// The parse pool under the memory governor, with a tiny fixture worker (written to a temp dir
// by this test) that allocates per file: a worker that dies of ERR_WORKER_OUT_OF_MEMORY
// fails its shard, the shard is retried smaller until it fits, and a file that can never fit
// is skipped with the reason; throttling halves shards and limits tasks in flight (a task's
// slot is free once its worker answered, while its result is handled); recycling replaces the
// worker threads. No file is ever lost.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ParsePool } from '../src/pipeline/pool.js';
import type { ParseResult, ParseTaskFile } from '../src/protocol.js';
import { tempDir } from './helpers/workspace.js';

/**
 * `big*` files keep ~10 MB each on the worker's heap for the whole task (a 1.25M-element
 * packed SMI array: 8 bytes an element); `hog*` files allocate until the heap cap kills the
 * worker; `slow*` files make the task take 40 ms. Each result says when it ran, on which thread.
 */
const WORKER = `
import { threadId } from 'node:worker_threads';
export default async function (task) {
  const started = Date.now();
  const keep = [];
  for (const f of task.files) {
    if (f.relPath.startsWith('hog')) for (;;) keep.push(new Array(1e6).fill(keep.length));
    if (f.relPath.startsWith('big')) keep.push(new Array(1.25e6).fill(keep.length));
  }
  if (task.files.some((f) => f.relPath.startsWith('slow'))) await new Promise((r) => setTimeout(r, 40));
  return {
    buffer: new SharedArrayBuffer(0),
    outcomes: task.files.map((f) => ({ status: 'unchanged', relPath: f.relPath, contentHash: 'h', size: keep.length, mtimeMs: 0 })),
    timings: { readMs: 0, parseMs: 0, extractMs: 0, embedMs: 0, encodeMs: 0, busyMs: 0 },
    bytesRead: 0,
    threadId,
    ran: { started, ended: Date.now() },
  };
}
`;

function fixtureWorker(dir: string): string {
  const file = join(dir, 'allocate-worker.mjs');
  writeFileSync(file, WORKER);
  return file;
}

/** A pool of `threads` fixture workers (written to `dir`), with no heap cap and no governor. */
function fixturePool(dir: string, threads: number): ParsePool {
  return new ParsePool({ threads, maxFileBytes: 1 << 20, extract: true, workerFile: fixtureWorker(dir) });
}

const files = (prefix: string, n: number): ParseTaskFile[] =>
  Array.from({ length: n }, (_, i) => ({
    absPath: `/x/${prefix}${i}`,
    relPath: `${prefix}${i}`,
    language: 'typescript',
  }));

interface Seen {
  outcomes: Map<string, string>;
  shardSizes: number[];
  ran: { started: number; ended: number; threadId: number }[];
}

async function runAll(pool: ParsePool, shards: ParseTaskFile[][]): Promise<Seen> {
  const seen: Seen = { outcomes: new Map(), shardSizes: [], ran: [] };
  await pool.run(shards, (result: ParseResult, shard) => {
    seen.shardSizes.push(shard.length);
    const ran = (result as ParseResult & { ran?: { started: number; ended: number } }).ran;
    if (ran) seen.ran.push({ ...ran, threadId: result.threadId });
    for (const o of result.outcomes) {
      assert.not.ok(seen.outcomes.has(o.relPath), `${o.relPath} reported twice`);
      seen.outcomes.set(o.relPath, o.status === 'skipped' ? `skipped: ${o.detail}` : o.status);
    }
  });
  return seen;
}

test('a worker out of memory fails its shard; halves are retried until they fit; a file that never fits is skipped with the reason', async () => {
  const ws = tempDir();
  const deaths: string[] = [];
  let attached = 0;
  const pool = new ParsePool({
    threads: 1,
    maxFileBytes: 1 << 20,
    extract: true,
    workerHeapMb: 32,
    workerFile: fixtureWorker(ws.dir),
    governor: {
      attachPool: () => {
        attached++;
        return () => attached--;
      },
      workerDied: (what) => deaths.push(what),
    },
  });
  assert.is(attached, 1, 'the pool attaches itself to its governor');
  try {
    const shard = [...files('big', 8), ...files('hog', 1), ...files('ok', 3)];
    const seen = await runAll(pool, [shard]);
    assert.is(seen.outcomes.size, shard.length, 'every file has exactly one outcome');
    for (const f of shard) {
      const o = seen.outcomes.get(f.relPath) ?? 'missing';
      if (f.relPath.startsWith('hog')) {
        assert.match(o, /^skipped: parse worker failed: ERR_WORKER_OUT_OF_MEMORY/);
        assert.match(o, /worker heap capped at 32 MB by the memory budget/);
      } else assert.is(o, 'unchanged', f.relPath);
    }
    assert.ok(deaths.length >= 3, `the shard and its halves died (${deaths.length})`);
    assert.ok(
      deaths.every((d) => d.startsWith('ERR_WORKER_OUT_OF_MEMORY')),
      deaths.join('\n'),
    );
    assert.ok(Math.max(...seen.shardSizes) <= 3, 'only small enough pieces succeeded');
    await pool.destroy();
    assert.is(attached, 0, 'and detaches when destroyed');
  } finally {
    await pool.destroy();
    ws.cleanup();
  }
});

test('throttled: shards are split and at most one task is in flight; relaxed: back to full concurrency', async () => {
  const ws = tempDir();
  const pool = fixturePool(ws.dir, 2);
  try {
    const shards = Array.from({ length: 4 }, (_, i) => files(`slow${i}_`, 8));
    pool.throttle(2);
    const slow = await runAll(pool, shards);
    assert.is(slow.outcomes.size, 32);
    assert.ok(Math.max(...slow.shardSizes) <= 2, `quartered shards: ${slow.shardSizes.join(',')}`);
    assert.is(maxOverlap(slow.ran), 1, 'one task at a time');
    pool.throttle(0);
    const fast = await runAll(pool, shards);
    assert.equal(fast.shardSizes, [8, 8, 8, 8]);
    assert.ok(maxOverlap(fast.ran) >= 2, 'both threads busy again');
  } finally {
    await pool.destroy();
    ws.cleanup();
  }
});

test("throttled to one task: the next shard starts while the previous one's result is still being handled", async () => {
  const ws = tempDir();
  const pool = fixturePool(ws.dir, 1);
  try {
    pool.throttle(2);
    const shards = Array.from({ length: 4 }, (_, i) => files(`slow${i}_`, 1));
    const ran: { started: number; ended: number }[] = [];
    const handled: { from: number; to: number }[] = [];
    await pool.run(shards, async (result) => {
      const from = Date.now();
      ran.push((result as ParseResult & { ran: { started: number; ended: number } }).ran);
      // Storing a shard's fragments takes a while (a store commit): 100 ms here.
      await new Promise((r) => setTimeout(r, 100));
      handled.push({ from, to: Date.now() });
    });
    assert.is(ran.length, 4);
    assert.is(maxOverlap(ran), 1, 'still one task at a time in the worker');
    // Each later task started before the handling of the one before it ended.
    ran.sort((a, b) => a.started - b.started);
    handled.sort((a, b) => a.from - b.from);
    for (let i = 1; i < ran.length; i++)
      assert.ok(
        ran[i]!.started < handled[i - 1]!.to,
        `task ${i} started at ${ran[i]!.started}, the result of task ${i - 1} was handled until ${handled[i - 1]!.to}`,
      );
  } finally {
    await pool.destroy();
    ws.cleanup();
  }
});

test('recycle: the worker threads are replaced between tasks, and every shard still runs once', async () => {
  const ws = tempDir();
  const pool = fixturePool(ws.dir, 1);
  try {
    const shards = Array.from({ length: 8 }, (_, i) => files(`f${i}_`, 2));
    let asked = false;
    const threads: number[] = [];
    await pool.run(shards, (result) => {
      threads.push(result.threadId);
      if (threads.length === 3 && !asked) {
        asked = true;
        pool.recycle();
      }
    });
    assert.is(threads.length, 8);
    assert.is(pool.recycles, 1);
    assert.ok(new Set(threads).size >= 2, `a new thread after the recycle: ${threads.join(',')}`);
    assert.is(threads.at(-1) !== threads[0], true);
  } finally {
    await pool.destroy();
    ws.cleanup();
  }
});

/** The largest number of intervals that overlap at one instant. */
function maxOverlap(ran: readonly { started: number; ended: number }[]): number {
  const points = ran.flatMap((r) => [
    [r.started, 1],
    [r.ended, -1],
  ]);
  points.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let cur = 0;
  let max = 0;
  for (const [, d] of points) {
    cur += d!;
    max = Math.max(max, cur);
  }
  return max;
}

test.run();
