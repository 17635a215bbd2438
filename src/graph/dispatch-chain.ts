// Receiver typing: the type of an expression `self.a.b().c` walked step by step from the facts
// (a head typed as self / a type path / a parameter / a `let x = call()`, then each field's
// declared type and each method's return type), with generic names substituted by the
// receiver's arguments or bounded by the scope's `T: Trait`. Also finds a concrete type's
// method (own, inherited, impl, trait default). Coordinator thread (merge), owned by the Dispatcher.

import { fragmentOf, type FragmentReader } from './fragment.js';
import type { ClosureParam, DispatchFacts, TypeParamFact } from './dispatch-facts.js';
import {
  parseType,
  splitChain,
  TRAIT_KINDS,
  TYPE_KINDS,
  typeNamed,
  typeNamedPath,
  type ArgContext,
  type DispatchHost,
  type TypeValue,
} from './dispatch-types.js';
import { NONE, RefKind, SymbolKind } from '../protocol.js';

const WRAPPERS = new Set(['Box', 'Arc', 'Rc', 'Pin']);
const MAX_DEPTH = 12;

export class ChainTyper {
  /** (file, call row) packed → the call's value type, null: none (or being typed). Cleared per file by the Dispatcher. */
  private readonly callMemo = new Map<number, TypeValue | null>();

  constructor(
    private readonly host: DispatchHost,
    private readonly facts: DispatchFacts,
  ) {}

  /** Drops the memo: the Dispatcher calls it when it moves to another file. */
  clearMemo(): void {
    if (this.callMemo.size) this.callMemo.clear();
  }

  /** The type of a receiver expression `a.b().c` (head, then fields and method calls). */
  evalChain(f: number, from: number, expr: string, depth: number): TypeValue | undefined {
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
    } else {
      // `Foo()` (a Python construction, a Rust tuple struct): an instance of the class it names.
      const t = /^[A-Za-z_$][\w$]*$/.test(head.name) ? this.typeOfPath(f, from, [head.name]) : undefined;
      const kind = t && 'id' in t ? (this.host.cols.kind[t.id] ?? -1) : -1;
      if (kind !== SymbolKind.class && kind !== SymbolKind.struct) return undefined;
      cur = t;
    }
    for (; cur && i < steps.length; i++) {
      const s = steps[i]!;
      cur = s.call
        ? this.methodStep(cur, s.name, f, from, depth)
        : this.fieldStep(cur, s.name, f, from, depth);
    }
    return cur;
  }

  /** A method of a concrete type: its own or inherited, else in a trait impl for it, else a trait default. */
  findMethod(typeId: number, name: string): number | undefined {
    const { cols } = this.host;
    const m = this.member(typeId, name);
    if (m !== undefined && cols.kind[m] === SymbolKind.method) return m;
    if (m !== undefined && cols.kind[m] === SymbolKind.field) {
      const own = this.host.methodNamed(typeId, name);
      if (own !== undefined) return own;
    }
    for (const id of this.facts.implsByTypeMap().get(typeId) ?? []) if (this.symName(id) === name) return id;
    for (const trait of this.host.basesOf(typeId)) {
      const d = this.traitMember(trait, name);
      if (d !== undefined) return d;
    }
    return undefined;
  }

  private implSelf(f: number, from: number): number | undefined {
    const { cols } = this.host;
    const base = this.host.symbolStart[f] ?? 0;
    for (let s = from; s > base && s >= 0; s = cols.parent[s] ?? base) {
      const row = this.facts.implRowOf.get(s);
      if (row === undefined) continue;
      const t = typeNamedPath(this.host, f, s, row.type);
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
    if (!segs.length) {
      // `T::method(x)` with the caller's `T: Trait`: the bound decides (serde's `T::deserialize(de)`).
      const p = this.typeParamIn(from, last);
      if (p?.bounds) return this.boundTraits(f, from, p.bounds);
    }
    return this.typeValue(
      typeNamed(this.host, f, from, last, segs.length ? segs.join('::') : undefined),
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
      const decl = this.facts.paramDecl(s, name);
      // `xs: Foo[]` (TS, Python: the parameter's type row names Foo): a collection, not a Foo.
      if (decl !== undefined && this.facts.elemDecl.get(s)?.has(name)) return undefined;
      if (decl !== undefined) return this.resolveText(decl, f, s, undefined, f, from, depth + 1);
      const row = this.facts.assigned(s, name);
      if (row !== undefined) return this.callValue(f, s, row, depth + 1);
      const closure = this.facts.closureParam(s, name);
      if (closure !== undefined) return this.closureParamType(f, s, closure, depth + 1);
      const iter = this.facts.forIn.get(s)?.get(name);
      if (iter !== undefined) return this.elementValue(f, s, iter, depth + 1);
      const pat = this.facts.patBind.get(s)?.get(name);
      if (pat !== undefined) return this.patternValue(f, s, pat, depth + 1);
    }
    return undefined;
  }

  /**
   * A name a tuple pattern binds (Rust): `E::A.k` is position k of variant A's payload (its
   * declType rows, generics through E's arguments when known); `Some.0@chain` / `Ok.0@…` /
   * `Err.0@…` the first / second argument of the Option / Result the chain is declared as.
   */
  private patternValue(f: number, from: number, pat: string, depth: number): TypeValue | undefined {
    const { cols } = this.host;
    const at = pat.indexOf('@');
    const head = at < 0 ? pat : pat.slice(0, at);
    const dot = head.lastIndexOf('.');
    const path = head.slice(0, dot);
    const pos = head.slice(dot + 1);
    if (at < 0) {
      const segs = path.split('::');
      const variant = segs.pop() ?? '';
      const owner = this.typeOfPath(f, from, segs);
      if (!owner || owner.traits !== undefined) return undefined;
      const v = this.member(owner.id, variant);
      const text = v === undefined ? undefined : this.facts.paramDecl(v, pos);
      if (v === undefined || text === undefined) return undefined;
      return this.resolveText(text, cols.file[v] ?? f, owner.id, owner.args, f, from, depth + 1);
    }
    const declared = this.declaredText(f, from, pat.slice(at + 1), depth);
    const parsed = declared && parseType(declared.text);
    const wrapper = parsed ? (parsed.segs[parsed.segs.length - 1] ?? '') : '';
    const index = path === 'Err' ? 1 : 0;
    const ok = (path === 'Some' && wrapper === 'Option') || (path !== 'Some' && wrapper === 'Result');
    const arg = ok && parsed ? parsed.args[index] : undefined;
    if (!declared || arg === undefined) return undefined;
    return this.resolveText(arg, declared.f, declared.scope, declared.args, f, from, depth + 1);
  }

  /** The declared type text of a plain chain: a parameter / annotated local, or a field of a typed owner. */
  private declaredText(
    f: number,
    from: number,
    chain: string,
    depth: number,
  ): { text: string; f: number; scope: number; args: ArgContext | undefined } | undefined {
    const { cols } = this.host;
    const dot = chain.lastIndexOf('.');
    if (dot < 0) {
      const base = this.host.symbolStart[f] ?? 0;
      for (let s = from; s > base && s >= 0; s = cols.parent[s] ?? base) {
        const kind = cols.kind[s];
        if (kind !== SymbolKind.function && kind !== SymbolKind.method) break;
        const text = this.facts.paramDecl(s, chain);
        if (text !== undefined) return { text, f, scope: s, args: undefined };
      }
      return undefined;
    }
    const owner = this.evalChain(f, from, chain.slice(0, dot), depth + 1);
    if (!owner || owner.traits !== undefined) return undefined;
    const field = this.member(owner.id, chain.slice(dot + 1));
    const text = field === undefined ? undefined : this.facts.declOf(field);
    if (field === undefined || text === undefined || cols.kind[field] !== SymbolKind.field) return undefined;
    return { text, f: cols.file[field] ?? f, scope: cols.parent[field] ?? NONE, args: owner.args };
  }

  /**
   * A loop variable's type: the element type of the collection it walks, a local or parameter
   * declared `Vec<T>` / `T[]` / `list[T]`, or a field so declared (`self.items`, `this.a.items`).
   * An iterable without such a declaration types nothing.
   */
  private elementValue(f: number, from: number, iter: string, depth: number): TypeValue | undefined {
    const { cols } = this.host;
    const dot = iter.lastIndexOf('.');
    if (dot < 0) {
      const base = this.host.symbolStart[f] ?? 0;
      for (let s = from; s > base && s >= 0; s = cols.parent[s] ?? base) {
        const kind = cols.kind[s];
        if (kind !== SymbolKind.function && kind !== SymbolKind.method) break;
        const el = this.facts.elemDecl.get(s)?.get(iter);
        if (el !== undefined) return this.resolveText(el, f, s, undefined, f, from, depth + 1);
        // The same name declared otherwise (a parameter without a collection type) hides it.
        if (this.facts.paramDecl(s, iter) !== undefined || this.facts.assigned(s, iter) !== undefined) break;
      }
      return undefined;
    }
    const owner = this.evalChain(f, from, iter.slice(0, dot), depth + 1);
    if (!owner || owner.traits !== undefined) return undefined;
    const field = this.member(owner.id, iter.slice(dot + 1));
    if (field === undefined || cols.kind[field] !== SymbolKind.field) return undefined;
    const el = this.facts.fieldElem.get(field);
    if (el === undefined) return undefined;
    const parent = cols.parent[field] ?? NONE;
    return this.resolveText(el, cols.file[field] ?? f, parent, owner.args, f, from, depth + 1);
  }

  /**
   * A closure parameter's type from the callee it is passed to: the callee's parameter at the
   * closure's position is `F` bounded by `FnMut(&T)` or written `impl Fn(&T)`; the parameter
   * takes that closure trait's argument at its own position.
   */
  private closureParamType(f: number, from: number, c: ClosureParam, depth: number): TypeValue | undefined {
    const callee = this.calleeOf(f, from, c.row, depth);
    const text = callee === undefined ? undefined : this.facts.paramAt(callee, c.arg);
    if (callee === undefined || text === undefined) return undefined;
    const calleeFile = this.host.cols.file[callee] ?? f;
    let callable: string | undefined = text;
    if (/^\w+$/.test(text)) {
      // A generic `F`: its closure-trait bound (`where F: FnMut(&Dispatch) -> T`).
      const bounds = this.typeParamIn(callee, text)?.bounds ?? '';
      callable = bounds.split('+').find((b) => /^Fn(?:Mut|Once)?\(/.test(b));
    }
    const m = callable === undefined ? null : /^(?:Box<)?Fn(?:Mut|Once)?\((.*?)\)/.exec(callable);
    const arg = m?.[1] === undefined ? undefined : splitTop(m[1])[c.param];
    return arg ? this.resolveText(arg, calleeFile, callee, undefined, f, from, depth + 1) : undefined;
  }

  /** The fn a call row of file f calls (a fn in scope, a type path's associated fn, a typed receiver's method). */
  private calleeOf(f: number, from: number, row: number, depth: number): number | undefined {
    const frag = this.frag(f);
    const name = this.text(f, frag, frag.ref(row, 'name')) ?? '';
    const q = this.text(f, frag, frag.ref(row, 'qualifier'))?.replace(/::$/, '');
    if (!name) return undefined;
    const { cols } = this.host;
    if (!q || (q !== 'self' && !q.includes('.') && !/(?:^|::)[A-Z]\w*$/.test(q))) {
      // `get_default(..)`, `crate::dispatcher::get_default(..)`: a fn through scope and imports.
      const fn = typeNamed(this.host, f, from, name, q || undefined);
      const kind = fn === undefined ? -1 : (cols.kind[fn] ?? -1);
      return kind === SymbolKind.function || kind === SymbolKind.method ? fn : undefined;
    }
    const recv =
      q === 'self' || q.includes('.')
        ? this.evalChain(f, from, q, depth)
        : this.typeOfPath(f, from, q.split('::'));
    if (!recv) return undefined;
    if (recv.traits === undefined) return this.findMethod(recv.id, name);
    return recv.traits.length === 1 ? this.traitMember(recv.traits[0]!, name) : undefined;
  }

  /** The value type of the call at ref row `row` of file f (what `let x = <call>` holds). */
  private callValue(f: number, from: number, row: number, depth: number): TypeValue | undefined {
    const key = f * 4294967296 + row;
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
      const fn = typeNamed(this.host, f, from, name, undefined);
      const decl = fn === undefined ? undefined : this.facts.declOf(fn);
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
    const decl = this.facts.declOf(field);
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
          ? this.traitMember(cur.traits[0]!, name)
          : undefined;
    if (method === undefined) return undefined;
    const decl = this.facts.declOf(method);
    if (decl === undefined) return undefined;
    const args = cur.traits === undefined ? cur.args : undefined;
    return this.resolveText(decl, this.host.cols.file[method] ?? f, method, args, f, from, depth + 1);
  }

  /**
   * A trait's / interface's method, its own or a supertrait's: not the resolver's last resort,
   * a project-unique `Type.name` anywhere (a zod v4 interface `ZodString` must not reach the
   * v3 class `ZodString.max`).
   */
  traitMember(trait: number, name: string): number | undefined {
    const m = this.host.memberOf(trait, name);
    if (m === undefined) return undefined;
    const owner = this.host.cols.parent[m] ?? NONE;
    const seen = new Set<number>();
    for (let level = [trait], depth = 0; level.length && depth < 6; depth++) {
      const next: number[] = [];
      for (const t of level) {
        if (t === owner) return m;
        if (seen.has(t)) continue;
        seen.add(t);
        next.push(...this.host.basesOf(t));
      }
      level = next;
    }
    return undefined;
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

  /**
   * A declType text written in file f inside `scope`, as a type: generic names through the
   * scope's typeParams (a position takes the receiver's argument `args`, a bound gives the
   * traits), else through the caller's scope (`self.semaphore: S` typed by the calling impl's
   * `S: Semaphore`), else a type path resolved in f.
   */
  resolveText(
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
    // std's Option / Result (kept in declType texts for patterns only, see patternValue): not a
    // project type of that name (regex's own `dfa::Result`).
    if (parsed.segs.length === 1 && (last === 'Option' || last === 'Result')) return undefined;
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
    const id = typeNamed(
      this.host,
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
      if (b.includes('(')) continue; // a closure trait (`FnMut(Dispatch)`), not a type to resolve
      const id = typeNamedPath(this.host, f, scope, b);
      if (id !== undefined && TRAIT_KINDS.has(this.host.cols.kind[id] ?? -1)) traits.push(id);
    }
    return traits.length ? { traits } : undefined;
  }

  /** A generic parameter `name` of `scope` or of an enclosing symbol (a method's type). */
  private typeParamIn(scope: number, name: string): TypeParamFact | undefined {
    const { cols } = this.host;
    for (let s = scope, n = 0; s >= 0 && n < 8; s = cols.parent[s] ?? NONE, n++) {
      const p = this.facts.typeParams.get(s)?.find((x) => x.name === name);
      if (p) return p;
      if (cols.kind[s] === SymbolKind.module) break;
    }
    return undefined;
  }

  private frag(f: number): FragmentReader {
    return fragmentOf(this.host.inputs, f);
  }

  private text(f: number, frag: FragmentReader, id: number): string | undefined {
    return this.host.names.text(f, frag, id);
  }

  private symName(id: number): string {
    return this.host.str(this.host.cols.name[id] ?? NONE);
  }
}

/** `A,B<C,D>,(E,F)` → [A, B<C,D>, (E,F)]: top-level comma-separated items. */
function splitTop(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let item = '';
  for (const c of text) {
    if (c === '<' || c === '(' || c === '[') depth++;
    else if (c === '>' || c === ')' || c === ']') depth--;
    if (c === ',' && depth === 0) {
      out.push(item);
      item = '';
    } else item += c;
  }
  if (item) out.push(item);
  return out;
}
