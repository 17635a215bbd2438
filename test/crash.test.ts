// kill -9 at many points of a real `leindex index` child process: after each kill the
// previous generation is still current and whole, and the next run recovers by itself.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { graphDigest } from '../src/graph/graph.js';
import { BLOB } from '../src/store/layout.js';
import { IndexReader } from '../src/store/read.js';
import { IndexWriter } from '../src/store/write.js';
import { BIN, indexTree, tempDir } from './helpers/workspace.js';

function writeTree(root: string, files: number, variant: number): void {
  for (let i = 0; i < files; i++) {
    const dir = join(root, `pkg${i % 20}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, `m${i}.ts`),
      `import { f${(i + 1) % files} } from '../pkg${(i + 1) % 20}/m${(i + 1) % files}';\n` +
        `export function f${i}(x: number): number {\n  return x > ${variant} ? f${(i + 1) % files}(x - 1) : ${i};\n}\n` +
        `export class C${i} {\n  run(): number {\n    return f${i}(${variant});\n  }\n}\n`,
    );
  }
}

/** The store's current generation and its graph digest, as a fresh reader sees them. */
async function current(idx: string): Promise<{ generation: number; digest: string }> {
  const reader = IndexReader.open(idx);
  try {
    return { generation: reader.generation, digest: graphDigest(reader.graph()) };
  } finally {
    await reader.close();
  }
}

function runAndKill(root: string, afterMs: number): Promise<{ killed: boolean; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'index', root, '--no-git', '--threads', '2', '-q'], {
      stdio: 'ignore',
    });
    let done = false;
    const timer = setTimeout(() => {
      if (!done) child.kill('SIGKILL');
    }, afterMs);
    child.on('exit', (code, signal) => {
      done = true;
      clearTimeout(timer);
      resolve({ killed: signal === 'SIGKILL', code });
    });
  });
}

test('kill -9 mid-index leaves the previous index usable; the next run recovers', async () => {
  const ws = tempDir();
  try {
    writeTree(ws.dir, 1500, 1);
    const first = await indexTree(ws.dir);
    // A changed tree: every file differs, so the killed runs have real work in flight.
    writeTree(ws.dir, 1500, 2);
    const expected = await indexTree(ws.dir, { indexDir: join(ws.dir, '.expected') }, { rebuild: true });
    let kills = 0;
    let killedBeforeSwitch = 0;
    let completed = false;
    for (const delay of [150, 400, 700, 1000, 1400, 1900, 2500, 3200, 4000, 6000]) {
      const r = await runAndKill(ws.dir, delay);
      if (!r.killed) {
        assert.is(r.code, 0, 'an unkilled run succeeds');
        completed = true;
        break;
      }
      kills++;
      const reader = IndexReader.open(join(ws.dir, '.leindex'));
      try {
        // Killed before the generation switch: the previous index, whole. Killed after it
        // (during clean-up): the new index, whole. Never anything in between.
        const digest = graphDigest(reader.graph());
        if (reader.generation === first.generation) {
          assert.is(digest, first.digest, `after a kill at ${delay} ms the previous generation is whole`);
          killedBeforeSwitch++;
        } else {
          assert.is(digest, expected.digest, `after a kill at ${delay} ms the new generation is whole`);
        }
        assert.is(reader.fileTable().relPath.length, 1500);
      } finally {
        await reader.close();
      }
    }
    assert.ok(
      killedBeforeSwitch >= 2,
      `killed mid-index before the switch at least twice (${killedBeforeSwitch} of ${kills})`,
    );
    const after = await indexTree(ws.dir);
    assert.ok(completed || after.generation > first.generation);
    assert.is(after.files.indexed, 1500);
    assert.is(after.digest, expected.digest, 'the recovered index equals a fresh one');
  } finally {
    ws.cleanup();
  }
});

test('Ctrl-C (SIGINT) stops cleanly with exit 130, releases the lock, keeps the previous index', async () => {
  const ws = tempDir();
  try {
    // 3,000 changed files take seconds to parse; the signal comes as soon as indexing starts.
    writeTree(ws.dir, 3000, 1);
    const first = await indexTree(ws.dir);
    writeTree(ws.dir, 3000, 3);
    const child = spawn(process.execPath, [BIN, 'index', ws.dir, '--no-git', '--threads', '2', '-q'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Signal once the indexer holds the writer lock: its Ctrl-C handler is installed by then
    // (a signal during module loading would just kill the process, which the test above covers).
    const lock = join(ws.dir, '.leindex', 'writer.lock');
    for (let i = 0; i < 600 && !existsSync(lock); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(existsSync(lock), 'the indexer started');
    child.kill('SIGINT');
    const code = await exited;
    assert.is(code, 130, stderr);
    assert.match(stderr, 'previous index');
    assert.not.ok(existsSync(join(ws.dir, '.leindex', 'writer.lock')), 'the writer lock is released');
    assert.equal(await current(join(ws.dir, '.leindex')), {
      generation: first.generation,
      digest: first.digest,
    });
  } finally {
    ws.cleanup();
  }
});

test('blobs written ahead of the switch stay invisible; a writer that stops before it leaves them to the next', async () => {
  const ws = tempDir();
  try {
    writeTree(ws.dir, 30, 1);
    const first = await indexTree(ws.dir, { embeddings: false });
    const idx = join(ws.dir, '.leindex');
    const { writer } = await IndexWriter.open(idx, { rebuild: false });
    const gen = writer.nextGeneration;
    const junk = new Uint8Array(1000).fill(7);
    try {
      writer.begin();
      // Names the generation will have, with bytes no reader could decode.
      await writer.putBlobs({ [BLOB.graph]: junk, [BLOB.files]: junk });
      const got = writer.blobAt(gen, BLOB.graph);
      assert.ok(got && Buffer.from(got).equals(Buffer.from(junk)), 'committed before the switch');
      assert.equal(await current(idx), { generation: first.generation, digest: first.digest });
    } finally {
      // Stops here: no publish.
      await writer.close();
    }
    const { writer: next } = await IndexWriter.open(idx, { rebuild: false });
    try {
      assert.is(next.crashedGeneration, gen);
      assert.is(next.blobAt(gen, BLOB.graph), undefined, 'the stopped generation is dropped');
      assert.ok((next.blobAt(first.generation, BLOB.graph)?.byteLength ?? 0) > 0, 'the previous one stays');
    } finally {
      await next.close();
    }
    // The next run publishes over the same generation number, whole.
    writeTree(ws.dir, 30, 2);
    const again = await indexTree(ws.dir, { embeddings: false });
    assert.is(again.generation, gen);
    assert.is((await current(idx)).digest, again.digest);
  } finally {
    ws.cleanup();
  }
});

test.run();
