// Discovery: turns an index root into the sorted list of source files to parse, plus the
// files it deliberately skips (with reasons). Input: a root path and DiscoverOptions; output:
// a DiscoveryResult. Uses `git ls-files` as the ignore oracle inside a work tree, otherwise
// walks the tree honouring nested .gitignore files. Runs on the coordinator's main thread
// (synchronous fs calls in chunks, yielding to the event loop between chunks).

import { execFile } from 'node:child_process';
import {
  lstatSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
  type Dirent,
  type Stats,
} from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { describeError, LeindexError } from '../errors.js';
import type { LanguageId, SkipReason } from '../protocol.js';

export interface DiscoverOptions {
  /** Languages to index; files of other languages are skipped as unsupported-language. */
  readonly languages: readonly LanguageId[];
  /** Extra exclusion patterns from the user's config, gitignore syntax, relative to root. */
  readonly exclude: readonly string[];
  /** Files larger than this are skipped as too-large (stat size). */
  readonly maxFileBytes: number;
  /** Absolute path of the index directory, never listed (may be inside root). */
  readonly indexDir?: string;
  /** Use git as the ignore oracle when root is inside a work tree (default true). */
  readonly useGit?: boolean;
}

export interface DiscoveredFile {
  /** Absolute path to read: the realpath of root joined with relPath (may pass through a symlink). */
  readonly absPath: string;
  /** Path relative to the realpath of root, '/'-separated, no leading './'. */
  readonly relPath: string;
  /** Language chosen by languageForPath(relPath). */
  readonly language: LanguageId;
  /** Size in bytes from stat (of the symlink's target for a symlink). */
  readonly size: number;
  /** Modification time from stat (of the symlink's target for a symlink). */
  readonly mtimeMs: number;
}

export interface SkippedFile {
  /** Path relative to the realpath of root ('/'-separated); a directory for directory-level skips. */
  readonly relPath: string;
  /** Why the path is not indexed. */
  readonly reason: SkipReason;
  /** Human-readable specifics: the extension, the sizes, the symlink target, the errno. */
  readonly detail: string;
  /** Size in bytes when known from stat, else 0 (directories, failed stats, broken symlinks). */
  readonly size: number;
}

export interface DiscoveryResult {
  /** realpath of the root that every relPath is relative to. */
  readonly root: string;
  /** Files to index, sorted by relPath in code-unit order. */
  readonly files: DiscoveredFile[];
  /** Paths not indexed, with reasons, sorted by relPath in code-unit order. */
  readonly skipped: SkippedFile[];
  /** true when `git ls-files` produced the list; false when the walker did. */
  readonly usedGit: boolean;
  /**
   * Paths dropped by our own exclusions (DEFAULT_EXCLUDES, options.exclude, the index dir),
   * not by .gitignore. An excluded directory counts once, whatever it holds, in both modes.
   */
  readonly excludedCount: number;
  /**
   * Symlinked paths not listed because what they point to is already listed under another
   * path (its own, or a smaller relPath for several links to one unlisted target), and
   * symlinked directories not followed because their target is walked anyway.
   */
  readonly duplicateCount: number;
  /** When git was wanted but the walker ran, why (no work tree, git missing or failing, root gitignored). */
  readonly gitFallbackReason?: string;
}

/**
 * Exclusions applied in both modes, in gitignore syntax relative to root (unanchored, so
 * they match at any depth). A user exclude such as `!vendor/` re-includes one of them,
 * since user patterns are added after these.
 */
export const DEFAULT_EXCLUDES: readonly string[] = [
  // Version-control metadata: never source; git mode never lists it, the walker must not enter it.
  '.git/',
  '.hg/',
  '.svn/',
  // Our own index directory under its default name (options.indexDir covers other names).
  '.leindex/',
  // Installed third-party dependencies: huge (100k files is common) and not the user's code.
  'node_modules/',
  'bower_components/',
  // Vendored copies of third-party code (Go/PHP/Ruby vendor, Chromium-style third_party).
  'vendor/',
  'third_party/',
  // Build outputs: compiled or bundled copies of sources that are indexed under their own paths.
  'target/',
  'dist/',
  'build/',
  'out/',
  // Framework and tool caches: generated JavaScript from Next, Nuxt, SvelteKit, Turborepo, Parcel.
  '.next/',
  '.nuxt/',
  '.svelte-kit/',
  '.turbo/',
  '.parcel-cache/',
  // Coverage reports: instrumented or HTML-embedded copies of the sources.
  'coverage/',
  '.nyc_output/',
  // Python bytecode, virtual environments (whole interpreters' site-packages) and tool caches.
  '__pycache__/',
  '*.pyc',
  '.venv/',
  'venv/',
  '.tox/',
  '.nox/',
  '.eggs/',
  '*.egg-info/',
  '.mypy_cache/',
  '.pytest_cache/',
  '.ruff_cache/',
  // Minified and bundled JavaScript: one enormous line, machine output, useless to search.
  '*.min.js',
  '*.min.mjs',
  '*.min.cjs',
  '*.bundle.js',
  // Source maps: large JSON that mirrors other files.
  '*.map',
  // Lock files: machine-written dependency pins, often megabytes; kept out of the skip report.
  '*.lock',
  'package-lock.json',
  'npm-shrinkwrap.json',
  'pnpm-lock.yaml',
  'bun.lockb',
  // Generated code by naming convention: protobuf Python stubs and `*.generated.*` files.
  '*_pb2.py',
  '*_pb2.pyi',
  '*_pb2_grpc.py',
  '*.generated.*',
];

const EXTENSION_LANGUAGE: ReadonlyMap<string, LanguageId> = new Map<string, LanguageId>([
  // .d.ts, .d.mts, .d.cts end in a TypeScript extension, so they map to typescript as well.
  ['.ts', 'typescript'],
  ['.mts', 'typescript'],
  ['.cts', 'typescript'],
  ['.tsx', 'tsx'],
  ['.js', 'javascript'],
  ['.mjs', 'javascript'],
  ['.cjs', 'javascript'],
  ['.jsx', 'javascript'],
  ['.py', 'python'],
  ['.pyi', 'python'],
  ['.rs', 'rust'],
]);

/** Extension of the last path segment, lower-cased, with its dot; '' for none or a bare dotfile. */
function extensionOf(relPath: string): string {
  const base = relPath.slice(relPath.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot).toLowerCase();
}

/** The language a path is parsed as, by extension (case-insensitive), or undefined. */
export function languageForPath(relPath: string): LanguageId | undefined {
  return EXTENSION_LANGUAGE.get(extensionOf(relPath));
}

// fs calls per chunk before yielding: small enough that an MCP request waits at most a few
// milliseconds, large enough that the yields cost nothing measurable.
const STATS_PER_YIELD = 2048;
const DIRS_PER_YIELD = 128;

function yieldToEventLoop(): Promise<void> {
  return new Promise((done) => setImmediate(done));
}

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

function compareRel(a: { readonly relPath: string }, b: { readonly relPath: string }): number {
  return a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0;
}

// ---------------------------------------------------------------------------------------
// git
// ---------------------------------------------------------------------------------------

// Variables that would point git at another repository than the one containing root (a git
// hook sets GIT_DIR, for instance, and leindex may be run from one).
const GIT_REDIRECT_VARS = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR', 'GIT_PREFIX'];

function gitEnv(): NodeJS.ProcessEnv {
  // LC_ALL=C: the warnings parsed below must not be translated.
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' };
  for (const name of GIT_REDIRECT_VARS) delete env[name];
  return env;
}

interface GitRun {
  readonly code: number | string | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

function runGit(cwd: string, args: readonly string[]): Promise<GitRun> {
  return new Promise((done) => {
    execFile(
      'git',
      args,
      // 1 GiB: 100k paths take a few MB; the cap only exists because execFile needs one.
      { cwd, env: gitEnv(), encoding: 'buffer', maxBuffer: 1 << 30, windowsHide: true },
      (err, stdout, stderr) => {
        const code = err ? ((err as NodeJS.ErrnoException).code ?? null) : 0;
        done({ code, stdout, stderr: stderr.toString('utf8').trim() });
      },
    );
  });
}

function splitNul(buf: Buffer): string[] {
  const out = buf.toString('utf8').split('\0');
  if (out.at(-1) === '') out.pop();
  return out;
}

type GitListing =
  | {
      readonly ok: true;
      readonly paths: string[];
      /** Directories git could not open (it warns and carries on), relative to root. */
      readonly unreadable: { readonly relPath: string; readonly detail: string }[];
    }
  | { readonly ok: false; readonly reason: string };

const GIT_UNREADABLE_DIR = /^warning: could not open directory '(.*)': (.*)$/gm;

/** git reports unreadable directories relative to the top of the work tree; make them root-relative. */
function unreadableFromGitWarnings(stderr: string, prefix: string): { relPath: string; detail: string }[] {
  const out: { relPath: string; detail: string }[] = [];
  for (const match of stderr.matchAll(GIT_UNREADABLE_DIR)) {
    const path = (match[1] ?? '').replace(/\/+$/, '');
    if (path.startsWith(prefix) && path.length > prefix.length) {
      out.push({
        relPath: path.slice(prefix.length),
        detail: `git: ${match[2] ?? 'could not open directory'}`,
      });
    }
  }
  return out;
}

async function listWithGit(rootReal: string): Promise<GitListing> {
  const probe = await runGit(rootReal, ['rev-parse', '--is-inside-work-tree', '--show-prefix']);
  if (probe.code === 'ENOENT') return { ok: false, reason: 'git is not installed (not on PATH)' };
  if (probe.code !== 0) {
    // Usually "not a git repository"; also "dubious ownership" and other refusals.
    return { ok: false, reason: `git rev-parse failed (${probe.stderr || probe.code})` };
  }
  const [inside = '', prefixLine = ''] = probe.stdout.toString('utf8').split('\n');
  if (inside.trim() !== 'true') return { ok: false, reason: 'not inside a git work tree' };
  const prefix = prefixLine.trim();
  if (prefix !== '') {
    // With --exclude-standard, ls-files lists nothing under a gitignored directory, which
    // would silently index nothing (a scratch copy of a repo kept inside another repo).
    const ignored = await runGit(rootReal, ['check-ignore', '-q', '.']);
    if (ignored.code === 0) return { ok: false, reason: 'root is ignored by the enclosing git work tree' };
  }
  const listed = await runGit(rootReal, ['ls-files', '-z', '--cached', '--others', '--exclude-standard']);
  if (listed.code !== 0) {
    return { ok: false, reason: `git ls-files failed (${listed.stderr || listed.code})` };
  }
  return {
    ok: true,
    paths: splitNul(listed.stdout),
    unreadable: unreadableFromGitWarnings(listed.stderr, prefix),
  };
}

async function listTracked(rootReal: string): Promise<Set<string> | undefined> {
  const run = await runGit(rootReal, ['ls-files', '-z', '--cached']);
  return run.code === 0 ? new Set(splitNul(run.stdout)) : undefined;
}

// ---------------------------------------------------------------------------------------
// .gitignore for the walker
// ---------------------------------------------------------------------------------------

function newIgnore(): Ignore {
  // Case-sensitive everywhere, like git's default, so one tree gives one result on any OS.
  return ignore({ ignorecase: false });
}

function escapeGlob(path: string): string {
  const escaped = path.replace(/[\\*?[\]]/g, '\\$&');
  return escaped.startsWith('!') || escaped.startsWith('#') ? `\\${escaped}` : escaped;
}

/** Strips git's insignificant trailing spaces (a backslash-escaped space stays). */
function trimTrailingSpaces(line: string): string {
  let end = line.length;
  while (end > 0 && line[end - 1] === ' ') {
    let slashes = 0;
    for (let i = end - 2; i >= 0 && line[i] === '\\'; i--) slashes++;
    if (slashes % 2 === 1) break;
    end--;
  }
  return line.slice(0, end);
}

/**
 * Re-bases one .gitignore line from directory `dir` (relative to root, non-empty) onto root,
 * so that a single matcher per directory holds the whole chain root → dir in git's precedence
 * order (deeper files last, so they win). A pattern with a slash before its end is anchored to
 * its directory; one without matches at any depth below it, so it gets a globstar segment
 * between `dir` and itself. Exported for tests.
 */
export function rebaseGitignoreLine(line: string, dir: string): string | undefined {
  let body = trimTrailingSpaces(line.endsWith('\r') ? line.slice(0, -1) : line);
  if (body === '' || body.startsWith('#')) return undefined;
  const negated = body.startsWith('!');
  if (negated) body = body.slice(1);
  const dirOnly = body.endsWith('/');
  const core = body.replace(/\/+$/, '');
  if (core === '') return undefined;
  const anchored = core.includes('/');
  const rebased = `${escapeGlob(dir)}/${anchored ? core.replace(/^\/+/, '') : `**/${core}`}`;
  return `${negated ? '!' : ''}${rebased}${dirOnly ? '/' : ''}`;
}

function gitignoreFor(parent: Ignore | undefined, dir: string, text: string): Ignore {
  const ig = newIgnore();
  if (parent) ig.add(parent);
  if (dir === '') return ig.add(text.split(/\r?\n/));
  const lines: string[] = [];
  for (const line of text.split('\n')) {
    const rebased = rebaseGitignoreLine(line, dir);
    if (rebased !== undefined) lines.push(rebased);
  }
  return ig.add(lines);
}

// ---------------------------------------------------------------------------------------
// discovery
// ---------------------------------------------------------------------------------------

/** A path that passed the exclusion checks and still needs stat and classification. */
interface Candidate {
  readonly relPath: string;
  readonly absPath: string;
  /** Set for paths reached through a symlink: the target's path relative to root. */
  readonly targetRel?: string;
  /** Already known (the walker resolves symlinks while walking). */
  readonly stats?: Stats;
}

interface WalkDir {
  readonly relPath: string;
  readonly absPath: string;
  /** realpath of the directory, for loop detection and symlink targets. */
  readonly realPath: string;
  /** Reached through a symlinked directory: its files are aliases of their real paths. */
  readonly throughLink: boolean;
  readonly gitignore: Ignore | undefined;
}

type SymlinkTarget =
  | { readonly kind: 'skip'; readonly reason: SkipReason; readonly detail: string }
  | { readonly kind: 'file'; readonly targetRel: string; readonly stats: Stats }
  | { readonly kind: 'dir'; readonly realPath: string }
  | { readonly kind: 'other'; readonly stats: Stats };

class Discovery {
  readonly files: DiscoveredFile[] = [];
  readonly skipped: SkippedFile[] = [];
  excludedCount = 0;
  duplicateCount = 0;

  private readonly ours: Ignore;
  private readonly indexRel: string | undefined;
  private readonly languages: ReadonlySet<LanguageId>;
  private readonly rootPrefix: string;
  /** Exclusion verdict per directory whose ancestors are all not excluded (git mode). */
  private readonly dirExcluded = new Map<string, boolean>();
  /** Listed-or-not files reached through symlinks, resolved against direct paths at the end. */
  private readonly aliases: { file: DiscoveredFile; targetRel: string }[] = [];

  constructor(
    readonly root: string,
    private readonly options: DiscoverOptions,
  ) {
    this.rootPrefix = root.endsWith(sep) ? root : root + sep;
    this.ours = newIgnore()
      .add(DEFAULT_EXCLUDES)
      // './x' never matches in gitignore syntax; users mean the root-anchored '/x'.
      .add(options.exclude.map((p) => p.replace(/^(!?)\.\//, '$1/')));
    this.indexRel =
      options.indexDir === undefined ? undefined : this.relInsideRoot(realpathLoose(options.indexDir));
    this.languages = new Set(options.languages);
  }

  absOf(relPath: string): string {
    return this.rootPrefix + (sep === '/' ? relPath : relPath.split('/').join(sep));
  }

  /** Root-relative '/'-path of an absolute path inside root (root itself → ''), else undefined. */
  relInsideRoot(absPath: string): string | undefined {
    if (absPath === this.root) return '';
    const rel = relative(this.root, absPath);
    if (rel === '' || rel === '..' || rel.startsWith('..' + sep) || isAbsolute(rel)) return undefined;
    return sep === '/' ? rel : rel.split(sep).join('/');
  }

  private excludedByUs(relPath: string, isDir: boolean): boolean {
    if (isDir && relPath === this.indexRel) return true;
    return this.ours.test(isDir ? relPath + '/' : relPath).ignored;
  }

  // ---- git mode -------------------------------------------------------------------------

  /** Drops (and counts) git-listed paths our exclusions cover; the rest become candidates. */
  filterGitPaths(paths: readonly string[]): Candidate[] {
    const out: Candidate[] = [];
    // A Set because a path in a merge conflict is listed once per stage.
    for (const relPath of new Set(paths)) {
      // An untracked nested repository is listed as 'dir/'; it is not part of this tree.
      if (relPath.endsWith('/') || relPath === '') continue;
      if (this.insideExcludedDir(relPath)) continue;
      if (this.excludedByUs(relPath, false)) {
        this.excludedCount++;
        continue;
      }
      out.push({ relPath, absPath: this.absOf(relPath) });
    }
    return out;
  }

  /** Directories git warned it could not open: the walker would report them, so we do too. */
  addUnreadableDirs(dirs: readonly { readonly relPath: string; readonly detail: string }[]): void {
    for (const { relPath, detail } of dirs) {
      // The trailing '/' makes the directory itself one of the ancestors tested (and counted).
      if (!this.insideExcludedDir(relPath + '/')) this.skip(relPath, 'unreadable', detail, 0);
    }
  }

  private insideExcludedDir(relPath: string): boolean {
    for (let slash = relPath.indexOf('/'); slash >= 0; slash = relPath.indexOf('/', slash + 1)) {
      const dir = relPath.slice(0, slash);
      let excluded = this.dirExcluded.get(dir);
      if (excluded === undefined) {
        // Only reached when every ancestor is not excluded: this is the topmost excluded
        // directory, counted once like the walker counts a directory it does not enter.
        excluded = this.excludedByUs(dir, true);
        this.dirExcluded.set(dir, excluded);
        if (excluded) this.excludedCount++;
      }
      if (excluded) return true;
    }
    return false;
  }

  // ---- walker mode ----------------------------------------------------------------------

  async walk(): Promise<Candidate[]> {
    const candidates: Candidate[] = [];
    const visited = new Set<string>([this.root]);
    const stack: WalkDir[] = [
      { relPath: '', absPath: this.root, realPath: this.root, throughLink: false, gitignore: undefined },
    ];
    // Symlinked directories wait until every real directory is walked, so a link never
    // claims files that are listed under their own path.
    const deferred: WalkDir[] = [];
    let sinceYield = 0;
    for (;;) {
      let dir = stack.pop();
      if (dir === undefined) {
        deferred.sort((a, b) => compareRel(b, a));
        dir = deferred.pop();
        if (dir === undefined) break;
        if (visited.has(dir.realPath)) {
          this.duplicateCount++;
          continue;
        }
        visited.add(dir.realPath);
      }
      if (++sinceYield >= DIRS_PER_YIELD) {
        sinceYield = 0;
        await yieldToEventLoop();
      }
      this.walkOne(dir, stack, deferred, candidates, visited);
    }
    return candidates;
  }

  private walkOne(
    dir: WalkDir,
    stack: WalkDir[],
    deferred: WalkDir[],
    candidates: Candidate[],
    visited: Set<string>,
  ): void {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir.absPath, { withFileTypes: true });
    } catch (err) {
      if (dir.relPath === '') {
        throw new LeindexError('E_IO', `cannot read the root directory ${this.root}: ${describeError(err)}`, {
          cause: err,
        });
      }
      const code = errnoOf(err);
      const reason: SkipReason = code === 'ENOENT' || code === 'ENOTDIR' ? 'vanished' : 'unreadable';
      this.skipped.push({ relPath: dir.relPath, reason, detail: describeError(err), size: 0 });
      return;
    }
    let gitignore = dir.gitignore;
    const ignoreFile = entries.find((e) => e.name === '.gitignore' && e.isFile());
    if (ignoreFile) {
      try {
        gitignore = gitignoreFor(
          gitignore,
          dir.relPath,
          readFileSync(dir.absPath + sep + '.gitignore', 'utf8'),
        );
      } catch {
        // Git itself ignores a .gitignore it cannot read; so do we.
      }
    }
    const prefix = dir.relPath === '' ? '' : dir.relPath + '/';
    for (const entry of entries) {
      const relPath = prefix + entry.name;
      const absPath = dir.absPath + sep + entry.name;
      const isDir = entry.isDirectory();
      if (gitignore?.test(isDir ? relPath + '/' : relPath).ignored) continue;
      if (this.excludedByUs(relPath, isDir)) {
        this.excludedCount++;
        continue;
      }
      if (isDir) {
        const realPath = dir.realPath + sep + entry.name;
        // Only possible below a followed link whose subtree another link already covered.
        if (visited.has(realPath)) {
          this.duplicateCount++;
          continue;
        }
        visited.add(realPath);
        stack.push({ relPath, absPath, realPath, throughLink: dir.throughLink, gitignore });
      } else if (entry.isFile()) {
        const targetRel = dir.throughLink ? this.relInsideRoot(dir.realPath + sep + entry.name) : undefined;
        candidates.push(targetRel === undefined ? { relPath, absPath } : { relPath, absPath, targetRel });
      } else if (entry.isSymbolicLink()) {
        const target = this.resolveSymlink(relPath, absPath, dir.realPath);
        if (target.kind === 'skip') {
          this.skip(relPath, target.reason, target.detail, 0);
        } else if (target.kind === 'dir') {
          deferred.push({ relPath, absPath, realPath: target.realPath, throughLink: true, gitignore });
        } else if (target.kind === 'file') {
          candidates.push({ relPath, absPath, targetRel: target.targetRel, stats: target.stats });
        } else {
          this.skip(relPath, 'not-a-file', describeKind(target.stats), target.stats.size);
        }
      } else {
        // Sockets, FIFOs, devices: no stat needed to know they are not source files.
        this.skip(relPath, 'not-a-file', describeDirent(entry), 0);
      }
    }
  }

  /** Where a symlink leads; `parentReal` is the realpath of the directory holding it. */
  resolveSymlink(relPath: string, absPath: string, parentReal: string): SymlinkTarget {
    let realPath: string;
    try {
      realPath = realpathSync.native(absPath);
    } catch (err) {
      const code = errnoOf(err);
      if (code === 'ELOOP') return { kind: 'skip', reason: 'symlink-loop', detail: describeError(err) };
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        // A dangling link is a permanent state of the tree, not a race: not a file to index.
        return { kind: 'skip', reason: 'not-a-file', detail: `broken symlink (${describeError(err)})` };
      }
      return { kind: 'skip', reason: 'unreadable', detail: describeError(err) };
    }
    const targetRel = this.relInsideRoot(realPath);
    if (targetRel === undefined) {
      return { kind: 'skip', reason: 'symlink-outside-root', detail: `${relPath} -> ${realPath}` };
    }
    let stats: Stats;
    try {
      stats = statSync(realPath);
    } catch (err) {
      return { kind: 'skip', reason: 'unreadable', detail: describeError(err) };
    }
    if (stats.isDirectory()) {
      if (
        parentReal === realPath ||
        parentReal.startsWith(realPath.endsWith(sep) ? realPath : realPath + sep)
      ) {
        return {
          kind: 'skip',
          reason: 'symlink-loop',
          detail: `${relPath} -> ${targetRel || '.'} (an ancestor)`,
        };
      }
      return { kind: 'dir', realPath };
    }
    if (stats.isFile()) return { kind: 'file', targetRel, stats };
    return { kind: 'other', stats };
  }

  skip(relPath: string, reason: SkipReason, detail: string, size: number): void {
    this.skipped.push({ relPath, reason, detail, size });
  }

  // ---- both modes -----------------------------------------------------------------------

  /**
   * stat and classify every candidate. Synchronous calls in chunks: on 50k files (2-core VM,
   * warm cache) lstatSync did 100-200k/s, fs.promises.lstat at concurrency 8 to 256 did 30-60k/s.
   * Returns the paths that did not exist at stat time, for the caller to judge.
   */
  async classify(candidates: readonly Candidate[], gitMode: boolean): Promise<Candidate[]> {
    const missing: Candidate[] = [];
    let sinceYield = 0;
    for (const candidate of candidates) {
      if (++sinceYield >= STATS_PER_YIELD) {
        sinceYield = 0;
        await yieldToEventLoop();
      }
      let stats = candidate.stats;
      let targetRel = candidate.targetRel;
      if (stats === undefined) {
        let lstats: Stats | undefined;
        try {
          lstats = lstatSync(candidate.absPath, { throwIfNoEntry: false });
        } catch (err) {
          const code = errnoOf(err);
          if (code === 'ENOTDIR') missing.push(candidate);
          else this.skip(candidate.relPath, 'unreadable', describeError(err), 0);
          continue;
        }
        if (lstats === undefined) {
          missing.push(candidate);
          continue;
        }
        if (lstats.isSymbolicLink()) {
          const parentReal = dirname(candidate.absPath);
          const target = this.resolveSymlink(candidate.relPath, candidate.absPath, parentReal);
          if (target.kind === 'skip') {
            this.skip(candidate.relPath, target.reason, target.detail, 0);
            continue;
          }
          if (target.kind === 'dir') {
            // git records a directory symlink as a link, never its contents; the target is
            // listed under its own path if git tracks it.
            this.skip(
              candidate.relPath,
              'not-a-file',
              'symlink to a directory (not followed in git mode)',
              0,
            );
            continue;
          }
          stats = target.stats;
          if (target.kind === 'file') targetRel = target.targetRel;
        } else {
          stats = lstats;
        }
        // A submodule (or a path replaced by a directory) is not a file of this tree.
        if (gitMode && stats.isDirectory()) continue;
      }
      this.classifyStat(candidate.relPath, stats, targetRel);
    }
    return missing;
  }

  private classifyStat(relPath: string, stats: Stats, targetRel: string | undefined): void {
    const size = stats.size;
    if (!stats.isFile()) {
      this.skip(relPath, 'not-a-file', describeKind(stats), size);
      return;
    }
    const ext = extensionOf(relPath);
    const language = EXTENSION_LANGUAGE.get(ext);
    if (language === undefined) {
      this.skip(relPath, 'unsupported-language', ext === '' ? '(no extension)' : ext, size);
      return;
    }
    if (!this.languages.has(language)) {
      this.skip(relPath, 'unsupported-language', `${ext} (${language} is not enabled)`, size);
      return;
    }
    if (size > this.options.maxFileBytes) {
      this.skip(relPath, 'too-large', `${size} bytes > maxFileBytes ${this.options.maxFileBytes}`, size);
      return;
    }
    const file: DiscoveredFile = {
      absPath: this.absOf(relPath),
      relPath,
      language,
      size,
      mtimeMs: stats.mtimeMs,
    };
    if (targetRel !== undefined && targetRel !== relPath) this.aliases.push({ file, targetRel });
    else this.files.push(file);
  }

  /** Paths gone at stat time: tracked-but-deleted files drop silently, others vanished. */
  async judgeMissing(missing: readonly Candidate[], gitMode: boolean): Promise<void> {
    if (missing.length === 0) return;
    // Asked only now: in the common case nothing is missing and this costs nothing.
    const tracked = gitMode ? await listTracked(this.root) : undefined;
    for (const { relPath } of missing) {
      if (tracked?.has(relPath)) continue;
      if (relPath.includes('\uFFFD')) {
        // Node decodes names lossily: a non-UTF-8 name comes back as a path that does not exist.
        this.skip(relPath, 'unreadable', 'file name is not valid UTF-8', 0);
      } else {
        this.skip(relPath, 'vanished', 'deleted between listing and stat', 0);
      }
    }
  }

  /**
   * Lists each symlinked file once: not at all when its target is listed under its own
   * path, else under the smallest of the relPaths that lead to it (deterministic).
   */
  resolveAliases(): void {
    const direct = new Set(this.files.map((f) => f.relPath));
    const byTarget = new Map<string, DiscoveredFile>();
    for (const { file, targetRel } of this.aliases) {
      const kept = byTarget.get(targetRel);
      if (direct.has(targetRel)) {
        this.duplicateCount++;
      } else if (kept === undefined) {
        byTarget.set(targetRel, file);
      } else {
        this.duplicateCount++;
        if (file.relPath < kept.relPath) byTarget.set(targetRel, file);
      }
    }
    for (const file of byTarget.values()) this.files.push(file);
  }
}

/** realpath of a path that may not exist yet (a first index): realpath the deepest existing ancestor. */
function realpathLoose(path: string): string {
  const absolute = resolve(path);
  const tail: string[] = [];
  for (let current = absolute; ;) {
    try {
      return resolve(realpathSync.native(current), ...tail.reverse());
    } catch {
      const parent = dirname(current);
      if (parent === current) return absolute;
      tail.push(current.slice(parent.length).replace(/^[\\/]+/, ''));
      current = parent;
    }
  }
}

function describeKind(stats: Stats): string {
  if (stats.isFIFO()) return 'FIFO';
  if (stats.isSocket()) return 'socket';
  if (stats.isCharacterDevice()) return 'character device';
  if (stats.isBlockDevice()) return 'block device';
  if (stats.isDirectory()) return 'directory';
  return 'not a regular file';
}

function describeDirent(entry: Dirent): string {
  if (entry.isFIFO()) return 'FIFO';
  if (entry.isSocket()) return 'socket';
  if (entry.isCharacterDevice()) return 'character device';
  if (entry.isBlockDevice()) return 'block device';
  return 'not a regular file';
}

function resolveRoot(root: string): string {
  let real: string;
  try {
    real = realpathSync.native(resolve(root));
  } catch (err) {
    throw new LeindexError('E_PATH_NOT_FOUND', `root does not exist: ${root}`, {
      hint: 'Pass the path of an existing directory.',
      cause: err,
    });
  }
  const stats = statSync(real, { throwIfNoEntry: false });
  if (!stats?.isDirectory()) {
    throw new LeindexError('E_PATH_NOT_FOUND', `root is not a directory: ${root}`, {
      hint: 'Pass the path of a directory, not a file.',
    });
  }
  return real;
}

/**
 * Lists the source files under `root` and the files skipped with reasons. Deterministic:
 * the same tree gives the same result. Throws LeindexError E_PATH_NOT_FOUND when root does
 * not exist or is not a directory, E_IO when root cannot be read.
 */
export async function discoverFiles(root: string, options: DiscoverOptions): Promise<DiscoveryResult> {
  const rootReal = resolveRoot(root);
  const discovery = new Discovery(rootReal, options);
  let candidates: Candidate[] | undefined;
  let gitFallbackReason: string | undefined;
  if (options.useGit !== false) {
    const listing = await listWithGit(rootReal);
    if (listing.ok) {
      candidates = discovery.filterGitPaths(listing.paths);
      discovery.addUnreadableDirs(listing.unreadable);
    } else {
      gitFallbackReason = listing.reason;
    }
  }
  const usedGit = candidates !== undefined;
  candidates ??= await discovery.walk();
  const missing = await discovery.classify(candidates, usedGit);
  await discovery.judgeMissing(missing, usedGit);
  discovery.resolveAliases();
  discovery.files.sort(compareRel);
  discovery.skipped.sort(compareRel);
  return {
    root: rootReal,
    files: discovery.files,
    skipped: discovery.skipped,
    usedGit,
    excludedCount: discovery.excludedCount,
    duplicateCount: discovery.duplicateCount,
    ...(gitFallbackReason === undefined ? {} : { gitFallbackReason }),
  };
}
