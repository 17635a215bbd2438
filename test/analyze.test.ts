// `analyze`: search seeds expanded by gravity within a token budget, on an indexed fixture
// repo and through the real CLI.

import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { analyzeQuery, focusDirs, identifiersIn } from '../src/query/analyze.js';
import { searchIndex } from '../src/query/search.js';
import { IndexSession } from '../src/query/session.js';
import {
  BIN,
  closeIndexedFixture,
  copyFixture,
  indexTree,
  openIndexedFixture,
  type Workspace,
} from './helpers/workspace.js';

let ws: Workspace;
let session: IndexSession;

test.before(async () => {
  ({ ws, session } = await openIndexedFixture('search-app'));
});

test.after(() => closeIndexedFixture({ ws, session }));

/** Every symbol the bundle shows, including methods shown inside their class. */
function shown(r: ReturnType<typeof analyzeQuery>): string[] {
  const out: string[] = [];
  for (const f of r.bundle.files) {
    for (const s of f.symbols) {
      out.push(s.qualifiedName);
      for (const a of s.absorbed) out.push(a.qualifiedName);
    }
  }
  return out;
}

test('identifiers are picked out of a question', () => {
  assert.equal(identifiersIn('why does parseConfig call load_config and Foo.bar twice?'), [
    'parseConfig',
    'load_config',
    'Foo.bar',
  ]);
  assert.equal(identifiersIn('where are sessions cleaned up'), []);
});

test('a question naming a directory focuses there: project names, not common words or broad trees', () => {
  const paths = [
    'python/flask-2.2.2/flask/app.py',
    'python/flask-2.2.2/flask/json/provider.py',
    'python/requests-2.28.1/requests/sessions.py',
    'rust/tokio-1.24.2/src/sync/mpsc/bounded.rs',
    'rust/tokio-util-0.7.3/src/codec/mod.rs',
    'rust/serde_json-1.0.87/src/de.rs',
    ...Array.from({ length: 30 }, (_, i) => `typescript/pkg${i}/src/request/index.ts`),
    ...Array.from({ length: 5 }, (_, i) => `python/tool${i}/main.py`),
  ];
  assert.equal(focusDirs(paths, 'How does Flask turn a request into a response?'), ['python/flask-2.2.2/']);
  // The outermost of nested names; `tokio-util` is another project.
  assert.equal(focusDirs(paths, 'how does a tokio mpsc Sender wait?'), ['rust/tokio-1.24.2/']);
  assert.equal(focusDirs(paths, 'how does serde_json::from_str read a string?'), ['rust/serde_json-1.0.87/']);
  // `python/` holds too much of the tree, `request/` names 30 directories, `src/` is generic.
  assert.equal(focusDirs(paths, 'which Python code handles the request in src?'), []);
  assert.equal(focusDirs(paths, 'where are sessions cleaned up'), []);
});

test('seeds come from the directory the question names', () => {
  const named = analyzeQuery(session, 'How does the lru LruCache evict old entries?', { budget: 2000 });
  assert.equal(named.focus, ['external/lru/']);
  assert.ok(
    named.seeds.length > 0 && named.seeds.every((s) => s.file.startsWith('external/lru/')),
    JSON.stringify(named.seeds),
  );
  // Unnamed, the project's own LruCache comes first.
  const plain = analyzeQuery(session, 'How does LruCache evict old entries?', { budget: 2000 });
  assert.equal(plain.focus, []);
  assert.is(plain.seeds[0]?.file, 'src/cache.ts');
});

test('an identifier form seeds only symbols of that name', () => {
  const r = analyzeQuery(session, 'is Clock.now used by retryWithBackoff', { budget: 2000 });
  assert.ok(
    r.seeds.some((s) => s.qualifiedName === 'Clock.now' && s.via === 'name Clock.now'),
    JSON.stringify(r.seeds),
  );
  for (const s of r.seeds) {
    const m = /^name (.*)$/.exec(s.via);
    if (m) assert.is(s.qualifiedName.split('.').pop(), m[1]?.split(/\.|::/).pop(), JSON.stringify(s));
  }
});

test('a class found by search brings its method most relevant to the question along', () => {
  const r = analyzeQuery(session, 'How does LruCache evict old entries?', { budget: 4000 });
  const cls = r.seeds.findIndex((s) => s.qualifiedName === 'LruCache');
  assert.ok(cls >= 0, JSON.stringify(r.seeds));
  const method = r.seeds.findIndex((s) => s.via.endsWith('method of LruCache'));
  assert.ok(method > cls, JSON.stringify(r.seeds));
  assert.ok(r.seeds[method]?.qualifiedName.startsWith('LruCache.'), JSON.stringify(r.seeds));
  assert.is(r.seeds[method]?.score, r.seeds[cls]?.score);
});

test('a declaration file seeds after the implementation it declares', async () => {
  const copy = copyFixture('search-app');
  try {
    mkdirSync(join(copy.dir, 'types'));
    // A declaration that matches the question better than the implementation does.
    writeFileSync(
      join(copy.dir, 'types/cache.d.ts'),
      `/** Eviction of the least-recently-used entry: when the cache is full, the oldest entry is evicted. */
export interface LruEviction {
  /** Evicts the oldest entry of a full cache. */
  evictOldest(): void;
}
`,
    );
    await indexTree(copy.dir);
    const s = IndexSession.open(copy.dir);
    try {
      const question = 'How does LruCache evict the oldest entry when full?';
      const plain = searchIndex(s, question, { limit: 5 }).hits;
      assert.is(plain[0]?.file, 'types/cache.d.ts', 'search alone ranks the declaration first');
      const r = analyzeQuery(s, question, { budget: 4000 });
      assert.is(r.seeds[0]?.file, 'src/cache.ts', JSON.stringify(r.seeds));
      const decl = r.seeds.findIndex((x) => x.file === 'types/cache.d.ts');
      assert.ok(
        decl < 0 || (r.seeds[decl]?.score ?? 1) <= 0.5 * (r.seeds[0]?.score ?? 0) + 0.1,
        JSON.stringify(r.seeds),
      );
    } finally {
      await s.close();
    }
  } finally {
    copy.cleanup();
  }
});

test('the answer holds the seed, stays in budget and is deterministic', () => {
  for (const budget of [300, 1000, 4000]) {
    const r = analyzeQuery(session, 'where are expired sessions cleaned up', { budget });
    assert.is(r.seeds[0]?.qualifiedName, 'SessionStore.purgeExpired');
    assert.ok(shown(r).includes('SessionStore.purgeExpired'), shown(r).join(', '));
    assert.ok(r.bundle.tokens <= budget || r.bundle.trimmed, `${r.bundle.tokens} > ${budget}`);
    assert.ok(r.bundle.files.length > 0, 'never empty');
    const again = analyzeQuery(session, 'where are expired sessions cleaned up', { budget });
    assert.equal(shown(again), shown(r));
  }
});

test('tests are not seeds unless asked for', () => {
  const r = analyzeQuery(session, 'purge expired sessions', { budget: 2000 });
  assert.ok(
    r.seeds.length > 0 && r.seeds.every((s) => !s.file.startsWith('tests/')),
    JSON.stringify(r.seeds),
  );
  // With room to spare a test may still be pulled in as a caller, after the code it tests.
  const names = shown(r);
  if (names.includes('testPurgeExpired')) {
    assert.ok(names.indexOf('SessionStore.purgeExpired') >= 0);
  }
  const withTests = analyzeQuery(session, 'testPurgeExpired', { budget: 2000, includeTests: true });
  assert.ok(shown(withTests).includes('testPurgeExpired'));
});

test('a larger budget reaches further: callees and types of the seed', () => {
  const r = analyzeQuery(session, 'retry a failing call with exponential backoff', { budget: 4000 });
  assert.is(r.seeds[0]?.qualifiedName, 'retryWithBackoff');
  const small = analyzeQuery(session, 'retry a failing call with exponential backoff', { budget: 150 });
  assert.ok(shown(small).length <= shown(r).length);
});

test('CLI: analyze --json and a question from stdin', () => {
  const r = spawnSync(
    process.execPath,
    [BIN, 'analyze', '-', '--path', ws.dir, '--tokens', '800', '--json'],
    { encoding: 'utf8', input: 'How is a password verified against the stored hash?' },
  );
  assert.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { seeds: { qualifiedName: string }[]; bundle: { tokens: number } };
  assert.is(out.seeds[0]?.qualifiedName, 'verifyPassword');
  assert.ok(out.bundle.tokens <= 800);
  const empty = spawnSync(process.execPath, [BIN, 'analyze', ' ', '--path', ws.dir], { encoding: 'utf8' });
  assert.is(empty.status, 2);
});

test.run();
