// MCP server benchmark: start-up to first answer, per-tool latency (p50/p99 over a few hundred
// calls, the tools interleaved so machine load hits them alike) and the server's RSS idle and
// under load, on an indexed tree (default: the benchmark corpus indexed into /tmp/mcp-idx).
// Drives the compiled `leindex serve` with the SDK's Client over stdio, as an agent would.
// Prints JSON lines; --record appends them to bench/runs/mcp-<date>.jsonl.
// Usage: node dist/bench/mcp.js [--corpus DIR] [--index-dir DIR] [--rounds N] [--starts N] [--idle]

import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import pidusage from 'pidusage';
import { SymbolKind } from '../src/protocol.js';
import { IndexSession } from '../src/query/session.js';
import { drawQueries } from './latency/queries.js';
import { prng as rng } from '../scripts/embed/linalg.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(repo, 'bin', 'leindex.js');
const args = process.argv.slice(2);
const flag = (name: string, dflt: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? dflt) : dflt;
};
const corpus = flag('--corpus', join(repo, 'bench', 'corpus'));
const indexDir = flag('--index-dir', '/tmp/mcp-idx');
const rounds = Number(flag('--rounds', '100'));
const starts = Number(flag('--starts', '3'));
const record = args.includes('--record');
const lines: object[] = [];

function emit(row: object): void {
  // The machine's load goes with every line: on a shared runner it explains most of the spread.
  const full = {
    ...row,
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    loadavg1: +(loadavg()[0] ?? 0).toFixed(1),
  };
  lines.push(full);
  process.stdout.write(`${JSON.stringify(full)}\n`);
}

interface Server {
  client: Client;
  pid: number;
  close: () => Promise<void>;
}

async function start(extra: string[] = []): Promise<{ server: Server; connectMs: number }> {
  const t0 = performance.now();
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [
      BIN,
      'serve',
      '--path',
      corpus,
      '--index-dir',
      indexDir,
      '--no-git',
      '--no-refresh',
      '--quiet',
      ...extra,
    ],
    stderr: 'inherit',
  });
  const client = new Client({ name: 'leindex-bench', version: '1.0.0' });
  await client.connect(transport);
  const connectMs = performance.now() - t0;
  return { server: { client, pid: transport.pid ?? 0, close: () => client.close() }, connectMs };
}

async function call(s: Server, name: string, a: Record<string, unknown>): Promise<number> {
  const t = performance.now();
  const r = (await s.client.callTool({ name, arguments: a })) as CallToolResult;
  const ms = performance.now() - t;
  if (r.isError) throw new Error(`${name} ${JSON.stringify(a)}: ${JSON.stringify(r.content)}`);
  return ms;
}

async function rssMb(pid: number): Promise<number> {
  const u = await pidusage(pid);
  return Math.round(u.memory / 2 ** 20);
}

/** RSS split into anonymous (heap, buffers) and file-backed (mapped store and vector pages), MB; Linux only. */
function rssParts(pid: number): { anonMb: number; fileMb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string): number =>
      Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
    return { anonMb: Math.round(kb('RssAnon') / 1024), fileMb: Math.round(kb('RssFile') / 1024) };
  } catch {
    return undefined;
  }
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return +(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0).toFixed(2);
}

// ---- the questions: files, symbols and directories drawn from the index itself
const session = IndexSession.open(corpus, indexDir);
const g = session.graph();
const random = rng(42);
const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)] as T;
const files = g.files.relPath;
const symbols: string[] = [];
const names: string[] = []; // the same symbols' own names (`[Hash.symbol]` has dots of its own)
const wanted = new Set<number>([SymbolKind.function, SymbolKind.method, SymbolKind.class, SymbolKind.struct]);
for (let id = 0; id < g.fileSymbolCount; id++) {
  if (!wanted.has(g.symbols.kind[id] ?? -1)) continue;
  const f = g.symbols.file[id] ?? 0;
  symbols.push(`${files[f]}:${g.strings[g.symbols.qualifiedName[id] ?? 0]}`);
  names.push(g.strings[g.symbols.name[id] ?? 0] ?? '');
}
const dirs = [...new Set(files.map((p) => p.split('/').slice(0, 2).join('/')))];
// Search queries of every kind the latency bench uses (identifiers, phrases, doc sentences,
// pasted reports), and the natural-language ones again as analyze questions.
const drawn = drawQueries(session, 300);
const queries = drawn.map((q) => q.text);
const questions = drawn.filter((q) => q.type === 'phrase' || q.type === 'doc-sentence').map((q) => q.text);
const generation = session.generation;
await session.close();

// ---- start-up to first answer (fresh processes, one after another)
for (let i = 0; i < starts; i++) {
  const t0 = performance.now();
  const { server, connectMs } = await start();
  // The first useful answer: a file's outline (needs the graph, decoded once per generation).
  const queryMs = await call(server, 'leindex_file_summary', { file: pick(files) });
  const firstAnswerMs = performance.now() - t0;
  const diagMs = await call(server, 'leindex_diagnostics', {});
  emit({
    bench: 'mcp-startup',
    run: i,
    connectMs: Math.round(connectMs),
    firstAnswerMs: Math.round(firstAnswerMs),
    firstFileSummaryMs: Math.round(queryMs),
    thenDiagnosticsMs: Math.round(diagMs),
    rssAfterFirstAnswerMb: await rssMb(server.pid),
  });
  await server.close();
}

// ---- latency and memory under load
const { server } = await start();
await call(server, 'leindex_diagnostics', {});
await new Promise((r) => setTimeout(r, 2000)); // let warm-up (graph decode) finish
const idleRss = await rssMb(server.pid);
// [label, arguments, every]: text search (a scan of every file) and the bundle-building tools
// (analyze, context, impact) cost tens to hundreds of ms each: they run every 2nd round.
const calls: [string, () => Record<string, unknown>, number][] = [
  ['leindex_file_summary', () => ({ file: pick(files) }), 1],
  ['leindex_read_symbol', () => ({ symbol: pick(symbols) }), 1],
  ['leindex_read_symbol (by name)', () => ({ symbol: pick(names) }), 1],
  ['leindex_project_map', () => (random() < 0.2 ? {} : { path: pick(dirs) }), 1],
  ['leindex_diagnostics', () => ({}), 1],
  ['leindex_search', () => ({ query: pick(queries) }), 1],
  ['leindex_symbol_lookup', () => ({ name: pick(names) }), 1],
  ['leindex_text_search', () => ({ pattern: pick(names), fixed: true, limit: 20 }), 2],
  ['leindex_deep_analyze', () => ({ query: pick(questions), token_budget: 2000 }), 2],
  ['leindex_context', () => ({ symbol: pick(symbols), token_budget: 2000 }), 2],
  ['leindex_impact_analysis', () => ({ symbol: pick(symbols) }), 2],
];
const times = new Map<string, number[]>(calls.map(([n]) => [n, []]));
let peakRss = idleRss;
const sampler = setInterval(() => {
  void rssMb(server.pid).then((mb) => (peakRss = Math.max(peakRss, mb)));
}, 100);
const loadStart = performance.now();
let callCount = 0;
for (let r = 0; r < rounds; r++) {
  for (const [label, make, every] of calls) {
    if (r % every !== 0) continue;
    const name = label.split(' ')[0] ?? label;
    times.get(label)?.push(await call(server, name, make()));
    callCount++;
  }
}
const loadSecs = (performance.now() - loadStart) / 1000;
clearInterval(sampler);
const afterRss = await rssMb(server.pid);
// A no-op index request: a child process that finds nothing changed.
const indexTimes: number[] = [];
for (let i = 0; i < 5; i++) indexTimes.push(await call(server, 'leindex_index', { wait_seconds: 120 }));
times.set('leindex_index (no-op)', indexTimes);
for (const [tool, xs] of times) {
  emit({
    bench: 'mcp-latency',
    tool,
    calls: xs.length,
    p50Ms: pct(xs, 50),
    p90Ms: pct(xs, 90),
    p99Ms: pct(xs, 99),
    maxMs: pct(xs, 100),
  });
}
emit({
  bench: 'mcp-memory',
  files: files.length,
  symbols: g.fileSymbolCount,
  generation,
  idleRssMb: idleRss,
  peakRssUnderLoadMb: peakRss,
  rssAfterLoadMb: afterRss,
  rssAfterLoad: rssParts(server.pid),
  callsPerSec: +(callCount / loadSecs).toFixed(1),
});
await server.close();

if (args.includes('--idle')) {
  // Caches are released after --idle-minutes without a query: load, then wait one out.
  const { server: idle } = await start(['--idle-minutes', '1']);
  for (let i = 0; i < 50; i++) await call(idle, 'leindex_file_summary', { file: pick(files) });
  const memory = async (): Promise<unknown> => {
    const r = (await idle.client.callTool({ name: 'leindex_diagnostics', arguments: {} })) as CallToolResult;
    return (r.structuredContent as { memory: unknown }).memory;
  };
  const before = await memory();
  await new Promise((r) => setTimeout(r, 65_000));
  emit({ bench: 'mcp-idle-release', before, after: await memory(), rssAfterMb: await rssMb(idle.pid) });
  await idle.close();
}

if (record) {
  const runs = join(repo, 'bench', 'runs');
  mkdirSync(runs, { recursive: true });
  const out = join(runs, `mcp-${new Date().toISOString().slice(0, 10)}.jsonl`);
  for (const l of lines) appendFileSync(out, `${JSON.stringify(l)}\n`);
  process.stderr.write(`recorded ${lines.length} lines in ${out}\n`);
}
