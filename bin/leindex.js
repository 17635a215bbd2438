#!/usr/bin/env node
// The installed `leindex` binary: runs the compiled CLI (`leindex search` from its one-file
// bundle when there is a current one: dist/src/cli/bundle.cjs). CommonJS (bin/package.json),
// so a bundled search never starts node's ES module loader; every other command, or a
// search without a current bundle, imports the compiled ES modules (main.ts).
'use strict';

// A closed stdout (`leindex ... | head`) is a normal way to stop reading, not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const argv = process.argv.slice(2);
const bundled = argv[0] === 'search' ? require('../dist/src/cli/bundle.cjs').bundledSearch() : undefined;
(bundled ? Promise.resolve(bundled) : import('../dist/src/cli/main.js').then((m) => m.main))
  .then((main) => main(argv))
  .then((code) => {
    process.exitCode = code;
  });
