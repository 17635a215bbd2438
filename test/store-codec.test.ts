// Tests for the store's blob codecs (src/store/codec.ts): string tables and column sets
// round-trip whatever the text (ASCII pools take a faster decode path) and whether or not
// the bytes are aligned or owned. Main thread.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  LazyStrings,
  decodeColumns,
  decodeStrings,
  encodeColumns,
  encodeStrings,
} from '../src/store/codec.js';

const ASCII = ['', 'src/a.ts', 'javascript/eslint/lib/cli-engine/formatters/json.js', '71cedddab6a5c681d46b'];
const MIXED = [...ASCII, 'naïve.py', 'über/𝔘nicode.rs', '日本語', ''];

/** The same bytes at an odd offset of a larger buffer (as an lmdb read may hand them over). */
function unaligned(b: Uint8Array): Uint8Array {
  const big = new Uint8Array(b.byteLength + 3);
  big.set(b, 3);
  return big.subarray(3);
}

test('string tables round-trip, ASCII or not, aligned or not', () => {
  for (const strings of [ASCII, MIXED, [], Array.from({ length: 1000 }, (_, i) => `s${i}`)]) {
    const bytes = encodeStrings(strings);
    assert.equal(decodeStrings(bytes), strings);
    assert.equal(decodeStrings(unaligned(bytes)), strings);
    for (const b of [bytes, unaligned(bytes)]) {
      const lazy = new LazyStrings(b);
      assert.is(lazy.length, strings.length);
      for (let i = strings.length - 1; i >= 0; i--) assert.is(lazy.get(i), strings[i]);
      assert.is(lazy.get(strings.length), undefined);
      assert.is(lazy.get(-1), undefined);
    }
  }
});

test('columns decode the same copied or in place, and in place shares the bytes', () => {
  const cols = {
    a: Int32Array.from([1, -2, 3]),
    b: Uint8Array.from([9, 8]),
    c: Float64Array.from([0.5, -1e300]),
  };
  const bytes = encodeColumns(cols);
  const copied = decodeColumns(bytes);
  const inPlace = decodeColumns(bytes, true);
  const odd = decodeColumns(unaligned(bytes), true); // unaligned: copied despite `owned`
  for (const d of [copied, inPlace, odd]) {
    assert.equal(Array.from(d.a!), [1, -2, 3]);
    assert.equal(Array.from(d.b!), [9, 8]);
    assert.equal(Array.from(d.c!), [0.5, -1e300]);
  }
  assert.is(inPlace.a!.buffer, bytes.buffer);
  assert.is.not(copied.a!.buffer, bytes.buffer);
});

test.run();
