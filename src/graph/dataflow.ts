// Data-flow edges between symbols, collected while the resolver walks references: argument →
// parameter at resolved call sites (flowsArgument), a call's value → its consumer (flowsReturn),
// writer → reader of one field or module-level name (flowsState) and producer → consumer of one
// declared project type (flowsType). The resolver decides what a reference means; this module
// turns resolved facts into edges. Bucketed by key with capped fan-out and a list of ubiquitous
// types, so the work is linear in references plus edges. Coordinator thread, during merge.

import type { FragmentReader } from './fragment.js';
import { EdgeKind, MISSING, PairTable } from './graph.js';
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
  /** Parameters per symbol id (highest position + 1), for the symbols of files. */
  private readonly paramCount: Uint8Array;
  /**
   * Parameter names (name ids) by position, only for symbols that can be called with keywords
   * (Python): (symbol, position) → name id, and per symbol how many positions its list spans
   * (0: none). A Map of string arrays was one array per Python function held through the merge.
   */
  private readonly paramNameAt = new PairTable();
  private readonly keywordSpan: Uint8Array;
  /** State key (a field or variable symbol id; negative: an undeclared field) → dense index. */
  private readonly stateKeys = new Map<number, number>();
  private stateKeyCount = 0;
  /**
   * State uses as flat facts (dense key, symbol, write << 8 | confidence), grouped at the end by
   * a counting sort: a Map of writers and readers per key was millions of small Maps at scale.
   */
  private stateKey = new Int32Array(1024);
  private stateFn = new Int32Array(1024);
  private stateMeta = new Uint16Array(1024);
  private stateCount = 0;
  /** State keys of symbols (dense index + 1, 0 = none yet); other keys in stateKeys. */
  private readonly stateKeyOfSymbol: Int32Array;
  /** (type, name id) of undeclared fields → their (negative) state keys. */
  private readonly undeclared = new PairTable();
  private readonly undeclaredNames = new Map<string, number>();
  /** Type id → dense type key + 1 (0 = none yet), in first-use order; names by key. */
  private readonly typeKeyOf: Int32Array;
  private readonly typeNames: string[] = [];
  /** Type uses as flat facts (dense type key, symbol, produces << 8 | confidence), grouped at the end. */
  private typeKey = new Int32Array(1024);
  private typeFn = new Int32Array(1024);
  private typeMeta = new Uint16Array(1024);
  private typeCount = 0;
  /** The parameter owner of the last call row (for its argument rows), or -1. */
  private lastCallee = -1;

  /** emptyName: the name id of '' (what a position without a named parameter row holds). */
  constructor(
    private readonly edges: EdgeList,
    private readonly symbolCount: number,
    private readonly emptyName: number,
  ) {
    this.paramCount = new Uint8Array(symbolCount);
    this.keywordSpan = new Uint8Array(symbolCount);
    this.stateKeyOfSymbol = new Int32Array(symbolCount);
    this.typeKeyOf = new Int32Array(symbolCount);
  }

  /**
   * A `param` row: symbol `fn` takes a value at `pos`; `keywords`: its callers may name it
   * (nameId: the parameter's name id).
   */
  param(fn: number, pos: number, nameId: number, keywords: boolean): void {
    if (pos < 0 || pos > 254 || fn >= this.paramCount.length) return;
    if (pos >= (this.paramCount[fn] ?? 0)) this.paramCount[fn] = pos + 1;
    if (!keywords) return;
    if (pos >= (this.keywordSpan[fn] ?? 0)) this.keywordSpan[fn] = pos + 1;
    this.paramNameAt.set(fn, pos, nameId);
  }

  hasParams(fn: number): boolean {
    return (this.paramCount[fn] ?? 0) > 0;
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

  /**
   * An `argument` row of the last call: does it reach one of the callee's parameters?
   * keyword: the name id of the keyword it is passed by, NONE when positional.
   */
  argument(pos: number, keyword: number): boolean {
    const callee = this.lastCallee;
    if (callee < 0) return false;
    if (keyword >= 0) {
      const span = this.keywordSpan[callee] ?? 0;
      for (let p = 0; p < span; p++) {
        const v = this.paramNameAt.get(callee, p);
        if ((v === MISSING ? this.emptyName : v) === keyword) return true;
      }
      return false;
    }
    return pos < (this.paramCount[callee] ?? 0);
  }

  /** The state key of a field the class `type` uses but never declares. */
  undeclaredField(type: number, name: string): number {
    let nameId = this.undeclaredNames.get(name);
    if (nameId === undefined) this.undeclaredNames.set(name, (nameId = this.undeclaredNames.size));
    let key = this.undeclared.get(type, nameId);
    if (key === MISSING) this.undeclared.set(type, nameId, (key = -1 - this.undeclared.size));
    return key;
  }

  /** A read or write of a resolved field / module-level name: `key` is its symbol id or an undeclaredField key. */
  stateUse(key: number, fn: number, write: boolean, conf: number): void {
    if (fn < 0 || fn >= this.symbolCount) return;
    let k: number | undefined;
    if (key >= 0 && key < this.symbolCount) {
      k = (this.stateKeyOfSymbol[key] ?? 0) - 1;
      if (k < 0) {
        k = this.stateKeyCount++;
        this.stateKeyOfSymbol[key] = k + 1;
      }
    } else {
      k = this.stateKeys.get(key);
      if (k === undefined) this.stateKeys.set(key, (k = this.stateKeyCount++));
    }
    const i = this.stateCount;
    if (i === this.stateKey.length) {
      const grow = <T extends Int32Array | Uint16Array>(a: T, b: T): T => (b.set(a), b);
      this.stateKey = grow(this.stateKey, new Int32Array(i * 2));
      this.stateFn = grow(this.stateFn, new Int32Array(i * 2));
      this.stateMeta = grow(this.stateMeta, new Uint16Array(i * 2));
    }
    this.stateKey[i] = k;
    this.stateFn[i] = fn;
    this.stateMeta[i] = ((write ? 1 : 0) << 8) | (conf & 255);
    this.stateCount = i + 1;
  }

  /** A resolved returnType (`produces`) or paramType row of `fn` naming project type `type`. */
  typeUse(type: number, name: string, fn: number, produces: boolean, conf: number): void {
    if (type < 0 || type >= this.symbolCount) return; // a project type is a file symbol
    let k = (this.typeKeyOf[type] ?? 0) - 1;
    if (k < 0) {
      k = this.typeNames.length;
      this.typeNames.push(name);
      this.typeKeyOf[type] = k + 1;
    }
    const i = this.typeCount;
    if (i === this.typeKey.length) {
      const grow = <T extends Int32Array | Uint16Array>(a: T, b: T): T => (b.set(a), b);
      this.typeKey = grow(this.typeKey, new Int32Array(i * 2));
      this.typeFn = grow(this.typeFn, new Int32Array(i * 2));
      this.typeMeta = grow(this.typeMeta, new Uint16Array(i * 2));
    }
    this.typeKey[i] = k;
    this.typeFn[i] = fn;
    this.typeMeta[i] = ((produces ? 1 : 0) << 8) | (Math.min(conf, FlowConfidence.type) & 255);
    this.typeCount = i + 1;
  }

  /** Emits the state and type edges; `bases` are the resolved inherits / implements targets. */
  finish(bases: ReadonlyMap<number, readonly number[]>): FlowStats {
    const stats: FlowStats = { stateKeys: 0, stateCapped: 0, typeKeys: 0, typeCapped: 0, typeUbiquitous: 0 };
    this.stateEdges(stats);
    this.typeEdges(bases, stats);
    return stats;
  }

  /**
   * flowsType: per type (counting-sorted facts), producers × consumers at their best
   * confidence, after lifting producers to supertypes. Only the types lifting touches get a Map.
   */
  private typeEdges(bases: ReadonlyMap<number, readonly number[]>, stats: FlowStats): void {
    const nKeys = this.typeNames.length;
    const n = this.typeCount;
    const start = new Int32Array(nKeys + 1);
    for (let i = 0; i < n; i++) start[(this.typeKey[i] ?? 0) + 1]!++;
    for (let k = 0; k < nKeys; k++) start[k + 1]! += start[k] ?? 0;
    const fill = start.slice(0, nKeys);
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[fill[this.typeKey[i] ?? 0]!++] = i;
    const hasP = new Uint8Array(nKeys);
    const hasC = new Uint8Array(nKeys);
    for (let i = 0; i < n; i++) ((this.typeMeta[i] ?? 0) >> 8 ? hasP : hasC)[this.typeKey[i] ?? 0] = 1;
    /** The facts of key k on one side, best confidence per symbol, in first-seen order. */
    const side = (k: number, producers: boolean): Side => {
      const out: Side = new Map();
      for (let j = start[k] ?? 0; j < (start[k + 1] ?? 0); j++) {
        const i = order[j] ?? 0;
        const meta = this.typeMeta[i] ?? 0;
        if (meta >> 8 !== (producers ? 1 : 0)) continue;
        note(out, this.typeFn[i] ?? 0, meta & 255);
      }
      return out;
    };
    // Producers lifted to supertypes, by key (the only types that get a Map of their own).
    const lifted = new Map<number, Side>();
    const producersOf = (k: number): Side => {
      let p = lifted.get(k);
      if (!p) lifted.set(k, (p = side(k, true)));
      return p;
    };
    this.liftToSupertypes(bases, hasP, hasC, producersOf);
    const bestP = new Int16Array(this.symbolCount).fill(-1);
    const bestC = new Int16Array(this.symbolCount).fill(-1);
    const producers: number[] = [];
    const consumers: number[] = [];
    for (let k = 0; k < nKeys; k++) {
      const extra = lifted.get(k);
      if ((!hasP[k] && !extra?.size) || !hasC[k]) continue;
      producers.length = 0;
      consumers.length = 0;
      if (extra) {
        for (const [fn, conf] of extra) {
          producers.push(fn);
          bestP[fn] = conf;
        }
      } else {
        for (let j = start[k] ?? 0; j < (start[k + 1] ?? 0); j++) {
          const i = order[j] ?? 0;
          const meta = this.typeMeta[i] ?? 0;
          if (!(meta >> 8)) continue;
          const fn = this.typeFn[i] ?? 0;
          if ((bestP[fn] ?? 0) < 0) producers.push(fn);
          if ((meta & 255) > (bestP[fn] ?? 0)) bestP[fn] = meta & 255;
        }
      }
      for (let j = start[k] ?? 0; j < (start[k + 1] ?? 0); j++) {
        const i = order[j] ?? 0;
        const meta = this.typeMeta[i] ?? 0;
        if (meta >> 8) continue;
        const fn = this.typeFn[i] ?? 0;
        if ((bestC[fn] ?? 0) < 0) consumers.push(fn);
        if ((meta & 255) > (bestC[fn] ?? 0)) bestC[fn] = meta & 255;
      }
      if (UBIQUITOUS_TYPES.has(this.typeNames[k] ?? '')) stats.typeUbiquitous++;
      else {
        stats.typeKeys++;
        if (producers.length * consumers.length > MAX_FLOW_FANOUT) stats.typeCapped++;
        else {
          for (const a of producers) {
            for (const b of consumers) {
              this.edges.add(a, b, EdgeKind.flowsType, Math.min(bestP[a] ?? 0, bestC[b] ?? 0));
            }
          }
        }
      }
      for (const a of producers) bestP[a] = -1;
      for (const b of consumers) bestC[b] = -1;
    }
  }

  /** flowsState: per key (counting-sorted facts), writers × readers at their best confidence. */
  private stateEdges(stats: FlowStats): void {
    const nKeys = this.stateKeyCount;
    const n = this.stateCount;
    const start = new Int32Array(nKeys + 1);
    for (let i = 0; i < n; i++) start[(this.stateKey[i] ?? 0) + 1]!++;
    for (let k = 0; k < nKeys; k++) start[k + 1]! += start[k] ?? 0;
    const fill = start.slice(0, nKeys);
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[fill[this.stateKey[i] ?? 0]!++] = i;
    // Best confidence per symbol within the current key (-1 = not seen), reset after each key.
    const bestW = new Int16Array(this.symbolCount).fill(-1);
    const bestR = new Int16Array(this.symbolCount).fill(-1);
    const writers: number[] = [];
    const readers: number[] = [];
    for (let k = 0; k < nKeys; k++) {
      writers.length = 0;
      readers.length = 0;
      for (let j = start[k] ?? 0; j < (start[k + 1] ?? 0); j++) {
        const i = order[j] ?? 0;
        const fn = this.stateFn[i] ?? 0;
        const meta = this.stateMeta[i] ?? 0;
        const conf = meta & 255;
        const best = meta >> 8 ? bestW : bestR;
        if ((best[fn] ?? 0) < 0) (meta >> 8 ? writers : readers).push(fn);
        if (conf > (best[fn] ?? 0)) best[fn] = conf;
      }
      if (writers.length > 0 && readers.length > 0) {
        stats.stateKeys++;
        if (writers.length * readers.length > MAX_FLOW_FANOUT) stats.stateCapped++;
        else {
          for (const w of writers) {
            for (const r of readers) {
              this.edges.add(w, r, EdgeKind.flowsState, Math.min(bestW[w] ?? 0, bestR[r] ?? 0));
            }
          }
        }
      }
      for (const w of writers) bestW[w] = -1;
      for (const r of readers) bestR[r] = -1;
    }
  }

  /**
   * A producer of T also produces T's supertypes (at lower confidence), a few levels up. Types
   * in first-use order, each lifting its producers as they stand (its own and those lifted into
   * it so far), as the per-type Maps this replaces did.
   */
  private liftToSupertypes(
    bases: ReadonlyMap<number, readonly number[]>,
    hasP: Uint8Array,
    hasC: Uint8Array,
    producersOf: (k: number) => Side,
  ): void {
    if (bases.size === 0) return;
    const typeOfKey = new Int32Array(this.typeNames.length);
    for (let t = 0; t < this.symbolCount; t++) {
      const k = (this.typeKeyOf[t] ?? 0) - 1;
      if (k >= 0) typeOfKey[k] = t;
    }
    // Snapshot first: lifting adds producers to other buckets, never new direct producers.
    for (let k = 0; k < this.typeNames.length; k++) {
      if (!hasP[k]) continue;
      const type = typeOfKey[k] ?? 0;
      let level = bases.get(type) ?? [];
      if (level.length === 0) continue;
      const seen = new Set<number>([type]);
      for (let depth = 0; depth < MAX_SUPERTYPE_DEPTH && level.length > 0; depth++) {
        const next: number[] = [];
        for (const base of level) {
          if (seen.has(base)) continue;
          seen.add(base);
          const target = base >= 0 && base < this.symbolCount ? (this.typeKeyOf[base] ?? 0) - 1 : -1;
          // Only types someone consumes: a supertype nobody takes creates no edge.
          if (target >= 0 && hasC[target]) {
            const into = producersOf(target);
            for (const [fn, conf] of producersOf(k)) note(into, fn, Math.min(conf, FlowConfidence.supertype));
          }
          next.push(...(bases.get(base) ?? []));
        }
        level = next;
      }
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
