// Calibration of estimateTokens (src/query/tokens.ts) against real BPE tokenizers (cl100k_base
// and o200k_base from `gpt-tokenizer`, a devDependency used only here): relative error per
// chunk (mean, p50, p95, bias) on code of each corpus language and on prose, and the
// estimator's speed in MB/s. Main thread. Prints one JSON line per text class, then a summary.
// Usage: node dist/bench/analyze/calibrate-tokens.js [--corpus DIR] [--prose DIR] [--record]
// (GPT_TOKENIZER_DIR=<dir containing gpt-tokenizer> when it is not installed in node_modules).

import { appendFileSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { estimateTokens } from '../../src/query/tokens.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
/** Chunks the size of the symbols a bundle holds: a few lines to a long function. */
const CHUNK_LINES = [8, 24, 60, 150] as const;
/** Chunks per text class: enough for a stable p95, small enough to tokenise in seconds. */
const CHUNKS_PER_CLASS = 1500;

type Encode = (text: string) => number[];

async function tokenizer(encoding: string): Promise<Encode> {
  const dir = process.env.GPT_TOKENIZER_DIR;
  // A computed specifier: tsc does not resolve it, so the build never needs the package.
  const spec = dir
    ? pathToFileURL(join(dir, 'esm', 'encoding', `${encoding}.js`)).href
    : `gpt-tokenizer/encoding/${encoding}`;
  const mod = (await import(spec)) as { encode: Encode };
  return (text) => mod.encode(text);
}

function listFiles(dir: string, exts: readonly string[], out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) listFiles(p, exts, out);
    else if (exts.some((e) => name.endsWith(e))) out.push(p);
  }
  return out;
}

/** Deterministic chunks: every k-th file, cut into runs of lines of the sizes above. */
function chunksOf(files: string[], count: number): string[] {
  const out: string[] = [];
  const step = Math.max(1, Math.floor(files.length / count));
  for (let i = 0, n = 0; i < files.length && out.length < count; i += step, n++) {
    const lines = readFileSync(files[i] ?? '', 'utf8').split('\n');
    const size = CHUNK_LINES[n % CHUNK_LINES.length] ?? 24;
    const start = lines.length > size ? (n * 7919) % (lines.length - size) : 0;
    const text = lines.slice(start, start + size).join('\n');
    if (text.trim().length > 0) out.push(text);
  }
  return out;
}

/** Prose: the README files of installed packages, cut into paragraphs of a few hundred chars. */
function proseChunks(dir: string, count: number): string[] {
  const out: string[] = [];
  const readmes = readdirSync(dir)
    .sort()
    .map((d) => join(dir, d, 'README.md'))
    .filter((p) => {
      try {
        return statSync(p).isFile();
      } catch {
        return false;
      }
    });
  for (const p of readmes) {
    const text = readFileSync(p, 'utf8');
    // Paragraphs of words, not code blocks or tables: that is what prose is here.
    for (const para of text.split(/\n\s*\n/)) {
      if (para.startsWith('```') || para.startsWith('|') || para.startsWith('<')) continue;
      if (para.length < 200 || (para.match(/[a-z]+ /g)?.length ?? 0) < 20) continue;
      out.push(para);
      if (out.length >= count) return out;
    }
  }
  return out;
}

interface ClassStats {
  class: string;
  chunks: number;
  chars: number;
  tokens: Record<string, number>;
  estimated: number;
  /** |est - real| / real per chunk, by reference encoding. */
  meanRelErr: Record<string, number>;
  p50RelErr: Record<string, number>;
  p95RelErr: Record<string, number>;
  /** Σ est / Σ real - 1: positive = the estimate is high (a budget is then respected). */
  bias: Record<string, number>;
  charsPerToken: Record<string, number>;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (name: string, dflt: string): string => {
    const i = argv.indexOf(name);
    return i >= 0 ? (argv[i + 1] ?? dflt) : dflt;
  };
  const corpus = resolve(arg('--corpus', join(REPO, 'bench/corpus')));
  const proseDir = resolve(arg('--prose', join(REPO, 'node_modules')));
  const encoders: Record<string, Encode> = {
    cl100k: await tokenizer('cl100k_base'),
    o200k: await tokenizer('o200k_base'),
  };
  const classes: [string, string[]][] = [
    ['rust', chunksOf(listFiles(join(corpus, 'rust'), ['.rs']), CHUNKS_PER_CLASS)],
    ['python', chunksOf(listFiles(join(corpus, 'python'), ['.py']), CHUNKS_PER_CLASS)],
    ['typescript', chunksOf(listFiles(join(corpus, 'typescript'), ['.ts', '.tsx']), CHUNKS_PER_CLASS)],
    [
      'javascript',
      chunksOf(listFiles(join(corpus, 'javascript'), ['.js', '.mjs', '.cjs']), CHUNKS_PER_CLASS),
    ],
    ['prose', proseChunks(proseDir, CHUNKS_PER_CLASS)],
  ];
  const results: ClassStats[] = [];
  for (const [name, chunks] of classes) {
    const st: ClassStats = {
      class: name,
      chunks: chunks.length,
      chars: 0,
      tokens: {},
      estimated: 0,
      meanRelErr: {},
      p50RelErr: {},
      p95RelErr: {},
      bias: {},
      charsPerToken: {},
    };
    const est = chunks.map((c) => estimateTokens(c));
    for (const c of chunks) st.chars += c.length;
    st.estimated = est.reduce((a, b) => a + b, 0);
    for (const [enc, encode] of Object.entries(encoders)) {
      const errs: number[] = [];
      let real = 0;
      chunks.forEach((c, i) => {
        const n = encode(c).length;
        real += n;
        if (n > 0) errs.push(Math.abs((est[i] ?? 0) - n) / n);
      });
      errs.sort((a, b) => a - b);
      st.tokens[enc] = real;
      st.meanRelErr[enc] = round(errs.reduce((a, b) => a + b, 0) / Math.max(1, errs.length));
      st.p50RelErr[enc] = round(quantile(errs, 0.5));
      st.p95RelErr[enc] = round(quantile(errs, 0.95));
      st.bias[enc] = round(st.estimated / Math.max(1, real) - 1);
      st.charsPerToken[enc] = round(st.chars / Math.max(1, real));
    }
    results.push(st);
    process.stdout.write(`${JSON.stringify(st)}\n`);
  }
  // Speed: the estimator alone over every chunk, repeated until ~1 s of work (best of 3).
  const all = classes.flatMap(([, c]) => c);
  const bytes = all.reduce((n, c) => n + Buffer.byteLength(c), 0);
  let sink = 0;
  const rates: number[] = [];
  for (let rep = 0; rep < 3; rep++) {
    const t = performance.now();
    let done = 0;
    while (performance.now() - t < 1000) {
      for (const c of all) sink += estimateTokens(c);
      done += bytes;
    }
    rates.push(done / 1e6 / ((performance.now() - t) / 1000));
  }
  const summary = {
    bench: 'token-estimate-calibration',
    date: new Date().toISOString(),
    machine: { nproc: cpus().length, cpu: cpus()[0]?.model ?? '?', node: process.version },
    mbPerSec: round(Math.max(...rates)),
    classes: results.map((r) => ({
      class: r.class,
      meanRelErr: r.meanRelErr,
      p95RelErr: r.p95RelErr,
      bias: r.bias,
    })),
    sink: sink > 0,
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  if (argv.includes('--record')) {
    appendFileSync(join(REPO, 'bench/analyze/results.jsonl'), `${JSON.stringify(summary)}\n`);
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

await main();
