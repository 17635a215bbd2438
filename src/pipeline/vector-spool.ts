// The vectors of a one-worker parse, kept on disk until the index is built after the parse
// (deferVectorsFor): each file's symbol rows and int8 vectors are appended to a spool file
// as its fragment arrives, and read back in one sequential pass of large reads. Without it
// the build re-read every stashed fragment the governor had spilled (5.8k reloads, ~0.9 s of
// a 256 MB run of the benchmark corpus, bench/memory.md) to take ~4% of its bytes. The file
// is created in the index's vector directory and unlinked as soon as it is open (as the merge
// input's spill file: nothing is left behind, even by a crash). Coordinator thread.

import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { describeError, LeindexError } from '../errors.js';

/** Bytes gathered before one write(). */
const WRITE_CHUNK = 1 << 20;

interface Entry {
  /** The file's key (the caller's vectorKey(fileKey, row) needs it). */
  readonly fileKey: number;
  readonly count: number;
}

export interface SpooledBatch {
  /** Per row: its file's key and its symbol row. */
  readonly fileKeys: readonly number[];
  readonly rows: readonly number[];
  /** count × dim int8 values, row-major. */
  readonly data: Int8Array;
}

export class VectorSpool {
  private fd: number | undefined;
  private readonly entries: Entry[] = [];
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

  /** Bytes one file's vectors take in the spool: rows (4 B each), then the vectors, 4-aligned. */
  private static entryBytes(count: number, dim: number): number {
    return count * 4 + Math.ceil((count * dim) / 4) * 4;
  }

  /**
   * Appends a file's vectors; false when the spool cannot take them (another width than the
   * first file's, or the disk refused a write): the caller then adds them another way.
   */
  append(fileKey: number, rows: Int32Array, data: Int8Array, dim: number): boolean {
    if (this.broken || rows.length === 0) return false;
    if (this.dim === 0) this.dim = dim;
    if (dim !== this.dim || data.length !== rows.length * dim) return false;
    const bytes = VectorSpool.entryBytes(rows.length, dim);
    try {
      if (this.pendingBytes + bytes > this.pending.length) this.flush();
      if (bytes > this.pending.length) this.pending = Buffer.allocUnsafe(bytes);
      const at = this.pendingBytes;
      Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength).copy(this.pending, at);
      Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(this.pending, at + rows.length * 4);
      this.pendingBytes += bytes;
    } catch {
      this.broken = true;
      return false;
    }
    this.entries.push({ fileKey, count: rows.length });
    this.rowCount += rows.length;
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
    try {
      // What is still in memory is read from there; the rest from the file, front to back.
      if (this.fd !== undefined) this.flush();
      let buf = Buffer.allocUnsafe(0);
      let fileAt = 0;
      let memAt = 0;
      let next = 0;
      while (next < this.entries.length) {
        let end = next;
        let rowsIn = 0;
        let bytes = 0;
        while (
          end < this.entries.length &&
          (end === next || rowsIn + this.entries[end]!.count <= batchRows)
        ) {
          rowsIn += this.entries[end]!.count;
          bytes += VectorSpool.entryBytes(this.entries[end]!.count, dim);
          end++;
        }
        let src: Buffer;
        if (this.fd !== undefined) {
          if (buf.length < bytes) buf = Buffer.allocUnsafe(Math.max(bytes, WRITE_CHUNK));
          let got = 0;
          while (got < bytes) {
            const n = readSync(this.fd, buf, got, bytes - got, fileAt + got);
            if (n === 0) throw new Error(`the spool ended at byte ${fileAt + got} of ${this.written}`);
            got += n;
          }
          fileAt += bytes;
          src = buf;
        } else {
          src = this.pending.subarray(memAt);
          memAt += bytes;
        }
        const fileKeys: number[] = [];
        const rows: number[] = [];
        const data = new Int8Array(rowsIn * dim);
        let at = 0;
        let row = 0;
        for (let e = next; e < end; e++) {
          const { fileKey, count } = this.entries[e]!;
          for (let r = 0; r < count; r++) {
            fileKeys.push(fileKey);
            rows.push(src.readInt32LE(at + r * 4));
          }
          data.set(new Int8Array(src.buffer, src.byteOffset + at + count * 4, count * dim), row * dim);
          row += count;
          at += VectorSpool.entryBytes(count, dim);
        }
        next = end;
        yield { fileKeys, rows, data };
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
    this.entries.length = 0;
    this.pendingBytes = 0;
  }
}
