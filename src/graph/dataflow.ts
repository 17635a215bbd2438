// Data-flow edges between symbols, collected while the resolver walks references: argument →
// parameter at resolved call sites (flowsArgument), a call's value → its consumer (flowsReturn),
// writer → reader of one field or module-level name (flowsState) and producer → consumer of one
// declared project type (flowsType). The resolver decides what a reference means; this module
// turns resolved facts into edges. Bucketed by key with capped fan-out and a list of ubiquitous
// types, so the work is linear in references plus edges. Coordinator thread, during merge.

import type { FragmentReader } from './fragment.js';
import { EdgeKind } from './graph.js';
import type { EdgeList } from './merge.js';
import { RefKind } from '../protocol.js';

/**
 * Most edges one state key or one type may create (writers × readers, producers × consumers).
 * Past it the key is skipped, not truncated: a field every method touches or a type every
 * function takes says little, and keeping an arbitrary subset would say something false.
 * 256 keeps all but the hub types of the benchmark corpus (see the dataflow report).
 */
export const MAX_FLOW_FANOUT = 256;
/** How many supertype levels a producer's type is lifted through (TaskQueue → dyn Scheduler). */
const MAX_SUPERTYPE_DEPTH = 3;

/** Confidence ceilings of flow edges; the resolution a flow rides on may lower them further. */
export const FlowConfidence = {
  /** A field declared in the owner class itself. */
  ownField: 85,
  /** A field declared in a base class of the method's class. */
  inheritedField: 75,
  /** A `this.x` / `self.x` the class never declares (JS classes, Python attributes set outside __init__). */
  undeclaredField: 70,
  /** A module-level name written and read in its own file. */
  moduleName: 80,
  /** A module-level name read or written from another file. */
  crossFileName: 60,
  /** A declared type shared by a producer and a consumer: a possible flow, never an observed one. */
  type: 60,
  /** The producer's type is a subtype of the consumer's. */
  supertype: 45,
} as const;

/**
 * Types too common to say anything about who feeds whom, in any of the three languages. The
 * extractors already drop most builtins from paramType / returnType; this catches a project
 * that defines its own (a polyfill `Promise`, a `Result` alias) and the types whose name alone
 * is a wrapper.
 */
const UBIQUITOUS_TYPES = new Set(
  // Python
  (
    'str int float bool bytes list dict set tuple object Any Self None NoneType Optional Union List ' +
    'Dict Set Tuple Type Callable Iterable Iterator Sequence Mapping ' +
    // TypeScript / JavaScript
    'string number boolean any unknown void never undefined null bigint symbol Promise PromiseLike ' +
    'Array ReadonlyArray Record Map Set WeakMap WeakSet Partial Readonly Required Pick Omit Function ' +
    'Object String Number Boolean Date Error RegExp Uint8Array Buffer ' +
    // Rust
    'String Vec Option Result Box Arc Rc Cow RefCell Cell Mutex RwLock HashMap HashSet BTreeMap ' +
    'BTreeSet VecDeque usize isize u8 u16 u32 u64 u128 i8 i16 i32 i64 i128 f32 f64 char str'
  ).split(' '),
);

/** Counts for benchmarks and reports (not persisted). */
export interface FlowStats {
  /** State keys (fields, module-level names) with both a writer and a reader. */
  stateKeys: number;
  /** State keys skipped for exceeding MAX_FLOW_FANOUT. */
  stateCapped: number;
  /** Types with both a producer and a consumer. */
  typeKeys: number;
  /** Types skipped for exceeding MAX_FLOW_FANOUT. */
  typeCapped: number;
  /** Types skipped as ubiquitous. */
  typeUbiquitous: number;
}

/** One side of a bucket: symbol id → best confidence. */
type Side = Map<number, number>;

function note(side: Side, id: number, conf: number): void {
  const prev = side.get(id);
  if (prev === undefined || conf > prev) side.set(id, conf);
}

/** Collects flow facts during resolution and emits the bucketed edges at the end. */
export class FlowCollector {
  /** Parameter names by position, per symbol ('' for a pattern parameter). */
  private readonly params = new Map<number, string[]>();
  /** State key → writers and readers. */
  private readonly state = new Map<string, { w: Side; r: Side }>();
  /** Type id → producers (return it) and consumers (take it). */
  private readonly types = new Map<number, { p: Side; c: Side; name: string }>();
  /** The parameter owner of the last call row (for its argument rows), or -1. */
  private lastCallee = -1;

  constructor(private readonly edges: EdgeList) {}

  /** A `param` row: symbol `fn` takes a value at `pos`. */
  param(fn: number, pos: number, name: string): void {
    if (pos < 0 || pos > 255) return;
    let list = this.params.get(fn);
    if (!list) this.params.set(fn, (list = []));
    while (list.length <= pos) list.push('');
    list[pos] = name;
  }

  hasParams(fn: number): boolean {
    return (this.params.get(fn)?.length ?? 0) > 0;
  }

  /**
   * A resolved call row. `callee` is the call edge's target; `paramOwner` the symbol whose
   * parameters receive the arguments (the callee, or a class's constructor; -1 if none).
   */
  call(from: number, callee: number, paramOwner: number, conf: number, argc: number, use: boolean): void {
    if (use) this.edges.add(callee, from, EdgeKind.flowsReturn, conf);
    this.lastCallee = -1;
    if (paramOwner < 0 || argc <= 0 || !this.hasParams(paramOwner)) return;
    this.edges.add(from, paramOwner, EdgeKind.flowsArgument, conf);
    this.lastCallee = paramOwner;
  }

  /** A call row that did not resolve: its argument rows bind to nothing. */
  unresolvedCall(): void {
    this.lastCallee = -1;
  }

  /** An `argument` row of the last call: does it reach one of the callee's parameters? */
  argument(pos: number, keyword: string | undefined): boolean {
    const params = this.lastCallee >= 0 ? this.params.get(this.lastCallee) : undefined;
    if (!params) return false;
    return keyword !== undefined ? params.includes(keyword) : pos < params.length;
  }

  /** A read or write of a resolved field / module-level name, identified by `key`. */
  stateUse(key: string, fn: number, write: boolean, conf: number): void {
    let b = this.state.get(key);
    if (!b) this.state.set(key, (b = { w: new Map(), r: new Map() }));
    note(write ? b.w : b.r, fn, conf);
  }

  /** A resolved returnType (`produces`) or paramType row of `fn` naming project type `type`. */
  typeUse(type: number, name: string, fn: number, produces: boolean, conf: number): void {
    let b = this.types.get(type);
    if (!b) this.types.set(type, (b = { p: new Map(), c: new Map(), name }));
    note(produces ? b.p : b.c, fn, Math.min(conf, FlowConfidence.type));
  }

  /** Emits the state and type edges; `bases` are the resolved inherits / implements targets. */
  finish(bases: ReadonlyMap<number, readonly number[]>): FlowStats {
    const stats: FlowStats = { stateKeys: 0, stateCapped: 0, typeKeys: 0, typeCapped: 0, typeUbiquitous: 0 };
    for (const { w, r } of this.state.values()) {
      if (w.size === 0 || r.size === 0) continue;
      stats.stateKeys++;
      if (w.size * r.size > MAX_FLOW_FANOUT) stats.stateCapped++;
      else this.pairs(w, r, EdgeKind.flowsState);
    }
    this.liftToSupertypes(bases);
    for (const b of this.types.values()) {
      if (b.p.size === 0 || b.c.size === 0) continue;
      if (UBIQUITOUS_TYPES.has(b.name)) {
        stats.typeUbiquitous++;
        continue;
      }
      stats.typeKeys++;
      if (b.p.size * b.c.size > MAX_FLOW_FANOUT) stats.typeCapped++;
      else this.pairs(b.p, b.c, EdgeKind.flowsType);
    }
    return stats;
  }

  /** A producer of T also produces T's supertypes (at lower confidence), a few levels up. */
  private liftToSupertypes(bases: ReadonlyMap<number, readonly number[]>): void {
    // Snapshot first: lifting adds producers to other buckets, never new direct producers.
    const direct = [...this.types.entries()].filter(([, b]) => b.p.size > 0);
    for (const [type, b] of direct) {
      let level = bases.get(type) ?? [];
      const seen = new Set<number>([type]);
      for (let depth = 0; depth < MAX_SUPERTYPE_DEPTH && level.length > 0; depth++) {
        const next: number[] = [];
        for (const base of level) {
          if (seen.has(base)) continue;
          seen.add(base);
          const target = this.types.get(base);
          // Only types someone consumes: a supertype nobody takes creates no edge.
          if (target && target.c.size > 0) {
            for (const [fn, conf] of b.p) note(target.p, fn, Math.min(conf, FlowConfidence.supertype));
          }
          next.push(...(bases.get(base) ?? []));
        }
        level = next;
      }
    }
  }

  private pairs(from: Side, to: Side, kind: number): void {
    for (const [a, ca] of from) {
      for (const [b, cb] of to) this.edges.add(a, b, kind, Math.min(ca, cb));
    }
  }
}

/** Is this type name one that says nothing about data flow (a builtin or a wrapper)? */
export function isUbiquitousType(name: string): boolean {
  return UBIQUITOUS_TYPES.has(name);
}

/** One argument of a call site paired with the callee parameter it reaches. */
export interface ArgumentBinding {
  /** 0-based line of the call. */
  line: number;
  /** Argument position at the call site. */
  position: number;
  /** The caller's name passed: a parameter, local or module-level name, or a field (`receiver`). */
  argument: string;
  /** 'this' / 'self' when the argument is a field. */
  receiver: string | undefined;
  /** The callee's parameter it reaches ('' for a pattern parameter), undefined past the last one. */
  parameter: string | undefined;
}

/**
 * Which caller names reach which callee parameters along a flowsArgument edge, read back from the
 * two fragments: the caller's call rows named like the callee (its name, the class name for a
 * constructor, or a name the caller imports it under directly), their argument rows, and the
 * callee's param rows, paired by keyword else position. A call through a chain of aliased
 * re-exports is named unlike the callee and is not found.
 */
export function argumentBindings(
  caller: FragmentReader,
  callerRow: number,
  callee: FragmentReader,
  calleeRow: number,
): ArgumentBinding[] {
  let name = callee.symStr(calleeRow, 'name') ?? '';
  if (name === 'constructor' || name === '__init__') {
    name = callee.symStr(callee.sym(calleeRow, 'parent'), 'name') ?? name;
  }
  const params: string[] = [];
  for (let r = 0; r < callee.refCount; r++) {
    if (callee.ref(r, 'kind') !== RefKind.param || callee.ref(r, 'from') !== calleeRow) continue;
    const pos = callee.ref(r, 'aux');
    if (pos >= 0 && pos < 256) params[pos] = callee.refStr(r, 'name') ?? '';
  }
  const names = new Set([name]);
  for (let r = 0; r < caller.refCount; r++) {
    if (caller.ref(r, 'kind') !== RefKind.import || caller.refStr(r, 'name') !== name) continue;
    const alias = caller.refStr(r, 'alias');
    if (alias) names.add(alias);
  }
  const out: ArgumentBinding[] = [];
  let inCall = false;
  let line = 0;
  for (let r = 0; r < caller.refCount; r++) {
    const kind = caller.ref(r, 'kind');
    if (kind === RefKind.call || kind === RefKind.instantiate) {
      inCall = caller.ref(r, 'from') === callerRow && names.has(caller.refStr(r, 'name') ?? '');
      line = caller.ref(r, 'line');
    } else if (kind === RefKind.argument && inCall) {
      const position = caller.ref(r, 'aux');
      const keyword = caller.refStr(r, 'alias');
      out.push({
        line,
        position,
        argument: caller.refStr(r, 'name') ?? '',
        receiver: caller.refStr(r, 'qualifier'),
        parameter:
          keyword !== undefined ? (params.includes(keyword) ? keyword : undefined) : params[position],
      });
    }
  }
  return out;
}
