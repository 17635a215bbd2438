// The memory governor's parts on their own: the policy driven by injected samples
// (thresholds, order of actions, hysteresis, sampling delay), the governor executing it
// against fake pools, flushers and caches, budget resolution from fake cgroup v1/v2 trees,
// the floor, and the spillable merge input re-reading from a store.

import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveOptions } from '../src/config.js';
import { LeindexError } from '../src/errors.js';
import { cgroupLimit, resolveBudget, type MemoryBudget } from '../src/governor/budget.js';
import {
  MemoryGovernor,
  memoryLog,
  type MemoryReleaser,
  type PoolControl,
  type Spillable,
} from '../src/governor/governor.js';
import { MIN_BUDGET_MB, checkBudgetFloor } from '../src/governor/sizing.js';
import { MergeInputStash } from '../src/governor/merge-input.js';
import { MemoryPolicy, nextSampleDelay, type PolicyAction } from '../src/governor/policy.js';
import {
  processSampler,
  scriptedSampler,
  type MemorySample,
  type MemorySampler,
} from '../src/governor/sampler.js';
import { FragmentBuilder, type FragmentReader } from '../src/graph/fragment.js';
import { mergeFragments, type MergeInput } from '../src/graph/merge.js';
import { SymbolKind } from '../src/protocol.js';
import { IndexWriter } from '../src/store/write.js';
import { tempDir } from './helpers/workspace.js';

const MB = 2 ** 20;
const budget = (mb: number): MemoryBudget => ({ bytes: mb * MB, source: 'flag', detail: 'test' });

// ------------------------------------------------------------------ policy

test('policy: nothing below 90%, then the ladder in order of cost, one rung per dwell', () => {
  const p = new MemoryPolicy({ dwellMs: 100, repeatMs: 500 });
  const B = 1000;
  assert.is(p.decide(899, B, 0), undefined, '89.9% is below the act line');
  const seen: (PolicyAction | undefined)[] = [];
  let t = 0;
  seen.push(p.decide(900, B, (t += 10)));
  seen.push(p.decide(950, B, (t += 50))); // within the dwell: hold
  seen.push(p.decide(950, B, (t += 100)));
  seen.push(p.decide(950, B, (t += 100)));
  seen.push(p.decide(950, B, (t += 100)));
  seen.push(p.decide(950, B, (t += 100)));
  assert.equal(seen, [
    { kind: 'throttle', level: 1 },
    undefined,
    { kind: 'flush' },
    { kind: 'spill' },
    { kind: 'recycle' },
    { kind: 'throttle', level: 2 },
  ]);
  assert.is(p.throttleLevel, 2);
  // Past the ladder: spill and recycle alternate, waiting repeatMs, then twice that, and so on.
  assert.is(p.decide(950, B, (t += 100)), undefined);
  assert.equal(p.decide(950, B, (t += 500)), { kind: 'spill' });
  assert.is(p.decide(950, B, (t += 500)), undefined, 'the second repeat waits 1000 ms');
  assert.equal(p.decide(950, B, (t += 500)), { kind: 'recycle' });
  assert.is(p.decide(950, B, (t += 1500)), undefined, 'the third waits 2000 ms');
  assert.equal(p.decide(950, B, t + 500), { kind: 'spill' });
});

test('policy: hysteresis — hold between 75% and 90%, relax once below 75%, start over', () => {
  const p = new MemoryPolicy({ dwellMs: 0 });
  const B = 1000;
  assert.equal(p.decide(920, B, 1), { kind: 'throttle', level: 1 });
  assert.equal(p.decide(910, B, 2), { kind: 'flush' });
  for (const rss of [890, 800, 760, 750]) assert.is(p.decide(rss, B, 3), undefined, `hold at ${rss}`);
  assert.ok(p.pressured);
  assert.equal(p.decide(749, B, 4), { kind: 'relax' });
  assert.is(p.throttleLevel, 0);
  assert.is(p.decide(700, B, 5), undefined, 'relax happens once');
  assert.is(p.decide(850, B, 6), undefined, 'rising back to 85% does nothing');
  assert.equal(p.decide(900, B, 7), { kind: 'throttle', level: 1 }, 'the ladder starts over');
});

test('policy: urgent() spills at once above the line and skips the ladder past spill', () => {
  const p = new MemoryPolicy({ dwellMs: 100 });
  assert.not.ok(p.urgent(800, 1000, 0));
  assert.ok(p.urgent(950, 1000, 0));
  assert.not.ok(p.urgent(950, 1000, 50), 'dwell applies between urgent spills');
  assert.ok(p.urgent(950, 1000, 200));
  assert.equal(p.decide(950, 1000, 400), { kind: 'recycle' }, 'next rung after spill');
});

test('policy: thresholds must be ordered', () => {
  assert.throws(() => new MemoryPolicy({ actAt: 0.7, relaxAt: 0.8 }));
});

test('sampling delay: slow with room, fast near the line or when growing fast', () => {
  const B = 1000 * MB;
  assert.is(nextSampleDelay(100 * MB, B, 0), 1000, 'far below: the slowest');
  assert.is(nextSampleDelay(880 * MB, B, 0), 50, 'within 5% of the line: the fastest');
  assert.is(nextSampleDelay(950 * MB, B, 0), 50, 'above the line: the fastest');
  const mid = nextSampleDelay(600 * MB, B, 0);
  assert.ok(mid > 50 && mid < 1000, `in between: ${mid}`);
  // 300 MB of headroom at 1 MB/ms: reached in 300 ms, so sample every 75 ms.
  assert.is(nextSampleDelay(600 * MB, B, MB), 75);
});

// ------------------------------------------------------------------ governor

interface Calls {
  log: string[];
}

function fakePool(calls: Calls): PoolControl {
  return {
    throttle: (level) => calls.log.push(`throttle ${level}`),
    recycle: () => calls.log.push('recycle'),
  };
}

function fakeCache(calls: Calls, name: string, size: number): Spillable & { held: number } {
  const c = {
    name,
    held: size,
    bytes: () => c.held,
    spill: () => {
      calls.log.push(`spill ${name}`);
      const freed = c.held;
      c.held = 0;
      return freed;
    },
    relax: () => calls.log.push(`relax ${name}`),
  };
  return c;
}

test('governor: acts in order (throttle, flush, spill biggest first, recycle), relaxes, logs it all', async () => {
  const calls: Calls = { log: [] };
  const rss = [500, 950, 950, 950, 950, 800, 700].map((m) => m * MB);
  const gov = new MemoryGovernor(budget(1000), {
    sampler: scriptedSampler(rss),
    policy: { dwellMs: 0 },
  });
  gov.attachPool(fakePool(calls));
  gov.addFlusher(() => {
    calls.log.push('flush');
    return Promise.resolve();
  });
  const small = fakeCache(calls, 'small', 10 * MB);
  const big = fakeCache(calls, 'big', 100 * MB);
  const handle = gov.register(small);
  gov.register(big);
  for (let i = 0; i < rss.length; i++) await gov.tick();
  assert.equal(calls.log, [
    'throttle 1',
    'flush',
    'spill big',
    'spill small',
    'recycle',
    'throttle 0',
    'relax small',
    'relax big',
  ]);
  handle.reloaded(4 * MB, 2);
  handle.reloaded(6 * MB, 3);
  const report = await gov.stop();
  assert.is(report.spills, 2);
  assert.is(report.spilledBytes, 110 * MB);
  assert.is(report.reloads, 2);
  assert.is(report.reloadedBytes, 10 * MB);
  assert.is(report.peakRssBytes, 950 * MB);
  assert.equal(
    report.events.map((e) => `${e.kind}:${e.what}`),
    [
      'throttle:pool level 1',
      'flush:store writes',
      'spill:big',
      'spill:small',
      'recycle:parse workers',
      'relax:below the relax line',
      'reload:small',
    ],
  );
  const reload = report.events.at(-1)!;
  assert.is(reload.count, 2, 'reloads of an episode are one entry');
  assert.is(reload.bytes, 10 * MB);
  assert.ok(memoryLog().length >= report.events.length, 'the process-wide log has them too');
});

test('governor: checkpoint() spills synchronously, only when there is enough to be worth it', async () => {
  const calls: Calls = { log: [] };
  const gov = new MemoryGovernor(budget(1000), {
    sampler: scriptedSampler([950 * MB]),
    policy: { dwellMs: 0 },
  });
  gov.register(fakeCache(calls, 'empty', 0));
  gov.register(fakeCache(calls, 'small', 5 * MB));
  gov.start();
  gov.checkpoint();
  assert.equal(calls.log, [], '5 MB of a 1000 MB budget is not worth a spill');
  gov.register(fakeCache(calls, 'full', 50 * MB));
  gov.checkpoint();
  assert.equal(calls.log, ['spill full', 'spill small'], 'the empty cache is not spilled (nor logged)');
  const r = await gov.stop();
  assert.is(r.spills, 2);
  assert.is(r.spilledBytes, 55 * MB);
});

/**
 * A simulated process for the releaser: RSS and its file-backed part, with a clock the test
 * moves; a release (trim, drop) takes `trimmed` off the anonymous part and the whole file part.
 */
function simulatedProcess(rssMb: number, fileMb: number, trimmedMb: number) {
  const state = { anon: (rssMb - fileMb) * MB, file: fileMb * MB, now: 0 };
  const calls: string[] = [];
  const sample = (): MemorySample => ({
    atMs: state.now,
    rss: state.anon + state.file,
    rssFile: state.file,
    heapUsed: 0,
    heapTotal: 0,
    external: 0,
    arrayBuffers: 0,
  });
  const sampler: MemorySampler = {
    simulated: true,
    sample: () => Promise.resolve(sample()),
    sampleSync: sample,
    close: () => undefined,
  };
  const releaser: MemoryReleaser = {
    available: true,
    trim: () => {
      calls.push('trim');
      state.anon -= trimmedMb * MB;
      return true;
    },
    dropMapped: () => {
      calls.push('drop');
      const advised = state.file;
      state.file = 0;
      return advised;
    },
    tune: () => {
      calls.push('tune');
      return true;
    },
  };
  return { state, calls, sampler, releaser };
}

test('release: above the line the governor releases first, holding the whole RSS against the budget', async () => {
  // 950 MB of RSS, 300 of it the mapped store: over the 900 MB line only counting the file pages.
  const p = simulatedProcess(950, 300, 20);
  const log: Calls = { log: [] };
  const gov = new MemoryGovernor(budget(1000), {
    sampler: p.sampler,
    releaser: p.releaser,
    policy: { dwellMs: 0 },
  });
  assert.equal(p.calls, ['tune'], 'the allocator is tuned at once');
  gov.attachPool(fakePool(log));
  await gov.tick();
  assert.equal(p.calls, ['tune', 'trim', 'drop']);
  assert.equal(log.log, [], 'released to 630 MB: no rung of the ladder was needed');
  const r = gov.report();
  assert.is(r.heldAgainst, 'rss');
  assert.is(r.releases, 1);
  assert.is(r.releasedBytes, 320 * MB);
  assert.is(r.events[0]?.kind, 'release');
  assert.ok(r.events[0]?.what.startsWith('above the act line'), r.events[0]?.what);
  await gov.stop();
});

test('release: at most once per releaseEveryMs; still above the line after it, the ladder goes on', async () => {
  const p = simulatedProcess(990, 10, 5);
  const log: Calls = { log: [] };
  const gov = new MemoryGovernor(budget(1000), {
    sampler: p.sampler,
    releaser: p.releaser,
    policy: { dwellMs: 0 },
    releaseEveryMs: 1000,
  });
  gov.attachPool(fakePool(log));
  await gov.tick(); // 990 -> 975: still above 900
  assert.equal(p.calls, ['tune', 'trim', 'drop']);
  assert.equal(log.log, ['throttle 1'], 'the same tick takes the first rung');
  p.state.now = 500;
  await gov.tick();
  assert.equal(p.calls.length, 3, 'no second release within 1000 ms');
  p.state.now = 1000;
  await gov.tick();
  assert.equal(p.calls, ['tune', 'trim', 'drop', 'trim', 'drop'], 'released again after 1000 ms');
  assert.is(gov.report().releases, 2);
  await gov.stop();
});

test("release: the executable's pages are dropped with full releases, not with the cheap store-page drops", async () => {
  // 990 MB, 40 of it file-backed; a trim gives 5 MB back, so the line stays crossed.
  const p = simulatedProcess(990, 40, 5);
  const code: number[] = [];
  const releaser: MemoryReleaser = {
    ...p.releaser,
    dropCode: () => {
      code.push(p.state.now);
      return 1;
    },
  };
  const gov = new MemoryGovernor(budget(1000), {
    sampler: p.sampler,
    releaser,
    policy: { dwellMs: 0 },
    releaseEveryMs: 1000,
  });
  gov.attachPool(fakePool({ log: [] }));
  await gov.tick(); // a full release
  // The store's pages come back (a writer maps them in): cheap drops, every 100 ms at most.
  for (const now of [200, 400, 600]) {
    p.state.now = now;
    p.state.file = 40 * MB;
    await gov.tick();
  }
  p.state.now = 1000;
  await gov.tick(); // the next full release
  assert.equal(p.calls.filter((c) => c === 'trim').length, 2, p.calls.join(','));
  assert.ok(
    p.calls.filter((c) => c === 'drop').length >= 5,
    `store pages dropped alone too: ${p.calls.join(',')}`,
  );
  assert.equal(code, [0, 1000], 'the executable only with the two full releases');
  await gov.stop();
});

test('release: without a releaser the budget is held against RSS minus file-backed pages', async () => {
  const p = simulatedProcess(950, 300, 20);
  const log: Calls = { log: [] };
  // No releaser given and a simulated sampler: none is used (the default would be the addon).
  const gov = new MemoryGovernor(budget(1000), { sampler: p.sampler, policy: { dwellMs: 0 } });
  gov.attachPool(fakePool(log));
  await gov.tick();
  assert.equal(p.calls, [], 'nothing released, nothing tuned');
  assert.equal(log.log, [], '650 MB held: below the line');
  assert.is(gov.report().heldAgainst, 'rss-minus-file');
  p.state.anon += 300 * MB; // 950 held
  await gov.tick();
  assert.equal(log.log, ['throttle 1']);
  await gov.stop();
});

test('release: a useful spill is followed by a release; the allocator is tuned without a budget too', async () => {
  const p = simulatedProcess(950, 0, 10);
  const log: Calls = { log: [] };
  const gov = new MemoryGovernor(budget(1000), {
    sampler: p.sampler,
    releaser: p.releaser,
    policy: { dwellMs: 0 },
    usefulSpillShare: 0,
    releaseEveryMs: 60_000,
  });
  gov.register(fakeCache(log, 'cache', 50 * MB));
  gov.start();
  gov.checkpoint(); // releases (950 -> 940), still above: spills, then releases again
  assert.equal(log.log, ['spill cache']);
  assert.equal(p.calls, ['tune', 'trim', 'drop', 'trim', 'drop']);
  const kinds = (await gov.stop()).events.map((e) => `${e.kind}:${e.what.split(' (')[0]}`);
  assert.equal(kinds, ['release:above the act line', 'spill:cache', 'release:after spilling 50 MB']);
  const q = simulatedProcess(100, 0, 0);
  const free = new MemoryGovernor(
    { bytes: 24_000 * MB, source: 'physical', detail: 'test' },
    { sampler: q.sampler, releaser: q.releaser },
  );
  assert.equal(q.calls, ['tune'], 'no budget asked for: the allocator is tuned all the same');
  await free.stop();
});

test('release: between full releases, mapped store pages are dropped alone (no trim), at most every 10 ms (and 10x their own duration)', async () => {
  const p = simulatedProcess(950, 300, 0);
  const gov = new MemoryGovernor(budget(1000), {
    sampler: p.sampler,
    releaser: p.releaser,
    policy: { dwellMs: 0 },
    releaseEveryMs: 1000,
  });
  gov.start();
  gov.checkpoint(); // the first release is a full one: 950 -> 650
  assert.equal(p.calls, ['tune', 'trim', 'drop']);
  p.state.file = 300 * MB; // the merge re-read fragments: the map is resident again
  p.state.now = 200;
  gov.checkpoint();
  assert.equal(p.calls.slice(3), ['drop'], 'only the pages are dropped, 200 ms after a full release');
  p.state.file = 300 * MB;
  p.state.now = 205;
  gov.checkpoint();
  assert.is(p.calls.length, 4, 'not again within 10 ms');
  p.state.now = 215;
  gov.checkpoint();
  assert.equal(p.calls.slice(4), ['drop']);
  p.state.file = 10 * MB; // 1% of the budget: not worth a drop
  p.state.anon = 950 * MB;
  p.state.now = 500;
  gov.checkpoint();
  assert.is(p.calls.length, 5, 'too few pages mapped to drop');
  const r = await gov.stop();
  assert.is(r.releases, 3);
  const drops = r.events.filter((e) => e.what.startsWith('store pages dropped'));
  assert.is(drops.length, 1, 'drops are one log entry per episode');
  assert.is(drops[0]?.count, 2);
  assert.is(drops[0]?.bytes, 600 * MB);
});

test('settle: after the merge, a GC and a release only above the act line', async () => {
  const p = simulatedProcess(700, 100, 50);
  const gov = new MemoryGovernor(budget(1000), { sampler: p.sampler, releaser: p.releaser });
  gov.start();
  gov.settle('merge done');
  assert.equal(p.calls, ['tune'], 'below the line (700 MB of 1000): nothing to do');
  p.state.anon = 850 * MB; // 950 MB in all
  gov.settle('merge done');
  assert.equal(p.calls, ['tune', 'trim', 'drop']);
  const r = await gov.stop();
  const e = r.events.find((x) => x.kind === 'release');
  assert.ok(e?.what.startsWith('merge done'), e?.what);
  assert.is(e?.bytes, 150 * MB, 'trimmed 50 MB and dropped the 100 MB of pages');
});

test('checkpoint: above the act line a full GC, spaced apart; none below it', async () => {
  const p = simulatedProcess(700, 0, 0);
  let collections = 0;
  const releaser: MemoryReleaser = {
    ...p.releaser,
    collect: () => {
      collections++;
      p.state.anon -= 20 * MB; // what the GC gave back
    },
  };
  const gov = new MemoryGovernor(budget(1000), { sampler: p.sampler, releaser });
  gov.start();
  gov.checkpoint();
  assert.is(collections, 0, 'below the line (700 MB of 1000): no GC');
  p.state.anon = 950 * MB;
  gov.checkpoint();
  assert.is(collections, 1, 'above the line: one GC');
  p.state.anon = 950 * MB;
  p.state.now = 100;
  gov.checkpoint();
  assert.is(collections, 1, 'not again 100 ms later');
  p.state.now = 400;
  gov.checkpoint();
  assert.is(collections, 2, 'again once the spacing has passed');
  const r = await gov.stop();
  assert.is(r.collections, 2);
  assert.ok(r.peakRssBytes >= 950 * MB);
});

test('release: a slow release is spaced 20 times its duration apart', async () => {
  const p = simulatedProcess(990, 0, 1);
  const slowTrim = (): boolean => p.releaser.trim();
  const releaser: MemoryReleaser = {
    ...p.releaser,
    trim: () => {
      const until = performance.now() + 60; // at least 60 ms: the next one waits at least 1200
      while (performance.now() < until);
      return slowTrim();
    },
  };
  const gov = new MemoryGovernor(budget(1000), {
    sampler: p.sampler,
    releaser,
    policy: { dwellMs: 0 },
    releaseEveryMs: 1000,
  });
  await gov.tick();
  const took = gov.report().events.find((e) => e.kind === 'release')?.ms ?? 0;
  assert.ok(took >= 60, `the release took ${took} ms`);
  p.state.now = 1100;
  await gov.tick();
  assert.is(gov.report().releases, 1, 'not after 1100 ms: a 60 ms release waits at least 1200');
  p.state.now = Math.ceil(20 * took) + 1;
  await gov.tick();
  assert.is(gov.report().releases, 2, `released again after 20 x ${took} ms`);
  await gov.stop();
});

test('governor: worker heap caps and thread counts follow the budget', () => {
  assert.is(new MemoryGovernor(budget(24_000)).workerHeapMb(2), undefined, 'large budgets: V8 default');
  assert.is(new MemoryGovernor(budget(512)).workerHeapMb(2), 112);
  assert.is(new MemoryGovernor(budget(256)).workerHeapMb(2), 64, 'never below 64 MB');
  assert.is(new MemoryGovernor(budget(24_000)).threadsFor(8), 8);
  assert.is(new MemoryGovernor(budget(512)).threadsFor(8), 2);
  assert.is(new MemoryGovernor(budget(256)).threadsFor(2), 1);
  assert.is(new MemoryGovernor(budget(96)).threadsFor(2), 1, 'never none');
  // Vectors wait for the end of the parse only where one worker is all the budget holds.
  assert.is(new MemoryGovernor(budget(256)).deferVectors(), true);
  assert.is(new MemoryGovernor(budget(512)).deferVectors(), false);
  assert.is(new MemoryGovernor(budget(24_000)).deferVectors(), false);
});

test('floor: a budget below it is E_RESOURCE_LIMIT (exit 4)', () => {
  checkBudgetFloor(budget(MIN_BUDGET_MB));
  try {
    checkBudgetFloor(budget(MIN_BUDGET_MB - 1));
    assert.unreachable('should throw');
  } catch (err) {
    assert.instance(err, LeindexError);
    assert.is((err as LeindexError).code, 'E_RESOURCE_LIMIT');
    assert.is((err as LeindexError).exitCode, 4);
  }
});

// ------------------------------------------------------------------ budget and cgroups

function writeFiles(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
  }
}

test('cgroup v2: memory.max of the group, the smallest of its ancestors, "max" = none', () => {
  const ws = tempDir();
  try {
    writeFiles(ws.dir, {
      'proc-cgroup': '0::/user.slice/app.scope\n',
      'fs/memory.max': 'max\n',
      'fs/user.slice/memory.max': 'max\n',
      'fs/user.slice/app.scope/memory.max': `${512 * MB}\n`,
    });
    const root = join(ws.dir, 'fs');
    const proc = join(ws.dir, 'proc-cgroup');
    assert.equal(cgroupLimit(root, proc), {
      bytes: 512 * MB,
      source: 'cgroup-v2',
      file: join(root, 'user.slice/app.scope/memory.max'),
    });
    writeFileSync(join(root, 'user.slice/memory.max'), `${256 * MB}\n`);
    assert.is(cgroupLimit(root, proc)?.bytes, 256 * MB, 'an ancestor limit applies');
    writeFileSync(join(root, 'user.slice/memory.max'), 'max\n');
    writeFileSync(join(root, 'user.slice/app.scope/memory.max'), 'max\n');
    assert.is(cgroupLimit(root, proc), undefined, 'no limit anywhere');
  } finally {
    ws.cleanup();
  }
});

test('cgroup v1: memory.limit_in_bytes; the unlimited value; a container without a cgroup namespace', () => {
  const ws = tempDir();
  try {
    const root = join(ws.dir, 'fs');
    const proc = join(ws.dir, 'proc-cgroup');
    writeFiles(ws.dir, {
      'proc-cgroup': '12:pids:/docker/abc\n4:memory:/docker/abc\n1:name=systemd:/docker/abc\n',
      'fs/memory/memory.limit_in_bytes': '9223372036854771712\n',
      'fs/memory/docker/abc/memory.limit_in_bytes': `${1024 * MB}\n`,
    });
    assert.equal(cgroupLimit(root, proc), {
      bytes: 1024 * MB,
      source: 'cgroup-v1',
      file: join(root, 'memory/docker/abc/memory.limit_in_bytes'),
    });
    writeFileSync(join(root, 'memory/docker/abc/memory.limit_in_bytes'), '9223372036854771712\n');
    assert.is(cgroupLimit(root, proc), undefined, 'the v1 "unlimited" number is no limit');
    // Without a cgroup namespace the host path is absent; the mount root is the container's group.
    writeFiles(ws.dir, {
      'proc-cgroup': '4:memory:/kubepods/burstable/pod1/xyz\n',
      'fs/memory/memory.limit_in_bytes': `${300 * MB}\n`,
    });
    assert.is(cgroupLimit(root, proc)?.bytes, 300 * MB);
  } finally {
    ws.cleanup();
  }
});

test('cgroup hybrid (v1 memory + v2 unified): the smaller wins; no /proc file: none', () => {
  const ws = tempDir();
  try {
    const root = join(ws.dir, 'fs');
    const proc = join(ws.dir, 'proc-cgroup');
    writeFiles(ws.dir, {
      'proc-cgroup': '4:memory:/svc\n0::/svc\n',
      'fs/memory/svc/memory.limit_in_bytes': `${800 * MB}\n`,
      'fs/unified/svc/memory.max': `${600 * MB}\n`,
    });
    assert.equal(cgroupLimit(root, proc)?.source, 'cgroup-v2');
    assert.is(cgroupLimit(root, proc)?.bytes, 600 * MB);
    assert.is(cgroupLimit(root, join(ws.dir, 'missing')), undefined);
  } finally {
    ws.cleanup();
  }
});

test('resolveBudget: the smallest of request, cgroup and physical, with its source and the rest in detail', () => {
  const ws = tempDir();
  try {
    const root = join(ws.dir, 'fs');
    const proc = join(ws.dir, 'proc-cgroup');
    writeFiles(ws.dir, { 'proc-cgroup': '0::/\n', 'fs/memory.max': `${2048 * MB}\n` });
    const base = { cgroupRoot: root, procCgroupFile: proc, physicalBytes: 16384 * MB };
    const none = resolveBudget(base);
    assert.is(none.source, 'cgroup-v2');
    assert.is(none.bytes, 2048 * MB);
    assert.match(none.detail, /physical memory 16384 MB/);
    const flag = resolveBudget({ ...base, requestedMb: 512, requestedSource: 'flag' });
    assert.equal([flag.source, flag.bytes], ['flag', 512 * MB]);
    assert.match(flag.detail, /--memory-budget 512 MB; also cgroup-v2 limit 2048 MB/);
    assert.is(resolveBudget({ ...base, requestedMb: 4096, requestedSource: 'env' }).source, 'cgroup-v2');
    assert.is(resolveBudget({ ...base, requestedMb: 300, requestedSource: 'config' }).source, 'config');
    const physical = resolveBudget({ procCgroupFile: join(ws.dir, 'missing'), physicalBytes: 1000 * MB });
    assert.equal([physical.source, physical.bytes], ['physical', 1000 * MB]);
  } finally {
    ws.cleanup();
  }
});

test('options: the budget source is flag, then LEINDEX_MEMORY_BUDGET, then the config file', () => {
  const ws = tempDir();
  const saved = process.env.LEINDEX_MEMORY_BUDGET;
  try {
    writeFileSync(join(ws.dir, 'leindex.toml'), 'memory_budget_mb = 700\n');
    delete process.env.LEINDEX_MEMORY_BUDGET;
    let o = resolveOptions(ws.dir, {}).options;
    assert.equal([o.memoryBudgetMb, o.memoryBudgetSource], [700, 'config']);
    process.env.LEINDEX_MEMORY_BUDGET = '600';
    o = resolveOptions(ws.dir, {}).options;
    assert.equal([o.memoryBudgetMb, o.memoryBudgetSource], [600, 'env']);
    o = resolveOptions(ws.dir, { memoryBudgetMb: 500 }).options;
    assert.equal([o.memoryBudgetMb, o.memoryBudgetSource], [500, 'flag']);
    delete process.env.LEINDEX_MEMORY_BUDGET;
    writeFileSync(join(ws.dir, 'leindex.toml'), 'threads = 1\n');
    o = resolveOptions(ws.dir, {}).options;
    assert.equal([o.memoryBudgetMb, o.memoryBudgetSource], [undefined, undefined]);
  } finally {
    if (saved === undefined) delete process.env.LEINDEX_MEMORY_BUDGET;
    else process.env.LEINDEX_MEMORY_BUDGET = saved;
    ws.cleanup();
  }
});

// ------------------------------------------------------------------ the spillable merge input

function fragmentBytes(name: string, symbols: number): Uint8Array {
  const b = new FragmentBuilder();
  b.lineCount = symbols * 3;
  for (let i = 0; i < symbols; i++) {
    b.addSymbol({
      kind: SymbolKind.function,
      name: `${name}_${i}`,
      qualifiedName: `${name}.${name}_${i}`,
      startOffset: i,
      endOffset: i + 1,
      startLine: i,
      endLine: i,
      parent: 0,
    });
  }
  return b.toBytes();
}

test('merge input: spills only what the store committed, re-reads the same bytes, records reloads', async () => {
  const store = new Map<string, Uint8Array>();
  const queued = new Map<string, Uint8Array>();
  const fakeStore = {
    getFragment: (h: string) => store.get(h)?.slice(),
    flush: () => {
      for (const [k, v] of queued) store.set(k, v);
      queued.clear();
      return Promise.resolve();
    },
  };
  const gov = new MemoryGovernor(budget(1000), { sampler: scriptedSampler([0]) });
  const stash = new MergeInputStash(fakeStore, gov);
  const inputs = ['a', 'b', 'c'].map((name) => {
    const bytes = fragmentBytes(name, 5);
    queued.set(name, bytes);
    return stash.add(
      { relPath: `${name}.ts`, language: 'typescript', contentHash: name, size: 1, mtimeMs: 1 },
      bytes,
      false,
    );
  });
  const before = inputs.map((i) => i.fragment.symStr(3, 'name'));
  const held = stash.bytes();
  assert.ok(held > 0);
  assert.is(stash.spill(), 0, 'nothing is committed yet: nothing may go');
  await stash.flush();
  const stats = inputs.map((i) => ({
    vectorCount: i.fragment.vectorCount,
    errorCount: i.fragment.errorCount,
    lineCount: i.fragment.lineCount,
    stringCount: i.fragment.stringCount,
    symbolCount: i.fragment.symbolCount,
    refCount: i.fragment.refCount,
  }));
  assert.is(stash.spill(), held, 'all of it once committed');
  assert.is(stash.bytes(), 0);
  assert.equal(
    inputs.map((i) => stash.statsOf(i)),
    stats,
    'the summary figures stay without a reload',
  );
  assert.is(gov.report().reloads, 0);
  assert.equal(
    inputs.map((i) => i.fragment.symStr(3, 'name')),
    before,
    'the same answers after the reload',
  );
  assert.equal(
    inputs.map((i) => [...i.fragment.bytes]),
    ['a', 'b', 'c'].map((n) => [...store.get(n)!]),
  );
  stash.dispose();
  const r = await gov.stop();
  assert.is(r.reloads, 3);
  assert.is(r.reloadedBytes, held);
  assert.ok(r.events.some((e) => e.kind === 'reload' && e.what === 'merge-input' && e.count === 3));
});

test('merge input: with a spill directory, spilled fragments come back from a spill file that leaves nothing behind', async () => {
  const ws = tempDir();
  const store = new Map<string, Uint8Array>();
  let storeReads = 0;
  const fakeStore = {
    getFragment: (h: string) => {
      storeReads++;
      return store.get(h)?.slice();
    },
    flush: () => Promise.resolve(),
  };
  const gov = new MemoryGovernor(budget(1000), { sampler: scriptedSampler([0]) });
  const stash = new MergeInputStash(fakeStore, gov, { spillDir: ws.dir });
  const inputs = ['a', 'b', 'c'].map((name, k) => {
    const bytes = fragmentBytes(name, 3 + 7 * k);
    store.set(name, bytes);
    return stash.add(
      { relPath: `${name}.ts`, language: 'typescript', contentHash: name, size: 1, mtimeMs: 1 },
      bytes,
      true,
    );
  });
  const before = inputs.map((i) => [...i.fragment.bytes]);
  const held = stash.bytes();
  assert.is(stash.spill(), held);
  assert.equal(readdirSync(ws.dir), [], 'the spill file is unlinked as soon as it is open');
  assert.equal(
    inputs.map((i) => [...i.fragment.bytes]),
    before,
    'the same bytes after the reload',
  );
  assert.is(storeReads, 0, 'read back from the spill file, not the store');
  // Spilled again: written once, read again from the same place.
  stash.spill();
  assert.equal(
    inputs.map((i) => i.fragment.symStr(3, 'name')),
    ['a_2', 'b_2', 'c_2'],
  );
  assert.is(storeReads, 0);
  stash.dispose();
  const r = await gov.stop();
  assert.is(r.reloads, 6);
  assert.equal(readdirSync(ws.dir), []);
  ws.cleanup();
});

test('merge input: without a usable spill directory, spilled fragments come back from the store', () => {
  let storeReads = 0;
  const bytes = fragmentBytes('a', 4);
  const stash = new MergeInputStash(
    {
      getFragment: () => {
        storeReads++;
        return bytes.slice();
      },
      flush: () => Promise.resolve(),
    },
    undefined,
    { spillDir: '/nonexistent/leindex-spill' },
  );
  const input = stash.add(
    { relPath: 'a.ts', language: 'typescript', contentHash: 'a', size: 1, mtimeMs: 1 },
    bytes,
    true,
  );
  stash.spill();
  assert.is(input.fragment.symStr(1, 'name'), 'a_0');
  assert.is(storeReads, 1);
  stash.dispose();
});

test('merge input: the store hands back an owned, aligned copy that a later read does not overwrite', async () => {
  const ws = tempDir();
  const { writer } = await IndexWriter.open(join(ws.dir, 'idx'), { rebuild: false });
  try {
    writer.begin();
    // Two fragments of different sizes: lmdb-js reads both through one reused buffer.
    const a = fragmentBytes('a', 40);
    const b = fragmentBytes('b', 3);
    await Promise.all([writer.putFragment('ha', a), writer.putFragment('hb', b)]);
    await writer.flush();
    const ra = writer.getFragment('ha')!;
    const rb = writer.getFragment('hb')!;
    assert.equal([...ra], [...a], 'the first read, after a second one');
    assert.equal([...rb], [...b]);
    assert.is.not(ra.buffer, rb.buffer, 'each read owns its bytes');
    assert.is(ra.byteOffset % 8, 0);
    assert.is(ra.byteLength, a.byteLength, 'exactly the value, not the read buffer');
    assert.is(writer.getFragment('none'), undefined);
  } finally {
    await writer.close();
    ws.cleanup();
  }
});

test('sampler: the synchronous sample is RSS and its file-backed part from /proc, heap figures from the last full sample', async () => {
  const sampler = processSampler();
  const first = sampler.sampleSync();
  if (process.platform === 'linux') {
    assert.ok(first.rssFile > 0 && first.rssFile < first.rss, 'file-backed pages are part of RSS');
    const libuv = process.memoryUsage.rss();
    assert.ok(Math.abs(first.rss - libuv) < 16 * MB, `VmRSS ${first.rss} vs libuv ${libuv}`);
    assert.is(first.heapUsed, 0, 'no full sample yet: process.memoryUsage() was not called');
  }
  const full = await sampler.sample();
  assert.ok(full.heapUsed > 0);
  if (process.platform === 'linux') assert.is(sampler.sampleSync().heapUsed, full.heapUsed);
  sampler.close();
});

test('merge input: the merge sizes its tables and takes the file table counts from the stash, not from spilled fragments', () => {
  const stash = new MergeInputStash({ getFragment: () => undefined, flush: () => Promise.resolve() });
  const stashed = ['a', 'b', 'c'].map((name, k) =>
    stash.add(
      { relPath: `${name}.ts`, language: 'typescript', contentHash: name, size: 1, mtimeMs: 1 },
      fragmentBytes(name, 2 + k),
      true,
    ),
  );
  // The same inputs with and without the kept counts; every fragment read is counted.
  const merge = (keep: boolean): { reads: number; lines: number[]; errors: number[] } => {
    let reads = 0;
    const inputs: MergeInput[] = stashed.map((s) => ({
      relPath: s.relPath,
      language: s.language,
      contentHash: s.contentHash,
      size: s.size,
      mtimeMs: s.mtimeMs,
      get fragment(): FragmentReader {
        reads++;
        return s.fragment;
      },
      ...(keep ? { stats: s.stats } : {}),
    }));
    const g = mergeFragments(inputs);
    return { reads, lines: [...g.files.lineCount], errors: [...g.files.errorCount] };
  };
  const read = merge(false);
  const kept = merge(true);
  assert.equal(read.lines, [6, 9, 12], "the fragments' own line counts");
  assert.equal(kept.lines, read.lines);
  assert.equal(kept.errors, read.errors);
  // Line and error counts (2), string count (1), symbol and reference counts (2).
  assert.is(read.reads - kept.reads, 5 * stashed.length, 'five reads per file fewer');
});

test.run();
