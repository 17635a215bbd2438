// The TypeScript / TSX / JavaScript extractor through the real parse worker entry (parseShard
// on the main thread): annotated fixtures (symbols and refs declared in their comments), doc
// comments, complexity, UTF-16 offsets, empty files, determinism, and 10,000-deep nesting.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FragmentReader } from '../src/graph/fragment.js';
import { NONE, RefKind, SymbolFlag, SymbolKind, type LanguageId } from '../src/protocol.js';
import {
  checkAnnotations,
  describeFragment,
  parseAnnotations,
  refsOfKind,
  symbolRow,
} from './helpers/annotations.js';
import { extractFile, extractSource as extractSourceOf } from './helpers/extract.js';
import { languageForPath } from '../src/pipeline/discover.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/extract/typescript/', import.meta.url));

/** Up to 4 MiB: the generated deep-nesting files are larger than the default limit. */
const extract = (
  absPath: string,
  language: LanguageId = languageForPath(absPath) ?? 'javascript',
): FragmentReader => extractFile(absPath, language, 1 << 22);

/** Extracts a source string written to a temp file (removed afterwards). */
const extractSource = (
  source: string,
  language: LanguageId = 'typescript',
): { f: FragmentReader; text: string } => extractSourceOf(source, language, 1 << 22);

const fixtures = readdirSync(FIXTURES).filter((n) => /\.(ts|tsx|js)$/.test(n));

test('fixtures are present for all three grammars', () => {
  assert.ok(fixtures.length >= 7, `typescript fixtures: ${fixtures.join(', ')}`);
  const langs = new Set(fixtures.map((n) => languageForPath(n)));
  assert.equal([...langs].sort(), ['javascript', 'tsx', 'typescript']);
});

for (const name of fixtures) {
  test(`fixture ${name}: annotated symbols and refs`, () => {
    const path = join(FIXTURES, name);
    const annotations = parseAnnotations(readFileSync(path, 'utf8'), '//');
    assert.ok(annotations.length > 5, 'the fixture declares its expectations');
    const f = extract(path);
    const failures = checkAnnotations(f, annotations);
    assert.ok(failures.length === 0, `${failures.join('\n')}\n--- extracted:\n${describeFragment(f)}`);
  });
}

test('broken.ts: syntax errors are counted, the file still yields its symbols', () => {
  const f = extract(join(FIXTURES, 'broken.ts'));
  assert.ok(f.errorCount >= 2, `errors: ${f.errorCount}`);
  assert.ok(f.symbolCount >= 9, describeFragment(f));
  assert.is(f.sym(symbolRow(f, 'before'), 'flags') & SymbolFlag.hasError, 0);
});

test('recovery.ts: re-parsed by declaration; the parser then parses whole files again', () => {
  const f = extract(join(FIXTURES, 'recovery.ts'));
  // the error regions counted are those of the trees walked: the broken interface only
  assert.ok(f.errorCount >= 1, `errors: ${f.errorCount}`);
  assert.is(f.sym(symbolRow(f, 'Later'), 'flags') & SymbolFlag.hasError, 0);
  // the same thread's parser had included ranges set: the next file is parsed in full
  const { f: next } = extractSource('export function first() {}\n\nexport function last() {}\n');
  assert.is(next.errorCount, 0);
  assert.ok(symbolRow(next, 'first') > 0 && symbolRow(next, 'last') > 0, describeFragment(next));
});

test('doc comments: JSDoc, line comments, directives, blank lines, decorators', () => {
  const { f } = extractSource(
    [
      '/* Copyright header: a plain block comment is never a doc. */',
      'export function licensed() {}',
      '',
      '/**',
      ' * Multi-line JSDoc.',
      ' *',
      ' * @returns nothing',
      ' */',
      '// eslint-disable-next-line no-console',
      'export function jsdoc() {}',
      '',
      '// First line of a line-comment doc',
      '// second line.',
      'function lineDoc() {}',
      '',
      '/** Separated by a blank line. */',
      '',
      'function separated() {}',
      '',
      'lineDoc(); // trailing code comment',
      'function afterTrailing() {}',
      '',
      '/** Decorated. */',
      '@sealed()',
      '@register',
      'class Decorated {',
      '  /** Member doc. */',
      "  @observable('x') value = 1;",
      '  // @ts-ignore',
      '  noDoc() {}',
      '}',
      '',
      'const regex = /a*/;',
      'function afterRegex() {}',
      '',
    ].join('\n'),
  );
  assert.is(f.sym(symbolRow(f, 'licensed'), 'doc'), NONE);
  assert.is(f.symStr(symbolRow(f, 'jsdoc'), 'doc'), 'Multi-line JSDoc.\n\n@returns nothing');
  assert.is(f.symStr(symbolRow(f, 'lineDoc'), 'doc'), 'First line of a line-comment doc\nsecond line.');
  assert.is(f.sym(symbolRow(f, 'separated'), 'doc'), NONE);
  assert.is(f.sym(symbolRow(f, 'afterTrailing'), 'doc'), NONE);
  assert.is(f.symStr(symbolRow(f, 'Decorated'), 'doc'), 'Decorated.');
  assert.is(f.symStr(symbolRow(f, 'Decorated.value'), 'doc'), 'Member doc.');
  assert.is(f.sym(symbolRow(f, 'Decorated.noDoc'), 'doc'), NONE);
  assert.is(f.sym(symbolRow(f, 'afterRegex'), 'doc'), NONE);
});

test('complexity: 1 + decision points of the function itself, not of nested functions', () => {
  const { f } = extractSource(
    [
      'function branchy(a: number, b: number[], c?: string): number {',
      '  if (a > 1) {',
      '    a++;',
      '  } else if (a < 0) {',
      '    a--;',
      '  } else {',
      '    a = 0;',
      '  }',
      '  for (let i = 0; i < a; i++) {}',
      '  for (const x of b) {}',
      '  while (a > 10) a--;',
      '  do { a++; } while (a < 3);',
      '  switch (a) {',
      '    case 1: break;',
      '    case 2: break;',
      '    default: break;',
      '  }',
      '  try { a = 1; } catch (e) { a = 2; }',
      '  const t = a ? 1 : 2;',
      '  const u = (a && b.length) || (c ?? 0);',
      '  const nested = () => (a ? 1 : a && 2);',
      '  return t + Number(u) + nested();',
      '}',
      'const straight = (x: number) => x + 1;',
      '',
    ].join('\n'),
  );
  // if, else-if, for, for-of, while, do, 2 cases, catch, ternary, &&, ||, ?? = 13
  assert.is(f.sym(symbolRow(f, 'branchy'), 'complexity'), 14);
  assert.is(f.sym(symbolRow(f, 'branchy.nested'), 'complexity'), 3);
  assert.is(f.sym(symbolRow(f, 'straight'), 'complexity'), 1);
});

test('offsets are UTF-16 code units and lines 0-based, with non-ASCII text before symbols', () => {
  const source = [
    '// naïve café 🎉🎉 — ünïcödé',
    "const LABEL = '日本語 😀';",
    '',
    'export class Café {',
    '  größe(): string {',
    '    return this.maß + LABEL.trim();',
    '  }',
    '}',
    '/** 🎉 */',
    'function émoji😀() { return größe(); }',
    '',
  ].join('\n');
  const { f, text } = extractSource(source);
  const cls = symbolRow(f, 'Café');
  assert.is(f.sym(cls, 'startOffset'), text.indexOf('class Café'));
  assert.ok(text.slice(f.sym(cls, 'startOffset'), f.sym(cls, 'endOffset')).startsWith('class Café {'));
  assert.ok(text.slice(f.sym(cls, 'startOffset'), f.sym(cls, 'endOffset')).endsWith('}'));
  assert.is(f.sym(cls, 'startLine'), 3);
  assert.is(f.sym(cls, 'endLine'), 7);
  const m = symbolRow(f, 'Café.größe');
  assert.is(f.sym(m, 'kind'), SymbolKind.method);
  assert.ok(text.slice(f.sym(m, 'startOffset'), f.sym(m, 'endOffset')).startsWith('größe(): string {'));
  const fn = symbolRow(f, 'émoji😀');
  assert.ok(text.slice(f.sym(fn, 'startOffset'), f.sym(fn, 'endOffset')).startsWith('function émoji😀()'));
  assert.is(f.symStr(fn, 'doc'), '🎉');
  const read = refsOfKind(f, RefKind.read).find((r) => r.name === 'maß');
  assert.ok(read, 'this.maß is read');
  assert.is(read?.offset, text.indexOf('maß'));
  assert.is(read?.line, 5);
  assert.is(read?.from, m);
  const label = refsOfKind(f, RefKind.read).find((r) => r.name === 'LABEL');
  assert.is(label?.offset, text.indexOf('LABEL.trim'));
  const call = refsOfKind(f, RefKind.call).find((r) => r.name === 'größe');
  assert.is(call?.offset, text.lastIndexOf('größe()'));
  assert.is(call?.from, fn);
  assert.is(f.sym(symbolRow(f, 'LABEL'), 'startOffset'), text.indexOf("const LABEL = '"));
});

test('an empty file gives only the module row', () => {
  for (const language of ['typescript', 'tsx', 'javascript'] as const) {
    const { f } = extractSource('', language);
    assert.is(f.symbolCount, 1, language);
    assert.is(f.refCount, 0, language);
    assert.is(f.errorCount, 0, language);
  }
});

test('JSX in a .js file (javascript grammar) references components', () => {
  const { f } = extractSource(
    'export function App() {\n  return <Layout.Main title="x"><Item /><div /></Layout.Main>;\n}\n',
    'javascript',
  );
  const calls = refsOfKind(f, RefKind.call).map((r) => `${r.qualifier ?? ''}:${r.name}`);
  assert.equal(calls.sort(), [':Item', 'Layout:Main']);
});

test('extraction is deterministic: the same file gives identical fragment bytes', () => {
  const path = join(FIXTURES, 'classes.ts');
  const a = extract(path);
  const b = extract(path);
  assert.ok(a.symbolCount > 10 && a.refCount > 10);
  assert.equal(Buffer.from(a.bytes).equals(Buffer.from(b.bytes)), true);
});

const DEPTH = 10_000;

test(`${DEPTH}-deep nested statements: no stack overflow, every branch counted`, () => {
  const lines = ['export function deep(a: boolean): number {'];
  for (let i = 0; i < DEPTH; i++) lines.push('if (a) {');
  lines.push('helper(a);');
  for (let i = 0; i < DEPTH; i++) lines.push('}');
  lines.push('return 0;', '}', 'function helper(x: boolean) { return x; }', '');
  const { f } = extractSource(lines.join('\n'));
  assert.is(f.errorCount, 0);
  const deep = symbolRow(f, 'deep');
  assert.is(f.sym(deep, 'complexity'), DEPTH + 1);
  assert.is(f.sym(deep, 'endLine'), 2 * DEPTH + 3);
  const call = refsOfKind(f, RefKind.call).find((r) => r.name === 'helper');
  assert.is(call?.from, deep);
  assert.is(call?.line, DEPTH + 1);
});

test(`${DEPTH}-deep nested expressions: calls, arrays and a long call chain`, () => {
  const calls = `export const nested = ${'f(\n'.repeat(DEPTH)}0${'\n)'.repeat(DEPTH)};`;
  const arrays = `const arrays = ${'[\n'.repeat(DEPTH)}1${'\n]'.repeat(DEPTH)};`;
  const chain = `function chained(a: any) {\n  return a${'\n.b()'.repeat(DEPTH)};\n}`;
  const { f } = extractSource([calls, arrays, chain, ''].join('\n'));
  assert.is(f.errorCount, 0);
  const nested = symbolRow(f, 'nested');
  const fCalls = refsOfKind(f, RefKind.call).filter((r) => r.name === 'f');
  assert.is(fCalls.length, DEPTH);
  assert.ok(fCalls.every((r) => r.from === nested && r.aux === 1));
  symbolRow(f, 'arrays');
  const chained = symbolRow(f, 'chained');
  const bCalls = refsOfKind(f, RefKind.call).filter((r) => r.name === 'b');
  assert.is(bCalls.length, DEPTH);
  assert.ok(bCalls.every((r) => r.from === chained && r.aux === 0));
  assert.ok(bCalls.every((r) => (r.qualifier ?? '').length <= 200));
  assert.ok(bCalls.some((r) => r.qualifier === 'a'));
  assert.ok(bCalls.some((r) => r.qualifier === 'a.b()'));
});

test(`${DEPTH}-deep nested functions: every one a symbol, parents chained, names bounded`, () => {
  const lines: string[] = [];
  for (let i = 0; i < DEPTH; i++) lines.push(`function f${i}() {`);
  for (let i = 0; i < DEPTH; i++) lines.push('}');
  lines.push('');
  const { f } = extractSource(lines.join('\n'), 'javascript');
  assert.is(f.symbolCount, DEPTH + 1);
  assert.is(f.symStr(1, 'qualifiedName'), 'f0');
  assert.is(f.symStr(2, 'qualifiedName'), 'f0.f1');
  for (let r = 2; r <= DEPTH; r++) {
    if (f.sym(r, 'parent') !== r - 1) assert.unreachable(`row ${r} parent ${f.sym(r, 'parent')}`);
  }
  const last = f.symStr(DEPTH, 'qualifiedName') ?? '';
  assert.ok(last.length <= 1000, `qualified name length ${last.length}`);
  assert.is(f.symStr(DEPTH, 'name'), `f${DEPTH - 1}`);
});

test('dispatch facts: an annotated local in a function is a declType with the local as alias', () => {
  const { f } = extractSource(
    [
      'export const top: Store = make();',
      'export function run(): void {',
      '  const s: Store | null = pick();',
      '  let d: ns.Disk<A>;',
      '  const plain = pick();',
      '  const { a }: Opts = pick();',
      '}',
    ].join('\n'),
    'typescript',
  );
  const decl = refsOfKind(f, RefKind.declType).map(
    (r) => `${f.symStr(r.from, 'qualifiedName')}|${r.alias ?? ''}|${r.name}|${r.aux}`,
  );
  assert.equal(
    decl,
    ['run|s|Store|null|-1', 'run|d|ns.Disk<A>|-1'],
    'as written, spaces dropped; module-level and destructured left out',
  );
  const js = extractSource('function run() { const s = pick(); }', 'javascript').f;
  assert.is(refsOfKind(js, RefKind.declType).length, 0);
});

test.run();
