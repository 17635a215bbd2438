// Path-side knowledge search uses to read a query: the projects and packages of an index
// (directories near the root, named without their version: `python/flask-2.2.2` → flask,
// `packages/prosemirror-view` → prosemirror-view) so a query that names one can favour its
// symbols, and the module names of a file (its stem and directories) so `shutil.rmtree` finds
// `shutil.py`'s `rmtree`. Input: the sorted relative paths of the file table. Any thread; pure.

/** Directories this deep or shallower (1 = top level) can name a project. */
const PROJECT_DEPTH = 2;
/**
 * A directory holding more than this share of the index's files names no project worth
 * favouring (`src`, or `rust/` in a corpus of four languages), as IDF_FLOOR_SHARE does for terms.
 */
const MAX_PROJECT_SHARE = 0.2;

/** File stems that stand for their directory as a module (`yaml/__init__.py` is `yaml`). */
const DIRECTORY_MODULE = new Set(['__init__', 'mod', 'index', 'lib', 'main']);

/** Version suffixes of vendored or unpacked packages: `-2.2.2`, `-v1.0`, `@5.0.1`. */
const VERSION = /[-@]v?\d+(?:\.\d+)*(?:[-.][0-9a-z.]+)?$/i;

/** A directory or file name as a query would say it: lower case, no version, no extension. */
export function moduleName(segment: string): string {
  return segment.toLowerCase().replace(VERSION, '');
}

/**
 * The names a file answers to as a module, most specific first: its stem (or its directory's
 * name when the stem is `__init__`, `mod`, `index`…) and then its directories, innermost first.
 * `python/pyyaml-6.0/lib/yaml/__init__.py` → [yaml, lib, pyyaml, python].
 */
export function moduleNamesOfPath(relPath: string): string[] {
  const parts = relPath.split('/');
  const file = parts.pop() ?? '';
  const stem = file.replace(/\.[A-Za-z0-9]+$/, '');
  const out: string[] = [];
  if (!DIRECTORY_MODULE.has(stem.toLowerCase())) out.push(moduleName(stem));
  for (let i = parts.length - 1; i >= 0; i--) out.push(moduleName(parts[i]!));
  return out;
}

/** A project: the files [from, to) of the sorted file table under one directory. */
export interface ProjectRange {
  dir: string;
  from: number;
  to: number;
}

/**
 * Project name → the directories (as file ranges) it names. An npm scope folded into one
 * directory name (`reduxjs__toolkit`) answers to the whole name and to the package alone.
 */
export function projectTable(relPaths: readonly string[]): Map<string, ProjectRange[]> {
  const out = new Map<string, ProjectRange[]>();
  const maxFiles = Math.max(1, relPaths.length * MAX_PROJECT_SHARE);
  // Paths are sorted, so every directory is one run of consecutive files.
  const open: { dir: string; from: number }[] = [];
  const close = (to: number, keep: number): void => {
    while (open.length > keep) {
      const d = open.pop()!;
      if (to - d.from > maxFiles) continue;
      const base = d.dir.slice(d.dir.lastIndexOf('/') + 1);
      const name = moduleName(base);
      const names = new Set([name, name.replace(/__/g, '/')]);
      const scoped = name.indexOf('__');
      if (scoped > 0) names.add(name.slice(scoped + 2));
      for (const n of names) {
        if (n.length < 2) continue;
        const list = out.get(n) ?? [];
        list.push({ dir: d.dir, from: d.from, to });
        out.set(n, list);
      }
    }
  };
  // Each path's directories down to PROJECT_DEPTH (`a`, `a/b`) end at its first slashes; one
  // is compared with the open directory at its depth in place (same length, same start) and
  // sliced out only when it opens a new run. A path as deep as PROJECT_DEPTH opens or
  // continues the run of its deepest directory, and every path of that run leaves the open
  // directories as they are: the run is skipped whole, its end found by a galloping search
  // (the corpus's 7,661 paths are ~90 runs). Visiting every path was ~10-30 ms of a fresh
  // process (V8's interpreter, first use).
  const ends: number[] = [];
  const n = relPaths.length;
  for (let i = 0; i < n; i++) {
    const path = relPaths[i]!;
    ends.length = 0;
    for (let from = 0; ends.length < PROJECT_DEPTH;) {
      const slash = path.indexOf('/', from);
      if (slash < 0) break;
      ends.push(slash);
      from = slash + 1;
    }
    let same = 0;
    while (same < open.length && same < ends.length) {
      const dir = open[same]!.dir;
      if (dir.length !== ends[same] || !path.startsWith(dir)) break;
      same++;
    }
    close(i, same);
    for (let k = same; k < ends.length; k++) open.push({ dir: path.slice(0, ends[k]), from: i });
    if (ends.length === PROJECT_DEPTH) i = lastOfRun(relPaths, i, `${open[open.length - 1]!.dir}/`);
  }
  close(relPaths.length, 0);
  return out;
}

/**
 * The last index of the run of paths starting with `prefix` that path `first` begins: the
 * paths are sorted, so the ones under a directory are consecutive.
 */
function lastOfRun(paths: readonly string[], first: number, prefix: string): number {
  let lo = first;
  let step = 1;
  while (lo + step < paths.length && paths[lo + step]!.startsWith(prefix)) {
    lo += step;
    step *= 2;
  }
  let hi = Math.min(paths.length, lo + step);
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (paths[mid]!.startsWith(prefix)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * The projects a query names: its words (split on spaces and punctuation other than `-`, `_`,
 * `/`, `.`; a dotted word also by its first part, `requests.exceptions` → requests) looked up
 * in the table.
 */
export function projectsInQuery(query: string, table: ReadonlyMap<string, ProjectRange[]>): ProjectRange[] {
  const out: ProjectRange[] = [];
  const seen = new Set<string>();
  for (const raw of query.toLowerCase().split(/[^\w\-/.@]+/)) {
    const word = raw.replace(/^[-./@]+|[-./@]+$/g, '');
    if (word.length < 2) continue;
    for (const w of new Set([word, word.split('.')[0] ?? word])) {
      if (seen.has(w)) continue;
      seen.add(w);
      for (const r of table.get(w) ?? []) out.push(r);
    }
  }
  return out;
}
