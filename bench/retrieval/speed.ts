// Embedder cost: model load time (first load in this process, then warm re-loads) and
// symbols embedded per second on one core, as CPU time (process.cpuUsage: robust on a shared
// machine) and wall time, with a digest of every vector (equal digests = bit-identical vectors).
// Sets: `test` (default): every symbol of the held-out test projects, all kinds with doc and
// body; `pipeline`: the whole corpus as the parse worker embeds it (EMBEDDED_KINDS, bodies for
// functions and methods only). Modes: main thread, two passes (cold, warm; the second also
// with opts.out), or --in-worker: one worker thread that parses and extracts each shard of 32
// files, then embeds its symbols as the parse worker does; only the embedding is timed.
// Usage: node dist/bench/retrieval/speed.js [--set test|pipeline] [--in-worker [--every k] [--out]]
//          [--model path] [--record]  → one JSON line (--record appends it to results.jsonl).

import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { embedSymbol, loadModel, type EmbeddingModel, type SymbolText } from '../../src/embed/embedder.js';
import { defaultModelPath } from '../../src/embed/model.js';
import { FragmentReader } from '../../src/graph/fragment.js';
import { EMBEDDED_KINDS, SymbolKind } from '../../src/protocol.js';
import { parseShard } from '../../workers/parse-worker.js';
import { readSource } from '../../workers/read-source.js';
import {
  extractProjects,
  listProjects,
  listSourceFiles,
  type CorpusFile,
  type ExtractedSymbol,
} from '../../scripts/embed/corpus.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const BODY_KINDS: ReadonlySet<number> = new Set([SymbolKind.function, SymbolKind.method]);

/** CPU milliseconds of this process (all threads; the others idle in these measurements). */
function cpuMs(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

const perSec = (n: number, ms: number): number => Math.round(n / (Math.max(ms, 1e-3) / 1000));

/** The symbol as the parse worker passes it to embedSymbol (no path: fragments are content-only). */
function pipelineInput(s: {
  kind: number;
  name: string;
  qualifiedName: string;
  signature: string;
  doc: string;
  body: string;
}): SymbolText {
  return {
    name: s.name,
    qualifiedName: s.qualifiedName,
    signature: s.signature,
    doc: s.doc,
    body: BODY_KINDS.has(s.kind) ? s.body : undefined,
  };
}

async function inputsOf(set: string): Promise<SymbolText[]> {
  const corpus = join(REPO, 'bench/corpus');
  if (set === 'pipeline') {
    const projects = listProjects(corpus);
    const extracted = await extractProjects(projects, { threads: 2 });
    const all = projects.flatMap((p) => extracted.get(p.id)?.symbols ?? []);
    return all.filter((s) => EMBEDDED_KINDS.has(s.kind)).map(pipelineInput);
  }
  const split = JSON.parse(readFileSync(join(REPO, 'bench/retrieval/split.json'), 'utf8')) as {
    test: string[];
  };
  const ids = new Set(split.test);
  const projects = listProjects(corpus).filter((p) => ids.has(p.id));
  const extracted = await extractProjects(projects, { threads: 2 });
  return projects
    .flatMap((p) => extracted.get(p.id)?.symbols ?? [])
    .map((s: ExtractedSymbol) => ({
      name: s.name,
      qualifiedName: s.qualifiedName,
      signature: s.signature,
      doc: s.doc,
      body: s.body,
      path: s.path,
    }));
}

/** Main-thread passes over `inputs`: cold, warm, warm with opts.out. */
function mainThreadRuns(model: EmbeddingModel, inputs: readonly SymbolText[]): Record<string, unknown> {
  const out = new Float32Array(model.dim);
  const passes: { cpu: number; wall: number }[] = [];
  let digest = '';
  for (let pass = 0; pass < 3; pass++) {
    const h = createHash('sha256');
    const c = cpuMs();
    const t = performance.now();
    for (const s of inputs) {
      const v = pass === 2 ? embedSymbol(model, s, { out }) : embedSymbol(model, s);
      if (pass === 0) h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    }
    passes.push({ cpu: cpuMs() - c, wall: performance.now() - t });
    if (pass === 0) digest = h.digest('hex');
  }
  const [cold, warm, warmOut] = passes as [(typeof passes)[0], (typeof passes)[0], (typeof passes)[0]];
  return {
    coldPassSymbolsPerSec: perSec(inputs.length, cold.wall),
    warmPassSymbolsPerSec: perSec(inputs.length, warm.wall),
    coldPassSymbolsPerCpuSec: perSec(inputs.length, cold.cpu),
    warmPassSymbolsPerCpuSec: perSec(inputs.length, warm.cpu),
    warmPassOutSymbolsPerCpuSec: perSec(inputs.length, warmOut.cpu),
    vectorsSha256: digest,
  };
}

interface WorkerJob {
  readonly modelPath: string;
  readonly every: number;
  readonly useOut: boolean;
}

/** In a worker: parse + extract each shard (not timed), then embed its symbols (timed). */
function inWorkerRun(job: WorkerJob): Record<string, unknown> {
  const files: CorpusFile[] = [];
  for (const p of listProjects(join(REPO, 'bench/corpus'))) files.push(...listSourceFiles(p));
  const picked = files.filter((_, i) => i % job.every === 0);
  const model = loadModel(job.modelPath);
  const out = new Float32Array(model.dim);
  const h = createHash('sha256');
  let cpu = 0;
  let wall = 0;
  let vectors = 0;
  for (let i = 0; i < picked.length; i += 32) {
    const shard = picked.slice(i, i + 32);
    const res = parseShard({ files: shard, maxFileBytes: 1 << 20, extract: true, embed: false });
    const todo: { fr: FragmentReader; text: string }[] = [];
    for (const o of res.outcomes) {
      const file = shard.find((f) => f.relPath === o.relPath);
      if (o.status !== 'ok' || !file) continue;
      const src = readSource(file.absPath, file.language, { maxFileBytes: 1 << 20 });
      if (src.ok)
        todo.push({ fr: new FragmentReader(new Uint8Array(res.buffer, o.offset, o.length)), text: src.text });
    }
    const c = cpuMs();
    const t = performance.now();
    for (const { fr, text } of todo) {
      for (let row = 1; row < fr.symbolCount; row++) {
        const kind = fr.sym(row, 'kind');
        if (!EMBEDDED_KINDS.has(kind)) continue;
        const s: SymbolText = {
          name: fr.symStr(row, 'name'),
          qualifiedName: fr.symStr(row, 'qualifiedName'),
          signature: fr.symStr(row, 'signature'),
          doc: fr.symStr(row, 'doc'),
          body: BODY_KINDS.has(kind)
            ? text.slice(fr.sym(row, 'startOffset'), fr.sym(row, 'endOffset'))
            : undefined,
        };
        const v = job.useOut ? embedSymbol(model, s, { out }) : embedSymbol(model, s);
        h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
        vectors++;
      }
    }
    cpu += cpuMs() - c;
    wall += performance.now() - t;
  }
  return {
    files: picked.length,
    symbols: vectors,
    inWorkerSymbolsPerCpuSec: perSec(vectors, cpu),
    inWorkerSymbolsPerSec: perSec(vectors, wall),
    vectorsSha256: h.digest('hex'),
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (k: string): string | undefined => {
    const i = argv.indexOf(k);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const modelPath = resolve(arg('--model') ?? defaultModelPath());
  const inWorker = argv.includes('--in-worker');
  const set = inWorker ? 'pipeline' : (arg('--set') ?? 'test');
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

  let figures: Record<string, unknown>;
  if (inWorker) {
    const job: WorkerJob = { modelPath, every: Number(arg('--every') ?? 2), useOut: argv.includes('--out') };
    figures = await new Promise<Record<string, unknown>>((ok, fail) => {
      const w = new Worker(new URL(import.meta.url), { workerData: job });
      w.once('message', (m: Record<string, unknown>) => ok(m));
      w.once('error', fail);
    });
    figures = { mode: job.useOut ? 'in-worker, opts.out' : 'in-worker', every: job.every, ...figures };
  } else {
    const inputs = await inputsOf(set);
    let chars = 0;
    let bodies = 0;
    for (const s of inputs) {
      chars += s.body?.length ?? 0;
      if (s.body !== undefined) bodies++;
    }
    figures = {
      mode: 'main thread',
      symbols: inputs.length,
      meanBodyChars: Math.round(chars / Math.max(1, bodies)),
      ...mainThreadRuns(model, inputs),
    };
  }
  const row = {
    bench: 'embed-speed',
    set,
    date: new Date().toISOString(),
    machine: { nproc: cpus().length, cpu: cpus()[0]?.model ?? '?', node: process.version },
    loadavg1m: Math.round((loadavg()[0] ?? 0) * 10) / 10,
    modelSha256: createHash('sha256').update(readFileSync(modelPath)).digest('hex'),
    modelBytes: readFileSync(modelPath).byteLength,
    dim: model.dim,
    vocab: model.vocabSize,
    firstLoadMs: Math.round(firstLoadMs * 10) / 10,
    warmLoadMsMedian: Math.round((warm[2] ?? 0) * 10) / 10,
    ...figures,
  };
  process.stdout.write(`${JSON.stringify(row)}\n`);
  if (argv.includes('--record'))
    appendFileSync(join(REPO, 'bench/retrieval/results.jsonl'), `${JSON.stringify(row)}\n`);
}

if (isMainThread) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
} else {
  parentPort?.postMessage(inWorkerRun(workerData as WorkerJob));
}
