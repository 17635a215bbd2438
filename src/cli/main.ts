// The `leindex` command line: registers the commands with clipanion and runs one. Only the
// module of the command being run is loaded (each pulls in its own dependencies: the store,
// the parse pool, the MCP SDK), which keeps a cold `leindex search` or `serve` start short
// (`leindex search` itself usually runs from a one-file bundle instead: bundle.ts).
// Main thread. Exit codes are documented in README.md and come from errors.ts.

import type { CommandClass } from 'clipanion';
import { runCli } from './run.js';

type Loader = () => Promise<CommandClass>;

/** Command name → its module. `leindex --help` (or an unknown command) loads them all. */
const COMMANDS: Record<string, Loader> = {
  index: async () => (await import('./index-command.js')).IndexCommand,
  bench: async () => (await import('./bench-command.js')).BenchCommand,
  search: async () => (await import('./search-command.js')).SearchCommand,
  grep: async () => (await import('./grep-command.js')).GrepCommand,
  analyze: async () => (await import('./analyze-command.js')).AnalyzeCommand,
  context: async () => (await import('./context-command.js')).ContextCommand,
  symbol: async () => (await import('./symbol-command.js')).SymbolCommand,
  impact: async () => (await import('./impact-command.js')).ImpactCommand,
  diagnostics: async () => (await import('./diagnostics-command.js')).DiagnosticsCommand,
  serve: async () => (await import('./serve-command.js')).ServeCommand,
};

export async function main(argv: string[]): Promise<number> {
  const first = argv[0];
  const only = first !== undefined ? COMMANDS[first] : undefined;
  const commands: CommandClass[] = [];
  for (const load of only ? [only] : Object.values(COMMANDS)) commands.push(await load());
  return runCli(argv, commands);
}
