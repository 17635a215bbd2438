// Cross-file resolution: turns the raw references of every fragment into edges (imports,
// calls, inherits/implements, references-type), each with a confidence. Order of evidence:
// the import graph (bindings, re-exports, barrels, `__init__`, `use` trees), then receivers
// (this/self, a type path, the inheritance chain), then a project-unique name — never a name
// shared by several symbols, and never a common name (no cliques through `get` or `new`).
// Every lookup is a hash-map hit, memoised: linear in the number of references. The data-flow
// edges ride on the same resolution (dataflow.ts turns the resolved facts into edges).
// Coordinator thread, called by mergeFragments.

import { FlowCollector, FlowConfidence, type FlowStats } from './dataflow.js';
import { Dispatcher } from './dispatch.js';
import { fragmentOf, type FragmentReader } from './fragment.js';
import { Confidence, EdgeKind, MISSING, PairTable, type ResolutionStats } from './graph.js';
import type { EdgeList, MergeInput, NameTable, StringTable, SymbolColumns } from './merge.js';
import { isDeclarationFile, type ModuleResolver, type ModuleTarget } from './modules.js';
import { NONE, REF_KIND_NAMES, RefKind, SymbolFlag, SymbolKind } from '../protocol.js';

export interface ResolveContext {
  inputs: readonly MergeInput[];
  modules: ModuleResolver;
  strings: StringTable;
  /** Every fragment string interned (the resolver's working names). */
  names: NameTable;
  cols: SymbolColumns;
  symbolStart: Int32Array;
  edges: EdgeList;
  /** Receives the data-flow counts (benchmarks). */
  onFlow?: ((stats: FlowStats) => void) | undefined;
  /** Called as each resolution phase ends (see MergeOptions.onPhase). */
  onPhase?: ((phase: string) => void) | undefined;
  /** Per-file tallies for a later partial re-resolution (src/graph/patch-resolve.ts). */
  onTally?: ((tally: ResolveTally) => void) | undefined;
  /** A partial re-resolution (patch-resolve.ts): see PartialResolve. */
  partial?: PartialResolve | undefined;
}

/**
 * Re-resolving a few files against everything else: every file's structure pass runs (it
 * builds the tables), then the previous generation's external nodes are added in their order,
 * then only these files' uses pass; no state / type flow edges are emitted (those stay the
 * previous generation's). onExternal hears every external a uses pass looks up.
 */
export interface PartialResolve {
  files: readonly number[];
  externals: readonly string[];
  onExternal: (id: number, file: number) => void;
}

/** The confidence bands of stats.callConfidence, in tally column order. */
export const CALL_BANDS = [
  'imported',
  'local',
  'receiver',
  'inferred',
  'qualified',
  'dispatch',
  'name',
  'namedReceiver',
];
/** Tally columns of resolved refs: one per RefKind, then unknown kinds. */
export const TALLY_KINDS = REF_KIND_NAMES.length + 1;

/**
 * What each file's uses pass contributed to the stats (its resolved refs by kind, file-major,
 * TALLY_KINDS columns; its call edges by CALL_BANDS), and per external node (in id order) the
 * file whose uses pass created it, -1 when the structure pass did.
 */
export interface ResolveTally {
  resolved: Int32Array;
  calls: Int32Array;
  externalCreator: Int32Array;
}

const TYPE_KINDS = new Set<number>([
  SymbolKind.class,
  SymbolKind.struct,
  SymbolKind.enum,
  SymbolKind.trait,
  SymbolKind.interface,
  SymbolKind.typeAlias,
]);
const CALLABLE_KINDS = new Set<number>([
  SymbolKind.function,
  SymbolKind.method,
  SymbolKind.class,
  SymbolKind.struct,
]);
const CLASS_LIKE = new Set<number>([
  SymbolKind.class,
  SymbolKind.struct,
  SymbolKind.trait,
  SymbolKind.interface,
  SymbolKind.enum,
]);
/**
 * Files with at most this many symbols are searched by scanning their rows (contiguous ids, a
 * cache line or two) instead of probing the project-wide tables: at 100k files every probe of
 * those is a cache miss, and a name bucket's binary search is several.
 */
const SCAN_LIMIT = 64;
/** Files with at most this many import rows find a binding by scanning them (see rowBound). */
const IMPORT_SCAN_LIMIT = 32;

/** Module-level symbols that hold state (a function or class name read as a value is not state). */
const STATE_KINDS = new Set<number>([SymbolKind.variable, SymbolKind.constant]);

/**
 * Names too common to resolve by name alone: a call `x.get()` with an unknown receiver says
 * nothing about which `get` it is, even when the project defines only one.
 */
const COMMON_NAMES = new Set(
  (
    'get set new len push pop map filter reduce forEach then catch finally toString valueOf clone iter into from ' +
    'unwrap expect append add remove delete keys values items entries update has clear size join split format ' +
    'write read open close run call apply bind next send emit on off once log debug info warn error print fmt ' +
    'default init __init__ eq ne hash cmp partial_cmp to_string as_ref as_str borrow lock insert extend copy ' +
    'start stop reset parse render handle execute process create build load save find search sort index count ' +
    'length contains includes indexOf slice splice concat trim replace match test exec resolve reject wait ' +
    'flush drop deref some ok err map_err and_then unwrap_or collect sum min max abs is_empty isEmpty main ' +
    // protocol methods a `with` / `for` calls (extract/python.ts): only a known receiver decides
    '__enter__ __exit__ __aenter__ __aexit__ __iter__ __aiter__'
  ).split(' '),
);

type Target = { id: number; module: number | undefined } | undefined;

/** Function.prototype methods that call (or bind) their receiver function. */
const FORWARDERS = new Set(['call', 'apply', 'bind']);
/** A forwarder's receiver that ends in a plain name: [1] what is before it, [2] the name. */
const FORWARDED_CALLEE = /^(?:(.*)\.)?([\w$\u0080-\uffff]+)$/s;
/** A trailing `.prototype`: `Foo.prototype.m` is the method `Foo.m`. */
const PROTOTYPE_SEG = /(?:^|\.)prototype$/;

interface ImportRow {
  file: number;
  /** As written: './x', 'a.b', 'crate::m'. undefined for local re-exports. */
  qualifier: string | undefined;
  /** qualifier's id in ctx.names (NONE when undefined). */
  qualifierId: number;
  name: string;
  /** name's id in ctx.names. */
  nameId: number;
  alias: string | undefined;
  aux: number;
}

export function resolveReferences(ctx: ResolveContext): ResolutionStats {
  return new Resolver(ctx).run();
}

class Resolver {
  private readonly nFiles: number;
  /** File symbols (module rows excluded) bucketed by name and by qualified name. */
  private byName!: NameIndex;
  private byQualified!: NameIndex;
  /**
   * The import and re-export rows of all files as columns (name ids of ctx.names, NONE =
   * absent; rows of file f from importStart[f]), materialised as an ImportRow only while used.
   */
  private importStart = new Int32Array(0);
  private rowQualifier = new Int32Array(0);
  private rowName = new Int32Array(0);
  private rowAlias = new Int32Array(0);
  private rowAux = new Int32Array(0);
  /** Glob rows that are re-exports (`export * from`), not plain imports. */
  private rowReexportGlob = new Uint8Array(0);
  /**
   * Per import row: the local name it binds (NONE: none, or a glob). The first row of file f
   * binding a name is found by scanning f's rows (a few contiguous words, where a probe of a
   * project-wide table is a cache miss); importsByLocal holds it for files with more rows.
   */
  private rowBound = new Int32Array(0);
  /** (file, local binding name) → the first import row that binds it; files over IMPORT_SCAN_LIMIT rows only. */
  private importsByLocal: PairTable;
  /** (file, exported name) → the first re-export row that exports it (globs excluded); then reexportNext. */
  private readonly reexportsByName: PairTable;
  private reexportNext = new Int32Array(0);
  /** Per file: its first glob row (-1: none); then globNext. */
  private globHead = new Int32Array(0);
  private globNext = new Int32Array(0);
  /**
   * Per import row: what the structure phase resolved it to (encodeTarget; -2: not resolved
   * there, or through a type's members), so a binding of its name need not resolve it again.
   * Read and written only outside an export lookup (exportDepth 0), where every memo the
   * resolution reads is final: the same answer as resolving the row again.
   */
  private rowTarget = new Int32Array(0);
  /** How many export lookups are being computed (not memo hits) on the stack. */
  private exportDepth = 0;
  /** Set when an import resolution walked a type's members (bases may still grow): not cached. */
  private importImpure = false;
  /**
   * What binding() found for a name an import row binds, by that row (encodeTarget; MISSING:
   * not yet): the (file, name) → row map is one-to-one. Names only glob imports could bind
   * go by (file, name id) in bindingMemo.
   */
  private rowBinding = new Int32Array(0);
  /** Memos keyed by (file, name id), values encoded by encodeTarget / encodeModule. */
  private readonly bindingMemo: PairTable;
  /** What a name means as a member of a module file. */
  private readonly exportMemo: PairTable;
  /** Per importing file: specifier → module. */
  private readonly moduleMemo: PairTable;
  private readonly externals = new Map<string, number>();
  /** Per external (creation order): the file whose uses pass created it, -1 = structure pass. */
  private readonly externalCreator: number[] = [];
  /** The file whose uses pass runs (-1: structure pass). */
  private usesFile = -1;
  private readonly fileResolved: Int32Array;
  private readonly fileCalls: Int32Array;
  private readonly bases = new Map<number, number[]>();
  private readonly stats: ResolutionStats = { refs: {}, resolved: {}, callConfidence: {} };
  private readonly flow: FlowCollector;
  /** (name id, family × 3 + kinds) → the unique symbol id, or -1. */
  private readonly uniqueMemo: PairTable;

  constructor(private readonly ctx: ResolveContext) {
    this.nFiles = ctx.inputs.length;
    this.fileResolved = new Int32Array(ctx.onTally ? this.nFiles * TALLY_KINDS : 0);
    this.fileCalls = new Int32Array(ctx.onTally ? this.nFiles * CALL_BANDS.length : 0);
    // Sized for what they held per file on the synthetic trees and the corpus (bindings and
    // exports ~7, module specifiers ~2, re-exports ~1.5, qualified pairs ~10 at most): a table
    // that outgrows that doubles, one sized for the worst case was 24 MB each at 100k files.
    const perFile = (n: number): number => Math.max(1024, ctx.inputs.length * n);
    this.importsByLocal = new PairTable(16); // sized in collectImports
    this.reexportsByName = new PairTable(perFile(2));
    this.bindingMemo = new PairTable(1024);
    this.exportMemo = new PairTable(perFile(8));
    this.moduleMemo = new PairTable(perFile(2));
    this.uniqueMemo = new PairTable(1024);
    this.pairOf = new PairTable(perFile(2));
    this.flow = new FlowCollector(ctx.edges, ctx.cols.length, ctx.names.intern(''));
    this.dispatch = new Dispatcher({
      inputs: ctx.inputs,
      names: ctx.names,
      cols: ctx.cols,
      symbolStart: ctx.symbolStart,
      usesFiles: ctx.partial ? usesFiles(this.nFiles, ctx.partial.files) : undefined,
      resolveType: (f, from, name, q) => this.resolveType(f, from, name, q),
      memberOf: (type, name) => this.methodOf(type, name, 0)?.id,
      enclosingType: (f, from) => this.enclosingType(f, from),
      basesOf: (id) => this.bases.get(id) ?? [],
      methodNamed: (type, name) => {
        // A method that shares its name with a field (`level` and `level()`): the qualified
        // name lookup finds the field first.
        const file = this.ctx.cols.file[type] ?? NONE;
        for (const id of this.allQname(`${this.str(this.ctx.cols.qualifiedName[type] ?? NONE)}.${name}`))
          if (this.ctx.cols.file[id] === file && this.ctx.cols.kind[id] === SymbolKind.method) return id;
        return undefined;
      },
      str: (id) => this.str(id),
    });
  }

  /** Calls through declared receiver types and trait / interface dispatch (dispatch.ts). */
  private readonly dispatch: Dispatcher;

  run(): ResolutionStats {
    const phase = this.ctx.onPhase ?? ((): void => undefined);
    this.indexSymbols();
    this.indexQualifiedPairs();
    phase('index');
    this.collectImports();
    phase('imports');
    // Inheritance (and parameters) first: method lookup through base classes needs the
    // `bases` map, argument flow needs every callee's parameters.
    for (let f = 0; f < this.nFiles; f++) {
      this.resolveFile(f, 'structure');
      this.dispatch.collectFacts(f);
    }
    this.dispatch.finishFacts();
    phase('structure');
    const partial = this.ctx.partial;
    if (partial) {
      // The externals the structure pass made must be the previous generation's first ones.
      const made = this.externals.size;
      let k = 0;
      for (const name of this.externals.keys())
        if (partial.externals[k++] !== name) throw new Error('partial resolve: externals moved');
      for (let i = made; i < partial.externals.length; i++) this.external(partial.externals[i]!);
      for (const f of partial.files) {
        this.usesFile = f;
        this.resolveFile(f, 'uses');
      }
    } else {
      for (let f = 0; f < this.nFiles; f++) {
        this.usesFile = f;
        this.resolveFile(f, 'uses');
      }
    }
    phase('uses');
    this.tallyStats();
    this.ctx.onTally?.({
      resolved: this.fileResolved,
      calls: this.fileCalls,
      externalCreator: Int32Array.from(this.externalCreator),
    });
    if (partial) return this.stats;
    const flowStats = this.flow.finish(this.bases);
    this.ctx.onFlow?.(flowStats);
    return this.stats;
  }

  // ------------------------------------------------------------------ indexes

  private str(id: number): string {
    return this.ctx.strings.list[id] ?? '';
  }

  /** The bucket key of empty names (see indexSymbols) and the graph string id of ''. */
  private emptyKey = 0;
  private emptyGraphId = NONE;

  private indexSymbols(): void {
    const { cols, symbolStart, strings } = this.ctx;
    const fileSymbols = symbolStart[this.nFiles] ?? 0;
    const nStrings = strings.list.length;
    const emptyId = strings.lookup('');
    this.emptyKey = nStrings;
    this.emptyGraphId = emptyId;
    // The empty name (NONE or '') gets the extra key nStrings; strings interned later (external
    // names) have ids >= nStrings and are in no bucket.
    const key = (s: number): number => (s === NONE || s === emptyId ? nStrings : s);
    this.keyOf = (s: string): number => {
      if (s === '') return nStrings;
      const id = strings.lookup(s);
      return id === NONE || id >= nStrings ? -1 : id;
    };
    const isFileRow = (id: number): boolean => symbolStart[cols.file[id] ?? 0] !== id;
    this.byName = new NameIndex(nStrings + 1, fileSymbols, (id) => key(cols.name[id] ?? NONE), isFileRow);
    this.byQualified = new NameIndex(
      nStrings + 1,
      fileSymbols,
      (id) => key(cols.qualifiedName[id] ?? NONE),
      isFileRow,
    );
  }

  /**
   * Every dotted qualified name of a file symbol split at its last dot, as name ids: (prefix,
   * last segment) → a pair id. A lookup of `${prefix}.${name}` (name without a dot) is then two
   * table probes on ids, with no string built and hashed: what scope and member lookups do for
   * every reference.
   */
  private readonly pairOf: PairTable;
  /** (file, pair id) → the file's first symbol with that qualified name. */
  private pairInFile: PairTable = new PairTable(16);
  /** Per pair id: how many file symbols have that qualified name, and the first of them. */
  private pairCount = new Int32Array(0);
  private pairFirst = new Int32Array(0);
  /** The name id of '' (the prefix of a qualified name without one). */
  private emptyName = NONE;
  /** Per file symbol: its qualified name's (prefix, last segment) name ids; segment NONE: no dot. */
  private symPrefix = new Int32Array(0);
  private symSeg = new Int32Array(0);

  private indexQualifiedPairs(): void {
    const { cols, symbolStart, names, strings } = this.ctx;
    const fileSymbols = symbolStart[this.nFiles] ?? 0;
    this.emptyName = names.intern('');
    let large = 0; // symbols of the files too large to scan: the only ones pairInFile holds
    for (let f = 0; f < this.nFiles; f++) {
      const n = (symbolStart[f + 1] ?? 0) - (symbolStart[f] ?? 0);
      if (n > SCAN_LIMIT) large += n;
    }
    this.pairInFile = new PairTable(large);
    this.symPrefix = new Int32Array(fileSymbols);
    this.symSeg = new Int32Array(fileSymbols).fill(NONE);
    // Per graph string id of a qualified name: its pair id, -1 = not yet split, -2 = no dot.
    const pairOfQn = new Int32Array(strings.list.length).fill(-1);
    const prefixOfQn = new Int32Array(strings.list.length);
    const segOfQn = new Int32Array(strings.list.length);
    let count = new Int32Array(1024);
    let first = new Int32Array(1024);
    let pairs = 0;
    for (let f = 0; f < this.nFiles; f++) {
      const small = (symbolStart[f + 1] ?? 0) - (symbolStart[f] ?? 0) <= SCAN_LIMIT;
      for (let id = (symbolStart[f] ?? 0) + 1; id < (symbolStart[f + 1] ?? 0); id++) {
        const qnId = cols.qualifiedName[id] ?? NONE;
        let pid = qnId === NONE ? -2 : (pairOfQn[qnId] ?? -2);
        if (pid === -1) {
          const qn = this.str(qnId);
          const dot = qn.lastIndexOf('.');
          if (dot < 0) pid = -2;
          else {
            const name = this.str(cols.name[id] ?? NONE);
            const seg = qn.length - dot - 1 === name.length && qn.endsWith(name) ? name : qn.slice(dot + 1);
            const segId = names.intern(seg);
            const prefixId = names.intern(qn.slice(0, dot));
            prefixOfQn[qnId] = prefixId;
            segOfQn[qnId] = segId;
            pid = this.pairOf.get(prefixId, segId);
            if (pid === MISSING) {
              pid = pairs++;
              this.pairOf.set(prefixId, segId, pid);
              if (pid === count.length) {
                const c = new Int32Array(pid * 2);
                c.set(count);
                count = c;
                const fi = new Int32Array(pid * 2);
                fi.set(first);
                first = fi;
              }
              first[pid] = id;
            }
          }
          pairOfQn[qnId] = pid;
        }
        if (pid < 0) continue;
        count[pid]!++;
        this.symPrefix[id] = prefixOfQn[qnId]!;
        this.symSeg[id] = segOfQn[qnId]!;
        if (!small && this.pairInFile.get(f, pid) === MISSING) this.pairInFile.set(f, pid, id);
      }
    }
    this.pairCount = count;
    this.pairFirst = first;
  }

  /**
   * The pair id of `${prefix}.${name}` (prefix: a graph string id, NONE as ''; seg: the name id
   * of a name without a dot), or MISSING when no file symbol has that qualified name.
   */
  private pairId(prefix: number, seg: number): number {
    if (seg === NONE) return MISSING;
    const p = prefix === NONE ? this.emptyName : (this.ctx.strings.nameIds[prefix] ?? NONE);
    return p === NONE ? MISSING : this.pairOf.get(p, seg);
  }

  /** The first symbol of file f with qualified name pair `pid` (MISSING: none); f too large to scan. */
  private pairIn(f: number, pid: number): number {
    return pid === MISSING ? MISSING : this.pairInFile.get(f, pid);
  }

  /**
   * The first symbol of file f whose qualified name is `${prefix}.${name}` (prefix and seg as
   * for pairId), or MISSING: pairIn(f, pairId(prefix, seg)), by a scan of a small file's rows.
   */
  private pairInFileOf(f: number, prefix: number, seg: number): number {
    if (seg === NONE) return MISSING;
    const { symbolStart } = this.ctx;
    const a = symbolStart[f] ?? 0;
    const b = symbolStart[f + 1] ?? 0;
    if (b - a > SCAN_LIMIT) return this.pairIn(f, this.pairId(prefix, seg));
    const p = prefix === NONE ? this.emptyName : (this.ctx.strings.nameIds[prefix] ?? NONE);
    if (p === NONE) return MISSING;
    const { symSeg, symPrefix } = this;
    for (let id = a + 1; id < b; id++) if (symSeg[id] === seg && symPrefix[id] === p) return id;
    return MISSING;
  }

  /** The only file symbol with qualified name pair `pid`, or MISSING (none, or several). */
  private pairUnique(pid: number): number {
    return pid !== MISSING && this.pairCount[pid] === 1 ? (this.pairFirst[pid] ?? MISSING) : MISSING;
  }

  /** The bucket key of a name (see indexSymbols), -1 when no file symbol has it. */
  private keyOf: (s: string) => number = () => -1;

  /**
   * The bucket key of the name with this name id: keyOf of its text, without hashing the text
   * again (at 100k files a string's lookup is three cache misses in the name table).
   */
  private keyOfName(nid: number): number {
    if (nid === this.emptyName || nid === NONE) return this.emptyKey;
    const g = this.ctx.strings.graphIdOf(nid);
    return g < 0 || g >= this.emptyKey ? -1 : g;
  }

  /**
   * The first top-level symbol of file f named `name` (what a bare name means in f). Here and
   * below, an optional `nid` is name's id in ctx.names, passed where the caller has it.
   */
  private topLevel(f: number, name: string, nid?: number): number | undefined {
    const k = nid === undefined ? this.keyOf(name) : this.keyOfName(nid);
    return this.firstInFile(f, k, this.ctx.cols.name, this.byName, true);
  }

  /** The first symbol of file f with this qualified name. */
  private fileQname(f: number, qname: string): number | undefined {
    return this.firstInFile(f, this.keyOf(qname), this.ctx.cols.qualifiedName, this.byQualified, false);
  }

  /**
   * The first symbol of file f whose `column` has key k, only among the file's top-level
   * symbols when `top`: a scan of a small file, the id-ordered index `idx` for a large one.
   */
  private firstInFile(
    f: number,
    k: number,
    column: Int32Array,
    idx: NameIndex,
    top: boolean,
  ): number | undefined {
    if (k < 0) return undefined;
    const { cols, symbolStart } = this.ctx;
    const a = symbolStart[f] ?? 0;
    const b = symbolStart[f + 1] ?? 0;
    if (b - a <= SCAN_LIMIT) {
      const empty = this.emptyGraphId;
      for (let id = a + 1; id < b; id++) {
        if (top && cols.parent[id] !== a) continue;
        const s = column[id] ?? NONE;
        if ((s === NONE || s === empty ? this.emptyKey : s) === k) return id;
      }
      return undefined;
    }
    const end = idx.start[k + 1] ?? 0;
    for (let i = idx.lowerBound(k, a + 1); i < end; i++) {
      const id = idx.ids[i] ?? 0;
      if (id >= b) break;
      if (!top || cols.parent[id] === a) return id;
    }
    return undefined;
  }

  /** The symbols (of all files) with this qualified name, in id order. */
  private allQname(qname: string): Int32Array {
    return this.byQualified.bucket(this.keyOf(qname));
  }

  private collectImports(): void {
    const { names } = this.ctx;
    const importStart = new Int32Array(this.nFiles + 1);
    for (let f = 0; f < this.nFiles; f++) {
      const frag = this.frag(f);
      const w = frag.words;
      const kindAt = frag.refColumnAt('kind');
      let n = 0;
      for (let r = 0; r < frag.refCount; r++) {
        const kind = w[kindAt + r];
        if (kind === RefKind.import || kind === RefKind.reexport) n++;
      }
      importStart[f + 1] = (importStart[f] ?? 0) + n;
    }
    const rows = importStart[this.nFiles] ?? 0;
    let large = 0; // rows of the files importsByLocal holds
    for (let f = 0; f < this.nFiles; f++) {
      const n = (importStart[f + 1] ?? 0) - (importStart[f] ?? 0);
      if (n > IMPORT_SCAN_LIMIT) large += n;
    }
    this.importsByLocal = new PairTable(large); // at most one entry per row: never grows
    this.rowBound = new Int32Array(rows).fill(NONE);
    this.rowBinding = new Int32Array(rows).fill(MISSING);
    this.importStart = importStart;
    this.rowQualifier = new Int32Array(rows);
    this.rowName = new Int32Array(rows);
    this.rowAlias = new Int32Array(rows);
    this.rowAux = new Int32Array(rows);
    this.rowReexportGlob = new Uint8Array(rows);
    this.reexportNext = new Int32Array(rows).fill(-1);
    this.globNext = new Int32Array(rows).fill(-1);
    this.globHead = new Int32Array(this.nFiles).fill(-1);
    this.rowTarget = new Int32Array(rows).fill(-2);
    const empty = names.intern('');
    const list = names.list;
    let i = 0;
    for (let f = 0; f < this.nFiles; f++) {
      const frag = this.frag(f);
      const w = frag.words;
      const kindAt = frag.refColumnAt('kind');
      const qualifierAt = frag.refColumnAt('qualifier');
      const nameAt = frag.refColumnAt('name');
      const aliasAt = frag.refColumnAt('alias');
      const auxAt = frag.refColumnAt('aux');
      const python = this.lang(f) === 'python';
      const scan = (importStart[f + 1] ?? 0) - (importStart[f] ?? 0) <= IMPORT_SCAN_LIMIT;
      let lastGlob = -1;
      for (let r = 0; r < frag.refCount; r++) {
        const kind = w[kindAt + r];
        if (kind !== RefKind.import && kind !== RefKind.reexport) continue;
        const qualifier = names.id(f, frag, w[qualifierAt + r]!);
        let nameId = names.id(f, frag, w[nameAt + r]!);
        if (nameId === NONE) nameId = empty;
        const alias = names.id(f, frag, w[aliasAt + r]!);
        this.rowQualifier[i] = qualifier;
        this.rowName[i] = nameId;
        this.rowAlias[i] = alias;
        this.rowAux[i] = w[auxAt + r]!;
        const name = list[nameId] ?? '';
        if (name === '*' && alias === NONE) {
          if (lastGlob < 0) this.globHead[f] = i;
          else this.globNext[lastGlob] = i;
          lastGlob = i;
          if (kind === RefKind.reexport) this.rowReexportGlob[i] = 1;
          i++;
          continue;
        }
        if (kind === RefKind.reexport) {
          const exported = alias !== NONE ? alias : nameId;
          const head = this.reexportsByName.get(f, exported);
          if (head === MISSING) this.reexportsByName.set(f, exported, i);
          else {
            let last = head;
            while ((this.reexportNext[last] ?? -1) >= 0) last = this.reexportNext[last] ?? -1;
            this.reexportNext[last] = i;
          }
        }
        // The name the row binds (as localNameOf, on ids).
        let bound = NONE;
        if (alias !== NONE && list[alias] !== '') bound = alias;
        else if (python && name === '' && qualifier !== NONE && list[qualifier] !== '') {
          const head = (list[qualifier] ?? '').replace(/^\.+/, '').split('.')[0];
          if (head) bound = names.intern(head); // `import a.b` binds `a`
        } else if (name !== '' && name !== '*') bound = nameId;
        this.rowBound[i] = bound;
        if (!scan && bound !== NONE && this.importsByLocal.get(f, bound) === MISSING)
          this.importsByLocal.set(f, bound, i);
        i++;
      }
    }
  }

  /** Import row i (of file f) as an object, for the lookups that read it. */
  private importRow(f: number, i: number): ImportRow {
    const { list } = this.ctx.names;
    const q = this.rowQualifier[i] ?? NONE;
    const alias = this.rowAlias[i] ?? NONE;
    return {
      file: f,
      qualifier: q === NONE ? undefined : list[q],
      qualifierId: q,
      name: list[this.rowName[i] ?? 0] ?? '',
      nameId: this.rowName[i] ?? 0,
      alias: alias === NONE ? undefined : list[alias],
      aux: this.rowAux[i] ?? 0,
    };
  }

  /** Target ↔ int (memo values): -1 = undefined, else id × 2 + 1 when it is a module. */
  private encodeTarget(t: Target): number {
    return t === undefined ? -1 : t.id * 2 + (t.module === undefined ? 0 : 1);
  }

  private decodeTarget(v: number): Target {
    if (v < 0) return undefined;
    const id = v >>> 1;
    return { id, module: v & 1 ? (this.ctx.cols.file[id] ?? NONE) : undefined };
  }

  private frag(f: number): FragmentReader {
    return fragmentOf(this.ctx.inputs, f);
  }

  private lang(f: number): string {
    return this.ctx.inputs[f]?.language ?? '';
  }

  /** Language family of a file: TS / TSX / JS share one namespace of names, Python and Rust their own. */
  /** Per file: 1 when it only declares (`.d.ts`, `.d.mts`, `.d.cts`, `.pyi`), 0 when not, -1 unknown. */
  private declarationFiles: Int8Array | undefined;

  private declaresOnly(f: number): boolean {
    const flags = (this.declarationFiles ??= new Int8Array(this.ctx.inputs.length).fill(-1));
    if (flags[f] === -1) flags[f] = isDeclarationFile(this.ctx.inputs[f]?.relPath ?? '') ? 1 : 0;
    return flags[f] === 1;
  }

  private family(f: number): string {
    const lang = this.lang(f);
    return lang === 'python' ? 'p' : lang === 'rust' ? 'r' : 'j';
  }

  private moduleRow(f: number): number {
    return this.ctx.symbolStart[f] ?? 0;
  }

  private external(name: string): number {
    let id = this.externals.get(name);
    if (id === undefined) {
      const { cols, strings } = this.ctx;
      const nameId = strings.intern(name);
      id = cols.add(NONE, SymbolKind.module, nameId, nameId, NONE);
      this.externals.set(name, id);
      this.externalCreator.push(this.usesFile);
    }
    if (this.usesFile >= 0) this.ctx.partial?.onExternal(id, this.usesFile);
    return id;
  }

  /** Per file: its directory's id. A TS/JS specifier, and a relative Python one, mean the same from every file of a directory. */
  private fileDir: Int32Array | undefined;

  /** The moduleMemo row of (f, spec): f, or nFiles + a per-directory row when only the directory matters. */
  private moduleMemoRow(f: number, spec: string): number {
    const family = this.family(f);
    if (family === 'r' || (family === 'p' && !spec.startsWith('.'))) return f;
    if (!this.fileDir) {
      const dirs = new Int32Array(this.nFiles);
      const ids = new Map<string, number>();
      this.ctx.inputs.forEach((input, i) => {
        const dir = input.relPath.slice(0, Math.max(0, input.relPath.lastIndexOf('/')));
        let id = ids.get(dir);
        if (id === undefined) ids.set(dir, (id = ids.size));
        dirs[i] = id;
      });
      this.fileDir = dirs;
    }
    return this.nFiles + (this.fileDir[f] ?? 0) * 2 + (family === 'p' ? 1 : 0);
  }

  /** key: spec's name id, when the caller has it. */
  private resolveModule(f: number, spec: string, key?: number): ModuleTarget | undefined {
    const { names } = this.ctx;
    key ??= names.intern(spec);
    const row = this.moduleMemoRow(f, spec);
    const v = this.moduleMemo.get(row, key);
    if (v !== MISSING) {
      // -1: unresolved; >= 0: file × 2 + certain; else external, name id -2 - v.
      if (v === -1) return undefined;
      if (v >= 0) return { kind: 'file', file: v >>> 1, certain: (v & 1) === 1 };
      return { kind: 'external', name: names.list[-2 - v] ?? '' };
    }
    const t = this.ctx.modules.resolve(f, spec);
    this.moduleMemo.set(
      row,
      key,
      !t ? -1 : t.kind === 'file' ? t.file * 2 + (t.certain ? 1 : 0) : -2 - names.intern(t.name),
    );
    return t;
  }

  private moduleTarget(t: ModuleTarget | undefined): Target {
    if (!t) return undefined;
    if (t.kind === 'external') return { id: this.external(t.name), module: undefined };
    return { id: this.moduleRow(t.file), module: t.file };
  }

  // ------------------------------------------------------------------ exports and bindings

  /** What `name` means when looked up as a member of module file `f` (exports, re-exports, submodules). */
  private exportLookup(f: number, name: string, depth = 0, key = this.ctx.names.intern(name)): Target {
    const v = this.exportMemo.get(f, key);
    if (v !== MISSING) return this.decodeTarget(v);
    this.exportMemo.set(f, key, -1); // cycle guard: a re-export loop resolves to nothing
    this.exportDepth++;
    const t = depth > 12 ? undefined : this.exportLookupUncached(f, name, depth, key);
    this.exportDepth--;
    this.exportMemo.set(f, key, this.encodeTarget(t));
    return t;
  }

  private exportLookupUncached(f: number, name: string, depth: number, key: number): Target {
    const { cols } = this.ctx;
    if (name === 'default') {
      const a = this.moduleRow(f);
      const b = this.ctx.symbolStart[f + 1] ?? a;
      for (let id = a + 1; id < b; id++) {
        if ((cols.flags[id] ?? 0) & SymbolFlag.defaultExport) return { id, module: undefined };
      }
    }
    const top = this.topLevel(f, name, key);
    if (top !== undefined) return { id: top, module: undefined };
    const head = this.reexportsByName.get(f, key);
    for (let i = head === MISSING ? -1 : head; i >= 0; i = this.reexportNext[i] ?? -1) {
      const row = this.importRow(f, i);
      if (row.qualifier === undefined) {
        const local = this.topLevel(f, row.name, row.nameId) ?? this.binding(f, row.name, 0, row.nameId)?.id;
        if (local !== undefined) return { id: local, module: undefined };
        continue;
      }
      const target = this.importTarget(f, row, depth);
      if (target) return target;
    }
    // Python and Rust: names a module imports are reachable through it (`from .x import y`
    // in __init__.py, `pub use`/`use` items); TS/JS modules export only what they say.
    const lang = this.lang(f);
    if (lang === 'python' || lang === 'rust') {
      const b = this.binding(f, name, depth, key);
      if (b) return b;
    }
    for (let i = this.globHead[f] ?? -1; i >= 0; i = this.globNext[i] ?? -1) {
      if (lang !== 'python' && lang !== 'rust' && !this.rowReexportGlob[i]) continue;
      const glob = this.importRow(f, i);
      const m =
        glob.qualifier === undefined
          ? undefined
          : this.resolveImportModule(f, glob.qualifier, glob.qualifierId);
      if (m?.kind === 'file') {
        const t = this.exportLookup(m.file, name, depth + 1, key);
        if (t) return t;
      }
    }
    // A submodule of a package: `from pkg import sub`, `pkg.sub.f()`, `crate::a::b`.
    if (lang === 'python' && /(^|\/)__init__\.pyi?$/.test(this.ctx.inputs[f]?.relPath ?? '')) {
      const sub = this.resolveModule(f, `.${name}`);
      if (sub?.kind === 'file') return this.moduleTarget(sub);
    }
    if (lang === 'rust') {
      const sub = this.ctx.modules.resolveRustModule(f, ['self', name]);
      if (sub?.kind === 'file') return this.moduleTarget(sub);
    }
    return undefined;
  }

  private resolveImportModule(f: number, qualifier: string, qid?: number): ModuleTarget | undefined {
    if (this.lang(f) === 'rust')
      return this.ctx.modules.rustSplitPath(f, this.rustSegments(qualifier))?.module;
    return this.resolveModule(f, qualifier, qid);
  }

  /** What an import row refers to: a module (namespace / whole-module import) or a symbol. */
  private importTarget(f: number, row: ImportRow, depth: number): Target {
    if (row.qualifier === undefined) return undefined;
    const lang = this.lang(f);
    if (lang === 'rust') {
      const segs = [...this.rustSegments(row.qualifier)];
      if (row.aux === 1) segs.splice(0, segs.length, 'self'); // `mod x;` declaration
      if (row.qualifier === '' && row.name)
        segs.push(row.name); // extern crate
      else if (row.name && row.name !== '*') segs.push(row.name);
      if (row.name === 'self') segs.pop(); // `use a::b::{self}`
      const split = this.ctx.modules.rustSplitPath(f, segs);
      if (!split) return undefined;
      if (split.module.kind === 'external') return this.moduleTarget(split.module);
      if (split.rest.length > 1) this.importImpure = true; // through a type: methodOf reads bases
      return this.memberPath(split.module.file, split.rest, depth);
    }
    if (lang === 'python' && row.name === '') {
      // `import a.b` binds `a`; `import a.b as c` binds c to a.b.
      const spec = row.alias ? row.qualifier : (row.qualifier.split('.')[0] ?? row.qualifier);
      return this.moduleTarget(this.resolveModule(f, spec));
    }
    const m = this.resolveModule(f, row.qualifier, row.qualifierId);
    if (!m) return undefined;
    if (m.kind === 'external' || row.name === '' || row.name === '*') return this.moduleTarget(m);
    const t = this.exportLookup(m.file, row.name, depth + 1, row.nameId);
    if (t) return t;
    if (lang === 'python') {
      // `from pkg import sub` where sub is a module of pkg
      const sub = this.resolveModule(
        f,
        `${row.qualifier}${row.qualifier.endsWith('.') ? '' : '.'}${row.name}`,
      );
      if (sub?.kind === 'file') return this.moduleTarget(sub);
    }
    return undefined;
  }

  /** Walks member names from a module: `a.b.C.m` → module a.b, then C, then method C.m. */
  private memberPath(file: number, rest: readonly string[], depth: number): Target {
    let cur: Target = { id: this.moduleRow(file), module: file };
    for (const seg of rest) {
      if (!cur) return undefined;
      cur = this.member(cur, seg, depth);
    }
    return cur;
  }

  private member(container: NonNullable<Target>, name: string, depth = 0, nid?: number): Target {
    if (container.module !== undefined) return this.exportLookup(container.module, name, depth + 1, nid);
    const { cols } = this.ctx;
    if (cols.file[container.id] === NONE) return undefined; // inside an external package
    if (!CLASS_LIKE.has(cols.kind[container.id] ?? -1)) return undefined;
    return this.methodOf(container.id, name, 0, nid);
  }

  /** A member of a type: in its own file by qualified name, then anywhere (Rust impls), then its bases. */
  private methodOf(typeId: number, name: string, depth: number, nid?: number): Target {
    const { cols } = this.ctx;
    if (name.includes('.')) {
      const qn = `${this.str(cols.qualifiedName[typeId] ?? NONE)}.${name}`;
      const file = cols.file[typeId] ?? NONE;
      const own = file >= 0 ? this.fileQname(file, qn) : undefined;
      if (own !== undefined) return { id: own, module: undefined };
      const anywhere = this.allQname(qn);
      if (anywhere.length === 1 && anywhere[0] !== undefined) return { id: anywhere[0], module: undefined };
    } else {
      const prefix = cols.qualifiedName[typeId] ?? NONE;
      const seg = nid ?? this.ctx.names.lookup(name);
      const file = cols.file[typeId] ?? NONE;
      const own = file >= 0 ? this.pairInFileOf(file, prefix, seg) : MISSING;
      if (own !== MISSING) return { id: own, module: undefined };
      const anywhere = this.pairUnique(this.pairId(prefix, seg));
      if (anywhere !== MISSING) return { id: anywhere, module: undefined };
    }
    if (depth > 8) return undefined;
    for (const base of this.bases.get(typeId) ?? []) {
      const t = this.methodOf(base, name, depth + 1, nid);
      if (t) return t;
    }
    return undefined;
  }

  /** The symbol or module a local name of file f is bound to by an import. */
  private binding(f: number, local: string, depth = 0, key?: number): Target {
    if (f < 0 || f >= this.nFiles) return undefined;
    key ??= this.ctx.names.intern(local);
    const row = this.importRowBinding(f, key);
    // No import binds the name and no glob import could: nothing to memoise (most lookups).
    if (row === MISSING && ((this.globHead[f] ?? -1) < 0 || this.family(f) === 'j')) return undefined;
    const v = row !== MISSING ? (this.rowBinding[row] ?? MISSING) : this.bindingMemo.get(f, key);
    if (v !== MISSING) return this.decodeTarget(v);
    if (row !== MISSING) this.rowBinding[row] = -1;
    else this.bindingMemo.set(f, key, -1);
    let t: Target;
    if (row !== MISSING) {
      const cached = depth === 0 && this.exportDepth === 0 ? (this.rowTarget[row] ?? -2) : -2;
      t = cached !== -2 ? this.decodeTarget(cached) : this.importTarget(f, this.importRow(f, row), depth);
    }
    if (!t) {
      // Names brought in by glob imports (`use x::*`, `from x import *`).
      for (let i = this.globHead[f] ?? -1; i >= 0; i = this.globNext[i] ?? -1) {
        if (this.lang(f) === 'typescript' || this.lang(f) === 'tsx' || this.lang(f) === 'javascript') break;
        const glob = this.importRow(f, i);
        const m =
          glob.qualifier === undefined
            ? undefined
            : this.resolveImportModule(f, glob.qualifier, glob.qualifierId);
        if (m?.kind === 'file' && m.file !== f) t = this.exportLookup(m.file, local, depth + 1, key);
        if (t) break;
      }
    }
    if (row !== MISSING) this.rowBinding[row] = this.encodeTarget(t);
    else this.bindingMemo.set(f, key, this.encodeTarget(t));
    return t;
  }

  /** The first import row of file f that binds local name `key` (a name id), or MISSING. */
  private importRowBinding(f: number, key: number): number {
    if (key === NONE) return MISSING; // rowBound's mark for no name
    const a = this.importStart[f] ?? 0;
    const b = this.importStart[f + 1] ?? 0;
    if (b - a > IMPORT_SCAN_LIMIT) return this.importsByLocal.get(f, key);
    const bound = this.rowBound;
    for (let i = a; i < b; i++) if (bound[i] === key) return i;
    return MISSING;
  }

  // ------------------------------------------------------------------ references

  private resolveFile(f: number, phase: 'structure' | 'uses'): void {
    const frag = this.frag(f);
    const base = this.moduleRow(f);
    const { edges, names } = this.ctx;
    const text = (id: number): string | undefined => names.text(f, frag, id);
    // Reference columns read straight from the fragment's words.
    const w = frag.words;
    const kindAt = frag.refColumnAt('kind');
    const fromAt = frag.refColumnAt('from');
    const nameAt = frag.refColumnAt('name');
    const qualifierAt = frag.refColumnAt('qualifier');
    const aliasAt = frag.refColumnAt('alias');
    const auxAt = frag.refColumnAt('aux');
    let importRow = this.importStart[f] ?? 0;
    for (let r = 0; r < frag.refCount; r++) {
      const kind = w[kindAt + r]!;
      const structural =
        kind === RefKind.import ||
        kind === RefKind.reexport ||
        kind === RefKind.inherits ||
        kind === RefKind.implements;
      // Type facts for dispatch (dispatch.ts reads them itself): no edge, not a reference.
      if (kind === RefKind.declType || kind === RefKind.typeParam || kind === RefKind.implOf) continue;
      if (kind === RefKind.param) {
        // Parameters make no edge; collected first, so every call site sees its callee's.
        if (phase === 'structure') {
          const row = w[fromAt + r]!;
          if (row > 0 && row < frag.symbolCount) {
            const python = this.lang(f) === 'python'; // keyword arguments pair by name
            const nameId = python ? names.id(f, frag, w[nameAt + r]!) : NONE;
            this.flow.param(base + row, w[auxAt + r]!, nameId === NONE ? this.emptyName : nameId, python);
          }
        } else this.count(RefKind.param, false);
        continue;
      }
      if (structural !== (phase === 'structure')) continue;
      const fromRow = w[fromAt + r]!;
      const from = fromRow >= 0 && fromRow < frag.symbolCount ? base + fromRow : base;
      // Names as ids too (a fragment string's id is one array read; its text's, a hash lookup).
      let nid = names.id(f, frag, w[nameAt + r]!);
      if (nid === NONE) nid = this.emptyName;
      const name = names.list[nid] ?? '';
      const qid = names.id(f, frag, w[qualifierAt + r]!);
      const qualifier = qid === NONE ? undefined : names.list[qid];
      let resolved = false;
      switch (kind) {
        case RefKind.argument:
          // The call row just before it says which callee (if any) its value reaches.
          resolved = this.flow.argument(w[auxAt + r]!, names.id(f, frag, w[aliasAt + r]!));
          break;
        case RefKind.read:
        case RefKind.write:
          resolved = this.stateRef(f, from, kind === RefKind.write, name, qualifier, nid, qid);
          break;
        case RefKind.import:
        case RefKind.reexport: {
          const rowIdx = importRow++; // the row collectImports made of this ref
          if (qualifier === undefined) break; // a local `export { a as b }`
          const row: ImportRow = {
            file: f,
            qualifier,
            qualifierId: qid,
            name,
            nameId: nid,
            alias: text(w[aliasAt + r]!),
            aux: w[auxAt + r]!,
          };
          const mod =
            this.lang(f) === 'rust' && row.aux !== 1
              ? this.rustImportModule(f, row)
              : this.moduleTarget(
                  row.aux === 1
                    ? this.resolveImportModule(f, `self::${name}`)
                    : this.resolveImportModule(f, qualifier, qid),
                );
          if (mod) {
            edges.add(base, mod.id, EdgeKind.imports, Confidence.certain);
            resolved = true;
          }
          if (name && name !== '*') {
            this.importImpure = false;
            const sym = this.importTarget(f, row, 0);
            if (!this.importImpure && this.exportDepth === 0) this.rowTarget[rowIdx] = this.encodeTarget(sym);
            if (sym && sym.id !== mod?.id) edges.add(base, sym.id, EdgeKind.imports, Confidence.imported);
            resolved ||= sym !== undefined;
          }
          break;
        }
        case RefKind.inherits:
        case RefKind.implements: {
          let src = from;
          if (fromRow === NONE) {
            // Rust `impl Trait for Type` with Type defined in another file.
            const owner = this.resolveType(f, base, text(w[aliasAt + r]!) ?? '', undefined);
            if (!owner) break;
            src = owner.id;
          }
          const t = this.resolveType(f, from, name, qualifier);
          if (t) {
            edges.add(src, t.id, kind === RefKind.inherits ? EdgeKind.inherits : EdgeKind.implements, t.conf);
            pushTo(this.bases, src, t.id);
            resolved = true;
          }
          break;
        }
        case RefKind.call:
        case RefKind.instantiate: {
          let t = this.resolveCall(f, from, name, qualifier, kind === RefKind.instantiate, nid, qid);
          const via =
            kind === RefKind.call ? this.dispatch.call(f, from, name, qualifier, t, r, qid) : undefined;
          // `f.call(self, a)` / `f.apply(self, args)` / `f.bind(self)`: f itself, when no method
          // of that name is what the receiver holds (`ns.bind(…)` of a module stays a call of bind).
          let forwarded = false;
          if (!t && !via?.length && kind === RefKind.call && qualifier && FORWARDERS.has(name)) {
            t = this.forwardedCallee(f, from, qualifier);
            forwarded = t !== undefined;
          }
          for (const d of via ?? []) {
            if (d === via?.[0]) t = d;
            else {
              edges.add(from, d.id, EdgeKind.calls, d.conf);
              this.countCall(f, d.conf);
            }
          }
          if (t) {
            edges.add(from, t.id, EdgeKind.calls, t.conf);
            this.countCall(f, t.conf);
            resolved = true;
            // A bound function is not called yet: no value comes back; the receiver is no argument.
            const used = w[aliasAt + r]! !== NONE && !(forwarded && name === 'bind');
            const argc = w[auxAt + r]! - (forwarded ? 1 : 0);
            this.flow.call(from, t.id, this.paramOwner(t.id), t.conf, argc, used);
          } else this.flow.unresolvedCall();
          break;
        }
        case RefKind.typeRef:
        case RefKind.paramType:
        case RefKind.returnType: {
          const t = this.resolveType(f, from, name, qualifier, nid, qid);
          if (t) {
            edges.add(from, t.id, EdgeKind.referencesType, t.conf);
            resolved = true;
            if (kind !== RefKind.typeRef && TYPE_KINDS.has(this.ctx.cols.kind[t.id] ?? -1)) {
              const typeName = this.str(this.ctx.cols.name[t.id] ?? NONE);
              this.flow.typeUse(t.id, typeName, from, kind === RefKind.returnType, t.conf);
            }
          }
          break;
        }
      }
      this.count(kind, resolved);
      if (resolved && this.fileResolved.length > 0) {
        const k = kind >= 0 && kind < REF_KIND_NAMES.length ? kind : REF_KIND_NAMES.length;
        this.fileResolved[f * TALLY_KINDS + k]!++;
      }
    }
  }

  /** A call edge of file f: its band in the stats and in f's tally. */
  private countCall(f: number, conf: number): void {
    const b = band(conf);
    this.stats.callConfidence[b] = (this.stats.callConfidence[b] ?? 0) + 1;
    if (this.fileCalls.length > 0) this.fileCalls[f * CALL_BANDS.length + CALL_BANDS.indexOf(b)]!++;
  }

  private rustImportModule(f: number, row: ImportRow): Target {
    let segs = this.rustSegments(row.qualifier ?? '');
    if (row.qualifier === '' && row.name) segs = [...segs, row.name]; // extern crate
    const split = this.ctx.modules.rustSplitPath(f, segs);
    return split ? this.moduleTarget(split.module) : undefined;
  }

  /** The symbol whose parameters a call of `id` fills: a function, or a class's constructor. */
  private paramOwner(id: number): number {
    const { cols } = this.ctx;
    const kind = cols.kind[id] ?? -1;
    if (kind === SymbolKind.function || kind === SymbolKind.method) return id;
    if (kind !== SymbolKind.class && kind !== SymbolKind.struct) return -1;
    const ctor = this.lang(cols.file[id] ?? 0) === 'python' ? '__init__' : 'constructor';
    return this.methodOf(id, ctor, 0)?.id ?? -1;
  }

  /**
   * A read / write row: the field (`this.x`, `self.x`, owned by the enclosing class or a base)
   * or module-level name (own, imported, or `mod.NAME`) it uses becomes a state key.
   */
  private stateRef(
    f: number,
    from: number,
    write: boolean,
    name: string,
    qualifier: string | undefined,
    nid?: number,
    qid?: number,
  ): boolean {
    if (!name) return false;
    const { cols } = this.ctx;
    let key: number;
    let conf: number;
    if (qualifier === 'this' || qualifier === 'self') {
      const type = this.enclosingType(f, from);
      if (type === undefined) return false;
      const member = this.methodOf(type, name, 0, nid);
      if (member) {
        if (cols.kind[member.id] !== SymbolKind.field) return false; // a method or a nested type
        key = member.id;
        const own = this.nestedIn(member.id, type);
        conf = own ? FlowConfidence.ownField : FlowConfidence.inheritedField;
      } else {
        key = this.flow.undeclaredField(type, name);
        conf = FlowConfidence.undeclaredField;
      }
    } else if (!qualifier) {
      const own = this.topLevel(f, name, nid);
      const t = own !== undefined ? { id: own, module: undefined } : this.binding(f, name, 0, nid);
      if (!t || t.module !== undefined || !STATE_KINDS.has(cols.kind[t.id] ?? -1)) return false;
      if (cols.file[t.id] === NONE) return false;
      key = t.id;
      conf = cols.file[t.id] === f ? FlowConfidence.moduleName : FlowConfidence.crossFileName;
    } else {
      // `mod.NAME` (Python module attributes): the module through the file's imports.
      const segs = qualifier.split('.');
      const head = this.scoped(f, from, segs[0] ?? '', segs.length === 1 ? qid : undefined);
      let container: Target = head ? { id: head.id, module: this.moduleOfRow(head.id) } : undefined;
      for (const seg of segs.slice(1)) container = container ? this.member(container, seg) : undefined;
      if (container?.module === undefined) return false;
      const t = this.member(container, name, 0, nid);
      if (!t || !STATE_KINDS.has(cols.kind[t.id] ?? -1) || cols.file[t.id] === NONE) return false;
      key = t.id;
      conf = cols.file[t.id] === f ? FlowConfidence.moduleName : FlowConfidence.crossFileName;
    }
    this.flow.stateUse(key, from, write, conf);
    return true;
  }

  /** References (and those resolved) by RefKind, the last slot for unknown kinds; in stats at the end. */
  private readonly refTally = new Float64Array(REF_KIND_NAMES.length + 1);
  private readonly resolvedTally = new Float64Array(REF_KIND_NAMES.length + 1);
  /** The kinds in the order they were first counted (the order of the stats' keys). */
  private readonly refOrder: number[] = [];
  private readonly resolvedOrder: number[] = [];

  private count(kind: number, resolved: boolean): void {
    const k = kind >= 0 && kind < REF_KIND_NAMES.length ? kind : REF_KIND_NAMES.length;
    if (this.refTally[k]!++ === 0) this.refOrder.push(k);
    if (resolved && this.resolvedTally[k]!++ === 0) this.resolvedOrder.push(k);
  }

  private tallyStats(): void {
    const name = (k: number): string => REF_KIND_NAMES[k] ?? 'unknown';
    for (const k of this.refOrder) this.stats.refs[name(k)] = this.refTally[k] ?? 0;
    for (const k of this.resolvedOrder) this.stats.resolved[name(k)] = this.resolvedTally[k] ?? 0;
  }

  /** A name as seen from inside symbol `from`: nested scopes outward, then the file's imports. */
  private scoped(
    f: number,
    from: number,
    name: string,
    nid?: number,
  ): { id: number; conf: number } | undefined {
    const { cols } = this.ctx;
    const base = this.moduleRow(f);
    const dotted = name.includes('.');
    const seg = dotted ? NONE : (nid ?? this.ctx.names.lookup(name));
    for (let s = from; (dotted || seg !== NONE) && s > base && s >= 0; s = cols.parent[s] ?? base) {
      // Members of a class are not in scope by bare name in any of our languages (they need
      // this./self.), so class scopes are passed over.
      if (CLASS_LIKE.has(cols.kind[s] ?? -1)) continue;
      if (dotted) {
        const id = this.fileQname(f, `${this.str(cols.qualifiedName[s] ?? NONE)}.${name}`);
        if (id !== undefined && id !== from) return { id, conf: Confidence.local };
      } else {
        const id = this.pairInFileOf(f, cols.qualifiedName[s] ?? NONE, seg);
        if (id !== MISSING && id !== from) return { id, conf: Confidence.local };
      }
    }
    const top = this.topLevel(f, name, nid);
    if (top !== undefined) {
      // `var x = require('./x')` declares a variable and binds an import: the import says
      // what it holds (a module or one of its exports).
      if (STATE_KINDS.has(cols.kind[top] ?? -1) && this.family(f) === 'j') {
        const req = this.binding(f, name, 0, nid);
        if (req) return { id: req.id, conf: Confidence.imported };
      }
      return { id: top, conf: Confidence.local };
    }
    const b = this.binding(f, name, 0, nid);
    if (b) return { id: b.id, conf: Confidence.imported };
    return undefined;
  }

  /**
   * What a CommonJS module is when used as a value (`m()` and `m.f()` after `var m =
   * require('./m')`): its `module.exports = …` (flagged default export), else undefined.
   */
  private moduleValue(file: number): number | undefined {
    if (this.family(file) !== 'j') return undefined;
    const t = this.exportLookup(file, 'default');
    return t && t.module === undefined && this.ctx.cols.file[t.id] === file ? t.id : undefined;
  }

  /** The type enclosing a method: its class-like parent, or (Rust impl of a type defined elsewhere) its qualified-name prefix. */
  private enclosingType(f: number, from: number): number | undefined {
    const { cols } = this.ctx;
    const base = this.moduleRow(f);
    for (let s = from; s > base && s >= 0; s = cols.parent[s] ?? base) {
      if (CLASS_LIKE.has(cols.kind[s] ?? -1)) return s;
      if (cols.kind[s] === SymbolKind.method && cols.parent[s] === base) {
        const qn = this.str(cols.qualifiedName[s] ?? NONE);
        const typeName = qn.slice(0, qn.lastIndexOf('.'));
        if (!typeName) return undefined;
        const local = this.fileQname(f, typeName);
        if (local !== undefined) return local;
        let found: number | undefined;
        for (const id of this.allQname(typeName)) {
          if (!CLASS_LIKE.has(cols.kind[id] ?? -1)) continue;
          if (found !== undefined) return undefined;
          found = id;
        }
        return found;
      }
    }
    return undefined;
  }

  private resolveCall(
    f: number,
    from: number,
    name: string,
    qualifier: string | undefined,
    instantiate: boolean,
    nid?: number,
    qid?: number,
  ): { id: number; conf: number } | undefined {
    if (!name) return undefined;
    const q = trimColons(qualifier);
    if (!q) {
      const s = this.scoped(f, from, name, nid);
      if (s && this.ctx.cols.file[s.id] !== NONE) {
        const mod = this.family(f) === 'j' ? this.moduleOfRow(s.id) : undefined;
        if (mod === undefined) return s;
        // `m(x)` with m = require('./m'): the function the module exports as its value.
        const value = this.moduleValue(mod);
        return value === undefined ? undefined : { id: value, conf: Confidence.imported };
      }
      if (s) return undefined; // a call into an external package: no project edge
      return this.uniqueByName(f, name, instantiate ? TYPE_KINDS : CALLABLE_KINDS, false, nid);
    }
    if (q === 'this' || q === 'self' || q === 'Self' || q === 'cls') {
      const type = this.enclosingType(f, from);
      if (type === undefined) return undefined;
      const t = this.methodOf(type, name, 0, nid);
      if (!t) return undefined;
      const own = this.ctx.cols.parent[t.id] === type || this.nestedIn(t.id, type);
      return { id: t.id, conf: own ? Confidence.receiver : Confidence.inherited };
    }
    if (q === 'super') {
      const type = this.enclosingType(f, from);
      for (const b of type === undefined ? [] : (this.bases.get(type) ?? [])) {
        const t = this.methodOf(b, name, 0, nid);
        if (t) return { id: t.id, conf: Confidence.inherited };
      }
      return undefined;
    }
    const segs = this.pathSegments(q);
    const head = segs[0] ?? '';
    // The qualifier's id is the head's when the qualifier is one plain name (`peer.f()`).
    const headId = q === qualifier && segs.length === 1 && head === q ? qid : undefined;
    if (head !== 'this' && head !== 'self') {
      let container: Target;
      if (this.lang(f) === 'rust' && ['crate', 'self', 'super'].includes(head)) {
        const split = this.ctx.modules.rustSplitPath(f, segs);
        if (split?.module.kind === 'file') container = this.memberPath(split.module.file, split.rest, 0);
      } else {
        const s = this.scoped(f, from, head, headId);
        container = s ? { id: s.id, module: this.moduleOfRow(s.id) } : undefined;
        for (const seg of segs.slice(1)) container = container ? this.member(container, seg) : undefined;
      }
      if (container) {
        if (this.ctx.cols.file[container.id] === NONE) return undefined; // external package
        const t = this.member(container, name, 0, nid) ?? this.moduleValueMember(f, container, name, nid);
        if (t)
          return {
            id: t.id,
            conf: container.module !== undefined ? Confidence.imported : Confidence.receiver,
          };
      }
      // A type path not bound in this file (Rust `Foo::new` via the crate, Python `Klass.method`).
      const last = segs[segs.length - 1] ?? '';
      if (name.includes('.')) {
        const byQ = this.allQname(`${last}.${name}`);
        if (byQ.length === 1 && byQ[0] !== undefined) return { id: byQ[0], conf: Confidence.qualifiedName };
      } else {
        const { names } = this.ctx;
        const prefix = names.lookup(last);
        const seg = prefix === NONE ? NONE : (nid ?? names.lookup(name));
        const byQ = seg === NONE ? MISSING : this.pairUnique(this.pairOf.get(prefix, seg));
        if (byQ !== MISSING) return { id: byQ, conf: Confidence.qualifiedName };
      }
      if (container || this.binding(f, head, 0, headId)) return undefined;
    }
    // Unknown receiver (`x.len()`, `this.repo.save()`): a project-unique method name only.
    return this.uniqueByName(f, name, CALLABLE_KINDS, true, nid);
  }

  /**
   * `m.f()` with m = require('./m') and f not an export of m: a member of what the module
   * exports as its value (`module.exports = Foo`: a method of class Foo, or `Foo.prototype.f`).
   */
  private moduleValueMember(f: number, container: NonNullable<Target>, name: string, nid?: number): Target {
    if (container.module === undefined || this.family(f) !== 'j') return undefined;
    const value = this.moduleValue(container.module);
    if (value === undefined) return undefined;
    const { cols } = this.ctx;
    if (CLASS_LIKE.has(cols.kind[value] ?? -1)) return this.methodOf(value, name, 0, nid);
    if (cols.kind[value] !== SymbolKind.function) return undefined;
    const seg = nid ?? this.ctx.names.lookup(name);
    const own =
      seg === NONE ? MISSING : this.pairInFileOf(container.module, cols.qualifiedName[value] ?? NONE, seg);
    return own === MISSING ? undefined : { id: own, module: undefined };
  }

  /**
   * The function a forwarder is called on: `compile` in `compile.call(this, s)`, `Foo.m` in
   * `Foo.prototype.m.apply(this, args)` (JS / TS only), resolved as a call of it would be.
   */
  private forwardedCallee(
    f: number,
    from: number,
    qualifier: string,
  ): { id: number; conf: number } | undefined {
    if (this.family(f) !== 'j') return undefined;
    const m = FORWARDED_CALLEE.exec(qualifier);
    if (!m?.[2]) return undefined;
    const rest = m[1]?.replace(PROTOTYPE_SEG, '');
    const t = this.resolveCall(f, from, m[2], rest || undefined, false);
    return t && CALLABLE_KINDS.has(this.ctx.cols.kind[t.id] ?? -1) ? t : undefined;
  }

  /** Does symbol `id`'s qualified name start with `${qualified name of outer}.`? (No string built.) */
  private nestedIn(id: number, outer: number): boolean {
    const inner = this.str(this.ctx.cols.qualifiedName[id] ?? NONE);
    const prefix = this.str(this.ctx.cols.qualifiedName[outer] ?? NONE);
    return inner.length > prefix.length && inner.charCodeAt(prefix.length) === 46 && inner.startsWith(prefix);
  }

  /** A qualifier's segments split at `.` and `::`, empty ones dropped; memoised (treat as read-only). */
  private readonly segmentsOf = new Map<string, readonly string[]>();

  /** A Rust path's segments split at `::`, empty ones dropped; memoised (read-only). */
  private readonly rustSegmentsOf = new Map<string, string[]>();

  private rustSegments(q: string): string[] {
    let segs = this.rustSegmentsOf.get(q);
    if (segs === undefined) this.rustSegmentsOf.set(q, (segs = q.split('::').filter(Boolean)));
    return segs;
  }

  private pathSegments(q: string): string[] {
    let segs = this.segmentsOf.get(q);
    if (segs === undefined) this.segmentsOf.set(q, (segs = q.split(/\.|::/).filter(Boolean)));
    return segs as string[];
  }

  private moduleOfRow(id: number): number | undefined {
    const { cols } = this.ctx;
    const f = cols.file[id] ?? NONE;
    return f >= 0 && this.moduleRow(f) === id ? f : undefined;
  }

  private resolveType(
    f: number,
    from: number,
    name: string,
    qualifier: string | undefined,
    nid?: number,
    qid?: number,
  ): { id: number; conf: number } | undefined {
    if (!name) return undefined;
    const { cols } = this.ctx;
    if (name === 'Self') {
      const t = this.enclosingType(f, from);
      return t === undefined ? undefined : { id: t, conf: Confidence.local };
    }
    const q = trimColons(qualifier);
    if (!q) {
      const s = this.scoped(f, from, name, nid);
      if (s && cols.file[s.id] !== NONE) {
        // `class A extends B` with B = require('./b'): the class the module exports as its value.
        const mod = this.family(f) === 'j' ? this.moduleOfRow(s.id) : undefined;
        if (mod === undefined) return s;
        const value = this.moduleValue(mod);
        return value === undefined ? undefined : { id: value, conf: Confidence.imported };
      }
      if (s) return undefined;
      return this.uniqueByName(f, name, TYPE_KINDS, false, nid);
    }
    const segs = this.pathSegments(q);
    const headId = q === qualifier && segs.length === 1 && segs[0] === q ? qid : undefined;
    let container: Target;
    if (this.lang(f) === 'rust') {
      const split = this.ctx.modules.rustSplitPath(f, segs);
      // `chan::Tx` after `use crate::chan;`: the head is an import, not an external crate.
      if (split?.module.kind === 'external' && !this.binding(f, segs[0] ?? '', 0, headId)) return undefined;
      if (split?.module.kind === 'file') container = this.memberPath(split.module.file, split.rest, 0);
    }
    if (!container) {
      const s = this.scoped(f, from, segs[0] ?? '', headId);
      container = s ? { id: s.id, module: this.moduleOfRow(s.id) } : undefined;
      for (const seg of segs.slice(1)) container = container ? this.member(container, seg) : undefined;
    }
    if (container) {
      if (cols.file[container.id] === NONE) return undefined;
      const t = this.member(container, name, 0, nid);
      if (t) return { id: t.id, conf: Confidence.imported };
    }
    return this.uniqueByName(f, name, TYPE_KINDS, false, nid);
  }

  /** The one symbol of these kinds with this name in the whole project, if there is exactly one. */
  /**
   * The one symbol of these kinds with this name among the files of `f`'s language family
   * (a TypeScript call never means a Python method, however unique its name).
   */
  private uniqueByName(
    f: number,
    name: string,
    kinds: Set<number>,
    methodsOnly: boolean,
    nid?: number,
  ): { id: number; conf: number } | undefined {
    if (name.length < 3 || COMMON_NAMES.has(name)) return undefined;
    const family = this.family(f);
    // Memoised: a name defined many times and called many times would otherwise cost their product.
    const nameKey = nid ?? this.ctx.names.intern(name);
    const kindKey =
      (family === 'p' ? 0 : family === 'r' ? 3 : 6) + (kinds === TYPE_KINDS ? 0 : methodsOnly ? 1 : 2);
    const memo = this.uniqueMemo.get(nameKey, kindKey);
    if (memo !== MISSING) return memo < 0 ? undefined : { id: memo, conf: Confidence.uniqueName };
    const { cols } = this.ctx;
    // A declaration file (`.d.ts`, `.pyi`) restating the one implementation under its qualified
    // name (ESLint's Linter.verifyAndFix in linter.js and twice in types/index.d.ts) does not
    // make the name ambiguous. Without an implementation, a single declaration is the target.
    let impl = NONE;
    let impls = 0;
    let decl = NONE;
    let decls = 0;
    let declsAgree = true; // every declaration has the first one's qualified name
    for (const id of this.byName.bucket(this.keyOfName(nameKey))) {
      const k = cols.kind[id] ?? -1;
      if (!kinds.has(k) || (methodsOnly && k !== SymbolKind.method)) continue;
      const file = cols.file[id] ?? 0;
      if (this.family(file) !== family) continue;
      if (this.declaresOnly(file)) {
        if (decl === NONE) decl = id;
        else if (cols.qualifiedName[decl] !== cols.qualifiedName[id]) declsAgree = false;
        decls++;
      } else if (++impls > 1) break;
      else impl = id;
    }
    let found = NONE;
    if (impls === 1)
      found =
        decls === 0 || (declsAgree && cols.qualifiedName[decl] === cols.qualifiedName[impl]) ? impl : NONE;
    else if (impls === 0 && decls === 1) found = decl;
    const t = found === NONE ? undefined : { id: found, conf: Confidence.uniqueName };
    this.uniqueMemo.set(nameKey, kindKey, found);
    return t;
  }
}

/**
 * Symbol ids bucketed by an integer key (an interned string id) in CSR form, ids ascending
 * within a bucket: a counting sort over the symbol columns instead of a Map of arrays, so
 * 1.8M symbols cost two Int32Arrays, not 1.8M small arrays and Map entries.
 */
class NameIndex {
  readonly start: Int32Array;
  readonly ids: Int32Array;
  private static readonly empty = new Int32Array(0);

  constructor(
    nKeys: number,
    nSymbols: number,
    keyOf: (id: number) => number,
    include: (id: number) => boolean,
  ) {
    const start = new Int32Array(nKeys + 1);
    let n = 0;
    for (let id = 0; id < nSymbols; id++) {
      if (!include(id)) continue;
      start[keyOf(id) + 1]!++;
      n++;
    }
    for (let k = 0; k < nKeys; k++) start[k + 1]! += start[k]!;
    const fill = start.slice(0, nKeys);
    const ids = new Int32Array(n);
    for (let id = 0; id < nSymbols; id++) if (include(id)) ids[fill[keyOf(id)]!++] = id;
    this.start = start;
    this.ids = ids;
  }

  /** The ids under key k (a view; empty for k < 0). */
  bucket(k: number): Int32Array {
    if (k < 0 || k + 1 >= this.start.length) return NameIndex.empty;
    return this.ids.subarray(this.start[k], this.start[k + 1]);
  }

  /** The position of the first id >= `min` in bucket k. */
  lowerBound(k: number, min: number): number {
    let lo = this.start[k] ?? 0;
    let hi = this.start[k + 1] ?? 0;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.ids[mid] ?? 0) < min) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function pushTo<K>(map: Map<K, number[]>, key: K, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** A qualifier without one trailing `::` (as .replace(/::$/, '')). */
function trimColons(q: string | undefined): string | undefined {
  return q !== undefined && q.endsWith('::') ? q.slice(0, -2) : q;
}

function band(conf: number): string {
  if (conf >= Confidence.imported) return 'imported';
  if (conf >= Confidence.local) return 'local';
  if (conf >= Confidence.receiver) return 'receiver';
  if (conf >= Confidence.inferred) return 'inferred';
  if (conf >= Confidence.qualifiedName) return 'qualified';
  if (conf >= Confidence.dispatchImpl) return 'dispatch';
  if (conf >= Confidence.uniqueName) return 'name';
  return 'namedReceiver';
}

/** 1 per file whose uses pass runs in a partial re-resolution. */
function usesFiles(n: number, files: readonly number[]): Uint8Array {
  const out = new Uint8Array(n);
  for (const f of files) out[f] = 1;
  return out;
}
