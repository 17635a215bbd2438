// `leindex serve`: the MCP server over stdio for AI coding agents. stdout carries MCP frames
// only (everything else, including stray console.log calls, goes to stderr); the server stops
// cleanly on stdin EOF, SIGINT or SIGTERM, stopping any index job and closing the store.
// Main thread; the MCP code is loaded only when this command runs.

import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'clipanion';
import { LeindexError } from '../errors.js';
import { createLogger } from '../util/log.js';
import { commonOptions, parseIntFlag, reportError, resolveRoot } from './common.js';

export class ServeCommand extends Command {
  static override paths = [['serve']];
  static override usage = Command.Usage({
    description: 'Serve the index to AI agents over MCP (stdio)',
    details: `
      Speaks the Model Context Protocol on stdin/stdout. Tools: leindex_index, leindex_diagnostics,
      leindex_project_map, leindex_file_summary, leindex_read_symbol. The index is built if missing
      and refreshed in the background when files change (--no-refresh turns both off). Several
      --path flags serve several projects; the first is the default.
    `,
    examples: [
      ['Serve the current directory', '$0 serve'],
      ['Serve a repository', '$0 serve --path ~/src/repo'],
    ],
  });

  target = Option.String({ required: false, name: 'path' });
  rootFlags = Option.Array('--path', {
    description: 'Project root to serve (repeatable; default: the current directory)',
  });
  indexDir = commonOptions.indexDir();
  threads = Option.String('--threads', {
    description: 'Parse threads of index jobs (default: available cores)',
  });
  tokenBudget = Option.String('--token-budget', {
    description: 'Default token budget of answers (default 8000)',
  });
  idleMinutes = Option.String('--idle-minutes', {
    description: 'Release cached index data after this many idle minutes (default 10)',
  });
  noRefresh = Option.Boolean('--no-refresh', false, {
    description: 'Never index by itself (no index on start, no refresh on change)',
  });
  noGit = Option.Boolean('--no-git', false, {
    description: 'Walk the tree instead of asking git for the file list',
  });
  quiet = commonOptions.quiet();
  verbose = commonOptions.verbose();

  async execute(): Promise<number> {
    const started = performance.now();
    // A stray console.log from any module would corrupt the JSON-RPC stream on stdout.
    console.log = console.error;
    console.info = console.error;
    console.debug = console.error;
    const log = createLogger({ quiet: this.quiet, verbose: this.verbose });
    try {
      const given = [...(this.rootFlags ?? []), ...(this.target !== undefined ? [this.target] : [])];
      const roots = (given.length ? given : ['.']).map((p) => realpathSync(resolveRoot(p)));
      if (this.indexDir !== undefined && roots.length > 1)
        throw new LeindexError('E_USAGE', '--index-dir applies to one project; give one --path with it');
      const threads = parseIntFlag(this.threads, '--threads');
      const tokenBudget = parseIntFlag(this.tokenBudget, '--token-budget');
      const idleMinutes = parseIntFlag(this.idleMinutes, '--idle-minutes');
      const { createServer, DEFAULT_SETTINGS } = await import('../mcp/server.js');
      const { StdioServerTransport } = await import('@modelcontextprotocol/sdk/server/stdio.js');
      const { server, close } = createServer({
        roots,
        cliOptions: {
          ...(threads !== undefined ? { threads } : {}),
          ...(tokenBudget !== undefined ? { tokenBudget } : {}),
          ...(this.indexDir !== undefined ? { indexDir: resolve(this.indexDir) } : {}),
          ...(this.noGit ? { useGit: false } : {}),
        },
        settings: {
          ...DEFAULT_SETTINGS,
          autoRefresh: !this.noRefresh,
          ...(idleMinutes !== undefined ? { idleReleaseMs: idleMinutes * 60_000 } : {}),
        },
        log,
      });

      const stopped = new Promise<string>((done) => {
        process.stdin.once('end', () => done('stdin closed'));
        process.once('SIGINT', () => done('SIGINT'));
        process.once('SIGTERM', () => done('SIGTERM'));
        server.server.onclose = () => done('transport closed');
      });
      await server.connect(new StdioServerTransport());
      log.info(
        `leindex serve: ready in ${Math.round(performance.now() - started)} ms, serving ${roots.join(', ')} (pid ${process.pid})`,
      );
      const why = await stopped;
      log.info(`leindex serve: stopping (${why})`);
      await close();
      // Anything still holding the event loop open (a stuck child, a socket) must not keep a
      // stopped server alive; the timer itself does not hold the loop.
      setTimeout(() => process.exit(0), 2000).unref();
      return 0;
    } catch (err) {
      return reportError(err);
    }
  }
}
