// What one generation of the index holds in the store and how it is encoded: the graph as
// column blobs plus its string table, the file table, the skipped files and the summary.
// Pure encode/decode, shared by the read path and the write path. Any thread.

import type { LexiconInfo } from '../search/lexicon.js';
import type { VectorFileStamp } from '../vector/format.js';
import type { Csr, FileTable, IndexGraph, ResolutionStats, SymbolTable } from '../graph/graph.js';
import { decodeColumns, decodeStrings, encodeColumns, encodeStrings, type Column } from './codec.js';
import type { SkipReason } from '../protocol.js';

export interface SkippedRecord {
  relPath: string;
  reason: SkipReason;
  detail: string;
  size: number;
  /** For skips decided from the file's content (binary, minified, …): its mtime then, so an
   * unchanged file keeps its skip without being read again. */
  mtimeMs?: number;
}

/** Blob names of a generation: [generation, name] keys in the blobs database. */
export const BLOB = {
  strings: 'strings',
  symbols: 'symbols',
  files: 'files',
  filePaths: 'files.paths',
  fileHashes: 'files.hashes',
  forward: 'edges.forward',
  reverse: 'edges.reverse',
} as const;

/** Blobs of a generation another one names as its lexicon base start with this. */
export const LEXICON_BLOB_PREFIX = 'lex.';

/** Record names of a generation: [generation, name] keys in the records database. */
export const RECORD = {
  skipped: 'skipped',
  summary: 'summary',
  stats: 'stats',
  info: 'info',
} as const;

/** Facts about a generation that readers need before anything else. */
export interface GenerationInfo {
  generation: number;
  root: string;
  createdAt: string;
  fileSymbolCount: number;
  digest: string;
  /** The HNSW vector file of this generation (under <indexDir>/vectors), when it has vectors. */
  vectors?: { file: string; count: number; dim: number; stamp?: VectorFileStamp };
  /**
   * The lexical index's parameters (src/search/lexicon.ts); absent when it was not built. Its
   * baseGeneration's blobs named LEXICON_BLOB_PREFIX* are kept as long as a kept generation
   * names it (absent: this generation's own).
   */
  lexicon?: LexiconInfo;
}

/** The three blobs of a file table. */
export function encodeFileTable(files: FileTable): Record<string, Uint8Array> {
  const { relPath, contentHash, ...fileCols } = files;
  return {
    [BLOB.files]: encodeColumns(fileCols),
    [BLOB.filePaths]: encodeStrings(relPath),
    [BLOB.fileHashes]: encodeStrings(contentHash),
  };
}

export function encodeGraph(g: IndexGraph): Record<string, Uint8Array> {
  return {
    ...encodeFileTable(g.files),
    [BLOB.strings]: encodeStrings(g.strings),
    [BLOB.symbols]: encodeColumns(g.symbols as unknown as Record<string, Column>),
    [BLOB.forward]: encodeColumns(g.forward as unknown as Record<string, Column>),
    [BLOB.reverse]: encodeColumns(g.reverse as unknown as Record<string, Column>),
  };
}

export function decodeFileTable(cols: Uint8Array, paths: Uint8Array, hashes: Uint8Array): FileTable {
  return {
    ...(decodeColumns(cols) as unknown as Omit<FileTable, 'relPath' | 'contentHash'>),
    relPath: decodeStrings(paths),
    contentHash: decodeStrings(hashes),
  };
}

export function decodeGraph(
  blobs: Record<string, Uint8Array>,
  info: GenerationInfo,
  stats: ResolutionStats,
): IndexGraph {
  const need = (name: string): Uint8Array => {
    const b = blobs[name];
    if (!b) throw new Error(`generation ${info.generation} lacks blob ${name}`);
    return b;
  };
  return {
    strings: decodeStrings(need(BLOB.strings)),
    symbols: decodeColumns(need(BLOB.symbols)) as unknown as SymbolTable,
    files: decodeFileTable(need(BLOB.files), need(BLOB.filePaths), need(BLOB.fileHashes)),
    fileSymbolCount: info.fileSymbolCount,
    forward: decodeColumns(need(BLOB.forward)) as unknown as Csr,
    reverse: decodeColumns(need(BLOB.reverse)) as unknown as Csr,
    stats,
  };
}
