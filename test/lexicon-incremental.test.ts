// The incremental lexical and name indexes (src/search/lexicon.ts, names.ts): a re-index that
// changes a few files writes a delta over the previous base instead of a new index, and search
// over base + delta gives exactly the ids, scores, statistics and name lookups of a full rebuild; churn past the threshold
// compacts into a new base; bases no generation names are collected; a crash mid-index keeps
// the previous generation (and the base it reads) searchable; the same history gives the same
// blobs.

import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { IndexSession } from '../src/query/session.js';
import { COMPACT_SHARE, LEX_FILES_BLOB, LEX_LENGTHS_BLOB, LEX_REMAP_BLOB } from '../src/search/lexicon.js';
import { queryTermBag } from '../src/search/terms.js';
import { IndexReader } from '../src/store/read.js';
import { IndexWriter } from '../src/store/write.js';
import { runIndex } from '../src/pipeline/run-index.js';
import { BIN, indexTree, tempDir, testOptions } from './helpers/workspace.js';
import { prng as rng } from '../scripts/embed/linalg.js';

const WORDS = [
  'alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet',
  'kilo', 'lima', 'mike', 'november', 'oscar', 'papa', 'quebec', 'romeo', 'sierra', 'tango',
  'uniform', 'victor', 'whiskey', 'xray', 'yankee', 'zulu', 'amber', 'basalt', 'cobalt', 'dune',
]; // prettier-ignore

/** File i of a synthetic tree: three functions whose names and docs mix a skewed vocabulary. */
function source(i: number, variant = 0, extra = ''): string {
  const rand = rng(i * 7919 + variant);
  const word = (): string => WORDS[Math.floor(rand() ** 2 * WORDS.length)]!;
  const cap = (w: string): string => w[0]!.toUpperCase() + w.slice(1);
  let out = '';
  for (let f = 0; f < 3; f++) {
    const a = word();
    const b = word();
    out += `/** Turns the ${word()} into a ${word()} ${extra}. */\nexport function ${a}${cap(b)}${i}_${f}(x: number): number {\n  return x + ${f};\n}\n`;
  }
  return out;
}

function fileOf(root: string, i: number): string {
  return join(root, `pkg${i % 8}`, `mod${i}.ts`);
}

function writeTree(root: string, files: number): void {
  for (let i = 0; i < files; i++) {
    mkdirSync(join(root, `pkg${i % 8}`), { recursive: true });
    writeFileSync(fileOf(root, i), source(i));
  }
}

const QUERIES = [
  ...WORDS.map((w) => w),
  ...WORDS.map((w, i) => `${w} ${WORDS[(i * 7) % WORDS.length]!} ${WORDS[(i * 13) % WORDS.length]!}`),
  'turns the echo into a zulu',
  'pkg3 mod',
  'mod41',
  'zanzibar quokka',
  'quokka',
  'zanzibar',
];

interface Snapshot {
  generation: number;
  docCount: number;
  avgLength: number;
  results: string[];
}

/** Every query's top 40 lexical hits (ids and exact scores), the BM25 statistics, name lookups. */
function snapshot(indexDir: string): Snapshot {
  const s = IndexSession.open(dirname(indexDir), indexDir);
  try {
    const lex = s.lexical();
    const results = QUERIES.map((q) => {
      const r = lex.search(queryTermBag(q), 40);
      const terms = r.terms.map((t) => `${t.term}:${t.df}`).join(',');
      return `${q} [${terms}] ${Array.from(r.ids, (id, k) => `${id}=${r.scores[k]}`).join(' ')}`;
    });
    for (const w of [...WORDS, 'zanzibar', 'quokka', 'pkg5']) {
      const p = lex.postings(w);
      results.push(`${w}: ${p ? Array.from(p.docs, (d, k) => `${d}/${p.weights[k]}`).join(' ') : '-'}`);
    }
    // The name index: every name in order (the empty prefix), and prefixes.
    const names = s.names();
    for (const prefix of ['', 'a', 'z', ...WORDS])
      results.push(`names ${prefix}: ${names.prefixed(prefix, 100_000).join(' ')}`);
    return {
      generation: s.generation,
      docCount: lex.info.docCount,
      avgLength: lex.info.avgLength,
      results,
    };
  } finally {
    void s.close();
  }
}

async function lexiconInfo(indexDir: string) {
  const r = IndexReader.open(indexDir);
  try {
    return { generation: r.generation, lexicon: r.info.lexicon! };
  } finally {
    await r.close();
  }
}

/** A full rebuild of the same tree into another index: the reference. */
async function reference(root: string): Promise<Snapshot> {
  const indexDir = join(root, '.reference');
  rmSync(indexDir, { recursive: true, force: true });
  await indexTree(root, { indexDir, embeddings: false }, { rebuild: true });
  const snap = snapshot(indexDir);
  rmSync(indexDir, { recursive: true, force: true });
  return snap;
}

function assertSame(got: Snapshot, want: Snapshot, what: string): void {
  assert.is(got.docCount, want.docCount, `${what}: doc count`);
  assert.is(got.avgLength, want.avgLength, `${what}: average length`);
  for (let i = 0; i < want.results.length; i++) assert.is(got.results[i], want.results[i], what);
}

const FILES = 80;

test('a one-file edit writes a delta; search over base + delta equals a full rebuild exactly', async () => {
  const ws = tempDir();
  try {
    writeTree(ws.dir, FILES);
    const idx = join(ws.dir, '.leindex');
    const first = await indexTree(ws.dir, { embeddings: false });
    const before = snapshot(idx);
    assertSame(before, await reference(ws.dir), 'first build');
    const base = await lexiconInfo(idx);
    assert.is(base.lexicon.baseGeneration, first.generation, 'the first build writes a base');
    assert.is(base.lexicon.delta, undefined);

    // Edit: a new term in, the file's old terms out (mod41's function names change).
    writeFileSync(fileOf(ws.dir, 41), source(41, 1, 'zanzibar'));
    const second = await indexTree(ws.dir, { embeddings: false });
    const info = await lexiconInfo(idx);
    assert.is(info.lexicon.baseGeneration, first.generation, 'the edit reuses the base');
    assert.is(info.lexicon.delta?.files, 1);
    assert.is(info.lexicon.delta?.deadFiles, 1);
    const after = snapshot(idx);
    assert.is(after.generation, second.generation);
    assertSame(after, await reference(ws.dir), 'after one edit');

    const s = IndexSession.open(ws.dir, idx);
    try {
      const g = s.graph();
      const nameOf = (id: number): string => g.strings[g.symbols.name[id] ?? -1] ?? '';
      const fileNameOf = (id: number): string => g.files.relPath[g.symbols.file[id] ?? -1] ?? '';
      const hit = s.lexical().search(queryTermBag('zanzibar'), 10);
      assert.ok(hit.ids.length > 0, 'the new term is found');
      assert.ok(Array.from(hit.ids).every((id) => fileNameOf(id) === 'pkg1/mod41.ts'));
      // The old function names of mod41 are gone; every other file's still are.
      const oldNames = [...source(41).matchAll(/function (\w+)\(/g)].map((m) => m[1]!);
      for (const name of oldNames) {
        const ids = s.names().prefixed(name.toLowerCase(), 5);
        assert.is(ids.length, 0, `${name} is gone`);
      }
      const other = [...source(40).matchAll(/function (\w+)\(/g)].map((m) => m[1]!)[0]!;
      const found = s.lexical().search(queryTermBag(other.replace(/_\d+$/, '')), 200);
      assert.ok(
        Array.from(found.ids).some((id) => nameOf(id) === other),
        `an unchanged file's symbol ${other} is still found`,
      );
    } finally {
      await s.close();
    }
  } finally {
    ws.cleanup();
  }
});

test('dead counts follow files that die and come back: df and scores equal a full rebuild at every step', async () => {
  const ws = tempDir();
  try {
    writeTree(ws.dir, 120);
    const idx = join(ws.dir, '.leindex');
    const first = await indexTree(ws.dir, { embeddings: false });
    const steps: [string, () => void, number][] = [
      ['edit mod5', () => writeFileSync(fileOf(ws.dir, 5), source(5, 1, 'zanzibar')), 1],
      [
        'edit mod6, delete mod7',
        () => {
          writeFileSync(fileOf(ws.dir, 6), source(6, 1, 'quokka'));
          rmSync(fileOf(ws.dir, 7));
        },
        3,
      ],
      // Back to their base content: mod5 and mod7 are live base files again.
      [
        'restore mod5 and mod7',
        () => {
          writeFileSync(fileOf(ws.dir, 5), source(5));
          writeFileSync(fileOf(ws.dir, 7), source(7));
        },
        1,
      ],
      [
        'edit mod5 again, delete mod6',
        () => {
          writeFileSync(fileOf(ws.dir, 5), source(5, 2, 'quokka'));
          rmSync(fileOf(ws.dir, 6));
        },
        2,
      ],
    ];
    for (const [what, change, deadFiles] of steps) {
      change();
      await indexTree(ws.dir, { embeddings: false });
      const info = await lexiconInfo(idx);
      assert.is(info.lexicon.baseGeneration, first.generation, `${what}: a delta`);
      assert.is(info.lexicon.delta?.deadFiles, deadFiles, `${what}: dead files`);
      assertSame(snapshot(idx), await reference(ws.dir), what);
    }
  } finally {
    ws.cleanup();
  }
});

test('adds and deletes shift ids; a touch refreshes; churn past the threshold compacts; old bases are collected', async () => {
  const ws = tempDir();
  try {
    writeTree(ws.dir, FILES);
    const idx = join(ws.dir, '.leindex');
    const first = await indexTree(ws.dir, { embeddings: false });
    // Delete an early file and add one that sorts first: every later id shifts.
    rmSync(fileOf(ws.dir, 8));
    mkdirSync(join(ws.dir, 'aaa'), { recursive: true });
    writeFileSync(join(ws.dir, 'aaa', 'first.ts'), source(999, 0, 'quokka'));
    await indexTree(ws.dir, { embeddings: false });
    let info = await lexiconInfo(idx);
    assert.is(info.lexicon.baseGeneration, first.generation);
    assert.is(info.lexicon.delta?.files, 1);
    assert.is(info.lexicon.delta?.deadFiles, 1);
    assertSame(snapshot(idx), await reference(ws.dir), 'after add + delete');

    // Only an mtime moves: the refresh path keeps the delta and the base it names.
    const later = new Date(Date.now() + 60_000);
    utimesSync(fileOf(ws.dir, 3), later, later);
    const touched = await indexTree(ws.dir, { embeddings: false });
    assert.ok(touched.changed);
    info = await lexiconInfo(idx);
    assert.is(info.generation, touched.generation);
    assert.is(info.lexicon.baseGeneration, first.generation);
    assertSame(snapshot(idx), await reference(ws.dir), 'after a touch');
    const reader = IndexReader.open(idx);
    try {
      assert.ok(reader.blob(LEX_REMAP_BLOB), 'the refresh carries the delta');
      assert.is(
        reader.blob(LEX_LENGTHS_BLOB),
        undefined,
        'the base is read from its own generation, not copied',
      );
    } finally {
      await reader.close();
    }

    // Edit files one run at a time until the churn passes the threshold.
    let compactedAt = -1;
    for (let k = 0; k < FILES; k++) {
      writeFileSync(fileOf(ws.dir, 20 + k), source(20 + k, 2, 'quokka'));
      const r = await indexTree(ws.dir, { embeddings: false });
      info = await lexiconInfo(idx);
      const d = info.lexicon.delta;
      if (!d) {
        assert.is(info.lexicon.baseGeneration, r.generation, 'a compaction writes a new base');
        compactedAt = k;
        break;
      }
      assert.is(info.lexicon.baseGeneration, first.generation);
      // The delta holds every file changed since the base: k + 1 edits plus the added file.
      assert.is(d.files, k + 2);
      assert.ok(d.symbols + d.deadSymbols <= COMPACT_SHARE * info.lexicon.docCount * 1.1);
      if (k % 3 === 0) assertSame(snapshot(idx), await reference(ws.dir), `after ${k + 1} edits`);
    }
    assert.ok(compactedAt > 0, `compacted after ${compactedAt + 1} edits`);
    assertSame(snapshot(idx), await reference(ws.dir), 'after compaction');

    // The first base is still named by the previous generation; one more run and it is gone.
    writeFileSync(fileOf(ws.dir, 5), source(5, 3));
    const next = await indexTree(ws.dir, { embeddings: false });
    const r = IndexReader.open(idx);
    try {
      assert.is(r.info.lexicon?.baseGeneration, next.generation - 1);
      assert.is(r.blobAt(first.generation, LEX_FILES_BLOB), undefined, 'the old base was collected');
      assert.ok(r.blobAt(next.generation - 1, LEX_FILES_BLOB), 'the current base is there');
    } finally {
      await r.close();
    }
    assertSame(snapshot(idx), await reference(ws.dir), 'delta over the compacted base');
  } finally {
    ws.cleanup();
  }
});

test('the compaction share is honoured: 0 compacts at once, Infinity never', async () => {
  const ws = tempDir();
  try {
    writeTree(ws.dir, 30);
    const idx = join(ws.dir, '.leindex');
    const opts = testOptions(ws.dir, { embeddings: false });
    await runIndex({ root: ws.dir, options: opts });
    // A third of the files changed: far past the default share, kept as a delta on request.
    for (let i = 0; i < 10; i++) writeFileSync(fileOf(ws.dir, i), source(i, 5, 'quokka'));
    const kept = await runIndex({ root: ws.dir, options: opts, lexiconCompactShare: Infinity });
    let info = await lexiconInfo(idx);
    assert.is(info.lexicon.delta?.files, 10);
    assert.ok(info.lexicon.baseGeneration! < kept.generation);
    assertSame(snapshot(idx), await reference(ws.dir), 'a large delta');
    writeFileSync(fileOf(ws.dir, 12), source(12, 5));
    const compacted = await runIndex({ root: ws.dir, options: opts, lexiconCompactShare: 0 });
    info = await lexiconInfo(idx);
    assert.is(info.lexicon.delta, undefined);
    assert.is(info.lexicon.baseGeneration, compacted.generation);
    assertSame(snapshot(idx), await reference(ws.dir), 'forced compaction');
  } finally {
    ws.cleanup();
  }
});

test('a writer that dies before the switch leaves the previous generation and its base searchable', async () => {
  const ws = tempDir();
  try {
    writeTree(ws.dir, FILES);
    const idx = join(ws.dir, '.leindex');
    const first = await indexTree(ws.dir, { embeddings: false });
    writeFileSync(fileOf(ws.dir, 10), source(10, 1, 'zanzibar'));
    const second = await indexTree(ws.dir, { embeddings: false });
    assert.is((await lexiconInfo(idx)).lexicon.baseGeneration, first.generation);
    const want = snapshot(idx);
    // A run that began a generation and died (no publish): the next writer recovers from it.
    const { writer } = await IndexWriter.open(idx, { rebuild: false });
    writer.begin();
    await writer.close();
    const { writer: again } = await IndexWriter.open(idx, { rebuild: false });
    assert.is(again.crashedGeneration, second.generation + 1);
    await again.close();
    const got = snapshot(idx);
    assert.is(got.generation, second.generation);
    assertSame(got, want, 'after crash recovery');
  } finally {
    ws.cleanup();
  }
});

function runAndKill(root: string, afterMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [BIN, 'index', root, '--no-git', '--threads', '2', '--no-embeddings', '-q'],
      { stdio: 'ignore' },
    );
    let done = false;
    const timer = setTimeout(() => {
      if (!done) child.kill('SIGKILL');
    }, afterMs);
    child.on('exit', (_code, signal) => {
      done = true;
      clearTimeout(timer);
      resolve(signal === 'SIGKILL');
    });
  });
}

test('kill -9 mid-index over a delta generation: the previous lexicon stays searchable', async () => {
  const ws = tempDir();
  try {
    const files = 600;
    writeTree(ws.dir, files);
    const idx = join(ws.dir, '.leindex');
    const first = await indexTree(ws.dir, { embeddings: false });
    for (let i = 0; i < 5; i++) writeFileSync(fileOf(ws.dir, 100 + i), source(100 + i, 1, 'zanzibar'));
    const second = await indexTree(ws.dir, { embeddings: false });
    assert.is((await lexiconInfo(idx)).lexicon.baseGeneration, first.generation, 'a delta generation');
    const want = snapshot(idx);
    // Every file changes: the killed runs would write a new base.
    for (let i = 0; i < files; i++) writeFileSync(fileOf(ws.dir, i), source(i, 4, 'quokka'));
    let before = 0;
    for (const delay of [200, 500, 900, 1400, 2000, 3000]) {
      const killed = await runAndKill(ws.dir, delay);
      if (!killed) break;
      const got = snapshot(idx);
      if (got.generation === second.generation) {
        assertSame(got, want, `after a kill at ${delay} ms`);
        before++;
      } else {
        assertSame(got, await reference(ws.dir), `after a kill at ${delay} ms (after the switch)`);
      }
    }
    assert.ok(before >= 1, `killed before the switch at least once (${before})`);
    await indexTree(ws.dir, { embeddings: false });
    assertSame(snapshot(idx), await reference(ws.dir), 'the recovered index');
  } finally {
    ws.cleanup();
  }
});

test('the same history gives byte-identical lexicon blobs', async () => {
  const runs: Map<string, string>[] = [];
  for (let n = 0; n < 2; n++) {
    const ws = tempDir();
    try {
      writeTree(ws.dir, FILES);
      await indexTree(ws.dir, { embeddings: false });
      writeFileSync(fileOf(ws.dir, 30), source(30, 1, 'zanzibar'));
      rmSync(fileOf(ws.dir, 31));
      await indexTree(ws.dir, { embeddings: false });
      const r = IndexReader.open(join(ws.dir, '.leindex'));
      try {
        const blobs = new Map<string, string>();
        const base = r.info.lexicon!.baseGeneration!;
        const names = ['lex.remap', 'lex.dlen', 'lex.files', 'lex.lengths'];
        for (let b = 0; b < 1 << 16; b++) names.push(`lex.d.${b}`, `lex.b.${b}`);
        for (const name of names) {
          const bytes = r.blob(name) ?? r.blobAt(base, name);
          if (bytes) blobs.set(name, Buffer.from(bytes).toString('base64'));
        }
        assert.ok(blobs.has('lex.remap') && blobs.has('lex.d.0'));
        runs.push(blobs);
      } finally {
        await r.close();
      }
    } finally {
      ws.cleanup();
    }
  }
  assert.equal([...runs[0]!.entries()], [...runs[1]!.entries()]);
});

test.run();
