// `leindex context <symbol>`: the source of a symbol and of the code around it in the graph
// (callees, callers, data flow, types, bases) chosen best-first within a token budget.
// Prints the text bundle (or --json); an ambiguous name is noted on stderr. Main thread.

import { Command, Option } from 'clipanion';
import { renderBundle } from '../query/bundle.js';
import { ambiguityNote, contextFor } from '../query/context.js';
import { openQuerySession } from '../query/open-session.js';
import { commonOptions, parseIntFlag, printJson, reportError } from './common.js';

export class ContextCommand extends Command {
  static override paths = [['context']];
  static override usage = Command.Usage({
    description: 'Show a symbol with the code around it in the graph, within a token budget',
    details: `
      The symbol is \`path/to/file.ts:Qualified.name\`, \`path:LINE\`, \`Qualified.name\` or a bare
      name (the best match is used and the others are listed). Its callees, callers, data flow,
      bases, subclasses and types are added best-first by their pull (relevance to the symbol,
      centrality, edge kind and confidence, distance) until the budget is spent; the source is
      grouped by file, each block saying why it is there.
    `,
    examples: [
      ['Context of a method', '$0 context src/repo.ts:Repo.save'],
      ['A smaller budget, as JSON', '$0 context register --tokens 2000 --json'],
    ],
  });

  symbol = Option.String({ name: 'symbol' });
  tokens = Option.String('--tokens', { description: 'Token budget (default: token_budget, 8000)' });
  includeTests = Option.Boolean('--include-tests', false, {
    description: 'Let tests pull like other code (default: only when the symbol is a test)',
  });
  root = commonOptions.root();
  indexDir = commonOptions.indexDir();
  json = commonOptions.json();

  async execute(): Promise<number> {
    try {
      const budget = parseIntFlag(this.tokens, '--tokens');
      const { session, options } = openQuerySession(this.root, this.indexDir);
      try {
        const result = contextFor(session, this.symbol, {
          budget: budget ?? options.tokenBudget,
          ...(this.includeTests ? { includeTests: true } : {}),
        });
        if (this.json) {
          printJson(result);
        } else {
          const note = ambiguityNote(result.resolution);
          if (note) process.stderr.write(`leindex: ${note}\n`);
          this.context.stdout.write(renderBundle(result.bundle));
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
