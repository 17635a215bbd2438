// Tests for src/embed/tokenizer.ts: identifier splitting (camel, snake, kebab, acronyms,
// digits, dunder, non-ASCII), free-text tokens (the char-code scanner against the Unicode
// regexes it replaces, on random text), the token cache (including starting over when full),
// the light stemmer and n-gram hashing. Pure functions; runs on the main thread.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  contentTokens,
  fnv1a,
  ngramBuckets,
  scanSubTokens,
  STOP_WORDS,
  stemToken,
  tokenCache,
  tokenizeIdentifier,
  tokenizeText,
} from '../src/embed/tokenizer.js';

const IDENTIFIERS: [string, string[]][] = [
  ['getUserName', ['get', 'user', 'name']],
  ['HTTPServerError', ['http', 'server', 'error']],
  ['parse_json2', ['parse', 'json', '2']],
  ['__init__', ['init']],
  ['snake_case_name', ['snake', 'case', 'name']],
  ['kebab-case-name', ['kebab', 'case', 'name']],
  ['SCREAMING_CASE', ['screaming', 'case']],
  ['XMLHttpRequest', ['xml', 'http', 'request']],
  ['utf8Decode', ['utf', '8', 'decode']],
  ['int32', ['int', '32']],
  ['getID', ['get', 'id']],
  ['$scope', ['scope']],
  ['größeBerechnen', ['größe', 'berechnen']],
  ['名前を取得', ['名前を取得']],
  ['café', ['café']],
  ['cafe\u0301Noir', ['café', 'noir']], // decomposed accent is composed, not split
  ['x', ['x']],
  ['', []],
  ['___', []],
];

test('identifiers split into lower-case sub-tokens', () => {
  for (const [input, expected] of IDENTIFIERS) {
    assert.equal(tokenizeIdentifier(input), expected, input);
  }
});

test('text splits words and identifiers inside it', () => {
  assert.equal(tokenizeText('Remove the user session via getUserName().'), [
    'remove',
    'the',
    'user',
    'session',
    'via',
    'get',
    'user',
    'name',
  ]);
  assert.equal(tokenizeText('a.b_c, d-e!'), ['a', 'b', 'c', 'd', 'e']);
  assert.equal(tokenizeText(''), []);
  assert.equal(tokenizeText('abc def ghi', 7), ['abc', 'def']);
});

test('content tokens drop stop words and one-letter tokens, and stem', () => {
  assert.equal(contentTokens('Returns the sessions of this user, i.e. x', true), [
    'return',
    'session',
    'user',
  ]);
  assert.equal(contentTokens('def logout(self, sessions):', false), ['logout', 'sessions']);
});

test('stemmer folds plurals only', () => {
  const cases: [string, string][] = [
    ['sessions', 'session'],
    ['queries', 'query'],
    ['returns', 'return'],
    ['status', 'status'],
    ['class', 'class'],
    ['analysis', 'analysis'],
    ['bus', 'bus'],
    ['args', 'arg'],
    ['user', 'user'],
  ];
  for (const [input, expected] of cases) assert.is(stemToken(input), expected, input);
});

test('n-gram buckets are stable and in range', () => {
  assert.is(fnv1a(''), 0x811c9dc5);
  assert.is(fnv1a('a'), 0xe40c292c); // FNV-1a reference value
  const b = ngramBuckets('token', 3, 5, 1000);
  // '<token>' has 7 chars: 5 trigrams + 4 four-grams + 3 five-grams
  assert.is(b.length, 12);
  assert.ok(b.every((x) => x >= 0 && x < 1000));
  assert.equal(ngramBuckets('token', 3, 5, 1000), b);
  assert.equal(ngramBuckets('x', 3, 5, 0), []);
});

/** What tokenizeText was before the scanner: every word run through tokenizeIdentifier. */
function referenceTokens(text: string, maxChars = Infinity): string[] {
  const s = text.length > maxChars ? text.slice(0, maxChars) : text;
  const out: string[] = [];
  for (const m of s.matchAll(/[\p{L}\p{M}\p{N}_$]+/gu)) out.push(...tokenizeIdentifier(m[0]));
  return out;
}

function referenceContent(text: string, stem: boolean): string[] {
  return referenceTokens(text)
    .filter((t) => t.length >= 2 && !STOP_WORDS.has(t))
    .map((t) => (stem ? stemToken(t) : t));
}

// Pieces random text is made of: ASCII of every class, accents (composed and combining),
// caseless letters, astral characters (surrogate pairs), a non-ASCII digit, a title-case
// letter, a capital whose lower case is longer (İ), and non-ASCII punctuation.
const PIECES = [
  'a',
  'b',
  'z',
  'A',
  'B',
  'Z',
  'x',
  'Q',
  '0',
  '7',
  '_',
  '$',
  ' ',
  '.',
  '-',
  '(',
  '\n',
  '"',
  'get',
  'User',
  'HTTP',
  'Server',
  'ID',
  'json2',
  'the',
  'sessions',
  'queries',
  '__init__',
  'é',
  'É',
  'ß',
  '\u0301',
  '名',
  '前',
  'Σ',
  'ς',
  'ǅ',
  'İ',
  '٣',
  '😀',
  '𝐀',
  '—',
  '\u00a0',
  'ü',
];

test('the scanner splits exactly as the Unicode regexes do (random text)', () => {
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  for (let round = 0; round < 3000; round++) {
    let text = '';
    const len = rand(24);
    for (let i = 0; i < len; i++) text += PIECES[rand(PIECES.length)];
    assert.equal(tokenizeText(text), referenceTokens(text), JSON.stringify(text));
    const cut = rand(text.length + 1);
    assert.equal(tokenizeText(text, cut), referenceTokens(text, cut), `${JSON.stringify(text)} cut ${cut}`);
    for (const stem of [true, false]) {
      assert.equal(contentTokens(text, stem), referenceContent(text, stem), JSON.stringify(text));
    }
  }
});

test('scanned pieces carry the FNV-1a hash of their lower-case form', () => {
  const seen: [string, number][] = [];
  const sink = {
    span: (text: string, start: number, end: number, hash: number) =>
      seen.push([text.slice(start, end).toLowerCase(), hash]),
    token: () => {},
  };
  scanSubTokens('getHTTPServer_ID x2y HTTPs parse_json2 ABCDef, naïveURL', Infinity, sink);
  scanSubTokens('getHTTPServer_ID x2y HTTPs parse_json2 ABCDef', Infinity, sink); // pure ASCII path
  assert.ok(seen.length > 20);
  for (const [t, h] of seen) assert.is(h, fnv1a(t) | 0, t);
});

test('scanner edge cases: acronym runs, digits, separators, lone surrogates', () => {
  const cases: [string, string[]][] = [
    ['ABc', ['a', 'bc']],
    ['ABCDef', ['abc', 'def']],
    ['A', ['a']],
    ['aB', ['a', 'b']],
    ['a1B2c3', ['a', '1', 'b', '2', 'c', '3']],
    ['$$__$$', []],
    ['x—y', ['x', 'y']], // em dash separates
    ['naïveHTTP', ['naïve', 'http']], // non-ASCII inside an ASCII word
    ['\ud800abc', ['abc']], // a lone surrogate is no letter
    ['abc\udc00', ['abc']],
    ['🙂getUser🙂', ['get', 'user']],
  ];
  for (const [input, expected] of cases) {
    assert.equal(tokenizeText(input), expected, JSON.stringify(input));
    assert.equal(tokenizeText(input), referenceTokens(input), JSON.stringify(input));
  }
});

test('the token cache gives the same tokens after it starts over when full', () => {
  const cache = tokenCache(true);
  const probe = 'getUserSessions of HTTPServer, größeBerechnen';
  const before = contentTokens(probe, true);
  const epoch = cache.epoch;
  // 300,000 distinct made-up words: more than the cache keeps, so it starts over.
  const words: string[] = [];
  for (let i = 0; i < 300_000; i++) {
    let w = 'q';
    for (let n = i; n > 0; n = Math.floor(n / 26)) w += String.fromCharCode(97 + (n % 26));
    words.push(`${w}q`); // base-26 letters: all distinct, none stemmed
  }
  const text = words.join(' ');
  assert.is(contentTokens(text, true).length, 300_000);
  assert.is(contentTokens(text, true).length, 300_000);
  assert.ok(cache.epoch > epoch, 'cache started over');
  assert.equal(contentTokens(probe, true), before);
  assert.equal(before, referenceContent(probe, true));
});

test.run();
