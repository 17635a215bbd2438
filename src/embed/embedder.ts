// Turns a symbol (name, qualified name, signature, doc, body, path) or a query (a few words
// up to a pasted bug report) into one L2-normalised Float32Array of model.dim: the IDF- and
// field-weighted mean of its sub-token vectors. Pure TypeScript, no I/O after loadModel; runs
// inside parse workers (symbols) and on the main thread (queries), with bit-identical output.
//
// API
//   loadModel(path?)                  → EmbeddingModel   (default: the shipped models/ file)
//   embedSymbol(model, symbol, opts?) → Float32Array     (unit length, or all zeros if no tokens)
//   embedQuery(model, text, opts?)    → Float32Array     (same space as symbols: compare by dot)
//   opts.idf       an IdfTable from buildIdf(): repo IDF instead of the training corpus's
//   opts.docFreq   a Uint32Array(model.vocabSize) that embedSymbol increments once per vocab
//                  token of the symbol, so a worker counts repo DF in the same pass
//   opts.out       a Float32Array(model.dim) to write the vector into instead of a new one
//   tokenizeIdentifier / tokenizeText  re-exported from tokenizer.ts
// Cost, CPU per core on the benchmark corpus as the parse worker embeds it (bench/retrieval/
// speed.ts): ~31k symbols/s inside a worker between parses (~36k with opts.out); on the
// main thread 45–56k in a first pass, 80–90k warm. Tokens are found by one pass over char codes and memoised per thread
// (TokenCache), so the 256-d int8 row sums dominate. Memory per thread: the model (~6 MB
// read eagerly, 8 MB of n-gram buckets on first unseen token), the token cache (≤ ~30 MB,
// starts over when full) and ≤ 32 MB of unseen-token vectors.

import { LeindexError } from '../errors.js';
import { ModelFlag, type EmbeddingModel } from './model.js';
import { fnv1a, tokenCache, type TokenCache } from './tokenizer.js';

export { loadModel, defaultModelPath, type EmbeddingModel } from './model.js';
export { tokenizeIdentifier, tokenizeText } from './tokenizer.js';

/** A symbol as the parse worker knows it. Every field is optional; absent = empty. */
export interface SymbolText {
  readonly name?: string | undefined;
  readonly qualifiedName?: string | undefined;
  readonly signature?: string | undefined;
  readonly doc?: string | undefined;
  /** Source text of the symbol (its identifiers and comments are used). */
  readonly body?: string | undefined;
  /** Identifiers of the body when the caller already has them (e.g. from references). */
  readonly identifiers?: readonly string[] | undefined;
  /** File path relative to the repo root. */
  readonly path?: string | undefined;
}

/** How much one occurrence of a token in each field counts (chosen on the dev split). */
export interface FieldWeights {
  readonly name: number;
  readonly qualifiedName: number;
  readonly signature: number;
  readonly doc: number;
  readonly body: number;
  readonly identifiers: number;
  readonly path: number;
}

export const DEFAULT_FIELD_WEIGHTS: FieldWeights = {
  name: 3,
  qualifiedName: 1,
  signature: 1,
  doc: 2,
  body: 1,
  identifiers: 1,
  path: 0.5,
};

/** Per-vocabulary-row IDF to weight tokens with; see buildIdf. */
export interface IdfTable {
  readonly idf: Float32Array;
  /** IDF of a token outside the vocabulary (it is rare by definition). */
  readonly unknownIdf: number;
}

export interface EmbedOptions {
  readonly idf?: IdfTable | undefined;
  readonly docFreq?: Uint32Array | undefined;
  readonly weights?: FieldWeights | undefined;
  /**
   * Where to write the vector (model.dim long), returned instead of a new array. A caller
   * that consumes each vector at once (the parse worker quantises it into the fragment) saves
   * an allocation per symbol: a 1 KB Float32Array costs about as much as a tenth of the
   * embedding itself.
   */
  readonly out?: Float32Array | undefined;
}

/** Body text past this many characters is ignored: bounds the cost of a 5,000-line function. */
export const MAX_BODY_CHARS = 16_384;
/** Query text past this is ignored (a long bug report says what it is about early). */
export const MAX_QUERY_CHARS = 65_536;
/** Unseen tokens' n-gram vectors are fuzzier than learned ones: they count this much. */
const UNSEEN_WEIGHT = 0.5;

/** IDF with the +1 smoothing used in training, so corpus and repo tables are comparable. */
export function idfOf(df: number, docCount: number): number {
  return Math.log((docCount + 1) / (df + 1)) + 1;
}

/**
 * Repo IDF from document frequencies counted over the indexed repo (opts.docFreq of
 * embedSymbol, summed over workers). `blend` mixes it with the model's corpus IDF
 * (0 = corpus only, 1 = repo only).
 */
export function buildIdf(model: EmbeddingModel, docFreq: Uint32Array, docCount: number, blend = 1): IdfTable {
  const idf = new Float32Array(model.vocabSize);
  for (let i = 0; i < model.vocabSize; i++) {
    const repo = idfOf(docFreq[i] ?? 0, docCount);
    idf[i] = blend * repo + (1 - blend) * (model.idf[i] ?? 0);
  }
  return { idf, unknownIdf: blend * idfOf(0, docCount) + (1 - blend) * corpusUnknownIdf(model) };
}

function corpusUnknownIdf(model: EmbeddingModel): number {
  return idfOf(1, model.trainingDocs);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** termRow of a token whose vocabulary row was not looked up yet. */
const UNRESOLVED = -2;
/**
 * Unseen tokens' n-gram vectors kept per thread (1 KB each at 256-d, so ≤ 32 MB); past that
 * they are dropped and recomputed (~15 µs each). The benchmark corpus has ~13k of them.
 */
const MAX_UNSEEN = 32_768;

/**
 * Per-thread, per-model state of the embedder, built on first use: for each content token id
 * of the thread's TokenCache its vocabulary row (-1 = unseen) and, for an unseen token, its
 * n-gram vector; the bag of the one symbol being embedded (everything here is synchronous);
 * and the accumulator.
 */
class TermTable {
  readonly cache: TokenCache;
  /** Scratch accumulator of embedTerms, model.dim long. */
  readonly acc: Float64Array;
  /** The vocabulary vectors for addPackedRow (see packedRows). */
  readonly packed: Int32Array | undefined;
  /** Token id → vocabulary row, -1 (unseen) or UNRESOLVED. */
  termRow = new Int32Array(1 << 13).fill(UNRESOLVED);
  private unseen: (Float32Array | undefined)[] = [];
  private unseenCount = 0;
  /** The cache epoch the per-id arrays belong to. */
  private epoch = -1;
  // The bag being built: token ids in first-occurrence order (text order, which fixes the
  // order of the float sums on every thread) and their summed field weights.
  bagTerms = new Int32Array(1024);
  bagSize = 0;
  bagTf = new Float64Array(1 << 13);
  /** The bag generation a token was last added in: emptying the bag is one increment. */
  private bagStamp = new Int32Array(1 << 13);
  private bagGen = 0;

  constructor(private readonly model: EmbeddingModel) {
    this.cache = tokenCache((model.flags & ModelFlag.stem) !== 0);
    this.acc = new Float64Array(model.dim);
    this.packed = packedRows(model.vectors, model.dim);
  }

  /** Starts a new, empty bag. */
  beginBag(): void {
    this.cache.begin();
    if (this.cache.epoch !== this.epoch) {
      // The cache started over: its ids now name other tokens.
      this.epoch = this.cache.epoch;
      this.termRow.fill(UNRESOLVED);
      this.unseen = [];
      this.unseenCount = 0;
    }
    if (this.bagGen === 0x7fffffff) {
      this.bagGen = 0;
      this.bagStamp.fill(0);
    }
    this.bagGen++;
    this.bagSize = 0;
  }

  /** Adds `weight` for every content token of `text` (its first `max` characters). */
  addText(text: string | undefined, weight: number, max = Infinity): void {
    if (!text || weight === 0) return;
    const n = this.cache.scan(text, max);
    const ids = this.cache.ids;
    for (let i = 0; i < n; i++) this.addTerm(ids[i]!, weight);
  }

  /** Adds `tf` to a token of the bag (`0 + tf` on first sight, as a Map would sum it). */
  addTerm(id: number, tf: number): void {
    if (id >= this.bagStamp.length) this.grow(Math.max(id + 1, this.bagStamp.length * 2));
    if (this.bagStamp[id] !== this.bagGen) {
      this.bagStamp[id] = this.bagGen;
      this.bagTf[id] = tf;
      if (this.bagSize === this.bagTerms.length) {
        const terms = new Int32Array(this.bagSize * 2);
        terms.set(this.bagTerms);
        this.bagTerms = terms;
      }
      this.bagTerms[this.bagSize++] = id;
    } else this.bagTf[id]! += tf;
  }

  /** The bag as symbolBag returns it: token → summed weight, in first-occurrence order. */
  bagMap(): Map<string, number> {
    const out = new Map<string, number>();
    const keys = this.cache.keys;
    for (let i = 0; i < this.bagSize; i++) {
      const id = this.bagTerms[i]!;
      out.set(keys[id]!, this.bagTf[id]!);
    }
    return out;
  }

  /** Vocabulary row of a token id (-1: not in the vocabulary). */
  rowOf(id: number): number {
    let row = this.termRow[id]!;
    if (row === UNRESOLVED) {
      row = this.model.index.get(this.cache.keys[id]!) ?? -1;
      this.termRow[id] = row;
    }
    return row;
  }

  /** The n-gram vector of an unseen token, computed once. */
  unseenOf(id: number): Float32Array {
    let v = this.unseen[id];
    if (v === undefined) {
      if (this.unseenCount >= MAX_UNSEEN) {
        this.unseen = [];
        this.unseenCount = 0;
      }
      v = unseenVector(this.model, this.cache.keys[id]!);
      this.unseen[id] = v;
      this.unseenCount++;
    }
    return v;
  }

  private grow(n: number): void {
    const row = new Int32Array(n).fill(UNRESOLVED);
    row.set(this.termRow);
    this.termRow = row;
    const tf = new Float64Array(n);
    tf.set(this.bagTf);
    this.bagTf = tf;
    const stamp = new Int32Array(n);
    stamp.set(this.bagStamp);
    this.bagStamp = stamp;
  }
}

const tables = new WeakMap<EmbeddingModel, TermTable>();
function tableFor(model: EmbeddingModel): TermTable {
  let t = tables.get(model);
  if (!t) {
    t = new TermTable(model);
    tables.set(model, t);
  }
  return t;
}

/**
 * Vector of a token outside the vocabulary: the mean of its character n-gram buckets
 * (fastText style, so `kubeconfig` lands near `config`), or, when none of its n-grams was
 * ever seen, a fixed pseudo-random direction from its hash, so the same unseen token in a
 * query and in a symbol still matches exactly. Unit length.
 */
export function unseenVector(model: EmbeddingModel, token: string): Float32Array {
  const { dim, vocabSize, scale, bucketCount } = model;
  const acc = new Float64Array(dim);
  let used = 0;
  if (bucketCount > 0) {
    const buckets = model.bucketVectors();
    const packed = packedRows(buckets, dim);
    // ngramBuckets' n-grams in its order, hashed in place rather than sliced out (the same
    // FNV-1a, so the same buckets): this runs once per unseen token per thread, ~10k times
    // when a worker indexes a large repo.
    const w = `<${token}>`;
    for (let n = model.minn; n <= model.maxn; n++) {
      for (let i = 0; i + n <= w.length; i++) {
        if (i === 0 && n === w.length) continue;
        let h = 0x811c9dc5 | 0;
        for (let k = i; k < i + n; k++) h = Math.imul(h ^ w.charCodeAt(k), 0x01000193);
        const b = (h >>> 0) % bucketCount;
        const s = scale[vocabSize + b] ?? 0;
        if (s === 0) continue;
        used++;
        model.ensureRow?.(vocabSize + b);
        if (packed) addPackedRow(acc, s, packed, b * dim);
        else for (let d = 0, base = b * dim; d < dim; d++) acc[d]! += s * buckets[base + d]!;
      }
    }
  }
  if (used === 0) {
    // mulberry32 seeded by the token: deterministic, thread-independent.
    let a = fnv1a(token);
    for (let d = 0; d < dim; d++) {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      acc[d] = ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
    }
  }
  return normalise(acc);
}

/**
 * acc += w · row, for an int8 row read four lanes per 32-bit load (see TermTable.packed):
 * V8 runs this about twice as fast as a loop over the Int8Array, and it makes the same
 * products and the same sums in the same order, so the vector has the same bits.
 */
function addPackedRow(acc: Float64Array, w: number, packed: Int32Array, base: number): void {
  let q = base >> 2;
  for (let d = 0; d < acc.length; d += 8) {
    const x = packed[q++]!;
    const y = packed[q++]!;
    acc[d]! += w * ((x << 24) >> 24);
    acc[d + 1]! += w * ((x << 16) >> 24);
    acc[d + 2]! += w * ((x << 8) >> 24);
    acc[d + 3]! += w * (x >> 24);
    acc[d + 4]! += w * ((y << 24) >> 24);
    acc[d + 5]! += w * ((y << 16) >> 24);
    acc[d + 6]! += w * ((y << 8) >> 24);
    acc[d + 7]! += w * (y >> 24);
  }
}

/**
 * Int8 rows as 32-bit words (lane k of a word = byte k on a little-endian machine) for
 * addPackedRow, when the block is 4-aligned and dim a multiple of 8; else undefined.
 */
function packedRows(rows: Int8Array, dim: number): Int32Array | undefined {
  return LITTLE_ENDIAN && rows.byteOffset % 4 === 0 && dim % 8 === 0
    ? new Int32Array(rows.buffer, rows.byteOffset, rows.length >> 2)
    : undefined;
}

// The loops below index typed arrays strictly inside their length, so the element is never
// undefined: non-null assertions instead of `?? 0` keep the same arithmetic without a branch
// per element (these loops run 256 times per token of every embedded symbol).
function normalise(acc: Float64Array, into?: Float32Array): Float32Array {
  let n = 0;
  for (let d = 0; d < acc.length; d++) n += acc[d]! * acc[d]!;
  let out: Float32Array;
  if (into) {
    if (into.length !== acc.length) {
      throw new LeindexError(
        'E_INTERNAL',
        `embedding out array has ${into.length} elements, the model ${acc.length}`,
      );
    }
    out = into;
    if (n === 0 || !Number.isFinite(n)) return out.fill(0);
  } else {
    out = new Float32Array(acc.length);
    if (n === 0 || !Number.isFinite(n)) return out;
  }
  const inv = 1 / Math.sqrt(n);
  for (let d = 0; d < acc.length; d++) out[d] = acc[d]! * inv;
  return out;
}

/** Fills the table's bag with a symbol's fields, each token weighted by its field. */
function fillSymbolBag(table: TermTable, s: SymbolText, weights: FieldWeights): void {
  table.beginBag();
  table.addText(s.name, weights.name);
  table.addText(s.qualifiedName, weights.qualifiedName);
  table.addText(s.signature, weights.signature);
  table.addText(s.doc, weights.doc);
  table.addText(s.body, weights.body, MAX_BODY_CHARS);
  if (s.identifiers) for (const id of s.identifiers) table.addText(id, weights.identifiers);
  if (s.path) table.addText(s.path.replace(/\.[A-Za-z0-9]+$/, ''), weights.path);
}

/** Weighted bag of a symbol's tokens: normalised token → summed field weight. */
export function symbolBag(
  model: EmbeddingModel,
  s: SymbolText,
  weights = DEFAULT_FIELD_WEIGHTS,
): Map<string, number> {
  const table = tableFor(model);
  fillSymbolBag(table, s, weights);
  return table.bagMap();
}

/** Weighted bag of a query: every kept token counts 1 per occurrence. */
export function queryBag(model: EmbeddingModel, text: string): Map<string, number> {
  const table = tableFor(model);
  table.beginBag();
  table.addText(text, 1, MAX_QUERY_CHARS);
  return table.bagMap();
}

/**
 * The vector of a bag: Σ log(1 + tf) · idf · v(token), normalised. Iterates the bag in
 * insertion order, which is the text order, so the float sums are the same on every thread.
 */
export function embedBag(
  model: EmbeddingModel,
  bag: ReadonlyMap<string, number>,
  opts: EmbedOptions = {},
): Float32Array {
  const table = tableFor(model);
  table.beginBag();
  for (const [key, tf] of bag) table.addTerm(table.cache.idOf(key), tf);
  return embedTerms(model, table, opts);
}

/** The vector of the table's current bag (see embedBag). */
function embedTerms(model: EmbeddingModel, table: TermTable, opts: EmbedOptions): Float32Array {
  const { dim, scale, vectors } = model;
  const idf = opts.idf?.idf ?? model.idf;
  const unknownIdf = opts.idf?.unknownIdf ?? corpusUnknownIdf(model);
  const { acc, bagTerms, bagTf, packed } = table;
  acc.fill(0);
  for (let i = 0; i < table.bagSize; i++) {
    const term = bagTerms[i]!;
    const row = table.rowOf(term);
    const tfw = Math.log1p(bagTf[term]!);
    if (row >= 0) {
      if (opts.docFreq) opts.docFreq[row] = (opts.docFreq[row] ?? 0) + 1;
      const w = tfw * (idf[row] ?? 0) * (scale[row] ?? 0);
      if (w === 0) continue;
      model.ensureRow?.(row);
      if (packed) addPackedRow(acc, w, packed, row * dim);
      else for (let d = 0, base = row * dim; d < dim; d++) acc[d]! += w * vectors[base + d]!;
    } else {
      const v = table.unseenOf(term);
      const w = tfw * unknownIdf * UNSEEN_WEIGHT;
      for (let d = 0; d < dim; d++) acc[d]! += w * v[d]!;
    }
  }
  return normalise(acc, opts.out);
}

/** One symbol → unit vector (zeros when it has no usable token). */
export function embedSymbol(model: EmbeddingModel, s: SymbolText, opts: EmbedOptions = {}): Float32Array {
  const table = tableFor(model);
  fillSymbolBag(table, s, opts.weights ?? DEFAULT_FIELD_WEIGHTS);
  return embedTerms(model, table, opts);
}

/** One query → unit vector in the symbols' space (zeros when it has no usable token). */
export function embedQuery(model: EmbeddingModel, text: string, opts: EmbedOptions = {}): Float32Array {
  const table = tableFor(model);
  table.beginBag();
  table.addText(text, 1, MAX_QUERY_CHARS);
  return embedTerms(model, table, opts);
}

/** Dot product = cosine for the unit vectors this module returns. */
export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] ?? 0) * (b[i] ?? 0);
  return s;
}
