// Retrieval evaluation (CodeSearchNet method) on held-out projects: BM25 alone, the embedder
// alone and their fusion, as MRR / Recall@1 / Recall@10 over a pool of functions. Fusion
// settings and embedder options are chosen on the dev split and reported on the test split.
// Usage: node dist/bench/retrieval/eval.js [--model models/leindex-code-embed.bin] [--record]
// Prints JSON lines; --record appends them to bench/retrieval/results.jsonl. Main thread.

import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bm25Index } from '../../src/embed/bm25.js';
import {
  buildIdf,
  DEFAULT_FIELD_WEIGHTS,
  embedQuery,
  embedSymbol,
  loadModel,
  type EmbeddingModel,
  type FieldWeights,
  type IdfTable,
} from '../../src/embed/embedder.js';
import { defaultModelPath } from '../../src/embed/model.js';
import { contentTokens } from '../../src/embed/tokenizer.js';
import { extractProjects, listProjects } from '../../scripts/embed/corpus.js';
import { buildDataset, type Candidate, type Query } from './dataset.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

export interface Metrics {
  mrr: number;
  r1: number;
  r10: number;
  queries: number;
}

/** 1-based rank of the target: candidates scoring strictly higher, plus half the ties. */
function rankOf(scores: ArrayLike<number>, target: number): number {
  const t = scores[target] ?? 0;
  let greater = 0;
  let equal = 0;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i] ?? 0;
    if (s > t) greater++;
    else if (s === t && i !== target) equal++;
  }
  return 1 + greater + Math.floor(equal / 2);
}

function summarise(ranks: number[]): Metrics {
  let mrr = 0;
  let r1 = 0;
  let r10 = 0;
  for (const r of ranks) {
    mrr += 1 / r;
    if (r === 1) r1++;
    if (r <= 10) r10++;
  }
  const n = Math.max(1, ranks.length);
  const round = (x: number): number => Math.round((x / n) * 10000) / 10000;
  return { mrr: round(mrr), r1: round(r1), r10: round(r10), queries: ranks.length };
}

/** Candidate text as BM25 sees it: the same fields and weights the embedder uses. */
function candidateBag(c: Candidate, w: FieldWeights): Map<string, number> {
  const bag = new Map<string, number>();
  const add = (text: string, weight: number): void => {
    for (const t of contentTokens(text, true)) bag.set(t, (bag.get(t) ?? 0) + weight);
  };
  add(c.name, w.name);
  add(c.qualifiedName, w.qualifiedName);
  add(c.signature, w.signature);
  add(c.body, w.body);
  add(c.path.replace(/\.[A-Za-z0-9]+$/, ''), w.path);
  return bag;
}

function queryTerms(text: string): Map<string, number> {
  const bag = new Map<string, number>();
  for (const t of contentTokens(text, true)) bag.set(t, (bag.get(t) ?? 0) + 1);
  return bag;
}

/** Scores of each method per query, computed once and reused by every fusion setting. */
interface Scored {
  bm25: Float64Array[];
  cos: Float64Array[];
}

export interface EvalSet {
  readonly pool: Candidate[];
  readonly queries: Query[];
}

export function scoreSet(
  model: EmbeddingModel,
  set: EvalSet,
  opts: { idf: 'corpus' | 'pool' | number; weights: FieldWeights },
): Scored {
  const bm = new Bm25Index();
  for (const c of set.pool) bm.add(candidateBag(c, opts.weights));
  const dim = model.dim;
  let idf: IdfTable | undefined;
  if (opts.idf !== 'corpus') {
    // Repo adaptation: IDF counted over the pool itself (the "indexed repo").
    const df = new Uint32Array(model.vocabSize);
    for (const c of set.pool) embedSymbol(model, { ...c }, { docFreq: df, weights: opts.weights });
    idf = buildIdf(model, df, set.pool.length, opts.idf === 'pool' ? 1 : opts.idf);
  }
  const vecs = new Float32Array(set.pool.length * dim);
  set.pool.forEach((c, i) => vecs.set(embedSymbol(model, { ...c }, { idf, weights: opts.weights }), i * dim));
  const bm25: Float64Array[] = [];
  const cos: Float64Array[] = [];
  for (const q of set.queries) {
    bm25.push(bm.scoreAll(queryTerms(q.text)));
    const qv = embedQuery(model, q.text, { idf });
    const s = new Float64Array(set.pool.length);
    for (let i = 0; i < set.pool.length; i++) {
      let d = 0;
      const o = i * dim;
      for (let k = 0; k < dim; k++) d += (qv[k] ?? 0) * (vecs[o + k] ?? 0);
      s[i] = d;
    }
    cos.push(s);
  }
  return { bm25, cos };
}

export type Fusion = { kind: 'rrf'; k: number; depth: number } | { kind: 'linear'; alpha: number };

/** Ranks of each query's target under one method. */
export function ranks(set: EvalSet, scored: Scored, method: 'bm25' | 'embed' | Fusion): number[] {
  return set.queries.map((q, qi) => {
    const b = scored.bm25[qi] ?? new Float64Array();
    const c = scored.cos[qi] ?? new Float64Array();
    if (method === 'bm25') return rankOf(b, q.target);
    if (method === 'embed') return rankOf(c, q.target);
    if (method.kind === 'linear') {
      let bmax = 0;
      let cmin = Infinity;
      let cmax = -Infinity;
      for (let i = 0; i < b.length; i++) {
        bmax = Math.max(bmax, b[i] ?? 0);
        cmin = Math.min(cmin, c[i] ?? 0);
        cmax = Math.max(cmax, c[i] ?? 0);
      }
      const bs = bmax > 0 ? 1 / bmax : 0;
      const cs = cmax > cmin ? 1 / (cmax - cmin) : 0;
      const f = new Float64Array(b.length);
      for (let i = 0; i < b.length; i++)
        f[i] = method.alpha * (b[i] ?? 0) * bs + (1 - method.alpha) * ((c[i] ?? 0) - cmin) * cs;
      return rankOf(f, q.target);
    }
    // Reciprocal-rank fusion over each list's top `depth`, as a search engine would fuse.
    const f = new Float64Array(b.length);
    for (const list of [b, c]) {
      const top = topK(list, method.depth);
      top.forEach((doc, r) => (f[doc] = (f[doc] ?? 0) + 1 / (method.k + r + 1)));
    }
    return rankOf(f, q.target);
  });
}

function topK(scores: Float64Array, k: number): number[] {
  const idx = Array.from({ length: scores.length }, (_, i) => i);
  // A partial sort would be faster; a full one keeps this obviously correct and is ~2 ms.
  idx.sort((x, y) => (scores[y] ?? 0) - (scores[x] ?? 0) || x - y);
  return idx.slice(0, k).filter((i) => (scores[i] ?? 0) > 0);
}

function byLanguage(set: EvalSet, r: number[]): Record<string, Metrics> {
  const groups = new Map<string, number[]>();
  set.queries.forEach((q, i) => {
    const lang = set.pool[q.target]?.language.replace('tsx', 'typescript') ?? '?';
    const key = lang === 'javascript' || lang === 'typescript' ? 'ts/js' : lang;
    const g = groups.get(key) ?? [];
    g.push(r[i] ?? 0);
    groups.set(key, g);
  });
  return Object.fromEntries([...groups.entries()].sort().map(([k, v]) => [k, summarise(v)]));
}

export async function loadSplitSet(
  name: 'dev' | 'test',
  corpus: string,
  splitFile: string,
): Promise<EvalSet & { projects: string[] }> {
  const split = JSON.parse(readFileSync(splitFile, 'utf8')) as Record<string, string[]>;
  const ids = new Set(split[name] ?? []);
  const projects = listProjects(corpus).filter((p) => ids.has(p.id));
  const extracted = await extractProjects(projects, { threads: 2 });
  const symbols = projects.flatMap((p) => extracted.get(p.id)?.symbols ?? []);
  return { ...buildDataset(symbols), projects: projects.map((p) => p.id) };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (k: string): string | undefined => {
    const i = argv.indexOf(k);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const modelPath = resolve(arg('--model') ?? defaultModelPath());
  const corpus = resolve(arg('--corpus') ?? join(REPO, 'bench/corpus'));
  const splitFile = resolve(arg('--split') ?? join(REPO, 'bench/retrieval/split.json'));
  const record = argv.includes('--record');
  // --quick: dev split only, corpus IDF, one fusion: for comparing models while training.
  const quick = argv.includes('--quick');
  const model = loadModel(modelPath);
  const modelSha = createHash('sha256').update(readFileSync(modelPath)).digest('hex');
  const manifest = JSON.parse(readFileSync(join(corpus, 'MANIFEST.json'), 'utf8')) as {
    totals: { sha256: string };
  };
  const weights = DEFAULT_FIELD_WEIGHTS;
  const out: Record<string, unknown>[] = [];
  const emit = (row: Record<string, unknown>): void => {
    out.push(row);
    process.stdout.write(`${JSON.stringify(row)}\n`);
  };

  // Dev: choose the IDF source and the fusion.
  const dev = await loadSplitSet('dev', corpus, splitFile);
  let best: { idf: 'corpus' | 'pool' | number; fusion: Fusion; mrr: number } | undefined;
  const idfChoices: ('corpus' | 'pool' | number)[] = quick ? ['corpus'] : ['corpus', 'pool', 0.5];
  let devBm25: Metrics | undefined;
  for (const idf of idfChoices) {
    const scored = scoreSet(model, dev, { idf, weights });
    devBm25 ??= summarise(ranks(dev, scored, 'bm25'));
    const embed = summarise(ranks(dev, scored, 'embed'));
    emit({ split: 'dev', method: 'embed', idf, ...embed, pool: dev.pool.length });
    const fusions: Fusion[] = quick
      ? [{ kind: 'linear', alpha: 0.5 }]
      : [
          { kind: 'rrf', k: 60, depth: 100 },
          ...[0.3, 0.4, 0.5, 0.6, 0.7, 0.8].map((alpha): Fusion => ({ kind: 'linear', alpha })),
        ];
    for (const fusion of fusions) {
      const m = summarise(ranks(dev, scored, fusion));
      emit({ split: 'dev', method: 'fusion', idf, fusion, ...m });
      if (!best || m.mrr > best.mrr) best = { idf, fusion, mrr: m.mrr };
    }
  }
  emit({ split: 'dev', method: 'bm25', ...devBm25, pool: dev.pool.length });
  if (!best) throw new Error('no dev result');
  if (quick) return;

  // Test: report once with the dev choices.
  const test = await loadSplitSet('test', corpus, splitFile);
  const scored = scoreSet(model, test, { idf: best.idf, weights });
  const setup = {
    date: new Date().toISOString(),
    machine: { nproc: cpus().length, cpu: cpus()[0]?.model ?? '?', node: process.version },
    corpusSha256: manifest.totals.sha256,
    modelSha256: modelSha,
    model: modelPath.replace(REPO, ''),
    pool: test.pool.length,
    poolByLanguage: countBy(test.pool.map((c) => c.language)),
    testProjects: test.projects,
  };
  const rows: Record<string, unknown>[] = [];
  for (const [method, spec] of [
    ['bm25', 'bm25'],
    ['embed', 'embed'],
    ['fusion', best.fusion],
    ['fusion-rrf', { kind: 'rrf', k: 60, depth: 100 }],
  ] as [string, 'bm25' | 'embed' | Fusion][]) {
    const r = ranks(test, scored, spec);
    const row = {
      split: 'test',
      method,
      ...(typeof spec === 'object' ? { fusion: spec } : {}),
      idf: best.idf,
      ...summarise(r),
      byLanguage: byLanguage(test, r),
      ...setup,
    };
    emit(row);
    rows.push(row);
  }
  if (record) {
    const file = join(REPO, 'bench/retrieval/results.jsonl');
    for (const row of rows) appendFileSync(file, `${JSON.stringify(row)}\n`);
  }
}

function countBy(xs: string[]): Record<string, number> {
  const m: Record<string, number> = {};
  for (const x of xs) m[x] = (m[x] ?? 0) + 1;
  return m;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
