// The index command's restart with a capped V8 young generation (src/governor/restart.ts):
// which flags a budget gets, the argv of the exec (the user's own flags win, no second
// restart), and the real CLI at a one-worker budget: it restarts itself in place, prints its
// summary through the same stdout and publishes the digest of an unrestarted run.

import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { reexecAvailable } from '../native/memtrim.js';
import type { MemoryBudget } from '../src/governor/budget.js';
import { RESTARTED_ENV, heapFlagsFor, restartArgv } from '../src/governor/restart.js';
import { BIN, copyFixture } from './helpers/workspace.js';

const MB = 2 ** 20;
const budget = (mb: number, source: MemoryBudget['source'] = 'flag'): MemoryBudget => ({
  bytes: mb * MB,
  source,
  detail: `${mb} MB`,
});

test('heapFlagsFor: a semi-space of 1/32 of a one-worker budget under 200 MB, nothing otherwise', () => {
  assert.equal(heapFlagsFor(budget(160)), ['--max-semi-space-size=5']);
  assert.equal(heapFlagsFor(budget(190, 'cgroup-v2')), ['--max-semi-space-size=5']);
  assert.equal(heapFlagsFor(budget(128, 'env')), ['--max-semi-space-size=4']);
  assert.equal(heapFlagsFor(budget(96)), ['--max-semi-space-size=3']);
  // Below the floor the run stops anyway; at 256 MB the restart costs more than it saves (one
  // worker, restart.ts); two workers fit at 512 (the parse sets that peak).
  assert.equal(heapFlagsFor(budget(64)), []);
  assert.equal(heapFlagsFor(budget(256)), []);
  assert.equal(heapFlagsFor(budget(300, 'cgroup-v2')), []);
  assert.equal(heapFlagsFor(budget(512)), []);
  assert.equal(heapFlagsFor(budget(256, 'physical')), []);
});

test('restartArgv: node options, then the flags, then the script and its arguments', () => {
  const start = {
    argv0: 'node',
    argv: ['/usr/bin/node', '/x/bin/leindex.js', 'index', '.', '--memory-budget', '256'],
    execArgv: ['--import', 'data:text/javascript,0'],
    env: {},
  };
  const flags = ['--max-semi-space-size=4'];
  assert.equal(restartArgv(start, flags), [
    'node',
    '--import',
    'data:text/javascript,0',
    '--max-semi-space-size=4',
    '/x/bin/leindex.js',
    'index',
    '.',
    '--memory-budget',
    '256',
  ]);
  assert.is(restartArgv(start, []), undefined, 'no flags: no restart');
  assert.is(restartArgv({ ...start, env: { [RESTARTED_ENV]: '1' } }, flags), undefined, 'only once');
  // The user's own value wins, however spelled.
  assert.is(restartArgv({ ...start, execArgv: ['--max-semi-space-size=8'] }, flags), undefined);
  assert.is(
    restartArgv({ ...start, env: { NODE_OPTIONS: '--max_semi_space_size=2 --trace-gc' } }, flags),
    undefined,
  );
});

test('CLI: at 160 MB the index command restarts with the flag, same stdout, same digest; at 256 it does not', () => {
  if (!reexecAvailable) {
    console.log('  (memtrim addon not built, or built before reexec: no restart to test)');
    return;
  }
  const ws = copyFixture('ts-app');
  try {
    const run = (extra: string[]): { digest: string; memory: { heapFlags: string[] } } => {
      const r = spawnSync(
        process.execPath,
        [BIN, 'index', ws.dir, '--no-git', '--rebuild', '--json', '-q', ...extra],
        {
          encoding: 'utf8',
          env: { ...process.env, [RESTARTED_ENV]: undefined },
        },
      );
      assert.is(r.status, 0, r.stderr);
      return JSON.parse(r.stdout) as { digest: string; memory: { heapFlags: string[] } };
    };
    const free = run([]);
    assert.equal(free.memory.heapFlags, [], 'no budget: no restart');
    const tight = run(['--memory-budget', '160']);
    assert.equal(tight.memory.heapFlags, ['--max-semi-space-size=5']);
    assert.is(tight.digest, free.digest);
    const at256 = run(['--memory-budget', '256']);
    assert.equal(at256.memory.heapFlags, [], '256 MB: no restart');
    assert.is(at256.digest, free.digest);
  } finally {
    ws.cleanup();
  }
});

test.run();
