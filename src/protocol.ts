// Everything that crosses a thread boundary: the parse task a coordinator sends to a pool
// worker, the result it gets back, and the binary layout of a PDG fragment inside the
// SharedArrayBuffer. Plain data types and constants only; imported by both sides.
// Changing anything here is a format change: bump FRAGMENT_FORMAT_VERSION.

import type { MessagePort } from 'node:worker_threads';
import type { VectorFileStamp } from './vector/format.js';

/** Languages leindex parses. `tsx` is TypeScript with JSX; `.jsx` files parse as javascript. */
export const LANGUAGES = ['typescript', 'tsx', 'javascript', 'python', 'rust'] as const;
export type LanguageId = (typeof LANGUAGES)[number];

export function languageIndex(lang: LanguageId): number {
  return LANGUAGES.indexOf(lang);
}

/** Why a file was not indexed. A skip is data, counted and reported, never an exception. */
export const SKIP_REASONS = [
  'too-large',
  'binary',
  'minified',
  'generated',
  'unsupported-language',
  'unreadable',
  'vanished',
  'symlink-outside-root',
  'symlink-loop',
  'not-a-file',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** One file for a worker to read, parse and extract. */
export interface ParseTaskFile {
  /** Absolute path the worker reads. */
  readonly absPath: string;
  /** Path relative to the index root, '/'-separated: the file's identity everywhere. */
  readonly relPath: string;
  readonly language: LanguageId;
  /**
   * Content hash from the previous index when size or mtime changed: if the bytes hash the
   * same, the worker answers `unchanged` without parsing (a touch or a checkout is no change).
   */
  readonly knownHash?: string;
}

export interface ParseTask {
  readonly files: readonly ParseTaskFile[];
  /** Files larger than this are skipped as too-large (re-checked by the worker on read). */
  readonly maxFileBytes: number;
  /**
   * false = parse only, no extraction, no fragment: the raw parse ceiling that
   * `leindex bench` compares the real pipeline against.
   */
  readonly extract: boolean;
  /** Embed symbols with the shipped code-embedding model (vectors travel in the fragment). Default false. */
  readonly embed?: boolean;
}

export interface ParsedFileOutcome {
  readonly status: 'ok';
  readonly relPath: string;
  /** Byte offset of this file's fragment inside ParseResult.buffer. */
  readonly offset: number;
  /** Byte length of the fragment. */
  readonly length: number;
  /** Hex content hash of the raw bytes (sha1), with the language folded in. */
  readonly contentHash: string;
  readonly size: number;
  readonly mtimeMs: number;
  /** Regions tree-sitter could not parse; the file is still indexed. */
  readonly errorCount: number;
  /** Text could not be decoded cleanly (invalid UTF-8): replacement characters were used. */
  readonly lossyDecode: boolean;
}

export interface SkippedFileOutcome {
  readonly status: 'skipped';
  readonly relPath: string;
  readonly reason: SkipReason;
  readonly detail: string;
  readonly size: number;
}

/** The file's bytes hash to ParseTaskFile.knownHash: its stored fragment is still right. */
export interface UnchangedFileOutcome {
  readonly status: 'unchanged';
  readonly relPath: string;
  readonly contentHash: string;
  readonly size: number;
  readonly mtimeMs: number;
}

export type FileOutcome = ParsedFileOutcome | SkippedFileOutcome | UnchangedFileOutcome;

export interface ParseResult {
  /** All fragments of the task, back to back, each 8-byte aligned. Empty when extract=false. */
  readonly buffer: SharedArrayBuffer;
  readonly outcomes: readonly FileOutcome[];
  /** Worker-side timings in milliseconds, for `leindex bench`. */
  readonly timings: {
    readonly readMs: number;
    readonly parseMs: number;
    readonly extractMs: number;
    /** Lexical terms of every symbol plus, when asked, embeddings. */
    readonly embedMs: number;
    readonly encodeMs: number;
    /** Wall time the worker spent on this task, start to finish (its busy time). */
    readonly busyMs: number;
    /** Wall time of the tree reclaim after the task (a GC and an event-loop turn), not in busyMs. */
    readonly reclaimMs?: number;
    /**
     * CPU time of the worker's thread over the task and its reclaim (Linux: /proc/thread-self,
     * 10 ms ticks); against busyMs + reclaimMs it tells working from waiting. Absent elsewhere.
     */
    readonly cpuMs?: number;
  };
  readonly bytesRead: number;
  readonly threadId: number;
}

// ---------------------------------------------------------------------------------------
// Fragment binary layout (little-endian, all sections 4-byte aligned):
//
//   Int32 header[HEADER_WORDS]
//   Int32 symbol columns, column-major: SYMBOL_COLUMNS.length columns of nSymbols each
//   Int32 ref columns, column-major:    REF_COLUMNS.length columns of nRefs each
//   Int32 string offsets[nStrings + 1]  (byte offsets into the pool)
//   Uint8 string pool (UTF-8), padded to a multiple of 4
//   Int32 vector rows[vectorCount]      (the symbol row each embedding belongs to)
//   Float32 vector scales[vectorCount]  (int8 → float: value = q * scale)
//   Int8 vectors[vectorCount * vectorDim], padded to a multiple of 4
//   (only when termCount > 0, the lexical terms of each symbol, for the search index:)
//   Int32 term starts[nSymbols + 1]     (terms of row r are entries starts[r] .. starts[r+1]-1)
//   Uint32 term hashes[termCount]       (fnv1a of the normalised token, see src/search/terms.ts)
//   Uint16 term weights[termCount]      (field-weighted count × 2), padded to a multiple of 4
//
// A string column holds an index into the fragment's own string table, or NONE.
// Offsets are UTF-16 code unit offsets into the decoded text (what tree-sitter reports
// for a JS string); lines are 0-based.
// ---------------------------------------------------------------------------------------

export const FRAGMENT_MAGIC = 0x3146584c; // 'LXF1'
export const FRAGMENT_FORMAT_VERSION = 3;
export const NONE = -1;

export const HEADER = {
  magic: 0,
  version: 1,
  totalBytes: 2,
  symbolCount: 3,
  refCount: 4,
  stringCount: 5,
  poolBytes: 6,
  errorCount: 7,
  lineCount: 8,
  language: 9,
  flags: 10,
  vectorDim: 11,
  vectorCount: 12,
  termCount: 13,
} as const;
export const HEADER_WORDS = 14;

/** Columns of the symbol table. Row 0 is always the file's module symbol (name ''). */
export const SYMBOL_COLUMNS = [
  'kind',
  'name',
  'qualifiedName',
  'signature',
  'doc',
  'startOffset',
  'endOffset',
  'startLine',
  'endLine',
  'parent',
  'complexity',
  'flags',
] as const;
export type SymbolColumn = (typeof SYMBOL_COLUMNS)[number];

/** Columns of the reference table (raw, unresolved references; resolved at merge). */
export const REF_COLUMNS = ['kind', 'from', 'name', 'qualifier', 'alias', 'offset', 'line', 'aux'] as const;
export type RefColumn = (typeof REF_COLUMNS)[number];

export const SymbolKind = {
  module: 0,
  class: 1,
  struct: 2,
  enum: 3,
  trait: 4,
  interface: 5,
  function: 6,
  method: 7,
  variable: 8,
  constant: 9,
  typeAlias: 10,
  field: 11,
  namespace: 12,
} as const;
export type SymbolKindName = keyof typeof SymbolKind;
export const SYMBOL_KIND_NAMES = Object.keys(SymbolKind) as SymbolKindName[];

/** Bit flags in the symbol `flags` column. */
export const SymbolFlag = {
  exported: 1 << 0,
  async: 1 << 1,
  static: 1 << 2,
  abstract: 1 << 3,
  /** Default export (TS/JS) */
  defaultExport: 1 << 4,
  /** Test function or test module (by name or attribute) */
  test: 1 << 5,
  /** Has a syntax error inside its range */
  hasError: 1 << 6,
  /** Private by convention or visibility (Python _name, Rust non-pub, TS private) */
  private: 1 << 7,
} as const;

/**
 * Reference kinds and how each uses the columns:
 * - import:    qualifier = module specifier as written ('./x', 'os.path', 'crate::a::b'),
 *              name = imported name ('' = the module itself, '*' = glob/namespace, 'default'),
 *              alias = local binding name (NONE when the same as name).
 *              Rust `use a::b::{c, d as e}` gives one row per leaf: qualifier 'a::b', name 'c'.
 *              Python `import a.b as c` gives qualifier 'a.b', name '', alias 'c'.
 * - reexport:  like import, for `export { a as b } from './x'` / `export * from` / `pub use`;
 *              alias = the exported name.
 * - call:      name = callee's last segment, qualifier = receiver or path text before it
 *              ('this', 'self', 'this.repo', 'os.path', 'Foo::'), aux = argument count.
 *              Constructor calls (`new X()`, `X(...)` on a class, `X { .. }`) use kind `instantiate`.
 * - instantiate: as call, for constructions.
 * - inherits / implements: name = base type's last segment, qualifier = its path prefix;
 *              `from` = the subclass symbol. Rust `impl Trait for Type` is `implements` with
 *              from = Type's symbol when it is in this file, else from = NONE and alias = Type name.
 * - typeRef:   a type named in a signature or body; name / qualifier as above.
 * - paramType: a parameter's declared type; aux = parameter position.
 * - returnType: a function's declared return type.
 * - read / write: name = field or module-level name; qualifier = receiver text ('this', 'self',
 *              '' for a bare module-level name).
 * - param:     a parameter name of `from`; aux = position (for data-flow later). name '' for a
 *              destructured / pattern parameter (TS `{ a, b }: Opts`, Rust `(a, b): (T, U)`): its
 *              position still takes a value.
 * - argument:  an argument of the call / instantiate row just before it (argument rows follow
 *              their call row directly; a call has one per argument the extractor could name):
 *              name = the caller's parameter, local or module-level name passed (`u`), or the field
 *              (`repo` with qualifier 'this' / 'self' for `this.repo`); aux = argument position;
 *              alias = the keyword for a Python keyword argument (`f(key=u)`). Paired with the
 *              callee's `param` rows by alias (keyword) else by position.
 *
 * Column uses added for data flow (appended; existing uses unchanged):
 * - call / instantiate alias: how the call's value is used, when the extractor can tell
 *              (CallValueUse): '=target' assigned to a variable or field (`=x`, `=this.x`,
 *              `=self.items`; '=' alone for a destructuring or complex target), '(' passed as an
 *              argument of an enclosing call, 'return' returned (a return / yield, an arrow
 *              function's expression body, a Rust fn body's tail expression). NONE = discarded,
 *              chained (`f().g()`) or not known.
 *
 * Type facts for dispatch (src/graph/dispatch.ts), appended; they make no edge of their own:
 * - declType:  a declared type, as normalised text (`Tx<T,Semaphore>`, `S`, `Deserializer<R>`:
 *              no spaces, references, `mut`, `dyn`, `impl` or lifetimes; `Self` replaced by
 *              the impl's type). name = the type text; from = a field row (its type), or a fn
 *              row with alias NONE (its return type) or alias = a parameter name (that
 *              parameter's type; aux = its position) or a local's name (`let x: T`, TS
 *              `const x: T`; aux -1). TS locals' text is the annotation as written, without
 *              spaces (the merge keeps it only when it is one named type). Collections:
 *              Rust `Vec<T>` / `&[T]` / `[T; N]` / `HashSet<T>` as `[]T`; TS / Python parameters
 *              annotated `T[]`, `Array<T>`, `list[T]`, `Sequence[T]` as written. Loops: alias =
 *              the loop variable, name = `in:` + the iterable as a plain chain (`in:self.items`,
 *              `for x in xs` / `for (const x of xs)`).
 * - typeParam: a generic parameter in scope of `from` (a fn: its own and its impl block's; a
 *              struct / enum / trait: its own): name = the parameter, qualifier = its trait
 *              bounds as paths joined by '+' (NONE when unbounded), aux = its position among
 *              the arguments of the impl's (or the struct's) own type, -1 when not one of them.
 * - implOf:    a method of `impl Trait for Type`: name = the trait's last segment, qualifier =
 *              its path prefix, alias = the implementing type's path as written (`a::Type`).
 */
export const RefKind = {
  import: 0,
  reexport: 1,
  call: 2,
  instantiate: 3,
  inherits: 4,
  implements: 5,
  typeRef: 6,
  paramType: 7,
  returnType: 8,
  read: 9,
  write: 10,
  param: 11,
  argument: 12,
  declType: 13,
  typeParam: 14,
  implOf: 15,
} as const;
export type RefKindName = keyof typeof RefKind;
export const REF_KIND_NAMES = Object.keys(RefKind) as RefKindName[];

/** Values of a call / instantiate row's alias column: how the call's value is used (see RefKind). */
export const CallValueUse = {
  /** Prefix of '=target': assigned to a variable or field. */
  assigned: '=',
  /** Passed as an argument of an enclosing call. */
  argument: '(',
  /** Returned from the enclosing function. */
  returned: 'return',
} as const;

/** Symbol kinds that get an embedding: what a search result can be. Fields and variables are
 * many and say little on their own; their names still reach search through the lexical index. */
export const EMBEDDED_KINDS: ReadonlySet<number> = new Set([
  SymbolKind.class,
  SymbolKind.struct,
  SymbolKind.enum,
  SymbolKind.trait,
  SymbolKind.interface,
  SymbolKind.function,
  SymbolKind.method,
  SymbolKind.constant,
  SymbolKind.typeAlias,
  SymbolKind.namespace,
]);

/** Fragment-level flags in HEADER.flags. */
export const FragmentFlag = {
  lossyDecode: 1 << 0,
  hadBom: 1 << 1,
  utf16: 1 << 2,
} as const;

// ---------------------------------------------------------------------------------------
// grep: messages between `grepIndex` (main thread) and workers/grep-worker.ts, which runs
// regex matching where a runaway pattern can be terminated. Text goes in, line matches out.
// ---------------------------------------------------------------------------------------

/** What the grep worker matches with: a validated pattern, and the limits it enforces. */
export interface GrepWorkerData {
  /** RegExp source and flags, already compiled once on the main thread (so they are valid). */
  readonly source: string;
  readonly flags: string;
  /** Hits to report in total: the worker stops scanning when it has reported this many. */
  readonly limit: number;
  /** Matching lines reported per file (the rest are only counted). */
  readonly maxPerFile: number;
  /** Lines of context before and after each hit. */
  readonly context: number;
  /** Line text longer than this is cut to a window around the match. */
  readonly maxLineChars: number;
  /**
   * Int32[1]: files the worker has finished scanning, bumped atomically after each, so the
   * main thread knows how far a search got when it has to terminate the worker mid-batch.
   */
  readonly progress: SharedArrayBuffer;
}

export interface GrepFileInput {
  /** Index of the file in the index's file table. */
  readonly file: number;
  /** The file's current text, BOM removed. */
  readonly text: string;
}

export interface GrepBatch {
  readonly type: 'batch';
  readonly batch: number;
  readonly files: readonly GrepFileInput[];
}

/** One matching line. Lines and columns are 0-based here; UTF-16 code units. */
export interface GrepLineMatch {
  readonly line: number;
  readonly column: number;
  readonly length: number;
  /** Offset of the match in the text (to find the enclosing symbol). */
  readonly offset: number;
  /** The line, or a window of it around the match when it is long. */
  readonly text: string;
  /** Column where `text` starts (> 0 when the window cut the line's head). */
  readonly textStart: number;
  /** Whole line was longer than `text`. */
  readonly cut: boolean;
  /** Length of the whole line (without its line break). */
  readonly lineLength: number;
  readonly before: readonly string[];
  readonly after: readonly string[];
}

/** A hit, posted as soon as it is found. */
export interface GrepHitMessage {
  readonly type: 'hit';
  readonly file: number;
  readonly match: GrepLineMatch;
}

/** A file with hits is finished (posted only for files that have some). */
export interface GrepFileDone {
  readonly type: 'file';
  readonly file: number;
  /** Matching lines in the file, including those over maxPerFile (not over the global limit). */
  readonly matchedLines: number;
  readonly reported: number;
}

export interface GrepBatchDone {
  readonly type: 'done';
  readonly batch: number;
  readonly limitReached: boolean;
  /** Files whose matching threw (e.g. the regex engine's stack overflow): skipped. */
  readonly failed: readonly number[];
}

export type GrepWorkerMessage = GrepHitMessage | GrepFileDone | GrepBatchDone;

// ---------------------------------------------------------------------------------------
// vector view worker: messages between `VectorViewWorker` (src/vector/view-worker.ts, main
// thread) and workers/vector-worker.ts, which maps the vector file with usearch while the
// main thread loads the rest of a cold search, then answers its nearest-neighbour queries.
// The main thread waits for an answer synchronously (Atomics.wait on `signal`, then
// receiveMessageOnPort on `port`), so a search stays one synchronous call.
// ---------------------------------------------------------------------------------------

/** What the vector worker opens, and how it answers. */
export interface VectorWorkerData {
  /** The vector file (VectorIndexView.open). */
  readonly path: string;
  /** Its writer's stamp, passed on to the open (skips the graph CRC when it matches). */
  readonly stamp: VectorFileStamp | undefined;
  /** Where queries arrive and answers go (transferred; the main thread reads it synchronously). */
  readonly port: MessagePort;
  /**
   * Int32[2]: [0] answers posted so far (bumped and notified after each, and once more when
   * the worker exits), [1] set to 1 once the worker has exited, with or without a reason.
   */
  readonly signal: SharedArrayBuffer;
}

/** Index of the answer counter and of the exited flag in VectorWorkerData.signal. */
export const VECTOR_SIGNAL = { answers: 0, exited: 1 } as const;

export interface VectorSearchRequest {
  readonly type: 'search';
  /** A unit query vector; an index of another dimension answers no hits. */
  readonly query: Float32Array;
  readonly k: number;
}

export interface VectorSearchAnswer {
  readonly type: 'hits';
  /** VectorHits: keys and cosine similarities, best first. */
  readonly keys: Float64Array;
  readonly similarities: Float32Array;
}

/** The open or a search failed: a LeindexError's code, message and hint, as data. */
export interface VectorWorkerFailure {
  readonly type: 'error';
  readonly code: string;
  readonly message: string;
  readonly hint: string | undefined;
}

export type VectorWorkerAnswer = VectorSearchAnswer | VectorWorkerFailure;
