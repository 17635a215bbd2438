// The name index of a generation: every file symbol's lower-cased name, sorted, with its id,
// built at index time so an identifier or prefix lookup is a binary search over the stored
// table (decoding ~20 names) instead of decoding and sorting every name per process.
// Incremental like the lexicon (lexicon.ts), and with the same base: a base run of every
// file's names is written with the lexicon's base and kept by the generations that name it;
// a later generation writes only the names of the files that differ from the base, and a
// lookup merges both runs, mapping base ids through the lexicon's remap and skipping dead
// ones, in the (name, id) order a full rebuild has. Coordinator thread (build); any (lookup).

import type { IndexGraph } from '../graph/graph.js';
import { LeindexError } from '../errors.js';
import { NONE, SymbolKind } from '../protocol.js';
import { LazyStrings, decodeColumns, encodeColumns, encodeStrings } from '../store/codec.js';
import type { IndexReader } from '../store/read.js';
import { LEX_NAMES_BASE_PREFIX, baseDocMap } from './lexicon.js';

/** Older indexes: the whole table in the generation itself. */
export const NAMES_BLOB = 'names.lower';
export const NAME_IDS_BLOB = 'names.ids';
/** The base run (kept with the lexicon's base) and a generation's delta run. */
export const NAMES_BASE_BLOB = `${LEX_NAMES_BASE_PREFIX}lower`;
export const NAME_IDS_BASE_BLOB = `${LEX_NAMES_BASE_PREFIX}ids`;
export const NAMES_DELTA_BLOB = 'lex.dnames.lower';
export const NAME_IDS_DELTA_BLOB = 'lex.dnames.ids';

/**
 * The name blobs of a merged graph: a base run of every file when `covered` is undefined (the
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
    [covered ? NAMES_DELTA_BLOB : NAMES_BASE_BLOB]: encodeStrings(order.map((i) => lower[i]!)),
    [covered ? NAME_IDS_DELTA_BLOB : NAME_IDS_BASE_BLOB]: encodeColumns({
      ids: Int32Array.from(order, (i) => ids[i]!),
    }),
  };
}

/** One sorted run of (name, id); `map` takes its ids to this generation's (-1: dead). */
interface Run {
  names: LazyStrings;
  ids: Int32Array;
  map: Int32Array | undefined;
}

function run(namesBlob: Uint8Array, idsBlob: Uint8Array, map?: Int32Array): Run {
  // The blob is the caller's to give (IndexReader.blob returns an aligned copy): its ids are
  // used in place (a second copy was 0.6 MB of fresh memory on the corpus).
  return { names: new LazyStrings(namesBlob), ids: decodeColumns(idsBlob, true).ids as Int32Array, map };
}

export class NameIndex {
  private readonly runs: Run[];

  /** One run (an older index's table, or tests); see open() for base + delta. */
  constructor(namesBlob: Uint8Array, idsBlob: Uint8Array);
  constructor(runs: Run[]);
  constructor(a: Uint8Array | Run[], b?: Uint8Array) {
    this.runs = Array.isArray(a) ? a : [run(a, b ?? new Uint8Array())];
  }

  /** The name index of the reader's generation; E_SCHEMA_MISMATCH when it has none. */
  static open(reader: IndexReader): NameIndex {
    const missing = (): LeindexError =>
      new LeindexError('E_SCHEMA_MISMATCH', 'this index has no name table (it predates it)', {
        hint: 'run `leindex index --rebuild` to rebuild it in the current format',
      });
    const info = reader.info.lexicon;
    const baseGen = info?.baseGeneration;
    if (!info || baseGen === undefined) {
      const names = reader.blob(NAMES_BLOB);
      const ids = reader.blob(NAME_IDS_BLOB);
      if (!names || !ids) throw missing();
      return new NameIndex(names, ids);
    }
    const names = reader.blobAt(baseGen, NAMES_BASE_BLOB);
    const ids = reader.blobAt(baseGen, NAME_IDS_BASE_BLOB);
    if (!names || !ids) throw missing();
    const runs = [
      run(
        names,
        ids,
        baseDocMap(
          info,
          (name) => reader.blobAt(baseGen, name),
          (name) => reader.blob(name),
        ),
      ),
    ];
    if (info.delta) {
      const dn = reader.blob(NAMES_DELTA_BLOB);
      const di = reader.blob(NAME_IDS_DELTA_BLOB);
      if (!dn || !di) throw missing();
      runs.push(run(dn, di));
    }
    return new NameIndex(runs);
  }

  /** Ids of symbols whose lower-cased name starts with `prefix` (exact names first), at most `max`. */
  prefixed(prefix: string, max: number): number[] {
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
        if (!name.startsWith(key)) continue;
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
