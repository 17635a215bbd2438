// The vector stage of an index run: keeps the HNSW index (src/vector) in step with the
// files, file by file. Vectors of parsed files are added as their fragments arrive from the
// workers, a shard's in one batch (so the graph build overlaps parsing), vectors of changed
// and deleted files are removed, and the index is saved as the new generation's file before it is published; a
// fresh build happens when there is no usable previous file or updates have degraded it.
// Under a budget that holds one parse worker, a fresh build goes into segments instead: small
// indexes built on the coordinator's otherwise idle core while the one worker parses, each
// saved and let go of when full (addSegmented); a search queries them all (src/search/hnsw.ts).
// A small change does not load the index at all: the generation keeps the previous file and
// lists its stale file keys (VectorFileRecord.stale): a search drops those keys' hits and
// scans the changed files' own vectors, from their fragments, exactly (src/search/hnsw.ts).
// Past DELTA_LIMITS the file is loaded, the stale rows removed and the new ones added.
// Coordinator thread.

import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FragmentReader } from '../graph/fragment.js';
import type { FileTable } from '../graph/graph.js';
import { LeindexError } from '../errors.js';
import type { Logger } from '../util/log.js';
import { VectorIndexBuilder } from '../vector/builder.js';
import { stampVectorFile, type VectorFileStamp } from '../vector/format.js';

export const VECTOR_DIR = 'vectors';
/** Vector key = fileKey * ROW_SPAN + symbol row (a file has far fewer than 2^20 symbols). */
export const ROW_SPAN = 2 ** 20;

export function vectorKey(fileKey: number, row: number): number {
  return fileKey * ROW_SPAN + row;
}

export function splitVectorKey(key: number): { fileKey: number; row: number } {
  return { fileKey: Math.floor(key / ROW_SPAN), row: key % ROW_SPAN };
}

/** What a generation records about its vector file. */
export interface VectorFileRecord {
  file: string;
  /** Vectors in the file (with stale keys: the file's, their dead rows included). */
  count: number;
  dim: number;
  /** The file as its writer left it (format.ts): opens that find it so skip the graph CRC. */
  stamp?: VectorFileStamp;
  /**
   * The index in several files, each a whole HNSW index of its own vectors (no key in two), in
   * the order they were built: a fresh build under a one-worker budget (addSegmented). `file`
   * and `stamp` are then the first segment's, `count` the sum. Absent: `file` is the index.
   */
  segments?: VectorSegment[];
  /**
   * File keys whose rows in the file are dead (the file changed or is gone since the file was
   * written), each as [fileKey, rows in the file at most, vectors now in the key's current
   * fragment]: a search skips the file's hits of these keys and scans the current vectors of
   * the keys still in the file table exactly. Absent: the file is the generation's whole index.
   */
  stale?: StaleKey[];
}

/** One file of a segmented index (VectorFileRecord.segments). */
export interface VectorSegment {
  file: string;
  count: number;
  stamp?: VectorFileStamp;
}

/** The files a generation's vector index is in, in build order, with their stamps. */
export function vectorFilesOf(record: VectorFileRecord): { file: string; stamp?: VectorFileStamp }[] {
  return record.segments && record.segments.length > 0 ? record.segments : [record];
}

/** [fileKey, dead rows in the vector file at most, live vectors in its current fragment]. */
export type StaleKey = [number, number, number];

/**
 * When a change is folded into the vector file instead of listed as stale keys: every search
 * scans the stale keys' vectors (`rows`) and over-fetches by their dead rows (`dead`) when those
 * crowd its top-k; `keys` bounds the list the generation record carries.
 */
export const DELTA_LIMITS = { keys: 256, rows: 4096, dead: 16384 };

export interface VectorStageInit {
  indexDir: string;
  generation: number;
  /** The previous generation's file table and vector file, when there are both. */
  prevFiles: FileTable | undefined;
  prevVectors: VectorFileRecord | undefined;
  threads: number;
  /**
   * Rows per segment of a fresh build during a one-worker parse (addSegmented); absent: no
   * segments (the caller adds after the parse, or as the shards arrive).
   */
  segmentRows?: number;
  log: Logger;
}

export class VectorStage {
  private builder: VectorIndexBuilder | undefined;
  private readonly fileKeys = new Map<string, number>();
  private nextKey = 0;
  /** Paths whose current vectors are in the builder. */
  private readonly present = new Set<string>();
  private readonly prevRange = new Map<string, number>();
  /** The previous file is to be loaded on first use (a refresh that parses nothing never loads it). */
  private pendingLoad: string | undefined;
  /** This generation's file, saved early by park(); finish() loads it back only for more changes. */
  private parked: { file: string; dim: number; count: number; rebuildAdvised: boolean } | undefined;
  /** Stale keys of the previous file (see VectorFileRecord.stale), while it is not loaded. */
  private stale: Map<number, StaleKey> | undefined;
  /** Vectors added while the file is not loaded: searched from their fragments. */
  private pending = new Map<string, FragmentReader>();
  addMs = 0;
  /** The segment being built by addSegmented(), and those saved (build order). */
  private segment: VectorIndexBuilder | undefined;
  private readonly segments: VectorSegment[] = [];
  private segmentDim: number | undefined;
  /** init.segmentRows, for a build with no previous index only. */
  private readonly segmentRows: number | undefined;

  constructor(private readonly init: VectorStageInit) {
    const { prevFiles, prevVectors } = init;
    if (prevFiles?.fileKey) {
      prevFiles.relPath.forEach((p, i) => {
        const key = prevFiles.fileKey![i]!;
        this.fileKeys.set(p, key);
        this.nextKey = Math.max(this.nextKey, key + 1);
        this.prevRange.set(p, (prevFiles.symbolStart[i + 1] ?? 0) - (prevFiles.symbolStart[i] ?? 0));
      });
    }
    if (prevFiles?.fileKey && prevVectors) {
      this.pendingLoad = join(this.dir, prevVectors.file);
      for (const p of prevFiles.relPath) this.present.add(p);
      this.stale = new Map((prevVectors.stale ?? []).map((e) => [e[0], [e[0], e[1], e[2]]]));
    }
    this.segmentRows = this.pendingLoad === undefined ? init.segmentRows : undefined;
  }

  /** Whether changes are still listed as stale keys (the previous file not loaded). */
  private get listing(): boolean {
    return this.stale !== undefined && this.pendingLoad !== undefined;
  }

  /** Within DELTA_LIMITS (and of the file's width): else the file is loaded and the list folded in. */
  private checkLimits(): void {
    const stale = this.stale;
    if (!stale || !this.listing) return;
    let rows = 0;
    let dead = 0;
    for (const e of stale.values()) {
      dead += e[1];
      rows += e[2];
    }
    const dim = this.init.prevVectors?.dim;
    const otherWidth = [...this.pending.values()].some((f) => f.vectorDim !== dim);
    if (stale.size > DELTA_LIMITS.keys || rows > DELTA_LIMITS.rows || dead > DELTA_LIMITS.dead || otherWidth)
      this.load();
  }

  /** Loads the previous index for updating, once; on failure falls back to a full build. */
  private load(): void {
    const path = this.pendingLoad;
    if (path === undefined) return;
    this.pendingLoad = undefined;
    const stale = this.stale;
    const pending = this.pending;
    this.stale = undefined;
    this.pending = new Map();
    const segments = this.init.prevVectors?.segments?.length ?? 0;
    if (segments > 0) {
      // Segments are not updated in place: the index is built again, as one file.
      this.init.log.debug(
        `vector index: rebuilding the ${segments} segments of the previous one as one file`,
      );
      this.builder = undefined;
      this.present.clear();
    } else
      try {
        this.builder = VectorIndexBuilder.fromFile(path, { threads: this.init.threads });
      } catch (err) {
        this.init.log.warn(
          `the previous vector index is unusable (${(err as Error).message}); rebuilding it`,
        );
        this.builder = undefined;
        this.present.clear();
      }
    if (!stale || stale.size === 0) return;
    // Fold the list in: the stale keys' rows out, the vectors added this run in; the files
    // made stale by earlier runs are added again from their fragments by finish().
    if (this.builder) {
      const keys: number[] = [];
      for (const [key, rows] of stale.values()) for (let r = 0; r < rows; r++) keys.push(vectorKey(key, r));
      if (keys.length > 0) this.builder.remove(keys);
    }
    for (const [p, key] of this.fileKeys) if (stale.has(key) && !pending.has(p)) this.present.delete(p);
    this.addAll([...pending].map(([relPath, fragment]) => ({ relPath, fragment })));
  }

  private get dir(): string {
    return join(this.init.indexDir, VECTOR_DIR);
  }

  /** The stable key of a path (its previous one, or a new one). */
  fileKeyOf(relPath: string): number {
    let k = this.fileKeys.get(relPath);
    if (k === undefined) {
      k = this.nextKey++;
      this.fileKeys.set(relPath, k);
    }
    return k;
  }

  /** Removes the vectors a path had in the previous generation (its content changed or it is gone). */
  drop(relPath: string): void {
    if (!this.present.has(relPath)) return;
    if (this.listing) {
      const key = this.fileKeys.get(relPath);
      if (key !== undefined) {
        const e = this.stale!.get(key);
        if (e) e[2] = 0;
        else this.stale!.set(key, [key, this.prevRange.get(relPath) ?? 0, 0]);
      }
      this.pending.delete(relPath);
      this.present.delete(relPath);
      this.checkLimits();
      return;
    }
    this.load();
    if (!this.builder) return;
    const key = this.fileKeys.get(relPath);
    const n = this.prevRange.get(relPath) ?? 0;
    if (key !== undefined && n > 0) {
      this.builder.remove(Array.from({ length: n }, (_, row) => vectorKey(key, row)));
    }
    this.present.delete(relPath);
  }

  /** Adds a file's vectors from its fragment. */
  add(relPath: string, fragment: FragmentReader): void {
    if (fragment.vectorCount === 0) {
      this.present.add(relPath);
      return;
    }
    if (this.listing) {
      const key = this.fileKeyOf(relPath);
      const e = this.stale!.get(key);
      if (e) e[2] = fragment.vectorCount;
      else this.stale!.set(key, [key, 0, fragment.vectorCount]);
      this.pending.set(relPath, fragment);
      this.present.add(relPath);
      this.checkLimits();
      return;
    }
    const t = performance.now();
    this.load();
    this.builder ??= VectorIndexBuilder.create(fragment.vectorDim, { threads: this.init.threads });
    const key = this.fileKeyOf(relPath);
    const { rows, data } = fragment.vectorBlock();
    this.builder.add(
      Array.from(rows, (row) => vectorKey(key, row)),
      data,
    );
    this.present.add(relPath);
    this.addMs += performance.now() - t;
  }

  /**
   * Adds the vectors of many files (their previous ones dropped already) in batches of about
   * `batchRows` rows: one native add per batch, which usearch spreads over the builder's
   * threads, where a file's few rows keep one thread busy and start its threads per file.
   * Used for each shard as it arrives, and for everything at once after the parse (deferVectorsFor).
   */
  addAll(
    files: Iterable<{ readonly relPath: string; readonly fragment: FragmentReader }>,
    batchRows = 8192,
  ): void {
    let keys: number[] = [];
    let data: Int8Array | undefined;
    let dim = 0;
    const flush = (): void => {
      if (keys.length === 0 || !data) return;
      const t = performance.now();
      this.builder ??= VectorIndexBuilder.create(dim, { threads: this.init.threads });
      this.builder.add(keys, data.subarray(0, keys.length * dim));
      this.addMs += performance.now() - t;
      keys = [];
    };
    for (const { relPath, fragment } of files) {
      const n = fragment.vectorCount;
      if (n === 0) {
        this.present.add(relPath);
        continue;
      }
      if (this.listing) {
        this.add(relPath, fragment);
        continue;
      }
      this.load();
      if (n > batchRows || (dim !== 0 && fragment.vectorDim !== dim)) {
        // Too big to batch (or another model's width, which builder.add refuses as it should).
        flush();
        this.add(relPath, fragment);
        continue;
      }
      if (dim === 0) dim = fragment.vectorDim;
      if (keys.length + n > batchRows) flush();
      data ??= new Int8Array(batchRows * dim);
      const key = this.fileKeyOf(relPath);
      const block = fragment.vectorBlock();
      data.set(block.data, keys.length * dim);
      for (const row of block.rows) keys.push(vectorKey(key, row));
      this.present.add(relPath);
    }
    flush();
  }

  /**
   * Whether addSegmented() takes vectors: a stage made with `segmentRows` for a build with no
   * previous index (an update that rebuilds makes one file), nothing added another way.
   */
  get segmenting(): boolean {
    return this.segmentRows !== undefined && !this.builder && !this.parked;
  }

  /**
   * Adds files' vectors to the segment being built, on one native thread (the one-worker
   * parse leaves the coordinator's core idle); a segment that reaches `segmentRows` is saved
   * and its memory let go of (closeSegment). Only while `segmenting`. Blocks this thread for
   * the native add: ~60 µs a row on the benchmark corpus.
   */
  addSegmented(files: Iterable<{ readonly relPath: string; readonly fragment: FragmentReader }>): void {
    const limit = this.segmentRows;
    if (!this.segmenting || limit === undefined)
      throw new LeindexError('E_INTERNAL', 'addSegmented: not a segmented build');
    const t = performance.now();
    let keys: number[] = [];
    let data = new Int8Array(0);
    let dim = 0;
    const flush = (): void => {
      if (keys.length === 0) return;
      this.segment ??= VectorIndexBuilder.create(dim, { threads: 1 });
      this.segment.add(keys, data.subarray(0, keys.length * dim));
      keys = [];
      if (this.segment.size >= limit) this.closeSegment();
    };
    for (const { relPath, fragment } of files) {
      const n = fragment.vectorCount;
      this.present.add(relPath);
      if (n === 0) continue;
      // Another model's width goes to builder.add on its own, which refuses it as it should.
      if (dim !== 0 && fragment.vectorDim !== dim) flush();
      dim = fragment.vectorDim;
      if (keys.length > 0 && (keys.length + n) * dim > data.length) flush();
      if (data.length < n * dim) data = new Int8Array(Math.max(n, 2048) * dim);
      const key = this.fileKeyOf(relPath);
      const block = fragment.vectorBlock();
      data.set(block.data, keys.length * dim);
      for (const row of block.rows) keys.push(vectorKey(key, row));
      if ((this.segment?.size ?? 0) + keys.length >= limit) flush();
    }
    flush();
    this.addMs += performance.now() - t;
  }

  /** Saves the segment being built (if it has vectors) as the next segment file, and frees it. */
  closeSegment(): void {
    const b = this.segment;
    this.segment = undefined;
    if (!b || b.size === 0) return;
    mkdirSync(this.dir, { recursive: true });
    const file = `gen-${this.init.generation}.s${this.segments.length}.usearch`;
    const count = b.size;
    this.segmentDim = b.dim;
    // park(): saved, then usearch's view() frees the vectors and links (a map nothing reads).
    b.park(join(this.dir, file));
    this.segments.push({ file, count, stamp: stampVectorFile(join(this.dir, file)) });
  }

  /**
   * Saves the index as this generation's file now and lets go of its memory (~47 MB on the
   * benchmark corpus, held through the merge otherwise). finish() uses the file as it is when
   * nothing else changes, and loads it back when something does. Nothing to do before the
   * first vector is added (or the previous file loaded): returns whether it parked.
   */
  park(): boolean {
    const b = this.builder;
    if (!b || b.size === 0) return false;
    mkdirSync(this.dir, { recursive: true });
    const file = `gen-${this.init.generation}.usearch`;
    const path = join(this.dir, file);
    const rebuildAdvised = b.health().rebuildAdvised;
    const info = b.park(path);
    this.parked = { file, dim: info.dim, count: b.size, rebuildAdvised };
    this.builder = undefined;
    this.pendingLoad = path;
    return true;
  }

  /**
   * Completes the index for the files of the new generation (adding those not yet present,
   * or everything after a rebuild), saves it and returns its record plus the file keys in
   * table order; undefined when no file has vectors.
   */
  finish(inputs: readonly { relPath: string; fragment: FragmentReader }[]): {
    record: VectorFileRecord | undefined;
    fileKey: Int32Array;
  } {
    const live = new Set(inputs.map((i) => i.relPath));
    const prevVectors = this.init.prevVectors;
    if (this.listing) {
      // Files gone, and files not yet seen (added, or vectors made by an earlier run elsewhere).
      for (const p of [...this.present]) if (!live.has(p)) this.drop(p);
      for (const i of inputs)
        if (this.listing && !this.present.has(i.relPath)) this.add(i.relPath, i.fragment);
    }
    if (this.listing && prevVectors) {
      // Within the limits: the previous file, with this generation's stale keys.
      const stale = [...this.stale!.values()].filter((e) => e[1] > 0 || e[2] > 0).sort((a, b) => a[0] - b[0]);
      const { stale: _was, ...file } = prevVectors;
      return {
        record: stale.length > 0 ? { ...file, stale } : file,
        fileKey: Int32Array.from(inputs, (i) => this.fileKeyOf(i.relPath)),
      };
    }
    // Never loaded: nothing was dropped. With no file gone and no new vectors either, the
    // previous generation's file is this one's (an edit that moved no embedded text).
    if (
      prevVectors &&
      this.pendingLoad !== undefined &&
      !this.parked &&
      [...this.present].every((p) => live.has(p)) &&
      inputs.every((i) => this.present.has(i.relPath) || i.fragment.vectorCount === 0)
    ) {
      for (const i of inputs) this.present.add(i.relPath);
      return { record: prevVectors, fileKey: Int32Array.from(inputs, (i) => this.fileKeyOf(i.relPath)) };
    }
    if (this.segments.length > 0 || this.segment || this.segmenting) {
      // A segmented build: files it has not seen yet (a reused file's) go into the last segment.
      this.addSegmented(inputs.filter((i) => !this.present.has(i.relPath)));
      this.closeSegment();
      return {
        record: this.segmentedRecord(),
        fileKey: Int32Array.from(inputs, (i) => this.fileKeyOf(i.relPath)),
      };
    }
    // A parked index stays on disk unless a change below needs it in memory.
    if (!this.parked) this.load();
    for (const p of [...this.present]) if (!live.has(p)) this.drop(p);
    const loaded = this.pendingLoad === undefined;
    if (loaded ? this.builder?.health().rebuildAdvised : this.parked?.rebuildAdvised) {
      this.init.log.debug('vector index: rebuilding (too many updates since the last full build)');
      this.builder = undefined;
      this.pendingLoad = undefined;
      this.parked = undefined;
      this.present.clear();
    }
    for (const i of inputs) if (!this.present.has(i.relPath)) this.add(i.relPath, i.fragment);
    const fileKey = Int32Array.from(inputs, (i) => this.fileKeyOf(i.relPath));
    const parked = this.parked;
    if (parked && this.pendingLoad !== undefined) {
      // Parked and not touched since: the saved file is the generation's.
      const path = join(this.dir, parked.file);
      return {
        record: { file: parked.file, count: parked.count, dim: parked.dim, stamp: stampVectorFile(path) },
        fileKey,
      };
    }
    if (!this.builder || this.builder.size === 0) return { record: undefined, fileKey };
    mkdirSync(this.dir, { recursive: true });
    const file = `gen-${this.init.generation}.usearch`;
    const path = join(this.dir, file);
    const info = this.builder.save(path);
    return {
      record: { file, count: this.builder.size, dim: info.dim, stamp: stampVectorFile(path) },
      fileKey,
    };
  }

  /** The record of a segmented build: one segment is a plain file. */
  private segmentedRecord(): VectorFileRecord | undefined {
    const first = this.segments[0];
    const dim = this.segmentDim;
    if (!first || dim === undefined) return undefined;
    const count = this.segments.reduce((n, g) => n + g.count, 0);
    const record: VectorFileRecord = {
      file: first.file,
      count,
      dim,
      ...(first.stamp ? { stamp: first.stamp } : {}),
    };
    return this.segments.length > 1 ? { ...record, segments: [...this.segments] } : record;
  }

  /** Deletes vector files no kept generation names (leftovers of crashed or old runs). */
  static collect(indexDir: string, keep: readonly (VectorFileRecord | undefined)[]): void {
    const dir = join(indexDir, VECTOR_DIR);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    const wanted = new Set(keep.flatMap((r) => (r ? vectorFilesOf(r).map((f) => f.file) : [])));
    for (const n of names) if (!wanted.has(n)) rmSync(join(dir, n), { force: true });
  }
}
