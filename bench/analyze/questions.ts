// The analyze questions (questions.json): loads them, resolves every expected symbol in an
// index of the corpus (failing loudly when one no longer resolves), and scores a Bundle
// against them: recall of all expected and of the `must` symbols (a symbol counts when its
// text is in the bundle, itself or inside a chosen class), and the share of the bundle's
// tokens spent on them. Run alone, it scores a graph-only reference: gravity seeded with each
// question's first expected symbol, the question as the relevance query, at 2,000 and 8,000
// tokens (what expansion adds when search finds the entry point). Main thread; JSON lines.
// Usage: node dist/bench/analyze/questions.js [--root DIR] [--index-dir DIR] [--record]

import { appendFileSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadModel } from '../../src/embed/embedder.js';
import type { Bundle } from '../../src/query/bundle.js';
import { gatherContext } from '../../src/query/gravity.js';
import { resolveSymbol } from '../../src/query/lookup.js';
import { Relevance } from '../../src/query/relevance.js';
import { IndexSession } from '../../src/query/session.js';
import { encloses } from '../../src/query/symbol-info.js';

const HERE = fileURLToPath(new URL('../../../bench/analyze/', import.meta.url));
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

export interface ExpectedSymbol {
  spec: string;
  /** The qualified name a `path:LINE` spec must land on. */
  name?: string;
  must: boolean;
}

export type Split = 'dev' | 'held' | 'held2' | 'held3' | 'held4' | 'held5';

export interface Question {
  id: string;
  /**
   * `dev`: the methods were tuned on it; `held`: held out, written and committed before any scored
   * run; `held2` to `held5`: later held-out batches, each scored only when asked for by
   * name (`--split held2`, ...).
   */
  split?: Split;
  project: string;
  language: string;
  question: string;
  expected: ExpectedSymbol[];
}

export function loadQuestions(path = join(HERE, 'questions.json')): Question[] {
  return (JSON.parse(readFileSync(path, 'utf8')) as { questions: Question[] }).questions;
}

export interface ResolvedQuestion extends Question {
  ids: number[];
  mustIds: number[];
}

/** Resolves every expected spec to an id; throws naming the first that does not resolve exactly. */
export function resolveQuestion(session: IndexSession, q: Question): ResolvedQuestion {
  const ids: number[] = [];
  const mustIds: number[] = [];
  for (const e of q.expected) {
    const r = resolveSymbol(session, e.spec);
    const exact = r.chosen.match === 'qualifiedName' || r.chosen.match === 'line';
    const name = e.name ?? e.spec.slice(e.spec.lastIndexOf(':') + 1);
    if (!exact || r.chosen.qualifiedName !== name) {
      throw new Error(`${q.id}: ${e.spec} resolved to ${r.chosen.qualifiedName} (${r.chosen.match})`);
    }
    ids.push(r.chosen.id);
    if (e.must) mustIds.push(r.chosen.id);
  }
  return { ...q, ids, mustIds };
}

export interface BundleScore {
  recall: number;
  mustRecall: number;
  /** Share of the bundle's symbol tokens spent on expected symbols (or the classes holding them). */
  onTarget: number;
  found: string[];
  /** Shown by their first line only (in an outline, or as a signature stub). */
  partial: string[];
  missed: string[];
}

export function scoreBundle(session: IndexSession, bundle: Bundle, q: ResolvedQuestion): BundleScore {
  const g = session.graph();
  const chosen = bundle.files.flatMap((f) => f.symbols);
  // Found = its whole text is there (itself, or inside a class shown whole); an outline or a
  // signature stub only shows its first line: partial.
  const shows = (s: (typeof chosen)[number], id: number): boolean => s.id === id || encloses(g, s.id, id);
  const has = (id: number): boolean => chosen.some((s) => !s.outline && shows(s, id));
  const found = q.ids.filter(has);
  const partial = q.ids.filter((id) => !has(id) && chosen.some((s) => shows(s, id)));
  const useful = chosen.filter((s) => !s.outline && q.ids.some((id) => shows(s, id)));
  const total = chosen.reduce((n, s) => n + s.tokens, 0);
  const name = (id: number): string => q.expected[q.ids.indexOf(id)]?.spec ?? String(id);
  return {
    recall: round(found.length / q.ids.length),
    mustRecall: round(q.mustIds.filter(has).length / Math.max(1, q.mustIds.length)),
    onTarget: round(useful.reduce((n, s) => n + s.tokens, 0) / Math.max(1, total)),
    found: found.map(name),
    partial: partial.map(name),
    missed: q.ids.filter((id) => !has(id) && !partial.includes(id)).map(name),
  };
}

/** The command line every bench/analyze script shares: `--root` (the corpus), `--index-dir`. */
export function benchArgs(argv: string[] = process.argv.slice(2)): {
  arg: (name: string) => string | undefined;
  has: (flag: string) => boolean;
  root: string;
  indexDir: string;
} {
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const root = resolve(arg('--root') ?? join(REPO, 'bench/corpus'));
  return {
    arg,
    has: (flag) => argv.includes(flag),
    root,
    indexDir: resolve(arg('--index-dir') ?? join(root, '.leindex')),
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

async function main(): Promise<void> {
  const { has, root, indexDir } = benchArgs();
  const session = IndexSession.open(root, indexDir);
  const model = loadModel();
  const rows: unknown[] = [];
  try {
    for (const q of loadQuestions().map((x) => resolveQuestion(session, x))) {
      const seed = q.ids[0] ?? 0;
      const relevance = Relevance.fromText(session, model, q.question);
      for (const budget of [2000, 8000]) {
        const bundle = gatherContext(session, [{ id: seed, score: 1 }], {
          budget,
          relevance,
          title: q.question,
        });
        const score = scoreBundle(session, bundle, q);
        const row = {
          bench: 'analyze-questions-graph-reference',
          question: q.id,
          budget,
          tokens: bundle.tokens,
          symbols: bundle.stats.symbols,
          ms: bundle.stats.ms,
          ...score,
        };
        rows.push(row);
        process.stdout.write(`${JSON.stringify(row)}\n`);
      }
    }
  } finally {
    await session.close();
  }
  if (has('--record')) {
    const line = { bench: 'analyze-questions-graph-reference', date: new Date().toISOString(), rows };
    appendFileSync(join(HERE, 'results.jsonl'), `${JSON.stringify(line)}\n`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
