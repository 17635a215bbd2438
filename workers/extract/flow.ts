// Data-flow facts about call sites that the Python and Rust extractors read from the text around
// a call (the TypeScript walk reads them from its ancestor frames instead): how the call's value
// is used (assigned to which target, passed to an enclosing call, returned), and which
// arguments are plain names. Pure functions of text and offsets; runs inside parse workers.
// Everything here is O(1) per call or linear in the call's own top-level argument text.

import { CallValueUse } from '../../src/protocol.js';

/**
 * Argument lists of the calls seen so far, innermost last, for calls that arrive in document
 * order of their start: tells whether a call sits inside an earlier call's argument list.
 */
export class CallNesting {
  /** [open, close] offsets of argument lists that may still enclose later calls. */
  private readonly spans: number[] = [];

  /** A call starting at `start` with its argument list at [open, close]: is it an argument of an enclosing call? */
  inside(start: number, open: number, close: number): boolean {
    const s = this.spans;
    while (s.length && (s[s.length - 1] ?? 0) <= start) s.length -= 2;
    let inside = false;
    // Chained calls (`a.b(x).c(y)`) start at the same offset, so the top may be a list that
    // opens after `start`: look a few entries down for the one that opens before it.
    for (let i = s.length - 2, k = 0; i >= 0 && k < 8; i -= 2, k++) {
      if ((s[i] ?? 0) < start) {
        inside = (s[i + 1] ?? 0) > start;
        break;
      }
    }
    if (close > open) s.push(open, close);
    return inside;
  }
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

function isWordCode(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c >= 0x80;
}

/** The word ending just before `i` (spaces skipped) and its start. */
function wordBefore(text: string, i: number): { word: string; start: number } {
  let e = i;
  while (e > 0 && isSpace(text.charCodeAt(e - 1))) e--;
  let s = e;
  while (s > 0 && isWordCode(text.charCodeAt(s - 1))) s--;
  return { word: text.slice(s, e), start: s };
}

/** Offset of the first non-space character at or after `i` on the same line. */
function skipSpaces(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** Is the `=` at `eq` an assignment (not `==`, `!=`, `<=`, `>=`, `=>`)? */
function isAssignment(text: string, eq: number): boolean {
  const p = text.charCodeAt(eq - 1);
  const n = text.charCodeAt(eq + 1);
  if (n === 61 || n === 62) return false; // == =>
  if (p === 61 || p === 33) return false; // == !=
  // `<=` / `>=` compare, but `<<=` / `>>=` assign
  if ((p === 60 || p === 62) && text.charCodeAt(eq - 2) !== p) return false;
  return true;
}

const PY_TARGET =
  /^((?:[\p{L}\p{Nl}_][\p{L}\p{N}\p{Mn}\p{Mc}\p{Pc}]*)(?:\s*\.\s*[\p{L}\p{Nl}_][\p{L}\p{N}\p{Mn}\p{Mc}\p{Pc}]*)*)\s*(?::[^=]*)?$/u;
const RS_TARGET =
  /^(?:let\s+)?(?:mut\s+)?((?:r#)?[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*(?:\s*\.\s*(?:[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*|\d+))*)\s*(?::[^=]*)?$/;
/** Augmented-assignment operator characters before `=`. */
const AUG_TAIL = /(?:\*\*|\/\/|<<|>>|[-+*/%@&|^:])$/;

/**
 * The simple target (`x`, `self.x`, `a.b`) of the assignment whose `=` is at `eq`, read from the
 * statement's start (the line, or after `;` / `{` / `}` for Rust); '' for tuples and patterns.
 */
function assignTarget(text: string, eq: number, rust: boolean): string {
  let s = eq;
  const stop = Math.max(0, eq - 200);
  while (s > stop) {
    const c = text.charCodeAt(s - 1);
    if (c === 10 || c === 13 || (rust && (c === 59 || c === 123 || c === 125))) break;
    if (!rust && c === 59) break;
    s--;
  }
  let seg = text.slice(s, eq).trim().replace(AUG_TAIL, '').trimEnd();
  const chained = seg.lastIndexOf('=');
  if (chained >= 0 && !rust) seg = seg.slice(chained + 1).trim(); // `a = b = f()`: b
  const m = (rust ? RS_TARGET : PY_TARGET).exec(seg);
  return m?.[1] ? m[1].replace(/\s+/g, '') : '';
}

/**
 * How a Python call's value is used. `start` is the callee's start, `end` just past its
 * argument list; `nested`: it sits inside an enclosing call's argument list.
 */
export function pythonCallUse(text: string, start: number, end: number, nested: boolean): string | undefined {
  const after = text.charCodeAt(skipSpaces(text, end));
  if (after === 46 || after === 40 || after === 91) return undefined; // f().x, f()(), f()[i]: chained
  if (nested) return CallValueUse.argument;
  let w = wordBefore(text, start);
  if (w.word === 'await') w = wordBefore(text, w.start);
  if (w.word === 'from' && wordBefore(text, w.start).word === 'yield') return CallValueUse.returned;
  if (w.word === 'return' || w.word === 'yield') return CallValueUse.returned;
  if (w.word !== '') return undefined; // `not f()`, `x if f() else y`, `in f()`
  let i = w.start;
  while (i > 0 && isSpace(text.charCodeAt(i - 1))) i--;
  const eq = i - 1;
  if (text.charCodeAt(eq) !== 61 || !isAssignment(text, eq)) return undefined;
  return CallValueUse.assigned + assignTarget(text, eq, false);
}

/**
 * How a Rust call's value is used. `start`/`end`: the call expression's extent; `nested`: inside
 * an enclosing call's argument list; `bodyClose`: offset of the enclosing fn body's closing
 * brace (a call ending there is the tail expression: returned), or -1.
 */
export function rustCallUse(
  text: string,
  start: number,
  end: number,
  nested: boolean,
  bodyClose: number,
): string | undefined {
  let j = end;
  for (let k = 0; k < 8; k++) {
    while (j < text.length && /\s/.test(text[j] ?? '')) j++;
    if (text.charCodeAt(j) === 63 /* ? */) j++;
    else if (text.startsWith('.await', j) && !isWordCode(text.charCodeAt(j + 6))) j += 6;
    else break;
  }
  const after = text.charCodeAt(j);
  if ((after === 46 && text.charCodeAt(j + 1) !== 46) || after === 40 || after === 91) return undefined; // chained
  if (nested) return CallValueUse.argument;
  const w = wordBefore(text, start);
  if (w.word === 'return' || w.word === 'break') return CallValueUse.returned;
  if (w.word === '') {
    let i = w.start;
    while (i > 0 && /\s/.test(text[i - 1] ?? '')) i--;
    const eq = i - 1;
    if (text.charCodeAt(eq) === 61 && isAssignment(text, eq))
      return CallValueUse.assigned + assignTarget(text, eq, true);
  }
  if (j === bodyClose) return CallValueUse.returned; // the fn body's tail expression
  return undefined;
}

const PY_ARG =
  /^\s*(?:([\p{L}\p{Nl}_][\p{L}\p{N}\p{Mn}\p{Mc}\p{Pc}]*)\s*=(?!=)\s*)?(self\s*\.\s*)?([\p{L}\p{Nl}_][\p{L}\p{N}\p{Mn}\p{Mc}\p{Pc}]*)\s*$/u;
const RS_ARG =
  /^\s*(?:&\s*(?:mut\s+)?|\*\s*)?(self\s*\.\s*)?((?:r#)?[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)\s*$/;
const NOT_NAMES = new Set(['None', 'True', 'False', 'true', 'false', 'self', 'Self', 'cls']);

/** An argument that is a plain name or a `self.x` field: its name, receiver, keyword and offset in the item. */
export interface ArgumentName {
  name: string;
  qualifier: string | undefined;
  keyword: string | undefined;
  at: number;
}

/** Reads a call argument's text (Python or Rust); undefined unless it names a variable or a self field. */
export function argumentName(item: string, rust: boolean): ArgumentName | undefined {
  if (item.length > 80) return undefined;
  const m = (rust ? RS_ARG : PY_ARG).exec(item);
  if (!m) return undefined;
  const self = rust ? m[1] : m[2];
  const name = (rust ? m[2] : m[3]) ?? '';
  if (!self && NOT_NAMES.has(name)) return undefined;
  return {
    name: name.replace(/^r#/, ''),
    qualifier: self ? 'self' : undefined,
    keyword: rust ? undefined : m[1],
    at: item.lastIndexOf(name),
  };
}
