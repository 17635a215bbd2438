// `leindex impact <symbol>`: what depends on a symbol, transitively (callers, data flow,
// subclasses, type users) to a depth, with a risk level per dependent, per file and overall
// and the rule that assigned them. Main thread.

import { Command, Option } from 'clipanion';
import { ambiguityNote } from '../query/context.js';
import { impactOf, renderImpact } from '../query/impact.js';
import { openQuerySession } from '../query/open-session.js';
import { commonOptions, parseIntFlag, printJson, reportError } from './common.js';

export class ImpactCommand extends Command {
  static override paths = [['impact']];
  static override usage = Command.Usage({
    description: 'List what may break when a symbol changes, with a risk level and the rule behind it',
    details: `
      Follows edges backwards from the symbol (and, for a class, its members): callers, data
      flow, subclasses and implementors, and users of the type, breadth-first to --depth
      (default 3). Each dependent gets a risk from its distance, the kind of edges on its path and
      their confidence; the output states the rule.
    `,
    examples: [
      ['Impact of changing a class', '$0 impact src/models/user.ts:User'],
      ['Direct dependents only, as JSON', '$0 impact Repo.save --depth 1 --json'],
    ],
  });

  symbol = Option.String({ name: 'symbol' });
  depth = Option.String('--depth', { description: 'How many edges to follow back (default 3)' });
  root = commonOptions.root();
  indexDir = commonOptions.indexDir();
  json = commonOptions.json();

  async execute(): Promise<number> {
    try {
      const depth = parseIntFlag(this.depth, '--depth') ?? 3;
      const { session } = openQuerySession(this.root, this.indexDir);
      try {
        const result = impactOf(session, this.symbol, depth);
        if (this.json) {
          printJson(result);
        } else {
          const note = ambiguityNote(result.resolution);
          if (note) process.stderr.write(`leindex: ${note}\n`);
          this.context.stdout.write(renderImpact(result));
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
