// The single place lmdb-js (a native addon) is loaded. The store adapter in src/store/
// imports from here and nowhere else does. Runs on the coordinator thread.
//
// Loaded through require: lmdb-js ships a single-file CommonJS build beside its ES modules,
// and requiring it costs ~55 ms of a fresh process against ~90 ms for importing its ~20 ES
// modules (and msgpackr's) — a third of the module loading of a cold `leindex search`.

import { closeSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Lmdb from 'lmdb';

const require = createRequire(import.meta.url);
let lmdb: typeof Lmdb | undefined;

/** lmdb-js, loaded on first use (a module that imports this one loads no addon until then). */
function lmdbJs(): typeof Lmdb {
  if (lmdb) return lmdb;
  // msgpackr (lmdb-js's encoding of non-binary values) otherwise loads a second native addon,
  // msgpackr-extract, to decode long strings faster: leindex's msgpack values are a few small
  // records (generation info, summary, skipped files), and loading it was ~6 ms of every
  // process start. Set only when the user has not chosen.
  process.env.MSGPACKR_NATIVE_ACCELERATION_DISABLED ??= 'true';
  // lmdb-js picks its prebuilt binary by C library, asking detect-libc, which loads
  // child_process (and net, streams...) to be able to run `getconf`: ~16 ms of every start.
  // LIBC (node-gyp-build's own override) answered from the ELF interpreter of this node
  // binary, detect-libc's first check, skips that; when unsure it is left to detect-libc.
  if (process.env.LIBC === undefined) {
    const libc = libcOfNode();
    if (libc) process.env.LIBC = libc;
  }
  lmdb = require('lmdb') as typeof Lmdb;
  return lmdb;
}

export const open: typeof Lmdb.open = ((...args: Parameters<typeof Lmdb.open>) =>
  lmdbJs().open(...args)) as typeof Lmdb.open;
export type { RootDatabase, Database, RootDatabaseOptions } from 'lmdb';

/**
 * 'glibc' or 'musl' from the dynamic loader (PT_INTERP) named by this process's ELF image
 * (`/lib64/ld-linux-x86-64.so.2`, `/lib/ld-musl-x86_64.so.1`), as detect-libc reads it;
 * undefined off Linux, for a static binary or anything unexpected.
 */
function libcOfNode(): 'glibc' | 'musl' | undefined {
  if (process.platform !== 'linux') return undefined;
  let fd: number | undefined;
  try {
    fd = openSync('/proc/self/exe', 'r');
    const head = Buffer.alloc(4096);
    const got = readSync(fd, head, 0, head.length, 0);
    // ELF, 64-bit, little-endian.
    if (got < 64 || head.readUInt32BE(0) !== 0x7f454c46 || head[4] !== 2 || head[5] !== 1) return undefined;
    const phoff = Number(head.readBigUInt64LE(32));
    const phentsize = head.readUInt16LE(54);
    const phnum = head.readUInt16LE(56);
    for (let i = 0; i < phnum; i++) {
      const at = phoff + i * phentsize;
      if (at + 56 > got) return undefined;
      if (head.readUInt32LE(at) !== 3) continue; // PT_INTERP
      const offset = Number(head.readBigUInt64LE(at + 8));
      const size = Number(head.readBigUInt64LE(at + 32));
      if (size <= 0 || size > 4096) return undefined;
      const interp = Buffer.alloc(size);
      readSync(fd, interp, 0, size, offset);
      const path = interp.toString('latin1');
      if (path.includes('/ld-musl-')) return 'musl';
      if (path.includes('/ld-linux-')) return 'glibc';
      return undefined;
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
