// Tests for the graph blob (BLOB.graph, schema 7) and its in-place read: the rows and strings
// a session reads through views into the store's memory map are those of the decoded graph,
// for a blob lmdb-js maps (over 16 MB) and one it copies; the views stay valid while later
// generations are written; the name index (schema 8) read in place when large, copied when
// small, answering as the sorted table does; an index of schema 6 or 7 is refused with a
// clear error. Main thread.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { EdgeKind, type IndexGraph } from '../src/graph/graph.js';
import { LeindexError } from '../src/errors.js';
import { LazyStrings } from '../src/store/codec.js';
import { encodeGraph, type GenerationInfo, type GraphColumns } from '../src/store/layout.js';
import { IN_PLACE_BYTES, IndexReader } from '../src/store/read.js';
import { IndexWriter } from '../src/store/write.js';
import { NAMES_BASE_TABLE, NameIndex, encodeNameIndex } from '../src/search/names.js';
import { SymbolKind } from '../src/protocol.js';
import { IndexSession } from '../src/query/session.js';
import { tempDir } from './helpers/workspace.js';
import { publish, syntheticGraph } from './helpers/synthetic-graph.js';

/**
 * Publishes syntheticGraph(n, strLen, seed) as a new generation from another process, as
 * `leindex index` would (lmdb-js refuses a writer on a store this process already reads).
 */
function publishElsewhere(indexDir: string, n: number, strLen: number, seed: number): void {
  const helper = new URL('./helpers/synthetic-graph.js', import.meta.url).href;
  const code = `const m = await import(${JSON.stringify(helper)}); await m.publish(${JSON.stringify(indexDir)}, m.syntheticGraph(${n}, ${strLen}, ${seed}), false);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
}

/** Every row, edge and string of the views equals the graph's. */
function assertSame(cols: GraphColumns, g: IndexGraph): void {
  for (const [name, want] of Object.entries(g.symbols) as [string, Int32Array][]) {
    const got = (cols.symbols as unknown as Record<string, Int32Array>)[name];
    assert.ok(got, `column ${name}`);
    assert.ok(
      Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(
        Buffer.from(want.buffer, want.byteOffset, want.byteLength),
      ),
      `column ${name}`,
    );
  }
  for (const part of ['forward', 'reverse'] as const) {
    for (const [name, want] of Object.entries(g[part]) as [string, Int32Array][]) {
      const got = (cols[part] as unknown as Record<string, Int32Array>)[name]!;
      assert.equal(Array.from(got), Array.from(want), `${part}.${name}`);
    }
  }
  const lazy = new LazyStrings(cols.strings);
  assert.is(lazy.length, g.strings.length);
  for (let i = g.strings.length - 1; i >= 0; i -= 97) assert.is(lazy.get(i), g.strings[i]);
  assert.is(lazy.get(5), 'naïve 日本語');
}

test('a graph blob read in place (mapped, 16 MB or more) or copied gives the decoded graph', async () => {
  const ws = tempDir();
  try {
    // ~17.6 MB of strings: lmdb-js hands the value out as a view into its map.
    for (const [n, strLen, mapped] of [
      [40_000, 220, true],
      [2_000, 20, false],
    ] as const) {
      const dir = join(ws.dir, `idx-${n}`);
      const g = syntheticGraph(n, strLen, 3);
      await publish(dir, g, true);
      const reader = IndexReader.open(dir);
      try {
        const cols = reader.graphColumns();
        assert.is(reader.graphInPlace, mapped, mapped ? 'read in place' : 'copied');
        assertSame(cols, g);
        const whole = reader.graph();
        assert.equal(whole.strings, g.strings);
        assert.equal(Array.from(whole.symbols.qualifiedName), Array.from(g.symbols.qualifiedName));
        assert.equal(Array.from(whole.reverse.targets), Array.from(g.reverse.targets));
      } finally {
        await reader.close();
      }
    }
  } finally {
    ws.cleanup();
  }
});

test('a session view reads the same rows as the whole graph, and in-place views survive later generations', async () => {
  const ws = tempDir();
  try {
    const dir = join(ws.dir, 'idx');
    const first = syntheticGraph(40_000, 220, 1);
    await publish(dir, first, true);
    const session = IndexSession.open(ws.dir, dir);
    try {
      const view = session.view();
      assert.is(session.reader.graphInPlace, true);
      // Two more generations: the first one's pages are freed, and LMDB may reuse them only
      // once no reader's snapshot can see them (the session's reader holds one).
      publishElsewhere(dir, 40_000, 220, 2);
      publishElsewhere(dir, 40_000, 220, 4);
      const latest = IndexReader.open(dir);
      assert.is(latest.generation, 3, 'two generations published since');
      await latest.close();
      for (let id = 0; id < 40_000; id += 13) {
        assert.is(view.str(view.symbols.name[id]!), first.strings[first.symbols.name[id]!]);
        assert.is(view.symbols.startLine[id], first.symbols.startLine[id]);
        assert.is(view.symbols.file[id], first.symbols.file[id]);
        let calls = 0;
        for (let e = first.reverse.offsets[id]!; e < first.reverse.offsets[id + 1]!; e++) {
          if (first.reverse.kinds[e] === EdgeKind.calls || first.reverse.kinds[e] === EdgeKind.imports)
            calls++;
        }
        assert.is(view.callers(id), calls, `callers of ${id}`);
      }
      // The governor's release drops the view; the next one reads the same generation again.
      session.releaseCaches();
      const again = session.view();
      assert.is.not(again, view);
      assert.is(
        again.str(again.symbols.qualifiedName[39_999]!),
        first.strings[first.symbols.qualifiedName[39_999]!],
      );
    } finally {
      await session.close();
    }
  } finally {
    ws.cleanup();
  }
});

test('an index written with schema 6 (separate graph blobs) or 7 (two name blobs) is refused with a clear error', async () => {
  const ws = tempDir();
  try {
    for (const schema of [6, 7]) {
      const dir = join(ws.dir, `idx-${schema}`);
      await publish(dir, syntheticGraph(100, 10, 0), true);
      const { open } = await import('lmdb');
      const env = open({ path: join(dir, 'store'), maxDbs: 8 });
      await env.openDB('meta', {}).put('schema', schema);
      await env.close();
      let err: unknown;
      try {
        IndexReader.open(dir);
      } catch (e) {
        err = e;
      }
      assert.instance(err, LeindexError);
      assert.is((err as LeindexError).code, 'E_SCHEMA_MISMATCH');
      assert.match((err as LeindexError).message, `schema ${schema}`);
      assert.match((err as LeindexError).hint ?? '', 'leindex index');
    }
  } finally {
    ws.cleanup();
  }
});

/** Publishes `g` with its name index as a full build writes it (a base run of every file). */
async function publishWithNames(indexDir: string, g: IndexGraph): Promise<Record<string, Uint8Array>> {
  const { writer } = await IndexWriter.open(indexDir, { rebuild: true });
  try {
    writer.begin();
    const names = encodeNameIndex(g);
    await writer.publish(
      g.stats,
      { ...encodeGraph(g).blobs, ...names },
      {
        root: '/nowhere',
        createdAt: new Date(0).toISOString(),
        fileSymbolCount: g.fileSymbolCount,
        digest: '',
        lexicon: { baseGeneration: writer.nextGeneration } as NonNullable<GenerationInfo['lexicon']>,
      },
      [],
      {},
    );
    return names;
  } finally {
    await writer.close();
  }
}

test('a large name index is read in place, a small one copied, and both answer as the sorted table', async () => {
  const ws = tempDir();
  try {
    // 60k names of ~30 bytes: a 2.4 MB table, padded past lmdb-js's threshold; 2k: a copy.
    for (const [n, inPlace] of [
      [60_000, true],
      [2_000, false],
    ] as const) {
      const dir = join(ws.dir, `names-${n}`);
      const base = syntheticGraph(n, 30, 7);
      const q = n / 4;
      // Every symbol in one of the four files (the helper's table covers only the first few).
      const g: IndexGraph = {
        ...base,
        files: { ...base.files, symbolStart: Int32Array.from([0, q, 2 * q, 3 * q, n]) },
      };
      const blobs = await publishWithNames(dir, g);
      assert.is(blobs[NAMES_BASE_TABLE]!.byteLength === IN_PLACE_BYTES, inPlace, 'padded only when large');
      // The reference: (lower-cased name, id) of every non-module symbol, sorted.
      const all = Array.from({ length: n }, (_, id) => id)
        .filter((id) => g.symbols.kind[id] !== SymbolKind.module)
        .map((id) => ({ id, name: g.strings[g.symbols.name[id]!]!.toLowerCase() }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id - b.id));
      const reader = IndexReader.open(dir);
      try {
        const index = NameIndex.open(reader);
        assert.is(index.inPlace, inPlace, inPlace ? 'read in place' : 'copied');
        for (const prefix of ['7:1', '7:2468', '7:10:', `7:${2 * (n - 1)}:`, 'naïve', 'absent', '7:']) {
          const want = all.filter((e) => e.name.startsWith(prefix)).slice(0, 50);
          assert.equal(
            index.prefixed(prefix, 50),
            want.map((e) => e.id),
            `prefix ${prefix}`,
          );
        }
        assert.ok(index.prefixed('7:1', 50).length === 50, 'a prefix with many names');
      } finally {
        await reader.close();
      }
    }
  } finally {
    ws.cleanup();
  }
});

test.run();
