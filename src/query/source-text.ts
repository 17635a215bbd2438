// The text a bundle shows for a symbol, read from the files on disk once per query: the
// symbol's full source (from the start of its first line), an outline of a class or file
// (members collapsed to their first line) for when the whole is too big, and line-wise
// trimming for a first seed over the budget. Main thread.

import type { IndexGraph } from '../graph/graph.js';
import { NONE } from '../protocol.js';
import type { IndexSession } from './session.js';
import { textMembers } from './symbol-info.js';

export interface SymbolSource {
  text: string;
  /** The file changed on disk since indexing (size or mtime): offsets may be off. */
  stale: boolean;
}

/** A gap line between members that an outline drops: blank, or only a comment. */
const COMMENT_LINE = /^\s*(?:$|\/\/|\/\*|\*|#(?!\[)|--)/;

export class SourceCache {
  private readonly files = new Map<number, SymbolSource>();
  private readonly g: IndexGraph;

  constructor(private readonly session: IndexSession) {
    this.g = session.graph();
  }

  private file(file: number): SymbolSource {
    let ft = this.files.get(file);
    if (!ft) {
      try {
        const { text, stale } = this.session.fileText(file);
        // Offsets index the text as parsed, which had its BOM removed.
        ft = { text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, stale };
      } catch {
        ft = { text: '', stale: true }; // gone since indexing: the header still says what it was
      }
      this.files.set(file, ft);
    }
    return ft;
  }

  /**
   * The symbol's source, from the start of its first line when only indentation precedes
   * it (so every line keeps its own indentation), trailing whitespace dropped.
   */
  symbol(id: number): SymbolSource {
    const file = this.g.symbols.file[id] ?? NONE;
    if (file === NONE) return { text: '', stale: false };
    const ft = this.file(file);
    const a = this.lineStart(ft.text, this.g.symbols.startOffset[id] ?? 0);
    const b = this.g.symbols.endOffset[id] ?? a;
    return { text: ft.text.slice(a, b).trimEnd(), stale: ft.stale };
  }

  /**
   * A class (or file) with each direct member collapsed to its first line plus ` …`, and
   * blank and comment-only lines between members dropped: the shape of something too big to
   * show whole. Undefined when the symbol has no members to collapse.
   */
  outline(id: number): SymbolSource | undefined {
    const g = this.g;
    const file = g.symbols.file[id] ?? NONE;
    if (file === NONE) return undefined;
    const members = textMembers(g, id);
    if (members.length === 0) return undefined;
    const ft = this.file(file);
    const text = ft.text;
    const s = g.symbols;
    const start = this.lineStart(text, s.startOffset[id] ?? 0);
    const end = s.endOffset[id] ?? start;
    // Direct members: in source order, each one not inside the previous kept one.
    const direct: number[] = [];
    let coveredTo = -1;
    for (const m of [...members].sort((x, y) => (s.startOffset[x] ?? 0) - (s.startOffset[y] ?? 0) || x - y)) {
      if ((s.startOffset[m] ?? 0) < coveredTo) continue;
      direct.push(m);
      coveredTo = s.endOffset[m] ?? 0;
    }
    const out: string[] = [];
    let at = start;
    let collapsed = 0;
    for (const m of direct) {
      const ms = this.lineStart(text, s.startOffset[m] ?? 0);
      const me = s.endOffset[m] ?? ms;
      // The part before the first member is the header (signature, docstring): kept whole.
      const gap = text.slice(at, ms);
      out.push(at === start ? gap : dropCommentLines(gap));
      const body = text.slice(ms, me);
      const nl = body.indexOf('\n');
      if (nl < 0) out.push(body);
      else {
        out.push(`${body.slice(0, nl).trimEnd()} …`);
        collapsed++;
      }
      at = me;
    }
    out.push(dropCommentLines(text.slice(at, end)));
    if (collapsed === 0) return undefined;
    return { text: out.join('').trimEnd(), stale: ft.stale };
  }

  /**
   * The symbol's signature alone (its first line when the index has no signature), with ` …`
   * for the body left out: how a function too big for the budget still shows where it is.
   */
  stub(id: number): SymbolSource | undefined {
    const file = this.g.symbols.file[id] ?? NONE;
    if (file === NONE) return undefined;
    const full = this.symbol(id);
    const nl = full.text.indexOf('\n');
    if (nl < 0) return undefined; // one line: nothing to leave out
    const signature = this.session.symbol(id).signature;
    const head = signature && !signature.includes('\n') ? signature : full.text.slice(0, nl).trimEnd();
    const indent = /^[ \t]*/.exec(full.text)?.[0] ?? '';
    return {
      text: `${indent}${head.startsWith(indent) ? head.slice(indent.length) : head} …`,
      stale: full.stale,
    };
  }

  private lineStart(text: string, a: number): number {
    return lineStartOf(text, a);
  }
}

/** The start of `a`'s line when only indentation precedes it there, else `a`. */
function lineStartOf(text: string, a: number): number {
  let i = a;
  while (i > 0 && (text[i - 1] === ' ' || text[i - 1] === '\t')) i--;
  return i > 0 && text[i - 1] !== '\n' ? a : i;
}

/**
 * The text between two collapsed members without its blank and comment-only lines; the rest
 * of the previous member's last line (up to its line break) is kept as it is.
 */
function dropCommentLines(gap: string): string {
  const nl = gap.indexOf('\n');
  if (nl < 0) return gap;
  const rest = gap.slice(nl + 1).split(/(?<=\n)/);
  return gap.slice(0, nl + 1) + rest.filter((line) => !COMMENT_LINE.test(line)).join('');
}

/**
 * Cuts `text` to its longest prefix of whole lines whose cost (`costOf`) fits `room`, with a
 * last line saying how many lines were cut and where the symbol ends.
 */
export function trimLines(
  text: string,
  endLine: number,
  room: number,
  costOf: (text: string) => number,
): string {
  const lines = text.split('\n');
  const withLines = (n: number): string =>
    n >= lines.length
      ? lines.join('\n')
      : `${lines.slice(0, n).join('\n')}\n… trimmed: ${lines.length - n} more lines (to L${endLine})`;
  let lo = 0;
  let hi = lines.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (costOf(withLines(mid)) <= room) lo = mid;
    else hi = mid - 1;
  }
  return withLines(lo);
}
