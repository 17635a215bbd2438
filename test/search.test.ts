// Hybrid search on an indexed fixture repo: expected top results for realistic queries,
// routing, the lexical index's postings, fusion arithmetic, demotion of tests and vendored
// code, filters, incremental updates reaching results, and bad queries through the real CLI.

import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ExitCode } from '../src/errors.js';
import { IndexSession } from '../src/query/session.js';
import { searchIndex, type SearchOptions } from '../src/query/search.js';
import { queryTermBag, termBag } from '../src/search/terms.js';
import { EdgeKind } from '../src/graph/graph.js';
import { SymbolKind } from '../src/protocol.js';
import { VECTOR_DIR } from '../src/pipeline/vectors.js';
import { stampVectorFile } from '../src/vector/format.js';
import { HnswVectors } from '../src/search/hnsw.js';
import { cosine, jsRowDots } from '../src/search/vectors.js';
import { i8Dots } from '../native/hnswview.js';
import { embedQuery } from '../src/embed/embedder.js';
import {
  closeIndexedFixture,
  copyFixture,
  indexTree,
  leindex,
  openIndexedFixture,
  tempDir,
  type Workspace,
} from './helpers/workspace.js';
import { writeFakeVectorWorker } from './helpers/vector-worker.js';

let ws: Workspace;
let session: IndexSession;

function top(query: string, opts: SearchOptions = {}): string[] {
  return searchIndex(session, query, { limit: 5, ...opts }).hits.map((h) => `${h.file}#${h.qualifiedName}`);
}

test.before(async () => {
  ({ ws, session } = await openIndexedFixture('search-app'));
});

test.after(() => closeIndexedFixture({ ws, session }));

const EXPECTED: [string, string][] = [
  ['where are expired sessions cleaned up', 'src/auth/sessions.ts#SessionStore.purgeExpired'],
  ['retry a failing request with exponential backoff', 'src/net/retry.ts#retryWithBackoff'],
  ['read configuration overrides from environment variables', 'src/config/env.py#env_override'],
  ['verify a password attempt', 'src/auth/password.ts#verifyPassword'],
  ['limit requests per second', 'src/net/retry.ts#RateLimiter'],
  ['compute a checksum', 'tools/compress.rs#crc32'],
  ['parse_config', 'src/config/parse_config.py#parse_config'],
  ['LruCache', 'src/cache.ts#LruCache'],
  ['SessionStore.revoke', 'src/auth/sessions.ts#SessionStore.revoke'],
];

for (const [query, want] of EXPECTED) {
  test(`top result for "${query}"`, () => {
    const got = top(query);
    assert.is(got[0], want, got.join(', '));
  });
}

test('a view read from the store agrees with the decoded graph; the vector file is stamped as it is', async () => {
  const fresh = IndexSession.open(ws.dir);
  const decoded = IndexSession.open(ws.dir);
  try {
    const g = decoded.graph();
    const a = fresh.view();
    const b = decoded.view();
    assert.equal(a.files.relPath, g.files.relPath);
    assert.equal(a.files.contentHash, g.files.contentHash);
    let withCallers = 0;
    for (let id = 0; id < g.symbols.kind.length; id++) {
      let n = 0;
      for (let e = g.reverse.offsets[id]!; e < g.reverse.offsets[id + 1]!; e++) {
        if (g.reverse.kinds[e] === EdgeKind.calls || g.reverse.kinds[e] === EdgeKind.imports) n++;
      }
      assert.is(a.callers(id), n, `callers of #${id} (store)`);
      assert.is(b.callers(id), n, `callers of #${id} (graph)`);
      if (n > 0) withCallers++;
    }
    assert.ok(withCallers > 0, 'some symbol has callers');
    const vectors = fresh.reader.info.vectors;
    assert.ok(vectors?.stamp, 'the generation records a stamp of its vector file');
    assert.equal(stampVectorFile(join(fresh.indexDir, VECTOR_DIR, vectors.file)), vectors.stamp);
  } finally {
    await fresh.close();
    await decoded.close();
  }
});

test('identifier queries route to name lookup, exact before prefix, prefix still found', () => {
  const exact = searchIndex(session, 'LruCache', { limit: 5 });
  assert.is(exact.intent, 'identifier');
  assert.ok((exact.hits[0]?.parts.name ?? 0) > 0);
  const prefix = top('purgeExp');
  assert.is(prefix[0], 'src/auth/sessions.ts#SessionStore.purgeExpired');
  // A name nobody has, with no shared term: nothing, rather than vector noise.
  assert.is(searchIndex(session, 'zzqxNotAThing', {}).hits.length, 0);
});

test('an exact name lookup is the leading exact-name run of the prefix lookup', () => {
  const g = session.view();
  const names = session.names();
  let checked = 0;
  for (const id of [0, 3, 7, 11, 20, 31]) {
    // Modules are not in the name index.
    if (id >= g.fileSymbolCount || g.symbols.kind[id] === SymbolKind.module) continue;
    const name = (g.str(g.symbols.name[id] ?? -1) ?? '').toLowerCase();
    if (name.length < 2) continue;
    // A shorter key, so the prefix list also holds longer names.
    for (const key of [name, name.slice(0, 2)]) {
      const all = names.prefixed(key, 200);
      const exact = names.prefixed(key, 200, true);
      const isExact = (i: number): boolean => (g.str(g.symbols.name[i] ?? -1) ?? '').toLowerCase() === key;
      assert.equal(exact, all.filter(isExact), key);
      assert.equal(exact, all.slice(0, exact.length), `${key}: exact names come first`);
      assert.ok(exact.every(isExact));
    }
    assert.ok(names.prefixed(name, 200, true).includes(id), name);
    checked++;
  }
  assert.ok(checked >= 3);
});

test('natural-language intents are detected', () => {
  assert.is(searchIndex(session, 'how does the session store work').intent, 'explain');
  assert.is(searchIndex(session, 'where is the password hashed').intent, 'locate');
  assert.is(searchIndex(session, 'slow complex code').intent, 'complexity');
});

test('the lexical index splits identifiers and stems both sides', () => {
  const bag = termBag({ name: 'purgeExpiredSessions', doc: 'Removes HTTPServer entries' });
  assert.ok(
    ['purge', 'expired', 'session', 'remove', 'http', 'server', 'entry'].every((t) => bag.has(t)),
    [...bag.keys()].join(' '),
  );
  const lex = session.lexical();
  const p = lex.postings('session');
  assert.ok(p && p.docs.length >= 3, 'session occurs in several symbols');
  const g = session.graph();
  const names = [...(p?.docs ?? [])].map((id) => g.strings[g.symbols.name[id] ?? -1]);
  assert.ok(names.includes('SessionStore'), names.join(','));
  assert.is(lex.postings('nonexistentterm'), undefined);
});

test('lexical: the dense scan and the touched list rank alike; each pass equals a search with its filter', () => {
  const lex = session.lexical();
  const g = session.graph();
  const inAuth = (id: number): boolean =>
    (g.files.relPath[g.symbols.file[id] ?? -1] ?? '').startsWith('src/auth/');
  for (const q of ['session', 'expired sessions cleaned up', 'retry request backoff password cache config']) {
    const bag = queryTermBag(q);
    // The auth files' symbols as id ranges (files are sorted by path, symbols by file).
    const within: { from: number; to: number }[] = [];
    g.files.relPath.forEach((path, f) => {
      if (path.startsWith('src/auth/'))
        within.push({ from: g.files.symbolStart[f]!, to: g.files.symbolStart[f + 1]! });
    });
    assert.ok(within.length >= 2, 'several auth files');
    const passes = [{ limit: 7 }, { limit: 3, accept: inAuth }, { limit: 3, accept: inAuth, within }];
    const dense = lex.searchPasses(bag, passes, 'dense');
    const touched = lex.searchPasses(bag, passes, 'touched');
    assert.ok(dense[0]!.ids.length > 0, q);
    for (let i = 0; i < passes.length; i++) {
      // `within` narrows the work, not the result: the third pass equals the second.
      const alone = lex.search(bag, passes[i]!.limit, passes[i]!.accept);
      for (const other of [dense[i]!, touched[i]!]) {
        assert.equal([...other.ids], [...alone.ids], `${q} pass ${i}`);
        assert.equal([...other.scores], [...alone.scores], `${q} pass ${i}`);
      }
    }
    assert.ok([...dense[1]!.ids].every(inAuth), 'the second pass keeps its filter');
    assert.ok(dense[2]!.ids.length > 0, 'the narrowed pass finds the auth symbols');
    // The accumulator is left clean: the same query scores the same the second time.
    assert.equal([...lex.search(bag, 7).scores], [...dense[0]!.scores]);
  }
});

test('a fused score is the weighted sum of its reported parts', () => {
  const r = searchIndex(session, 'hash a password with a salt', { limit: 10 });
  assert.ok(r.hits.length > 0);
  for (const h of r.hits) {
    const w = r.weights;
    let want =
      w.lexical * h.parts.lexical +
      w.vector * h.parts.vector +
      w.structure * h.parts.structure +
      h.parts.name;
    if (h.file.startsWith('tests/') || h.file.startsWith('external/')) want *= 0.6;
    assert.ok(Math.abs(h.score - want) < 2e-3, `${h.qualifiedName}: ${h.score} vs ${want}`);
  }
  // Both signals contribute: the top hit has lexical and vector evidence.
  assert.ok((r.hits[0]?.parts.lexical ?? 0) > 0 && (r.hits[0]?.parts.vector ?? 0) > 0);
});

test('tests and vendored code rank below the real thing unless asked for', () => {
  const q = 'purge expired sessions';
  assert.is(top(q)[0], 'src/auth/sessions.ts#SessionStore.purgeExpired');
  const lru = top('least recently used cache');
  assert.ok(
    lru.indexOf('src/cache.ts#LruCache') < lru.indexOf('external/lru/cache.js#LruCache'),
    lru.join(', '),
  );
  const withTests = searchIndex(session, 'testPurgeExpired', { includeTests: true, limit: 1 });
  assert.is(withTests.hits[0]?.qualifiedName, 'testPurgeExpired');
});

test('filters: language, path glob, kind, limit and offset', () => {
  const py = searchIndex(session, 'configuration', { languages: ['python'], limit: 20 });
  assert.ok(py.hits.length > 0 && py.hits.every((h) => h.language === 'python'));
  const net = searchIndex(session, 'request', { paths: ['src/net/**'], limit: 20 });
  assert.ok(net.hits.length > 0 && net.hits.every((h) => h.file.startsWith('src/net/')));
  const classes = searchIndex(session, 'cache', { kinds: ['class'], limit: 20 });
  assert.ok(classes.hits.length > 0 && classes.hits.every((h) => h.kind === 'class'));
  const all = top('session', { limit: 6 });
  const second = searchIndex(session, 'session', { limit: 3, offset: 3 }).hits.map(
    (h) => `${h.file}#${h.qualifiedName}`,
  );
  assert.equal(second, all.slice(3, 6));
});

test('one file does not flood the top of the list', () => {
  const hits = searchIndex(session, 'session store open revoke purge expired', { limit: 6 }).hits;
  const fromSessions = hits.slice(0, 4).filter((h) => h.file === 'src/auth/sessions.ts').length;
  assert.ok(fromSessions <= 3, hits.map((h) => h.file).join(', '));
});

test('a symbol vector read in passing equals the one from the cached fragment', () => {
  const g = session.view();
  let compared = 0;
  for (let id = 0; id < g.fileSymbolCount; id++) {
    const file = g.symbols.file[id]!;
    const fresh = IndexSession.open(ws.dir); // empty fragment cache: read in passing
    const passing = fresh.symbolVector(id);
    void fresh.close();
    const frag = session.fragment(file); // cached from now on
    const i = frag.vectorIndexOf(id - g.files.symbolStart[file]!);
    assert.equal(passing && Array.from(passing), i < 0 ? undefined : Array.from(frag.vector(i)));
    assert.equal(session.symbolVector(id), i < 0 ? undefined : frag.vector(i));
    if (i >= 0) compared++;
    if (compared >= 12) break;
  }
  assert.is(compared, 12);
});

test('batched similarities (one fragment read per file) equal one read per symbol', () => {
  const g = session.view();
  // Every file symbol, interleaved across files (odd ids, then even), so a file's rows are
  // scattered through the batch; some have no vector.
  const ids: number[] = [];
  for (let id = 1; id < g.fileSymbolCount; id += 2) ids.push(id);
  for (let id = 0; id < g.fileSymbolCount; id += 2) ids.push(id);
  const fresh = IndexSession.open(ws.dir); // empty fragment cache: read in passing
  const q = embedQuery(fresh.model(), 'expired sessions');
  const sims = fresh.vectors().similarities(ids, q);
  const one = ids.map((id) => fresh.vectors().similarity(id, q));
  void fresh.close();
  assert.is(sims.length, ids.length);
  let withVector = 0;
  ids.forEach((id, k) => {
    const single = session.symbolVector(id);
    assert.is(sims[k] === undefined, single === undefined, `symbol ${id}`);
    if (single) withVector++;
  });
  assert.ok(withVector > 10 && withVector < ids.length, `${withVector} of ${ids.length} have vectors`);
  assert.equal(sims, one);
});

test('similarity rows: the addon and the JS loop give the cosine of the dequantised vector, bit for bit', () => {
  const dim = 40; // not a multiple of 16 or 32
  const count = 60;
  let seed = 7;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const data = Int8Array.from({ length: count * dim }, (_, i) =>
    i < dim ? -128 : i < 2 * dim ? 127 : i < 3 * dim ? 0 : Math.floor(rand() * 256) - 128,
  );
  const scales = Float32Array.from({ length: count }, (_, r) =>
    r % 3 === 0
      ? Math.fround(rand() / 127)
      : r % 3 === 1
        ? Math.fround(1e-7 * rand())
        : Math.fround(3 + rand()),
  );
  const q = Float32Array.from({ length: dim }, () => rand() * 2 - 1);
  const rows = Int32Array.from({ length: count }, (_, j) => (j * 37) % count);
  // The reference: the dequantised Float32Array (FragmentReader.vector) and cosine().
  const expected = Array.from(rows, (r) => {
    const v = new Float32Array(dim);
    for (let k = 0; k < dim; k++) v[k] = data[r * dim + k]! * scales[r]!;
    return cosine(v, q);
  });
  assert.equal(Array.from(jsRowDots(data, scales, rows, q)), expected);
  const native = i8Dots(data, scales, rows, q);
  // Built wherever the CI runs (Linux); elsewhere the JS loop is the only path.
  if (process.platform === 'linux') assert.ok(native, 'native/hnswview has no dots()');
  if (native) assert.equal(Array.from(native), expected);
  assert.ok(new Set(expected).size > count / 2, 'the rows give distinct sums');
  if (native) assert.throws(() => i8Dots(data, scales, Int32Array.of(count), q), /outside/);
});

test('vectors opened in a worker (prefetchVectors, as the CLI does) rank exactly as in process', async () => {
  const background = IndexSession.open(ws.dir);
  try {
    background.prefetchVectors();
    for (const [query] of EXPECTED) {
      for (const mode of ['auto', 'semantic'] as const) {
        const a = searchIndex(session, query, { limit: 10, mode });
        const b = searchIndex(background, query, { limit: 10, mode });
        assert.equal(b.hits, a.hits, `${query} (${mode})`);
        assert.ok(
          b.hits.some((h) => h.parts.vector > 0),
          'vectors took part',
        );
      }
    }
  } finally {
    await background.close();
  }
});

test('a vector worker that dies costs only its head start: the file is opened in process', () => {
  const scratch = tempDir('leindex-dying-worker-');
  try {
    const dies = writeFakeVectorWorker(join(scratch.dir, 'dies.mjs'), 'process.exit(1);');
    assert.ok(session.reader.info.vectors?.file, 'the fixture index has a vector file');
    const q = session.model();
    const query = embedQuery(q, 'where are expired sessions cleaned up');
    const inProcess = new HnswVectors(session).nearest(query, 20);
    const fallback = new HnswVectors(session, { background: true, workerFile: dies });
    assert.ok(inProcess.ids.length > 0);
    assert.equal(fallback.nearest(query, 20), inProcess);
    fallback.release();
  } finally {
    scratch.cleanup();
  }
});

test('re-indexing after edits updates results (added, changed and deleted files)', async () => {
  const local = copyFixture('search-app');
  try {
    await indexTree(local.dir);
    writeFileSync(
      join(local.dir, 'src/auth/keys.ts'),
      '/** Rotates the signing keys every night. */\nexport function rotateSigningKeys(): void {}\n',
    );
    rmSync(join(local.dir, 'tools/compress.rs'));
    await indexTree(local.dir);
    const s = IndexSession.open(local.dir);
    try {
      assert.is(searchIndex(s, 'rotate signing keys').hits[0]?.qualifiedName, 'rotateSigningKeys');
      assert.ok(
        searchIndex(s, 'crc32 checksum', { limit: 20 }).hits.every((h) => h.file !== 'tools/compress.rs'),
      );
    } finally {
      await s.close();
    }
  } finally {
    local.cleanup();
  }
});

test('CLI: --json fields, stdin query, exit 1 on no match, bad queries', () => {
  const json = leindex(['search', 'exponential backoff', '--path', ws.dir, '--json', '--limit', '2']);
  assert.is(json.code, 0, json.stderr);
  const rows = JSON.parse(json.stdout) as Record<string, unknown>[];
  assert.is(rows.length, 2);
  for (const k of ['file', 'symbol', 'kind', 'start_line', 'end_line', 'score']) assert.ok(k in rows[0]!, k);
  assert.is(rows[0]!.file, 'src/net/retry.ts');
  assert.is(rows[0]!.start_line, 2);

  const report = `Bug: users stay logged in forever.\n${'The session never expires and purge does nothing. '.repeat(2000)}`;
  const stdin = leindex(['search', '-', '--path', ws.dir, '--json'], { input: report });
  assert.is(stdin.code, 0, stdin.stderr);
  assert.match(stdin.stderr, 'query cut');
  assert.ok((JSON.parse(stdin.stdout) as { symbol: string }[]).some((r) => r.symbol === 'purgeExpired'));

  assert.is(leindex(['search', '', '--path', ws.dir]).code, ExitCode.usage);
  const punct = leindex(['search', '?!.,;', '--path', ws.dir]);
  assert.is(punct.code, ExitCode.noMatch, punct.stderr);
  const stop = leindex(['search', 'the and of to', '--path', ws.dir]);
  assert.ok(stop.code === ExitCode.noMatch || stop.code === 0, stop.stderr);
  const unicode = leindex(['search', 'пароль 🔑 verify password', '--path', ws.dir, '--json']);
  assert.is(unicode.code, 0, unicode.stderr);
  assert.is((JSON.parse(unicode.stdout) as { symbol: string }[])[0]?.symbol, 'verifyPassword');
  assert.is(leindex(['search', 'x', '--path', ws.dir, '--kind', 'nonsense']).code, ExitCode.usage);
});

test('CLI: a missing index is a clear error (exit 3)', () => {
  const empty = tempDir();
  try {
    const r = leindex(['search', 'anything', '--path', empty.dir]);
    assert.is(r.code, ExitCode.indexMissing);
    assert.match(r.stderr, 'leindex index');
    assert.is(r.stdout, '');
  } finally {
    empty.cleanup();
  }
});

test.run();
