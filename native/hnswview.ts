// The single place the hnswview addon (native/hnswview/hnswview.cpp) is loaded: searching a
// saved usearch index through a memory map without usearch's view(), which walks every node
// of the graph to build a key table a search never reads (~3,000 page faults of a cold CLI
// search). Distances come from usearch's own kernel, so hits are identical to usearch's.
// Optional: when the addon was not built (or usearch's library cannot be found) `hnswView`
// is undefined and src/vector/ maps the file with usearch as before. Any thread.

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
  ): object;
  search(handle: object, query: Int8Array, k: number): [keys: Float64Array, distances: Float32Array];
  close(handle: object): void;
}

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

let state: { addon: Addon; library: string } | null | undefined;

function loaded(): { addon: Addon; library: string } | null {
  if (state === undefined) {
    const addon = loadAddon();
    const library = addon && usearchLibrary();
    state = addon && library ? { addon, library } : null;
  }
  return state;
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
   * vector matrix, rows of `dimensions` bytes). Throws a plain Error when it cannot.
   */
  static open(
    path: string,
    layout: { headOffset: number; rowBytes: number; dimensions: number; expansion: number },
  ): HnswView {
    const s = loaded();
    if (!s) throw new Error('hnswview is not available');
    const handle = s.addon.open(
      path,
      s.library,
      layout.headOffset,
      layout.rowBytes,
      layout.dimensions,
      layout.expansion,
    );
    return new HnswView(s.addon, handle);
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

/** Whether HnswView can be used (the addon is built and usearch's library is found). */
export function hnswViewAvailable(): boolean {
  return loaded() !== null;
}
