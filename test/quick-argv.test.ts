// The search bundle reads plain `leindex search` lines itself (src/cli/quick-argv.ts) instead
// of through clipanion's state machine: every line it reads must give the command clipanion
// gives (same fields, same path), the plain lines must be read (or the quick path is never
// taken), and every other line must be left to clipanion.

import { Builtins, Cli, Option } from 'clipanion';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { quickCommand, SEARCH_FIELDS } from '../src/cli/quick-argv.js';
import { SearchCommand } from '../src/cli/search-command.js';

function clipanion(argv: string[]): Record<string, unknown> | Error {
  const cli = new Cli({ binaryName: 'leindex' });
  cli.register(SearchCommand);
  cli.register(Builtins.HelpCommand);
  cli.register(Builtins.VersionCommand);
  try {
    return cli.process(argv) as unknown as Record<string, unknown>;
  } catch (err) {
    return err as Error;
  }
}

const KEYS = ['query', ...Object.keys(SEARCH_FIELDS), 'path'];

function fields(command: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(KEYS.map((k) => [k, command[k]]));
}

const PLAIN: string[][] = [
  ['search', 'q'],
  ['search', '-'],
  [
    'search',
    'where are expired sessions cleaned up',
    '--path',
    'bench/corpus',
    '--index-dir',
    '/tmp/x',
    '--json',
    '--limit',
    '10',
  ],
  ['search', '--json', 'parseConfig', '-n', '5'],
  [
    'search',
    'q',
    '--lang',
    'py',
    '--lang=ts',
    '--glob',
    'src/**',
    '--kind',
    'function',
    '--kind=class',
    '--mode',
    'semantic',
    '--include-tests',
    '--offset',
    '3',
  ],
  ['search', '--path=/a/b c', 'q', '--index-dir=/d=e'],
  ['search', 'q', '--limit=abc', '--mode', 'nonsense'],
  ['search', 'Traceback (most recent call last):\n  File "x.py", line 3'],
];

const OTHERS: string[][] = [
  ['search'],
  ['search', 'q', 'r'],
  ['search', ''],
  ['search', 'q', '--json', '--json'],
  ['search', 'q', '--limit', '1', '--limit', '2'],
  ['search', 'q', '-h'],
  ['search', '--help'],
  ['search', 'q', '--no-include-tests'],
  ['search', 'q', '--', '-x'],
  ['search', 'q', '-n5'],
  ['search', 'q', '-n=5'],
  ['search', 'q', '--unknown', 'x'],
  ['search', 'q', '--path'],
  ['search', 'q', '--path', '--json'],
  ['search', 'q', '--path', '-'],
  ['search', 'q', '--limit='],
  ['search', 'q', '--json=true'],
  ['search', '-x'],
  ['index', 'x'],
  ['--version'],
  [],
];

test('plain lines are read directly, and as clipanion reads them', () => {
  for (const argv of PLAIN) {
    const quick = quickCommand(argv, SearchCommand);
    assert.ok(quick, `not read directly: ${JSON.stringify(argv)}`);
    const slow = clipanion(argv);
    assert.not.instance(slow, Error, JSON.stringify(argv));
    assert.instance(quick, SearchCommand);
    assert.equal(
      fields(quick as unknown as Record<string, unknown>),
      fields(slow as Record<string, unknown>),
      JSON.stringify(argv),
    );
  }
});

test('every other line is left to clipanion', () => {
  for (const argv of OTHERS) assert.is(quickCommand(argv, SearchCommand), undefined, JSON.stringify(argv));
});

test('a command with an option the reader does not know, or without one it expects, is left to clipanion', () => {
  class Wider extends SearchCommand {
    extra = Option.String('--extra');
  }
  assert.is(quickCommand(['search', 'q'], Wider), undefined);
  const more = { ...SEARCH_FIELDS, color: { kind: 'boolean' as const, names: ['--color'] } };
  assert.is(quickCommand(['search', 'q'], SearchCommand, ['search'], more), undefined);
  assert.ok(quickCommand(['search', 'q'], SearchCommand, ['search'], SEARCH_FIELDS));
});

test.run();
