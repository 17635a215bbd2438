// The merged program graph of one index generation, held as flat typed arrays with numeric
// handles (symbol id = row), never as an object graph: symbols columns, a global string
// table, and the edges in CSR form forward and reverse. Plus the digest that makes
// "same tree, same index" testable. Built on the coordinator thread; read by any reader.

import { createHash } from 'node:crypto';
import { encodeStrings } from '../store/codec.js';

export const EDGE_KINDS = [
  'contains',
  'imports',
  'calls',
  'inherits',
  'implements',
  'referencesType',
  // Data flow (between symbols; confidence never above the call / type resolution they ride on):
  /** caller → callee: a resolved call site passes values into the callee's parameters. */
  'flowsArgument',
  /** callee → consumer: the callee's value is assigned, passed on or returned by the consumer. */
  'flowsReturn',
  /** writer → reader: both use the same field of a resolved class or the same module-level name. */
  'flowsState',
  /** producer → consumer: a declared return type T is a declared parameter type T (project types only). */
  'flowsType',
] as const;
export type EdgeKindName = (typeof EDGE_KINDS)[number];
export const EdgeKind = Object.fromEntries(EDGE_KINDS.map((k, i) => [k, i])) as Record<EdgeKindName, number>;

/** Confidence of an edge, 0–100: how sure resolution is that the reference means this target. */
export const Confidence = {
  /** Structural fact: containment, a resolved relative import. */
  certain: 100,
  /** Through an import binding or a local definition in the same file. */
  imported: 95,
  local: 90,
  /** Through a receiver whose type is known (this/self, a qualified type path). */
  receiver: 85,
  /** Through the inheritance chain of a known receiver. */
  inherited: 75,
  /** Through a receiver typed from declared types (a parameter, field, return type, `let x = call()`). */
  inferred: 80,
  /** By qualified name match (Type.method) across the project. */
  qualifiedName: 70,
  /** A trait / interface method called on a receiver known only by its bound (`T: Trait`, `dyn Trait`). */
  dispatch: 65,
  /** An implementation of that method (`impl Trait for Type`, `class C implements I`), few enough to list. */
  dispatchImpl: 55,
  /** By a unique name across the project. */
  uniqueName: 50,
  /** A receiver named after a type in scope (`state.enter()`, `State` in the file), its type otherwise unknown. */
  namedReceiver: 45,
} as const;

/** One row per file, sorted by relPath. Symbols of file i are rows symbolStart[i] .. symbolStart[i+1]-1. */
export interface FileTable {
  relPath: string[];
  language: Uint8Array;
  contentHash: string[];
  size: Float64Array;
  mtimeMs: Float64Array;
  errorCount: Int32Array;
  lineCount: Int32Array;
  symbolStart: Int32Array;
  /**
   * A key per path that stays the same across generations while the path exists (set by
   * runIndex, not merge): vector keys are fileKey * 2^20 + symbol row, so the vector index
   * can be updated file by file. Absent in an index built without vectors.
   */
  fileKey?: Int32Array;
}

/**
 * Symbol columns; string columns index IndexGraph.strings (-1 = none). External nodes have
 * file -1. Signatures and docs are not here: they stay in each file's fragment (row = id -
 * files.symbolStart[file]), because the graph is for traversal and decoding them into one
 * table was most of the strings a merge had to intern.
 */
export interface SymbolTable {
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
}

/** Compressed sparse rows: the edges of node n are entries offsets[n] .. offsets[n+1]-1. */
export interface Csr {
  offsets: Int32Array;
  targets: Int32Array;
  kinds: Uint8Array;
  confidence: Uint8Array;
}

export interface ResolutionStats {
  /** Raw references by RefKind name. */
  refs: Record<string, number>;
  /** References that became an edge, by RefKind name. */
  resolved: Record<string, number>;
  /** Edges by confidence band, for calls: certain/imported/local/receiver/name. */
  callConfidence: Record<string, number>;
}

export interface IndexGraph {
  files: FileTable;
  strings: string[];
  symbols: SymbolTable;
  /** Number of symbols that belong to files; rows from here on are external nodes. */
  fileSymbolCount: number;
  forward: Csr;
  reverse: Csr;
  stats: ResolutionStats;
}

export function symbolCount(g: IndexGraph): number {
  return g.symbols.kind.length;
}

export function edgeCount(g: IndexGraph): number {
  return g.forward.targets.length;
}

export function edgesByKind(g: IndexGraph): Record<EdgeKindName, number> {
  const out = Object.fromEntries(EDGE_KINDS.map((k) => [k, 0])) as Record<EdgeKindName, number>;
  for (const k of g.forward.kinds) {
    const name = EDGE_KINDS[k];
    if (name) out[name]++;
  }
  return out;
}

/**
 * A digest of everything the graph says: files with their content hashes, every symbol
 * column, every edge and the string table. Two indexes of the same tree have the same digest
 * whatever the thread count and whether they were built incrementally.
 */
export function graphDigest(g: IndexGraph, encodedStrings?: Uint8Array): string {
  const h = createHash('sha256');
  h.update(g.files.relPath.join('\n'));
  h.update(g.files.contentHash.join('\n'));
  h.update(bytesOf(g.files.symbolStart));
  h.update(encodedStrings ?? encodeStrings(g.strings));
  for (const col of Object.values(g.symbols) as Int32Array[]) h.update(bytesOf(col));
  for (const csr of [g.forward, g.reverse]) {
    h.update(bytesOf(csr.offsets));
    h.update(bytesOf(csr.targets));
    h.update(bytesOf(csr.kinds));
    h.update(bytesOf(csr.confidence));
  }
  return h.digest('hex');
}

function bytesOf(a: Int32Array | Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * Builds a CSR from edge lists, sorted by source, then target, then kind, then confidence
 * (highest first). With `dedupe`, one edge per (source, target, kind) survives: the most
 * confident. One counting sort by source places each edge's index; each node's few edges then
 * get their (target, kind, confidence) packed into one number in a small reused buffer and
 * sorted there. Linear in edges plus nodes, typed arrays only. The edges arrive in a few runs
 * ascending by source (containment, then each resolution pass), so reading them back by index
 * is a few sequential streams; a Float64 key per edge placed by the scatter touched twice the
 * memory (a third of the build was page faults on it).
 */
export function buildCsr(
  nodeCount: number,
  src: ArrayLike<number>,
  dst: ArrayLike<number>,
  kind: ArrayLike<number>,
  conf: ArrayLike<number>,
  dedupe = false,
): Csr {
  const n = src.length;
  // end[k]: first the count of node k - 1's edges, then (prefix sums) where node k starts,
  // then (after the scatter advanced it) where node k ends.
  const end = new Int32Array(nodeCount + 1);
  for (let e = 0; e < n; e++) end[(src[e] ?? 0) + 1]!++;
  for (let k = 0; k < nodeCount; k++) end[k + 1]! += end[k]!;
  const order = new Int32Array(n);
  for (let e = 0; e < n; e++) order[end[src[e] ?? 0]!++] = e;
  const offsets = new Int32Array(nodeCount + 1);
  const targets = new Int32Array(n);
  const kinds = new Uint8Array(n);
  const confidence = new Uint8Array(n);
  // target × 4096 + kind × 256 + (255 - confidence): ascending = target, kind, confidence descending.
  let keys = new Float64Array(64);
  let w = 0;
  let a = 0;
  for (let node = 0; node < nodeCount; node++) {
    offsets[node] = w;
    const b = end[node]!;
    const m = b - a;
    if (m > keys.length) keys = new Float64Array(Math.max(m, keys.length * 2));
    for (let i = 0; i < m; i++) {
      const e = order[a + i]!;
      keys[i] = (dst[e] ?? 0) * 4096 + ((kind[e] ?? 0) & 15) * 256 + (255 - ((conf[e] ?? 0) & 255));
    }
    if (m > 24) keys.subarray(0, m).sort();
    else {
      for (let i = 1; i < m; i++) {
        const v = keys[i]!;
        let j = i - 1;
        while (j >= 0 && keys[j]! > v) {
          keys[j + 1] = keys[j]!;
          j--;
        }
        keys[j + 1] = v;
      }
    }
    let prevRun = -1;
    for (let i = 0; i < m; i++) {
      const key = keys[i]!;
      // Sorted most-confident first within a (target, kind) run: keep the first of each run.
      const run = Math.floor(key / 256);
      if (dedupe && run === prevRun) continue;
      prevRun = run;
      const target = Math.floor(key / 4096);
      const rest = key - target * 4096;
      targets[w] = target;
      kinds[w] = rest >> 8;
      confidence[w] = 255 - (rest & 255);
      w++;
    }
    a = b;
  }
  offsets[nodeCount] = w;
  return {
    offsets,
    targets: w === n ? targets : targets.slice(0, w),
    kinds: w === n ? kinds : kinds.slice(0, w),
    confidence: w === n ? confidence : confidence.slice(0, w),
  };
}

/**
 * The reverse of a CSR: for each node, the edges that point at it, by source, then kind. One
 * stable counting sort by target: the forward CSR is already ordered by source, then target
 * and kind, and deduplicated, so that is the whole order. The offsets serve as the scatter's
 * cursors (each ends where the next node starts) and are shifted back after: no second array.
 */
export function reverseCsr(nodeCount: number, forward: Csr): Csr {
  const m = forward.targets.length;
  const ft = forward.targets;
  const fk = forward.kinds;
  const fc = forward.confidence;
  const fo = forward.offsets;
  const offsets = new Int32Array(nodeCount + 1);
  for (let e = 0; e < m; e++) offsets[(ft[e] ?? 0) + 1]!++;
  for (let k = 0; k < nodeCount; k++) offsets[k + 1]! += offsets[k]!; // offsets[k]: where node k starts
  const targets = new Int32Array(m);
  const kinds = new Uint8Array(m);
  const confidence = new Uint8Array(m);
  // offsets[k] is node k's cursor, advanced to its end (the next node's start), then shifted back.
  for (let node = 0; node < nodeCount; node++) {
    const b = fo[node + 1] ?? 0;
    for (let e = fo[node] ?? 0; e < b; e++) {
      const at = offsets[ft[e] ?? 0]!++;
      targets[at] = node;
      kinds[at] = fk[e] ?? 0;
      confidence[at] = fc[e] ?? 0;
    }
  }
  offsets.copyWithin(1, 0, nodeCount);
  offsets[0] = 0;
  return { offsets, targets, kinds, confidence };
}

/** What PairTable.get returns for a key it does not hold. */
export const MISSING = -0x80000000;

/**
 * A hash map from a pair of non-negative ints to an int, open addressing over one Int32Array
 * of (a + 1, b, value) slots: the merge's memos keyed by (file, name id) without a Map
 * per file or a string per key. A probe touches one cache line, mostly (at 100k files the tables
 * outgrow the caches, and three parallel arrays cost three misses per probe).
 */
export class PairTable {
  /** Slot i at 3i: a + 1 (0 = empty), b, value. */
  private slots: Int32Array;
  private mask: number;
  size = 0;

  constructor(capacity = 1024) {
    let n = 16;
    while (n < capacity * 2) n *= 2;
    this.slots = new Int32Array(n * 3);
    this.mask = n - 1;
  }

  /** The position (3 × slot) of (a, b), or of the empty slot where it would go. */
  private slot(a: number, b: number): number {
    // murmur3's finaliser over both keys: linear probing needs the low bits well mixed.
    let h = Math.imul(a, 0x9e3779b1) ^ b;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    const slots = this.slots;
    let i = h & this.mask;
    for (;;) {
      const at = i * 3;
      const k = slots[at] ?? 0;
      if (k === 0 || (k === a + 1 && slots[at + 1] === b)) return at;
      i = (i + 1) & this.mask;
    }
  }

  /** The value under (a, b), or MISSING. */
  get(a: number, b: number): number {
    const at = this.slot(a, b);
    return this.slots[at] === 0 ? MISSING : (this.slots[at + 2] ?? MISSING);
  }

  set(a: number, b: number, value: number): void {
    let at = this.slot(a, b);
    if (this.slots[at] === 0) {
      if ((this.size + 1) * 2 > this.mask + 1) {
        this.grow();
        at = this.slot(a, b);
      }
      this.slots[at] = a + 1;
      this.slots[at + 1] = b;
      this.size++;
    }
    this.slots[at + 2] = value;
  }

  private grow(): void {
    const old = this.slots;
    const n = (this.mask + 1) * 2;
    this.slots = new Int32Array(n * 3);
    this.mask = n - 1;
    for (let j = 0; j < old.length; j += 3) {
      const k = old[j] ?? 0;
      if (k === 0) continue;
      const at = this.slot(k - 1, old[j + 1] ?? 0);
      this.slots[at] = k;
      this.slots[at + 1] = old[j + 1] ?? 0;
      this.slots[at + 2] = old[j + 2] ?? 0;
    }
  }
}
