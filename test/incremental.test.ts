// Re-indexing after edits: every step of an edit sequence (comments, blank lines, docs, a call
// added, a symbol renamed, files added and deleted) gives the digest, dump and counts of a fresh
// index of the same tree, whether the run patched the previous graph (src/graph/patch.ts) or
// merged. And the patch's premise: a merge does not read the columns a patch writes over.

import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFixtures, editFile, indexTree, nearestOf, readDump, tempDir } from './helpers/workspace.js';
import { FragmentReader } from '../src/graph/fragment.js';
import { mergeFragments, type MergeInput } from '../src/graph/merge.js';
import { resolutionInputEqual } from '../src/graph/patch.js';
import { LANGUAGES, NONE } from '../src/protocol.js';
import { IndexReader } from '../src/store/read.js';
import type { IndexSummary } from '../src/pipeline/run-index.js';

const REPOS = ['ts-app', 'py-app', 'rs-app', 'ts-dispatch', 'py-flow', 'rs-flow', 'ts-flow'];

function tree(): ReturnType<typeof tempDir> {
  return copyFixtures(REPOS, 'leindex-incr-');
}

/** What a summary says about the tree (not about how the run went). */
function counts(s: IndexSummary): unknown {
  return {
    digest: s.digest,
    indexed: s.files.indexed,
    bytes: s.files.bytes,
    languages: s.languages,
    symbols: s.symbols,
    vectors: s.vectors,
    edges: s.edges,
    references: s.references,
    syntaxErrors: s.syntaxErrors,
  };
}

test('an edit sequence: after every step the index equals a fresh one; only layout-only edits patch', async () => {
  const ws = tree();
  const fresh = tempDir('leindex-incr-fresh-');
  const at = (p: string): string => join(ws.dir, p);
  const steps: { what: string; patched: boolean; keepsVectors?: boolean; change: () => void }[] = [
    {
      what: 'a comment appended',
      patched: true,
      keepsVectors: true,
      change: () => appendFileSync(at('ts-app/src/util.ts'), '\n// a note\n'),
    },
    {
      what: 'blank lines and a comment on top shift every position',
      patched: true,
      change: () =>
        writeFileSync(
          at('py-app/pkg/models.py'),
          `\n\n# models\n${readFileSync(at('py-app/pkg/models.py'), 'utf8')}`,
        ),
    },
    {
      what: 'a doc comment reworded over two lines',
      patched: true,
      change: () =>
        editFile(at('rs-app/sched/src/queue.rs'), '/// A FIFO of tasks.', '/// First in,\n/// first out.'),
    },
    {
      what: 'two files at once, one reindented',
      patched: true,
      change: () => {
        appendFileSync(at('ts-app/src/service.ts'), '\n/* trailing */\n');
        editFile(at('py-app/pkg/models.py'), '        return True', '        return  True  ');
      },
    },
    {
      // The file's vectors changed: the generation keeps the vector file and lists the file's
      // key as stale (its current vectors are searched from its fragment).
      what: 'a call added in a body',
      patched: false,
      keepsVectors: true,
      change: () =>
        editFile(at('ts-app/src/service.ts'), '  util.log(name);', '  util.log(name);\n  util.get(name);'),
    },
    {
      what: 'a method renamed',
      patched: false,
      change: () => editFile(at('py-app/pkg/models.py'), 'def rename(', 'def retitle('),
    },
    {
      what: 'a file added',
      patched: false,
      change: () =>
        writeFileSync(
          at('ts-app/src/extra.ts'),
          "import { log } from './util';\nexport function loud(): void {\n  log('x');\n}\n",
        ),
    },
    { what: 'a file deleted', patched: false, change: () => rmSync(at('py-app/app.py')) },
    {
      what: 'a comment again, after all that',
      patched: true,
      change: () =>
        editFile(at('ts-app/src/extra.ts'), 'export function loud', '// loud\nexport function loud'),
    },
  ];
  try {
    await indexTree(ws.dir);
    let patchedRuns = 0;
    for (const [n, step] of steps.entries()) {
      const vectorsBefore = await vectorFile(join(ws.dir, '.leindex'));
      step.change();
      const inc = await indexTree(ws.dir);
      if (step.keepsVectors !== undefined) {
        const after = await vectorFile(join(ws.dir, '.leindex'));
        assert.ok(after !== undefined, `${step.what}: a vector file`);
        assert.is(after === vectorsBefore, step.keepsVectors, `${step.what}: the vector file kept`);
      }
      const full = await indexTree(ws.dir, { indexDir: join(fresh.dir, `gen${n}`) }, { rebuild: true });
      assert.equal(
        await nearestOf(ws.dir, join(ws.dir, '.leindex')),
        await nearestOf(ws.dir, join(fresh.dir, `gen${n}`)),
        `${step.what}: same vector search results as a fresh index`,
      );
      assert.ok(inc.changed, `${step.what}: a new generation`);
      assert.is(inc.patched, step.patched, `${step.what}: patched`);
      assert.is(full.patched, false);
      assert.equal(counts(inc), counts(full), `${step.what}: same digest and counts as a fresh index`);
      assert.fixture(
        await readDump(join(ws.dir, '.leindex')),
        await readDump(join(fresh.dir, `gen${n}`)),
        `${step.what}: same dump (positions, docs, edges)`,
      );
      if (inc.patched) patchedRuns++;
    }
    assert.is(patchedRuns, steps.filter((s) => s.patched).length);
  } finally {
    ws.cleanup();
    fresh.cleanup();
  }
});

/** The vector file the current generation names. */
async function vectorFile(indexDir: string): Promise<string | undefined> {
  const reader = IndexReader.open(indexDir);
  try {
    return reader.info.vectors?.file;
  } finally {
    await reader.close();
  }
}

/** A copy of bytes (a Buffer's own slice() is a view). */
function copyOf(bytes: Uint8Array): Uint8Array {
  return Uint8Array.prototype.slice.call(bytes);
}

/** The merge inputs of a stored index, fragments copied out. */
async function storedInputs(indexDir: string): Promise<MergeInput[]> {
  const reader = IndexReader.open(indexDir);
  try {
    const files = reader.fileTable();
    return files.relPath.map((relPath, i) => ({
      relPath,
      language: LANGUAGES[files.language[i] ?? 0]!,
      contentHash: files.contentHash[i] ?? '',
      size: files.size[i] ?? 0,
      mtimeMs: files.mtimeMs[i] ?? 0,
      fragment: new FragmentReader(copyOf(reader.fragment(files.contentHash[i] ?? '')!)),
    }));
  } finally {
    await reader.close();
  }
}

/** A copy of a fragment with the columns a patch writes over (and docs) set to other values. */
function scrambled(frag: FragmentReader, seed: number): FragmentReader {
  const copy = new FragmentReader(copyOf(frag.bytes));
  const w = copy.words;
  let x = seed | 1;
  const next = (): number => {
    x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff;
    return x % 100_000;
  };
  for (const c of ['startOffset', 'endOffset', 'startLine', 'endLine', 'complexity'] as const) {
    const a = copy.symColumnAt(c);
    for (let r = 0; r < copy.symbolCount; r++) w[a + r] = next();
  }
  const doc = copy.symColumnAt('doc');
  for (let r = 0; r < copy.symbolCount; r++) w[doc + r] = NONE;
  for (const c of ['offset', 'line'] as const) {
    const a = copy.refColumnAt(c);
    for (let r = 0; r < copy.refCount; r++) w[a + r] = next();
  }
  return copy;
}

test('a merge reads no position, complexity or doc: scrambling them leaves ids, names and edges alone', async () => {
  const ws = tree();
  try {
    const s = await indexTree(ws.dir);
    assert.ok(s.edges.total > 100, `the tree resolves (${s.edges.total} edges)`);
    const inputs = await storedInputs(join(ws.dir, '.leindex'));
    const moved = inputs.map((i, n) => ({ ...i, fragment: scrambled(i.fragment, n + 1) }));
    for (const [n, i] of inputs.entries())
      assert.ok(resolutionInputEqual(i.fragment, moved[n]!.fragment), `${i.relPath}: equal for resolution`);
    const a = mergeFragments(inputs);
    const b = mergeFragments(moved);
    assert.ok(
      a.symbols.startLine.some((v, id) => v !== b.symbols.startLine[id]),
      'the scrambled positions reached the graph',
    );
    assert.equal(b.strings, a.strings);
    assert.equal(b.stats, a.stats);
    assert.is(b.fileSymbolCount, a.fileSymbolCount);
    for (const c of ['file', 'kind', 'name', 'qualifiedName', 'parent', 'flags'] as const)
      assert.equal(Array.from(b.symbols[c]), Array.from(a.symbols[c]), `symbols.${c}`);
    for (const part of ['forward', 'reverse'] as const)
      for (const c of ['offsets', 'targets', 'kinds', 'confidence'] as const)
        assert.equal(Array.from(b[part][c]), Array.from(a[part][c]), `${part}.${c}`);
  } finally {
    ws.cleanup();
  }
});

test('resolutionInputEqual: a renamed symbol, a changed reference or a moved parent is a difference', async () => {
  const ws = tree();
  try {
    await indexTree(ws.dir);
    const inputs = await storedInputs(join(ws.dir, '.leindex'));
    const frag = inputs.find((i) => i.fragment.symbolCount > 3 && i.fragment.refCount > 3)!.fragment;
    const changed = (col: (f: FragmentReader) => number, value: (old: number) => number): FragmentReader => {
      const copy = new FragmentReader(copyOf(frag.bytes));
      const at = col(copy);
      copy.words[at] = value(copy.words[at]!);
      return copy;
    };
    assert.ok(resolutionInputEqual(frag, new FragmentReader(copyOf(frag.bytes))), 'a copy is equal');
    const otherString = (old: number): number => (old + 1) % frag.stringCount;
    assert.not.ok(
      resolutionInputEqual(
        frag,
        changed((f) => f.symColumnAt('name') + 1, otherString),
      ),
      'name',
    );
    assert.not.ok(
      resolutionInputEqual(
        frag,
        changed((f) => f.refColumnAt('name') + 2, otherString),
      ),
      'ref name',
    );
    assert.not.ok(
      resolutionInputEqual(
        frag,
        changed(
          (f) => f.refColumnAt('kind') + 1,
          (k) => k + 1,
        ),
      ),
      'ref kind',
    );
    assert.not.ok(
      resolutionInputEqual(
        frag,
        changed(
          (f) => f.symColumnAt('parent') + 2,
          (p) => p + 1,
        ),
      ),
      'parent',
    );
    assert.not.ok(
      resolutionInputEqual(
        frag,
        changed(
          (f) => f.symColumnAt('flags') + 1,
          (v) => v ^ 1,
        ),
      ),
      'flags',
    );
  } finally {
    ws.cleanup();
  }
});

test.run();
