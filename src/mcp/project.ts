// One project the MCP server serves: its options, the IndexSession of the last complete
// generation (re-opened when a newer one is published, by us or by another process), the
// index job, the freshness check that notices edits and refreshes in the background, and the
// idle timer that releases caches. Tools ask it for a ProjectView. Server thread.

import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { IndexOptions } from '../config.js';
import { LeindexError, isLeindexError } from '../errors.js';
import { scanFreshness, type FreshnessScan } from '../query/diagnostics.js';
import { IndexSession } from '../query/session.js';
import { storePath } from '../store/open.js';
import type { Logger } from '../util/log.js';
import { IndexJob, type JobTrigger } from './jobs.js';

export interface ProjectSettings {
  /** Refresh in the background when files change, and index at once when there is no index. */
  autoRefresh: boolean;
  /** At most one freshness scan per this many ms (scans happen only when a query comes in). */
  freshnessIntervalMs: number;
  /** How long a query waits for a scan it started before answering with the previous verdict. */
  freshnessWaitMs: number;
  /** Wait this long after noticing a change before refreshing (edits come in bursts). */
  refreshDelayMs: number;
  /** Release the session's caches after this long without a query. */
  idleReleaseMs: number;
}

/** What a query answers from, and what it says about it. */
export interface ProjectView {
  session: IndexSession;
  generation: number;
  /** Files changed since this generation was indexed (as of the last scan). */
  stale: boolean;
  /** A refresh is scheduled or running (here or in another process holding the writer lock). */
  refreshing: boolean;
}

/**
 * Written by the store after every write session (store/open.ts recordStoreState): its mtime
 * moving is the cheap sign that another generation may be current.
 */
const STORE_STAMP = 'store-state.json';

export class Project {
  private session: IndexSession | undefined;
  private stamp = -1;
  /** Directories changed after this instant make the index stale (see scanFreshness). */
  private baselineMs = 0;
  private lastScanMs = 0;
  private lastScan: { generation: number; scan: FreshnessScan } | undefined;
  private scanning: Promise<void> | undefined;
  private job: IndexJob | undefined;
  /** The generation our last finished job left current, and when that job started. */
  private jobResult: { generation: number; startedAtMs: number } | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    readonly root: string,
    readonly options: IndexOptions,
    private readonly settings: ProjectSettings,
    private readonly log: Logger,
    private readonly onJob: (job: IndexJob) => void,
  ) {}

  /** The running job, if any. */
  get runningJob(): IndexJob | undefined {
    return this.job?.status === 'running' ? this.job : undefined;
  }

  get lastJob(): IndexJob | undefined {
    return this.job;
  }

  /** Freshness baseline, for diagnostics: the instant the current generation reflects. */
  get freshnessBaselineMs(): number {
    return this.baselineMs;
  }

  /**
   * The current generation to answer from, with what the latest freshness scan says about it.
   * Throws E_INDEX_MISSING (starting an index job first when auto-refresh is on) or the
   * store's own errors. Callers use the session synchronously once this resolves: a later
   * view() may close it when a newer generation appears.
   */
  async view(): Promise<ProjectView> {
    this.usable();
    this.touch();
    this.syncGeneration();
    if (!this.session) {
      try {
        this.openSession();
      } catch (err) {
        if (isLeindexError(err) && err.code === 'E_INDEX_MISSING') throw this.missing(err);
        throw err;
      }
    }
    await this.checkFreshness();
    this.usable();
    const session = this.session;
    if (!session) throw new LeindexError('E_INTERNAL', 'no session after opening one');
    const scan = this.lastScan?.generation === session.generation ? this.lastScan.scan : undefined;
    return {
      session,
      generation: session.generation,
      stale: scan?.stale ?? false,
      refreshing: this.refreshing(),
    };
  }

  /** Starts an index run, or returns the one already running (a second request joins it). */
  startIndex(trigger: JobTrigger, rebuild = false): IndexJob {
    const running = this.runningJob;
    if (running) return running;
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    // Created before the job's start time, so that making it (inside the root, by default)
    // does not count as a change of the tree the job indexed.
    mkdirSync(this.options.indexDir, { recursive: true });
    const job = new IndexJob(this.root, rebuild, trigger, this.options, this.log);
    this.job = job;
    this.onJob(job);
    void job.done.then(() => {
      if (job.summary) {
        this.jobResult = { generation: job.summary.generation, startedAtMs: job.startedAtMs };
        // A no-op run publishes nothing, yet proves the tree matched when it started.
        if (this.session?.generation === job.summary.generation) this.baselineMs = job.startedAtMs;
        this.lastScanMs = 0;
      }
    });
    return job;
  }

  /** After a query fails on a generation that was dropped under it: re-open, true if it moved. */
  reopenIfNewer(): boolean {
    const before = this.session?.generation;
    this.stamp = -1;
    this.syncGeneration();
    return this.session !== undefined && this.session.generation !== before;
  }

  private usable(): void {
    if (this.closed) throw new LeindexError('E_INTERRUPTED', 'the server is shutting down');
  }

  releaseCaches(): void {
    this.session?.releaseCaches();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.refreshTimer);
    clearTimeout(this.idleTimer);
    await this.job?.cancel();
    await this.scanning;
    await this.session?.close();
    this.session = undefined;
  }

  private refreshing(): boolean {
    return (
      this.runningJob !== undefined ||
      this.refreshTimer !== undefined ||
      existsSync(join(this.options.indexDir, 'writer.lock'))
    );
  }

  private missing(err: LeindexError): LeindexError {
    let job = this.runningJob;
    if (!job && this.settings.autoRefresh) job = this.startIndex('missing');
    const hint = job
      ? `indexing has started (job ${job.id}, ${Math.round(job.elapsedMs / 1000)}s so far): call leindex_index to wait for it`
      : 'call leindex_index to build the index';
    return new LeindexError('E_INDEX_MISSING', `${this.root} has no index yet`, { hint, cause: err });
  }

  private touch(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.log.debug(`idle: releasing the caches of ${this.root}`);
      this.session?.releaseCaches();
    }, this.settings.idleReleaseMs);
    this.idleTimer.unref();
  }

  private openSession(): void {
    this.stamp = readStamp(this.options.indexDir);
    const next = IndexSession.open(this.root, this.options.indexDir);
    this.adopt(next);
  }

  /** Re-opens when the store says a write session ended since we looked. */
  private syncGeneration(): void {
    if (!this.session) return;
    const stamp = readStamp(this.options.indexDir);
    if (stamp === this.stamp) return;
    this.stamp = stamp;
    let next: IndexSession;
    try {
      next = IndexSession.open(this.root, this.options.indexDir);
    } catch (err) {
      // Keep answering from what we have; the next query tries again.
      this.log.warn(`cannot re-open the index of ${this.root}: ${String(err)}`);
      this.stamp = -1;
      return;
    }
    if (next.generation === this.session.generation) {
      void next.close();
      return;
    }
    this.adopt(next);
  }

  private adopt(next: IndexSession): void {
    const old = this.session;
    this.session = next;
    // Queries use a session synchronously after view(), so nothing still holds the old one.
    if (old) void old.close().catch((err: unknown) => this.log.warn(`closing a session: ${String(err)}`));
    const ours = this.jobResult?.generation === next.generation;
    this.baselineMs =
      ours && this.jobResult ? this.jobResult.startedAtMs : Date.parse(next.reader.info.createdAt);
    this.lastScanMs = 0;
    this.lastScan = undefined;
    this.log.debug(`${this.root}: answering from generation ${next.generation}`);
  }

  /**
   * Starts a stat scan (at most one per freshnessIntervalMs, none while our job runs) and waits
   * for it up to freshnessWaitMs: a small tree gets an exact answer, a large one is not held
   * up (its answer carries the previous scan's verdict). A stale tree schedules a refresh.
   */
  private async checkFreshness(): Promise<void> {
    const session = this.session;
    if (!session || this.runningJob) return;
    if (!this.scanning && Date.now() - this.lastScanMs >= this.settings.freshnessIntervalMs) {
      this.lastScanMs = Date.now();
      const generation = session.generation;
      const scanning = scanFreshness(this.root, session.files(), this.baselineMs).then(
        (scan) => {
          this.scanning = undefined;
          if (this.session?.generation !== generation) return; // a newer one arrived meanwhile
          this.lastScan = { generation, scan };
          if (scan.stale) {
            this.log.debug(`${this.root} changed: ${scan.sample.join(', ')} (scan ${scan.ms.toFixed(1)} ms)`);
            if (this.settings.autoRefresh) this.scheduleRefresh();
          }
        },
        (err: unknown) => {
          this.scanning = undefined;
          this.log.warn(`freshness scan of ${this.root} failed: ${String(err)}`);
        },
      );
      this.scanning = scanning;
    }
    if (this.scanning) await Promise.race([this.scanning, delay(this.settings.freshnessWaitMs)]);
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer || this.runningJob || this.closed) return;
    // Not again right after a run that ended (failed, or another writer held the lock).
    const sinceLast = this.job?.finishedAtMs === undefined ? Infinity : Date.now() - this.job.finishedAtMs;
    const delay = Math.max(this.settings.refreshDelayMs, this.settings.refreshDelayMs * 4 - sinceLast);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      if (!this.closed) this.startIndex('refresh');
    }, delay);
    this.refreshTimer.unref();
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function readStamp(indexDir: string): number {
  try {
    return statSync(join(storePath(indexDir), STORE_STAMP)).mtimeMs;
  } catch {
    return 0;
  }
}
