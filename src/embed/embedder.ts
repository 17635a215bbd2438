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
//   tokenizeIdentifier / tokenizeText  re-exported from tokenizer.ts
// Cost: ~40–50 µs per symbol on one core (20–25k symbols/s; body text dominates and is cut
// at MAX_BODY_CHARS). Memory: the model (~6 MB read eagerly) plus token caches per thread.

import { ModelFlag, type EmbeddingModel } from './model.js';
import { contentTokens, fnv1a, ngramBuckets } from './tokenizer.js';

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

/** Caches one model's token lookups; one per model per thread, built on first use. */
class TokenTable {
  /** normalised token → vocab row, or -1 when unseen (then `unseen` has its vector). */
  private readonly rows = new Map<string, number>();
  private readonly unseen = new Map<string, Float32Array>();
  readonly stem: boolean;
  constructor(private readonly model: EmbeddingModel) {
    this.stem = (model.flags & ModelFlag.stem) !== 0;
  }

  row(key: string): number {
    let r = this.rows.get(key);
    if (r === undefined) {
      r = this.model.index.get(key) ?? -1;
      // Bounded: a pathological input of millions of distinct tokens must not grow memory.
      if (this.rows.size > 500_000) this.rows.clear();
      this.rows.set(key, r);
    }
    return r;
  }

  unseenVector(key: string): Float32Array {
    let v = this.unseen.get(key);
    if (v === undefined) {
      v = unseenVector(this.model, key);
      if (this.unseen.size > 100_000) this.unseen.clear();
      this.unseen.set(key, v);
    }
    return v;
  }
}

const tables = new WeakMap<EmbeddingModel, TokenTable>();
function tableFor(model: EmbeddingModel): TokenTable {
  let t = tables.get(model);
  if (!t) {
    t = new TokenTable(model);
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
  const { dim, vocabSize, scale } = model;
  const acc = new Float64Array(dim);
  let used = 0;
  const buckets = model.bucketCount > 0 ? model.bucketVectors() : new Int8Array();
  for (const b of ngramBuckets(token, model.minn, model.maxn, model.bucketCount)) {
    const s = scale[vocabSize + b] ?? 0;
    if (s === 0) continue;
    used++;
    const base = b * dim;
    for (let d = 0; d < dim; d++) acc[d] = (acc[d] ?? 0) + s * (buckets[base + d] ?? 0);
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

// The loops below index typed arrays strictly inside their length, so the element is never
// undefined: non-null assertions instead of `?? 0` keep the same arithmetic without a branch
// per element (these loops run 256 times per token of every embedded symbol).
function normalise(acc: Float64Array): Float32Array {
  let n = 0;
  for (let d = 0; d < acc.length; d++) n += acc[d]! * acc[d]!;
  const out = new Float32Array(acc.length);
  if (n === 0 || !Number.isFinite(n)) return out;
  const inv = 1 / Math.sqrt(n);
  for (let d = 0; d < acc.length; d++) out[d] = acc[d]! * inv;
  return out;
}

/** Adds `weight` to each content token of `text` in `bag` (key = normalised token). */
function addText(
  table: TokenTable,
  bag: Map<string, number>,
  text: string | undefined,
  weight: number,
  max = Infinity,
) {
  if (!text || weight === 0) return;
  for (const key of contentTokens(text, table.stem, max)) bag.set(key, (bag.get(key) ?? 0) + weight);
}

/** Weighted bag of a symbol's tokens: normalised token → summed field weight. */
export function symbolBag(
  model: EmbeddingModel,
  s: SymbolText,
  weights = DEFAULT_FIELD_WEIGHTS,
): Map<string, number> {
  const table = tableFor(model);
  const bag = new Map<string, number>();
  addText(table, bag, s.name, weights.name);
  addText(table, bag, s.qualifiedName, weights.qualifiedName);
  addText(table, bag, s.signature, weights.signature);
  addText(table, bag, s.doc, weights.doc);
  addText(table, bag, s.body, weights.body, MAX_BODY_CHARS);
  if (s.identifiers) for (const id of s.identifiers) addText(table, bag, id, weights.identifiers);
  if (s.path) addText(table, bag, s.path.replace(/\.[A-Za-z0-9]+$/, ''), weights.path);
  return bag;
}

/** Weighted bag of a query: every kept token counts 1 per occurrence. */
export function queryBag(model: EmbeddingModel, text: string): Map<string, number> {
  const table = tableFor(model);
  const bag = new Map<string, number>();
  addText(table, bag, text, 1, MAX_QUERY_CHARS);
  return bag;
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
  const { dim, scale, vectors } = model;
  const idf = opts.idf?.idf ?? model.idf;
  const unknownIdf = opts.idf?.unknownIdf ?? corpusUnknownIdf(model);
  const acc = new Float64Array(dim);
  for (const [key, tf] of bag) {
    const row = table.row(key);
    const tfw = Math.log1p(tf);
    if (row >= 0) {
      if (opts.docFreq) opts.docFreq[row] = (opts.docFreq[row] ?? 0) + 1;
      const w = tfw * (idf[row] ?? 0) * (scale[row] ?? 0);
      if (w === 0) continue;
      const base = row * dim;
      for (let d = 0; d < dim; d++) acc[d]! += w * vectors[base + d]!;
    } else {
      const v = table.unseenVector(key);
      const w = tfw * unknownIdf * UNSEEN_WEIGHT;
      for (let d = 0; d < dim; d++) acc[d]! += w * v[d]!;
    }
  }
  return normalise(acc);
}

/** One symbol → unit vector (zeros when it has no usable token). */
export function embedSymbol(model: EmbeddingModel, s: SymbolText, opts: EmbedOptions = {}): Float32Array {
  return embedBag(model, symbolBag(model, s, opts.weights), opts);
}

/** One query → unit vector in the symbols' space (zeros when it has no usable token). */
export function embedQuery(model: EmbeddingModel, text: string, opts: EmbedOptions = {}): Float32Array {
  return embedBag(model, queryBag(model, text), opts);
}

/** Dot product = cosine for the unit vectors this module returns. */
export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] ?? 0) * (b[i] ?? 0);
  return s;
}
