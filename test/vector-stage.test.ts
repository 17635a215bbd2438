// The index run's vector stage: the batched adds used after the parse under a one-worker
// budget (VectorStage.addAll, and the spool that keeps the vectors until then) give the same
// vectors under the same keys as adding file by file.

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FragmentReader } from '../src/graph/fragment.js';
import { VectorSpool } from '../src/pipeline/vector-spool.js';
import { VECTOR_DIR, VectorStage, splitVectorKey, vectorKey } from '../src/pipeline/vectors.js';
import { silentLogger } from '../src/util/log.js';
import { VectorIndexBuilder } from '../src/vector/builder.js';
import { parseShard } from '../workers/parse-worker.js';
import { FIXTURE_REPOS, tempDir } from './helpers/workspace.js';

const FILES = [
  ['ts-app', 'src/repo.ts', 'typescript'],
  ['ts-app', 'src/service.ts', 'typescript'],
  ['ts-app', 'src/models/user.ts', 'typescript'],
  ['ts-app', 'src/util.ts', 'typescript'],
  ['py-app', 'app.py', 'python'],
  ['py-app', 'pkg/service.py', 'python'],
  ['py-app', 'pkg/models.py', 'python'],
] as const;

/** The fixture files' fragments, with vectors (the parse worker's code, on this thread). */
function fragments(): { relPath: string; fragment: FragmentReader }[] {
  const result = parseShard({
    files: FILES.map(([repo, rel, language]) => ({
      absPath: join(FIXTURE_REPOS, repo, rel),
      relPath: `${repo}/${rel}`,
      language,
    })),
    maxFileBytes: 1 << 20,
    extract: true,
    embed: true,
  });
  return result.outcomes.map((o) => {
    if (o.status !== 'ok') throw new Error(`${o.relPath} not parsed: ${o.status}`);
    return {
      relPath: o.relPath,
      fragment: new FragmentReader(new Uint8Array(result.buffer, o.offset, o.length)),
    };
  });
}

/** A vector stage for a first build into `indexDir` (no previous index), on one thread. */
function freshStage(indexDir: string): VectorStage {
  return new VectorStage({
    indexDir,
    generation: 1,
    prevFiles: undefined,
    prevVectors: undefined,
    threads: 1,
    log: silentLogger,
  });
}

/** Every vector's 3 nearest keys in the saved index (an exact answer at this size). */
function neighbours(
  indexDir: string,
  file: string,
  inputs: readonly { relPath: string; fragment: FragmentReader }[],
): string[] {
  const b = VectorIndexBuilder.fromFile(join(indexDir, VECTOR_DIR, file), { threads: 1 });
  const out: string[] = [];
  for (const { relPath, fragment } of inputs)
    for (let i = 0; i < fragment.vectorCount; i++)
      out.push(`${relPath}#${i}: ${Array.from(b.search(fragment.vector(i), 3).keys).join(' ')}`);
  return out;
}

test('addAll in small batches (and a file bigger than a batch) = add file by file', () => {
  const inputs = fragments();
  const rows = inputs.map((i) => i.fragment.vectorCount);
  assert.ok(
    rows.filter((n) => n > 0).length >= 4 && Math.max(...rows) > 5,
    `vectors in several files, one with more than a batch: ${rows.join(',')}`,
  );
  const dirs = [tempDir(), tempDir()];
  try {
    const stage = (i: number): VectorStage => freshStage(dirs[i]!.dir);
    const one = stage(0);
    for (const i of inputs) one.add(i.relPath, i.fragment);
    const batched = stage(1);
    batched.addAll(inputs, 5);
    const a = one.finish(inputs);
    const b = batched.finish(inputs);
    assert.ok(a.record && b.record);
    assert.is(b.record.count, a.record.count);
    assert.is(
      a.record.count,
      rows.reduce((n, r) => n + r, 0),
      'every vector is in',
    );
    assert.equal(Array.from(b.fileKey), Array.from(a.fileKey));
    const want = neighbours(dirs[0]!.dir, a.record.file, inputs);
    assert.ok(want.length === a.record.count);
    assert.equal(neighbours(dirs[1]!.dir, b.record.file, inputs), want);
  } finally {
    for (const d of dirs) d.cleanup();
  }
});

test('spool then addSpooled (read back in small batches) = addAll of the same files', () => {
  const inputs = fragments();
  const dirs = [tempDir(), tempDir()];
  try {
    const stage = (i: number): VectorStage => freshStage(dirs[i]!.dir);
    // Each file three times under other paths: ~21 files of vectors, batches of 5 rows.
    const many = [0, 1, 2].flatMap((k) => inputs.map((i) => ({ ...i, relPath: `${k}/${i.relPath}` })));
    const spooled = stage(1);
    for (const i of many) assert.ok(spooled.spool(i.relPath, i.fragment), `${i.relPath} spooled`);
    spooled.addSpooled(5);
    assert.not.ok(
      readdirSync(join(dirs[1]!.dir, VECTOR_DIR)).some((n) => n.startsWith('spool-')),
      'no spool file is left in the vector directory',
    );
    const b = spooled.finish(many);
    const batched = stage(0);
    batched.addAll(many, 5);
    const a = batched.finish(many);
    assert.ok(a.record && b.record);
    assert.is(
      b.record.count,
      many.reduce((n, i) => n + i.fragment.vectorCount, 0),
      'every spooled vector is in',
    );
    // Spooled keys follow the order of spool() calls, as addAll's follow its input's order.
    assert.equal(Array.from(b.fileKey), Array.from(a.fileKey));
    assert.equal(
      neighbours(dirs[1]!.dir, b.record.file, many),
      neighbours(dirs[0]!.dir, a.record.file, many),
    );
  } finally {
    for (const d of dirs) d.cleanup();
  }
});

test('the spool: keys and vectors back in order from memory and from its file; another width refused', () => {
  const d = tempDir();
  try {
    const dim = 8;
    /** File f's keys: vectorKey(f + 100, row) for rows f, f + 3, … (file keys up to ~2^31). */
    const keysOf = (n: number, f: number): Float64Array =>
      Float64Array.from({ length: n }, (_, i) => vectorKey(f + 100, f + i * 3));
    const dataOf = (n: number, seed: number): Int8Array =>
      Int8Array.from({ length: n * dim }, (_, i) => ((i * 31 + seed) % 255) - 127);
    const line = (key: number, data: Int8Array, i: number): string =>
      `${key}:${Array.from(data.subarray(i * dim, (i + 1) * dim)).join(',')}`;
    const read = (spool: VectorSpool, batchRows: number): string[] => {
      const out: string[] = [];
      for (const b of spool.batches(batchRows)) {
        assert.is(b.data.length, b.keys.length * dim);
        assert.ok(
          b.keys.length <= batchRows || new Set(b.keys.map((k) => splitVectorKey(k).fileKey)).size === 1,
          'batches hold whole files',
        );
        b.keys.forEach((key, i) => out.push(line(key, b.data, i)));
      }
      return out;
    };
    const expect = (files: number, perFile: number): string[] =>
      Array.from({ length: files }, (_, f) => {
        const keys = keysOf(perFile + (f % 3), f);
        const data = dataOf(keys.length, f);
        return Array.from(keys, (key, i) => line(key, data, i));
      }).flat();
    const fill = (spool: VectorSpool, files: number, perFile: number): void => {
      for (let f = 0; f < files; f++) {
        const keys = keysOf(perFile + (f % 3), f);
        assert.ok(spool.append(keys, dataOf(keys.length, f), dim));
      }
    };
    // Small: never leaves memory (no file is written).
    const small = new VectorSpool(join(d.dir, 'small.tmp'));
    fill(small, 10, 4);
    assert.not.ok(small.append(keysOf(2, 0), new Int8Array(2 * 4), 4), 'another width is refused');
    assert.equal(read(small, 7), expect(10, 4));
    assert.not.ok(small.onDisk || existsSync(join(d.dir, 'small.tmp')), 'no file for a small spool');
    // Large: ~6 MB, written in 1 MiB chunks, then read back from the file.
    const large = new VectorSpool(join(d.dir, 'large.tmp'));
    fill(large, 2000, 200);
    assert.ok(large.onDisk, 'the spool went to its file');
    assert.not.ok(existsSync(join(d.dir, 'large.tmp')), 'unlinked as soon as it was open');
    assert.is(large.rowCount, expect(2000, 200).length);
    assert.equal(read(large, 1000), expect(2000, 200));
    assert.not.ok(large.onDisk, 'closed once read');
  } finally {
    d.cleanup();
  }
});

test.run();
