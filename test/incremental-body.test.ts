// Re-indexing after code edits inside function bodies: after every step of an edit sequence the
// index equals a fresh one (digest, dump, counts), whether the run re-resolved only the changed
// files (src/graph/patch-resolve.ts) or merged everything; and the steps that must re-resolve
// alone do, those that change what other files read do not.

import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFixtures, editFile, indexTree, nearestOf, readDump, tempDir } from './helpers/workspace.js';
import { DELTA_LIMITS } from '../src/pipeline/vectors.js';
import { IndexReader } from '../src/store/read.js';
import type { IndexSummary } from '../src/pipeline/run-index.js';

const REPOS = ['ts-app', 'py-app', 'rs-app', 'ts-flow', 'ts-dispatch'];

/** What a summary says about the tree (not about how the run went). */
function counts(s: IndexSummary): unknown {
  return {
    digest: s.digest,
    indexed: s.files.indexed,
    symbols: s.symbols,
    edges: s.edges,
    references: s.references,
  };
}

test('body edits: after every step the index equals a fresh one; body-only edits re-resolve alone', async () => {
  const ws = copyFixtures(REPOS, 'leindex-body-');
  const fresh = tempDir('leindex-body-fresh-');
  const at = (p: string): string => join(ws.dir, p);
  const service = 'ts-app/src/service.ts';
  const saved = readFileSync(at(service), 'utf8');
  // alone: true when the step must take the path, false when it must not, undefined: either.
  // fold: the vector file is rewritten with every stale key folded in (DELTA_LIMITS.keys set
  // to 1 for the step); otherwise the file is kept and the changed files' keys listed stale.
  const steps: { what: string; alone: boolean | undefined; fold?: boolean; change: () => void }[] = [
    {
      what: "a call of another file's function added in a body",
      alone: true,
      change: () => editFile(at(service), '  util.log(name);', '  util.log(name);\n  util.get(name);'),
    },
    {
      what: 'a call removed',
      alone: true,
      change: () => editFile(at(service), '  r.save(u);\n', ''),
    },
    {
      what: 'a call through a local typed by `new` added (dispatch from local facts)',
      alone: true,
      change: () =>
        editFile(
          at(service),
          '  return cache.get(key);',
          '  const r = new Repository();\n  r.save(key);\n  return cache.get(key);',
        ),
    },
    {
      what: 'a Rust body calls another function',
      alone: true,
      change: () =>
        editFile(
          at('rs-app/sched/src/runner.rs'),
          '        n += 1;',
          '        n += 1;\n        n = crate::util::clamp(n);',
        ),
    },
    {
      what: 'two files at once, past the stale-key limit of the vector file',
      alone: true,
      fold: true,
      change: () => {
        editFile(at(service), '  util.get(name);\n', '');
        editFile(at('rs-app/sched/src/runner.rs'), '    let mut n = 0;', '    let mut n = 0;\n    q.pop();');
      },
    },
    {
      what: 'a Python body whose uses make an external node (`os` of `import os.path`) calls again',
      alone: true,
      change: () =>
        editFile(
          at('py-app/pkg/service.py'),
          '    models.audit(u)\n',
          '    models.audit(u)\n    models.audit(u)\n',
        ),
    },
    {
      what: 'the use that made that external node removed (ids would move)',
      alone: false,
      change: () => editFile(at('py-app/pkg/service.py'), 'User(os.path.basename(name))', 'User(name)'),
    },
    {
      what: 'a field written in another method (a flowsState write)',
      alone: false,
      change: () =>
        editFile(
          at('ts-flow/src/flow/counter.ts'),
          '    return this.total;',
          '    this.total = 1;\n    return this.total;',
        ),
    },
    {
      what: 'a module-level name read in another function (a flowsState read)',
      alone: false,
      change: () =>
        editFile(
          at('ts-flow/src/state.ts'),
          'export function describeMode(): string {',
          'export function describeMode(): string {\n  void writes;',
        ),
    },
    {
      what: 'a constructor field assignment changed',
      alone: undefined,
      change: () =>
        editFile(
          at('py-app/pkg/models.py'),
          '        self.name = name\n',
          '        self.name = name.strip()\n',
        ),
    },
    {
      what: 'a function added',
      alone: false,
      change: () =>
        writeFileSync(
          at(service),
          `${readFileSync(at(service), 'utf8')}\nexport function extra(): void {\n  util.log('x');\n}\n`,
        ),
    },
    { what: 'a file deleted', alone: false, change: () => rmSync(at(service)) },
    { what: 'the file restored', alone: false, change: () => writeFileSync(at(service), saved) },
    {
      what: 'a body edit after all that',
      alone: true,
      change: () =>
        editFile(at(service), '  util.log(name);', '  util.log(name);\n  util.log(name);\n  util.get(name);'),
    },
  ];
  try {
    await indexTree(ws.dir);
    let aloneRuns = 0;
    const keysLimit = DELTA_LIMITS.keys;
    for (const [n, step] of steps.entries()) {
      const before = await vectorRecord(join(ws.dir, '.leindex'));
      step.change();
      if (step.fold) DELTA_LIMITS.keys = 1;
      let inc: IndexSummary;
      try {
        inc = await indexTree(ws.dir);
      } finally {
        DELTA_LIMITS.keys = keysLimit;
      }
      const after = await vectorRecord(join(ws.dir, '.leindex'));
      assert.ok(before && after, `${step.what}: a vector file`);
      if (step.fold) {
        assert.is.not(after.file, before.file, `${step.what}: the vector file rewritten`);
        assert.is(after.stale, undefined, `${step.what}: no stale keys after the fold`);
      } else {
        assert.is(after.file, before.file, `${step.what}: the vector file kept`);
        assert.ok((after.stale?.length ?? 0) > 0, `${step.what}: stale keys listed`);
      }
      const full = await indexTree(ws.dir, { indexDir: join(fresh.dir, `gen${n}`) }, { rebuild: true });
      assert.ok(inc.changed, `${step.what}: a new generation`);
      assert.is(inc.patched, false, `${step.what}: not a layout-only patch`);
      const alone = (inc.reresolved ?? 0) > 0;
      if (step.alone !== undefined)
        assert.is(alone, step.alone, `${step.what}: re-resolved alone (${inc.mergeReason ?? 'no reason'})`);
      if (!alone && step.alone === false) assert.ok(inc.mergeReason, `${step.what}: says why it merged`);
      assert.equal(counts(inc), counts(full), `${step.what}: same digest and counts as a fresh index`);
      assert.fixture(
        await readDump(join(ws.dir, '.leindex')),
        await readDump(join(fresh.dir, `gen${n}`)),
        `${step.what}: same dump (positions, docs, edges)`,
      );
      assert.equal(
        await nearestOf(ws.dir, join(ws.dir, '.leindex')),
        await nearestOf(ws.dir, join(fresh.dir, `gen${n}`)),
        `${step.what}: same vector search results as a fresh index`,
      );
      if (alone) aloneRuns++;
    }
    assert.ok(aloneRuns >= steps.filter((s) => s.alone).length);
  } finally {
    ws.cleanup();
    fresh.cleanup();
  }
});

/** The vector file record of the current generation. */
async function vectorRecord(indexDir: string): Promise<{ file: string; stale?: unknown[] } | undefined> {
  const reader = IndexReader.open(indexDir);
  try {
    return reader.info.vectors;
  } finally {
    await reader.close();
  }
}

test.run();
