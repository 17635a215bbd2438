// `analyze`: answers a question with a context bundle. Search finds seeds with several forms
// of the query (as written; its identifiers looked up by name; its content words alone),
// merged by their best normalised score; the gravity traversal then expands them over the
// graph within the token budget, with relevance to the question as its pull. Main thread.

import { gatherContext, type GravityTrace, type Seed } from './gravity.js';
import type { Bundle } from './bundle.js';
import { Relevance } from './relevance.js';
import { searchIndex, type SearchHit } from './search.js';
import { isTest } from './symbol-info.js';
import type { IndexSession } from './session.js';
import { LeindexError } from '../errors.js';

/** Seeds handed to the traversal: enough to cover a question's few entry points. */
const MAX_SEEDS = 6;
/** A hit scoring below this share of the best one is not a seed. */
const SEED_FLOOR = 0.45;

export interface AnalyzeOptions {
  budget: number;
  includeTests?: boolean;
  /** Filled with what the traversal did with each node it reached (gravity.ts). */
  trace?: GravityTrace;
}

export interface AnalyzeResult {
  query: string;
  /** The seeds, best first, with the query form that found each. */
  seeds: { id: number; qualifiedName: string; file: string; score: number; via: string }[];
  bundle: Bundle;
}

/** Identifier-looking words of a question: `parseConfig`, `read_to_string`, `Foo.bar`, `Vec::new`. */
export function identifiersIn(query: string): string[] {
  const out = new Set<string>();
  for (const m of query.matchAll(/[A-Za-z_$][\w$]*(?:(?:\.|::)[A-Za-z_$][\w$]*)*/g)) {
    const w = m[0];
    if (/[a-z][A-Z]|_|\.|::|^[A-Z][a-z]+[A-Z]/.test(w) && w.length >= 4) out.add(w);
  }
  return [...out].slice(0, 5);
}

export function analyzeQuery(session: IndexSession, query: string, options: AnalyzeOptions): AnalyzeResult {
  if (query.trim() === '') throw new LeindexError('E_USAGE', 'the question is empty');
  const forms: { text: string; via: string; mode: 'auto' | 'exact' | 'text' }[] = [
    { text: query, via: 'search', mode: 'auto' },
    ...identifiersIn(query).map((id) => ({ text: id, via: `name ${id}`, mode: 'exact' as const })),
  ];
  const found = new Map<number, { hit: SearchHit; score: number; via: string }>();
  for (const form of forms) {
    let hits: SearchHit[];
    try {
      hits = searchIndex(session, form.text, {
        limit: 10,
        mode: form.mode,
        ...(options.includeTests ? { includeTests: true } : {}),
      }).hits;
    } catch (err) {
      // An identifier form may be empty of terms, or the index may predate a table it needs:
      // the other forms still give seeds.
      if (err instanceof LeindexError && err.code === 'E_USAGE') continue;
      throw err;
    }
    const best = hits[0]?.score ?? 0;
    if (best <= 0) continue;
    for (const hit of hits) {
      const score = hit.score / best;
      if (score < SEED_FLOOR) continue;
      // A test is a seed only when asked for: it would otherwise pull in its whole fixture.
      if (!options.includeTests && isTest(session.graph(), hit.id)) continue;
      const prev = found.get(hit.id);
      if (!prev || score > prev.score) found.set(hit.id, { hit, score, via: form.via });
    }
  }
  const ranked = [...found.values()]
    .sort((a, b) => b.score - a.score || a.hit.id - b.hit.id)
    .slice(0, MAX_SEEDS);
  const seeds: Seed[] = ranked.map((r) => ({
    id: r.hit.id,
    score: r.score,
    label: `match for "${short(query)}"`,
  }));
  const bundle = gatherContext(session, seeds, {
    budget: options.budget,
    relevance: Relevance.fromText(session, session.model(), query),
    title: `analyze: ${short(query)}`,
    includeTests: options.includeTests ?? false,
    ...(options.trace ? { trace: options.trace } : {}),
  });
  return {
    query,
    seeds: ranked.map((r) => ({
      id: r.hit.id,
      qualifiedName: r.hit.qualifiedName,
      file: r.hit.file,
      score: Math.round(r.score * 1000) / 1000,
      via: r.via,
    })),
    bundle,
  };
}

function short(q: string): string {
  const one = q.replace(/\s+/g, ' ').trim();
  return one.length > 80 ? `${one.slice(0, 77)}...` : one;
}
