// leindex_read_symbol: the exact source of one symbol, named `file:Qualified.name`, `file:LINE`
// or by its qualified (or plain) name alone, cut by lines to the token budget. Names resolve
// through the shared lookup (query/lookup.ts); symbolSpec here is how every MCP tool checks the
// file part of a spec before that. Server thread.

import { z } from 'zod';
import { LeindexError } from '../../errors.js';
import { resolveSymbol, type Candidate } from '../../query/lookup.js';
import { budgetOf, capText, tokenBudgetArg } from '../budget.js';
import { projectRelative } from '../paths.js';
import type { ProjectView } from '../project.js';
import { notes, viewFields, viewShape } from '../result.js';
import { defineTool, projectPathArg, symbolArg, withView } from '../tool.js';

/** Other matches listed when a name is ambiguous. */
const MAX_ALTERNATIVES = 10;

const FENCE: Record<string, string> = {
  typescript: 'ts',
  tsx: 'tsx',
  javascript: 'js',
  python: 'python',
  rust: 'rust',
};

const output = {
  ...viewShape,
  symbol: z.object({
    file: z.string(),
    name: z.string(),
    qualified_name: z.string(),
    kind: z.string(),
    start_line: z.number().int(),
    end_line: z.number().int(),
    signature: z.string().optional(),
    doc: z.string().optional(),
  }),
  source: z.string(),
  source_stale: z.boolean().describe('The file changed since indexing: the range may be off'),
  shown_lines: z.object({ start: z.number().int(), end: z.number().int() }),
  alternatives: z
    .array(z.string())
    .describe('Other symbols the name matched, best first (file:qualified.name)'),
};

export const readSymbolTool = defineTool({
  name: 'leindex_read_symbol',
  title: 'Read a symbol',
  description:
    'The exact source of one symbol (function, class, method, …) instead of the whole file. Name it ' +
    '"path/to/file.ts:Class.method", "path/to/file.ts:LINE" (the innermost symbol there) or by its ' +
    'qualified name "Class.method" (or plain name) alone; when several symbols match, the best ' +
    '(exact over suffix over case-insensitive, non-test, exported, most called) is shown and the others are listed.',
  input: {
    project_path: projectPathArg,
    symbol: symbolArg('"file:Qualified.name", "file:LINE", or "Qualified.name" alone'),
    token_budget: tokenBudgetArg('the source shown'),
  },
  output,
  annotations: { readOnlyHint: true, openWorldHint: false },

  run(args, ctx) {
    return withView(ctx, args.project_path, (view, project) => {
      const { id, alternatives } = lookupSymbol(view, args.symbol.trim());
      const info = view.session.symbol(id);
      const src = view.session.source(id);
      const budget = budgetOf(args.token_budget, ctx.tokenBudget);
      const cut = capText(src.text, budget);
      const fields = viewFields(project.root, view, cut.trimmed);
      const shownEnd = cut.trimmed ? info.startLine + Math.max(0, cut.lines - 1) : info.endLine;
      const alt = alternatives.map(symbolKey);
      const head = `${info.file}:${info.qualifiedName} (${info.kind}, L${info.startLine}-${info.endLine})`;
      let text = `${head}\n\`\`\`${FENCE[info.language ?? ''] ?? ''}\n${cut.text}${cut.text.endsWith('\n') ? '' : '\n'}\`\`\`\n`;
      if (cut.trimmed) text += `(lines ${shownEnd + 1}-${info.endLine} not shown: over the token budget)\n`;
      if (src.stale) text += '(the file changed since it was indexed: this range may be off)\n';
      if (alt.length) text += `other matches: ${alt.join(', ')}\n`;
      text += notes(fields);
      return {
        text,
        data: {
          ...fields,
          symbol: {
            file: info.file,
            name: info.name,
            qualified_name: info.qualifiedName,
            kind: info.kind,
            start_line: info.startLine,
            end_line: info.endLine,
            ...(info.signature !== undefined ? { signature: info.signature } : {}),
            ...(info.doc !== undefined ? { doc: info.doc } : {}),
          },
          source: cut.text,
          source_stale: src.stale,
          shown_lines: { start: info.startLine, end: shownEnd },
          alternatives: alt,
        },
      };
    });
  },
});

/**
 * A symbol spec as the shared lookup (query/lookup.ts) reads it, with its file part (if any)
 * checked first: a path that leads outside the project is E_PATH_OUTSIDE_ROOT, not a name that
 * matched nothing, and an absolute path inside the project becomes relative.
 */
export function symbolSpec(view: ProjectView, spec: string): string {
  const trimmed = spec.trim();
  if (!trimmed) throw new LeindexError('E_USAGE', 'an empty symbol name', { hint: SPEC_HINT });
  const split = fileSeparator(trimmed);
  const path = split > 0 ? trimmed.slice(0, split) : trimmed;
  // Qualified names never hold a slash: only a path does.
  if (!/[\\/]/.test(path)) return trimmed;
  const rel = projectRelative(view, path);
  return split > 0 ? `${rel}${trimmed.slice(split)}` : rel;
}

/** Resolves a spec to a symbol with source (never an external one), plus the other candidates. */
export function lookupSymbol(view: ProjectView, spec: string): { id: number; alternatives: Candidate[] } {
  const r = resolveSymbol(view.session, symbolSpec(view, spec));
  const chosen = r.chosen.file !== '' ? r.chosen : r.candidates.find((c) => c.file !== '');
  if (!chosen) {
    throw new LeindexError('E_SYMBOL_NOT_FOUND', `${r.chosen.qualifiedName} is not defined in this project`, {
      hint: 'it is external (a library or the runtime): its source is not indexed',
    });
  }
  const alternatives = r.candidates.filter((c) => c.id !== chosen.id).slice(0, MAX_ALTERNATIVES);
  return { id: chosen.id, alternatives };
}

export const SPEC_HINT =
  'name a symbol "path/to/file.ts:Qualified.name", "path:LINE", "Qualified.name" or a plain name';

/** Index of the ':' or '#' between file and name: a single colon (Rust paths use '::'), not a drive letter. */
function fileSeparator(ref: string): number {
  for (let i = 1; i < ref.length; i++) {
    if (ref[i] === '#') return i;
    if (ref[i] !== ':' || ref[i - 1] === ':' || ref[i + 1] === ':') continue;
    if (i === 1 && /^[A-Za-z]$/.test(ref[0] ?? '') && /[\\/]/.test(ref[2] ?? '')) continue;
    return i;
  }
  return -1;
}

function symbolKey(c: Candidate): string {
  return c.file ? `${c.file}:${c.qualifiedName}` : `${c.qualifiedName} (external)`;
}
