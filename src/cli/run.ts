// Runs one command line through clipanion with the given command classes (plus help and
// version): shared by the full CLI (main.ts) and the search-only entry the cold-start bundle
// is built from (search-main.ts). Main thread.

import { Builtins, Cli, type Command, type CommandClass } from 'clipanion';
import { ExitCode } from '../errors.js';

/**
 * Runs `argv`; `parsed`, when given, is that line already read into a command (quick-argv.ts:
 * the search bundle's plain lines), which clipanion then runs as it runs one it parsed.
 */
export async function runCli(
  argv: string[],
  commands: readonly CommandClass[],
  parsed?: Command,
): Promise<number> {
  const cli = new Cli({
    binaryName: 'leindex',
    binaryLabel: 'leindex',
    binaryVersion: '0.1.0',
    enableColors: process.stdout.isTTY === true && !process.env.NO_COLOR,
  });
  for (const command of commands) cli.register(command);
  cli.register(Builtins.HelpCommand);
  cli.register(Builtins.VersionCommand);
  if (parsed) return cli.run(parsed);
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
