// Judged-query evaluation of leindex search: runs every query of bench/search/judged.json
// against an index of bench/corpus through searchIndex, in each mode (auto, text = lexical
// only, semantic) plus the raw vector neighbours, and reports Recall@1/5/10 and MRR overall,
// by language and by query type. JSON lines to stdout and to bench/runs/search-judged-<date>.jsonl.
// Usage: node dist/bench/search/judged.js --corpus DIR --index-dir DIR [--check] [--no-record]
//        [--modes auto,text,semantic,vector] [--limit 100] [--weights JSON] [--label TEXT]. Main thread.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { searchIndex } from '../../src/query/search.js';
import { IndexSession } from '../../src/query/session.js';
import type { SearchMode, Weights } from '../../src/search/route.js';
import { embedQuery } from '../../src/embed/embedder.js';
import { args, jsonLines, languageGroup, REPO, runSetup, summarise, summariseBy, today } from './metrics.js';

export interface Expected {
  file: string;
  qualifiedName: string;
}

export interface JudgedQuery {
  id: string;
  language: string;
  type: 'identifier' | 'phrase' | 'how' | 'bug';
  query: string;
  expected: Expected[];
  /** Set on queries added after the split was made: always held out, whatever their position. */
  half?: 'dev' | 'held';
}

interface JudgedFile {
  written_before_results: boolean;
  queries: JudgedQuery[];
}

/** 'vector' is not a searchIndex mode: the raw nearest neighbours of the query embedding. */
type EvalMode = SearchMode | 'vector';

interface Ranked {
  file: string;
  qualifiedName: string;
  score: number;
}

const key = (file: string, qualifiedName: string): string => `${file}\0${qualifiedName}`;

/**
 * The tuning split (bench/search/README.md): queries at even positions of judged.json (0, 2,
 * 4, …) are the dev half ranking changes may be tuned on; odd positions are held out.
 */
export function halfOf(position: number): 'dev' | 'held' {
  return position % 2 === 0 ? 'dev' : 'held';
}

/** Every file symbol's (file, qualified name) → ids, to check that judged answers exist. */
function symbolKeys(session: IndexSession): Map<string, number[]> {
  const g = session.graph();
  const out = new Map<string, number[]>();
  for (let id = 0; id < g.fileSymbolCount; id++) {
    const file = g.files.relPath[g.symbols.file[id] ?? -1] ?? '';
    const k = key(file, g.strings[g.symbols.qualifiedName[id] ?? -1] ?? '');
    const ids = out.get(k) ?? [];
    ids.push(id);
    out.set(k, ids);
  }
  return out;
}

/** Reports judged answers missing from the index, with same-named symbols of the file as hints. */
function check(session: IndexSession, queries: readonly JudgedQuery[]): number {
  const keys = symbolKeys(session);
  const g = session.graph();
  let missing = 0;
  for (const q of queries) {
    let present = 0;
    for (const e of q.expected) {
      if (keys.has(key(e.file, e.qualifiedName))) {
        present++;
        continue;
      }
      missing++;
      const name = e.qualifiedName.split('.').pop() ?? '';
      const file = session.fileIndex(e.file);
      const hints: string[] = [];
      if (file >= 0) {
        const end = g.files.symbolStart[file + 1] ?? g.fileSymbolCount;
        for (let id = g.files.symbolStart[file] ?? 0; id < end; id++) {
          if ((g.strings[g.symbols.name[id] ?? -1] ?? '') === name) {
            hints.push(
              `${g.strings[g.symbols.qualifiedName[id] ?? -1] ?? ''}@${(g.symbols.startLine[id] ?? 0) + 1}`,
            );
          }
        }
      }
      process.stderr.write(
        `${q.id}: missing ${e.file} ${e.qualifiedName}${file < 0 ? ' (file not indexed)' : ''}${hints.length ? `; same name: ${hints.join(', ')}` : ''}\n`,
      );
    }
    if (present === 0) process.stderr.write(`${q.id}: NO accepted answer is in the index\n`);
  }
  process.stderr.write(`${missing} accepted answers missing from the index\n`);
  return missing;
}

function rankedHits(
  session: IndexSession,
  q: JudgedQuery,
  mode: EvalMode,
  limit: number,
  weights: Partial<Weights> | undefined,
): Ranked[] {
  if (mode !== 'vector') {
    return searchIndex(session, q.query, { mode, limit, ...(weights ? { weights } : {}) }).hits.map((h) => ({
      file: h.file,
      qualifiedName: h.qualifiedName,
      score: h.score,
    }));
  }
  const qvec = embedQuery(session.model(), q.query);
  const near = session.vectors().nearest(qvec, limit);
  return near.ids.map((id, i) => {
    const s = session.symbol(id);
    return { file: s.file, qualifiedName: s.qualifiedName, score: near.sims[i] ?? 0 };
  });
}

/** 1-based rank of the first accepted answer among the hits, 0 when none is returned. */
export function firstRank(hits: readonly Ranked[], expected: readonly Expected[]): number {
  const want = new Set(expected.map((e) => key(e.file, e.qualifiedName)));
  const i = hits.findIndex((h) => want.has(key(h.file, h.qualifiedName)));
  return i + 1;
}

async function main(): Promise<void> {
  const a = args(process.argv.slice(2));
  const corpus = resolve(a.get('--corpus') ?? join(REPO, 'bench/corpus'));
  const indexDir = resolve(a.get('--index-dir') ?? join(corpus, '.leindex'));
  const judgedFile = resolve(a.get('--queries') ?? join(REPO, 'bench/search/judged.json'));
  const limit = Number(a.get('--limit') ?? 100);
  const modes = (a.get('--modes') ?? 'auto,text,semantic,vector').split(',') as EvalMode[];
  // Weight overrides for ablations and tuning, e.g. --weights '{"project":0}'.
  const weightsArg = a.get('--weights');
  const weights = weightsArg ? (JSON.parse(weightsArg) as Partial<Weights>) : undefined;
  const judged = JSON.parse(readFileSync(judgedFile, 'utf8')) as JudgedFile;
  const session = IndexSession.open(corpus, indexDir);
  try {
    if (a.has('--check')) {
      process.exitCode = check(session, judged.queries) > 0 ? 1 : 0;
      return;
    }
    const record = !a.has('--no-record');
    const emit = jsonLines(record ? join(REPO, `bench/runs/search-judged-${today()}.jsonl`) : undefined);
    const setup = {
      ...runSetup(corpus),
      index: indexDir,
      symbols: session.graph().fileSymbolCount,
      queriesFile: judgedFile.replace(REPO, ''),
      writtenBeforeResults: judged.written_before_results,
      limit,
      ...(weights ? { weights } : {}),
      ...(a.get('--label') ? { label: a.get('--label') } : {}),
    };
    emit({ bench: 'search-judged', kind: 'setup', ...setup });
    for (const mode of modes) {
      const rows: { q: JudgedQuery; rank: number; half: 'dev' | 'held' }[] = [];
      for (const [position, q] of judged.queries.entries()) {
        const hits = rankedHits(session, q, mode, limit, weights);
        const rank = firstRank(hits, q.expected);
        const half = q.half ?? halfOf(position);
        rows.push({ q, rank, half });
        emit({
          bench: 'search-judged',
          kind: 'query',
          mode,
          id: q.id,
          language: q.language,
          type: q.type,
          half,
          rank,
          top: hits.slice(0, 3).map((h) => `${h.file} ${h.qualifiedName} ${h.score}`),
        });
      }
      emit({
        bench: 'search-judged',
        kind: 'summary',
        mode,
        ...summarise(rows.map((r) => r.rank)),
        byLanguage: summariseBy(
          rows,
          (r) => languageGroup(r.q.language),
          (r) => r.rank,
        ),
        byHalf: summariseBy(
          rows,
          (r) => r.half,
          (r) => r.rank,
        ),
        byType: summariseBy(
          rows,
          (r) => r.q.type,
          (r) => r.rank,
        ),
        date: setup.date,
        commit: setup.commit,
        ...(setup.label ? { label: setup.label } : {}),
        ...(weights ? { weights } : {}),
      });
    }
  } finally {
    await session.close();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
