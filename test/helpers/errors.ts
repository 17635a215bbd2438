// Test helper: asserting that a call fails with a LeindexError of a given code (and a hint).

import * as assert from 'uvu/assert';
import { LeindexError } from '../../src/errors.js';

/** Runs fn and returns the LeindexError it throws; fails unless its code is `code` and it has a hint (E_USAGE may not). */
export function expectCode(fn: () => unknown, code: string): LeindexError {
  try {
    fn();
  } catch (err) {
    assert.instance(err, LeindexError);
    assert.is((err as LeindexError).code, code, (err as Error).message);
    assert.ok((err as LeindexError).hint ?? code === 'E_USAGE', 'has a hint');
    return err as LeindexError;
  }
  assert.unreachable(`expected ${code}`);
  throw new Error('unreachable');
}
