// The read path of the store: opens an index read-only and reads the current generation
// (readers never see a generation that is still being written: `current` only moves after it
// is complete). Missing index, older schema and damage become LeindexErrors with hints.
// Coordinator or server thread.

import { LeindexError } from '../errors.js';
import type { FileTable, IndexGraph, ResolutionStats } from '../graph/graph.js';
import { LazyStrings, decodeColumns, decodeStrings } from './codec.js';
import {
  BLOB,
  RECORD,
  decodeGraph,
  decodeGraphColumns,
  type GenerationInfo,
  type GraphColumns,
  type SkippedRecord,
} from './layout.js';
import type { Database } from '../../native/lmdb.js';
import { SCHEMA_VERSION, openDbs, storeExists, storeFailure, type StoreDbs } from './open.js';

/**
 * One value as an 8-byte-aligned buffer the caller owns. lmdb-js's getBinary already returns
 * a fresh buffer (its own allocation for a large value, a slice of its reused buffer for a
 * small one); copying it again, as readers did, doubled the fresh memory a read touches,
 * and fresh pages are what a cold read pays for (measured ~4 ms CPU per MB on a loaded
 * 2-core box, against ~0.1 ms per MB to read the mapped store itself).
 */
export function readOwned(db: Database<Uint8Array, never>, key: unknown): Uint8Array | undefined {
  const b = (db as unknown as { getBinary(k: unknown): Uint8Array | undefined }).getBinary(key);
  if (!b) return undefined;
  if (b.byteOffset % 8 === 0) return b;
  const out = new Uint8Array(b.byteLength);
  out.set(b);
  return out;
}

/** The hashes of file tables read by readFileTableOf, decoded one at a time (fileHash). */
const lazyHashes = new WeakMap<FileTable, LazyStrings>();

export function readFileTableOf(dbs: StoreDbs, gen: number): FileTable | undefined {
  const blobs = dbs.blobs as unknown as Database<Uint8Array, never>;
  const cols = readOwned(blobs, [gen, BLOB.files]);
  // Paths become strings at once: read in passing (lmdb-js's reused buffer, no copy kept),
  // decoded before the next read reuses the buffer.
  const b = dbs.blobs.getBinaryFast([gen, BLOB.filePaths]);
  const relPath = b ? decodeStrings(b.subarray(0, b.length)) : undefined;
  // Hashes are kept as bytes (one copy): a search reads the fragments of a few dozen files,
  // so fileHash decodes those alone; `contentHash`, the whole column, is decoded on first
  // use. Decoding all 7.6k of the corpus's hashes was ~150 page faults and 7.6k strings of
  // every cold search.
  const hashBytes = readOwned(blobs, [gen, BLOB.fileHashes]);
  if (!cols || !relPath || !hashBytes) return undefined;
  let contentHash: string[] | undefined;
  const table = {
    ...(decodeColumns(cols, true) as unknown as Omit<FileTable, 'relPath' | 'contentHash'>),
    relPath,
    get contentHash(): string[] {
      if (!contentHash) {
        contentHash = decodeStrings(hashBytes);
        // The column may now be changed in place (patchFiles): fileHash reads it from here on.
        lazyHashes.delete(table);
      }
      return contentHash;
    },
  };
  lazyHashes.set(table, new LazyStrings(hashBytes));
  return table;
}

/**
 * `files.contentHash[file]`, decoding that hash alone when the table came from
 * readFileTableOf and its column was not decoded yet.
 */
export function fileHash(files: FileTable, file: number): string | undefined {
  const lazy = lazyHashes.get(files);
  return lazy ? lazy.get(file) : files.contentHash[file];
}

/** lmdb-js's read transaction handle (`useReadTransaction`): released with done(). */
interface ReadTxn {
  done(): void;
}

/**
 * lmdb-js hands a value of this size or more out as a view into its memory map, and copies
 * one that fits its 16 MiB read buffer (SHARED_BUFFER_THRESHOLD in its src/lmdb-js.h;
 * valToBinaryFast in src/misc.cpp): 16 MiB and 8 bytes.
 */
export const IN_PLACE_BYTES = 0x1000000 + 8;

export class IndexReader {
  /**
   * The read transaction that keeps the graph blob's pages as they are while views into the
   * memory map exist (graphColumns): LMDB reuses a freed page only when no reader's snapshot
   * can still see it. Taken on first use, released by close().
   */
  private txn: ReadTxn | undefined;
  private mappedGraph: { bytes: Uint8Array; inPlace: boolean } | undefined;

  private constructor(
    private readonly dbs: StoreDbs,
    readonly generation: number,
    readonly info: GenerationInfo,
  ) {}

  /** Opens the index at indexDir; throws E_INDEX_MISSING / E_SCHEMA_MISMATCH / E_STORE_CORRUPT. */
  static open(indexDir: string): IndexReader {
    if (!storeExists(indexDir)) {
      throw new LeindexError('E_INDEX_MISSING', `no index at ${indexDir}`, {
        hint: 'run `leindex index <path>` first',
      });
    }
    const dbs = openDbs(indexDir, { readOnly: true });
    try {
      const schema = dbs.meta.get('schema');
      if (schema !== SCHEMA_VERSION) {
        throw new LeindexError(
          'E_SCHEMA_MISMATCH',
          `the index at ${indexDir} has schema ${String(schema)}; this leindex reads schema ${SCHEMA_VERSION}`,
          { hint: 'run `leindex index` again: it rebuilds the index in the current schema' },
        );
      }
      const current = dbs.meta.get('current');
      if (typeof current !== 'number') {
        throw new LeindexError('E_INDEX_MISSING', `the index at ${indexDir} has no complete generation yet`, {
          hint: 'run `leindex index <path>` (a first run may still be in progress)',
        });
      }
      const info = dbs.records.get([current, RECORD.info]) as GenerationInfo | undefined;
      if (!info) throw new LeindexError('E_STORE_CORRUPT', `generation ${current} has no info record`);
      return new IndexReader(dbs, current, info);
    } catch (err) {
      void dbs.env.close();
      throw storeFailure(err, 'open');
    }
  }

  fileTable(): FileTable {
    try {
      const t = readFileTableOf(this.dbs, this.generation);
      if (!t) throw new LeindexError('E_STORE_CORRUPT', `generation ${this.generation} has no file table`);
      return t;
    } catch (err) {
      throw storeFailure(err, 'file table');
    }
  }

  graph(): IndexGraph {
    try {
      const blobs: Record<string, Uint8Array> = {};
      for (const name of [BLOB.files, BLOB.filePaths, BLOB.fileHashes]) {
        const b = readOwned(this.blobs, [this.generation, name]);
        if (b) blobs[name] = b;
      }
      const graph = this.graphBytes();
      if (graph) blobs[BLOB.graph] = graph.bytes; // decodeGraph copies what it keeps
      const stats = this.dbs.records.get([this.generation, RECORD.stats]) as ResolutionStats;
      return decodeGraph(blobs, this.info, stats);
    } catch (err) {
      throw storeFailure(err, 'graph');
    }
  }

  /**
   * The graph's columns as views, without decoding or copying it when lmdb-js hands the value
   * out as a view into the memory map (a value of 16 MB or more: the corpus's is ~20 MB):
   * then only the pages of the rows a caller reads are ever touched. A smaller value is a
   * copy the views keep. Views into the map are valid until close(): the pinned read
   * transaction keeps their pages from reuse, and lmdb-js keeps an earlier map after the file
   * grows until the environment closes (its `me_last_map` change to mdb_env_set_mapsize). A
   * view read after close() may fault the process: callers drop views with the session.
   */
  graphColumns(): GraphColumns {
    try {
      const got = this.graphBytes();
      if (!got)
        throw new LeindexError('E_STORE_CORRUPT', `generation ${this.generation} lacks blob ${BLOB.graph}`);
      return decodeGraphColumns(got.bytes, true);
    } catch (err) {
      throw storeFailure(err, 'graph');
    }
  }

  /**
   * Whether graphColumns' views are into the memory map (no copy), once it was read; for
   * benchmarks and tests.
   */
  get graphInPlace(): boolean | undefined {
    return this.mappedGraph?.inPlace;
  }

  /**
   * Forgets the graph blob (the memory governor's release): a copy is freed once the views
   * into it are gone; a view into the map held no heap. The read transaction stays until
   * close(), as views a caller still holds may point into the map.
   */
  releaseGraph(): void {
    this.mappedGraph = undefined;
  }

  /** The graph blob, read once: a view into the map (inPlace) or an 8-aligned copy we own. */
  private graphBytes(): { bytes: Uint8Array; inPlace: boolean } | undefined {
    this.mappedGraph ??= this.blobMapped(this.generation, BLOB.graph);
    return this.mappedGraph;
  }

  /**
   * A named blob of `generation` as graphColumns reads the graph: a view into the memory map
   * when lmdb-js hands the value out so (IN_PLACE_BYTES or more; valid until close(), under
   * the pinned read transaction), else an 8-aligned copy the caller owns. Undefined if absent.
   */
  blobMapped(generation: number, name: string): { bytes: Uint8Array; inPlace: boolean } | undefined {
    try {
      this.txn ??= this.dbs.env.useReadTransaction();
      const fast = this.dbs.blobs as unknown as {
        getBinaryFast(k: unknown, o: { transaction: unknown }): Uint8Array | undefined;
      };
      const b = fast.getBinaryFast([generation, name], { transaction: this.txn });
      if (!b) return undefined;
      const inPlace = (b.buffer as { isSharedMap?: boolean }).isSharedMap === true && b.byteOffset % 8 === 0;
      // Not in the map: lmdb-js's reused read buffer, which the next read overwrites.
      return { bytes: inPlace ? b : Uint8Array.prototype.slice.call(b), inPlace };
    } catch (err) {
      throw storeFailure(err, `blob ${name}`);
    }
  }

  skipped(): SkippedRecord[] {
    return (this.dbs.records.get([this.generation, RECORD.skipped]) as SkippedRecord[] | undefined) ?? [];
  }

  summary(): unknown {
    return this.dbs.records.get([this.generation, RECORD.summary]);
  }

  /** A named blob of this generation (an aligned copy the caller owns), or undefined. */
  blob(name: string): Uint8Array | undefined {
    return this.blobAt(this.generation, name);
  }

  /**
   * A named blob of an earlier generation that this one reads (the lexicon's base segment:
   * GenerationInfo.lexicon.baseGeneration), an aligned copy the caller owns, or undefined.
   */
  blobAt(generation: number, name: string): Uint8Array | undefined {
    try {
      return readOwned(this.blobs, [generation, name]);
    } catch (err) {
      throw storeFailure(err, `blob ${name}`);
    }
  }

  /** The fragment stored under contentHash (an aligned copy the caller owns), or undefined. */
  fragment(contentHash: string): Uint8Array | undefined {
    return readOwned(this.dbs.fragments as unknown as Database<Uint8Array, never>, contentHash);
  }

  /**
   * The fragment stored under contentHash as a view into lmdb-js's reused read buffer, or
   * undefined: valid only until the next read from this store, so a caller copies what it
   * keeps. For a look at one row, it saves allocating (and paging in) a copy of the whole
   * fragment.
   */
  fragmentInPassing(contentHash: string): Uint8Array | undefined {
    const b = this.dbs.fragments.getBinaryFast(contentHash);
    return b ? b.subarray(0, b.length) : undefined;
  }

  /**
   * A named blob of this generation as a view into lmdb-js's reused read buffer, or
   * undefined: valid only until the next read from this store (as fragmentInPassing). For a
   * blob a caller reduces at once and does not keep: no copy, and no fresh memory (which is
   * what a cold read pays for) beyond the read buffer every read reuses.
   */
  blobInPassing(name: string): Uint8Array | undefined {
    try {
      const b = this.dbs.blobs.getBinaryFast([this.generation, name]);
      return b ? b.subarray(0, b.length) : undefined;
    } catch (err) {
      throw storeFailure(err, `blob ${name}`);
    }
  }

  private get blobs(): Database<Uint8Array, never> {
    return this.dbs.blobs as unknown as Database<Uint8Array, never>;
  }

  async close(): Promise<void> {
    this.mappedGraph = undefined;
    this.txn?.done();
    this.txn = undefined;
    await this.dbs.env.close();
  }
}
