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
  parent: DirNode | undefined;
  /** Levels below the root (the root is 0). */
  level: number;
  /** Totals over the whole subtree. */
  files: number;
  symbols: number;
  lines: number;
  languages: Record<string, number>;
  /** Largest first (symbols, then files), then by path: the order the map shows and cuts. */
  children: DirNode[];
  /** Directories in the subtree, this one included. */
  dirCount: number;
  /** Levels below this one that hold directories. */
  height: number;
}

/** Everything the map needs, computed once per generation (O(files + import edges)). */
export interface ProjectMapData {
  dirs: Map<string, DirNode>;
  /** Import links between files, summed per pair of their directories: from → to → files. */
  links: Map<DirNode, Map<DirNode, number>>;
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
      const parent = path === '' ? undefined : node(parentOf(path));
      d = {
        path,
        parent,
        level: parent ? parent.level + 1 : 0,
        files: 0,
        symbols: 0,
        lines: 0,
        languages: {},
        children: [],
        dirCount: 1,
        height: 0,
      };
      dirs.set(path, d);
      parent?.children.push(d);
    }
    return d;
  };
  const n = files.relPath.length;
  const fileDir: DirNode[] = [];
  for (let f = 0; f < n; f++) {
    const dir = node(parentOf(files.relPath[f] ?? ''));
    fileDir.push(dir);
    const symbols = (files.symbolStart[f + 1] ?? 0) - (files.symbolStart[f] ?? 0) - 1; // minus the module row
    const lang = LANGUAGES[files.language[f] ?? 0] ?? 'unknown';
    for (let d: DirNode | undefined = dir; d; d = d.parent) {
      d.files++;
      d.symbols += symbols;
      d.lines += files.lineCount[f] ?? 0;
      d.languages[lang] = (d.languages[lang] ?? 0) + 1;
    }
  }
  const root = node('');
  const finish = (d: DirNode): void => {
    d.children.sort((a, b) => b.symbols - a.symbols || b.files - a.files || (a.path < b.path ? -1 : 1));
    for (const c of d.children) {
      finish(c);
      d.dirCount += c.dirCount;
      d.height = Math.max(d.height, c.height + 1);
    }
  };
  finish(root);

  const links = new Map<DirNode, Map<DirNode, number>>();
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
        const from = fileDir[f] ?? root;
        const to = fileDir[tf] ?? root;
        let row = links.get(from);
        if (!row) links.set(from, (row = new Map<DirNode, number>()));
        row.set(to, (row.get(to) ?? 0) + 1);
      }
    }
  }
  const data = { dirs, links, externals };
  cache.set(session, data);
  return data;
}

interface Tree {
  lines: string[];
  tokens: number;
  shown: Set<DirNode>;
  rows: RenderedMap['dirs'];
  omitted: number;
  trimmed: boolean;
}

/**
 * Renders the map at the deepest level (≤ maxDepth) whose tree fits two thirds of the budget;
 * dependencies and packages get what is left.
 */
export function renderProjectMap(data: ProjectMapData, opts: MapOptions): RenderedMap {
  const focus = data.dirs.get(opts.focus);
  if (!focus) throw new Error(`no indexed directory ${opts.focus}`);
  const treeBudget = Math.floor((opts.budget * 2) / 3);
  let depth = Math.max(1, Math.min(opts.maxDepth, focus.height));
  let tree = renderTree(focus, depth, treeBudget);
  while (tree.trimmed && depth > 1) tree = renderTree(focus, --depth, treeBudget);
  const lines = [...tree.lines];
  let used = tree.tokens;

  // Dependencies between the directories shown: links lifted to the deepest shown directory on
  // each side (targets outside the focus to their top directory); within one, they vanish.
  const lifted = new Map<DirNode, DirNode | undefined>();
  const lift = (d: DirNode): DirNode | undefined => {
    if (lifted.has(d)) return lifted.get(d);
    let x: DirNode | undefined = d;
    while (x && !tree.shown.has(x)) x = x.parent;
    if (!x) {
      // Outside the focus: its ancestor one level below the focus' parent.
      x = d;
      while (x.parent && x.level > focus.level) x = x.parent;
    }
    lifted.set(d, x);
    return x;
  };
  const counts = new Map<DirNode, Map<DirNode, number>>();
  for (const [a, row] of data.links) {
    if (!inside(a, focus)) continue;
    const from = lift(a);
    if (!from) continue;
    for (const [b, n] of row) {
      const to = lift(b);
      if (!to || to === from) continue;
      let r = counts.get(from);
      if (!r) counts.set(from, (r = new Map<DirNode, number>()));
      r.set(to, (r.get(to) ?? 0) + n);
    }
  }
  const deps: RenderedMap['dependencies'] = [];
  for (const [from, row] of counts)
    for (const [to, imports] of row) deps.push({ from: from.path, to: to.path, imports });
  deps.sort((a, b) => b.imports - a.imports || cmp(a.from, b.from) || cmp(a.to, b.to));
  const depBudget = Math.max(0, opts.budget - used) * 0.7;
  const depLines: string[] = [];
  const shownDeps: RenderedMap['dependencies'] = [];
  let depUsed = 0;
  for (const d of deps) {
    const line = `  ${d.from || '.'}/ → ${d.to || '.'}/ (${d.imports})`;
    const cost = estimateTokens(line) + 1;
    if (depUsed + cost > depBudget) break;
    depLines.push(line);
    shownDeps.push(d);
    depUsed += cost;
  }
  if (deps.length) {
    lines.push(`directory dependencies (file imports), ${deps.length} in all:`, ...depLines);
    if (shownDeps.length < deps.length) lines.push(`  … ${deps.length - shownDeps.length} more`);
  }
  used += depUsed + 12;

  const ext = [...data.externals.entries()]
    .map(([name, files]) => ({ name, files }))
    .sort((a, b) => b.files - a.files || (a.name < b.name ? -1 : 1));
  const shownExt: RenderedMap['externals'] = [];
  let extLine = '';
  let extUsed = 0;
  for (const e of ext) {
    const piece = `${extLine ? ', ' : ''}${e.name} (${e.files})`;
    const cost = estimateTokens(piece);
    if (used + extUsed + cost > opts.budget) break;
    extLine += piece;
    extUsed += cost;
    shownExt.push(e);
  }
  if (ext.length) {
    const more = ext.length - shownExt.length;
    lines.push(
      `external packages (files importing), ${ext.length} in all: ${extLine}${more ? `${extLine ? ', ' : ''}… ${more} more` : ''}`,
    );
  }
  const cutDeeper = depth < opts.maxDepth && focus.height > depth;
  return {
    text: `${lines.join('\n')}\n`,
    depth,
    dirs: tree.rows,
    dependencies: shownDeps,
    externals: shownExt,
    trimmed: tree.trimmed || cutDeeper || shownDeps.length < deps.length || shownExt.length < ext.length,
    omitted: {
      dirs: tree.omitted,
      dependencies: deps.length - shownDeps.length,
      externals: ext.length - shownExt.length,
    },
  };
}

/** The tree lines down to `depth` levels below the focus, largest directories first, within budget. */
function renderTree(focus: DirNode, depth: number, budget: number): Tree {
  const header = `${focus.path || '.'}/: ${count(focus.files, 'file')}, ${count(focus.symbols, 'symbol')}, ${count(focus.lines, 'line')} (${langList(focus.languages)})`;
  const t: Tree = {
    lines: [header],
    tokens: estimateTokens(header),
    shown: new Set([focus]),
    rows: [],
    omitted: 0,
    trimmed: false,
  };
  const walk = (d: DirNode, level: number): void => {
    for (let i = 0; i < d.children.length; i++) {
      const k = d.children[i];
      if (!k) continue;
      if (level > depth) {
        t.omitted += k.dirCount;
        continue;
      }
      const name = `${k.path.slice(d.path ? d.path.length + 1 : 0)}/`;
      const line = `${'  '.repeat(level)}${name} ${count(k.files, 'file')}, ${count(k.symbols, 'symbol')}`;
      const cost = estimateTokens(line) + 1;
      if (t.tokens + cost > budget) {
        t.trimmed = true;
        const rest = d.children.slice(i).reduce((sum, x) => sum + x.dirCount, 0);
        t.omitted += rest;
        t.lines.push(`${'  '.repeat(level)}… ${rest} more directories`);
        t.tokens += 8;
        return;
      }
      t.lines.push(line);
      t.tokens += cost;
      t.shown.add(k);
      t.rows.push({ path: k.path, depth: level, files: k.files, symbols: k.symbols, lines: k.lines });
      walk(k, level + 1);
    }
  };
  walk(focus, 1);
  if (t.omitted > 0 && !t.trimmed) t.lines.push(`(${t.omitted} deeper directories not shown)`);
  return t;
}

function inside(d: DirNode, focus: DirNode): boolean {
  for (let x: DirNode | undefined = d; x; x = x.parent) if (x === focus) return true;
  return false;
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

function langList(l: Record<string, number>): string {
  return Object.entries(l)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}
