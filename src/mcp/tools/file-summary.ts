// leindex_file_summary: one file's symbols (kind, signature, lines, first doc line, callers
// and callees counts) and links (what it imports, who imports it) without its text, cut to
// the token budget: fields and locals go first, then symbols from the end. Server thread.

import { z } from 'zod';
import { fileSummary, type FileSummary, type FileSymbol } from '../../query/file-summary.js';
import { TextBudget, budgetOf, tokenBudgetArg } from '../budget.js';
import { indexedFile } from '../paths.js';
import { notes, viewFields, viewShape } from '../result.js';
import { defineTool, projectPathArg, withView } from '../tool.js';

/** Links listed by name before the rest are only counted. */
const MAX_LINKS = 40;

const symbolSchema = z.object({
  name: z.string(),
  qualified_name: z.string(),
  kind: z.string(),
  signature: z.string().optional(),
  doc: z.string().optional(),
  start_line: z.number().int(),
  end_line: z.number().int(),
  depth: z.number().int(),
  exported: z.boolean(),
  callers: z.number().int(),
  callees: z.number().int(),
});

const output = {
  ...viewShape,
  file: z.string(),
  language: z.string(),
  lines: z.number().int(),
  bytes: z.number(),
  syntax_errors: z.number().int(),
  doc: z.string().optional(),
  symbols: z.array(symbolSchema),
  imports: z.array(z.object({ target: z.string(), external: z.boolean(), names: z.array(z.string()) })),
  imported_by: z.array(z.string()),
  calls_in: z.number().int().describe('Calls from other files into this one'),
  calls_out: z.number().int().describe('Calls from this file into others'),
  omitted: z.object({ symbols: z.number().int(), imports: z.number().int(), imported_by: z.number().int() }),
};

export const fileSummaryTool = defineTool({
  name: 'leindex_file_summary',
  title: 'Summarise a file',
  description:
    "A file's outline without its text: every symbol with kind, signature, line range, first doc " +
    'line, exported flag and callers/callees counts, plus what the file imports and which files ' +
    'import it. Cheaper than reading the file; follow up with leindex_read_symbol.',
  input: {
    project_path: projectPathArg,
    file: z.string().min(1).max(4096).describe('Path of the file, relative to the project root'),
    token_budget: tokenBudgetArg('the answer'),
  },
  output,
  annotations: { readOnlyHint: true, openWorldHint: false },

  run(args, ctx) {
    return withView(ctx, args.project_path, (view, project) => {
      const { file } = indexedFile(view, args.file);
      const summary = fileSummary(view.session, file);
      const budget = budgetOf(args.token_budget, ctx.tokenBudget);
      const r = render(summary, budget);
      const fields = viewFields(project.root, view, r.trimmed);
      const data: z.output<z.ZodObject<typeof output>> = {
        ...fields,
        file: summary.file,
        language: summary.language,
        lines: summary.lines,
        bytes: summary.bytes,
        syntax_errors: summary.syntaxErrors,
        symbols: r.symbols.map((s) => ({
          name: s.name,
          qualified_name: s.qualifiedName,
          kind: s.kind,
          ...(s.signature !== undefined ? { signature: s.signature } : {}),
          ...(s.doc !== undefined ? { doc: s.doc } : {}),
          start_line: s.startLine,
          end_line: s.endLine,
          depth: s.depth,
          exported: s.exported,
          callers: s.callers,
          callees: s.callees,
        })),
        imports: summary.imports.slice(0, MAX_LINKS),
        imported_by: summary.importedBy.slice(0, MAX_LINKS),
        calls_in: summary.callsIn,
        calls_out: summary.callsOut,
        omitted: {
          symbols: summary.symbols.length - r.symbols.length,
          imports: Math.max(0, summary.imports.length - MAX_LINKS),
          imported_by: Math.max(0, summary.importedBy.length - MAX_LINKS),
        },
      };
      if (summary.doc !== undefined) data.doc = summary.doc;
      const omitted = data.omitted.symbols;
      const text =
        r.text +
        notes(fields, omitted ? `${omitted} of ${summary.symbols.length} symbols not shown` : undefined);
      return { text, data };
    });
  },
});

function render(s: FileSummary, budget: number): { text: string; symbols: FileSymbol[]; trimmed: boolean } {
  const head: string[] = [];
  head.push(
    `${s.file} (${s.language}, ${s.lines} lines, ${s.symbols.length} symbols${s.syntaxErrors ? `, ${s.syntaxErrors} syntax errors` : ''})`,
  );
  if (s.doc) head.push(`doc: ${s.doc}`);
  const list = <T>(items: T[], show: (x: T) => string): string =>
    items.slice(0, MAX_LINKS).map(show).join(', ') +
    (items.length > MAX_LINKS ? `, … ${items.length - MAX_LINKS} more` : '');
  if (s.imports.length)
    head.push(
      `imports: ${list(s.imports, (i) => `${i.target}${i.external ? ' [external]' : ''}${i.names.length ? ` (${i.names.join(', ')})` : ''}`)}`,
    );
  if (s.importedBy.length) head.push(`imported by: ${list(s.importedBy, (f) => f)}`);
  head.push(`calls: ${s.callsOut} out to other files, ${s.callsIn} in from other files`);

  // Everything, else without fields and locals, else cut from the end.
  const all = s.symbols;
  const slim = all.filter((x) => x.depth === 0 || (x.kind !== 'field' && x.kind !== 'variable'));
  for (const candidates of [all, slim]) {
    const b = new TextBudget(budget);
    for (const h of head) b.force(h);
    b.force('symbols:');
    let fits = true;
    for (const sym of candidates) {
      if (!b.add(symbolLines(sym))) {
        fits = false;
        break;
      }
    }
    if (fits) return { text: b.text(), symbols: candidates, trimmed: candidates !== all };
  }
  const b = new TextBudget(budget);
  for (const h of head) b.force(h);
  b.force('symbols:');
  const shown: FileSymbol[] = [];
  for (const sym of slim) {
    if (!b.add(symbolLines(sym))) break;
    shown.push(sym);
  }
  return { text: b.text(), symbols: shown, trimmed: true };
}

function symbolLines(s: FileSymbol): string {
  const indent = '  '.repeat(s.depth + 1);
  // Signatures are whole declaration heads (`def f(x)`, `pub fn g() -> T`, `class A extends B`).
  const what = s.signature ? oneLine(s.signature) : s.qualifiedName;
  const links = s.callers || s.callees ? `, ${s.callers} callers, ${s.callees} callees` : '';
  const line = `${indent}${what}  [${s.kind}, L${s.startLine}-${s.endLine}${s.exported ? ', exported' : ''}${links}]`;
  return s.doc ? `${line}\n${indent}  — ${s.doc}` : line;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 160 ? `${flat.slice(0, 159)}…` : flat;
}
