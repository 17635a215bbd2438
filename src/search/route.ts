// Query routing: what kind of question a query is, and the weights the hybrid ranking gives
// each signal for it. An identifier goes to exact/prefix name lookup first; natural language
// to the hybrid path; named or detected intents (how does X work, where is X handled,
// slow/complex code) shift the weights. Any thread; pure.

export type SearchMode = 'auto' | 'exact' | 'semantic' | 'text';
export type Intent = 'identifier' | 'explain' | 'locate' | 'complexity' | 'general';

export interface Weights {
  lexical: number;
  vector: number;
  structure: number;
  /** Bonus for a symbol whose name is the query (identifier queries). */
  exactName: number;
  /** Bonus for a symbol whose name starts with the query. */
  prefixName: number;
  /** Weight of code complexity in the structure prior. */
  complexity: number;
}

/**
 * Base weights for natural language: lexical 0.7 / vector 0.3. The in-memory retrieval
 * evaluation (functions only) chose 0.4 / 0.6, but over a whole index, where every field and
 * enum variant competes, the judged queries (bench/search/README.md) measured MRR 0.442 at
 * 0.4/0.6, 0.468 at 0.55/0.45 and 0.488 at 0.7/0.3 (R@10 0.740 → 0.753; lexical alone 0.402).
 * Structure is a small prior that breaks ties between equally relevant symbols.
 */
const BASE: Weights = {
  lexical: 0.7,
  vector: 0.3,
  structure: 0.1,
  exactName: 0,
  prefixName: 0,
  complexity: 0,
};

const IDENTIFIER = /^[A-Za-z_$][\w$]*(?:(?:\.|::|#)[A-Za-z_$][\w$]*)*$/;
const EXPLAIN = /^\s*(how\s+(does|do|is|are|can)|what\s+(does|is)|why\s+does|explain)\b/i;
const LOCATE = /^\s*(where\s+(is|are|do|does)|which\s+(file|function|class|module)|find)\b/i;
const COMPLEX = /\b(slow|slowest|complex|complicated|hot\s*path|performance|bottleneck|expensive)\b/i;

export interface Route {
  intent: Intent;
  weights: Weights;
  /** For identifier queries: the last segment, the name to look up (`Foo.bar` → `bar`). */
  name: string | undefined;
  /** The qualifier before it, if any (`Foo.bar` → `Foo`). */
  qualifier: string | undefined;
}

export function routeQuery(query: string, mode: SearchMode = 'auto'): Route {
  const q = query.trim();
  const ident = q.length <= 200 && IDENTIFIER.test(q);
  if (mode === 'exact' || (mode === 'auto' && ident)) {
    const parts = q.split(/\.|::|#/);
    const name = parts.pop();
    return {
      intent: 'identifier',
      weights: { ...BASE, lexical: 0.6, vector: 0.2, exactName: 1, prefixName: 0.3 },
      name,
      qualifier: parts.length ? parts.join('.') : undefined,
    };
  }
  if (mode === 'semantic')
    return {
      intent: 'general',
      weights: { ...BASE, lexical: 0.2, vector: 0.8 },
      name: undefined,
      qualifier: undefined,
    };
  if (mode === 'text')
    return {
      intent: 'general',
      weights: { ...BASE, lexical: 1, vector: 0 },
      name: undefined,
      qualifier: undefined,
    };
  if (COMPLEX.test(q)) {
    return {
      intent: 'complexity',
      weights: { ...BASE, structure: 0.25, complexity: 1 },
      name: undefined,
      qualifier: undefined,
    };
  }
  if (EXPLAIN.test(q)) {
    return {
      intent: 'explain',
      weights: { ...BASE, structure: 0.15 },
      name: undefined,
      qualifier: undefined,
    };
  }
  if (LOCATE.test(q)) {
    return {
      intent: 'locate',
      weights: { ...BASE },
      name: undefined,
      qualifier: undefined,
    };
  }
  return { intent: 'general', weights: { ...BASE }, name: undefined, qualifier: undefined };
}
