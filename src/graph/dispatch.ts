// Call resolution through declared types and trait / interface dispatch, the part resolve.ts
// calls for each call: types the call's receiver (dispatch-chain.ts, from the facts of
// dispatch-facts.ts), maps a call on a trait-typed receiver (bound `T: Trait`, `dyn` / `impl
// Trait`, an interface) to the trait's method and, when few enough, to its implementations;
// last, a receiver named after a type in scope (`state` for `State`). Coordinator thread (merge).

import { Confidence } from './graph.js';
import { ChainTyper } from './dispatch-chain.js';
import { DispatchFacts } from './dispatch-facts.js';
import {
  TRAIT_KINDS,
  TYPE_KINDS,
  typeNamed,
  type DispatchHost,
  type DispatchTarget,
  type TypeValue,
} from './dispatch-types.js';
import { NONE, RefKind, SymbolFlag, SymbolKind } from '../protocol.js';

export type { DispatchHost, DispatchTarget } from './dispatch-types.js';

/**
 * At most this many implementations get an edge from one dispatched call. Past it the call
 * keeps only its edge to the trait's declaration: a trait implemented by many types says
 * little about which one runs (and `Iterator::next`-like traits would make cliques).
 */
export const MAX_DISPATCH_IMPLS = 4;

/** A receiver memo's mark for a receiver whose head nothing declares (see mayType). */
const UNTYPABLE = 0;

export class Dispatcher {
  private facts: DispatchFacts | undefined;
  private chain: ChainTyper | undefined;
  /**
   * The memos below hold one file's entries (their keys name a symbol or a local of the file
   * being resolved, and the resolver resolves a file's refs together): cleared when the file
   * changes, so they stay the size of one file. Keys are numbers: (fn row in the file, the
   * receiver's name id) packed; a receiver text the name table lacks goes by its text.
   */
  private memoFile = -1;
  /** (fn, receiver) → its type, null: none, UNTYPABLE: a head no declaration types (mayType). */
  private readonly receiverMemo = new Map<number, TypeValue | null | typeof UNTYPABLE>();
  private readonly receiverTextMemo = new Map<string, TypeValue | null | typeof UNTYPABLE>();
  /** Local name → the type it is named after, -1: none. */
  private readonly namedMemo = new Map<number, number>();
  private readonly namedTextMemo = new Map<string, number>();
  /** Counts for benchmarks: calls typed to a concrete type, to a trait, impl edges added, fan-outs capped. */
  readonly stats = { typed: 0, traitCalls: 0, implEdges: 0, capped: 0, named: 0 };

  constructor(private readonly host: DispatchHost) {}

  /**
   * Gathers file f's type facts. The resolver calls it for every file in order during its
   * structure pass, right after that pass read the file's refs (so they are read while still in
   * the cache, not in a pass of their own over every fragment), then finishFacts.
   */
  collectFacts(f: number): void {
    (this.facts ??= new DispatchFacts(this.host, false)).collectFile(f);
  }

  finishFacts(): void {
    this.facts?.finishCollect();
  }

  /**
   * Extra or better targets for a call: a typed receiver's method (replacing a weak
   * by-name guess), or a trait method's implementations next to the declaration `t`.
   * undefined: nothing to add, keep `t`.
   */
  call(
    f: number,
    from: number,
    name: string,
    qualifier: string | undefined,
    t: DispatchTarget | undefined,
    row = -1,
    qualifierId = NONE,
  ): DispatchTarget[] | undefined {
    if (!name) return undefined;
    // The facts are read at the first call: the resolver's tables are complete by then.
    this.facts ??= new DispatchFacts(this.host);
    this.chain ??= new ChainTyper(this.host, this.facts);
    if (f !== this.memoFile) {
      this.memoFile = f;
      // Only the memos in use: clear() gives even an empty Map a new table (it was most of
      // this function's own time, once per file).
      if (this.receiverMemo.size) this.receiverMemo.clear();
      if (this.receiverTextMemo.size) this.receiverTextMemo.clear();
      if (this.namedMemo.size) this.namedMemo.clear();
      if (this.namedTextMemo.size) this.namedTextMemo.clear();
      this.chain.clearMemo();
    }
    if ((!t || t.conf <= Confidence.uniqueName) && qualifier) {
      const typed = this.receiverTargets(this.facts, this.chain, f, from, name, qualifier, row, qualifierId);
      if (typed?.length) {
        // The same target by a unique name keeps the better of the two confidences.
        if (t && typed[0]!.id === t.id && typed[0]!.conf < t.conf) typed[0] = t;
        return typed;
      }
    }
    if (!t) return undefined;
    const { cols } = this.host;
    const parent = cols.parent[t.id] ?? NONE;
    if (cols.kind[t.id] !== SymbolKind.method || !TRAIT_KINDS.has(cols.kind[parent] ?? -1)) return undefined;
    if (qualifier && isTypePath(trimColons(qualifier))) {
      const own = this.ufcsImpl(this.facts, this.chain, f, from, row, parent, name);
      if (own) return [t, own];
    }
    const impls = this.implementations(this.facts, parent, name);
    if (!impls.length) return undefined;
    return [t, ...impls];
  }

  private receiverTargets(
    facts: DispatchFacts,
    chain: ChainTyper,
    f: number,
    from: number,
    name: string,
    qualifier: string,
    row: number,
    qualifierId: number,
  ): DispatchTarget[] | undefined {
    const q = trimColons(qualifier);
    if (q === 'self' || q === 'this' || q === 'Self' || q === 'super') return undefined;
    // The name id of q: the qualifier's own, or (`a::b::`) that of its text without the `::`.
    const qid = q === qualifier && qualifierId !== NONE ? qualifierId : this.host.names.lookup(q);
    // One function's calls repeat their receivers (`self.inner.x()`, `self.inner.y()`).
    const rel = from - (this.host.symbolStart[f] ?? 0);
    const key = rel * 4294967296 + qid;
    let recv = qid === NONE ? this.receiverTextMemo.get(`${rel}\u0000${q}`) : this.receiverMemo.get(key);
    if (recv === undefined) {
      recv = this.mayType(facts, f, from, q) ? (chain.evalChain(f, from, q, 0) ?? null) : UNTYPABLE;
      if (qid === NONE) this.receiverTextMemo.set(`${rel}\u0000${q}`, recv);
      else this.receiverMemo.set(key, recv);
    }
    if (recv === UNTYPABLE) return this.namedReceiver(chain, f, from, name, q, qid);
    if (!recv) {
      // A closure parameter the callee does not type (`opt.map(|local| local.collector())`):
      // as before closures were typed, a name of a type in scope.
      if (this.closureParamIn(facts, f, from, q)) return this.namedReceiver(chain, f, from, name, q, qid);
      return undefined;
    }
    if (recv.traits === undefined) {
      const m = chain.findMethod(recv.id, name);
      if (m === undefined) return undefined;
      this.stats.typed++;
      return [{ id: m, conf: Confidence.inferred }];
    }
    if (recv.traits.length === 1 && isTypePath(q)) {
      const decl = chain.traitMember(recv.traits[0]!, name);
      const own = this.ufcsImpl(facts, chain, f, from, row, recv.traits[0]!, name);
      if (own) return decl === undefined ? [own] : [{ id: decl, conf: Confidence.dispatch }, own];
    }
    const out: DispatchTarget[] = [];
    for (const trait of recv.traits) {
      const decl = chain.traitMember(trait, name);
      if (decl === undefined) continue;
      out.push({ id: decl, conf: Confidence.dispatch });
      out.push(...this.implementations(facts, trait, name));
    }
    if (out.length) this.stats.traitCalls++;
    return out.length ? out : undefined;
  }

  /**
   * `Trait::method(&mut x)` (UFCS) with x of a concrete type that implements the trait: that
   * impl's method (at the typed-receiver confidence), to stand next to the trait's declaration
   * instead of every implementation. undefined when x is untyped or its type has no impl of it.
   */
  private ufcsImpl(
    facts: DispatchFacts,
    chain: ChainTyper,
    f: number,
    from: number,
    row: number,
    trait: number,
    name: string,
  ): DispatchTarget | undefined {
    const frag = this.host.inputs[f]?.fragment;
    if (!frag || row < 0 || row + 1 >= frag.refCount) return undefined;
    // Argument rows follow their call row directly (protocol.ts): the first, if it names a value.
    if (frag.ref(row + 1, 'kind') !== RefKind.argument || frag.ref(row + 1, 'aux') !== 0) return undefined;
    const arg = this.host.names.text(f, frag, frag.ref(row + 1, 'name'));
    const argQ = this.host.names.text(f, frag, frag.ref(row + 1, 'qualifier'));
    if (!arg) return undefined;
    const value = chain.evalChain(f, from, argQ ? `${argQ}.${arg}` : arg, 0);
    if (!value || value.traits !== undefined) return undefined;
    const own = facts.implsByTypeMap().get(value.id) ?? [];
    for (const m of facts.implsByTraitMap().get(trait) ?? []) {
      if (!own.includes(m) || this.host.str(this.host.cols.name[m] ?? NONE) !== name) continue;
      // Only a method taking `self` is chosen by its first argument (`Deserialize::deserialize(de)`
      // is chosen by the caller's T, and de is a Deserializer).
      if ((this.host.cols.flags[m] ?? 0) & SymbolFlag.static) return undefined;
      this.stats.typed++;
      return { id: m, conf: Confidence.inferred };
    }
    return undefined;
  }

  /**
   * A receiver with no declared type named after a type in scope (`state.enter()` in a
   * closure `|state|` with `State` in the file, `entered.current()`): that type's method, at
   * a confidence below a project-unique name. Only a plain snake_case name of a struct / class
   * / enum that the file defines or imports, and only when that type has the method.
   */
  private namedReceiver(
    chain: ChainTyper,
    f: number,
    from: number,
    name: string,
    q: string,
    qid: number,
  ): DispatchTarget[] | undefined {
    // Memoised per file: the same local names recur in every function of a file.
    let type = qid === NONE ? this.namedTextMemo.get(q) : this.namedMemo.get(qid);
    if (type === undefined) {
      type = -1;
      if (q.length >= 3 && /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/.test(q)) {
        const typeName = q.replace(/(?:^|_)([a-z0-9])/g, (_, c: string) => c.toUpperCase());
        const t = typeNamed(this.host, f, from, typeName, undefined);
        if (t !== undefined && TYPE_KINDS.has(this.host.cols.kind[t] ?? -1)) type = t;
      }
      if (qid === NONE) this.namedTextMemo.set(q, type);
      else this.namedMemo.set(qid, type);
    }
    if (type < 0) return undefined;
    const m = chain.findMethod(type, name);
    if (m === undefined) return undefined;
    this.stats.named++;
    return [{ id: m, conf: Confidence.namedReceiver }];
  }

  /**
   * Whether the receiver's head can have a type at all: self / this, a type path, or a name
   * the enclosing fn declares or assigns (most unresolved calls are on other locals).
   */
  private mayType(facts: DispatchFacts, f: number, from: number, q: string): boolean {
    const end = identEnd(q);
    if (end === 0) return false;
    const c0 = q.charCodeAt(0);
    // A capitalised head or a path `a::…`.
    if ((c0 >= 65 && c0 <= 90) || (q.charCodeAt(end) === 58 && q.charCodeAt(end + 1) === 58)) return true;
    const head = end === q.length ? q : q.slice(0, end);
    if (head === 'self' || head === 'this') return true;
    const { cols } = this.host;
    const base = this.host.symbolStart[f] ?? 0;
    for (let s = from; s > base && s >= 0; s = cols.parent[s] ?? base) {
      if (facts.paramDecl(s, head) !== undefined || facts.assigned(s, head) !== undefined) return true;
      if (facts.closureParam(s, head) || facts.forIn.get(s)?.has(head) || facts.patBind.get(s)?.has(head))
        return true;
      const kind = cols.kind[s];
      if (kind !== SymbolKind.function && kind !== SymbolKind.method) break;
    }
    return false;
  }

  /** Whether `q` is a closure parameter or a loop variable of fn `from` (or of a fn it is nested in). */
  private closureParamIn(facts: DispatchFacts, f: number, from: number, q: string): boolean {
    const { cols } = this.host;
    const base = this.host.symbolStart[f] ?? 0;
    for (let s = from; s > base && s >= 0; s = cols.parent[s] ?? base) {
      const kind = cols.kind[s];
      if (kind !== SymbolKind.function && kind !== SymbolKind.method) break;
      if (facts.closureParam(s, q) || facts.forIn.get(s)?.has(q)) return true;
    }
    return false;
  }

  /** The trait's implementations of method `name`, or none past MAX_DISPATCH_IMPLS. */
  private implementations(facts: DispatchFacts, trait: number, name: string): DispatchTarget[] {
    const { cols } = this.host;
    const out: DispatchTarget[] = [];
    for (const m of facts.implsByTraitMap().get(trait) ?? [])
      if (this.host.str(cols.name[m] ?? NONE) === name) out.push({ id: m, conf: Confidence.dispatchImpl });
    // TS / Python: classes that implement or extend the interface, with their own method.
    for (const sub of facts.subtypesMap().get(trait) ?? []) {
      const m = this.host.memberOf(sub, name);
      if (m !== undefined && cols.parent[m] === sub) out.push({ id: m, conf: Confidence.dispatchImpl });
    }
    if (out.length > MAX_DISPATCH_IMPLS) {
      this.stats.capped++;
      return [];
    }
    this.stats.implEdges += out.length;
    return out;
  }
}

/** A qualifier without one trailing `::` (as .replace(/::$/, '')). */
function trimColons(q: string): string {
  return q.endsWith('::') ? q.slice(0, -2) : q;
}

/** The length of q's leading identifier (`[A-Za-z_$][\w$]*`), 0 when it starts with none. */
function identEnd(q: string): number {
  let i = 0;
  for (; i < q.length; i++) {
    const c = q.charCodeAt(i);
    const alpha = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36;
    if (!alpha && !(i > 0 && c >= 48 && c <= 57)) break;
  }
  return i;
}

/** `Trait`, `de::Deserialize`, `T`: a path whose last segment names a type (UFCS), not a value chain. */
function isTypePath(q: string): boolean {
  return /^(?:[A-Za-z_]\w*::)*[A-Z]\w*$/.test(q);
}
