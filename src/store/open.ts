// Opens the LMDB environment of an index: the on-disk layout, the schema version check, a
// pre-open sanity check of the data file (a truncated LMDB file is a SIGBUS, not an error,
// so it must be caught before lmdb maps it), and the single-writer lock file.
// Runs on the coordinator thread. Read path: read.ts; write path: write.ts.

import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from '../../native/lmdb.js';
import { LeindexError, describeError } from '../errors.js';

/**
 * Bump on any change to what the store holds or how it is encoded (including the fragment
 * format, which is folded in, and what the extractors put in a fragment: fragments are reused
 * by content hash, so an index written by an older extractor would otherwise keep its old
 * facts for every unchanged file). A mismatch is reported, and `leindex index` rebuilds.
 * 6: dispatch facts (declType, typeParam, implOf), object-literal functions, Rust macro items.
 * 7: a lexicon delta carries its per-term dead counts (lex.dead); the graph's strings, symbols
 *    and edges are one blob (BLOB.graph), read in place; declType facts for annotated locals
 *    (Rust `let x: T`, TS `const x: T`).
 * 8: a name index run is one blob (names and ids), padded to be read in place when large;
 *    loop-variable and collection declType facts (`in:xs`, `[]T`, `xs: T[]`); argument rows
 *    after a multi-parameter closure / lambda at their true positions.
 * 9: Python type comments (paramType / returnType / local declType rows) and with / for protocol
 *    calls (__enter__, __exit__, __iter__); Rust tuple-variant payload and tuple-pattern
 *    (`pat:`) declType facts, Option / Result kept in declType texts.
 */
export const SCHEMA_VERSION = 9;

export interface StoreDbs {
  env: RootDatabase;
  /** 'schema' → number, 'current' → generation, 'pending' → generation being written. */
  meta: Database<unknown, string>;
  /** contentHash → encoded fragment (content-addressed: unchanged files share it across generations). */
  fragments: Database<Uint8Array, string>;
  /** [generation, name] → binary blob (graph columns, strings, file table). */
  blobs: Database<Uint8Array, [number, string]>;
  /** [generation, name] → msgpack value (summary, skipped files). */
  records: Database<unknown, [number, string]>;
}

export const STORE_SUBDIR = 'store';
const DATA_FILE = 'data.mdb';
/** Written after every successful write session: the data file size LMDB had reached. */
const STATE_FILE = 'store-state.json';
const LOCK_FILE = 'writer.lock';
const LMDB_MAGIC = 0xbeefc0de;
/** LMDB puts the meta magic this far into each of its two meta pages (measured on lmdb 3.5). */
const META_MAGIC_OFFSET = 24;

export function storePath(indexDir: string): string {
  return join(indexDir, STORE_SUBDIR);
}

export function storeExists(indexDir: string): boolean {
  return existsSync(join(storePath(indexDir), DATA_FILE));
}

/**
 * Checks the data file before LMDB maps it: both meta pages carry LMDB's magic, and the file
 * is not shorter than it was at the end of the last write session. Throws E_STORE_CORRUPT.
 */
export function checkStoreFiles(indexDir: string): void {
  const dir = storePath(indexDir);
  const data = join(dir, DATA_FILE);
  if (!existsSync(data)) return;
  const size = statSync(data).size;
  const corrupt = (why: string): LeindexError =>
    new LeindexError('E_STORE_CORRUPT', `index store ${data} is damaged: ${why}`, {
      hint: 'run `leindex index --rebuild` to set it aside and build a fresh index',
    });
  if (size < 8192) throw corrupt(`the data file is only ${size} bytes`);
  const head = Buffer.alloc(META_MAGIC_OFFSET + 4);
  const fd = openSync(data, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
    if (head.readUInt32LE(META_MAGIC_OFFSET) !== LMDB_MAGIC)
      throw corrupt('the first meta page has no LMDB magic');
    // The second meta page sits one page in; LMDB's page size is the OS page size here.
    const pageSizes = [4096, 8192, 16384, 65536];
    const found = pageSizes.some((ps) => {
      if (size < ps + head.length) return false;
      readSync(fd, head, 0, head.length, ps);
      return head.readUInt32LE(META_MAGIC_OFFSET) === LMDB_MAGIC;
    });
    if (!found) throw corrupt('the second meta page has no LMDB magic');
  } finally {
    closeSync(fd);
  }
  const state = readState(indexDir);
  if (state && size < state.dataBytes) {
    throw corrupt(`the data file is ${size} bytes, shorter than the ${state.dataBytes} it had (truncated)`);
  }
}

function readState(indexDir: string): { dataBytes: number } | undefined {
  try {
    const v = JSON.parse(readFileSync(join(storePath(indexDir), STATE_FILE), 'utf8')) as {
      dataBytes?: unknown;
    };
    return typeof v.dataBytes === 'number' ? { dataBytes: v.dataBytes } : undefined;
  } catch {
    return undefined;
  }
}

/** Records the data file's size after a write session (see checkStoreFiles). */
export function recordStoreState(indexDir: string): void {
  const data = join(storePath(indexDir), DATA_FILE);
  if (!existsSync(data)) return;
  writeFileSync(join(storePath(indexDir), STATE_FILE), JSON.stringify({ dataBytes: statSync(data).size }));
}

export function openDbs(indexDir: string, options: { readOnly: boolean }): StoreDbs {
  checkStoreFiles(indexDir);
  const path = storePath(indexDir);
  if (!options.readOnly) mkdirSync(path, { recursive: true });
  let env: RootDatabase;
  try {
    env = open({ path, maxDbs: 8, readOnly: options.readOnly, compression: false });
  } catch (err) {
    throw new LeindexError('E_STORE_CORRUPT', `cannot open index store ${path}: ${describeError(err)}`, {
      hint: 'run `leindex index --rebuild`',
      cause: err,
    });
  }
  return {
    env,
    meta: env.openDB<unknown, string>('meta', {}),
    fragments: env.openDB<Uint8Array, string>('fragments', { encoding: 'binary' }),
    blobs: env.openDB<Uint8Array, [number, string]>('blobs', { encoding: 'binary' }),
    records: env.openDB<unknown, [number, string]>('records', {}),
  };
}

/** Wraps an LMDB failure (e.g. MDB_PAGE_NOTFOUND from a damaged page) as E_STORE_CORRUPT. */
export function storeFailure(err: unknown, what: string): LeindexError {
  if (err instanceof LeindexError) return err;
  return new LeindexError('E_STORE_CORRUPT', `index store read failed (${what}): ${describeError(err)}`, {
    hint: 'run `leindex index --rebuild`',
    cause: err,
  });
}

// ---------------------------------------------------------------------------------------
// The writer lock. LMDB serialises write transactions, but an index run spans many of them
// (fragments stream in, then the generation switch), so one indexer at a time holds this file.

export interface WriterLock {
  release(): void;
}

interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
}

export function acquireWriterLock(indexDir: string): WriterLock {
  mkdirSync(indexDir, { recursive: true });
  const path = join(indexDir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      const owner: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
      writeFileSync(fd, JSON.stringify(owner));
      closeSync(fd);
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        process.off('exit', release);
        try {
          unlinkSync(path);
        } catch {
          // already gone: nothing to release
        }
      };
      process.on('exit', release);
      return { release };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = readLockOwner(path);
    if (owner && owner.host === hostname() && isAlive(owner.pid) && owner.pid !== process.pid) {
      throw new LeindexError(
        'E_STORE_LOCKED',
        `the index at ${indexDir} is being written by another leindex (pid ${owner.pid}, since ${owner.startedAt})`,
        {
          hint: 'wait for it to finish, or stop that process',
        },
      );
    }
    // A lock left by a process that died (kill -9, crash): take it over.
    try {
      unlinkSync(path);
    } catch {
      // raced with another taker; retry
    }
  }
  throw new LeindexError('E_STORE_LOCKED', `could not take the writer lock ${path}`);
}

function readLockOwner(path: string): LockOwner | undefined {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>;
    if (typeof v.pid === 'number' && typeof v.host === 'string') {
      return { pid: v.pid, host: v.host, startedAt: String(v.startedAt) };
    }
  } catch {
    // half-written or unreadable: treat as stale
  }
  return undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
