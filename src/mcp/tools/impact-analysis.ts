// leindex_impact_analysis: what may break when a symbol changes (query/impact.ts): its
// dependents over calls, data flow, inheritance and type references to a depth, each with a
// risk by IMPACT_RISK_RULE (stated in every answer), per file and overall. The text follows
// renderImpact's layout, cut line by line to the token budget. Server thread.

import { z } from 'zod';
import { ambiguityNote } from '../../query/context.js';
import { impactOf, type ImpactFile, type ImpactItem } from '../../query/impact.js';
import { TextBudget, budgetOf, tokenBudgetArg } from '../budget.js';
import { notes, viewFields, viewShape } from '../result.js';
import { defineTool, projectPathArg, symbolArg, withView } from '../tool.js';
import { refData, refSchema } from './context.js';
import { symbolSpec } from './read-symbol.js';

const MAX_DEPTH = 6;
/** Files listed in the text before the dependents: the list is a summary, the dependents the detail. */
const MAX_FILE_LINES = 25;

const risk = z.enum(['high', 'medium', 'low']);

const output = {
  ...viewShape,
  symbol: refSchema,
  ambiguous: z.boolean().describe('The name matched several symbols: the best by the lookup rule was used'),
  depth: z.number().int(),
  changed: z.number().int().describe('Symbols changing together (the symbol and, for a class, its members)'),
  risk: z.enum(['high', 'medium', 'low', 'none']),
  rule: z.string().describe('How risk is decided'),
  counts: z.object({
    high: z.number().int(),
    medium: z.number().int(),
    low: z.number().int(),
    tests: z.number().int().describe('Dependents in tests (not counted in the risk)'),
    files: z.number().int(),
  }),
  files: z.array(
    z.object({ file: z.string(), symbols: z.number().int(), min_distance: z.number().int(), risk }),
  ),
  dependents: z.array(
    refSchema.extend({
      distance: z.number().int(),
      edge: z.string().describe('How it depends on `via`: calls, inherits, implements, uses type, data flow'),
      via: z.string().describe('The symbol one step closer to the changed one'),
      confidence: z.number().int().describe('Weakest edge confidence on the path, 0–100'),
      test: z.boolean(),
      risk,
    }),
  ),
  truncated: z.boolean().describe('More dependents than the traversal keeps (1000)'),
  omitted: z.object({ files: z.number().int(), dependents: z.number().int() }),
};

export const impactAnalysisTool = defineTool({
  name: 'leindex_impact_analysis',
  title: 'Impact of a change',
  description:
    'What may break if a symbol changes: every caller, subclass, implementer, data-flow and ' +
    'type dependent to a depth (default 3), each with distance, the edge that reaches it, the ' +
    'weakest confidence on its path and a risk level; affected files; an overall risk with the ' +
    'rule it follows. Use it before changing a signature or behaviour.',
  input: {
    project_path: projectPathArg,
    symbol: symbolArg(),
    depth: z
      .number()
      .int()
      .min(1)
      .max(MAX_DEPTH)
      .optional()
      .describe('Dependency levels to follow (default 3)'),
    token_budget: tokenBudgetArg('the answer'),
  },
  output,
  annotations: { readOnlyHint: true, openWorldHint: false },

  run(args, ctx) {
    return withView(ctx, args.project_path, (view, project) => {
      const r = impactOf(view.session, symbolSpec(view, args.symbol), args.depth ?? 3);
      const c = r.resolution.chosen;
      const b = new TextBudget(budgetOf(args.token_budget, ctx.tokenBudget) - 30);
      const note = ambiguityNote(r.resolution);
      if (note) b.force(`(${note})`);
      b.force(
        `impact of ${c.qualifiedName} (${c.kind}, ${c.file || 'external'}:${c.startLine}) to depth ${r.depth}: risk ${r.risk}`,
      );
      b.force(
        `  ${r.counts.high} high, ${r.counts.medium} medium, ${r.counts.low} low in ${r.counts.files} files; ` +
          `${r.counts.tests} in tests${r.truncated ? '; list truncated' : ''}`,
      );
      b.force(`  rule: ${r.rule}`);
      const files: ImpactFile[] = [];
      const items: ImpactItem[] = [];
      if (r.items.length === 0) {
        b.force('no dependents found (dynamic calls and reflection are not in the graph)');
      } else if (b.add('\nfiles:')) {
        for (const f of r.files.slice(0, MAX_FILE_LINES)) {
          if (!b.add(`  ${f.risk.padEnd(6)} ${f.file} (${f.symbols} symbols, distance ${f.minDistance})`))
            break;
          files.push(f);
        }
        if (files.length === MAX_FILE_LINES && r.files.length > files.length)
          b.add(`  … ${r.files.length - files.length} more files`);
        if (b.add('\ndependents:')) {
          for (const it of r.items) {
            const line =
              `  ${it.risk.padEnd(6)} d${it.distance} ${it.qualifiedName} (${it.kind}, ${it.file}:${it.startLine}) ` +
              `${it.edge} ${it.via.qualifiedName} [${it.confidence}]${it.test ? ' test' : ''}`;
            if (!b.add(line)) break;
            items.push(it);
          }
        }
      }
      // Files beyond the summary's cap are not a cut of the answer; dependents not shown are.
      const omitted = { files: r.files.length - files.length, dependents: r.items.length - items.length };
      const fields = viewFields(project.root, view, omitted.dependents > 0);
      return {
        text:
          b.text() +
          notes(fields, omitted.dependents ? `${omitted.dependents} dependents not shown` : undefined),
        data: {
          ...fields,
          symbol: refData(c),
          ambiguous: r.resolution.ambiguous,
          depth: r.depth,
          changed: r.changed.length,
          risk: r.risk,
          rule: r.rule,
          counts: r.counts,
          files: files.map((f) => ({
            file: f.file,
            symbols: f.symbols,
            min_distance: f.minDistance,
            risk: f.risk,
          })),
          dependents: items.map((it) => ({
            ...refData(it),
            distance: it.distance,
            edge: it.edge,
            via: it.via.qualifiedName,
            confidence: it.confidence,
            test: it.test,
            risk: it.risk,
          })),
          truncated: r.truncated,
          omitted,
        },
      };
    });
  },
});
