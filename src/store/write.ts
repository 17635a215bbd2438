// The write path of the store: one IndexWriter per index run. Fragments stream in as workers
// finish (fire-and-forget puts that lmdb-js batches, with a bound on unflushed bytes as
// backpressure); the new generation's blobs are written next (some as soon as they are
// encoded: putBlobs); then one transaction switches
// `current` to it. A crash at any point before that switch leaves the previous generation
// current and whole; the next writer clears the leftovers. Coordinator thread.

import { rmSync } from 'node:fs';
import type { ResolutionStats } from '../graph/graph.js';
import {
  SCHEMA_VERSION,
  acquireWriterLock,
  openDbs,
  recordStoreState,
  storeExists,
  storeFailure,
  storePath,
  type StoreDbs,
  type WriterLock,
} from './open.js';
import { BLOB, LEXICON_BLOB_PREFIX, RECORD, type GenerationInfo, type SkippedRecord } from './layout.js';
import { readFileTableOf } from './read.js';
import type { FileTable } from '../graph/graph.js';

/** Unflushed fragment bytes allowed before a writer waits for lmdb-js to commit (backpressure). */
const MAX_PENDING_BYTES = 64 << 20;

export interface OpenWriterResult {
  writer: IndexWriter;
  /** Why the previous store was discarded, when it was (schema change, damage, --rebuild). */
  discarded: string | undefined;
}

export class IndexWriter {
  private pendingBytes = 0;
  private closed = false;
  private begun = false;
  /** Content hashes put in this session, so a fragment shared by several files is put once. */
  private readonly putThisSession = new Set<string>();

  private constructor(
    readonly indexDir: string,
    private readonly dbs: StoreDbs,
    private readonly lock: WriterLock,
    readonly previousGeneration: number | undefined,
    readonly crashedGeneration: number | undefined,
  ) {}

  /**
   * Takes the writer lock and opens (or creates) the store. A store of another schema or a
   * damaged one is set aside only when `rebuildOnMismatch` (the index command) says so;
   * otherwise its error is thrown.
   */
  static async open(indexDir: string, opts: { rebuild: boolean }): Promise<OpenWriterResult> {
    const lock = acquireWriterLock(indexDir);
    try {
      let discarded: string | undefined;
      if (opts.rebuild && storeExists(indexDir)) {
        discarded = 'a rebuild was asked for';
        rmSync(storePath(indexDir), { recursive: true, force: true });
      }
      let dbs = openDbs(indexDir, { readOnly: false });
      const schema = dbs.meta.get('schema');
      if (schema !== undefined && schema !== SCHEMA_VERSION) {
        discarded = `it was written with schema ${JSON.stringify(schema)}, this leindex uses ${SCHEMA_VERSION}`;
        await dbs.env.close();
        rmSync(storePath(indexDir), { recursive: true, force: true });
        dbs = openDbs(indexDir, { readOnly: false });
      }
      if (schema === undefined || discarded) dbs.meta.putSync('schema', SCHEMA_VERSION);
      const current = dbs.meta.get('current');
      const pending = dbs.meta.get('pending');
      const writer = new IndexWriter(
        indexDir,
        dbs,
        lock,
        typeof current === 'number' ? current : undefined,
        typeof pending === 'number' && pending !== current ? pending : undefined,
      );
      writer.recoverFromCrash();
      return { writer, discarded };
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  /** The generation this run will publish. */
  get nextGeneration(): number {
    return Math.max(this.previousGeneration ?? 0, this.crashedGeneration ?? 0) + 1;
  }

  previousFileTable(): FileTable | undefined {
    if (this.previousGeneration === undefined) return undefined;
    try {
      return readFileTableOf(this.dbs, this.previousGeneration);
    } catch (err) {
      throw storeFailure(err, 'previous file table');
    }
  }

  /** What the previous run published as its summary record (see runIndex), if anything. */
  previousSummary<T>(): T | undefined {
    if (this.previousGeneration === undefined) return undefined;
    return this.dbs.records.get([this.previousGeneration, RECORD.summary]) as T | undefined;
  }

  /**
   * The previous generation's encoded blobs (graph, file table, lexicon: every blob it has),
   * resolution stats and info, unchanged (for a refresh).
   */
  previousBlobs():
    { blobs: Record<string, Uint8Array>; stats: ResolutionStats; info: GenerationInfo } | undefined {
    const gen = this.previousGeneration;
    if (gen === undefined) return undefined;
    const blobs: Record<string, Uint8Array> = {};
    for (const { key, value } of this.dbs.blobs.getRange({ start: [gen, ''], end: [gen + 1, ''] })) {
      blobs[key[1]] = Uint8Array.prototype.slice.call(value);
    }
    if (Object.values(BLOB).some((name) => !blobs[name])) return undefined;
    const stats = this.dbs.records.get([gen, RECORD.stats]) as ResolutionStats | undefined;
    const info = this.dbs.records.get([gen, RECORD.info]) as GenerationInfo | undefined;
    return stats && info ? { blobs, stats, info } : undefined;
  }

  /**
   * The previous generation's graph blob as an own copy (8-aligned, so decodeGraphColumns can
   * view it and a patch can write into it), with its resolution stats and info.
   */
  previousGraph(): { bytes: Uint8Array; stats: ResolutionStats; info: GenerationInfo } | undefined {
    const gen = this.previousGeneration;
    if (gen === undefined) return undefined;
    try {
      const b = this.dbs.blobs.getBinary([gen, BLOB.graph]);
      const stats = this.dbs.records.get([gen, RECORD.stats]) as ResolutionStats | undefined;
      const info = this.dbs.records.get([gen, RECORD.info]) as GenerationInfo | undefined;
      if (!b || !stats || !info) return undefined;
      const bytes = new Uint8Array(b.byteLength);
      bytes.set(b);
      return { bytes, stats, info };
    } catch (err) {
      throw storeFailure(err, 'previous graph');
    }
  }

  /** Whether the store holds the fragment of a content hash (no read of its bytes). */
  hasFragment(contentHash: string): boolean {
    try {
      return this.dbs.fragments.doesExist(contentHash);
    } catch (err) {
      throw storeFailure(err, `fragment ${contentHash}`);
    }
  }

  /** A named blob of a kept generation (e.g. the previous lexicon's base), a copy, or undefined. */
  blobAt(generation: number, name: string): Uint8Array | undefined {
    try {
      const b = this.dbs.blobs.getBinary([generation, name]);
      return b ? Uint8Array.prototype.slice.call(b) : undefined;
    } catch (err) {
      throw storeFailure(err, `blob ${name}`);
    }
  }

  /** The previous generation's info record. */
  previousInfo(): GenerationInfo | undefined {
    if (this.previousGeneration === undefined) return undefined;
    return this.dbs.records.get([this.previousGeneration, RECORD.info]) as GenerationInfo | undefined;
  }

  /** The previous generation's skipped files. */
  previousSkipped(): SkippedRecord[] {
    if (this.previousGeneration === undefined) return [];
    return (
      (this.dbs.records.get([this.previousGeneration, RECORD.skipped]) as SkippedRecord[] | undefined) ?? []
    );
  }

  /**
   * The stored fragment of a content hash, copied out of the map once: getBinary's own copy
   * and a slice of it were two fresh allocations per read, and the merge of a 256 MB budget
   * re-reads ~1.1 GB of spilled fragments (bench/memory.md).
   */
  getFragment(contentHash: string): Uint8Array | undefined {
    try {
      // lmdb-js's reused read buffer (or, for a value of 16 MB or more, a view into the
      // map): its `length` is the value's, valid until the next read.
      const b = this.dbs.fragments.getBinaryFast(contentHash);
      return b ? Uint8Array.prototype.slice.call(b, 0, b.length) : undefined;
    } catch (err) {
      throw storeFailure(err, `fragment ${contentHash}`);
    }
  }

  /**
   * A crashed writer may have left a half-written generation and fragments nothing refers
   * to. Drop them before anything else, so the store holds only what generations use.
   */
  private recoverFromCrash(): void {
    if (this.crashedGeneration === undefined) return;
    const keep = new Set<number>();
    if (this.previousGeneration !== undefined) keep.add(this.previousGeneration);
    this.dropGenerationsExcept(keep);
    this.collectFragments(keep);
    this.dbs.meta.putSync('pending', null);
  }

  /** Marks the start of writing a generation (so a crash mid-way is detected next time). */
  begin(): void {
    this.dbs.meta.putSync('pending', this.nextGeneration);
    this.begun = true;
  }

  /**
   * Writes blobs of the generation being built ahead of publish, and resolves once they are
   * committed, so the caller can drop them instead of holding every blob until the end (the
   * graph's 20 MB while the lexicon is built, on the benchmark corpus). Readers do not see
   * them: they read the generation `current` names, which only publish switches; a run that
   * stops before that leaves them to the next writer, which drops the pending generation.
   * publish may write a blob of the same name again (the last one stands).
   */
  async putBlobs(blobs: Record<string, Uint8Array>): Promise<void> {
    if (!this.begun) throw new Error('IndexWriter.putBlobs before begin');
    const gen = this.nextGeneration;
    for (const [name, bytes] of Object.entries(blobs)) void this.dbs.blobs.put([gen, name], bytes);
    await this.dbs.blobs.flushed;
  }

  /** Stores a fragment by content hash; returns a promise only when backpressure applies. */
  putFragment(contentHash: string, bytes: Uint8Array): Promise<void> | undefined {
    if (this.putThisSession.has(contentHash)) return undefined;
    this.putThisSession.add(contentHash);
    // lmdb-js writes garbage for a view on a SharedArrayBuffer (measured: lmdb 3.5.6), so a
    // fragment fresh from a worker is copied once into an ordinary buffer.
    const value = bytes.buffer instanceof SharedArrayBuffer ? bytes.slice() : bytes;
    // lmdb-js batches un-awaited puts into one transaction; awaiting each would be ~300x slower.
    void this.dbs.fragments.put(contentHash, value);
    this.pendingBytes += bytes.byteLength;
    if (this.pendingBytes < MAX_PENDING_BYTES) return undefined;
    this.pendingBytes = 0;
    return this.dbs.fragments.flushed.then(() => undefined);
  }

  /**
   * Resolves when every fragment put so far is committed, so it can be read back (the memory
   * governor flushes before it spills the merge input, which then re-reads from here).
   */
  async flush(): Promise<void> {
    await this.dbs.fragments.flushed;
    this.pendingBytes = 0;
  }

  /**
   * Writes the generation and switches `current` to it in one transaction, then drops the
   * generation before the previous one (the previous stays for readers that opened it) and
   * fragments no kept generation uses.
   */
  async publish(
    stats: ResolutionStats,
    blobs: Record<string, Uint8Array>,
    info: Omit<GenerationInfo, 'generation'>,
    skipped: readonly SkippedRecord[],
    summary: unknown,
  ): Promise<number> {
    const gen = this.nextGeneration;
    for (const [name, bytes] of Object.entries(blobs)) void this.dbs.blobs.put([gen, name], bytes);
    void this.dbs.records.put([gen, RECORD.skipped], skipped);
    void this.dbs.records.put([gen, RECORD.stats], stats);
    void this.dbs.records.put([gen, RECORD.summary], summary);
    void this.dbs.records.put([gen, RECORD.info], { ...info, generation: gen } satisfies GenerationInfo);
    await this.dbs.env.flushed;
    // The switch: readers see the old generation or the new one, never a mix.
    this.dbs.env.transactionSync(() => {
      this.dbs.meta.putSync('current', gen);
      this.dbs.meta.putSync('pending', null);
    });
    const keep = new Set<number>([gen]);
    if (this.previousGeneration !== undefined) keep.add(this.previousGeneration);
    // Only fragments of the generations being dropped can become garbage: check just those,
    // instead of scanning every fragment key (which costs ~0.5 s per 100k files).
    const candidates = new Set<string>();
    for (const old of this.generationsExcept(keep)) {
      for (const h of readFileTableOf(this.dbs, old)?.contentHash ?? []) candidates.add(h);
    }
    this.dropGenerationsExcept(keep);
    this.collectFragments(keep, candidates);
    await this.dbs.env.flushed;
    return gen;
  }

  private generationsExcept(keep: Set<number>): Set<number> {
    const out = new Set<number>();
    for (const key of this.dbs.records.getKeys()) {
      const gen = key[0];
      if (!keep.has(gen)) out.add(gen);
    }
    return out;
  }

  /**
   * Drops every generation not in `keep`, except the lexicon base blobs of generations a kept
   * one names as its base (they are shared, not copied, so an edit rewrites only a delta).
   */
  private dropGenerationsExcept(keep: Set<number>): void {
    const bases = new Set<number>();
    for (const gen of keep) {
      const info = this.dbs.records.get([gen, RECORD.info]) as GenerationInfo | undefined;
      const base = info?.lexicon?.baseGeneration;
      if (base !== undefined && !keep.has(base)) bases.add(base);
    }
    this.dbs.env.transactionSync(() => {
      for (const key of this.dbs.records.getKeys()) {
        if (!keep.has(key[0])) this.dbs.records.removeSync(key);
      }
      for (const key of this.dbs.blobs.getKeys()) {
        if (keep.has(key[0])) continue;
        if (bases.has(key[0]) && key[1].startsWith(LEXICON_BLOB_PREFIX)) continue;
        this.dbs.blobs.removeSync(key);
      }
    });
  }

  /**
   * Removes fragments that no kept generation's file table names: among `candidates`, or
   * among all stored fragments when none are given (after a crash).
   */
  private collectFragments(keep: Set<number>, candidates?: Set<string>): void {
    const live = new Set<string>();
    for (const gen of keep) {
      for (const h of readFileTableOf(this.dbs, gen)?.contentHash ?? []) live.add(h);
    }
    for (const h of this.putThisSession) live.add(h);
    this.dbs.env.transactionSync(() => {
      for (const key of candidates ?? this.dbs.fragments.getKeys()) {
        if (!live.has(key)) this.dbs.fragments.removeSync(key);
      }
    });
  }

  /** Leaves the store as it is (the previous generation stays current) and releases the lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.dbs.env.flushed;
      await this.dbs.env.close();
      recordStoreState(this.indexDir);
    } finally {
      this.lock.release();
    }
  }
}
