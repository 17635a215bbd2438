// Finds and removes the doc of a function in its file's text, the way each extractor reads it:
// Python the docstring (first statement of the body), Rust the `///` lines, `/** */` blocks
// and `#[doc = …]` attributes above the item (over other attributes), TS/JS the JSDoc block
// or own-line `//` run above the declaration (over decorators). Input: text + symbol spans;
// output: edits, applied back to front. Main thread, pure. Verified by re-extraction in retrieval.ts.

import type { LanguageId } from '../../src/protocol.js';

/** Replace text[from, to) with `text`. */
export interface Edit {
  from: number;
  to: number;
  text: string;
}

export interface Span {
  start: number;
  end: number;
}

function lineStartOf(text: string, at: number): number {
  return text.lastIndexOf('\n', at - 1) + 1;
}

/** Index just past the line containing `at` (after its newline, or the text end). */
function lineEndOf(text: string, at: number): number {
  const nl = text.indexOf('\n', at);
  return nl < 0 ? text.length : nl + 1;
}

/** The doc edits of one documented function or method. */
export function docEdits(text: string, language: LanguageId, span: Span): Edit[] {
  if (language === 'python') {
    const e = pythonDocstring(text, span);
    return e ? [e] : [];
  }
  return commentsAbove(text, language === 'rust', span);
}

/** End of the string literal opening at `i` (quote or triple quote), Python rules. */
function pyStringEnd(text: string, i: number, limit: number): number {
  const q = text[i] ?? '"';
  const triple = text.startsWith(q.repeat(3), i);
  const quote = triple ? q.repeat(3) : q;
  let j = i + quote.length;
  while (j < limit && !text.startsWith(quote, j)) {
    if (text[j] === '\\') j++;
    else if (!triple && text[j] === '\n') return j;
    j++;
  }
  return Math.min(limit, j + quote.length);
}

function pythonDocstring(text: string, span: Span): Edit | undefined {
  // The `def` line (the span may start at decorators).
  const head = /^[ \t]*(?:async[ \t]+)?def\b/m.exec(text.slice(span.start, span.end));
  if (!head) return undefined;
  let i = span.start + head.index + head[0].length;
  let depth = 0;
  // The header's colon: at bracket depth 0, outside strings and comments.
  for (; i < span.end; i++) {
    const c = text[i];
    if (c === '#') i = lineEndOf(text, i) - 1;
    else if (c === '"' || c === "'") i = pyStringEnd(text, i, span.end) - 1;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ':' && depth === 0) break;
  }
  if (i >= span.end) return undefined;
  // The first statement: skip blanks and comment lines.
  let j = i + 1;
  for (;;) {
    const m = /^[ \t\r\n]*/.exec(text.slice(j, j + 4096));
    j += m ? m[0].length : 0;
    if (text[j] === '#') j = lineEndOf(text, j);
    else break;
  }
  const lit = /^[rRuUbB]{0,2}(["'])/.exec(text.slice(j, j + 3));
  if (!lit || j >= span.end) return undefined;
  const strStart = j;
  const strEnd = pyStringEnd(text, j + lit[0].length - 1, span.end);
  const rest = text.slice(strEnd, lineEndOf(text, strEnd));
  const ownLine =
    text.slice(lineStartOf(text, strStart), strStart).trim() === '' && /^[ \t]*(#.*)?\r?\n?$/.test(rest);
  const from = ownLine ? lineStartOf(text, strStart) : strStart;
  const to = ownLine ? lineEndOf(text, strEnd) : strEnd;
  // A body that was only the docstring needs a statement to stay valid Python.
  const after = text.slice(to, span.end).replace(/#[^\n]*/g, '');
  if (after.trim() === '') {
    const indent = /^[ \t]*/.exec(text.slice(lineStartOf(text, strStart), strStart))?.[0] ?? '';
    return { from, to, text: ownLine ? `${indent}pass\n` : 'pass' };
  }
  return { from, to, text: '' };
}

/** Start of the `#[` whose `]` ends at `close` (inclusive), or -1. Strings inside are rare enough to ignore. */
function attrOpen(text: string, close: number): number {
  let depth = 0;
  for (let k = close; k >= 0 && k > close - 4000; k--) {
    const c = text[k];
    if (c === ']') depth++;
    else if (c === '[' && --depth === 0) return text[k - 1] === '#' ? k - 1 : -1;
  }
  return -1;
}

/** Opener of the block comment closed at `close`: the earliest `/*` with no `*\/` before `close` (JS blocks do not nest). */
function blockOpen(text: string, close: number): number {
  let open = text.lastIndexOf('/*', close - 1);
  for (;;) {
    const prev = open > 0 ? text.lastIndexOf('/*', open - 1) : -1;
    if (prev < 0 || text.indexOf('*/', prev + 2) !== close) return open;
    open = prev;
  }
}

/**
 * The doc comment run directly above a declaration (no blank line in between), plus, for
 * Rust, doc lines and `#[doc]` attributes inside the span before the item keyword (the
 * span starts at the first attribute).
 */
function commentsAbove(text: string, rust: boolean, span: Span): Edit[] {
  const edits: Edit[] = [];
  const del = (from: number, to: number): void => {
    edits.push({ from: lineStartOf(text, from), to: lineEndOf(text, to - 1), text: '' });
  };
  if (rust) {
    // Leading lines of the span that are doc comments or doc attributes.
    let at = lineStartOf(text, span.start);
    while (at < span.end) {
      const end = lineEndOf(text, at);
      const line = text.slice(at, end).trim();
      if ((line.startsWith('///') && !line.startsWith('////')) || /^#\[\s*doc\s*=/.test(line)) del(at, end);
      else if (!line.startsWith('#[') && !line.startsWith('//')) break;
      at = end;
    }
  }
  let cur = lineStartOf(text, span.start);
  let sawComment = false;
  for (let guard = 0; guard < 500 && cur > 0; guard++) {
    const lineStart = lineStartOf(text, cur - 1);
    const line = text.slice(lineStart, cur).trim();
    if (line === '') break;
    if (rust && line.startsWith('///') && !line.startsWith('////')) {
      del(lineStart, cur);
      cur = lineStart;
      continue;
    }
    if (line.endsWith('*/')) {
      const close = text.lastIndexOf('*/', cur);
      const open = blockOpen(text, close);
      if (open < 0) break;
      const isDoc =
        text.startsWith('/**', open) && !text.startsWith('/***', open) && !text.startsWith('/**/', open);
      if (!isDoc) break;
      // Removing the nearest doc block would make the comments above it the doc (JSDoc
      // stacked over JSDoc, `//` notes over `/** @internal */`): the whole run goes.
      del(open, close + 2);
      cur = lineStartOf(text, open);
      sawComment = true;
      continue;
    }
    if (rust) {
      if (line.endsWith(']')) {
        const open = attrOpen(text, text.lastIndexOf(']', cur));
        if (open < 0) break;
        if (/^#\[\s*doc\s*=/.test(text.slice(open, open + 16))) del(open, cur);
        cur = lineStartOf(text, open);
        continue;
      }
      break;
    }
    if (line.startsWith('//')) {
      del(lineStart, cur);
      cur = lineStart;
      sawComment = true;
      continue;
    }
    // Decorators above a declaration sit between it and its doc.
    if (line.startsWith('@') && !sawComment) {
      cur = lineStart;
      continue;
    }
    break;
  }
  return edits;
}

/** Applies edits (overlapping ones merged: the wider wins), back to front. */
export function applyEdits(text: string, edits: readonly Edit[]): string {
  const sorted = [...edits].sort((a, b) => a.from - b.from || b.to - a.to);
  const kept: Edit[] = [];
  for (const e of sorted) {
    const last = kept[kept.length - 1];
    if (last && e.from < last.to) {
      if (e.to > last.to) last.to = e.to;
      continue;
    }
    kept.push({ ...e });
  }
  let out = text;
  for (let i = kept.length - 1; i >= 0; i--) {
    const e = kept[i]!;
    out = out.slice(0, e.from) + e.text + out.slice(e.to);
  }
  return out;
}
