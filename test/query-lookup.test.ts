// Symbol lookup on the fixture repos indexed into temp dirs: every spec form, the ranking
// rule (tier, non-test, exported, callers) with ambiguity reported, and not-found errors
// that suggest close names.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LeindexError } from '../src/errors.js';
import { resolveSymbol } from '../src/query/lookup.js';
import { IndexSession } from '../src/query/session.js';
import { copyFixture, indexTree, tempDir, type Workspace } from './helpers/workspace.js';

const open: { ws: Workspace; session: IndexSession }[] = [];

async function indexed(name: string): Promise<IndexSession> {
  const ws = copyFixture(name);
  await indexTree(ws.dir);
  const session = IndexSession.open(ws.dir);
  open.push({ ws, session });
  return session;
}

async function generated(files: Record<string, string>): Promise<IndexSession> {
  const ws = tempDir('leindex-lookup-');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(ws.dir, path)), { recursive: true });
    writeFileSync(join(ws.dir, path), text);
  }
  await indexTree(ws.dir);
  const session = IndexSession.open(ws.dir);
  open.push({ ws, session });
  return session;
}

function notFound(fn: () => unknown): LeindexError {
  try {
    fn();
  } catch (err) {
    assert.instance(err, LeindexError);
    assert.is((err as LeindexError).code, 'E_SYMBOL_NOT_FOUND');
    return err as LeindexError;
  }
  throw new Error('expected E_SYMBOL_NOT_FOUND');
}

test.after(async () => {
  for (const { ws, session } of open) {
    await session.close();
    ws.cleanup();
  }
});

test('every spec form resolves (TypeScript)', async () => {
  const s = await indexed('ts-app');
  const qn = (spec: string): string => resolveSymbol(s, spec).chosen.qualifiedName;
  assert.is(qn('src/repo.ts:Repo.save'), 'Repo.save');
  assert.is(qn('./src/repo.ts:Repo.save'), 'Repo.save');
  assert.is(qn('src/repo.ts#Repo.save'), 'Repo.save');
  assert.is(resolveSymbol(s, 'src/repo.ts:Repo.save').chosen.match, 'qualifiedName');
  assert.is(qn('src/repo.ts:7'), 'Repo.save'); // the innermost symbol on line 7
  assert.is(qn('src/repo.ts:4'), 'Repo.items');
  assert.is(resolveSymbol(s, 'src/repo.ts').chosen.kind, 'module');
  assert.is(resolveSymbol(s, 'src/repo.ts').chosen.match, 'path');
  assert.is(qn('Repo.save'), 'Repo.save');
  const bare = resolveSymbol(s, 'validate');
  assert.is(bare.chosen.qualifiedName, 'Repo.validate');
  assert.is(bare.chosen.match, 'name');
  assert.is(bare.ambiguous, false);
  // `repo` is the module's own name; `REPO` only matches ignoring case, the class before the module.
  assert.is(resolveSymbol(s, 'repo').chosen.kind, 'module');
  const loose = resolveSymbol(s, 'REPO');
  assert.is(loose.chosen.match, 'caseInsensitive');
  assert.is(loose.chosen.qualifiedName, 'Repo');
});

test('a name defined twice is ambiguous: ranked by the rule, all candidates listed', async () => {
  const s = await indexed('ts-app');
  const r = resolveSymbol(s, 'greet');
  assert.ok(r.ambiguous);
  assert.is(r.total, 2);
  // Same tier, neither test nor exported: User.greet has a caller (Admin.greet's super call).
  assert.is(r.chosen.qualifiedName, 'User.greet');
  assert.equal(
    r.candidates.map((c) => c.qualifiedName),
    ['User.greet', 'Admin.greet'],
  );
  assert.ok(r.candidates[0]!.callers > r.candidates[1]!.callers);
  assert.match(r.rule, 'exact qualified name');
  // A file narrows it down.
  assert.is(resolveSymbol(s, 'src/models/user.ts:Admin.greet').ambiguous, false);
});

test('Rust paths with :: and Python qualified names', async () => {
  const rs = await indexed('rs-app');
  assert.is(resolveSymbol(rs, 'TaskQueue::pop').chosen.qualifiedName, 'TaskQueue.pop');
  assert.is(resolveSymbol(rs, 'sched/src/queue.rs:TaskQueue::new').chosen.qualifiedName, 'TaskQueue.new');
  assert.is(resolveSymbol(rs, 'taskqueue').chosen.qualifiedName, 'TaskQueue');
  const py = await indexed('py-app');
  assert.is(resolveSymbol(py, 'Base.save').chosen.file, 'pkg/models.py');
  assert.is(resolveSymbol(py, 'pkg/models.py:User.rename').chosen.kind, 'method');
  assert.is(resolveSymbol(py, 'create').chosen.file, 'pkg/service.py');
});

test('ranking: non-test before test, exported before not, more callers first', async () => {
  const s = await generated({
    'src/a.ts':
      'export function helper(): number { return 1; }\nexport function useA() { return helper(); }\n',
    'src/b.ts':
      'function helper(): number { return 2; }\nexport function useB() { return helper() + helper(); }\n',
    'tests/helper.test.ts': 'export function helper(): number { return 3; }\n',
  });
  const r = resolveSymbol(s, 'helper');
  assert.is(r.total, 3);
  assert.is(r.chosen.file, 'src/a.ts'); // exported and not a test
  assert.equal(
    r.candidates.map((c) => c.file),
    ['src/a.ts', 'src/b.ts', 'tests/helper.test.ts'],
  );
  assert.ok(r.candidates[2]!.test);
  assert.ok(r.ambiguous);
});

test('not found: close names in the hint; a path that is not indexed says so', async () => {
  const s = await indexed('ts-app');
  const typo = notFound(() => resolveSymbol(s, 'gret'));
  assert.match(typo.message, '"gret"');
  assert.match(typo.hint ?? '', 'User.greet');
  const partial = notFound(() => resolveSymbol(s, 'regist'));
  assert.match(partial.hint ?? '', 'register');
  const inFile = notFound(() => resolveSymbol(s, 'src/util.ts:register'));
  assert.match(inFile.message, 'src/util.ts');
  const noFile = notFound(() => resolveSymbol(s, 'src/nope.ts:Repo'));
  assert.match(noFile.message, 'not an indexed file');
  assert.throws(
    () => resolveSymbol(s, '  '),
    (e: unknown) => (e as LeindexError).code === 'E_USAGE',
  );
});

test.run();
