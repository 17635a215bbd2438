// `leindex search` alone: the entry scripts/bundle-cli.mjs bundles (with clipanion) into one
// file, dist/src/cli/search.bundle.cjs, that bin/leindex.js runs for a search (bundle.ts).
// Same command, same output as through main.ts: a plain command line is read directly
// (quick-argv.ts), without compiling clipanion's state machine; any other goes through
// clipanion. Main thread.

import { quickCommand } from './quick-argv.js';
import { runCli } from './run.js';
import { SearchCommand } from './search-command.js';

export function main(argv: string[]): Promise<number> {
  return runCli(argv, [SearchCommand], quickCommand(argv, SearchCommand));
}
