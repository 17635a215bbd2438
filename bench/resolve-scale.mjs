// Resolution at scale: generates a synthetic tree of N source files (default 100,000: TypeScript,
// Python and Rust in packages of 40 modules, each module importing 4 others — mostly its own
// package, some across packages, under aliases and through barrels / re-exports — with calls
// that pass and consume values, fields written and read across methods, module-level state,
// and declared types from per-file to per-package hubs), indexes it once without embeddings,
// then loads every fragment back and times mergeFragments (merge + cross-file resolution + data
// flow) several times in this process. Parsing is not what this measures.
// Prints JSON lines; appends the summary to bench/runs/resolve-scale-<date>.jsonl. Each run
// records its CPU per merge phase (MergeOptions.onPhase); minCpuMs and phaseMinCpuMs are the
// least any run took, the figures a loaded machine disturbs least.
// With --reuse-index an index already built in DIR is used as it is (no generation, no indexing),
// so peakRssMb is the merge's own (plus the loaded fragments), not the indexing run's.
// Usage: node bench/resolve-scale.mjs [--files N] [--dir DIR] [--reps N] [--threads N] [--regen]
//        [--reuse-index] [--label TEXT] [--dist DIR] [--runs FILE]
// --dist DIR merges with another build's compiled dist/ (an A/B against another checkout
// without writing into it); --runs FILE appends the row there instead of the dated file.
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const dist = flag('--dist', join(root, 'dist'));
const N = Number(flag('--files', '100000'));
const dir = flag('--dir', `/tmp/leindex-resolve-scale-${N}`);
const reps = Number(flag('--reps', '3'));
const threads = Number(flag('--threads', String(cpus().length)));
const PKG = 40; // modules per package / crate
const log = (m) => process.stderr.write(`${m}\n`);

// ------------------------------------------------------------------------- generation

/** Deterministic pseudo-random numbers (mulberry32), so every run generates the same tree. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Names shared by many modules (as real code reuses `load`, `handle`, `parse`). */
const VERBS =
  'load save parse render build apply merge check fetch store index query emit scan sort format'.split(' ');
const NOUNS = 'config user item record token node entry batch event state table page frame chunk'.split(' ');
const fname = (r) => `${VERBS[Math.floor(r() * VERBS.length)]}_${NOUNS[Math.floor(r() * NOUNS.length)]}`;
/** The shared-vocabulary function module m of package p defines (and its peers call). */
const fnOf = (lang, p, m) => fname(rng(7e6 + lang * 1e6 + p * 1000 + m));
const camel = (s) => s.replace(/_(\w)/g, (_, c) => c.toUpperCase());

/** Which modules module (p, m) imports: three in its package, one in another package. */
function peers(r, p, m, pkgs) {
  const own = [1, 2, 3].map((d) => (m + d * 7) % PKG);
  const other = [Math.floor(r() * pkgs), Math.floor(r() * PKG)];
  return { own, other };
}

function tsModule(p, m, pkgs) {
  const r = rng(p * 1000 + m);
  const { own, other } = peers(r, p, m, pkgs);
  const [a, b, c] = own;
  const f = fnOf(0, p, m);
  const stray = camel(fname(r)); // defined by hundreds of modules, imported by none: stays unresolved
  const lines = [
    `import { run_${a} as runA, Rec${a} } from './m${a}';`,
    `import { build_${b} } from './m${b}';`,
    `import * as peer from './m${c}';`,
    `import { Item${other[0]}, make_${other[1]} } from '../p${other[0]}/index';`,
    `import { Item${p} } from './index';`,
    '',
    `export let counter${m} = 0;`,
    `export interface Rec${m} { id: number; label: string }`,
    '',
    `export class Svc${m} {`,
    '  private total = 0;',
    `  private last: Rec${m} | undefined;`,
    `  constructor(private readonly name: string) {}`,
    '  add(v: number): void {',
    '    this.total += v;',
    '  }',
    `  report(): string {`,
    `    return this.name + this.total;`,
    '  }',
    `  run(rec: Rec${a}): Rec${m} {`,
    `    const out = runA(rec);`,
    '    this.add(out.id);',
    `    this.last = { id: out.id, label: peer.${camel(fnOf(0, p, c))}(out.label) };`,
    '    return this.last;',
    '  }',
    '}',
    '',
    `export function run_${m}(rec: Rec${a}): Rec${a} {`,
    `  counter${m}++;`,
    `  const svc = new Svc${m}(${stray}(rec.label));`,
    `  svc.add(build_${b}(rec.id));`,
    '  return rec;',
    '}',
    '',
    `export function build_${m}(n: number): number {`,
    `  return n + counter${m};`,
    '}',
    '',
    `export function make_${m}(id: number): Item${p} {`,
    `  return { id, rec: { id, label: String(id) } };`,
    '}',
    '',
    `export function take_${m}(item: Item${p}, other: Item${other[0]}): number {`,
    `  const made = make_${other[1]}(other.id);`,
    '  return item.id + made.id;',
    '}',
    '',
    `export function ${camel(f)}(label: string): string {`,
    `  return label.trim();`,
    '}',
    '',
    `export function pipeline_${m}(items: Rec${a}[]): number {`,
    '  let acc = 0;',
    '  for (const it of items) {',
    '    const r = runA(it);',
    `    acc += build_${b}(r.id) + peer.build_${c}(acc);`,
    `    counter${m} = acc;`,
    `    if (${stray}(r.label)) acc += make_${other[1]}(acc).id;`,
    '  }',
    `  return acc + build_${m}(acc);`,
    '}',
    '',
  ];
  return lines.join('\n');
}

function tsIndex(p) {
  const out = [`export interface Item${p} { id: number; rec: { id: number; label: string } }`];
  for (let m = 0; m < PKG; m++) out.push(`export { make_${m}, take_${m} as consume_${m} } from './m${m}';`);
  return `${out.join('\n')}\n`;
}

function pyModule(p, m, pkgs) {
  const r = rng(2e6 + p * 1000 + m);
  const { own, other } = peers(r, p, m, pkgs);
  const [a, b, c] = own;
  const f = fnOf(1, p, m);
  const stray = fname(r);
  return [
    `from .m${a} import run_${a} as run_a, Rec${a}`,
    `from .m${b} import build_${b}`,
    `from . import m${c} as peer`,
    `from . import state`,
    `from ..p${other[0]} import make_${other[1]}, Item${other[0]}`,
    `from . import Item${p}`,
    '',
    `COUNTER_${m} = 0`,
    '',
    '',
    `class Rec${m}:`,
    '    def __init__(self, id: int, label: str):',
    '        self.id = id',
    '        self.label = label',
    '',
    '',
    `class Svc${m}:`,
    '    def __init__(self, name):',
    '        self.name = name',
    '        self.total = 0',
    '',
    '    def add(self, v):',
    '        self.total += v',
    '',
    '    def report(self):',
    '        return f"{self.name}{self.total}"',
    '',
    `    def run(self, rec: Rec${a}) -> Rec${m}:`,
    '        out = run_a(rec)',
    '        self.add(out.id)',
    `        return Rec${m}(out.id, peer.${fnOf(1, p, c)}(out.label))`,
    '',
    '',
    `def run_${m}(rec: Rec${a}) -> Rec${a}:`,
    `    global COUNTER_${m}`,
    `    COUNTER_${m} += 1`,
    `    svc = Svc${m}(${stray}(rec.label))`,
    `    svc.add(build_${b}(rec.id))`,
    `    state.LEVEL = rec.id`,
    '    return rec',
    '',
    '',
    `def build_${m}(n):`,
    `    return n + COUNTER_${m} + state.LEVEL`,
    '',
    '',
    `def make_${m}(id) -> Item${p}:`,
    `    return Item${p}(id)`,
    '',
    '',
    `def take_${m}(item: Item${p}, other: Item${other[0]}):`,
    `    made = make_${other[1]}(other.id)`,
    '    return item.id + made.id',
    '',
    '',
    `def ${f}(label):`,
    '    return label.strip()',
    '',
    '',
    `def pipeline_${m}(items):`,
    `    global COUNTER_${m}`,
    '    acc = 0',
    '    for it in items:',
    '        r = run_a(it)',
    `        acc += build_${b}(r.id) + peer.build_${c}(acc)`,
    `        COUNTER_${m} = acc`,
    `        if ${stray}(r.label):`,
    `            acc += make_${other[1]}(acc).id`,
    `    return acc + build_${m}(acc)`,
    '',
  ].join('\n');
}

function pyInit(p) {
  const out = [`class Item${p}:`, '    def __init__(self, id):', '        self.id = id', '', ''];
  for (let m = 0; m < PKG; m++) out.push(`from .m${m} import make_${m}, take_${m} as consume_${m}`);
  return `${out.join('\n')}\n`;
}

function rsModule(p, m, pkgs) {
  const r = rng(4e6 + p * 1000 + m);
  const { own, other } = peers(r, p, m, pkgs);
  const [a, b, c] = own;
  const f = fnOf(2, p, m);
  const stray = fname(r);
  return [
    `use crate::m${a}::{run_${a} as run_a, Rec${a}};`,
    `use crate::m${b}::build_${b};`,
    `use crate::m${c} as peer;`,
    `use crate::Item;`,
    `use c${other[0]}::{make_${other[1]}, Item as OtherItem};`,
    '',
    `static mut COUNTER_${m}: u64 = 0;`,
    '',
    `pub struct Rec${m} {`,
    '    pub id: u64,',
    '    pub label: String,',
    '}',
    '',
    `pub struct Svc${m} {`,
    '    name: String,',
    '    total: u64,',
    '}',
    '',
    `impl Svc${m} {`,
    `    pub fn new(name: String) -> Self {`,
    `        Svc${m} { name, total: 0 }`,
    '    }',
    '    pub fn add(&mut self, v: u64) {',
    '        self.total += v;',
    '    }',
    '    pub fn report(&self) -> String {',
    '        format!("{}{}", self.name, self.total)',
    '    }',
    `    pub fn run(&mut self, rec: Rec${a}) -> Rec${m} {`,
    '        let out = run_a(rec);',
    '        self.add(out.id);',
    `        Rec${m} { id: out.id, label: peer::${fnOf(2, p, c)}(&out.label) }`,
    '    }',
    '}',
    '',
    `pub fn run_${m}(rec: Rec${a}) -> Rec${a} {`,
    `    unsafe { COUNTER_${m} += 1; }`,
    `    let mut svc = Svc${m}::new(${stray}(&rec.label));`,
    `    svc.add(build_${b}(rec.id));`,
    '    rec',
    '}',
    '',
    `pub fn build_${m}(n: u64) -> u64 {`,
    `    n + unsafe { COUNTER_${m} }`,
    '}',
    '',
    `pub fn make_${m}(id: u64) -> Item {`,
    '    Item { id }',
    '}',
    '',
    `pub fn take_${m}(item: &Item, other: &OtherItem) -> u64 {`,
    `    let made = make_${other[1]}(other.id);`,
    '    item.id + made.id',
    '}',
    '',
    `pub fn ${f}(label: &str) -> String {`,
    '    label.trim().to_string()',
    '}',
    '',
    `pub fn pipeline_${m}(items: Vec<Rec${a}>) -> u64 {`,
    '    let mut acc = 0;',
    '    for it in items {',
    '        let r = run_a(it);',
    `        acc += build_${b}(r.id) + peer::build_${c}(acc);`,
    `        unsafe { COUNTER_${m} = acc; }`,
    `        if ${stray}(&r.label).is_empty() {`,
    `            acc += make_${other[1]}(acc).id;`,
    '        }',
    '    }',
    `    acc + build_${m}(acc)`,
    '}',
    '',
  ].join('\n');
}

function rsLib() {
  const out = ['pub struct Item {', '    pub id: u64,', '}', ''];
  for (let m = 0; m < PKG; m++) out.push(`pub mod m${m};`);
  for (let m = 0; m < PKG; m++) out.push(`pub use m${m}::{make_${m}, take_${m} as consume_${m}};`);
  return `${out.join('\n')}\n`;
}

function generate() {
  const stamp = join(dir, '.generated');
  const want = JSON.stringify({ N, PKG, v: 2 });
  if (!args.includes('--regen') && existsSync(stamp) && readFileSync(stamp, 'utf8') === want) {
    log(`reusing ${dir}`);
    return;
  }
  rmSync(dir, { recursive: true, force: true });
  const split = { ts: Math.round(N * 0.4), py: Math.round(N * 0.3) };
  split.rs = N - split.ts - split.py;
  let bytes = 0;
  const put = (rel, text) => {
    const path = join(dir, rel);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
    bytes += text.length;
  };
  // Each package holds PKG modules plus its barrel (index.ts / __init__.py + state.py / lib.rs).
  const tsP = Math.max(1, Math.round(split.ts / (PKG + 1)));
  const pyP = Math.max(1, Math.round(split.py / (PKG + 2)));
  const rsP = Math.max(1, Math.round(split.rs / (PKG + 1)));
  for (let p = 0; p < tsP; p++) {
    put(`ts/src/p${p}/index.ts`, tsIndex(p));
    for (let m = 0; m < PKG; m++) put(`ts/src/p${p}/m${m}.ts`, tsModule(p, m, tsP));
  }
  for (let p = 0; p < pyP; p++) {
    put(`py/app/p${p}/__init__.py`, pyInit(p));
    for (let m = 0; m < PKG; m++) put(`py/app/p${p}/m${m}.py`, pyModule(p, m, pyP));
  }
  put('py/app/__init__.py', '');
  for (let p = 0; p < pyP; p++) put(`py/app/p${p}/state.py`, 'LEVEL = 0\n');
  for (let p = 0; p < rsP; p++) {
    put(`rs/c${p}/src/lib.rs`, rsLib());
    for (let m = 0; m < PKG; m++) put(`rs/c${p}/src/m${m}.rs`, rsModule(p, m, rsP));
  }
  writeFileSync(stamp, want);
  log(`generated ${dir}: ${(bytes / 1e6).toFixed(1)} MB`);
}

// ------------------------------------------------------------------------- measurement

const { runIndex } = await import(`${dist}/src/pipeline/run-index.js`);
const { defaultOptions } = await import(`${dist}/src/config.js`);
const { mergeFragments } = await import(`${dist}/src/graph/merge.js`);
const { edgesByKind, graphDigest } = await import(`${dist}/src/graph/graph.js`);
const { storedMergeInputs } = await import('./stored-inputs.mjs');

const t0 = performance.now();
const indexDir = join(dir, '.leindex');
const reuse = args.includes('--reuse-index') && existsSync(join(dir, '.generated')) && existsSync(indexDir);
let summary;
if (!reuse) {
  generate();
  log(`indexing ${dir} on ${threads} threads (no embeddings)`);
  summary = await runIndex({
    root: dir,
    options: { ...defaultOptions(dir), threads, useGit: false, embeddings: false, indexDir },
  });
  log(`indexed ${summary.files.indexed} files; pipeline merge ${Math.round(summary.phases.mergeMs)} ms`);
} else log(`reusing the index in ${indexDir}`);
const genMs = performance.now() - t0;

const inputs = await storedMergeInputs(indexDir);

const runs = [];
let graph;
let flow;
for (let r = 0; r < reps; r++) {
  globalThis.gc?.();
  const w0 = performance.now();
  const c0 = process.cpuUsage();
  // CPU time per merge phase (process-wide, so GC threads count where they run).
  const phaseCpuMs = {};
  const phaseWallMs = {};
  let mark = c0;
  let wallMark = w0;
  const onPhase = (name) => {
    const d = process.cpuUsage(mark);
    mark = process.cpuUsage();
    phaseCpuMs[name] = Math.round((d.user + d.system) / 1000);
    phaseWallMs[name] = Math.round(performance.now() - wallMark);
    wallMark = performance.now();
  };
  graph = mergeFragments(inputs, { onFlow: (s) => (flow = s), onPhase });
  const wall = performance.now() - w0;
  const c = process.cpuUsage(c0);
  runs.push({
    wallMs: Math.round(wall),
    cpuMs: Math.round((c.user + c.system) / 1000),
    phaseCpuMs,
    phaseWallMs,
  });
  log(
    `merge+resolve run ${r + 1}: ${runs[r].wallMs} ms wall, ${runs[r].cpuMs} ms cpu ${JSON.stringify(phaseCpuMs)}`,
  );
}
const median = (k) => runs.map((x) => x[k]).sort((a, b) => a - b)[runs.length >> 1];
/** Per phase, the least CPU any run took: the figure least disturbed by other load. */
const phaseMinCpuMs = Object.fromEntries(
  Object.keys(runs[0]?.phaseCpuMs ?? {}).map((k) => [
    k,
    Math.min(...runs.map((x) => x.phaseCpuMs[k] ?? Infinity)),
  ]),
);
const s = graph.stats;
const calls = (s.refs.call ?? 0) + (s.refs.instantiate ?? 0);
const resolvedCalls = (s.resolved.call ?? 0) + (s.resolved.instantiate ?? 0);
const row = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  memGb: Math.round(totalmem() / 2 ** 30),
  files: inputs.length,
  mb: +(inputs.reduce((n, i) => n + i.size, 0) / 1e6).toFixed(1),
  generateMs: Math.round(genMs),
  label: flag('--label', undefined),
  loadAvg: loadavg().map((x) => +x.toFixed(2)),
  reusedIndex: reuse,
  indexMs: summary ? Math.round(summary.phases.totalMs) : undefined,
  pipelineMergeMs: summary ? Math.round(summary.phases.mergeMs) : undefined,
  mergeWallMs: median('wallMs'),
  mergeCpuMs: median('cpuMs'),
  minCpuMs: Math.min(...runs.map((x) => x.cpuMs)),
  phaseMinCpuMs,
  runs,
  symbols: graph.fileSymbolCount,
  refs: Object.values(s.refs).reduce((a, b) => a + b, 0),
  digest: graphDigest(graph),
  edges: graph.forward.targets.length,
  edgesByKind: edgesByKind(graph),
  callsResolved: +(resolvedCalls / Math.max(1, calls)).toFixed(3),
  callConfidence: s.callConfidence,
  flow,
  peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
};
console.log(JSON.stringify(row));
const out = join(root, 'bench', 'runs');
mkdirSync(out, { recursive: true });
appendFileSync(
  flag('--runs', join(out, `resolve-scale-${row.date.slice(0, 10)}.jsonl`)),
  `${JSON.stringify(row)}\n`,
);
