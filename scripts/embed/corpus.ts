// Corpus access for training and evaluation: lists the projects of a corpus directory laid
// out as <language>/<project>-<version>/, lists each project's source files (sorted, so every
// run sees the same order), and extracts their symbols with the project's own parser
// (parseShard) in worker threads. Main thread; the parsing happens in extract-worker.ts.
// Results are cached per project under the OS temp dir, keyed by file hashes and parser code.

import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { languageForPath } from '../../src/pipeline/discover.js';
import type { LanguageId } from '../../src/protocol.js';

export interface CorpusProject {
  /** `<language>/<dir>`: the project's identity in splits and manifests. */
  readonly id: string;
  readonly language: string;
  readonly dir: string;
  /** Relative path prefixes left out (vendored copies of other projects). */
  readonly exclude?: readonly string[];
  /** When set, only files whose relative path matches. */
  readonly only?: RegExp;
}

export interface CorpusFile {
  readonly absPath: string;
  readonly relPath: string;
  readonly language: LanguageId;
}

/** One symbol as extraction saw it, with its source text. */
export interface ExtractedSymbol {
  readonly project: string;
  readonly path: string;
  readonly language: LanguageId;
  readonly kind: number;
  readonly name: string;
  readonly qualifiedName: string;
  readonly signature: string;
  readonly doc: string;
  /** text.slice(startOffset, endOffset) of the symbol. */
  readonly body: string;
}

/** Directory names never descended into (tests are kept: they are real code with real names). */
const SKIP_DIRS = new Set(['node_modules', '.git', '__pycache__', 'target', 'dist-info', 'site-packages']);

export function listProjects(corpusDir: string): CorpusProject[] {
  const out: CorpusProject[] = [];
  for (const language of readdirSync(corpusDir).sort()) {
    const langDir = join(corpusDir, language);
    if (!statSync(langDir).isDirectory()) continue;
    for (const name of readdirSync(langDir).sort()) {
      const dir = join(langDir, name);
      if (statSync(dir).isDirectory()) out.push({ id: `${language}/${name}`, language, dir });
    }
  }
  return out;
}

/** Source files of a project in sorted order (top-level symlink followed, nested ones not). */
export function listSourceFiles(project: CorpusProject): CorpusFile[] {
  const root = realpathSync(project.dir);
  const out: CorpusFile[] = [];
  const walk = (abs: string, rel: string): void => {
    for (const ent of readdirSync(abs, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (ent.isSymbolicLink()) continue;
      const childRel = rel ? `${rel}/${ent.name}` : ent.name;
      if (project.exclude?.some((x) => `${childRel}/`.startsWith(x) || childRel.includes(`/${x}`))) continue;
      if (ent.isDirectory()) {
        if (SKIP_DIRS.has(ent.name) || ent.name.endsWith('.dist-info') || ent.name.endsWith('.egg-info'))
          continue;
        walk(join(abs, ent.name), childRel);
      } else if (ent.isFile()) {
        if (/\.min\.[cm]?js$/.test(ent.name)) continue;
        if (project.only && !project.only.test(childRel)) continue;
        const language = languageForPath(childRel);
        if (language) out.push({ absPath: join(abs, ent.name), relPath: childRel, language });
      }
    }
  };
  walk(root, '');
  return out;
}

export interface TrainingSource {
  readonly id: string;
  readonly language: string;
  readonly root: string;
  readonly exclude: string[];
  readonly only?: string;
  readonly source: Record<string, string>;
}

/** The extra training sources of scripts/embed/training-sources.json as projects. */
export function extraProjects(
  sourcesFile: string,
  repoRoot: string,
): { projects: CorpusProject[]; sources: TrainingSource[] } {
  const { sources } = JSON.parse(readFileSync(sourcesFile, 'utf8')) as { sources: TrainingSource[] };
  const projects: CorpusProject[] = [];
  for (const s of sources) {
    const dir = s.root.startsWith('/') ? s.root : join(repoRoot, s.root);
    if (!existsSync(dir))
      throw new Error(`training source ${s.id} missing: ${dir} (install ${JSON.stringify(s.source)})`);
    projects.push({
      id: s.id,
      language: s.language,
      dir,
      exclude: s.exclude,
      ...(s.only ? { only: new RegExp(s.only) } : {}),
    });
  }
  return { projects, sources };
}

/** Digest of the parser code, so a cache is never reused across extractor changes. */
function parserDigest(): string {
  const h = createHash('sha256');
  const base = fileURLToPath(new URL('../../workers/', import.meta.url));
  for (const f of ['parse-worker.js', 'read-source.js']) h.update(readFileSync(join(base, f)));
  for (const f of readdirSync(join(base, 'extract')).sort()) {
    if (f.endsWith('.js')) h.update(readFileSync(join(base, 'extract', f)));
  }
  return h.digest('hex').slice(0, 16);
}

/** Digest of a file list by content: sha256 of "relPath sha1" lines. */
export function filesDigest(files: readonly CorpusFile[]): string {
  const h = createHash('sha256');
  for (const f of files) {
    h.update(`${f.relPath} ${createHash('sha1').update(readFileSync(f.absPath)).digest('hex')}\n`);
  }
  return h.digest('hex');
}

export interface ExtractResult {
  readonly symbols: ExtractedSymbol[];
  /** sha256 over the project's files (paths and content). */
  readonly digest: string;
  readonly files: number;
  readonly bytes: number;
  readonly fromCache: boolean;
}

interface WorkerReply {
  readonly symbols: ExtractedSymbol[];
  readonly bytes: number;
}

/**
 * Extracts every symbol of each project, in project order then file order then symbol
 * order, whatever the thread count: workers get whole files and results are put back by
 * index, so the output is the same with 1 or N threads.
 */
export async function extractProjects(
  projects: readonly CorpusProject[],
  opts: { threads?: number; cacheDir?: string | false; log?: (msg: string) => void } = {},
): Promise<Map<string, ExtractResult>> {
  const threads = Math.max(1, opts.threads ?? 2);
  const cacheDir =
    opts.cacheDir === false ? undefined : (opts.cacheDir ?? join(tmpdir(), 'leindex-embed-cache'));
  if (cacheDir) mkdirSync(cacheDir, { recursive: true });
  const parser = parserDigest();
  const out = new Map<string, ExtractResult>();
  const workerUrl = new URL('./extract-worker.js', import.meta.url);
  const pool = Array.from({ length: threads }, () => new Worker(workerUrl));
  try {
    for (const p of projects) {
      const files = listSourceFiles(p);
      const digest = filesDigest(files);
      const cacheFile = cacheDir
        ? join(cacheDir, `${p.id.replace(/[^\w.-]+/g, '_')}-${digest.slice(0, 16)}-${parser}.json`)
        : undefined;
      if (cacheFile && existsSync(cacheFile)) {
        const cached = JSON.parse(readFileSync(cacheFile, 'utf8')) as {
          symbols: ExtractedSymbol[];
          bytes: number;
        };
        out.set(p.id, {
          symbols: cached.symbols,
          digest,
          files: files.length,
          bytes: cached.bytes,
          fromCache: true,
        });
        continue;
      }
      const t = performance.now();
      // Chunks of ~64 files: big enough to amortise messaging, small enough to balance.
      const chunks: CorpusFile[][] = [];
      for (let i = 0; i < files.length; i += 64) chunks.push(files.slice(i, i + 64));
      const replies = new Array<WorkerReply | undefined>(chunks.length);
      let next = 0;
      await Promise.all(
        pool.map(async (w) => {
          while (next < chunks.length) {
            const i = next++;
            replies[i] = await runChunk(w, p.id, chunks[i] ?? []);
          }
        }),
      );
      const symbols: ExtractedSymbol[] = [];
      let bytes = 0;
      for (const r of replies) {
        if (!r) continue;
        for (const s of r.symbols) symbols.push(s);
        bytes += r.bytes;
      }
      if (cacheFile) writeFileSync(cacheFile, JSON.stringify({ symbols, bytes }));
      out.set(p.id, { symbols, digest, files: files.length, bytes, fromCache: false });
      opts.log?.(
        `${p.id}: ${files.length} files, ${(bytes / 1e6).toFixed(1)} MB, ${symbols.length} symbols, ${((performance.now() - t) / 1000).toFixed(1)} s`,
      );
    }
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return out;
}

function runChunk(w: Worker, project: string, files: CorpusFile[]): Promise<WorkerReply> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: WorkerReply): void => {
      w.off('error', onError);
      resolve(m);
    };
    const onError = (e: Error): void => {
      w.off('message', onMessage);
      reject(e);
    };
    w.once('message', onMessage);
    w.once('error', onError);
    w.postMessage({ project, files });
  });
}
