// Tests for src/embed/embedder.ts on the shipped model: unit vectors, unseen tokens, empty
// and huge inputs, non-ASCII text, repo IDF, identical vectors in a worker thread and on the
// main thread, and semantic sanity (a natural-language query finds the right symbol by rank).

import { Worker } from 'node:worker_threads';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  buildIdf,
  dot,
  embedQuery,
  embedSymbol,
  loadModel,
  unseenVector,
  type SymbolText,
} from '../src/embed/embedder.js';

const model = loadModel();
const norm = (v: Float32Array): number => Math.sqrt(dot(v, v));
const hasNaN = (v: Float32Array): boolean => v.some((x) => Number.isNaN(x));

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

test('a 64 KB query and a huge body work and stay fast', () => {
  const sentence = 'The server crashes when the connection pool is exhausted after a timeout. ';
  const big = sentence.repeat(Math.ceil(65_536 / sentence.length));
  let t = performance.now();
  const q = embedQuery(model, big);
  assert.ok(performance.now() - t < 500);
  assert.ok(Math.abs(norm(q) - 1) < 1e-5);
  const body = 'let connectionPool = acquireConnection(timeoutMs);\n'.repeat(20_000);
  t = performance.now();
  const s = embedSymbol(model, { name: 'acquire', body });
  assert.ok(performance.now() - t < 500);
  assert.ok(Math.abs(norm(s) - 1) < 1e-5);
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

test.run();
