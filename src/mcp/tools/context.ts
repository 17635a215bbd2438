// leindex_context: the budgeted neighbourhood of one symbol (query/context.ts): its source and
// the callers, callees, types and members the gravity traversal pulls in, grouped by file and
// cut to the token budget. Also the bundle schema and rendering leindex_deep_analyze shares.
// Server thread.

import { z } from 'zod';
import type { Bundle } from '../../query/bundle.js';
import { renderBundle } from '../../query/bundle.js';
import { ambiguityNote, contextFor, summariseResolution } from '../../query/context.js';
import type { Candidate } from '../../query/lookup.js';
import { resolveSymbol } from '../../query/lookup.js';
import { estimateTokens } from '../../query/tokens.js';
import { budgetOf, tokenBudgetArg } from '../budget.js';
import { notes, viewFields, viewShape, type ViewFields } from '../result.js';
import { defineTool, projectPathArg, symbolArg, withView } from '../tool.js';
import { symbolSpec } from './read-symbol.js';

/**
 * Tokens kept back from the traversal for the lines this tool adds around the bundle (the
 * trimmed/stale note): the bundle itself never exceeds what it is given (bundle.ts).
 */
const NOTE_RESERVE = 40;

export const refSchema = z.object({
  qualified_name: z.string(),
  kind: z.string(),
  file: z.string().describe("Path relative to the project root; '' for a symbol defined outside it"),
  start_line: z.number().int(),
  end_line: z.number().int(),
});

export function refData(r: {
  qualifiedName: string;
  kind: string;
  file: string;
  startLine: number;
  endLine: number;
}): z.output<typeof refSchema> {
  return {
    qualified_name: r.qualifiedName,
    kind: r.kind,
    file: r.file,
    start_line: r.startLine,
    end_line: r.endLine,
  };
}

/** What the bundle tools put in structuredContent: the text's symbols, by file, with why each is there. */
export const bundleShape = {
  tokens: z.number().int().describe('Estimated tokens of the bundle text'),
  budget: z.number().int().describe('Token budget the bundle was built for'),
  files: z.array(
    z.object({
      file: z.string(),
      symbols: z.array(
        refSchema.extend({
          reason: z.string().describe('Why it is here: seed, called by X, calls X, uses type X, …'),
          score: z.number(),
          distance: z.number().int().describe('Hops from the nearest seed'),
          outline: z.boolean().describe('Members collapsed to their first line'),
          cut: z.boolean().describe('The source was cut to fit the budget'),
          source: z.string(),
        }),
      ),
    }),
  ),
  over_budget: z.number().int().describe('Symbols considered that did not fit the budget'),
};

export function bundleData(b: Bundle): z.output<z.ZodObject<typeof bundleShape>> {
  return {
    tokens: b.tokens,
    budget: b.budget,
    files: b.files.map((f) => ({
      file: f.file,
      symbols: f.symbols.map((s) => ({
        ...refData(s),
        reason: s.reason,
        score: Math.round(s.score * 1000) / 1000,
        distance: s.distance,
        outline: s.outline,
        cut: s.trimmed,
        source: s.text,
      })),
    })),
    over_budget: b.stats.overBudget,
  };
}

/** A bundle is trimmed when a source was cut or a symbol the traversal wanted did not fit. */
export function bundleTrimmed(b: Bundle): boolean {
  return b.trimmed || b.stats.overBudget > 0;
}

/** The inner budget for a bundle whose text gets `prefix` and the notes line around it. */
export function bundleBudget(budget: number, prefix: string): number {
  return Math.max(60, budget - NOTE_RESERVE - (prefix ? estimateTokens(prefix) : 0));
}

export function bundleText(prefix: string, b: Bundle, fields: ViewFields): string {
  const over = b.stats.overBudget;
  return (
    prefix +
    renderBundle(b) +
    notes(fields, over ? `${over} related symbols did not fit` : b.trimmed ? 'a source was cut' : undefined)
  );
}

const resolutionSchema = z.object({
  spec: z.string(),
  chosen: refSchema,
  ambiguous: z.boolean().describe('Several symbols matched equally well: the best by the rule was used'),
  total: z.number().int(),
  candidates: z.array(refSchema),
  rule: z.string(),
});

export function resolutionData(r: {
  spec: string;
  chosen: Candidate;
  ambiguous: boolean;
  total: number;
  candidates: Candidate[];
  rule: string;
}): z.output<typeof resolutionSchema> {
  return {
    spec: r.spec,
    chosen: refData(r.chosen),
    ambiguous: r.ambiguous,
    total: r.total,
    candidates: r.candidates.map(refData),
    rule: r.rule,
  };
}

const output = {
  ...viewShape,
  resolution: resolutionSchema,
  ...bundleShape,
};

export const contextTool = defineTool({
  name: 'leindex_context',
  title: 'Context of a symbol',
  description:
    'Everything needed to work on one symbol, within a token budget: its source plus the callers, ' +
    'callees, types, base classes and members most relevant to it (graph traversal weighted by ' +
    'similarity to the symbol), grouped by file, each with the reason it is included. Use it ' +
    'before changing a function or class; cheaper than reading the files around it.',
  input: {
    project_path: projectPathArg,
    symbol: symbolArg(),
    token_budget: tokenBudgetArg('the bundle'),
    include_tests: z.boolean().optional().describe('Also pull in tests (default: left out)'),
  },
  output,
  annotations: { readOnlyHint: true, openWorldHint: false },

  run(args, ctx) {
    return withView(ctx, args.project_path, (view, project) => {
      const spec = symbolSpec(view, args.symbol);
      const budget = budgetOf(args.token_budget, ctx.tokenBudget);
      // Resolved here first for the note's size; contextFor resolves the same spec the same way.
      const note = ambiguityNote(summariseResolution(resolveSymbol(view.session, spec)));
      const prefix = note ? `(${note})\n` : '';
      const r = contextFor(view.session, spec, {
        budget: bundleBudget(budget, prefix),
        ...(args.include_tests !== undefined ? { includeTests: args.include_tests } : {}),
      });
      const fields = viewFields(project.root, view, bundleTrimmed(r.bundle));
      return {
        text: bundleText(prefix, r.bundle, fields),
        data: { ...fields, resolution: resolutionData(r.resolution), ...bundleData(r.bundle) },
      };
    });
  },
});
