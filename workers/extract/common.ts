// Helpers shared by the per-language extractors: the extractor contract, doc-comment and
// signature text clean-up, and complexity counting. Runs inside parse workers only.
// Nothing here recurses over the syntax tree: 10,000-deep nesting must not overflow a stack,
// so walks are iterative (TreeCursor) or done by native query captures.

import type { SyntaxNode, Tree } from '../../native/tree-sitter.js';
import type { FragmentBuilder } from '../../src/graph/fragment.js';
import type { LanguageId } from '../../src/protocol.js';

export interface ExtractContext {
  readonly lang: LanguageId;
  /** The decoded file text (offsets in the fragment are UTF-16 code units into it). */
  readonly text: string;
  readonly tree: Tree;
  readonly builder: FragmentBuilder;
}

/** Fills ctx.builder with the file's symbols and raw references. Must not keep the tree. */
export type Extractor = (ctx: ExtractContext) => void;

/** Signatures longer than this are cut (a signature is for display and ranking, not source). */
export const MAX_SIGNATURE_CHARS = 400;
/** Doc comments longer than this are cut. */
export const MAX_DOC_CHARS = 2000;

/** Collapses whitespace and cuts to MAX_SIGNATURE_CHARS. */
export function cleanSignature(raw: string): string {
  const s = raw.replace(/\s+/g, ' ').trim();
  return s.length > MAX_SIGNATURE_CHARS ? `${s.slice(0, MAX_SIGNATURE_CHARS - 1)}…` : s;
}

/**
 * Strips comment markers from a doc comment (`/** *\/`, `///`, `//!`, `#`, docstring quotes)
 * and joins its lines; cuts to MAX_DOC_CHARS.
 */
export function cleanDoc(raw: string): string {
  let s = raw.trim();
  if (/^("""|''')/.test(s)) s = s.slice(3, s.endsWith(s.slice(0, 3)) && s.length >= 6 ? -3 : undefined);
  else if (/^[rRuUbB]?("|')/.test(s)) s = s.replace(/^[rRuUbB]?("|')/, '').replace(/("|')$/, '');
  const lines = s.split(/\r?\n/).map((line) =>
    line
      .replace(/^\s*\/\*\*?/, '')
      .replace(/\*\/\s*$/, '')
      .replace(/^\s*\*(?!\/)/, '')
      .replace(/^\s*\/\/[/!]?/, '')
      .replace(/^\s*#/, '')
      .trim(),
  );
  const out = lines.join('\n').trim();
  return out.length > MAX_DOC_CHARS ? `${out.slice(0, MAX_DOC_CHARS - 1)}…` : out;
}

/**
 * Doc comment directly above a node: the run of comment siblings immediately preceding it
 * (no blank line between), filtered by `isDoc` (e.g. only `/**` or `///`).
 */
export function precedingComments(
  node: SyntaxNode,
  text: string,
  isDoc: (commentText: string) => boolean,
): string | undefined {
  const parts: string[] = [];
  let expectRow = node.startPosition.row;
  let prev = node.previousNamedSibling;
  while (prev && prev.type.includes('comment')) {
    if (prev.endPosition.row < expectRow - 1) break; // a blank line separates it
    const t = text.slice(prev.startIndex, prev.endIndex);
    if (!isDoc(t)) break;
    parts.unshift(t);
    expectRow = prev.startPosition.row;
    prev = prev.previousNamedSibling;
  }
  return parts.length ? cleanDoc(parts.join('\n')) : undefined;
}

/** Source text of a node, up to (not including) its body child: the usual signature. */
export function textBeforeBody(node: SyntaxNode, text: string, bodyField = 'body'): string {
  const body = node.childForFieldName(bodyField);
  const end = body ? body.startIndex : node.endIndex;
  return cleanSignature(text.slice(node.startIndex, end));
}

/**
 * Adds decision points to the complexity of the innermost enclosing symbol.
 * `branchOffsets` are start offsets of branch nodes (if, loop, case arm, catch, &&, ||, ?:),
 * usually from one native query; symbols are the builder rows with their ranges.
 * Cyclomatic complexity = 1 + decision points (McCabe), per function, not including nested
 * functions' own branches.
 */
export function attributeComplexity(builder: FragmentBuilder, branchOffsets: readonly number[]): void {
  const n = builder.symbolCount;
  if (n <= 1 || branchOffsets.length === 0) return;
  // Rows are added in source order of their start, parents before children, so the innermost
  // symbol containing an offset is the last row whose range contains it. Scan with a stack.
  const rows: number[] = [];
  for (let r = 1; r < n; r++) {
    const kind = builder.getSymbolField(r, 'kind');
    if (kind === 6 || kind === 7) rows.push(r); // function, method
  }
  rows.sort((a, b) => builder.getSymbolField(a, 'startOffset') - builder.getSymbolField(b, 'startOffset'));
  const offsets = [...branchOffsets].sort((a, b) => a - b);
  const counts = new Map<number, number>();
  const stack: number[] = [];
  let ri = 0;
  for (const off of offsets) {
    while (ri < rows.length && builder.getSymbolField(rows[ri] ?? 0, 'startOffset') <= off) {
      const r = rows[ri++] ?? 0;
      while (
        stack.length &&
        builder.getSymbolField(stack[stack.length - 1] ?? 0, 'endOffset') <=
          builder.getSymbolField(r, 'startOffset')
      )
        stack.pop();
      stack.push(r);
    }
    while (stack.length && builder.getSymbolField(stack[stack.length - 1] ?? 0, 'endOffset') <= off)
      stack.pop();
    const top = stack[stack.length - 1];
    if (top !== undefined) counts.set(top, (counts.get(top) ?? 0) + 1);
  }
  for (const [row, c] of counts) builder.setSymbolField(row, 'complexity', 1 + c);
}

/** Counts ERROR and MISSING regions without recursion (a TreeCursor walk that skips clean subtrees). */
export function countErrors(tree: Tree, limit = Infinity): number {
  if (!tree.rootNode.hasError) return 0;
  let count = 0;
  let depth = 0;
  const cursor = tree.walk();
  for (;;) {
    // (a partial count: module-level statements from `limit` on are not counted)
    if (depth === 1 && cursor.startIndex >= limit) break;
    const node = cursor.currentNode;
    // An error region is counted once, not every node inside it; clean subtrees are skipped.
    if (node.type === 'ERROR' || node.isMissing) count++;
    else if (node.hasError && cursor.gotoFirstChild()) {
      depth++;
      continue;
    }
    if (cursor.gotoNextSibling()) continue;
    let up = false;
    while (cursor.gotoParent()) {
      depth--;
      if (cursor.gotoNextSibling()) {
        up = true;
        break;
      }
    }
    if (!up) break;
  }
  return count;
}

/** The last segment of a dotted / path-qualified name, and everything before it. */
export function splitQualified(text: string): { name: string; qualifier: string | undefined } {
  const m = /^(.*?)(?:\.|::|->)([^.:]+)$/s.exec(text.trim());
  if (!m) return { name: text.trim(), qualifier: undefined };
  return { name: m[2] ?? '', qualifier: m[1] || undefined };
}

/**
 * Maps UTF-16 offsets to 0-based lines (rows as tree-sitter counts them: '\n' ends a line),
 * so extractors need no native position call per reference. Binary search over line starts.
 */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  lineOf(offset: number): number {
    const s = this.starts;
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((s[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Row and column (UTF-16 units from the line start) of an offset, as tree-sitter edits take them. */
  positionOf(offset: number): { row: number; column: number } {
    const row = this.lineOf(offset);
    return { row, column: offset - (this.starts[row] ?? 0) };
  }
}

/**
 * Innermost-range lookup over properly nested ranges (e.g. symbol rows by their source extent):
 * `at(offset)` is the id of the innermost range with start <= offset < end, else `outside`.
 * Ranges may be added in any order; lookups binary-search the last range starting at or before
 * the offset and walk out through precomputed enclosing ranges. No recursion.
 */
export class ScopeIndex {
  private starts: number[] = [];
  private ends: number[] = [];
  private ids: number[] = [];
  private outer: number[] = [];
  private sealed = true;

  constructor(private readonly outside = 0) {}

  add(start: number, end: number, id: number): void {
    this.starts.push(start);
    this.ends.push(end);
    this.ids.push(id);
    this.sealed = false;
  }

  private seal(): void {
    const n = this.starts.length;
    const order = Array.from({ length: n }, (_, i) => i);
    // Outer ranges first on equal starts, so the inner one is found last.
    order.sort(
      (a, b) => (this.starts[a] ?? 0) - (this.starts[b] ?? 0) || (this.ends[b] ?? 0) - (this.ends[a] ?? 0),
    );
    const starts = order.map((i) => this.starts[i] ?? 0);
    const ends = order.map((i) => this.ends[i] ?? 0);
    this.ids = order.map((i) => this.ids[i] ?? 0);
    this.outer = new Array<number>(n);
    const stack: number[] = [];
    for (let i = 0; i < n; i++) {
      const start = starts[i] ?? 0;
      while (stack.length && (ends[stack[stack.length - 1] ?? 0] ?? 0) <= start) stack.pop();
      this.outer[i] = stack.length ? (stack[stack.length - 1] ?? -1) : -1;
      stack.push(i);
    }
    this.starts = starts;
    this.ends = ends;
    this.sealed = true;
  }

  at(offset: number): number {
    if (!this.sealed) this.seal();
    const s = this.starts;
    let lo = 0;
    let hi = s.length - 1;
    let i = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((s[mid] ?? 0) <= offset) {
        i = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    while (i !== -1 && (this.ends[i] ?? 0) <= offset) i = this.outer[i] ?? -1;
    return i === -1 ? this.outside : (this.ids[i] ?? this.outside);
  }
}

/**
 * Membership in ascending, non-overlapping [start, end) pairs (e.g. comment and string ranges)
 * for ascending query offsets: amortised O(1) per query. A query behind the previous one
 * restarts from the first range.
 */
export class RangeCursor {
  private i = 0;
  private last = -1;

  constructor(private readonly ranges: readonly number[]) {}

  inside(at: number): boolean {
    const r = this.ranges;
    if (at < this.last) this.i = 0;
    this.last = at;
    while (this.i < r.length && (r[this.i + 1] ?? 0) <= at) this.i += 2;
    return this.i < r.length && (r[this.i] ?? 0) <= at;
  }
}

/**
 * Adds references to a fragment with their line, and keeps read/write references to one per
 * (kind, from, name, qualifier) within a symbol, which keeps fragments small.
 */
export class RefSink {
  private readonly seen = new Set<string>();

  constructor(
    private readonly builder: FragmentBuilder,
    private readonly lines: LineIndex,
  ) {}

  add(
    kind: number,
    from: number,
    name: string,
    qualifier: string | undefined,
    alias: string | undefined,
    offset: number,
    aux: number,
  ): void {
    this.builder.addRef({ kind, from, name, qualifier, alias, offset, line: this.lines.lineOf(offset), aux });
  }

  once(kind: number, from: number, name: string, qualifier: string, offset: number): void {
    const key = `${kind}\u0000${from}\u0000${name}\u0000${qualifier}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.add(kind, from, name, qualifier, undefined, offset, 0);
  }
}
