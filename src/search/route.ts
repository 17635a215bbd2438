// Query routing: what kind of question a query is, and the weights the hybrid ranking gives
// each signal for it. An identifier goes to exact/prefix name lookup first; natural language
// to the hybrid path; named or detected intents (how does X work, where is X handled, a
// sentence worded like a doc comment, slow/complex code) shift the weights. Any thread; pure.

import { looksLikeBugReport, parseFrames, type Frame } from './frames.js';

export type SearchMode = 'auto' | 'exact' | 'semantic' | 'text';
export type Intent = 'identifier' | 'explain' | 'locate' | 'describe' | 'complexity' | 'bug' | 'general';

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
  /**
   * Weight of a function's or method's size (lines, log-scaled) in the structure prior: the
   * code that does the work over one-line setters whose API docs repeat the question's words.
   */
  size: number;
  /**
   * Share of the size prior a function or method gets when the query says its name (the
   * share of its name's terms in the query): short code named for what the query asks.
   */
  sizeByName: number;
  /**
   * How many of a name's words the query must say for the whole share (fewer earn
   * matched / sizeNameWords of it): at 2, a one-word name (`run`, `escape`) that any question
   * may contain earns half.
   */
  sizeNameWords: number;
  /**
   * Bonus for a symbol named exactly like an identifier written inside a natural-language
   * query (`serde_json Value::pointer`, "…rendered with StrictUndefined").
   */
  quotedName: number;
  /** Bonus for a symbol under a project or package the query names (`flask`, `prosemirror-view`). */
  project: number;
  /**
   * Bonus for the symbol a stack frame of a pasted report names (its file and line, or its
   * file and function), for the frame that raised; callers' frames get less (see FRAME_DECAY
   * in query/search.ts).
   */
  frame: number;
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
  // Set on the dev half (bench/search/README.md, problem 6): size 0 / 1 / 2 / 3 / 4 / 5 / 6
  // gave dev MRR 0.642 / 0.727 / 0.790 / 0.793 / 0.826 / 0.785 / 0.790 for functions and
  // methods only (for every kind, 4 gave 0.750: classes span all their methods); with BM25's
  // b lowered to 0.5 or 0.3 instead, dev was at best 0.811.
  size: 4,
  // Set on the dev halves of the judged queries and of the retrieval evaluation's doc
  // sentences (every 4th; bench/search/README.md, "Size prior by name and intent"): at
  // sizeByName 0 / 0.5 / 0.75 / 1 (words 2) judged dev MRR 0.826 / 0.826 / 0.812 / 0.812,
  // retrieval dev 0.328 / 0.336 / 0.356 / 0.378; words 1 / 2 / 3 at share 1: judged dev
  // 0.797 / 0.812 / 0.825, retrieval dev 0.398 / 0.378 / 0.357. A one-word name (`escape`,
  // `capacity`, `kill`) is what a question's verb or noun often is; the describe route lifts
  // that discount.
  sizeByName: 1,
  sizeNameWords: 2,
  // Set on the dev half of the judged queries (bench/search/README.md): quotedName 0 / 0.1 /
  // 0.2 / 0.5 gave dev MRR 0.606 / 0.624 / 0.608 / 0.590 (a bug report names its exception
  // class, which is rarely the answer, so the bonus stays a tie-breaker); project 0.05 / 0.1
  // / 0.2 / 0.3 gave 0.579 / 0.590 / 0.608 / 0.608 (at quotedName 0.2).
  quotedName: 0.1,
  project: 0.2,
  frame: 0,
};

/** The frame bonus of the bug route (bench/search/README.md, "Stack frames"). */
const FRAME = 0.5;

const IDENTIFIER = /^[A-Za-z_$][\w$]*(?:(?:\.|::|#)[A-Za-z_$][\w$]*)*$/;
const EXPLAIN = /^\s*(how\s+(does|do|is|are|can)|what\s+(does|is)|why\s+does|explain)\b/i;
const LOCATE = /^\s*(where\s+(is|are|do|does)|which\s+(file|function|class|module)|find)\b/i;
// A query worded like a doc comment, in the third person ("Returns the …", "checks whether …"):
// it says what one function does, often in its name's words.
const DESCRIBE = /^\s*[A-Za-z][a-z]{2,}(?<![isu])s\b/;
const NOT_DESCRIBE = /^\s*(does|has|was|this|tests?)\b/i;
const COMPLEX = /\b(slow|slowest|complex|complicated|hot\s*path|performance|bottleneck|expensive)\b/i;

export interface Route {
  intent: Intent;
  weights: Weights;
  /** For identifier queries: the last segment, the name to look up (`Foo.bar` → `bar`). */
  name: string | undefined;
  /** The qualifier before it, if any (`Foo.bar` → `Foo`). */
  qualifier: string | undefined;
  /** The stack frames of a pasted bug report (bug intent only). */
  frames?: Frame[];
}

/** An identifier-shaped word somewhere in a query: `Value::pointer` → name pointer, qualifier Value. */
export interface QueryIdentifier {
  name: string;
  qualifier: string | undefined;
}

const IDENTIFIER_IN_TEXT = /[A-Za-z_$][\w$]*(?:(?:\.|::|#)[A-Za-z_$][\w$]*)*/g;

/**
 * The words of a natural-language query that are written like code: joined by `::`, `.` or
 * `#` (each part at least two characters, so "e.g." is not one), snake_case with letters on
 * both sides of an underscore, or camelCase (a lower-case letter then a capital, four
 * characters at least: `NaN` is a word). Plain words, `__init__` and `kebab-case` are not:
 * lexical search handles them. Stop words inside such words survive here (`StrictUndefined`),
 * where the lexical terms lose them.
 */
export function identifiersInQuery(query: string, max = 8): QueryIdentifier[] {
  const out: QueryIdentifier[] = [];
  const seen = new Set<string>();
  for (const m of query.matchAll(IDENTIFIER_IN_TEXT)) {
    const word = m[0];
    const parts = word.split(/\.|::|#/);
    const joined = parts.length > 1 && parts.every((p) => p.length >= 2);
    const snake = /[A-Za-z0-9]_[A-Za-z0-9]/.test(word);
    const camel = word.length >= 4 && /[a-z][A-Z]/.test(word);
    if (!joined && !snake && !camel) continue;
    const key = word.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    const name = parts.pop()!;
    out.push({ name, qualifier: parts.length ? parts.join('.') : undefined });
    if (out.length >= max) break;
  }
  return out;
}

export function routeQuery(query: string, mode: SearchMode = 'auto'): Route {
  const q = query.trim();
  const ident = q.length <= 200 && IDENTIFIER.test(q);
  if (mode === 'exact' || (mode === 'auto' && ident)) {
    const parts = q.split(/\.|::|#/);
    const name = parts.pop();
    return {
      intent: 'identifier',
      weights: {
        ...BASE,
        lexical: 0.6,
        vector: 0.2,
        exactName: 1,
        prefixName: 0.3,
        quotedName: 0,
        sizeByName: 0,
      },
      name,
      qualifier: parts.length ? parts.join('.') : undefined,
    };
  }
  if (mode === 'semantic')
    return {
      intent: 'general',
      weights: { ...BASE, lexical: 0.2, vector: 0.8, quotedName: 0, project: 0, sizeByName: 0 },
      name: undefined,
      qualifier: undefined,
    };
  if (mode === 'text')
    return {
      intent: 'general',
      weights: { ...BASE, lexical: 1, vector: 0, quotedName: 0, project: 0, sizeByName: 0 },
      name: undefined,
      qualifier: undefined,
    };
  const frames = parseFrames(q);
  if (looksLikeBugReport(q, frames)) {
    return {
      intent: 'bug',
      weights: { ...BASE, frame: frames.length > 0 ? FRAME : 0 },
      name: undefined,
      qualifier: undefined,
      frames,
    };
  }
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
  // Doc-sentence queries name the function in its own words: at sizeNameWords 1 / 2 the
  // retrieval dev half scored 0.390 / 0.378 (judged queries are never worded so); a size prior
  // of 2 / 3 / 4 / 6 on this route gave 0.388 / 0.389 / 0.390 / 0.381, so it stays 4.
  if (DESCRIBE.test(q) && !NOT_DESCRIBE.test(q)) {
    return {
      intent: 'describe',
      weights: { ...BASE, sizeNameWords: 1 },
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
