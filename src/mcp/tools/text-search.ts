// leindex_text_search: literal or regex search over the indexed files (query/grep.ts), each
// hit with its line, column, optional context lines and the innermost symbol it sits in.
// Regexes run in a worker under a deadline; a cancelled call stops the search. Hits are cut
// to the token budget. Server thread.

import { z } from 'zod';
import { LeindexError, isLeindexError } from '../../errors.js';
import { LANGUAGES } from '../../protocol.js';
import { GREP_DEFAULTS, grepIndex, type GrepHit, type GrepResult } from '../../query/grep.js';
import { TextBudget, budgetOf, tokenBudgetArg } from '../budget.js';
import type { ProjectView } from '../project.js';
import { notes, viewFields, viewShape } from '../result.js';
import { defineTool, projectPathArg } from '../tool.js';

const MAX_LIMIT = 500;
const MAX_CONTEXT = 10;

const output = {
  ...viewShape,
  pattern: z.string(),
  hits: z.array(
    z.object({
      file: z.string(),
      line: z.number().int(),
      column: z.number().int().describe('1-based, in UTF-16 code units'),
      match_length: z.number().int(),
      text: z.string().describe('The line, or a window around the match when the line is long'),
      before: z.array(z.string()).optional(),
      after: z.array(z.string()).optional(),
      symbol: z
        .object({
          qualified_name: z.string(),
          kind: z.string(),
          start_line: z.number().int(),
          end_line: z.number().int(),
        })
        .describe('Innermost enclosing symbol (the module for top-level code)'),
      stale: z.boolean().optional().describe('The file changed since indexing: the symbol may be off'),
    }),
  ),
  total_matches: z.number().int().describe('Matching lines found (a lower bound when truncated)'),
  truncated: z.boolean().describe('More matches exist than were returned (limit or per-file cap)'),
  timed_out: z.boolean().describe('The deadline stopped the search: hits are those found before it'),
  files_matched: z.number().int(),
  files_searched: z.number().int(),
  files_skipped: z.number().int(),
  elapsed_ms: z.number(),
  omitted: z.number().int().describe('Hits left out to fit the token budget'),
};

export const textSearchTool = defineTool({
  name: 'leindex_text_search',
  title: 'Search text',
  description:
    'Exact text or regular-expression search (JavaScript syntax) over the indexed files, like ' +
    'grep but honouring the index ignores, each hit with the function or class it is in. Use it ' +
    'for strings, error messages, config keys and TODOs; for code by meaning use leindex_search.',
  input: {
    project_path: projectPathArg,
    pattern: z.string().max(4096).describe('A JavaScript regex, or literal text with fixed: true'),
    fixed: z.boolean().optional().describe('Match the pattern as literal text'),
    ignore_case: z.boolean().optional(),
    languages: z.array(z.enum(LANGUAGES)).max(LANGUAGES.length).optional(),
    paths: z
      .array(z.string().min(1).max(1024))
      .max(20)
      .optional()
      .describe('Gitignore-style globs a file must match (a leading ! excludes)'),
    limit: z.number().int().min(1).max(MAX_LIMIT).optional().describe('Hits at most (default 50)'),
    max_per_file: z.number().int().min(1).max(MAX_LIMIT).optional().describe('Hits per file at most'),
    context: z.number().int().min(0).max(MAX_CONTEXT).optional().describe('Lines before and after each hit'),
    token_budget: tokenBudgetArg('the answer'),
  },
  output,
  annotations: { readOnlyHint: true, openWorldHint: false },

  async run(args, ctx, call) {
    if (args.pattern === '')
      throw new LeindexError('E_USAGE', 'the pattern is empty', { hint: 'give the text or regex to find' });
    const project = ctx.projects.resolve(args.project_path);
    // withView's retry covers synchronous queries only: a generation dropped under this
    // asynchronous one is retried here the same way.
    const search = async (): Promise<{ view: ProjectView; r: GrepResult }> => {
      const view = await project.view();
      return { view, r: await grep(view, args, call.signal) };
    };
    let answer: { view: ProjectView; r: GrepResult };
    try {
      answer = await search();
    } catch (err) {
      if (!(isLeindexError(err) && err.code === 'E_STORE_CORRUPT' && project.reopenIfNewer())) throw err;
      answer = await search();
    }
    const { view, r } = answer;
    const b = new TextBudget(budgetOf(args.token_budget, ctx.tokenBudget) - 30);
    b.force(
      `${r.hits.length} hits in ${r.filesMatched} files for /${args.pattern}/` +
        `${r.truncated ? ' (more exist: raise limit or narrow paths)' : ''}` +
        `${r.timedOut ? ` (timed out after ${GREP_DEFAULTS.timeoutMs} ms: partial)` : ''}`,
    );
    const shown: GrepHit[] = [];
    for (const h of r.hits) {
      if (!b.add(hitLines(h))) break;
      shown.push(h);
    }
    const omitted = r.hits.length - shown.length;
    const fields = viewFields(project.root, view, omitted > 0);
    return {
      text: b.text() + notes(fields, omitted ? `${omitted} hits not shown` : undefined),
      data: {
        ...fields,
        pattern: args.pattern,
        hits: shown.map((h) => ({
          file: h.file,
          line: h.line,
          column: h.column,
          match_length: h.matchLength,
          text: h.text,
          ...(h.before ? { before: h.before } : {}),
          ...(h.after ? { after: h.after } : {}),
          symbol: {
            qualified_name: h.symbol.qualifiedName,
            kind: h.symbol.kind,
            start_line: h.symbol.startLine,
            end_line: h.symbol.endLine,
          },
          ...(h.stale ? { stale: true } : {}),
        })),
        total_matches: r.totalMatches,
        truncated: r.truncated,
        timed_out: r.timedOut,
        files_matched: r.filesMatched,
        files_searched: r.filesSearched,
        files_skipped: r.filesSkipped,
        elapsed_ms: Math.round(r.elapsedMs * 10) / 10,
        omitted,
      },
    };
  },
});

type Args = {
  pattern: string;
  fixed?: boolean | undefined;
  ignore_case?: boolean | undefined;
  languages?: (typeof LANGUAGES)[number][] | undefined;
  paths?: string[] | undefined;
  limit?: number | undefined;
  max_per_file?: number | undefined;
  context?: number | undefined;
};

async function grep(view: ProjectView, args: Args, signal: AbortSignal): Promise<GrepResult> {
  try {
    return await grepIndex(view.session, {
      pattern: args.pattern,
      limit: args.limit ?? 50,
      timeoutMs: GREP_DEFAULTS.timeoutMs,
      signal,
      ...(args.fixed ? { fixed: true } : {}),
      ...(args.ignore_case ? { ignoreCase: true } : {}),
      ...(args.languages ? { languages: args.languages } : {}),
      ...(args.paths ? { globs: args.paths } : {}),
      ...(args.max_per_file ? { maxPerFile: args.max_per_file } : {}),
      ...(args.context ? { context: args.context } : {}),
    });
  } catch (err) {
    if (isLeindexError(err) && err.code === 'E_USAGE')
      throw new LeindexError('E_USAGE', err.message, {
        hint: 'patterns use JavaScript regex syntax; set fixed: true to search for the text as written',
      });
    throw err;
  }
}

function hitLines(h: GrepHit): string {
  const where = `${h.file}:${h.line}:${h.column}  [${h.symbol.kind} ${h.symbol.qualifiedName} L${h.symbol.startLine}-${h.symbol.endLine}]${h.stale ? ' (file changed)' : ''}`;
  const lines = [where];
  for (const l of h.before ?? []) lines.push(`  - ${l}`);
  lines.push(`  > ${h.text}`);
  for (const l of h.after ?? []) lines.push(`  + ${l}`);
  return lines.join('\n');
}
