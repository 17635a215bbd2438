// `context`: the budgeted neighbourhood of one symbol. Resolves the spec (lookup.ts), uses
// the symbol itself as the query (its own vector and words, relevance.ts) and runs the
// gravity traversal seeded by it alone. Input: a session, a spec, a budget; output: the
// Bundle plus how the spec was resolved. Main thread.

import { gatherContext } from './gravity.js';
import { resolveSymbol, type Candidate, type Resolution } from './lookup.js';
import { Relevance } from './relevance.js';
import type { IndexSession } from './session.js';
import type { Bundle } from './bundle.js';

export interface ContextOptions {
  budget: number;
  includeTests?: boolean;
}

/** How a spec was resolved, as results report it (the top few candidates only). */
export interface ResolutionSummary {
  spec: string;
  chosen: Candidate;
  ambiguous: boolean;
  total: number;
  candidates: Candidate[];
  rule: string;
}

export interface ContextResult {
  resolution: ResolutionSummary;
  bundle: Bundle;
}

export function summariseResolution(r: Resolution, top = 5): ResolutionSummary {
  return {
    spec: r.spec,
    chosen: r.chosen,
    ambiguous: r.ambiguous,
    total: r.total,
    candidates: r.candidates.slice(0, top),
    rule: r.rule,
  };
}

export function contextFor(session: IndexSession, spec: string, options: ContextOptions): ContextResult {
  const resolution = resolveSymbol(session, spec);
  const id = resolution.chosen.id;
  const bundle = gatherContext(session, [{ id, score: 1 }], {
    budget: options.budget,
    relevance: Relevance.fromSymbol(session, id),
    title: `context of ${resolution.chosen.qualifiedName}`,
    ...(options.includeTests !== undefined ? { includeTests: options.includeTests } : {}),
  });
  return { resolution: summariseResolution(resolution), bundle };
}

/** One line on an ambiguous spec: which symbol was used and which others matched. */
export function ambiguityNote(r: ResolutionSummary): string | undefined {
  if (!r.ambiguous) return undefined;
  const others = r.candidates
    .slice(1)
    .map((c) => `${c.qualifiedName} (${c.file || 'external'}:${c.startLine})`)
    .join(', ');
  const more = r.total > r.candidates.length ? `, and ${r.total - r.candidates.length} more` : '';
  return `"${r.spec}" matches ${r.total} symbols; using ${r.chosen.qualifiedName} (${r.chosen.file}:${r.chosen.startLine}); others: ${others}${more}`;
}
