#!/usr/bin/env node
// The installed `leindex` binary: runs the compiled CLI.
import { main } from '../dist/src/cli/main.js';

// A closed stdout (`leindex ... | head`) is a normal way to stop reading, not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

process.exitCode = await main(process.argv.slice(2));
