// Merges per-file fragments into one IndexGraph: assigns global symbol ids (files in path
// order, rows in fragment order, so ids depend only on the tree), interns strings, adds
// `contains` edges, and hands the raw references to the resolver for cross-file edges.
// Coordinator thread. Input fragments must be sorted by relPath.

import type { FlowStats } from './dataflow.js';
import type { FragmentReader } from './fragment.js';
import {
  buildCsr,
  reverseCsr,
  EdgeKind,
  Confidence,
  type Csr,
  type IndexGraph,
  type SymbolTable,
} from './graph.js';
import { ModuleResolver } from './modules.js';
import { resolveReferences, type PartialResolve, type ResolveTally } from './resolve.js';
import { LANGUAGES, NONE, SymbolKind, type LanguageId } from '../protocol.js';

export interface MergeInput {
  readonly relPath: string;
  readonly language: LanguageId;
  readonly contentHash: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly fragment: FragmentReader;
  /** The fragment's counts when kept apart from it (a spilled fragment is not re-read for them). */
  readonly stats?: {
    readonly errorCount: number;
    readonly lineCount: number;
    readonly stringCount?: number;
    readonly symbolCount?: number;
    readonly refCount?: number;
  };
}

/**
 * Growable edge list (struct of typed arrays, grown by half when full) used while resolving:
 * the corpus' ~600k edges were 8% of a merge as four JS array pushes each, plus their garbage.
 * By half, not doubled: the first estimate is close (the synthetic trees' raw edges overran it
 * by 3.5%), and a doubling left half of the merge's largest arrays empty at its peak.
 */
export class EdgeList {
  src: Int32Array;
  dst: Int32Array;
  kind: Uint8Array;
  conf: Uint8Array;
  length = 0;
  constructor(capacity = 1 << 12) {
    const n = Math.max(16, capacity);
    this.src = new Int32Array(n);
    this.dst = new Int32Array(n);
    this.kind = new Uint8Array(n);
    this.conf = new Uint8Array(n);
  }
  /** Forward and reverse CSR over `nodes` nodes of the first `count` edges, one per (source, target, kind). */
  csr(nodes: number, count = this.length): { forward: Csr; reverse: Csr } {
    const forward = buildCsr(
      nodes,
      this.src.subarray(0, count),
      this.dst.subarray(0, count),
      this.kind.subarray(0, count),
      this.conf.subarray(0, count),
      true,
    );
    return { forward, reverse: reverseCsr(nodes, forward) };
  }
  add(src: number, dst: number, kind: number, conf: number): void {
    if (src === dst && kind !== EdgeKind.calls) return;
    const i = this.length;
    if (i === this.src.length) this.grow();
    this.src[i] = src;
    this.dst[i] = dst;
    this.kind[i] = kind;
    this.conf[i] = conf;
    this.length = i + 1;
  }
  private grow(): void {
    const n = this.src.length + (this.src.length >> 1);
    const src = new Int32Array(n);
    src.set(this.src);
    const dst = new Int32Array(n);
    dst.set(this.dst);
    const kind = new Uint8Array(n);
    kind.set(this.kind);
    const conf = new Uint8Array(n);
    conf.set(this.conf);
    this.src = src;
    this.dst = dst;
    this.kind = kind;
    this.conf = conf;
  }
}

/**
 * Every fragment's strings interned once into one table (the merge's working names, not the
 * graph's string table): per file, fragment string id → name id. Strings are decoded without
 * the fragment's cache, so 100k fragments do not each keep their own `self`, `run`, `label`.
 *
 * One byte-keyed hash index over UTF-8 holds every name: a fragment string is found by hashing
 * and comparing the bytes the fragment stores (no decoding), a JS string by hashing its UTF-8
 * the same way. Only strings that have no UTF-8 of their own (lone surrogates) live in a Map.
 * A Map of every name (hundreds of thousands of fresh strings) was most of the interning.
 */
export class NameTable {
  readonly list: string[] = [];
  /** Names the byte index cannot hold (lone surrogates): by their text. */
  private readonly unencodable = new Map<string, number>();
  /** File f's fragment string i → name id + 1 (0: not interned yet) at stringBase[f] + i: one array, not one per file. */
  private readonly perString: Int32Array;
  private readonly stringBase: Int32Array;

  /** stringCounts: each file's fragment string count. */
  constructor(stringCounts: readonly number[] = []) {
    const base = new Int32Array(stringCounts.length + 1);
    stringCounts.forEach((n, f) => (base[f + 1] = (base[f] ?? 0) + n));
    this.stringBase = base;
    this.perString = new Int32Array(base[stringCounts.length] ?? 0);
  }

  /**
   * The last string asked for and its id (NONE: not interned yet): one name is looked up
   * several times in a row (scope, top level, imports) and a compare is cheaper than a probe.
   */
  private lastString: string | undefined;
  private lastId = NONE;

  /** The name id of a string, or NONE (never adds). */
  lookup(s: string): number {
    if (s === this.lastString) return this.lastId;
    const id = this.find(s);
    this.lastString = s;
    this.lastId = id;
    return id;
  }

  intern(s: string): number {
    if (s === this.lastString && this.lastId !== NONE) return this.lastId;
    let id = this.find(s);
    if (id === NONE) {
      id = this.list.length;
      this.list.push(s);
      const len = this.encode(s);
      if (len < 0) this.unencodable.set(s, id);
      else this.addEntry(this.hash(this.scratch, 0, len), this.scratch, 0, len, id, this.freeSlot);
    }
    this.lastString = s;
    this.lastId = id;
    return id;
  }

  /** The name id of s, or NONE; sets freeSlot (where s's bytes would go) when s is encodable. */
  private find(s: string): number {
    const len = this.encode(s);
    if (len < 0) return this.unencodable.get(s) ?? NONE;
    return this.probe(this.scratch, 0, len, this.hash(this.scratch, 0, len));
  }

  /** The name id of fragment string `local` of file f, NONE for NONE (as FragmentReader.str). */
  id(f: number, frag: FragmentReader, local: number): number {
    if (local < 0 || local >= frag.stringCount) return NONE;
    const at = (this.stringBase[f] ?? 0) + local;
    if (f + 1 >= this.stringBase.length || at >= (this.stringBase[f + 1] ?? 0))
      throw new Error(`NameTable: file ${f} has no room for string ${local}`);
    const v = this.perString[at]! - 1;
    if (v !== NONE) return v;
    const id = this.idOfBytes(frag, local);
    this.perString[at] = id + 1;
    return id;
  }

  /**
   * Open addressing, slot i at 2i: entry + 1 (0 = empty) and the entry's hash, so a probe reads
   * one cache line until the hash matches. Entry e at 3e: arena start, byte length, name id.
   */
  private slots = new Int32Array(2 << 16);
  private entry = new Int32Array(3 << 15);
  private entries = 0;
  private arena = new Uint8Array(1 << 20);
  private arenaUsed = 0;
  /** Set by probe on a miss: the empty slot where the bytes would go. */
  private freeSlot = 0;
  /** The UTF-8 of the last string encode()d. */
  private scratch = new Uint8Array(256);

  /** UTF-8 of s into scratch; its length, or -1 when s has a lone surrogate (no UTF-8 of its own). */
  private encode(s: string): number {
    const n = s.length;
    if (this.scratch.length < n * 3) this.scratch = new Uint8Array(n * 3 + 64);
    const out = this.scratch;
    let w = 0;
    for (let i = 0; i < n; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) out[w++] = c;
      else if (c < 0x800) {
        out[w++] = 0xc0 | (c >> 6);
        out[w++] = 0x80 | (c & 63);
      } else if (c >= 0xd800 && c < 0xe000) {
        const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
        if (c >= 0xdc00 || d < 0xdc00 || d >= 0xe000) return -1;
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        out[w++] = 0xf0 | (c >> 18);
        out[w++] = 0x80 | ((c >> 12) & 63);
        out[w++] = 0x80 | ((c >> 6) & 63);
        out[w++] = 0x80 | (c & 63);
      } else {
        out[w++] = 0xe0 | (c >> 12);
        out[w++] = 0x80 | ((c >> 6) & 63);
        out[w++] = 0x80 | (c & 63);
      }
    }
    return w;
  }

  private hash(bytes: Uint8Array, a: number, len: number): number {
    let h = 0x811c9dc5 ^ len;
    for (let i = a; i < a + len; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    return h;
  }

  /** The name id of these bytes, or NONE (freeSlot: where they would go). */
  private probe(bytes: Uint8Array, a: number, len: number, h: number): number {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    const arena = this.arena;
    const entry = this.entry;
    let s = h & mask;
    for (;;) {
      const e = slots[2 * s]! - 1;
      if (e < 0) break;
      if (slots[2 * s + 1] === h && entry[3 * e + 1] === len) {
        const at = entry[3 * e]!;
        let i = 0;
        while (i < len && arena[at + i] === bytes[a + i]) i++;
        if (i === len) return entry[3 * e + 2]!;
      }
      s = (s + 1) & mask;
    }
    this.freeSlot = s;
    return NONE;
  }

  /**
   * A fragment string by its bytes. A miss decodes them; bytes that are not valid UTF-8 decode
   * to U+FFFD and are interned through the decoded string's own UTF-8, so two sequences that
   * decode alike share one id, exactly as interning the decoded strings would.
   */
  private idOfBytes(frag: FragmentReader, local: number): number {
    const bytes = frag.bytes;
    const a = frag.strStart(local);
    const len = frag.strStart(local + 1) - a;
    const h = this.hash(bytes, a, len);
    const found = this.probe(bytes, a, len, h);
    if (found !== NONE) return found;
    const slot = this.freeSlot;
    const text = frag.strUncached(local) ?? '';
    if (text.includes('\ufffd')) {
      const name = this.intern(text);
      if (this.probe(bytes, a, len, h) === NONE) this.addEntry(h, bytes, a, len, name, this.freeSlot);
      return name;
    }
    const name = this.list.length;
    this.list.push(text);
    this.addEntry(h, bytes, a, len, name, slot);
    this.lastString = undefined; // a NONE remembered for this text is stale now
    return name;
  }

  private addEntry(h: number, bytes: Uint8Array, a: number, len: number, name: number, slot: number): void {
    const e = this.entries;
    if (3 * e === this.entry.length) {
      const next = new Int32Array(this.entry.length * 2);
      next.set(this.entry);
      this.entry = next;
    }
    if (this.arenaUsed + len > this.arena.length) {
      let n = this.arena.length * 2;
      while (n < this.arenaUsed + len) n *= 2;
      const next = new Uint8Array(n);
      next.set(this.arena.subarray(0, this.arenaUsed));
      this.arena = next;
    }
    const arena = this.arena;
    const at = this.arenaUsed;
    for (let i = 0; i < len; i++) arena[at + i] = bytes[a + i]!; // names are short: no subarray object
    this.entry[3 * e] = at;
    this.entry[3 * e + 1] = len;
    this.entry[3 * e + 2] = name;
    this.arenaUsed += len;
    this.entries = e + 1;
    this.slots[2 * slot] = e + 1;
    this.slots[2 * slot + 1] = h;
    if (this.entries * 4 > this.slots.length) {
      // Over half full: double, re-placing the old slots' entries (their hashes are in the slots).
      const old = this.slots;
      const slots = new Int32Array(old.length * 2);
      const mask = (slots.length >> 1) - 1;
      for (let j = 0; j < old.length; j += 2) {
        if (old[j] === 0) continue;
        const hh = old[j + 1]!;
        let s = hh & mask;
        while (slots[2 * s] !== 0) s = (s + 1) & mask;
        slots[2 * s] = old[j]!;
        slots[2 * s + 1] = hh;
      }
      this.slots = slots;
    }
  }

  /** The text of fragment string `local` of file f, undefined for NONE (as FragmentReader.str). */
  text(f: number, frag: FragmentReader, local: number): string | undefined {
    const v = this.id(f, frag, local);
    return v === NONE ? undefined : this.list[v];
  }
}

/**
 * Interns strings into the graph's table; id order is first-seen order over the sorted input.
 * Rides on the merge's NameTable (one Map for both): a string's graph id is kept by its name id.
 */
export class StringTable {
  readonly list: string[] = [];
  /** Graph string id → its name id. */
  readonly nameIds: number[] = [];
  /** Name id → graph string id + 1 (0 = not in the graph's table). */
  private graphId = new Int32Array(1024);
  constructor(readonly names: NameTable) {}

  intern(s: string | undefined): number {
    if (s === undefined) return NONE;
    return this.internName(this.names.intern(s));
  }

  /** Interns the string with this name id. */
  internName(nameId: number): number {
    if (nameId >= this.graphId.length) {
      let n = this.graphId.length * 2;
      while (n <= nameId) n *= 2;
      const grown = new Int32Array(n);
      grown.set(this.graphId);
      this.graphId = grown;
    }
    let id = (this.graphId[nameId] ?? 0) - 1;
    if (id < 0) {
      id = this.list.length;
      this.list.push(this.names.list[nameId] ?? '');
      this.nameIds.push(nameId);
      this.graphId[nameId] = id + 1;
    }
    return id;
  }

  /** The graph string id of the string with this name id, or NONE when it is not in the graph's table. */
  graphIdOf(nameId: number): number {
    return nameId >= 0 && nameId < this.graphId.length ? (this.graphId[nameId] ?? 0) - 1 : NONE;
  }

  /** The id of an interned string, or NONE: a lookup that never adds to the table. */
  lookup(s: string): number {
    const nameId = this.names.lookup(s);
    return nameId === NONE ? NONE : (this.graphId[nameId] ?? 0) - 1;
  }
}

const INT_COLUMNS = [
  'file',
  'name',
  'qualifiedName',
  'startLine',
  'endLine',
  'startOffset',
  'endOffset',
  'parent',
  'complexity',
  'flags',
] as const;

/**
 * Symbols under construction: typed columns sized for the files' symbols, grown (by half) only
 * if external nodes overflow them. 1.8M symbols as eleven JS arrays of pushes cost a 100k-file
 * merge seconds of copying and garbage collection.
 */
export class SymbolColumns {
  file: Int32Array;
  kind: Uint8Array;
  name: Int32Array;
  qualifiedName: Int32Array;
  startLine: Int32Array;
  endLine: Int32Array;
  startOffset: Int32Array;
  endOffset: Int32Array;
  parent: Int32Array;
  complexity: Int32Array;
  flags: Int32Array;
  length = 0;

  constructor(capacity: number) {
    const n = Math.max(16, capacity);
    this.kind = new Uint8Array(n);
    this.file = new Int32Array(n);
    this.name = new Int32Array(n);
    this.qualifiedName = new Int32Array(n);
    this.startLine = new Int32Array(n);
    this.endLine = new Int32Array(n);
    this.startOffset = new Int32Array(n);
    this.endOffset = new Int32Array(n);
    this.parent = new Int32Array(n);
    this.complexity = new Int32Array(n);
    this.flags = new Int32Array(n);
  }

  /** Appends a row with its identity columns (positions, complexity and flags 0); returns its id. */
  add(file: number, kind: number, name: number, qualifiedName: number, parent: number): number {
    const id = this.length;
    if (id === this.kind.length) this.grow();
    this.file[id] = file;
    this.kind[id] = kind;
    this.name[id] = name;
    this.qualifiedName[id] = qualifiedName;
    this.parent[id] = parent;
    this.startLine[id] = 0;
    this.endLine[id] = 0;
    this.startOffset[id] = 0;
    this.endOffset[id] = 0;
    this.complexity[id] = 0;
    this.flags[id] = 0;
    this.length = id + 1;
    return id;
  }

  private grow(): void {
    const n = this.kind.length + (this.kind.length >> 1);
    const kind = new Uint8Array(n);
    kind.set(this.kind);
    this.kind = kind;
    for (const c of INT_COLUMNS) {
      const col = new Int32Array(n);
      col.set(this[c]);
      this[c] = col;
    }
  }

  /**
   * The graph's symbol table: exact-length views of the columns when little of their capacity
   * is unused (the usual case: sized for the files' symbols plus room for external nodes), else
   * exact-length copies. Copying all eleven was 80 MB more at the merge's peak on 100k files.
   */
  table(): SymbolTable {
    const n = this.length;
    const cut = this.kind.length - n <= Math.max(4096, n >> 4) ? 'subarray' : 'slice';
    return {
      file: this.file[cut](0, n),
      kind: this.kind[cut](0, n),
      name: this.name[cut](0, n),
      qualifiedName: this.qualifiedName[cut](0, n),
      startLine: this.startLine[cut](0, n),
      endLine: this.endLine[cut](0, n),
      startOffset: this.startOffset[cut](0, n),
      endOffset: this.endOffset[cut](0, n),
      parent: this.parent[cut](0, n),
      complexity: this.complexity[cut](0, n),
      flags: this.flags[cut](0, n),
    };
  }
}

export interface MergeOptions {
  /** Receives the data-flow counts (keys bucketed, keys over the fan-out cap): for benchmarks. */
  onFlow?: (stats: FlowStats) => void;
  /**
   * Called as each phase of the merge ends, for benchmarks: modules, symbols, index, imports,
   * structure, uses (resolution passes), flow (data-flow edges), csr (edge tables).
   */
  onPhase?: (phase: string) => void;
  /** Receives each file's resolution tallies (stored for a later partial re-resolution). */
  onTally?: (tally: ResolveTally) => void;
  /**
   * Re-resolve only some files (src/graph/patch-resolve.ts): onEdges receives the raw edges
   * (every contains and structure edge, those files' uses edges), and the graph has no edges.
   */
  partial?: PartialResolve & { onEdges: (edges: EdgeList) => void };
}

export function mergeFragments(inputs: readonly MergeInput[], options: MergeOptions = {}): IndexGraph {
  const phase = options.onPhase ?? ((): void => undefined);
  for (let i = 1; i < inputs.length; i++) {
    if ((inputs[i - 1]?.relPath ?? '') >= (inputs[i]?.relPath ?? ''))
      throw new Error('merge input must be sorted by relPath, without duplicates');
  }
  const modules = new ModuleResolver(inputs);
  const names = new NameTable(inputs.map((i) => i.stats?.stringCount ?? i.fragment.stringCount));
  const strings = new StringTable(names);
  let fileSymbols = 0;
  let refCount = 0;
  for (const i of inputs) {
    fileSymbols += i.stats?.symbolCount ?? i.fragment.symbolCount;
    refCount += i.stats?.refCount ?? i.fragment.refCount;
  }
  // Room for external nodes: ~1% of the corpus' symbols (1.8k) are, so 1024 alone overflowed.
  const cols = new SymbolColumns(fileSymbols + Math.max(1024, fileSymbols >> 6));
  const symbolStart = new Int32Array(inputs.length + 1);
  // Sized like the corpus' edges (a little over one per reference and symbol), grown if needed:
  // with 1/16 to spare, as the synthetic trees' raw edges overran one per reference and symbol
  // by 1.7% and the one grow that caused copied every edge into a buffer half as large again.
  const estimate = refCount + fileSymbols;
  const edges = new EdgeList(estimate + (estimate >> 4));

  phase('modules');
  for (let fileIdx = 0; fileIdx < inputs.length; fileIdx++) {
    const input = inputs[fileIdx]!;
    const frag = input.fragment;
    const base = cols.length;
    symbolStart[fileIdx] = base;
    // The columns read straight from the fragment's words (sym() per cell was a third of this loop).
    const w = frag.words;
    const nSym = frag.symbolCount;
    const kindAt = frag.symColumnAt('kind');
    const nameAt = frag.symColumnAt('name');
    const qnAt = frag.symColumnAt('qualifiedName');
    const parentAt = frag.symColumnAt('parent');
    const startLineAt = frag.symColumnAt('startLine');
    const endLineAt = frag.symColumnAt('endLine');
    const startOffsetAt = frag.symColumnAt('startOffset');
    const endOffsetAt = frag.symColumnAt('endOffset');
    const complexityAt = frag.symColumnAt('complexity');
    const flagsAt = frag.symColumnAt('flags');
    for (let r = 0; r < nSym; r++) {
      let id: number;
      if (r === 0) {
        // The module row: its names come from the path, not the content.
        const modName = modules.moduleName(fileIdx);
        id = cols.add(
          fileIdx,
          w[kindAt]!,
          strings.intern(moduleShortName(input.relPath)),
          strings.intern(modName),
          NONE,
        );
      } else {
        const p = w[parentAt + r]!;
        const parent = p >= 0 && p < nSym ? base + p : base;
        id = cols.add(
          fileIdx,
          w[kindAt + r]!,
          internName(strings, names.id(fileIdx, frag, w[nameAt + r]!)),
          internName(strings, names.id(fileIdx, frag, w[qnAt + r]!)),
          parent,
        );
        edges.add(parent, id, EdgeKind.contains, Confidence.certain);
      }
      cols.startLine[id] = w[startLineAt + r]!;
      cols.endLine[id] = w[endLineAt + r]!;
      cols.startOffset[id] = w[startOffsetAt + r]!;
      cols.endOffset[id] = w[endOffsetAt + r]!;
      cols.complexity[id] = w[complexityAt + r]!;
      cols.flags[id] = w[flagsAt + r]!;
    }
  }
  const fileSymbolCount = cols.length;
  symbolStart[inputs.length] = fileSymbolCount;

  phase('symbols');
  const stats = resolveReferences({
    inputs,
    modules,
    strings,
    names,
    cols,
    symbolStart,
    edges,
    onFlow: options.onFlow,
    onPhase: options.onPhase,
    onTally: options.onTally,
    partial: options.partial,
  });
  options.partial?.onEdges(edges);

  phase('flow');
  const n = cols.length;
  const symbols = cols.table();
  const { forward, reverse } = edges.csr(n, options.partial ? 0 : edges.length);
  phase('csr');
  return {
    files: {
      relPath: inputs.map((i) => i.relPath),
      language: Uint8Array.from(inputs.map((i) => LANGUAGES.indexOf(i.language))),
      contentHash: inputs.map((i) => i.contentHash),
      size: Float64Array.from(inputs.map((i) => i.size)),
      mtimeMs: Float64Array.from(inputs.map((i) => i.mtimeMs)),
      errorCount: Int32Array.from(inputs.map((i) => i.stats?.errorCount ?? i.fragment.errorCount)),
      lineCount: Int32Array.from(inputs.map((i) => i.stats?.lineCount ?? i.fragment.lineCount)),
      symbolStart,
    },
    strings: strings.list,
    symbols,
    fileSymbolCount,
    forward,
    reverse,
    stats,
  };
}

function internName(strings: StringTable, nameId: number): number {
  return nameId === NONE ? NONE : strings.internName(nameId);
}

/** A module's short name: its file name without extension, or its directory for index/__init__/mod/lib files. */
function moduleShortName(relPath: string): string {
  const parts = relPath.split('/');
  const file = parts[parts.length - 1] ?? relPath;
  const stem = file.replace(/(\.d)?\.[^.]+$/, '');
  if (['index', '__init__', 'mod', 'lib', 'main'].includes(stem) && parts.length > 1)
    return parts[parts.length - 2] ?? stem;
  return stem;
}

export const EXTERNAL_KIND = SymbolKind.module;
