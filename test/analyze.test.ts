// `analyze`: search seeds expanded by gravity within a token budget, on an indexed fixture
// repo and through the real CLI.

import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { analyzeQuery, identifiersIn } from '../src/query/analyze.js';
import { IndexSession } from '../src/query/session.js';
import { BIN, copyFixture, indexTree, type Workspace } from './helpers/workspace.js';

let ws: Workspace;
let session: IndexSession;

test.before(async () => {
  ws = copyFixture('search-app');
  await indexTree(ws.dir);
  session = IndexSession.open(ws.dir);
});

test.after(async () => {
  await session.close();
  ws.cleanup();
});

/** Every symbol the bundle shows, including methods shown inside their class. */
function shown(r: ReturnType<typeof analyzeQuery>): string[] {
  const out: string[] = [];
  for (const f of r.bundle.files) {
    for (const s of f.symbols) {
      out.push(s.qualifiedName);
      for (const id of s.absorbed) out.push(session.symbol(id).qualifiedName);
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
