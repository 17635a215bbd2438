// Test helpers: temp copies of fixture repos, indexing them with explicit options, and
// reading the published graph back. Every test gets its own temp directory and removes it.

import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultOptions, type IndexOptions } from '../../src/config.js';
import type { IndexGraph } from '../../src/graph/graph.js';
import { dumpGraph } from '../../src/graph/dump.js';
import { embedQuery } from '../../src/embed/embedder.js';
import { FragmentReader } from '../../src/graph/fragment.js';
import { runIndex, type IndexSummary } from '../../src/pipeline/run-index.js';
import { IndexSession } from '../../src/query/session.js';
import { IndexReader } from '../../src/store/read.js';

/** The source tree's test/ folder (fixtures are not compiled, so they are read from there). */
export const TEST_SRC = fileURLToPath(new URL('../../../test/', import.meta.url));
export const FIXTURE_REPOS = join(TEST_SRC, 'fixtures', 'repos');
export const BIN = fileURLToPath(new URL('../../../bin/leindex.js', import.meta.url));

/** Runs the CLI in a fresh process: exit code, stdout and stderr (stdin `input`, in `cwd`). */
export function leindex(
  args: string[],
  opts: { cwd?: string; input?: string } = {},
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    input: opts.input,
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface Workspace {
  readonly dir: string;
  cleanup(): void;
}

export function tempDir(prefix = 'leindex-test-'): Workspace {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A temp copy of a fixture repo (so indexes and edits never touch the source tree). */
export function copyFixture(name: string): Workspace {
  const ws = tempDir(`leindex-${name}-`);
  cpSync(join(FIXTURE_REPOS, name), ws.dir, { recursive: true });
  return ws;
}

/** Temp copies of several fixture repos side by side, each under its own name. */
export function copyFixtures(names: readonly string[], prefix = 'leindex-test-'): Workspace {
  const ws = tempDir(prefix);
  for (const name of names) cpSync(join(FIXTURE_REPOS, name), join(ws.dir, name), { recursive: true });
  return ws;
}

/** Replaces the first `from` in file `path` with `to`; throws when the file has no `from`. */
export function editFile(path: string, from: string, to: string): void {
  const text = readFileSync(path, 'utf8');
  if (!text.includes(from)) throw new Error(`${path} has no ${JSON.stringify(from)}`);
  writeFileSync(path, text.replace(from, to));
}

/** Writes `text` to `root/rel`, making its directories. */
export function writeTreeFile(root: string, rel: string, text: string): void {
  mkdirSync(join(root, rel, '..'), { recursive: true });
  writeFileSync(join(root, rel), text);
}

export function testOptions(root: string, overrides: Partial<IndexOptions> = {}): IndexOptions {
  // Walker mode by default: temp dirs are not git work trees, and tests say so explicitly.
  return { ...defaultOptions(root), threads: 2, useGit: false, ...overrides };
}

export async function indexTree(
  root: string,
  overrides: Partial<IndexOptions> = {},
  extra: { serial?: boolean; rebuild?: boolean } = {},
): Promise<IndexSummary> {
  return runIndex({ root, options: testOptions(root, overrides), ...extra });
}

/** A temp tree indexed and opened once for a whole test file (`test.before` / `test.after`). */
export interface IndexedFixture {
  ws: Workspace;
  session: IndexSession;
}

/** `fixture` names a repo under test/fixtures/repos, or fills a fresh temp dir itself. */
export async function openIndexedFixture(fixture: string | ((dir: string) => void)): Promise<IndexedFixture> {
  let ws: Workspace;
  if (typeof fixture === 'string') ws = copyFixture(fixture);
  else {
    ws = tempDir();
    fixture(ws.dir);
  }
  await indexTree(ws.dir);
  return { ws, session: IndexSession.open(ws.dir) };
}

export async function closeIndexedFixture(f: IndexedFixture): Promise<void> {
  await f.session.close();
  f.ws.cleanup();
}

/** The golden-dump text of a published index, with signatures and docs from its fragments. */
export async function readDump(indexDir: string): Promise<string> {
  const reader = IndexReader.open(indexDir);
  try {
    const g = reader.graph();
    return dumpGraph(g, (file) => {
      const bytes = reader.fragment(g.files.contentHash[file] ?? '');
      return bytes ? new FragmentReader(bytes) : undefined;
    });
  } finally {
    await reader.close();
  }
}

export async function readGraph(indexDir: string): Promise<IndexGraph> {
  const reader = IndexReader.open(indexDir);
  try {
    return reader.graph();
  } finally {
    await reader.close();
  }
}

/** Queries of nearestOf: words the fixture repos use, and some they do not. */
const NEAREST_QUERIES = [
  'save the user to the repository',
  'log a message',
  'queue of tasks',
  'parse config',
];

/**
 * The vector search results of an index (ids and similarities of the 5 and 50 nearest symbols
 * for a few queries): equal for two indexes of the same tree when both search exactly (the
 * fixtures are far below DEFAULT_EXACT_BELOW vectors). Symbols of equal similarity (the same
 * text embedded twice) come in the order their rows were added, which a threaded build leaves
 * to thread timing: ties are listed by id, and a tie across the k-th place is left out.
 */
export async function nearestOf(root: string, indexDir: string): Promise<unknown> {
  const session = IndexSession.open(root, indexDir);
  try {
    const vectors = session.vectors();
    const model = session.model();
    return NEAREST_QUERIES.map((text) => {
      const q = embedQuery(model, text);
      return [5, 50].map((k) => {
        const { ids, sims } = vectors.nearest(q, k);
        const hits = ids.map((id, i) => ({ id, sim: sims[i]! })).sort((a, b) => b.sim - a.sim || a.id - b.id);
        const last = hits[hits.length - 1]?.sim;
        return hits.length < k ? hits : hits.filter((h) => h.sim !== last);
      });
    });
  } finally {
    await session.close();
  }
}
