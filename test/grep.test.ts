// `leindex grep` on real indexes of the fixture repos: hits and their enclosing symbols (checked
// against the graph), the main-thread literal path against the worker regex path, filters,
// limits, bad patterns, a runaway regex stopped by the deadline, files deleted or changed after
// indexing, and the real CLI's output and exit codes.

import { appendFileSync, cpSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ExitCode, LeindexError } from '../src/errors.js';
import { formatHits } from '../src/cli/grep-command.js';
import { grepIndex, type GrepOptions, type GrepResult } from '../src/query/grep.js';
import { IndexSession } from '../src/query/session.js';
import {
  closeIndexedFixture,
  copyFixture,
  FIXTURE_REPOS,
  indexTree,
  leindex,
  openIndexedFixture,
  tempDir,
  type Workspace,
} from './helpers/workspace.js';

/** All three fixture repos in one tree, indexed once and shared by the read-only tests. */
let mixed: Workspace;
let session: IndexSession;

test.before(async () => {
  ({ ws: mixed, session } = await openIndexedFixture((dir) => {
    for (const name of ['ts-app', 'py-app', 'rs-app'])
      cpSync(join(FIXTURE_REPOS, name), join(dir, name), { recursive: true });
  }));
});

test.after(() => closeIndexedFixture({ ws: mixed, session }));

const grep = (options: GrepOptions): Promise<GrepResult> => grepIndex(session, options);
const where = (r: GrepResult): string[] => r.hits.map((h) => `${h.file}:${h.line}:${h.column}`);

test('literal and regex hits name their innermost enclosing symbol, as the graph has it', async () => {
  const lit = await grep({ pattern: 'this.validate', fixed: true });
  assert.equal(where(lit), ['ts-app/src/repo.ts:7:10']);
  const h = lit.hits[0]!;
  assert.is(h.text, "    if (!this.validate(u)) throw new Error('invalid user');");
  assert.is(h.matchLength, 'this.validate'.length);
  assert.equal(
    { kind: h.symbol.kind, name: h.symbol.qualifiedName, lines: [h.symbol.startLine, h.symbol.endLine] },
    { kind: 'method', name: 'Repo.save', lines: [6, 9] },
  );

  const re = await grep({ pattern: 'fn \\w+\\(&mut self\\)' });
  assert.equal(where(re), [
    'rs-app/sched/src/queue.rs:5:5',
    'rs-app/sched/src/queue.rs:22:9',
    'rs-app/sched/src/queue.rs:32:5',
  ]);
  assert.equal(
    re.hits.map((x) => x.symbol.qualifiedName),
    ['Scheduler.next', 'TaskQueue.pop', 'TaskQueue.next'],
  );

  // Top-level code sits in the module, named as the merge names it (Rust path, Python dotted, TS path).
  const top = await grep({ pattern: '^(use|import|from) ' });
  assert.ok(top.hits.length >= 10);
  for (const hit of [...lit.hits, ...re.hits, ...top.hits]) {
    const info = session.symbol(hit.symbol.id);
    assert.is(info.file, hit.file);
    assert.equal(
      [hit.symbol.kind, hit.symbol.qualifiedName, hit.symbol.startLine, hit.symbol.endLine],
      [info.kind, info.qualifiedName, info.startLine, info.endLine],
    );
  }
  const queueTop = top.hits.find((x) => x.file === 'rs-app/sched/src/queue.rs');
  assert.is(queueTop?.symbol.kind, 'module');
  assert.is(queueTop?.symbol.qualifiedName, 'sched::queue');
});

test('the literal path (main thread) and the regex path (worker) find the same hits; -i', async () => {
  const fixed = await grep({ pattern: 'self.items', fixed: true });
  const regex = await grep({ pattern: 'self\\.item[s]' });
  assert.equal(
    fixed.hits.map((h) => h.symbol.qualifiedName),
    ['TaskQueue.pop', 'TaskQueue.pop', 'TaskQueue.pop'],
  );
  assert.equal(regex.hits, fixed.hits);

  const upper = await grep({ pattern: 'TASKQUEUE' });
  assert.is(upper.hits.length, 0);
  const folded = await grep({ pattern: 'TASKQUEUE', ignoreCase: true });
  const foldedRe = await grep({ pattern: 'taskqueu[E]', ignoreCase: true });
  assert.ok(folded.hits.length >= 4);
  assert.equal(foldedRe.hits, folded.hits);
  assert.ok(folded.hits.every((x) => x.text.includes('TaskQueue')));
});

test('lang and glob filters choose the files searched', async () => {
  const all = await grep({ pattern: 'name|self' });
  assert.is(new Set(all.hits.map((h) => h.file.split('/')[0])).size, 3, 'all three repos have hits');

  const py = await grep({ pattern: 'name|self', languages: ['python'] });
  assert.ok(py.hits.length > 0 && py.hits.every((h) => h.file.endsWith('.py')));
  assert.is(py.filesConsidered, 4);

  const ts = await grep({ pattern: 'name', languages: ['typescript', 'javascript'] });
  assert.ok(ts.hits.every((h) => /\.(ts|js)$/.test(h.file)));

  const glob = await grep({ pattern: 'name', globs: ['ts-app/src/**'] });
  assert.ok(glob.hits.length > 0 && glob.hits.every((h) => h.file.startsWith('ts-app/src/')));

  const negated = await grep({ pattern: 'name', globs: ['*.ts', '!**/models/**'] });
  assert.ok(negated.hits.length > 0);
  assert.ok(negated.hits.every((h) => h.file.endsWith('.ts') && !h.file.includes('/models/')));

  const none = await grep({ pattern: 'name', languages: ['rust'], globs: ['py-app/**'] });
  assert.is(none.filesConsidered, 0);
  assert.is(none.hits.length, 0);
});

test('limit and max-per-file bound the output and say so', async () => {
  const capped = await grep({ pattern: 'e' });
  assert.is(capped.hits.length, 100, 'the default limit');
  assert.is(capped.truncated, true);
  const full = await grep({ pattern: 'e', limit: 1000 });
  assert.ok(full.totalMatches > 100 && full.totalMatches === full.hits.length);
  assert.is(full.truncated, false);
  assert.equal(capped.hits, full.hits.slice(0, 100));

  const limited = await grep({ pattern: 'e', limit: 3 });
  assert.is(limited.hits.length, 3);
  assert.is(limited.truncated, true);
  assert.equal(limited.hits, full.hits.slice(0, 3));
  assert.ok(limited.filesSearched < limited.filesConsidered, 'the search stopped at the limit');

  const perFile = await grep({ pattern: 'e', maxPerFile: 1, limit: 1000 });
  assert.is(perFile.hits.length, perFile.filesMatched);
  assert.is(new Set(perFile.hits.map((h) => h.file)).size, perFile.hits.length);
  assert.is(perFile.truncated, true);
  assert.ok(perFile.totalMatches > perFile.hits.length);

  const exact = await grep({ pattern: 'clamp', limit: 1000 });
  assert.is(exact.truncated, false);
  assert.is(exact.totalMatches, exact.hits.length);
});

test('bad patterns are usage errors carrying the regex engine message', async () => {
  const usage = async (o: GrepOptions, message: RegExp): Promise<void> => {
    try {
      await grep(o);
      assert.unreachable('should have thrown');
    } catch (err) {
      assert.instance(err, LeindexError);
      assert.is((err as LeindexError).code, 'E_USAGE');
      assert.match((err as Error).message, message);
    }
  };
  await usage({ pattern: 'foo(' }, /Unterminated group/);
  await usage({ pattern: '[z-a]' }, /Range out of order/);
  await usage({ pattern: '' }, /empty/);
  await usage({ pattern: 'x', limit: 0 }, /limit/);
  // The same text as a literal is fine; so is a legacy identity escape.
  assert.is((await grep({ pattern: 'foo(', fixed: true })).hits.length, 0);
  assert.ok((await grep({ pattern: 'self\\:' })).hits.length === 0);
});

test('a line-based match never spans lines; CRLF, long lines, context and binary content', async () => {
  const ws = tempDir('leindex-grep-lines-');
  try {
    mkdirSync(join(ws.dir, 'src'));
    const long = `${'x'.repeat(1500)} needle ${'y'.repeat(1500)}`;
    writeFileSync(
      join(ws.dir, 'src', 'a.ts'),
      `export function one(): number {\n  return 1;\n}\n${Array.from({ length: 30 }, (_, i) => `// filler ${i}`).join('\n')}\nconst s = '${long}';\n`,
    );
    writeFileSync(join(ws.dir, 'src', 'crlf.ts'), 'export const a = 1;\r\nexport const b = 2;\r\n');
    await indexTree(ws.dir);
    const s = IndexSession.open(ws.dir);
    try {
      // `\s+` could run over the line break in the whole text; grep semantics say no.
      assert.is((await grepIndex(s, { pattern: 'number \\{\\s+return' })).hits.length, 0);
      assert.is((await grepIndex(s, { pattern: '\\{\\s+return' })).hits.length, 0);
      const spanning = await grepIndex(s, { pattern: '[^;]*return' });
      assert.equal(where(spanning), ['src/a.ts:2:1']);

      const crlf = await grepIndex(s, { pattern: '= \\d;$' });
      assert.equal(where(crlf), ['src/crlf.ts:1:16', 'src/crlf.ts:2:16']);
      assert.is(crlf.hits[0]?.text, 'export const a = 1;');

      const cut = await grepIndex(s, { pattern: 'needle', fixed: true });
      const h = cut.hits[0]!;
      assert.ok(h.text.length <= 300, `cut to ${h.text.length}`);
      assert.ok(h.textColumn !== undefined && h.textColumn > 1);
      assert.is(h.lineLength, `const s = '${long}';`.length);
      const at = h.column - h.textColumn;
      assert.is(h.text.slice(at, at + h.matchLength), 'needle');

      const ctx = await grepIndex(s, { pattern: 'return 1', context: 2 });
      assert.equal(ctx.hits[0]?.before, ['export function one(): number {']);
      assert.equal(ctx.hits[0]?.after, ['}', '// filler 0']);
      assert.is(ctx.hits[0]?.symbol.qualifiedName, 'one');

      // Content that turned binary after indexing is skipped, not printed.
      writeFileSync(join(ws.dir, 'src', 'crlf.ts'), 'export const a = 1;\0\0\0\n');
      const bin = await grepIndex(s, { pattern: 'export' });
      assert.equal(bin.skipped, { binary: 1 });
      assert.ok(bin.hits.every((x) => x.file === 'src/a.ts'));
    } finally {
      await s.close();
    }
  } finally {
    ws.cleanup();
  }
});

test('a literal is looked for in the bytes first: invalid UTF-8, NULs near the 8000-character line, a directory turned into a link', async () => {
  const ws = tempDir('leindex-grep-bytes-');
  const outside = tempDir('leindex-grep-outside-');
  try {
    mkdirSync(join(ws.dir, 'src', 'sub'), { recursive: true });
    const body = (tag: string): string =>
      `export function ${tag}(): string {\n  return 'needle ${tag}';\n}\n`;
    for (const tag of ['bad', 'late', 'early']) writeFileSync(join(ws.dir, 'src', `${tag}.ts`), body(tag));
    writeFileSync(join(ws.dir, 'src', 'sub', 'deep.ts'), body('deep'));
    await indexTree(ws.dir);
    // After indexing: an invalid byte (decoded to U+FFFD) before the needle; a NUL after 8000
    // two-byte characters (byte 16000: not binary by characters) and one after 4000 (binary).
    writeFileSync(
      join(ws.dir, 'src', 'bad.ts'),
      Buffer.concat([Buffer.from('// '), Buffer.from([0xff]), Buffer.from(`\n${body('bad')}`)]),
    );
    writeFileSync(join(ws.dir, 'src', 'late.ts'), `// ${'é'.repeat(8000)}\0\n${body('late')}`);
    writeFileSync(join(ws.dir, 'src', 'early.ts'), `// ${'é'.repeat(4000)}\0\n${body('early')}`);
    const s = IndexSession.open(ws.dir);
    try {
      const literal = await grepIndex(s, { pattern: 'needle', fixed: true });
      const regex = await grepIndex(s, { pattern: 'n[e]edle' }); // the worker path decodes every file
      assert.equal(where(literal), ['src/bad.ts:3:11', 'src/late.ts:3:11', 'src/sub/deep.ts:2:11']);
      assert.equal(where(regex), where(literal));
      assert.equal(literal.skipped, { binary: 1 });
      // A literal holding U+FFFD matches what invalid bytes decode to; bytes cannot tell.
      assert.equal(where(await grepIndex(s, { pattern: '\uFFFD', fixed: true })), ['src/bad.ts:1:4']);
    } finally {
      await s.close();
    }
    // The directory is swapped for a link to a copy outside the project: never read.
    cpSync(join(ws.dir, 'src', 'sub'), join(outside.dir, 'sub'), { recursive: true });
    renameSync(join(ws.dir, 'src', 'sub'), join(ws.dir, 'moved'));
    symlinkSync(join(outside.dir, 'sub'), join(ws.dir, 'src', 'sub'));
    const t = IndexSession.open(ws.dir);
    try {
      const r = await grepIndex(t, { pattern: 'needle', fixed: true });
      assert.equal(r.skipped, { binary: 1, 'outside-root': 1 });
      assert.ok(r.hits.every((h) => h.file !== 'src/sub/deep.ts'));
    } finally {
      await t.close();
    }
  } finally {
    ws.cleanup();
    outside.cleanup();
  }
});

test('a runaway regex is stopped at the deadline; hits found before it are kept', async () => {
  const ws = copyFixture('py-app');
  try {
    // Sorts after app.py: (a+)+$ backtracks exponentially on a run of a's not at the end.
    writeFileSync(join(ws.dir, 'pkg', 'zz_boom.py'), `def main_boom():\n    return "${'a'.repeat(48)}!"\n`);
    await indexTree(ws.dir);
    const s = IndexSession.open(ws.dir);
    try {
      // 3 s leaves room for the worker to start on a loaded machine; the bomb needs ~2^48 steps.
      const r = await grepIndex(s, { pattern: '(a+)+$|def main', timeoutMs: 3000 });
      assert.is(r.timedOut, true);
      assert.equal(where(r), ['app.py:4:1', 'pkg/zz_boom.py:1:1']);
      assert.is(r.hits[1]?.symbol.qualifiedName, 'main_boom');
      assert.ok(r.filesSearched < r.filesConsidered, `${r.filesSearched} of ${r.filesConsidered} searched`);
      // The next search in the same session is unaffected.
      const after = await grepIndex(s, { pattern: 'def \\w+', timeoutMs: 5000 });
      assert.is(after.timedOut, false);
      assert.ok(after.hits.length >= 8);
    } finally {
      await s.close();
    }
  } finally {
    ws.cleanup();
  }
});

test('files deleted or changed after indexing are skipped or flagged, never fatal', async () => {
  const ws = copyFixture('py-app');
  try {
    await indexTree(ws.dir);
    rmSync(join(ws.dir, 'pkg', 'models.py'));
    appendFileSync(join(ws.dir, 'app.py'), '\ndef later():\n    pass\n');
    const s = IndexSession.open(ws.dir);
    try {
      for (const pattern of ['def ', 'de[f] ']) {
        const r = await grepIndex(s, { pattern });
        assert.is(r.filesSkipped, 1);
        assert.equal(r.skipped, { vanished: 1 });
        assert.is(r.filesSearched, 3);
        assert.ok(r.hits.length >= 3 && r.hits.every((h) => h.file !== 'pkg/models.py'));
        assert.is(r.filesStale, 1);
        const fromApp = r.hits.filter((h) => h.file === 'app.py');
        assert.ok(fromApp.length === 2 && fromApp.every((h) => h.stale === true));
      }
    } finally {
      await s.close();
    }
  } finally {
    ws.cleanup();
  }
});

test('human output: context shared between nearby hits, groups split by --, colour on request', async () => {
  const r = await grep({ pattern: 'self.items', fixed: true, context: 1 });
  assert.is(
    formatHits(r.hits, false),
    [
      'rs-app/sched/src/queue.rs-22-      pub fn pop(&mut self) -> Option<Task> {',
      'rs-app/sched/src/queue.rs:23:28          let _limit = clamp(self.items.len());  [method TaskQueue.pop]',
      'rs-app/sched/src/queue.rs:24:12          if self.items.is_empty() {  [method TaskQueue.pop]',
      'rs-app/sched/src/queue.rs-25-              return None;',
      'rs-app/sched/src/queue.rs-26-          }',
      'rs-app/sched/src/queue.rs:27:14          Some(self.items.remove(0))  [method TaskQueue.pop]',
      'rs-app/sched/src/queue.rs-28-      }',
      '',
    ].join('\n'),
  );
  const apart = await grep({ pattern: 'pub struct', context: 1, globs: ['**/queue.rs'] });
  assert.equal(
    formatHits(apart.hits, false)
      .split('\n')
      .map((l) => l.replace(/ .*/, '')),
    [
      'rs-app/sched/src/queue.rs-7-',
      'rs-app/sched/src/queue.rs:8:1',
      'rs-app/sched/src/queue.rs-9-',
      '--',
      'rs-app/sched/src/queue.rs-12-',
      'rs-app/sched/src/queue.rs:13:1',
      'rs-app/sched/src/queue.rs-14-',
      '',
    ],
  );
  const coloured = formatHits(r.hits.slice(0, 1), true);
  assert.match(coloured, '\u001b[1;31mself.items\u001b[0m');
  assert.match(coloured, '\u001b[35mrs-app/sched/src/queue.rs\u001b[0m');
});

test('the CLI: grep-style lines, JSON, exit 0 / 1 / 2 / 3', () => {
  const hit = leindex(['grep', 'this.validate', '--path', mixed.dir]);
  assert.is(hit.code, ExitCode.ok, hit.stderr);
  assert.is(
    hit.stdout,
    "ts-app/src/repo.ts:7:10      if (!this.validate(u)) throw new Error('invalid user');  [method Repo.save]\n",
  );
  assert.not.match(hit.stdout, '\u001b', 'no colour when stdout is not a terminal');

  const json = leindex(['grep', '-F', 'clamp', '--json', '--lang', 'rs', '--path', mixed.dir]);
  assert.is(json.code, ExitCode.ok, json.stderr);
  const r = JSON.parse(json.stdout) as GrepResult;
  assert.ok(r.hits.length >= 3 && r.hits.every((h) => h.file.endsWith('.rs')));
  assert.equal([r.truncated, r.timedOut, r.filesSkipped], [false, false, 0]);
  assert.is(r.filesSearched, 4);

  const limited = leindex(['grep', 'e', '--limit', '2', '--glob', 'py-app/**', '--path', mixed.dir]);
  assert.is(limited.code, ExitCode.ok);
  assert.is(limited.stdout.trim().split('\n').length, 2);
  assert.match(limited.stderr, '--limit');

  const none = leindex(['grep', 'no such text anywhere', '--path', mixed.dir]);
  assert.is(none.code, ExitCode.noMatch);
  assert.is(none.stdout, '');

  const bad = leindex(['grep', '(unclosed', '--path', mixed.dir]);
  assert.is(bad.code, ExitCode.usage);
  assert.match(bad.stderr, 'Unterminated group');
  const lang = leindex(['grep', 'x', '--lang', 'cobol', '--path', mixed.dir]);
  assert.is(lang.code, ExitCode.usage);
  assert.match(lang.stderr, 'cobol');

  const empty = tempDir();
  try {
    const missing = leindex(['grep', 'x', '--path', empty.dir]);
    assert.is(missing.code, ExitCode.indexMissing);
    assert.match(missing.stderr, 'no index');
    assert.match(missing.stderr, 'leindex index');
  } finally {
    empty.cleanup();
  }
});

test.run();
