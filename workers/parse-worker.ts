// The Piscina worker: takes a ParseTask (a shard of files), reads and parses each file with
// this thread's reusable parser, extracts a PDG fragment from that file alone, drops the
// tree, and packs all fragments into one SharedArrayBuffer. Runs in a worker thread; the
// same `parseShard` also runs on the main thread for the serial path (determinism tests).

import { threadId } from 'node:worker_threads';
import { parserFor, reclaimTrees, type Tree } from '../native/tree-sitter.js';
import { FragmentBuilder } from '../src/graph/fragment.js';
import {
  FragmentFlag,
  languageIndex,
  type FileOutcome,
  type ParseResult,
  type ParseTask,
} from '../src/protocol.js';
import { embedBag, embedSymbol, loadModel, type EmbeddingModel } from '../src/embed/embedder.js';
import { ModelFlag } from '../src/embed/model.js';
import { EMBEDDED_KINDS, SymbolKind } from '../src/protocol.js';
import { LEXICAL_STEM, encodeBag, termBag } from '../src/search/terms.js';
import { countErrors } from './extract/common.js';
import { extractorFor } from './extract/index.js';
import { readSource } from './read-source.js';
import { threadCpuMs } from './thread-cpu.js';

interface Built {
  readonly builder: FragmentBuilder;
  readonly outcomeIndex: number;
}

/** This thread's embedding model, loaded on the first task that asks for vectors (~80 ms). */
let model: EmbeddingModel | undefined;
/** The vector buffer indexFragmentText reuses for every symbol (model.dim long). */
let embedOut: Float32Array | undefined;

/**
 * Kinds whose source text is embedded with them. Types and namespaces are embedded by their
 * head (name, signature, doc): their bodies are their members, embedded on their own, and that
 * is also how the model was trained (scripts/train-embedder.ts). Embedding class bodies cost as
 * much CPU as parsing on the benchmark corpus.
 */
const BODY_KINDS: ReadonlySet<number> = new Set([SymbolKind.function, SymbolKind.method]);

/**
 * Gives every symbol its lexical terms (for the search index) and, when `embed` is set, the
 * symbols of EMBEDDED_KINDS their vector, from one tokenisation of the text the worker already
 * holds: name, qualified name, signature, doc and (functions, methods) body. Not the path: a
 * fragment is a function of the file's content alone (stored by content hash); path terms
 * are added at merge.
 */
function indexFragmentText(builder: FragmentBuilder, text: string, embed: boolean): void {
  if (embed) model ??= loadModel();
  // The weighted bag is the embedder's input too when the model stems as the lexicon does.
  const shareBag = model !== undefined && ((model.flags & ModelFlag.stem) !== 0) === LEXICAL_STEM;
  // addVector quantises the vector into the fragment at once, so one output array serves
  // every symbol (saves an allocation per symbol; see EmbedOptions.out).
  const out = model ? (embedOut ??= new Float32Array(model.dim)) : undefined;
  const rows = builder.symbolCount;
  for (let row = 1; row < rows; row++) {
    const kind = builder.getSymbolField(row, 'kind');
    const s = {
      name: builder.symbolText(row, 'name'),
      qualifiedName: builder.symbolText(row, 'qualifiedName'),
      signature: builder.symbolText(row, 'signature'),
      doc: builder.symbolText(row, 'doc'),
      body: BODY_KINDS.has(kind)
        ? text.slice(builder.getSymbolField(row, 'startOffset'), builder.getSymbolField(row, 'endOffset'))
        : undefined,
    };
    const bag = termBag(s);
    const { hashes, weights } = encodeBag(bag);
    builder.setTerms(row, hashes, weights);
    if (embed && model && EMBEDDED_KINDS.has(kind)) {
      builder.addVector(row, shareBag ? embedBag(model, bag, { out }) : embedSymbol(model, s, { out }));
    }
  }
}

export function parseShard(task: ParseTask): ParseResult {
  const started = performance.now();
  let readMs = 0;
  let parseMs = 0;
  let extractMs = 0;
  let embedMs = 0;
  let bytesRead = 0;
  const outcomes: FileOutcome[] = [];
  const built: Built[] = [];

  for (const file of task.files) {
    let t = performance.now();
    const src = readSource(file.absPath, file.language, { maxFileBytes: task.maxFileBytes });
    readMs += performance.now() - t;
    if (!src.ok) {
      outcomes.push({
        status: 'skipped',
        relPath: file.relPath,
        reason: src.reason,
        detail: src.detail,
        size: src.size,
      });
      continue;
    }
    bytesRead += src.size;
    if (file.knownHash !== undefined && file.knownHash === src.contentHash) {
      outcomes.push({
        status: 'unchanged',
        relPath: file.relPath,
        contentHash: src.contentHash,
        size: src.size,
        mtimeMs: src.mtimeMs,
      });
      continue;
    }

    t = performance.now();
    const parser = parserFor(file.language);
    let tree: Tree | undefined;
    try {
      // A parser that failed mid-file would otherwise resume the old parse on the next call.
      parser.reset();
      tree = parser.parse(src.text);
    } catch (err) {
      outcomes.push({
        status: 'skipped',
        relPath: file.relPath,
        reason: 'unreadable',
        detail: `parser failed: ${(err as Error).message}`,
        size: src.size,
      });
      continue;
    }
    parseMs += performance.now() - t;

    const builder = new FragmentBuilder();
    builder.language = languageIndex(file.language);
    builder.flags =
      (src.lossyDecode ? FragmentFlag.lossyDecode : 0) |
      (src.hadBom ? FragmentFlag.hadBom : 0) |
      (src.utf16 ? FragmentFlag.utf16 : 0);
    const root = tree.rootNode;
    builder.lineCount = root.endPosition.row + 1;
    builder.setModuleExtent(src.text.length, root.endPosition.row);
    if (task.extract) {
      t = performance.now();
      builder.errorCount = countErrors(tree);
      extractorFor(file.language)({ lang: file.language, text: src.text, tree, builder });
      extractMs += performance.now() - t;
      t = performance.now();
      indexFragmentText(builder, src.text, task.embed === true);
      embedMs += performance.now() - t;
    }
    // The tree is garbage from here on (its block scope ends); runParseTask frees the native
    // memory of the shard's trees before answering.

    outcomes.push({
      status: 'ok',
      relPath: file.relPath,
      offset: 0,
      length: 0,
      contentHash: src.contentHash,
      size: src.size,
      mtimeMs: src.mtimeMs,
      errorCount: builder.errorCount,
      lossyDecode: src.lossyDecode,
    });
    if (task.extract) built.push({ builder, outcomeIndex: outcomes.length - 1 });
  }

  // Pack every fragment of the shard into one SharedArrayBuffer: one allocation and one
  // transfer per shard instead of per file (design.md: SAB columns are the cheapest route).
  const t = performance.now();
  let total = 0;
  for (const b of built) total += b.builder.byteLength();
  const buffer = new SharedArrayBuffer(total);
  let offset = 0;
  for (const b of built) {
    const length = b.builder.writeTo(buffer, offset);
    const o = outcomes[b.outcomeIndex];
    if (o?.status === 'ok') outcomes[b.outcomeIndex] = { ...o, offset, length };
    offset += length;
  }
  const encodeMs = performance.now() - t;

  return {
    buffer,
    outcomes,
    timings: { readMs, parseMs, extractMs, embedMs, encodeMs, busyMs: performance.now() - started },
    bytesRead,
    threadId,
  };
}

/**
 * The Piscina entry: one shard, then free its trees before answering. Trees of a shard are
 * garbage once parseShard returns, but their native memory (~30x the source) is only freed
 * after a GC and an event-loop turn (see reclaimTrees); without this a worker's RSS grows by
 * gigabytes over a large tree. A major GC, because a shard's allocation promotes its trees.
 */
export default async function runParseTask(task: ParseTask): Promise<ParseResult> {
  const cpuBefore = threadCpuMs();
  const result = parseShard(task);
  const t = performance.now();
  await reclaimTrees('major');
  const reclaimMs = performance.now() - t;
  const cpuAfter = threadCpuMs();
  const cpuMs = cpuBefore !== undefined && cpuAfter !== undefined ? cpuAfter - cpuBefore : undefined;
  return { ...result, timings: { ...result.timings, reclaimMs, ...(cpuMs !== undefined ? { cpuMs } : {}) } };
}
