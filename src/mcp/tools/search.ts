// leindex_search: hybrid symbol search (query/search.ts): lexical BM25F, embedding similarity
// and a structural prior, weighted by what kind of query it is, with filters by language,
// path globs and kind. Hits are listed best first with their score parts and a snippet, cut to
// the token budget. Server thread.

import { z } from 'zod';
import { LeindexError } from '../../errors.js';
import { LANGUAGES, SYMBOL_KIND_NAMES } from '../../protocol.js';
import { MAX_QUERY_BYTES, searchIndex, type SearchHit } from '../../query/search.js';
import { TextBudget, budgetOf, tokenBudgetArg } from '../budget.js';
import { notes, viewFields, viewShape } from '../result.js';
import { defineTool, projectPathArg, withView } from '../tool.js';

const MAX_LIMIT = 100;

const output = {
  ...viewShape,
  query: z.string(),
  intent: z.string().describe('How the query was read: identifier, explain, locate, complexity, general'),
  total: z.number().int().describe('Symbols that matched the query and the filters'),
  offset: z.number().int(),
  truncated_query: z.boolean().describe(`The query was longer than ${MAX_QUERY_BYTES} bytes and was cut`),
  hits: z.array(
    z.object({
      file: z.string(),
      name: z.string(),
      qualified_name: z.string(),
      kind: z.string(),
      start_line: z.number().int(),
      end_line: z.number().int(),
      score: z.number(),
      parts: z
        .object({
          lexical: z.number(),
          vector: z.number(),
          structure: z.number(),
          name: z.number(),
          project: z.number(),
        })
        .describe(
          'The signals the score is made of (lexical and vector in [0, 1]; name: the query names the ' +
            'symbol; project: the query names its project)',
        ),
      snippet: z.string().describe('Signature (or first line) and first doc line'),
    }),
  ),
  omitted: z.number().int().describe('Hits of this page left out to fit the token budget'),
  next_offset: z.number().int().optional().describe('Offset of the next page, when there is one'),
};

export const searchTool = defineTool({
  name: 'leindex_search',
  title: 'Search code',
  description:
    'Finds functions, classes, methods and other symbols by meaning or by name: a question in ' +
    'words ("where are expired sessions cleaned up"), an identifier ("parseConfig", ' +
    '"SessionStore.open") or a mix. Ranks by words, embedding similarity and how central a symbol ' +
    'is; tests and vendored code are demoted unless include_tests. Returns locations with a ' +
    'snippet; follow up with leindex_read_symbol or leindex_context. For exact text or regexes ' +
    'use leindex_text_search.',
  input: {
    project_path: projectPathArg,
    query: z
      .string()
      .max(MAX_QUERY_BYTES * 2)
      .describe('Words, a question, or an identifier'),
    mode: z
      .enum(['auto', 'exact', 'semantic', 'text'])
      .optional()
      .describe(
        'auto (default): by the query; exact: name lookup first; semantic: meaning first; text: word matches only',
      ),
    limit: z.number().int().min(1).max(MAX_LIMIT).optional().describe('Hits per page (default 10)'),
    offset: z.number().int().min(0).max(10_000).optional().describe('Hits to skip (paging)'),
    languages: z.array(z.enum(LANGUAGES)).max(LANGUAGES.length).optional(),
    paths: z
      .array(z.string().min(1).max(1024))
      .max(20)
      .optional()
      .describe('Gitignore-style globs; a hit must be in a file matching one (e.g. "src/auth/**")'),
    kinds: z
      .array(z.enum(SYMBOL_KIND_NAMES as [string, ...string[]]))
      .max(20)
      .optional(),
    include_tests: z.boolean().optional().describe('Keep tests, generated and vendored code at full weight'),
    token_budget: tokenBudgetArg('the answer'),
  },
  output,
  annotations: { readOnlyHint: true, openWorldHint: false },

  run(args, ctx) {
    if (args.query.trim() === '')
      throw new LeindexError('E_USAGE', 'the search query is empty', {
        hint: 'search for words ("expired sessions") or a name ("purgeExpired")',
      });
    return withView(ctx, args.project_path, (view, project) => {
      const limit = args.limit ?? 10;
      const offset = args.offset ?? 0;
      const r = searchIndex(view.session, args.query, {
        limit,
        offset,
        ...(args.mode ? { mode: args.mode } : {}),
        ...(args.languages ? { languages: args.languages } : {}),
        ...(args.paths ? { paths: args.paths } : {}),
        ...(args.kinds ? { kinds: args.kinds } : {}),
        ...(args.include_tests ? { includeTests: true } : {}),
      });
      const budget = new TextBudget(budgetOf(args.token_budget, ctx.tokenBudget) - 30);
      const first = r.hits.length ? `${offset + 1}-${offset + r.hits.length} of ` : '';
      budget.force(`${first}${r.total} results for "${short(r.query)}" (${r.intent})`);
      const shown: SearchHit[] = [];
      for (const [i, h] of r.hits.entries()) {
        if (!budget.add(hitLines(offset + i + 1, h))) break;
        shown.push(h);
      }
      if (r.hits.length === 0)
        budget.force('no matching symbols: try other words, fewer filters, or leindex_text_search');
      const omitted = r.hits.length - shown.length;
      const nextOffset = offset + shown.length < r.total ? offset + shown.length : undefined;
      if (nextOffset !== undefined && omitted === 0) budget.force(`more: offset ${nextOffset}`);
      if (r.truncatedQuery) budget.force(`(the query was cut to ${MAX_QUERY_BYTES} bytes)`);
      const fields = viewFields(project.root, view, omitted > 0);
      return {
        text:
          budget.text() +
          notes(fields, omitted ? `${omitted} hits not shown; next offset ${nextOffset}` : undefined),
        data: {
          ...fields,
          query: r.query,
          intent: r.intent,
          total: r.total,
          offset,
          truncated_query: r.truncatedQuery,
          hits: shown.map((h) => ({
            file: h.file,
            name: h.name,
            qualified_name: h.qualifiedName,
            kind: h.kind,
            start_line: h.startLine,
            end_line: h.endLine,
            score: h.score,
            parts: h.parts,
            snippet: h.snippet,
          })),
          omitted,
          ...(nextOffset !== undefined ? { next_offset: nextOffset } : {}),
        },
      };
    });
  },
});

function hitLines(rank: number, h: SearchHit): string {
  const p = h.parts;
  const head =
    `${rank}. ${h.file}:${h.startLine}-${h.endLine} ${h.kind} ${h.qualifiedName}  ` +
    `score ${h.score.toFixed(3)} (lexical ${p.lexical.toFixed(2)}, vector ${p.vector.toFixed(2)}, ` +
    `structure ${p.structure.toFixed(2)}${p.name ? `, name ${p.name.toFixed(2)}` : ''})`;
  const snippet = h.snippet
    .split('\n')
    .map((l) => `   ${l}`)
    .join('\n');
  return snippet.trim() ? `${head}\n${snippet}` : head;
}

function short(q: string): string {
  const one = q.replace(/\s+/g, ' ').trim();
  return one.length > 100 ? `${one.slice(0, 97)}...` : one;
}
