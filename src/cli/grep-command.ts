// `leindex grep <pattern>`: text search over the indexed files, each hit with its enclosing
// symbol. Prints `path:line:col  text  [kind name]` (coloured on a TTY unless NO_COLOR) or
// one JSON object; notices go to stderr. Exit 0 with hits, 1 without, 4 when the deadline
// stopped a search that had found nothing. Main thread; regexes run in the grep worker.

import { resolve } from 'node:path';
import { Command, Option } from 'clipanion';
import { ExitCode, LeindexError } from '../errors.js';
import { LANGUAGES, type LanguageId } from '../protocol.js';
import { GREP_DEFAULTS, grepIndex, type GrepHit, type GrepResult } from '../query/grep.js';
import { IndexSession } from '../query/session.js';
import { commonOptions, parseIntFlag, printJson, reportError, resolveRoot } from './common.js';

/** Short names people type for --lang; `ts` covers both TypeScript dialects. */
const LANGUAGE_ALIASES: Record<string, readonly LanguageId[]> = {
  ts: ['typescript', 'tsx'],
  js: ['javascript'],
  jsx: ['javascript'],
  py: ['python'],
  rs: ['rust'],
};

export class GrepCommand extends Command {
  static override paths = [['grep']];
  static override usage = Command.Usage({
    description: 'Search the text of the indexed files; each hit names its enclosing symbol',
    details: `
      Searches the files of the current index (the same ignores and excludes as indexing) for a
      JavaScript regular expression, or literal text with -F. One hit per matching line, at the
      first match. Regexes run in a worker thread under a deadline (--timeout-ms): a runaway
      pattern is stopped and the hits found so far are printed. Exit 0 with hits, 1 with none.
    `,
    examples: [
      ['Find TODOs in Rust files', "$0 grep 'TODO\\(.*\\)' --lang rust"],
      ['Find a literal, as JSON', '$0 grep -F parseConfig --json'],
      ['Search part of a tree', "$0 grep 'fn \\w+_test' --path ~/src/repo --glob 'src/**' --limit 50"],
    ],
  });

  pattern = Option.String({ required: true, name: 'pattern' });
  fixed = Option.Boolean('-F,--fixed', false, { description: 'Match the pattern as literal text' });
  ignoreCase = Option.Boolean('-i,--ignore-case', false, { description: 'Case-insensitive match' });
  lang = Option.Array('--lang', {
    description: `Only these languages (repeatable or comma list: ${LANGUAGES.join(', ')}, ts, js, py, rs)`,
  });
  glob = Option.Array('--glob', {
    description: 'Only paths matching this gitignore-style pattern (repeatable; !pattern excludes)',
  });
  limit = Option.String('--limit', { description: `Hits to print (default ${GREP_DEFAULTS.limit})` });
  maxPerFile = Option.String('--max-per-file', { description: 'Hits per file (default: the limit)' });
  contextLines = Option.String('--context,-C', {
    description: 'Lines of context around each hit (default 0)',
  });
  timeoutMs = Option.String('--timeout-ms', {
    description: `Stop the search after this many ms (default ${GREP_DEFAULTS.timeoutMs})`,
  });
  root = Option.String('--path', {
    description: 'The indexed project root (default: the current directory)',
  });
  indexDir = commonOptions.indexDir();
  json = commonOptions.json();
  quiet = commonOptions.quiet();

  async execute(): Promise<number> {
    let session: IndexSession | undefined;
    try {
      const root = resolveRoot(this.root);
      const languages = this.lang === undefined ? undefined : parseLanguages(this.lang);
      const limit = parseIntFlag(this.limit, '--limit');
      const maxPerFile = parseIntFlag(this.maxPerFile, '--max-per-file');
      const timeoutMs = parseIntFlag(this.timeoutMs, '--timeout-ms');
      const context = parseContext(this.contextLines);
      session = IndexSession.open(root, this.indexDir === undefined ? undefined : resolve(this.indexDir));
      const result = await grepIndex(session, {
        pattern: this.pattern,
        fixed: this.fixed,
        ignoreCase: this.ignoreCase,
        ...(languages ? { languages } : {}),
        ...(this.glob ? { globs: this.glob } : {}),
        ...(limit !== undefined ? { limit } : {}),
        ...(maxPerFile !== undefined ? { maxPerFile } : {}),
        ...(context !== undefined ? { context } : {}),
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      });
      if (this.json) printJson(result);
      else this.context.stdout.write(formatHits(result.hits, useColor(this.context.stdout)));
      this.notices(result, timeoutMs ?? GREP_DEFAULTS.timeoutMs);
      if (result.hits.length > 0) return ExitCode.ok;
      return result.timedOut ? ExitCode.resourceLimit : ExitCode.noMatch;
    } catch (err) {
      return reportError(err);
    } finally {
      await session?.close();
    }
  }

  private notices(r: GrepResult, timeoutMs: number): void {
    const say = (m: string): void => void process.stderr.write(`leindex: ${m}\n`);
    // A partial answer must never pass for a whole one, so this one ignores --quiet.
    if (r.timedOut)
      say(
        `search stopped at the ${timeoutMs} ms deadline (--timeout-ms): results are partial (${r.filesSearched} of ${r.filesConsidered} files searched)`,
      );
    if (this.quiet) return;
    if (r.truncated)
      say(
        r.totalMatches > r.hits.length
          ? `showing ${r.hits.length} of ${r.totalMatches}+ matching lines (raise --limit / --max-per-file for more)`
          : `stopped at ${r.hits.length} hits (--limit): there may be more`,
      );
    if (r.filesSkipped > 0) {
      const why = Object.entries(r.skipped)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ');
      say(`${r.filesSkipped} indexed files not searched (${why}); \`leindex index\` refreshes the index`);
    }
    if (r.filesStale > 0) say(`${r.filesStale} files changed since indexing: their symbols may be off`);
  }
}

function parseLanguages(values: readonly string[]): LanguageId[] {
  const out = new Set<LanguageId>();
  for (const raw of values.flatMap((v) => v.split(','))) {
    const name = raw.trim().toLowerCase();
    if (!name) continue;
    const alias = LANGUAGE_ALIASES[name];
    if (alias) for (const l of alias) out.add(l);
    else if ((LANGUAGES as readonly string[]).includes(name)) out.add(name as LanguageId);
    else
      throw new LeindexError('E_USAGE', `--lang: unknown language "${raw}"`, {
        hint: `known: ${LANGUAGES.join(', ')} (and ts, js, py, rs)`,
      });
  }
  return [...out];
}

function parseContext(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new LeindexError('E_USAGE', `--context needs a whole number ≥ 0, got "${value}"`);
  return n;
}

/** https://no-color.org: colour only on a terminal, and never when NO_COLOR is set non-empty. */
function useColor(out: NodeJS.WritableStream): boolean {
  return (out as { isTTY?: boolean }).isTTY === true && !process.env.NO_COLOR;
}

const SGR = { path: '35', line: '32', match: '1;31', symbol: '36', sep: '2' } as const;

/** grep-style lines: hits as `path:line:col  text  [kind name]`, context as `path-line-  text`. */
export function formatHits(hits: readonly GrepHit[], color: boolean): string {
  const paint = (code: string, s: string): string => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const out: string[] = [];
  let lastFile = '';
  let lastLine = 0; // last line printed in lastFile, hit or context
  hits.forEach((h, i) => {
    const next = hits[i + 1];
    const before = h.before ?? [];
    const firstShown =
      h.file === lastFile ? Math.max(lastLine + 1, h.line - before.length) : h.line - before.length;
    if (
      (before.length > 0 || (h.after?.length ?? 0) > 0) &&
      out.length > 0 &&
      (h.file !== lastFile || firstShown > lastLine + 1)
    )
      out.push(paint(SGR.sep, '--'));
    before.forEach((text, k) => {
      const n = h.line - before.length + k;
      if (n >= firstShown)
        out.push(`${paint(SGR.path, h.file)}-${paint(SGR.line, String(n))}-  ${clean(text)}`);
    });
    const m = h.column - (h.textColumn ?? 1);
    const head = (h.textColumn ?? 1) > 1 ? '…' : '';
    const tail =
      h.lineLength !== undefined && (h.textColumn ?? 1) - 1 + h.text.length < h.lineLength ? '…' : '';
    const text =
      clean(h.text.slice(0, m)) +
      paint(SGR.match, clean(h.text.slice(m, m + h.matchLength))) +
      clean(h.text.slice(m + h.matchLength));
    const sym =
      h.symbol.kind === 'module'
        ? ''
        : `  ${paint(SGR.symbol, `[${h.symbol.kind} ${h.symbol.qualifiedName}]`)}`;
    out.push(
      `${paint(SGR.path, h.file)}:${paint(SGR.line, String(h.line))}:${h.column}  ${head}${text}${tail}${sym}`,
    );
    lastFile = h.file;
    lastLine = h.line;
    // Context after stops short of the next hit in the same file, which prints its own line.
    const stop = next && next.file === h.file ? next.line : Infinity;
    (h.after ?? []).forEach((text, k) => {
      const n = h.line + 1 + k;
      if (n >= stop) return;
      out.push(`${paint(SGR.path, h.file)}-${paint(SGR.line, String(n))}-  ${clean(text)}`);
      lastLine = n;
    });
  });
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}

/** Control characters (a binary-ish line, an ANSI escape in a string) would drive the terminal. */
function clean(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '\ufffd');
}
