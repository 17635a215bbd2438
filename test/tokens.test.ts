// estimateTokens against cl100k counts recorded with gpt-tokenizer 4.0.0 (the calibration in
// bench/analyze/calibrate-tokens.ts measures the same on the whole corpus), plus the
// properties the budgeted traversal relies on.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { estimateTokens } from '../src/query/tokens.js';
import { FIXTURE_REPOS } from './helpers/workspace.js';

/** [text, cl100k token count] measured once with gpt-tokenizer's cl100k_base. */
const RECORDED: [string, number][] = [
  [readFileSync(join(FIXTURE_REPOS, 'ts-app/src/service.ts'), 'utf8'), 211],
  [readFileSync(join(FIXTURE_REPOS, 'py-app/pkg/models.py'), 'utf8'), 111],
  [readFileSync(join(FIXTURE_REPOS, 'rs-app/sched/src/queue.rs'), 'utf8'), 273],
  [
    'The quick brown fox jumps over the lazy dog. It was not the first time this happened, and it would not be the last.',
    27,
  ],
  [`//${'-'.repeat(70)}`, 2],
  ['12345678', 3],
  ["don't", 2],
];

test('within 10% of cl100k on whole files and prose, exact on small pieces', () => {
  for (const [text, real] of RECORDED) {
    const est = estimateTokens(text);
    const err = Math.abs(est - real) / real;
    assert.ok(err <= 0.1, `${JSON.stringify(text.slice(0, 30))}: estimated ${est}, cl100k ${real}`);
  }
  assert.is(estimateTokens("don't"), 2);
  assert.is(estimateTokens('12345678'), 3);
});

test('empty is zero; anything else is at least one', () => {
  assert.is(estimateTokens(''), 0);
  for (const s of [' ', '\n', 'x', '(', '7', 'é', '日']) assert.ok(estimateTokens(s) >= 1, s);
});

test('blocks joined by newlines cost no more than their sum (the budget adds blocks up)', () => {
  const blocks = RECORDED.map(([t]) => t);
  const sum = blocks.reduce((n, b) => n + estimateTokens(b), 0);
  assert.ok(estimateTokens(blocks.join('\n')) <= sum + blocks.length);
});

test('grows with text and counts code denser than its byte length over four', () => {
  const src = RECORDED[0]?.[0] ?? '';
  assert.ok(estimateTokens(src + src) > estimateTokens(src));
  const camel = estimateTokens('getUserNameFromRequest');
  assert.ok(camel >= 3 && camel <= 6, `camelCase identifier: ${camel}`);
});

test('non-ASCII text and long inputs are handled', () => {
  assert.ok(estimateTokens('日本語のテキスト') >= 6);
  assert.ok(estimateTokens('naïve café résumé') >= 5);
  const big = 'const x = 1;\n'.repeat(50_000);
  const n = estimateTokens(big);
  assert.ok(n > 200_000 && n < 400_000, String(n));
});

test.run();
