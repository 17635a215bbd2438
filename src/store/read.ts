// The read path of the store: opens an index read-only and reads the current generation
// (readers never see a generation that is still being written: `current` only moves after it
// is complete). Missing index, older schema and damage become LeindexErrors with hints.
// Coordinator or server thread.

import { LeindexError } from '../errors.js';
import type { FileTable, IndexGraph, ResolutionStats } from '../graph/graph.js';
import {
  BLOB,
  RECORD,
  decodeFileTable,
  decodeGraph,
  type GenerationInfo,
  type SkippedRecord,
} from './layout.js';
import { SCHEMA_VERSION, openDbs, storeExists, storeFailure, type StoreDbs } from './open.js';

export function readFileTableOf(dbs: StoreDbs, gen: number): FileTable | undefined {
  const cols = dbs.blobs.getBinary([gen, BLOB.files]);
  const paths = dbs.blobs.getBinary([gen, BLOB.filePaths]);
  const hashes = dbs.blobs.getBinary([gen, BLOB.fileHashes]);
  if (!cols || !paths || !hashes) return undefined;
  return decodeFileTable(cols, paths, hashes);
}

export class IndexReader {
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
      for (const name of Object.values(BLOB)) {
        const b = this.dbs.blobs.getBinary([this.generation, name]);
        if (b) blobs[name] = b.slice();
      }
      const stats = this.dbs.records.get([this.generation, RECORD.stats]) as ResolutionStats;
      return decodeGraph(blobs, this.info, stats);
    } catch (err) {
      throw storeFailure(err, 'graph');
    }
  }

  skipped(): SkippedRecord[] {
    return (this.dbs.records.get([this.generation, RECORD.skipped]) as SkippedRecord[] | undefined) ?? [];
  }

  summary(): unknown {
    return this.dbs.records.get([this.generation, RECORD.summary]);
  }

  /** A named blob of this generation (a copy), or undefined. */
  blob(name: string): Uint8Array | undefined {
    return this.blobAt(this.generation, name);
  }

  /**
   * A named blob of an earlier generation that this one reads (the lexicon's base segment:
   * GenerationInfo.lexicon.baseGeneration), a copy, or undefined.
   */
  blobAt(generation: number, name: string): Uint8Array | undefined {
    try {
      const b = this.dbs.blobs.getBinary([generation, name]);
      return b ? Uint8Array.prototype.slice.call(b) : undefined;
    } catch (err) {
      throw storeFailure(err, `blob ${name}`);
    }
  }

  fragment(contentHash: string): Uint8Array | undefined {
    const b = this.dbs.fragments.getBinary(contentHash);
    return b ? b.slice() : undefined;
  }

  async close(): Promise<void> {
    await this.dbs.env.close();
  }
}
