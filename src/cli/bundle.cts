// Runs `leindex search` from its one-file bundle (dist/src/cli/search.bundle.cjs, built by
// `npm run build` through scripts/bundle-cli.mjs) with a V8 code cache beside it: a cold
// search then reads and compiles one file, not ~40 ES modules, clipanion's ~25 CommonJS
// files and lmdb-js's, and most of its functions come precompiled. bin/leindex.js asks here
// first and falls back to main.ts when there is no bundle or it is older than the compiled
// modules (a `tsc` build without the bundling step). CommonJS (compiled to bundle.cjs), like
// the bin, so a search never starts node's ES module loader. Imports nothing but node
// builtins. Main thread.

import fs = require('node:fs');
import nodeModule = require('node:module');
import path = require('node:path');
import vm = require('node:vm');

const SEARCH_BUNDLE = path.join(__dirname, 'search.bundle.cjs');
/** Written by `tsc` on every build that changes an output: a bundle older than it is stale. */
const TS_BUILD_INFO = path.join(__dirname, '..', '..', '.tsbuildinfo');

type CliMain = (argv: string[]) => Promise<number>;

function mtime(file: string): number | undefined {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/**
 * The bundled search command's main, or undefined when there is no current bundle (or
 * LEINDEX_BUNDLE=off). The code cache (`<bundle>.cache`) is written after the first run
 * that lacks a usable one, best effort: a read-only install just compiles every time.
 */
function bundledSearch(bundle = SEARCH_BUNDLE): CliMain | undefined {
  if (process.env.LEINDEX_BUNDLE === 'off') return undefined;
  let st: { size: number; mtimeMs: number };
  try {
    st = fs.statSync(bundle);
  } catch {
    return undefined;
  }
  const compiled = mtime(TS_BUILD_INFO);
  if (compiled !== undefined && st.mtimeMs < compiled) return undefined;
  const cacheFile = `${bundle}.cache`;
  // V8 checks a cache against the source's length only: the header ties it to this very
  // bundle file (size and mtime), so a rebuilt bundle never runs another one's code.
  const header = Buffer.from(`LXCC ${st.size} ${st.mtimeMs}\n`);
  let cachedData: Buffer | undefined;
  try {
    const bytes = fs.readFileSync(cacheFile);
    cachedData = bytes.subarray(0, header.length).equals(header) ? bytes.subarray(header.length) : undefined;
  } catch {
    cachedData = undefined;
  }
  const source = fs.readFileSync(bundle, 'utf8');
  // The CommonJS wrapper, as node's own loader builds it.
  const script = new vm.Script(
    `(function (exports, require, module, __filename, __dirname) {${source}\n})`,
    cachedData ? { filename: bundle, cachedData } : { filename: bundle },
  );
  const module = { exports: {} as { main?: CliMain } };
  (script.runInThisContext() as (...args: unknown[]) => void)(
    module.exports,
    nodeModule.createRequire(bundle),
    module,
    bundle,
    path.dirname(bundle),
  );
  const main = module.exports.main;
  if (typeof main !== 'function') return undefined;
  if (cachedData && !script.cachedDataRejected) return main;
  return async (argv) => {
    const code = await main(argv);
    // After the run, so the cache holds the functions a search compiled, not only the top level.
    try {
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, Buffer.concat([header, script.createCachedData()]));
      fs.renameSync(tmp, cacheFile);
    } catch {
      // A read-only install: no cache, every search compiles.
    }
    return code;
  };
}

export = { bundledSearch, SEARCH_BUNDLE };
