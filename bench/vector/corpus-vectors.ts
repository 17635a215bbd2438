// Collects the real embedding vectors of an index (every embedded symbol of every fragment,
// dequantised to f32), two query sets, and the exact top-k of each query, and caches them in
// a folder so the parameter grid does not re-read the store or re-run exact search per run.
// Input: an index dir built by `leindex index`; output: CorpusVectors. Main thread.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { embedQuery, loadModel } from '../../src/embed/embedder.js';
import { IndexSession } from '../../src/query/session.js';
import { nativeExactSearch } from '../../native/usearch.js';
import { prng } from '../../scripts/embed/linalg.js';

/** The key scheme the pipeline uses: file * 2^20 + row of the vector in its fragment. */
export const ROW_BITS = 2 ** 20;

export interface CorpusVectors {
  readonly dim: number;
  /** Vectors that go into the index, row-major. */
  readonly vectors: Float32Array;
  readonly keys: Float64Array;
  /** Held-out symbol vectors (not in `vectors`): "more like this" queries. */
  readonly symbolQueries: Float32Array;
  /** Embedded first sentences of doc comments: natural-language queries. */
  readonly textQueries: Float32Array;
  /** Exact top-K keys (f32 cosine over `vectors`) per query, K = TRUTH_K. */
  readonly symbolTruth: Float64Array;
  readonly textTruth: Float64Array;
}

export const TRUTH_K = 10;
const SYMBOL_QUERIES = 1000;
const TEXT_QUERIES = 1000;

function firstSentence(doc: string): string {
  const text = doc.replace(/\s+/g, ' ').trim();
  const end = text.search(/[.!?](\s|$)/);
  return end > 0 ? text.slice(0, end) : text.slice(0, 200);
}

/** Reads every vector of the index at `indexDir` (plus queries and truth), cached in `cacheDir`. */
export async function loadCorpusVectors(indexDir: string, cacheDir: string): Promise<CorpusVectors> {
  const metaPath = join(cacheDir, 'meta.json');
  if (existsSync(metaPath)) return readCache(cacheDir);
  const session = IndexSession.open('/', indexDir);
  const files = session.files();
  const model = loadModel();
  let dim = 0;
  const chunks: Float32Array[] = [];
  const keys: number[] = [];
  const docs: { text: string; key: number }[] = [];
  for (let f = 0; f < files.relPath.length; f++) {
    const frag = session.fragment(f);
    if (frag.vectorCount === 0) continue;
    dim = frag.vectorDim;
    for (let i = 0; i < frag.vectorCount; i++) {
      const v = frag.vector(i);
      let norm = 0;
      for (let k = 0; k < dim; k++) norm += (v[k] ?? 0) ** 2;
      if (norm === 0) continue; // a symbol with no usable token: never indexed
      chunks.push(v);
      const key = f * ROW_BITS + frag.vectorRow(i);
      keys.push(key);
      const doc = frag.symStr(frag.vectorRow(i), 'doc');
      if (doc && doc.length > 20) docs.push({ text: firstSentence(doc), key });
    }
  }
  await session.close();

  // Hold out SYMBOL_QUERIES vectors: a real query is never itself in the index.
  const rand = prng(42);
  const held = new Set<number>();
  while (held.size < SYMBOL_QUERIES) held.add(Math.floor(rand() * chunks.length));
  const vectors = new Float32Array((chunks.length - held.size) * dim);
  const keyArr = new Float64Array(chunks.length - held.size);
  const symbolQueries = new Float32Array(held.size * dim);
  let n = 0;
  let q = 0;
  chunks.forEach((v, i) => {
    if (held.has(i)) symbolQueries.set(v, dim * q++);
    else {
      vectors.set(v, dim * n);
      keyArr[n++] = keys[i] ?? 0;
    }
  });

  const textQueries = new Float32Array(TEXT_QUERIES * dim);
  let t = 0;
  for (let tries = 0; t < TEXT_QUERIES && tries < TEXT_QUERIES * 20; tries++) {
    const doc = docs[Math.floor(rand() * docs.length)];
    if (!doc) break;
    const e = embedQuery(model, doc.text);
    if (e.some((x) => x !== 0)) textQueries.set(e, dim * t++);
  }

  const corpus: CorpusVectors = {
    dim,
    vectors,
    keys: keyArr,
    symbolQueries,
    textQueries: textQueries.subarray(0, t * dim),
    symbolTruth: truth(vectors, keyArr, symbolQueries, dim),
    textTruth: truth(vectors, keyArr, textQueries.subarray(0, t * dim), dim),
  };
  writeCache(cacheDir, corpus);
  return corpus;
}

/** Exact f32 cosine top-K of every query: usearch's brute-force kernel, 2 threads. */
function truth(vectors: Float32Array, keys: Float64Array, queries: Float32Array, dim: number): Float64Array {
  const hits = nativeExactSearch(vectors, queries, dim, TRUTH_K, 2);
  const out = new Float64Array(hits.length * TRUTH_K);
  hits.forEach((h, i) => h.keys.forEach((row, j) => (out[i * TRUTH_K + j] = keys[Number(row)] ?? -1)));
  return out;
}

const ARRAYS = ['vectors', 'keys', 'symbolQueries', 'textQueries', 'symbolTruth', 'textTruth'] as const;

function writeCache(dir: string, c: CorpusVectors): void {
  mkdirSync(dir, { recursive: true });
  for (const name of ARRAYS) {
    const a = c[name];
    writeFileSync(join(dir, `${name}.bin`), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ dim: c.dim }));
}

function readCache(dir: string): CorpusVectors {
  const { dim } = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { dim: number };
  const f32 = (name: string): Float32Array => {
    const b = readFileSync(join(dir, `${name}.bin`));
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  };
  const f64 = (name: string): Float64Array => {
    const b = readFileSync(join(dir, `${name}.bin`));
    return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  };
  return {
    dim,
    vectors: f32('vectors'),
    keys: f64('keys'),
    symbolQueries: f32('symbolQueries'),
    textQueries: f32('textQueries'),
    symbolTruth: f64('symbolTruth'),
    textTruth: f64('textTruth'),
  };
}
