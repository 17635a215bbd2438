// The vector stage of an index run: keeps the HNSW index (src/vector) in step with the
// files, file by file. Vectors of parsed files are added as their fragments arrive from the
// workers, a shard's in one batch (so the graph build overlaps parsing), vectors of changed
// and deleted files are removed, and the index is saved as the new generation's file before it is published; a
// fresh build happens when there is no usable previous file or updates have degraded it.
// Coordinator thread.

import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FragmentReader } from '../graph/fragment.js';
import type { FileTable } from '../graph/graph.js';
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
  count: number;
  dim: number;
  /** The file as its writer left it (format.ts): opens that find it so skip the graph CRC. */
  stamp?: VectorFileStamp;
}

export interface VectorStageInit {
  indexDir: string;
  generation: number;
  /** The previous generation's file table and vector file, when there are both. */
  prevFiles: FileTable | undefined;
  prevVectors: VectorFileRecord | undefined;
  threads: number;
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
  addMs = 0;

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
    }
  }

  /** Loads the previous index for updating, once; on failure falls back to a full build. */
  private load(): void {
    const path = this.pendingLoad;
    if (path === undefined) return;
    this.pendingLoad = undefined;
    try {
      this.builder = VectorIndexBuilder.fromFile(path, { threads: this.init.threads });
    } catch (err) {
      this.init.log.warn(`the previous vector index is unusable (${(err as Error).message}); rebuilding it`);
      this.builder = undefined;
      this.present.clear();
    }
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
    // Never loaded: nothing was dropped. With no file gone and no new vectors either, the
    // previous generation's file is this one's (an edit that moved no embedded text).
    const prevVectors = this.init.prevVectors;
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

  /** Deletes vector files no kept generation names (leftovers of crashed or old runs). */
  static collect(indexDir: string, keep: readonly (string | undefined)[]): void {
    const dir = join(indexDir, VECTOR_DIR);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    const wanted = new Set(keep.filter((k): k is string => k !== undefined));
    for (const n of names) if (!wanted.has(n)) rmSync(join(dir, n), { force: true });
  }
}
