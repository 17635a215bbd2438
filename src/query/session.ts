// An open index for queries: the reader of the current generation plus what queries load
// from it on first use (graph, file table, fragments, source text), cached and releasable
// (the memory governor calls releaseCaches). Every query command and the MCP server go
// through one IndexSession. Main (or server) thread.

import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { LeindexError } from '../errors.js';
import { FragmentReader } from '../graph/fragment.js';
import { EdgeKind, type Csr, type FileTable, type IndexGraph, type SymbolTable } from '../graph/graph.js';
import { LazyStrings } from '../store/codec.js';
import { NameIndex } from '../search/names.js';
import { RealPaths, readWhole } from './disk.js';
import { LANGUAGES, NONE, SYMBOL_KIND_NAMES, type LanguageId, type SymbolKindName } from '../protocol.js';
import { IndexReader, fileHash } from '../store/read.js';
import { loadModel, type EmbeddingModel } from '../embed/embedder.js';
import { LexicalIndex } from '../search/lexical.js';
import { ExactVectors, type VectorSource } from '../search/vectors.js';
import { HnswVectors } from '../search/hnsw.js';

/** Fragments kept decoded at once (each is a view plus a string cache: small). */
const FRAGMENT_CACHE = 2048;

/** The embedding model, shared by every session of the process (read-only). */
let sharedModel: EmbeddingModel | undefined;

/**
 * The parts of the graph a search needs, loaded without decoding the string table (strings
 * are read one at a time): what keeps a cold search in a fresh process cheap.
 */
export interface GraphView {
  symbols: SymbolTable;
  files: FileTable;
  fileSymbolCount: number;
  str(id: number): string | undefined;
  /** Incoming call and import edges of symbol `id` (read from the reverse CSR in place). */
  callers(id: number): number;
}

/** Incoming call and import edges of symbol `id` in a reverse CSR. */
function countCallers(reverse: Pick<Csr, 'offsets' | 'kinds'>, id: number): number {
  const { offsets, kinds } = reverse;
  let n = 0;
  for (let e = offsets[id] ?? 0, end = offsets[id + 1] ?? 0; e < end; e++) {
    if (kinds[e] === EdgeKind.calls || kinds[e] === EdgeKind.imports) n++;
  }
  return n;
}

/** What a query result says about one symbol. Lines are 1-based, inclusive. */
export interface SymbolInfo {
  id: number;
  /** Path relative to the root ('' for external nodes). */
  file: string;
  language: LanguageId | undefined;
  name: string;
  qualifiedName: string;
  kind: SymbolKindName;
  startLine: number;
  endLine: number;
  signature: string | undefined;
  doc: string | undefined;
  external: boolean;
}

export interface SourceText {
  text: string;
  /** The file on disk differs from what was indexed (size or mtime): offsets may be off. */
  stale: boolean;
}

export class IndexSession {
  private cachedGraph: IndexGraph | undefined;
  private cachedFiles: FileTable | undefined;
  private readonly fragments = new Map<number, FragmentReader>();
  private lexicalIndex: LexicalIndex | undefined;
  private realRoot: string | undefined;
  private readonly realPaths = new RealPaths();
  private cachedView: GraphView | undefined;
  private nameIndex: NameIndex | undefined;
  private vectorSource: VectorSource | undefined;
  private closed = false;

  private constructor(
    readonly root: string,
    readonly indexDir: string,
    readonly reader: IndexReader,
  ) {}

  /** Opens the current generation of the index of `root` (default index dir `<root>/.leindex`). */
  static open(root: string, indexDir = join(root, '.leindex')): IndexSession {
    return new IndexSession(resolve(root), resolve(indexDir), IndexReader.open(indexDir));
  }

  get generation(): number {
    return this.reader.generation;
  }

  /** The merged graph (decoded on first use, ~100 ms per 100k symbols). */
  graph(): IndexGraph {
    this.cachedGraph ??= this.reader.graph();
    this.cachedFiles = this.cachedGraph.files;
    return this.cachedGraph;
  }

  /** Symbols, files and reverse edges with lazily decoded strings (see GraphView). */
  view(): GraphView {
    if (this.cachedView) return this.cachedView;
    const g = this.cachedGraph;
    if (g) {
      this.cachedView = {
        symbols: g.symbols,
        files: g.files,
        fileSymbolCount: g.fileSymbolCount,
        str: (id) => g.strings[id],
        callers: (id) => countCallers(g.reverse, id),
      };
      return this.cachedView;
    }
    // Views into the memory-mapped graph blob (BLOB.graph): rows and strings are read where
    // they are stored, so a search touches the pages of the symbols it scores, not the table.
    const cols = this.reader.graphColumns();
    const strings = new LazyStrings(cols.strings);
    const symbols = cols.symbols;
    const reverse = cols.reverse;
    this.cachedView = {
      symbols,
      files: this.files(),
      fileSymbolCount: this.reader.info.fileSymbolCount,
      str: (id) => strings.get(id),
      callers: (id) => countCallers(reverse, id),
    };
    return this.cachedView;
  }

  /** The stored name index (exact and prefix lookups); built from the graph for older indexes. */
  names(): NameIndex {
    this.nameIndex ??= NameIndex.open(this.reader);
    return this.nameIndex;
  }

  /** The file table alone (cheaper than the graph when that is all a query needs). */
  files(): FileTable {
    this.cachedFiles ??= this.cachedGraph?.files ?? this.reader.fileTable();
    return this.cachedFiles;
  }

  /** Index of a file by its relative path (forward slashes), or -1. Binary search: paths are sorted. */
  fileIndex(relPath: string): number {
    const paths = this.files().relPath;
    let lo = 0;
    let hi = paths.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const p = paths[mid] ?? '';
      if (p === relPath) return mid;
      if (p < relPath) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** The fragment of file `file` (row r of it is symbol files.symbolStart[file] + r). */
  fragment(file: number): FragmentReader {
    let frag = this.fragments.get(file);
    if (frag) {
      // LRU: move to the back.
      this.fragments.delete(file);
      this.fragments.set(file, frag);
      return frag;
    }
    const hash = fileHash(this.files(), file);
    const bytes = hash === undefined ? undefined : this.reader.fragment(hash);
    if (!bytes) throw new LeindexError('E_STORE_CORRUPT', `the fragment of file #${file} is missing`);
    frag = new FragmentReader(bytes);
    this.fragments.set(file, frag);
    if (this.fragments.size > FRAGMENT_CACHE) {
      const oldest = this.fragments.keys().next().value;
      if (oldest !== undefined) this.fragments.delete(oldest);
    }
    return frag;
  }

  /**
   * The stored vector of symbol `id`, dequantised, or undefined when it has none. Taken from
   * the fragment cache when its file is there; otherwise the fragment is read in passing and
   * not cached: a similarity lookup needs one row of it, and copying whole fragments was
   * most of a warm search's time (~3 ms a query; more in the slow tail).
   */
  symbolVector(id: number): Float32Array | undefined {
    const g = this.view();
    const file = g.symbols.file[id] ?? NONE;
    if (file === NONE) return undefined;
    const frag = this.fragmentInPassing(file);
    const i = frag.vectorIndexOf(id - (g.files.symbolStart[file] ?? 0));
    return i < 0 ? undefined : frag.vector(i);
  }

  /**
   * File `file`'s fragment from the cache when it is there (its LRU order untouched), else read
   * in passing and not cached: valid only until the next store read.
   */
  fragmentInPassing(file: number): FragmentReader {
    const cached = this.fragments.get(file);
    if (cached) return cached;
    const hash = fileHash(this.files(), file);
    const bytes = hash === undefined ? undefined : this.reader.fragmentInPassing(hash);
    if (!bytes) throw new LeindexError('E_STORE_CORRUPT', `the fragment of file #${file} is missing`);
    return new FragmentReader(bytes);
  }

  /** Everything a result shows about symbol `id`. */
  symbol(id: number): SymbolInfo {
    const g = this.view();
    const s = g.symbols;
    const file = s.file[id] ?? NONE;
    const external = file === NONE;
    let signature: string | undefined;
    let doc: string | undefined;
    if (!external) {
      const frag = this.fragment(file);
      const row = id - (g.files.symbolStart[file] ?? 0);
      signature = frag.symStr(row, 'signature');
      doc = frag.symStr(row, 'doc');
    }
    return {
      id,
      file: external ? '' : (g.files.relPath[file] ?? ''),
      language: external ? undefined : LANGUAGES[g.files.language[file] ?? 0],
      name: g.str(s.name[id] ?? NONE) ?? '',
      qualifiedName: g.str(s.qualifiedName[id] ?? NONE) ?? '',
      kind: SYMBOL_KIND_NAMES[s.kind[id] ?? 0] ?? 'module',
      startLine: (s.startLine[id] ?? 0) + 1,
      endLine: (s.endLine[id] ?? 0) + 1,
      signature,
      doc,
      external,
    };
  }

  /**
   * The absolute path of a project-relative path, refusing anything that resolves (through
   * `..` or symlinks) outside the root.
   */
  pathInside(relPath: string): string {
    const abs = resolve(this.root, relPath);
    const rel = relative(this.root, abs);
    if (isAbsolute(relPath) && (rel.startsWith('..') || isAbsolute(rel))) {
      throw new LeindexError('E_PATH_OUTSIDE_ROOT', `${relPath} is outside the project ${this.root}`);
    }
    if (rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
      throw new LeindexError('E_PATH_OUTSIDE_ROOT', `${relPath} is outside the project ${this.root}`);
    }
    let real: string | undefined;
    try {
      real = this.realPaths.of(abs);
    } catch {
      real = undefined;
    }
    if (real === undefined) return abs; // not there (yet): nothing to follow
    this.realRoot ??= realpathSync.native(this.root);
    const realRel = relative(this.realRoot, real);
    if (realRel.startsWith('..') || isAbsolute(realRel)) {
      throw new LeindexError('E_PATH_OUTSIDE_ROOT', `${relPath} leads outside the project ${this.root}`);
    }
    return abs;
  }

  /** The current text of indexed file `file`, and whether it changed since indexing. */
  fileText(file: number): SourceText {
    const { bytes, stale } = this.fileBytes(file);
    return { text: bytes.toString('utf8'), stale };
  }

  /** fileText's bytes, not decoded (a literal search looks for its needle before decoding). */
  fileBytes(file: number): { bytes: Buffer; stale: boolean } {
    const files = this.files();
    const relPath = files.relPath[file];
    if (relPath === undefined) throw new LeindexError('E_INTERNAL', `no file #${file}`);
    const abs = this.pathInside(relPath);
    try {
      const got = readWhole(abs);
      return {
        bytes: got.bytes,
        stale: got.size !== files.size[file] || got.mtimeMs !== files.mtimeMs[file],
      };
    } catch (err) {
      throw new LeindexError('E_IO', `cannot read ${relPath}: ${(err as Error).message}`, {
        hint: 'the file changed since it was indexed: run `leindex index` again',
      });
    }
  }

  /**
   * Whether indexed file `file` changed since indexing (size or mtime differ, or it is gone):
   * fileText's `stale` without reading the text.
   */
  isStale(file: number): boolean {
    const files = this.files();
    const relPath = files.relPath[file];
    if (relPath === undefined) throw new LeindexError('E_INTERNAL', `no file #${file}`);
    try {
      const st = statSync(this.pathInside(relPath));
      return st.size !== files.size[file] || st.mtimeMs !== files.mtimeMs[file];
    } catch {
      return true;
    }
  }

  /** The source text of symbol `id` (its range in the file as indexed). */
  source(id: number): SourceText {
    const g = this.view();
    const file = g.symbols.file[id] ?? NONE;
    if (file === NONE) return { text: '', stale: false };
    const { text, stale } = this.fileText(file);
    // Offsets are UTF-16 indices into the text the worker parsed, which had its BOM removed.
    const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    const a = g.symbols.startOffset[id] ?? 0;
    const b = g.symbols.endOffset[id] ?? a;
    return { text: body.slice(a, b), stale };
  }

  /** The lexical (BM25F) index of this generation. */
  lexical(): LexicalIndex {
    this.lexicalIndex ??= LexicalIndex.open(this.reader);
    return this.lexicalIndex;
  }

  /** The symbol vectors of this generation, for nearest-neighbour search. */
  vectors(): VectorSource {
    this.vectorSource ??= this.reader.info.vectors ? new HnswVectors(this) : new ExactVectors(this);
    return this.vectorSource;
  }

  /**
   * Starts opening the vector index in a worker thread now, for a search that will need it
   * soon: a cold CLI search maps the file (~100 ms on the corpus) while this thread loads
   * the rest. No-op for an index without a vector file or once vectors() was used.
   */
  prefetchVectors(): void {
    if (this.reader.info.vectors && !this.vectorSource)
      this.vectorSource = new HnswVectors(this, { background: true });
  }

  /**
   * The shipped embedding model (loaded once per process). Its vector rows are read on demand:
   * a query needs a few hundred of them, and the eager load was ~70 ms of a cold search.
   */
  model(): EmbeddingModel {
    sharedModel ??= loadModel(undefined, { rows: 'on-demand' });
    return sharedModel;
  }

  /** Drops every cache (graph, file table, fragments, search caches); the next use reloads them. */
  releaseCaches(): void {
    this.cachedGraph = undefined;
    this.cachedFiles = undefined;
    this.cachedView = undefined;
    this.reader.releaseGraph();
    this.nameIndex = undefined;
    this.fragments.clear();
    this.lexicalIndex?.release();
    this.vectorSource?.release();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.releaseCaches();
    await this.reader.close();
  }
}
