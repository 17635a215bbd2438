// The query tools of the MCP server (search, deep_analyze, context, symbol_lookup,
// impact_analysis, text_search, read_symbol) as agents call them: the compiled `leindex serve`
// spawned on an indexed copy of the search-app fixture and driven over stdio by the SDK's
// Client, which checks every structuredContent against the tool's output schema.

import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { estimateTokens } from '../src/query/tokens.js';
import { BIN, copyFixture, indexTree, type Workspace } from './helpers/workspace.js';

type Data = Record<string, unknown>;
interface Ref {
  qualified_name: string;
  file: string;
  kind: string;
  start_line: number;
}

let ws: Workspace;
let client: Client;

async function call(name: string, args: Data = {}): Promise<{ text: string; data: Data }> {
  const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
  const text = r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
  assert.not.ok(r.isError, `${name} ${JSON.stringify(args)} failed: ${text}`);
  return { text, data: r.structuredContent ?? {} };
}

async function callError(name: string, args: Data): Promise<string> {
  const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
  const text = r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
  assert.ok(r.isError, `${name} ${JSON.stringify(args)} should fail, got: ${text.slice(0, 300)}`);
  return text;
}

/** Every symbol a bundle answer shows (context, deep_analyze). */
function bundleNames(data: Data): string[] {
  return (data.files as { symbols: Ref[] }[]).flatMap((f) => f.symbols.map((s) => s.qualified_name));
}

test.before(async () => {
  ws = copyFixture('search-app');
  await indexTree(ws.dir);
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'serve', '--path', ws.dir, '--no-git', '--no-refresh'],
    stderr: 'pipe',
  });
  client = new Client({ name: 'leindex-test', version: '1.0.0' });
  await client.connect(transport);
  // Listing caches the output schemas: from here on the client validates structuredContent.
  await client.listTools();
});

test.after(async () => {
  await client?.close();
  ws?.cleanup();
});

const NEW_TOOLS = [
  'leindex_search',
  'leindex_deep_analyze',
  'leindex_context',
  'leindex_symbol_lookup',
  'leindex_impact_analysis',
  'leindex_text_search',
];

test('all 11 tools are listed with input and output schemas', async () => {
  const { tools } = await client.listTools();
  assert.equal(tools.map((t) => t.name).sort(), [
    'leindex_context',
    'leindex_deep_analyze',
    'leindex_diagnostics',
    'leindex_file_summary',
    'leindex_impact_analysis',
    'leindex_index',
    'leindex_project_map',
    'leindex_read_symbol',
    'leindex_search',
    'leindex_symbol_lookup',
    'leindex_text_search',
  ]);
  for (const t of tools) {
    assert.ok(t.description && t.description.length > 40, t.name);
    assert.is(t.inputSchema.type, 'object', t.name);
    assert.ok(t.inputSchema.properties?.project_path, `${t.name} takes project_path`);
    assert.is(t.outputSchema?.type, 'object', `${t.name} has an output schema`);
    assert.is(t.annotations?.readOnlyHint, t.name !== 'leindex_index', t.name);
    if (NEW_TOOLS.includes(t.name)) {
      const budget = t.inputSchema.properties?.token_budget as { maximum?: number } | undefined;
      assert.is(budget?.maximum, 32000, `${t.name} takes a capped token_budget`);
      for (const field of ['generation', 'stale', 'refreshing', 'trimmed'])
        assert.ok(t.outputSchema?.properties?.[field], `${t.name} answers ${field}`);
    }
  }
});

test('leindex_search: a question finds the method; filters, paging and the budget', async () => {
  const { data, text } = await call('leindex_search', { query: 'where are expired sessions cleaned up' });
  const hits = data.hits as (Ref & { score: number; parts: Data; snippet: string })[];
  assert.is(hits[0]?.qualified_name, 'SessionStore.purgeExpired');
  assert.is(hits[0]?.file, 'src/auth/sessions.ts');
  assert.is(hits[0]?.start_line, 24);
  assert.match(hits[0]?.snippet ?? '', 'purgeExpired(): number');
  assert.ok((hits[0]?.parts.lexical as number) > 0 && (hits[0]?.parts.vector as number) > 0);
  assert.is(data.intent, 'locate');
  assert.ok((data.total as number) >= hits.length);
  assert.match(text, /^1-\d+ of \d+ results/);
  assert.match(text, 'src/auth/sessions.ts:24-34 method SessionStore.purgeExpired');

  const py = await call('leindex_search', { query: 'configuration', languages: ['python'] });
  const pyHits = py.data.hits as Ref[];
  assert.ok(pyHits.length > 0 && pyHits.every((h) => h.file.endsWith('.py')), JSON.stringify(pyHits));
  const net = await call('leindex_search', { query: 'retry', paths: ['src/net/**'], kinds: ['function'] });
  const netHits = net.data.hits as Ref[];
  assert.ok(netHits.some((h) => h.qualified_name === 'retryWithBackoff'));
  assert.ok(netHits.every((h) => h.file.startsWith('src/net/') && h.kind === 'function'));

  const page1 = await call('leindex_search', { query: 'session', limit: 2 });
  assert.is((page1.data.hits as Ref[]).length, 2);
  assert.is(page1.data.next_offset, 2);
  const page2 = await call('leindex_search', { query: 'session', limit: 2, offset: 2 });
  const first = (page1.data.hits as Ref[]).map((h) => h.qualified_name);
  assert.ok((page2.data.hits as Ref[]).every((h) => !first.includes(h.qualified_name)));

  const small = await call('leindex_search', { query: 'session', limit: 50, token_budget: 100 });
  assert.is(small.data.trimmed, true);
  assert.ok((small.data.omitted as number) > 0);
  assert.ok(estimateTokens(small.text) <= 100, `${estimateTokens(small.text)} tokens`);
});

test('leindex_deep_analyze: seeds from the question, a bundle within the budget', async () => {
  for (const budget of [300, 1500]) {
    const { data, text } = await call('leindex_deep_analyze', {
      query: 'where are expired sessions cleaned up',
      token_budget: budget,
    });
    const seeds = data.seeds as { qualified_name: string; via: string }[];
    assert.is(seeds[0]?.qualified_name, 'SessionStore.purgeExpired');
    assert.ok((data.tokens as number) <= budget);
    assert.ok(estimateTokens(text) <= budget, `${estimateTokens(text)} > ${budget}`);
    assert.match(text, /^# analyze: where are expired sessions cleaned up/);
    const files = (data.files as { file: string }[]).map((f) => f.file);
    assert.ok(files.includes('src/auth/sessions.ts'), files.join(', '));
    if (budget === 1500) assert.match(text, 'purgeExpired(): number {');
  }
});

test('leindex_context: the symbol with what it uses and what uses it', async () => {
  const { data, text } = await call('leindex_context', {
    symbol: 'SessionStore.purgeExpired',
    token_budget: 1500,
  });
  const res = data.resolution as { chosen: Ref; ambiguous: boolean };
  assert.is(res.chosen.qualified_name, 'SessionStore.purgeExpired');
  assert.is(res.ambiguous, false);
  const names = bundleNames(data);
  assert.ok(names.includes('Clock'), names.join(', '));
  assert.match(text, 'this.sessions.delete(id)');
  assert.ok(estimateTokens(text) <= 1500);
  // The same symbol by file and line.
  const byLine = await call('leindex_context', { symbol: 'src/auth/sessions.ts:26', token_budget: 500 });
  assert.is((byLine.data.resolution as { chosen: Ref }).chosen.qualified_name, 'SessionStore.purgeExpired');
});

test('leindex_symbol_lookup: a batch with callers and callees; a miss is one entry', async () => {
  const { data, text } = await call('leindex_symbol_lookup', {
    names: ['Clock.now', 'purgeExpired', 'noSuchThing'],
    callers: true,
    depth: 2,
  });
  const results = data.results as {
    name: string;
    found: boolean;
    error?: { code: string };
    chosen?: Ref;
    definitions: (Ref & { signature?: string; doc?: string })[];
    callers?: { count: number; nodes: (Ref & { depth: number; via: string })[] };
    callees?: unknown;
  }[];
  assert.is(results.length, 3);
  const [now, purge, miss] = results;
  assert.is(now?.chosen?.qualified_name, 'Clock.now');
  assert.is(now?.definitions[0]?.signature, 'now(): number');
  const callers = now?.callers?.nodes ?? [];
  assert.ok(callers.some((c) => c.qualified_name === 'SessionStore.open' && c.depth === 1));
  const deep = callers.find((c) => c.qualified_name === 'testPurgeExpired');
  assert.is(deep?.depth, 2);
  // The test calls both (`store.open(..)` and `store.purgeExpired()`, `store` a SessionStore).
  assert.ok(['SessionStore.purgeExpired', 'SessionStore.open'].includes(deep?.via ?? ''), deep?.via);
  assert.is(now?.callees, undefined, 'callers only, as asked');
  assert.is(
    purge?.definitions[0]?.doc,
    'Removes every session that has expired; returns how many were removed.',
  );
  assert.is(miss?.found, false);
  assert.is(miss?.error?.code, 'E_SYMBOL_NOT_FOUND');
  assert.match(text, 'callers of Clock.now (depth 2)');
  assert.match(text, 'noSuchThing: E_SYMBOL_NOT_FOUND');

  const both = await call('leindex_symbol_lookup', { name: 'SessionStore.purgeExpired' });
  const entry = (both.data.results as { callees?: { nodes: Ref[] } }[])[0];
  assert.ok(entry?.callees?.nodes.some((n) => n.qualified_name === 'Clock.now'));

  assert.match(await callError('leindex_symbol_lookup', { name: 'noSuchThing' }), /^E_SYMBOL_NOT_FOUND: /);
  assert.match(await callError('leindex_symbol_lookup', {}), /^E_USAGE: /);
});

test('leindex_impact_analysis: dependents with risk, the rule stated', async () => {
  const { data, text } = await call('leindex_impact_analysis', { symbol: 'Clock.now' });
  assert.is((data.symbol as Ref).qualified_name, 'Clock.now');
  assert.ok(['high', 'medium', 'low'].includes(data.risk as string));
  assert.match(data.rule as string, 'high = ');
  const deps = data.dependents as (Ref & { distance: number; edge: string; risk: string; test: boolean })[];
  const open = deps.find((d) => d.qualified_name === 'SessionStore.open');
  assert.is(open?.distance, 1);
  assert.is(open?.edge, 'calls');
  const t = deps.find((d) => d.qualified_name === 'testPurgeExpired');
  assert.is(t?.distance, 2);
  assert.is(t?.test, true);
  assert.is((data.counts as { tests: number }).tests, 1);
  assert.match(text, `risk ${data.risk as string}`);
  assert.match(text, 'rule: per dependent');

  const shallow = await call('leindex_impact_analysis', { symbol: 'Clock.now', depth: 1 });
  assert.ok((shallow.data.dependents as { distance: number }[]).every((d) => d.distance === 1));
  const none = await call('leindex_impact_analysis', { symbol: 'retryWithBackoff' });
  assert.is(none.data.risk, 'none');
  assert.match(none.text, 'no dependents found');
});

test('leindex_text_search: regex hits with their enclosing symbol, context, filters', async () => {
  const { data, text } = await call('leindex_text_search', {
    pattern: 'sessions\\.(delete|set)\\(',
    context: 1,
  });
  const hits = data.hits as {
    file: string;
    line: number;
    text: string;
    before?: string[];
    symbol: { qualified_name: string; kind: string };
  }[];
  assert.equal(
    hits.map((h) => `${h.line} ${h.symbol.qualified_name}`),
    ['19 SessionStore.open', '29 SessionStore.purgeExpired', '38 SessionStore.revoke'],
  );
  assert.ok(hits.every((h) => h.file === 'src/auth/sessions.ts' && h.before?.length === 1));
  assert.is(data.timed_out, false);
  assert.match(text, 'src/auth/sessions.ts:29:14  [method SessionStore.purgeExpired L24-34]');

  const lit = await call('leindex_text_search', { pattern: 'DATE.NOW(', fixed: true, ignore_case: true });
  assert.is((lit.data.hits as unknown[]).length, 1);
  const py = await call('leindex_text_search', { pattern: 'def ', languages: ['python'], limit: 2 });
  assert.ok((py.data.hits as { file: string }[]).every((h) => h.file.endsWith('.py')));
  assert.is(py.data.truncated, true);
});

test('leindex_read_symbol: resolved by the shared lookup (line, absolute path, ranking)', async () => {
  const byLine = await call('leindex_read_symbol', { symbol: 'src/auth/sessions.ts:26' });
  assert.is((byLine.data.symbol as { qualified_name: string }).qualified_name, 'SessionStore.purgeExpired');
  assert.match(byLine.data.source as string, /^purgeExpired\(\): number \{/);
  const abs = await call('leindex_read_symbol', { symbol: `${join(ws.dir, 'src/net/clock.ts')}:Clock` });
  assert.is((abs.data.symbol as { file: string }).file, 'src/net/clock.ts');
  // `open` is a method of SessionStore only, found by its plain name.
  const open = await call('leindex_read_symbol', { symbol: 'open' });
  assert.is((open.data.symbol as { qualified_name: string }).qualified_name, 'SessionStore.open');
  const missing = await callError('leindex_read_symbol', { symbol: 'purgeExpird' });
  assert.match(missing, /^E_SYMBOL_NOT_FOUND: /);
  assert.match(missing, 'hint: close names: SessionStore.purgeExpired');
});

test('hostile and malformed arguments are isError results with codes; the server stays up', async () => {
  const coded: [string, Data, RegExp][] = [
    ['leindex_search', { query: '' }, /^E_USAGE: .*\nhint: /],
    ['leindex_search', { query: '   ' }, /^E_USAGE: /],
    ['leindex_deep_analyze', { query: '\n' }, /^E_USAGE: /],
    ['leindex_text_search', { pattern: '(unclosed' }, /^E_USAGE: .*\nhint: .*fixed: true/],
    ['leindex_text_search', { pattern: '' }, /^E_USAGE: /],
    ['leindex_context', { symbol: 'NoSuchSymbol' }, /^E_SYMBOL_NOT_FOUND: /],
    ['leindex_impact_analysis', { symbol: 'NoSuchSymbol' }, /^E_SYMBOL_NOT_FOUND: /],
    ['leindex_context', { symbol: '../../etc/passwd:root' }, /^E_PATH_OUTSIDE_ROOT: /],
    ['leindex_impact_analysis', { symbol: '/etc/passwd#x' }, /^E_PATH_OUTSIDE_ROOT: /],
    ['leindex_symbol_lookup', { names: ['../../../etc/shadow:x'] }, /^E_PATH_OUTSIDE_ROOT: /],
    ['leindex_search', { query: 'x', project_path: '/etc' }, /^E_PATH_OUTSIDE_ROOT: /],
    ['leindex_text_search', { pattern: 'x', project_path: join(ws.dir, '..') }, /^E_PATH_OUTSIDE_ROOT: /],
    ['leindex_symbol_lookup', { name: 'a', names: ['b'] }, /^E_USAGE: /],
  ];
  for (const [name, args, expected] of coded) {
    const text = await callError(name, args);
    assert.match(text, expected, `${name} ${JSON.stringify(args)}: ${text}`);
  }
  const bad: [string, Data][] = [
    ['leindex_search', { query: 'x', token_budget: 32_001 }],
    ['leindex_deep_analyze', { query: 'x', token_budget: 1e9 }],
    ['leindex_context', { symbol: 'Clock', token_budget: 50 }],
    ['leindex_search', { query: 42 }],
    ['leindex_search', { query: 'x', limit: 0 }],
    ['leindex_search', { query: 'x', mode: 'fuzzy' }],
    ['leindex_search', { query: 'x', languages: ['cobol'] }],
    ['leindex_search', { query: 'x', kinds: ['banana'] }],
    ['leindex_text_search', { pattern: 'x', context: 1000 }],
    ['leindex_text_search', { pattern: ['x'] }],
    ['leindex_symbol_lookup', { names: [] }],
    ['leindex_symbol_lookup', { names: Array.from({ length: 21 }, (_, i) => `n${i}`) }],
    ['leindex_symbol_lookup', { name: 'Clock', depth: 99 }],
    ['leindex_impact_analysis', { symbol: 'Clock', depth: 0 }],
    ['leindex_impact_analysis', {}],
    ['leindex_context', { symbol: 'x'.repeat(100_000) }],
  ];
  for (const [name, args] of bad) await callError(name, args);

  const alive = await call('leindex_diagnostics');
  assert.is(alive.data.status, 'ok');
  assert.ok((alive.data.server as { errors: number }).errors >= coded.length);
});

test('concurrent calls of every query tool all answer from the same generation', async () => {
  const calls: Promise<{ data: Data }>[] = [];
  for (let i = 0; i < 4; i++) {
    calls.push(call('leindex_search', { query: 'expired sessions' }));
    calls.push(call('leindex_deep_analyze', { query: 'how does the retry backoff work', token_budget: 800 }));
    calls.push(call('leindex_context', { symbol: 'LruCache.get', token_budget: 600 }));
    calls.push(call('leindex_symbol_lookup', { names: ['Clock.now', 'LruCache.set'] }));
    calls.push(call('leindex_impact_analysis', { symbol: 'Session' }));
    calls.push(call('leindex_text_search', { pattern: 'return\\s+\\w+;' }));
    calls.push(call('leindex_read_symbol', { symbol: 'SessionStore.revoke' }));
  }
  const results = await Promise.all(calls);
  assert.is(results.length, 28);
  assert.ok(results.every((r) => r.data.generation === 1 && r.data.stale === false));
});

test.run();
