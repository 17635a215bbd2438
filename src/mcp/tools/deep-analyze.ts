// leindex_deep_analyze: answers a question about the code with a context bundle
// (query/analyze.ts): search finds seeds from the question and the identifiers in it, the
// gravity traversal expands them over the graph within the token budget. Server thread.

import { z } from 'zod';
import { LeindexError } from '../../errors.js';
import { analyzeQuery } from '../../query/analyze.js';
import { budgetOf, tokenBudgetArg } from '../budget.js';
import { viewFields, viewShape } from '../result.js';
import { defineTool, projectPathArg, withView } from '../tool.js';
import { bundleBudget, bundleData, bundleShape, bundleText, bundleTrimmed, refSchema } from './context.js';

const output = {
  ...viewShape,
  query: z.string(),
  seeds: z
    .array(
      refSchema.pick({ qualified_name: true, file: true }).extend({
        score: z.number().describe('Share of the best seed score'),
        via: z.string().describe('The form of the question that found it: search, or name X'),
      }),
    )
    .describe('Where the traversal started, best first'),
  ...bundleShape,
};

export const deepAnalyzeTool = defineTool({
  name: 'leindex_deep_analyze',
  title: 'Analyze a question',
  description:
    'Answers a question about the code ("how are expired sessions cleaned up?", "what calls ' +
    'parseConfig and why?") with one bundle of the relevant source: search finds the entry ' +
    'points, then their callers, callees, types and members are added by relevance until the ' +
    'token budget is spent, grouped by file with the reason each is there. One call instead of ' +
    'a search followed by many reads.',
  input: {
    project_path: projectPathArg,
    query: z.string().max(65_536).describe('The question, in natural language and/or identifiers'),
    token_budget: tokenBudgetArg('the bundle'),
    include_tests: z.boolean().optional().describe('Also use and pull in tests (default: left out)'),
  },
  output,
  annotations: { readOnlyHint: true, openWorldHint: false },

  run(args, ctx) {
    if (args.query.trim() === '')
      throw new LeindexError('E_USAGE', 'the question is empty', {
        hint: 'ask about the code in a sentence, or name the symbols it is about',
      });
    return withView(ctx, args.project_path, (view, project) => {
      const budget = budgetOf(args.token_budget, ctx.tokenBudget);
      const r = analyzeQuery(view.session, args.query, {
        budget: bundleBudget(budget, ''),
        ...(args.include_tests ? { includeTests: true } : {}),
      });
      const fields = viewFields(project.root, view, bundleTrimmed(r.bundle));
      const none =
        r.seeds.length === 0
          ? '(nothing in the index matched the question: try other words, or leindex_text_search)\n'
          : '';
      return {
        text: none + bundleText('', r.bundle, fields),
        data: {
          ...fields,
          query: r.query,
          seeds: r.seeds.map((s) => ({
            qualified_name: s.qualifiedName,
            file: s.file,
            score: s.score,
            via: s.via,
          })),
          ...bundleData(r.bundle),
        },
      };
    });
  },
});
