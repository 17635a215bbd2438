// The Rust extractor through the real parse worker entry (parseShard on the main thread):
// annotated fixtures (symbols and refs declared in their comments), doc comments and
// attributes, complexity, UTF-16 offsets, empty files, and 10,000-deep nesting.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FragmentReader } from '../src/graph/fragment.js';
import { NONE, RefKind, SymbolFlag, SymbolKind } from '../src/protocol.js';
import {
  checkAnnotations,
  describeFragment,
  parseAnnotations,
  refsOfKind,
  symbolRow,
} from './helpers/annotations.js';
import { extractFile, extractSource as extractSourceOf } from './helpers/extract.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/extract/rust/', import.meta.url));

const extract = (absPath: string): FragmentReader => extractFile(absPath, 'rust');

/** Extracts a source string written to a temp file. */
const extractSource = (source: string): { f: FragmentReader; text: string } =>
  extractSourceOf(source, 'rust');

const fixtures = readdirSync(FIXTURES).filter((n) => n.endsWith('.rs'));

test('fixtures are present', () => {
  assert.ok(fixtures.length >= 4, `rust fixtures: ${fixtures.join(', ')}`);
});

for (const name of fixtures) {
  test(`fixture ${name}: annotated symbols and refs`, () => {
    const path = join(FIXTURES, name);
    const annotations = parseAnnotations(readFileSync(path, 'utf8'), '//');
    assert.ok(annotations.length > 3, 'the fixture declares its expectations');
    const f = extract(path);
    const failures = checkAnnotations(f, annotations);
    assert.ok(failures.length === 0, `${failures.join('\n')}\n--- extracted:\n${describeFragment(f)}`);
  });
}

test('docs: ///, /** */ and #[doc] above the item, across attributes; not // or after a blank line', () => {
  const { f } = extractSource(
    [
      '//! Crate doc.',
      '//! Second line.',
      '',
      '/// First.',
      '#[derive(Debug)]',
      '/// Second.',
      'pub struct A;',
      '/** Block',
      ' * doc. */',
      'fn b() {}',
      '#[doc = "Attr doc."]',
      'fn c() {}',
      '// plain comment',
      'fn d() {}',
      '/// Detached.',
      '',
      'fn e() {}',
      '',
    ].join('\n'),
  );
  assert.is(f.symStr(0, 'doc'), 'Crate doc.\nSecond line.');
  const a = symbolRow(f, 'A');
  assert.is(f.symStr(a, 'doc'), 'First.\nSecond.');
  assert.is(f.symStr(a, 'signature'), '#[derive(Debug)] pub struct A');
  assert.is(f.symStr(symbolRow(f, 'b'), 'doc'), 'Block\ndoc.');
  assert.is(f.symStr(symbolRow(f, 'c'), 'doc'), 'Attr doc.');
  assert.is(f.sym(symbolRow(f, 'd'), 'doc'), NONE);
  assert.is(f.sym(symbolRow(f, 'e'), 'doc'), NONE);
});

test('complexity counts each decision point once, per fn; match arms count minus one', () => {
  const { f } = extractSource(
    [
      'fn f(a: bool, b: Option<u8>) -> Option<u8> {',
      '    if a && b.is_some() { }',
      '    let v = b?;',
      '    match v { 0 => {}, 1 => {}, _ => {} }',
      '    for _ in 0..v { while a { loop { break; } } }',
      '    fn g(x: bool) -> bool { x || !x }',
      '    Some(v)',
      '}',
    ].join('\n'),
  );
  // if, &&, ?, 2 (3 arms), for, while, loop = 8
  assert.is(f.sym(symbolRow(f, 'f'), 'complexity'), 9);
  assert.is(f.sym(symbolRow(f, 'f.g'), 'complexity'), 2);
});

test('offsets are UTF-16 code units, lines 0-based, with non-ASCII text before symbols', () => {
  const source =
    '// naïve café 🎉🎉 — ünïcödé\nconst LABEL: &str = "日本語 😀";\n\npub struct Café { größe: u8 }\nimpl Café {\n    fn maß(&self) -> u8 { self.größe }\n}\n';
  const { f, text } = extractSource(source);
  const s = symbolRow(f, 'Café');
  assert.is(f.sym(s, 'startOffset'), text.indexOf('pub struct Café'));
  assert.is(f.sym(s, 'startLine'), 3);
  assert.is(f.sym(s, 'endOffset'), text.indexOf('}\nimpl') + 1);
  const m = symbolRow(f, 'Café.maß');
  assert.is(f.sym(m, 'kind'), SymbolKind.method);
  assert.is(f.sym(m, 'parent'), s);
  assert.is(f.sym(m, 'startOffset'), text.indexOf('fn maß'));
  assert.is(f.sym(m, 'startLine'), 5);
  const read = refsOfKind(f, RefKind.read).find((r) => r.name === 'größe');
  assert.is(read?.offset, text.lastIndexOf('größe'));
  assert.is(read?.from, m);
  assert.is(f.sym(symbolRow(f, 'Café.größe'), 'startOffset'), text.indexOf('größe'));
});

test('an empty file gives a fragment with only the module row', () => {
  const { f } = extractSource('');
  assert.is(f.symbolCount, 1);
  assert.is(f.refCount, 0);
});

test('10,000-deep nesting (calls, blocks, closures, mods) does not overflow and still extracts', () => {
  const depth = 10_000;
  const source = [
    'fn calls() -> u32 {',
    `${'f(\n'.repeat(depth)}1${'\n)'.repeat(depth)}`,
    '}',
    'fn blocks() {',
    `${'if a {\n'.repeat(depth)}g();${'\n}'.repeat(depth)}`,
    '}',
    'fn closures() {',
    `let h = ${'|| (\n'.repeat(depth)}0${'\n)'.repeat(depth)};`,
    '}',
    `${'mod m {\n'.repeat(depth)}pub fn leaf() { calls(); }${'\n}'.repeat(depth)}`,
    '',
  ].join('\n');
  const { f } = extractSource(source);
  assert.is(f.errorCount, 0);
  const calls = symbolRow(f, 'calls');
  const fCalls = refsOfKind(f, RefKind.call).filter((r) => r.from === calls && r.name === 'f');
  assert.is(fCalls.length, depth);
  assert.ok(fCalls.every((c) => c.aux === 1));
  assert.is(f.sym(symbolRow(f, 'blocks'), 'complexity'), depth + 1);
  assert.ok(refsOfKind(f, RefKind.call).some((r) => r.from === symbolRow(f, 'blocks') && r.name === 'g'));
  assert.is(f.symbolCount, 1 + 3 + depth + 1, 'three fns, 10,000 mods, the leaf');
  let leaf = -1;
  for (let r = 1; r < f.symbolCount; r++) if (f.symStr(r, 'name') === 'leaf') leaf = r;
  assert.ok(leaf > 0);
  assert.ok(
    (f.symStr(leaf, 'qualifiedName') ?? '').length < 1100,
    'deep qualified names are cut, not quadratic',
  );
  assert.ok(refsOfKind(f, RefKind.call).some((r) => r.from === leaf && r.name === 'calls'));
});

test('impl items attach to a type defined later in the file; Self resolves to the impl type', () => {
  const { f } = extractSource(
    [
      'impl Widget {',
      '    pub fn new() -> Self { Self { n: 0 } }',
      '    fn twice(&self) -> u32 { Self::helper(self.n) }',
      '}',
      'mod inner { pub struct Widget; }',
      'pub struct Widget { n: u32 }',
      '',
    ].join('\n'),
  );
  const widget = symbolRow(f, 'Widget');
  assert.is(f.sym(widget, 'kind'), SymbolKind.struct);
  const ctor = symbolRow(f, 'Widget.new');
  assert.is(f.sym(ctor, 'parent'), widget, 'the top-level Widget, not inner::Widget');
  assert.ok(f.sym(ctor, 'flags') & SymbolFlag.static);
  assert.ok(ctor < widget, 'rows stay in document order');
  assert.equal(
    refsOfKind(f, RefKind.instantiate).map((r) => [r.name, r.from]),
    [['Widget', ctor]],
  );
  assert.equal(
    refsOfKind(f, RefKind.returnType).map((r) => [r.name, r.from]),
    [['Widget', ctor]],
  );
  const helper = refsOfKind(f, RefKind.call).find((r) => r.name === 'helper');
  assert.is(helper?.qualifier, 'Widget');
});

test('types named in bodies (let, turbofish, cast) are typeRefs; generics, std and Self are not', () => {
  const { f } = extractSource(
    [
      'use std::collections::HashMap;',
      'fn load<T: Source>(src: T) -> HashMap<Key, Vec<Entry>> {',
      '    let cfg: Config = src.parse::<Settings>().unwrap();',
      '    let n = cfg.len() as Count;',
      '    let m: std::sync::Mutex<u8> = Default::default();',
      '    HashMap::new()',
      '}',
    ].join('\n'),
  );
  const load = symbolRow(f, 'load');
  const names = refsOfKind(f, RefKind.typeRef)
    .filter((r) => r.from === load)
    .map((r) => r.name)
    .sort();
  assert.equal(names, ['Config', 'Count', 'Entry', 'Key', 'Settings', 'Source']);
  assert.equal(
    refsOfKind(f, RefKind.returnType).map((r) => r.name),
    ['Key'],
  );
  assert.equal(
    refsOfKind(f, RefKind.paramType).map((r) => r.name),
    [],
    'T is a generic parameter, not a user type',
  );
});

test('self field writes through chains and compound assignment; method calls are not reads', () => {
  const { f } = extractSource(
    [
      'struct S { a: Vec<u8>, b: Inner, c: u32, d: u32 }',
      'impl S {',
      '    fn m(&mut self) {',
      '        self.a[0] = 1;',
      '        self.b.x = 2;',
      '        self.c += 3;',
      '        *self.d.get_mut() = 4;',
      '        if self.c == 0 { self.run(); }',
      '    }',
      '}',
    ].join('\n'),
  );
  const m = symbolRow(f, 'S.m');
  const of = (k: number): string[] =>
    refsOfKind(f, k)
      .filter((r) => r.from === m && r.qualifier === 'self')
      .map((r) => r.name)
      .sort();
  assert.equal(of(RefKind.write), ['a', 'b', 'c']);
  assert.equal(of(RefKind.read), ['c', 'd']);
});

test('read/write refs are deduplicated per symbol; calls are not', () => {
  const { f } = extractSource(
    [
      'struct S { x: u32, y: u32 }',
      'impl S {',
      '    fn m(&mut self) {',
      '        self.x = self.y + self.y;',
      '        self.x = self.y;',
      '        self.go();',
      '        self.go();',
      '    }',
      '    fn go(&self) {}',
      '}',
    ].join('\n'),
  );
  const m = symbolRow(f, 'S.m');
  const count = (k: number, name: string): number =>
    refsOfKind(f, k).filter((r) => r.from === m && r.name === name).length;
  assert.is(count(RefKind.read, 'y'), 1);
  assert.is(count(RefKind.write, 'x'), 1);
  assert.is(count(RefKind.read, 'x'), 0);
  assert.is(count(RefKind.call, 'go'), 2);
  assert.is(count(RefKind.read, 'go'), 0);
});

test('items inside item-level macros are symbols, at their own offsets and lines', () => {
  const source = [
    'cfg_rt! {',
    '    /// Spawns.',
    '    pub fn spawn() -> u8 { helper() }',
    '    macro_rules! m { ($x:ident) => { fn $x() {} } }',
    '}',
    'pub trait Ext {',
    '    cfg_io! {',
    '        fn read_to_string(&mut self) -> usize { 0 }',
    '    }',
    '}',
    'thread_local! { static X: u8 = { 1 } }',
    'quote! { pub fn #name() {} }',
    'fn helper() -> u8 { 1 }',
  ].join('\n');
  const { f, text } = extractSource(source);
  const spawn = symbolRow(f, 'spawn');
  assert.is(f.sym(spawn, 'startOffset'), text.indexOf('pub fn spawn'));
  assert.is(f.sym(spawn, 'startLine'), 2);
  assert.is(f.symStr(spawn, 'doc'), 'Spawns.');
  assert.is(f.symStr(spawn, 'signature'), 'pub fn spawn() -> u8');
  assert.ok(symbolRow(f, 'Ext.read_to_string') > 0, 'a trait item inside a macro');
  const names = Array.from({ length: f.symbolCount - 1 }, (_, i) => f.symStr(i + 1, 'qualifiedName'));
  assert.not.ok(names.includes('name'), 'a quote! template is not parsed as items');
  assert.not.ok(names.includes('X'), 'a body that does not parse as items stays a macro');
  assert.ok(
    refsOfKind(f, RefKind.call).some((r) => r.name === 'helper' && r.from === spawn),
    'calls in the body belong to the fn',
  );
  assert.is(f.errorCount, 0);
});

test('dispatch facts: declared types, generic bounds and positions, trait impl methods', () => {
  const { f } = extractSource(
    [
      'pub struct Chan<T, S> { permits: S, list: Vec<T>, inner: Arc<a::Chan<T, S>> }',
      "impl<'a, T, S: Permits + Send> Rx<'a, T, S> where T: Clone + a::Item {",
      '    fn permits(&self) -> &S { &self.permits }',
      "    fn recv(&mut self, cx: &mut Context<'_>, n: usize) -> Self { todo!() }",
      '}',
      'fn drain<R>(r: &dyn Read, x: impl Write) -> R where R: de::Deserialize {}',
      'impl Permits for crate::b::Bounded { fn add_permit(&self) {} }',
      'impl Clone for Bounded { fn clone(&self) -> Self { todo!() } }',
    ].join('\n'),
  );
  const rowOf = (q: string): number => symbolRow(f, q);
  const decl = refsOfKind(f, RefKind.declType).map(
    (r) => `${f.symStr(r.from, 'qualifiedName')}|${r.alias ?? ''}|${r.name}`,
  );
  assert.ok(decl.includes('Chan.permits||S'), decl.join('\n'));
  assert.ok(decl.includes('Chan.inner||Arc<a::Chan<T,S>>'), 'references and spaces dropped, generics kept');
  assert.equal(
    decl.filter((d) => d.startsWith('Chan.list|')),
    ['Chan.list||[]T'],
    'a std collection is only its element type (for loops), never a receiver type',
  );
  assert.ok(decl.includes('Rx.permits||S'), 'a return type');
  assert.ok(decl.includes('Rx.recv|cx|Context'), 'a parameter, lifetime dropped');
  assert.ok(decl.includes('Rx.recv||Rx'), '`Self` is the impl type');
  assert.ok(!decl.some((d) => d.startsWith('Rx.recv|n|')), 'a primitive types nothing');
  assert.ok(decl.includes('drain|r|Read') && decl.includes('drain|x|Write'), '`dyn` / `impl` dropped');
  const params = refsOfKind(f, RefKind.typeParam).map(
    (r) => `${f.symStr(r.from, 'qualifiedName')}|${r.name}|${r.qualifier ?? ''}|${r.aux}`,
  );
  assert.ok(params.includes('Chan|S||1'), params.join('\n'));
  assert.ok(
    params.includes('Rx.permits|S|Permits|1'),
    'impl bound, position in `Rx<T, S>` (lifetimes skipped)',
  );
  assert.ok(params.includes('Rx.recv|T|a::Item|0'), 'a where-clause bound; std marker traits dropped');
  assert.ok(params.includes('drain|R|de::Deserialize|-1'), "a fn's own bounded generic");
  const impls = refsOfKind(f, RefKind.implOf).map(
    (r) => `${r.from === rowOf('Bounded.add_permit')}|${r.name}|${r.alias ?? ''}`,
  );
  assert.equal(impls, ['true|Permits|crate::b::Bounded'], 'std trait impls (Clone) are left out');
});

test('dispatch facts: `let x: T` in a fn body is a declType of the fn with the local as alias', () => {
  const { f } = extractSource(
    [
      'fn run() {',
      '    let g: Gauge = Default::default();',
      '    let mut p: Box<dyn a::Permits> = pick();',
      '    let (a, b): (A, B) = pair();',
      '    let v: Vec<Gauge> = Vec::new();',
      '    let n = x as Gauge;',
      '}',
    ].join('\n'),
  );
  const decl = refsOfKind(f, RefKind.declType).map(
    (r) => `${f.symStr(r.from, 'qualifiedName')}|${r.alias ?? ''}|${r.name}|${r.aux}`,
  );
  assert.ok(decl.includes('run|g|Gauge|-1'), decl.join('\n'));
  assert.ok(decl.includes('run|p|Box<a::Permits>|-1'), '`mut` and `dyn` dropped');
  assert.ok(decl.includes('run|v|[]Gauge|-1'), 'a std collection: its element type, marked []');
  assert.equal(decl.length, 3, 'patterns and casts give none');
});

test('dispatch facts: closure parameters, closure-trait bounds and `impl Fn` parameter types', () => {
  const { f } = extractSource(
    [
      'pub fn get<T, F>(mut f: F) -> T where F: FnMut(&Dispatch) -> T { todo!() }',
      'pub fn each(f: impl Fn(usize, &mut Gauge)) {}',
      'fn run() {',
      '    get(|current| current.event());',
      '    each(move |_, g| g.level());',
      '    get(|t: &Tick| t.n());',
      '    get(|(a, b)| a);',
      '}',
    ].join('\n'),
  );
  const decl = refsOfKind(f, RefKind.declType).map(
    (r) => `${f.symStr(r.from, 'qualifiedName')}|${r.alias ?? ''}|${r.name}`,
  );
  assert.ok(decl.includes('run|current|#0.0'), decl.join('\n'));
  assert.ok(decl.includes('run|g|#0.1'), 'the second parameter of a two-parameter closure; `_` skipped');
  assert.ok(decl.includes('run|t|Tick'), 'an annotated closure parameter has its type');
  assert.ok(!decl.some((d) => d.startsWith('run|a|')), 'a pattern parameter has none');
  assert.ok(decl.includes('each|f|Fn(usize,Gauge)'), '`impl Fn(..)` kept with its argument types');
  const params = refsOfKind(f, RefKind.typeParam).map((r) => `${r.name}|${r.qualifier ?? ''}`);
  assert.ok(params.includes('F|FnMut(Dispatch)'), params.join('\n'));
});

test.run();
