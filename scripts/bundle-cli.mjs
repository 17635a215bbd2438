// Bundles `leindex search` (dist/src/cli/search-main.js, compiled by tsc, with clipanion and
// typanion) into one CommonJS file, dist/src/cli/search.bundle.cjs, that bin/leindex.js runs
// with a V8 code cache (src/cli/bundle.cts): a cold search then loads one file instead of
// ~40 ES modules and ~25 of clipanion's. lmdb-js's JavaScript (its index.cjs, the msgpackr
// it depends on, ordered-binary, weak-lru-cache...: ~260 KB node compiled on every start)
// is bundled too, so the code cache covers it; its native addon is still found and loaded
// from its own package at run time. Other packages (usearch, the native addons; ignore,
// smol-toml: loaded on demand) stay outside. Part of `npm run build`, after tsc. Without
// esbuild installed it says so and bundles nothing: the CLI then runs the compiled modules,
// as it does for any bundle older than them.
// Usage: node scripts/bundle-cli.mjs
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const entry = `${root}dist/src/cli/search-main.js`;
const outfile = `${root}dist/src/cli/search.bundle.cjs`;
/** Bundled: pure JS the search path imports statically (msgpackr: lmdb-js's own copy). */
const INLINE = new Set(['clipanion', 'typanion', 'lmdb', 'msgpackr']);

let esbuild;
try {
  esbuild = require('esbuild');
} catch {
  process.stderr.write('bundle-cli: esbuild is not installed; `leindex search` runs unbundled\n');
  process.exit(0);
}
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));

/**
 * Source patches that let lmdb-js's JavaScript live in the bundle. Each must match exactly
 * once; when one does not (another lmdb-js or tsc output), lmdb-js stays outside, as before.
 */
const PATCHES = [
  {
    // native/lmdb.ts loads lmdb-js through a require of its own (createRequire), which a
    // bundler leaves alone: dropped, its require('lmdb') is the module's and gets bundled.
    file: /[\\/]dist[\\/]native[\\/]lmdb\.js$/,
    from: 'const require = createRequire(import.meta.url);',
    to: '',
  },
  {
    // lmdb-js finds its addon (prebuilds, @lmdb/lmdb-<platform>) and compression dictionary
    // from its own file name: the real one, not the bundle's. That is the file bundled here,
    // found at run time by its path relative to the bundle (realpath, as node's resolution
    // gives it); only when it is not there (the package moved without its node_modules
    // layout) is it resolved as `require.resolve('lmdb')`, which walks node_modules and reads
    // package.json files: ~3-7 ms of every cold search.
    file: /[\\/]lmdb[\\/]dist[\\/]index\.cjs$/,
    from: /\b__filename\b/g,
    to: '__lmdbFilename',
    prefix: (path) =>
      `var __lmdbFilename = (() => { try { return require("node:fs").realpathSync.native(require("node:path").join(__dirname, ${JSON.stringify(relative(dirname(outfile), path).split(sep).join('/'))})); } catch { return require("node:module").createRequire(__filename).resolve("lmdb"); } })();\n`,
  },
];

function patchPlugin(applied) {
  return {
    name: 'leindex-patches',
    setup(build) {
      for (const patch of PATCHES) {
        build.onLoad({ filter: patch.file }, (args) => {
          const source = readFileSync(args.path, 'utf8');
          const count =
            typeof patch.from === 'string'
              ? source.split(patch.from).length - 1
              : (source.match(patch.from) ?? []).length;
          if (count === 0 || (typeof patch.from === 'string' && count !== 1)) return undefined;
          applied.add(patch);
          const prefix = typeof patch.prefix === 'function' ? patch.prefix(args.path) : (patch.prefix ?? '');
          return { contents: prefix + source.replace(patch.from, patch.to), loader: 'js' };
        });
      }
    },
  };
}

async function bundle(inline) {
  const applied = new Set();
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // msgpackr-extract: msgpackr's optional addon (off for leindex, lmdb.ts): if a user turns
    // it on, it loads from its package, as do the addons' own loaders.
    external: [...Object.keys(pkg.dependencies).filter((name) => !inline.has(name)), 'msgpackr-extract'],
    // The modules find workers, models and packages relative to import.meta.url; every one of
    // them sits in dist/src/<stage>/, as the bundle does, so the same relative paths hold.
    define: { 'import.meta.url': '__leindexImportMetaUrl' },
    banner: { js: "const __leindexImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    plugins: inline.has('lmdb') ? [patchPlugin(applied)] : [],
    // Whitespace and syntax only (names stay, for stack traces): a smaller file to read,
    // hold as a string and hash for the cache, ~1.6x smaller with lmdb-js inside.
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: 'warning',
    write: false,
  });
  return { result, applied };
}

// A cache belongs to the bundle it was made from (bundle.ts also checks): drop the old one.
rmSync(`${outfile}.cache`, { force: true });
let { result, applied } = await bundle(INLINE);
if (applied.size !== PATCHES.length) {
  process.stderr.write('bundle-cli: lmdb-js does not look as expected; it stays outside the bundle\n');
  ({ result } = await bundle(new Set([...INLINE].filter((name) => name !== 'lmdb' && name !== 'msgpackr'))));
}
for (const file of result.outputFiles) writeFileSync(file.path, file.contents);
