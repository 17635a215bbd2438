// `leindex diagnostics` as a user runs it (the compiled binary): the same counts the index run
// reported, skips by reason, freshness after an edit, memory and budget, and the exit codes
// for a missing index. Plus scanFreshness on its own.

import { spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ExitCode } from '../src/errors.js';
import type { IndexDiagnostics } from '../src/query/diagnostics.js';
import { scanFreshness } from '../src/query/diagnostics.js';
import { IndexSession } from '../src/query/session.js';
import { BIN, copyFixture, indexTree, leindex, tempDir } from './helpers/workspace.js';

test('diagnostics --json reports what the index run counted', () => {
  const ws = copyFixture('ts-app');
  try {
    // A minified file gives one skip with a reason.
    writeFileSync(join(ws.dir, 'src', 'bundle.js'), `var a=${'1+'.repeat(8000)}1;`);
    const indexed = leindex(['index', ws.dir, '--json', '--no-git']);
    assert.is(indexed.code, 0, indexed.stderr);
    const summary = JSON.parse(indexed.stdout) as {
      files: { indexed: number };
      skipped: { total: number; byReason: Record<string, number> };
      symbols: { total: number; byKind: Record<string, number> };
      edges: { total: number; byKind: Record<string, number> };
      generation: number;
    };
    const r = leindex(['diagnostics', '--path', ws.dir, '--json']);
    assert.is(r.code, 0, r.stderr);
    const d = JSON.parse(r.stdout) as IndexDiagnostics;
    assert.is(d.status, 'ok');
    assert.is(d.generation, summary.generation);
    assert.is(d.files.indexed, summary.files.indexed);
    assert.equal(d.symbols, summary.symbols);
    assert.equal(d.edges, summary.edges);
    assert.equal(d.skipped.byReason, summary.skipped.byReason);
    assert.ok(d.skipped.total >= 1);
    assert.is(d.freshness?.stale, false);
    assert.is(d.freshness?.checkedFiles, summary.files.indexed);
    assert.is(d.writer, undefined);
    assert.ok(d.storeBytes > 0);
    assert.ok(d.memory.rssMb > 0);
    // Physical memory, or the container's cgroup limit when it is smaller.
    assert.ok(['physical', 'cgroup-v2', 'cgroup-v1'].includes(d.memory.budgetSource), d.memory.budgetSource);

    // The text form says the same, and an edit makes it stale (exit 0: the index is readable).
    appendFileSync(join(ws.dir, 'src', 'util.ts'), '\nexport const later = 1;\n');
    const text = leindex(['diagnostics', ws.dir]);
    assert.is(text.code, 0, text.stderr);
    assert.match(text.stdout, `generation ${summary.generation}`);
    assert.match(text.stdout, 'freshness STALE: 1 files');
    assert.match(text.stdout, 'src/util.ts');
    assert.match(text.stdout, /budget \d+ MB \((physical|cgroup-v[12]): /);

    // A configured memory budget is what is shown.
    const env = spawnSync(process.execPath, [BIN, 'diagnostics', ws.dir, '--json'], {
      encoding: 'utf8',
      env: { ...process.env, LEINDEX_MEMORY_BUDGET: '512' },
    });
    const withBudget = JSON.parse(env.stdout) as IndexDiagnostics;
    assert.equal([withBudget.memory.budgetMb, withBudget.memory.budgetSource], [512, 'env']);
  } finally {
    ws.cleanup();
  }
});

test('diagnostics checks the vector file in full: a flipped byte is reported with its code', () => {
  const ws = copyFixture('ts-app');
  try {
    const indexed = leindex(['index', ws.dir, '--json', '--no-git']);
    assert.is(indexed.code, 0, indexed.stderr);
    const summary = JSON.parse(indexed.stdout) as { vectors: number };
    const ok = leindex(['diagnostics', '--path', ws.dir, '--json']);
    assert.is(ok.code, 0, ok.stderr);
    const before = JSON.parse(ok.stdout) as IndexDiagnostics;
    assert.ok(before.vectors, 'the generation has a vector file');
    assert.is(before.vectors.ok, true);
    assert.is(before.vectors.count, summary.vectors);
    assert.ok(before.vectors.bytes > 0);

    // One byte inside the vector rows (the file's start): the stamp still matches, so only
    // the full check can see it.
    const path = join(ws.dir, '.leindex', 'vectors', before.vectors.file);
    const bytes = readFileSync(path);
    const { mtime } = statSync(path);
    bytes[8] = bytes[8]! ^ 0xff;
    writeFileSync(path, bytes);
    utimesSync(path, mtime, mtime);
    const r = leindex(['diagnostics', '--path', ws.dir, '--json']);
    assert.is(r.code, ExitCode.storeCorrupt, r.stderr);
    const d = JSON.parse(r.stdout) as IndexDiagnostics;
    assert.is(d.status, 'unreadable');
    assert.is(d.problem?.code, 'E_STORE_CORRUPT');
    assert.is(d.vectors?.ok, false);
    const text = leindex(['diagnostics', ws.dir]);
    assert.match(text.stdout, 'DAMAGED');
  } finally {
    ws.cleanup();
  }
});

test('diagnostics of a tree without an index: status missing, exit 3, a hint', () => {
  const ws = tempDir();
  try {
    const r = leindex(['diagnostics', ws.dir, '--json']);
    assert.is(r.code, ExitCode.indexMissing);
    const d = JSON.parse(r.stdout) as IndexDiagnostics;
    assert.is(d.status, 'missing');
    assert.is(d.problem?.code, 'E_INDEX_MISSING');
    assert.match(d.problem?.hint ?? '', 'leindex index');
    const text = leindex(['diagnostics', ws.dir]);
    assert.is(text.code, ExitCode.indexMissing);
    assert.match(text.stdout, ': missing');
    const nowhere = leindex(['diagnostics', join(ws.dir, 'nope')]);
    assert.is(nowhere.code, ExitCode.usage);
  } finally {
    ws.cleanup();
  }
});

test('scanFreshness: changed, deleted and added files; directories only after the baseline', async () => {
  const ws = copyFixture('py-app');
  try {
    await indexTree(ws.dir);
    const session = IndexSession.open(ws.dir);
    try {
      const files = session.files();
      const since = Date.parse(session.reader.info.createdAt);
      assert.is((await scanFreshness(ws.dir, files, since)).stale, false);
      appendFileSync(join(ws.dir, 'pkg', 'models.py'), '\n# edited\n');
      rmSync(join(ws.dir, 'app.py'));
      writeFileSync(join(ws.dir, 'pkg', 'new_module.py'), 'X = 1\n');
      const scan = await scanFreshness(ws.dir, files, since);
      assert.is(scan.stale, true);
      assert.is(scan.changedFiles, 2);
      assert.ok(scan.sample.includes('pkg/models.py') && scan.sample.includes('app.py'), scan.sample.join());
      assert.ok(scan.sample.includes('pkg/'), 'a new file shows as its directory');
      // Against a baseline after those edits, only the file changes remain.
      const later = await scanFreshness(ws.dir, files, Date.now() + 1000);
      assert.equal([later.changedFiles, later.changedDirs], [2, 0]);
    } finally {
      await session.close();
    }
  } finally {
    ws.cleanup();
  }
});

test.run();
