// Tests for src/embed/embedder.ts on the shipped model: unit vectors, unseen tokens, empty
// and huge inputs, non-ASCII text, repo IDF, the same bits as a plain reference embedder
// (Maps, regex tokens, byte loops) and through the bag API, identical vectors in a worker
// thread and on the main thread, and semantic sanity (a natural-language query finds the
// right symbol by rank).

import { Worker } from 'node:worker_threads';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  buildIdf,
  DEFAULT_FIELD_WEIGHTS,
  dot,
  embedBag,
  embedQuery,
  embedSymbol,
  loadModel,
  MAX_BODY_CHARS,
  MAX_QUERY_CHARS,
  queryBag,
  symbolBag,
  unseenVector,
  type EmbeddingModel,
  type SymbolText,
} from '../src/embed/embedder.js';
import { decodeModel, encodeModel } from '../src/embed/model.js';
import {
  contentTokens,
  fnv1a,
  ngramBuckets,
  STOP_WORDS,
  stemToken,
  tokenCache,
  tokenizeIdentifier,
} from '../src/embed/tokenizer.js';

const model = loadModel();
const norm = (v: Float32Array): number => Math.sqrt(dot(v, v));
const hasNaN = (v: Float32Array): boolean => v.some((x) => Number.isNaN(x));
const hex = (v: Float32Array): string => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');

test('symbols and queries embed to unit vectors of the model dimension', () => {
  const v = embedSymbol(model, {
    name: 'getUserName',
    signature: 'def get_user_name(user_id)',
    doc: 'Return the name.',
  });
  assert.is(v.length, model.dim);
  assert.ok(Math.abs(norm(v) - 1) < 1e-5);
  const q = embedQuery(model, 'find the name of a user');
  assert.ok(Math.abs(norm(q) - 1) < 1e-5);
  assert.ok(dot(v, q) > 0.3, `cos ${dot(v, q)}`);
});

test('empty and token-less inputs give a zero vector, never NaN', () => {
  for (const v of [
    embedQuery(model, ''),
    embedQuery(model, '   ... ;; {} '),
    embedQuery(model, 'the of and a'), // stop words only
    embedSymbol(model, {}),
    embedSymbol(model, { name: '_', body: '{}' }),
  ]) {
    assert.is(v.length, model.dim);
    assert.not.ok(hasNaN(v));
    assert.is(norm(v), 0);
  }
});

test('unseen tokens get a vector; n-gram neighbours stay close', () => {
  const word = 'kubeconfigs';
  assert.not.ok(model.index.has(word));
  const u = unseenVector(model, word);
  assert.ok(Math.abs(norm(u) - 1) < 1e-5);
  const q = embedQuery(model, word);
  assert.ok(norm(q) > 0.99);
  // Same unseen token in a query and a symbol: a near-exact match.
  const s = embedSymbol(model, { name: word });
  assert.ok(dot(q, s) > 0.99);
  // A token with no known n-gram at all still gets a fixed hashed direction.
  const alien = 'ꙮꙮꙮꙮ';
  const a1 = unseenVector(model, alien);
  assert.ok(Math.abs(norm(a1) - 1) < 1e-5);
  assert.equal([...unseenVector(model, alien)], [...a1]);
});

test('non-ASCII text embeds without error', () => {
  const v = embedQuery(model, 'Größe der Datei berechnen — 计算文件大小 café');
  assert.not.ok(hasNaN(v));
  assert.ok(Math.abs(norm(v) - 1) < 1e-5);
  const s = embedSymbol(model, { name: 'größeBerechnen', doc: 'Berechnet die Größe.' });
  assert.ok(Math.abs(norm(s) - 1) < 1e-5);
});

test('a 64 KB query and a huge body embed, reading only their first MAX_*_CHARS', () => {
  const sentence = 'The server crashes when the connection pool is exhausted after a timeout. ';
  const big = sentence.repeat(Math.ceil((2 * MAX_QUERY_CHARS) / sentence.length));
  const q = embedQuery(model, big);
  assert.ok(Math.abs(norm(q) - 1) < 1e-5);
  assert.is(hex(q), hex(embedQuery(model, big.slice(0, MAX_QUERY_CHARS))));
  const body = 'let connectionPool = acquireConnection(timeoutMs);\n'.repeat(20_000);
  const s = embedSymbol(model, { name: 'acquire', body });
  assert.ok(Math.abs(norm(s) - 1) < 1e-5);
  // The cost is bounded: text past the cap is not read at all.
  assert.is(hex(s), hex(embedSymbol(model, { name: 'acquire', body: body.slice(0, MAX_BODY_CHARS) })));
  assert.not.equal(
    hex(embedSymbol(model, { name: 'acquire', body: 'x '.repeat(MAX_BODY_CHARS / 2) + body })),
    hex(s),
  );
});

test('repo IDF changes weights and is counted in the same pass', () => {
  const df = new Uint32Array(model.vocabSize);
  const symbols: SymbolText[] = [
    { name: 'openFile', body: 'return fs.open(path)' },
    { name: 'closeFile', body: 'fs.close(fd)' },
  ];
  for (const s of symbols) embedSymbol(model, s, { docFreq: df });
  const fileRow = model.index.get('file') ?? -1;
  assert.ok(fileRow >= 0);
  assert.is(df[fileRow], 2);
  const idf = buildIdf(model, df, symbols.length);
  assert.ok((idf.idf[fileRow] ?? 0) < (idf.idf[model.index.get('open') ?? 0] ?? 0));
  const a = embedQuery(model, 'open file');
  const b = embedQuery(model, 'open file', { idf });
  assert.ok(dot(a, b) < 0.99999);
});

const SET: { id: string; s: SymbolText }[] = [
  {
    id: 'logout',
    s: {
      name: 'logout',
      qualifiedName: 'AuthController.logout',
      signature: 'def logout(self, request)',
      body: 'def logout(self, request):\n    request.session.flush()\n    return redirect(self.login_url)',
    },
  },
  {
    id: 'parseJson',
    s: { name: 'parseJson', signature: 'function parseJson(text: string)', body: 'return JSON.parse(text);' },
  },
  {
    id: 'resize',
    s: {
      name: 'resize_image',
      signature: 'fn resize_image(img: &Image, width: u32, height: u32) -> Image',
      body: 'img.scale(width, height)',
    },
  },
  {
    id: 'checksum',
    s: {
      name: 'crc32',
      signature: 'fn crc32(bytes: &[u8]) -> u32',
      body: 'let mut crc = !0u32; for b in bytes { crc = table[(crc ^ b as u32) & 0xff] ^ (crc >> 8); } !crc',
    },
  },
  {
    id: 'sort',
    s: {
      name: 'sortByDate',
      signature: 'sortByDate(items: Item[])',
      body: 'return items.sort((a, b) => a.date - b.date);',
    },
  },
  {
    id: 'connect',
    s: {
      name: 'connect_db',
      signature: 'def connect_db(host, port)',
      body: 'return psycopg2.connect(host=host, port=port)',
    },
  },
  {
    id: 'retry',
    s: {
      name: 'retryWithBackoff',
      signature: 'async function retryWithBackoff(op, attempts)',
      body: 'for (let i = 0; i < attempts; i++) { try { return await op(); } catch (e) { await sleep(2 ** i * 100); } }',
    },
  },
];

function rank(query: string): string[] {
  const q = embedQuery(model, query);
  return SET.map(({ id, s }) => ({ id, score: dot(q, embedSymbol(model, s)) }))
    .sort((a, b) => b.score - a.score)
    .map((x) => x.id);
}

test('semantic sanity: natural-language queries find symbols without shared words', () => {
  // None of these queries contains the target's name tokens.
  assert.is(rank('remove a user session')[0], 'logout');
  assert.is(rank('sign the user out')[0], 'logout');
  assert.is(rank('scale a picture to new dimensions')[0], 'resize');
  assert.is(rank('open a connection to the postgres database')[0], 'connect');
  assert.ok(rank('try again after failure with increasing delay').indexOf('retry') <= 1);
});

test('a worker thread computes bit-identical vectors', async () => {
  const inputs = {
    symbols: SET.map((x) => x.s),
    queries: ['remove a user session', 'Größe berechnen', 'kubeconfigs', '', 'x'.repeat(5000)],
  };
  const url = new URL('../src/embed/embedder.js', import.meta.url).href;
  // An eval worker is CommonJS; it reaches the ESM build through dynamic import().
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(${JSON.stringify(url)}).then((e) => {
      const m = e.loadModel();
      const out = [...workerData.symbols.map((s) => e.embedSymbol(m, s)), ...workerData.queries.map((q) => e.embedQuery(m, q))];
      parentPort.postMessage(out.map((v) => Buffer.from(v.buffer).toString('hex')));
    });`;
  const fromWorker = await new Promise<string[]>((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: inputs });
    w.once('message', (m: string[]) => {
      void w.terminate();
      resolve(m);
    });
    w.once('error', reject);
  });
  const local = [
    ...inputs.symbols.map((s) => embedSymbol(model, s)),
    ...inputs.queries.map((q) => embedQuery(model, q)),
  ].map((v) => Buffer.from(v.buffer).toString('hex'));
  assert.is(fromWorker.length, local.length);
  assert.equal(fromWorker, local);
});

// A plain embedder, written the obvious way: Unicode regexes and tokenizeIdentifier for
// tokens, a Map for the bag, byte loops over the int8 rows. The real one must give the same
// bits (it makes the same float operations in the same order, only faster).
function referenceTokens(text: string, max = Infinity): string[] {
  const s = text.length > max ? text.slice(0, max) : text;
  const out: string[] = [];
  for (const m of s.matchAll(/[\p{L}\p{M}\p{N}_$]+/gu)) {
    for (const t of tokenizeIdentifier(m[0])) if (t.length >= 2 && !STOP_WORDS.has(t)) out.push(stemToken(t));
  }
  return out;
}

function referenceUnseen(m: EmbeddingModel, token: string): Float64Array {
  const acc = new Float64Array(m.dim);
  let used = 0;
  const buckets = m.bucketVectors();
  for (const b of ngramBuckets(token, m.minn, m.maxn, m.bucketCount)) {
    const s = m.scale[m.vocabSize + b] ?? 0;
    if (s === 0) continue;
    used++;
    for (let d = 0; d < m.dim; d++) acc[d] = (acc[d] ?? 0) + s * (buckets[b * m.dim + d] ?? 0);
  }
  if (used === 0) {
    let a = fnv1a(token);
    for (let d = 0; d < m.dim; d++) {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      acc[d] = ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
    }
  }
  return acc;
}

function referenceNormalise(acc: Float64Array): Float32Array {
  let n = 0;
  for (const x of acc) n += x * x;
  const out = new Float32Array(acc.length);
  if (n === 0 || !Number.isFinite(n)) return out;
  const inv = 1 / Math.sqrt(n);
  acc.forEach((x, d) => (out[d] = x * inv));
  return out;
}

function referenceEmbed(m: EmbeddingModel, bag: Map<string, number>): Float32Array {
  const acc = new Float64Array(m.dim);
  for (const [key, tf] of bag) {
    const row = m.index.get(key) ?? -1;
    if (row >= 0) {
      const w = Math.log1p(tf) * (m.idf[row] ?? 0) * (m.scale[row] ?? 0);
      if (w === 0) continue;
      for (let d = 0; d < m.dim; d++) acc[d] = (acc[d] ?? 0) + w * (m.vectors[row * m.dim + d] ?? 0);
    } else {
      const v = referenceNormalise(referenceUnseen(m, key));
      const w = Math.log1p(tf) * (Math.log((m.trainingDocs + 1) / 2) + 1) * 0.5;
      for (let d = 0; d < m.dim; d++) acc[d] = (acc[d] ?? 0) + w * (v[d] ?? 0);
    }
  }
  return referenceNormalise(acc);
}

function referenceSymbolBag(s: SymbolText): Map<string, number> {
  const bag = new Map<string, number>();
  const w = DEFAULT_FIELD_WEIGHTS;
  const add = (text: string | undefined, weight: number, max = Infinity): void => {
    if (text) for (const t of referenceTokens(text, max)) bag.set(t, (bag.get(t) ?? 0) + weight);
  };
  add(s.name, w.name);
  add(s.qualifiedName, w.qualifiedName);
  add(s.signature, w.signature);
  add(s.doc, w.doc);
  add(s.body, w.body, MAX_BODY_CHARS);
  return bag;
}

const MIXED: SymbolText[] = [
  ...SET.map((x) => x.s),
  {
    name: 'größeBerechnen',
    doc: 'Berechnet die Größe. 计算文件大小',
    body: 'return naïveSize(kubeconfigs) + ꙮꙮꙮ',
  },
  { name: 'HTTPServerError', qualifiedName: 'net.HTTPServerError', body: 'x'.repeat(20_000) + ' tail' },
  { name: '__init__', signature: 'def __init__(self, *args, **kwargs)', doc: 'Sets up the sessions.' },
  { name: 'parse_json2', body: 'data = json2.loads(raw_bytes)  # 😀 UTF-16 surrogates\n' },
];

test('vectors have the same bits as the plain reference embedder', () => {
  for (const s of MIXED) {
    assert.equal([...symbolBag(model, s)], [...referenceSymbolBag(s)], s.name);
    assert.is(hex(embedSymbol(model, s)), hex(referenceEmbed(model, referenceSymbolBag(s))), s.name);
  }
  for (const q of ['remove a user session', 'Größe berechnen', 'kubeconfigs', 'getHTTPResponse codes']) {
    const bag = new Map<string, number>();
    for (const t of referenceTokens(q)) bag.set(t, (bag.get(t) ?? 0) + 1);
    assert.equal([...queryBag(model, q)], [...bag], q);
    assert.is(hex(embedQuery(model, q)), hex(referenceEmbed(model, bag)), q);
  }
  for (const t of ['kubeconfigs', 'ꙮꙮꙮꙮ', 'xy', 'naïve', 'aVeryLongUnseenIdentifierzzz']) {
    assert.is(hex(unseenVector(model, t)), hex(referenceNormalise(referenceUnseen(model, t))), t);
  }
});

test('the bag API gives the same vectors as embedSymbol and embedQuery', () => {
  for (const s of MIXED) assert.is(hex(embedBag(model, symbolBag(model, s))), hex(embedSymbol(model, s)));
  const q = 'open a connection to the postgres database';
  assert.is(hex(embedBag(model, queryBag(model, q))), hex(embedQuery(model, q)));
  // A bag the caller built (the lexical index's) embeds as well, whatever its keys.
  const own = new Map([
    ['session', 2],
    ['the', 1],
    ['zzqx', 0.5],
  ]);
  assert.is(hex(embedBag(model, own)), hex(referenceEmbed(model, own)));
});

test('a model whose rows cannot be read four lanes at a time (dim 12) embeds as the reference does', () => {
  const dim = 12;
  const vocab = ['session', 'user', 'get', 'name', 'remove'];
  const buckets = 16;
  const vectors = new Float32Array((vocab.length + buckets) * dim).map((_, i) => Math.sin(i * 0.7));
  const small = decodeModel(
    encodeModel({
      dim,
      vocab,
      idf: new Float32Array([1, 2, 3, 1.5, 2.5]),
      vectors,
      bucketCount: buckets,
      minn: 3,
      maxn: 5,
      flags: 1,
      trainingDocs: 10,
      meta: {},
    }),
  );
  for (const s of MIXED) {
    assert.is(hex(embedSymbol(small, s)), hex(referenceEmbed(small, referenceSymbolBag(s))), s.name);
  }
});

test('opts.out receives the vector instead of a new array', () => {
  const out = new Float32Array(model.dim).fill(7);
  for (const s of MIXED) {
    const v = embedSymbol(model, s, { out });
    assert.ok(v === out);
    assert.is(hex(out), hex(embedSymbol(model, s)));
  }
  out.fill(7);
  assert.is(norm(embedSymbol(model, {}, { out })), 0); // a zero vector is written, too
  assert.is(hex(embedQuery(model, 'user session', { out })), hex(embedQuery(model, 'user session')));
  assert.throws(() => embedSymbol(model, { name: 'x' }, { out: new Float32Array(3) }), /3 elements/);
});

test('vectors stay the same after the token cache starts over', () => {
  const before = MIXED.map((s) => hex(embedSymbol(model, s)));
  const epoch = tokenCache(true).epoch;
  // More distinct words than the thread's token cache keeps (it starts over on the next use).
  const words: string[] = [];
  for (let i = 0; i < 300_000; i++) {
    let w = 'q';
    for (let n = i; n > 0; n = Math.floor(n / 26)) w += String.fromCharCode(97 + (n % 26));
    words.push(`${w}q`);
  }
  contentTokens(words.join(' '), true);
  assert.equal(
    MIXED.map((s) => hex(embedSymbol(model, s))),
    before,
  );
  assert.ok(tokenCache(true).epoch > epoch, 'the cache started over');
});

test.run();
