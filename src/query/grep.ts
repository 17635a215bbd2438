// `grepIndex`: text search over the files of the current index generation (so it honours the
// same ignores and excludes as indexing), each hit annotated with its innermost enclosing
// symbol. Input: an IndexSession and GrepOptions; output: a bounded GrepResult. Main (or
// server) thread reads files and annotates; regexes that could backtrack are matched in
// workers/grep-worker.ts under a deadline, literals on this thread.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import ignore from 'ignore';
import { LeindexError, describeError, isLeindexError } from '../errors.js';
import {
  LANGUAGES,
  type GrepBatch,
  type GrepFileInput,
  type GrepLineMatch,
  type GrepWorkerData,
  type GrepWorkerMessage,
  type LanguageId,
} from '../protocol.js';
import {
  LineScanner,
  compilePattern,
  literalBytes,
  looksBinaryBytes,
  type ScanLimits,
} from './grep-match.js';
import { EnclosingSymbols, type GrepSymbol } from './grep-symbols.js';
import type { IndexSession } from './session.js';

export type { GrepSymbol } from './grep-symbols.js';

const WORKER_FILE = fileURLToPath(new URL('../../workers/grep-worker.js', import.meta.url));

/** Every limit of a grep, with its default. */
export const GREP_DEFAULTS = {
  /** Hits returned in total. */
  limit: 100,
  /** Whole search deadline; a regex still running then is terminated. */
  timeoutMs: 5000,
  /** Line text is cut to a window of this many characters around the match. */
  maxLineChars: 300,
  /** Context lines are capped so that `--context` cannot turn a hit into a file dump. */
  maxContext: 50,
} as const;

/** Text handed to the worker per message: big enough to amortise messaging, small enough to pipeline. */
const BATCH_CHARS = 1 << 20;
const BATCH_FILES = 256;
/** Batches queued at the worker: one being matched while the next is read. */
const IN_FLIGHT = 2;

export interface GrepOptions {
  pattern: string;
  /** Match the pattern as literal text (default: JS regex syntax). */
  fixed?: boolean;
  ignoreCase?: boolean;
  /** Only files of these languages (default: all). */
  languages?: readonly LanguageId[];
  /** Only files whose relative path matches one of these gitignore-style patterns (`!` negates). */
  globs?: readonly string[];
  limit?: number;
  /** Hits per file (default: the limit). */
  maxPerFile?: number;
  /** Lines of context before and after each hit (default 0). */
  context?: number;
  timeoutMs?: number;
  maxLineChars?: number;
  signal?: AbortSignal;
}

export type GrepSkipReason = 'vanished' | 'unreadable' | 'outside-root' | 'binary' | 'match-error';

export interface GrepHit {
  /** Path relative to the root, '/'-separated. */
  file: string;
  /** 1-based line and column (UTF-16 code units) of the first match on the line. */
  line: number;
  column: number;
  /** Length of the match in UTF-16 code units. */
  matchLength: number;
  /** The line, or a window of ~maxLineChars around the match when the line is longer. */
  text: string;
  /** Set when the line was cut: the 1-based column `text` starts at, and the whole line's length. */
  textColumn?: number;
  lineLength?: number;
  /** Context lines (only with `context`), each cut to maxLineChars. */
  before?: string[];
  after?: string[];
  /** Innermost enclosing symbol; the module for top-level code. */
  symbol: GrepSymbol;
  /** The file changed since indexing: the symbol may be off. */
  stale?: true;
}

export interface GrepResult {
  hits: GrepHit[];
  /** More matches exist, or may exist, than were returned (limit or per-file cap). */
  truncated: boolean;
  /** The deadline stopped the search: hits are those found before it. */
  timedOut: boolean;
  /** Matching lines found in the files searched (≥ hits.length; a lower bound when truncated). */
  totalMatches: number;
  filesMatched: number;
  /** Files that passed the language and glob filters. */
  filesConsidered: number;
  filesSearched: number;
  filesSkipped: number;
  skipped: Partial<Record<GrepSkipReason, number>>;
  /** Files read that changed since indexing (their hits carry `stale`). */
  filesStale: number;
  elapsedMs: number;
}

/** Validates options up front (so bad input fails before any file is read). */
function limitsOf(o: GrepOptions): ScanLimits & { timeoutMs: number } {
  const positive = (v: number | undefined, name: string, dflt: number, min = 1): number => {
    if (v === undefined) return dflt;
    if (!Number.isInteger(v) || v < min)
      throw new LeindexError('E_USAGE', `${name} must be a whole number ≥ ${min}, got ${v}`);
    return v;
  };
  const limit = positive(o.limit, 'limit', GREP_DEFAULTS.limit);
  return {
    limit,
    maxPerFile: Math.min(limit, positive(o.maxPerFile, 'maxPerFile', limit)),
    context: Math.min(GREP_DEFAULTS.maxContext, positive(o.context, 'context', 0, 0)),
    maxLineChars: positive(o.maxLineChars, 'maxLineChars', GREP_DEFAULTS.maxLineChars, 20),
    timeoutMs: positive(o.timeoutMs, 'timeoutMs', GREP_DEFAULTS.timeoutMs),
  };
}

/** The indexed files that pass the language and glob filters, in path order. */
export function selectFiles(
  session: IndexSession,
  languages: readonly LanguageId[] | undefined,
  globs: readonly string[] | undefined,
): number[] {
  const files = session.files();
  const langs = languages?.length ? new Set(languages.map((l) => LANGUAGES.indexOf(l))) : undefined;
  const matcher = globs?.length ? ignore().add([...globs]) : undefined;
  const out: number[] = [];
  for (let f = 0; f < files.relPath.length; f++) {
    if (langs && !langs.has(files.language[f] ?? -1)) continue;
    if (matcher && !matcher.ignores(files.relPath[f] ?? '')) continue;
    out.push(f);
  }
  return out;
}

/** Reads candidate files into batches through session.fileText, recording skips and staleness. */
class FileFeeder {
  private next = 0;
  readonly skipped: Partial<Record<GrepSkipReason, number>> = {};
  skippedCount = 0;
  readonly stale = new Set<number>();

  /**
   * @param needle bytes a file must hold to match (a case-sensitive literal): files without
   *   them are searched but not decoded.
   */
  constructor(
    private readonly session: IndexSession,
    private readonly candidates: readonly number[],
    private readonly needle?: Buffer,
  ) {}

  skip(reason: GrepSkipReason): void {
    this.skipped[reason] = (this.skipped[reason] ?? 0) + 1;
    this.skippedCount++;
  }

  /** The next batch of readable files, or undefined when every candidate has been read. */
  batch(): GrepFileInput[] | undefined {
    const out: GrepFileInput[] = [];
    let chars = 0;
    while (this.next < this.candidates.length && out.length < BATCH_FILES && chars < BATCH_CHARS) {
      const file = this.candidates[this.next++] ?? 0;
      const text = this.read(file);
      if (text === undefined) continue;
      out.push({ file, text });
      chars += text.length;
    }
    return out.length > 0 ? out : undefined;
  }

  private read(file: number): string | undefined {
    let got;
    try {
      got = this.session.fileBytes(file);
    } catch (err) {
      if (isLeindexError(err) && err.code === 'E_PATH_OUTSIDE_ROOT') this.skip('outside-root');
      else
        this.skip(
          existsSync(join(this.session.root, this.session.files().relPath[file] ?? ''))
            ? 'unreadable'
            : 'vanished',
        );
      return undefined;
    }
    if (looksBinaryBytes(got.bytes)) {
      this.skip('binary');
      return undefined;
    }
    if (got.stale) this.stale.add(file);
    if (this.needle && got.bytes.indexOf(this.needle) < 0) return '';
    const text = got.bytes.toString('utf8');
    // Symbol offsets index the text without its BOM (the parser never saw it).
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }
}

interface RawHit {
  file: number;
  match: GrepLineMatch;
}

interface RunOutcome {
  timedOut: boolean;
  limitReached: boolean;
  searched: number;
}

/** Collects what the scanners report, in file order. */
class Sink {
  readonly hits: RawHit[] = [];
  /** Hits reported, plus the lines each finished file matched over its cap. */
  totalMatches = 0;
  filesMatched = 0;
  cut = false;
  private lastFile = -1;

  hit(file: number, match: GrepLineMatch): void {
    if (file !== this.lastFile) this.filesMatched++;
    this.lastFile = file;
    this.totalMatches++;
    this.hits.push({ file, match });
  }

  fileDone(matchedLines: number, reported: number): void {
    if (matchedLines <= reported) return;
    this.totalMatches += matchedLines - reported;
    this.cut = true;
  }
}

export async function grepIndex(session: IndexSession, options: GrepOptions): Promise<GrepResult> {
  const started = performance.now();
  const spec = compilePattern(options.pattern, options);
  const limits = limitsOf(options);
  options.signal?.throwIfAborted();
  const candidates = selectFiles(session, options.languages, options.globs);
  const feeder = new FileFeeder(session, candidates, literalBytes(spec));
  const sink = new Sink();
  const deadline = started + limits.timeoutMs;
  const outcome =
    spec.kind === 'literal' || spec.linear
      ? await runHere(new LineScanner(spec, limits), feeder, sink, deadline, options.signal)
      : await runInWorker(
          { source: spec.source, flags: spec.flags, ...limits, progress: new SharedArrayBuffer(4) },
          feeder,
          sink,
          deadline,
          options.signal,
        );

  const symbols = new EnclosingSymbols(session);
  const relPath = session.files().relPath;
  const hits = sink.hits.map(({ file, match: m }): GrepHit => {
    const hit: GrepHit = {
      file: relPath[file] ?? '',
      line: m.line + 1,
      column: m.column + 1,
      matchLength: m.length,
      text: m.text,
      symbol: symbols.at(file, m.offset),
    };
    if (m.cut) {
      hit.textColumn = m.textStart + 1;
      hit.lineLength = m.lineLength;
    }
    if (limits.context > 0) {
      hit.before = [...m.before];
      hit.after = [...m.after];
    }
    if (feeder.stale.has(file)) hit.stale = true;
    return hit;
  });
  return {
    hits,
    truncated: sink.cut || outcome.limitReached,
    timedOut: outcome.timedOut,
    totalMatches: sink.totalMatches,
    filesMatched: sink.filesMatched,
    filesConsidered: candidates.length,
    filesSearched: outcome.searched,
    filesSkipped: feeder.skippedCount,
    skipped: feeder.skipped,
    filesStale: feeder.stale.size,
    elapsedMs: Math.round(performance.now() - started),
  };
}

/** Literal and escaped-literal patterns: linear time, so no worker; yields between batches. */
async function runHere(
  scanner: LineScanner,
  feeder: FileFeeder,
  sink: Sink,
  deadline: number,
  signal: AbortSignal | undefined,
): Promise<RunOutcome> {
  let searched = 0;
  for (let batch = feeder.batch(); batch; batch = feeder.batch()) {
    for (const { file, text } of batch) {
      if (scanner.exhausted) return { timedOut: false, limitReached: true, searched };
      searched++;
      let reported = 0;
      const matched = scanner.scan(text, (match) => {
        sink.hit(file, match);
        reported++;
      });
      sink.fileDone(matched, reported);
    }
    // Let a server answer other requests (and a signal land) between batches.
    await new Promise<void>((resolve) => setImmediate(resolve));
    signal?.throwIfAborted();
    if (performance.now() > deadline) return { timedOut: true, limitReached: scanner.exhausted, searched };
  }
  return { timedOut: false, limitReached: scanner.exhausted, searched };
}

/**
 * Regexes run in a worker fed batches of text, at most IN_FLIGHT queued. At the deadline the
 * worker is terminated and whatever it had posted stands. Hits arrive in file order: one
 * worker handles batches in the order they were sent.
 */
function runInWorker(
  data: GrepWorkerData,
  feeder: FileFeeder,
  sink: Sink,
  deadline: number,
  signal: AbortSignal | undefined,
): Promise<RunOutcome> {
  return new Promise<RunOutcome>((resolve, reject) => {
    const progress = new Int32Array(data.progress);
    const worker = new Worker(WORKER_FILE, { workerData: data });
    let inFlight = 0;
    let batchNo = 0;
    let failed = 0;
    let finished = false;
    const searched = (): number => Atomics.load(progress, 0) - failed;
    const finish = (outcome: RunOutcome | Error): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      worker.removeAllListeners('message');
      void worker.terminate();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const onAbort = (): void =>
      finish(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    const timer = setTimeout(
      () => finish({ timedOut: true, limitReached: false, searched: searched() }),
      Math.max(0, deadline - performance.now()),
    );
    const pump = (): void => {
      try {
        while (!finished && inFlight < IN_FLIGHT) {
          const files = feeder.batch();
          if (!files) break;
          const msg: GrepBatch = { type: 'batch', batch: batchNo++, files };
          worker.postMessage(msg);
          inFlight++;
        }
      } catch (err) {
        finish(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      if (inFlight === 0) finish({ timedOut: false, limitReached: false, searched: searched() });
    };
    worker.on('message', (msg: GrepWorkerMessage) => {
      if (finished) return;
      if (msg.type === 'hit') return sink.hit(msg.file, msg.match);
      if (msg.type === 'file') return sink.fileDone(msg.matchedLines, msg.reported);
      inFlight--;
      for (let i = 0; i < msg.failed.length; i++) feeder.skip('match-error');
      failed += msg.failed.length;
      if (msg.limitReached) finish({ timedOut: false, limitReached: true, searched: searched() });
      else pump();
    });
    worker.on('error', (err) =>
      finish(new LeindexError('E_WORKER', `the grep worker failed: ${describeError(err)}`, { cause: err })),
    );
    worker.on('exit', (code) => {
      if (!finished) finish(new LeindexError('E_WORKER', `the grep worker exited with code ${code}`));
    });
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    else pump();
  });
}
