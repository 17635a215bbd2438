// The merge input as a spillable cache: the fragments an index run holds for the merge
// (fresh from the workers, or read back for unchanged files). Once the store has them, the
// governor may drop them; a MergeInput's `fragment` then re-reads the same bytes (from a
// spill file when the stash has one, else from the store), so the digest cannot change.
// Coordinator thread.

import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { LeindexError } from '../errors.js';
import { FragmentReader } from '../graph/fragment.js';
import type { MergeInput } from '../graph/merge.js';
import type { LanguageId } from '../protocol.js';
import type { MemoryGovernor, SpillHandle, Spillable } from './governor.js';

/** Where spilled fragments come back from (the index writer). */
export interface FragmentStore {
  getFragment(contentHash: string): Uint8Array | undefined;
  /** Resolves when every write queued so far is committed (readable by getFragment). */
  flush(): Promise<void>;
}

/** Figures of a fragment the index summary counts. */
export interface FragmentStats {
  readonly vectorCount: number;
  readonly errorCount: number;
  readonly lineCount: number;
  /** The header counts the merge sizes its tables from before it reads any row (two passes). */
  readonly stringCount: number;
  readonly symbolCount: number;
  readonly refCount: number;
}

export interface MergeInputMeta {
  readonly relPath: string;
  readonly language: LanguageId;
  readonly contentHash: string;
  readonly size: number;
  readonly mtimeMs: number;
}

/**
 * After a spill, reloaded fragments are kept up to this many bytes (least recently used go
 * first) until the governor relaxes: the merge reads each file in order in several passes,
 * so a small window catches the repeated reads within one file's turn.
 */
const WINDOW_BYTES = 4 << 20;
/** The merge calls the governor's checkpoint every this many fragment reads. */
const POLL_EVERY = 64;

export interface StashOptions {
  /**
   * A directory for the spill file: spilled fragments are written there once and re-read with
   * read(), which leaves no pages mapped in the process. Re-reading them from the store's
   * memory map maps its pages back in (file-backed RSS the governor then drops, and the
   * merge faults in again on its next pass): at 256 MB that was most of the merge's extra
   * CPU (bench/memory.md, "h/gov256d"). Without it, or when writing fails, the store.
   */
  readonly spillDir?: string;
}

class StashedInput implements MergeInput {
  reader: FragmentReader | undefined;
  readerBytes = 0;
  /** Where the fragment lies in the spill file, once written there. */
  spillAt = -1;
  /** In the store (committed): may be dropped. */
  stored: boolean;

  constructor(
    private readonly stash: MergeInputStash,
    meta: MergeInputMeta,
    reader: FragmentReader,
    stored: boolean,
  ) {
    this.relPath = meta.relPath;
    this.language = meta.language;
    this.contentHash = meta.contentHash;
    this.size = meta.size;
    this.mtimeMs = meta.mtimeMs;
    this.reader = reader;
    this.readerBytes = reader.bytes.byteLength;
    this.stored = stored;
    this.stats = {
      vectorCount: reader.vectorCount,
      errorCount: reader.errorCount,
      lineCount: reader.lineCount,
      stringCount: reader.stringCount,
      symbolCount: reader.symbolCount,
      refCount: reader.refCount,
    };
  }

  /** What the index summary needs of the fragment, kept so it need not be re-read. */
  readonly stats: FragmentStats;

  readonly relPath: string;
  readonly language: LanguageId;
  readonly contentHash: string;
  readonly size: number;
  readonly mtimeMs: number;

  get fragment(): FragmentReader {
    return this.stash.readerOf(this);
  }
}

export class MergeInputStash implements Spillable {
  readonly name = 'merge-input';
  private readonly all: StashedInput[] = [];
  /** Entries added but not yet known to be committed. */
  private pending: StashedInput[] = [];
  private residentBytes = 0;
  /** Reloaded entries kept while spilled (insertion order = LRU order). */
  private readonly window = new Set<StashedInput>();
  private windowBytes = 0;
  private spilled = false;
  private reads = 0;
  private readonly handle: SpillHandle | undefined;
  /** The spill file (unlinked as soon as it is open: nothing is left behind, even by a crash). */
  private spillFd: number | undefined;
  private spillEnd = 0;
  private spillBroken = false;

  constructor(
    private readonly store: FragmentStore,
    private readonly governor?: MemoryGovernor,
    private readonly options: StashOptions = {},
  ) {
    this.handle = governor?.register(this);
  }

  /** Adds a file's fragment; `stored` when it was read from the store (not fresh from a worker). */
  add(meta: MergeInputMeta, bytes: Uint8Array, stored: boolean): MergeInput {
    const entry = new StashedInput(this, meta, new FragmentReader(bytes), stored);
    this.all.push(entry);
    this.residentBytes += entry.readerBytes;
    if (!stored) this.pending.push(entry);
    return entry;
  }

  /** Waits for the store to commit what was added so far; from then on it may be spilled. */
  async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    await this.store.flush();
    for (const e of batch) e.stored = true;
  }

  bytes(): number {
    return this.residentBytes;
  }

  /** Drops every committed fragment (its string cache goes with it). */
  spill(): number {
    let freed = 0;
    for (const e of this.all) {
      if (!e.stored || e.reader === undefined) continue;
      if (e.spillAt < 0) this.writeSpill(e, e.reader.bytes);
      e.reader = undefined;
      freed += e.readerBytes;
    }
    this.window.clear();
    this.windowBytes = 0;
    this.residentBytes -= freed;
    this.spilled = true;
    return freed;
  }

  relax(): void {
    this.spilled = false;
    this.window.clear();
    this.windowBytes = 0;
  }

  /** The summary figures of an input added here (without re-reading a spilled fragment). */
  statsOf(input: MergeInput): FragmentStats | undefined {
    return input instanceof StashedInput ? input.stats : undefined;
  }

  /** The reader of an entry, re-read from the store when it was spilled. */
  readerOf(e: StashedInput): FragmentReader {
    if (++this.reads % POLL_EVERY === 0) this.governor?.checkpoint();
    if (e.reader) {
      if (this.window.has(e)) {
        this.window.delete(e);
        this.window.add(e);
      }
      return e.reader;
    }
    const t = performance.now();
    const bytes =
      e.spillAt >= 0 && this.spillFd !== undefined
        ? this.readSpill(e, this.spillFd)
        : this.store.getFragment(e.contentHash);
    if (!bytes)
      throw new LeindexError('E_STORE_CORRUPT', `the stored fragment of ${e.relPath} vanished after a spill`);
    const reader = new FragmentReader(bytes);
    this.handle?.reloaded(bytes.byteLength, performance.now() - t);
    e.reader = reader;
    this.residentBytes += e.readerBytes;
    if (this.spilled) {
      this.window.add(e);
      this.windowBytes += e.readerBytes;
      for (const old of this.window) {
        if (this.windowBytes <= WINDOW_BYTES || old === e) break;
        this.window.delete(old);
        old.reader = undefined;
        this.windowBytes -= old.readerBytes;
        this.residentBytes -= old.readerBytes;
      }
    }
    return reader;
  }

  /** Appends a fragment to the spill file (opened on first use); on any failure, the store it is. */
  private writeSpill(e: StashedInput, bytes: Uint8Array): void {
    if (this.spillBroken || this.options.spillDir === undefined) return;
    try {
      if (this.spillFd === undefined) {
        const path = join(this.options.spillDir, `.merge-spill-${process.pid}-${Date.now()}`);
        this.spillFd = openSync(path, 'wx+');
        unlinkSync(path);
      }
      let done = 0;
      while (done < bytes.byteLength)
        done += writeSync(this.spillFd, bytes, done, bytes.byteLength - done, this.spillEnd + done);
      e.spillAt = this.spillEnd;
      this.spillEnd += bytes.byteLength;
    } catch {
      // A full disk or a read-only directory: the store still has every fragment.
      this.spillBroken = true;
    }
  }

  /** A spilled fragment read back from the spill file into memory it owns (8-aligned). */
  private readSpill(e: StashedInput, fd: number): Uint8Array {
    const out = new Uint8Array(e.readerBytes);
    let done = 0;
    while (done < out.byteLength) {
      const n = readSync(fd, out, done, out.byteLength - done, e.spillAt + done);
      if (n === 0) throw new LeindexError('E_IO', `the spill file ended inside the fragment of ${e.relPath}`);
      done += n;
    }
    return out;
  }

  /** Stops reporting to the governor (the merge is over) and closes the spill file. */
  dispose(): void {
    this.handle?.dispose();
    if (this.spillFd !== undefined) closeSync(this.spillFd);
    this.spillFd = undefined;
  }
}
