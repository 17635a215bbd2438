// The `leindex` command line: registers every command with clipanion and runs it.
// Main thread. Exit codes are documented in README.md and come from errors.ts.

import { Builtins, Cli } from 'clipanion';
import { IndexCommand } from './index-command.js';
import { BenchCommand } from './bench-command.js';
import { ContextCommand } from './context-command.js';
import { SymbolCommand } from './symbol-command.js';
import { ImpactCommand } from './impact-command.js';

export async function main(argv: string[]): Promise<number> {
  const cli = new Cli({ binaryName: 'leindex', binaryLabel: 'leindex', binaryVersion: '0.1.0' });
  cli.register(IndexCommand);
  cli.register(BenchCommand);
  cli.register(ContextCommand);
  cli.register(SymbolCommand);
  cli.register(ImpactCommand);
  cli.register(Builtins.HelpCommand);
  cli.register(Builtins.VersionCommand);
  return cli.run(argv);
}
