// Every option of leindex in one place, with a doc line and a default per field, and the
// loading of the project's own `leindex.toml` (or `leindex.json`) with validation that names
// the offending key. Runs on the coordinator's main thread. Precedence: CLI flag > environment
// > config file > default.

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import type * as SmolToml from 'smol-toml';
import { LeindexError } from './errors.js';
import { LANGUAGES, type LanguageId } from './protocol.js';

const require = createRequire(import.meta.url);

/**
 * smol-toml, loaded when a project has a leindex.toml: every query command resolves its
 * options, and importing the package's ES build (11 modules) was ~19 ms of a fresh process;
 * its CommonJS build, ~5 ms.
 */
function parseToml(text: string): unknown {
  return (require('smol-toml') as typeof SmolToml).parse(text);
}

export interface IndexOptions {
  /** Languages to index. Default: all supported (typescript, tsx, javascript, python, rust). */
  languages: LanguageId[];
  /** Extra exclusion patterns, gitignore syntax, relative to the root. Default: none. */
  exclude: string[];
  /** Files larger than this many bytes are skipped as too-large. Default 1 MiB. */
  maxFileBytes: number;
  /** Parse worker threads. Default: the available cores. */
  threads: number;
  /** Where the index lives. Default: `<root>/.leindex`. */
  indexDir: string;
  /** Memory budget in MiB for the memory governor; undefined = the cgroup limit or physical memory. */
  memoryBudgetMb: number | undefined;
  /** Where memoryBudgetMb came from (--memory-budget, LEINDEX_MEMORY_BUDGET or the config file), for diagnostics. */
  memoryBudgetSource?: 'flag' | 'env' | 'config';
  /** Default token budget for analyze/context answers. Default 8000. */
  tokenBudget: number;
  /** Use git as the ignore oracle inside a work tree. Default true. */
  useGit: boolean;
  /** Embed symbols with the shipped code-embedding model while parsing. Default true. */
  embeddings: boolean;
}

export const DEFAULT_MAX_FILE_BYTES = 1 << 20;
export const DEFAULT_TOKEN_BUDGET = 8000;

export function defaultOptions(root: string): IndexOptions {
  return {
    languages: [...LANGUAGES],
    exclude: [],
    maxFileBytes: DEFAULT_MAX_FILE_BYTES,
    threads: Math.max(1, availableParallelism()),
    indexDir: join(root, '.leindex'),
    memoryBudgetMb: undefined,
    tokenBudget: DEFAULT_TOKEN_BUDGET,
    useGit: true,
    embeddings: true,
  };
}

/** Keys a config file may set, in file spelling (snake_case), and how each is checked. */
const FILE_KEYS: Record<string, (value: unknown, key: string) => Partial<IndexOptions>> = {
  languages: (v, k) => ({ languages: stringList(v, k).map((l) => languageName(l, k)) }),
  exclude: (v, k) => ({ exclude: stringList(v, k) }),
  max_file_size: (v, k) => ({ maxFileBytes: positiveInt(v, k) }),
  threads: (v, k) => ({ threads: positiveInt(v, k) }),
  index_dir: (v, k) => ({ indexDir: nonEmptyString(v, k) }),
  memory_budget_mb: (v, k) => ({ memoryBudgetMb: positiveInt(v, k) }),
  token_budget: (v, k) => ({ tokenBudget: positiveInt(v, k) }),
  use_git: (v, k) => ({ useGit: bool(v, k) }),
  embeddings: (v, k) => ({ embeddings: bool(v, k) }),
};

export const CONFIG_FILE_NAMES = ['leindex.toml', 'leindex.json'] as const;

/** Reads `leindex.toml` / `leindex.json` at the root, if any, validated. */
export function loadConfigFile(root: string): { path: string | undefined; values: Partial<IndexOptions> } {
  for (const name of CONFIG_FILE_NAMES) {
    const path = join(root, name);
    if (!existsSync(path)) continue;
    let raw: unknown;
    const text = readFileSync(path, 'utf8');
    try {
      raw = name.endsWith('.toml') ? parseToml(text) : JSON.parse(text);
    } catch (err) {
      throw new LeindexError('E_CONFIG', `${name}: cannot parse: ${(err as Error).message}`);
    }
    return { path, values: validateConfig(raw, name, root) };
  }
  return { path: undefined, values: {} };
}

export function validateConfig(raw: unknown, source: string, root: string): Partial<IndexOptions> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new LeindexError('E_CONFIG', `${source}: the top level must be a table of settings`);
  }
  const out: Partial<IndexOptions> = {};
  for (const [key, value] of Object.entries(raw)) {
    const check = FILE_KEYS[key];
    if (!check) {
      throw new LeindexError('E_CONFIG', `${source}: unknown key "${key}"`, {
        hint: `known keys: ${Object.keys(FILE_KEYS).join(', ')}`,
      });
    }
    try {
      Object.assign(out, check(value, key));
    } catch (err) {
      if (err instanceof LeindexError) throw new LeindexError('E_CONFIG', `${source}: ${err.message}`);
      throw err;
    }
  }
  if (out.indexDir !== undefined) out.indexDir = resolve(root, out.indexDir);
  return out;
}

/** Options for a root: defaults, then the config file, then LEINDEX_* env, then the CLI's. */
export function resolveOptions(
  root: string,
  cli: Partial<IndexOptions>,
): { options: IndexOptions; configPath: string | undefined } {
  const file = loadConfigFile(root);
  const env: Partial<IndexOptions> = {};
  const envBudget = process.env.LEINDEX_MEMORY_BUDGET;
  if (envBudget !== undefined && envBudget !== '')
    env.memoryBudgetMb = positiveInt(Number(envBudget), 'LEINDEX_MEMORY_BUDGET');
  const defined = Object.fromEntries(
    Object.entries(cli).filter(([, v]) => v !== undefined),
  ) as Partial<IndexOptions>;
  const options: IndexOptions = { ...defaultOptions(root), ...file.values, ...env, ...defined };
  // The memory governor reports which of the three set the budget (flag > env > file).
  const budgetSource =
    defined.memoryBudgetMb !== undefined
      ? 'flag'
      : env.memoryBudgetMb !== undefined
        ? 'env'
        : file.values.memoryBudgetMb !== undefined
          ? 'config'
          : undefined;
  if (budgetSource) options.memoryBudgetSource = budgetSource;
  else delete options.memoryBudgetSource;
  return { options, configPath: file.path };
}

function bad(key: string, why: string): LeindexError {
  return new LeindexError('E_CONFIG', `"${key}" ${why}`);
}

function stringList(v: unknown, key: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
    throw bad(key, 'must be a list of strings');
  return v;
}

function bool(v: unknown, key: string): boolean {
  if (typeof v !== 'boolean') throw bad(key, 'must be true or false');
  return v;
}

function nonEmptyString(v: unknown, key: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw bad(key, 'must be a non-empty string');
  return v;
}

export function positiveInt(v: unknown, key: string): number {
  if (typeof v === 'bigint') v = Number(v);
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)
    throw bad(key, `must be a positive integer (got ${String(v)})`);
  return v;
}

export function languageName(v: string, key: string): LanguageId {
  if (!(LANGUAGES as readonly string[]).includes(v))
    throw bad(key, `has unknown language "${v}" (known: ${LANGUAGES.join(', ')})`);
  return v as LanguageId;
}
