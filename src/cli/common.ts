// Shared pieces of the CLI commands: resolving the project root and options from flags,
// printing errors with their hint and exit code, Ctrl-C handling, JSON output.
// Main thread.

import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option } from 'clipanion';
import { resolveOptions, type IndexOptions } from '../config.js';
import { ExitCode, LeindexError, describeError, isLeindexError } from '../errors.js';

export const commonOptions = {
  root: () => Option.String('--path', { description: 'Project root (default: the current directory)' }),
  indexDir: () =>
    Option.String('--index-dir', { description: 'Where the index lives (default <root>/.leindex)' }),
  json: () => Option.Boolean('--json', false, { description: 'Print the result as JSON on stdout' }),
  quiet: () => Option.Boolean('--quiet,-q', false, { description: 'No progress or notices on stderr' }),
  verbose: () => Option.Boolean('--verbose,-v', false, { description: 'Debug notices on stderr' }),
};

export function resolveRoot(path: string | undefined): string {
  const root = resolve(path ?? '.');
  if (!existsSync(root)) throw new LeindexError('E_PATH_NOT_FOUND', `path does not exist: ${root}`);
  if (!statSync(root).isDirectory()) throw new LeindexError('E_PATH_NOT_FOUND', `not a directory: ${root}`);
  return root;
}

export function parseIntFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new LeindexError('E_USAGE', `${flag} needs a positive whole number, got "${value}"`);
  return n;
}

export function optionsFor(root: string, cli: Partial<IndexOptions>): IndexOptions {
  const { options } = resolveOptions(root, {
    ...cli,
    ...(cli.indexDir !== undefined ? { indexDir: resolve(cli.indexDir) } : {}),
  });
  return options;
}

/** Prints an error the way every command does and returns its exit code. */
export function reportError(err: unknown): number {
  if (isLeindexError(err)) {
    process.stderr.write(`leindex: ${err.message}\n`);
    if (err.hint) process.stderr.write(`  hint: ${err.hint}\n`);
    return err.exitCode;
  }
  process.stderr.write(`leindex: internal error: ${describeError(err)}\n`);
  if (process.env.LEINDEX_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return ExitCode.internal;
}

/**
 * An AbortSignal that fires on the first SIGINT/SIGTERM (a clean stop: the previous index
 * stays current); a second signal exits at once.
 */
export function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSignal = (): void => {
    if (controller.signal.aborted) process.exit(ExitCode.interrupted);
    process.stderr.write('\nleindex: stopping; the previous index stays as it was (again to force)\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Reads a query from stdin, up to `maxBytes` (a little more, so the caller can say it cut it). */
export async function readStdinQuery(maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    // Never buffer an endless pipe.
    if (size > maxBytes + 4) break;
  }
  return Buffer.concat(chunks).toString('utf8');
}
