// `leindex bench [path]`: throughput profile of the indexing pipeline (see pipeline/bench.ts).
// Main thread.

import { Command, Option } from 'clipanion';
import { runBench, type BenchReport } from '../pipeline/bench.js';
import { formatMemory } from './index-command.js';
import { commonOptions, optionsFor, parseIntFlag, printJson, reportError, resolveRoot } from './common.js';

export class BenchCommand extends Command {
  static override paths = [['bench']];
  static override usage = Command.Usage({
    description: 'Profile indexing throughput on a tree (per phase, against the raw parse ceiling)',
    examples: [['Profile a repository on 2 threads', '$0 bench ~/src/repo --threads 2 --json']],
  });

  target = Option.String({ required: false, name: 'path' });
  threads = Option.String('--threads', { description: 'Worker threads (default: available cores)' });
  noEmbeddings = Option.Boolean('--no-embeddings', false, {
    description: 'Profile without embedding symbols',
  });
  memoryBudget = Option.String('--memory-budget', {
    description: 'Memory budget in MB for the indexing runs (see `leindex index --help`)',
  });
  json = commonOptions.json();
  quiet = commonOptions.quiet();

  async execute(): Promise<number> {
    try {
      const root = resolveRoot(this.target);
      const threads = parseIntFlag(this.threads, '--threads');
      const memoryBudgetMb = parseIntFlag(this.memoryBudget, '--memory-budget');
      const options = optionsFor(root, {
        ...(threads !== undefined ? { threads } : {}),
        ...(memoryBudgetMb !== undefined ? { memoryBudgetMb } : {}),
        ...(this.noEmbeddings ? { embeddings: false } : {}),
      });
      const report = await runBench(root, options, (m) => {
        if (!this.quiet) process.stderr.write(`${m}\n`);
      });
      if (this.json) printJson(report);
      else this.context.stdout.write(formatBench(report));
      return 0;
    } catch (err) {
      return reportError(err);
    }
  }
}

function formatBench(r: BenchReport): string {
  const f = r.full;
  const p = f.phases;
  const c = f.phaseCpuMs;
  const row = (name: string, wall: number, cpu: number): string =>
    `  ${name.padEnd(10)} ${(wall / 1000).toFixed(2).padStart(8)}s wall ${(cpu / 1000).toFixed(2).padStart(8)}s cpu`;
  return [
    `bench ${r.root}: ${r.files} files, ${(r.bytes / 1e6).toFixed(1)} MB, ${r.threads} threads (${r.cpus} cores, node ${r.node})`,
    `raw parse ceiling: ${(r.ceiling.wallMs / 1000).toFixed(2)}s, ${r.ceiling.mbPerSec.toFixed(2)} MB/s, ${Math.round(r.ceiling.filesPerSec)} files/s`,
    `full index:        ${(p.totalMs / 1000).toFixed(2)}s, ${f.mbPerSec.toFixed(2)} MB/s, ${Math.round(f.filesPerSec)} files/s, peak RSS ${Math.round(f.peakRssMb)} MB`,
    `ratio to ceiling:  ${r.ratioTotal.toFixed(2)}x total, ${r.ratioParse.toFixed(2)}x parse phase`,
    row('discover', p.discoverMs, c.discoverMs),
    row('diff', p.diffMs, c.diffMs),
    row('parse', p.parseMs, c.parseMs),
    row('load', p.loadMs, c.loadMs),
    row('merge', p.mergeMs, c.mergeMs),
    row('lexicon', p.lexiconMs, c.lexiconMs),
    row('store', p.storeMs, c.storeMs),
    `workers: ${f.pool.shards} shards, utilisation ${(100 * f.pool.utilization).toFixed(0)}%, busy ${(f.pool.workerBusyMs / 1000).toFixed(2)}s ` +
      `(read ${(f.pool.workerReadMs / 1000).toFixed(2)}s, parse ${(f.pool.workerParseMs / 1000).toFixed(2)}s, extract ${(f.pool.workerExtractMs / 1000).toFixed(2)}s, embed ${(f.pool.workerEmbedMs / 1000).toFixed(2)}s, encode ${(f.pool.workerEncodeMs / 1000).toFixed(2)}s), tree reclaim ${(f.pool.workerReclaimMs / 1000).toFixed(2)}s, worker CPU ${(f.pool.workerCpuMs / 1000).toFixed(2)}s; coordinator receive ${(f.pool.receiveMs / 1000).toFixed(2)}s`,
    `memory: ${formatMemory(f.memory)}`,
    `symbols ${f.symbols.total}, edges ${f.edges.total}, refs resolved ${f.references.resolved}/${f.references.total}`,
    `re-run, nothing changed: ${(r.noop.wallMs / 1000).toFixed(3)}s; one file edited: comment ${(r.oneFileEdited.wallMs / 1000).toFixed(3)}s` +
      ` (CPU ${(r.oneFileEdited.cpuMs / 1000).toFixed(2)}s${r.oneFileEdited.patched ? ', graph patched' : ''}),` +
      ` code ${(r.oneFileCodeEdited.wallMs / 1000).toFixed(3)}s (CPU ${(r.oneFileCodeEdited.cpuMs / 1000).toFixed(2)}s${r.oneFileCodeEdited.patched ? ', graph patched' : ''});` +
      ` one file touched: ${(r.oneFileTouched.wallMs / 1000).toFixed(3)}s`,
    '',
  ].join('\n');
}
