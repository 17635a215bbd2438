// `leindex symbol <name>`: the definitions of a name (file, lines, signature, doc) and the
// callers and callees of the best match as trees to a depth. Main thread.

import { Command, Option } from 'clipanion';
import { ambiguityNote } from '../query/context.js';
import { openQuerySession } from '../query/open-session.js';
import { renderSymbolReport, symbolReport } from '../query/symbol-report.js';
import { commonOptions, parseIntFlag, printJson, reportError } from './common.js';

export class SymbolCommand extends Command {
  static override paths = [['symbol']];
  static override usage = Command.Usage({
    description: 'Show where a symbol is defined, its signature and doc, and its callers and callees',
    details: `
      The name is \`path/to/file.ts:Qualified.name\`, \`path:LINE\`, \`Qualified.name\` or a bare name.
      Without --callers or --callees both are shown; --depth follows calls further (default 1).
    `,
    examples: [
      ['Callers of a method, two levels up', '$0 symbol Repo.save --callers --depth 2'],
      ['Everything about a name, as JSON', '$0 symbol register --json'],
    ],
  });

  name = Option.String({ name: 'name' });
  callers = Option.Boolean('--callers', false, { description: 'Show callers' });
  callees = Option.Boolean('--callees', false, { description: 'Show callees' });
  depth = Option.String('--depth', { description: 'How many call levels to follow (default 1)' });
  root = commonOptions.root();
  indexDir = commonOptions.indexDir();
  json = commonOptions.json();

  async execute(): Promise<number> {
    try {
      const depth = parseIntFlag(this.depth, '--depth') ?? 1;
      const both = !this.callers && !this.callees;
      const { session } = openQuerySession(this.root, this.indexDir);
      try {
        const report = symbolReport(session, this.name, {
          callers: both || this.callers,
          callees: both || this.callees,
          depth,
        });
        if (this.json) {
          printJson(report);
        } else {
          const note = ambiguityNote(report.resolution);
          if (note) process.stderr.write(`leindex: ${note}\n`);
          this.context.stdout.write(renderSymbolReport(report));
        }
        return 0;
      } finally {
        await session.close();
      }
    } catch (err) {
      return reportError(err);
    }
  }
}
