// The real `leindex` binary as a user runs it: stdout carries results, stderr messages,
// exit codes as documented, config validation naming the key.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ExitCode } from '../src/errors.js';
import { copyFixture, leindex, tempDir } from './helpers/workspace.js';

test('index --json prints one JSON summary on stdout and nothing else', () => {
  const ws = copyFixture('py-app');
  try {
    const r = leindex(['index', ws.dir, '--json', '--no-git']);
    assert.is(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as {
      files: { indexed: number };
      generation: number;
      digest: string;
    };
    assert.is(summary.files.indexed, 4);
    assert.is(summary.generation, 1);
    assert.match(summary.digest, /^[0-9a-f]{64}$/);
    const again = leindex(['index', ws.dir, '--no-git']);
    assert.is(again.code, 0);
    assert.match(again.stdout, 'up to date');
  } finally {
    ws.cleanup();
  }
});

test('usage errors: missing path, bad flag value, unknown config key, bad config value', () => {
  const ws = tempDir();
  try {
    const missing = leindex(['index', join(ws.dir, 'nope')]);
    assert.is(missing.code, ExitCode.usage);
    assert.match(missing.stderr, 'does not exist');
    assert.is(missing.stdout, '');
    const threads = leindex(['index', ws.dir, '--threads', 'many']);
    assert.is(threads.code, ExitCode.usage);
    assert.match(threads.stderr, '--threads');
    writeFileSync(join(ws.dir, 'leindex.toml'), 'max_file_size = 1000\nthreds = 2\n');
    const unknown = leindex(['index', ws.dir]);
    assert.is(unknown.code, ExitCode.usage);
    assert.match(unknown.stderr, '"threds"');
    writeFileSync(join(ws.dir, 'leindex.toml'), 'max_file_size = -5\n');
    const bad = leindex(['index', ws.dir]);
    assert.is(bad.code, ExitCode.usage);
    assert.match(bad.stderr, 'max_file_size');
  } finally {
    ws.cleanup();
  }
});

test('leindex.toml and leindex.json settings are applied', () => {
  const ws = copyFixture('ts-app');
  try {
    writeFileSync(
      join(ws.dir, 'leindex.toml'),
      'exclude = ["legacy.js"]\nlanguages = ["typescript"]\nindex_dir = ".idx"\n',
    );
    const r = leindex(['index', ws.dir, '--json', '--no-git']);
    assert.is(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as {
      files: { indexed: number };
      indexDir: string;
      languages: Record<string, number>;
    };
    assert.is(s.indexDir, join(ws.dir, '.idx'));
    assert.equal(Object.keys(s.languages), ['typescript']);
    assert.is(s.files.indexed, 5);
  } finally {
    ws.cleanup();
  }
});

test.run();
