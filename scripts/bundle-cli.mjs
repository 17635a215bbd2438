// Bundles `leindex search` (dist/src/cli/search-main.js, compiled by tsc, with clipanion and
// typanion) into one CommonJS file, dist/src/cli/search.bundle.cjs, that bin/leindex.js runs
// with a V8 code cache (src/cli/bundle.ts): a cold search then loads one file instead of
// ~40 ES modules and ~25 of clipanion's. Other packages (lmdb, usearch: native addons
// loaded through createRequire; ignore, smol-toml: loaded on demand) stay outside. Part of
// `npm run build`, after tsc. Without esbuild installed it says so and bundles nothing: the
// CLI then runs the compiled modules, as it does for any bundle older than them.
// Usage: node scripts/bundle-cli.mjs
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const entry = `${root}dist/src/cli/search-main.js`;
const outfile = `${root}dist/src/cli/search.bundle.cjs`;
/** Bundled: pure JS the search path imports statically. */
const INLINE = new Set(['clipanion', 'typanion']);

let esbuild;
try {
  esbuild = require('esbuild');
} catch {
  process.stderr.write('bundle-cli: esbuild is not installed; `leindex search` runs unbundled\n');
  process.exit(0);
}
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
// A cache belongs to the bundle it was made from (bundle.ts also checks): drop the old one.
rmSync(`${outfile}.cache`, { force: true });
await esbuild.build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: Object.keys(pkg.dependencies).filter((name) => !INLINE.has(name)),
  // The modules find workers, models and packages relative to import.meta.url; every one of
  // them sits in dist/src/<stage>/, as the bundle does, so the same relative paths hold.
  define: { 'import.meta.url': '__leindexImportMetaUrl' },
  banner: { js: "const __leindexImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});
