// The index run's vector stage: the batched adds (VectorStage.addAll) give the same vectors
// under the same keys as adding file by file; a one-worker build's segments (addSegmented)
// hold every vector once, each a whole index.

import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FragmentReader } from '../src/graph/fragment.js';
import { VECTOR_DIR, VectorStage, vectorKey } from '../src/pipeline/vectors.js';
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
function freshStage(indexDir: string, segmentRows?: number): VectorStage {
  return new VectorStage({
    indexDir,
    generation: 1,
    prevFiles: undefined,
    prevVectors: undefined,
    threads: 1,
    ...(segmentRows !== undefined ? { segmentRows } : {}),
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

test('addSegmented: segments of about segmentRows rows, every vector in exactly one, each a whole index', () => {
  const inputs = fragments();
  const d = tempDir();
  try {
    // Each file three times under other paths: ~21 files of vectors, segments of 10 rows.
    const many = [0, 1, 2].flatMap((k) => inputs.map((i) => ({ ...i, relPath: `${k}/${i.relPath}` })));
    const total = many.reduce((n, i) => n + i.fragment.vectorCount, 0);
    const stage = freshStage(d.dir, 10);
    assert.ok(stage.segmenting);
    // As the shards of a parse arrive: a few files at a time.
    for (let i = 0; i < many.length; i += 4) stage.addSegmented(many.slice(i, i + 4));
    const { record, fileKey } = stage.finish(many);
    assert.ok(record?.segments, 'a segmented record');
    const segments = record.segments;
    assert.ok(segments.length >= 3, `${segments.length} segments for ${total} rows`);
    assert.is(record.count, total);
    assert.is(record.file, segments[0]!.file);
    assert.equal(
      Array.from(fileKey),
      many.map((_, i) => i),
      'file keys in input order',
    );
    const biggest = Math.max(...many.map((i) => i.fragment.vectorCount));
    const builders = segments.map((g) => {
      assert.ok(g.count >= 1 && g.count < 10 + biggest, `${g.file}: ${g.count} rows`);
      return VectorIndexBuilder.fromFile(join(d.dir, VECTOR_DIR, g.file), { threads: 1 });
    });
    assert.equal(
      builders.map((b) => b.size),
      segments.map((g) => g.count),
    );
    // Every (non-zero) vector is among its own nearest neighbours in exactly one segment.
    let checked = 0;
    many.forEach(({ fragment }, f) => {
      const { rows } = fragment.vectorBlock();
      for (let i = 0; i < fragment.vectorCount; i++) {
        const v = fragment.vector(i);
        if (v.every((x) => x === 0)) continue;
        const key = vectorKey(f, rows[i]!);
        const holders = builders.filter((b) => Array.from(b.search(v, 10).keys).includes(key));
        assert.is(holders.length, 1, `${many[f]!.relPath}#${i} in one segment`);
        checked++;
      }
    });
    assert.ok(checked > total / 2, `${checked} of ${total} vectors checked`);
  } finally {
    d.cleanup();
  }
});

test('addSegmented only for a build with no previous index, before anything went in another way', () => {
  const inputs = fragments();
  const d = tempDir();
  try {
    const stage = freshStage(d.dir);
    assert.not.ok(stage.segmenting, 'no segmentRows: no segments');
    assert.throws(() => stage.addSegmented(inputs), /not a segmented build/);
  } finally {
    d.cleanup();
  }
});

test.run();
