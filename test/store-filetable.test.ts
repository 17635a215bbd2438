// The file table as a reader reads it (readFileTableOf): its content hashes are decoded one
// at a time for a search's fragment reads (fileHash) and as a whole column on first use of
// `contentHash`; both give the stored hashes, and once the column exists (and may be changed
// in place, as patchFiles does) fileHash reads it. Main thread.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { IndexReader, fileHash } from '../src/store/read.js';
import { tempDir } from './helpers/workspace.js';
import { publish, syntheticGraph } from './helpers/synthetic-graph.js';

const HASHES = ['69c73fa84db8747e341980ffb48c3a41eb52854c', '', 'ünïcode-hash', 'h3'];

test('fileHash and contentHash give the stored hashes, and fileHash follows the column once decoded', async () => {
  const ws = tempDir('leindex-filetable-');
  try {
    const indexDir = join(ws.dir, 'idx');
    const g = syntheticGraph(50, 8, 3);
    g.files.contentHash = [...HASHES];
    await publish(indexDir, g, true);
    const reader = IndexReader.open(indexDir);
    try {
      const t = reader.fileTable();
      assert.equal(t.relPath, g.files.relPath);
      assert.equal(
        HASHES.map((_, i) => fileHash(t, i)),
        HASHES,
      );
      assert.is(fileHash(t, HASHES.length), undefined);
      // Another read gives another table with its own lazy column.
      const t2 = reader.fileTable();
      assert.equal(t2.contentHash, HASHES);
      assert.equal(
        HASHES.map((_, i) => fileHash(t2, i)),
        HASHES,
      );
      t2.contentHash[2] = 'changed';
      assert.is(fileHash(t2, 2), 'changed');
      assert.is(fileHash(t, 2), HASHES[2]);
      // The column is decoded once: the same array on every use.
      assert.is(t2.contentHash, t2.contentHash);
      // A table made elsewhere (a decoded graph's) is read as it is.
      assert.is(fileHash(g.files, 0), HASHES[0]);
    } finally {
      await reader.close();
    }
  } finally {
    ws.cleanup();
  }
});

test.run();
