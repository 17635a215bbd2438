// The receiver-chain and type-text readers of src/graph/dispatch-types.ts (the edges themselves are
// stated by the annotated rs-dispatch / ts-dispatch fixture repos in resolve.test.ts).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_DISPATCH_IMPLS } from '../src/graph/dispatch.js';
import { fieldAnnotation } from '../src/graph/dispatch-facts.js';
import { parseType, splitChain } from '../src/graph/dispatch-types.js';

test('splitChain: fields, calls (arguments skipped), `?` and `.await`, paths', () => {
  assert.equal(splitChain('self.chan.semaphore().semaphore'), [
    { name: 'self', call: false },
    { name: 'chan', call: false },
    { name: 'semaphore', call: true },
    { name: 'semaphore', call: false },
  ]);
  assert.equal(splitChain('x.get(a, (b, c))?.inner.await'), [
    { name: 'x', call: false },
    { name: 'get', call: true },
    { name: 'inner', call: false },
  ]);
  assert.equal(splitChain('a::Type::new(1).run'), [
    { name: 'a::Type::new', call: true },
    { name: 'run', call: false },
  ]);
  assert.equal(splitChain('parse::<u8>(s).x'), [
    { name: 'parse', call: true },
    { name: 'x', call: false },
  ]);
});

test('splitChain: not a plain chain -> undefined', () => {
  assert.is(splitChain('xs[0].y'), undefined);
  assert.is(splitChain('"a".len'), undefined);
  assert.is(splitChain('f(a'), undefined);
});

test('parseType: path segments and top-level generic arguments', () => {
  assert.equal(parseType('chan::Tx<T,Semaphore>'), { segs: ['chan', 'Tx'], args: ['T', 'Semaphore'] });
  assert.equal(parseType('Arc<Chan<T,S>>'), { segs: ['Arc'], args: ['Chan<T,S>'] });
  assert.equal(parseType('S'), { segs: ['S'], args: [] });
  assert.equal(parseType('Map<K,(A,B)>'), { segs: ['Map'], args: ['K', '(A,B)'] });
  assert.is(parseType('(A,B)'), undefined);
  assert.is(parseType('[u8]'), undefined);
});

test('the fan-out cap is small', () => {
  assert.ok(MAX_DISPATCH_IMPLS >= 2 && MAX_DISPATCH_IMPLS <= 8);
});

test.run();

test('fieldAnnotation: one type (null / undefined dropped), else undefined', () => {
  assert.is(fieldAnnotation('private store: Store'), 'Store');
  assert.is(fieldAnnotation('readonly mem?: ns.MemoryStore | undefined;'), 'ns.MemoryStore');
  assert.is(fieldAnnotation('cache: Holder<A | B> | null = null'), 'Holder<A|B>');
  assert.is(fieldAnnotation('xs: Store[]'), undefined);
  assert.is(fieldAnnotation('x: A | B'), undefined);
  assert.is(fieldAnnotation('f: (a: A) => B'), undefined);
  assert.is(fieldAnnotation('plain = 1'), undefined);
});
