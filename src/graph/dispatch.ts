// Call resolution through declared types and trait / interface dispatch: types a call's
// receiver from facts each fragment recorded from its own file (Rust declType: field,
// parameter and return types; typeParam: generic bounds and positions; implOf: trait impl
// methods; TS / JS / Python param, paramType, returnType rows and field annotations; any
// language's `x = call()` values), walks `self.a.b().c` step by step, and maps a call on a
// trait-typed receiver (bound `T: Trait`, `dyn` / `impl Trait`, an interface) to the trait's
// method and, when few enough, to its implementations. Last, a receiver named after a type
// in scope (`state` for `State`). Coordinator thread, called by resolve.ts for each call.

import type { FragmentReader } from './fragment.js';
import { Confidence } from './graph.js';
import type { MergeInput, NameTable, SymbolColumns } from './merge.js';
import { NONE, RefKind, SymbolKind } from '../protocol.js';

/**
 * At most this many implementations get an edge from one dispatched call. Past it the call
 * keeps only its edge to the trait's declaration: a trait implemented by many types says
 * little about which one runs (and `Iterator::next`-like traits would make cliques).
 */
export const MAX_DISPATCH_IMPLS = 4;

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
}

export interface DispatchTarget {
  id: number;
  conf: number;
}

interface TypeParamFact {
  name: string;
  bounds: string | undefined;
  pos: number;
}

/** Where generic arguments were written, so they resolve in their own file and scope. */
interface ArgContext {
  texts: readonly string[];
  f: number;
  scope: number;
}

type TypeValue = { id: number; args: ArgContext | undefined; traits?: undefined } | { traits: number[] };

const TRAIT_KINDS = new Set<number>([SymbolKind.trait, SymbolKind.interface]);
const TYPE_KINDS = new Set<number>([SymbolKind.class, SymbolKind.struct, SymbolKind.enum]);
const WRAPPERS = new Set(['Box', 'Arc', 'Rc', 'Pin']);
const MAX_DEPTH = 12;

export class Dispatcher {
  private collected = false;
  /** Field → its type; fn → its return type (declType text). */
  private readonly declOf = new Map<number, string>();
  /** fn → parameter name → declared type text. */
  private readonly paramDecl = new Map<number, Map<string, string>>();
  private readonly typeParams = new Map<number, TypeParamFact[]>();
  /** fn → local name → the call row (file, row) whose value it was assigned. */
  private readonly assigned = new Map<number, Map<string, number>>();
  private readonly implRows: { f: number; method: number; trait: string; traitQ?: string; type: string }[] =
    [];
  private readonly implRowOf = new Map<number, { type: string }>();
  private implsByTrait: Map<number, number[]> | undefined;
  private implsByType: Map<number, number[]> | undefined;
  private subtypes: Map<number, number[]> | undefined;
  private readonly callMemo = new Map<string, TypeValue | null>();
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
  ): DispatchTarget[] | undefined {
    if (!name) return undefined;
    this.collect();
    if ((!t || t.conf <= Confidence.uniqueName) && qualifier) {
      const typed = this.receiverTargets(f, from, name, qualifier);
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
    const impls = this.implementations(parent, name);
    if (!impls.length) return undefined;
    return [t, ...impls];
  }

  // ------------------------------------------------------------------ receivers

  private receiverTargets(
    f: number,
    from: number,
    name: string,
    qualifier: string,
  ): DispatchTarget[] | undefined {
    const q = qualifier.replace(/::$/, '');
    if (q === 'self' || q === 'this' || q === 'Self' || q === 'super') return undefined;
    if (!this.mayType(f, from, q)) return this.namedReceiver(f, from, name, q);
    // One function's calls repeat their receivers (`self.inner.x()`, `self.inner.y()`).
    const key = `${from}\u0000${q}`;
    let recv = this.receiverMemo.get(key);
    if (recv === undefined) {
      recv = this.evalChain(f, from, q, 0) ?? null;
      this.receiverMemo.set(key, recv);
    }
    if (!recv) return undefined;
    if (recv.traits === undefined) {
      const m = this.findMethod(recv.id, name);
      if (m === undefined) return undefined;
      this.stats.typed++;
      return [{ id: m, conf: Confidence.inferred }];
    }
    const out: DispatchTarget[] = [];
    for (const trait of recv.traits) {
      const decl = this.host.memberOf(trait, name);
      if (decl === undefined) continue;
      out.push({ id: decl, conf: Confidence.dispatch });
      out.push(...this.implementations(trait, name));
    }
    if (out.length) this.stats.traitCalls++;
    return out.length ? out : undefined;
  }

  /**
   * A receiver with no declared type named after a type in scope (`state.enter()` in a
   * closure `|state|` with `State` in the file, `entered.current()`): that type's method, at
   * a confidence below a project-unique name. Only a plain snake_case name of a struct / class
   * / enum that the file defines or imports, and only when that type has the method.
   */
  private namedReceiver(f: number, from: number, name: string, q: string): DispatchTarget[] | undefined {
    if (!/^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/.test(q) || q.length < 3) return undefined;
    // Memoised per file: the same local names recur in every function of a file.
    const key = `${f}\u0000${q}`;
    let type = this.namedMemo.get(key);
    if (type === undefined) {
      const typeName = q.replace(/(?:^|_)([a-z0-9])/g, (_, c: string) => c.toUpperCase());
      const t = this.typeNamed(f, from, typeName, undefined);
      type = t !== undefined && TYPE_KINDS.has(this.host.cols.kind[t] ?? -1) ? t : -1;
      this.namedMemo.set(key, type);
    }
    if (type < 0) return undefined;
    const m = this.findMethod(type, name);
    if (m === undefined) return undefined;
    this.stats.named++;
    return [{ id: m, conf: Confidence.namedReceiver }];
  }

  /**
   * Whether the receiver's head can have a type at all: self / this, a type path, or a name
   * the enclosing fn declares or assigns (most unresolved calls are on other locals).
   */
  private mayType(f: number, from: number, q: string): boolean {
    const head = /^[A-Za-z_$][\w$]*/.exec(q)?.[0];
    if (!head) return false;
    if (head === 'self' || head === 'this' || /^[A-Z]/.test(head) || q.startsWith(`${head}::`)) return true;
    const { cols } = this.host;
    const base = this.host.symbolStart[f] ?? 0;
    for (let s = from; s > base && s >= 0; s = cols.parent[s] ?? base) {
      if (this.paramDecl.get(s)?.has(head) || this.assigned.get(s)?.has(head)) return true;
      const kind = cols.kind[s];
      if (kind !== SymbolKind.function && kind !== SymbolKind.method) break;
    }
    return false;
  }

  /** The trait's implementations of method `name`, or none past MAX_DISPATCH_IMPLS. */
  private implementations(trait: number, name: string): DispatchTarget[] {
    const { cols } = this.host;
    const out: DispatchTarget[] = [];
    for (const m of this.implsByTraitMap().get(trait) ?? [])
      if (this.symName(m) === name) out.push({ id: m, conf: Confidence.dispatchImpl });
    // TS / Python: classes that implement or extend the interface, with their own method.
    for (const sub of this.subtypesMap().get(trait) ?? []) {
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

  /** The type of a receiver expression `a.b().c` (head, then fields and method calls). */
  private evalChain(f: number, from: number, expr: string, depth: number): TypeValue | undefined {
    const steps = splitChain(expr);
    if (!steps?.length || depth > MAX_DEPTH) return undefined;
    const head = steps[0]!;
    let cur: TypeValue | undefined;
    let i = 1;
    if (head.name === 'self' || head.name === 'this') {
      // In `impl Trait for a::Type` the implOf row names the type (its methods' qualified
      // names may equal the trait's when both are called `Semaphore`).
      const type = this.implSelf(f, from) ?? this.host.enclosingType(f, from);
      if (type === undefined) return undefined;
      cur = TRAIT_KINDS.has(this.host.cols.kind[type] ?? -1)
        ? { traits: [type] }
        : { id: type, args: undefined };
    } else if (head.name.includes('::')) {
      // `Type::new()`, `a::Type::from(x)`: an associated fn of a type path; `a::Type` alone: the type.
      const segs = head.name.split('::');
      if (head.call) {
        const fn = segs.pop() ?? '';
        const type = this.typeOfPath(f, from, segs);
        cur = type ? this.methodStep(type, fn, f, from, depth) : undefined;
      } else cur = this.typeOfPath(f, from, segs);
    } else if (!head.call) {
      cur = this.localType(f, from, head.name, depth);
      // `Type.create()` (TS statics), `Type::new()` written as qualifier `Type`.
      if (!cur && /^[A-Z]/.test(head.name)) cur = this.typeOfPath(f, from, [head.name]);
    } else return undefined;
    for (; cur && i < steps.length; i++) {
      const s = steps[i]!;
      cur = s.call
        ? this.methodStep(cur, s.name, f, from, depth)
        : this.fieldStep(cur, s.name, f, from, depth);
    }
    return cur;
  }

  /**
   * A type (or fn) named in file f as seen from `from`, through scopes and imports only: a
   * project-unique name elsewhere (`Write` when one crate defines a trait of that name) is no
   * evidence of what a declared type means.
   */
  private typeNamed(
    f: number,
    from: number,
    name: string,
    qualifier: string | undefined,
  ): number | undefined {
    const t = this.host.resolveType(f, from, name, qualifier);
    return t && t.conf > Confidence.uniqueName ? t.id : undefined;
  }

  private implSelf(f: number, from: number): number | undefined {
    const { cols } = this.host;
    const base = this.host.symbolStart[f] ?? 0;
    for (let s = from; s > base && s >= 0; s = cols.parent[s] ?? base) {
      const row = this.implRowOf.get(s);
      if (row === undefined) continue;
      const segs = row.type.split('::');
      const name = segs.pop() ?? '';
      const t = this.typeNamed(f, s, name, segs.length ? segs.join('::') : undefined);
      return t !== undefined && TYPE_KINDS.has(cols.kind[t] ?? -1) ? t : undefined;
    }
    return undefined;
  }

  private typeOfPath(f: number, from: number, segs: string[]): TypeValue | undefined {
    const last = segs.pop();
    if (!last) return undefined;
    if (last === 'Self') {
      const t = this.host.enclosingType(f, from);
      return t === undefined ? undefined : { id: t, args: undefined };
    }
    return this.typeValue(
      this.typeNamed(f, from, last, segs.length ? segs.join('::') : undefined),
      undefined,
    );
  }

  private typeValue(id: number | undefined, args: ArgContext | undefined): TypeValue | undefined {
    if (id === undefined) return undefined;
    const kind = this.host.cols.kind[id] ?? -1;
    if (TRAIT_KINDS.has(kind)) return { traits: [id] };
    if (TYPE_KINDS.has(kind)) return { id, args };
    return undefined;
  }

  /** A local name in fn `from`: a parameter with a declared type, or a `let x = call()`. */
  private localType(f: number, from: number, name: string, depth: number): TypeValue | undefined {
    const { cols } = this.host;
    const base = this.host.symbolStart[f] ?? 0;
    for (let s = from; s > base && s >= 0; s = cols.parent[s] ?? base) {
      const kind = cols.kind[s];
      if (kind !== SymbolKind.function && kind !== SymbolKind.method) break;
      const decl = this.paramDecl.get(s)?.get(name);
      if (decl !== undefined) return this.resolveText(decl, f, s, undefined, f, from, depth + 1);
      const row = this.assigned.get(s)?.get(name);
      if (row !== undefined) return this.callValue(f, s, row, depth + 1);
    }
    return undefined;
  }

  /** The value type of the call at ref row `row` of file f (what `let x = <call>` holds). */
  private callValue(f: number, from: number, row: number, depth: number): TypeValue | undefined {
    const key = `${f}:${row}`;
    const memo = this.callMemo.get(key);
    if (memo !== undefined) return memo ?? undefined;
    this.callMemo.set(key, null); // cycle guard: `let x = x.next()`
    const frag = this.frag(f);
    const name = this.text(f, frag, frag.ref(row, 'name')) ?? '';
    const q = this.text(f, frag, frag.ref(row, 'qualifier'));
    const kind = frag.ref(row, 'kind');
    let v: TypeValue | undefined;
    if (kind === RefKind.instantiate) {
      const segs = q ? q.replace(/::$/, '').split(/::|\./) : [];
      v = this.typeOfPath(f, from, [...segs, name]);
    } else if (q) {
      const path = q.includes('::') && !q.includes('.');
      v = this.evalChain(f, from, `${q.replace(/::$/, '')}${path ? '::' : '.'}${name}()`, depth);
    } else {
      // A bare call: a fn of this file or an import, typed by its return type.
      const fn = this.typeNamed(f, from, name, undefined);
      const decl = fn === undefined ? undefined : this.declOf.get(fn);
      if (fn !== undefined && decl !== undefined)
        v = this.resolveText(decl, this.host.cols.file[fn] ?? f, fn, undefined, f, from, depth + 1);
      else v = this.typeValue(fn, undefined); // a tuple struct or class called as a constructor
    }
    this.callMemo.set(key, v ?? null);
    return v;
  }

  private fieldStep(
    cur: TypeValue,
    name: string,
    f: number,
    from: number,
    depth: number,
  ): TypeValue | undefined {
    if (cur.traits !== undefined || /^\d+$/.test(name)) return undefined;
    const field = this.member(cur.id, name);
    if (field === undefined || this.host.cols.kind[field] !== SymbolKind.field) return undefined;
    const decl = this.declOf.get(field);
    if (decl === undefined) return undefined;
    const owner = this.host.cols.parent[field] ?? NONE;
    return this.resolveText(decl, this.host.cols.file[field] ?? f, owner, cur.args, f, from, depth + 1);
  }

  private methodStep(
    cur: TypeValue,
    name: string,
    f: number,
    from: number,
    depth: number,
  ): TypeValue | undefined {
    const method =
      cur.traits === undefined
        ? this.findMethod(cur.id, name)
        : cur.traits.length === 1
          ? this.host.memberOf(cur.traits[0]!, name)
          : undefined;
    if (method === undefined) return undefined;
    const decl = this.declOf.get(method);
    if (decl === undefined) return undefined;
    const args = cur.traits === undefined ? cur.args : undefined;
    return this.resolveText(decl, this.host.cols.file[method] ?? f, method, args, f, from, depth + 1);
  }

  /**
   * A member of a type as the resolver finds it, own or inherited, kept only in the type's
   * language family: the resolver's last resort, a project-unique `Type.name` anywhere, would
   * otherwise let a Python `Value` find a Rust `Value.encode`.
   */
  private member(typeId: number, name: string): number | undefined {
    const m = this.host.memberOf(typeId, name);
    if (m === undefined) return undefined;
    const { cols, inputs } = this.host;
    const family = (f: number): string => {
      const lang = inputs[f]?.language ?? '';
      return lang === 'rust' || lang === 'python' ? lang : 'js';
    };
    return family(cols.file[typeId] ?? NONE) === family(cols.file[m] ?? NONE) ? m : undefined;
  }

  /** A method of a concrete type: its own or inherited, else in a trait impl for it, else a trait default. */
  private findMethod(typeId: number, name: string): number | undefined {
    const { cols } = this.host;
    const m = this.member(typeId, name);
    if (m !== undefined && cols.kind[m] === SymbolKind.method) return m;
    if (m !== undefined && cols.kind[m] === SymbolKind.field) {
      const own = this.host.methodNamed(typeId, name);
      if (own !== undefined) return own;
    }
    for (const id of this.implsByTypeMap().get(typeId) ?? []) if (this.symName(id) === name) return id;
    for (const trait of this.host.basesOf(typeId)) {
      const d = this.host.memberOf(trait, name);
      if (d !== undefined) return d;
    }
    return undefined;
  }

  /**
   * A declType text written in file f inside `scope`, as a type: generic names through the
   * scope's typeParams (a position takes the receiver's argument `args`, a bound gives the
   * traits), else through the caller's scope (`self.semaphore: S` typed by the calling impl's
   * `S: Semaphore`), else a type path resolved in f.
   */
  private resolveText(
    text: string,
    f: number,
    scope: number,
    args: ArgContext | undefined,
    callerF: number,
    caller: number,
    depth: number,
  ): TypeValue | undefined {
    if (depth > MAX_DEPTH) return undefined;
    let parsed = parseType(text);
    while (parsed && WRAPPERS.has(parsed.segs[parsed.segs.length - 1] ?? '') && parsed.args.length)
      parsed = parseType(parsed.args[0]!);
    if (!parsed) return undefined;
    const last = parsed.segs[parsed.segs.length - 1] ?? '';
    if (parsed.segs.length === 1) {
      const p = this.typeParamIn(scope, last);
      if (p) {
        const arg = p.pos >= 0 ? args?.texts[p.pos] : undefined;
        if (arg !== undefined && args)
          return this.resolveText(arg, args.f, args.scope, undefined, callerF, caller, depth + 1);
        if (p.bounds) return this.boundTraits(f, scope, p.bounds);
      }
      if (p || (args === undefined && /^[A-Z]\w{0,2}$/.test(last))) {
        // An unsubstituted generic: the caller's scope may bound the same name.
        const c = caller === scope ? undefined : this.typeParamIn(caller, last);
        if (c?.bounds) return this.boundTraits(callerF, caller, c.bounds);
        if (p) return undefined;
      }
    }
    const id = this.typeNamed(
      f,
      scope,
      last,
      parsed.segs.length > 1 ? parsed.segs.slice(0, -1).join('::') : undefined,
    );
    return this.typeValue(id, parsed.args.length ? { texts: parsed.args, f, scope } : undefined);
  }

  private boundTraits(f: number, scope: number, bounds: string): TypeValue | undefined {
    const traits: number[] = [];
    for (const b of bounds.split('+')) {
      const segs = b.split('::');
      const name = segs.pop() ?? '';
      const id = this.typeNamed(f, scope, name, segs.length ? segs.join('::') : undefined);
      if (id !== undefined && TRAIT_KINDS.has(this.host.cols.kind[id] ?? -1)) traits.push(id);
    }
    return traits.length ? { traits } : undefined;
  }

  /** A generic parameter `name` of `scope` or of an enclosing symbol (a method's type). */
  private typeParamIn(scope: number, name: string): TypeParamFact | undefined {
    const { cols } = this.host;
    for (let s = scope, n = 0; s >= 0 && n < 8; s = cols.parent[s] ?? NONE, n++) {
      const p = this.typeParams.get(s)?.find((x) => x.name === name);
      if (p) return p;
      if (cols.kind[s] === SymbolKind.module) break;
    }
    return undefined;
  }

  // ------------------------------------------------------------------ facts

  private frag(f: number): FragmentReader {
    const input = this.host.inputs[f];
    if (!input) throw new Error(`no file ${f}`);
    return input.fragment;
  }

  private text(f: number, frag: FragmentReader, id: number): string | undefined {
    return this.host.names.text(f, frag, id);
  }

  private symName(id: number): string {
    return this.host.str(this.host.cols.name[id] ?? NONE);
  }

  /** One pass over every fragment's refs for the type facts (first use only). */
  private collect(): void {
    if (this.collected) return;
    this.collected = true;
    const { inputs, symbolStart } = this.host;
    for (let f = 0; f < inputs.length; f++) {
      const frag = this.frag(f);
      const base = symbolStart[f] ?? 0;
      const ts = inputs[f]?.language !== 'rust'; // TS, JS and Python: types from param / paramType rows
      const paramName = new Map<number, string>(); // TS: (fn row × 64 + position) → parameter name
      for (let r = 0; r < frag.refCount; r++) {
        const kind = frag.ref(r, 'kind');
        const row = frag.ref(r, 'from');
        if (row < 0 || row >= frag.symbolCount) continue;
        const id = base + row;
        switch (kind) {
          case RefKind.declType: {
            const t = this.text(f, frag, frag.ref(r, 'name'));
            const alias = this.text(f, frag, frag.ref(r, 'alias'));
            if (t === undefined) break;
            if (alias === undefined) this.declOf.set(id, t);
            else setIn(this.paramDecl, id, alias, t);
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
            // TS fields: `store: Store` (the annotation is the type itself, not `Store[]` or `Map<K, Store>`).
            if (ts && frag.sym(row, 'kind') === SymbolKind.field && !this.declOf.has(id)) {
              const name = this.text(f, frag, frag.ref(r, 'name'));
              const sig = this.text(f, frag, frag.sym(row, 'signature')) ?? '';
              const at = name ? sig.indexOf(':') : -1;
              if (name && at >= 0 && /^[\w$.]+$/.test(sig.slice(at + 1).replace(/[\s;]|=.*$/g, ''))) {
                const written = sig.slice(at + 1).replace(/[\s;]|=.*$/g, '');
                if (written === name || written.endsWith(`.${name}`))
                  this.declOf.set(id, written.replace(/\./g, '::'));
              }
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

  private implsByTraitMap(): Map<number, number[]> {
    if (!this.implsByTrait) this.resolveImpls();
    return this.implsByTrait!;
  }

  private implsByTypeMap(): Map<number, number[]> {
    if (!this.implsByType) this.resolveImpls();
    return this.implsByType!;
  }

  private resolveImpls(): void {
    const byTrait = new Map<number, number[]>();
    const byType = new Map<number, number[]>();
    for (const row of this.implRows) {
      const trait = this.typeNamed(row.f, row.method, row.trait, row.traitQ);
      if (trait !== undefined && TRAIT_KINDS.has(this.host.cols.kind[trait] ?? -1))
        push(byTrait, trait, row.method);
      const segs = row.type.split('::');
      const name = segs.pop() ?? '';
      const type = this.typeNamed(row.f, row.method, name, segs.length ? segs.join('::') : undefined);
      if (type !== undefined && TYPE_KINDS.has(this.host.cols.kind[type] ?? -1))
        push(byType, type, row.method);
    }
    this.implsByTrait = byTrait;
    this.implsByType = byType;
  }

  /** Interface / base → the classes (TS, Python) that name it as a base: implementations without implOf rows. */
  private subtypesMap(): Map<number, number[]> {
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
