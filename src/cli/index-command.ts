// `leindex index [path]`: build or refresh the index of a tree and print a summary.
// Main thread; the parsing happens in the pool that runIndex starts.

import { Command, Option } from 'clipanion';
import { runIndex, type IndexSummary } from '../pipeline/run-index.js';
import { createLogger } from '../util/log.js';
import {
  commonOptions,
  interruptSignal,
  optionsFor,
  parseIntFlag,
  printJson,
  reportError,
  resolveRoot,
} from './common.js';
import { LANGUAGES } from '../protocol.js';
import { languageName } from '../config.js';
import type { MemoryReport } from '../governor/governor.js';
import { resolveBudget } from '../governor/budget.js';
import { restartForBudget } from '../governor/restart.js';

export class IndexCommand extends Command {
  static override paths = [['index']];
  static override usage = Command.Usage({
    description: 'Index a repository (or refresh its index: only changed files are parsed)',
    details: `
      Walks the tree (git's ignore rules inside a work tree, .gitignore files elsewhere), parses
      files on a pool of worker threads, resolves cross-file references and publishes a new index
      generation atomically under <root>/.leindex. A run that is interrupted or killed leaves the
      previous index usable.
    `,
    examples: [
      ['Index the current directory', '$0 index'],
      ['Index with 4 threads and print JSON', '$0 index ~/src/repo --threads 4 --json'],
    ],
  });

  target = Option.String({ required: false, name: 'path' });
  threads = Option.String('--threads', { description: 'Worker threads (default: available cores)' });
  maxFileSize = Option.String('--max-file-size', {
    description: 'Skip files larger than this many bytes (default 1048576)',
  });
  languages = Option.String('--languages', {
    description: `Comma-separated languages (${LANGUAGES.join(', ')})`,
  });
  rebuild = Option.Boolean('--rebuild', false, {
    description: 'Discard the existing index and build from scratch',
  });
  noGit = Option.Boolean('--no-git', false, {
    description: 'Walk the tree instead of asking git for the file list',
  });
  noEmbeddings = Option.Boolean('--no-embeddings', false, {
    description: 'Do not embed symbols (no semantic search)',
  });
  memoryBudget = Option.String('--memory-budget', {
    description: 'Memory budget in MB (default: the cgroup limit or physical memory; below 96 exits 4)',
  });
  indexDir = commonOptions.indexDir();
  json = commonOptions.json();
  quiet = commonOptions.quiet();
  verbose = commonOptions.verbose();

  async execute(): Promise<number> {
    const interrupt = interruptSignal();
    try {
      const root = resolveRoot(this.target);
      const threads = parseIntFlag(this.threads, '--threads');
      const maxFileBytes = parseIntFlag(this.maxFileSize, '--max-file-size');
      const memoryBudgetMb = parseIntFlag(this.memoryBudget, '--memory-budget');
      const options = optionsFor(root, {
        ...(threads !== undefined ? { threads } : {}),
        ...(maxFileBytes !== undefined ? { maxFileBytes } : {}),
        ...(this.indexDir !== undefined ? { indexDir: this.indexDir } : {}),
        ...(this.languages !== undefined
          ? { languages: this.languages.split(',').map((l) => languageName(l.trim(), '--languages')) }
          : {}),
        ...(this.noGit ? { useGit: false } : {}),
        ...(this.noEmbeddings ? { embeddings: false } : {}),
        ...(memoryBudgetMb !== undefined ? { memoryBudgetMb } : {}),
      });
      const logger = createLogger({ quiet: this.quiet, verbose: this.verbose });
      // At a budget that holds one parse worker: exec once with the coordinator's V8 young
      // generation capped, before anything is opened (src/governor/restart.ts).
      restartForBudget(
        resolveBudget({
          requestedMb: options.memoryBudgetMb,
          requestedSource: options.memoryBudgetSource,
        }),
        logger,
      );
      const summary = await runIndex({
        root,
        options,
        rebuild: this.rebuild,
        logger,
        progress: !this.quiet,
        signal: interrupt.signal,
      });
      if (this.json) printJson(summary);
      else this.context.stdout.write(formatSummary(summary));
      return 0;
    } catch (err) {
      return reportError(err);
    } finally {
      interrupt.dispose();
    }
  }
}

export function formatSummary(s: IndexSummary): string {
  const lines: string[] = [];
  const secs = (s.phases.totalMs / 1000).toFixed(2);
  if (!s.changed) {
    lines.push(
      `index is up to date: ${s.files.indexed} files, generation ${s.generation} (checked in ${secs}s)`,
    );
    return `${lines.join('\n')}\n`;
  }
  lines.push(`indexed ${s.root} → ${s.indexDir} (generation ${s.generation})`);
  lines.push(
    `  files     ${s.files.indexed} indexed (${s.files.parsed} parsed, ${s.files.reused} reused, ${s.files.deleted} deleted), ${(s.files.bytes / 1e6).toFixed(1)} MB`,
  );
  const langs = Object.entries(s.languages)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  if (langs) lines.push(`  languages ${langs}`);
  const skips = Object.entries(s.skipped.byReason)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  lines.push(`  skipped   ${s.skipped.total}${skips ? ` (${skips})` : ''}`);
  const kinds = Object.entries(s.symbols.byKind)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  lines.push(`  symbols   ${s.symbols.total}${kinds ? ` (${kinds})` : ''}; ${s.vectors} embedded`);
  const edges = Object.entries(s.edges.byKind)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  lines.push(`  edges     ${s.edges.total}${edges ? ` (${edges})` : ''}`);
  const pct = s.references.total ? ((100 * s.references.resolved) / s.references.total).toFixed(1) : '0';
  lines.push(`  refs      ${s.references.total} (${pct}% resolved to project symbols)`);
  if (s.syntaxErrors.files)
    lines.push(
      `  syntax    ${s.syntaxErrors.regions} error regions in ${s.syntaxErrors.files} files (indexed anyway)`,
    );
  const p = s.phases;
  lines.push(
    `  time      ${secs}s (discover ${ms(p.discoverMs)}, parse ${ms(p.parseMs)}, load ${ms(p.loadMs)}, merge ${ms(p.mergeMs)}, lexicon ${ms(p.lexiconMs)}, store ${ms(p.storeMs)})`,
  );
  lines.push(
    `  speed     ${s.mbPerSec.toFixed(2)} MB/s, ${Math.round(s.filesPerSec)} files/s on ${s.threads} threads; peak RSS ${Math.round(s.peakRssMb)} MB`,
  );
  lines.push(`  memory    ${formatMemory(s.memory)}`);
  return `${lines.join('\n')}\n`;
}

/** One line: the budget and where it came from, and what the governor had to do. */
export function formatMemory(m: MemoryReport): string {
  const mb = (b: number): string => `${Math.round(b / 2 ** 20)} MB`;
  const acted = [
    m.throttles && `${m.throttles} throttles`,
    m.flushes && `${m.flushes} flushes`,
    m.spills && `${m.spills} spills (${mb(m.spilledBytes)})`,
    m.reloads && `${m.reloads} reloads (${mb(m.reloadedBytes)})`,
    m.recycles && `${m.recycles} worker recycles`,
    m.workerDeaths && `${m.workerDeaths} worker deaths`,
    m.releases && `${m.releases} releases (${mb(m.releasedBytes)})`,
  ].filter(Boolean);
  // Held against the whole RSS when mapped pages can be dropped (see MemoryGovernor.pressure).
  const peak =
    m.heldAgainst === 'rss'
      ? `peak ${mb(m.peakRssBytes)} RSS (${mb(m.peakAnonBytes)} without mapped files)`
      : `peak ${mb(m.peakAnonBytes)} held (${mb(m.peakRssBytes)} RSS with mapped files)`;
  const flags = m.heapFlags.length > 0 ? ` (restarted with ${m.heapFlags.join(' ')})` : '';
  return `budget ${mb(m.budget.bytes)} (${m.budget.source})${flags}, ${peak}; ${acted.length ? acted.join(', ') : 'no action needed'}`;
}

function ms(v: number): string {
  return v >= 1000 ? `${(v / 1000).toFixed(2)}s` : `${Math.round(v)}ms`;
}
