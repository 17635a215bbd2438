// The search bundle carries lmdb-js's JavaScript and finds lmdb-js's own file (for its addon
// and dictionary) by the path it was bundled from, relative to the bundle; where that path
// does not lead, it resolves `lmdb` as node does. Both must name the file node's resolution
// names: the snippet is taken from the built bundle and run with the bundle's directory and
// with a directory the path does not lead from. Skipped (with a note) without a bundle that
// carries lmdb-js (no esbuild, or lmdb-js not as expected).

import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { compileFunction } from 'node:vm';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import bundle from '../src/cli/bundle.cjs';
import { tempDir } from './helpers/workspace.js';

const { SEARCH_BUNDLE } = bundle;

/** The bundle's `var __lmdbFilename = …;` statement, or undefined. */
function snippet(): string | undefined {
  if (!existsSync(SEARCH_BUNDLE)) return undefined;
  const source = readFileSync(SEARCH_BUNDLE, 'utf8');
  const at = source.indexOf('var __lmdbFilename=');
  if (at < 0) return undefined;
  // The statement ends at the first `})();` after it (an arrow function called at once).
  const end = source.indexOf('})();', at);
  return end < 0 ? undefined : source.slice(at, end + 5);
}

function run(code: string, dir: string, file: string): string {
  const f = compileFunction(`${code}\nreturn __lmdbFilename;`, ['require', '__dirname', '__filename']) as (
    r: NodeRequire,
    d: string,
    f: string,
  ) => string;
  return f(createRequire(file), dir, file);
}

test("lmdb-js's file: by its bundled path, else as node resolves it", () => {
  const code = snippet();
  if (!code) {
    console.log('  (no bundle with lmdb-js inside: run `npm run build`)');
    return;
  }
  const resolved = realpathSync(createRequire(SEARCH_BUNDLE).resolve('lmdb'));
  assert.is(run(code, dirname(SEARCH_BUNDLE), SEARCH_BUNDLE), resolved);
  const ws = tempDir('leindex-lmdbpath-');
  try {
    // From a directory the bundled path does not lead from: node's resolution from the bundle.
    assert.is(run(code, ws.dir, SEARCH_BUNDLE), createRequire(SEARCH_BUNDLE).resolve('lmdb'));
  } finally {
    ws.cleanup();
  }
});

test.run();
