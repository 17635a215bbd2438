// The graph of a re-index whose changed files moved only what resolution never reads: a
// comment, blank lines, formatting, a doc comment, a literal. Then every edge, every id and
// the string table are the previous generation's, and the new graph is the previous one with
// the changed files' positions, complexity and counts written over theirs: no merge, no
// resolve. `resolutionInputEqual` is the test; a merge of the same tree gives the same digest
// (test/incremental.test.ts checks both ways, and that scrambling the ignored columns leaves
// a merge's edges alone). Coordinator thread.

import type { FragmentReader } from './fragment.js';
import type { FileTable, SymbolTable } from './graph.js';
import type { RefColumn, SymbolColumn } from '../protocol.js';

/**
 * Symbol columns the merge copies into the graph but resolution never reads (patched from
 * the new fragment), and `doc`, which only queries read from the fragment. Every other symbol
 * column must be equal, string columns by content.
 */
const PATCHED_SYMBOL_COLUMNS = ['startOffset', 'endOffset', 'startLine', 'endLine', 'complexity'] as const;
const SYMBOL_INTS: readonly SymbolColumn[] = ['kind', 'parent', 'flags'];
const SYMBOL_STRINGS: readonly SymbolColumn[] = ['name', 'qualifiedName', 'signature'];
/** Reference columns resolution reads; `offset` and `line` it does not (only queries do). */
const REF_INTS: readonly RefColumn[] = ['kind', 'from', 'aux'];
const REF_STRINGS: readonly RefColumn[] = ['name', 'qualifier', 'alias'];

/**
 * True when resolution cannot tell the two fragments apart: same language and flags, same
 * symbols and references row for row in every column it reads (strings compared by their
 * UTF-8 bytes, so a string pool that gained or lost a doc comment still compares equal).
 */
export function resolutionInputEqual(a: FragmentReader, b: FragmentReader): boolean {
  if (a.symbolCount !== b.symbolCount || a.refCount !== b.refCount) return false;
  if (a.language !== b.language || a.flags !== b.flags) return false;
  for (const c of SYMBOL_INTS)
    if (!intsEqual(a, a.symColumnAt(c), b, b.symColumnAt(c), a.symbolCount)) return false;
  for (const c of REF_INTS)
    if (!intsEqual(a, a.refColumnAt(c), b, b.refColumnAt(c), a.refCount)) return false;
  for (const c of SYMBOL_STRINGS)
    if (!stringsEqual(a, a.symColumnAt(c), b, b.symColumnAt(c), a.symbolCount)) return false;
  for (const c of REF_STRINGS)
    if (!stringsEqual(a, a.refColumnAt(c), b, b.refColumnAt(c), a.refCount)) return false;
  return true;
}

function intsEqual(a: FragmentReader, at: number, b: FragmentReader, bt: number, n: number): boolean {
  const wa = a.words;
  const wb = b.words;
  for (let i = 0; i < n; i++) if (wa[at + i] !== wb[bt + i]) return false;
  return true;
}

function stringsEqual(a: FragmentReader, at: number, b: FragmentReader, bt: number, n: number): boolean {
  const wa = a.words;
  const wb = b.words;
  const ba = a.bytes;
  const bb = b.bytes;
  for (let i = 0; i < n; i++) {
    const sa = wa[at + i]!;
    const sb = wb[bt + i]!;
    const noneA = sa < 0 || sa >= a.stringCount;
    const noneB = sb < 0 || sb >= b.stringCount;
    if (noneA || noneB) {
      if (noneA !== noneB) return false;
      continue;
    }
    const pa = a.strStart(sa);
    const la = a.strStart(sa + 1) - pa;
    const pb = b.strStart(sb);
    if (b.strStart(sb + 1) - pb !== la) return false;
    for (let k = 0; k < la; k++) if (ba[pa + k] !== bb[pb + k]) return false;
  }
  return true;
}

/** A changed file of the patch: its row in the file table and what it is now. */
export interface FilePatch {
  readonly file: number;
  readonly fragment: FragmentReader;
  readonly contentHash: string;
  readonly size: number;
  readonly mtimeMs: number;
}

/**
 * Writes each changed file's positions and complexity over its symbol rows, and its hash,
 * size, mtime, error and line counts over its file row, in place. The fragments must pass
 * resolutionInputEqual against the ones the graph was merged from (same row counts).
 */
export function patchFiles(files: FileTable, symbols: SymbolTable, patches: readonly FilePatch[]): void {
  for (const p of patches) {
    const f = p.file;
    const frag = p.fragment;
    const base = files.symbolStart[f]!;
    if ((files.symbolStart[f + 1] ?? base) - base !== frag.symbolCount)
      throw new Error(`patchFiles: file ${f} has ${frag.symbolCount} symbols, the graph another count`);
    files.contentHash[f] = p.contentHash;
    files.size[f] = p.size;
    files.mtimeMs[f] = p.mtimeMs;
    files.errorCount[f] = frag.errorCount;
    files.lineCount[f] = frag.lineCount;
    const w = frag.words;
    for (const c of PATCHED_SYMBOL_COLUMNS) {
      const at = frag.symColumnAt(c);
      symbols[c].set(w.subarray(at, at + frag.symbolCount), base);
    }
  }
}

/**
 * True when two fragments carry the same embeddings for the same rows (an edit outside every
 * embedded symbol's text): the vector index need not change for the file.
 */
export function sameVectors(a: FragmentReader, b: FragmentReader): boolean {
  if (a.vectorCount !== b.vectorCount || a.vectorDim !== b.vectorDim) return false;
  if (a.vectorCount === 0) return true;
  const va = a.vectorBlock();
  const vb = b.vectorBlock();
  return bytesEqual(va.rows, vb.rows) && bytesEqual(va.scales, vb.scales) && bytesEqual(va.data, vb.data);
}

function bytesEqual(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return (
    Buffer.compare(
      new Uint8Array(a.buffer, a.byteOffset, a.byteLength),
      new Uint8Array(b.buffer, b.byteOffset, b.byteLength),
    ) === 0
  );
}
