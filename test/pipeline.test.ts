// The index pipeline end to end on real worker threads and a real LMDB store: determinism
// (serial vs pool, run to run), incremental == full rebuild, no-op re-runs, deletions,
// hash-confirmed touches, and the published summary.

import { appendFileSync, cpSync, rmSync, utimesSync, writeFileSync, statSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FIXTURE_REPOS, copyFixture, indexTree, readGraph, tempDir } from './helpers/workspace.js';
import { graphDigest } from '../src/graph/graph.js';

/** One tree holding all three fixture repos, so resolution runs across languages at once. */
function mixedTree(): ReturnType<typeof tempDir> {
  const ws = tempDir('leindex-mixed-');
  for (const name of ['ts-app', 'py-app', 'rs-app'])
    cpSync(join(FIXTURE_REPOS, name), join(ws.dir, name), { recursive: true });
  return ws;
}

test('serial path and a 2-thread pool give the same digest; so do two runs', async () => {
  const ws = mixedTree();
  try {
    const a = await indexTree(ws.dir, { indexDir: join(ws.dir, '.idx-serial') }, { serial: true });
    const b = await indexTree(ws.dir, { indexDir: join(ws.dir, '.idx-pool'), threads: 2 });
    const c = await indexTree(ws.dir, { indexDir: join(ws.dir, '.idx-pool3'), threads: 3 });
    assert.ok(a.symbols.total > 20, `symbols were extracted (${a.symbols.total})`);
    assert.ok(a.edges.total > a.symbols.total - a.files.indexed, 'edges were resolved');
    assert.is(b.digest, a.digest);
    assert.is(c.digest, a.digest);
    const g = await readGraph(join(ws.dir, '.idx-pool'));
    assert.is(graphDigest(g), a.digest, 'the stored graph has the digest the run reported');
  } finally {
    ws.cleanup();
  }
});

test('no-op re-run writes no new generation; touching a file re-hashes but keeps the digest', async () => {
  const ws = copyFixture('ts-app');
  try {
    const first = await indexTree(ws.dir);
    const again = await indexTree(ws.dir);
    assert.is(again.changed, false);
    assert.is(again.generation, first.generation);
    assert.is(again.digest, first.digest);
    const file = join(ws.dir, 'src/util.ts');
    const st = statSync(file);
    utimesSync(file, st.atime, new Date(st.mtimeMs + 10_000));
    const touched = await indexTree(ws.dir);
    assert.is(touched.files.unchanged, 1, 'the touched file was confirmed unchanged by its hash');
    assert.is(touched.files.parsed, 0);
    assert.is(touched.digest, first.digest);
    const after = await indexTree(ws.dir);
    assert.is(after.changed, false, 'the new mtime was recorded');
  } finally {
    ws.cleanup();
  }
});

test('incremental re-index equals a full rebuild (edit, add, delete)', async () => {
  const ws = mixedTree();
  try {
    await indexTree(ws.dir);
    // Edit: a new function that calls across files; add: a new module; delete: a leaf file.
    appendFileSync(
      join(ws.dir, 'ts-app/src/util.ts'),
      '\nexport function shout(m: string): void {\n  log(m.toUpperCase());\n}\n',
    );
    writeFileSync(
      join(ws.dir, 'ts-app/src/extra.ts'),
      "import { shout } from './util';\nexport function loud(): void {\n  shout('x');\n}\n",
    );
    rmSync(join(ws.dir, 'py-app/app.py'));
    mkdirSync(join(ws.dir, 'py-app/pkg/sub'));
    writeFileSync(
      join(ws.dir, 'py-app/pkg/sub/__init__.py'),
      'from ..models import audit\n\ndef run(u):\n    return audit(u)\n',
    );
    const inc = await indexTree(ws.dir);
    assert.is(inc.files.parsed, 3, 'only the edited and added files were parsed');
    assert.is(inc.files.deleted, 1);
    const full = await indexTree(ws.dir, { indexDir: join(ws.dir, '.idx-full') }, { rebuild: true });
    assert.is(inc.digest, full.digest);
    assert.is(inc.edges.total, full.edges.total);
    // The new cross-file call is resolved in the incremental generation.
    const g = await readGraph(join(ws.dir, '.leindex'));
    const names = g.strings;
    assert.ok(names.includes('loud') && names.includes('shout'));
  } finally {
    ws.cleanup();
  }
});

test('summary counts files, languages, skips by reason and phases', async () => {
  const ws = mixedTree();
  try {
    writeFileSync(join(ws.dir, 'notes.md'), '# not code\n');
    writeFileSync(join(ws.dir, 'blob.ts'), Buffer.from([0x65, 0x00, 0x01, 0x02]));
    const s = await indexTree(ws.dir);
    assert.is(s.files.indexed, s.files.parsed);
    assert.ok((s.languages.typescript ?? 0) >= 5);
    assert.ok((s.languages.python ?? 0) >= 4);
    assert.ok((s.languages.rust ?? 0) >= 4);
    assert.ok((s.languages.javascript ?? 0) >= 1);
    assert.is(s.skipped.byReason.binary, 1);
    assert.is(s.skipped.byReason['unsupported-language'], 1);
    assert.ok(s.phases.totalMs >= s.phases.parseMs);
    assert.ok(s.peakRssMb > 10);
    assert.ok(s.symbols.byKind.class !== undefined && s.symbols.byKind.method !== undefined);
  } finally {
    ws.cleanup();
  }
});

test.run();
