// leindex_symbol_lookup: what the index knows about one or several names (query/symbol-report.ts):
// the definitions at the best match tier (file, lines, kind, signature, doc, flags) and the
// callers and callees of the chosen one to a depth. A batch shares the token budget; a name that
// matches nothing is reported in its entry, not as a failure of the batch. Server thread.

import { z } from 'zod';
import { LeindexError, isLeindexError } from '../../errors.js';
import { ambiguityNote } from '../../query/context.js';
import { symbolReport, type CallNode, type CallTree, type SymbolReport } from '../../query/symbol-report.js';
import { TextBudget, budgetOf, tokenBudgetArg } from '../budget.js';
import type { ProjectView } from '../project.js';
import { notes, viewFields, viewShape } from '../result.js';
import { defineTool, projectPathArg, withView } from '../tool.js';
import { refData, refSchema } from './context.js';
import { SPEC_HINT, symbolSpec } from './read-symbol.js';

const MAX_NAMES = 20;
const MAX_DEPTH = 5;

const nodeSchema = refSchema.extend({
  depth: z.number().int(),
  via: z.string().describe('The node one level closer (qualified name)'),
  confidence: z.number().int().describe('Edge confidence 0–100'),
  test: z.boolean(),
  external: z.boolean(),
});

const treeSchema = z.object({
  count: z.number().int().describe('Symbols found to the depth'),
  truncated: z.boolean().describe('The traversal stopped at its node cap'),
  nodes: z.array(nodeSchema).describe('Depth-first, each under the node it is listed after (see via)'),
  omitted: z.number().int().describe('Nodes left out to fit the token budget'),
});

const entrySchema = z.object({
  name: z.string(),
  found: z.boolean(),
  error: z.object({ code: z.string(), message: z.string(), hint: z.string().optional() }).optional(),
  chosen: refSchema.optional(),
  ambiguous: z.boolean().optional(),
  total_matches: z.number().int().optional(),
  definitions: z.array(
    refSchema.extend({
      signature: z.string().optional(),
      doc: z.string().optional(),
      flags: z.array(z.string()),
      external: z.boolean(),
    }),
  ),
  definitions_omitted: z.number().int().optional().describe('Definitions left out to fit the token budget'),
  callers: treeSchema.optional(),
  callees: treeSchema.optional(),
});

type Entry = z.output<typeof entrySchema>;

const output = { ...viewShape, depth: z.number().int(), results: z.array(entrySchema) };

export const symbolLookupTool = defineTool({
  name: 'leindex_symbol_lookup',
  title: 'Look up symbols',
  description:
    'Where one or several names (up to 20 in one call) are defined — file, lines, kind, signature, ' +
    'doc, flags — and who calls them and what they call, as trees to a depth. Names are ' +
    '"path/file.ts:Qualified.name", "path:LINE", "Qualified.name" or plain; an ambiguous name ' +
    'lists every definition at its best match tier.',
  input: {
    project_path: projectPathArg,
    name: z.string().min(1).max(2048).optional().describe('One name to look up'),
    names: z.array(z.string().min(1).max(2048)).min(1).max(MAX_NAMES).optional().describe('Several names'),
    callers: z
      .boolean()
      .optional()
      .describe('Show callers (default: both, unless one of callers/callees is set)'),
    callees: z.boolean().optional().describe('Show callees'),
    depth: z.number().int().min(1).max(MAX_DEPTH).optional().describe('Call levels to follow (default 1)'),
    token_budget: tokenBudgetArg('the answer'),
  },
  output,
  annotations: { readOnlyHint: true, openWorldHint: false },

  run(args, ctx) {
    if ((args.name === undefined) === (args.names === undefined))
      throw new LeindexError('E_USAGE', 'give either `name` or `names`', { hint: SPEC_HINT });
    const specs = args.names ?? [args.name ?? ''];
    const either = args.callers !== undefined || args.callees !== undefined;
    const opts = {
      callers: either ? (args.callers ?? false) : true,
      callees: either ? (args.callees ?? false) : true,
      depth: args.depth ?? 1,
    };
    return withView(ctx, args.project_path, (view, project) => {
      const reports = specs.map((spec) => report(view, spec, opts));
      // One name: a miss is the answer's failure. A batch: a miss is one entry's.
      const failed = reports.filter((r) => r instanceof LeindexError);
      if (failed.length === reports.length && failed[0]) throw failed[0];
      let left = budgetOf(args.token_budget, ctx.tokenBudget) - 30;
      const texts: string[] = [];
      const results: Entry[] = [];
      let trimmed = false;
      reports.forEach((r, i) => {
        // Each name gets an equal share of what is left, so one hub cannot starve the rest.
        const b = new TextBudget(Math.floor(left / (reports.length - i)));
        const entry =
          r instanceof LeindexError ? missing(specs[i] ?? '', r, b) : render(specs[i] ?? '', r, b);
        trimmed ||= b.full;
        left -= b.tokens;
        texts.push(b.text());
        results.push(entry);
      });
      const fields = viewFields(project.root, view, trimmed);
      return {
        text: texts.join('\n') + notes(fields, trimmed ? 'call trees cut (omitted counts them)' : undefined),
        data: { ...fields, depth: opts.depth, results },
      };
    });
  },
});

function report(
  view: ProjectView,
  spec: string,
  opts: { callers: boolean; callees: boolean; depth: number },
): SymbolReport | LeindexError {
  try {
    return symbolReport(view.session, symbolSpec(view, spec), opts);
  } catch (err) {
    if (isLeindexError(err) && (err.code === 'E_SYMBOL_NOT_FOUND' || err.code === 'E_USAGE')) return err;
    throw err;
  }
}

function missing(spec: string, err: LeindexError, b: TextBudget): Entry {
  b.force(`${spec}: ${err.code}: ${err.message}${err.hint ? ` (${err.hint})` : ''}`);
  return {
    name: spec,
    found: false,
    error: { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) },
    definitions: [],
  };
}

/** Definitions (always shown), then the call trees line by line while they fit. */
function render(spec: string, r: SymbolReport, b: TextBudget): Entry {
  const note = ambiguityNote(r.resolution);
  if (note) b.force(`(${note})`);
  let defs = 0;
  for (const d of r.definitions) {
    const where = d.external ? 'external' : `${d.file}:${d.startLine}-${d.endLine}`;
    const lines = [
      `${d.kind} ${d.qualifiedName}  ${where}${d.flags.length ? `  [${d.flags.join(', ')}]` : ''}`,
    ];
    if (d.signature) lines.push(`  ${oneLine(d.signature)}`);
    if (d.doc) lines.push(`  | ${oneLine(d.doc.split('\n').find((l) => l.trim()) ?? '')}`);
    // The chosen definition is the answer: it is shown whatever it costs.
    if (defs === 0) b.force(lines.join('\n'));
    else if (!b.add(lines.join('\n'))) break;
    defs++;
  }
  const entry: Entry = {
    name: spec,
    found: true,
    chosen: refData(r.resolution.chosen),
    ambiguous: r.resolution.ambiguous,
    total_matches: r.resolution.total,
    definitions: r.definitions.slice(0, defs).map((d) => ({
      ...refData(d),
      ...(d.signature !== undefined ? { signature: d.signature } : {}),
      ...(d.doc !== undefined ? { doc: d.doc } : {}),
      flags: d.flags,
      external: d.external,
    })),
    definitions_omitted: r.definitions.length - defs,
  };
  const chosen = r.resolution.chosen.qualifiedName;
  for (const [key, tree] of [
    ['callers', r.callers],
    ['callees', r.callees],
  ] as const) {
    if (!tree) continue;
    const flat = flatten(tree.nodes, chosen);
    const head = `${key} of ${chosen} (depth ${tree.depth}): ${tree.count}${tree.truncated ? ' (truncated)' : ''}`;
    let shown = 0;
    if (b.add(head)) {
      if (flat.length === 0) b.add('  (none found)');
      for (const n of flat) {
        const where = n.external ? 'external' : `${n.file}:${n.startLine}`;
        const line = `${'  '.repeat(n.depth)}${n.qualifiedName}  ${where}  [${n.confidence}]${n.test ? ' test' : ''}`;
        if (!b.add(line)) break;
        shown++;
      }
    }
    entry[key] = treeData(tree, flat.slice(0, shown), flat.length - shown);
  }
  return entry;
}

interface FlatNode extends CallNode {
  via: string;
}

/** Depth-first order, as the text shows the tree. */
function flatten(nodes: readonly CallNode[], via: string, out: FlatNode[] = []): FlatNode[] {
  for (const n of nodes) {
    out.push({ ...n, via });
    flatten(n.children, n.qualifiedName, out);
  }
  return out;
}

function treeData(t: CallTree, shown: FlatNode[], omitted: number): z.output<typeof treeSchema> {
  return {
    count: t.count,
    truncated: t.truncated,
    nodes: shown.map((n) => ({
      ...refData(n),
      depth: n.depth,
      via: n.via,
      confidence: n.confidence,
      test: n.test,
      external: n.external,
    })),
    omitted,
  };
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 199)}…` : flat;
}
