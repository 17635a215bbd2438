// The shape of a project: its directory tree with file, symbol and line counts, the import
// dependencies between directories, and the external packages it uses, cut to a token
// budget by showing fewer levels (and, at the last resort, fewer directories). Input: an
// IndexSession; output: plain data plus a text rendering. Main (or server) thread.

import { EdgeKind } from '../graph/graph.js';
import { LANGUAGES, NONE } from '../protocol.js';
import type { IndexSession } from './session.js';
import { estimateTokens } from './tokens.js';

export interface DirNode {
  /** Path relative to the root, '/'-separated; '' is the root itself. */
  path: string;
  /** Totals over the whole subtree. */
  files: number;
  symbols: number;
  lines: number;
  languages: Record<string, number>;
  children: string[];
}

/** Everything the map needs, computed once per generation (O(files + import edges)). */
export interface ProjectMapData {
  dirs: Map<string, DirNode>;
  /** File-level import links as [fromDir, toDir] pairs (one per importing file and imported file). */
  links: [string, string][];
  /** External package → number of files importing it. */
  externals: Map<string, number>;
}

export interface MapOptions {
  /** Show this directory's subtree only ('' = the whole project). */
  focus: string;
  /** Deepest level shown below the focus. */
  maxDepth: number;
  /** Token budget of the rendered text. */
  budget: number;
}

export interface RenderedMap {
  text: string;
  depth: number;
  dirs: { path: string; depth: number; files: number; symbols: number; lines: number }[];
  dependencies: { from: string; to: string; imports: number }[];
  externals: { name: string; files: number }[];
  trimmed: boolean;
  omitted: { dirs: number; dependencies: number; externals: number };
}

const cache = new WeakMap<IndexSession, ProjectMapData>();

export function projectMapData(session: IndexSession): ProjectMapData {
  const hit = cache.get(session);
  if (hit) return hit;
  const g = session.graph();
  const { files, symbols: s, forward } = g;
  const dirs = new Map<string, DirNode>();
  const node = (path: string): DirNode => {
    let d = dirs.get(path);
    if (!d) {
      d = { path, files: 0, symbols: 0, lines: 0, languages: {}, children: [] };
      dirs.set(path, d);
      if (path !== '') node(parentOf(path)).children.push(path);
    }
    return d;
  };
  node('');
  const fileDir: string[] = [];
  const n = files.relPath.length;
  for (let f = 0; f < n; f++) {
    const dir = parentOf(files.relPath[f] ?? '');
    fileDir.push(dir);
    const symbols = (files.symbolStart[f + 1] ?? 0) - (files.symbolStart[f] ?? 0) - 1; // minus the module row
    const lang = LANGUAGES[files.language[f] ?? 0] ?? 'unknown';
    for (let d: string | undefined = dir; d !== undefined; d = d === '' ? undefined : parentOf(d)) {
      const x = node(d);
      x.files++;
      x.symbols += symbols;
      x.lines += files.lineCount[f] ?? 0;
      x.languages[lang] = (x.languages[lang] ?? 0) + 1;
    }
  }
  const links: [string, string][] = [];
  const externals = new Map<string, number>();
  for (let f = 0; f < n; f++) {
    const m = files.symbolStart[f] ?? 0;
    const seen = new Set<number | string>();
    for (let e = forward.offsets[m] ?? 0; e < (forward.offsets[m + 1] ?? 0); e++) {
      if (forward.kinds[e] !== EdgeKind.imports) continue;
      const t = forward.targets[e] ?? NONE;
      const tf = s.file[t] ?? NONE;
      if (tf === NONE) {
        const name = g.strings[s.qualifiedName[t] ?? NONE] ?? '';
        if (!seen.has(name)) externals.set(name, (externals.get(name) ?? 0) + 1);
        seen.add(name);
      } else if (tf !== f && !seen.has(tf)) {
        seen.add(tf);
        links.push([fileDir[f] ?? '', fileDir[tf] ?? '']);
      }
    }
  }
  const data = { dirs, links, externals };
  cache.set(session, data);
  return data;
}

/** Renders the map at the deepest level (≤ maxDepth) that fits the budget. */
export function renderProjectMap(data: ProjectMapData, opts: MapOptions): RenderedMap {
  const focus = data.dirs.get(opts.focus);
  if (!focus) throw new Error(`no indexed directory ${opts.focus}`);
  const base = depthOf(opts.focus);
  // The deepest level whose tree fits (dependencies and packages are cut to what is left).
  let best: RenderedMap | undefined;
  for (let depth = Math.max(1, opts.maxDepth); depth >= 1; depth--) {
    const r = renderAt(data, focus, base, depth, opts.budget);
    best = r.map;
    if (!r.treeTrimmed) break;
  }
  if (!best) throw new Error('unreachable: maxDepth >= 1');
  if (best.depth < opts.maxDepth && maxDepthBelow(data, focus) > best.depth) best.trimmed = true;
  return best;
}

function renderAt(
  data: ProjectMapData,
  focus: DirNode,
  base: number,
  depth: number,
  budget: number,
): { map: RenderedMap; treeTrimmed: boolean } {
  // The tree gets up to two thirds of the budget; dependencies and packages share what is left.
  const treeBudget = Math.floor((budget * 2) / 3);
  const header = `${focus.path || '.'}/: ${focus.files} files, ${focus.symbols} symbols, ${focus.lines} lines (${langList(focus.languages)})`;
  const lines: string[] = [header];
  let used = estimateTokens(header);
  const shown: RenderedMap['dirs'] = [];
  let omittedDirs = 0;
  let trimmedTree = false;
  const walk = (d: DirNode, level: number): void => {
    const kids = d.children.map((c) => data.dirs.get(c)).filter((c): c is DirNode => c !== undefined);
    kids.sort((a, b) => b.symbols - a.symbols || b.files - a.files || (a.path < b.path ? -1 : 1));
    for (let i = 0; i < kids.length; i++) {
      const k = kids[i];
      if (!k) continue;
      if (level > depth) {
        omittedDirs += countDirs(data, k);
        continue;
      }
      const name = `${k.path.slice(d.path ? d.path.length + 1 : 0)}/`;
      const line = `${'  '.repeat(level)}${name} ${k.files} files, ${k.symbols} symbols`;
      const cost = estimateTokens(line) + 1;
      if (used + cost > treeBudget) {
        trimmedTree = true;
        const rest = kids.slice(i).reduce((sum, x) => sum + countDirs(data, x), 0);
        omittedDirs += rest;
        lines.push(`${'  '.repeat(level)}… ${rest} more directories`);
        used += 8;
        return;
      }
      lines.push(line);
      used += cost;
      shown.push({ path: k.path, depth: level, files: k.files, symbols: k.symbols, lines: k.lines });
      walk(k, level + 1);
    }
  };
  walk(focus, 1);
  if (omittedDirs > 0 && !trimmedTree) lines.push(`(${omittedDirs} deeper directories not shown)`);

  // Dependencies between the directories shown: each file-level link lifted to the deepest
  // shown directory on each side; links inside one shown directory are not dependencies.
  const shownSet = new Set(shown.map((d) => d.path));
  shownSet.add(focus.path);
  const lift = (dir: string): string | undefined => {
    for (let d: string | undefined = dir; d !== undefined; d = d === '' ? undefined : parentOf(d)) {
      if (shownSet.has(d)) return d;
    }
    return undefined;
  };
  const inFocus = (dir: string): boolean =>
    focus.path === '' || dir === focus.path || dir.startsWith(`${focus.path}/`);
  const counts = new Map<string, number>();
  for (const [a, b] of data.links) {
    if (!inFocus(a)) continue;
    const from = lift(a);
    const to = inFocus(b) ? lift(b) : topLevel(b, base);
    if (from === undefined || to === undefined || from === to) continue;
    const key = `${from}\u0000${to}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const deps = [...counts.entries()]
    .map(([k, imports]) => {
      const [from = '', to = ''] = k.split('\u0000');
      return { from, to, imports };
    })
    .sort((a, b) => b.imports - a.imports || (a.from + a.to < b.from + b.to ? -1 : 1));
  const rest = Math.max(0, budget - used);
  const depLines: string[] = [];
  const shownDeps: RenderedMap['dependencies'] = [];
  let depUsed = 0;
  for (const d of deps) {
    const line = `  ${d.from || '.'}/ → ${d.to || '.'}/ (${d.imports})`;
    const cost = estimateTokens(line) + 1;
    if (depUsed + cost > rest * 0.7) break;
    depLines.push(line);
    shownDeps.push(d);
    depUsed += cost;
  }
  if (deps.length) {
    lines.push(`directory dependencies (file imports), ${deps.length} in all:`, ...depLines);
    if (shownDeps.length < deps.length) lines.push(`  … ${deps.length - shownDeps.length} more`);
  }
  const ext = [...data.externals.entries()]
    .map(([name, files]) => ({ name, files }))
    .sort((a, b) => b.files - a.files || (a.name < b.name ? -1 : 1));
  const shownExt: RenderedMap['externals'] = [];
  let extLine = '';
  for (const e of ext) {
    const piece = `${e.name} (${e.files})`;
    if (estimateTokens(extLine + piece) + used + depUsed > budget) break;
    extLine += extLine ? `, ${piece}` : piece;
    shownExt.push(e);
  }
  if (ext.length) {
    const more = ext.length - shownExt.length;
    lines.push(
      `external packages (files importing), ${ext.length} in all: ${extLine}${more ? `, … ${more} more` : ''}`,
    );
  }
  const trimmed = trimmedTree || shownDeps.length < deps.length || shownExt.length < ext.length;
  const map: RenderedMap = {
    text: `${lines.join('\n')}\n`,
    depth,
    dirs: shown,
    dependencies: shownDeps,
    externals: shownExt,
    trimmed,
    omitted: {
      dirs: omittedDirs,
      dependencies: deps.length - shownDeps.length,
      externals: ext.length - shownExt.length,
    },
  };
  return { map, treeTrimmed: trimmedTree };
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

function depthOf(path: string): number {
  return path === '' ? 0 : path.split('/').length;
}

/** The ancestor of `dir` one level below the focus' level (for targets outside the focus). */
function topLevel(dir: string, base: number): string {
  return dir
    .split('/')
    .slice(0, base + 1)
    .join('/');
}

function countDirs(data: ProjectMapData, d: DirNode): number {
  let n = 1;
  for (const c of d.children) {
    const k = data.dirs.get(c);
    if (k) n += countDirs(data, k);
  }
  return n;
}

function maxDepthBelow(data: ProjectMapData, d: DirNode): number {
  let best = 0;
  for (const c of d.children) {
    const k = data.dirs.get(c);
    if (k) best = Math.max(best, 1 + maxDepthBelow(data, k));
  }
  return best;
}

function langList(l: Record<string, number>): string {
  return Object.entries(l)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}
