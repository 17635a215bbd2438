// The shape of an MCP tool of leindex (name, zod input and output schemas, annotations, and a
// run function that returns text + structured data or throws LeindexError), the context tools
// run in, and the one place tools are registered on the McpServer. Adding a tool is one file
// in tools/ plus one line in tools/index.ts. Server thread.

import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { LeindexError, isLeindexError } from '../errors.js';
import type { Logger } from '../util/log.js';
import type { ProjectView, Project } from './project.js';
import type { ProjectRegistry } from './projects.js';
import { errorResult, toResult, type ToolAnswer } from './result.js';

export interface ToolContext {
  projects: ProjectRegistry;
  /** Default token budget of answers (options.tokenBudget of the server). */
  tokenBudget: number;
  log: Logger;
  startedAtMs: number;
  stats: { calls: number; errors: number };
}

/** What a tool run gets from its call besides the arguments. */
export interface CallInfo {
  /** Aborted when the client cancels the call. */
  signal: AbortSignal;
  /** Sends an MCP progress notification; undefined when the client sent no progressToken. */
  progress: ((progress: number, message: string, total?: number) => void) | undefined;
}

export interface LeindexTool<I extends z.ZodRawShape, O extends z.ZodRawShape> {
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  annotations: ToolAnnotations;
  run(
    args: z.output<z.ZodObject<I>>,
    ctx: ToolContext,
    call: CallInfo,
  ): ToolAnswer<z.output<z.ZodObject<O>>> | Promise<ToolAnswer<z.output<z.ZodObject<O>>>>;
}

export type AnyTool = LeindexTool<z.ZodRawShape, z.ZodRawShape>;

/** Identity, for inference: `export const fooTool = defineTool({...})`. */
export function defineTool<I extends z.ZodRawShape, O extends z.ZodRawShape>(
  tool: LeindexTool<I, O>,
): LeindexTool<I, O> {
  return tool;
}

/** The `project_path` argument every project tool takes. */
export const projectPathArg = z
  .string()
  .max(4096)
  .optional()
  .describe("A project root this server serves, or a path inside one; default: the server's first root");

/** How a symbol tool's `symbol` argument names one symbol (see src/query/lookup.ts). */
const SYMBOL_SPEC = '"path/file.ts:Qualified.name", "path:LINE", "Qualified.name" or a plain name';

/** The `symbol` argument of the tools that act on one symbol (`spec`: what forms it takes). */
export function symbolArg(spec: string = SYMBOL_SPEC): z.ZodString {
  return z.string().min(1).max(2048).describe(spec);
}

/**
 * Runs `fn` on the project's current generation. If the generation was dropped under the
 * query (another process published twice since we looked), re-opens and runs once more.
 */
export async function withView<T>(
  ctx: ToolContext,
  projectPath: string | undefined,
  fn: (view: ProjectView, project: Project) => T,
): Promise<T> {
  const project = ctx.projects.resolve(projectPath);
  try {
    return await fn(await project.view(), project);
  } catch (err) {
    if (isLeindexError(err) && err.code === 'E_STORE_CORRUPT' && project.reopenIfNewer()) {
      return await fn(await project.view(), project);
    }
    throw err;
  }
}

export function registerTools(server: McpServer, tools: readonly AnyTool[], ctx: ToolContext): void {
  const names = new Set<string>();
  for (const tool of tools) {
    if (names.has(tool.name)) throw new LeindexError('E_INTERNAL', `tool ${tool.name} registered twice`);
    names.add(tool.name);
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.input,
        outputSchema: tool.output,
        annotations: tool.annotations,
      },
      async (args, extra) => {
        ctx.stats.calls++;
        const token = extra._meta?.progressToken;
        const call: CallInfo = {
          signal: extra.signal,
          progress:
            token === undefined
              ? undefined
              : (progress, message, total) => {
                  const params = {
                    progressToken: token,
                    progress,
                    message,
                    ...(total === undefined ? {} : { total }),
                  };
                  extra
                    .sendNotification({ method: 'notifications/progress', params })
                    .catch((err: unknown) => ctx.log.debug(`progress notification failed: ${String(err)}`));
                },
        };
        try {
          return toResult(await tool.run(args, ctx, call));
        } catch (err) {
          ctx.stats.errors++;
          return errorResult(err, ctx.log, tool.name);
        }
      },
    );
  }
}
