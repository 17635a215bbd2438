// The re-index that needs no merge: when the same files are indexed as last time and every
// changed one differs from its previous fragment only in what resolution never reads
// (src/graph/patch.ts), the new graph is the previous generation's graph blob with the changed
// files' positions written into it, and the merge inputs of unchanged files are read from the
// store only if the lexicon or the vector index asks for them. Coordinator thread.

import { LeindexError } from '../errors.js';
import { FragmentReader } from '../graph/fragment.js';
import type { FileTable, IndexGraph } from '../graph/graph.js';
import type { MergeInput } from '../graph/merge.js';
import { patchFiles, resolutionInputEqual, type FilePatch } from '../graph/patch.js';
import {
  bodyEditBlocker,
  decodeTally,
  reresolve,
  TALLY_BLOB,
  type BodyFile,
} from '../graph/patch-resolve.js';
import type { ResolveTally } from '../graph/resolve.js';
import { LANGUAGES, type LanguageId } from '../protocol.js';
import { decodeStrings } from '../store/codec.js';
import { decodeGraphColumns } from '../store/layout.js';
import type { IndexWriter } from '../store/write.js';
import type { DiscoveredFile } from './discover.js';

export interface PatchedGeneration {
  readonly graph: IndexGraph;
  /** The BLOB.graph value of the new graph (the previous one, patched in place). */
  readonly graphBlob: Uint8Array;
  /** The encoded string table inside it (for graphDigest). */
  readonly strings: Uint8Array;
  /** Every indexed file, in file-table order; unchanged files' fragments are read on first use. */
  readonly inputs: MergeInput[];
  /** Vectors in the changed files' new fragments minus those in their previous ones. */
  readonly vectorDelta: number;
}

/** A merge input whose fragment stays in the store until something reads it. */
class StoredInput implements MergeInput {
  private reader: FragmentReader | undefined;
  constructor(
    private readonly writer: IndexWriter,
    readonly relPath: string,
    readonly language: LanguageId,
    readonly contentHash: string,
    readonly size: number,
    readonly mtimeMs: number,
  ) {}
  get fragment(): FragmentReader {
    if (this.reader) return this.reader;
    const bytes = this.writer.getFragment(this.contentHash);
    if (!bytes)
      throw new LeindexError('E_STORE_CORRUPT', `the stored fragment of ${this.relPath} is missing`);
    return (this.reader = new FragmentReader(bytes));
  }
}

/**
 * The new generation as a patch of the previous one, or undefined when it cannot be one: a
 * file added, dropped or renamed, a fragment missing from the store, or a changed file whose
 * names, references or structure moved (then the caller merges as usual).
 */
export function patchPrevious(
  writer: IndexWriter,
  prev: FileTable,
  parsed: ReadonlyMap<string, MergeInput>,
  reuse: ReadonlyMap<string, { hash: string; file: DiscoveredFile }>,
): PatchedGeneration | undefined {
  const n = prev.relPath.length;
  if (parsed.size === 0 || parsed.size + reuse.size !== n) return undefined;
  // The changed files first: most edits move a name or a reference, and that ends it here.
  const patches: FilePatch[] = [];
  let vectorDelta = 0;
  for (const changed of parsed.values()) {
    const f = indexOf(prev.relPath, changed.relPath);
    if (f < 0 || LANGUAGES.indexOf(changed.language) !== prev.language[f]) return undefined;
    const before = writer.getFragment(prev.contentHash[f] ?? '');
    if (!before) return undefined;
    const old = new FragmentReader(before);
    const now = changed.fragment;
    if (!resolutionInputEqual(old, now)) return undefined;
    vectorDelta += now.vectorCount - old.vectorCount;
    patches.push({
      file: f,
      fragment: now,
      contentHash: changed.contentHash,
      size: changed.size,
      mtimeMs: changed.mtimeMs,
    });
  }
  const files: FileTable = {
    ...prev,
    contentHash: prev.contentHash.slice(),
    size: prev.size.slice(),
    mtimeMs: prev.mtimeMs.slice(),
    errorCount: prev.errorCount.slice(),
    lineCount: prev.lineCount.slice(),
  };
  // Set by the vector stage as in a merge (absent without vectors).
  delete files.fileKey;
  const inputs = inputsInOrder(writer, prev, parsed, reuse);
  if (typeof inputs === 'string') return undefined;
  for (let f = 0; f < n; f++) {
    if (parsed.has(prev.relPath[f]!)) continue;
    files.size[f] = inputs[f]!.size;
    files.mtimeMs[f] = inputs[f]!.mtimeMs;
  }
  const previous = previousGraph(writer, files);
  if (!previous) return undefined;
  const { graph, blob, strings } = previous;
  if (graph.fileSymbolCount !== prev.symbolStart[n] || graph.symbols.kind.length < graph.fileSymbolCount)
    return undefined;
  patchFiles(files, graph.symbols, patches);
  return { graph, graphBlob: blob, strings, inputs, vectorDelta };
}

/** A re-resolution the checks allow: its inputs (every file), and run() to do it. */
export interface ReresolvePlan {
  /** Every indexed file, in file-table order; unchanged files' fragments are read on first use. */
  readonly inputs: MergeInput[];
  /** How many changed files are re-resolved. */
  readonly files: number;
  /** The new graph and tally, or why the path does not apply after all (then merge `inputs`). */
  run():
    { graph: IndexGraph; tally: ResolveTally; reason?: undefined } | { graph?: undefined; reason: string };
}

/**
 * The plan of a new generation with only the changed files re-resolved (src/graph/patch-resolve.ts),
 * or the reason it cannot be one: the same files as last time, each changed one's previous
 * fragment in the store, and none of them moving what another file's resolution reads.
 */
export function reresolvePrevious(
  writer: IndexWriter,
  prev: FileTable,
  parsed: ReadonlyMap<string, MergeInput>,
  reuse: ReadonlyMap<string, { hash: string; file: DiscoveredFile }>,
): ReresolvePlan | { reason: string } {
  const n = prev.relPath.length;
  if (parsed.size === 0 || parsed.size + reuse.size !== n) return { reason: 'files added or removed' };
  const changed: BodyFile[] = [];
  for (const input of parsed.values()) {
    const f = indexOf(prev.relPath, input.relPath);
    if (f < 0 || LANGUAGES.indexOf(input.language) !== prev.language[f]) return { reason: 'files renamed' };
    const bytes = writer.getFragment(prev.contentHash[f] ?? '');
    if (!bytes) return { reason: `no previous fragment of ${input.relPath}` };
    const before = new FragmentReader(bytes);
    const blocker = bodyEditBlocker(before, input.fragment);
    if (blocker) return { reason: `${input.relPath}: ${blocker} changed` };
    changed.push({ file: f, before });
  }
  const gen = writer.previousGeneration;
  const tally = gen === undefined ? undefined : decodeTally(writer.blobAt(gen, TALLY_BLOB), n);
  if (!tally) return { reason: 'no resolution tally stored' };
  const inputs = inputsInOrder(writer, prev, parsed, reuse);
  if (typeof inputs === 'string') return { reason: `no stored fragment of ${inputs}` };
  return {
    inputs,
    files: changed.length,
    run: () => {
      const previous = previousGraph(writer, prev);
      if (!previous) return { reason: 'no previous graph' };
      return reresolve(previous.graph, tally, inputs, changed);
    },
  };
}

/**
 * Every file's merge input in file-table order: a changed file's new fragment, an unchanged
 * one's stored fragment (read on first use); or the path of the first unchanged file whose
 * fragment is not the stored one of the same content.
 */
function inputsInOrder(
  writer: IndexWriter,
  prev: FileTable,
  parsed: ReadonlyMap<string, MergeInput>,
  reuse: ReadonlyMap<string, { hash: string; file: DiscoveredFile }>,
): MergeInput[] | string {
  const inputs: MergeInput[] = [];
  for (let f = 0; f < prev.relPath.length; f++) {
    const relPath = prev.relPath[f]!;
    const input = parsed.get(relPath);
    if (input) {
      inputs.push(input);
      continue;
    }
    const kept = reuse.get(relPath);
    if (!kept || kept.hash !== prev.contentHash[f] || !writer.hasFragment(kept.hash)) return relPath;
    inputs.push(
      new StoredInput(writer, relPath, kept.file.language, kept.hash, kept.file.size, kept.file.mtimeMs),
    );
  }
  return inputs;
}

/** The previous generation's graph over `files` (its blob decoded in place), if there is one. */
function previousGraph(
  writer: IndexWriter,
  files: FileTable,
): { graph: IndexGraph; blob: Uint8Array; strings: Uint8Array } | undefined {
  const previous = writer.previousGraph();
  if (!previous) return undefined;
  const cols = decodeGraphColumns(previous.bytes, true);
  const graph: IndexGraph = {
    files,
    strings: decodeStrings(cols.strings),
    symbols: cols.symbols,
    fileSymbolCount: previous.info.fileSymbolCount,
    forward: cols.forward,
    reverse: cols.reverse,
    stats: previous.stats,
  };
  return { graph, blob: previous.bytes, strings: cols.strings };
}

/** The row of a path in a file table's sorted paths, or -1. */
function indexOf(sorted: readonly string[], path: string): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const p = sorted[mid]!;
    if (p === path) return mid;
    if (p < path) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
