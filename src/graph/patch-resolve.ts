// The graph of a re-index whose changed files moved only what no other file's resolution reads:
// a function body's calls, arguments and local type references (the usual code edit), with
// the file's declared symbols, imports, bases, parameters, declared types, state reads /
// writes and parameter / return types unchanged. Then every other file's edges are the
// previous generation's, and only the changed files' uses pass runs again (against tables
// rebuilt from every file's structure pass): their calls, referencesType, flowsArgument
// (source in the file) and flowsReturn (target in the file) edges are replaced, everything
// else is kept. A merge of the same tree gives the same digest (test/incremental-body.test.ts).
// Coordinator thread.
//
// What another file's edges read of a file, and why the test below covers it:
// - its symbols (names, kinds, parents, flags, signatures): compared column by column;
// - its import / re-export rows (bindings, exports), inherits / implements (bases), param rows
//   (argument flow into its functions), declType / typeParam / implOf rows and field typeRefs
//   (dispatch facts: field and return types, generics, impls), returnType / paramType rows
//   (dispatch return types, flowsType producers / consumers), read / write rows (flowsState):
//   all compared row for row, in order (their row numbers may shift; nothing stores those);
// - the external nodes its uses pass creates (ids in first-lookup order over the files): the
//   previous merge records each external's creator (ResolveTally); the path is taken only when
//   the file's uses pass makes the same externals in the same order as before (it looks up
//   none that a later file made first, and none that is new);
// - the string table: only external names are added during resolution, so it is unchanged;
// - stats: the previous totals minus the file's previous tally plus its new one.
// Calls, instantiations, arguments and typeRefs of non-fields are read only by the file's own
// uses pass (dispatch's local facts, `let x = call()`, closures, are keyed by its own fns).

import type { FragmentReader } from './fragment.js';
import { EdgeKind, type IndexGraph, type ResolutionStats } from './graph.js';
import { EdgeList, mergeFragments, type MergeInput } from './merge.js';
import { CALL_BANDS, TALLY_KINDS, type ResolveTally } from './resolve.js';
import { REF_KIND_NAMES, RefKind, SymbolKind, type RefColumn, type SymbolColumn } from '../protocol.js';
import { decodeColumns, encodeColumns } from '../store/codec.js';

/** The blob holding the generation's ResolveTally. */
export const TALLY_BLOB = 'graph.tally';

const SYMBOL_INTS: readonly SymbolColumn[] = ['kind', 'parent', 'flags'];
const SYMBOL_STRINGS: readonly SymbolColumn[] = ['name', 'qualifiedName', 'signature'];
const REF_INTS: readonly RefColumn[] = ['kind', 'from', 'aux'];
const REF_STRINGS: readonly RefColumn[] = ['name', 'qualifier', 'alias'];

/** Edge kinds a file's uses pass adds (calls, referencesType, flowsArgument from it; flowsReturn into it). */
const USES_FROM = new Set<number>([EdgeKind.calls, EdgeKind.referencesType, EdgeKind.flowsArgument]);
const USES_INTO = EdgeKind.flowsReturn;

export function encodeTally(t: ResolveTally): Uint8Array {
  return encodeColumns({ resolved: t.resolved, calls: t.calls, externalCreator: t.externalCreator });
}

/** The stored tally, or undefined when it is missing or was written for another shape. */
export function decodeTally(bytes: Uint8Array | undefined, files: number): ResolveTally | undefined {
  if (!bytes) return undefined;
  const c = decodeColumns(bytes);
  const { resolved, calls, externalCreator } = c;
  if (!(resolved instanceof Int32Array) || !(calls instanceof Int32Array)) return undefined;
  if (!(externalCreator instanceof Int32Array)) return undefined;
  if (resolved.length !== files * TALLY_KINDS || calls.length !== files * CALL_BANDS.length) return undefined;
  return { resolved, calls, externalCreator };
}

/** Rows only the file's own uses pass reads (see the header). */
function localRow(f: FragmentReader, r: number): boolean {
  const kind = f.ref(r, 'kind');
  if (kind === RefKind.call || kind === RefKind.instantiate || kind === RefKind.argument) return true;
  if (kind !== RefKind.typeRef) return false;
  const from = f.ref(r, 'from');
  return from < 0 || from >= f.symbolCount || f.sym(from, 'kind') !== SymbolKind.field;
}

function strEq(a: FragmentReader, sa: number, b: FragmentReader, sb: number): boolean {
  const noneA = sa < 0 || sa >= a.stringCount;
  const noneB = sb < 0 || sb >= b.stringCount;
  if (noneA || noneB) return noneA === noneB;
  const pa = a.strStart(sa);
  const la = a.strStart(sa + 1) - pa;
  const pb = b.strStart(sb);
  if (b.strStart(sb + 1) - pb !== la) return false;
  const ba = a.bytes;
  const bb = b.bytes;
  for (let k = 0; k < la; k++) if (ba[pa + k] !== bb[pb + k]) return false;
  return true;
}

/**
 * Why a changed file cannot be re-resolved alone (undefined: it can): the symbols or a row
 * another file's resolution reads differ between its previous and its new fragment.
 */
export function bodyEditBlocker(a: FragmentReader, b: FragmentReader): string | undefined {
  if (a.language !== b.language || a.flags !== b.flags) return 'language';
  if (a.symbolCount !== b.symbolCount) return 'symbols';
  for (let r = 0; r < a.symbolCount; r++) {
    for (const c of SYMBOL_INTS) if (a.sym(r, c) !== b.sym(r, c)) return 'symbols';
    for (const c of SYMBOL_STRINGS) if (!strEq(a, a.sym(r, c), b, b.sym(r, c))) return 'symbols';
  }
  let i = 0;
  let j = 0;
  for (;;) {
    while (i < a.refCount && localRow(a, i)) i++;
    while (j < b.refCount && localRow(b, j)) j++;
    if (i >= a.refCount || j >= b.refCount)
      return i >= a.refCount && j >= b.refCount ? undefined : rowName(a, b, i, j);
    for (const c of REF_INTS) if (a.ref(i, c) !== b.ref(j, c)) return rowName(a, b, i, j);
    for (const c of REF_STRINGS) if (!strEq(a, a.ref(i, c), b, b.ref(j, c))) return rowName(a, b, i, j);
    i++;
    j++;
  }
}

function rowName(a: FragmentReader, b: FragmentReader, i: number, j: number): string {
  const k = i < a.refCount ? a.ref(i, 'kind') : b.ref(j, 'kind');
  return `${REF_KIND_NAMES[k] ?? 'unknown'} rows`;
}

/** stats.refs of one fragment: every row but the dispatch-only kinds (as Resolver.count sees them). */
function refCounts(f: FragmentReader): Map<string, number> {
  const out = new Map<string, number>();
  for (let r = 0; r < f.refCount; r++) {
    const k = f.ref(r, 'kind');
    if (k === RefKind.declType || k === RefKind.typeParam || k === RefKind.implOf) continue;
    const name = REF_KIND_NAMES[k] ?? 'unknown';
    out.set(name, (out.get(name) ?? 0) + 1);
  }
  return out;
}

export interface BodyFile {
  /** Its row in the file table (the same in the previous and the new generation). */
  file: number;
  /** Its previous fragment. */
  before: FragmentReader;
}

export type ReresolveResult =
  | { graph: IndexGraph; tally: ResolveTally; reason?: undefined }
  | { graph?: undefined; tally?: undefined; reason: string };

/**
 * The new graph: the previous one (`prev`, merged from the same files but `changed`) with the
 * changed files re-resolved. `inputs`: every file, in file-table order, changed ones new.
 * A reason instead when the path does not apply (then merge as usual).
 */
export function reresolve(
  prev: IndexGraph,
  prevTally: ResolveTally,
  inputs: readonly MergeInput[],
  changed: readonly BodyFile[],
): ReresolveResult {
  const n = prev.symbols.kind.length;
  const fileSymbols = prev.fileSymbolCount;
  const externals: string[] = [];
  for (let id = fileSymbols; id < n; id++) externals.push(prev.strings[prev.symbols.name[id] ?? -1] ?? '');
  if (prevTally.externalCreator.length !== externals.length) return { reason: 'tally does not match' };
  const isChanged = new Uint8Array(inputs.length);
  for (const c of changed) isChanged[c.file] = 1;
  const creators = prevTally.externalCreator;
  // Per changed file: the externals its uses pass looks up first that no earlier file made.
  const firstTouch = new Map<number, number[]>();
  const touched = new Set<number>();
  let raw: EdgeList | undefined;
  let tally: ResolveTally | undefined;
  let graph: IndexGraph;
  try {
    graph = mergeFragments(inputs, {
      onTally: (t) => (tally = t),
      partial: {
        files: changed.map((c) => c.file),
        externals,
        onExternal: (id, file) => {
          const e = id - fileSymbols;
          const creator = e >= 0 && e < externals.length ? creators[e]! : file;
          if (creator < file) return; // made by the structure pass (-1) or an earlier file
          const key = file * 4294967296 + id;
          if (touched.has(key)) return;
          touched.add(key);
          let list = firstTouch.get(file);
          if (!list) firstTouch.set(file, (list = []));
          list.push(e);
        },
        onEdges: (edges) => (raw = edges),
      },
    });
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('partial resolve:')) return { reason: err.message };
    throw err;
  }
  // A merge makes each external where it is first looked up: the changed files must make the
  // same ones as before, in the same order (so every external keeps its id).
  for (const c of changed) {
    const made: number[] = [];
    creators.forEach((creator, e) => creator === c.file && made.push(e));
    const now = firstTouch.get(c.file) ?? [];
    if (now.length !== made.length || now.some((e, i) => e !== made[i]))
      return { reason: 'the external nodes it makes first moved' };
  }
  if (!raw || !tally) throw new Error('reresolve: the merge reported no edges or tally');
  if (graph.symbols.kind.length !== n || graph.fileSymbolCount !== fileSymbols)
    return { reason: 'the symbol count moved' };
  if (graph.strings.length !== prev.strings.length) return { reason: 'the string table moved' };
  for (let i = 0; i < prev.strings.length; i++)
    if (graph.strings[i] !== prev.strings[i]) return { reason: 'the string table moved' };

  // The edges: the previous ones but the changed files' uses edges, then their new ones.
  const inChanged = (id: number): boolean => {
    const f = graph.symbols.file[id] ?? -1;
    return f >= 0 && isChanged[f] === 1;
  };
  const F = prev.forward;
  const edges = new EdgeList(F.targets.length + raw.length);
  for (let s = 0; s < n; s++) {
    const own = s < fileSymbols && inChanged(s);
    for (let e = F.offsets[s]!; e < F.offsets[s + 1]!; e++) {
      const kind = F.kinds[e]!;
      const dst = F.targets[e]!;
      if (own && USES_FROM.has(kind)) continue;
      if (kind === USES_INTO && dst < fileSymbols && inChanged(dst)) continue;
      pushEdge(edges, s, dst, kind, F.confidence[e]!);
    }
  }
  for (let e = 0; e < raw.length; e++) {
    const kind = raw.kind[e]!;
    const src = raw.src[e]!;
    const dst = raw.dst[e]!;
    const take = USES_FROM.has(kind)
      ? src < fileSymbols && inChanged(src)
      : kind === USES_INTO && dst < fileSymbols && inChanged(dst);
    if (take) pushEdge(edges, src, dst, kind, raw.conf[e]!);
  }
  const { forward, reverse } = edges.csr(n);

  // Stats and tally: the previous ones with the changed files' contributions swapped.
  const stats = copyStats(prev.stats);
  const next: ResolveTally = {
    resolved: prevTally.resolved.slice(),
    calls: prevTally.calls.slice(),
    externalCreator: prevTally.externalCreator,
  };
  for (const c of changed) {
    const f = c.file;
    const now = inputs[f]!.fragment;
    for (const [k, v] of refCounts(c.before)) add(stats.refs, k, -v);
    for (const [k, v] of refCounts(now)) add(stats.refs, k, v);
    for (let k = 0; k < TALLY_KINDS; k++) {
      const at = f * TALLY_KINDS + k;
      const name = REF_KIND_NAMES[k] ?? 'unknown';
      add(stats.resolved, name, tally.resolved[at]! - prevTally.resolved[at]!);
      next.resolved[at] = tally.resolved[at]!;
    }
    for (let b = 0; b < CALL_BANDS.length; b++) {
      const at = f * CALL_BANDS.length + b;
      add(stats.callConfidence, CALL_BANDS[b]!, tally.calls[at]! - prevTally.calls[at]!);
      next.calls[at] = tally.calls[at]!;
    }
  }
  return {
    graph: { ...graph, forward, reverse, stats },
    tally: next,
  };
}

function pushEdge(edges: EdgeList, src: number, dst: number, kind: number, conf: number): void {
  // EdgeList.add drops self edges but calls; the previous graph has none of those to drop.
  edges.add(src, dst, kind, conf);
}

function copyStats(s: ResolutionStats): ResolutionStats {
  return { refs: { ...s.refs }, resolved: { ...s.resolved }, callConfidence: { ...s.callConfidence } };
}

/** Adds d to a stats count, dropping it at 0 (a merge lists only kinds it counted). */
function add(rec: Record<string, number>, key: string, d: number): void {
  if (d === 0) return;
  const v = (rec[key] ?? 0) + d;
  if (v === 0) delete rec[key];
  else rec[key] = v;
}
