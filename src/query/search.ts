// Hybrid search: one ranking of symbols from three signals — BM25F over the lexical index,
// cosine similarity of the query embedding to symbol vectors, and a structural prior from
// the graph (callers, kind, tests/generated/vendored demoted) — with the weights chosen by
// the query's route (identifier, explain, locate, complexity) — plus bonuses for a symbol the
// query names (an identifier query, or code-shaped words inside a sentence) and for symbols of
// a project the query names. Results are grouped so one file cannot flood the list. Input: an open IndexSession and a query; output: SearchResult.
// Main (or server) thread.

import { createRequire } from 'node:module';
import type ignoreFactory from 'ignore';
import { embedQuery } from '../embed/embedder.js';
import { LeindexError } from '../errors.js';
import { LANGUAGES, NONE, SYMBOL_KIND_NAMES, SymbolFlag, SymbolKind, type LanguageId } from '../protocol.js';
import { moduleNamesOfPath, projectsInQuery, projectTable, type ProjectRange } from '../search/projects.js';
import {
  identifiersInQuery,
  routeQuery,
  type Intent,
  type SearchMode,
  type Weights,
} from '../search/route.js';
import { LEXICAL_STEM, queryTermBag } from '../search/terms.js';
import { cleanReport, type Frame } from '../search/frames.js';
import type { IdRange } from '../search/lexical.js';
import { contentTokens } from '../embed/tokenizer.js';
import type { GraphView, IndexSession, SymbolInfo } from './session.js';
import { TEST_PATH } from './symbol-info.js';

/** Longest query accepted (a whole bug report); longer input is cut, and the result says so. */
export const MAX_QUERY_BYTES = 64 * 1024;
/** Candidates taken from each signal before fusion. */
const LEXICAL_DEPTH = 400;
const VECTOR_DEPTH = 200;
/** Lexical candidates (best first) whose vector similarity is looked up when HNSW missed them. */
const SIMILARITY_DEPTH = 100;
/** At most this many results from one file in a row before others get a turn. */
const PER_FILE = 3;
/** Lexical candidates taken from inside the projects a query names (they may miss the global top). */
const PROJECT_DEPTH = 100;

export interface SearchOptions {
  limit?: number;
  offset?: number;
  mode?: SearchMode;
  languages?: readonly LanguageId[];
  /** Gitignore-style globs a result's path must match (any of them). */
  paths?: readonly string[];
  kinds?: readonly string[];
  /** Keep tests, generated and vendored code at full weight. */
  includeTests?: boolean;
  /** Override the route's weights (tuning and evaluation). */
  weights?: Partial<Weights>;
}

export interface ScoreParts {
  lexical: number;
  vector: number;
  structure: number;
  /** Name bonus: exact or prefix name (identifier queries), or an identifier quoted in the query. */
  name: number;
  /** Bonus for being under a project the query names. */
  project: number;
}

export interface SearchHit extends SymbolInfo {
  score: number;
  parts: ScoreParts;
  snippet: string;
}

export interface SearchResult {
  query: string;
  intent: Intent;
  weights: Weights;
  hits: SearchHit[];
  /** Candidates that passed the filters, before limit/offset. */
  total: number;
  truncatedQuery: boolean;
  /** Query terms looked up, with their document frequency (0 = not in this index). */
  terms: { term: string; df: number }[];
}

/** `ignore` (glob matching) is loaded only by a search with --glob: ~15 ms of a cold start. */
const require = createRequire(import.meta.url);
let ignoreModule: typeof ignoreFactory | undefined;
function ignore(): ReturnType<typeof ignoreFactory> {
  ignoreModule ??= require('ignore') as typeof ignoreFactory;
  return ignoreModule();
}

const VENDOR_PATH = /(^|\/)(vendor|vendored|third_party|third-party|node_modules|external|deps)\//i;
const GENERATED_PATH =
  /(\.generated\.|_pb2(_grpc)?\.py$|\.pb\.(go|ts|js)$|\.g\.(ts|dart)$|(^|\/)generated\/)/i;

export function searchIndex(session: IndexSession, rawQuery: string, opts: SearchOptions = {}): SearchResult {
  const bytes = Buffer.byteLength(rawQuery, 'utf8');
  const truncatedQuery = bytes > MAX_QUERY_BYTES;
  const query = truncatedQuery
    ? Buffer.from(rawQuery, 'utf8').subarray(0, MAX_QUERY_BYTES).toString('utf8')
    : rawQuery;
  if (query.trim() === '') throw new LeindexError('E_USAGE', 'the search query is empty');
  const limit = opts.limit ?? 20;
  const offset = opts.offset ?? 0;
  const route = routeQuery(query, opts.mode);
  const w = { ...route.weights, ...opts.weights };
  // The vector index is opened now (its graph addressed and pages mapped by hnswview's own
  // thread) so that the work overlaps the lexical and name stages below.
  if (w.vector > 0) session.vectors().prepare?.();
  const g = session.view();
  const s = g.symbols;
  const accept = filterFor(session, opts);

  // ---- lexical, with the projects the query names: their best lexical matches join the
  // pool (they may miss the global top), all get a bonus. One scoring feeds both selections.
  const projects = w.project > 0 ? projectsInQuery(query, projectsOf(session)) : [];
  const inProject = (id: number): boolean => accept(id) && underProject(projects, s.file[id] ?? NONE);
  // A pasted report is searched without its log noise (install paths, addresses, timestamps).
  const text = route.intent === 'bug' ? cleanReport(query) : query;
  const bag = queryTermBag(text, MAX_QUERY_BYTES);
  const passes =
    bag.size === 0
      ? undefined
      : session
          .lexical()
          .searchPasses(bag, [
            { limit: LEXICAL_DEPTH, accept },
            ...(projects.length > 0
              ? [{ limit: PROJECT_DEPTH, accept: inProject, within: projectSymbols(g, projects) }]
              : []),
          ]);
  const lexical = passes?.[0];
  const queryTerms: ReadonlySet<string> = new Set(bag.keys());
  const candidates = new Map<number, ScoreParts>();
  const part = (id: number): ScoreParts => {
    let p = candidates.get(id);
    if (!p) {
      p = { lexical: 0, vector: 0, structure: 0, name: 0, project: 0 };
      candidates.set(id, p);
    }
    return p;
  };
  const lexMax = lexical && lexical.scores.length > 0 ? lexical.scores[0]! : 0;
  if (lexical && lexMax > 0) lexical.ids.forEach((id, i) => (part(id).lexical = lexical.scores[i]! / lexMax));
  // When the global list already holds PROJECT_DEPTH of the projects' symbols, those are the
  // projects' best (same scores, same order) and the second selection adds nothing.
  const inGlobal = lexical
    ? lexical.ids.filter((id) => underProject(projects, s.file[id] ?? NONE)).length
    : 0;
  const local = passes?.[1];
  if (local && lexMax > 0 && inGlobal < PROJECT_DEPTH)
    local.ids.forEach((id, i) => (part(id).lexical = Math.min(1, local.scores[i]! / lexMax)));

  // ---- identifier: exact and prefix name matches first
  if (route.name) {
    for (const { id, fit } of nameMatches(session, route.name, route.qualifier, true)) {
      if (!accept(id)) continue;
      const name = g.str(s.name[id] ?? NONE) ?? '';
      const bonus =
        name === route.name
          ? w.exactName
          : name.toLowerCase() === route.name.toLowerCase()
            ? w.exactName * OTHER_CASE_FIT
            : w.prefixName;
      part(id).name = fit * bonus;
    }
  } else if (w.quotedName > 0) {
    // Identifiers written inside a sentence: exact names only (a prefix is too loose there).
    for (const ident of identifiersInQuery(query)) {
      const want = ident.name.toLowerCase();
      for (const { id, fit } of nameMatches(session, ident.name, ident.qualifier, false, true)) {
        const name = g.str(s.name[id] ?? NONE) ?? '';
        if (!accept(id) || name.toLowerCase() !== want) continue;
        const p = part(id);
        p.name = Math.max(p.name, fit * w.quotedName * (name === ident.name ? 1 : OTHER_CASE_FIT));
      }
    }
  }

  // ---- stack frames of a pasted report: the symbols they name, by file and line or name
  if (w.frame > 0 && route.frames) {
    for (const [id, share] of frameMatches(session, route.frames)) {
      if (!accept(id)) continue;
      const p = part(id);
      p.name = Math.max(p.name, w.frame * share);
    }
  }

  // ---- vectors
  let qvec: Float32Array | undefined;
  if (w.vector > 0) {
    qvec = embedQuery(session.model(), text);
    if (qvec.some((x) => x !== 0)) {
      const vecs = session.vectors();
      const near = vecs.nearest(qvec, VECTOR_DEPTH);
      near.ids.forEach((id, i) => {
        if (accept(id)) part(id).vector = near.sims[i]!;
      });
      // The best lexical and name candidates the nearest list missed still get their true
      // similarity (each costs a fragment read: the rest keep the pool's minimum).
      const missed: ScoreParts[] = [];
      const missedIds: number[] = [];
      for (const [id, p] of candidates) {
        if (p.vector !== 0) continue;
        if (missed.length >= SIMILARITY_DEPTH) break;
        missed.push(p);
        missedIds.push(id);
      }
      vecs.similarities(missedIds, qvec).forEach((sim, i) => (missed[i]!.vector = sim ?? 0));
    } else qvec = undefined;
  }
  // Min-max over the candidate pool, as the retrieval evaluation's fusion did.
  let vmin = Infinity;
  let vmax = -Infinity;
  for (const p of candidates.values()) {
    vmin = Math.min(vmin, p.vector);
    vmax = Math.max(vmax, p.vector);
  }
  const vscale = vmax > vmin ? 1 / (vmax - vmin) : 0;

  // ---- structure and fusion
  const scored: { id: number; score: number; parts: ScoreParts }[] = [];
  for (const [id, p] of candidates) {
    // An identifier query asks for a name: a symbol that shares no term and no name with it
    // is not an answer, however close its vector.
    if (route.name && p.lexical === 0 && p.name === 0) continue;
    p.vector = qvec ? (p.vector - vmin) * vscale : 0;
    p.structure = structurePrior(session, id, w, p.lexical > 0 ? queryTerms : undefined);
    if (projects.length > 0 && underProject(projects, s.file[id] ?? NONE)) p.project = w.project;
    let score = w.lexical * p.lexical + w.vector * p.vector + w.structure * p.structure + p.name + p.project;
    if (!opts.includeTests && isDemoted(session, id)) score *= DEMOTED_SHARE;
    scored.push({ id, score, parts: p });
  }
  scored.sort((a, b) => b.score - a.score || a.id - b.id);
  const ordered = spreadFiles(scored, (id) => s.file[id] ?? NONE);
  const page = ordered.slice(offset, offset + limit);
  return {
    query,
    intent: route.intent,
    weights: w,
    hits: page.map(({ id, score, parts }) => {
      const info = session.symbol(id);
      return {
        ...info,
        score: round(score),
        parts: {
          lexical: round(parts.lexical),
          vector: round(parts.vector),
          structure: round(parts.structure),
          name: round(parts.name),
          project: round(parts.project),
        },
        snippet: snippetOf(session, info),
      };
    }),
    total: ordered.length,
    truncatedQuery,
    terms: (lexical?.terms ?? []).map(({ term, df }) => ({ term, df })),
  };
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** The filter every candidate must pass: file symbols only, language, path globs, kind. */
function filterFor(session: IndexSession, opts: SearchOptions): (id: number) => boolean {
  const g = session.view();
  const langs = opts.languages?.length ? new Set(opts.languages.map((l) => LANGUAGES.indexOf(l))) : undefined;
  const kinds = opts.kinds?.length ? new Set(opts.kinds.map((k) => kindIndex(k))) : undefined;
  const globs = opts.paths?.length ? ignore().add([...opts.paths]) : undefined;
  const fileOk = new Map<number, boolean>();
  return (id) => {
    const file = g.symbols.file[id] ?? NONE;
    if (file === NONE || id >= g.fileSymbolCount) return false;
    if (kinds && !kinds.has(g.symbols.kind[id] ?? -1)) return false;
    let ok = fileOk.get(file);
    if (ok === undefined) {
      ok =
        (!langs || langs.has(g.files.language[file] ?? -1)) &&
        (!globs || globs.ignores(g.files.relPath[file] ?? ''));
      fileOk.set(file, ok);
    }
    return ok;
  };
}

function kindIndex(kind: string): number {
  const i = SYMBOL_KIND_NAMES.indexOf(kind as (typeof SYMBOL_KIND_NAMES)[number]);
  if (i < 0) {
    throw new LeindexError('E_USAGE', `unknown symbol kind "${kind}"`, {
      hint: `kinds: ${SYMBOL_KIND_NAMES.join(', ')}`,
    });
  }
  return i;
}

/**
 * Symbols named `name` exactly or by prefix (case-insensitive), with how well they fit the
 * qualifier: 1 when it is part of the qualified name (`HashMap::entry` → `HashMap.entry`) or
 * names the file as a module (`shutil.rmtree` → `shutil.py`, `yaml.safe_load` →
 * `yaml/__init__.py`), QUALIFIER_DIR_FIT when it names one of the file's directories
 * (`Effect.retry` → any file of the effect package). When the qualifier fits no candidate
 * and `keepUnfit` is set (a query that is only this identifier), the unqualified matches
 * keep QUALIFIER_MISS_FIT of their bonus rather than losing it. `exact`: names equal to
 * `name` (ignoring case) only.
 */
function nameMatches(
  session: IndexSession,
  name: string,
  qualifier: string | undefined,
  keepUnfit: boolean,
  exact = false,
): { id: number; fit: number }[] {
  const g = session.view();
  const q = qualifier?.toLowerCase();
  // Exact names sort first among a prefix's, so `exact` returns the first of the same list.
  const ids = session.names().prefixed(name, q ? 2000 : 200, exact);
  if (!q) return ids.map((id) => ({ id, fit: 1 }));
  const qparts = q.split('.');
  const last = qparts[qparts.length - 1] ?? q;
  const out: { id: number; fit: number }[] = [];
  const fileFit = new Map<number, number>();
  for (const id of ids) {
    let fit = (g.str(g.symbols.qualifiedName[id] ?? NONE) ?? '').toLowerCase().includes(q) ? 1 : 0;
    if (fit === 0) {
      const file = g.symbols.file[id] ?? NONE;
      let f = fileFit.get(file);
      if (f === undefined) {
        const modules = moduleNamesOfPath(g.files.relPath[file] ?? '');
        f =
          modules[0] === last && qparts.every((p) => modules.includes(p))
            ? 1
            : qparts.every((p) => modules.includes(p))
              ? QUALIFIER_DIR_FIT
              : 0;
        fileFit.set(file, f);
      }
      fit = f;
    }
    if (fit > 0) out.push({ id, fit });
    if (out.length >= 200) break;
  }
  if (out.length > 0 || !keepUnfit) return out;
  return ids.slice(0, 200).map((id) => ({ id, fit: QUALIFIER_MISS_FIT }));
}

/** Share of a frame's bonus for each frame between it and the one that raised. */
const FRAME_DECAY = 0.8;
/** Share of a frame's bonus for a symbol of its file named like it whose lines miss the frame's line. */
const FRAME_NAME_FIT = 0.8;
/** Share for the innermost symbol around a frame's line when its name is not the frame's. */
const FRAME_LINE_FIT = 0.6;
/** Share for a symbol named like a frame without a file (a Rust backtrace line), anywhere. */
const FRAME_ANYWHERE_FIT = 0.8;
/** A frame's path that only its base name matches looks at no more files than this. */
const FRAME_BASENAME_FILES = 3;

/**
 * The symbols the frames of a report name, with their share of the frame bonus (the best
 * over frames): in the frame's file (matched by the longest path suffix, install prefixes
 * cut), the symbol named like the frame's function, else the innermost symbol around its
 * line; a frame without a file (Rust backtrace) by its qualified name anywhere.
 */
function frameMatches(session: IndexSession, frames: readonly Frame[]): Map<number, number> {
  const g = session.view();
  const s = g.symbols;
  const out = new Map<number, number>();
  const give = (id: number, share: number): void => {
    if (share > (out.get(id) ?? 0)) out.set(id, share);
  };
  for (const f of frames) {
    const decay = FRAME_DECAY ** f.depth;
    if (!f.file) {
      if (f.func)
        for (const { id, fit } of nameMatches(session, f.func, f.qualifier, false, true))
          if ((g.str(s.name[id] ?? NONE) ?? '') === f.func) give(id, decay * fit * FRAME_ANYWHERE_FIT);
      continue;
    }
    const { files, segments, whole } = filesOfPath(g, f.file);
    // A short suffix (`errors.ts`, `src/main.rs` of /srv/app/src/main.rs) is weak evidence:
    // its function's name counts, its line only when the frame's whole path matched few files.
    const byLine = f.line !== undefined && (segments >= 3 || (whole && files.length <= FRAME_BASENAME_FILES));
    for (const file of files) {
      const from = g.files.symbolStart[file] ?? 0;
      const to = g.files.symbolStart[file + 1] ?? g.fileSymbolCount;
      let inner = -1;
      let span = Infinity;
      let named = false;
      for (let id = from; id < to; id++) {
        const start = (s.startLine[id] ?? 0) + 1;
        const end = (s.endLine[id] ?? 0) + 1;
        const around = f.line !== undefined && start <= f.line && f.line <= end;
        if (f.func && (g.str(s.name[id] ?? NONE) ?? '') === f.func) {
          named = true;
          give(id, decay * (around || f.line === undefined ? 1 : FRAME_NAME_FIT));
        }
        if (byLine && around && end - start < span) {
          inner = id;
          span = end - start;
        }
      }
      if (inner >= 0 && !named) give(inner, decay * (f.func ? FRAME_LINE_FIT : 1));
    }
  }
  return out;
}

const basenameCache = new WeakMap<object, Map<string, number[]>>();

/**
 * The index's files a frame's path names: those sharing the longest suffix of path segments
 * with it (at most 8), how many segments that suffix has, and whether it is the whole path.
 */
function filesOfPath(g: GraphView, path: string): { files: number[]; segments: number; whole: boolean } {
  let byBase = basenameCache.get(g.files);
  if (!byBase) {
    byBase = new Map();
    g.files.relPath.forEach((rel, file) => {
      const base = rel.slice(rel.lastIndexOf('/') + 1);
      const list = byBase!.get(base);
      if (list) list.push(file);
      else byBase!.set(base, [file]);
    });
    basenameCache.set(g.files, byBase);
  }
  const want = path.split('/').filter((p) => p !== '' && p !== '.');
  const candidates = byBase.get(want[want.length - 1] ?? '') ?? [];
  let best = 0;
  let files: number[] = [];
  for (const file of candidates) {
    const have = (g.files.relPath[file] ?? '').split('/');
    let n = 0;
    while (n < want.length && n < have.length && want[want.length - 1 - n] === have[have.length - 1 - n]) n++;
    if (n > best) {
      best = n;
      files = [file];
    } else if (n === best && n > 0) files.push(file);
  }
  return { files: files.slice(0, 8), segments: best, whole: best === want.length };
}

/** Share of an exact-name bonus when the name matches only ignoring case (`Retry` for `retry`). */
const OTHER_CASE_FIT = 0.9;

/** Share of the name bonus when the qualifier names a directory of the file, not the file. */
const QUALIFIER_DIR_FIT = 0.8;
/** Share of the name bonus when the qualifier matches no candidate at all. */
const QUALIFIER_MISS_FIT = 0.5;

const projectCache = new WeakMap<object, Map<string, ProjectRange[]>>();

/** The index's project table (see projects.ts), built once per file table. */
function projectsOf(session: IndexSession): Map<string, ProjectRange[]> {
  const files = session.view().files;
  let t = projectCache.get(files);
  if (!t) {
    t = projectTable(files.relPath);
    projectCache.set(files, t);
  }
  return t;
}

/** The symbol ids of the projects' files, as ascending disjoint ranges. */
function projectSymbols(g: GraphView, projects: readonly ProjectRange[]): IdRange[] {
  const start = g.files.symbolStart;
  const out: IdRange[] = [];
  for (const r of [...projects].sort((a, b) => a.from - b.from)) {
    const from = start[r.from] ?? 0;
    const to = start[r.to] ?? g.fileSymbolCount;
    const last = out[out.length - 1];
    if (last && from <= last.to) last.to = Math.max(last.to, to);
    else out.push({ from, to });
  }
  return out;
}

function underProject(projects: readonly ProjectRange[], file: number): boolean {
  return projects.some((r) => file >= r.from && file < r.to);
}

const KIND_PRIOR: Record<number, number> = {
  [SymbolKind.function]: 1,
  [SymbolKind.method]: 1,
  [SymbolKind.class]: 1,
  [SymbolKind.struct]: 1,
  [SymbolKind.trait]: 1,
  [SymbolKind.interface]: 1,
  [SymbolKind.enum]: 0.9,
  [SymbolKind.typeAlias]: 0.8,
  [SymbolKind.constant]: 0.7,
  [SymbolKind.namespace]: 0.7,
  [SymbolKind.module]: 0.5,
  [SymbolKind.variable]: 0.4,
  [SymbolKind.field]: 0.4,
};

/**
 * The structural prior: definitions over variables and fields, more callers (log-scaled),
 * longer functions and methods (log-scaled, up to `size`), more complex code when the route
 * asks for it.
 */
function structurePrior(
  session: IndexSession,
  id: number,
  w: Weights,
  queryTerms: ReadonlySet<string> | undefined,
): number {
  const g = session.view();
  const callers = g.callers(id);
  let prior =
    (KIND_PRIOR[g.symbols.kind[id] ?? 0] ?? 0.5) * 0.5 +
    Math.min(1, Math.log1p(callers) / Math.log(50)) * 0.5;
  if (w.complexity > 0)
    prior += w.complexity * Math.min(1, Math.log1p(g.symbols.complexity[id] ?? 1) / Math.log(40));
  const kind = g.symbols.kind[id] ?? 0;
  if (w.size > 0 && (kind === SymbolKind.function || kind === SymbolKind.method)) {
    const lines = (g.symbols.endLine[id] ?? 0) - (g.symbols.startLine[id] ?? 0) + 1;
    let size = Math.min(1, Math.log1p(lines) / Math.log(SIZE_LINES));
    // A name the query says is among the symbol's terms, so only lexical matches are looked at.
    if (queryTerms && w.sizeByName > 0 && size < 1)
      size = Math.max(
        size,
        w.sizeByName * nameCoverage(g, g.symbols.name[id] ?? NONE, queryTerms, w.sizeNameWords),
      );
    prior += w.size * size;
  }
  return prior;
}

const nameTermsMemo = new WeakMap<GraphView, Map<number, string[]>>();

/**
 * How much of a symbol's name the query says, as a share of the size prior: `isArrowToken`
 * for "checks if the given token is an arrow token" says what a three-line function does as
 * well as a long body would. Share of the name's terms in the query, times min(1, matched / 2)
 * so that a one-word name (`run`, `parse`) that any query may contain counts half.
 */
function nameCoverage(g: GraphView, nameId: number, queryTerms: ReadonlySet<string>, words: number): number {
  if (queryTerms.size === 0) return 0;
  // Many candidates share a name (`create`, `new`, `parse`): its terms are split once per view.
  let memo = nameTermsMemo.get(g);
  if (!memo) nameTermsMemo.set(g, (memo = new Map<number, string[]>()));
  let terms = memo.get(nameId);
  if (!terms) {
    if (memo.size >= 1 << 16) memo.clear();
    terms = contentTokens(g.str(nameId) ?? '', LEXICAL_STEM);
    memo.set(nameId, terms);
  }
  if (terms.length === 0) return 0;
  let matched = 0;
  for (const t of terms) if (queryTerms.has(t)) matched++;
  return (matched / terms.length) * Math.min(1, matched / Math.max(1, words));
}

/** A function or method this long (lines) gets the whole size prior; 50 and 200 gave less on dev. */
const SIZE_LINES = 100;

/** Tests, generated and vendored code keep this share of their score unless asked for. */
const DEMOTED_SHARE = 0.6;

/** Per file table: 0 not yet known, 1 a file at full weight, 2 a test, vendored or generated path. */
const demotedPaths = new WeakMap<object, Uint8Array>();

function isDemoted(session: IndexSession, id: number): boolean {
  const g = session.view();
  if (inTest(g.symbols, id)) return true;
  const file = g.symbols.file[id] ?? 0;
  let known = demotedPaths.get(g.files);
  if (!known) demotedPaths.set(g.files, (known = new Uint8Array(g.files.relPath.length)));
  if (known[file] === 0) {
    const path = g.files.relPath[file] ?? '';
    known[file] = TEST_PATH.test(path) || VENDOR_PATH.test(path) || GENERATED_PATH.test(path) ? 2 : 1;
  }
  return known[file] === 2;
}

/**
 * A symbol flagged as a test or inside one: the functions of a Rust `#[cfg(test)] mod tests`
 * carry no flag of their own (only the module does), yet are as much test code.
 */
function inTest(sym: GraphView['symbols'], id: number): boolean {
  for (let s = id, depth = 0; s >= 0 && depth < 8; s = sym.parent[s] ?? NONE, depth++) {
    if (((sym.flags[s] ?? 0) & SymbolFlag.test) !== 0) return true;
  }
  return false;
}

/** Reorders so that no file has more than PER_FILE results in a row while others wait. */
function spreadFiles<T extends { id: number }>(sorted: readonly T[], fileOf: (id: number) => number): T[] {
  const out: T[] = [];
  const deferred: T[] = [];
  const count = new Map<number, number>();
  for (const hit of sorted) {
    const f = fileOf(hit.id);
    const c = count.get(f) ?? 0;
    if (c >= PER_FILE) deferred.push(hit);
    else {
      count.set(f, c + 1);
      out.push(hit);
    }
  }
  return out.concat(deferred);
}

/** A short preview: the signature (or first source line) and the first line of the doc. */
function snippetOf(session: IndexSession, info: SymbolInfo): string {
  const head = info.signature ?? firstLine(session, info.id);
  const doc = info.doc
    ?.split('\n')
    .find((l) => l.trim() !== '')
    ?.trim();
  const text = doc ? `${head}\n${doc}` : head;
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}

function firstLine(session: IndexSession, id: number): string {
  try {
    return session.source(id).text.split('\n', 1)[0]?.trim() ?? '';
  } catch {
    return '';
  }
}
