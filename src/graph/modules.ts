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
  /** Rust: `crate_name::a::b` → file. */
  private readonly rustModules = new Map<string, number>();
  private readonly rustInfo: ({ crate: string; path: string[] } | undefined)[];
  private readonly rustCrates = new Set<string>();

  constructor(private readonly files: readonly ModuleFile[]) {
    files.forEach((f, i) => this.byPath.set(f.relPath, i));
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
      this.rustCrates.add(info.crate);
      // The first file to claim a module path wins (files are sorted, so this is stable).
      const key = [info.crate, ...info.path].join('::');
      if (!this.rustModules.has(key)) this.rustModules.set(key, i);
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
    const candidates: string[] = [base];
    const ext = posix.extname(base);
    for (const src of TS_SOURCE_FOR_JS[ext] ?? []) candidates.push(base.slice(0, -ext.length) + src);
    for (const e of TS_EXTS) candidates.push(base + e);
    for (const e of TS_EXTS) candidates.push(`${base}/index${e}`);
    for (const c of candidates) {
      const i = this.byPath.get(c);
      if (i !== undefined) return { kind: 'file', file: i, certain: true };
    }
    return undefined;
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
    const start = this.rustStart(fromFile, segs);
    if (!start) return undefined;
    if ('external' in start) return { module: { kind: 'external', name: start.external }, rest: [] };
    // The key of each prefix, longest first: joined once, then cut one segment at a time.
    const rem = start.remaining;
    const prefix = start.base.length > 0 ? `${start.crate}::${start.base.join('::')}` : start.crate;
    let key = rem.length > 0 ? `${prefix}::${rem.join('::')}` : prefix;
    for (let n = rem.length; n >= 0; n--) {
      const i = this.rustModules.get(key);
      if (i !== undefined) return { module: { kind: 'file', file: i, certain: true }, rest: rem.slice(n) };
      if (n > 0) key = key.slice(0, key.length - (rem[n - 1]?.length ?? 0) - 2);
    }
    return undefined;
  }

  /** Per Rust file: its module's key (`crate::a::b`), made on first use. */
  private readonly rustKeys: (string | undefined)[] = [];

  private rustKey(file: number, info: { crate: string; path: string[] }): string {
    return (this.rustKeys[file] ??= [info.crate, ...info.path].join('::'));
  }

  /** Where a Rust path starts: a crate and module path, plus the segments still to walk. */
  private rustStart(
    fromFile: number,
    segs: string[],
  ): { crate: string; base: string[]; remaining: string[] } | { external: string } | undefined {
    const info = this.rustInfo[fromFile];
    const first = segs[0];
    if (!info || first === undefined) return undefined;
    if (first === 'crate') return { crate: info.crate, base: [], remaining: segs.slice(1) };
    if (first === 'self' || first === 'super') {
      const base = [...info.path];
      let i = 0;
      while (segs[i] === 'self' || segs[i] === 'super') {
        if (segs[i] === 'super') base.pop();
        i++;
      }
      return { crate: info.crate, base, remaining: segs.slice(i) };
    }
    // 2018-edition paths: a child module of this one, then a crate of the project, then external.
    if (this.rustModules.has(`${this.rustKey(fromFile, info)}::${first}`)) {
      return { crate: info.crate, base: [...info.path], remaining: segs };
    }
    if (this.rustCrates.has(first)) return { crate: first, base: [], remaining: segs.slice(1) };
    return { external: first };
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
