// The single place the hnswview addon (native/hnswview/hnswview.cpp) is loaded: searching a
// saved usearch index through a memory map without usearch's view(), which walks every node
// of the graph to build a key table a search never reads (~3,000 page faults of a cold CLI
// search). Distances are usearch's to the bit: on x86-64 with AVX2 the addon's own copy of
// NumKong's i8 angular kernel (so usearch's 4 MB library is not loaded: ~20 ms of a cold
// search), elsewhere, or with LEINDEX_HNSWVIEW_KERNEL=usearch, the kernel of usearch's loaded
// library. Optional: when the addon was not built (or neither kernel can be had)
// src/vector/ maps the file with usearch as before. Any thread.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

interface Addon {
  open(
    path: string,
    usearchLibrary: string,
    headOffset: number,
    rowBytes: number,
    dimensions: number,
    expansion: number,
    background?: boolean,
  ): object;
  /** Absent from a build older than background opens (which then opens in the caller's thread). */
  ready?(handle: object): void;
  search(handle: object, query: Int8Array, k: number): [keys: Float64Array, distances: Float32Array];
  close(handle: object): void;
  /** Absent from a build of the addon older than its own kernel (then usearch's is used). */
  ownKernel?(): boolean;
  distance?(a: Int8Array, b: Int8Array, usearchLibrary: string): number;
  /** Absent from a build older than it (then src/search/vectors.ts computes in JS). */
  dots?(data: Int8Array, scales: Float32Array, rows: Int32Array, q: Float32Array): Float64Array;
  /** Absent from a build older than it (then the model is read with read calls). */
  mapFile?(path: string): ArrayBuffer;
}

/** Whose i8 cosine kernel computes distances: the addon's copy, or usearch's library. */
export type HnswKernel = 'own' | 'usearch';

const require = createRequire(import.meta.url);

function loadAddon(): Addon | undefined {
  if (process.env['LEINDEX_HNSWVIEW'] === 'off') return undefined;
  // From dist/native/ (compiled), dist/src/cli/ (the search bundle) or native/ (sources):
  // the build directory sits beside the C++ source.
  for (const rel of [
    '../../native/hnswview/build/Release/hnswview.node',
    '../../../native/hnswview/build/Release/hnswview.node',
    './hnswview/build/Release/hnswview.node',
  ]) {
    try {
      return require(rel) as Addon;
    } catch {
      // not built here
    }
  }
  return undefined;
}

/**
 * The usearch library usearch's own loader would pick (node-gyp-build: a local build, else
 * the prebuild for this platform), whose NumKong kernel the addon borrows.
 */
function usearchLibrary(): string | undefined {
  try {
    const usearchMain = require.resolve('usearch');
    const usearchRoot = join(dirname(usearchMain), '..', '..', '..');
    const nodeGypBuild = createRequire(usearchMain)('node-gyp-build') as { path(dir: string): string };
    return nodeGypBuild.path(usearchRoot);
  } catch {
    return undefined;
  }
}

let addonState: Addon | null | undefined;
let libraryState: string | null | undefined;

function addon(): Addon | null {
  if (addonState === undefined) addonState = loadAddon() ?? null;
  return addonState;
}

function library(): string | null {
  if (libraryState === undefined) libraryState = usearchLibrary() ?? null;
  return libraryState;
}

function hasOwnKernel(a: Addon): boolean {
  return typeof a.ownKernel === 'function' && a.ownKernel();
}

/** The kernel used when none is asked for: the addon's own where it has one. */
function defaultKernel(a: Addon): HnswKernel {
  return process.env['LEINDEX_HNSWVIEW_KERNEL'] !== 'usearch' && hasOwnKernel(a) ? 'own' : 'usearch';
}

/** The library argument of the addon's calls for `kernel`: '' = its own; null = unavailable. */
function libraryFor(a: Addon, kernel: HnswKernel): string | null {
  if (kernel === 'own') return hasOwnKernel(a) ? '' : null;
  return library();
}

function loaded(kernel?: HnswKernel): { addon: Addon; library: string } | null {
  const a = addon();
  if (!a) return null;
  const lib = libraryFor(a, kernel ?? defaultKernel(a));
  return lib === null ? null : { addon: a, library: lib };
}

/** Hits of one query: keys and cosine distances (1 - similarity), best first. */
export interface HnswViewHits {
  readonly keys: Float64Array;
  readonly distances: Float32Array;
}

/** A mapped i8 cosine index, searched through its graph without usearch's key table. */
export class HnswView {
  private handle: object | undefined;

  private constructor(
    private readonly addon: Addon,
    handle: object,
  ) {
    this.handle = handle;
  }

  /**
   * Maps `path` (a file whose layout the caller checked: headOffset is the end of the
   * vector matrix, rows of `dimensions` bytes). Throws a plain Error when it cannot. With
   * `background`, the graph is addressed and the file's pages mapped in by a native thread
   * of the addon while the caller goes on (a cold search's ~8 ms open and ~400 page faults of
   * its first search, off this thread); the first search waits for it, and ready() reports
   * what it could not do. A build of the addon without background opens opens here.
   * LEINDEX_HNSWVIEW_POPULATE=off leaves the pages to the search's own faults (the mapped
   * pages count in the process's RSS: +25 MB on the corpus, file-backed and shared).
   */
  static open(
    path: string,
    layout: { headOffset: number; rowBytes: number; dimensions: number; expansion: number },
    kernel?: HnswKernel,
    background = false,
  ): HnswView {
    const s = loaded(kernel);
    if (!s) throw new Error('hnswview is not available');
    const args = [
      path,
      s.library,
      layout.headOffset,
      layout.rowBytes,
      layout.dimensions,
      layout.expansion,
    ] as const;
    const handle =
      background && typeof s.addon.ready === 'function' ? s.addon.open(...args, true) : s.addon.open(...args);
    return new HnswView(s.addon, handle);
  }

  /** Waits for a background open; throws a plain Error with what it could not do. */
  ready(): void {
    if (!this.handle) throw new Error('hnswview is closed');
    this.addon.ready?.(this.handle);
  }

  /** The k nearest (at most k, fewer when fewer are live) to an int8 query. */
  search(query: Int8Array, k: number): HnswViewHits {
    if (!this.handle) throw new Error('hnswview is closed');
    const [keys, distances] = this.addon.search(this.handle, query, k);
    return { keys, distances };
  }

  /** Unmaps now; a later search throws. */
  close(): void {
    if (this.handle) this.addon.close(this.handle);
    this.handle = undefined;
  }
}

/** Whether HnswView can be used (the addon is built and has a kernel: `kernel`, or its default). */
export function hnswViewAvailable(kernel?: HnswKernel): boolean {
  return loaded(kernel) !== null;
}

/** The kernel HnswView.open uses by default, or undefined when the addon cannot be used. */
export function hnswViewKernel(): HnswKernel | undefined {
  const a = addon();
  return a && loaded() ? defaultKernel(a) : undefined;
}

/**
 * For each of `rows`, the dot product of `q` with that int8 row of `data` (q.length bytes a
 * row) dequantised by its scale: each component rounded to f32, then summed in double in
 * order, the doubles src/search/vectors.ts computes in JS. Undefined when the addon (or this
 * function of it) is not built.
 */
export function i8Dots(
  data: Int8Array,
  scales: Float32Array,
  rows: Int32Array,
  q: Float32Array,
): Float64Array | undefined {
  const a = addon();
  return a?.dots ? a.dots(data, scales, rows, q) : undefined;
}

/**
 * The whole file at `path` as an ArrayBuffer over a copy-on-write mapping (pages come from
 * the page cache as they are read; a write changes only this process's copy), unmapped when
 * the buffer is collected. Undefined when the addon (or this function of it) is not built,
 * or the file cannot be mapped (the caller reads it instead, and reports what is wrong).
 */
export function mapFile(path: string): ArrayBuffer | undefined {
  const a = addon();
  if (!a?.mapFile) return undefined;
  try {
    return a.mapFile(path);
  } catch {
    return undefined;
  }
}

/** The cosine distance `kernel` computes between two int8 rows (tests compare the two kernels). */
export function hnswKernelDistance(a: Int8Array, b: Int8Array, kernel: HnswKernel): number {
  const s = loaded(kernel);
  if (!s?.addon.distance) throw new Error(`hnswview has no ${kernel} kernel here`);
  return s.addon.distance(a, b, s.library);
}
