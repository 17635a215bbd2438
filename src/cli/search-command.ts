// `leindex search <query>`: hybrid search over the current index generation; `-` reads the
// query from stdin (a pasted bug report). Prints results on stdout (JSON array with --json),
// exits 1 when nothing matches. Main thread.

import { Command, Option } from 'clipanion';
import { languageName } from '../config.js';
import { LeindexError } from '../errors.js';
import { IndexSession } from '../query/session.js';
import { MAX_QUERY_BYTES, searchIndex, type SearchHit, type SearchResult } from '../query/search.js';
import { routeQuery, type SearchMode } from '../search/route.js';
import {
  commonOptions,
  readStdinQuery,
  optionsFor,
  parseIntFlag,
  printJson,
  reportError,
  resolveRoot,
} from './common.js';

const MODES: readonly SearchMode[] = ['auto', 'exact', 'semantic', 'text'];

export class SearchCommand extends Command {
  static override paths = [['search']];
  static override usage = Command.Usage({
    description:
      'Find symbols by identifier, phrase or a whole bug report (hybrid lexical + vector + structure)',
    details: `
      An identifier-like query (parseConfig, Foo.bar) looks names up first; anything else is ranked
      by BM25F over symbol names, signatures, docs, bodies and paths fused with embedding similarity
      and a structural prior. Tests, generated and vendored code rank lower unless --include-tests.
      Use - as the query to read it from stdin (up to 64 KB).
    `,
    examples: [
      ['A question', '$0 search "where are expired sessions cleaned up" --path ~/src/repo'],
      ['An identifier, as JSON', '$0 search parseConfig --limit 5 --json'],
      ['A bug report from stdin', 'cat bug.txt | $0 search - --json --limit 50'],
    ],
  });

  query = Option.String({ required: true, name: 'query' });
  root = commonOptions.root();
  limit = Option.String('--limit,-n', { description: 'Results to print (default 20)' });
  offset = Option.String('--offset', { description: 'Skip this many results first (default 0)' });
  lang = Option.Array('--lang', { description: 'Only these languages (repeatable or comma-separated)' });
  glob = Option.Array('--glob', {
    description: 'Only paths matching this gitignore-style glob (repeatable)',
  });
  kind = Option.Array('--kind', { description: 'Only these symbol kinds (function, class, method, …)' });
  mode = Option.String('--mode', { description: `Ranking mode: ${MODES.join(', ')} (default auto)` });
  includeTests = Option.Boolean('--include-tests', false, {
    description: 'Rank tests, generated and vendored code like any other',
  });
  indexDir = commonOptions.indexDir();
  json = commonOptions.json();

  async execute(): Promise<number> {
    let session: IndexSession | undefined;
    try {
      const root = resolveRoot(this.root);
      const options = optionsFor(root, this.indexDir !== undefined ? { indexDir: this.indexDir } : {});
      const mode = (this.mode ?? 'auto') as SearchMode;
      if (!MODES.includes(mode))
        throw new LeindexError('E_USAGE', `--mode must be one of ${MODES.join(', ')}`);
      const query = this.query === '-' ? await readStdinQuery(MAX_QUERY_BYTES) : this.query;
      session = IndexSession.open(root, options.indexDir);
      // Every mode but text ranks by vectors too: map the vector file in a worker beside the
      // rest when a core is free for it (starting a worker costs ~50 ms CPU of its own).
      if (routeQuery(query, mode).weights.vector > 0 && vectorWorkerAsked()) session.prefetchVectors();
      const result = searchIndex(session, query, {
        limit: parseIntFlag(this.limit, '--limit') ?? 20,
        offset: this.offset === '0' ? 0 : (parseIntFlag(this.offset, '--offset') ?? 0),
        mode,
        languages: splitList(this.lang).map((l) => languageName(l, '--lang')),
        paths: this.glob ?? [],
        kinds: splitList(this.kind),
        includeTests: this.includeTests,
      });
      if (result.truncatedQuery)
        process.stderr.write(`leindex: query cut to its first ${MAX_QUERY_BYTES} bytes\n`);
      warnStale(session, result.hits);
      if (this.json) printJson(result.hits.map(toJson));
      else process.stdout.write(render(result, process.stdout.isTTY && !process.env.NO_COLOR));
      return result.hits.length > 0 ? 0 : 1;
    } catch (err) {
      return reportError(err);
    } finally {
      await session?.close();
    }
  }
}

/**
 * Whether to open the vector index in a worker: only when LEINDEX_VECTOR_WORKER=on. It takes
 * ~95 ms of CPU off the main thread but costs a second node bootstrap (~150 ms CPU); on the
 * 2-core VM it never shortened a cold search: idle (load ~1, 8 interleaved runs of one query)
 * 445 ms median with it against 430 without, and at load 10 only its cost showed. Off until a
 * machine shows a gain.
 */
function vectorWorkerAsked(): boolean {
  return process.env.LEINDEX_VECTOR_WORKER === 'on';
}

function splitList(values: readonly string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** One result as --json prints it: the fields the issue names first, then the rest. */
function toJson(h: SearchHit): Record<string, unknown> {
  return {
    file: h.file,
    symbol: h.name,
    qualified_name: h.qualifiedName,
    kind: h.kind,
    start_line: h.startLine,
    end_line: h.endLine,
    score: h.score,
    score_parts: h.parts,
    language: h.language,
    signature: h.signature ?? null,
    snippet: h.snippet,
  };
}

/** Notes on stderr when result files changed since they were indexed (lines may be off). */
function warnStale(session: IndexSession, hits: readonly SearchHit[]): void {
  const files = new Set(hits.map((h) => h.file));
  let stale = 0;
  for (const f of files) {
    const i = session.fileIndex(f);
    try {
      if (i >= 0 && session.isStale(i)) stale++;
    } catch {
      stale++;
    }
  }
  if (stale > 0) {
    process.stderr.write(
      `leindex: ${stale} of the result files changed since indexing; run \`leindex index\` to refresh\n`,
    );
  }
}

function render(r: SearchResult, color: boolean): string {
  const c = (code: string, s: string): string => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  if (r.hits.length === 0) return `no results for ${JSON.stringify(r.query.slice(0, 80))}\n`;
  const out: string[] = [];
  for (const h of r.hits) {
    out.push(
      `${c('35', h.file)}:${c('32', String(h.startLine))}  ${c('1', h.qualifiedName)} ${c('2', `(${h.kind}, ${h.score.toFixed(3)})`)}`,
    );
    for (const line of h.snippet.split('\n').slice(0, 2)) out.push(`    ${line}`);
  }
  out.push(c('2', `${r.hits.length} of ${r.total} results (${r.intent} query)`));
  return `${out.join('\n')}\n`;
}
