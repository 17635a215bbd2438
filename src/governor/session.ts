// An IndexSession's caches (graph, file table, fragments) as a spillable cache for query
// processes: a spill is session.releaseCaches(), and the next query reloads from the store
// (same generation, same bytes: answers stay identical). Reloads are noticed and timed by
// watching the session's loading methods on this instance. Main (or server) thread.

import type { FragmentReader } from '../graph/fragment.js';
import type { FileTable, IndexGraph } from '../graph/graph.js';
import type { IndexSession } from '../query/session.js';
import type { MemoryGovernor, SpillHandle, Spillable } from './governor.js';

/** IndexSession keeps at most this many fragments (its FRAGMENT_CACHE); used for the estimate. */
const SESSION_FRAGMENTS = 512;

/** Bytes a graph holds: its typed arrays plus ~2 bytes a character and ~40 a string. */
export function graphBytes(g: IndexGraph): number {
  let n = fileTableBytes(g.files);
  for (const col of Object.values(g.symbols)) n += (col as ArrayBufferView).byteLength;
  for (const csr of [g.forward, g.reverse])
    for (const col of Object.values(csr)) n += (col as ArrayBufferView).byteLength;
  for (const s of g.strings) n += 40 + 2 * s.length;
  return n;
}

function fileTableBytes(f: FileTable): number {
  let n = f.language.byteLength + f.size.byteLength + f.mtimeMs.byteLength;
  n += f.errorCount.byteLength + f.lineCount.byteLength + f.symbolStart.byteLength;
  for (const p of f.relPath) n += 40 + 2 * p.length;
  return n + f.contentHash.length * 120;
}

/**
 * Registers `session`'s caches with `governor`. The session's own methods are wrapped on this
 * one instance (IndexSession has no load hook): graph(), files() and fragment() report what
 * they loaded after a spill. dispose() restores them and unregisters.
 */
export function governSession(session: IndexSession, governor: MemoryGovernor): { dispose(): void } {
  const cache = new SessionCaches(session);
  const handle = governor.register(cache);
  cache.attach(handle);
  return {
    dispose: () => {
      cache.detach();
      handle.dispose();
    },
  };
}

class SessionCaches implements Spillable {
  readonly name = 'session-caches';
  private graph: WeakRef<IndexGraph> | undefined;
  private files: WeakRef<FileTable> | undefined;
  private graphSize = 0;
  private filesSize = 0;
  /** Readers seen per file (weak: the session's LRU decides what lives). */
  private readonly fragments = new Map<number, WeakRef<FragmentReader>>();
  private fragmentSize = 0;
  private handle: SpillHandle | undefined;
  constructor(private readonly session: IndexSession) {}

  attach(handle: SpillHandle): void {
    this.handle = handle;
    const s = this.session;
    const graph = s.graph.bind(s);
    const files = s.files.bind(s);
    const fragment = s.fragment.bind(s);
    s.graph = (): IndexGraph => {
      const t = performance.now();
      const g = graph();
      if (this.graph?.deref() !== g) {
        this.graph = new WeakRef(g);
        this.files = new WeakRef(g.files);
        this.graphSize = graphBytes(g);
        this.filesSize = 0; // counted in the graph
        this.loaded(this.graphSize, t);
      }
      return g;
    };
    s.files = (): FileTable => {
      const t = performance.now();
      const f = files();
      if (this.files?.deref() !== f) {
        this.files = new WeakRef(f);
        this.filesSize = fileTableBytes(f);
        this.loaded(this.filesSize, t);
      }
      return f;
    };
    s.fragment = (file: number): FragmentReader => {
      const t = performance.now();
      const r = fragment(file);
      if (this.fragments.get(file)?.deref() !== r) {
        this.fragments.set(file, new WeakRef(r));
        if (this.fragments.size > 4 * SESSION_FRAGMENTS) this.prune();
        this.fragmentSize += r.bytes.byteLength;
        this.loaded(r.bytes.byteLength, t);
      }
      return r;
    };
  }

  /** Removes the instance's own wrappers: the prototype's methods show through again. */
  detach(): void {
    for (const m of ['graph', 'files', 'fragment'] as const) Reflect.deleteProperty(this.session, m);
  }

  bytes(): number {
    // The session evicts fragments beyond its LRU size without telling: cap the estimate.
    const fragments = Math.min(
      this.fragmentSize,
      (this.fragmentSize / Math.max(1, this.fragments.size)) * SESSION_FRAGMENTS,
    );
    return this.graphSize + this.filesSize + fragments;
  }

  spill(): number {
    const freed = this.bytes();
    this.session.releaseCaches();
    this.graph = undefined;
    this.files = undefined;
    this.fragments.clear();
    this.graphSize = 0;
    this.filesSize = 0;
    this.fragmentSize = 0;
    this.spilled = true;
    return freed;
  }

  /** Loads after the first spill are reloads (even after a relax); before it, the session warming up. */
  private spilled = false;
  private loaded(bytes: number, startedAt: number): void {
    if (this.spilled) this.handle?.reloaded(bytes, performance.now() - startedAt);
  }

  private prune(): void {
    for (const [file, ref] of this.fragments) if (ref.deref() === undefined) this.fragments.delete(file);
  }
}
