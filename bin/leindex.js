#!/usr/bin/env node
// The installed `leindex` binary: runs the compiled CLI (`leindex search` from its one-file
// bundle when there is a current one: dist/src/cli/bundle.js).
import { bundledSearch } from '../dist/src/cli/bundle.js';

// A closed stdout (`leindex ... | head`) is a normal way to stop reading, not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const argv = process.argv.slice(2);
const main =
  (argv[0] === 'search' ? bundledSearch() : undefined) ?? (await import('../dist/src/cli/main.js')).main;
process.exitCode = await main(argv);
