// The memory governor in real runs: indexing the fixture repos under a governor (real
// sampler) whose budget this process already exceeds forces spills of the merge input (which
// the merge then re-reads from the store) and releases (malloc trim, mapped store pages
// dropped), and must publish exactly the digest of an unconstrained run; the memtrim addon
// drops the store's resident pages without changing what is read; a query session's caches
// spill and reload with identical answers; a budget below the floor stops the real CLI with
// exit 4 and leaves the previous index readable.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';
import { cpSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dropExecutablePages, dropMappedFiles, memtrimAvailable, trimMalloc } from '../native/memtrim.js';
import { MemoryGovernor } from '../src/governor/governor.js';
import { MIN_BUDGET_MB } from '../src/governor/sizing.js';
import { pressureOf, processSampler, scriptedSampler } from '../src/governor/sampler.js';
import { governSession } from '../src/governor/session.js';
import { IndexSession } from '../src/query/session.js';
import { embedQuery } from '../src/embed/embedder.js';
import { IndexReader } from '../src/store/read.js';
import type { GenerationInfo } from '../src/store/layout.js';
import { runIndex } from '../src/pipeline/run-index.js';
import { DELTA_LIMITS, VECTOR_DIR } from '../src/pipeline/vectors.js';
import { inspectVectorFile } from '../src/vector/format.js';
import { BIN, FIXTURE_REPOS, copyFixture, indexTree, tempDir, testOptions } from './helpers/workspace.js';

const MB = 2 ** 20;

/**
 * A governor with the real sampler and a budget of 80% of what this process holds now (RSS
 * minus file-backed pages): a fixture repo's index run is far below the 96 MB floor a user
 * may ask for, so the budget is given to the governor directly. That does not fall by a fifth
 * during a run, so every sample and checkpoint sees pressure, whatever the machine; and the
 * merge input of a fixture repo is tiny, so any spill counts as useful.
 */
function governorBelowCurrentUse(): MemoryGovernor {
  const sampler = processSampler();
  const bytes = Math.floor(pressureOf(sampler.sampleSync()) * 0.8);
  return new MemoryGovernor(
    { bytes, source: 'flag', detail: `80% of the test's resident memory (${Math.round(bytes / MB)} MB)` },
    { sampler, policy: { dwellMs: 20 }, usefulSpillShare: 0 },
  );
}

/** Copies of fixture repos under `dir`: `<copy>/<repo>` for each copy, or `<repo>` with none. */
function copyRepos(dir: string, repos: readonly string[], copies: readonly string[] = ['']): void {
  for (const copy of copies)
    for (const repo of repos) cpSync(join(FIXTURE_REPOS, repo), join(dir, copy, repo), { recursive: true });
}

async function indexUnder(
  root: string,
  indexDir: string,
  extra: { vectorSegmentRows?: number } = {},
): ReturnType<typeof runIndex> {
  return runIndex({
    root,
    options: testOptions(root, { indexDir }),
    governor: governorBelowCurrentUse(),
    ...extra,
  });
}

test('a fixture repo indexed under a tiny budget: spills and reloads, the same digest as unconstrained', async () => {
  const ws = copyFixture('ts-app');
  const idx = tempDir(); // outside the tree: one run's index is not a file of the other's tree
  try {
    const free = await indexTree(ws.dir, { indexDir: join(idx.dir, 'free') });
    assert.is(free.memory.spills, 0, 'no pressure without a budget');
    assert.is(free.memory.budget.source === 'flag', false);
    const tight = await indexUnder(ws.dir, join(idx.dir, 'tight'));
    assert.is(tight.digest, free.digest, 'spilling changes nothing in the index');
    assert.is(tight.memory.budget.source, 'flag');
    assert.ok(tight.memory.spills >= 1, 'the merge input was spilled');
    assert.ok(tight.memory.reloads >= tight.files.indexed, 'the merge re-read every fragment at least once');
    const kinds = tight.memory.events.map((e) => `${e.kind}:${e.what}`);
    assert.ok(kinds.includes('spill:merge-input'), kinds.join(', '));
    assert.ok(kinds.includes('reload:merge-input'), kinds.join(', '));
  } finally {
    ws.cleanup();
    idx.cleanup();
  }
});

test('through the worker pool (two copies of every fixture repo): same digest, spills, capped worker heaps', async () => {
  const ws = tempDir();
  const idx = tempDir();
  try {
    copyRepos(ws.dir, ['ts-app', 'py-app', 'rs-app'], ['a', 'b']);
    const free = await indexTree(ws.dir, { indexDir: join(idx.dir, 'free') });
    assert.ok(free.threads > 0, 'the pool path, not the serial one');
    const tight = await indexUnder(ws.dir, join(idx.dir, 'tight'));
    assert.is(tight.digest, free.digest);
    assert.is(tight.files.indexed, free.files.indexed);
    assert.is(tight.skipped.total, free.skipped.total, 'no file lost to a capped worker');
    assert.ok(tight.memory.spills >= 1);
    assert.is(tight.memory.workerHeapMb, 64, 'worker heaps capped (at the minimum, for this budget)');
    assert.ok(tight.memory.throttles >= 1, 'the pool was slowed down');
    // The releaser (the memtrim addon) acted: when the workers stopped, and above the line.
    assert.is(tight.memory.heldAgainst, 'rss');
    const releases = tight.memory.events.filter((e) => e.kind === 'release').map((e) => e.what);
    assert.ok(
      releases.some((w) => w.startsWith('parse workers stopped')),
      releases.join(', '),
    );
    assert.ok(
      releases.some((w) => w.startsWith('above the act line')),
      releases.join(', '),
    );
  } finally {
    ws.cleanup();
    idx.cleanup();
  }
});

/** The vector record of an index's current generation. */
async function vectorRecordOf(indexDir: string): Promise<GenerationInfo['vectors']> {
  const reader = IndexReader.open(indexDir);
  try {
    return reader.info.vectors;
  } finally {
    await reader.close();
  }
}

/** The vector record of an index's current generation, and its file checked in full. */
async function vectorsOf(indexDir: string): Promise<{ count: number; present: number }> {
  const v = await vectorRecordOf(indexDir);
  if (!v) throw new Error(`${indexDir} has no vectors`);
  const file = inspectVectorFile(join(indexDir, VECTOR_DIR, v.file), 'full', v.dim);
  return { count: v.count, present: file.present };
}

test('under a budget the vector index waits on disk through the merge: the same vectors, fresh and after a deletion', async () => {
  const ws = tempDir();
  const idx = tempDir();
  try {
    copyRepos(ws.dir, ['ts-app', 'py-app']);
    const free = await indexTree(ws.dir, { indexDir: join(idx.dir, 'free') });
    const tight = await indexUnder(ws.dir, join(idx.dir, 'tight'));
    assert.ok(free.vectors > 0, 'the fixtures have embedded symbols');
    assert.is(tight.vectors, free.vectors);
    const want = await vectorsOf(join(idx.dir, 'free'));
    assert.is(want.count, free.vectors);
    assert.equal(await vectorsOf(join(idx.dir, 'tight')), want, 'parked, then published as it was');
    // An edit and a deletion: the edit's vectors change during the parse, the deleted file's
    // go in finish(), which loads the parked file back first. (A change this small would be
    // listed as stale keys, the file kept: no stale key is allowed here, so the file is loaded.)
    writeFileSync(
      join(ws.dir, 'ts-app', 'src', 'util.ts'),
      'export function onlyOne(a: number): number {\n  return a + 1;\n}\n',
    );
    rmSync(join(ws.dir, 'py-app'), { recursive: true });
    const keysLimit = DELTA_LIMITS.keys;
    DELTA_LIMITS.keys = 0;
    let after: Awaited<ReturnType<typeof indexUnder>>;
    try {
      after = await indexUnder(ws.dir, join(idx.dir, 'tight'));
    } finally {
      DELTA_LIMITS.keys = keysLimit;
    }
    assert.is(after.files.deleted > 0, true);
    const rebuilt = await indexTree(ws.dir, { indexDir: join(idx.dir, 'rebuilt') }, { rebuild: true });
    assert.is(after.digest, rebuilt.digest);
    const got = await vectorsOf(join(idx.dir, 'tight'));
    assert.ok(
      got.count < want.count,
      `vectors of the deleted files are gone (${got.count} of ${want.count})`,
    );
    assert.equal(got, await vectorsOf(join(idx.dir, 'rebuilt')));
  } finally {
    ws.cleanup();
    idx.cleanup();
  }
});

/** Every vector's similarity to `query` by symbol id (k = all: exact at fixture sizes), and the 10 best. */
async function vectorAnswers(
  root: string,
  indexDir: string,
  query: string,
): Promise<{ all: Map<number, number>; top: number[] }> {
  const session = IndexSession.open(root, indexDir);
  try {
    const q = embedQuery(session.model(), query);
    const n = session.reader.info.vectors?.count ?? 0;
    const hits = session.vectors().nearest(q, n + 10);
    const all = new Map(hits.ids.map((id, i) => [id, Math.round(hits.sims[i]! * 1e5) / 1e5]));
    const top = session
      .vectors()
      .nearest(q, 10)
      .sims.map((x) => Math.round(x * 1e5) / 1e5);
    return { all, top };
  } finally {
    await session.close();
  }
}

test('a one-worker budget builds the vectors in segments during the parse: searched as one index, listed stale after an edit, rebuilt whole past the limits', async () => {
  const ws = tempDir();
  const idx = tempDir();
  try {
    copyRepos(ws.dir, ['ts-app', 'py-app', 'rs-app'], ['a', 'b']);
    const freeDir = join(idx.dir, 'free');
    const tightDir = join(idx.dir, 'tight');
    const free = await indexTree(ws.dir, { indexDir: freeDir });
    const tight = await indexUnder(ws.dir, tightDir, { vectorSegmentRows: 8 });
    assert.ok(tight.threads === 1, `one parse worker under this budget (${tight.threads})`);
    assert.is(tight.digest, free.digest);
    assert.is(tight.vectors, free.vectors);
    const record = await vectorRecordOf(tightDir);
    const segments = record?.segments ?? [];
    assert.ok(
      segments.length >= 3,
      `several segments of ~8 rows (${segments.length} for ${tight.vectors} vectors)`,
    );
    assert.is(record?.file, segments[0]?.file);
    assert.is(
      segments.reduce((n, g) => n + g.count, 0),
      free.vectors,
      'every vector in one segment',
    );
    for (const g of segments) {
      const f = inspectVectorFile(join(tightDir, VECTOR_DIR, g.file), 'full', record?.dim);
      assert.is(f.present, g.count, `${g.file}: a whole index of its own vectors`);
      assert.ok(g.count <= 8 + 64, `${g.file}: about a segment's rows (${g.count})`);
    }
    const queries = [
      'where are expired sessions cleaned up',
      'parse the configuration file',
      'user repository',
    ];
    for (const query of queries) {
      const want = await vectorAnswers(ws.dir, freeDir, query);
      const got = await vectorAnswers(ws.dir, tightDir, query);
      assert.is(got.all.size, free.vectors, `${query}: every vector found once over the segments`);
      assert.equal(got.all, want.all, `${query}: the same similarities as the single index`);
      assert.equal(got.top, want.top, `${query}: the same 10 best`);
    }
    // An edit: listed as stale keys over the segments, which stay as they are.
    writeFileSync(
      join(ws.dir, 'a', 'ts-app', 'src', 'util.ts'),
      'export function expiredSessionsSweep(now: number): number {\n  return now - 1;\n}\n',
    );
    await indexTree(ws.dir, { indexDir: freeDir });
    await indexUnder(ws.dir, tightDir, { vectorSegmentRows: 8 });
    const afterEdit = await vectorRecordOf(tightDir);
    assert.equal(afterEdit?.segments, record?.segments, 'the same segment files');
    assert.ok((afterEdit?.stale?.length ?? 0) > 0, 'the edited file listed as stale');
    for (const query of queries)
      assert.equal(
        await vectorAnswers(ws.dir, tightDir, query),
        await vectorAnswers(ws.dir, freeDir, query),
        `${query}: after the edit, as the unconstrained index`,
      );
    // Past the limits (no stale key allowed): segments are not updated in place, the index is
    // rebuilt as one file, and the segment files go.
    rmSync(join(ws.dir, 'b', 'py-app'), { recursive: true });
    await indexTree(ws.dir, { indexDir: freeDir });
    const keysLimit = DELTA_LIMITS.keys;
    DELTA_LIMITS.keys = 0;
    try {
      await indexUnder(ws.dir, tightDir, { vectorSegmentRows: 8 });
    } finally {
      DELTA_LIMITS.keys = keysLimit;
    }
    const whole = await vectorRecordOf(tightDir);
    assert.is(whole?.segments, undefined, 'one file');
    assert.is(whole?.stale, undefined);
    assert.not.ok(/\.s\d+\.usearch$/.test(whole?.file ?? ''), `${whole?.file}: not a segment`);
    for (const query of queries)
      assert.equal(
        await vectorAnswers(ws.dir, tightDir, query),
        await vectorAnswers(ws.dir, freeDir, query),
        `${query}: after the rebuild, as the unconstrained index`,
      );
    // The previous generation (kept) still names the segments; the next generation lets them go.
    writeFileSync(join(ws.dir, 'a', 'ts-app', 'src', 'util.ts'), 'export const one = 1;\n');
    await indexUnder(ws.dir, tightDir, { vectorSegmentRows: 8 });
    assert.equal(
      readdirSync(join(tightDir, VECTOR_DIR)).filter((n) => /\.s\d+\.usearch$/.test(n)),
      [],
      'no segment file left',
    );
  } finally {
    ws.cleanup();
    idx.cleanup();
  }
});

/** Resident kB of this process's mappings of files whose path ends with `suffix` (smaps). */
function residentKbOf(suffix: string): number {
  let kb = 0;
  let mine = false;
  for (const line of readFileSync('/proc/self/smaps', 'latin1').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) mine = (head[1] ?? '').endsWith(suffix);
    else if (mine) {
      const m = /^Rss:\s+(\d+) kB/.exec(line);
      if (m) kb += Number(m[1]);
    }
  }
  return kb;
}

test('memtrim: built on Linux; dropping the mapped store pages empties them and reads stay the same', async () => {
  if (process.platform !== 'linux') return;
  assert.ok(memtrimAvailable, 'the addon is built (npm install runs node-gyp in native/memtrim)');
  assert.type(trimMalloc(), 'boolean');
  const ws = copyFixture('ts-app');
  const idx = tempDir();
  try {
    const indexDir = join(idx.dir, 'idx');
    await indexTree(ws.dir, { indexDir });
    const reader = IndexReader.open(indexDir);
    try {
      const files = reader.fileTable();
      const read = (): string[] =>
        files.contentHash.map((h) => Buffer.from(reader.fragment(h) ?? new Uint8Array()).toString('base64'));
      const first = read();
      const before = residentKbOf('.mdb');
      assert.ok(before > 0, 'reading mapped the store');
      assert.ok(dropMappedFiles((p) => p.endsWith('.mdb')) > 0, 'the map was advised');
      const after = residentKbOf('.mdb');
      assert.ok(after < before, `resident store pages: ${before} kB before, ${after} kB after`);
      assert.equal(read(), first, 'the same bytes, read back from the page cache');
    } finally {
      await reader.close();
    }
  } finally {
    ws.cleanup();
    idx.cleanup();
  }
});

test("memtrim: dropping the executable's clean read-only pages empties them and the process works on", () => {
  if (process.platform !== 'linux') return;
  const exe = realpathSync(process.execPath);
  // Work that runs through V8's builtins, ICU's data, zlib and OpenSSL in the executable.
  const work = (): string => {
    const text = Array.from({ length: 2000 }, (_, i) => `${i}:${(i * 7919) % 1013}`).join(',');
    const date = new Intl.DateTimeFormat('de-DE', { dateStyle: 'full', timeZone: 'UTC' }).format(new Date(0));
    const sorted = ['résumé', 'resume', 'Zebra', 'apple'].sort(new Intl.Collator('fr').compare).join(' ');
    const round = inflateSync(deflateSync(Buffer.from(text))).toString();
    const words = JSON.stringify(text.match(/\d+:\d{3}/g)?.slice(0, 50));
    return [date, sorted, createHash('sha256').update(round).digest('hex'), words].join('|');
  };
  const first = work();
  const before = residentKbOf(exe);
  assert.ok(before > 0, `the executable ${exe} is resident`);
  assert.ok(dropExecutablePages() > 0, 'its clean read-only mappings were advised');
  const after = residentKbOf(exe);
  assert.ok(after < before, `resident pages of ${exe}: ${before} kB before, ${after} kB after`);
  // A relocated (RELRO) page dropped by mistake would crash here or change a result.
  assert.equal(work(), first, 'the same results, with the pages read back from the page cache');
  assert.ok(dropExecutablePages() > 0, 'the ranges stay valid for later drops');
  assert.equal(work(), first);
});

test('a query session spills its caches under pressure and reloads them with identical answers', async () => {
  const ws = copyFixture('py-app');
  try {
    await indexTree(ws.dir);
    const session = IndexSession.open(ws.dir);
    // Injected samples: comfortable, then over the line (the spill rung comes third).
    const gov = new MemoryGovernor(
      { bytes: 1000 * MB, source: 'flag', detail: 'test' },
      { sampler: scriptedSampler([100 * MB, 950 * MB]), policy: { dwellMs: 0 } },
    );
    const governed = governSession(session, gov);
    try {
      const n = session.graph().symbols.kind.length;
      const before = Array.from({ length: n }, (_, id) => session.symbol(id));
      for (let i = 0; i < 4; i++) await gov.tick();
      const spilled = gov.report();
      assert.is(spilled.spills, 1, 'spilled once');
      assert.ok(spilled.spilledBytes > 0);
      assert.is(spilled.reloads, 0, 'nothing reloaded yet');
      const after = Array.from({ length: n }, (_, id) => session.symbol(id));
      assert.equal(after, before, 'the same answers after the reload');
      const report = await gov.stop();
      assert.ok(report.reloads >= 2, 'graph and fragments reloaded');
      const reload = report.events.find((e) => e.kind === 'reload');
      assert.ok(reload && reload.what === 'session-caches' && reload.bytes > 0);
    } finally {
      governed.dispose();
      await session.close();
    }
  } finally {
    ws.cleanup();
  }
});

test('CLI: a budget below the floor exits 4 and the previous index stays readable', async () => {
  const ws = copyFixture('rs-app');
  try {
    const first = spawnSync(process.execPath, [BIN, 'index', ws.dir, '--no-git', '--json', '-q'], {
      encoding: 'utf8',
    });
    assert.is(first.status, 0, first.stderr);
    const digest = (JSON.parse(first.stdout) as { digest: string }).digest;
    const small = spawnSync(
      process.execPath,
      [BIN, 'index', ws.dir, '--no-git', '--rebuild', '--memory-budget', String(MIN_BUDGET_MB - 32)],
      { encoding: 'utf8' },
    );
    assert.is(small.status, 4, small.stderr);
    assert.match(small.stderr, /memory budget 64 MB is below the 96 MB/);
    assert.is(small.stdout, '', 'nothing on stdout');
    const viaEnv = spawnSync(process.execPath, [BIN, 'index', ws.dir, '--no-git', '--rebuild'], {
      encoding: 'utf8',
      env: { ...process.env, LEINDEX_MEMORY_BUDGET: '50' },
    });
    assert.is(viaEnv.status, 4, viaEnv.stderr);
    assert.match(viaEnv.stderr, /LEINDEX_MEMORY_BUDGET 50 MB/);
    // --rebuild was asked for, but the floor check comes first: the previous index is whole.
    const reader = IndexReader.open(join(ws.dir, '.leindex'));
    try {
      assert.is(reader.info.digest, digest);
      assert.ok(reader.graph().symbols.kind.length > 0);
    } finally {
      await reader.close();
    }
  } finally {
    ws.cleanup();
  }
});

test.run();
