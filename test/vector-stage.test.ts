// The index run's vector stage: the batched adds used after the parse under a one-worker
// budget (VectorStage.addAll) give the same vectors under the same keys as adding file by file.

import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FragmentReader } from '../src/graph/fragment.js';
import { VECTOR_DIR, VectorStage } from '../src/pipeline/vectors.js';
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
    const stage = (i: number): VectorStage =>
      new VectorStage({
        indexDir: dirs[i]!.dir,
        generation: 1,
        prevFiles: undefined,
        prevVectors: undefined,
        threads: 1,
        log: silentLogger,
      });
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

test.run();
