// The type facts dispatch reads, gathered in one pass over every fragment's refs at first use:
// declared types of fields and return types (Rust declType; TS / JS / Python returnType rows and
// field annotations), parameter types, generic parameters with their bounds and positions,
// `let x = call()` assignments, and `impl Trait for Type` methods; then, lazily, the impl and
// subtype tables (trait → implementing methods, type → impl methods, interface → classes).
// Coordinator thread (merge), owned by the Dispatcher.

import { fragmentOf, type FragmentReader } from './fragment.js';
import { NONE, RefKind, SymbolKind } from '../protocol.js';
import { TRAIT_KINDS, TYPE_KINDS, typeNamed, typeNamedPath, type DispatchHost } from './dispatch-types.js';

export interface TypeParamFact {
  name: string;
  bounds: string | undefined;
  pos: number;
}

/** A closure parameter: the j-th parameter of the closure passed as argument k of call row `row`. */
export interface ClosureParam {
  row: number;
  arg: number;
  param: number;
}

interface ImplRow {
  f: number;
  method: number;
  trait: string;
  traitQ?: string;
  type: string;
}

export class DispatchFacts {
  /** Field → its type; fn → its return type (declType text). */
  readonly declOf = new Map<number, string>();
  /** fn → parameter name → declared type text. */
  readonly paramDecl = new Map<number, Map<string, string>>();
  readonly typeParams = new Map<number, TypeParamFact[]>();
  /** fn → local name → the call row (file, row) whose value it was assigned. */
  readonly assigned = new Map<number, Map<string, number>>();
  /** fn → position → declared parameter type text (Rust), for closure arguments. */
  readonly paramAt = new Map<number, string[]>();
  /** fn → closure parameter name → the call it is passed to and its positions (`#k.j` facts). */
  readonly closureParams = new Map<number, Map<string, ClosureParam>>();
  /** fn → local name → the element type text of the collection it holds (`xs: Vec<T>` → T). */
  readonly elemDecl = new Map<number, Map<string, string>>();
  /** A field holding a collection → its element type text (`items: Foo[]` → Foo). */
  readonly fieldElem = new Map<number, string>();
  /** fn → loop variable → the iterable it walks, a plain chain (`for x in self.items` → self.items). */
  readonly forIn = new Map<number, Map<string, string>>();
  /** An impl method → the type its `impl … for Type` names. */
  readonly implRowOf = new Map<number, { type: string }>();
  private readonly implRows: ImplRow[] = [];
  private implsByTrait: Map<number, number[]> | undefined;
  private implsByType: Map<number, number[]> | undefined;
  private subtypes: Map<number, number[]> | undefined;

  constructor(private readonly host: DispatchHost) {
    this.collect();
  }

  /** Trait → the methods of `impl Trait for …` blocks. */
  implsByTraitMap(): Map<number, number[]> {
    if (!this.implsByTrait) this.resolveImpls();
    return this.implsByTrait!;
  }

  /** Type → the methods of `impl … for Type` blocks. */
  implsByTypeMap(): Map<number, number[]> {
    if (!this.implsByType) this.resolveImpls();
    return this.implsByType!;
  }

  /** Interface / base → the classes (TS, Python) that name it as a base: implementations without implOf rows. */
  subtypesMap(): Map<number, number[]> {
    if (this.subtypes) return this.subtypes;
    const map = new Map<number, number[]>();
    const { cols, inputs } = this.host;
    const n = cols.length;
    for (let id = 0; id < n; id++) {
      const kind = cols.kind[id];
      if (kind !== SymbolKind.class) continue;
      const f = cols.file[id] ?? NONE;
      if (f < 0 || inputs[f]?.language === 'rust') continue;
      for (const b of this.host.basesOf(id)) if (TRAIT_KINDS.has(cols.kind[b] ?? -1)) push(map, b, id);
    }
    this.subtypes = map;
    return map;
  }

  private frag(f: number): FragmentReader {
    return fragmentOf(this.host.inputs, f);
  }

  private text(f: number, frag: FragmentReader, id: number): string | undefined {
    return this.host.names.text(f, frag, id);
  }

  private collect(): void {
    const { inputs, symbolStart } = this.host;
    for (let f = 0; f < inputs.length; f++) {
      const frag = this.frag(f);
      const base = symbolStart[f] ?? 0;
      const ts = inputs[f]?.language !== 'rust'; // TS, JS and Python: types from param / paramType rows
      const paramName = new Map<number, string>(); // TS: (fn row × 64 + position) → parameter name
      let lastCall = -1; // closure facts follow their call's row and argument rows
      for (let r = 0; r < frag.refCount; r++) {
        const kind = frag.ref(r, 'kind');
        const row = frag.ref(r, 'from');
        if (row < 0 || row >= frag.symbolCount) continue;
        const id = base + row;
        switch (kind) {
          case RefKind.declType: {
            let t = this.text(f, frag, frag.ref(r, 'name'));
            const alias = this.text(f, frag, frag.ref(r, 'alias'));
            if (t !== undefined && this.elementFact(id, t, alias, ts)) break;
            // TS locals (`const x: T | null`) arrive as written: one named type or nothing.
            if (ts && t !== undefined) t = fieldAnnotation(`:${t}`)?.replace(/\./g, '::');
            if (t === undefined) break;
            if (alias === undefined) this.declOf.set(id, t);
            else if (t.startsWith('#')) {
              const [k, j] = t.slice(1).split('.').map(Number);
              if (lastCall >= 0 && k !== undefined && j !== undefined) {
                let m = this.closureParams.get(id);
                if (!m) this.closureParams.set(id, (m = new Map<string, ClosureParam>()));
                if (!m.has(alias)) m.set(alias, { row: lastCall, arg: k, param: j });
              }
            } else {
              setIn(this.paramDecl, id, alias, t);
              const pos = frag.ref(r, 'aux');
              if (!ts && pos >= 0 && pos < 64) {
                let list = this.paramAt.get(id);
                if (!list) this.paramAt.set(id, (list = []));
                list[pos] ??= t;
              }
            }
            break;
          }
          case RefKind.typeParam: {
            const name = this.text(f, frag, frag.ref(r, 'name')) ?? '';
            let list = this.typeParams.get(id);
            if (!list) this.typeParams.set(id, (list = []));
            list.push({
              name,
              bounds: this.text(f, frag, frag.ref(r, 'qualifier')),
              pos: frag.ref(r, 'aux'),
            });
            break;
          }
          case RefKind.implOf: {
            const trait = this.text(f, frag, frag.ref(r, 'name')) ?? '';
            const traitQ = this.text(f, frag, frag.ref(r, 'qualifier'));
            const type = this.text(f, frag, frag.ref(r, 'alias')) ?? '';
            this.implRows.push({ f, method: id, trait, type, ...(traitQ ? { traitQ } : {}) });
            this.implRowOf.set(id, { type });
            break;
          }
          case RefKind.call:
          case RefKind.instantiate: {
            if (kind === RefKind.call) lastCall = r;
            const alias = frag.ref(r, 'alias');
            if (alias === NONE) break;
            const use = this.text(f, frag, alias);
            if (use?.startsWith('=') && /^=[A-Za-z_$][\w$]*$/.test(use)) {
              let m = this.assigned.get(id);
              if (!m) this.assigned.set(id, (m = new Map<string, number>()));
              if (!m.has(use.slice(1))) m.set(use.slice(1), r);
            }
            break;
          }
          case RefKind.param:
            if (ts)
              paramName.set(row * 64 + frag.ref(r, 'aux'), this.text(f, frag, frag.ref(r, 'name')) ?? '');
            break;
          case RefKind.paramType:
            if (ts) {
              const p = paramName.get(row * 64 + frag.ref(r, 'aux'));
              const name = this.text(f, frag, frag.ref(r, 'name'));
              const q = this.text(f, frag, frag.ref(r, 'qualifier'));
              if (p && name) setIn(this.paramDecl, id, p, q ? `${q.replace(/\./g, '::')}::${name}` : name);
            }
            break;
          case RefKind.typeRef:
            // TS fields: `store: Store`, `store?: Store<K> | null` (the annotation names the type
            // itself, not `Store[]` or `Map<K, Store>`): this typeRef is the annotation's head.
            // `items: Store[]`: a collection of Store (for `for (const x of this.items)`).
            if (ts && frag.sym(row, 'kind') === SymbolKind.field && !this.fieldElem.has(id)) {
              const sig = this.text(f, frag, frag.sym(row, 'signature')) ?? '';
              const colon = sig.indexOf(':');
              const el =
                colon < 0 ? undefined : elementAnnotation(sig.slice(colon + 1).replace(/=(?!>).*$/s, ''));
              if (el !== undefined) this.fieldElem.set(id, el);
            }
            if (ts && frag.sym(row, 'kind') === SymbolKind.field && !this.declOf.has(id)) {
              const name = this.text(f, frag, frag.ref(r, 'name'));
              const written = name
                ? fieldAnnotation(this.text(f, frag, frag.sym(row, 'signature')) ?? '')
                : undefined;
              const head = written?.replace(/<.*$/, '');
              if (written && (head === name || head?.endsWith(`.${name}`)))
                this.declOf.set(id, written.replace(/\./g, '::'));
            }
            break;
          case RefKind.returnType:
            if (ts && !this.declOf.has(id)) {
              const name = this.text(f, frag, frag.ref(r, 'name'));
              const q = this.text(f, frag, frag.ref(r, 'qualifier'));
              if (name) this.declOf.set(id, q ? `${q.replace(/\./g, '::')}::${name}` : name);
            }
            break;
        }
      }
    }
  }

  /**
   * The loop and collection facts of a declType row: `in:xs` (a loop variable walks xs), `[]T`
   * (Rust: a collection of T), a TS / Python annotation `T[]`, `list[T]` (a local or
   * parameter, with alias; a field without). true when the row was one of them.
   */
  private elementFact(id: number, t: string, alias: string | undefined, ts: boolean): boolean {
    if (alias !== undefined && t.startsWith('in:')) {
      setIn(this.forIn, id, alias, t.slice(3));
      return true;
    }
    const el = t.startsWith('[]') ? t.slice(2) : ts ? elementAnnotation(t) : undefined;
    if (el === undefined) return false;
    if (alias !== undefined) setIn(this.elemDecl, id, alias, el);
    else if (!this.fieldElem.has(id)) this.fieldElem.set(id, el);
    return true;
  }

  private resolveImpls(): void {
    const byTrait = new Map<number, number[]>();
    const byType = new Map<number, number[]>();
    const { cols } = this.host;
    for (const row of this.implRows) {
      const trait = typeNamed(this.host, row.f, row.method, row.trait, row.traitQ);
      if (trait !== undefined && TRAIT_KINDS.has(cols.kind[trait] ?? -1)) push(byTrait, trait, row.method);
      const type = typeNamedPath(this.host, row.f, row.method, row.type);
      if (type !== undefined && TYPE_KINDS.has(cols.kind[type] ?? -1)) push(byType, type, row.method);
    }
    this.implsByTrait = byTrait;
    this.implsByType = byType;
  }
}

function push(map: Map<number, number[]>, k: number, v: number): void {
  const list = map.get(k);
  if (list) list.push(v);
  else map.set(k, [v]);
}

function setIn(map: Map<number, Map<string, string>>, k: number, name: string, v: string): void {
  let m = map.get(k);
  if (!m) map.set(k, (m = new Map<string, string>()));
  if (!m.has(name)) m.set(name, v);
}

/**
 * A TS field signature's annotation as one type text: `readonly a?: ns.Foo<Bar> | null = x` →
 * `ns.Foo<Bar>` (null / undefined alternatives dropped); undefined for other unions, arrays,
 * function, object and literal types.
 */
export function fieldAnnotation(sig: string): string | undefined {
  const at = sig.indexOf(':');
  if (at < 0) return undefined;
  let t = sig.slice(at + 1);
  const eq = t.search(/=(?!>)/);
  if (eq >= 0) t = t.slice(0, eq);
  t = t.replace(/[\s;]/g, '');
  const alts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i <= t.length; i++) {
    const c = t[i];
    if (c === '<' || c === '(' || c === '[' || c === '{') depth++;
    else if (c === '>' || c === ')' || c === ']' || c === '}') depth--;
    else if ((c === '|' && depth === 0) || i === t.length) {
      const alt = t.slice(start, i);
      if (alt && alt !== 'null' && alt !== 'undefined') alts.push(alt);
      start = i + 1;
    }
  }
  const one = alts.length === 1 ? alts[0]! : '';
  return /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*(?:<.*>)?$/.test(one) ? one : undefined;
}

const ELEMENT_OF =
  /^(?:typing\.|collections\.abc\.)?(?:Readonly)?(?:Array|Set|Iterable|IterableIterator|AsyncIterable|Generator|List|list|Sequence|MutableSequence|Iterable|Iterator|set|frozenset|Set|FrozenSet|Collection|AbstractSet|tuple|Tuple|deque|Deque)(?:<(.+)>|\[(.+)\])$/;

/**
 * The element type of a collection annotation as written (TS `Foo[]`, `readonly ns.Foo[]`,
 * `Array<Foo>`, `Set<Foo>`; Python `list[Foo]`, `Sequence[Foo]`, `tuple[Foo, ...]`), as a
 * type text (`ns::Foo`); undefined unless the element is one named type.
 */
export function elementAnnotation(written: string): string | undefined {
  let t = written.replace(/[\s;]/g, '').replace(/^readonly(?=[A-Za-z_$])/, '');
  t = t.replace(/(?:\|(?:null|undefined|None))+$/, '').replace(/^Optional\[(.*)\]$/, '$1');
  let el: string | undefined;
  if (t.endsWith('[]')) el = t.slice(0, -2);
  else {
    const m = ELEMENT_OF.exec(t);
    el = m?.[1] ?? m?.[2];
    if (el !== undefined) {
      const items = el.split(',');
      // `tuple[Foo, ...]` is a sequence of Foo; `Generator<Y, R, N>` yields Y; `tuple[A, B]` is not.
      if (items.length > 1 && !(items.length === 2 && items[1] === '...') && !t.startsWith('Generator'))
        return undefined;
      el = items[0];
    }
  }
  if (el === undefined) return undefined;
  el = el.replace(/^['"](.*)['"]$/, '$1');
  return /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*(?:<[^<>]*>)?$/.test(el)
    ? el.replace(/\./g, '::')
    : undefined;
}
