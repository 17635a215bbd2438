// Module identity and import-specifier resolution per language, from file paths alone:
// TS/JS relative specifiers (extensions, index files, `.js` written for a `.ts` source),
// Python dotted modules (packages, `__init__`, relative imports, any source root), and Rust
// module paths (crate roots, `mod.rs`, `crate`/`self`/`super`). Coordinator thread, at merge.

import { posix } from 'node:path';
import type { LanguageId } from '../protocol.js';

export interface ModuleFile {
  readonly relPath: string;
  readonly language: LanguageId;
}

const TS_EXTS = ['.ts', '.tsx', '.d.ts', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];
const TS_SOURCE_FOR_JS: Record<string, string[]> = {
  '.js': ['.ts', '.tsx', '.d.ts'],
  '.jsx': ['.tsx'],
  '.mjs': ['.mts', '.d.mts'],
  '.cjs': ['.cts', '.d.cts'],
};

export type ModuleTarget =
  | { readonly kind: 'file'; readonly file: number; readonly certain: boolean }
  | { readonly kind: 'external'; readonly name: string };

/** Resolves module specifiers to file indices; built once per merge over the sorted file list. */
export class ModuleResolver {
  private readonly byPath = new Map<string, number>();
  /** Python: every dotted suffix of a module's name → files (a source root may sit anywhere). */
  private readonly pySuffix = new Map<string, number[]>();
  /**
   * Rust module paths as a tree of nodes, one per path prefix of a file's module path
   * (`crate_name`, `crate_name::a`, `crate_name::a::b`): per node its parent, its children by
   * segment and the first file (in path order) whose module path it is (-1: none). A path is
   * split by walking it from its start node: no key string built and hashed per prefix.
   */
  private readonly rustNodeFile: number[] = [];
  private readonly rustNodeParent: number[] = [];
  private readonly rustNodeChildren: (Map<string, number> | undefined)[] = [];
  /** Crate name → its root node (the crates of the project). */
  private readonly rustCrateNode = new Map<string, number>();
  /** Per file: its module's node (-1: not Rust). */
  private readonly rustFileNode: Int32Array;
  private readonly rustInfo: ({ crate: string; path: string[] } | undefined)[];

  constructor(private readonly files: readonly ModuleFile[]) {
    files.forEach((f, i) => this.byPath.set(f.relPath, i));
    this.rustFileNode = new Int32Array(files.length).fill(-1);
    const rustRoots = rustCrateRoots(files);
    this.rustInfo = files.map((f, i) => {
      if (f.language === 'python') {
        const dotted = pythonModuleName(f.relPath);
        const parts = dotted.split('.');
        for (let k = 0; k < parts.length; k++) {
          const key = parts.slice(k).join('.');
          const list = this.pySuffix.get(key);
          if (list) list.push(i);
          else this.pySuffix.set(key, [i]);
        }
        return undefined;
      }
      if (f.language !== 'rust') return undefined;
      const info = rustModulePath(f.relPath, rustRoots);
      let node: number = this.rustCrateNode.get(info.crate) ?? -1;
      if (node < 0) this.rustCrateNode.set(info.crate, (node = this.rustNode(-1)));
      for (const seg of info.path) {
        let children: Map<string, number> | undefined = this.rustNodeChildren[node];
        if (!children) this.rustNodeChildren[node] = children = new Map<string, number>();
        let child: number = children.get(seg) ?? -1;
        if (child < 0) children.set(seg, (child = this.rustNode(node)));
        node = child;
      }
      // The first file to claim a module path wins (files are sorted, so this is stable).
      if (this.rustNodeFile[node] === -1) this.rustNodeFile[node] = i;
      this.rustFileNode[i] = node;
      return info;
    });
  }

  /** The module's own name for display and qualified names: `a.b` (Python), `crate::a` (Rust), path sans extension (TS/JS). */
  moduleName(file: number): string {
    const f = this.files[file];
    if (!f) return '';
    if (f.language === 'python') return pythonModuleName(f.relPath);
    if (f.language === 'rust') {
      const info = this.rustInfo[file];
      return info ? [info.crate, ...info.path].join('::') : f.relPath;
    }
    return stripTsExt(f.relPath);
  }

  resolve(fromFile: number, specifier: string): ModuleTarget | undefined {
    const f = this.files[fromFile];
    if (!f) return undefined;
    switch (f.language) {
      case 'python':
        return this.resolvePython(fromFile, specifier);
      case 'rust':
        return this.resolveRustModule(fromFile, specifier.split('::').filter(Boolean));
      default:
        return this.resolveTs(f.relPath, specifier);
    }
  }

  private resolveTs(fromPath: string, spec: string): ModuleTarget | undefined {
    if (!spec.startsWith('.') && !spec.startsWith('/')) {
      if (spec.startsWith('node:')) return { kind: 'external', name: spec };
      const parts = spec.split('/');
      const pkg = spec.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? spec);
      return { kind: 'external', name: pkg };
    }
    const base = posix.normalize(posix.join(posix.dirname(fromPath), spec));
    if (base.startsWith('..')) return undefined;
    // The candidates in order, each built only when the ones before it missed (most specifiers
    // hit the first or second: building all 20 was most of the strings a merge made here).
    let i = this.byPath.get(base);
    const ext = posix.extname(base);
    for (const src of TS_SOURCE_FOR_JS[ext] ?? []) i ??= this.byPath.get(base.slice(0, -ext.length) + src);
    for (const e of TS_EXTS) i ??= this.byPath.get(base + e);
    for (const e of TS_EXTS) i ??= this.byPath.get(`${base}/index${e}`);
    return i === undefined ? undefined : { kind: 'file', file: i, certain: true };
  }

  private resolvePython(fromFile: number, spec: string): ModuleTarget | undefined {
    const f = this.files[fromFile];
    if (!f) return undefined;
    if (spec.startsWith('.')) {
      const level = /^\.+/.exec(spec)?.[0].length ?? 1;
      const rest = spec.slice(level);
      // Level 1 is the package containing this module (its own dir; for __init__ the same).
      let dir = posix.dirname(f.relPath);
      for (let k = 1; k < level; k++) dir = posix.dirname(dir);
      const path = rest ? posix.join(dir, ...rest.split('.')) : dir;
      const norm = path === '.' ? '' : path;
      for (const c of [`${norm}.py`, `${norm}.pyi`, `${norm}/__init__.py`, `${norm}/__init__.pyi`]) {
        const i = this.byPath.get(c.replace(/^\//, ''));
        if (i !== undefined) return { kind: 'file', file: i, certain: true };
      }
      return undefined;
    }
    const list = this.pySuffix.get(spec);
    if (list && list.length > 0) {
      // Several files can claim a dotted name (copies, vendored trees): take the one that
      // shares the longest directory prefix with the importer, then the first by path.
      let best = list[0] ?? 0;
      let bestScore = -1;
      for (const i of list) {
        const score = sharedPrefixDepth(f.relPath, this.files[i]?.relPath ?? '');
        if (score > bestScore) {
          best = i;
          bestScore = score;
        }
      }
      return { kind: 'file', file: best, certain: list.length === 1 };
    }
    return { kind: 'external', name: spec.split('.')[0] ?? spec };
  }

  /** Resolves Rust path segments that name a module, from a file's module. */
  resolveRustModule(fromFile: number, segs: string[]): ModuleTarget | undefined {
    const split = this.rustSplitPath(fromFile, segs);
    if (!split) return undefined;
    return split.rest.length === 0 ? split.module : undefined;
  }

  /**
   * Splits a Rust path into the longest prefix that is a module of the project and the rest
   * (item names inside it). `rest` is empty when the whole path is a module.
   */
  rustSplitPath(fromFile: number, segs: string[]): { module: ModuleTarget; rest: string[] } | undefined {
    const node = this.rustFileNode[fromFile] ?? -1;
    const first = segs[0];
    if (node < 0 || first === undefined) return undefined;
    // Where the path starts: a node, and the first segment still to walk.
    let at: number;
    let i = 0;
    if (first === 'crate') {
      at = this.rustRoot(node);
      i = 1;
    } else if (first === 'self' || first === 'super') {
      at = node;
      for (; segs[i] === 'self' || segs[i] === 'super'; i++) if (segs[i] === 'super') at = this.rustUp(at);
    } else if ((this.rustFileOf(this.rustNodeChildren[node]?.get(first)) ?? -1) >= 0) {
      // 2018-edition paths: a child module of this one, then a crate of the project, then external.
      at = node;
    } else {
      const crate = this.rustCrateNode.get(first);
      if (crate === undefined) return { module: { kind: 'external', name: first }, rest: [] };
      at = crate;
      i = 1;
    }
    // The deepest node on the walk that is a file's module.
    let file = this.rustNodeFile[at] ?? -1;
    let end = i;
    for (let j = i; j < segs.length; j++) {
      const child = this.rustNodeChildren[at]?.get(segs[j]!);
      if (child === undefined) break;
      at = child;
      if ((this.rustNodeFile[at] ?? -1) >= 0) {
        file = this.rustNodeFile[at]!;
        end = j + 1;
      }
    }
    if (file < 0) return undefined;
    return { module: { kind: 'file', file, certain: true }, rest: segs.slice(end) };
  }

  private rustNode(parent: number): number {
    const id = this.rustNodeFile.length;
    this.rustNodeFile.push(-1);
    this.rustNodeParent.push(parent);
    this.rustNodeChildren.push(undefined);
    return id;
  }

  /** The file of a node (undefined for none). */
  private rustFileOf(node: number | undefined): number | undefined {
    return node === undefined ? undefined : this.rustNodeFile[node];
  }

  /** The parent module's node (`super`); a crate root is its own. */
  private rustUp(node: number): number {
    const p = this.rustNodeParent[node] ?? -1;
    return p < 0 ? node : p;
  }

  private rustRoot(node: number): number {
    let at = node;
    for (let p = this.rustNodeParent[at] ?? -1; p >= 0; p = this.rustNodeParent[at] ?? -1) at = p;
    return at;
  }
}

function sharedPrefixDepth(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  let n = 0;
  while (n < pa.length && n < pb.length && pa[n] === pb[n]) n++;
  return n;
}

function stripTsExt(p: string): string {
  return p.replace(/(\.d)?\.(ts|tsx|mts|cts|js|jsx|mjs|cjs)$/, '');
}

/** A file that only declares (`.d.ts`, `.d.mts`, `.d.cts`, `.pyi`): shapes, not implementations. */
export function isDeclarationFile(relPath: string): boolean {
  return /\.d\.[cm]?ts$|\.pyi$/.test(relPath);
}

export function pythonModuleName(relPath: string): string {
  const noExt = relPath.replace(/\.pyi?$/, '');
  const parts = noExt.split('/');
  if (parts[parts.length - 1] === '__init__') parts.pop();
  return parts.join('.');
}

/** Directories that hold a Rust crate root (`src/lib.rs` or `src/main.rs`), by their `src` dir. */
function rustCrateRoots(files: readonly ModuleFile[]): Set<string> {
  const roots = new Set<string>();
  for (const f of files) {
    if (f.language !== 'rust') continue;
    const base = posix.basename(f.relPath);
    if (base === 'lib.rs' || base === 'main.rs') roots.add(posix.dirname(f.relPath));
  }
  return roots;
}

/**
 * A Rust file's crate and module path. The crate root is the nearest ancestor directory that
 * holds lib.rs or main.rs; the crate's name is its package directory's name (the parent of
 * `src`), with a trailing `-1.2.3` version dropped and `-` turned into `_` as Cargo does.
 * Files outside any crate root (tests/, examples/) are each treated as a crate of their own.
 */
export function rustModulePath(relPath: string, roots: Set<string>): { crate: string; path: string[] } {
  let dir = posix.dirname(relPath);
  for (;;) {
    if (roots.has(dir)) break;
    if (dir === '.' || dir === '' || dir === '/') {
      dir = '';
      break;
    }
    dir = posix.dirname(dir);
  }
  if (!dir) {
    const stem = posix.basename(relPath, '.rs');
    return { crate: crateName(posix.basename(posix.dirname(relPath)) || stem), path: [stem] };
  }
  const pkgDir = posix.basename(dir) === 'src' ? posix.dirname(dir) : dir;
  const crate = crateName(posix.basename(pkgDir === '.' ? dir : pkgDir));
  const inner = relPath
    .slice(dir === '.' ? 0 : dir.length + 1)
    .replace(/\.rs$/, '')
    .split('/');
  const last = inner[inner.length - 1];
  if (last === 'mod' || (inner.length === 1 && (last === 'lib' || last === 'main'))) inner.pop();
  return { crate, path: inner };
}

function crateName(dirName: string): string {
  return dirName.replace(/-\d+(\.\d+)*([-+][\w.]+)?$/, '').replace(/-/g, '_') || 'crate';
}
