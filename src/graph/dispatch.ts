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

export class Dispatcher {
  private facts: DispatchFacts | undefined;
  private chain: ChainTyper | undefined;
  private readonly receiverMemo = new Map<string, TypeValue | null>();
  /** (file, local name) → the type it is named after, -1: none. */
  private readonly namedMemo = new Map<string, number>();
  /** Counts for benchmarks: calls typed to a concrete type, to a trait, impl edges added, fan-outs capped. */
  readonly stats = { typed: 0, traitCalls: 0, implEdges: 0, capped: 0, named: 0 };

  constructor(private readonly host: DispatchHost) {}

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
  ): DispatchTarget[] | undefined {
    if (!name) return undefined;
    // The facts are read at the first call: the resolver's tables are complete by then.
    this.facts ??= new DispatchFacts(this.host);
    this.chain ??= new ChainTyper(this.host, this.facts);
    if ((!t || t.conf <= Confidence.uniqueName) && qualifier) {
      const typed = this.receiverTargets(this.facts, this.chain, f, from, name, qualifier, row);
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
    if (qualifier && isTypePath(qualifier.replace(/::$/, ''))) {
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
  ): DispatchTarget[] | undefined {
    const q = qualifier.replace(/::$/, '');
    if (q === 'self' || q === 'this' || q === 'Self' || q === 'super') return undefined;
    if (!this.mayType(facts, f, from, q)) return this.namedReceiver(chain, f, from, name, q);
    // One function's calls repeat their receivers (`self.inner.x()`, `self.inner.y()`).
    const key = `${from}\u0000${q}`;
    let recv = this.receiverMemo.get(key);
    if (recv === undefined) {
      recv = chain.evalChain(f, from, q, 0) ?? null;
      this.receiverMemo.set(key, recv);
    }
    if (!recv) {
      // A closure parameter the callee does not type (`opt.map(|local| local.collector())`):
      // as before closures were typed, a name of a type in scope.
      if (this.closureParamIn(facts, f, from, q)) return this.namedReceiver(chain, f, from, name, q);
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
  ): DispatchTarget[] | undefined {
    if (!/^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/.test(q) || q.length < 3) return undefined;
    // Memoised per file: the same local names recur in every function of a file.
    const key = `${f}\u0000${q}`;
    let type = this.namedMemo.get(key);
    if (type === undefined) {
      const typeName = q.replace(/(?:^|_)([a-z0-9])/g, (_, c: string) => c.toUpperCase());
      const t = typeNamed(this.host, f, from, typeName, undefined);
      type = t !== undefined && TYPE_KINDS.has(this.host.cols.kind[t] ?? -1) ? t : -1;
      this.namedMemo.set(key, type);
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
    const head = /^[A-Za-z_$][\w$]*/.exec(q)?.[0];
    if (!head) return false;
    if (head === 'self' || head === 'this' || /^[A-Z]/.test(head) || q.startsWith(`${head}::`)) return true;
    const { cols } = this.host;
    const base = this.host.symbolStart[f] ?? 0;
    for (let s = from; s > base && s >= 0; s = cols.parent[s] ?? base) {
      if (facts.paramDecl.get(s)?.has(head) || facts.assigned.get(s)?.has(head)) return true;
      if (facts.closureParams.get(s)?.has(head) || facts.forIn.get(s)?.has(head)) return true;
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
      if (facts.closureParams.get(s)?.has(q) || facts.forIn.get(s)?.has(q)) return true;
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

/** `Trait`, `de::Deserialize`, `T`: a path whose last segment names a type (UFCS), not a value chain. */
function isTypePath(q: string): boolean {
  return /^(?:[A-Za-z_]\w*::)*[A-Z]\w*$/.test(q);
}
