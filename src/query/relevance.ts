// How relevant a graph node is to a query, in [0, 1]: the cosine of the query's embedding
// with the node's own int8 vector (read from its file's fragment), blended with the IDF-
// weighted share of the query's tokens found in the node's name, qualified name and doc.
// A query is text (analyze: embedded with the shipped model) or a symbol (context: its own
// vector and words). Lazy per-file caches; main thread.

import { contentTokens, stemToken, tokenizeIdentifier } from '../embed/tokenizer.js';
import { embedQuery, idfOf, type EmbeddingModel } from '../embed/embedder.js';
import { ModelFlag } from '../embed/model.js';
import type { FragmentReader } from '../graph/fragment.js';
import { NONE, SymbolKind } from '../protocol.js';
import type { IndexSession } from './session.js';

/**
 * Blend of the two signals. The vector carries meaning across different words (`persist` ~
 * `save`); the lexical share is exact and covers symbols without a vector (fields, variables).
 */
const VECTOR_WEIGHT = 0.6;
const LEXICAL_WEIGHT = 0.4;
/**
 * The cosine is mapped linearly from [COS_FLOOR, COS_CEIL] to [0, 1]. Measured on the corpus
 * graph: random symbol pairs are below 0.15 three times in four (p90 0.22, p99 0.50); a
 * function and its callee have median 0.59 (p25 0.41, p75 0.75).
 */
const COS_FLOOR = 0.15;
const COS_CEIL = 0.85;
/** Where a query word is found, how much it counts. */
const FIELD_WEIGHT = { name: 1, qualifiedName: 0.8, doc: 0.5 } as const;
/** Doc text past this is not read for lexical overlap: the first paragraph says what it is. */
const DOC_CHARS = 600;

/** Relevance of a node to a query, and its two parts (for tests and explanations). */
export interface RelevanceParts {
  score: number;
  /** Cosine mapped to [0, 1], or undefined when either side has no vector. */
  vector: number | undefined;
  lexical: number;
}

export class Relevance {
  private readonly scratch: Float32Array<ArrayBuffer>;
  private readonly words = new Map<number, Map<string, number>>();
  private readonly cache = new Map<number, RelevanceParts>();
  private readonly totalWeight: number;

  private constructor(
    private readonly session: IndexSession,
    /** Unit query vector, or undefined (lexical only). */
    private readonly queryVector: Float32Array | undefined,
    /** Query token → weight (IDF when a model is at hand, else 1). */
    private readonly queryTokens: Map<string, number>,
    private readonly stem: boolean,
  ) {
    this.scratch = new Float32Array(queryVector?.length ?? 0);
    let total = 0;
    for (const w of queryTokens.values()) total += w;
    this.totalWeight = total;
  }

  /** A free-text query (analyze): embedded with `model`, its words weighted by the model's IDF. */
  static fromText(session: IndexSession, model: EmbeddingModel, text: string): Relevance {
    const stem = (model.flags & ModelFlag.stem) !== 0;
    const vector = embedQuery(model, text);
    const tokens = new Map<string, number>();
    for (const t of contentTokens(text, stem)) tokens.set(t, idfWeight(model, t));
    return new Relevance(session, isZero(vector) ? undefined : vector, tokens, stem);
  }

  /**
   * A symbol as the query (context): its own vector from its fragment, and the words of its
   * name, qualified name and doc. `model`, when given, weights the words by IDF.
   */
  static fromSymbol(session: IndexSession, id: number, model?: EmbeddingModel): Relevance {
    const stem = model ? (model.flags & ModelFlag.stem) !== 0 : true;
    const probe = new Relevance(session, undefined, new Map(), stem);
    const vector = probe.vectorOf(id);
    const tokens = new Map<string, number>();
    for (const [t, field] of probe.wordsOf(id)) tokens.set(t, field * (model ? idfWeight(model, t) : 1));
    return new Relevance(session, vector && !isZero(vector) ? vector.slice() : undefined, tokens, stem);
  }

  /** Relevance of symbol `id` in [0, 1]. */
  score(id: number): number {
    return this.parts(id).score;
  }

  parts(id: number): RelevanceParts {
    let p = this.cache.get(id);
    if (p) return p;
    const lexical = this.lexical(id);
    let vector: number | undefined;
    if (this.queryVector) {
      const v = this.vectorOf(id) ?? this.vectorOf(this.parentOf(id));
      if (v) {
        let dot = 0;
        let norm = 0;
        for (let i = 0; i < v.length; i++) {
          dot += v[i]! * (this.queryVector[i] ?? 0);
          norm += v[i]! * v[i]!;
        }
        const cos = norm > 0 ? dot / Math.sqrt(norm) : 0;
        vector = Math.min(1, Math.max(0, (cos - COS_FLOOR) / (COS_CEIL - COS_FLOOR)));
      }
    }
    const score = vector === undefined ? lexical : VECTOR_WEIGHT * vector + LEXICAL_WEIGHT * lexical;
    p = { score, vector, lexical };
    this.cache.set(id, p);
    return p;
  }

  /** Σ weight of query tokens found in the node's words × where they were found, over Σ weight. */
  private lexical(id: number): number {
    if (this.totalWeight <= 0) return 0;
    const words = this.wordsOf(id);
    let hit = 0;
    for (const [t, w] of this.queryTokens) hit += w * (words.get(t) ?? 0);
    return Math.min(1, hit / this.totalWeight);
  }

  /** The node's words → the best field weight each was found in. */
  private wordsOf(id: number): Map<string, number> {
    let words = this.words.get(id);
    if (words) return words;
    words = new Map();
    const g = this.session.graph();
    const add = (tokens: string[], weight: number): void => {
      for (const t of tokens) {
        const key = this.stem ? stemToken(t) : t;
        if (key.length < 2) continue;
        if ((words?.get(key) ?? 0) < weight) words?.set(key, weight);
      }
    };
    add(tokenizeIdentifier(g.strings[g.symbols.name[id] ?? NONE] ?? ''), FIELD_WEIGHT.name);
    add(tokenizeIdentifier(g.strings[g.symbols.qualifiedName[id] ?? NONE] ?? ''), FIELD_WEIGHT.qualifiedName);
    const frag = this.fragmentOf(id);
    if (frag) {
      const doc = frag.reader.symStr(frag.row, 'doc');
      if (doc) add(contentTokens(doc.slice(0, DOC_CHARS), false), FIELD_WEIGHT.doc);
    }
    if (this.words.size > 50_000) this.words.clear();
    this.words.set(id, words);
    return words;
  }

  private fragmentOf(id: number): { reader: FragmentReader; row: number; file: number } | undefined {
    const g = this.session.graph();
    const file = g.symbols.file[id] ?? NONE;
    if (file === NONE) return undefined;
    return { reader: this.session.fragment(file), row: id - (g.files.symbolStart[file] ?? 0), file };
  }

  /** The node's embedding (dequantised into a scratch array: copy it to keep it), if it has one. */
  private vectorOf(id: number): Float32Array<ArrayBuffer> | undefined {
    if (id < 0) return undefined;
    const frag = this.fragmentOf(id);
    if (!frag || frag.reader.vectorCount === 0) return undefined;
    const i = frag.reader.vectorIndexOf(frag.row);
    if (i < 0) return undefined;
    const out =
      this.scratch.length === frag.reader.vectorDim ? this.scratch : new Float32Array(frag.reader.vectorDim);
    frag.reader.vector(i, out);
    return out;
  }

  /** The enclosing symbol when it is not the module (a field borrows its class's vector). */
  private parentOf(id: number): number {
    const g = this.session.graph();
    const p = g.symbols.parent[id] ?? NONE;
    return p >= 0 && g.symbols.kind[p] !== SymbolKind.module ? p : NONE;
  }
}

function idfWeight(model: EmbeddingModel, token: string): number {
  const row = model.index.get(token);
  return row === undefined ? idfOf(1, model.trainingDocs) : (model.idf[row] ?? 1);
}

function isZero(v: Float32Array): boolean {
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) return false;
  return true;
}
