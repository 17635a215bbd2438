// Hybrid retrieval evaluation of the real index (CodeSearchNet method, as bench/retrieval/eval.ts
// does in memory): the held-out TEST projects are copied with the docs of their documented
// functions removed, the copy is indexed by leindex, and each query (first doc sentence, from
// buildDataset) goes through searchIndex; the target is found again by file + qualified name.
// Usage: node dist/bench/search/retrieval.js --corpus DIR [--work DIR] [--modes auto,text,semantic]
//        [--limit 100] [--every N] [--kinds function,method] [--include-tests] [--reuse] [--no-record] [--weights JSON]
//        [--save-queries FILE].
// (--kinds, --include-tests: ablations, a pool like the in-memory one, no test demotion.) JSON lines
// to stdout and bench/runs/search-retrieval-<date>.jsonl. Main thread (index: a child process).

import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FragmentReader } from '../../src/graph/fragment.js';
import { LANGUAGES, SymbolKind } from '../../src/protocol.js';
import { searchIndex } from '../../src/query/search.js';
import { IndexSession } from '../../src/query/session.js';
import type { SearchMode, Weights } from '../../src/search/route.js';
import { parseShard } from '../../workers/parse-worker.js';
import { readSource } from '../../workers/read-source.js';
import {
  listProjects,
  listSourceFiles,
  type CorpusProject,
  type ExtractedSymbol,
} from '../../scripts/embed/corpus.js';
import { buildDataset } from '../retrieval/dataset.js';
import { args, jsonLines, languageGroup, REPO, runSetup, summarise, summariseBy, today } from './metrics.js';
import { applyEdits, docEdits, type Edit } from './strip-docs.js';

const MAX_FILE_BYTES = 1 << 20;
const CALLABLE: ReadonlySet<number> = new Set([SymbolKind.function, SymbolKind.method]);

/** An extracted symbol with where it sits, so its doc can be cut from the file. */
interface SpanSymbol extends ExtractedSymbol {
  readonly start: number;
  readonly end: number;
}

interface ProjectFiles {
  project: CorpusProject;
  /** relPath (inside the project) → text as the extractor decoded it, and its symbols. */
  files: Map<string, { text: string; symbols: SpanSymbol[] }>;
}

/** Extracts a project on this thread the way scripts/embed/extract-worker.ts does, keeping offsets. */
function extractWithSpans(project: CorpusProject): ProjectFiles {
  const files = new Map<string, { text: string; symbols: SpanSymbol[] }>();
  for (const file of listSourceFiles(project)) {
    const src = readSource(file.absPath, file.language, { maxFileBytes: MAX_FILE_BYTES });
    if (!src.ok) continue;
    const res = parseShard({ files: [file], maxFileBytes: MAX_FILE_BYTES, extract: true });
    const o = res.outcomes[0];
    if (o?.status !== 'ok' || o.length === 0) continue;
    const fr = new FragmentReader(new Uint8Array(res.buffer, o.offset, o.length));
    const language = LANGUAGES[fr.language] ?? file.language;
    const symbols: SpanSymbol[] = [];
    for (let i = 1; i < fr.symbolCount; i++) {
      const start = fr.sym(i, 'startOffset');
      const end = fr.sym(i, 'endOffset');
      symbols.push({
        project: project.id,
        path: file.relPath,
        language,
        kind: fr.sym(i, 'kind'),
        name: fr.symStr(i, 'name') ?? '',
        qualifiedName: fr.symStr(i, 'qualifiedName') ?? '',
        signature: fr.symStr(i, 'signature') ?? '',
        doc: fr.symStr(i, 'doc') ?? '',
        body: src.text.slice(start, end),
        start,
        end,
      });
    }
    files.set(file.relPath, { text: src.text, symbols });
  }
  return { project, files };
}

/** Writes the copy: every file as is, except those with documented functions, whose docs are cut. */
function writeStrippedCopy(
  projects: readonly ProjectFiles[],
  copyRoot: string,
): { files: number; docs: number } {
  rmSync(copyRoot, { recursive: true, force: true });
  let files = 0;
  let docs = 0;
  for (const p of projects) {
    const dest = join(copyRoot, p.project.id);
    cpSync(p.project.dir, dest, { recursive: true });
    for (const [rel, f] of p.files) {
      const edits: Edit[] = [];
      for (const s of f.symbols) {
        if (!CALLABLE.has(s.kind) || !s.doc) continue;
        edits.push(...docEdits(f.text, s.language, s));
        docs++;
      }
      if (edits.length === 0) continue;
      writeFileSync(join(dest, rel), applyEdits(f.text, edits));
      files++;
    }
  }
  return { files, docs };
}

/** Functions and methods of the copy that still have a doc (should be none), by language. */
function residualDocs(projects: readonly ProjectFiles[], copyRoot: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of projects) {
    const copy = extractWithSpans({ ...p.project, dir: join(copyRoot, p.project.id) });
    for (const f of copy.files.values()) {
      for (const s of f.symbols)
        if (CALLABLE.has(s.kind) && s.doc) out[s.language] = (out[s.language] ?? 0) + 1;
    }
  }
  return out;
}

const keyOf = (file: string, qualifiedName: string): string => `${file}\0${qualifiedName}`;

async function main(): Promise<void> {
  const a = args(process.argv.slice(2));
  const corpus = resolve(a.get('--corpus') ?? join(REPO, 'bench/corpus'));
  const splitFile = resolve(a.get('--split') ?? join(REPO, 'bench/retrieval/split.json'));
  const work = resolve(a.get('--work') ?? join(tmpdir(), 'leindex-search-retrieval'));
  const modes = (a.get('--modes') ?? 'auto,text,semantic').split(',') as SearchMode[];
  const limit = Number(a.get('--limit') ?? 100);
  // --every N: every N-th query only (a quick look; recorded runs use all of them).
  const every = Math.max(1, Number(a.get('--every') ?? 1));
  const kinds = a.get('--kinds')?.split(',');
  const includeTests = a.has('--include-tests');
  // Weight overrides for ablations, e.g. --weights '{"project":0}'.
  const weightsArg = a.get('--weights');
  const weights = weightsArg ? (JSON.parse(weightsArg) as Partial<Weights>) : undefined;
  const filters = { ...(kinds ? { kinds } : {}), ...(includeTests ? { includeTests } : {}) };
  const copyRoot = join(work, 'corpus');
  const indexDir = join(work, 'index');
  const log = (m: string): void => void process.stderr.write(`${m}\n`);

  const split = JSON.parse(readFileSync(splitFile, 'utf8')) as { test: string[] };
  const wanted = new Set(split.test);
  const projects = listProjects(corpus).filter((p) => wanted.has(p.id));
  let t = performance.now();
  const extracted = projects.map(extractWithSpans);
  const symbols = extracted.flatMap((p) => [...p.files.values()].flatMap((f) => f.symbols));
  const { pool, queries } = buildDataset(symbols);
  log(`extracted ${symbols.length} symbols, pool ${pool.length}, ${queries.length} queries (${secs(t)})`);

  // Pool entries are the symbols that passed buildDataset's filter, in order: walk both.
  const occurrence = new Map<string, number>();
  const poolRef: { file: string; qualifiedName: string; nth: number; language: string }[] = [];
  let si = 0;
  for (const c of pool) {
    for (; si < symbols.length; si++) {
      const s = symbols[si]!;
      const file = `${s.project}/${s.path}`;
      const k = keyOf(file, s.qualifiedName);
      const nth = occurrence.get(k) ?? 0;
      occurrence.set(k, nth + 1);
      if (
        s.project === c.project &&
        s.path === c.path &&
        s.qualifiedName === c.qualifiedName &&
        s.signature === c.signature
      ) {
        poolRef.push({ file, qualifiedName: s.qualifiedName, nth, language: s.language });
        si++;
        break;
      }
    }
  }
  if (poolRef.length !== pool.length)
    throw new Error(`pool mapping failed: ${poolRef.length} of ${pool.length}`);

  const stamp = join(work, 'stamp.json');
  const stampText = JSON.stringify({
    projects: projects.map((p) => p.id),
    pool: pool.length,
    queries: queries.length,
  });
  let stripped: { files: number; docs: number } | undefined;
  let residual: Record<string, number> | undefined;
  let indexSummary: Record<string, unknown> | undefined;
  if (!(a.has('--reuse') && existsSync(stamp) && readFileSync(stamp, 'utf8') === stampText)) {
    t = performance.now();
    mkdirSync(work, { recursive: true });
    stripped = writeStrippedCopy(extracted, copyRoot);
    residual = residualDocs(extracted, copyRoot);
    log(
      `copy: ${stripped.docs} docs cut in ${stripped.files} files; residual ${JSON.stringify(residual)} (${secs(t)})`,
    );
    t = performance.now();
    rmSync(indexDir, { recursive: true, force: true });
    const out = execFileSync(
      process.execPath,
      [
        join(REPO, 'bin/leindex.js'),
        'index',
        copyRoot,
        '--index-dir',
        indexDir,
        '--no-git',
        '--json',
        '--quiet',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 },
    );
    indexSummary = JSON.parse(out) as Record<string, unknown>;
    log(`indexed the copy (${secs(t)})`);
    writeFileSync(stamp, stampText);
  }

  const session = IndexSession.open(copyRoot, indexDir);
  try {
    const g = session.graph();
    const ids = new Map<string, number[]>();
    for (let id = 0; id < g.fileSymbolCount; id++) {
      const k = keyOf(
        g.files.relPath[g.symbols.file[id] ?? -1] ?? '',
        g.strings[g.symbols.qualifiedName[id] ?? -1] ?? '',
      );
      const list = ids.get(k) ?? [];
      list.push(id);
      ids.set(k, list);
    }
    const targetId = (target: number): number => {
      const r = poolRef[target];
      return r ? (ids.get(keyOf(r.file, r.qualifiedName))?.[r.nth] ?? -1) : -1;
    };
    const chosen = queries.filter((_, i) => i % every === 0);
    const unresolved = chosen.filter((q) => targetId(q.target) < 0).length;
    // --save-queries FILE: the chosen queries with their targets (file, qualified name, nth),
    // so a tuning loop can re-run them on the same index without re-extracting the projects.
    const saveTo = a.get('--save-queries');
    if (saveTo) {
      const saved = chosen.map((q) => {
        const r = poolRef[q.target];
        return {
          text: q.text,
          language: languageGroup(r?.language ?? '?'),
          file: r?.file,
          qualifiedName: r?.qualifiedName,
          nth: r?.nth,
        };
      });
      writeFileSync(resolve(saveTo), JSON.stringify({ corpus: copyRoot, index: indexDir, queries: saved }));
    }
    const emit = jsonLines(
      a.has('--no-record') ? undefined : join(REPO, `bench/runs/search-retrieval-${today()}.jsonl`),
    );
    const setup = {
      ...runSetup(corpus),
      split: 'test',
      testProjects: projects.map((p) => p.id),
      pool: pool.length,
      queries: chosen.length,
      every,
      limit,
      indexedSymbols: g.fileSymbolCount,
      unresolvedTargets: unresolved,
      ...(stripped ? { docsCut: stripped.docs, filesRewritten: stripped.files, residualDocs: residual } : {}),
      ...(indexSummary ? { index: { files: indexSummary.files, symbols: indexSummary.symbols } } : {}),
    };
    emit({ bench: 'search-retrieval', kind: 'setup', ...setup });
    for (const mode of modes) {
      t = performance.now();
      const rows: { rank: number; language: string; intent: string }[] = [];
      for (const q of chosen) {
        const want = targetId(q.target);
        const res = searchIndex(session, q.text, {
          mode,
          limit,
          ...filters,
          ...(weights ? { weights } : {}),
        });
        const rank = want < 0 ? 0 : res.hits.findIndex((h) => h.id === want) + 1;
        rows.push({ rank, language: languageGroup(poolRef[q.target]?.language ?? '?'), intent: res.intent });
      }
      emit({
        bench: 'search-retrieval',
        kind: 'summary',
        mode,
        ...filters,
        ...(weights ? { weights } : {}),
        ...summarise(rows.map((r) => r.rank)),
        byLanguage: summariseBy(
          rows,
          (r) => r.language,
          (r) => r.rank,
        ),
        ...(mode === 'auto'
          ? {
              byIntent: summariseBy(
                rows,
                (r) => r.intent,
                (r) => r.rank,
              ),
            }
          : {}),
        date: setup.date,
        commit: setup.commit,
      });
      log(`${mode}: ${chosen.length} queries (${secs(t)})`);
    }
  } finally {
    await session.close();
  }
}

function secs(t: number): string {
  return `${((performance.now() - t) / 1000).toFixed(1)} s`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
