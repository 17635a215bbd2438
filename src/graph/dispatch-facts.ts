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

/** What a FactTable entry records of a fn or field (its key; its value). */
const enum Fact {
  /** Field → its declared type, fn → its return type (key unused; value a text). */
  decl,
  /** fn → parameter name → declared type text. */
  param,
  /** fn → local name → the ref row of the call whose value it was assigned. */
  assigned,
  /** fn → closure parameter name → index into closures. */
  closure,
  /** fn → parameter position → declared type text (Rust), for closure arguments. */
  paramAt,
}

/**
 * The per-symbol facts in flat arrays instead of a Map per fn (a small Map costs ~200 bytes, and
 * a 100k-file tree has ~700k fns with facts): per symbol the head of a chain of entries, each
 * entry (fact, key, value, next). Keys and text values are texts: a name id (>= 0) or a text
 * the name table lacks (derived, -2 - index). A symbol has few facts, so a walk is short.
 */
class FactTable {
  readonly head: Int32Array;
  private fact: Uint8Array;
  private key: Int32Array;
  private val: Int32Array;
  private next: Int32Array;
  private n = 0;

  /**
   * Sized for three entries per four symbols (the synthetic trees have 0.74): grown from a few
   * thousand entries by doubling, the copies and the fresh pages of each new buffer showed in
   * the profile.
   */
  constructor(symbols: number) {
    this.head = new Int32Array(symbols).fill(-1);
    const cap = Math.max(1024, symbols - (symbols >> 2));
    this.fact = new Uint8Array(cap);
    this.key = new Int32Array(cap);
    this.val = new Int32Array(cap);
    this.next = new Int32Array(cap);
  }

  /** The entry of (sym, fact) with this key (a number, not a text), or -1. */
  find(sym: number, fact: Fact, key: number): number {
    if (sym < 0 || sym >= this.head.length) return -1;
    for (let e = this.head[sym]!; e >= 0; e = this.next[e]!)
      if (this.fact[e] === fact && this.key[e] === key) return e;
    return -1;
  }

  /** The entry of (sym, fact) whose key is the text `name` (texts as textOf reads them), or -1. */
  findText(sym: number, fact: Fact, name: string, textOf: (t: number) => string | undefined): number {
    if (sym < 0 || sym >= this.head.length) return -1;
    for (let e = this.head[sym]!; e >= 0; e = this.next[e]!)
      if (this.fact[e] === fact && textOf(this.key[e]!) === name) return e;
    return -1;
  }

  /** The first decl entry of sym, or -1. */
  decl(sym: number): number {
    if (sym < 0 || sym >= this.head.length) return -1;
    for (let e = this.head[sym]!; e >= 0; e = this.next[e]!) if (this.fact[e] === Fact.decl) return e;
    return -1;
  }

  add(sym: number, fact: Fact, key: number, val: number): void {
    if (sym < 0 || sym >= this.head.length) return;
    if (this.n === this.key.length) this.grow();
    const e = this.n++;
    this.fact[e] = fact;
    this.key[e] = key;
    this.val[e] = val;
    this.next[e] = this.head[sym]!;
    this.head[sym] = e;
  }

  value(e: number): number {
    return this.val[e]!;
  }

  setValue(e: number, v: number): void {
    this.val[e] = v;
  }

  private grow(): void {
    const cap = this.key.length + (this.key.length >> 1);
    const fact = new Uint8Array(cap);
    fact.set(this.fact);
    this.fact = fact;
    for (const k of ['key', 'val', 'next'] as const) {
      const a = new Int32Array(cap);
      a.set(this[k]);
      this[k] = a;
    }
  }
}

export class DispatchFacts {
  readonly typeParams = new Map<number, TypeParamFact[]>();
  /** fn → local name → the element type text of the collection it holds (`xs: Vec<T>` → T). */
  readonly elemDecl = new Map<number, Map<string, string>>();
  /** A field holding a collection → its element type text (`items: Foo[]` → Foo). */
  readonly fieldElem = new Map<number, string>();
  /** fn → loop variable → the iterable it walks, a plain chain (`for x in self.items` → self.items). */
  readonly forIn = new Map<number, Map<string, string>>();
  /** fn → local → the tuple pattern that binds it: `E::A.0`, `Some.0@self.cache` (Rust). */
  readonly patBind = new Map<number, Map<string, string>>();
  /** An impl method → the type its `impl … for Type` names. */
  readonly implRowOf = new Map<number, { type: string }>();
  private readonly implRows: ImplRow[] = [];
  private implsByTrait: Map<number, number[]> | undefined;
  private implsByType: Map<number, number[]> | undefined;
  private subtypes: Map<number, number[]> | undefined;
  private readonly table: FactTable;
  /** Texts the name table lacks (TS annotations rewritten `a.B` → `a::B`, `=x` → `x`): text -2 - i. */
  private readonly derived: string[] = [];
  /** derived's index of a text, while collecting. */
  private derivedIndex: Map<string, number> | undefined = new Map<string, number>();
  private readonly closures: ClosureParam[] = [];

  /**
   * collect false: the facts come file by file through collectFile (the resolver's structure
   * pass calls it right after reading the file's refs itself), then finishCollect.
   */
  constructor(
    private readonly host: DispatchHost,
    collect = true,
  ) {
    this.table = new FactTable(host.symbolStart[host.inputs.length] ?? 0);
    if (!collect) return;
    for (let f = 0; f < host.inputs.length; f++) this.collectFile(f);
    this.finishCollect();
  }

  /** Every file's facts are in: drops what only collecting needed. */
  finishCollect(): void {
    this.derivedIndex = undefined;
  }

  /** Field → its declared type; fn → its return type (declType text). */
  declOf(id: number): string | undefined {
    const e = this.table.decl(id);
    return e < 0 ? undefined : this.textOf(this.table.value(e));
  }

  /** The declared type text of parameter `name` of fn `fn`. */
  paramDecl(fn: number, name: string): string | undefined {
    const e = this.table.findText(fn, Fact.param, name, this.textOf);
    return e < 0 ? undefined : this.textOf(this.table.value(e));
  }

  /** The ref row (in fn's file) of the call whose value local `name` of fn `fn` was assigned. */
  assigned(fn: number, name: string): number | undefined {
    const e = this.table.findText(fn, Fact.assigned, name, this.textOf);
    return e < 0 ? undefined : this.table.value(e);
  }

  /** Closure parameter `name` of fn `fn`: the call it is passed to and its positions (`#k.j` facts). */
  closureParam(fn: number, name: string): ClosureParam | undefined {
    const e = this.table.findText(fn, Fact.closure, name, this.textOf);
    return e < 0 ? undefined : this.closures[this.table.value(e)];
  }

  /** The declared type text of fn's parameter at position `pos` (Rust). */
  paramAt(fn: number, pos: number): string | undefined {
    const e = this.table.find(fn, Fact.paramAt, pos);
    return e < 0 ? undefined : this.textOf(this.table.value(e));
  }

  /** A text id's text (an arrow: FactTable walks call it). */
  private readonly textOf = (t: number): string | undefined =>
    t >= 0 ? this.host.names.list[t] : this.derived[-2 - t];

  /** The text id of s: its name id when the table has it, else a derived one. */
  private textId(s: string): number {
    const id = this.host.names.lookup(s);
    if (id !== NONE) return id;
    let i = this.derivedIndex?.get(s);
    if (i === undefined) {
      i = this.derived.length;
      this.derived.push(s);
      this.derivedIndex?.set(s, i);
    }
    return -2 - i;
  }

  private setDecl(id: number, t: number): void {
    const e = this.table.decl(id);
    if (e >= 0) this.table.setValue(e, t);
    else this.table.add(id, Fact.decl, NONE, t);
  }

  /** fn's entry of this fact whose key is the text `key` (a text id), or -1. */
  private keyed(fn: number, fact: Fact, key: number): number {
    // By text: a text derived early may be interned later under a name id of its own.
    const name = this.textOf(key);
    return name === undefined ? -1 : this.table.findText(fn, fact, name, this.textOf);
  }

  /** Adds (fn, fact, key text) → value unless fn has that key already (the first one stays). */
  private addFirst(fn: number, fact: Fact, key: number, val: number): void {
    if (this.keyed(fn, fact, key) < 0) this.table.add(fn, fact, key, val);
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

  /** File f's facts; files in order, each once. */
  collectFile(f: number): void {
    const { inputs, symbolStart, names } = this.host;
    const frag = this.frag(f);
    const base = symbolStart[f] ?? 0;
    const ts = inputs[f]?.language !== 'rust'; // TS, JS and Python: types from param / paramType rows
    const paramName = new Map<number, number>(); // TS: (fn row × 64 + position) → parameter name id
    let lastCall = -1; // closure facts follow their call's row and argument rows
    // Reference columns read straight from the fragment's words.
    const w = frag.words;
    const kindAt = frag.refColumnAt('kind');
    const fromAt = frag.refColumnAt('from');
    const nameAt = frag.refColumnAt('name');
    const qualifierAt = frag.refColumnAt('qualifier');
    const aliasAt = frag.refColumnAt('alias');
    const auxAt = frag.refColumnAt('aux');
    const symKindAt = frag.symColumnAt('kind');
    const text = (local: number): string | undefined => names.text(f, frag, local);
    // Call rows feed only facts the file's own uses pass reads (assigned locals, closures).
    const local = this.host.usesFiles === undefined || this.host.usesFiles[f] === 1;
    for (let r = 0; r < frag.refCount; r++) {
      const kind = w[kindAt + r]!;
      if (kind === RefKind.import || kind === RefKind.read || kind === RefKind.write) continue;
      if (!local && (kind === RefKind.call || kind === RefKind.instantiate)) continue;
      const row = w[fromAt + r]!;
      if (row < 0 || row >= frag.symbolCount) continue;
      const id = base + row;
      switch (kind) {
        case RefKind.declType: {
          const nameId = names.id(f, frag, w[nameAt + r]!);
          const aliasId = names.id(f, frag, w[aliasAt + r]!);
          // Loop and collection facts (`in:xs`, `[]T`, `xs: T[]`) are kept apart from the types.
          if (nameId !== NONE) {
            const alias = aliasId === NONE ? undefined : names.list[aliasId];
            if (this.elementFact(id, names.list[nameId]!, alias, ts)) break;
          }
          let tid = nameId;
          if (ts && nameId !== NONE) {
            // TS locals (`const x: T | null`) arrive as written: one named type or nothing.
            const t = fieldAnnotation(`:${names.list[nameId]!}`)?.replace(/\./g, '::');
            tid = t === undefined ? NONE : this.textId(t);
          }
          if (tid === NONE) break;
          const t = this.textOf(tid)!;
          if (aliasId === NONE) this.setDecl(id, tid);
          else if (t.startsWith('#')) {
            const [k, j] = t.slice(1).split('.').map(Number);
            if (
              lastCall >= 0 &&
              k !== undefined &&
              j !== undefined &&
              this.keyed(id, Fact.closure, aliasId) < 0
            ) {
              this.table.add(id, Fact.closure, aliasId, this.closures.length);
              this.closures.push({ row: lastCall, arg: k, param: j });
            }
          } else {
            if (this.keyed(id, Fact.param, aliasId) < 0) this.table.add(id, Fact.param, aliasId, tid);
            const pos = w[auxAt + r]!;
            if (!ts && pos >= 0 && pos < 64 && this.table.find(id, Fact.paramAt, pos) < 0)
              this.table.add(id, Fact.paramAt, pos, tid);
          }
          break;
        }
        case RefKind.typeParam: {
          const name = text(w[nameAt + r]!) ?? '';
          let list = this.typeParams.get(id);
          if (!list) this.typeParams.set(id, (list = []));
          list.push({
            name,
            bounds: text(w[qualifierAt + r]!),
            pos: w[auxAt + r]!,
          });
          break;
        }
        case RefKind.implOf: {
          const trait = text(w[nameAt + r]!) ?? '';
          const traitQ = text(w[qualifierAt + r]!);
          const type = text(w[aliasAt + r]!) ?? '';
          this.implRows.push({ f, method: id, trait, type, ...(traitQ ? { traitQ } : {}) });
          this.implRowOf.set(id, { type });
          break;
        }
        case RefKind.call:
        case RefKind.instantiate: {
          if (kind === RefKind.call) lastCall = r;
          const alias = w[aliasAt + r]!;
          if (alias === NONE) break;
          const use = text(alias);
          if (use?.startsWith('=') && /^=[A-Za-z_$][\w$]*$/.test(use))
            this.addFirst(id, Fact.assigned, this.textId(use.slice(1)), r);
          break;
        }
        case RefKind.param:
          if (ts) {
            const nameId = names.id(f, frag, w[nameAt + r]!);
            paramName.set(row * 64 + w[auxAt + r]!, nameId === NONE ? this.textId('') : nameId);
          }
          break;
        case RefKind.paramType:
          if (ts) {
            const p = paramName.get(row * 64 + w[auxAt + r]!);
            const name = text(w[nameAt + r]!);
            const q = text(w[qualifierAt + r]!);
            if (p !== undefined && this.textOf(p) && name)
              this.addFirst(id, Fact.param, p, this.textId(q ? `${q.replace(/\./g, '::')}::${name}` : name));
          }
          break;
        case RefKind.typeRef:
          // TS fields: `store: Store`, `store?: Store<K> | null` (the annotation names the type
          // itself, not `Store[]` or `Map<K, Store>`): this typeRef is the annotation's head.
          // `items: Store[]`: a collection of Store (for `for (const x of this.items)`).
          if (ts && w[symKindAt + row] === SymbolKind.field && !this.fieldElem.has(id)) {
            const sig = text(frag.sym(row, 'signature')) ?? '';
            const colon = sig.indexOf(':');
            const el =
              colon < 0 ? undefined : elementAnnotation(sig.slice(colon + 1).replace(/=(?!>).*$/s, ''));
            if (el !== undefined) this.fieldElem.set(id, el);
          }
          if (ts && w[symKindAt + row] === SymbolKind.field && this.table.decl(id) < 0) {
            const name = text(w[nameAt + r]!);
            const written = name ? fieldAnnotation(text(frag.sym(row, 'signature')) ?? '') : undefined;
            const head = written?.replace(/<.*$/, '');
            if (written && (head === name || head?.endsWith(`.${name}`)))
              this.setDecl(id, this.textId(written.replace(/\./g, '::')));
          }
          break;
        case RefKind.returnType:
          if (ts && this.table.decl(id) < 0) {
            const name = text(w[nameAt + r]!);
            const q = text(w[qualifierAt + r]!);
            if (name) this.setDecl(id, this.textId(q ? `${q.replace(/\./g, '::')}::${name}` : name));
          }
          break;
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
    if (alias !== undefined && t.startsWith('pat:')) {
      setIn(this.patBind, id, alias, t.slice(4));
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

function setIn(map: Map<number, Map<string, string>>, k: number, name: string, v: string): void {
  let m = map.get(k);
  if (!m) map.set(k, (m = new Map<string, string>()));
  if (!m.has(name)) m.set(name, v);
}

function push(map: Map<number, number[]>, k: number, v: number): void {
  const list = map.get(k);
  if (list) list.push(v);
  else map.set(k, [v]);
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
