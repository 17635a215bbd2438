// leindex_read_symbol: the exact source of one symbol, named `file:Qualified.name` or by its
// qualified (or plain) name alone, cut by lines to the token budget. The lookup is a simple
// exact match for now (the shared lookup module will replace lookupSymbol). Server thread.

import { z } from 'zod';
import { LeindexError } from '../../errors.js';
import { NONE } from '../../protocol.js';
import type { IndexSession } from '../../query/session.js';
import { budgetOf, capText, tokenBudgetArg } from '../budget.js';
import { indexedFile } from '../paths.js';
import type { ProjectView } from '../project.js';
import { notes, viewFields, viewShape } from '../result.js';
import { defineTool, projectPathArg, withView } from '../tool.js';

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
  alternatives: z.array(z.string()).describe('Other symbols with the same name (file:qualified.name)'),
};

export const readSymbolTool = defineTool({
  name: 'leindex_read_symbol',
  title: 'Read a symbol',
  description:
    'The exact source of one symbol (function, class, method, …) instead of the whole file. Name it ' +
    '"path/to/file.ts:Class.method" or by its qualified name "Class.method" (or plain name) alone; ' +
    'when several symbols match, the first is shown and the others are listed.',
  input: {
    project_path: projectPathArg,
    symbol: z.string().min(1).max(2048).describe('"file:Qualified.name", or "Qualified.name" alone'),
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
      const alt = alternatives.map((a) => symbolKey(view.session, a));
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

/** Resolves a symbol reference to an id, plus other exact matches. */
export function lookupSymbol(view: ProjectView, ref: string): { id: number; alternatives: number[] } {
  const session = view.session;
  const split = fileSeparator(ref);
  if (split > 0) {
    const { file, relPath } = indexedFile(view, ref.slice(0, split));
    const name = ref.slice(split + 1);
    const ids = matches(session, name, file);
    const [id, ...rest] = ids;
    if (id === undefined)
      throw new LeindexError('E_SYMBOL_NOT_FOUND', `no symbol ${name} in ${relPath}`, {
        hint: 'leindex_file_summary lists the symbols of a file with their qualified names',
      });
    return { id, alternatives: rest.slice(0, MAX_ALTERNATIVES) };
  }
  const [id, ...rest] = matches(session, ref, undefined);
  if (id === undefined)
    throw new LeindexError('E_SYMBOL_NOT_FOUND', `no symbol named ${ref}`, {
      hint: 'names are matched exactly (qualified like Class.method, or plain); prefix the file as "path:Name" to narrow it',
    });
  return { id, alternatives: rest.slice(0, MAX_ALTERNATIVES) };
}

/** Index of the ':' between file and name: a single colon (Rust paths use '::'), not a drive letter. */
function fileSeparator(ref: string): number {
  for (let i = 1; i < ref.length; i++) {
    if (ref[i] !== ':' || ref[i - 1] === ':' || ref[i + 1] === ':') continue;
    if (i === 1 && /^[A-Za-z]$/.test(ref[0] ?? '') && /[\\/]/.test(ref[2] ?? '')) continue;
    return i;
  }
  return -1;
}

/** Symbols (of one file, or all) whose qualified name is `name`; if none, whose plain name is. */
function matches(session: IndexSession, name: string, file: number | undefined): number[] {
  const g = session.graph();
  const s = g.symbols;
  const sid = g.strings.indexOf(name);
  if (sid < 0) return [];
  const a = file === undefined ? 0 : (g.files.symbolStart[file] ?? 0);
  const b = file === undefined ? g.fileSymbolCount : (g.files.symbolStart[file + 1] ?? a);
  for (const column of [s.qualifiedName, s.name]) {
    const out: number[] = [];
    for (let id = a; id < b; id++) {
      if (column[id] === sid && s.file[id] !== NONE && id !== g.files.symbolStart[s.file[id] ?? 0])
        out.push(id);
    }
    if (out.length) return out;
  }
  return [];
}

function symbolKey(session: IndexSession, id: number): string {
  const info = session.symbol(id);
  return `${info.file}:${info.qualifiedName}`;
}
