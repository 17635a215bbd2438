// Shared pieces of the search-quality benchmarks: rank metrics (Recall@k, MRR) over a list of
// ranks, grouping by a key, the recorded setup (machine, corpus, model, commit) and a JSON-lines
// writer that prints each row to stdout and appends it to a run file. Main thread, no I/O but
// the run file and the setup probes.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultModelPath } from '../../src/embed/model.js';

/** The repository root (dist/bench/search/ → ../../../). */
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** A rank of 0 means "not in the returned list" (it counts as a miss and adds nothing to MRR). */
export interface Metrics {
  queries: number;
  r1: number;
  r5: number;
  r10: number;
  mrr: number;
}

export function summarise(ranks: readonly number[]): Metrics {
  let r1 = 0;
  let r5 = 0;
  let r10 = 0;
  let mrr = 0;
  for (const r of ranks) {
    if (r <= 0) continue;
    mrr += 1 / r;
    if (r === 1) r1++;
    if (r <= 5) r5++;
    if (r <= 10) r10++;
  }
  const n = Math.max(1, ranks.length);
  const round = (x: number): number => Math.round((x / n) * 10000) / 10000;
  return { queries: ranks.length, r1: round(r1), r5: round(r5), r10: round(r10), mrr: round(mrr) };
}

/** Metrics per group key, keys sorted. */
export function summariseBy<T>(
  items: readonly T[],
  key: (item: T) => string,
  rank: (item: T) => number,
): Record<string, Metrics> {
  const groups = new Map<string, number[]>();
  for (const it of items) {
    const k = key(it);
    const g = groups.get(k) ?? [];
    g.push(rank(it));
    groups.set(k, g);
  }
  return Object.fromEntries([...groups.entries()].sort().map(([k, v]) => [k, summarise(v)]));
}

/** The language groups the retrieval evaluation reports: TypeScript and JavaScript together. */
export function languageGroup(language: string): string {
  return language === 'typescript' || language === 'tsx' || language === 'javascript' ? 'ts/js' : language;
}

function sha256File(path: string): string | undefined {
  return existsSync(path) ? createHash('sha256').update(readFileSync(path)).digest('hex') : undefined;
}

function gitHead(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

/** What a recorded run was measured with. */
export interface RunSetup {
  date: string;
  machine: { nproc: number; cpu: string; node: string };
  commit: string | undefined;
  corpusSha256: string | undefined;
  modelSha256: string | undefined;
}

export function runSetup(corpus: string): RunSetup {
  const manifest = join(corpus, 'MANIFEST.json');
  const corpusSha256 = existsSync(manifest)
    ? (JSON.parse(readFileSync(manifest, 'utf8')) as { totals?: { sha256?: string } }).totals?.sha256
    : undefined;
  return {
    date: new Date().toISOString(),
    machine: { nproc: cpus().length, cpu: cpus()[0]?.model ?? '?', node: process.version },
    commit: gitHead(),
    corpusSha256,
    modelSha256: sha256File(defaultModelPath()),
  };
}

/** Prints rows as JSON lines and, when `file` is set, appends them to it. */
export function jsonLines(file: string | undefined): (row: Record<string, unknown>) => void {
  if (file) mkdirSync(dirname(file), { recursive: true });
  return (row) => {
    const line = `${JSON.stringify(row)}\n`;
    process.stdout.write(line);
    if (file) appendFileSync(file, line);
  };
}

/** Today's date as YYYY-MM-DD (UTC): run files are named by it. */
export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/** A tiny flag reader: `--key value` and bare `--flag`. */
export function args(argv: readonly string[]): {
  get: (k: string) => string | undefined;
  has: (k: string) => boolean;
} {
  return {
    get: (k) => {
      const i = argv.indexOf(k);
      return i >= 0 ? argv[i + 1] : undefined;
    },
    has: (k) => argv.includes(k),
  };
}
