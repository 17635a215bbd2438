// Shared by the vector benchmarks: argument parsing, recall@k against the exact truth,
// percentiles, and the JSON-lines record (one object per measurement, with its setup).
// Main thread.

import { appendFileSync, mkdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname } from 'node:path';
import type { VectorHits } from '../../src/vector/query.js';
import { TRUTH_K, type CorpusVectors } from './corpus-vectors.js';

export function arg(name: string, fallback: string): string {
  const argv = process.argv.slice(2);
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? (argv[i + 1] ?? fallback) : fallback;
}

export function flag(name: string): boolean {
  return process.argv.slice(2).includes(`--${name}`);
}

/**
 * Recall@k against the exact truth, the ann-benchmarks way: a hit counts when its exact f32
 * cosine is within `epsilon` of the k-th exact cosine. The corpus has ~7.5% duplicate
 * vectors, so the exact top-k is an arbitrary pick among equals and plain set overlap
 * understates every method; epsilon 1e-5 counts exact ties only ("strict"), 1e-3 is
 * ann-benchmarks' default.
 */
export function makeRecall(
  c: CorpusVectors,
  epsilon: number,
): (hits: readonly VectorHits[], which: 'symbol' | 'text') => number {
  const row = new Map<number, number>();
  c.keys.forEach((k, i) => row.set(k, i));
  const cos = (q: Float32Array, key: number): number => {
    const r = row.get(key);
    if (r === undefined) return -Infinity;
    let dot = 0;
    let nq = 0;
    let nv = 0;
    for (let j = 0; j < c.dim; j++) {
      const a = q[j] ?? 0;
      const b = c.vectors[r * c.dim + j] ?? 0;
      dot += a * b;
      nq += a * a;
      nv += b * b;
    }
    return dot / Math.sqrt(nq * nv);
  };
  return (hits, which) => {
    const queries = which === 'symbol' ? c.symbolQueries : c.textQueries;
    const truth = which === 'symbol' ? c.symbolTruth : c.textTruth;
    let sum = 0;
    hits.forEach((h, i) => {
      const q = queries.subarray(i * c.dim, (i + 1) * c.dim);
      const kth = cos(q, truth[i * TRUTH_K + TRUTH_K - 1] ?? -1) - epsilon;
      let got = 0;
      const seen = new Set<number>();
      for (let j = 0; j < Math.min(TRUTH_K, h.keys.length); j++) {
        const key = h.keys[j] ?? -1;
        if (!seen.has(key) && cos(q, key) >= kth) got++;
        seen.add(key);
      }
      sum += got / TRUTH_K;
    });
    return sum / Math.max(hits.length, 1);
  };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** The machine a run was made on, recorded with every line. */
export function setup(): Record<string, unknown> {
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memGb: round(totalmem() / 2 ** 30, 1),
  };
}

export function record(out: string, line: Record<string, unknown>): void {
  const text = JSON.stringify(line);
  process.stdout.write(`${text}\n`);
  if (out) {
    mkdirSync(dirname(out), { recursive: true });
    appendFileSync(out, `${text}\n`);
  }
}

/** Milliseconds of `fn`. */
export function time<T>(fn: () => T): [T, number] {
  const t = performance.now();
  const r = fn();
  return [r, performance.now() - t];
}
