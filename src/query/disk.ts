// How a session reads the project's files from disk. `RealPaths`: a file's real path, for the
// "does this path lead outside the project" check; `realpath` of every file resolves every
// component of its path again (a scan of 7.6k files spent ~200 ms there), so a directory's
// real path is remembered for a short while and only the file itself is checked for being a
// link. `readWhole`: a file's bytes with the size and mtime of what was read, in one open.
// Any thread that owns a session (main or server thread).

import { closeSync, fstatSync, lstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * How long a directory's real path is trusted. Short, so that a directory replaced by a link
 * to somewhere else is seen by the next request of a long-lived server; long enough for one
 * scan over every file.
 */
const DIR_TTL_MS = 2000;

export class RealPaths {
  private readonly dirs = new Map<string, string>();
  private since = 0;

  /** The real path of `abs`, or undefined when it does not exist. Throws what realpath throws. */
  of(abs: string): string | undefined {
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (!st) return undefined;
    if (st.isSymbolicLink()) return realpathSync.native(abs);
    const now = performance.now();
    if (now - this.since > DIR_TTL_MS) {
      this.dirs.clear();
      this.since = now;
    }
    const dir = dirname(abs);
    let real = this.dirs.get(dir);
    if (real === undefined) {
      real = realpathSync.native(dir);
      this.dirs.set(dir, real);
    }
    return join(real, basename(abs));
  }
}

export interface FileBytes {
  bytes: Buffer;
  size: number;
  mtimeMs: number;
}

/** The whole file at `abs`, read through one descriptor (a file that grows meanwhile is read to its end). */
export function readWhole(abs: string): FileBytes {
  const fd = openSync(abs, 'r');
  try {
    const st = fstatSync(fd);
    let bytes = Buffer.allocUnsafe(st.size + 1);
    let length = 0;
    for (;;) {
      if (length === bytes.length) {
        const grown = Buffer.allocUnsafe(bytes.length * 2);
        bytes.copy(grown, 0, 0, length);
        bytes = grown;
      }
      const n = readSync(fd, bytes, length, bytes.length - length, null);
      if (n === 0) break;
      length += n;
    }
    return { bytes: bytes.subarray(0, length), size: st.size, mtimeMs: st.mtimeMs };
  } finally {
    closeSync(fd);
  }
}
