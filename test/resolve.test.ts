// Annotated fixture repos: every `@edge kind from -> to` comment in a fixture must be an edge
// of the published graph, and every `@no-edge` must not be. Plus golden dumps of whole repos.
// The *-flow repos state the data-flow edges (flowsArgument, flowsReturn, flowsState, flowsType).

import { readFileSync, readdirSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { symbolKey } from '../src/graph/dump.js';
import { EDGE_KINDS, type IndexGraph } from '../src/graph/graph.js';
import { TEST_SRC, copyFixture, indexTree, readDump, readGraph } from './helpers/workspace.js';

const REPOS = [
  'ts-app',
  'py-app',
  'rs-app',
  'ts-flow',
  'py-flow',
  'rs-flow',
  'js-app',
  'rs-dispatch',
  'ts-dispatch',
  'js-cjs',
  'py-dispatch',
];
const UPDATE = process.env.LEINDEX_UPDATE_GOLDEN === '1';

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const stack = [dir];
  while (stack.length) {
    const d = stack.pop() ?? '';
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) stack.push(p);
      else out.push(p);
    }
  }
  return out.sort();
}

interface Expectation {
  kind: string;
  from: string;
  to: string;
  present: boolean;
  where: string;
}

function expectations(root: string): Expectation[] {
  const out: Expectation[] = [];
  for (const file of listFiles(root)) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      const m = /@(no-)?edge\s+(\w+)\s+(\S+)\s+->\s+(\S+)/.exec(line);
      if (m)
        out.push({
          present: !m[1],
          kind: m[2] ?? '',
          from: m[3] ?? '',
          to: m[4] ?? '',
          where: `${relative(root, file)}:${i + 1}`,
        });
    });
  }
  return out;
}

function edgeSet(g: IndexGraph): Set<string> {
  const set = new Set<string>();
  const { offsets, targets, kinds } = g.forward;
  for (let src = 0; src < g.symbols.kind.length; src++) {
    for (let e = offsets[src] ?? 0; e < (offsets[src + 1] ?? 0); e++) {
      set.add(`${EDGE_KINDS[kinds[e] ?? 0]} ${symbolKey(g, src)} -> ${symbolKey(g, targets[e] ?? 0)}`);
    }
  }
  return set;
}

for (const repo of REPOS) {
  test(`${repo}: annotated edges are present, false edges absent`, async () => {
    const ws = copyFixture(repo);
    try {
      await indexTree(ws.dir);
      const g = await readGraph(join(ws.dir, '.leindex'));
      const edges = edgeSet(g);
      const exp = expectations(ws.dir);
      assert.ok(exp.length >= 3, `${repo} states its expected edges`);
      const missing = exp.filter((e) => e.present && !edges.has(`${e.kind} ${e.from} -> ${e.to}`));
      const unwanted = exp.filter((e) => !e.present && edges.has(`${e.kind} ${e.from} -> ${e.to}`));
      const show = (list: Expectation[]): string =>
        list.map((e) => `  ${e.where}: ${e.kind} ${e.from} -> ${e.to}`).join('\n');
      assert.is(
        missing.length,
        0,
        `missing edges:\n${show(missing)}\nedges present:\n${[...edges].filter((e) => !e.startsWith('contains')).join('\n')}`,
      );
      assert.is(unwanted.length, 0, `edges that must not exist:\n${show(unwanted)}`);
    } finally {
      ws.cleanup();
    }
  });

  test(`${repo}: golden dump`, async () => {
    const ws = copyFixture(repo);
    try {
      await indexTree(ws.dir);
      const dump = await readDump(join(ws.dir, '.leindex'));
      const golden = join(TEST_SRC, 'golden', `${repo}.txt`);
      if (UPDATE || !existsSync(golden)) {
        writeFileSync(golden, dump);
        if (!UPDATE) assert.unreachable(`golden ${golden} did not exist; written now, review and commit it`);
      }
      assert.fixture(dump, readFileSync(golden, 'utf8'));
    } finally {
      ws.cleanup();
    }
  });
}

test.run();
