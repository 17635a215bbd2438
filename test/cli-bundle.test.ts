// `leindex search` from its one-file bundle (src/cli/bundle.cts): the loader runs a current
// bundle with a V8 code cache it writes once and ties to that very file, ignores a stale
// bundle or a cache of another one, and the bundled CLI prints exactly what the compiled
// modules print (results, exit codes, errors, help).

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import bundle from '../src/cli/bundle.cjs';
import { ExitCode } from '../src/errors.js';
import { copyFixture, indexTree, tempDir, type Workspace } from './helpers/workspace.js';

const { bundledSearch, SEARCH_BUNDLE } = bundle;
const BIN = fileURLToPath(new URL('../../bin/leindex.js', import.meta.url));
const TS_BUILD_INFO = fileURLToPath(new URL('../.tsbuildinfo', import.meta.url));

let ws: Workspace;
let repo: Workspace;
test.before(async () => {
  ws = tempDir('leindex-bundle-');
  repo = copyFixture('search-app');
  await indexTree(repo.dir);
});
test.after(() => {
  ws.cleanup();
  repo.cleanup();
});

/** A stand-in bundle: main answers `answer` plus the number of arguments. */
function writeBundle(path: string, answer: number): void {
  writeFileSync(path, `exports.main = async (argv) => ${answer} + argv.length;\n`);
}

test('a bundle runs, writes its code cache once, and the cache is then used', async () => {
  const path = join(ws.dir, 'a.cjs');
  writeBundle(path, 10);
  const first = bundledSearch(path);
  assert.ok(first);
  assert.is(await first(['x', 'y']), 12);
  const cache = readFileSync(`${path}.cache`);
  const st = statSync(path);
  assert.is(cache.subarray(0, 5).toString(), 'LXCC ');
  assert.ok(cache.toString('latin1').startsWith(`LXCC ${st.size} ${st.mtimeMs}\n`));
  const written = statSync(`${path}.cache`).mtimeMs;
  const second = bundledSearch(path);
  assert.ok(second);
  assert.is(await second([]), 10);
  assert.is(statSync(`${path}.cache`).mtimeMs, written, 'an accepted cache is not rewritten');
});

test("a rebuilt bundle of the same length never runs the old bundle's cache", async () => {
  const path = join(ws.dir, 'b.cjs');
  writeBundle(path, 1);
  await bundledSearch(path)!([]);
  // Same length, other code: V8 alone would accept the old cache (it checks the length).
  writeBundle(path, 2);
  utimesSync(path, new Date(), new Date(Date.now() + 5000));
  const rebuilt = bundledSearch(path);
  assert.ok(rebuilt);
  assert.is(await rebuilt([]), 2);
  const st = statSync(path);
  assert.ok(readFileSync(`${path}.cache`).toString('latin1').startsWith(`LXCC ${st.size} ${st.mtimeMs}\n`));
});

test('no bundle, a bundle older than the compiled modules, or LEINDEX_BUNDLE=off: none', () => {
  assert.is(bundledSearch(join(ws.dir, 'missing.cjs')), undefined);
  assert.ok(existsSync(TS_BUILD_INFO), 'tsc writes dist/.tsbuildinfo');
  const path = join(ws.dir, 'old.cjs');
  writeBundle(path, 3);
  const before = new Date(statSync(TS_BUILD_INFO).mtimeMs - 60_000);
  utimesSync(path, before, before);
  assert.is(bundledSearch(path), undefined);
  const fresh = join(ws.dir, 'fresh.cjs');
  writeBundle(fresh, 4);
  process.env.LEINDEX_BUNDLE = 'off';
  try {
    assert.is(bundledSearch(fresh), undefined);
  } finally {
    delete process.env.LEINDEX_BUNDLE;
  }
  assert.ok(bundledSearch(fresh));
});

function cli(args: string[], bundle: 'on' | 'off'): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, LEINDEX_BUNDLE: bundle, NO_COLOR: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('the bundled search prints what the compiled modules print', () => {
  const current =
    existsSync(SEARCH_BUNDLE) && statSync(SEARCH_BUNDLE).mtimeMs >= statSync(TS_BUILD_INFO).mtimeMs;
  // Rewritten by the first bundled run below (a cache is only ever a speed-up).
  if (current) rmSync(`${SEARCH_BUNDLE}.cache`, { force: true });
  const cases: [string[], number][] = [
    [['search', 'where are expired sessions cleaned up', '--path', repo.dir, '--json'], 0],
    [['search', 'SessionStore.revoke', '--path', repo.dir, '--limit', '3'], 0],
    [['search', 'zzqqxxyy', '--path', repo.dir, '--mode', 'text'], ExitCode.noMatch],
    [['search', 'anything', '--path', repo.dir, '--mode', 'fuzzy'], ExitCode.usage],
    [['search', 'anything', '--path', repo.dir, '--no-such-flag'], ExitCode.usage],
    [['search', 'anything', '--path', ws.dir], ExitCode.indexMissing],
    [['search', '--help'], 0],
  ];
  for (const [args, code] of cases) {
    const unbundled = cli(args, 'off');
    const bundled = cli(args, 'on');
    assert.is(unbundled.code, code, `${args.join(' ')}: ${unbundled.stderr}`);
    assert.is(bundled.code, code, args.join(' '));
    assert.is(bundled.stdout, unbundled.stdout, args.join(' '));
    assert.is(bundled.stderr, unbundled.stderr, args.join(' '));
  }
  // With a current bundle (`npm run build`), the runs above went through it: it left its cache.
  if (current) assert.ok(existsSync(`${SEARCH_BUNDLE}.cache`), 'the bundle ran and cached its code');
});

test.run();
