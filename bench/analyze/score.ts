// Scores the real `analyze` (src/query/analyze.ts: search seeds + gravity) on the questions of
// questions.json at 2,000 and 8,000 tokens against an index of the corpus. Per question and
// budget: must-have and nice-to-have recall, precision, tokens used, and for every expected
// symbol not shown whole, why: not found by search as a seed, not reached by gravity, ranked
// below what the budget held, did not fit, or shown by its first line only. Main thread; JSON
// lines on stdout, a table on stderr.
//
// Definitions (a "block" is one symbol of the bundle; a member shown inside a chosen class is
// part of its class's block):
//   found      the expected symbol's whole text is in the bundle (itself or inside a block)
//   mustRecall found must symbols / must symbols; niceRecall the same over the others
//   precision  blocks that are, hold, or sit one edge from an expected symbol (calls, data
//              flow, inheritance, type reference, containment; either direction; imports
//              excluded) / blocks. A neighbour is context an expert would accept; anything
//              further is noise for this question.
//   exact      blocks that are or hold an expected symbol / blocks
//   onTarget   share of the bundle's block tokens spent on blocks that are or hold one
// Why a symbol was missed (first that applies):
//   stub         shown only by its first line (its signature, or its own outline)
//   overShare    its turn came, but it is bigger than its pull's share of the budget
//   ranked out   reached by the traversal, but the budget was spent before its turn (or
//                what was left when it came was too small)
//   dropped      chosen, then dropped to fit the rendering's exact count
//   duplicate    its text (whitespace aside) is a block shown already: another copy of it
// and whether its first line is in the outline of its class (inOutline).
//   not reached  never reached from the seeds (search rank given: `search #k` or `search -`)
//
// Means are reported per split (`dev`: the questions the parameters were tuned on; `held`:
// held-out questions, committed before any scored run; `held2` to `held5`: later held-out
// batches, each scored only when named, `--split held2` etc., so that no run on dev scores
// them by accident) and over all the questions scored. `--check` only resolves every
// question's specs (no `analyze` run).
//
// Usage: node dist/bench/analyze/score.js [--root DIR] [--index-dir DIR] [--budgets 2000,8000]
//        [--label TEXT] [--only ID,...] [--split dev|held|held2|held3|held4|held5] [--check] [--record]

import { appendFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { analyzeQuery } from '../../src/query/analyze.js';
import type { Bundle } from '../../src/query/bundle.js';
import type { GravityTrace } from '../../src/query/gravity.js';
import { searchIndex } from '../../src/query/search.js';
import { IndexSession } from '../../src/query/session.js';
import { edgeKindIds, encloses } from '../../src/query/symbol-info.js';
import { benchArgs, loadQuestions, resolveQuestion, type ResolvedQuestion, type Split } from './questions.js';

const HERE = fileURLToPath(new URL('../../../bench/analyze/', import.meta.url));

/** How deep the search ranks are read for the "not found by search" diagnosis. */
const SEARCH_DEPTH = 50;

/** Held-out batches scored only when named (`--split held2` to `--split held5`). */
const LATER_BATCHES = new Set<string>(['held2', 'held3', 'held4', 'held5']);

export interface Miss {
  spec: string;
  must: boolean;
  why: 'stub' | 'overShare' | 'ranked out' | 'not reached' | 'dropped' | 'duplicate';
  /** Its first line is in the outline of a class shown by outline. */
  inOutline: boolean;
  /** Rank of the symbol in a plain search for the question (1-based), or null beyond SEARCH_DEPTH. */
  searchRank: number | null;
  /** The pull it was reached with, when reached. */
  pull?: number;
}

export interface QuestionScore {
  question: string;
  split: Split;
  budget: number;
  tokens: number;
  blocks: number;
  mustRecall: number;
  niceRecall: number;
  recall: number;
  precision: number;
  exact: number;
  onTarget: number;
  seeds: string[];
  /** Each block: name, tokens, pull, reason (for reading misses). */
  blocksShown: string[];
  /** Expected symbols among the seeds. */
  seedHits: number;
  cpuMs: number;
  missed: Miss[];
}

/** Expected ids plus every symbol one non-import edge away from one, in either direction. */
function neighbourhood(session: IndexSession, ids: readonly number[]): Set<number> {
  const g = session.graph();
  const k = edgeKindIds();
  const skip = new Set([k.imports].filter((x) => x >= 0));
  const out = new Set<number>(ids);
  for (const id of ids) {
    for (const csr of [g.forward, g.reverse]) {
      for (let i = csr.offsets[id] ?? 0; i < (csr.offsets[id + 1] ?? 0); i++) {
        if (skip.has(csr.kinds[i] ?? -1)) continue;
        const t = csr.targets[i] ?? -1;
        if (t >= 0) out.add(t);
      }
    }
  }
  return out;
}

export function scoreAnalyze(
  session: IndexSession,
  q: ResolvedQuestion,
  budget: number,
  searchRanks: Map<number, number>,
): { score: QuestionScore; bundle: Bundle } {
  const g = session.graph();
  const trace: GravityTrace = { reached: new Map(), fate: new Map() };
  const cpu0 = process.cpuUsage();
  const r = analyzeQuery(session, q.question, { budget, trace });
  const cpu = process.cpuUsage(cpu0);
  const blocks = r.bundle.files.flatMap((f) => f.symbols);
  const shows = (b: (typeof blocks)[number], id: number): boolean => b.id === id || encloses(g, b.id, id);
  const whole = (id: number): boolean => blocks.some((b) => !b.outline && shows(b, id));
  const near = neighbourhood(session, q.ids);
  const holds = (b: (typeof blocks)[number]): boolean => q.ids.some((id) => shows(b, id));
  const nice = q.ids.filter((id) => !q.mustIds.includes(id));
  const ratio = (a: number, b: number): number => (b === 0 ? 1 : round(a / b));
  const total = blocks.reduce((n, b) => n + b.tokens, 0);
  const missed: Miss[] = [];
  q.ids.forEach((id, i) => {
    if (whole(id)) return;
    const e = q.expected[i];
    const fate = trace.fate.get(id);
    const stub = blocks.some((b) => b.id === id);
    const why: Miss['why'] = stub
      ? 'stub'
      : fate === 'overShare'
        ? 'overShare'
        : fate === 'dropped' || fate === 'inside'
          ? 'dropped'
          : fate === 'duplicate'
            ? 'duplicate'
            : trace.reached.has(id)
              ? 'ranked out'
              : 'not reached';
    const pull = trace.reached.get(id);
    missed.push({
      spec: e
        ? `${e.spec.slice(0, e.spec.lastIndexOf(':'))}:${e.name ?? e.spec.slice(e.spec.lastIndexOf(':') + 1)}`
        : String(id),
      must: q.mustIds.includes(id),
      why,
      inOutline: !stub && blocks.some((b) => b.outline && b.id !== id && shows(b, id)),
      searchRank: searchRanks.get(id) ?? null,
      ...(pull !== undefined ? { pull: round(pull) } : {}),
    });
  });
  const seedIds = new Set(r.seeds.map((s) => s.id));
  return {
    bundle: r.bundle,
    score: {
      split: q.split ?? 'dev',
      blocksShown: blocks.map(
        (b) => `${b.qualifiedName}${b.outline ? ' (outline)' : ''} ${b.tokens}t ${b.score} ${b.reason}`,
      ),
      question: q.id,
      budget,
      tokens: r.bundle.tokens,
      blocks: blocks.length,
      mustRecall: ratio(q.mustIds.filter(whole).length, q.mustIds.length),
      niceRecall: ratio(nice.filter(whole).length, nice.length),
      recall: ratio(q.ids.filter(whole).length, q.ids.length),
      precision: ratio(blocks.filter((b) => near.has(b.id) || holds(b)).length, blocks.length),
      exact: ratio(blocks.filter(holds).length, blocks.length),
      onTarget: ratio(
        blocks.filter((b) => !b.outline && holds(b)).reduce((n, b) => n + b.tokens, 0),
        total,
      ),
      seeds: r.seeds.map((s) => `${s.qualifiedName} (${s.via})`),
      seedHits: q.ids.filter((id) => seedIds.has(id)).length,
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      missed,
    },
  };
}

/** Rank (1-based) of each expected id in a plain search for the question. */
export function searchRanksOf(session: IndexSession, q: ResolvedQuestion): Map<number, number> {
  const hits = searchIndex(session, q.question, { limit: SEARCH_DEPTH }).hits;
  const out = new Map<number, number>();
  hits.forEach((h, i) => {
    if (q.ids.includes(h.id) && !out.has(h.id)) out.set(h.id, i + 1);
  });
  return out;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
}

function mean(xs: number[]): number {
  return xs.length === 0 ? 0 : round(xs.reduce((a, b) => a + b, 0) / xs.length);
}

async function main(): Promise<void> {
  const { arg, has, root, indexDir } = benchArgs();
  const session = IndexSession.open(root, indexDir);
  const budgets = (arg('--budgets') ?? '2000,8000').split(',').map(Number);
  const only = arg('--only')?.split(',');
  const split = arg('--split');
  const rows: QuestionScore[] = [];
  const load0 = loadavg()[0] ?? 0;
  try {
    session.graph();
    for (const raw of loadQuestions()) {
      if (only && !only.includes(raw.id)) continue;
      const its = raw.split ?? 'dev';
      if (split ? its !== split : LATER_BATCHES.has(its)) continue;
      const q = resolveQuestion(session, raw);
      if (has('--check')) {
        process.stderr.write(`${q.id}: ${q.ids.length} specs resolve (${q.mustIds.length} must)\n`);
        continue;
      }
      const ranks = searchRanksOf(session, q);
      for (const budget of budgets) {
        const { score } = scoreAnalyze(session, q, budget, ranks);
        rows.push(score);
        process.stdout.write(`${JSON.stringify({ bench: 'analyze-questions', ...score })}\n`);
        const miss = score.missed
          .map((m) => `${m.must ? '*' : ''}${m.spec.slice(m.spec.lastIndexOf(':') + 1)}=${m.why}`)
          .join(' ');
        process.stderr.write(
          `${q.id.padEnd(26)} ${String(budget).padStart(5)} tok ${String(score.tokens).padStart(5)} ` +
            `must ${score.mustRecall.toFixed(2)} nice ${score.niceRecall.toFixed(2)} ` +
            `prec ${score.precision.toFixed(2)} exact ${score.exact.toFixed(2)} seeds ${score.seedHits} | ${miss}\n`,
        );
      }
    }
  } finally {
    await session.close();
  }
  const means = (budget: number, which: string): Record<string, number | string> => {
    const at = rows.filter((r) => r.budget === budget && (which === 'all' || r.split === which));
    return {
      split: which,
      budget,
      questions: at.length,
      mustRecall: mean(at.map((r) => r.mustRecall)),
      niceRecall: mean(at.map((r) => r.niceRecall)),
      recall: mean(at.map((r) => r.recall)),
      precision: mean(at.map((r) => r.precision)),
      exact: mean(at.map((r) => r.exact)),
      cpuMsMedian: median(at.map((r) => r.cpuMs)),
    };
  };
  const summary = ['dev', 'held', 'held2', 'held3', 'held4', 'held5', 'all'].flatMap((which) =>
    budgets.map((b) => means(b, which)),
  );
  for (const s of summary) {
    if (s.questions) process.stderr.write(`mean ${s.split} @${s.budget}: ${JSON.stringify(s)}\n`);
  }
  if (has('--record')) {
    const line = {
      bench: 'analyze-questions',
      label: arg('--label') ?? '',
      date: new Date().toISOString(),
      machine: { nproc: cpus().length, loadavg1: round(load0) },
      root,
      summary,
      rows,
    };
    appendFileSync(join(HERE, 'results.jsonl'), `${JSON.stringify(line)}\n`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
