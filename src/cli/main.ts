// The `leindex` command line: registers the commands with clipanion and runs one. Only the
// module of the command being run is loaded (each pulls in its own dependencies: the store,
// the parse pool, the MCP SDK), which keeps a cold `leindex search` or `serve` start short.
// Main thread. Exit codes are documented in README.md and come from errors.ts.

import { Builtins, Cli, type Command, type CommandClass } from 'clipanion';
import { ExitCode } from '../errors.js';

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
  const cli = new Cli({
    binaryName: 'leindex',
    binaryLabel: 'leindex',
    binaryVersion: '0.1.0',
    enableColors: process.stdout.isTTY === true && !process.env.NO_COLOR,
  });
  const first = argv[0];
  const only = first !== undefined ? COMMANDS[first] : undefined;
  for (const load of only ? [only] : Object.values(COMMANDS)) cli.register(await load());
  cli.register(Builtins.HelpCommand);
  cli.register(Builtins.VersionCommand);
  // A command line clipanion cannot parse is a usage error (exit 2), not the exit 1 that
  // search and grep reserve for "nothing matched".
  let command: Command;
  try {
    command = cli.process(argv);
  } catch (err) {
    process.stderr.write(cli.error(err, { colored: process.stderr.isTTY === true && !process.env.NO_COLOR }));
    return ExitCode.usage;
  }
  return cli.run(command);
}
