// Test helper: a synthetic graph of any size (to get a graph blob past lmdb-js's 16 MB
// in-place threshold without indexing a large tree) and publishing it as a generation.

import { buildCsr, type FileTable, type IndexGraph, type SymbolTable } from '../../src/graph/graph.js';
import { encodeGraph } from '../../src/store/layout.js';
import { IndexWriter } from '../../src/store/write.js';

/** A graph of `n` symbols in 4 files whose strings are `strLen` characters each (`seed` varies them). */
export function syntheticGraph(n: number, strLen: number, seed: number): IndexGraph {
  const strings = Array.from({ length: 2 * n }, (_, i) =>
    `${seed}:${i}:`.padEnd(strLen, String.fromCharCode(97 + (i % 26))),
  );
  strings[5] = 'naïve 日本語'; // not ASCII: LazyStrings decodes UTF-8
  const col = (f: (i: number) => number): Int32Array => Int32Array.from({ length: n }, (_, i) => f(i));
  const symbols: SymbolTable = {
    file: col((i) => (i % 7 === 0 ? -1 : i % 4)),
    kind: Uint8Array.from({ length: n }, (_, i) => (i * 3 + seed) % 13),
    name: col((i) => 2 * i),
    qualifiedName: col((i) => 2 * i + 1),
    startLine: col((i) => i + seed),
    endLine: col((i) => i + seed + 2),
    startOffset: col((i) => i * 10),
    endOffset: col((i) => i * 10 + 9),
    parent: col((i) => (i === 0 ? -1 : (i * 31) % i)),
    complexity: col((i) => 1 + (i % 5)),
    flags: col((i) => i & 3),
  };
  const m = 3 * n;
  const src = Array.from({ length: m }, (_, e) => (e * 7919) % n);
  const dst = Array.from({ length: m }, (_, e) => (e * 104729 + seed) % n);
  const kind = Array.from({ length: m }, (_, e) => e % 5);
  const conf = Array.from({ length: m }, (_, e) => 50 + (e % 50));
  const files: FileTable = {
    relPath: ['a.ts', 'b.ts', 'c.py', 'd.rs'],
    language: Uint8Array.from([1, 1, 2, 3]),
    contentHash: ['h0', 'h1', 'h2', 'h3'],
    size: Float64Array.from([1, 2, 3, 4]),
    mtimeMs: Float64Array.from([5, 6, 7, 8]),
    errorCount: Int32Array.from([0, 0, 1, 0]),
    lineCount: Int32Array.from([10, 20, 30, 40]),
    symbolStart: Int32Array.from([0, 1, 2, 3]),
  };
  return {
    files,
    strings,
    symbols,
    fileSymbolCount: n,
    forward: buildCsr(n, src, dst, kind, conf),
    reverse: buildCsr(n, dst, src, kind, conf),
    stats: { refs: {}, resolved: {}, callConfidence: {} },
  };
}

/** Publishes `g` as the next generation of the store at indexDir (a fresh store with `rebuild`). */
export async function publish(indexDir: string, g: IndexGraph, rebuild: boolean): Promise<number> {
  const { writer } = await IndexWriter.open(indexDir, { rebuild });
  try {
    writer.begin();
    const { blobs } = encodeGraph(g);
    return await writer.publish(
      g.stats,
      blobs,
      {
        root: '/nowhere',
        createdAt: new Date(0).toISOString(),
        fileSymbolCount: g.fileSymbolCount,
        digest: '',
      },
      [],
      {},
    );
  } finally {
    await writer.close();
  }
}
