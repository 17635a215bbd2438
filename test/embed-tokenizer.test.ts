// Tests for src/embed/tokenizer.ts: identifier splitting (camel, snake, kebab, acronyms,
// digits, dunder, non-ASCII), free-text tokens, the light stemmer and n-gram hashing.
// Pure functions; runs on the main thread.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  contentTokens,
  fnv1a,
  ngramBuckets,
  stemToken,
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

test.run();
