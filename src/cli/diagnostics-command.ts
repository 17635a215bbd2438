// `leindex diagnostics [path]`: index health, freshness and memory of a project, as text or
// --json; the same report as the MCP tool leindex_diagnostics (src/query/diagnostics.ts).
// Exit 0 when the index is readable (stale or not), 3 when it is missing, 6 when damaged.
// Main thread.

import { Command, Option } from 'clipanion';
import { ExitCode } from '../errors.js';
import { collectDiagnostics, formatDiagnostics } from '../query/diagnostics.js';
import { commonOptions, optionsFor, printJson, reportError, resolveRoot } from './common.js';

export class DiagnosticsCommand extends Command {
  static override paths = [['diagnostics']];
  static override usage = Command.Usage({
    description: 'Show the health of an index: generation, counts, skipped files, freshness, memory',
    examples: [
      ['Check the index of the current directory', '$0 diagnostics'],
      ['As JSON', '$0 diagnostics --path ~/src/repo --json'],
    ],
  });

  target = Option.String({ required: false, name: 'path' });
  pathFlag = commonOptions.root();
  indexDir = commonOptions.indexDir();
  noFreshness = Option.Boolean('--no-freshness', false, {
    description: 'Skip the stat scan that tells whether files changed since indexing',
  });
  json = commonOptions.json();

  async execute(): Promise<number> {
    try {
      const root = resolveRoot(this.pathFlag ?? this.target);
      const options = optionsFor(root, this.indexDir !== undefined ? { indexDir: this.indexDir } : {});
      const d = await collectDiagnostics({ root, options, checkFreshness: !this.noFreshness });
      if (this.json) printJson(d);
      else this.context.stdout.write(formatDiagnostics(d));
      if (d.status === 'missing') return ExitCode.indexMissing;
      if (d.status === 'unreadable')
        return d.problem?.code === 'E_STORE_CORRUPT' ? ExitCode.storeCorrupt : ExitCode.indexMissing;
      return ExitCode.ok;
    } catch (err) {
      return reportError(err);
    }
  }
}
