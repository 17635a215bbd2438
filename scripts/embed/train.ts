// Training math of the code embedding model: symbols → sub-token bags → a weighted
// co-occurrence matrix (tokens that appear in the same symbol) → PPMI → randomised truncated
// SVD → unit token vectors, plus character n-gram bucket vectors for unseen tokens and the
// corpus IDF. Input: training symbols; output: ModelParts for encodeModel. Main thread;
// deterministic (insertion-ordered maps, fixed loop orders, seeded PRNG).

import { ModelFlag, type ModelParts } from '../../src/embed/model.js';
import { idfOf } from '../../src/embed/embedder.js';
import { contentTokens, ngramBuckets } from '../../src/embed/tokenizer.js';
import { randomizedSvd, type Csr } from './linalg.js';

export interface TrainSymbol {
  readonly name: string;
  readonly qualifiedName: string;
  readonly signature: string;
  readonly doc: string;
  /** Source text; '' for symbols whose body is not used (classes: their methods are symbols too). */
  readonly body: string;
}

export interface TrainParams {
  /** Output dimension. */
  readonly dim: number;
  /** A token must occur in at least this many symbols to get its own vector. */
  readonly minCount: number;
  /** Vocabulary cap (≤ 65535: pair keys pack two ids in 32 bits). */
  readonly maxVocab: number;
  /** Distinct tokens of one symbol that take part in pairs; head tokens come first. */
  readonly maxTokensPerSymbol: number;
  /** Pair weight factor of a head token (name, signature, doc) against a body token (1). */
  readonly headWeight: number;
  /** Context distribution smoothing exponent of PPMI (Levy et al. 2015: 0.75). */
  readonly cdsAlpha: number;
  /** Singular value exponent p of the vectors U·Σ^p (0.5 = symmetric split). */
  readonly eigPower: number;
  readonly oversample: number;
  readonly powerIters: number;
  readonly buckets: number;
  readonly minn: number;
  readonly maxn: number;
  readonly stem: boolean;
  readonly seed: number;
  /** Subtract the frequency-weighted mean vector (the direction every token shares). */
  readonly removeMean: boolean;
  /** Add the right singular (context) vectors to the word vectors (Levy et al.: w + c). */
  readonly addContext: boolean;
  /** Body text past this many characters is not read (as in the embedder). */
  readonly maxBodyChars: number;
}

/** The parameters of the shipped model (models/leindex-code-embed.json), so a plain retrain reproduces it. */
export const DEFAULT_TRAIN_PARAMS: TrainParams = {
  dim: 256,
  minCount: 3,
  maxVocab: 60_000,
  maxTokensPerSymbol: 96,
  headWeight: 2,
  cdsAlpha: 0.75,
  eigPower: 0.5,
  oversample: 24,
  powerIters: 2,
  buckets: 1 << 15,
  minn: 3,
  maxn: 5,
  stem: true,
  seed: 0x1e1de,
  removeMean: true,
  addContext: false,
  maxBodyChars: 16_384,
};

export interface TrainStats {
  symbols: number;
  tokensSeen: number;
  vocab: number;
  pairs: number;
  nnz: number;
  seconds: Record<string, number>;
}

/** Open-addressing map from a packed pair key (a<<16|b, a<b) to a float weight. */
class PairCounts {
  keys: Uint32Array;
  vals: Float64Array;
  size = 0;
  private bits: number;
  constructor(bits = 20) {
    this.bits = bits;
    this.keys = new Uint32Array(1 << bits);
    this.vals = new Float64Array(1 << bits);
  }
  add(key: number, w: number): void {
    const k1 = (key + 1) >>> 0; // 0 marks an empty slot
    const mask = this.keys.length - 1;
    let i = Math.imul(k1, 0x9e3779b1) >>> (32 - this.bits);
    for (;;) {
      const k = this.keys[i] ?? 0;
      if (k === k1) {
        this.vals[i] = (this.vals[i] ?? 0) + w;
        return;
      }
      if (k === 0) {
        this.keys[i] = k1;
        this.vals[i] = w;
        if (++this.size > this.keys.length * 0.6) this.grow();
        return;
      }
      i = (i + 1) & mask;
    }
  }
  private grow(): void {
    const { keys, vals } = this;
    this.bits++;
    this.keys = new Uint32Array(1 << this.bits);
    this.vals = new Float64Array(1 << this.bits);
    this.size = 0;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] ?? 0;
      if (k !== 0) this.add(k - 1, vals[i] ?? 0);
    }
  }
}

/** Unique tokens of a symbol, head fields first; `head` = how many of them are head tokens. */
function symbolTokens(s: TrainSymbol, p: TrainParams): { tokens: string[]; head: number } {
  const seen = new Set<string>();
  const add = (text: string, max = Infinity): void => {
    if (text) for (const t of contentTokens(text, p.stem, max)) seen.add(t);
  };
  add(s.name);
  add(s.qualifiedName);
  add(s.signature);
  add(s.doc);
  const head = seen.size;
  add(s.body, p.maxBodyChars);
  return { tokens: [...seen], head };
}

export function trainModel(
  symbols: Iterable<TrainSymbol>,
  params: TrainParams,
  meta: Record<string, unknown>,
  log: (msg: string) => void = () => {},
): { parts: ModelParts; stats: TrainStats } {
  const seconds: Record<string, number> = {};
  let t0 = performance.now();
  const lap = (name: string): void => {
    seconds[name] = Math.round(performance.now() - t0) / 1000;
    log(`${name}: ${seconds[name]} s`);
    t0 = performance.now();
  };

  // 1. Tokens of every symbol as temporary ids, and document frequencies.
  const tempId = new Map<string, number>();
  const tempStr: string[] = [];
  const df: number[] = [];
  const docs: { ids: Int32Array; head: number }[] = [];
  let tokensSeen = 0;
  for (const s of symbols) {
    const { tokens, head } = symbolTokens(s, params);
    const ids = new Int32Array(tokens.length);
    tokens.forEach((t, i) => {
      let id = tempId.get(t);
      if (id === undefined) {
        id = tempStr.length;
        tempId.set(t, id);
        tempStr.push(t);
        df.push(0);
      }
      df[id] = (df[id] ?? 0) + 1;
      ids[i] = id;
    });
    tokensSeen += tokens.length;
    docs.push({ ids, head });
  }
  const nDocs = docs.length;
  lap('tokenise');

  // 2. Vocabulary: frequent tokens, most frequent first, ties by string (stable across runs).
  const order = tempStr
    .map((_, i) => i)
    .filter((i) => (df[i] ?? 0) >= params.minCount)
    .sort((a, b) => (df[b] ?? 0) - (df[a] ?? 0) || ((tempStr[a] ?? '') < (tempStr[b] ?? '') ? -1 : 1))
    .slice(0, Math.min(params.maxVocab, 65_535));
  const vocab = order.map((i) => tempStr[i] ?? '');
  const toVocab = new Int32Array(tempStr.length).fill(-1);
  order.forEach((tmp, v) => (toVocab[tmp] = v));
  const V = vocab.length;
  log(`vocab ${V} of ${tempStr.length} distinct tokens, ${nDocs} symbols`);

  // 3. Co-occurrence inside a symbol. Each token spreads a total weight of ~1 over its
  // partners (1/(n-1) per pair), so a 500-token function counts no more than a 5-token one.
  const pairs = new PairCounts();
  const list = new Int32Array(params.maxTokensPerSymbol);
  const wt = new Float64Array(params.maxTokensPerSymbol);
  for (const d of docs) {
    let n = 0;
    for (let i = 0; i < d.ids.length && n < list.length; i++) {
      const v = toVocab[d.ids[i] ?? 0] ?? -1;
      if (v < 0) continue;
      list[n] = v;
      wt[n] = i < d.head ? params.headWeight : 1;
      n++;
    }
    if (n < 2) continue;
    const norm = 1 / (n - 1);
    for (let i = 0; i < n; i++) {
      const a = list[i] ?? 0;
      const wa = (wt[i] ?? 0) * norm;
      for (let j = i + 1; j < n; j++) {
        const b = list[j] ?? 0;
        const key = a < b ? ((a << 16) | b) >>> 0 : ((b << 16) | a) >>> 0;
        pairs.add(key, wa * (wt[j] ?? 0));
      }
    }
  }
  lap('cooccur');

  // 4. Symmetric counts → PPMI in CSR (both triangles), with smoothed context probabilities.
  const rowSum = new Float64Array(V);
  const rowNnz = new Int32Array(V + 1);
  for (let i = 0; i < pairs.keys.length; i++) {
    const k1 = pairs.keys[i] ?? 0;
    if (k1 === 0) continue;
    const key = k1 - 1;
    const a = key >>> 16;
    const b = key & 0xffff;
    const c = pairs.vals[i] ?? 0;
    rowSum[a] = (rowSum[a] ?? 0) + c;
    rowSum[b] = (rowSum[b] ?? 0) + c;
    rowNnz[a + 1] = (rowNnz[a + 1] ?? 0) + 1;
    rowNnz[b + 1] = (rowNnz[b + 1] ?? 0) + 1;
  }
  let alphaTotal = 0;
  for (let i = 0; i < V; i++) alphaTotal += (rowSum[i] ?? 0) ** params.cdsAlpha;
  const rowPtr = new Int32Array(V + 1);
  for (let i = 0; i < V; i++) rowPtr[i + 1] = (rowPtr[i] ?? 0) + (rowNnz[i + 1] ?? 0);
  const nnzAll = rowPtr[V] ?? 0;
  const col = new Int32Array(nnzAll);
  const val = new Float64Array(nnzAll);
  const fill = Int32Array.from(rowPtr.subarray(0, V));
  const ppmi = (i: number, j: number, c: number): number => {
    const pmi = Math.log((c * alphaTotal) / ((rowSum[i] ?? 1) * (rowSum[j] ?? 1) ** params.cdsAlpha));
    return pmi > 0 ? pmi : 0;
  };
  for (let s = 0; s < pairs.keys.length; s++) {
    const k1 = pairs.keys[s] ?? 0;
    if (k1 === 0) continue;
    const key = k1 - 1;
    const a = key >>> 16;
    const b = key & 0xffff;
    const c = pairs.vals[s] ?? 0;
    const pa = fill[a] ?? 0;
    col[pa] = b;
    val[pa] = ppmi(a, b, c);
    fill[a] = pa + 1;
    const pb = fill[b] ?? 0;
    col[pb] = a;
    val[pb] = ppmi(b, a, c);
    fill[b] = pb + 1;
  }
  const m: Csr = { n: V, rowPtr, col, val };
  lap('ppmi');

  // 5. Truncated SVD.
  const { u, sigma, v } = randomizedSvd(m, params.dim, {
    oversample: params.oversample,
    powerIters: params.powerIters,
    seed: params.seed,
    log,
  });
  lap('svd');

  // 6. Token vectors: U Σ^p (+ context vectors), mean removed, unit length.
  const dim = Math.min(params.dim, u.cols);
  const vec = new Float64Array(V * dim);
  for (let i = 0; i < V; i++) {
    for (let c = 0; c < dim; c++) {
      const sp = (sigma[c] ?? 0) ** params.eigPower;
      let x = (u.data[i * u.cols + c] ?? 0) * sp;
      if (params.addContext) x += (v.data[i * v.cols + c] ?? 0) * sp;
      vec[i * dim + c] = x;
    }
  }
  normaliseRows(vec, V, dim);
  if (params.removeMean) {
    const mean = new Float64Array(dim);
    let total = 0;
    for (let i = 0; i < V; i++) {
      const w = df[order[i] ?? 0] ?? 0;
      total += w;
      for (let c = 0; c < dim; c++) mean[c] = (mean[c] ?? 0) + w * (vec[i * dim + c] ?? 0);
    }
    for (let i = 0; i < V; i++) {
      for (let c = 0; c < dim; c++) vec[i * dim + c] = (vec[i * dim + c] ?? 0) - (mean[c] ?? 0) / total;
    }
    normaliseRows(vec, V, dim);
  }

  // 7. n-gram buckets: the mean vector of the vocabulary tokens containing the n-gram. Kept
  // unnormalised, so an n-gram shared by unrelated tokens (a short mean) weighs little.
  const rows = V + params.buckets;
  const out = new Float32Array(rows * dim);
  for (let i = 0; i < V * dim; i++) out[i] = vec[i] ?? 0;
  const bsum = new Float64Array(params.buckets * dim);
  const bcount = new Float64Array(params.buckets);
  for (let i = 0; i < V; i++) {
    for (const b of ngramBuckets(vocab[i] ?? '', params.minn, params.maxn, params.buckets)) {
      bcount[b] = (bcount[b] ?? 0) + 1;
      for (let c = 0; c < dim; c++) bsum[b * dim + c] = (bsum[b * dim + c] ?? 0) + (vec[i * dim + c] ?? 0);
    }
  }
  for (let b = 0; b < params.buckets; b++) {
    const n = bcount[b] ?? 0;
    if (n === 0) continue;
    for (let c = 0; c < dim; c++) out[(V + b) * dim + c] = (bsum[b * dim + c] ?? 0) / n;
  }
  lap('vectors');

  const idf = new Float32Array(V);
  for (let i = 0; i < V; i++) idf[i] = idfOf(df[order[i] ?? 0] ?? 0, nDocs);
  const stats: TrainStats = { symbols: nDocs, tokensSeen, vocab: V, pairs: pairs.size, nnz: nnzAll, seconds };
  return {
    parts: {
      dim,
      vocab,
      idf,
      vectors: out,
      bucketCount: params.buckets,
      minn: params.minn,
      maxn: params.maxn,
      flags: params.stem ? ModelFlag.stem : 0,
      trainingDocs: nDocs,
      meta: { ...meta, params, stats: { symbols: nDocs, vocab: V, pairs: pairs.size, nnz: nnzAll } },
    },
    stats,
  };
}

function normaliseRows(vec: Float64Array, rows: number, dim: number): void {
  for (let i = 0; i < rows; i++) {
    let n = 0;
    for (let c = 0; c < dim; c++) n += (vec[i * dim + c] ?? 0) ** 2;
    const inv = n > 0 ? 1 / Math.sqrt(n) : 0;
    for (let c = 0; c < dim; c++) vec[i * dim + c] = (vec[i * dim + c] ?? 0) * inv;
  }
}
