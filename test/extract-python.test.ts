// The Python extractor through the real parse worker entry (parseShard on the main thread):
// annotated fixtures (symbols and refs declared in their comments), docstrings, complexity,
// UTF-16 offsets, empty files, and 10,000-deep nesting.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FragmentReader } from '../src/graph/fragment.js';
import { NONE, REF_KIND_NAMES, RefKind, SymbolFlag, SymbolKind } from '../src/protocol.js';
import {
  checkAnnotations,
  describeFragment,
  parseAnnotations,
  refsOfKind,
  symbolRow,
} from './helpers/annotations.js';
import { extractFile, extractSource as extractSourceOf } from './helpers/extract.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/extract/python/', import.meta.url));

const extract = (absPath: string): FragmentReader => extractFile(absPath, 'python');

/** Extracts a source string written to a temp file. */
const extractSource = (source: string): { f: FragmentReader; text: string } =>
  extractSourceOf(source, 'python');

const fixtures = readdirSync(FIXTURES).filter((n) => n.endsWith('.py'));

test('fixtures are present', () => {
  assert.ok(fixtures.length >= 4, `python fixtures: ${fixtures.join(', ')}`);
});

for (const name of fixtures) {
  test(`fixture ${name}: annotated symbols and refs`, () => {
    const path = join(FIXTURES, name);
    const annotations = parseAnnotations(readFileSync(path, 'utf8'), '#');
    assert.ok(annotations.length > 3, 'the fixture declares its expectations');
    const f = extract(path);
    const failures = checkAnnotations(f, annotations);
    assert.ok(failures.length === 0, `${failures.join('\n')}\n--- extracted:\n${describeFragment(f)}`);
  });
}

test('docstrings: module, class, function; a string that is not first is no docstring', () => {
  const { f } = extractSource(
    [
      '#!/usr/bin/env python',
      '"""Module doc."""',
      'class A:',
      "    r'''Raw',",
      '        indented.',
      "    '''",
      'def f():',
      '    # a comment first',
      '    """F doc."""',
      'def g():',
      '    x = 1',
      '    """not a docstring"""',
      'def h(): "one-liner"',
      '',
    ].join('\n'),
  );
  assert.is(f.symStr(0, 'doc'), 'Module doc.');
  assert.is(f.symStr(symbolRow(f, 'A'), 'doc'), "Raw',\nindented.");
  assert.is(f.symStr(symbolRow(f, 'f'), 'doc'), 'F doc.');
  assert.is(f.sym(symbolRow(f, 'g'), 'doc'), NONE);
  assert.is(f.symStr(symbolRow(f, 'h'), 'doc'), 'one-liner');
});

test('complexity counts each decision point once, per function', () => {
  const { f } = extractSource(
    [
      'def f(a, b):',
      '    if a and b:',
      '        pass',
      '    elif a or b:',
      '        pass',
      '    for x in [i for i in a if i]:',
      '        while x:',
      '            x = x - 1 if x else 0',
      '    try:',
      '        pass',
      '    except Exception:',
      '        pass',
      '    def g():',
      '        return 1 if a else 2',
      '    return g',
      '',
    ].join('\n'),
  );
  // if, and, elif, or, for, comprehension if, while, ternary, except = 9
  assert.is(f.sym(symbolRow(f, 'f'), 'complexity'), 10);
  assert.is(f.sym(symbolRow(f, 'f.g'), 'complexity'), 2);
});

test('offsets are UTF-16 code units, lines 0-based, with non-ASCII text before symbols', () => {
  const source =
    '# naïve café 🎉🎉 — ünïcödé\nLABEL = "日本語 😀"\n\nclass Café:\n    def größe(self):\n        return self.maß\n';
  const { f, text } = extractSource(source);
  const cls = symbolRow(f, 'Café');
  assert.is(f.sym(cls, 'startOffset'), text.indexOf('class Café'));
  assert.is(f.sym(cls, 'startLine'), 3);
  assert.is(f.sym(cls, 'endOffset'), text.length - 1);
  const m = symbolRow(f, 'Café.größe');
  assert.is(f.sym(m, 'kind'), SymbolKind.method);
  assert.is(f.sym(m, 'startOffset'), text.indexOf('def größe'));
  const read = refsOfKind(f, RefKind.read).find((r) => r.name === 'maß');
  assert.ok(read, 'self.maß is read');
  assert.is(read?.offset, text.indexOf('maß'));
  assert.is(read?.from, m);
  assert.is(f.sym(symbolRow(f, 'LABEL'), 'startOffset'), text.indexOf('LABEL'));
});

test('an empty file gives a fragment with only the module row', () => {
  const { f } = extractSource('');
  assert.is(f.symbolCount, 1);
  assert.is(f.refCount, 0);
  assert.is(f.errorCount, 0);
});

test('10,000-deep nesting does not overflow the stack and still extracts', () => {
  const depth = 10_000;
  // Brackets let each level sit on its own (indented) line: one 10,000-character line would
  // be skipped as minified.
  const nest = (open: string, leaf: string): string =>
    `(\n${`        ${open}\n`.repeat(depth)}        ${leaf}\n${'        )\n'.repeat(depth)}    )`;
  const source = [
    'def deep(x):',
    `    return ${nest('f(', 'x')}`,
    'def lam():',
    `    return ${nest('(lambda:', '0')}`,
    'def nested_ifs(a):',
    `    return ${nest('(1 if a else', '0')}`,
    'def tail():',
    '    return deep(1)',
    '',
  ].join('\n');
  const { f } = extractSource(source);
  const deep = symbolRow(f, 'deep');
  const calls = refsOfKind(f, RefKind.call).filter((r) => r.from === deep && r.name === 'f');
  assert.is(calls.length, depth);
  assert.ok(calls.every((c) => c.aux === 1));
  assert.is(f.sym(symbolRow(f, 'nested_ifs'), 'complexity'), depth + 1);
  assert.ok(refsOfKind(f, RefKind.call).some((r) => r.from === symbolRow(f, 'tail') && r.name === 'deep'));
  assert.is(f.errorCount, 0);
  assert.is(f.symbolCount, 5);
});

test('read/write refs are deduplicated per symbol; calls are not', () => {
  const { f } = extractSource(
    [
      'class A:',
      '    def m(self):',
      '        self.x = self.y + self.y',
      '        self.x = self.y',
      '        self.go()',
      '        self.go()',
      '',
    ].join('\n'),
  );
  const m = symbolRow(f, 'A.m');
  const kinds = (k: number, name: string): number =>
    refsOfKind(f, k).filter((r) => r.from === m && r.name === name).length;
  assert.is(kinds(RefKind.read, 'y'), 1);
  assert.is(kinds(RefKind.write, 'x'), 1);
  assert.is(kinds(RefKind.read, 'x'), 0);
  assert.is(kinds(RefKind.call, 'go'), 2);
  assert.is(kinds(RefKind.read, 'go'), 0);
});

test('every ref kind the extractor emits is a known kind, and every from is a row or NONE', () => {
  const f = extract(join(FIXTURES, 'task_queue.py'));
  for (let r = 0; r < f.refCount; r++) {
    assert.ok(REF_KIND_NAMES[f.ref(r, 'kind')] !== undefined);
    const from = f.ref(r, 'from');
    assert.ok(from === NONE || (from >= 0 && from < f.symbolCount), `ref ${r} from ${from}`);
  }
  for (let s = 1; s < f.symbolCount; s++) {
    const parent = f.sym(s, 'parent');
    assert.ok(parent >= 0 && parent < f.symbolCount);
    assert.ok((f.sym(s, 'flags') & SymbolFlag.exported) === 0, 'Python has no export marker');
  }
});

test.run();
