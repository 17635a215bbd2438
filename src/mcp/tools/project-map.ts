// leindex_project_map: the directory tree of a project (or of one directory in it) with file,
// symbol and line counts, the import dependencies between the directories shown, and the
// external packages used, at the deepest level that fits the token budget. Server thread.

import { z } from 'zod';
import { LeindexError } from '../../errors.js';
import { projectMapData, renderProjectMap } from '../../query/project-map.js';
import { budgetOf, tokenBudgetArg } from '../budget.js';
import { projectRelative } from '../paths.js';
import { notes, viewFields, viewShape } from '../result.js';
import { defineTool, projectPathArg, withView } from '../tool.js';

const DEFAULT_DEPTH = 4;
const MAX_DEPTH = 32;

const output = {
  ...viewShape,
  path: z.string().describe("The directory mapped ('' = the project root)"),
  depth: z.number().int().describe('Levels shown below it'),
  directories: z.array(
    z.object({
      path: z.string(),
      depth: z.number().int(),
      files: z.number().int(),
      symbols: z.number().int(),
      lines: z.number().int(),
    }),
  ),
  dependencies: z.array(z.object({ from: z.string(), to: z.string(), imports: z.number().int() })),
  externals: z.array(z.object({ name: z.string(), files: z.number().int() })),
  omitted: z.object({
    directories: z.number().int(),
    dependencies: z.number().int(),
    externals: z.number().int(),
  }),
};

export const projectMapTool = defineTool({
  name: 'leindex_project_map',
  title: 'Project map',
  description:
    'The layout of a project: directory tree with file and symbol counts, which directories import ' +
    'from which, and the external packages used. Start here in an unfamiliar codebase; pass path to ' +
    'zoom into one directory.',
  input: {
    project_path: projectPathArg,
    path: z.string().max(4096).optional().describe('A directory to map, relative to the project root'),
    max_depth: z
      .number()
      .int()
      .min(1)
      .max(MAX_DEPTH)
      .optional()
      .describe(`Deepest level to show (default ${DEFAULT_DEPTH}; less when the budget requires)`),
    token_budget: tokenBudgetArg('the map'),
  },
  output,
  annotations: { readOnlyHint: true, openWorldHint: false },

  run(args, ctx) {
    return withView(ctx, args.project_path, (view, project) => {
      const focus = args.path === undefined ? '' : projectRelative(view, args.path);
      const data = projectMapData(view.session);
      if (!data.dirs.has(focus))
        throw new LeindexError('E_PATH_NOT_FOUND', `no indexed files under ${focus}`, {
          hint: 'give a directory relative to the project root; leindex_project_map without path shows the tree',
        });
      const map = renderProjectMap(data, {
        focus,
        maxDepth: args.max_depth ?? DEFAULT_DEPTH,
        budget: budgetOf(args.token_budget, ctx.tokenBudget),
      });
      const fields = viewFields(project.root, view, map.trimmed);
      const o = map.omitted;
      const what = map.trimmed
        ? `${map.depth} levels; ${o.dirs} directories, ${o.dependencies} dependencies, ${o.externals} packages not shown`
        : undefined;
      return {
        text: map.text + notes(fields, what),
        data: {
          ...fields,
          path: focus,
          depth: map.depth,
          directories: map.dirs,
          dependencies: map.dependencies,
          externals: map.externals,
          omitted: { directories: o.dirs, dependencies: o.dependencies, externals: o.externals },
        },
      };
    });
  },
});
