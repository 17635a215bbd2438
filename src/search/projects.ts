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
  const prefixes: string[] = [];
  relPaths.forEach((path, i) => {
    // The path's directories down to PROJECT_DEPTH as prefixes (`a`, `a/b`), by indexOf: a
    // split of every path (and the arrays it makes) was most of this table's ~30 ms in a
    // fresh process.
    prefixes.length = 0;
    for (let from = 0; prefixes.length < PROJECT_DEPTH;) {
      const slash = path.indexOf('/', from);
      if (slash < 0) break;
      prefixes.push(path.slice(0, slash));
      from = slash + 1;
    }
    let same = 0;
    while (same < open.length && same < prefixes.length && open[same]!.dir === prefixes[same]) same++;
    close(i, same);
    for (let k = same; k < prefixes.length; k++) open.push({ dir: prefixes[k]!, from: i });
  });
  close(relPaths.length, 0);
  return out;
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
