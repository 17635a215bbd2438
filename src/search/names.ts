// The name index of a generation: every file symbol's lower-cased name, sorted, with its id,
// built at index time so an identifier or prefix lookup is a binary search over the stored
// table (decoding ~20 names) instead of decoding and sorting every name per process.
// Coordinator thread (build); any thread (lookup).

import type { IndexGraph } from '../graph/graph.js';
import { NONE, SymbolKind } from '../protocol.js';
import { LazyStrings, decodeColumns, encodeColumns, encodeStrings } from '../store/codec.js';

export const NAMES_BLOB = 'names.lower';
export const NAME_IDS_BLOB = 'names.ids';

export function encodeNameIndex(g: IndexGraph): Record<string, Uint8Array> {
  const lower: string[] = [];
  const ids: number[] = [];
  for (let id = 0; id < g.fileSymbolCount; id++) {
    if ((g.symbols.kind[id] ?? 0) === SymbolKind.module) continue;
    lower.push((g.strings[g.symbols.name[id] ?? NONE] ?? '').toLowerCase());
    ids.push(id);
  }
  const order = Array.from(lower.keys());
  order.sort((a, b) => (lower[a]! < lower[b]! ? -1 : lower[a]! > lower[b]! ? 1 : ids[a]! - ids[b]!));
  return {
    [NAMES_BLOB]: encodeStrings(order.map((i) => lower[i]!)),
    [NAME_IDS_BLOB]: encodeColumns({ ids: Int32Array.from(order, (i) => ids[i]!) }),
  };
}

export class NameIndex {
  private readonly names: LazyStrings;
  private readonly ids: Int32Array;

  constructor(namesBlob: Uint8Array, idsBlob: Uint8Array) {
    this.names = new LazyStrings(namesBlob);
    this.ids = decodeColumns(idsBlob).ids as Int32Array;
  }

  /** Ids of symbols whose lower-cased name starts with `prefix` (exact names first), at most `max`. */
  prefixed(prefix: string, max: number): number[] {
    const key = prefix.toLowerCase();
    let lo = 0;
    let hi = this.names.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.names.get(mid) ?? '') < key) lo = mid + 1;
      else hi = mid;
    }
    const out: number[] = [];
    for (let i = lo; i < this.names.length && out.length < max; i++) {
      if (!(this.names.get(i) ?? '').startsWith(key)) break;
      out.push(this.ids[i]!);
    }
    return out;
  }
}
