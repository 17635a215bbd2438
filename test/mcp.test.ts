// The MCP server as agents run it: the compiled `leindex serve` spawned as a subprocess and
// driven over stdio by the SDK's own Client (which also checks every structuredContent
// against the tool's output schema). Fixture repos are copied into a temp project.

import { spawn } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { acquireWriterLock } from '../src/store/open.js';
import { BIN, FIXTURE_REPOS, tempDir, type Workspace } from './helpers/workspace.js';

interface Server {
  client: Client;
  transport: StdioClientTransport;
  stderr: () => string;
  close: () => Promise<void>;
}

async function startServer(root: string, extra: string[] = []): Promise<Server> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'serve', '--path', root, '--no-git', ...extra],
    stderr: 'pipe',
  });
  let err = '';
  transport.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const client = new Client({ name: 'leindex-test', version: '1.0.0' });
  await client.connect(transport);
  // Listing caches the output schemas: from here on the client validates structuredContent.
  await client.listTools();
  return { client, transport, stderr: () => err, close: () => client.close() };
}

type Data = Record<string, unknown>;

async function call(s: Server, name: string, args: Data = {}): Promise<{ text: string; data: Data }> {
  const r = (await s.client.callTool({ name, arguments: args })) as CallToolResult;
  const text = r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
  assert.not.ok(r.isError, `${name} ${JSON.stringify(args)} failed: ${text}`);
  return { text, data: r.structuredContent ?? {} };
}

async function callError(s: Server, name: string, args: Data): Promise<string> {
  const r = (await s.client.callTool({ name, arguments: args })) as CallToolResult;
  const text = r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
  assert.ok(r.isError, `${name} ${JSON.stringify(args)} should fail, got: ${text}`);
  return text;
}

function copyProject(): Workspace {
  const ws = tempDir('leindex-mcp-');
  for (const name of ['ts-app', 'py-app', 'rs-app'])
    cpSync(join(FIXTURE_REPOS, name), join(ws.dir, name), { recursive: true });
  return ws;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, tries = 300): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

let ws: Workspace;
let main: Server;

test.before(async () => {
  ws = copyProject();
  main = await startServer(ws.dir, ['--no-refresh']);
});

test.after(async () => {
  await main?.close();
  ws?.cleanup();
});

test('lists its tools with input and output schemas and annotations', async () => {
  const { tools } = await main.client.listTools();
  const names = tools.map((t) => t.name);
  assert.equal(names, [
    'leindex_index',
    'leindex_diagnostics',
    'leindex_project_map',
    'leindex_search',
    'leindex_deep_analyze',
    'leindex_context',
    'leindex_symbol_lookup',
    'leindex_file_summary',
    'leindex_read_symbol',
    'leindex_impact_analysis',
    'leindex_text_search',
  ]);
  for (const t of tools) {
    assert.match(t.name, /^[a-z_]+$/);
    assert.ok(t.description && t.description.length > 40, t.name);
    assert.is(t.inputSchema.type, 'object');
    assert.ok(t.inputSchema.properties?.project_path, `${t.name} takes project_path`);
    assert.is(t.outputSchema?.type, 'object', `${t.name} has an output schema`);
    assert.is(t.annotations?.readOnlyHint, t.name !== 'leindex_index', t.name);
  }
  const summary = tools.find((t) => t.name === 'leindex_file_summary');
  assert.equal(summary?.inputSchema.required, ['file']);
  const budget = summary?.inputSchema.properties?.token_budget as { maximum?: number } | undefined;
  assert.is(budget?.maximum, 32000);
});

test('a query before any index is an isError with a hint; the server stays up', async () => {
  const text = await callError(main, 'leindex_file_summary', { file: 'ts-app/src/service.ts' });
  assert.match(text, /^E_INDEX_MISSING: /);
  assert.match(text, 'hint: call leindex_index');
  const d = await call(main, 'leindex_diagnostics');
  assert.is(d.data.status, 'missing');
});

test('leindex_index builds the index, with progress notifications, then is a no-op', async () => {
  const progress: { progress: number; message?: string | undefined }[] = [];
  const r = (await main.client.callTool(
    { name: 'leindex_index', arguments: { wait_seconds: 120 } },
    undefined,
    { onprogress: (p) => progress.push(p), resetTimeoutOnProgress: true },
  )) as CallToolResult;
  assert.not.ok(r.isError, JSON.stringify(r.content));
  const data = r.structuredContent as Data;
  assert.is(data.status, 'done');
  assert.is(data.generation, 1);
  assert.is(data.changed, true);
  assert.equal(data.files, { indexed: 14, parsed: 14, reused: 0, deleted: 0 });
  // One notification when the job starts, then one a second while it runs (the SDK client drops
  // any that arrive after the answer, so none is sent for the end: the answer says it).
  assert.ok(progress.length >= 1, `progress notifications: ${JSON.stringify(progress)}`);
  for (let i = 1; i < progress.length; i++) assert.ok(progress[i]!.progress > progress[i - 1]!.progress);
  assert.match(progress[0]?.message ?? '', 'started index job');
  for (const p of progress.slice(1)) assert.match(p.message ?? '', /indexing .*: \d+s so far/);

  const again = await call(main, 'leindex_index', { wait_seconds: 120 });
  assert.is(again.data.changed, false);
  assert.is(again.data.generation, 1);
  assert.match(again.text, 'up to date');
  // Polling by id answers the finished job's result.
  const polled = await call(main, 'leindex_index', { job_id: data.job_id as string });
  assert.is(polled.data.job_id, data.job_id);
  assert.is(polled.data.generation, 1);
});

test('leindex_diagnostics: counts by kind, skips, freshness, memory and budget', async () => {
  const { data, text } = await call(main, 'leindex_diagnostics');
  assert.is(data.status, 'ok');
  assert.is(data.generation, 1);
  const files = data.files as { indexed: number; by_language: Data };
  assert.is(files.indexed, 14);
  assert.equal(files.by_language, { typescript: 5, javascript: 1, python: 4, rust: 4 });
  const symbols = data.symbols as { total: number; by_kind: Record<string, number> };
  assert.is(symbols.by_kind.module, 14);
  const edges = data.edges as { total: number; by_kind: Record<string, number> };
  assert.ok((edges.by_kind.imports ?? 0) > 0 && (edges.by_kind.calls ?? 0) > 0);
  assert.is(
    Object.values(edges.by_kind).reduce((a, b) => a + b, 0),
    edges.total,
  );
  const memory = data.memory as { rss_mb: number; budget_mb: number; budget_source: string };
  assert.ok(memory.rss_mb > 0 && memory.budget_mb > 0);
  assert.ok(['physical', 'cgroup-v2', 'cgroup-v1'].includes(memory.budget_source), memory.budget_source);
  assert.is((data.freshness as { stale: boolean }).stale, false);
  assert.match(text, 'generation 1');
});

test('leindex_project_map: tree, directory dependencies, external packages, budget', async () => {
  const { data, text } = await call(main, 'leindex_project_map');
  const dirs = (data.directories as { path: string; files: number }[]).map((d) => d.path);
  for (const d of ['ts-app', 'ts-app/src', 'ts-app/src/models', 'py-app', 'py-app/pkg', 'rs-app/sched/src'])
    assert.ok(dirs.includes(d), `${d} in ${dirs.join(', ')}`);
  const deps = data.dependencies as { from: string; to: string; imports: number }[];
  assert.ok(deps.some((d) => d.from === 'ts-app/src' && d.to === 'ts-app/src/models'));
  assert.ok(deps.some((d) => d.from === 'py-app' && d.to === 'py-app/pkg'));
  const ext = (data.externals as { name: string }[]).map((e) => e.name);
  assert.ok(ext.includes('lodash'), ext.join(', '));
  assert.is(data.trimmed, false);
  assert.match(text, 'ts-app/');

  const zoom = await call(main, 'leindex_project_map', { path: 'ts-app' });
  assert.is(zoom.data.path, 'ts-app');
  assert.ok((zoom.data.directories as { path: string }[]).every((d) => d.path.startsWith('ts-app/')));

  const small = await call(main, 'leindex_project_map', { token_budget: 100, max_depth: 8 });
  assert.is(small.data.trimmed, true);
  assert.match(small.text, 'trimmed to the token budget');
});

test('leindex_file_summary: symbols with signatures and docs, imports, importers, calls', async () => {
  const { data, text } = await call(main, 'leindex_file_summary', { file: 'ts-app/src/service.ts' });
  assert.is(data.language, 'typescript');
  const symbols = data.symbols as {
    name: string;
    kind: string;
    signature?: string;
    doc?: string;
    callees: number;
  }[];
  const register = symbols.find((s) => s.name === 'register');
  assert.is(register?.kind, 'function');
  assert.is(register?.signature, 'function register(name: string): User');
  assert.is(register?.doc, 'Creates a user and stores it.');
  assert.ok((register?.callees ?? 0) >= 3);
  const imports = data.imports as { target: string; external: boolean; names: string[] }[];
  assert.ok(imports.some((i) => i.target === 'lodash' && i.external));
  assert.ok(imports.some((i) => i.target === 'ts-app/src/models/user.ts' && i.names.includes('User')));
  assert.match(text, 'function register(name: string): User');

  const user = await call(main, 'leindex_file_summary', { file: 'ts-app/src/models/user.ts' });
  assert.ok((user.data.imported_by as string[]).includes('ts-app/src/service.ts'));
  assert.ok((user.data.calls_in as number) > 0);
  const members = (user.data.symbols as { qualified_name: string; depth: number }[]).filter(
    (s) => s.depth === 1,
  );
  assert.ok(members.some((s) => s.qualified_name === 'User.greet'));

  // An absolute path inside the project is fine.
  const abs = await call(main, 'leindex_file_summary', { file: join(ws.dir, 'py-app/pkg/models.py') });
  assert.is(abs.data.file, 'py-app/pkg/models.py');

  const tiny = await call(main, 'leindex_file_summary', {
    file: 'ts-app/src/models/user.ts',
    token_budget: 100,
  });
  assert.is(tiny.data.trimmed, true);
  assert.ok((tiny.data.omitted as { symbols: number }).symbols > 0);
});

test('leindex_read_symbol: by file:name, by qualified name, ambiguous names, budget', async () => {
  const r = await call(main, 'leindex_read_symbol', { symbol: 'ts-app/src/service.ts:register' });
  assert.match(r.data.source as string, /^function register\(name: string\): User \{/);
  assert.equal(r.data.shown_lines, { start: 6, end: 12 });
  assert.match(r.text, '```ts');

  const method = await call(main, 'leindex_read_symbol', { symbol: 'TaskQueue.pop' });
  assert.is((method.data.symbol as { file: string }).file, 'rs-app/sched/src/queue.rs');
  assert.match(method.data.source as string, 'pub fn pop');

  const rust = await call(main, 'leindex_read_symbol', { symbol: 'rs-app/sched/src/queue.rs:TaskQueue' });
  assert.is((rust.data.symbol as { kind: string }).kind, 'struct');

  const many = await call(main, 'leindex_read_symbol', { symbol: 'save' });
  assert.ok((many.data.alternatives as string[]).length >= 1, JSON.stringify(many.data.alternatives));

  const cut = await call(main, 'leindex_read_symbol', {
    symbol: 'User',
    token_budget: 100,
    project_path: ws.dir,
  });
  assert.ok((cut.data.source as string).length > 0);

  const missing = await callError(main, 'leindex_read_symbol', { symbol: 'ts-app/src/service.ts:nope' });
  assert.match(missing, /^E_SYMBOL_NOT_FOUND: /);
  assert.match(missing, 'hint: ');
});

test('hostile and malformed arguments are isError results; the server stays up', async () => {
  const outside = [
    ['leindex_file_summary', { file: '../../etc/passwd' }],
    ['leindex_file_summary', { file: '/etc/passwd' }],
    ['leindex_read_symbol', { symbol: '../../../etc/passwd:root' }],
    ['leindex_project_map', { path: '../..' }],
    ['leindex_diagnostics', { project_path: '/etc' }],
    ['leindex_index', { project_path: '/' }],
    ['leindex_project_map', { project_path: join(ws.dir, '..') }],
  ] as const;
  for (const [name, args] of outside) {
    const text = await callError(main, name, args);
    assert.match(text, /E_PATH_OUTSIDE_ROOT/, `${name} ${JSON.stringify(args)}: ${text}`);
  }
  // A symlink inside the project that leads out is refused too.
  symlinkSync('/etc', join(ws.dir, 'escape'));
  assert.match(
    await callError(main, 'leindex_file_summary', { file: 'escape/passwd' }),
    'E_PATH_OUTSIDE_ROOT',
  );

  const bad = [
    ['leindex_file_summary', { file: 42 }],
    ['leindex_file_summary', {}],
    ['leindex_file_summary', { file: 'ts-app/src/service.ts', token_budget: 1e12 }],
    ['leindex_file_summary', { file: 'ts-app/src/service.ts', token_budget: -5 }],
    ['leindex_project_map', { token_budget: 'lots' }],
    ['leindex_project_map', { max_depth: 1000 }],
    ['leindex_read_symbol', { symbol: '' }],
    ['leindex_read_symbol', { symbol: 'x'.repeat(100_000) }],
    ['leindex_index', { wait_seconds: -1 }],
    ['leindex_diagnostics', { project_path: ['a', 'b'] }],
  ] as const;
  for (const [name, args] of bad) await callError(main, name, args);

  assert.match(await callError(main, 'leindex_index', { job_id: 'ix-999' }), /^E_USAGE: /);
  assert.match(
    await callError(main, 'leindex_file_summary', { file: 'ts-app/src/none.ts' }),
    'E_PATH_NOT_FOUND',
  );
  assert.match(await callError(main, 'leindex_file_summary', { file: 'a\u0000b' }), /E_USAGE|E_PATH/);
  assert.match(
    await callError(main, 'leindex_project_map', { project_path: join(ws.dir, 'nope') }),
    'E_PATH_NOT_FOUND',
  );
  const unknown = await main.client
    .callTool({ name: 'leindex_rm_rf', arguments: {} })
    .then((r) => (r as CallToolResult).isError)
    .catch(() => true);
  assert.ok(unknown);

  const alive = await call(main, 'leindex_diagnostics');
  // The symlink made above is a change of the tree (this server does not refresh by itself).
  assert.is(alive.data.status, 'stale');
  assert.ok((alive.data.server as { errors: number }).errors >= outside.length);
});

test('concurrent calls all answer; concurrent index requests share one job', async () => {
  const calls = [];
  for (let i = 0; i < 12; i++) {
    calls.push(call(main, 'leindex_file_summary', { file: 'ts-app/src/service.ts' }));
    calls.push(call(main, 'leindex_read_symbol', { symbol: 'register' }));
    calls.push(call(main, 'leindex_project_map', { token_budget: 500 }));
  }
  const results = await Promise.all(calls);
  assert.is(results.length, 36);
  assert.ok(results.every((r) => r.data.generation === 1));

  const [a, b] = await Promise.all([
    call(main, 'leindex_index', { wait_seconds: 120 }),
    call(main, 'leindex_index', { wait_seconds: 120 }),
  ]);
  assert.is(a.data.job_id, b.data.job_id);
  assert.ok(a.data.joined !== b.data.joined, 'one started the job, the other joined it');
});

test('a query during a re-index answers from the last generation; then from the new one', async () => {
  const before = (await call(main, 'leindex_diagnostics')).data.generation as number;
  appendFileSync(
    join(ws.dir, 'ts-app/src/util.ts'),
    '\nexport function freshlyAdded(): number {\n  return 42;\n}\n',
  );
  const started = await call(main, 'leindex_index', { wait_seconds: 0 });
  const during = await call(main, 'leindex_file_summary', { file: 'ts-app/src/util.ts' });
  if (started.data.status === 'running') {
    assert.is(during.data.generation, before);
    assert.is(during.data.refreshing, true);
  }
  const done = await call(main, 'leindex_index', {
    job_id: started.data.job_id as string,
    wait_seconds: 120,
  });
  assert.is(done.data.status, 'done');
  assert.is(done.data.generation, before + 1);
  const after = await call(main, 'leindex_read_symbol', { symbol: 'ts-app/src/util.ts:freshlyAdded' });
  assert.is(after.data.generation, before + 1);
  assert.is(after.data.stale, false);
  assert.match(after.data.source as string, 'return 42');
});

test('a second server on the same project: one writer at a time, consistent readers', async () => {
  const second = await startServer(ws.dir, ['--no-refresh']);
  try {
    const a = await call(main, 'leindex_diagnostics');
    const b = await call(second, 'leindex_diagnostics');
    assert.is(b.data.generation, a.data.generation);
    assert.equal(b.data.symbols, a.data.symbols);

    // Another process holds the writer lock: an index request is refused, reads go on.
    const lock = acquireWriterLock(join(ws.dir, '.leindex'));
    try {
      appendFileSync(join(ws.dir, 'py-app/app.py'), '\n\ndef added_by_second():\n    return 2\n');
      const locked = await callError(second, 'leindex_index', { wait_seconds: 60 });
      assert.match(locked, /^E_STORE_LOCKED: /);
      assert.match(locked, 'hint: ');
      const read = await call(second, 'leindex_file_summary', { file: 'py-app/app.py' });
      assert.is(read.data.refreshing, true, 'the lock file says someone is writing');
    } finally {
      lock.release();
    }
    const built = await call(second, 'leindex_index', { wait_seconds: 120 });
    assert.is(built.data.status, 'done');
    const gen = built.data.generation as number;
    // The first server notices the generation the second published.
    const seen = await call(main, 'leindex_read_symbol', { symbol: 'py-app/app.py:added_by_second' });
    assert.is(seen.data.generation, gen);
  } finally {
    await second.close();
  }
});

test('background refresh: an edit is noticed, answers say stale, then a new generation', async () => {
  const ws2 = copyProject();
  const server = await startServer(ws2.dir, ['--idle-minutes', '1']);
  try {
    // Without --no-refresh the server indexes a project that has none by itself.
    await until('the first generation', async () => {
      const d = await call(server, 'leindex_diagnostics');
      return d.data.generation === 1 && d.data.refreshing === false ? true : undefined;
    });
    appendFileSync(
      join(ws2.dir, 'rs-app/sched/src/util.rs'),
      '\npub fn doubled(n: usize) -> usize {\n    n * 2\n}\n',
    );
    // Scans run on queries, at most every 2 s: the edit shows within a few queries.
    const first = await until('the edit to be noticed', async () => {
      const r = await call(server, 'leindex_file_summary', { file: 'rs-app/sched/src/util.rs' });
      return r.data.stale ? r : undefined;
    });
    assert.is(first.data.generation, 1);
    assert.is(first.data.refreshing, true);
    assert.match(first.text, 'refreshing in the background');
    const fresh = await until('the refreshed generation', async () => {
      const r = await call(server, 'leindex_file_summary', { file: 'rs-app/sched/src/util.rs' });
      return (r.data.generation as number) >= 2 && !r.data.stale ? r : undefined;
    });
    assert.ok((fresh.data.symbols as { name: string }[]).some((s) => s.name === 'doubled'));
  } finally {
    await server.close();
    ws2.cleanup();
  }
});

test('exits cleanly on stdin EOF and on SIGTERM, also in the middle of an index job', async () => {
  const ws3 = copyProject();
  try {
    for (const how of ['eof', 'sigterm'] as const) {
      const child = spawn(process.execPath, [BIN, 'serve', '--path', ws3.dir, '--no-git'], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const exited = new Promise<[number | null, NodeJS.Signals | null]>((r) =>
        child.on('exit', (code, signal) => r([code, signal])),
      );
      // The server starts indexing the project (it has no index) right after it is ready.
      await until('the server to be ready', () =>
        Promise.resolve(err.includes('ready in') ? true : undefined),
      );
      if (how === 'eof') child.stdin.end();
      else child.kill('SIGTERM');
      const [code, signal] = await exited;
      assert.is(code, 0, `${how}: ${err}`);
      assert.is(signal, null);
      assert.is(out, '', 'nothing but MCP frames on stdout (and none were asked for)');
      assert.not.ok(existsSync(join(ws3.dir, '.leindex', 'writer.lock')), 'the writer lock is released');
    }
  } finally {
    ws3.cleanup();
  }
});

test.run();
