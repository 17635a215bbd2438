// Two indexes of the same tree for comparing query cost with a lexicon delta and without:
// <out>-delta (300 files edited since the base, then one more: a 301-file delta, ~8% churn on
// the corpus) and <out>-compacted (the same last edit with lexiconCompactShare 0). The tree
// is edited in place: give it a copy. Needs a build with the incremental lexicon.
// Usage: node bench/search/lexicon-delta-prep.mjs <dist dir> <tree> <existing index> <out>
import { appendFileSync, cpSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
const dist = process.argv[2];
const root = process.argv[3];
const src = process.argv[4];
const out = process.argv[5];
const { runIndex } = await import(`${dist}/src/pipeline/run-index.js`);
const { defaultOptions } = await import(`${dist}/src/config.js`);
const { IndexReader } = await import(`${dist}/src/store/read.js`);
const L1 = `${out}-delta`;
const L2 = `${out}-compacted`;
cpSync(src, L1, { recursive: true });
const files = [];
const walk = (d) => {
  for (const e of readdirSync(d, { withFileTypes: true })) {
    const p = join(d, e.name);
    if (e.isDirectory()) walk(p);
    else if (/\.(ts|py|rs|js)$/.test(e.name)) files.push(relative(root, p));
  }
};
walk(root);
files.sort();
const info = async (idx) => {
  const r = IndexReader.open(idx);
  try {
    return r.info.lexicon;
  } finally {
    await r.close();
  }
};
const opts = (indexDir) => ({ ...defaultOptions(root), indexDir });
let n = 0;
for (let i = 0; i < files.length && n < 300; i += 25, n++)
  appendFileSync(join(root, files[i]), files[i].endsWith('.py') ? '\n# edit\n' : '\n// edit\n');
let s = await runIndex({ root, options: opts(L1) });
console.error('L1 after 300 edits', s.files.parsed, JSON.stringify(await info(L1)));
appendFileSync(join(root, files[7]), files[7].endsWith('.py') ? '\n# edit\n' : '\n// edit\n');
cpSync(L1, L2, { recursive: true });
s = await runIndex({ root, options: opts(L1) });
console.error('L1', s.files.parsed, JSON.stringify(await info(L1)));
s = await runIndex({ root, options: opts(L2), lexiconCompactShare: 0 });
console.error('L2', s.files.parsed, JSON.stringify(await info(L2)));
