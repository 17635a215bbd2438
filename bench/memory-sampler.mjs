// What a process's RSS is made of, over time, by phase: a preload (`node --import
// ./bench/memory-sampler.mjs ...`) that samples /proc/self/status (RssAnon, RssFile,
// RssShmem) and the main isolate's heap every LEINDEX_MEMSAMPLE_MS (default 100) ms, labels
// each sample with the index run's phase (published on the diagnostics channel
// 'leindex:phase' by the governor), and at every new RSS peak (at most once a second) reads
// /proc/self/smaps and sorts the mappings into parts: the LMDB map, the usearch file, the
// node binary and libraries, glibc malloc arenas (64 MiB-aligned heaps), the main brk heap,
// and other anonymous memory (V8 heaps of every isolate, large mallocs, thread stacks).
// At exit it writes JSON to LEINDEX_MEMSAMPLE_OUT: per-phase peaks and the breakdown at the
// overall peak and at each phase's peak. Diagnostic only; main thread of the sampled process.
import { channel } from 'node:diagnostics_channel';
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setInterval } from 'node:timers';
import { getHeapSpaceStatistics } from 'node:v8';

const out = process.env.LEINDEX_MEMSAMPLE_OUT;
const everyMs = Number(process.env.LEINDEX_MEMSAMPLE_MS ?? '100');
const MB = 2 ** 20;
const ARENA = 64 * MB;
const t0 = performance.now();
let phase = 'start';
const phases = new Map(); // name -> { startS, endS, peak: sample, peakParts }
let overall; // { sample, parts }
let lastSmapsAt = -Infinity;

channel('leindex:phase').subscribe((msg) => {
  note(sample());
  phase = String(msg?.phase ?? msg);
  phaseRec();
  note(sample());
});

function phaseRec() {
  let p = phases.get(phase);
  if (!p) {
    p = { startS: +((performance.now() - t0) / 1000).toFixed(2), peak: undefined, peakParts: undefined };
    phases.set(phase, p);
  }
  p.endS = +((performance.now() - t0) / 1000).toFixed(2);
  return p;
}

function sample() {
  const s = { atS: +((performance.now() - t0) / 1000).toFixed(2), phase };
  try {
    const text = readFileSync('/proc/self/status', 'latin1');
    for (const k of ['VmRSS', 'RssAnon', 'RssFile', 'RssShmem', 'VmHWM', 'Threads']) {
      const m = new RegExp(`${k}:\\s+(\\d+)`).exec(text);
      if (m) s[k] = k === 'Threads' ? Number(m[1]) : Math.round(Number(m[1]) / 1024);
    }
  } catch {
    // not Linux
  }
  const m = process.memoryUsage();
  s.heapUsed = Math.round(m.heapUsed / MB);
  s.heapTotal = Math.round(m.heapTotal / MB);
  s.external = Math.round(m.external / MB);
  s.arrayBuffers = Math.round(m.arrayBuffers / MB);
  // The young generation's committed size (both semi-spaces): it grows to 2 x 16 MB under
  // allocation and V8 does not shrink it back (bench/memory.md, h/gov256e).
  for (const sp of getHeapSpaceStatistics())
    if (sp.space_name === 'new_space') s.newSpace = Math.round(sp.space_size / MB);
  return s;
}

/** The resident parts of the address space, MB (smaps Rss per mapping, classified). */
function parts() {
  let text;
  try {
    text = readFileSync('/proc/self/smaps', 'latin1');
  } catch {
    return undefined;
  }
  const maps = [];
  let cur;
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      cur = {
        start: parseInt(head[1], 16),
        end: parseInt(head[2], 16),
        perms: head[3],
        path: head[4],
        rss: 0,
      };
      maps.push(cur);
      continue;
    }
    const r = /^Rss:\s+(\d+) kB/.exec(line);
    if (r && cur) cur.rss = Number(r[1]) * 1024;
  }
  const p = {
    lmdb: 0,
    usearch: 0,
    nodeBinary: 0,
    nativeLibs: 0,
    otherFiles: 0,
    brkHeap: 0,
    mallocArenas: 0,
    arenaCount: 0,
    stacks: 0,
    otherAnon: 0,
  };
  for (let i = 0; i < maps.length; i++) {
    const m = maps[i];
    const path = m.path;
    if (path.endsWith('.mdb')) p.lmdb += m.rss;
    else if (path.endsWith('.usearch')) p.usearch += m.rss;
    else if (path === process.execPath || path.endsWith('/node')) p.nodeBinary += m.rss;
    else if (path.includes('.so') || path.endsWith('.node')) p.nativeLibs += m.rss;
    else if (path === '[heap]') p.brkHeap += m.rss;
    else if (path.startsWith('[stack')) p.stacks += m.rss;
    else if (path.startsWith('/')) p.otherFiles += m.rss;
    else if (path === '' && m.start % ARENA === 0 && m.perms.startsWith('rw')) {
      // A glibc non-main arena: a 64 MiB-aligned heap, read-write part then PROT_NONE reserve.
      const next = maps[i + 1];
      const len =
        m.end -
        m.start +
        (next && next.start === m.end && next.perms.startsWith('---') ? next.end - next.start : 0);
      if (len === ARENA) {
        p.mallocArenas += m.rss;
        p.arenaCount++;
      } else p.otherAnon += m.rss;
    } else p.otherAnon += m.rss;
  }
  for (const k of Object.keys(p)) if (k !== 'arenaCount') p[k] = Math.round(p[k] / MB);
  return p;
}

function note(s) {
  const p = phaseRec();
  const rss = s.VmRSS ?? 0;
  const isPhasePeak = !p.peak || rss > p.peak.VmRSS;
  const isOverall = !overall || rss > overall.sample.VmRSS;
  if (!isPhasePeak && !isOverall) return;
  const now = performance.now();
  // smaps of a big process costs a few ms: only at a peak that grew by 4 MB, at most once a second.
  const grewEnough = (prev) => !prev || rss >= prev.VmRSS + 4;
  let pp;
  if ((grewEnough(isOverall ? overall?.sample : p.peak) && now - lastSmapsAt > 1000) || !p.peakParts) {
    pp = parts();
    lastSmapsAt = now;
  }
  if (isPhasePeak) {
    p.peak = s;
    if (pp) p.peakParts = pp;
  }
  if (isOverall) overall = { sample: s, parts: pp ?? overall?.parts };
}

const timer = setInterval(() => note(sample()), everyMs);
timer.unref();

process.on('exit', () => {
  note(sample());
  if (!out) return;
  writeFileSync(
    out,
    JSON.stringify({
      overall,
      phases: Object.fromEntries(phases),
      final: { sample: sample(), parts: parts() },
    }),
  );
});
