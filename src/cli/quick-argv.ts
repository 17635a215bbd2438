// A direct reading of the plain `leindex search` command lines (the query, long options with
// their value as the next word or after `=`, `-n N`, `--json`, `--include-tests`) into a
// command object, for the one-file search bundle: clipanion compiles a state machine of every
// registered command on each `cli.process` (~5-15 ms CPU and ~1 MB of garbage in a fresh
// process, where nothing else is warm). Anything else — help, short-flag clusters, `--no-*`,
// `--`, a word or value starting with `-` (but the query `-`), an empty word, a repeated single-value option, an
// option this reader does not know, or a command class with an option it does not expect —
// is left to clipanion (undefined), so every line it reads gives what clipanion gives
// (test/quick-argv.test.ts compares the two). Main thread.

import { Command } from 'clipanion';

/** How the reader fills one field of the command. */
type Field =
  { kind: 'string' | 'array'; names: readonly string[] } | { kind: 'boolean'; names: readonly string[] };

/**
 * The fields of `leindex search` (src/cli/search-command.ts) by option: kept in step with
 * the command by the check in quickCommand (a field it does not list sends every line to
 * clipanion) and by the comparison test.
 */
export const SEARCH_FIELDS: Readonly<Record<string, Field>> = {
  root: { kind: 'string', names: ['--path'] },
  limit: { kind: 'string', names: ['--limit', '-n'] },
  offset: { kind: 'string', names: ['--offset'] },
  lang: { kind: 'array', names: ['--lang'] },
  glob: { kind: 'array', names: ['--glob'] },
  kind: { kind: 'array', names: ['--kind'] },
  mode: { kind: 'string', names: ['--mode'] },
  includeTests: { kind: 'boolean', names: ['--include-tests'] },
  indexDir: { kind: 'string', names: ['--index-dir'] },
  json: { kind: 'boolean', names: ['--json'] },
};

/** The one positional field (required). */
const POSITIONAL = 'query';

/**
 * `argv` (after the binary: `search`, then the rest) as a command of `commandClass` with its
 * fields set as clipanion would set them, or undefined when the line is not a plain one.
 */
export function quickCommand<C extends Command>(
  argv: readonly string[],
  commandClass: new () => C,
  path: readonly string[] = ['search'],
  fields: Readonly<Record<string, Field>> = SEARCH_FIELDS,
): C | undefined {
  if (argv.length < path.length || path.some((p, i) => argv[i] !== p)) return undefined;
  const command = new commandClass();
  const record = command as unknown as Record<string, unknown>;
  // Every option of the class must be one this reader knows, with clipanion's defaults.
  const initial = new Map<string, unknown>();
  for (const key of Object.keys(record)) {
    const value = record[key];
    if (typeof value !== 'object' || value === null || !(Command.isOption in value)) continue;
    if (key === POSITIONAL) continue;
    const field = fields[key];
    if (!field) return undefined;
    initial.set(key, field.kind === 'boolean' ? false : undefined);
  }
  if (!(POSITIONAL in record) || initial.size !== Object.keys(fields).length) return undefined;
  const byName = new Map<string, [string, Field]>();
  for (const [key, field] of Object.entries(fields))
    for (const name of field.names) byName.set(name, [key, field]);

  const values = new Map<string, unknown>();
  let positional: string | undefined;
  for (let i = path.length; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '') return undefined;
    // `-` alone is the query (read from stdin), as clipanion reads it.
    if (!word.startsWith('-') || word === '-') {
      if (positional !== undefined) return undefined;
      positional = word;
      continue;
    }
    const eq = word.startsWith('--') ? word.indexOf('=') : -1;
    const name = eq > 0 ? word.slice(0, eq) : word;
    const known = byName.get(name);
    if (!known) return undefined;
    const [key, field] = known;
    if (field.kind === 'boolean') {
      if (eq > 0 || values.has(key)) return undefined;
      values.set(key, true);
      continue;
    }
    let value: string | undefined;
    if (eq > 0) value = word.slice(eq + 1);
    else value = argv[++i];
    if (value === undefined || value === '' || value.startsWith('-')) return undefined;
    if (field.kind === 'array') {
      const list = (values.get(key) as string[] | undefined) ?? [];
      list.push(value);
      values.set(key, list);
    } else {
      if (values.has(key)) return undefined;
      values.set(key, value);
    }
  }
  if (positional === undefined) return undefined;
  for (const [key, value] of initial) record[key] = values.has(key) ? values.get(key) : value;
  record[POSITIONAL] = positional;
  command.path = [...path];
  return command;
}
