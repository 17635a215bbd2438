// `leindex analyze <question>`: search for seeds, expand them over the graph by gravity, and
// print the context bundle (source grouped by file, each block saying why it was chosen)
// within a token budget; `-` reads the question from stdin. Main thread.

import { Command, Option } from 'clipanion';
import { analyzeQuery } from '../query/analyze.js';
import { renderBundle } from '../query/bundle.js';
import { openQuerySession } from '../query/open-session.js';
import { MAX_QUERY_BYTES } from '../query/search.js';
import { commonOptions, readStdinQuery, parseIntFlag, printJson, reportError } from './common.js';

export class AnalyzeCommand extends Command {
  static override paths = [['analyze']];
  static override usage = Command.Usage({
    description: 'Answer a question about the code with the relevant source, within a token budget',
    details: `
      Searches with the question (and the identifiers in it), takes the best matches as seeds, and
      expands them over the program graph — callees, callers, data flow, type hierarchy — best
      first by relevance to the question, centrality, edge kind and confidence and distance, until
      the token budget is spent. Prints the source grouped by file with the reason for each block.
    `,
    examples: [
      ['A question', '$0 analyze "how does the scheduler pick the next task" --tokens 4000'],
      ['From a bug report, as JSON', 'cat bug.txt | $0 analyze - --json'],
    ],
  });

  question = Option.String({ name: 'question' });
  tokens = Option.String('--tokens', { description: 'Token budget (default: token_budget, 8000)' });
  includeTests = Option.Boolean('--include-tests', false, { description: 'Let tests pull like other code' });
  root = commonOptions.root();
  indexDir = commonOptions.indexDir();
  json = commonOptions.json();

  async execute(): Promise<number> {
    try {
      const budget = parseIntFlag(this.tokens, '--tokens');
      const question = this.question === '-' ? await readStdinQuery(MAX_QUERY_BYTES) : this.question;
      const { session, options } = openQuerySession(this.root, this.indexDir);
      try {
        const result = analyzeQuery(session, question, {
          budget: budget ?? options.tokenBudget,
          ...(this.includeTests ? { includeTests: true } : {}),
        });
        if (this.json) printJson(result);
        else this.context.stdout.write(renderBundle(result.bundle));
        return result.bundle.files.length > 0 ? 0 : 1;
      } finally {
        await session.close();
      }
    } catch (err) {
      return reportError(err);
    }
  }
}
