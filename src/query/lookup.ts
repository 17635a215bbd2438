// Resolves what a user or an agent types for a symbol into graph ids: `path/to/file.ts:Name`
// (or `path#Name`, the dump's spelling), `path:LINE` (the innermost symbol there), a path
// alone (its module), `Qualified.name` (`::` and `#` work as `.`), or a bare name. Candidates
// come back ranked by RANKING_RULE, with the ambiguity stated; nothing found is an
// E_SYMBOL_NOT_FOUND error whose hint lists close names. Main thread.

import { LeindexError } from '../errors.js';
import { NONE } from '../protocol.js';
import type { IndexSession } from './session.js';
import {
  displayName,
  edgeKindIndex,
  inDegree,
  isExported,
  isExternal,
  isModule,
  isTest,
  symbolRef,
  type SymbolRef,
} from './symbol-info.js';

/** How a candidate matched the spec, best first. */
export const MATCH_TIERS = ['qualifiedName', 'qualifiedSuffix', 'name', 'caseInsensitive'] as const;
export type MatchTier = (typeof MATCH_TIERS)[number] | 'path' | 'line';

export const RANKING_RULE =
  'exact qualified name > qualified-name suffix > name > case-insensitive name; then ' +
  'definitions before modules and externals; non-test before test; exported before not; ' +
  'more callers first; then lower id';

export interface Candidate extends SymbolRef {
  match: MatchTier;
  test: boolean;
  exported: boolean;
  callers: number;
}

export interface Resolution {
  spec: string;
  /** The best candidate by RANKING_RULE. */
  chosen: Candidate;
  /** The best candidates, ranked (at most MAX_CANDIDATES). */
  candidates: Candidate[];
  /** How many symbols matched in all. */
  total: number;
  /** More than one symbol matched at the chosen one's match tier. */
  ambiguous: boolean;
  rule: string;
}

const MAX_CANDIDATES = 20;
const MAX_SUGGESTIONS = 6;

/** Resolves `spec`; throws E_SYMBOL_NOT_FOUND (with suggestions) or E_USAGE for an empty spec. */
export function resolveSymbol(session: IndexSession, spec: string): Resolution {
  const trimmed = spec.trim();
  if (!trimmed) throw new LeindexError('E_USAGE', 'an empty symbol name');
  const g = session.graph();
  const { file, rest } = splitPath(session, trimmed);
  let matches: { id: number; match: MatchTier }[];
  if (file !== undefined && rest === '') {
    matches = [{ id: g.files.symbolStart[file] ?? 0, match: 'path' }];
  } else if (file !== undefined && /^\d+$/.test(rest)) {
    const id = innermostAtLine(session, file, Number(rest));
    matches = [{ id, match: 'line' }];
  } else {
    // As written first (`#private` is part of a JS name), then with `::`/`#` read as `.`.
    matches = matchName(session, rest, file);
    const normal = normaliseName(rest);
    if (matches.length === 0 && normal !== rest) matches = matchName(session, normal, file);
  }
  if (matches.length === 0) {
    const hint = suggestions(session, normaliseName(rest), file);
    throw new LeindexError(
      'E_SYMBOL_NOT_FOUND',
      `no symbol matches "${spec}"${file !== undefined ? ` in ${g.files.relPath[file]}` : ''}`,
      {
        hint: hint.length
          ? `close names: ${hint.join(', ')}`
          : 'check the spelling, or run `leindex index` again',
      },
    );
  }
  const calls = edgeKindIndex('calls');
  const ranked = matches
    .map(({ id, match }) => ({
      ...symbolRef(g, id),
      match,
      test: isTest(g, id),
      exported: isExported(g, id),
      callers: inDegree(g, id, calls),
    }))
    .sort((a, b) => compareCandidates(session, a, b));
  const chosen = ranked[0] as Candidate;
  return {
    spec,
    chosen,
    candidates: ranked.slice(0, MAX_CANDIDATES),
    total: ranked.length,
    ambiguous: ranked.length > 1 && ranked[1]?.match === chosen.match,
    rule: RANKING_RULE,
  };
}

function compareCandidates(session: IndexSession, a: Candidate, b: Candidate): number {
  const g = session.graph();
  const tier = (c: Candidate): number => MATCH_TIERS.indexOf(c.match as (typeof MATCH_TIERS)[number]);
  const where = (c: Candidate): number => (isExternal(g, c.id) ? 2 : isModule(g, c.id) ? 1 : 0);
  return (
    tier(a) - tier(b) ||
    where(a) - where(b) ||
    Number(a.test) - Number(b.test) ||
    Number(b.exported) - Number(a.exported) ||
    b.callers - a.callers ||
    a.id - b.id
  );
}

/** `::` (Rust paths) and `#` (Java-style members) separate like `.` in qualified names. */
function normaliseName(name: string): string {
  return name
    .replace(/::/g, '.')
    .replace(/#/g, '.')
    .replace(/^\.+|\.+$/g, '');
}

/**
 * Splits a leading file path off the spec: `path:rest`, `path#rest` or a bare path, when the
 * path is an indexed file. A `:` that belongs to `::` never splits.
 */
function splitPath(session: IndexSession, spec: string): { file: number | undefined; rest: string } {
  const whole = session.fileIndex(stripDotSlash(spec));
  if (whole >= 0) return { file: whole, rest: '' };
  for (let i = spec.length - 1; i > 0; i--) {
    const c = spec[i];
    if (c !== ':' && c !== '#') continue;
    if (c === ':' && (spec[i - 1] === ':' || spec[i + 1] === ':')) continue;
    const f = session.fileIndex(stripDotSlash(spec.slice(0, i)));
    if (f >= 0) return { file: f, rest: spec.slice(i + 1) };
  }
  const looksLikePath = /^[^:#]*\/[^:#]*\.[A-Za-z]{1,5}(?:[:#]|$)/.exec(spec);
  if (looksLikePath) {
    const path = stripDotSlash(spec.split(/[:#]/)[0] ?? '');
    throw new LeindexError('E_SYMBOL_NOT_FOUND', `${path} is not an indexed file`, {
      hint: 'paths are relative to the project root; run `leindex index` if the file is new',
    });
  }
  return { file: undefined, rest: spec };
}

function stripDotSlash(p: string): string {
  return p.replace(/\\/g, '/').replace(/^\.\//, '');
}

/** The innermost symbol of `file` whose lines contain `line` (1-based), else the module. */
function innermostAtLine(session: IndexSession, file: number, line: number): number {
  const g = session.graph();
  const s = g.symbols;
  const a = g.files.symbolStart[file] ?? 0;
  const b = g.files.symbolStart[file + 1] ?? g.fileSymbolCount;
  let best = a;
  for (let id = a + 1; id < b; id++) {
    const lo = (s.startLine[id] ?? 0) + 1;
    const hi = (s.endLine[id] ?? 0) + 1;
    // Later rows nest inside earlier ones, so the last one that contains the line is innermost.
    if (lo <= line && line <= hi) best = id;
  }
  return best;
}

/**
 * String ids by exact text, built on a graph's second lookup: a one-shot CLI query scans the
 * string table once (~10 ms on 160k strings), a long-lived session (MCP) builds the map once.
 */
const stringIndexes = new WeakMap<readonly string[], Map<string, number> | null>();

function exactStringId(strings: readonly string[], text: string): number | undefined {
  const known = stringIndexes.get(strings);
  if (known === undefined) {
    stringIndexes.set(strings, null);
    const i = strings.indexOf(text);
    return i >= 0 ? i : undefined;
  }
  if (known === null) {
    const map = new Map<string, number>();
    strings.forEach((str, i) => {
      if (!map.has(str)) map.set(str, i);
    });
    stringIndexes.set(strings, map);
    return map.get(text);
  }
  return known.get(text);
}

/** Every symbol whose qualified name or name matches, with how it matched. */
function matchName(
  session: IndexSession,
  name: string,
  file: number | undefined,
): { id: number; match: MatchTier }[] {
  const g = session.graph();
  const strings = g.strings;
  const exactId = exactStringId(strings, name);
  const out: { id: number; match: MatchTier }[] = [];
  const s = g.symbols;
  const from = file === undefined ? 0 : (g.files.symbolStart[file] ?? 0);
  const to = file === undefined ? s.kind.length : (g.files.symbolStart[file + 1] ?? g.fileSymbolCount);
  if (exactId !== undefined) {
    for (let id = from; id < to; id++) {
      if (s.qualifiedName[id] === exactId) out.push({ id, match: 'qualifiedName' });
      else if (s.name[id] === exactId) out.push({ id, match: 'name' });
    }
  }
  // Looser tiers only when nothing matched exactly: they could not change the choice.
  if (out.length > 0) return out;
  const qualified = name.includes('.');
  const suffix = new Set<number>();
  const lower = new Set<number>();
  const dotted = `.${name}`;
  const lowered = name.toLowerCase();
  for (let i = 0; i < strings.length; i++) {
    const str = strings[i] ?? '';
    if (qualified && str.length > dotted.length && str.endsWith(dotted)) suffix.add(i);
    else if (str.length === name.length && str.toLowerCase() === lowered) lower.add(i);
  }
  if (suffix.size === 0 && lower.size === 0) return out;
  for (let id = from; id < to; id++) {
    const qn = s.qualifiedName[id] ?? NONE;
    const nm = s.name[id] ?? NONE;
    if (suffix.has(qn)) out.push({ id, match: 'qualifiedSuffix' });
    else if (lower.has(nm) || lower.has(qn)) out.push({ id, match: 'caseInsensitive' });
  }
  return out;
}

/**
 * Close names for a spec that matched nothing: names containing it (or contained in it), then
 * names within a small edit distance, most-called first. Shown as `Qualified.name (path)`.
 */
function suggestions(session: IndexSession, name: string, file: number | undefined): string[] {
  const g = session.graph();
  const last = (name.split('.').pop() ?? name).toLowerCase();
  if (!last) return [];
  const maxDistance = Math.max(1, Math.floor(last.length / 4));
  const close = new Map<number, number>(); // string id → closeness (lower is closer)
  const s = g.symbols;
  const from = file === undefined ? 0 : (g.files.symbolStart[file] ?? 0);
  const to = file === undefined ? g.fileSymbolCount : (g.files.symbolStart[file + 1] ?? g.fileSymbolCount);
  const seen = new Set<number>();
  for (let id = from; id < to; id++) {
    const nm = s.name[id] ?? NONE;
    if (nm === NONE || seen.has(nm)) continue;
    seen.add(nm);
    const str = (g.strings[nm] ?? '').toLowerCase();
    if (str.length < 2) continue;
    if (str.includes(last) || (last.length >= 4 && last.includes(str) && str.length >= 4)) {
      close.set(nm, Math.abs(str.length - last.length) / Math.max(str.length, last.length));
    } else if (Math.abs(str.length - last.length) <= maxDistance) {
      const d = editDistance(str, last, maxDistance);
      if (d <= maxDistance) close.set(nm, 1 + d);
    }
  }
  const calls = edgeKindIndex('calls');
  const best = new Map<number, { id: number; callers: number }>();
  for (let id = from; id < to; id++) {
    const nm = s.name[id] ?? NONE;
    if (!close.has(nm)) continue;
    const callers = inDegree(g, id, calls);
    const prev = best.get(nm);
    if (!prev || callers > prev.callers) best.set(nm, { id, callers });
  }
  return [...best.entries()]
    .sort(
      ([na, a], [nb, b]) =>
        (close.get(na) ?? 9) - (close.get(nb) ?? 9) || b.callers - a.callers || a.id - b.id,
    )
    .slice(0, MAX_SUGGESTIONS)
    .map(([, { id }]) => {
      const f = g.symbols.file[id] ?? NONE;
      return `${displayName(g, id)} (${f === NONE ? 'external' : g.files.relPath[f]})`;
    });
}

/**
 * Edit distance counting a swap of two neighbours as one edit (optimal string alignment:
 * `craete` is one typo from `create`), giving up (returning max + 1) once it must exceed `max`.
 */
function editDistance(a: string, b: string, max: number): number {
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const same = a.charCodeAt(i - 1) === b.charCodeAt(j - 1);
      let v = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (same ? 0 : 1));
      if (
        i > 1 &&
        j > 1 &&
        a.charCodeAt(i - 1) === b.charCodeAt(j - 2) &&
        a.charCodeAt(i - 2) === b.charCodeAt(j - 1)
      ) {
        v = Math.min(v, (prev2[j - 2] ?? 0) + 1);
      }
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length] ?? max + 1;
}
