// The vectors of a one-worker parse, kept on disk until the index is built after the parse
// (deferVectorsFor): each file's vector keys and int8 vectors are appended to a spool file
// as its fragment arrives, and read back in one sequential pass of large reads. Without it
// the build re-read every stashed fragment the governor had spilled (5.8k reloads, ~0.9 s of
// a 256 MB run of the benchmark corpus, bench/memory.md) to take ~4% of its bytes. The file
// is created in the index's vector directory and unlinked as soon as it is open (as the merge
// input's spill file: nothing is left behind, even by a crash). Coordinator thread.

import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { describeError, LeindexError } from '../errors.js';
import { readAt } from '../vector/format.js';

/** Bytes gathered before one write(). */
const WRITE_CHUNK = 1 << 20;

export interface SpooledBatch {
  /** One vector key per row (integers below 2^53, exact as doubles). */
  readonly keys: readonly number[];
  /** keys.length × dim int8 values, row-major. */
  readonly data: Int8Array;
}

export class VectorSpool {
  private fd: number | undefined;
  /** Rows of each file appended, in order. */
  private readonly counts: number[] = [];
  private pending = Buffer.allocUnsafe(WRITE_CHUNK);
  private pendingBytes = 0;
  private written = 0;
  /** Set by the first failed write: nothing more is taken (the caller keeps those files). */
  private broken = false;
  dim = 0;
  rowCount = 0;

  constructor(readonly path: string) {}

  /** Whether the spool has a file open (it outgrew its write buffer). */
  get onDisk(): boolean {
    return this.fd !== undefined;
  }

  /** Bytes one file's vectors take in the spool: keys (doubles), then the vectors, 8-aligned. */
  private static entryBytes(count: number, dim: number): number {
    return count * 8 + Math.ceil((count * dim) / 8) * 8;
  }

  /**
   * Appends a file's vectors; false when the spool cannot take them (another width than the
   * first file's, or the disk refused a write): the caller then adds them another way.
   */
  append(keys: Float64Array, data: Int8Array, dim: number): boolean {
    if (this.broken || keys.length === 0) return false;
    if (this.dim === 0) this.dim = dim;
    if (dim !== this.dim || data.length !== keys.length * dim) return false;
    const bytes = VectorSpool.entryBytes(keys.length, dim);
    try {
      if (this.pendingBytes + bytes > this.pending.length) this.flush();
      if (bytes > this.pending.length) this.pending = Buffer.allocUnsafe(bytes);
      const at = this.pendingBytes;
      Buffer.from(keys.buffer, keys.byteOffset, keys.byteLength).copy(this.pending, at);
      Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(this.pending, at + keys.length * 8);
      this.pendingBytes += bytes;
    } catch {
      this.broken = true;
      return false;
    }
    this.counts.push(keys.length);
    this.rowCount += keys.length;
    return true;
  }

  private flush(): void {
    if (this.pendingBytes === 0) return;
    if (this.fd === undefined) {
      this.fd = openSync(this.path, 'wx+', 0o600);
      unlinkSync(this.path);
    }
    let done = 0;
    // At explicit positions: a write that failed half-way is redone in place, not appended again.
    while (done < this.pendingBytes)
      done += writeSync(this.fd, this.pending, done, this.pendingBytes - done, this.written + done);
    this.written += this.pendingBytes;
    this.pendingBytes = 0;
  }

  /**
   * Everything appended, in order, in batches of about `batchRows` rows (a file's rows are
   * never split; a file with more rows is a batch of its own). Closes the file at the end.
   * Throws E_IO when the file cannot be read back.
   */
  *batches(batchRows: number): Generator<SpooledBatch> {
    const dim = this.dim;
    const counts = this.counts;
    try {
      // What is still in memory is read from there; the rest from the file, front to back.
      if (this.fd !== undefined) this.flush();
      let at = 0;
      let next = 0;
      while (next < counts.length) {
        let end = next;
        let rowsIn = 0;
        let bytes = 0;
        while (end < counts.length && (end === next || rowsIn + counts[end]! <= batchRows)) {
          rowsIn += counts[end]!;
          bytes += VectorSpool.entryBytes(counts[end]!, dim);
          end++;
        }
        let src: Buffer;
        if (this.fd !== undefined) {
          src = readAt(this.fd, at, bytes);
          if (src.length < bytes)
            throw new Error(`the spool ended at byte ${at + src.length} of ${this.written}`);
        } else src = this.pending.subarray(at, at + bytes);
        at += bytes;
        const keys: number[] = [];
        const data = new Int8Array(rowsIn * dim);
        let off = 0;
        for (let e = next; e < end; e++) {
          const count = counts[e]!;
          for (let r = 0; r < count; r++) keys.push(src.readDoubleLE(off + r * 8));
          data.set(
            new Int8Array(src.buffer, src.byteOffset + off + count * 8, count * dim),
            (keys.length - count) * dim,
          );
          off += VectorSpool.entryBytes(count, dim);
        }
        next = end;
        yield { keys, data };
      }
    } catch (err) {
      throw new LeindexError('E_IO', `cannot read the vector spool ${this.path}: ${describeError(err)}`);
    } finally {
      this.dispose();
    }
  }

  /** Closes the file, which frees its disk space (idempotent). */
  dispose(): void {
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed
      }
      this.fd = undefined;
    }
    this.counts.length = 0;
    this.pendingBytes = 0;
  }
}
