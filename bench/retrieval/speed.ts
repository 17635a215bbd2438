// Embedder cost: model load time (first load in this process, then warm re-loads) and
// symbols embedded per second on one core, over every symbol of the held-out test projects
// (all kinds, with doc and body, as the parse worker would see them). Main thread, one core.
// Usage: node dist/bench/retrieval/speed.js [--model path] [--record]  → one JSON line.

import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { embedSymbol, loadModel } from '../../src/embed/embedder.js';
import { defaultModelPath } from '../../src/embed/model.js';
import { extractProjects, listProjects } from '../../scripts/embed/corpus.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const mi = argv.indexOf('--model');
  const modelPath = resolve(mi >= 0 ? (argv[mi + 1] ?? '') : defaultModelPath());
  let t = performance.now();
  let model = loadModel(modelPath);
  const firstLoadMs = performance.now() - t;
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) {
    t = performance.now();
    model = loadModel(modelPath);
    warm.push(performance.now() - t);
  }
  warm.sort((a, b) => a - b);

  const split = JSON.parse(readFileSync(join(REPO, 'bench/retrieval/split.json'), 'utf8')) as {
    test: string[];
  };
  const ids = new Set(split.test);
  const projects = listProjects(join(REPO, 'bench/corpus')).filter((p) => ids.has(p.id));
  const extracted = await extractProjects(projects, { threads: 2 });
  const symbols = projects.flatMap((p) => extracted.get(p.id)?.symbols ?? []);
  const inputs = symbols.map((s) => ({
    name: s.name,
    qualifiedName: s.qualifiedName,
    signature: s.signature,
    doc: s.doc,
    body: s.body,
    path: s.path,
  }));
  let chars = 0;
  for (const s of inputs) chars += s.body.length;
  // Two passes: the first warms the JIT and the token cache, as a long-lived worker would be.
  let sink = 0;
  const runs: number[] = [];
  for (let pass = 0; pass < 2; pass++) {
    t = performance.now();
    for (const s of inputs) sink += embedSymbol(model, s)[0] ?? 0;
    runs.push(performance.now() - t);
  }
  const row = {
    bench: 'embed-speed',
    date: new Date().toISOString(),
    machine: { nproc: cpus().length, cpu: cpus()[0]?.model ?? '?', node: process.version },
    modelSha256: createHash('sha256').update(readFileSync(modelPath)).digest('hex'),
    modelBytes: readFileSync(modelPath).byteLength,
    dim: model.dim,
    vocab: model.vocabSize,
    firstLoadMs: Math.round(firstLoadMs * 10) / 10,
    warmLoadMsMedian: Math.round((warm[2] ?? 0) * 10) / 10,
    symbols: inputs.length,
    meanBodyChars: Math.round(chars / Math.max(1, inputs.length)),
    coldPassSymbolsPerSec: Math.round(inputs.length / ((runs[0] ?? 1) / 1000)),
    warmPassSymbolsPerSec: Math.round(inputs.length / ((runs[1] ?? 1) / 1000)),
    checksum: Math.round(sink * 1000) / 1000,
  };
  process.stdout.write(`${JSON.stringify(row)}\n`);
  if (argv.includes('--record'))
    appendFileSync(join(REPO, 'bench/retrieval/results.jsonl'), `${JSON.stringify(row)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
