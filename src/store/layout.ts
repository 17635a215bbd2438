// What one generation of the index holds in the store and how it is encoded: the graph as one
// column blob (its string table, symbol columns and both edge CSRs), the file table, the
// skipped files and the summary.
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
  /**
   * The graph without its file table: one encodeColumns blob whose columns are `strings` (an
   * encodeStrings table as bytes) and `symbols.*`, `forward.*`, `reverse.*` (GraphColumns).
   * One value, not four: lmdb-js hands out a value of 16 MB or more as a view into the
   * store's memory map instead of copying it (SHARED_BUFFER_THRESHOLD in its dbi.cpp), and a
   * cold search then touches only the pages of the rows it reads (~20 MB on the corpus).
   */
  graph: 'graph',
  files: 'files',
  filePaths: 'files.paths',
  fileHashes: 'files.hashes',
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
  vectors?: {
    file: string;
    count: number;
    dim: number;
    stamp?: VectorFileStamp;
    /** The index's files when it is in segments: see VectorFileRecord.segments (src/pipeline/vectors.ts). */
    segments?: { file: string; count: number; stamp?: VectorFileStamp }[];
    /** [fileKey, dead rows, live vectors]: see VectorFileRecord.stale (src/pipeline/vectors.ts). */
    stale?: [number, number, number][];
  };
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

/** The parts of a BLOB.graph value, as views into it. */
export interface GraphColumns {
  /** The string table, encodeStrings bytes (decodeStrings or LazyStrings read it). */
  strings: Uint8Array;
  symbols: SymbolTable;
  forward: Csr;
  reverse: Csr;
}

const PARTS = ['symbols', 'forward', 'reverse'] as const;

/** The graph's blobs (file table and BLOB.graph); `strings` is the encoded string table, for graphDigest. */
export function encodeGraph(g: IndexGraph): { blobs: Record<string, Uint8Array>; strings: Uint8Array } {
  const strings = encodeStrings(g.strings);
  const cols: Record<string, Column> = { strings };
  for (const part of PARTS) {
    for (const [name, col] of Object.entries(g[part] as unknown as Record<string, Column>))
      cols[`${part}.${name}`] = col;
  }
  return { blobs: { ...encodeFileTable(g.files), [BLOB.graph]: encodeColumns(cols) }, strings };
}

/**
 * The parts of a BLOB.graph value: views into `bytes` when `owned` (the caller keeps it as
 * long as the views: decodeColumns), else into a copy.
 */
export function decodeGraphColumns(bytes: Uint8Array, owned: boolean): GraphColumns {
  const cols = decodeColumns(bytes, owned);
  const parts: Record<string, Record<string, Column>> = { symbols: {}, forward: {}, reverse: {} };
  let strings: Uint8Array | undefined;
  for (const [key, col] of Object.entries(cols)) {
    if (key === 'strings') {
      strings = col as Uint8Array;
      continue;
    }
    const dot = key.indexOf('.');
    const part = parts[key.slice(0, dot)];
    if (dot < 0 || !part) throw new Error(`unexpected graph column ${key}`);
    part[key.slice(dot + 1)] = col;
  }
  if (!strings) throw new Error('the graph blob has no string table');
  return {
    strings,
    symbols: parts.symbols as unknown as SymbolTable,
    forward: parts.forward as unknown as Csr,
    reverse: parts.reverse as unknown as Csr,
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
  const cols = decodeGraphColumns(need(BLOB.graph), false);
  return {
    strings: decodeStrings(cols.strings),
    symbols: cols.symbols,
    files: decodeFileTable(need(BLOB.files), need(BLOB.filePaths), need(BLOB.fileHashes)),
    fileSymbolCount: info.fileSymbolCount,
    forward: cols.forward,
    reverse: cols.reverse,
    stats,
  };
}
