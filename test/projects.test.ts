// projectTable (src/search/projects.ts) skips the paths of a directory run instead of visiting
// each one: its table must be the one the path-by-path walk gave, entry for entry and in the
// same order, on path sets shaped to trip a run search (names that share a prefix with a
// sibling directory: `aa/bb`, `aa/bb-c`, `aa/bbc`, `aa/bb.c`; files at the root and one level down;
// deep trees; scoped and versioned names; one huge directory). Seeded, so every run is the same.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { moduleName, projectTable, type ProjectRange } from '../src/search/projects.js';

/** The table as main a6ea862 built it: every path visited, its directories sliced out. */
function referenceTable(relPaths: readonly string[]): Map<string, ProjectRange[]> {
  const out = new Map<string, ProjectRange[]>();
  const maxFiles = Math.max(1, relPaths.length * 0.2);
  const open: { dir: string; from: number }[] = [];
  const close = (to: number, keep: number): void => {
    while (open.length > keep) {
      const d = open.pop()!;
      if (to - d.from > maxFiles) continue;
      const name = moduleName(d.dir.slice(d.dir.lastIndexOf('/') + 1));
      const names = new Set([name, name.replace(/__/g, '/')]);
      const scoped = name.indexOf('__');
      if (scoped > 0) names.add(name.slice(scoped + 2));
      for (const n of names) {
        if (n.length < 2) continue;
        const list = out.get(n) ?? [];
        list.push({ dir: d.dir, from: d.from, to });
        out.set(n, list);
      }
    }
  };
  relPaths.forEach((path, i) => {
    const prefixes = path.split('/').slice(0, -1).slice(0, 2);
    const dirs = prefixes.map((_, k) => prefixes.slice(0, k + 1).join('/'));
    let same = 0;
    while (same < open.length && same < dirs.length && open[same]!.dir === dirs[same]) same++;
    close(i, same);
    for (let k = same; k < dirs.length; k++) open.push({ dir: dirs[k]!, from: i });
  });
  close(relPaths.length, 0);
  return out;
}

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEGMENTS = [
  'a',
  'b',
  'b-c',
  'bc',
  'b.c',
  'b0',
  'flask-2.2.2',
  'reduxjs__toolkit-1.0',
  'src',
  'x',
  'lib',
];

function randomPaths(seed: number): string[] {
  const r = rng(seed);
  const pick = (): string => SEGMENTS[Math.floor(r() * SEGMENTS.length)]!;
  const set = new Set<string>();
  const count = 1 + Math.floor(r() * 300);
  // Some sets pile most files into one directory (over the 20% share a project may have).
  const heavy = r() < 0.3 ? `${pick()}/${pick()}` : undefined;
  while (set.size < count) {
    const depth = Math.floor(r() * 5);
    const dirs = heavy && r() < 0.5 ? [heavy] : Array.from({ length: depth }, pick);
    set.add([...dirs, `f${Math.floor(r() * 40)}.ts`].join('/'));
  }
  return [...set].sort();
}

test('projectTable gives the path-by-path table on random path sets, in the same order', () => {
  for (let seed = 1; seed <= 300; seed++) {
    const paths = randomPaths(seed);
    const got = [...projectTable(paths)];
    const want = [...referenceTable(paths)];
    assert.equal(got, want, `seed ${seed}`);
  }
});

test('projectTable: runs next to siblings that share their prefix', () => {
  const paths = [
    'aa/bb-c/x.ts',
    'aa/bb.c/y.ts',
    'aa/bb/deep/er/z.ts',
    'aa/bb/z.ts',
    'aa/bb0/w.ts',
    'aa/bbc/v.ts',
    'aa/top.ts',
    'root.ts',
    'zz/one/f.ts',
    ...Array.from({ length: 6 }, (_, i) => `y${i}.ts`),
  ].sort();
  assert.equal([...projectTable(paths)], [...referenceTable(paths)]);
  // aa/bb holds two of the 15 files (a project may hold 3), whatever sorts between its name and its run.
  const b = projectTable(paths).get('bb');
  assert.equal(b, [
    { dir: 'aa/bb', from: paths.indexOf('aa/bb/deep/er/z.ts'), to: paths.indexOf('aa/bb/z.ts') + 1 },
  ]);
});

test.run();
