// The name index of a generation: every file symbol's lower-cased name, sorted, with its id,
// built at index time so an identifier or prefix lookup is a binary search over the stored
// table (decoding ~20 names) instead of decoding and sorting every name per process.
// Incremental like the lexicon (lexicon.ts), and with the same base: a base run of every
// file's names is written with the lexicon's base and kept by the generations that name it;
// a later generation writes only the names of the files that differ from the base, and a
// lookup merges both runs, mapping base ids through the lexicon's remap and skipping dead
// ones, in the (name, id) order a full rebuild has. Each run is one blob (names and ids
// together); one over PAD_NAMES_FROM is padded up to IN_PLACE_BYTES so that lmdb-js hands it
// out as a view into its map: a lookup then touches the few pages its binary search reads
// instead of a 3 MB copy (the corpus's table; ~1,200 page faults of a cold search).
// Coordinator thread (build); any (lookup).

import type { IndexGraph } from '../graph/graph.js';
import { LeindexError } from '../errors.js';
import { NONE, SymbolKind } from '../protocol.js';
import { LazyStrings, decodeColumns, encodeColumns, encodeStrings } from '../store/codec.js';
import { IN_PLACE_BYTES, type IndexReader } from '../store/read.js';
import { LEX_NAMES_BASE_PREFIX, baseDocMap } from './lexicon.js';

/** The base run (kept with the lexicon's base) and a generation's delta run (schema 8). */
export const NAMES_BASE_TABLE = `${LEX_NAMES_BASE_PREFIX}table`;
export const NAMES_DELTA_TABLE = 'lex.dnames.table';

/**
 * A run of more bytes than this is padded to IN_PLACE_BYTES (zeros, never read: ~13 MB more
 * of store for the corpus's 2.9 MB table, written once per lexicon base): below it a copy
 * costs less than the disk. A run already that large needs no padding.
 */
export const PAD_NAMES_FROM = 1 << 20;

/** One run's blob: the sorted names and their ids as two columns, padded as above. */
export function encodeNameRun(lower: readonly string[], ids: Int32Array): Uint8Array {
  const names = encodeStrings(lower);
  const table = encodeColumns({
    names: new Uint8Array(names.buffer, names.byteOffset, names.byteLength),
    ids,
  });
  if (table.byteLength <= PAD_NAMES_FROM || table.byteLength >= IN_PLACE_BYTES) return table;
  const padded = new Uint8Array(IN_PLACE_BYTES);
  padded.set(table);
  return padded;
}

/**
 * The name blob of a merged graph: a base run of every file when `covered` is undefined (the
 * lexicon wrote a new base), else a delta run of the files not covered by the base.
 */
export function encodeNameIndex(g: IndexGraph, covered?: Uint8Array): Record<string, Uint8Array> {
  const lower: string[] = [];
  const ids: number[] = [];
  const { symbolStart } = g.files;
  for (let file = 0; file < g.files.relPath.length; file++) {
    if (covered?.[file]) continue;
    for (let id = symbolStart[file]!; id < symbolStart[file + 1]!; id++) {
      if ((g.symbols.kind[id] ?? 0) === SymbolKind.module) continue;
      lower.push((g.strings[g.symbols.name[id] ?? NONE] ?? '').toLowerCase());
      ids.push(id);
    }
  }
  const order = Array.from(lower.keys());
  order.sort((a, b) => (lower[a]! < lower[b]! ? -1 : lower[a]! > lower[b]! ? 1 : ids[a]! - ids[b]!));
  return {
    [covered ? NAMES_DELTA_TABLE : NAMES_BASE_TABLE]: encodeNameRun(
      order.map((i) => lower[i]!),
      Int32Array.from(order, (i) => ids[i]!),
    ),
  };
}

/** One sorted run of (name, id); `map` takes its ids to this generation's (-1: dead). */
interface Run {
  names: LazyStrings;
  ids: Int32Array;
  map: Int32Array | undefined;
}

function run(blob: { bytes: Uint8Array; inPlace: boolean }, map?: Int32Array): Run & { inPlace: boolean } {
  // Both columns are used where they are (blobMapped's bytes are 8-aligned: the map's, or a
  // copy the caller owns).
  const damaged = (cause?: unknown): LeindexError =>
    new LeindexError('E_STORE_CORRUPT', 'the name table is damaged', {
      hint: 'run `leindex index --rebuild` to rebuild it',
      cause,
    });
  let names: unknown;
  let ids: unknown;
  try {
    ({ names, ids } = decodeColumns(blob.bytes, true));
  } catch (err) {
    throw damaged(err);
  }
  if (!(names instanceof Uint8Array) || !(ids instanceof Int32Array)) throw damaged();
  return { names: new LazyStrings(names), ids, map, inPlace: blob.inPlace };
}

export class NameIndex {
  /** Whether every run is read where it is stored (in the memory map), not copied. */
  readonly inPlace: boolean;

  constructor(private readonly runs: (Run & { inPlace: boolean })[]) {
    this.inPlace = runs.every((r) => r.inPlace);
  }

  /** The name index of the reader's generation; E_SCHEMA_MISMATCH when it has none. */
  static open(reader: IndexReader): NameIndex {
    const missing = (): LeindexError =>
      new LeindexError('E_SCHEMA_MISMATCH', 'this index has no name table (it predates it)', {
        hint: 'run `leindex index --rebuild` to rebuild it in the current format',
      });
    const info = reader.info.lexicon;
    const baseGen = info?.baseGeneration;
    if (!info || baseGen === undefined) throw missing();
    const base = reader.blobMapped(baseGen, NAMES_BASE_TABLE);
    if (!base) throw missing();
    const runs = [
      run(
        base,
        baseDocMap(
          info,
          (name) => reader.blobAt(baseGen, name),
          (name) => reader.blob(name),
        ),
      ),
    ];
    if (info.delta) {
      const delta = reader.blobMapped(reader.generation, NAMES_DELTA_TABLE);
      if (!delta) throw missing();
      runs.push(run(delta));
    }
    return new NameIndex(runs);
  }

  /**
   * Ids of symbols whose lower-cased name starts with `prefix` (exact names first), at most
   * `max`; with `exact`, only those whose lower-cased name is `prefix` (the same first entries).
   */
  prefixed(prefix: string, max: number, exact = false): number[] {
    const key = prefix.toLowerCase();
    // Each run from its first name >= key; then a merge by (name, id), skipping dead ids.
    const at = this.runs.map((r) => {
      let lo = 0;
      let hi = r.names.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((r.names.get(mid) ?? '') < key) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    });
    const out: number[] = [];
    for (;;) {
      let best = -1;
      let bestName = '';
      let bestId = 0;
      for (let k = 0; k < this.runs.length; k++) {
        const r = this.runs[k]!;
        // Skip dead entries of this run.
        let i = at[k]!;
        while (i < r.names.length && r.map && r.map[r.ids[i]!]! < 0) i++;
        at[k] = i;
        if (i >= r.names.length) continue;
        const name = r.names.get(i) ?? '';
        if (exact ? name !== key : !name.startsWith(key)) continue;
        const id = r.map ? r.map[r.ids[i]!]! : r.ids[i]!;
        if (best < 0 || name < bestName || (name === bestName && id < bestId)) {
          best = k;
          bestName = name;
          bestId = id;
        }
      }
      if (best < 0 || out.length >= max) return out;
      out.push(bestId);
      at[best]!++;
    }
  }
}
