// The gravity traversal on fixture repos indexed into temp dirs: the budget holds (except a
// trimmed first seed), bundles are never empty, hold no symbol twice (a member inside a chosen
// class is not repeated), are deterministic, reach callers, follow relevance, and put tests
// behind other code.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadModel } from '../src/embed/embedder.js';
import { renderBundle, type Bundle, type BundleSymbol } from '../src/query/bundle.js';
import { contextFor } from '../src/query/context.js';
import { gatherContext, type GravityTrace } from '../src/query/gravity.js';
import { resolveSymbol } from '../src/query/lookup.js';
import { Relevance } from '../src/query/relevance.js';
import { IndexSession } from '../src/query/session.js';
import { encloses } from '../src/query/symbol-info.js';
import { estimateTokens } from '../src/query/tokens.js';
import { copyFixture, indexTree, tempDir, type Workspace } from './helpers/workspace.js';

const open: { ws: Workspace; session: IndexSession }[] = [];

async function indexed(name: string): Promise<IndexSession> {
  const ws = copyFixture(name);
  await indexTree(ws.dir);
  const session = IndexSession.open(ws.dir);
  open.push({ ws, session });
  return session;
}

/** A server whose two callees differ in what they are about, with a caller and a test. */
const SERVER_APP: Record<string, string> = {
  'src/server.ts': `import { parseConfigFile } from './config';
import { sendWelcomeEmail } from './mail';

export function startServer(path: string): string {
  const cfg = parseConfigFile(path);
  sendWelcomeEmail(cfg);
  return cfg;
}
`,
  'src/config.ts': `/** Reads and parses the configuration file at \`path\` into settings. */
export function parseConfigFile(path: string): string {
  return readSettingsText(path).trim();
}

function readSettingsText(configPath: string): string {
  return configPath;
}
`,
  'src/mail.ts': `/** Sends the welcome email message to a newly registered user. */
export function sendWelcomeEmail(to: string): void {
  deliverMessage(to, 'welcome');
}

function deliverMessage(recipient: string, body: string): void {
  console.log(recipient, body);
}
`,
  'src/main.ts': `import { startServer } from './server';

export function main(): void {
  startServer('config.toml');
}
`,
  'tests/server.test.ts': `import { startServer } from '../src/server';

export function checkStartServer(): void {
  startServer('x');
}
`,
};

async function generated(files: Record<string, string>): Promise<IndexSession> {
  const ws = tempDir('leindex-gravity-');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(ws.dir, path)), { recursive: true });
    writeFileSync(join(ws.dir, path), text);
  }
  await indexTree(ws.dir);
  const session = IndexSession.open(ws.dir);
  open.push({ ws, session });
  return session;
}

function allSymbols(b: Bundle): BundleSymbol[] {
  return b.files.flatMap((f) => f.symbols);
}

function find(b: Bundle, qn: string): BundleSymbol | undefined {
  return allSymbols(b).find((s) => s.qualifiedName === qn);
}

/** The properties every bundle must have, whatever the seed and budget. */
function checkBundle(session: IndexSession, b: Bundle, label: string): void {
  const syms = allSymbols(b);
  assert.ok(syms.length >= 1, `${label}: never empty`);
  assert.is(estimateTokens(renderBundle(b)), b.tokens, `${label}: tokens are those of the rendering`);
  if (!b.trimmed) assert.ok(b.tokens <= b.budget, `${label}: ${b.tokens} > ${b.budget}`);
  else
    assert.ok(
      syms.some((s) => s.trimmed && s.link === 'seed'),
      `${label}: only the seed is trimmed`,
    );
  const ids = syms.map((s) => s.id);
  assert.is(new Set(ids).size, ids.length, `${label}: a symbol twice`);
  const g = session.graph();
  // Nothing is shown twice: no symbol inside another shown whole (an outline shows members' first lines).
  for (const a of syms)
    for (const c of syms)
      if (!a.outline)
        assert.not.ok(encloses(g, a.id, c.id), `${label}: ${c.qualifiedName} inside ${a.qualifiedName}`);
  for (const f of b.files) {
    const lines = f.symbols.map((s) => s.startLine);
    assert.equal(
      lines,
      [...lines].sort((x, y) => x - y),
      `${label}: source order in ${f.file}`,
    );
  }
  for (let i = 1; i < b.files.length; i++)
    assert.ok(b.files[i - 1]!.score >= b.files[i]!.score, `${label}: file order`);
}

function stable(b: Bundle): string {
  return JSON.stringify({ ...b, stats: { ...b.stats, ms: 0 } });
}

test.after(async () => {
  for (const { ws, session } of open) {
    await session.close();
    ws.cleanup();
  }
});

test('every symbol of every fixture at every budget: within budget, never empty, no duplicates', async () => {
  for (const name of ['ts-app', 'py-app', 'rs-app']) {
    const s = await indexed(name);
    const g = s.graph();
    for (let id = 0; id < g.fileSymbolCount; id++) {
      for (const budget of [40, 90, 200, 400, 8000]) {
        const r = Relevance.fromSymbol(s, id);
        const b = gatherContext(s, [{ id, score: 1 }], { budget, relevance: r, title: `t${id}` });
        checkBundle(s, b, `${name} #${id} @${budget}`);
        // The seed is there, or the container that holds its text.
        assert.ok(
          allSymbols(b).some(
            (x) => x.id === id || x.absorbed.some((a) => a.id === id) || encloses(g, x.id, id),
          ),
          `${name} #${id} @${budget}: seed missing`,
        );
      }
    }
  }
});

test('a seed larger than the budget is trimmed by lines and says so', async () => {
  const s = await indexed('ts-app');
  const small = contextFor(s, 'register', { budget: 60 }).bundle;
  const seed = allSymbols(small)[0]!;
  assert.ok(small.trimmed);
  assert.ok(seed.trimmed);
  assert.match(seed.text, '… trimmed:');
  assert.match(renderBundle(small), '· trimmed');
  assert.is(allSymbols(small).length, 1);
  const roomy = contextFor(s, 'register', { budget: 8000 }).bundle;
  assert.not.ok(roomy.trimmed);
  assert.not.ok(find(roomy, 'register')?.trimmed);
});

test('deterministic: the same bundle from two runs and two sessions', async () => {
  const a = await indexed('ts-app');
  const b = await indexed('ts-app');
  for (const spec of ['register', 'User', 'Repo.save', 'log']) {
    for (const budget of [150, 8000]) {
      const first = stable(contextFor(a, spec, { budget }).bundle);
      assert.is(stable(contextFor(a, spec, { budget }).bundle), first, spec);
      assert.is(stable(contextFor(b, spec, { budget }).bundle), first, spec);
    }
  }
});

test('callers and callees are reached, each with its reason', async () => {
  const s = await indexed('ts-app');
  const log = contextFor(s, 'src/util.ts:log', { budget: 8000 }).bundle;
  assert.is(find(log, 'register')?.reason, 'calls log');
  assert.is(find(log, 'legacyMain')?.reason, 'calls log');
  assert.is(find(log, 'log')?.reason, 'seed');
  const reg = contextFor(s, 'register', { budget: 8000 }).bundle;
  assert.is(find(reg, 'User')?.reason, 'called by register');
  assert.is(find(reg, 'Repo')?.reason, 'called by register');
  assert.is(find(reg, 'Admin')?.reason, 'inherits User');
  const py = await indexed('py-app');
  const save = contextFor(py, 'Base.save', { budget: 8000 }).bundle;
  // Base.save sits inside class Base: pulled in as its owner, the class absorbs the seed.
  assert.ok(find(save, 'User.rename') ?? find(save, 'User'), 'the caller of Base.save is reached');
  const rs = await indexed('rs-app');
  const pop = contextFor(rs, 'TaskQueue.pop', { budget: 8000 }).bundle;
  // next calls pop and consumes its return value: either link is a true reason.
  assert.ok(
    ['calls TaskQueue.pop', 'data from TaskQueue.pop'].includes(find(pop, 'TaskQueue.next')?.reason ?? ''),
    find(pop, 'TaskQueue.next')?.reason,
  );
  assert.is(find(pop, 'clamp')?.reason, 'called by TaskQueue.pop');
  // A Rust method's struct is outside its text: the struct is its owner, not a container.
  assert.is(find(pop, 'TaskQueue')?.reason, 'owner of TaskQueue.pop');
});

test('a chosen class absorbs its chosen method instead of repeating it', async () => {
  const s = await indexed('ts-app');
  const b = contextFor(s, 'User.greet', { budget: 8000 }).bundle;
  const user = find(b, 'User');
  assert.ok(user, 'the class around the seed is chosen');
  assert.is(find(b, 'User.greet'), undefined);
  const seedId = resolveSymbol(s, 'User.greet').chosen.id;
  assert.ok(user.absorbed.some((a) => a.id === seedId));
  assert.is(
    renderBundle(b).split('greet(): string {\n    return `hi').length,
    2,
    'the method text appears once',
  );
});

test('an absorbed method keeps its own reason and pull: a seed stays a seed inside its class', async () => {
  const s = await indexed('ts-app');
  const seedId = resolveSymbol(s, 'User.greet').chosen.id;
  const b = gatherContext(s, [{ id: seedId, score: 1, label: 'match for "greet"' }], {
    budget: 8000,
    relevance: Relevance.fromSymbol(s, seedId),
    title: 'greet',
  });
  checkBundle(s, b, 'greet');
  const user = find(b, 'User');
  assert.ok(user, 'the class around the seed is chosen');
  const held = user.absorbed.find((a) => a.id === seedId);
  assert.ok(held, 'the class holds the seed');
  assert.is(held.link, 'seed');
  assert.is(held.reason, 'match for "greet"');
  assert.is(held.score, 1);
  // The class's own reason is its link to the seed; the header also says why the seed is there.
  assert.is(user.reason, 'contains User.greet');
  assert.match(renderBundle(b), '· holds User.greet (match for "greet" · 1.00)');
  // Its file ranks by the best pull it shows: the seed's.
  assert.is(b.files.find((f) => f.file === user.file)?.score, 1);
});

test('a seed met inside a class already shown whole is noted in the class header', async () => {
  const s = await indexed('ts-app');
  const userId = resolveSymbol(s, 'User').chosen.id;
  const greetId = resolveSymbol(s, 'User.greet').chosen.id;
  const b = gatherContext(
    s,
    [
      { id: userId, score: 2, label: 'match for "user"' },
      { id: greetId, score: 1, label: 'match for "greet"' },
    ],
    { budget: 8000, relevance: () => 0.5, title: 'user and greet' },
  );
  checkBundle(s, b, 'user and greet');
  const user = find(b, 'User');
  assert.ok(user && !user.outline);
  assert.is(user.reason, 'match for "user"');
  assert.equal(
    user.absorbed.map((a) => [a.id, a.reason, a.score]),
    [[greetId, 'match for "greet"', 0.5]],
  );
  assert.match(renderBundle(b), '· holds User.greet (match for "greet" · 0.50)');
});

test('relevance orders neighbours: the callee about the query pulls harder', async () => {
  const s = await generated(SERVER_APP);
  const model = loadModel();
  const seed = resolveSymbol(s, 'startServer').chosen.id;
  const rel = Relevance.fromText(s, model, 'parse the configuration file settings');
  const cfgId = resolveSymbol(s, 'parseConfigFile').chosen.id;
  const mailId = resolveSymbol(s, 'sendWelcomeEmail').chosen.id;
  assert.ok(rel.score(cfgId) > rel.score(mailId), 'relevance itself');
  const b = gatherContext(s, [{ id: seed, score: 1 }], { budget: 8000, relevance: rel, title: 'q' });
  const cfg = find(b, 'parseConfigFile');
  const mail = find(b, 'sendWelcomeEmail');
  assert.ok(cfg && mail);
  assert.ok(cfg.score > mail.score, `${cfg.score} <= ${mail.score}`);
  // The other query flips the order.
  const rel2 = Relevance.fromText(s, model, 'send welcome email message to user');
  const b2 = gatherContext(s, [{ id: seed, score: 1 }], { budget: 8000, relevance: rel2, title: 'q' });
  assert.ok(find(b2, 'sendWelcomeEmail')!.score > find(b2, 'parseConfigFile')!.score);
  // With room for only one callee, the relevant one is chosen.
  const seedOnly = gatherContext(s, [{ id: seed, score: 1 }], {
    budget: 8000,
    relevance: () => 0,
    title: 'q',
  });
  const one = Math.max(cfg.tokens, mail.tokens) + 12; // a block and its file heading
  const tight = seedOnly.files[0]!.symbols[0]!.tokens + 40 + one;
  const small = gatherContext(s, [{ id: seed, score: 1 }], { budget: tight, relevance: rel, title: 'q' });
  assert.ok(find(small, 'parseConfigFile'), JSON.stringify(allSymbols(small).map((x) => x.qualifiedName)));
  assert.is(find(small, 'sendWelcomeEmail'), undefined);
});

test('an edge to a member of an object literal reaches the object held by the constant as well', async () => {
  const s = await generated({
    'src/proxy.ts': `export interface State { copy: Record<string, unknown>; modified: boolean }

export const traps = {
  get(state: State, prop: string): unknown {
    return state.copy[prop];
  },
  set(state: State, prop: string, value: unknown): boolean {
    markChanged(state);
    state.copy[prop] = value;
    return true;
  },
};

export function markChanged(state: State): void {
  state.modified = true;
}

export function createProxy(state: State): unknown {
  return traps.get(state, 'x');
}
`,
  });
  const seed = resolveSymbol(s, 'createProxy').chosen.id;
  const member = resolveSymbol(s, 'traps.get').chosen.id;
  const owner = resolveSymbol(s, 'traps').chosen.id;
  const trace: GravityTrace = { reached: new Map(), fate: new Map() };
  const b = gatherContext(s, [{ id: seed, score: 1 }], {
    budget: 8000,
    relevance: () => 0.5,
    title: 'q',
    trace,
  });
  checkBundle(s, b, 'object literal');
  const m = trace.reached.get(member) ?? 0;
  const o = trace.reached.get(owner) ?? 0;
  assert.ok(m > 0, 'the member is reached by the call');
  // Through the member's `contains` edge alone the object would pull at most 0.5 × 0.9 of it
  // (× the ratio of their masses, 0.8–1.25).
  assert.ok(o > 0.6 * m, `object ${o} vs member ${m}`);
  // The object is shown, whole, holding the member, and markChanged (called by its set trap) is reached.
  const shownObject = find(b, 'traps');
  assert.ok(shownObject && !shownObject.outline, JSON.stringify(allSymbols(b).map((x) => x.qualifiedName)));
  assert.is(find(b, 'traps.get'), undefined, 'not shown twice');
  assert.ok(trace.reached.has(resolveSymbol(s, 'markChanged').chosen.id));
});

test('tests pull less than other callers unless a seed is a test', async () => {
  const s = await generated(SERVER_APP);
  const b = contextFor(s, 'startServer', { budget: 8000 }).bundle;
  const main = find(b, 'main');
  const check = find(b, 'checkStartServer');
  assert.ok(main && check);
  assert.is(check.reason, 'calls startServer');
  assert.ok(main.score > 2 * check.score, `${main.score} vs ${check.score}`);
  const withTests = contextFor(s, 'startServer', { budget: 8000, includeTests: true }).bundle;
  assert.ok(find(withTests, 'checkStartServer')!.score > check.score);
});

test('several seeds: scores normalised to the best, the best one first', async () => {
  const s = await generated(SERVER_APP);
  const a = resolveSymbol(s, 'parseConfigFile').chosen.id;
  const c = resolveSymbol(s, 'sendWelcomeEmail').chosen.id;
  const b = gatherContext(
    s,
    [
      { id: a, score: 8, label: 'search match' },
      { id: c, score: 4, label: 'search match' },
    ],
    { budget: 8000, relevance: () => 0.5, title: 'two seeds' },
  );
  assert.is(find(b, 'parseConfigFile')?.score, 1);
  assert.is(find(b, 'sendWelcomeEmail')?.score, 0.5);
  assert.is(find(b, 'parseConfigFile')?.reason, 'search match');
  checkBundle(s, b, 'two seeds');
});

/** A class of 30 methods and a long function, both called by a small one. */
function bigApp(): Record<string, string> {
  const methods = Array.from(
    { length: 30 },
    (_, i) =>
      `  /** Step ${i} of the pipeline. */\n  step${i}(input: number): number {\n    const doubled = input * 2 + ${i};\n    return doubled - this.offset;\n  }\n`,
  ).join('\n');
  const lines = Array.from({ length: 120 }, (_, i) => `  total += values[${i}] ?? ${i};`).join('\n');
  return {
    'src/pipeline.ts': `export class Pipeline {\n  offset = 1;\n\n${methods}}\n`,
    'src/sum.ts': `export function sumEverything(values: number[]): number {\n  let total = 0;\n${lines}\n  return total;\n}\n`,
    'src/main.ts': `import { Pipeline } from './pipeline';\nimport { sumEverything } from './sum';\n\nexport function run(): number {\n  const p = new Pipeline();\n  return p.step0(sumEverything([1, 2]));\n}\n`,
  };
}

test('big classes are outlined and big functions stubbed rather than crowding out the rest', async () => {
  const s = await generated(bigApp());
  const b = contextFor(s, 'run', { budget: 1200 }).bundle;
  checkBundle(s, b, 'big app');
  const cls = find(b, 'Pipeline');
  assert.ok(cls, 'the class is there');
  assert.ok(cls.outline);
  assert.match(cls.text, 'step0(input: number): number { …');
  assert.match(cls.text, 'step29(input: number): number { …');
  assert.not.match(cls.text, 'doubled');
  assert.not.match(cls.text, 'Step 3 of');
  const sum = find(b, 'sumEverything');
  assert.ok(sum?.outline, 'the long function is shown by its signature');
  assert.is(sum.text, 'function sumEverything(values: number[]): number …');
  assert.match(renderBundle(b), '· outline');
  // A class seed too big for the budget is outlined, not cut.
  const seed = contextFor(s, 'Pipeline', { budget: 700 }).bundle;
  checkBundle(s, seed, 'class seed');
  assert.ok(find(seed, 'Pipeline')?.outline);
  assert.not.ok(seed.trimmed);
  // With room, the class is whole.
  const roomy = contextFor(s, 'Pipeline', { budget: 8000 }).bundle;
  assert.not.ok(find(roomy, 'Pipeline')?.outline);
  assert.match(find(roomy, 'Pipeline')!.text, 'doubled');
});

test.run();
