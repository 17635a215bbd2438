// Trains leindex's code embedding model from a corpus: extracts symbols with the project's
// own parser, trains PPMI-SVD sub-token vectors (scripts/embed/train.ts) and writes the model
// file plus a provenance JSON (sources, digests, parameters, figures) beside it.
// Usage: node dist/scripts/train-embedder.js [--corpus bench/corpus] [--split bench/retrieval/split.json]
//          [--sources scripts/embed/training-sources.json | --no-extras] [--out models/leindex-code-embed.bin]
//          [--threads 2] [--no-cache] [--set key=value ...]   (keys of TrainParams)
// Runs on the main thread; parsing runs in worker threads.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeModel } from '../src/embed/model.js';
import { SymbolKind } from '../src/protocol.js';
import {
  extractProjects,
  extraProjects,
  listProjects,
  type CorpusProject,
  type ExtractedSymbol,
  type TrainingSource,
} from './embed/corpus.js';
import { DEFAULT_TRAIN_PARAMS, trainModel, type TrainParams, type TrainSymbol } from './embed/train.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface TrainRun {
  readonly corpus: string;
  /** Split file whose `train` list selects the corpus projects; all projects when absent. */
  readonly split?: string | undefined;
  /** Extra sources file; none when absent. */
  readonly sources?: string | undefined;
  readonly params: TrainParams;
  readonly threads: number;
  readonly cache: boolean;
  readonly log: (msg: string) => void;
}

const CALLABLE: ReadonlySet<number> = new Set([SymbolKind.function, SymbolKind.method]);

/** What a symbol contributes to training: callables with their body, others by their head. */
export function toTrainSymbol(s: ExtractedSymbol): TrainSymbol {
  return {
    name: s.name,
    qualifiedName: s.qualifiedName,
    signature: s.signature,
    doc: s.doc,
    // A class's text is its methods' text again; a field's is its signature.
    body: CALLABLE.has(s.kind) ? s.body : '',
  };
}

export async function trainFromCorpus(
  run: TrainRun,
): Promise<{ model: Uint8Array; provenance: Record<string, unknown> }> {
  const started = performance.now();
  let projects: CorpusProject[] = listProjects(run.corpus);
  let splitInfo: Record<string, unknown> | undefined;
  if (run.split) {
    const split = JSON.parse(readFileSync(run.split, 'utf8')) as {
      train: string[];
      dev: string[];
      test: string[];
    };
    const train = new Set(split.train);
    const missing = split.train.filter((id) => !projects.some((p) => p.id === id));
    if (missing.length)
      throw new Error(`split lists projects missing from the corpus: ${missing.join(', ')}`);
    projects = projects.filter((p) => train.has(p.id));
    splitInfo = { file: run.split, heldOut: [...split.dev, ...split.test] };
  }
  let sources: TrainingSource[] = [];
  if (run.sources) {
    const extra = extraProjects(run.sources, REPO);
    projects = [...projects, ...extra.projects];
    sources = extra.sources;
  }
  const extracted = await extractProjects(projects, {
    threads: run.threads,
    ...(run.cache ? {} : { cacheDir: false as const }),
    log: run.log,
  });
  const extractSeconds = (performance.now() - started) / 1000;

  const manifest: { id: string; files: number; bytes: number; symbols: number; sha256: string }[] = [];
  const symbols: TrainSymbol[] = [];
  let bytes = 0;
  for (const p of projects) {
    const r = extracted.get(p.id);
    if (!r) continue;
    manifest.push({ id: p.id, files: r.files, bytes: r.bytes, symbols: r.symbols.length, sha256: r.digest });
    bytes += r.bytes;
    for (const s of r.symbols) symbols.push(toTrainSymbol(s));
  }
  const manifestSha256 = createHash('sha256').update(JSON.stringify(manifest)).digest('hex');
  run.log(`corpus: ${manifest.length} projects, ${(bytes / 1e6).toFixed(1)} MB, ${symbols.length} symbols`);

  const t = performance.now();
  const { parts, stats } = trainModel(
    symbols,
    run.params,
    { format: 'leindex-code-embed', method: 'ppmi-svd', corpusManifestSha256: manifestSha256 },
    run.log,
  );
  const model = encodeModel(parts);
  const trainSeconds = (performance.now() - t) / 1000;
  const provenance = {
    modelSha256: createHash('sha256').update(model).digest('hex'),
    modelBytes: model.byteLength,
    corpusManifestSha256: manifestSha256,
    split: splitInfo,
    extraSources: sources.map((s) => ({ id: s.id, ...s.source })),
    projects: manifest,
    corpus: { projects: manifest.length, bytes, symbols: symbols.length },
    params: run.params,
    stats,
    timing: {
      extractSeconds: Math.round(extractSeconds * 10) / 10,
      trainSeconds: Math.round(trainSeconds * 10) / 10,
      threads: run.threads,
      nproc: cpus().length,
      node: process.version,
    },
  };
  return { model, provenance };
}

function parseArgs(argv: string[]): { run: TrainRun; out: string } {
  const params: Record<string, unknown> = { ...DEFAULT_TRAIN_PARAMS };
  let corpus = join(REPO, 'bench/corpus');
  let split: string | undefined = join(REPO, 'bench/retrieval/split.json');
  let sources: string | undefined = join(REPO, 'scripts/embed/training-sources.json');
  let out = join(REPO, 'models/leindex-code-embed.bin');
  let threads = 2;
  let cache = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--corpus') corpus = resolve(next());
    else if (a === '--split') split = resolve(next());
    else if (a === '--no-split') split = undefined;
    else if (a === '--sources') sources = resolve(next());
    else if (a === '--no-extras') sources = undefined;
    else if (a === '--out') out = resolve(next());
    else if (a === '--threads') threads = Number(next());
    else if (a === '--no-cache') cache = false;
    else if (a === '--set') {
      const [k, v] = next().split('=');
      if (!k || v === undefined || !(k in DEFAULT_TRAIN_PARAMS)) throw new Error(`unknown parameter ${k}`);
      params[k] = v === 'true' ? true : v === 'false' ? false : Number(v);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (split && !existsSync(split)) split = undefined;
  const log = (msg: string): void => void process.stderr.write(`${msg}\n`);
  return {
    run: { corpus, split, sources, params: params as unknown as TrainParams, threads, cache, log },
    out,
  };
}

async function main(): Promise<void> {
  const { run, out } = parseArgs(process.argv.slice(2));
  const { model, provenance } = await trainFromCorpus(run);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, model);
  writeFileSync(out.replace(/\.bin$/, '') + '.json', `${JSON.stringify(provenance, null, 2)}\n`);
  process.stdout.write(
    `${JSON.stringify({ out, bytes: model.byteLength, sha256: provenance.modelSha256, timing: provenance.timing, corpus: provenance.corpus })}\n`,
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
