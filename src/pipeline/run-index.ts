// `leindex index`, start to finish, and the one place that knows the order of the stages:
// discover → diff against the previous generation → parse changed files in the pool →
// store fragments → merge + resolve → publish a new generation in one switch.
// Coordinator thread. Returns a summary (files, skips by reason, symbols/edges by kind,
// per-phase times, MB/s, peak RSS) for the CLI, MCP and bench.

import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import type { IndexOptions } from '../config.js';
import { LeindexError } from '../errors.js';
import { edgesByKind, graphDigest, edgeCount, type EdgeKindName, type IndexGraph } from '../graph/graph.js';
import { mergeFragments, type MergeInput } from '../graph/merge.js';
import { FragmentReader } from '../graph/fragment.js';
import {
  LANGUAGES,
  SKIP_REASONS,
  SYMBOL_KIND_NAMES,
  type LanguageId,
  type ParseTaskFile,
  type SkipReason,
} from '../protocol.js';
import { BLOB, encodeFileTable, encodeGraph, type SkippedRecord } from '../store/layout.js';
import { IndexWriter } from '../store/write.js';
import {
  buildLexicon,
  isLexiconBaseBlob,
  previousLexicon,
  type LexiconBuild,
  type LexiconInfo,
} from '../search/lexicon.js';
import { encodeNameIndex } from '../search/names.js';
import { createProgress, silentLogger, type Logger } from '../util/log.js';
import { discoverFiles, type DiscoveredFile } from './discover.js';
import { startGovernor, type MemoryGovernor, type MemoryReport } from '../governor/governor.js';
import { MergeInputStash } from '../governor/merge-input.js';
import { ParsePool } from './pool.js';
import { planShards } from './shard.js';
import { VectorStage } from './vectors.js';
import { patchPrevious, reresolvePrevious, type ReresolvePlan } from './patch-previous.js';
import { encodeTally, TALLY_BLOB } from '../graph/patch-resolve.js';
import type { ResolveTally } from '../graph/resolve.js';
import { sameVectors } from '../graph/patch.js';

/** Skip reasons that depend only on a file's bytes: they hold while size and mtime do. */
const CONTENT_SKIPS = new Set<SkipReason>(['binary', 'minified', 'generated', 'too-large']);

/** Up to this many changed files (and bytes) are parsed on the calling thread. */
const SERIAL_MAX_FILES = 16;
const SERIAL_MAX_BYTES = 256 << 10;
/** Vector rows per native add while the parse runs (a shard's, in one or a few batches: 512 KiB at 256 dims). */
const SHARD_VECTOR_BATCH_ROWS = 2048;

export interface RunIndexOptions {
  readonly root: string;
  readonly options: IndexOptions;
  /** Throw away the existing store first. */
  readonly rebuild?: boolean;
  /** Parse on the calling thread instead of the pool (the serial path; tests compare it with the pool). */
  readonly serial?: boolean;
  /** Rows per vector segment of a one-worker build (tests; default: the budget's, vectorSegmentRowsFor). */
  readonly vectorSegmentRows?: number;
  readonly logger?: Logger;
  readonly progress?: boolean;
  readonly signal?: AbortSignal;
  /** A memory governor to work under (tests inject one); default: one from options.memoryBudgetMb. */
  readonly governor?: MemoryGovernor;
  /** Churn share past which the lexicon compacts into a new base (tests, bench); default COMPACT_SHARE. */
  readonly lexiconCompactShare?: number;
}

export interface PhaseTimes {
  discoverMs: number;
  diffMs: number;
  parseMs: number;
  loadMs: number;
  mergeMs: number;
  /** Building the lexical and name indexes (a delta over the previous base, or a new base). */
  lexiconMs: number;
  /** Completing and saving the vector index (most of its build overlaps parsing). */
  vectorMs: number;
  storeMs: number;
  totalMs: number;
}

export interface PoolFigures {
  shards: number;
  /** Sum over shards of the worker's busy time (read + parse + extract + encode). */
  workerBusyMs: number;
  workerReadMs: number;
  workerParseMs: number;
  workerExtractMs: number;
  workerEmbedMs: number;
  workerEncodeMs: number;
  /** Sum of the tree reclaims after each shard (a major GC and an event-loop turn), outside workerBusyMs. */
  workerReclaimMs: number;
  /** The workers' own thread CPU over their shards and reclaims (the coordinator's on the serial path; 0 without /proc/thread-self). */
  workerCpuMs: number;
  /** Coordinator time spent receiving shard results (fragment views, store puts). */
  receiveMs: number;
  /** Coordinator time adding vectors to the segments during a one-worker parse (VectorStage.addSegmented). */
  segmentMs: number;
  /** workerBusyMs / (parse phase wall time × threads). */
  utilization: number;
}

export interface IndexSummary {
  root: string;
  indexDir: string;
  generation: number;
  /** False when nothing changed and no new generation was written. */
  changed: boolean;
  /**
   * True when the graph is the previous one with the changed files' positions written over
   * theirs (no merge: they moved nothing resolution reads, src/graph/patch.ts).
   */
  patched: boolean;
  /** How many changed files were re-resolved alone (src/graph/patch-resolve.ts), when that path ran. */
  reresolved?: number;
  /** Why an incremental run merged every file again (when it tried the paths above and could not). */
  mergeReason?: string;
  digest: string;
  files: {
    indexed: number;
    parsed: number;
    reused: number;
    unchanged: number;
    deleted: number;
    bytes: number;
  };
  skipped: { total: number; byReason: Record<SkipReason, number> };
  languages: Partial<Record<LanguageId, number>>;
  symbols: { total: number; byKind: Record<string, number> };
  /** Symbols embedded by the shipped model (vectors stored in their fragments). */
  vectors: number;
  edges: { total: number; byKind: Record<EdgeKindName, number> };
  references: {
    total: number;
    resolved: number;
    byKind: Record<string, { total: number; resolved: number }>;
  };
  syntaxErrors: { files: number; regions: number };
  phases: PhaseTimes;
  /** Process CPU time (all threads) per phase, ms. */
  phaseCpuMs: PhaseTimes;
  pool: PoolFigures;
  /** CPU time of the whole process (all threads) during the run, ms. */
  cpuMs: number;
  threads: number;
  mbPerSec: number;
  filesPerSec: number;
  peakRssMb: number;
  /** The memory governor: budget and its source, peak, every throttle, flush, spill and reload. */
  memory: MemoryReport;
  discarded: string | undefined;
  usedGit: boolean;
}

/** Tracks the process's peak RSS by sampling; workers are threads of this process, so it covers them. */
class PeakRss {
  peak = process.memoryUsage.rss();
  private readonly timer: NodeJS.Timeout;
  constructor() {
    this.timer = setInterval(() => this.sample(), 50);
    this.timer.unref();
  }
  sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peak) this.peak = rss;
  }
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peak;
  }
}

export async function runIndex(run: RunIndexOptions): Promise<IndexSummary> {
  const log = run.logger ?? silentLogger;
  const { options } = run;
  const root = resolve(run.root);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new LeindexError('E_PATH_NOT_FOUND', `${run.root} is not a directory`);
  }
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const rss = new PeakRss();
  const phases = zeroPhases();
  const phaseCpuMs = zeroPhases();
  const pool = zeroPoolFigures();
  let t = performance.now();
  let cpuLap = process.cpuUsage();
  /** Ends a phase: returns its wall ms and books its CPU ms under the same name. */
  const lap = (phase?: keyof PhaseTimes): number => {
    const now = performance.now();
    const d = now - t;
    t = now;
    if (phase) phaseCpuMs[phase] = cpuMsSince(cpuLap);
    cpuLap = process.cpuUsage();
    // The governor keeps its peaks per phase (and publishes the change for bench/memory-sampler.mjs).
    if (phase) governor.phase(NEXT_PHASE[phase]);
    return d;
  };

  // Memory governor first: a budget below the floor stops here, before the store is touched.
  const governor = run.governor?.start() ?? startGovernor(options, log);
  let writer: IndexWriter;
  let discarded: string | undefined;
  try {
    ({ writer, discarded } = await IndexWriter.open(options.indexDir, { rebuild: run.rebuild ?? false }));
  } catch (err) {
    await governor.stop();
    throw err;
  }
  governor.phase('discover');
  if (discarded) log.warn(`previous index discarded: ${discarded}; building a fresh one`);
  let parsePool: ParsePool | undefined;
  // The merge input, spillable: once in the store, the governor may drop fragments (re-read lazily).
  const stash = new MergeInputStash(writer, governor, { spillDir: options.indexDir });
  governor.addFlusher(() => stash.flush());
  try {
    // ---- discover
    const found = await discoverFor(root, options);
    phases.discoverMs = lap('discoverMs');
    throwIfAborted(run.signal);

    // ---- diff against the previous generation: size and mtime first, content hash to confirm
    const prev = writer.previousFileTable();
    const prevByPath = new Map<string, number>();
    prev?.relPath.forEach((p, i) => prevByPath.set(p, i));
    const toParse: (ParseTaskFile & { size: number })[] = [];
    const reuse = new Map<string, { hash: string; file: DiscoveredFile }>();
    // Skips the workers decided from content last time stand while size and mtime do.
    const prevContentSkips = new Map<string, SkippedRecord>();
    for (const s of writer.previousSkipped()) {
      if (s.mtimeMs !== undefined && CONTENT_SKIPS.has(s.reason)) prevContentSkips.set(s.relPath, s);
    }
    const carriedSkips: SkippedRecord[] = [];
    for (const file of found.files) {
      const skip = prevContentSkips.get(file.relPath);
      if (skip && skip.size === file.size && skip.mtimeMs === file.mtimeMs) {
        carriedSkips.push(skip);
        continue;
      }
      const i = prevByPath.get(file.relPath);
      const known = prev && i !== undefined && prev.language[i] === LANGUAGES.indexOf(file.language);
      const hash = known ? (prev.contentHash[i] ?? '') : undefined;
      if (known && prev.size[i] === file.size && prev.mtimeMs[i] === file.mtimeMs && hash !== undefined) {
        reuse.set(file.relPath, { hash, file });
        continue;
      }
      const { absPath, relPath, language, size } = file;
      toParse.push(
        hash === undefined
          ? { absPath, relPath, language, size }
          : { absPath, relPath, language, size, knownHash: hash },
      );
    }
    const foundPaths = new Set(found.files.map((f) => f.relPath));
    const deleted = prev ? prev.relPath.filter((p) => !foundPaths.has(p)).length : 0;
    phases.diffMs = lap('diffMs');

    // Nothing new, nothing changed, nothing gone: the current generation already is this tree.
    const skippedNow: SkippedRecord[] = [...found.skipped.map((s) => ({ ...s })), ...carriedSkips];
    // What the previous run published: read once, used by the no-op and refresh paths.
    const prevRecord = writer.previousSummary<{ summary: IndexSummary; skippedList: string[] }>();
    if (prev && toParse.length === 0 && deleted === 0 && !discarded) {
      log.debug('no changes since the last index');
      const summary = prevRecord;
      if (summary && sameSkips(summary.skippedList, skippedNow)) {
        phases.totalMs = performance.now() - started;
        return {
          ...summary.summary,
          changed: false,
          patched: false,
          phases,
          phaseCpuMs,
          pool,
          cpuMs: cpuMsSince(cpuStart),
          files: {
            ...summary.summary.files,
            parsed: 0,
            reused: summary.summary.files.indexed,
            unchanged: 0,
            deleted: 0,
          },
          peakRssMb: rss.stop() / 2 ** 20,
          memory: await governor.stop(),
          mbPerSec: 0,
          filesPerSec: 0,
          discarded: undefined,
        };
      }
    }

    // ---- parse what changed; vectors go into the HNSW index as fragments arrive
    writer.begin();
    const prevInfo = writer.previousInfo();
    const totalBytes = toParse.reduce((n, f) => n + f.size, 0);
    // A handful of changed files parse faster on this thread than a pool can start (~150 ms
    // to spawn workers and load grammars); the output is the same either way.
    const small = toParse.length <= SERIAL_MAX_FILES && totalBytes <= SERIAL_MAX_BYTES;
    // As many threads as asked for, and as the memory budget holds.
    const threads =
      run.serial || small
        ? 0
        : governor.threadsFor(Math.max(1, Math.min(options.threads, cpus().length * 4)));
    // Under a budget that holds one worker, the vectors do not go into one index as the shards
    // arrive: a fresh build goes into segments on the coordinator's idle core, the vectors of
    // an update into the index after the parse.
    const deferVectors = options.embeddings && threads > 0 && governor.deferVectors();
    const vectorStage = options.embeddings
      ? new VectorStage({
          indexDir: options.indexDir,
          generation: writer.nextGeneration,
          prevFiles: prev,
          prevVectors: prevInfo?.vectors,
          threads: Math.max(1, options.threads),
          ...(deferVectors ? { segmentRows: run.vectorSegmentRows ?? governor.vectorSegmentRows() } : {}),
          log,
        })
      : undefined;
    const parsed = new Map<string, MergeInput>();
    /** Parsed files whose vectors equal their previous fragment's (not dropped, not added again). */
    const keptVectors = new Set<string>();
    /** Parsed files whose vectors go into the index after the parse (an update under a one-worker budget). */
    const addLater = new Set<string>();
    const skipped: SkippedRecord[] = skippedNow;
    let unchangedCount = 0;
    let bytesParsed = 0;
    let doneFiles = 0;
    const progress = createProgress('indexing', toParse.length, totalBytes, run.progress ?? false);
    if (toParse.length > 0) {
      parsePool = new ParsePool({
        threads,
        maxFileBytes: options.maxFileBytes,
        extract: true,
        embed: options.embeddings,
        signal: run.signal,
        workerHeapMb: governor.workerHeapMb(threads),
        governor,
      });
      const shards = planShards(toParse, { threads: Math.max(1, threads) });
      pool.shards = shards.length;
      const langOf = new Map(toParse.map((f) => [f.relPath, f.language]));
      const knownHashOf = new Map(toParse.map((f) => [f.relPath, f.knownHash]));
      const fileOf = new Map(found.files.map((f) => [f.relPath, f]));
      await parsePool.run(shards, async (result) => {
        const received = performance.now();
        pool.workerBusyMs += result.timings.busyMs;
        pool.workerReadMs += result.timings.readMs;
        pool.workerParseMs += result.timings.parseMs;
        pool.workerExtractMs += result.timings.extractMs;
        pool.workerEmbedMs += result.timings.embedMs;
        pool.workerEncodeMs += result.timings.encodeMs;
        pool.workerReclaimMs += result.timings.reclaimMs ?? 0;
        pool.workerCpuMs += result.timings.cpuMs ?? 0;
        const waits: Promise<void>[] = [];
        const arrived: { relPath: string; fragment: FragmentReader }[] = [];
        for (const o of result.outcomes) {
          doneFiles++;
          if (o.status === 'skipped') {
            const seen = fileOf.get(o.relPath);
            skipped.push({
              relPath: o.relPath,
              reason: o.reason,
              detail: o.detail,
              size: o.size,
              ...(seen && CONTENT_SKIPS.has(o.reason) ? { size: seen.size, mtimeMs: seen.mtimeMs } : {}),
            });
            continue;
          }
          if (o.status === 'unchanged') {
            unchangedCount++;
            const file = fileOf.get(o.relPath);
            if (file)
              reuse.set(o.relPath, {
                hash: o.contentHash,
                file: { ...file, mtimeMs: o.mtimeMs, size: o.size },
              });
            continue;
          }
          bytesParsed += o.size;
          const bytes = new Uint8Array(result.buffer, o.offset, o.length);
          const w = writer.putFragment(o.contentHash, bytes);
          if (w) waits.push(w);
          const meta = {
            relPath: o.relPath,
            language: langOf.get(o.relPath) ?? 'typescript',
            contentHash: o.contentHash,
            size: o.size,
            mtimeMs: o.mtimeMs,
          } as const;
          // Vectors go into the HNSW index now, while the bytes are at hand (the stash may
          // spill them before the merge), unless they wait for the parse to end.
          // An edit outside every embedded symbol leaves the file's vectors where they are.
          if (vectorStage && sameVectorsAsStored(writer, knownHashOf.get(o.relPath), bytes)) {
            keptVectors.add(o.relPath);
          } else if (vectorStage) {
            vectorStage.drop(o.relPath);
            if (!deferVectors || vectorStage.segmenting)
              arrived.push({ relPath: o.relPath, fragment: new FragmentReader(bytes) });
            else addLater.add(o.relPath);
          }
          parsed.set(o.relPath, stash.add(meta, bytes, false));
        }
        // The shard's vectors in one native add (one per file cost 18% of the parse's CPU at 256 MB: bench/memory.md).
        if (arrived.length > 0 && !deferVectors) vectorStage?.addAll(arrived, SHARD_VECTOR_BATCH_ROWS);
        progress.update(doneFiles, bytesParsed);
        rss.sample();
        pool.receiveMs += performance.now() - received;
        await Promise.all(waits);
        if (arrived.length > 0 && deferVectors) {
          // After a turn of the event loop: the pool hands the one worker its next shard first
          // (its slot was freed when it answered), then the native add runs beside it.
          await new Promise<void>((resolve) => setImmediate(resolve));
          const t = performance.now();
          vectorStage?.addSegmented(arrived);
          pool.segmentMs += performance.now() - t;
        }
      });
      progress.done();
    }
    // The workers' heaps and parser memory are not needed past here: free them before the merge.
    await parsePool?.destroy();
    // Their malloc arenas stay with the process until trimmed; the store pages they wrote stay mapped.
    if (parsePool) governor.release('parse workers stopped');
    parsePool = undefined;
    if (addLater.size > 0) {
      // An update under a one-worker budget: re-read from the stash.
      vectorStage?.addAll([...parsed.values()].filter((i) => addLater.has(i.relPath)));
    }
    // The last segment is saved now: none is held through the merge.
    vectorStage?.closeSegment();
    // Under a budget the vector index waits on disk through the merge (~47 MB on the benchmark
    // corpus); finish() loads it back only if it still has to change.
    if (governor.budget.source !== 'physical' && vectorStage?.park()) governor.release('vector index parked');
    phases.parseMs = lap('parseMs');
    pool.utilization = phases.parseMs > 0 ? pool.workerBusyMs / (phases.parseMs * Math.max(1, threads)) : 0;

    // ---- only mtimes moved (a checkout, a touch): same graph, new file table
    if (
      prev &&
      prevRecord &&
      parsed.size === 0 &&
      deleted === 0 &&
      sameSkips(prevRecord.skippedList, skipped)
    ) {
      const previous = writer.previousBlobs();
      const prevSummary = prevRecord;
      if (previous) {
        const files = { ...prev, size: prev.size.slice(), mtimeMs: prev.mtimeMs.slice() };
        prev.relPath.forEach((p, i) => {
          const r = reuse.get(p);
          if (r) {
            files.size[i] = r.file.size;
            files.mtimeMs[i] = r.file.mtimeMs;
          }
        });
        const blobs = { ...previous.blobs, ...encodeFileTable(files) };
        // A lexicon base stays where it was written (the info names its generation): not copied.
        if (previous.info.lexicon?.baseGeneration !== undefined)
          for (const name of Object.keys(blobs)) if (isLexiconBaseBlob(name)) delete blobs[name];
        const { reresolved: _r, mergeReason: _m, ...carried } = prevSummary.summary;
        const summary: IndexSummary = {
          ...carried,
          patched: false,
          files: {
            ...prevSummary.summary.files,
            parsed: 0,
            reused: prev.relPath.length,
            unchanged: unchangedCount,
            deleted: 0,
          },
        };
        const generation = await writer.publish(
          previous.stats,
          blobs,
          {
            root,
            createdAt: new Date().toISOString(),
            fileSymbolCount: prevSummary.summary.symbols.total,
            digest: summary.digest,
            ...(previous.info.lexicon ? { lexicon: previous.info.lexicon } : {}),
            ...(previous.info.vectors ? { vectors: previous.info.vectors } : {}),
          },
          skipped,
          {
            summary: { ...summary, generation: writer.nextGeneration },
            skippedList: prevSummary.skippedList,
          },
        );
        VectorStage.collect(options.indexDir, [previous.info.vectors, prevInfo?.vectors]);
        phases.storeMs = lap('storeMs');
        phases.totalMs = performance.now() - started;
        phaseCpuMs.totalMs = cpuMsSince(cpuStart);
        return {
          ...summary,
          generation,
          changed: true,
          phases,
          phaseCpuMs,
          pool,
          cpuMs: cpuMsSince(cpuStart),
          peakRssMb: rss.stop() / 2 ** 20,
          memory: await governor.stop(),
          mbPerSec: 0,
          filesPerSec: 0,
          discarded: undefined,
        };
      }
    }

    // ---- only comments, docs, formatting or literals changed: the previous graph, patched
    // (src/graph/patch.ts), and unchanged files' fragments stay in the store unless asked for
    const patched =
      prev && prevRecord && !discarded && deleted === 0
        ? patchPrevious(writer, prev, parsed, reuse)
        : undefined;
    if (patched) log.debug(`graph patched: ${parsed.size} changed file(s), nothing resolution reads moved`);
    // ---- else a body edit: only the changed files re-resolved (src/graph/patch-resolve.ts)
    let plan: ReresolvePlan | undefined;
    let mergeReason: string | undefined;
    if (!patched && prev && prevRecord) {
      const p =
        deleted > 0
          ? { reason: `${deleted} file(s) deleted` }
          : discarded
            ? { reason: 'the previous run was discarded' }
            : ['flag', 'config', 'env'].includes(governor.budget.source)
              ? // The re-resolution holds every stored fragment at once; a merge can spill them.
                { reason: 'a memory budget is set' }
              : reresolvePrevious(writer, prev, parsed, reuse);
      if ('run' in p) plan = p;
      else mergeReason = p.reason;
    }

    // ---- load the fragments of unchanged files from the store
    const inputs: MergeInput[] = patched ? patched.inputs : plan ? plan.inputs : [...parsed.values()];
    for (const [relPath, { hash, file }] of patched || plan ? [] : reuse) {
      const bytes = writer.getFragment(hash);
      if (!bytes) {
        // The store lost a fragment (damage): say so and skip rather than publish a hole.
        skipped.push({
          relPath,
          reason: 'unreadable',
          detail: 'stored fragment missing; re-run with --rebuild',
          size: file.size,
        });
        continue;
      }
      const meta = {
        relPath,
        language: file.language,
        contentHash: hash,
        size: file.size,
        mtimeMs: file.mtimeMs,
      };
      inputs.push(stash.add(meta, bytes, true));
    }
    inputs.sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0));
    skipped.sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0));
    phases.loadMs = lap('loadMs');
    throwIfAborted(run.signal);

    // ---- merge and resolve (the governor may spill the merge input now and at checkpoints inside)
    let graph: IndexGraph;
    let digest: string;
    if (patched) {
      governor.phase('encode');
      graph = patched.graph;
      digest = graphDigest(graph, patched.strings);
      await writer.putBlobs({ ...encodeFileTable(graph.files), [BLOB.graph]: patched.graphBlob });
      const tally =
        prevInfo === undefined ? undefined : writer.blobAt(writer.previousGeneration ?? -1, TALLY_BLOB);
      if (tally) await writer.putBlobs({ [TALLY_BLOB]: tally });
    } else {
      await stash.flush();
      governor.checkpoint();
      // A body edit: only the changed files re-resolved (src/graph/patch-resolve.ts)
      const partial = plan?.run();
      if (partial?.reason !== undefined) mergeReason = partial.reason;
      if (partial?.graph) log.debug(`graph re-resolved: ${plan?.files ?? 0} changed file(s)`);
      else if (mergeReason !== undefined) log.info(`full merge: ${mergeReason}`);
      // Between the merge's phases (some read no fragment, so the stash's checkpoints miss them).
      let tally: ResolveTally | undefined = partial?.graph ? partial.tally : undefined;
      graph =
        partial?.graph ??
        mergeFragments(inputs, {
          onPhase: (p) => {
            governor.checkpoint();
            governor.settle(`merge: ${p}`);
          },
          onTally: (t) => (tally = t),
        });
      governor.settle('merge done');
      governor.phase('encode');
      digest = await writeGraphBlobs(writer, graph);
      if (tally) await writer.putBlobs({ [TALLY_BLOB]: encodeTally(tally) });
      // The encoded blobs are written and dropped: collect them before the lexicon allocates.
      governor.settle('graph written');
    }
    phases.mergeMs = lap('mergeMs');

    // ---- the lexical search index, from the terms the workers put in each fragment: only
    // the files that differ from the previous base, unless it is time to compact
    const lexicon = await writeLexiconBlobs(writer, graph, governor, () =>
      buildLexicon(
        graph,
        (file) => {
          const input = inputs[file];
          if (!input) throw new Error(`no merge input for file #${file}`);
          return input.fragment;
        },
        {
          generation: writer.nextGeneration,
          previous: previousLexicon(
            prevInfo?.lexicon,
            prevInfo?.generation,
            (gen, name) => writer.blobAt(gen, name),
            (hash) => {
              const bytes = writer.getFragment(hash);
              return bytes ? new FragmentReader(bytes) : undefined;
            },
          ),
          compactShare: run.lexiconCompactShare,
        },
      ),
    );
    phases.lexiconMs = lap('lexiconMs');
    throwIfAborted(run.signal);

    // ---- vectors: complete, save the generation's HNSW file
    const vectors = vectorStage?.finish(inputs);
    // The graph and lexicon blobs are in the store already; the file table again with its keys.
    const blobs: Record<string, Uint8Array> = {};
    if (vectors) {
      graph.files.fileKey = vectors.fileKey;
      Object.assign(blobs, encodeFileTable(graph.files));
    }
    phases.vectorMs = lap('vectorMs');
    throwIfAborted(run.signal);
    rss.sample();

    // ---- publish
    const summary = buildSummary({
      root,
      indexDir: options.indexDir,
      graph,
      digest,
      inputs,
      skipped,
      parsedCount: parsed.size,
      unchangedCount,
      deleted,
      bytesParsed,
      threads,
      discarded,
      usedGit: found.usedGit,
      // Kept by the stash: a spilled fragment is not re-read for two numbers; a patched
      // graph has the error counts, and the vectors are the previous count plus the change.
      fragmentStats: patched
        ? (_, f) => ({ vectorCount: 0, errorCount: graph.files.errorCount[f] ?? 0 })
        : (i) => stash.statsOf(i) ?? i.fragment,
    });
    if (mergeReason !== undefined) summary.mergeReason = mergeReason;
    else if (plan) summary.reresolved = plan.files;
    if (patched && prevRecord) {
      summary.patched = true;
      summary.vectors = prevRecord.summary.vectors + patched.vectorDelta;
    }
    const generation = await writer.publish(
      graph.stats,
      blobs,
      {
        root,
        createdAt: new Date().toISOString(),
        fileSymbolCount: graph.fileSymbolCount,
        digest,
        lexicon,
        ...(vectors?.record ? { vectors: vectors.record } : {}),
      },
      skipped,
      {
        summary: { ...summary, generation: writer.nextGeneration },
        skippedList: skipped.map((s) => `${s.relPath}\u0000${s.reason}`),
      },
    );
    VectorStage.collect(options.indexDir, [vectors?.record, prevInfo?.vectors]);
    phases.storeMs = lap('storeMs');
    phases.totalMs = performance.now() - started;
    phaseCpuMs.totalMs = cpuMsSince(cpuStart);
    const secs = phases.totalMs / 1000;
    return {
      ...summary,
      generation,
      phases,
      phaseCpuMs,
      pool,
      cpuMs: cpuMsSince(cpuStart),
      peakRssMb: rss.stop() / 2 ** 20,
      memory: await governor.stop(),
      mbPerSec: secs > 0 ? bytesParsed / 1e6 / secs : 0,
      filesPerSec: secs > 0 ? parsed.size / secs : 0,
    };
  } finally {
    rss.stop();
    stash.dispose();
    await governor.stop();
    await parsePool?.destroy();
    await writer.close();
  }
}

/**
 * Encodes the graph's blobs and writes them to the store now (invisible until publish), so
 * they are not held through the lexicon build; returns the graph's digest.
 */
async function writeGraphBlobs(writer: IndexWriter, graph: IndexGraph): Promise<string> {
  const { blobs, strings } = encodeGraph(graph);
  const digest = graphDigest(graph, strings);
  await writer.putBlobs(blobs);
  return digest;
}

/**
 * Builds the lexical and name indexes and writes their blobs now, one after the other: the
 * lexicon's blobs are written and dropped before the name index is built, so the two are never
 * held together (measured at --memory-budget 256: this phase set the run's peak RSS). Keeps
 * only the lexicon's info.
 */
async function writeLexiconBlobs(
  writer: IndexWriter,
  graph: IndexGraph,
  governor: MemoryGovernor,
  build: () => LexiconBuild,
): Promise<LexiconInfo> {
  const { info, covered } = await writeBuilt(writer, build);
  // Above the act line, the lexicon's garbage goes before the name index is built on top of it.
  governor.settle('lexicon written');
  await writer.putBlobs(encodeNameIndex(graph, covered));
  return info;
}

/** Writes a lexicon build's blobs; returns what the caller still needs, not the blobs. */
async function writeBuilt(
  writer: IndexWriter,
  build: () => LexiconBuild,
): Promise<Pick<LexiconBuild, 'info' | 'covered'>> {
  const { blobs, info, covered } = build();
  await writer.putBlobs(blobs);
  return covered ? { info, covered } : { info };
}

/** The phase that follows each one (the names the governor's per-phase peaks use). */
const NEXT_PHASE: Record<keyof PhaseTimes, string> = {
  discoverMs: 'diff',
  diffMs: 'parse',
  parseMs: 'load',
  loadMs: 'merge',
  mergeMs: 'lexicon',
  lexiconMs: 'vectors',
  vectorMs: 'store',
  storeMs: 'done',
  totalMs: 'done',
};

function zeroPhases(): PhaseTimes {
  return {
    discoverMs: 0,
    diffMs: 0,
    parseMs: 0,
    loadMs: 0,
    mergeMs: 0,
    lexiconMs: 0,
    vectorMs: 0,
    storeMs: 0,
    totalMs: 0,
  };
}

function zeroPoolFigures(): PoolFigures {
  return {
    shards: 0,
    workerBusyMs: 0,
    workerReadMs: 0,
    workerParseMs: 0,
    workerExtractMs: 0,
    workerEmbedMs: 0,
    workerEncodeMs: 0,
    workerReclaimMs: 0,
    workerCpuMs: 0,
    receiveMs: 0,
    segmentMs: 0,
    utilization: 0,
  };
}

/** Discovery as the index options configure it (shared with `leindex bench`). */
export function discoverFor(root: string, options: IndexOptions): ReturnType<typeof discoverFiles> {
  return discoverFiles(root, {
    languages: options.languages,
    exclude: options.exclude,
    maxFileBytes: options.maxFileBytes,
    indexDir: options.indexDir,
    useGit: options.useGit,
  });
}

/** Whether a new fragment's vectors equal those of the stored fragment of its previous content. */
function sameVectorsAsStored(
  writer: IndexWriter,
  previousHash: string | undefined,
  bytes: Uint8Array,
): boolean {
  if (previousHash === undefined) return false;
  const before = writer.getFragment(previousHash);
  return before !== undefined && sameVectors(new FragmentReader(before), new FragmentReader(bytes));
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw new LeindexError('E_INTERRUPTED', 'interrupted; the previous index is unchanged');
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

function sameSkips(prev: readonly string[] | undefined, now: readonly SkippedRecord[]): boolean {
  if (!prev || prev.length !== now.length) return false;
  const a = new Set(prev);
  return now.every((s) => a.has(`${s.relPath}\u0000${s.reason}`));
}

interface SummaryInput {
  root: string;
  indexDir: string;
  graph: IndexGraph;
  digest: string;
  inputs: readonly MergeInput[];
  skipped: readonly SkippedRecord[];
  parsedCount: number;
  unchangedCount: number;
  deleted: number;
  bytesParsed: number;
  threads: number;
  discarded: string | undefined;
  usedGit: boolean;
  fragmentStats: (input: MergeInput, file: number) => { vectorCount: number; errorCount: number };
}

function buildSummary(s: SummaryInput): Omit<IndexSummary, 'memory'> {
  const byReason = Object.fromEntries(SKIP_REASONS.map((r) => [r, 0])) as Record<SkipReason, number>;
  for (const k of s.skipped) byReason[k.reason]++;
  const languages: Partial<Record<LanguageId, number>> = {};
  let errFiles = 0;
  let errRegions = 0;
  let bytes = 0;
  let vectors = 0;
  for (const [file, i] of s.inputs.entries()) {
    const f = s.fragmentStats(i, file);
    vectors += f.vectorCount;
    languages[i.language] = (languages[i.language] ?? 0) + 1;
    bytes += i.size;
    if (f.errorCount > 0) {
      errFiles++;
      errRegions += f.errorCount;
    }
  }
  const byKind: Record<string, number> = {};
  const { kind } = s.graph.symbols;
  for (let id = 0; id < s.graph.fileSymbolCount; id++) {
    const name = SYMBOL_KIND_NAMES[kind[id] ?? 0] ?? 'unknown';
    byKind[name] = (byKind[name] ?? 0) + 1;
  }
  const refs: Record<string, { total: number; resolved: number }> = {};
  let refTotal = 0;
  let refResolved = 0;
  for (const [k, n] of Object.entries(s.graph.stats.refs)) {
    const r = s.graph.stats.resolved[k] ?? 0;
    refs[k] = { total: n, resolved: r };
    refTotal += n;
    refResolved += r;
  }
  return {
    root: s.root,
    indexDir: s.indexDir,
    generation: 0,
    changed: true,
    patched: false,
    digest: s.digest,
    files: {
      indexed: s.inputs.length,
      parsed: s.parsedCount,
      reused: s.inputs.length - s.parsedCount,
      unchanged: s.unchangedCount,
      deleted: s.deleted,
      bytes,
    },
    skipped: { total: s.skipped.length, byReason },
    languages,
    symbols: { total: s.graph.fileSymbolCount, byKind },
    vectors,
    edges: { total: edgeCount(s.graph), byKind: edgesByKind(s.graph) },
    references: { total: refTotal, resolved: refResolved, byKind: refs },
    syntaxErrors: { files: errFiles, regions: errRegions },
    phases: zeroPhases(),
    phaseCpuMs: zeroPhases(),
    pool: zeroPoolFigures(),
    cpuMs: 0,
    threads: s.threads,
    mbPerSec: 0,
    filesPerSec: 0,
    peakRssMb: 0,
    discarded: s.discarded,
    usedGit: s.usedGit,
  };
}
