// A small in-memory BM25 index over weighted term bags: the lexical baseline of the retrieval
// evaluation and a reference for the search index. Input: documents as term → weighted tf
// maps (field weights folded in, BM25F-style, with one length normalisation); output: scores
// for a query. Main thread (or any thread that owns the index); no I/O.

export interface Bm25Params {
  /** Term-frequency saturation (Robertson: 1.2). */
  readonly k1: number;
  /** Length normalisation strength (0 = none, 1 = full; Robertson: 0.75). */
  readonly b: number;
}

export const DEFAULT_BM25: Bm25Params = { k1: 1.2, b: 0.75 };

/** Postings of one term: document ids ascending and their weighted tf. */
interface Postings {
  docs: number[];
  tfs: number[];
}

export class Bm25Index {
  private readonly postings = new Map<string, Postings>();
  private readonly lengths: number[] = [];
  private totalLength = 0;

  constructor(readonly params: Bm25Params = DEFAULT_BM25) {}

  get size(): number {
    return this.lengths.length;
  }

  /** Adds a document; returns its id (ids are dense, in insertion order). */
  add(bag: ReadonlyMap<string, number>): number {
    const id = this.lengths.length;
    let len = 0;
    for (const [term, tf] of bag) {
      if (tf <= 0) continue;
      len += tf;
      let p = this.postings.get(term);
      if (!p) {
        p = { docs: [], tfs: [] };
        this.postings.set(term, p);
      }
      p.docs.push(id);
      p.tfs.push(tf);
    }
    this.lengths.push(len);
    this.totalLength += len;
    return id;
  }

  /** Number of documents containing `term`. */
  docFreq(term: string): number {
    return this.postings.get(term)?.docs.length ?? 0;
  }

  /** Lucene's BM25 IDF: always positive, so a very common term still counts a little. */
  idf(term: string): number {
    const n = this.lengths.length;
    const df = this.docFreq(term);
    return Math.log(1 + (n - df + 0.5) / (df + 0.5));
  }

  /**
   * Scores every document for a query (term → query weight, usually its count) into `out`
   * (length ≥ size; zeroed first). Documents sharing no term score 0.
   */
  scoreAll(
    query: ReadonlyMap<string, number>,
    out: Float64Array = new Float64Array(this.size),
  ): Float64Array {
    out.fill(0);
    const { k1, b } = this.params;
    const avg = this.totalLength / Math.max(1, this.lengths.length);
    for (const [term, qw] of query) {
      const p = this.postings.get(term);
      if (!p) continue;
      const idf = this.idf(term) * qw;
      for (let i = 0; i < p.docs.length; i++) {
        const d = p.docs[i] ?? 0;
        const tf = p.tfs[i] ?? 0;
        const norm = k1 * (1 - b + (b * (this.lengths[d] ?? 0)) / avg);
        out[d] = (out[d] ?? 0) + (idf * tf * (k1 + 1)) / (tf + norm);
      }
    }
    return out;
  }
}
