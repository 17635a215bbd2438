// Data-flow edges on real indexes of the fixture repos and of generated trees: flows never more
// confident than the call they ride on, fan-out caps that drop hub types and hub fields (and
// keep small ones), argument → parameter bindings read back from the fragments, and the same
// graph whatever the thread count.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { argumentBindings, MAX_FLOW_FANOUT } from '../src/graph/dataflow.js';
import { symbolKey } from '../src/graph/dump.js';
import { FragmentReader } from '../src/graph/fragment.js';
import { EdgeKind, type IndexGraph } from '../src/graph/graph.js';
import { IndexReader } from '../src/store/read.js';
import { copyFixture, indexTree, readGraph, tempDir } from './helpers/workspace.js';

const FLOW_REPOS = ['ts-flow', 'py-flow', 'rs-flow', 'ts-app', 'py-app', 'rs-app'];

function edgesOf(g: IndexGraph, kind: number): { src: number; dst: number; conf: number }[] {
  const out: { src: number; dst: number; conf: number }[] = [];
  const { offsets, targets, kinds, confidence } = g.forward;
  for (let src = 0; src < g.symbols.kind.length; src++) {
    for (let e = offsets[src] ?? 0; e < (offsets[src + 1] ?? 0); e++) {
      if (kinds[e] === kind) out.push({ src, dst: targets[e] ?? 0, conf: confidence[e] ?? 0 });
    }
  }
  return out;
}

function idOf(g: IndexGraph, key: string): number {
  for (let id = 0; id < g.symbols.kind.length; id++) if (symbolKey(g, id) === key) return id;
  throw new Error(`no symbol ${key}`);
}

function write(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
}

for (const repo of FLOW_REPOS) {
  test(`${repo}: argument and return flows ride on a call edge at most as confident`, async () => {
    const ws = copyFixture(repo);
    try {
      await indexTree(ws.dir);
      const g = await readGraph(join(ws.dir, '.leindex'));
      const calls = new Map<string, number>();
      for (const e of edgesOf(g, EdgeKind.calls)) calls.set(`${e.src} ${e.dst}`, e.conf);
      // A constructor receives the arguments of a call edge that targets its class.
      const callConf = (from: number, to: number): number =>
        calls.get(`${from} ${to}`) ?? calls.get(`${from} ${g.symbols.parent[to] ?? -1}`) ?? -1;
      const args = edgesOf(g, EdgeKind.flowsArgument);
      const returns = edgesOf(g, EdgeKind.flowsReturn);
      assert.ok(args.length > 0 && returns.length > 0, `${repo} has argument and return flows`);
      for (const e of args) {
        const c = callConf(e.src, e.dst);
        assert.ok(
          c >= e.conf,
          `flowsArgument ${symbolKey(g, e.src)} -> ${symbolKey(g, e.dst)} (${e.conf}) over call ${c}`,
        );
      }
      for (const e of returns) {
        const c = calls.get(`${e.dst} ${e.src}`) ?? -1;
        assert.ok(
          c >= e.conf,
          `flowsReturn ${symbolKey(g, e.src)} -> ${symbolKey(g, e.dst)} (${e.conf}) over call ${c}`,
        );
      }
    } finally {
      ws.cleanup();
    }
  });
}

test('a hub type and a hub field past the fan-out cap make no edges; small ones do', async () => {
  const ws = tempDir();
  try {
    const n = Math.ceil(Math.sqrt(MAX_FLOW_FANOUT)) + 1; // n × n > the cap
    const lines = ['export class Hub {}', 'export class Small {}'];
    for (let i = 0; i < n; i++) {
      lines.push(`export function makeHub${i}(): Hub { return new Hub(); }`);
      lines.push(`export function takeHub${i}(h: Hub): number { return ${i}; }`);
    }
    for (let i = 0; i < 3; i++) {
      lines.push(`export function makeSmall${i}(): Small { return new Small(); }`);
      lines.push(`export function takeSmall${i}(s: Small): number { return ${i}; }`);
    }
    const methods: string[] = [];
    for (let i = 0; i < n; i++) {
      methods.push(`  set${i}(v: number): void { this.state = v; this.count = v; }`);
      methods.push(`  get${i}(): number { return this.state; }`);
    }
    methods.push('  peek(): number { return this.count; }');
    lines.push(`export class Machine {\n  state = 0;\n  count = 0;\n${methods.join('\n')}\n}`);
    write(ws.dir, { 'src/types.ts': `${lines.join('\n')}\n` });
    await indexTree(ws.dir);
    const g = await readGraph(join(ws.dir, '.leindex'));
    const key = (id: number): string => symbolKey(g, id);
    const types = edgesOf(g, EdgeKind.flowsType).map((e) => `${key(e.src)} -> ${key(e.dst)}`);
    assert.ok(
      !types.some((e) => e.includes('Hub')),
      `hub type edges: ${types.filter((e) => e.includes('Hub')).length}`,
    );
    assert.is(types.filter((e) => e.includes('Small')).length, 9, types.join('\n'));
    // the hub type resolves (the cap dropped it, not resolution)
    const hub = idOf(g, 'src/types.ts#Hub');
    assert.is(edgesOf(g, EdgeKind.referencesType).filter((e) => e.dst === hub).length, 2 * n);
    const state = edgesOf(g, EdgeKind.flowsState).map((e) => `${key(e.src)} -> ${key(e.dst)}`);
    assert.ok(!state.some((e) => e.includes('.get')), 'the hub field `state` makes no edges');
    assert.is(state.filter((e) => e.endsWith('#Machine.peek')).length, n, state.join('\n'));
  } finally {
    ws.cleanup();
  }
});

test('argument bindings: caller names paired with the callee parameters they reach', async () => {
  const ws = copyFixture('ts-flow');
  try {
    await indexTree(ws.dir);
    const r = IndexReader.open(join(ws.dir, '.leindex'));
    try {
      const g = r.graph();
      const frag = (id: number): { f: FragmentReader; row: number } => {
        const file = g.symbols.file[id] ?? 0;
        const bytes = r.fragment(g.files.contentHash[file] ?? '');
        if (!bytes) throw new Error('no fragment');
        return { f: new FragmentReader(bytes), row: id - (g.files.symbolStart[file] ?? 0) };
      };
      const bind = (from: string, to: string): string[] => {
        const a = frag(idOf(g, from));
        const b = frag(idOf(g, to));
        return argumentBindings(a.f, a.row, b.f, b.row).map(
          (x) => `${x.receiver ? `${x.receiver}.` : ''}${x.argument}@${x.position}->${x.parameter ?? '?'}`,
        );
      };
      assert.equal(bind('src/models/user.ts#Repo.save', 'src/models/user.ts#Repo.validate'), ['u@0->u']);
      assert.equal(bind('src/flow/pipeline.ts#ingest', 'src/models/user.ts#User.constructor'), [
        'name@0->name',
      ]);
    } finally {
      await r.close();
    }
  } finally {
    ws.cleanup();
  }
});

test('python: keyword arguments bind by name; self fields and aliased imports are followed', async () => {
  const ws = tempDir();
  try {
    write(ws.dir, {
      'svc.py': [
        'def store(item, *, force=False, mode="w"):',
        '    return item',
        '',
        'class Saver:',
        '    def __init__(self, target):',
        '        self.target = target',
        '',
        '    def save(self, flag):',
        '        return store(self.target, mode=flag)',
        '',
      ].join('\n'),
      'use.py': 'from svc import store as put\n\n\ndef run(x):\n    put(x)\n',
    });
    await indexTree(ws.dir);
    const r = IndexReader.open(join(ws.dir, '.leindex'));
    try {
      const g = r.graph();
      const fragOf = (file: number): FragmentReader =>
        new FragmentReader(r.fragment(g.files.contentHash[file] ?? '') ?? new Uint8Array());
      const rowOf = (key: string): number => {
        const id = idOf(g, key);
        return id - (g.files.symbolStart[g.symbols.file[id] ?? 0] ?? 0);
      };
      const svc = fragOf(g.files.relPath.indexOf('svc.py'));
      const use = fragOf(g.files.relPath.indexOf('use.py'));
      const b = argumentBindings(svc, rowOf('svc.py#Saver.save'), svc, rowOf('svc.py#store'));
      assert.equal(
        b.map((x) => [x.receiver, x.argument, x.position, x.parameter]),
        [
          ['self', 'target', 0, 'item'],
          [undefined, 'flag', 1, 'mode'],
        ],
      );
      const viaAlias = argumentBindings(use, rowOf('use.py#run'), svc, rowOf('svc.py#store'));
      assert.equal(
        viaAlias.map((x) => `${x.argument}->${x.parameter}`),
        ['x->item'],
      );
      const args = edgesOf(g, EdgeKind.flowsArgument).map(
        (e) => `${symbolKey(g, e.src)} -> ${symbolKey(g, e.dst)}`,
      );
      assert.equal(args.sort(), ['svc.py#Saver.save -> svc.py#store', 'use.py#run -> svc.py#store']);
    } finally {
      await r.close();
    }
  } finally {
    ws.cleanup();
  }
});

test('argument positions count a closure / lambda with several parameters as one argument', async () => {
  const ws = tempDir();
  try {
    write(ws.dir, {
      'Cargo.toml': '[package]\nname = "p"\n',
      'src/lib.rs': [
        'pub fn pair<F: Fn(u32, u32) -> u32>(f: F, seed: u32, last: u32) -> u32 {',
        '    f(seed, last)',
        '}',
        '',
        'pub fn pass(seed: u32, last: u32) -> u32 {',
        '    pair(|x, y| x * y, seed, last) + pair(move |(a, b), c| a + b + c, seed, last)',
        '}',
        '',
      ].join('\n'),
      'app.py': [
        'def apply(fn, items, key=None):',
        '    return fn(items, key)',
        '',
        'def run(items, name):',
        '    return apply(lambda a, b: a + b, items, key=name)',
        '',
        'def run2(items):',
        '    return apply(lambda a, *rest, **kw: a, items)',
        '',
      ].join('\n'),
    });
    await indexTree(ws.dir);
    const r = IndexReader.open(join(ws.dir, '.leindex'));
    try {
      const g = r.graph();
      const fragOf = (key: string): { f: FragmentReader; row: number } => {
        const id = idOf(g, key);
        const file = g.symbols.file[id] ?? 0;
        const f = new FragmentReader(r.fragment(g.files.contentHash[file] ?? '') ?? new Uint8Array());
        return { f, row: id - (g.files.symbolStart[file] ?? 0) };
      };
      const bind = (from: string, to: string): string[] => {
        const a = fragOf(from);
        const b = fragOf(to);
        return argumentBindings(a.f, a.row, b.f, b.row).map(
          (x) => `${x.argument}@${x.position}->${x.parameter ?? '?'}`,
        );
      };
      assert.equal(bind('src/lib.rs#pass', 'src/lib.rs#pair'), [
        'seed@1->seed',
        'last@2->last',
        'seed@1->seed',
        'last@2->last',
      ]);
      assert.equal(bind('app.py#run', 'app.py#apply'), ['items@1->items', 'name@2->key']);
      assert.equal(bind('app.py#run2', 'app.py#apply'), ['items@1->items']);
    } finally {
      await r.close();
    }
  } finally {
    ws.cleanup();
  }
});

test('a project-unique name resolves only within its language family (and so do the flows on it)', async () => {
  const ws = tempDir();
  try {
    write(ws.dir, {
      'py/widgets.py': 'class Widget:\n    def render_widget_tree(self, depth):\n        return depth\n',
      'web/page.ts': 'export function page(w: any): number {\n  return w.render_widget_tree(2);\n}\n',
      'web/view.js': 'export class View {\n  paintSurface(n) { return n; }\n}\n',
      'web/app.ts': 'export function app(v: any): number {\n  return v.paintSurface(1);\n}\n',
    });
    await indexTree(ws.dir);
    const g = await readGraph(join(ws.dir, '.leindex'));
    const calls = edgesOf(g, EdgeKind.calls).map((e) => `${symbolKey(g, e.src)} -> ${symbolKey(g, e.dst)}`);
    assert.equal(calls, ['web/app.ts#app -> web/view.js#View.paintSurface'], 'TS reaches JS, never Python');
    const flows = edgesOf(g, EdgeKind.flowsReturn).map(
      (e) => `${symbolKey(g, e.src)} -> ${symbolKey(g, e.dst)}`,
    );
    assert.equal(flows, ['web/view.js#View.paintSurface -> web/app.ts#app']);
  } finally {
    ws.cleanup();
  }
});

test('flow edges are the same on 1 and 2 threads, and incremental equals full', async () => {
  const ws = copyFixture('ts-flow');
  try {
    const one = await indexTree(ws.dir, { threads: 1 }, { rebuild: true });
    const two = await indexTree(ws.dir, { threads: 2 }, { rebuild: true });
    assert.is(one.digest, two.digest);
    writeFileSync(
      join(ws.dir, 'src/extra.ts'),
      "import { setMode } from './state';\nexport function go(): void { setMode('x'); }\n",
    );
    const inc = await indexTree(ws.dir);
    const full = await indexTree(ws.dir, {}, { rebuild: true });
    assert.is(inc.digest, full.digest);
    assert.ok((full.edges.byKind.flowsArgument ?? 0) > (one.edges.byKind.flowsArgument ?? 0));
  } finally {
    ws.cleanup();
  }
});

test.run();
