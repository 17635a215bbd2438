// The leindex MCP server: an McpServer with every tool of tools/index.ts registered over one
// ProjectRegistry. createServer() returns { server, close }; the transport is connected by
// the caller (cli/serve-command.ts uses stdio). Nothing here writes to stdout: logs go to the
// logger (stderr). Server thread.

import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { DEFAULT_TOKEN_BUDGET, type IndexOptions } from '../config.js';
import type { Logger } from '../util/log.js';
import type { ProjectSettings } from './project.js';
import { ProjectRegistry } from './projects.js';
import { registerTools, type AnyTool, type ToolContext } from './tool.js';
import { TOOLS } from './tools/index.js';

export const SERVER_NAME = 'leindex';
export const SERVER_VERSION = '0.1.0';

export interface ServerOptions {
  /** Absolute project roots; the first is the default project. */
  roots: readonly string[];
  /** Index options from the command line (win over each project's leindex.toml). */
  cliOptions: Partial<IndexOptions>;
  settings: ProjectSettings;
  log: Logger;
  /** Open each project's index right away (and start indexing a missing one). Default true. */
  warmUp?: boolean;
  /** Tools to offer (default: all of tools/index.ts). */
  tools?: readonly AnyTool[];
}

export const DEFAULT_SETTINGS: ProjectSettings = {
  autoRefresh: true,
  freshnessIntervalMs: 2000,
  freshnessWaitMs: 50,
  refreshDelayMs: 500,
  idleReleaseMs: 10 * 60_000,
};

const INSTRUCTIONS = `leindex indexes the code of a project (TypeScript/JavaScript, Python, Rust) into a program graph and answers from it.
Start with leindex_project_map for the layout, leindex_file_summary for a file's outline and links, and leindex_read_symbol for the exact source of one symbol instead of whole files.
The index refreshes itself when files change; answers say stale/refreshing when they come from an older generation. leindex_index forces a refresh (or a rebuild); leindex_diagnostics explains empty or odd answers.`;

export function createServer(opts: ServerOptions): { server: McpServer; close: () => Promise<void> } {
  const projects = new ProjectRegistry({
    roots: opts.roots,
    cliOptions: opts.cliOptions,
    settings: opts.settings,
    log: opts.log,
  });
  const first = projects.project(projects.defaultRoot);
  const ctx: ToolContext = {
    projects,
    tokenBudget: first.options.tokenBudget ?? DEFAULT_TOKEN_BUDGET,
    log: opts.log,
    startedAtMs: Date.now(),
    stats: { calls: 0, errors: 0 },
  };
  const server = new McpServer(
    { name: SERVER_NAME, version: SERVER_VERSION },
    { capabilities: { tools: {} }, instructions: INSTRUCTIONS },
  );
  registerTools(server, opts.tools ?? TOOLS, ctx);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await projects.close();
      await server.close();
    })();
    return closing;
  };
  if (opts.warmUp ?? true)
    setImmediate(() => {
      if (!closing) warmUp(projects, opts.log);
    });
  return { server, close };
}

/**
 * Opens each project's index, checks it is fresh and decodes its graph, so that the first
 * query does not pay for it, and a missing or stale index starts building at once.
 */
function warmUp(projects: ProjectRegistry, log: Logger): void {
  for (const root of projects.roots) {
    projects
      .project(root)
      .view()
      .then((view) => view.session.graph())
      .catch((err: unknown) => log.debug(`warm-up of ${root}: ${String(err)}`));
  }
}
