// The merge's name table (one byte-keyed index for fragment strings and JS strings alike): the
// same text gets one id whichever way it arrives first, bytes that are not valid UTF-8 share
// the id of the text they decode to, a string without UTF-8 of its own (a lone surrogate) still
// interns, and lookups never add.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FragmentBuilder, FragmentReader } from '../src/graph/fragment.js';
import { NameTable } from '../src/graph/merge.js';
import { NONE } from '../src/protocol.js';

/** A fragment whose string ids 0, 1, … are `strings`. */
function fragmentOf(strings: string[]): FragmentReader {
  const b = new FragmentBuilder();
  for (const s of strings) b.intern(s);
  return new FragmentReader(b.toBytes());
}

/** A fragment with one string whose UTF-8 byte at `at` is replaced by `byte`. */
function corrupted(text: string, at: number, byte: number): FragmentReader {
  const clean = fragmentOf([text]);
  const bytes = clean.bytes.slice();
  bytes[clean.strStart(0) + at] = byte;
  return new FragmentReader(bytes);
}

test('a string interned from JS and the same fragment string share one id, either order', () => {
  const a = fragmentOf(['run', 'load', 'größe', '名前', '😀x', '']);
  const b = fragmentOf(['load', 'run', '😀x', 'größe', '', '名前']);
  const names = new NameTable([a.stringCount, b.stringCount]);
  const run = names.intern('run');
  assert.is(names.id(0, a, 0), run);
  const load = names.id(0, a, 1);
  assert.is(names.lookup('load'), load);
  assert.is(names.intern('load'), load);
  for (let i = 0; i < a.stringCount; i++) {
    const text = a.str(i) ?? '';
    const id = names.id(0, a, i);
    assert.is(names.list[id], text);
    assert.is(names.intern(text), id, text);
    const inB = [...Array(b.stringCount).keys()].find((k) => b.str(k) === text) ?? NONE;
    assert.is(names.id(1, b, inB), id);
  }
  assert.is(new Set(names.list).size, names.list.length, 'no text twice');
});

test('invalid UTF-8 shares the id of the text it decodes to; lone surrogates intern apart', () => {
  const x = corrupted('aXb', 1, 0xff);
  const y = corrupted('aYb', 1, 0xfe);
  const names = new NameTable([x.stringCount, y.stringCount]);
  const id = names.id(0, x, 0);
  assert.is(names.list[id], 'a\ufffdb');
  assert.is(names.id(1, y, 0), id);
  assert.is(names.intern('a\ufffdb'), id);
  const lone = names.intern('\ud800');
  assert.is.not(lone, NONE);
  assert.is.not(lone, names.intern('\ufffd'));
  assert.is(names.lookup('\ud800'), lone);
  assert.is(names.list[lone], '\ud800');
});

test('lookup never adds a name', () => {
  const names = new NameTable([]);
  const before = names.list.length;
  assert.is(names.lookup('absent'), NONE);
  assert.is(names.lookup('absent'), NONE);
  assert.is(names.list.length, before);
  const id = names.intern('absent');
  assert.is(names.lookup('absent'), id);
});

test('many names: ids stay distinct and stable across the index growing', () => {
  const names = new NameTable([]);
  const ids: number[] = [];
  for (let i = 0; i < 200_000; i++) ids.push(names.intern(`n${i}`));
  for (let i = 0; i < 200_000; i += 997) assert.is(names.lookup(`n${i}`), ids[i]);
  assert.is(new Set(ids).size, ids.length);
});

test.run();
