// What the dispatch modules share: the resolver's lookups they borrow (DispatchHost), the
// value a receiver types to (a concrete type with its generic arguments, or the traits that
// bound it), and the two text readers for what extractors record verbatim: a receiver chain
// `a.b().c` and a type `a::B<X, C<Y>>`. Pure data and functions; coordinator thread (merge).

import type { MergeInput, NameTable, SymbolColumns } from './merge.js';
import { Confidence } from './graph.js';
import { SymbolKind } from '../protocol.js';

/** What the resolver lends: its lookups, so dispatch sees names exactly as resolution does. */
export interface DispatchHost {
  readonly inputs: readonly MergeInput[];
  readonly names: NameTable;
  readonly cols: SymbolColumns;
  readonly symbolStart: Int32Array;
  resolveType(
    f: number,
    from: number,
    name: string,
    qualifier: string | undefined,
  ): { id: number; conf: number } | undefined;
  /** A member (method or field) of a type, own or inherited. */
  memberOf(typeId: number, name: string): number | undefined;
  enclosingType(f: number, from: number): number | undefined;
  basesOf(id: number): readonly number[];
  /** A method of the type's own file with this member name (when a field has the same name). */
  methodNamed(typeId: number, name: string): number | undefined;
  /** A graph string (the symbol columns' name ids). */
  str(id: number): string;
  /**
   * The files whose uses pass runs (1 per file), when only some do (a partial re-resolution,
   * src/graph/patch-resolve.ts): the facts only a file's own uses pass reads (`let x = call()`,
   * closure parameters) are gathered for those alone. undefined: every file.
   */
  readonly usesFiles?: Uint8Array | undefined;
}

export interface DispatchTarget {
  id: number;
  conf: number;
}

/** Where generic arguments were written, so they resolve in their own file and scope. */
export interface ArgContext {
  texts: readonly string[];
  f: number;
  scope: number;
}

/** A receiver's type: one concrete type (with its generic arguments), or the traits bounding it. */
export type TypeValue =
  { id: number; args: ArgContext | undefined; traits?: undefined } | { traits: number[] };

export const TRAIT_KINDS = new Set<number>([SymbolKind.trait, SymbolKind.interface]);
export const TYPE_KINDS = new Set<number>([SymbolKind.class, SymbolKind.struct, SymbolKind.enum]);

/**
 * A type (or fn) named in file f as seen from `from`, through scopes and imports only: a
 * project-unique name elsewhere (`Write` when one crate defines a trait of that name) is no
 * evidence of what a declared type means.
 */
export function typeNamed(
  host: DispatchHost,
  f: number,
  from: number,
  name: string,
  qualifier: string | undefined,
): number | undefined {
  const t = host.resolveType(f, from, name, qualifier);
  return t && t.conf > Confidence.uniqueName ? t.id : undefined;
}

/** `a::b::C` → typeNamed(C, qualifier `a::b`). */
export function typeNamedPath(host: DispatchHost, f: number, from: number, path: string): number | undefined {
  const segs = path.split('::');
  const name = segs.pop() ?? '';
  return typeNamed(host, f, from, name, segs.length ? segs.join('::') : undefined);
}

/** `a.b(x).c?.await` → [{a}, {b, call}, {c}]; undefined for what is not a plain chain (indexing, literals). */
export function splitChain(expr: string): { name: string; call: boolean }[] | undefined {
  const out: { name: string; call: boolean }[] = [];
  let i = 0;
  const n = expr.length;
  while (i < n) {
    const m = /^\s*((?:[A-Za-z_$][\w$]*\s*::\s*)*[A-Za-z_$][\w$]*)\s*(?:::\s*<[^()]*>\s*)?/.exec(
      expr.slice(i),
    );
    if (!m?.[1]) return undefined;
    const name = m[1].replace(/\s+/g, '');
    i += m[0].length;
    let call = false;
    if (expr[i] === '(') {
      let depth = 0;
      for (; i < n; i++) {
        const c = expr[i];
        if (c === '(') depth++;
        else if (c === ')' && --depth === 0) break;
      }
      if (depth !== 0) return undefined;
      i++;
      call = true;
    }
    while (expr[i] === '?' || expr[i] === '!') i++;
    if (name !== 'await') out.push({ name, call });
    if (i >= n) break;
    if (expr[i] !== '.') return undefined;
    i++;
  }
  return out;
}

/** `a::B<X,C<Y>>` → segs [a, B], args [X, C<Y>]; undefined for a tuple, slice or fn type. */
export function parseType(text: string): { segs: string[]; args: string[] } | undefined {
  const m = /^((?:[A-Za-z_]\w*::)*[A-Za-z_]\w*)/.exec(text);
  if (!m?.[1]) return undefined;
  const segs = m[1].split('::');
  const args: string[] = [];
  if (text[m[1].length] === '<') {
    let depth = 0;
    let item = '';
    for (let i = m[1].length; i < text.length; i++) {
      const c = text[i]!;
      if (c === '<' || c === '(' || c === '[') {
        if (depth++ === 0) continue;
      } else if (c === '>' || c === ')' || c === ']') {
        if (--depth === 0) {
          if (item) args.push(item);
          break;
        }
      } else if (c === ',' && depth === 1) {
        args.push(item);
        item = '';
        continue;
      }
      item += c;
    }
  }
  return { segs, args };
}
