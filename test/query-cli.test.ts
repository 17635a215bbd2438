// `context`, `symbol` and `impact` through the real CLI on indexed fixture repos: JSON on
// stdout, notes and errors on stderr, exit codes, and the impact risk rule on a generated
// repo where the expected levels are known.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ExitCode } from '../src/errors.js';
import type { ContextResult } from '../src/query/context.js';
import type { ImpactResult } from '../src/query/impact.js';
import type { CallNode, SymbolReport } from '../src/query/symbol-report.js';
import { estimateTokens } from '../src/query/tokens.js';
import { copyFixture, indexTree, leindex, tempDir, type Workspace } from './helpers/workspace.js';

const workspaces: Workspace[] = [];
async function indexed(name: string, indexDir?: string): Promise<string> {
  const ws = copyFixture(name);
  workspaces.push(ws);
  await indexTree(ws.dir, indexDir ? { indexDir: join(ws.dir, indexDir) } : {});
  return ws.dir;
}

test.after(() => {
  for (const ws of workspaces) ws.cleanup();
});

test('context --json: the resolved symbol and a bundle within the budget', async () => {
  const root = await indexed('ts-app');
  const r = leindex(['context', 'register', '--path', root, '--json', '--tokens', '300']);
  assert.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as ContextResult;
  assert.is(out.resolution.chosen.qualifiedName, 'register');
  assert.is(out.bundle.budget, 300);
  assert.ok(out.bundle.tokens <= 300);
  const first = out.bundle.files[0]!;
  assert.is(first.file, 'src/service.ts');
  assert.is(first.symbols[0]!.reason, 'seed');
  assert.match(first.symbols[0]!.text, 'function register');
  // The text form is the same bundle; its token count is what the preamble says.
  const text = leindex(['context', 'register', '--path', root, '--tokens', '300']);
  assert.is(text.code, 0);
  assert.match(text.stdout, /^# context of register — \d+ symbols in \d+ files · \d+\/300 tokens/);
  assert.match(text.stdout, '== src/service.ts');
  assert.match(text.stdout, '-- function register L6-12 · seed · 1.00');
  const stated = Number(/· (\d+)\/300 tokens/.exec(text.stdout)?.[1]);
  assert.is(estimateTokens(text.stdout), stated);
  assert.is(text.stderr, '');
});

test('context: default budget from the config, --index-dir, ambiguity on stderr', async () => {
  const root = await indexed('ts-app', 'idx');
  const r = leindex(['context', 'greet', '--json', '--index-dir', join(root, 'idx')], { cwd: root });
  assert.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as ContextResult;
  assert.is(out.bundle.budget, 8000);
  assert.ok(out.resolution.ambiguous);
  assert.is(out.resolution.candidates.length, 2);
  writeFileSync(join(root, 'leindex.toml'), 'token_budget = 500\nindex_dir = "idx"\n');
  const text = leindex(['context', 'greet', '--path', root]);
  assert.is(text.code, 0, text.stderr);
  assert.match(text.stdout, '/500 tokens');
  assert.match(text.stderr, '"greet" matches 2 symbols; using User.greet');
});

test('symbol --json: definitions with signature and doc, callers and callees to a depth', async () => {
  const root = await indexed('ts-app');
  const r = leindex(['symbol', 'register', '--path', root, '--json']);
  assert.is(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout) as SymbolReport;
  const def = rep.definitions[0]!;
  assert.is(def.file, 'src/service.ts');
  assert.is(def.signature, 'function register(name: string): User');
  assert.is(def.doc, 'Creates a user and stores it.');
  assert.ok(def.flags.includes('exported'));
  // `r.save(u)` with `const r = new Repository()` (an alias of Repo): typed through the local.
  assert.equal(rep.callees!.nodes.map((n) => n.qualifiedName).sort(), ['Repo', 'Repo.save', 'User', 'log']);
  assert.is(rep.callers!.count, 0);
  const deep = JSON.parse(
    leindex(['symbol', 'Repo.validate', '--callers', '--depth', '3', '--path', root, '--json']).stdout,
  ) as SymbolReport;
  assert.is(deep.callees, undefined);
  const save = deep.callers!.nodes[0] as CallNode;
  assert.is(save.qualifiedName, 'Repo.save');
  assert.is(save.confidence, 85);
  const text = leindex(['symbol', 'log', '--callers', '--path', root]);
  assert.match(text.stdout, 'function log  src/util.ts:1-3');
  assert.match(text.stdout, 'callers of log (depth 1): 2');
  assert.match(text.stdout, 'legacyMain  legacy.js:3  [95]');
});

test('impact --json on the fixture: dependents, distances, the rule stated', async () => {
  const root = await indexed('ts-app');
  const r = leindex(['impact', 'User', '--path', root, '--json']);
  assert.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as ImpactResult;
  const item = (qn: string) => out.items.find((i) => i.qualifiedName === qn);
  assert.is(item('Admin')?.risk, 'high'); // inherits, confidence 90
  assert.is(item('Admin')?.edge, 'inherits');
  assert.is(item('register')?.risk, 'high'); // constructs User, 95
  assert.is(item('Admin.greet')?.risk, 'medium'); // calls User.greet (a member), 75
  assert.is(item('Repo.save')?.risk, 'medium'); // uses the type only
  assert.is(item('Repo.save')?.edge, 'uses type');
  // register passes data on to log: data flow reaches a fifth file, and 5+ files is high.
  assert.is(item('log')?.edge, 'data flow');
  assert.is(out.risk, 'high');
  assert.match(out.rule, 'high = distance 1 through a call');
  assert.ok(
    out.changed.some((c) => c.qualifiedName === 'User.greet'),
    'members change with their class',
  );
  const text = leindex(['impact', 'User', '--path', root]);
  assert.match(text.stdout, 'risk high');
  assert.match(text.stdout, 'rule: per dependent');
});

test('impact risk rule: high fan-in is high, a leaf is none, distance lowers risk', () => {
  const ws = tempDir('leindex-impact-');
  workspaces.push(ws);
  const callers = Array.from(
    { length: 11 },
    (_, i) => `export function use${i}(): number {\n  return core() + ${i};\n}\n`,
  );
  mkdirSync(join(ws.dir, 'src'), { recursive: true });
  writeFileSync(
    join(ws.dir, 'src/core.ts'),
    `export function core(): number {\n  return 1;\n}\n\n${callers.join('\n')}\nexport function top(): number {\n  return use0();\n}\n\nexport function far(): number {\n  return top();\n}\n`,
  );
  return indexTree(ws.dir).then(() => {
    const run = (spec: string, depth = 3): ImpactResult => {
      const r = leindex(['impact', spec, '--path', ws.dir, '--json', '--depth', String(depth)]);
      assert.is(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as ImpactResult;
    };
    const core = run('core');
    assert.is(core.counts.high, 11);
    assert.is(core.risk, 'high');
    const top = core.items.find((i) => i.qualifiedName === 'top')!;
    assert.is(top.distance, 2);
    assert.is(top.risk, 'medium');
    assert.is(core.items.find((i) => i.qualifiedName === 'far')?.risk, 'low');
    assert.is(run('core', 1).items.length, 11);
    const leaf = run('far');
    assert.is(leaf.risk, 'none');
    assert.is(leaf.items.length, 0);
    const one = run('use0');
    assert.is(one.risk, 'medium'); // one certain dependent
  });
});

test('search: a note on stderr when result files changed since indexing, none before', async () => {
  const root = await indexed('ts-app');
  const before = leindex(['search', 'register', '--path', root, '--json']);
  assert.is(before.code, 0, before.stderr);
  assert.is(before.stderr, '');
  const hits = JSON.parse(before.stdout) as { file: string }[];
  const file = hits[0]!.file;
  writeFileSync(join(root, file), '// edited after indexing\n', { flag: 'a' });
  const after = leindex(['search', 'register', '--path', root, '--json']);
  assert.is(after.code, 0, after.stderr);
  assert.equal(JSON.parse(after.stdout), hits);
  assert.match(after.stderr, /1 of the result files changed since indexing/);
});

test('not found and usage errors: exit codes, hints on stderr, nothing on stdout', async () => {
  const root = await indexed('py-app');
  const nf = leindex(['context', 'craete', '--path', root]);
  assert.is(nf.code, ExitCode.noMatch);
  assert.is(nf.stdout, '');
  assert.match(nf.stderr, 'no symbol matches "craete"');
  assert.match(nf.stderr, 'create (pkg/service.py)');
  const badTokens = leindex(['context', 'create', '--path', root, '--tokens', 'lots']);
  assert.is(badTokens.code, ExitCode.usage);
  const noIndex = tempDir();
  workspaces.push(noIndex);
  const missing = leindex(['impact', 'create', '--path', noIndex.dir]);
  assert.is(missing.code, ExitCode.indexMissing);
  assert.match(missing.stderr, 'leindex index');
});

test.run();
