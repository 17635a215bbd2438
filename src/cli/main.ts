// The `leindex` command line: registers every command with clipanion and runs it.
// Main thread. Exit codes are documented in README.md and come from errors.ts.

import { Builtins, Cli, type Command } from 'clipanion';
import { ExitCode } from '../errors.js';
import { IndexCommand } from './index-command.js';
import { BenchCommand } from './bench-command.js';
import { SearchCommand } from './search-command.js';
import { GrepCommand } from './grep-command.js';
import { DiagnosticsCommand } from './diagnostics-command.js';
import { ServeCommand } from './serve-command.js';

export async function main(argv: string[]): Promise<number> {
  const cli = new Cli({ binaryName: 'leindex', binaryLabel: 'leindex', binaryVersion: '0.1.0' });
  cli.register(IndexCommand);
  cli.register(BenchCommand);
  cli.register(SearchCommand);
  cli.register(GrepCommand);
  cli.register(DiagnosticsCommand);
  cli.register(ServeCommand);
  cli.register(Builtins.HelpCommand);
  cli.register(Builtins.VersionCommand);
  // A command line clipanion cannot parse is a usage error (exit 2), not the exit 1 that
  // search and grep reserve for "nothing matched".
  let command: Command;
  try {
    command = cli.process(argv);
  } catch (err) {
    process.stderr.write(cli.error(err));
    return ExitCode.usage;
  }
  return cli.run(command);
}
