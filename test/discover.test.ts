// Tests for the discovery stage (src/pipeline/discover.ts): walker and git modes, nested
// .gitignore semantics (checked against git itself), default and user exclusions, symlinks,
// special files, size and language skips, and the error for a missing root. Each test builds
// its own tree under os.tmpdir() and removes it afterwards. Runs on the main thread.

import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LeindexError } from '../src/errors.js';
import {
  DEFAULT_EXCLUDES,
  discoverFiles,
  languageForPath,
  rebaseGitignoreLine,
  type DiscoverOptions,
  type DiscoveryResult,
} from '../src/pipeline/discover.js';
import { LANGUAGES } from '../src/protocol.js';

const ALL: DiscoverOptions = { languages: [...LANGUAGES], exclude: [], maxFileBytes: 1 << 20 };
const WALK: DiscoverOptions = { ...ALL, useGit: false };
const IS_ROOT = process.getuid?.() === 0;

/** Creates `files` (path → content; a path ending in '/' is an empty directory) under a new temp dir. */
function makeTree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'leindex-discover-'));
  for (const [rel, content] of Object.entries(files)) {
    const abs = join(dir, rel);
    if (rel.endsWith('/')) {
      mkdirSync(abs, { recursive: true });
    } else {
      mkdirSync(dirname(abs), { recursive: true });
      writeFileSync(abs, content);
    }
  }
  return dir;
}

async function withTree(files: Record<string, string>, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = makeTree(files);
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `git init` with a local identity; the config is appended directly, as a spawn costs ~25 ms here. */
function gitInit(dir: string): void {
  git(dir, 'init', '-q');
  appendFileSync(
    join(dir, '.git', 'config'),
    '[user]\n\temail = test@example.com\n\tname = Test\n[commit]\n\tgpgsign = false\n',
  );
}

const paths = (r: DiscoveryResult): string[] => r.files.map((f) => f.relPath);
const skips = (r: DiscoveryResult): string[] => r.skipped.map((s) => `${s.relPath} ${s.reason}`);

// ---------------------------------------------------------------------------------------

test('languageForPath maps extensions to languages', () => {
  const table: [string, string | undefined][] = [
    ['a.ts', 'typescript'],
    ['a.mts', 'typescript'],
    ['a.cts', 'typescript'],
    ['types/a.d.ts', 'typescript'],
    ['a.d.mts', 'typescript'],
    ['a.tsx', 'tsx'],
    ['a.js', 'javascript'],
    ['a.mjs', 'javascript'],
    ['a.cjs', 'javascript'],
    ['a.jsx', 'javascript'],
    ['pkg/a.py', 'python'],
    ['a.pyi', 'python'],
    ['src/lib.rs', 'rust'],
    ['A.TS', 'typescript'],
    ['a.md', undefined],
    ['a.json', undefined],
    ['Makefile', undefined],
    ['.ts', undefined],
    ['dir.ts/file', undefined],
    ['a.ts.bak', undefined],
  ];
  for (const [path, lang] of table) assert.is(languageForPath(path), lang, path);
});

test('DEFAULT_EXCLUDES holds the documented dependency, build and lock entries', () => {
  for (const p of [
    'node_modules/',
    '.git/',
    'target/',
    'dist/',
    '*.min.js',
    '*.lock',
    'package-lock.json',
    '.leindex/',
  ]) {
    assert.ok(DEFAULT_EXCLUDES.includes(p), p);
  }
});

test('rebaseGitignoreLine anchors slash patterns and floats bare names', () => {
  assert.is(rebaseGitignoreLine('*.log', 'a/b'), 'a/b/**/*.log');
  assert.is(rebaseGitignoreLine('/build/', 'a'), 'a/build/');
  assert.is(rebaseGitignoreLine('x/y', 'a'), 'a/x/y');
  assert.is(rebaseGitignoreLine('!keep.ts', 'a'), '!a/**/keep.ts');
  assert.is(rebaseGitignoreLine('gen/  ', 'a'), 'a/**/gen/');
  assert.is(rebaseGitignoreLine('**/tmp', 'a'), 'a/**/tmp');
  assert.is(rebaseGitignoreLine('# comment', 'a'), undefined);
  assert.is(rebaseGitignoreLine('   ', 'a'), undefined);
  assert.is(rebaseGitignoreLine('*.ts', 'we[ir]d*'), 'we\\[ir\\]d\\*/**/*.ts');
});

// A tree that exercises nested .gitignore semantics: patterns relative to their own directory,
// deeper files overriding shallower ones, negation, directory-only patterns, anchoring.
const GITIGNORE_TREE: Record<string, string> = {
  '.gitignore': ['*.log.ts', 'logs/', '/top-only.ts', 'secret*', '!secret-ok.ts', 'tmp'].join('\n') + '\n',
  'keep.ts': '',
  'top-only.ts': '',
  'secret.ts': '',
  'secret-ok.ts': '',
  'x.log.ts': '',
  'logs/out.ts': '',
  'tmp/a.ts': '',
  'tmp.ts': '',
  'sub/top-only.ts': '',
  'sub/.gitignore': ['!logs/', '*.gen.ts', '!keep.gen.ts', '/local.ts', 'only-dir/'].join('\n') + '\n',
  'sub/logs/in.ts': '',
  'sub/a.gen.ts': '',
  'sub/keep.gen.ts': '',
  'sub/local.ts': '',
  'sub/deep/local.ts': '',
  'sub/deep/b.gen.ts': '',
  'sub/deep/x.log.ts': '',
  'sub/only-dir/f.ts': '',
  'sub/only-dir.ts': '',
  'sub/deep/.gitignore': '!x.log.ts\n',
  'other/a.gen.ts': '',
  'other/logs': '', // a file named logs: the dir-only pattern must not match it
};

const GITIGNORE_EXPECTED = [
  'keep.ts',
  'other/a.gen.ts',
  'secret-ok.ts',
  'sub/deep/local.ts',
  'sub/deep/x.log.ts',
  'sub/keep.gen.ts',
  'sub/logs/in.ts',
  'sub/only-dir.ts',
  'sub/top-only.ts',
  'tmp.ts',
];

test('walker: nested .gitignore with negation, dir-only and anchored patterns', async () => {
  await withTree(GITIGNORE_TREE, async (dir) => {
    const r = await discoverFiles(dir, WALK);
    assert.is(r.usedGit, false);
    assert.is(r.gitFallbackReason, undefined);
    assert.equal(paths(r), GITIGNORE_EXPECTED);
    // .gitignore files and the file named 'logs' are not source: reported, not listed.
    assert.equal(skips(r), [
      '.gitignore unsupported-language',
      'other/logs unsupported-language',
      'sub/.gitignore unsupported-language',
      'sub/deep/.gitignore unsupported-language',
    ]);
    assert.is(r.excludedCount, 0);
  });
});

test('walker and git agree on the nested .gitignore tree', async () => {
  await withTree(GITIGNORE_TREE, async (dir) => {
    gitInit(dir);
    const viaGit = await discoverFiles(dir, ALL);
    assert.is(viaGit.usedGit, true);
    const viaWalk = await discoverFiles(dir, WALK);
    assert.equal(paths(viaGit), GITIGNORE_EXPECTED);
    assert.equal(paths(viaWalk), paths(viaGit));
    assert.equal(skips(viaWalk), skips(viaGit));
    // The walker meets .git/ and counts it; git never lists it.
    assert.is(viaWalk.excludedCount, 1);
    assert.is(viaGit.excludedCount, 0);
  });
});

test('git mode: tracked, untracked, ignored, deleted, nested repo', async () => {
  await withTree(
    {
      '.gitignore': 'ignored/\n*.secret.ts\n',
      'src/a.ts': 'export const a = 1;\n',
      'src/b.py': 'b = 1\n',
      'src/gone.ts': '',
      'lib/c.rs': 'fn c() {}\n',
      'README.md': '# hi\n',
    },
    async (dir) => {
      gitInit(dir);
      git(dir, 'add', '-A');
      git(dir, 'commit', '-q', '-m', 'init');
      writeFileSync(join(dir, 'src/new.tsx'), 'export {};\n'); // untracked
      writeFileSync(join(dir, 'src/x.secret.ts'), ''); // untracked and ignored
      mkdirSync(join(dir, 'ignored'));
      writeFileSync(join(dir, 'ignored/i.ts'), '');
      unlinkSync(join(dir, 'src/gone.ts')); // tracked, deleted in the work tree
      mkdirSync(join(dir, 'nested'));
      gitInit(join(dir, 'nested')); // an untracked nested repository: listed by git as 'nested/'
      writeFileSync(join(dir, 'nested/n.ts'), '');
      // Submodules (gitlinks): one checked out (a directory), one not (nothing on disk).
      const head = git(dir, 'rev-parse', 'HEAD').trim();
      git(dir, 'update-index', '--add', '--cacheinfo', `160000,${head},sub-in`);
      git(dir, 'update-index', '--add', '--cacheinfo', `160000,${head},sub-out`);
      mkdirSync(join(dir, 'sub-in'));
      writeFileSync(join(dir, 'sub-in/s.ts'), '');

      const r = await discoverFiles(dir, ALL);
      assert.is(r.usedGit, true);
      assert.equal(paths(r), ['lib/c.rs', 'src/a.ts', 'src/b.py', 'src/new.tsx']);
      assert.equal(skips(r), ['.gitignore unsupported-language', 'README.md unsupported-language']);
      assert.is(r.excludedCount, 0);
      const a = r.files.find((f) => f.relPath === 'src/a.ts');
      assert.is(a?.language, 'typescript');
      assert.is(a?.size, 20);
      assert.is(a?.absPath, join(r.root, 'src/a.ts'));
      assert.is(r.files.find((f) => f.relPath === 'src/new.tsx')?.language, 'tsx');
      assert.is(r.files.find((f) => f.relPath === 'lib/c.rs')?.language, 'rust');
    },
  );
});

test('git mode: root in a subdirectory lists paths relative to that subdirectory', async () => {
  await withTree({ 'pkg/src/a.ts': '', 'pkg/b.ts': '', 'other/c.ts': '' }, async (dir) => {
    gitInit(dir);
    const r = await discoverFiles(join(dir, 'pkg'), ALL);
    assert.is(r.usedGit, true);
    assert.equal(paths(r), ['b.ts', 'src/a.ts']);
  });
});

test('git mode: a gitignored root falls back to the walker and says why', async () => {
  await withTree({ '.gitignore': 'scratch/\n', 'scratch/a.ts': '', 'scratch/dist/b.ts': '' }, async (dir) => {
    gitInit(dir);
    const r = await discoverFiles(join(dir, 'scratch'), ALL);
    assert.is(r.usedGit, false);
    assert.match(r.gitFallbackReason ?? '', /ignored/);
    assert.equal(paths(r), ['a.ts']);
    assert.is(r.excludedCount, 1);
  });
});

test('no git on PATH: the walker runs, usedGit=false with a reason', async () => {
  await withTree({ 'a.ts': '', 'node_modules/x/y.js': '' }, async (dir) => {
    gitInit(dir);
    const savedPath = process.env.PATH;
    process.env.PATH = join(dir, 'no-such-bin');
    let r: DiscoveryResult;
    try {
      r = await discoverFiles(dir, ALL);
    } finally {
      process.env.PATH = savedPath;
    }
    assert.is(r.usedGit, false);
    assert.match(r.gitFallbackReason ?? '', /not installed/);
    assert.equal(paths(r), ['a.ts']);
    assert.is(r.excludedCount, 2); // .git/ and node_modules/
  });
});

test('useGit=false inside a work tree walks the tree', async () => {
  await withTree({ 'a.ts': '' }, async (dir) => {
    gitInit(dir);
    const r = await discoverFiles(dir, WALK);
    assert.is(r.usedGit, false);
    assert.is(r.gitFallbackReason, undefined);
    assert.equal(paths(r), ['a.ts']);
  });
});

const DEFAULTS_TREE: Record<string, string> = {
  'src/app.ts': '',
  'node_modules/dep/index.js': '',
  'node_modules/dep/lib/deep.js': '',
  'packages/p/node_modules/q/index.js': '',
  'target/debug/build.rs': '',
  'src/vendor.min.js': '',
  'package-lock.json': '{}',
  'Cargo.lock': '',
  'yarn.lock': '',
  'src/__pycache__/m.cpython-311.pyc': '',
  'src/m_pb2.py': '',
  'src/m.py': '',
  'src/api.generated.ts': '',
  'src/app.js.map': '',
};

test('default excludes in both modes, each excluded directory counted once', async () => {
  await withTree(DEFAULTS_TREE, async (dir) => {
    const walked = await discoverFiles(dir, WALK);
    assert.equal(paths(walked), ['src/app.ts', 'src/m.py']);
    assert.equal(walked.skipped, []);
    // node_modules x2, target, vendor.min.js, package-lock.json, Cargo.lock, yarn.lock,
    // __pycache__, m_pb2.py, api.generated.ts, app.js.map
    assert.is(walked.excludedCount, 11);

    gitInit(dir);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'tracked on purpose');
    const tracked = await discoverFiles(dir, ALL);
    assert.is(tracked.usedGit, true);
    assert.equal(paths(tracked), paths(walked));
    assert.is(tracked.excludedCount, 11);
  });
});

test('user excludes: gitignore syntax, ./ prefix, negation of a default', async () => {
  await withTree(
    {
      'src/a.ts': '',
      'src/gen/g.ts': '',
      'fixtures/f.py': '',
      'deep/fixtures/f.py': '',
      'vendor/v.rs': '',
      'src/b.spec.ts': '',
    },
    async (dir) => {
      const r = await discoverFiles(dir, {
        ...WALK,
        exclude: ['./fixtures/', 'src/gen', '*.spec.ts', '!vendor/'],
      });
      assert.equal(paths(r), ['deep/fixtures/f.py', 'src/a.ts', 'vendor/v.rs']);
      assert.is(r.excludedCount, 3);
    },
  );
});

test('the index directory is never listed, even under a custom name', async () => {
  await withTree({ 'a.ts': '', 'idx/data.ts': '', 'idx/sub/x.ts': '', 'idx2/y.ts': '' }, async (dir) => {
    const r = await discoverFiles(dir, { ...WALK, indexDir: join(dir, 'idx') });
    assert.equal(paths(r), ['a.ts', 'idx2/y.ts']);
    assert.is(r.excludedCount, 1);
    gitInit(dir);
    const g = await discoverFiles(dir, { ...ALL, indexDir: join(dir, 'idx') });
    assert.equal(paths(g), ['a.ts', 'idx2/y.ts']);
    assert.is(g.excludedCount, 1);
    // An index dir that does not exist yet, or lies outside root, changes nothing.
    const n = await discoverFiles(dir, { ...WALK, indexDir: join(dir, 'not-yet', '.idx') });
    assert.equal(paths(n), ['a.ts', 'idx/data.ts', 'idx/sub/x.ts', 'idx2/y.ts']);
  });
});

test('symlink to a file outside root is skipped', async () => {
  await withTree({ 'root/a.ts': '', 'outside/secret.ts': 'x' }, async (dir) => {
    const root = join(dir, 'root');
    symlinkSync(join(dir, 'outside/secret.ts'), join(root, 'link.ts'));
    symlinkSync(join(dir, 'outside'), join(root, 'linkdir'));
    for (const opts of [WALK, ALL]) {
      if (opts === ALL) gitInit(root);
      const r = await discoverFiles(root, opts);
      assert.equal(paths(r), ['a.ts']);
      assert.equal(skips(r), ['link.ts symlink-outside-root', 'linkdir symlink-outside-root']);
      assert.match(r.skipped[0]?.detail ?? '', /outside\/secret\.ts$/);
    }
  });
});

test('symlink loops terminate: a directory link to its parent, and a link cycle', async () => {
  await withTree({ 'a/b.ts': '' }, async (dir) => {
    symlinkSync('..', join(dir, 'a/up')); // a/up → root: walking it would never end
    symlinkSync('cycle2.ts', join(dir, 'cycle1.ts')); // cycle1 → cycle2 → cycle1: ELOOP
    symlinkSync('cycle1.ts', join(dir, 'cycle2.ts'));
    const r = await discoverFiles(dir, WALK);
    assert.equal(paths(r), ['a/b.ts']);
    assert.equal(skips(r), ['a/up symlink-loop', 'cycle1.ts symlink-loop', 'cycle2.ts symlink-loop']);
    gitInit(dir);
    const g = await discoverFiles(dir, ALL);
    assert.equal(skips(g), skips(r));
  });
});

test('symlinks inside root: duplicates are not listed, unlisted targets are', async () => {
  await withTree(
    {
      'src/real.ts': '',
      'node_modules/pkg/index.js': '',
      'node_modules/pkg/lib/util.js': '',
      'dangling-target/': '',
    },
    async (dir) => {
      symlinkSync('real.ts', join(dir, 'src/alias.ts')); // same file as a listed one
      symlinkSync('../node_modules/pkg/index.js', join(dir, 'src/dep.js')); // target excluded
      symlinkSync('node_modules/pkg', join(dir, 'linked-pkg')); // dir link to an excluded dir
      symlinkSync('src', join(dir, 'src-again')); // dir link to a walked dir
      symlinkSync('nowhere.ts', join(dir, 'broken.ts'));
      const r = await discoverFiles(dir, WALK);
      // linked-pkg/index.js and src/dep.js are one file: the smaller relPath wins.
      assert.equal(paths(r), ['linked-pkg/index.js', 'linked-pkg/lib/util.js', 'src/real.ts']);
      assert.equal(skips(r), ['broken.ts not-a-file']);
      // src/alias.ts, src/dep.js, and src-again (not followed).
      assert.is(r.duplicateCount, 3);
      assert.is(r.excludedCount, 1);
      const viaLink = r.files.find((f) => f.relPath === 'linked-pkg/lib/util.js');
      assert.is(viaLink?.absPath, join(r.root, 'linked-pkg/lib/util.js'));
      assert.is(viaLink?.language, 'javascript');

      gitInit(dir);
      const g = await discoverFiles(dir, ALL);
      // git records directory links as links and never lists beyond them.
      assert.equal(paths(g), ['src/dep.js', 'src/real.ts']);
      assert.equal(skips(g), ['broken.ts not-a-file', 'linked-pkg not-a-file', 'src-again not-a-file']);
      assert.is(g.duplicateCount, 1);
    },
  );
});

test('FIFO: not-a-file for the walker, never listed by git', async () => {
  await withTree({ 'a.ts': '' }, async (dir) => {
    execFileSync('mkfifo', [join(dir, 'pipe.ts')]);
    const r = await discoverFiles(dir, WALK);
    assert.equal(paths(r), ['a.ts']);
    assert.equal(r.skipped, [{ relPath: 'pipe.ts', reason: 'not-a-file', detail: 'FIFO', size: 0 }]);
    gitInit(dir);
    // git ls-files never lists a FIFO (git only tracks files and links), so nothing to skip.
    const g = await discoverFiles(dir, ALL);
    assert.equal(paths(g), ['a.ts']);
    assert.equal(g.skipped, []);
  });
});

// chmod 000 does not stop root (CAP_DAC_OVERRIDE), and these tests do run as root in CI. So
// each branch asserts what actually happens for the current user instead of being skipped:
// as root the files are readable and listed; otherwise the directory is reported unreadable.
test('unreadable directory: reported as unreadable, or listed when running as root', async () => {
  await withTree({ 'a.ts': '', 'locked/b.ts': '', 'noexec/c.ts': '' }, async (dir) => {
    chmodSync(join(dir, 'locked'), 0o000);
    chmodSync(join(dir, 'noexec'), 0o600); // names readable, but nothing inside can be stat'ed
    gitInit(dir);
    let walked: DiscoveryResult;
    let viaGit: DiscoveryResult;
    try {
      walked = await discoverFiles(dir, WALK);
      viaGit = await discoverFiles(dir, ALL);
    } finally {
      // Back to normal, or a non-root user could not remove the tree.
      chmodSync(join(dir, 'locked'), 0o755);
      chmodSync(join(dir, 'noexec'), 0o755);
    }
    assert.is(viaGit.usedGit, true);
    if (IS_ROOT) {
      assert.equal(paths(walked), ['a.ts', 'locked/b.ts', 'noexec/c.ts']);
      assert.equal(walked.skipped, []);
    } else {
      assert.equal(paths(walked), ['a.ts']);
      assert.equal(skips(walked), ['locked unreadable', 'noexec/c.ts unreadable']);
      assert.match(walked.skipped[0]?.detail ?? '', /EACCES/);
      // git warns "could not open directory" and carries on; that warning becomes the skip.
      assert.match(viaGit.skipped[0]?.detail ?? '', /Permission denied/);
    }
    assert.equal(paths(viaGit), paths(walked));
    assert.equal(skips(viaGit), skips(walked));
  });
});

test('a file deleted between listing and stat is vanished', async () => {
  await withTree({ 'a.ts': '', 'gone.ts': '' }, async (dir) => {
    // discoverFiles lists the root directory synchronously, before its first await; the
    // stat pass runs after that await. Deleting in between is exactly the race in question.
    const pending = discoverFiles(dir, WALK);
    unlinkSync(join(dir, 'gone.ts'));
    const r = await pending;
    assert.equal(paths(r), ['a.ts']);
    assert.equal(r.skipped, [
      { relPath: 'gone.ts', reason: 'vanished', detail: 'deleted between listing and stat', size: 0 },
    ]);
  });
});

test('a file name that is not UTF-8 is reported unreadable, not vanished', async () => {
  await withTree({ 'a.ts': '' }, async (dir) => {
    writeFileSync(
      Buffer.concat([Buffer.from(dir + '/bad-'), Buffer.from([0xff, 0xfe]), Buffer.from('.ts')]),
      '',
    );
    const r = await discoverFiles(dir, WALK);
    assert.equal(paths(r), ['a.ts']);
    assert.equal(skips(r), ['bad-\uFFFD\uFFFD.ts unreadable']);
  });
});

test('too-large and unsupported-language skips carry sizes and details', async () => {
  await withTree(
    {
      'small.ts': 'x'.repeat(100),
      'big.ts': 'x'.repeat(101),
      'notes.md': 'hello',
      Makefile: 'all:',
      'script.py': 'pass',
    },
    async (dir) => {
      const r = await discoverFiles(dir, { ...WALK, maxFileBytes: 100, languages: ['typescript'] });
      assert.equal(paths(r), ['small.ts']);
      assert.equal(r.skipped, [
        { relPath: 'Makefile', reason: 'unsupported-language', detail: '(no extension)', size: 4 },
        { relPath: 'big.ts', reason: 'too-large', detail: '101 bytes > maxFileBytes 100', size: 101 },
        { relPath: 'notes.md', reason: 'unsupported-language', detail: '.md', size: 5 },
        {
          relPath: 'script.py',
          reason: 'unsupported-language',
          detail: '.py (python is not enabled)',
          size: 4,
        },
      ]);
      assert.is(r.files[0]?.size, 100);
      assert.ok((r.files[0]?.mtimeMs ?? 0) > 0);
    },
  );
});

test('missing root and file root throw E_PATH_NOT_FOUND', async () => {
  await withTree({ 'file.ts': '' }, async (dir) => {
    for (const root of [join(dir, 'does-not-exist'), join(dir, 'file.ts')]) {
      try {
        await discoverFiles(root, ALL);
        assert.unreachable(`expected a throw for ${root}`);
      } catch (err) {
        assert.instance(err, LeindexError);
        assert.is((err as LeindexError).code, 'E_PATH_NOT_FOUND');
      }
    }
  });
});

test('empty directory and empty git repository give empty lists', async () => {
  await withTree({}, async (dir) => {
    const w = await discoverFiles(dir, WALK);
    assert.equal([w.files, w.skipped, w.excludedCount, w.duplicateCount], [[], [], 0, 0]);
    gitInit(dir);
    const g = await discoverFiles(dir, ALL);
    assert.is(g.usedGit, true);
    assert.equal([g.files, g.skipped, g.excludedCount], [[], [], 0]);
  });
});

test('root is realpath-resolved and results are sorted and deterministic', async () => {
  await withTree(
    { 'real/b.ts': '', 'real/a/z.ts': '', 'real/a.ts': '', 'real/B.ts': '', 'real/a-b.ts': '' },
    async (dir) => {
      symlinkSync(join(dir, 'real'), join(dir, 'via-link'));
      const r1 = await discoverFiles(join(dir, 'via-link'), WALK);
      const r2 = await discoverFiles(join(dir, 'real'), WALK);
      assert.is(r1.root, r2.root);
      assert.ok(r1.root.endsWith('/real'));
      // Code-unit order: 'B' < 'a', '-' < '.' < '/'.
      assert.equal(paths(r1), ['B.ts', 'a-b.ts', 'a.ts', 'a/z.ts', 'b.ts']);
      assert.equal(r1, r2);
    },
  );
});

test.run();
