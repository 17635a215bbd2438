// `leindex bench`: throughput profile of the pipeline on a tree. In one run: a warm-up read
// of every file (so neither measurement pays for a cold page cache), the raw parse ceiling
// (the same files, same pool and shards, parse only: no extraction, no fragments, no store),
// then a full index from scratch into a temporary store, then a no-op re-run, a re-run after
// one file is edited and one after a file is only touched. Coordinator thread.

import { mkdtempSync, readFileSync, rmSync, utimesSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IndexOptions } from '../config.js';
import type { ParseTaskFile } from '../protocol.js';
import { ParsePool } from './pool.js';
import { discoverFor, runIndex, type IndexSummary } from './run-index.js';
import { planShards } from './shard.js';

export interface BenchReport {
  root: string;
  threads: number;
  files: number;
  bytes: number;
  ceiling: { wallMs: number; mbPerSec: number; filesPerSec: number; workerBusyMs: number };
  full: IndexSummary;
  /** Full index wall time (all phases) over the ceiling's wall time. */
  ratioTotal: number;
  /** Parse phase of the full index (read+parse+extract+transfer) over the ceiling. */
  ratioParse: number;
  noop: { wallMs: number };
  /**
   * Re-run after a comment was appended to one file (re-parse; no merge: the previous graph is
   * patched, src/graph/patch.ts), and after a function was appended to it (re-parse, re-merge).
   */
  oneFileEdited: { wallMs: number; cpuMs: number; patched: boolean; file: string | undefined };
  oneFileCodeEdited: { wallMs: number; cpuMs: number; patched: boolean };
  /** Re-run after one file's mtime changed but not its bytes (hash check, new file table only). */
  oneFileTouched: { wallMs: number };
  node: string;
  cpus: number;
  date: string;
}

export async function runBench(
  root: string,
  options: IndexOptions,
  log: (m: string) => void,
): Promise<BenchReport> {
  const found = await discoverFor(root, options);
  const bytes = found.files.reduce((n, f) => n + f.size, 0);
  log(`bench: ${found.files.length} files, ${(bytes / 1e6).toFixed(1)} MB; warming the page cache`);
  for (const f of found.files) {
    try {
      readFileSync(f.absPath);
    } catch {
      // a file that cannot be read is skipped by both runs alike
    }
  }

  const threads = options.threads;
  log(`bench: raw parse ceiling on ${threads} threads`);
  const tasks: (ParseTaskFile & { size: number })[] = found.files.map((f) => ({
    absPath: f.absPath,
    relPath: f.relPath,
    language: f.language,
    size: f.size,
  }));
  const pool = new ParsePool({ threads, maxFileBytes: options.maxFileBytes, extract: false });
  let busy = 0;
  const t0 = performance.now();
  try {
    await pool.run(planShards(tasks, { threads }), (r) => {
      busy += r.timings.busyMs;
    });
  } finally {
    await pool.destroy();
  }
  const ceilingMs = performance.now() - t0;

  const indexDir = mkdtempSync(join(tmpdir(), 'leindex-bench-'));
  try {
    const opts: IndexOptions = { ...options, indexDir };
    log('bench: full index into a temporary store');
    const full = await runIndex({ root, options: opts, rebuild: true });
    log('bench: no-op re-run');
    const noop = await runIndex({ root, options: opts });
    // One file edited for real (a comment appended: new content, so it is re-parsed and the
    // graph re-merged), then only touched (same bytes, new mtime: the refresh path). The file
    // gets its exact bytes and times back afterwards, whatever happens.
    const victim = found.files[Math.floor(found.files.length / 2)];
    let edited = { wallMs: 0, cpuMs: 0, patched: false };
    let codeEdited = { wallMs: 0, cpuMs: 0, patched: false };
    let touchedMs = 0;
    const figures = (s: IndexSummary): typeof edited => ({
      wallMs: s.phases.totalMs,
      cpuMs: s.cpuMs,
      patched: s.patched,
    });
    if (victim) {
      const original = readFileSync(victim.absPath);
      const st = statSync(victim.absPath);
      try {
        const comment =
          victim.language === 'python' ? '\n# leindex bench edit\n' : '\n// leindex bench edit\n';
        writeFileSync(victim.absPath, Buffer.concat([original, Buffer.from(comment)]));
        log(`bench: one-file-edited re-run (${victim.relPath})`);
        edited = figures(await runIndex({ root, options: opts }));
        const fn =
          victim.language === 'python'
            ? '\ndef leindex_bench_edit():\n    return 1\n'
            : victim.language === 'rust'
              ? '\nfn leindex_bench_edit() -> u32 {\n    1\n}\n'
              : '\nexport function leindexBenchEdit(): number {\n  return 1;\n}\n';
        writeFileSync(victim.absPath, Buffer.concat([original, Buffer.from(fn)]));
        log(`bench: one-file-code-edited re-run (${victim.relPath})`);
        codeEdited = figures(await runIndex({ root, options: opts }));
        writeFileSync(victim.absPath, original);
        const later = new Date(st.mtimeMs + 5000);
        utimesSync(victim.absPath, later, later);
        await runIndex({ root, options: opts }); // back to the original content
        utimesSync(victim.absPath, later, new Date(st.mtimeMs + 10_000));
        log('bench: one-file-touched re-run');
        touchedMs = (await runIndex({ root, options: opts })).phases.totalMs;
      } finally {
        writeFileSync(victim.absPath, original);
        utimesSync(victim.absPath, st.atime, st.mtime);
      }
    }
    const secs = ceilingMs / 1000;
    return {
      root,
      threads,
      files: found.files.length,
      bytes,
      ceiling: {
        wallMs: ceilingMs,
        mbPerSec: secs > 0 ? bytes / 1e6 / secs : 0,
        filesPerSec: secs > 0 ? found.files.length / secs : 0,
        workerBusyMs: busy,
      },
      full,
      ratioTotal: ceilingMs > 0 ? full.phases.totalMs / ceilingMs : 0,
      ratioParse: ceilingMs > 0 ? full.phases.parseMs / ceilingMs : 0,
      noop: { wallMs: noop.phases.totalMs },
      oneFileEdited: { ...edited, file: victim?.relPath },
      oneFileCodeEdited: codeEdited,
      oneFileTouched: { wallMs: touchedMs },
      node: process.version,
      cpus: (await import('node:os')).cpus().length,
      date: new Date().toISOString(),
    };
  } finally {
    rmSync(indexDir, { recursive: true, force: true });
  }
}
