// The lexical terms of a symbol and of a query, shared by the parse worker (index side) and
// search (query side) so both normalise alike: content tokens (identifiers split, lower case,
// stop words dropped, light S-stemming) with field weights folded into one weighted count per
// term (BM25F with a single length normalisation), hashed to 32 bits. The same weighted bag
// feeds the embedder, so a symbol is tokenised once. Any thread; pure.

import {
  DEFAULT_FIELD_WEIGHTS,
  MAX_BODY_CHARS,
  type FieldWeights,
  type SymbolText,
} from '../embed/embedder.js';
import { contentTokens, fnv1a } from '../embed/tokenizer.js';

/** Terms are stemmed (must match the shipped model's stem flag for the bag to be shared). */
export const LEXICAL_STEM = true;

/** Weight of a file-path term in each of the file's symbols (the path is added at merge). */
export const PATH_WEIGHT = 0.5;

/** Queries keep at most this many distinct terms (the most informative; see selectQueryTerms). */
export const MAX_QUERY_TERMS = 48;

/** The 32-bit hash a term is stored under. Collisions (rare) merge two terms' postings. */
export function termHash(term: string): number {
  return fnv1a(term);
}

function add(bag: Map<string, number>, text: string | undefined, weight: number, max = Infinity): void {
  if (!text || weight === 0) return;
  for (const t of contentTokens(text, LEXICAL_STEM, max)) bag.set(t, (bag.get(t) ?? 0) + weight);
}

/**
 * A symbol's weighted bag: term → summed field weight, in text order (name, qualified name,
 * signature, doc, body, identifiers), the order embedBag needs for thread-identical sums.
 * The path is left out: a fragment depends on the file's content only.
 */
export function termBag(s: SymbolText, weights: FieldWeights = DEFAULT_FIELD_WEIGHTS): Map<string, number> {
  const bag = new Map<string, number>();
  add(bag, s.name, weights.name);
  add(bag, s.qualifiedName, weights.qualifiedName);
  add(bag, s.signature, weights.signature);
  add(bag, s.doc, weights.doc);
  add(bag, s.body, weights.body, MAX_BODY_CHARS);
  if (s.identifiers) for (const id of s.identifiers) add(bag, id, weights.identifiers);
  return bag;
}

/** The terms of a relative path, without its extension ('src/auth/session_store.py' → src, auth, session, store). */
export function pathTerms(relPath: string): string[] {
  return [...new Set(contentTokens(relPath.replace(/\.[A-Za-z0-9]+$/, ''), LEXICAL_STEM))];
}

/** A bag as the fragment stores it: hashes and weights × 2 (weights are multiples of 0.5). */
export function encodeBag(bag: ReadonlyMap<string, number>): { hashes: Uint32Array; weights: Uint16Array } {
  const hashes = new Uint32Array(bag.size);
  const weights = new Uint16Array(bag.size);
  let i = 0;
  for (const [term, w] of bag) {
    hashes[i] = termHash(term);
    weights[i] = Math.min(65535, Math.round(w * 2));
    i++;
  }
  return { hashes, weights };
}

/** A query's terms with their counts, in text order. */
export function queryTermBag(text: string, maxChars = 65_536): Map<string, number> {
  const bag = new Map<string, number>();
  add(bag, text, 1, maxChars);
  return bag;
}
