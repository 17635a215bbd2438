// The matching core of `leindex grep`: validates a pattern into a MatcherSpec, and scans one
// file's text into line matches (grep semantics: a line matches when the pattern matches
// inside it; one hit per line, at the first match). Pure and synchronous: runs on the main
// thread for patterns that cannot backtrack and inside workers/grep-worker.ts for the rest.

import { LeindexError } from '../errors.js';
import type { GrepLineMatch } from '../protocol.js';

/** How a pattern is matched. `linear` regexes (escaped literals) cannot run away. */
export type MatcherSpec =
  | { readonly kind: 'literal'; readonly needle: string }
  | { readonly kind: 'regex'; readonly source: string; readonly flags: string; readonly linear: boolean };

export interface ScanLimits {
  /** Hits to report in total, across every file this scanner sees. */
  readonly limit: number;
  readonly maxPerFile: number;
  readonly context: number;
  readonly maxLineChars: number;
}

const REGEX_META = /[\\^$.|?*+()[\]{}]/;
const REGEX_META_ALL = /[\\^$.|?*+()[\]{}]/g;

/**
 * Turns user input into a MatcherSpec, or throws E_USAGE with the regex engine's message.
 * A pattern without metacharacters is a literal whatever the flags say (the fast path).
 * Regexes compile in unicode mode when they can (\p{…}, astral characters as one), else in
 * legacy mode, which accepts the identity escapes (`\:`, `\-`) grep users type.
 */
export function compilePattern(
  pattern: string,
  opts: { fixed?: boolean; ignoreCase?: boolean },
): MatcherSpec {
  if (pattern === '') throw new LeindexError('E_USAGE', 'the pattern is empty');
  const i = opts.ignoreCase ? 'i' : '';
  if (opts.fixed || !REGEX_META.test(pattern)) {
    if (/[\r\n]/.test(pattern))
      throw new LeindexError('E_USAGE', 'a pattern cannot contain a line break: grep matches within lines');
    if (!i) return { kind: 'literal', needle: pattern };
    return { kind: 'regex', source: pattern.replace(REGEX_META_ALL, '\\$&'), flags: 'gmu' + i, linear: true };
  }
  for (const flags of ['gmu' + i, 'gm' + i]) {
    try {
      new RegExp(pattern, flags);
      return { kind: 'regex', source: pattern, flags, linear: false };
    } catch (err) {
      if (flags.includes('u')) continue;
      throw new LeindexError('E_USAGE', (err as Error).message, {
        hint: 'patterns use JavaScript regex syntax; pass -F to search for the text as written',
      });
    }
  }
  throw new LeindexError('E_INTERNAL', 'unreachable');
}

type Finder = (text: string, from: number) => { index: number; length: number } | undefined;

function finderFor(spec: MatcherSpec): Finder {
  if (spec.kind === 'literal') {
    const needle = spec.needle;
    return (text, from) => {
      const index = text.indexOf(needle, from);
      return index < 0 ? undefined : { index, length: needle.length };
    };
  }
  const re = new RegExp(spec.source, spec.flags);
  return (text, from) => {
    re.lastIndex = from;
    const m = re.exec(text);
    return m ? { index: m.index, length: m[0].length } : undefined;
  };
}

/** Scans files one after another, enforcing the global limit across them. */
export class LineScanner {
  private readonly find: Finder;
  private remaining: number;

  constructor(
    spec: MatcherSpec,
    private readonly limits: ScanLimits,
  ) {
    this.find = finderFor(spec);
    this.remaining = limits.limit;
  }

  /** The global limit is reached: later files would only be cut. */
  get exhausted(): boolean {
    return this.remaining <= 0;
  }

  /**
   * Reports the file's hits to `onHit` as they are found (so a caller that must give up on a
   * runaway regex keeps what came before it) and returns the number of matching lines,
   * counting those over maxPerFile but not those after the global limit.
   */
  scan(text: string, onHit: (match: GrepLineMatch) => void): number {
    let reported = 0;
    let matchedLines = 0;
    let line = 0;
    let lineStart = 0;
    let pos = 0;
    while (pos < text.length && this.remaining > 0) {
      const m = this.find(text, pos);
      // A match at the very end after a final newline is on a line that does not exist.
      if (!m || (m.index === text.length && text.charCodeAt(text.length - 1) === 10)) break;
      // Move to the line holding the match; `lineEnd` is its '\n' (or the end of the text).
      let lineEnd = text.indexOf('\n', lineStart);
      while (lineEnd >= 0 && lineEnd < m.index) {
        line++;
        lineStart = lineEnd + 1;
        lineEnd = text.indexOf('\n', lineStart);
      }
      if (lineEnd < 0) lineEnd = text.length;
      let column = m.index - lineStart;
      let length = m.length;
      if (m.index + m.length > lineEnd) {
        // The match runs over a line break (`\s+`, `[^x]*`): grep semantics want a match
        // inside one line, so look again within this line only.
        const inLine = this.find(text.slice(lineStart, lineEnd), column);
        if (!inLine) {
          pos = lineEnd + 1;
          continue;
        }
        column = inLine.index;
        length = inLine.length;
      }
      matchedLines++;
      if (reported < this.limits.maxPerFile) {
        onHit(this.hit(text, line, lineStart, lineEnd, column, length));
        reported++;
        this.remaining--;
      }
      pos = lineEnd + 1;
    }
    return matchedLines;
  }

  private hit(
    text: string,
    line: number,
    lineStart: number,
    lineEnd: number,
    column: number,
    length: number,
  ): GrepLineMatch {
    const max = this.limits.maxLineChars;
    const end = text.charCodeAt(lineEnd - 1) === 13 && lineEnd > lineStart ? lineEnd - 1 : lineEnd;
    const lineLength = end - lineStart;
    let textStart = 0;
    let shown: string;
    if (lineLength <= max) {
      shown = text.slice(lineStart, end);
    } else {
      // A window that shows some text before the match and as much of it as fits.
      textStart = Math.max(0, Math.min(column - Math.floor(max / 4), lineLength - max));
      shown = cleanSlice(text, lineStart + textStart, lineStart + Math.min(lineLength, textStart + max));
    }
    const ctx = this.limits.context;
    return {
      line,
      column,
      length,
      offset: lineStart + column,
      text: shown,
      textStart,
      cut: lineLength > max,
      lineLength,
      before: ctx > 0 ? linesBefore(text, lineStart, ctx, max) : [],
      after: ctx > 0 ? linesAfter(text, lineEnd, ctx, max) : [],
    };
  }
}

/** text.slice(a, b) without splitting a surrogate pair at either edge. */
function cleanSlice(text: string, a: number, b: number): string {
  const lowAt = (i: number): boolean => {
    const c = text.charCodeAt(i);
    return c >= 0xdc00 && c <= 0xdfff;
  };
  if (a > 0 && lowAt(a)) a++;
  if (b < text.length && lowAt(b)) b--;
  return text.slice(a, b);
}

function contextLine(text: string, a: number, b: number, max: number): string {
  if (b > a && text.charCodeAt(b - 1) === 13) b--;
  return cleanSlice(text, a, Math.min(b, a + max));
}

function linesBefore(text: string, lineStart: number, n: number, max: number): string[] {
  const out: string[] = [];
  let end = lineStart - 1; // the '\n' ending the previous line
  while (out.length < n && end >= 0) {
    const start = end === 0 ? 0 : text.lastIndexOf('\n', end - 1) + 1;
    out.push(contextLine(text, start, end, max));
    end = start - 1;
  }
  return out.reverse();
}

function linesAfter(text: string, lineEnd: number, n: number, max: number): string[] {
  const out: string[] = [];
  let start = lineEnd + 1;
  while (out.length < n && start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    out.push(contextLine(text, start, end, max));
    start = end + 1;
  }
  return out;
}

/** NUL in the head of a text marks it binary (the window git uses). */
export function looksBinary(text: string): boolean {
  return (text.length > 8000 ? text.slice(0, 8000) : text).includes('\0');
}

/**
 * looksBinary on a file's UTF-8 bytes without decoding all of them: the first 8000 characters
 * take 8000 to 32000 bytes, so a NUL in the first 8000 bytes is binary, none in the first
 * 32000 is not, and only in between is the prefix decoded.
 */
export function looksBinaryBytes(bytes: Uint8Array): boolean {
  const nul = bytes.subarray(0, 32_000).indexOf(0);
  if (nul < 0) return false;
  if (nul < 8000) return true;
  return looksBinary(
    Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 32_000)).toString('utf8'),
  );
}

/**
 * The UTF-8 bytes a file must contain for a case-sensitive literal to match its text, or
 * undefined when bytes cannot tell (the needle has a replacement character or a lone
 * surrogate, which invalid input decodes to).
 */
export function literalBytes(spec: MatcherSpec): Buffer | undefined {
  if (spec.kind !== 'literal' || spec.needle.includes('\uFFFD')) return undefined;
  const bytes = Buffer.from(spec.needle, 'utf8');
  return bytes.toString('utf8') === spec.needle ? bytes : undefined;
}
