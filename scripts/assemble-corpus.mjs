// Assembles the fixed, versioned benchmark corpus of real code (Rust, Python, TypeScript and
// JavaScript projects) from the pinned inputs in bench/corpus.json, so that CI and every developer
// index and measure exactly the same bytes. Each project lands in its own directory
// <out>/<language>/<name>-<version>/ and <out>/MANIFEST.json records its identity, its source
// (Debian package=version, npm name@version with tarball integrity) and a digest.
//
// Usage: node scripts/assemble-corpus.mjs [--out bench/corpus] [--scale N] [--spec bench/corpus.json]
//                                         [--no-install] [--write-pins]
//   --out DIR      corpus directory (default bench/corpus under the repository root)
//   --scale N      also write DIR-xN/ holding N copies (copy1/ ... copyN/) for the scale benchmark,
//                  as hard links where the file system allows, else as copies
//   --spec FILE    pinned inputs (default bench/corpus.json)
//   --no-install   never run apt-get: fail when a pinned Debian package is missing instead
//   --write-pins   maintainer mode after changing the inputs: record the npm tarball integrities and
//                  each project's expected files/bytes/sha256 into the spec instead of checking them
//
// Inputs: Debian packages (librust-*-dev crate sources under /usr/share/cargo/registry, the CPython
// standard library, python3-* packages under /usr/lib/python3/dist-packages), installed with
// apt-get at the pinned versions when missing (needs root), and npm tarballs fetched with
// `npm pack`. Only files with the spec's source extensions are kept, minus the paths leindex skips
// by default (its DEFAULT_EXCLUDES and the 1 MiB max_file_size), so the corpus is exactly what a
// default index run reads. Output is deterministic: sorted, modes 0644/0755, every mtime set to
// the spec's constant date, so size+mtime based incremental checks are stable across machines.
//
// A re-run on an existing corpus re-hashes it against MANIFEST.json and is a no-op when it matches;
// a project whose inputs changed or whose files do not match is rebuilt, stray directories go.
// Progress goes to stderr; one summary line goes to stdout; failures exit 1 with a message.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Buffer } from 'node:buffer';
import { fileURLToPath } from 'node:url';

const ASSEMBLER_VERSION = 1;
const MANIFEST_SCHEMA = 1;
const SPEC_SCHEMA = 1;
const MARKER = '.leindex-corpus';
const LANGUAGES = ['rust', 'python', 'typescript', 'javascript'];
const LOCK_WAIT_MS = 20 * 60 * 1000;
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const started = Date.now();

class CorpusError extends Error {}

function fail(message) {
  throw new CorpusError(message);
}

function log(message) {
  process.stderr.write(`[corpus ${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${message}\n`);
}

function mb(bytes) {
  return (bytes / 1e6).toFixed(2);
}

function sha256(data) {
  return createHash('sha256').update(data).digest('hex');
}

/** JSON with object keys sorted, so digests of specs do not depend on key order. */
function canonicalJson(value) {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function byteCompare(a, b) {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function sleepMs(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

// ---------------------------------------------------------------------------------------------
// Arguments and spec

function parseArgs(argv) {
  const opts = {
    out: path.join(repoRoot, 'bench', 'corpus'),
    spec: path.join(repoRoot, 'bench', 'corpus.json'),
    scale: 0,
    install: true,
    writePins: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') fail(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--out':
        opts.out = path.resolve(value());
        break;
      case '--spec':
        opts.spec = path.resolve(value());
        break;
      case '--scale': {
        const v = value();
        const n = Number(v);
        if (!Number.isInteger(n) || n < 2 || n > 16)
          fail(`--scale wants an integer from 2 to 16 (2 or 4), got '${v}'`);
        opts.scale = n;
        break;
      }
      case '--no-install':
        opts.install = false;
        break;
      case '--write-pins':
        opts.writePins = true;
        break;
      case '-h':
      case '--help':
        process.stdout.write(
          'Usage: node scripts/assemble-corpus.mjs [--out bench/corpus] [--scale N] [--spec bench/corpus.json]\n' +
            '                                      [--no-install] [--write-pins]\n',
        );
        process.exit(0);
        break;
      default:
        fail(`unknown argument '${arg}' (try --help)`);
    }
  }
  opts.out = opts.out.replace(/\/+$/, '');
  return opts;
}

function loadSpec(file) {
  let spec;
  try {
    spec = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    fail(`cannot read the corpus spec ${file}: ${err.message}`);
  }
  const where = (i, p) => `${file}: projects[${i}]${p?.name ? ` (${p.name})` : ''}`;
  if (spec.schema !== SPEC_SCHEMA)
    fail(`${file}: schema ${spec.schema} is not supported (want ${SPEC_SCHEMA})`);
  const r = spec.rules;
  if (!r || !Array.isArray(r.extensions) || !Array.isArray(r.exclude) || !Number.isInteger(r.maxFileBytes))
    fail(`${file}: rules needs extensions[], exclude[] and maxFileBytes`);
  if (Number.isNaN(Date.parse(r.mtime))) fail(`${file}: rules.mtime is not a date: ${r.mtime}`);
  if (!Array.isArray(spec.projects) || spec.projects.length === 0) fail(`${file}: no projects`);
  const seen = new Set();
  spec.projects.forEach((p, i) => {
    if (!LANGUAGES.includes(p.language))
      fail(`${where(i, p)}: language must be one of ${LANGUAGES.join(', ')}`);
    if (typeof p.name !== 'string' || !p.name || typeof p.version !== 'string' || !p.version)
      fail(`${where(i, p)}: needs name and version`);
    const s = p.source ?? {};
    if (s.type === 'debian') {
      if (!s.packages || Object.keys(s.packages).length === 0)
        fail(`${where(i, p)}: debian source needs packages`);
      if (typeof s.root !== 'string' || !path.isAbsolute(s.root))
        fail(`${where(i, p)}: debian source needs an absolute root`);
    } else if (s.type === 'npm') {
      if (typeof s.package !== 'string' || typeof s.version !== 'string')
        fail(`${where(i, p)}: npm source needs package and version`);
      if (!/^\d+\.\d+\.\d+([-+][\w.-]+)?$/.test(s.version))
        fail(`${where(i, p)}: npm version must be exact, got ${s.version}`);
    } else {
      fail(`${where(i, p)}: source.type must be 'debian' or 'npm'`);
    }
    p.path = `${p.language}/${p.name.replace(/^@/, '').replace(/\//g, '__')}-${p.version}`;
    if (seen.has(p.path)) fail(`${where(i, p)}: two projects map to ${p.path}`);
    seen.add(p.path);
  });
  return spec;
}

/** A project's source as MANIFEST.json records it: the spec's entry, with the npm integrity actually seen. */
function sourceOf(project, integrity) {
  const s = project.source;
  if (s.type === 'debian')
    return {
      type: 'debian',
      packages: s.packages,
      root: s.root,
      ...(s.exclude ? { exclude: s.exclude } : {}),
    };
  return {
    type: 'npm',
    package: s.package,
    version: s.version,
    integrity: integrity ?? s.integrity,
    ...(s.include ? { include: s.include } : {}),
  };
}

function withoutExpect(project) {
  const { expect: _expect, path: _path, ...rest } = project;
  return rest;
}

/** Identifies everything that determines a project's bytes: rules, its spec entry, this script's version. */
function inputKeyOf(spec, project) {
  return sha256(
    canonicalJson({ assembler: ASSEMBLER_VERSION, rules: spec.rules, project: withoutExpect(project) }),
  );
}

function globToRegExp(glob) {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\?]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
}

/** Returns (relPath, size) => reason it is left out, or null to keep it. */
function makeFilter(rules, project) {
  const exts = new Set(rules.extensions);
  const dirRes = rules.exclude.filter((g) => g.endsWith('/')).map((g) => globToRegExp(g.slice(0, -1)));
  const fileRes = rules.exclude.filter((g) => !g.endsWith('/')).map(globToRegExp);
  const include = project.source.include ?? [];
  const prefixes = project.source.exclude ?? [];
  return (rel, size) => {
    if (include.length && !include.some((p) => (p.endsWith('/') ? rel.startsWith(p) : rel === p)))
      return 'notIncluded';
    if (prefixes.some((p) => rel.startsWith(p))) return 'excluded';
    const segs = rel.split('/');
    const base = segs[segs.length - 1];
    const dot = base.lastIndexOf('.');
    if (dot <= 0 || !exts.has(base.slice(dot).toLowerCase())) return 'extension';
    if (segs.slice(0, -1).some((s) => dirRes.some((re) => re.test(s)))) return 'excluded';
    if (fileRes.some((re) => re.test(base))) return 'excluded';
    if (size > rules.maxFileBytes) return 'tooLarge';
    return null;
  };
}

// ---------------------------------------------------------------------------------------------
// Hashing and file trees

/**
 * Walks dir and returns its regular files sorted by byte order of their '/'-separated relative paths,
 * with sizes and sha256; anything that is neither a regular file nor a directory is a problem.
 */
function hashTree(dir, mtimeMs) {
  const files = [];
  const problems = [];
  let touched = 0;
  const walk = (abs, rel) => {
    for (const ent of fs.readdirSync(abs, { withFileTypes: true })) {
      const a = path.join(abs, ent.name);
      const r = rel ? `${rel}/${ent.name}` : ent.name;
      if (ent.isDirectory()) walk(a, r);
      else if (ent.isFile()) {
        const data = fs.readFileSync(a);
        files.push({ rel: r, size: data.length, sha: sha256(data) });
        if (mtimeMs !== undefined && fs.statSync(a).mtimeMs !== mtimeMs) {
          fs.utimesSync(a, mtimeMs / 1000, mtimeMs / 1000);
          touched++;
        }
      } else problems.push(`${r} is not a regular file`);
    }
    if (mtimeMs !== undefined && fs.statSync(abs).mtimeMs !== mtimeMs) {
      fs.utimesSync(abs, mtimeMs / 1000, mtimeMs / 1000);
      touched++;
    }
  };
  walk(dir, '');
  files.sort((a, b) => byteCompare(a.rel, b.rel));
  return { ...summarize(files), problems, touched };
}

function summarize(files) {
  const h = createHash('sha256');
  let bytes = 0;
  const byExtension = {};
  for (const f of files) {
    h.update(`${f.rel}\0${f.sha}\n`);
    bytes += f.size;
    const base = f.rel.slice(f.rel.lastIndexOf('/') + 1);
    const ext = base.slice(base.lastIndexOf('.')).toLowerCase();
    const e = (byExtension[ext] ??= { files: 0, bytes: 0 });
    e.files++;
    e.bytes += f.size;
  }
  const sortedExt = Object.fromEntries(Object.entries(byExtension).sort(([a], [b]) => byteCompare(a, b)));
  return { files: files.length, bytes, sha256: h.digest('hex'), byExtension: sortedExt };
}

function setDirTimes(dir, mtimeSec) {
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    if (ent.isDirectory()) setDirTimes(path.join(dir, ent.name), mtimeSec);
  }
  fs.utimesSync(dir, mtimeSec, mtimeSec);
}

function rmrf(p) {
  fs.rmSync(p, { recursive: true, force: true });
}

/** Copies the kept files into dest with fixed modes and mtimes; returns the project summary. */
function writeProject(sources, dest, mtimeSec) {
  rmrf(dest);
  const files = [];
  const made = new Set();
  for (const s of sources) {
    const data = fs.readFileSync(s.abs);
    const target = path.join(dest, ...s.rel.split('/'));
    const parent = path.dirname(target);
    if (!made.has(parent)) {
      fs.mkdirSync(parent, { recursive: true, mode: 0o755 });
      made.add(parent);
    }
    fs.writeFileSync(target, data, { mode: 0o644 });
    fs.chmodSync(target, 0o644);
    fs.utimesSync(target, mtimeSec, mtimeSec);
    files.push({ rel: s.rel, size: data.length, sha: sha256(data) });
  }
  for (const d of made) fs.chmodSync(d, 0o755);
  if (files.length) setDirTimes(dest, mtimeSec);
  files.sort((a, b) => byteCompare(a.rel, b.rel));
  return summarize(files);
}

/** Applies the filter to candidate files {abs, rel, size, symlink}; returns kept (sorted) and skip counts. */
function selectFiles(candidates, filter, project) {
  const skipped = { notIncluded: 0, excluded: 0, extension: 0, tooLarge: 0, symlink: 0 };
  const kept = [];
  const seen = new Set();
  const include = project.source.include ?? [];
  const includeHits = new Set();
  for (const c of candidates) {
    if (seen.has(c.rel)) continue;
    seen.add(c.rel);
    for (const p of include) if (p.endsWith('/') ? c.rel.startsWith(p) : c.rel === p) includeHits.add(p);
    const reason = filter(c.rel, c.size);
    if (reason) skipped[reason]++;
    else if (c.symlink) skipped.symlink++;
    else kept.push(c);
  }
  const missing = include.filter((p) => !includeHits.has(p));
  if (missing.length)
    fail(`${project.path}: include entries match nothing in the package: ${missing.join(', ')}`);
  kept.sort((a, b) => byteCompare(a.rel, b.rel));
  return { kept, skipped };
}

// ---------------------------------------------------------------------------------------------
// Debian

function run(cmd, args, options = {}) {
  const res = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 << 20, ...options });
  if (res.error) {
    if (res.error.code === 'ENOENT')
      fail(`'${cmd}' is not installed or not on PATH (needed for: ${cmd} ${args[0] ?? ''})`);
    fail(`${cmd} ${args.join(' ')} failed to run: ${res.error.message}`);
  }
  return res;
}

function tail(text, lines = 25) {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Installed versions ('ii' state) of the given Debian packages. */
function dpkgInstalled(pkgs) {
  const res = run('dpkg-query', [
    '-W',
    '--showformat=${Package}\t${Version}\t${db:Status-Abbrev}\n',
    ...pkgs,
  ]);
  const installed = new Map();
  for (const line of res.stdout.split('\n')) {
    const [name, version, status] = line.split('\t');
    if (name && status?.startsWith('ii')) installed.set(name.replace(/:.*$/, ''), version);
  }
  return installed;
}

/** Versions apt can install, per package, from one `apt-cache madison` call. */
function aptAvailable(pkgs) {
  const res = run('apt-cache', ['madison', ...pkgs]);
  const offers = new Map(pkgs.map((p) => [p, []]));
  for (const line of res.stdout.split('\n')) {
    const cols = line.split('|').map((x) => x.trim());
    if (cols.length >= 3 && offers.has(cols[0])) offers.get(cols[0]).push(cols[1]);
  }
  return offers;
}

const LOCK_RE =
  /Could not get lock|Unable to acquire the dpkg frontend lock|Unable to lock (directory|the administration)|is another process using it/i;

/** Runs apt-get, waiting while another apt/dpkg holds the lock. */
function aptGet(args) {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (let attempt = 1; ; attempt++) {
    const res = run('apt-get', ['-o', 'DPkg::Lock::Timeout=120', ...args], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (res.status === 0) return res;
    const text = `${res.stdout}\n${res.stderr}`;
    if (LOCK_RE.test(text) && Date.now() < deadline) {
      log(`apt-get ${args[0]}: the apt/dpkg lock is held by another process; waiting (attempt ${attempt})`);
      sleepMs(10_000);
      continue;
    }
    fail(`apt-get ${args.join(' ')} failed with exit ${res.status}:\n${tail(text)}`);
  }
}

/** Makes sure every pinned Debian package is installed at its pinned version. */
function ensureDebianPackages(pins, opts) {
  const names = [...pins.keys()].sort();
  let installed = dpkgInstalled(names);
  const missing = names.filter((n) => installed.get(n) !== pins.get(n));
  if (missing.length === 0) {
    log(`debian: all ${names.length} pinned packages are installed at their pinned versions`);
    return;
  }
  const describe = (n) =>
    `${n}=${pins.get(n)}${installed.has(n) ? ` (installed: ${installed.get(n)})` : ' (not installed)'}`;
  if (!opts.install)
    fail(
      `--no-install given but these pinned Debian packages are missing:\n  ${missing.map(describe).join('\n  ')}`,
    );
  if (typeof process.getuid === 'function' && process.getuid() !== 0)
    fail(
      `these pinned Debian packages are missing and installing them needs root:\n  ${missing.map(describe).join('\n  ')}\n` +
        `run as root, or: sudo apt-get install --no-install-recommends ${missing.map((n) => `${n}=${pins.get(n)}`).join(' ')}`,
    );
  const unavailable = () => {
    const offers = aptAvailable(missing);
    return missing
      .filter((n) => !offers.get(n).includes(pins.get(n)))
      .map((n) => ({ n, offers: offers.get(n) }));
  };
  let gone = unavailable();
  if (gone.length) {
    log(`debian: ${gone.length} pinned versions not in the apt lists; running apt-get update`);
    aptGet(['update']);
    gone = unavailable();
  }
  if (gone.length) {
    fail(
      `these pinned Debian package versions are no longer served by the configured apt sources:\n  ` +
        gone
          .map(({ n, offers }) => `${n}=${pins.get(n)} (apt offers: ${offers.join(', ') || 'nothing'})`)
          .join('\n  ') +
        `\nbump the pins in ${opts.spec} (then run with --write-pins and commit the new digests)`,
    );
  }
  log(
    `debian: installing ${missing.length} packages: ${missing.map((n) => `${n}=${pins.get(n)}`).join(' ')}`,
  );
  const t0 = Date.now();
  aptGet(['install', '-y', '--no-install-recommends', ...missing.map((n) => `${n}=${pins.get(n)}`)]);
  log(`debian: installed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  installed = dpkgInstalled(names);
  const still = names.filter((n) => installed.get(n) !== pins.get(n));
  if (still.length)
    fail(
      `after apt-get install these are still not at their pinned versions:\n  ${still.map(describe).join('\n  ')}`,
    );
}

const dpkgListCache = new Map();

function dpkgFiles(pkg) {
  if (!dpkgListCache.has(pkg)) {
    const res = run('dpkg-query', ['-L', pkg]);
    if (res.status !== 0) fail(`dpkg-query -L ${pkg} failed: ${tail(res.stderr, 5)}`);
    dpkgListCache.set(
      pkg,
      res.stdout.split('\n').filter((l) => l.startsWith('/')),
    );
  }
  return dpkgListCache.get(pkg);
}

function debianCandidates(project) {
  const root = project.source.root.replace(/\/+$/, '');
  if (!fs.existsSync(root))
    fail(`${project.path}: ${root} does not exist although its packages are installed`);
  const out = [];
  for (const pkg of Object.keys(project.source.packages)) {
    for (const abs of dpkgFiles(pkg)) {
      if (!abs.startsWith(`${root}/`)) continue;
      let st;
      try {
        st = fs.lstatSync(abs);
      } catch {
        fail(`${project.path}: ${abs} is listed by dpkg for ${pkg} but missing on disk (reinstall ${pkg})`);
      }
      if (st.isDirectory()) continue;
      out.push({
        abs,
        rel: abs.slice(root.length + 1),
        size: st.size,
        symlink: st.isSymbolicLink() || !st.isFile(),
      });
    }
  }
  if (out.length === 0) fail(`${project.path}: its packages install no files under ${root}`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// npm

function integrityOf(file) {
  return `sha512-${createHash('sha512').update(fs.readFileSync(file)).digest('base64')}`;
}

/** Fetches every npm project's tarball with one `npm pack`; returns Map path -> {tarball, integrity}. */
function fetchNpm(projects, tmp, opts) {
  const out = new Map();
  if (projects.length === 0) return out;
  const specs = projects.map((p) => `${p.source.package}@${p.source.version}`);
  log(`npm: fetching ${specs.length} tarballs with npm pack`);
  const packDir = path.join(tmp, 'npm');
  fs.mkdirSync(packDir, { recursive: true });
  const res = run('npm', ['pack', ...specs, '--json', '--ignore-scripts', '--pack-destination', packDir], {
    cwd: packDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      npm_config_update_notifier: 'false',
      npm_config_fund: 'false',
      npm_config_audit: 'false',
    },
    timeout: 15 * 60 * 1000,
  });
  if (res.status !== 0)
    fail(`npm pack ${specs.join(' ')} failed with exit ${res.status}:\n${tail(res.stderr || res.stdout)}`);
  let packed;
  try {
    packed = JSON.parse(res.stdout);
  } catch {
    fail(`npm pack printed no JSON:\n${tail(res.stdout)}`);
  }
  const problems = [];
  for (const p of projects) {
    const hit = packed.find((x) => x.name === p.source.package && x.version === p.source.version);
    if (!hit) {
      problems.push(`${p.source.package}@${p.source.version}: npm pack returned no tarball for it`);
      continue;
    }
    const tarball = path.join(packDir, hit.filename);
    const integrity = integrityOf(tarball);
    if (p.source.integrity && p.source.integrity !== integrity)
      problems.push(
        `${p.source.package}@${p.source.version}: tarball integrity ${integrity} differs from the pinned ${p.source.integrity}`,
      );
    else if (!p.source.integrity && !opts.writePins)
      problems.push(
        `${p.source.package}@${p.source.version}: no integrity pinned in the spec (run with --write-pins to record it)`,
      );
    out.set(p.path, { tarball, integrity });
  }
  if (problems.length) fail(`npm inputs do not match their pins:\n  ${problems.join('\n  ')}`);
  return out;
}

function npmCandidates(project, tarball, tmp) {
  const dir = path.join(tmp, 'unpacked', project.path);
  fs.mkdirSync(dir, { recursive: true });
  const res = run('tar', ['-xzf', tarball, '-C', dir, '--no-same-owner', '--no-same-permissions']);
  if (res.status !== 0) fail(`${project.path}: cannot unpack ${tarball}: ${tail(res.stderr, 5)}`);
  const tops = fs.readdirSync(dir);
  if (tops.length !== 1 || !fs.statSync(path.join(dir, tops[0])).isDirectory())
    fail(`${project.path}: tarball does not have a single top-level directory (found: ${tops.join(', ')})`);
  const root = path.join(dir, tops[0]);
  const out = [];
  const walk = (abs, rel) => {
    for (const ent of fs.readdirSync(abs, { withFileTypes: true })) {
      const a = path.join(abs, ent.name);
      const r = rel ? `${rel}/${ent.name}` : ent.name;
      if (ent.isDirectory()) walk(a, r);
      else out.push({ abs: a, rel: r, size: fs.lstatSync(a).size, symlink: !ent.isFile() });
    }
  };
  walk(root, '');
  return out;
}

// ---------------------------------------------------------------------------------------------
// Corpus directory

function ensureOwnedDir(dir, marker, what) {
  if (fs.existsSync(dir)) {
    if (!fs.statSync(dir).isDirectory()) fail(`${dir} exists and is not a directory`);
    const entries = fs.readdirSync(dir);
    if (entries.length && !entries.includes(marker))
      fail(
        `refusing to write the ${what} into ${dir}: it is not empty and has no ${marker} marker (not made by this script)`,
      );
  } else {
    fs.mkdirSync(dir, { recursive: true });
  }
  const markerPath = path.join(dir, marker);
  if (!fs.existsSync(markerPath))
    fs.writeFileSync(markerPath, 'Made by scripts/assemble-corpus.mjs; safe to delete.\n');
}

function readManifest(out) {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(out, 'MANIFEST.json'), 'utf8'));
    return m.schema === MANIFEST_SCHEMA ? m : undefined;
  } catch {
    return undefined;
  }
}

/** Checks an existing project directory against its manifest entry; returns a reason it is stale, or null. */
function staleReason(spec, project, entry, out, mtimeMs) {
  if (!entry) return 'not in MANIFEST.json';
  if (entry.inputKey !== inputKeyOf(spec, project)) return 'its inputs changed';
  const dir = path.join(out, ...project.path.split('/'));
  if (!fs.existsSync(dir)) return 'its directory is missing';
  const t = hashTree(dir, mtimeMs);
  if (t.problems.length) return t.problems[0];
  if (t.touched) log(`${project.path}: reset ${t.touched} mtimes to the corpus date`);
  if (t.sha256 !== entry.sha256 || t.files !== entry.files || t.bytes !== entry.bytes)
    return `its files changed (${t.files} files, ${t.bytes} bytes, sha256 ${t.sha256.slice(0, 12)} vs recorded ${entry.sha256.slice(0, 12)})`;
  return null;
}

function removeStrays(out, projects) {
  const wanted = new Map();
  for (const p of projects) {
    const [lang, dir] = p.path.split('/');
    if (!wanted.has(lang)) wanted.set(lang, new Set());
    wanted.get(lang).add(dir);
  }
  for (const name of fs.readdirSync(out)) {
    // Dot entries (the marker, an index a benchmark run kept here such as .leindex/) are not ours to judge.
    if (name.startsWith('.') || name === 'MANIFEST.json') continue;
    const abs = path.join(out, name);
    if (!wanted.has(name)) {
      log(`removing stray ${abs}`);
      rmrf(abs);
      continue;
    }
    for (const dir of fs.readdirSync(abs)) {
      if (wanted.get(name).has(dir)) continue;
      log(`removing stray ${path.join(abs, dir)}`);
      rmrf(path.join(abs, dir));
    }
  }
}

function totalsOf(entries) {
  const byLanguage = {};
  const byFileLanguage = {};
  const fileLang = {
    '.rs': 'rust',
    '.py': 'python',
    '.pyi': 'python',
    '.ts': 'typescript',
    '.mts': 'typescript',
    '.cts': 'typescript',
    '.tsx': 'tsx',
    '.js': 'javascript',
    '.mjs': 'javascript',
    '.cjs': 'javascript',
    '.jsx': 'javascript',
  };
  const h = createHash('sha256');
  let files = 0;
  let bytes = 0;
  for (const e of entries) {
    h.update(`${e.path}\0${e.sha256}\n`);
    files += e.files;
    bytes += e.bytes;
    const l = (byLanguage[e.language] ??= { projects: 0, files: 0, bytes: 0 });
    l.projects++;
    l.files += e.files;
    l.bytes += e.bytes;
    for (const [ext, v] of Object.entries(e.byExtension)) {
      const fl = (byFileLanguage[fileLang[ext] ?? ext] ??= { files: 0, bytes: 0 });
      fl.files += v.files;
      fl.bytes += v.bytes;
    }
  }
  const order = (o) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => byteCompare(a, b)));
  return {
    projects: entries.length,
    files,
    bytes,
    sha256: h.digest('hex'),
    byLanguage: order(byLanguage),
    byFileLanguage: order(byFileLanguage),
  };
}

function summaryLine(out, totals, extra) {
  const langs = Object.entries(totals.byLanguage)
    .map(([l, v]) => `${l} ${v.projects}p/${v.files}f/${mb(v.bytes)}MB`)
    .join(', ');
  return `corpus ${path.relative(process.cwd(), out) || '.'}: ${totals.projects} projects, ${totals.files} files, ${mb(totals.bytes)} MB (${langs}) sha256 ${totals.sha256}; ${extra}`;
}

// ---------------------------------------------------------------------------------------------
// Scale copies

function buildScale(out, manifest, n, mtimeSec) {
  const dir = `${out}-x${n}`;
  const stamp = {
    schema: MANIFEST_SCHEMA,
    base: path.basename(out),
    baseSha256: manifest.totals.sha256,
    copies: n,
  };
  const files = [];
  for (const p of manifest.projects) {
    const walk = (abs, rel) => {
      for (const ent of fs.readdirSync(abs, { withFileTypes: true })) {
        if (ent.isDirectory()) walk(path.join(abs, ent.name), `${rel}/${ent.name}`);
        else files.push({ rel: `${rel}/${ent.name}`, size: fs.statSync(path.join(abs, ent.name)).size });
      }
    };
    walk(path.join(out, ...p.path.split('/')), p.path);
  }
  try {
    const old = JSON.parse(fs.readFileSync(path.join(dir, 'SCALE.json'), 'utf8'));
    if (old.baseSha256 === stamp.baseSha256 && old.copies === n && old.files === files.length * n) {
      const ok = files.every((f) => {
        for (let k = 1; k <= n; k++) {
          try {
            if (fs.statSync(path.join(dir, `copy${k}`, ...f.rel.split('/'))).size !== f.size) return false;
          } catch {
            return false;
          }
        }
        return true;
      });
      if (ok && fs.readdirSync(dir).filter((e) => e.startsWith('copy')).length === n) {
        log(`scale: ${dir} is up to date`);
        return { dir, linkMode: old.linkMode, reused: true };
      }
    }
  } catch {
    // no usable SCALE.json: rebuild
  }
  ensureOwnedDir(dir, MARKER, 'scale corpus');
  for (const name of fs.readdirSync(dir)) if (!name.startsWith('.')) rmrf(path.join(dir, name));
  let links = 0;
  let copies = 0;
  for (let k = 1; k <= n; k++) {
    log(`scale: writing ${dir}/copy${k}`);
    const made = new Set();
    for (const f of files) {
      const src = path.join(out, ...f.rel.split('/'));
      const dst = path.join(dir, `copy${k}`, ...f.rel.split('/'));
      const parent = path.dirname(dst);
      if (!made.has(parent)) {
        fs.mkdirSync(parent, { recursive: true, mode: 0o755 });
        made.add(parent);
      }
      try {
        fs.linkSync(src, dst);
        links++;
      } catch (err) {
        if (!['EXDEV', 'EPERM', 'EMLINK', 'ENOTSUP', 'EOPNOTSUPP'].includes(err.code)) throw err;
        fs.copyFileSync(src, dst);
        fs.chmodSync(dst, 0o644);
        fs.utimesSync(dst, mtimeSec, mtimeSec);
        copies++;
      }
    }
    setDirTimes(path.join(dir, `copy${k}`), mtimeSec);
  }
  const linkMode = copies === 0 ? 'hardlink' : links === 0 ? 'copy' : 'mixed';
  fs.writeFileSync(
    path.join(dir, 'SCALE.json'),
    `${JSON.stringify({ ...stamp, files: files.length * n, bytes: manifest.totals.bytes * n, linkMode }, null, 2)}\n`,
  );
  return { dir, linkMode, reused: false };
}

// ---------------------------------------------------------------------------------------------
// Main

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const spec = loadSpec(opts.spec);
  const mtimeMs = Date.parse(spec.rules.mtime);
  const mtimeSec = mtimeMs / 1000;
  const out = opts.out;
  log(`spec ${path.relative(process.cwd(), opts.spec)}: ${spec.projects.length} projects; output ${out}`);

  ensureOwnedDir(out, MARKER, 'corpus');
  rmrf(path.join(out, '.staging'));
  const previous = readManifest(out);
  const prevByPath = new Map((previous?.projects ?? []).map((e) => [e.path, e]));

  // 1. Which projects are already present and intact?
  const entries = new Map();
  const todo = [];
  const t0 = Date.now();
  for (const p of spec.projects) {
    const reason = staleReason(spec, p, prevByPath.get(p.path), out, mtimeMs);
    if (reason === null) entries.set(p.path, prevByPath.get(p.path));
    else {
      todo.push(p);
      if (previous) log(`${p.path}: rebuild (${reason})`);
    }
  }
  log(
    `verified ${entries.size} of ${spec.projects.length} projects in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );

  // 2. Build the rest.
  if (todo.length) {
    const debs = todo.filter((p) => p.source.type === 'debian');
    const npms = todo.filter((p) => p.source.type === 'npm');
    const pins = new Map();
    for (const p of debs)
      for (const [name, version] of Object.entries(p.source.packages)) {
        if (pins.has(name) && pins.get(name) !== version)
          fail(`${name} is pinned to both ${pins.get(name)} and ${version}`);
        pins.set(name, version);
      }
    if (pins.size) ensureDebianPackages(pins, opts);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'leindex-corpus-'));
    try {
      const tarballs = fetchNpm(npms, tmp, opts);
      todo.forEach((p, i) => {
        const candidates =
          p.source.type === 'debian'
            ? debianCandidates(p)
            : npmCandidates(p, tarballs.get(p.path).tarball, tmp);
        const { kept, skipped } = selectFiles(candidates, makeFilter(spec.rules, p), p);
        if (kept.length === 0) fail(`${p.path}: no source files are left after filtering`);
        const staging = path.join(out, '.staging', ...p.path.split('/'));
        const summary = writeProject(kept, staging, mtimeSec);
        const final = path.join(out, ...p.path.split('/'));
        rmrf(final);
        fs.mkdirSync(path.dirname(final), { recursive: true });
        fs.renameSync(staging, final);
        const source = sourceOf(p, tarballs.get(p.path)?.integrity);
        entries.set(p.path, {
          path: p.path,
          language: p.language,
          name: p.name,
          version: p.version,
          source,
          inputKey: inputKeyOf(spec, p),
          files: summary.files,
          bytes: summary.bytes,
          sha256: summary.sha256,
          byExtension: summary.byExtension,
          skipped: Object.fromEntries(Object.entries(skipped).filter(([, v]) => v > 0)),
        });
        const skips = Object.entries(skipped)
          .filter(([, v]) => v > 0)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ');
        log(
          `[${i + 1}/${todo.length}] ${p.path}: ${summary.files} files, ${mb(summary.bytes)} MB${skips ? ` (left out: ${skips})` : ''}`,
        );
      });
    } finally {
      rmrf(tmp);
      rmrf(path.join(out, '.staging'));
    }
  }

  // 3. Check against the pinned expectations (or record them), then write the manifest.
  for (const p of spec.projects) {
    const e = entries.get(p.path);
    e.source = sourceOf(p, e.source?.integrity);
  }
  const ordered = [...entries.values()].sort((a, b) => byteCompare(a.path, b.path));
  const mismatches = [];
  let unpinned = 0;
  for (const p of spec.projects) {
    const e = entries.get(p.path);
    if (opts.writePins) {
      p.expect = { files: e.files, bytes: e.bytes, sha256: e.sha256 };
      if (p.source.type === 'npm') p.source.integrity = e.source.integrity;
      e.inputKey = inputKeyOf(spec, p);
    } else if (!p.expect) unpinned++;
    else if (p.expect.sha256 !== e.sha256 || p.expect.files !== e.files || p.expect.bytes !== e.bytes)
      mismatches.push(
        `${p.path}: got ${e.files} files, ${e.bytes} bytes, sha256 ${e.sha256}; pinned ${p.expect.files} files, ${p.expect.bytes} bytes, sha256 ${p.expect.sha256}`,
      );
  }
  removeStrays(out, spec.projects);
  const totals = totalsOf(ordered);
  const manifest = {
    schema: MANIFEST_SCHEMA,
    assembler: `scripts/assemble-corpus.mjs v${ASSEMBLER_VERSION}`,
    corpusVersion: spec.corpusVersion,
    inputsSha256: sha256(canonicalJson({ rules: spec.rules, projects: spec.projects.map(withoutExpect) })),
    rules: spec.rules,
    totals,
    projects: ordered,
  };
  const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
  const manifestPath = path.join(out, 'MANIFEST.json');
  if (!fs.existsSync(manifestPath) || fs.readFileSync(manifestPath, 'utf8') !== manifestText)
    fs.writeFileSync(manifestPath, manifestText);
  for (const lang of new Set(spec.projects.map((p) => p.language)))
    setDirTimes(path.join(out, lang), mtimeSec);
  fs.utimesSync(out, mtimeSec, mtimeSec);
  if (mismatches.length)
    fail(
      `the corpus differs from the digests pinned in ${opts.spec}, so this machine would measure different bytes:\n  ${mismatches.join('\n  ')}\n` +
        `if the inputs were changed on purpose, run with --write-pins and commit the spec`,
    );
  if (unpinned)
    log(`warning: ${unpinned} projects have no pinned expect digest in the spec (run with --write-pins)`);
  if (opts.writePins) {
    fs.writeFileSync(opts.spec, `${JSON.stringify(spec, (k, v) => (k === 'path' ? undefined : v), 2)}\n`);
    const prettier = path.join(repoRoot, 'node_modules', 'prettier', 'bin', 'prettier.cjs');
    if (fs.existsSync(prettier)) run(process.execPath, [prettier, '--write', opts.spec], { stdio: 'ignore' });
    log(`wrote pins for ${spec.projects.length} projects into ${opts.spec}`);
  }

  let extra = todo.length ? `built ${todo.length} projects` : 'up to date, nothing rebuilt';
  if (opts.scale) {
    const s = buildScale(out, manifest, opts.scale, mtimeSec);
    extra += `; x${opts.scale} at ${path.relative(process.cwd(), s.dir)} (${s.linkMode}${s.reused ? ', up to date' : ''})`;
  }
  extra += ` in ${((Date.now() - started) / 1000).toFixed(1)} s`;
  process.stdout.write(`${summaryLine(out, totals, extra)}\n`);
}

try {
  main();
} catch (err) {
  if (err instanceof CorpusError) process.stderr.write(`assemble-corpus: error: ${err.message}\n`);
  else process.stderr.write(`assemble-corpus: unexpected error: ${err?.stack ?? err}\n`);
  process.exit(1);
}
