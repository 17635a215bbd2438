// `analyze`: answers a question with a context bundle. Search finds seeds with several forms
// of the query (as written; its identifiers looked up by name, keeping only symbols of that
// name), within the directories the question names when it names some (focusDirs), merged by
// their best normalised score (declaration files demoted; a class found brings its method most
// relevant to the question along), fewer at small budgets; the gravity traversal then expands
// them over the graph within the token budget, with relevance to the question as its pull.
// Main thread.

import { gatherContext, sameTextKey, type GravityTrace, type Seed } from './gravity.js';
import { SourceCache } from './source-text.js';
import type { Bundle } from './bundle.js';
import { Relevance } from './relevance.js';
import { searchIndex, type SearchHit } from './search.js';
import { edgeKindIds, isContainer, isModule, isTest, ownedMembers, symbolRef } from './symbol-info.js';
import type { IndexSession } from './session.js';
import { LeindexError } from '../errors.js';
import { NONE, SymbolKind } from '../protocol.js';
import type { IndexGraph } from '../graph/graph.js';
import { isDeclarationFile } from '../graph/modules.js';

/** Seeds handed to the traversal: enough to cover a question's few entry points. */
const MAX_SEEDS = 6;
/**
 * One seed per this many tokens of budget (at least MIN_SEEDS): a seed is shown whole with
 * its near neighbours, so six seeds fill a 2,000-token answer before any expansion. Scored on
 * bench/analyze questions: four seeds at 2,000 tokens raised must-recall 0.240 → 0.276, six at
 * 8,000 stay best (four: 0.508, eight: 0.469, six: 0.549).
 */
const TOKENS_PER_SEED = 500;
const MIN_SEEDS = 2;
/** A hit scoring below this share of the best one is not a seed. */
const SEED_FLOOR = 0.45;
/**
 * A hit in a declaration file (`.d.ts`, `.pyi`) counts this much: it states a shape, the
 * implementation answers the question (ESLint's `ESLintRules` interface in a `.d.ts` was the
 * best hit for how its Linter runs rules). Scored on the dev questions of bench/analyze:
 * 8,000-token must-recall 0.549 → 0.564, precision 0.585 → 0.601 (0.3 and 0.7: the same).
 */
const DECLARATION_FILE = 0.5;

/**
 * An exception class, or a method of one, counts this much as a seed: a question that says
 * what is raised (werkzeug's "when does matching raise NotFound or MethodNotAllowed") asks
 * where and why, and the classes themselves (a docstring and a status code) took three of six
 * seeds.
 */
const EXCEPTION_SEED = 0.5;
/** Names of exception classes (and bases that make a class one). */
const EXCEPTION_NAME = /(Error|Exception)$/;
/** How far up the inheritance edges a class is looked at for an exception base. */
const EXCEPTION_DEPTH = 6;

export interface AnalyzeOptions {
  budget: number;
  includeTests?: boolean;
  /** Filled with what the traversal did with each node it reached (gravity.ts). */
  trace?: GravityTrace;
}

export interface AnalyzeResult {
  query: string;
  /** Directories the question names, where seeds were looked for first (focusDirs). */
  focus: string[];
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

/** Directory names too common to say which part of a repository a question is about. */
const GENERIC_DIRS = new Set([
  'src',
  'lib',
  'libs',
  'test',
  'tests',
  'core',
  'util',
  'utils',
  'internal',
  'common',
  'main',
  'app',
  'pkg',
  'packages',
  'source',
  'sources',
  'index',
  'dist',
  'build',
  'docs',
  'doc',
  'examples',
  'example',
]);
/** A question word naming more directories than this is not a name (e.g. `request`). */
const MAX_FOCUS_DIRS = 3;
/**
 * A product name names at most this many packages of its family (`prosemirror-model`, `-state`,
 * `-transform`, `-view`): more, and it is a common word.
 */
const MAX_FAMILY = 6;
/** A directory holding more than this share of the indexed files is too broad to focus on. */
const MAX_FOCUS_SHARE = 0.1;
/** A named directory stays in focus with at least this share of the best one's hit mass. */
const FOCUS_MASS = 0.5;
/** Hits read from a search of the whole index to confirm the focus. */
const FOCUS_DEPTH = 50;
/** Hits read from a search for each query form. */
const FORM_DEPTH = 10;
/**
 * Hits read from an identifier form's search before keeping those of its name and ranking
 * them by where they sit: `HashMap::insert` has dozens of `insert`s around it, and ten hits
 * held `HashSet.insert` and `RustcEntry.insert` but not `HashMap.insert`.
 */
const IDENTIFIER_DEPTH = 100;
/** An identifier form's hit that does not sit where the identifier says pulls this much. */
const IDENTIFIER_MISFIT = 0.7;

/** Lower-case letters and digits only: `ESLint` → `eslint`, `serde_json` → `serdejson`. */
function squash(word: string): string {
  return word.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/**
 * The directories a question names: a word of the question (`Flask`, `tokio`, `serde_json`)
 * equal to a directory's name, less a version suffix (`flask-2.2.2`, `serde_json-1.0.87`),
 * case and punctuation aside. A repository of several projects has its projects' names as
 * directories; a question that names one is about it. Returns path prefixes (`a/b/`), the
 * outermost where one holds another; empty when the question names none.
 */
export function focusDirs(relPaths: readonly string[], query: string): string[] {
  const words = new Set<string>();
  for (const m of query.matchAll(/[A-Za-z_$][\w$-]*/g)) {
    const w = squash(m[0]);
    if (w.length >= 3 && !GENERIC_DIRS.has(w)) words.add(w);
  }
  if (words.size === 0) return [];
  const byWord = new Map<string, Set<string>>();
  /** The question words naming each directory named by two or more (namedByParts). */
  const multi = new Map<string, string[]>();
  /** Directories by the first part of their name (familyName), for the question's words. */
  const families = new Map<string, Set<string>>();
  const seen = new Set<string>();
  for (const path of relPaths) {
    const parts = path.split('/');
    for (let i = 0; i < parts.length - 1; i++) {
      const prefix = `${parts.slice(0, i + 1).join('/')}/`;
      if (seen.has(prefix)) continue;
      seen.add(prefix);
      const bare = (parts[i] ?? '').replace(/[-_.]v?\d+(\.\d+)*([-+.].*)?$/, '');
      const name = squash(bare);
      const lead = familyName(bare);
      if (lead !== undefined && words.has(lead)) {
        let members = families.get(lead);
        if (!members) families.set(lead, (members = new Set()));
        members.add(prefix);
      }
      const byParts = words.has(name) ? undefined : namedByParts(bare, words);
      if (!words.has(name) && !byParts) continue;
      if (byParts) multi.set(prefix, byParts);
      let set = byWord.get(name);
      if (!set) byWord.set(name, (set = new Set()));
      set.add(prefix);
    }
  }
  // A directory named by one word yields to one named by several words including it, written
  // together: "Redux Toolkit" names `reduxjs__toolkit`, and `redux` only as part of that name
  // (in "a tracing event reaches the subscriber", `tracing` still names `tracing`).
  const sequence = [...query.matchAll(/[A-Za-z_$][\w$-]*/g)].map((m) => squash(m[0])).join(' ');
  const inMulti = new Set(
    [...multi.values()].filter((ws) => ` ${sequence} `.includes(` ${ws.join(' ')} `)).flat(),
  );
  for (const [name, set] of byWord) {
    if (inMulti.has(name)) for (const p of set) if (!multi.has(p)) set.delete(p);
  }
  // A product name that is no directory's whole name and names none by all its parts names its
  // family: "ProseMirror" the four `prosemirror-*` packages, "tiptap" `tiptap__core`. The
  // search's hits then pick among them (confirmFocus).
  const partWords = new Set([...multi.values()].flat());
  for (const [word, members] of families) {
    if (byWord.has(word) || partWords.has(word) || members.size > MAX_FAMILY) continue;
    byWord.set(word, members);
  }
  // A directory holding a large part of the repository (`python/` for "Python code") narrows
  // nothing.
  const broad = (prefix: string): boolean =>
    relPaths.filter((p) => p.startsWith(prefix)).length > relPaths.length * MAX_FOCUS_SHARE;
  const prefixes = [...byWord]
    .filter(([word, s]) => s.size <= (families.get(word) === s ? MAX_FAMILY : MAX_FOCUS_DIRS))
    .map(([, s]) => s)
    .flatMap((s) => [...s])
    .filter((p) => !broad(p));
  return prefixes.filter((p) => !prefixes.some((q) => q !== p && p.startsWith(q))).sort();
}

/**
 * A directory named by two or more words, each of which the question has: a scoped package
 * (`tanstack__query-core` for "TanStack Query": `tanstack`, `query`, and the generic `core`;
 * `reduxjs__toolkit` for "Redux Toolkit": an organisation's name may carry a language suffix)
 * or a hyphenated crate (`crossbeam-channel`). Generic parts need not appear; a name with a
 * single other part (`tokio-util`) is not named by that part alone. Returns the question
 * words that name it, else undefined.
 */
function namedByParts(dirName: string, words: ReadonlySet<string>): string[] | undefined {
  const parts = dirName
    .split(/[-_.@]+/)
    .map(squash)
    .filter((p) => p.length > 0 && !GENERIC_DIRS.has(p));
  if (parts.length < 2) return undefined;
  const named: string[] = [];
  for (const p of parts) {
    const stem = p.replace(LANGUAGE_SUFFIX, '');
    const w = words.has(p) ? p : stem !== p && stem.length >= 3 && words.has(stem) ? stem : undefined;
    if (w === undefined) return undefined;
    named.push(w);
  }
  return named;
}

/**
 * The first part of a directory named by two or more parts (`prosemirror-model` →
 * `prosemirror`, `tiptap__core` → `tiptap`; generic parts aside, a language suffix dropped):
 * the product a family of packages belongs to. Undefined for a name of one part.
 */
function familyName(dirName: string): string | undefined {
  const parts = dirName.split(/[-_.@]+/).map(squash);
  if (parts.filter((p) => p.length > 0).length < 2) return undefined;
  const first = parts.find((p) => p.length > 0 && !GENERIC_DIRS.has(p));
  if (first === undefined) return undefined;
  const stem = first.replace(LANGUAGE_SUFFIX, '');
  return stem.length >= 3 ? stem : first;
}

/** A language suffix of an organisation's or project's name: `reduxjs`, `vuejs`. */
const LANGUAGE_SUFFIX = /(js|ts|rs|py)$/;

/**
 * Of the directories a question names, those where a search for it finds most: a directory
 * named by a common word (`request/`, `map/`) holds few of the hits, the project the question
 * is about holds many. Keeps those with at least FOCUS_MASS of the best one's score mass.
 */
function confirmFocus(dirs: readonly string[], hits: readonly SearchHit[]): string[] {
  const mass = dirs.map((d) => hits.filter((h) => h.file.startsWith(d)).reduce((n, h) => n + h.score, 0));
  const best = Math.max(0, ...mass);
  return best > 0 ? dirs.filter((_, i) => (mass[i] ?? 0) >= best * FOCUS_MASS) : [];
}

/**
 * How well a hit of an identifier form matches what was written: `serde_json::from_str` asks
 * for a `from_str` whose path or qualified name has `serde_json` in it, and a `from_str` that
 * is itself the item (a function, not a method of some type) before the others.
 */
function identifierFit(identifier: string, hit: SearchHit): number {
  const parts = identifier.split(/\.|::/);
  const qualifiers = parts.slice(0, -1).map(squash);
  if (qualifiers.length === 0) return 1;
  const qn = hit.qualifiedName.split('.');
  const owner = squash(qn.slice(0, -1).join(''));
  if (qualifiers.every((q) => owner.includes(q))) return 1;
  const path = squash(hit.file);
  if (qualifiers.every((q) => path.includes(q))) return qn.length === 1 ? 1 : IDENTIFIER_MISFIT;
  return IDENTIFIER_MISFIT * IDENTIFIER_MISFIT;
}

/** A protocol method written alone (`__init__`, `__rich_console__`): every class has one. */
const DUNDER = /^__\w+__$/;

/**
 * For the hits of a protocol method written alone, 1 for those in a file where another form
 * found a candidate, IDENTIFIER_MISFIT² for the others: the `__init__` the question means sits
 * by the code it asks about, not in whichever class ranks first.
 */
function nearFit(hits: readonly SearchHit[], found: ReadonlyMap<number, Found>): Map<number, number> {
  const files = new Set([...found.values()].map((f) => f.hit.file));
  return new Map(hits.map((h) => [h.id, files.has(h.file) ? 1 : IDENTIFIER_MISFIT * IDENTIFIER_MISFIT]));
}

/** The last name of an identifier: `serde_json::from_str` → `from_str`, `Foo.bar` → `bar`. */
function lastName(identifier: string): string {
  return identifier.split(/\.|::/).pop() ?? identifier;
}

/** A search hit taken as a seed candidate: its score normalised within its form, and the form. */
interface Found {
  hit: SearchHit;
  score: number;
  via: string;
}

/**
 * Seeds are found without search's size prior (bench/search/README.md, problem 6). It was set
 * for search on search's judged dev queries; on analyze's own dev questions it lowered
 * must-have recall 0.316 → 0.271 at 2,000 tokens and 0.598 → 0.505 at 8,000 (nice-to-have
 * 0.244 → 0.085 at 2,000): big functions crowd out the small ones an answer is built from.
 */
const SEED_WEIGHTS = { size: 0 } as const;

export function analyzeQuery(session: IndexSession, query: string, options: AnalyzeOptions): AnalyzeResult {
  if (query.trim() === '') throw new LeindexError('E_USAGE', 'the question is empty');
  const g = session.graph();
  const named = focusDirs(g.files.relPath, query);
  const focus =
    named.length > 0
      ? confirmFocus(
          named,
          searchIndex(session, query, {
            limit: FOCUS_DEPTH,
            weights: SEED_WEIGHTS,
            ...(options.includeTests ? { includeTests: true } : {}),
          }).hits,
        )
      : [];
  const forms: { text: string; via: string; mode: 'auto' | 'exact' | 'text'; identifier?: string }[] = [
    { text: query, via: 'search', mode: 'auto' },
    // An identifier form seeds only symbols of that name: a near name is not what was asked.
    ...identifiersIn(query).map((id) => ({
      text: lastName(id),
      via: `name ${id}`,
      mode: 'exact' as const,
      identifier: id,
    })),
  ];
  const relevance = Relevance.fromText(session, session.model(), query);
  const seek = (paths: readonly string[]): Map<number, Found> => {
    const found = new Map<number, Found>();
    // A protocol method written alone is placed by the other forms' candidates (nearFit).
    const ordered = [
      ...forms.filter((f) => !DUNDER.test(f.identifier ?? '')),
      ...forms.filter((f) => DUNDER.test(f.identifier ?? '')),
    ];
    for (const form of ordered) {
      let hits: SearchHit[];
      try {
        hits = searchIndex(session, form.text, {
          limit: form.identifier === undefined ? FORM_DEPTH : IDENTIFIER_DEPTH,
          mode: form.mode,
          weights: SEED_WEIGHTS,
          ...(paths.length > 0 ? { paths } : {}),
          ...(options.includeTests ? { includeTests: true } : {}),
        }).hits;
      } catch (err) {
        // An identifier form may be empty of terms, or the index may predate a table it needs:
        // the other forms still give seeds.
        if (err instanceof LeindexError && err.code === 'E_USAGE') continue;
        throw err;
      }
      const id = form.identifier;
      const baseFit = (h: SearchHit): number =>
        (id === undefined ? 1 : identifierFit(id, h)) * (isDeclarationFile(h.file) ? DECLARATION_FILE : 1);
      if (id !== undefined) hits = hits.filter((h) => h.name.toLowerCase() === lastName(id).toLowerCase());
      const protocol = id !== undefined && DUNDER.test(id) ? nearFit(hits, found) : undefined;
      const fit = (h: SearchHit): number => baseFit(h) * (protocol?.get(h.id) ?? 1);
      const best = Math.max(0, ...hits.map((h) => h.score * fit(h)));
      if (best <= 0) continue;
      for (const hit of hits) {
        // After normalising: a form that finds only the exception (`NotFound`) still ranks it
        // below the best hits of the other forms.
        const score = ((hit.score * fit(hit)) / best) * (isExceptionCode(g, hit.id) ? EXCEPTION_SEED : 1);
        if (score < SEED_FLOOR) continue;
        // A test is a seed only when asked for: it would otherwise pull in its whole fixture.
        if (!options.includeTests && isTest(g, hit.id)) continue;
        const prev = found.get(hit.id);
        if (!prev || score > prev.score) found.set(hit.id, { hit, score, via: form.via });
      }
    }
    return found;
  };
  // Seeds come from the directories the question names when it names some and they match;
  // else from the whole index.
  let found = focus.length > 0 ? seek(focus.map((p) => `/${p}`)) : new Map<number, Found>();
  if (found.size === 0) found = seek([]);
  withBestMethods(session, found, relevance);
  withoutCopies(session, found);
  const ranked = [...found.values()]
    .sort((a, b) => b.score - a.score || a.hit.id - b.hit.id)
    .slice(0, Math.max(MIN_SEEDS, Math.min(MAX_SEEDS, Math.floor(options.budget / TOKENS_PER_SEED))));
  const seeds: Seed[] = ranked.map((r) => ({
    id: r.hit.id,
    score: r.score,
    label: `match for "${short(query)}"`,
  }));
  const bundle = gatherContext(session, seeds, {
    budget: options.budget,
    relevance,
    title: `analyze: ${short(query)}`,
    includeTests: options.includeTests ?? false,
    ...(options.trace ? { trace: options.trace } : {}),
  });
  return {
    query,
    focus,
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

/**
 * A class (struct, trait, interface) found by search is shown by its outline when it is big,
 * and the methods that answer the question sit behind it; search ranks the class above them
 * (click's `Command` and `Parameter` above `parse_args` and `process_value`). Each such hit
 * brings its method or function member most relevant to the question as a seed candidate at
 * the class's score (ranked after it: ties go to the lower id). Scored on the dev questions
 * of bench/analyze: 2,000-token must-recall 0.276 → 0.287, nice 0.185 → 0.203 (replacing the
 * class by the method instead: 8,000-token must 0.564 → 0.523).
 */
function withBestMethods(session: IndexSession, found: Map<number, Found>, relevance: Relevance): void {
  const g = session.graph();
  for (const f of [...found.values()]) {
    const id = f.hit.id;
    if (!isContainer(g, id) || isModule(g, id)) continue;
    let best = -1;
    let bestScore = -1;
    for (const m of ownedMembers(g, id)) {
      const k = g.symbols.kind[m];
      if (k !== SymbolKind.method && k !== SymbolKind.function) continue;
      const r = relevance.score(m);
      if (r > bestScore || (r === bestScore && m < best)) {
        best = m;
        bestScore = r;
      }
    }
    if (best < 0 || found.has(best)) continue;
    const ref = symbolRef(g, best);
    found.set(best, {
      hit: { ...f.hit, id: best, name: ref.name, qualifiedName: ref.qualifiedName, file: ref.file },
      score: f.score,
      via: `${f.via}, method of ${f.hit.qualifiedName}`,
    });
  }
}

/**
 * A project that ships its code twice (lodash's `debounce.js` and the same function inside
 * `lodash.js`) finds each seed twice: of candidates with the same name and the same text
 * (whitespace aside), only the one in the shortest file stays, at the best score of its
 * copies. The shortest file is the one a reader opens for it (the module of its own, not the
 * bundle), and a second copy would take a seed and the budget again.
 */
function withoutCopies(session: IndexSession, found: Map<number, Found>): void {
  const g = session.graph();
  const byName = new Map<number, Found[]>();
  for (const f of found.values()) {
    const name = g.symbols.name[f.hit.id] ?? NONE;
    const list = byName.get(name);
    if (list) list.push(f);
    else byName.set(name, [f]);
  }
  const sources = new SourceCache(session);
  const lines = (id: number): number => g.files.lineCount[g.symbols.file[id] ?? 0] ?? 0;
  for (const list of byName.values()) {
    if (list.length < 2) continue;
    const byText = new Map<string, Found[]>();
    for (const f of list) {
      const key = sameTextKey(sources.symbol(f.hit.id).text);
      if (key === undefined) continue;
      const copies = byText.get(key);
      if (copies) copies.push(f);
      else byText.set(key, [f]);
    }
    for (const copies of byText.values()) {
      if (copies.length < 2) continue;
      copies.sort((a, b) => lines(a.hit.id) - lines(b.hit.id) || b.score - a.score || a.hit.id - b.hit.id);
      const [kept, ...rest] = copies;
      if (!kept) continue;
      kept.score = Math.max(...copies.map((c) => c.score));
      for (const c of rest) found.delete(c.hit.id);
    }
  }
}

/**
 * Whether `id` is an exception class (named `…Error` / `…Exception`, or inheriting from one
 * within EXCEPTION_DEPTH hops of `inherits` edges, external bases included) or a member of one.
 */
export function isExceptionCode(g: IndexGraph, id: number): boolean {
  const inherits = edgeKindIds().inherits;
  const classOf = (n: number): number => {
    for (let c = n, hops = 0; c >= 0 && hops < 8; c = g.symbols.parent[c] ?? NONE, hops++) {
      const k = g.symbols.kind[c];
      if (k === SymbolKind.class || k === SymbolKind.struct) return c;
      if (k === SymbolKind.module) return NONE;
    }
    return NONE;
  };
  const start = classOf(id);
  if (start < 0 || inherits < 0) return false;
  const seen = new Set<number>([start]);
  let level = [start];
  for (let depth = 0; depth <= EXCEPTION_DEPTH && level.length > 0; depth++) {
    const next: number[] = [];
    for (const c of level) {
      if (EXCEPTION_NAME.test(g.strings[g.symbols.name[c] ?? NONE] ?? '')) return true;
      const f = g.forward;
      for (let e = f.offsets[c] ?? 0; e < (f.offsets[c + 1] ?? 0); e++) {
        const t = f.targets[e] ?? NONE;
        if (f.kinds[e] !== inherits || t < 0 || seen.has(t)) continue;
        seen.add(t);
        next.push(t);
      }
    }
    level = next;
  }
  return false;
}

function short(q: string): string {
  const one = q.replace(/\s+/g, ' ').trim();
  return one.length > 80 ? `${one.slice(0, 77)}...` : one;
}
