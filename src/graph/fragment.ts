// The PDG fragment of one file: a builder (used in the parse worker, from that one file
// alone) that encodes symbols, raw references and an interned string pool into the columnar
// layout declared in protocol.ts, and a zero-copy reader over those bytes (used by the
// coordinator's merge and by the store). Runs on any thread; no native dependencies.

import {
  FRAGMENT_FORMAT_VERSION,
  FRAGMENT_MAGIC,
  HEADER,
  HEADER_WORDS,
  NONE,
  REF_COLUMNS,
  SYMBOL_COLUMNS,
  type RefColumn,
  type SymbolColumn,
} from '../protocol.js';

const SYMBOL_COLS = SYMBOL_COLUMNS.length;
const REF_COLS = REF_COLUMNS.length;
const symbolCol = Object.fromEntries(SYMBOL_COLUMNS.map((c, i) => [c, i])) as Record<SymbolColumn, number>;
const refCol = Object.fromEntries(REF_COLUMNS.map((c, i) => [c, i])) as Record<RefColumn, number>;

const encoder = new TextEncoder();

export interface SymbolInput {
  kind: number;
  name: string;
  qualifiedName: string;
  signature?: string | undefined;
  doc?: string | undefined;
  startOffset: number;
  endOffset: number;
  startLine: number;
  endLine: number;
  /** Row index of the enclosing symbol; 0 (the module) for top-level symbols. */
  parent: number;
  complexity?: number;
  flags?: number;
}

export interface RefInput {
  kind: number;
  /** Row index of the enclosing symbol (0 = module level), or NONE. */
  from: number;
  name: string;
  qualifier?: string | undefined;
  alias?: string | undefined;
  offset: number;
  line: number;
  aux?: number;
}

/** Grows a fragment row by row; `byteLength()` then `writeTo()` encodes it. */
export class FragmentBuilder {
  private readonly strings = new Map<string, number>();
  private readonly stringList: string[] = [];
  private readonly symbolRows: number[] = [];
  private readonly refRows: number[] = [];
  private encoded: Uint8Array[] | undefined;
  private poolBytes = 0;
  private vectorDim = 0;
  private readonly vectorRows: number[] = [];
  private readonly vectorScales: number[] = [];
  private readonly vectorData: Int8Array[] = [];
  /** Lexical terms per row (hash, weight × 2), set by setTerms; rows without terms are absent. */
  private readonly termsByRow = new Map<number, { hashes: ArrayLike<number>; weights: ArrayLike<number> }>();
  private termTotal = 0;
  errorCount = 0;
  lineCount = 0;
  language = 0;
  flags = 0;

  constructor() {
    // Row 0: the module symbol. Its name is derived from the path at merge, so the fragment
    // stays a function of the file's content alone (and can be stored by content hash).
    this.symbolRows.push(0, NONE, NONE, NONE, NONE, 0, 0, 0, 0, NONE, 1, 0);
  }

  intern(s: string | undefined): number {
    if (s === undefined) return NONE;
    let id = this.strings.get(s);
    if (id === undefined) {
      id = this.stringList.length;
      this.strings.set(s, id);
      this.stringList.push(s);
    }
    return id;
  }

  get symbolCount(): number {
    return this.symbolRows.length / SYMBOL_COLS;
  }

  get refCount(): number {
    return this.refRows.length / REF_COLS;
  }

  /** Sets the module row's extent (the whole file). */
  setModuleExtent(endOffset: number, endLine: number): void {
    this.symbolRows[symbolCol.endOffset] = endOffset;
    this.symbolRows[symbolCol.endLine] = endLine;
  }

  addSymbol(s: SymbolInput): number {
    const row = this.symbolCount;
    this.symbolRows.push(
      s.kind,
      this.intern(s.name),
      this.intern(s.qualifiedName),
      this.intern(s.signature),
      this.intern(s.doc),
      s.startOffset,
      s.endOffset,
      s.startLine,
      s.endLine,
      s.parent,
      s.complexity ?? 1,
      s.flags ?? 0,
    );
    return row;
  }

  /** Overwrites one cell of an existing symbol row (e.g. complexity computed after the fact). */
  setSymbolField(row: number, column: 'complexity' | 'flags' | 'doc' | 'signature', value: number): void {
    this.symbolRows[row * SYMBOL_COLS + symbolCol[column]] = value;
  }

  getSymbolField(row: number, column: SymbolColumn): number {
    return this.symbolRows[row * SYMBOL_COLS + symbolCol[column]] ?? NONE;
  }

  /** A string cell of a symbol row as added (what FragmentReader.symStr will return). */
  symbolText(row: number, column: 'name' | 'qualifiedName' | 'signature' | 'doc'): string | undefined {
    const id = this.getSymbolField(row, column);
    return id === NONE ? undefined : this.stringList[id];
  }

  addRef(r: RefInput): void {
    this.refRows.push(
      r.kind,
      r.from,
      this.intern(r.name),
      this.intern(r.qualifier),
      this.intern(r.alias),
      r.offset,
      r.line,
      r.aux ?? 0,
    );
  }

  /**
   * Attaches a symbol's embedding, quantised to int8 with one scale per vector (max |v| maps
   * to 127): a quarter of the bytes of float32, and dot products keep their order.
   */
  addVector(row: number, vector: Float32Array): void {
    if (this.vectorDim === 0) this.vectorDim = vector.length;
    if (vector.length !== this.vectorDim)
      throw new Error(`vector of ${vector.length} dims, fragment has ${this.vectorDim}`);
    const n = vector.length;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const a = Math.abs(vector[i]!);
      if (a > max) max = a;
    }
    const scale = max > 0 ? max / 127 : 0;
    const q = new Int8Array(n);
    if (scale > 0) for (let i = 0; i < n; i++) q[i] = Math.round(vector[i]! / scale);
    this.vectorRows.push(row);
    this.vectorScales.push(scale);
    this.vectorData.push(q);
  }

  /**
   * Sets a symbol's lexical terms for the search index: term hashes and their field-weighted
   * counts already doubled to whole numbers (weights are multiples of 0.5), capped at 65535.
   */
  setTerms(row: number, hashes: ArrayLike<number>, weights: ArrayLike<number>): void {
    if (hashes.length !== weights.length) throw new Error('term hashes and weights differ in length');
    const old = this.termsByRow.get(row);
    if (old) this.termTotal -= old.hashes.length;
    this.termsByRow.set(row, { hashes, weights });
    this.termTotal += hashes.length;
  }

  private encodeStrings(): Uint8Array[] {
    if (!this.encoded) {
      this.encoded = this.stringList.map((s) => encoder.encode(s));
      this.poolBytes = this.encoded.reduce((n, b) => n + b.length, 0);
    }
    return this.encoded;
  }

  /** Encoded size in bytes (a multiple of 8, so fragments can be packed back to back). */
  byteLength(): number {
    this.encodeStrings();
    const nVec = this.vectorRows.length;
    const words =
      HEADER_WORDS +
      this.symbolRows.length +
      this.refRows.length +
      this.stringList.length +
      1 +
      Math.ceil(this.poolBytes / 4) +
      2 * nVec +
      Math.ceil((nVec * this.vectorDim) / 4) +
      this.termWords();
    return Math.ceil((words * 4) / 8) * 8;
  }

  private termWords(): number {
    if (this.termTotal === 0) return 0;
    return this.symbolCount + 1 + this.termTotal + Math.ceil(this.termTotal / 2);
  }

  /** Encodes into `target` at byteOffset (must be 4-aligned); returns the bytes written. */
  writeTo(target: ArrayBufferLike, byteOffset: number): number {
    const strings = this.encodeStrings();
    const total = this.byteLength();
    const nSym = this.symbolCount;
    const nRef = this.refCount;
    const nStr = this.stringList.length;
    const words = new Int32Array(target, byteOffset, total / 4);
    words[HEADER.magic] = FRAGMENT_MAGIC;
    words[HEADER.version] = FRAGMENT_FORMAT_VERSION;
    words[HEADER.totalBytes] = total;
    words[HEADER.symbolCount] = nSym;
    words[HEADER.refCount] = nRef;
    words[HEADER.stringCount] = nStr;
    words[HEADER.poolBytes] = this.poolBytes;
    words[HEADER.errorCount] = this.errorCount;
    words[HEADER.lineCount] = this.lineCount;
    words[HEADER.language] = this.language;
    words[HEADER.flags] = this.flags;
    words[HEADER.vectorDim] = this.vectorDim;
    words[HEADER.vectorCount] = this.vectorRows.length;
    words[HEADER.termCount] = this.termTotal;
    let w = HEADER_WORDS;
    // Transpose row-major build order into column-major storage.
    for (let c = 0; c < SYMBOL_COLS; c++) {
      for (let r = 0; r < nSym; r++) words[w++] = this.symbolRows[r * SYMBOL_COLS + c] ?? NONE;
    }
    for (let c = 0; c < REF_COLS; c++) {
      for (let r = 0; r < nRef; r++) words[w++] = this.refRows[r * REF_COLS + c] ?? NONE;
    }
    let off = 0;
    for (let i = 0; i < nStr; i++) {
      words[w++] = off;
      off += strings[i]?.length ?? 0;
    }
    words[w++] = off;
    const pool = new Uint8Array(target, byteOffset + w * 4, this.poolBytes);
    let p = 0;
    for (const s of strings) {
      pool.set(s, p);
      p += s.length;
    }
    w += Math.ceil(this.poolBytes / 4);
    const nVec = this.vectorRows.length;
    if (nVec > 0) {
      for (const row of this.vectorRows) words[w++] = row;
      new Float32Array(target, byteOffset + w * 4, nVec).set(this.vectorScales);
      w += nVec;
      const data = new Int8Array(target, byteOffset + w * 4, nVec * this.vectorDim);
      this.vectorData.forEach((q, i) => data.set(q, i * this.vectorDim));
      w += Math.ceil((nVec * this.vectorDim) / 4);
    }
    if (this.termTotal > 0) {
      const starts = w;
      w += nSym + 1;
      const hashes = new Uint32Array(target, byteOffset + w * 4, this.termTotal);
      const weights = new Uint16Array(target, byteOffset + (w + this.termTotal) * 4, this.termTotal);
      let t = 0;
      for (let r = 0; r < nSym; r++) {
        words[starts + r] = t;
        const terms = this.termsByRow.get(r);
        if (!terms) continue;
        for (let i = 0; i < terms.hashes.length; i++, t++) {
          hashes[t] = terms.hashes[i]!;
          weights[t] = Math.min(65535, terms.weights[i]!);
        }
      }
      words[starts + nSym] = t;
    }
    return total;
  }

  /** Encodes into a fresh, exactly-sized byte array (tests and the serial path). */
  toBytes(): Uint8Array {
    const buf = new ArrayBuffer(this.byteLength());
    this.writeTo(buf, 0);
    return new Uint8Array(buf);
  }
}

/** Read-only view over one encoded fragment. Strings are decoded on demand and cached. */
export class FragmentReader {
  readonly bytes: Uint8Array;
  readonly symbolCount: number;
  readonly refCount: number;
  readonly stringCount: number;
  readonly errorCount: number;
  readonly lineCount: number;
  readonly language: number;
  readonly flags: number;
  readonly vectorDim: number;
  readonly vectorCount: number;
  readonly termCount: number;
  /**
   * The fragment as 32-bit words: column `c` of symbol row r is words[symColumnAt(c) + r], of
   * reference row r words[refColumnAt(c) + r]. For passes over every row of many fragments (the
   * merge), which read the columns directly instead of calling sym / ref per cell.
   */
  readonly words: Int32Array;
  private readonly vecBase: number;
  private readonly termBase: number;
  /** Symbol row → vector index, built on the first vectorIndexOf. */
  private vectorOfRow: Int32Array | undefined;
  private readonly symBase: number;
  private readonly refBase: number;
  private readonly strBase: number;
  private readonly poolStart: number;
  /**
   * Decoded strings, allocated on the first str(): the merge decodes through strUncached and
   * 100k fragments each holding an empty array of their string count was ~40 MB of heap that
   * every full garbage collection walked.
   */
  private cache: (string | undefined)[] | undefined;
  /** The same bytes as a Buffer, for its native UTF-8 slicing (no copy); made on first use. */
  private bufView: Buffer | undefined;

  constructor(bytes: Uint8Array) {
    if (bytes.byteOffset % 4 !== 0) bytes = bytes.slice(); // realign (store reads may be unaligned)
    if (bytes.byteLength < HEADER_WORDS * 4) throw new Error('fragment too short');
    const head = new Int32Array(bytes.buffer, bytes.byteOffset, HEADER_WORDS);
    if (head[HEADER.magic] !== FRAGMENT_MAGIC) throw new Error('not a leindex fragment (bad magic)');
    if (head[HEADER.version] !== FRAGMENT_FORMAT_VERSION) {
      throw new Error(`fragment format ${head[HEADER.version]} != ${FRAGMENT_FORMAT_VERSION}`);
    }
    const total = head[HEADER.totalBytes] ?? 0;
    if (total > bytes.byteLength) throw new Error('fragment truncated');
    this.bytes = bytes.subarray(0, total);
    this.words = new Int32Array(bytes.buffer, bytes.byteOffset, total / 4);
    this.symbolCount = head[HEADER.symbolCount] ?? 0;
    this.refCount = head[HEADER.refCount] ?? 0;
    this.stringCount = head[HEADER.stringCount] ?? 0;
    this.errorCount = head[HEADER.errorCount] ?? 0;
    this.lineCount = head[HEADER.lineCount] ?? 0;
    this.language = head[HEADER.language] ?? 0;
    this.flags = head[HEADER.flags] ?? 0;
    this.symBase = HEADER_WORDS;
    this.refBase = this.symBase + SYMBOL_COLS * this.symbolCount;
    this.strBase = this.refBase + REF_COLS * this.refCount;
    this.poolStart = (this.strBase + this.stringCount + 1) * 4;
    this.vectorDim = head[HEADER.vectorDim] ?? 0;
    this.vectorCount = head[HEADER.vectorCount] ?? 0;
    const poolBytes = head[HEADER.poolBytes] ?? 0;
    this.vecBase = this.poolStart / 4 + Math.ceil(poolBytes / 4);
    this.termCount = head[HEADER.termCount] ?? 0;
    this.termBase = this.vecBase + 2 * this.vectorCount + Math.ceil((this.vectorCount * this.vectorDim) / 4);
  }

  private get buf(): Buffer {
    return (this.bufView ??= Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength));
  }

  sym(row: number, column: SymbolColumn): number {
    return this.words[this.symBase + symbolCol[column] * this.symbolCount + row] ?? NONE;
  }

  ref(row: number, column: RefColumn): number {
    return this.words[this.refBase + refCol[column] * this.refCount + row] ?? NONE;
  }

  /** Where symbol column `column` starts in `words` (row r at symColumnAt(column) + r). */
  symColumnAt(column: SymbolColumn): number {
    return this.symBase + symbolCol[column] * this.symbolCount;
  }

  /** Where reference column `column` starts in `words` (row r at refColumnAt(column) + r). */
  refColumnAt(column: RefColumn): number {
    return this.refBase + refCol[column] * this.refCount;
  }

  /** The symbol row of the i-th vector. */
  vectorRow(i: number): number {
    return this.words[this.vecBase + i] ?? NONE;
  }

  /**
   * All vectors as stored: int8 rows (vectorCount × vectorDim, each with its own scale, which
   * cosine ignores) and the symbol row of each. Views, no copy.
   */
  vectorBlock(): { rows: Int32Array; scales: Float32Array; data: Int8Array } {
    const at = this.bytes.byteOffset + this.vecBase * 4;
    return {
      rows: new Int32Array(this.bytes.buffer, at, this.vectorCount),
      scales: new Float32Array(this.bytes.buffer, at + this.vectorCount * 4, this.vectorCount),
      data: new Int8Array(
        this.bytes.buffer,
        at + 2 * this.vectorCount * 4,
        this.vectorCount * this.vectorDim,
      ),
    };
  }

  /** The index of symbol row `row`'s vector (for vector()), or -1 when it has none. */
  vectorIndexOf(row: number): number {
    if (this.vectorCount === 0) return -1;
    if (!this.vectorOfRow) {
      this.vectorOfRow = new Int32Array(this.symbolCount).fill(-1);
      for (let i = 0; i < this.vectorCount; i++) {
        const r = this.vectorRow(i);
        if (r >= 0 && r < this.symbolCount) this.vectorOfRow[r] = i;
      }
    }
    return this.vectorOfRow[row] ?? -1;
  }

  /** The i-th vector, dequantised into `out` (or a new array). */
  vector(i: number, out = new Float32Array(this.vectorDim)): Float32Array {
    const scale =
      new Float32Array(
        this.bytes.buffer,
        this.bytes.byteOffset + (this.vecBase + this.vectorCount) * 4,
        this.vectorCount,
      )[i] ?? 0;
    const start = this.bytes.byteOffset + (this.vecBase + 2 * this.vectorCount) * 4 + i * this.vectorDim;
    const q = new Int8Array(this.bytes.buffer, start, this.vectorDim);
    for (let k = 0; k < this.vectorDim; k++) out[k] = (q[k] ?? 0) * scale;
    return out;
  }

  /**
   * The lexical terms of every row: `starts` (length symbolCount + 1, empty when the fragment
   * has no terms), `hashes` and `weights` (× 2). Views over the fragment's bytes, no copy.
   */
  terms(): { starts: Int32Array; hashes: Uint32Array; weights: Uint16Array } {
    if (this.termCount === 0) {
      return { starts: new Int32Array(0), hashes: new Uint32Array(0), weights: new Uint16Array(0) };
    }
    const at = this.bytes.byteOffset + this.termBase * 4;
    const n = this.symbolCount + 1;
    return {
      starts: new Int32Array(this.bytes.buffer, at, n),
      hashes: new Uint32Array(this.bytes.buffer, at + n * 4, this.termCount),
      weights: new Uint16Array(this.bytes.buffer, at + (n + this.termCount) * 4, this.termCount),
    };
  }

  /** The string with this id, or undefined for NONE. */
  str(id: number): string | undefined {
    if (id < 0 || id >= this.stringCount) return undefined;
    const cache = (this.cache ??= new Array<string | undefined>(this.stringCount));
    let s = cache[id];
    if (s === undefined) {
      const a = this.words[this.strBase + id] ?? 0;
      const b = this.words[this.strBase + id + 1] ?? 0;
      s = this.buf.toString('utf8', this.poolStart + a, this.poolStart + b);
      cache[id] = s;
    }
    return s;
  }

  /**
   * The string with this id decoded afresh, bypassing (and not filling) the cache: for a pass
   * that interns every string elsewhere (the merge), so 100k fragments do not each keep a copy.
   */
  strUncached(id: number): string | undefined {
    if (id < 0 || id >= this.stringCount) return undefined;
    const cached = this.cache?.[id];
    if (cached !== undefined) return cached;
    const a = this.words[this.strBase + id] ?? 0;
    const b = this.words[this.strBase + id + 1] ?? 0;
    return this.buf.toString('utf8', this.poolStart + a, this.poolStart + b);
  }

  /**
   * Where string `id` (0 <= id < stringCount) lies in `bytes`: its UTF-8 from strStart(id) to
   * strStart(id + 1) (id + 1 may be stringCount). For readers that hash the bytes themselves.
   */
  strStart(id: number): number {
    return this.poolStart + (this.words[this.strBase + id] ?? 0);
  }

  symStr(row: number, column: 'name' | 'qualifiedName' | 'signature' | 'doc'): string | undefined {
    return this.str(this.sym(row, column));
  }

  refStr(row: number, column: 'name' | 'qualifier' | 'alias'): string | undefined {
    return this.str(this.ref(row, column));
  }
}

/** The fragment of input file `f` of a merge (the resolver's and the dispatch pass's file lookup). */
export function fragmentOf(
  inputs: readonly { readonly fragment: FragmentReader }[],
  f: number,
): FragmentReader {
  const input = inputs[f];
  if (!input) throw new Error(`no file ${f}`);
  return input.fragment;
}
