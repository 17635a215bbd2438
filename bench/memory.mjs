// Memory budgets: the full index of a corpus, unconstrained and under each --memory-budget,
// in fresh processes, interleaved round by round (the order rotates, so a busy machine hurts
// every budget alike). Per run: wall time, peak RSS (the kernel's maxrss of the whole process,
// and the index summary's own sampled peak), the peak of RSS minus file-backed pages (what the
// governor holds against the budget), what the governor did (throttles, flushes, spills,
// reloads, worker recycles and deaths) and the digest, which must not depend on the budget.
// JSON lines on stdout (and appended to bench/runs/memory-<date>.jsonl with --record), then a
// table of medians on stderr with each budget's wall time against the unconstrained runs.
// With --sample, each run also loads bench/memory-sampler.mjs: the row gets the RSS breakdown
// (LMDB map, arenas, brk heap, other anonymous memory...) at the peak and per phase.
// Usage: node bench/memory.mjs [--budgets none,512,256] [--rounds N] [--threads N]
//        [--corpus DIR] [--index-dir DIR] [--no-embeddings] [--sample] [--record]
import { spawn, execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const budgets = flag('--budgets', 'none,512,256').split(',');
const rounds = Number(flag('--rounds', '1'));
const threads = flag('--threads', String(cpus().length));
const corpus = flag('--corpus', join(root, 'bench', 'corpus'));
const indexDir = flag('--index-dir', '/tmp/gov-idx');
const extra = args.includes('--no-embeddings') ? ['--no-embeddings'] : [];
const record = args.includes('--record');
const sampleParts = args.includes('--sample');
const sampleFile = join(indexDir + '.smaps.json');
const out = join(root, 'bench', 'runs', `memory-${new Date().toISOString().slice(0, 10)}.jsonl`);

// The child writes its own maxrss (getrusage: every thread, so the workers too) when it exits.
const maxRssFile = join(indexDir + '.maxrss');
const preload = `data:text/javascript,${encodeURIComponent(
  `import { writeFileSync } from 'node:fs';
   process.on('exit', () => {
     const u = process.resourceUsage();
     writeFileSync(${JSON.stringify(maxRssFile)}, JSON.stringify({ maxRSS: u.maxRSS, user: u.userCPUTime, system: u.systemCPUTime }));
   });`,
)}`;

const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString().trim();
  } catch {
    return undefined;
  }
})();

/** { parseMs: 1234, ... } → { parse: 1.23, ... } */
const secondsOf = (ms) =>
  Object.fromEntries(
    Object.entries(ms ?? {}).map(([k, v]) => [k.replace(/Ms$/, ''), +(v / 1000).toFixed(2)]),
  );

function runOnce(budget) {
  rmSync(indexDir, { recursive: true, force: true });
  rmSync(maxRssFile, { force: true });
  rmSync(sampleFile, { force: true });
  const argv = [
    '--import',
    preload,
    ...(sampleParts ? ['--import', join(root, 'bench', 'memory-sampler.mjs')] : []),
    join(root, 'bin', 'leindex.js'),
    'index',
    corpus,
    '--index-dir',
    indexDir,
    '--threads',
    threads,
    '--json',
    '--quiet',
    ...extra,
    ...(budget === 'none' ? [] : ['--memory-budget', budget]),
  ];
  const load = loadavg()[0];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LEINDEX_MEMSAMPLE_OUT: sampleFile },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      if (code !== 0) return reject(new Error(`budget ${budget}: exit ${code}\n${stderr}`));
      const s = JSON.parse(stdout);
      const m = s.memory;
      const usage = JSON.parse(readFileSync(maxRssFile, 'utf8'));
      const sampled = sampleParts ? JSON.parse(readFileSync(sampleFile, 'utf8')) : undefined;
      resolve({
        bench: 'memory',
        budget,
        wallS: +(wallMs / 1000).toFixed(2),
        indexS: +(s.phases.totalMs / 1000).toFixed(2),
        parseS: +(s.phases.parseMs / 1000).toFixed(2),
        mergeS: +(s.phases.mergeMs / 1000).toFixed(2),
        // Every phase's wall and CPU (the coordinator's process CPU over the phase: all threads).
        phasesS: secondsOf(s.phases),
        phaseCpuS: secondsOf(s.phaseCpuMs),
        // CPU is less disturbed by a shared machine than wall time: all threads, and the workers alone.
        cpuS: +(s.cpuMs / 1000).toFixed(2),
        workerBusyS: +(s.pool.workerBusyMs / 1000).toFixed(2),
        workerReclaimS: +((s.pool.workerReclaimMs ?? 0) / 1000).toFixed(2),
        workerCpuS: +((s.pool.workerCpuMs ?? 0) / 1000).toFixed(2),
        maxRssMb: Math.round(usage.maxRSS / 1024),
        userS: +(usage.user / 1e6).toFixed(2),
        sysS: +(usage.system / 1e6).toFixed(2),
        sampledPeakRssMb: Math.round(s.peakRssMb),
        peakAnonMb: Math.round(m.peakAnonBytes / 2 ** 20),
        budgetMb: Math.round(m.budget.bytes / 2 ** 20),
        budgetSource: m.budget.source,
        workerHeapMb: m.workerHeapMb ?? null,
        threads: s.threads,
        throttles: m.throttles,
        flushes: m.flushes,
        spills: m.spills,
        spilledMb: Math.round(m.spilledBytes / 2 ** 20),
        reloads: m.reloads,
        reloadedMb: Math.round(m.reloadedBytes / 2 ** 20),
        recycles: m.recycles,
        workerDeaths: m.workerDeaths,
        samples: m.samples,
        releases: m.releases,
        releasedMb: Math.round(m.releasedBytes / 2 ** 20),
        collections: m.collections,
        collectionS: +((m.collectionMs ?? 0) / 1000).toFixed(2),
        heapFlags: m.heapFlags,
        heldAgainst: m.heldAgainst,
        phasePeaksMb: Object.fromEntries(
          Object.entries(m.phasePeaks ?? {}).map(([k, v]) => [
            k,
            { rss: Math.round(v.rssBytes / 2 ** 20), anon: Math.round(v.anonBytes / 2 ** 20) },
          ]),
        ),
        ...(sampled ? { peakParts: sampled.overall } : {}),
        // Each phase's peak sample (RSS, V8 heap, array buffers) and its parts, when sampled.
        ...(sampled
          ? {
              phaseParts: Object.fromEntries(
                Object.entries(sampled.phases ?? {}).map(([k, v]) => [
                  k,
                  { sample: v.peak, parts: v.peakParts },
                ]),
              ),
            }
          : {}),
        files: s.files.indexed,
        skipped: s.skipped.total,
        digest: s.digest,
        events: m.events.map(
          (e) =>
            `${e.atMs}ms ${e.kind} ${e.what} ${Math.round(e.bytes / 2 ** 20)}MB x${e.count} ` +
            `@rss ${Math.round(e.rssBytes / 2 ** 20)}MB anon ${Math.round(e.anonBytes / 2 ** 20)}MB`,
        ),
        setup: {
          node: process.version,
          cpus: cpus().length,
          memMb: Math.round(totalmem() / 2 ** 20),
          threads: Number(threads),
          loadAvg1m: +load.toFixed(2),
          embeddings: extra.length === 0,
          corpus,
          commit,
          at: new Date().toISOString(),
        },
      });
    });
  });
}

const rows = [];
for (let r = 0; r < rounds; r++) {
  // Rotate the order each round: no budget always runs first (cold cache) or last.
  const order = budgets.map((_, i) => budgets[(i + r) % budgets.length]);
  for (const budget of order) {
    process.stderr.write(`round ${r + 1}/${rounds}: budget ${budget}\n`);
    const row = { round: r + 1, ...(await runOnce(budget)) };
    rows.push(row);
    const line = JSON.stringify(row);
    process.stdout.write(`${line}\n`);
    if (record) {
      mkdirSync(join(root, 'bench', 'runs'), { recursive: true });
      appendFileSync(out, `${line}\n`);
    }
  }
}
rmSync(maxRssFile, { force: true });
rmSync(sampleFile, { force: true });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const digests = new Set(rows.map((r) => r.digest));
process.stderr.write(
  `\ndigests: ${digests.size === 1 ? 'identical across budgets' : 'DIFFER: ' + [...digests].join(' ')}\n`,
);
process.stderr.write(
  'budget  threads  wall s  x free  maxRSS MB  vs budget  anon MB  vs budget  spills  reloads  throttles  recycles  deaths\n',
);
for (const b of budgets) {
  const mine = rows.filter((r) => r.budget === b);
  // Ratio per round against the unconstrained run of the same round, then the median.
  const ratios = mine
    .map((r) => {
      const free = rows.find((f) => f.round === r.round && f.budget === 'none');
      return free ? r.wallS / free.wallS : NaN;
    })
    .filter((x) => !Number.isNaN(x));
  const rss = median(mine.map((r) => r.maxRssMb));
  const anon = median(mine.map((r) => r.peakAnonMb));
  const vs = (x) => (b === 'none' ? '' : `${((100 * x) / Number(b)).toFixed(0)}%`);
  const col = (v, w) => String(v).padStart(w);
  process.stderr.write(
    [
      b.padEnd(6),
      col(median(mine.map((r) => r.threads)), 7),
      col(median(mine.map((r) => r.wallS)).toFixed(1), 6),
      col((ratios.length ? median(ratios) : NaN).toFixed(2), 6),
      col(rss, 9),
      col(vs(rss), 9),
      col(anon, 7),
      col(vs(anon), 9),
      col(median(mine.map((r) => r.spills)), 6),
      col(median(mine.map((r) => r.reloads)), 7),
      col(median(mine.map((r) => r.throttles)), 9),
      col(median(mine.map((r) => r.recycles)), 8),
      col(median(mine.map((r) => r.workerDeaths)), 6),
    ].join('  ') + '\n',
  );
}
