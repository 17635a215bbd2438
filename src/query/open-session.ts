// Opens the IndexSession a query command (or the MCP server) works on: the project root
// (default: the current directory), its options (leindex.toml, then flags) and the index
// dir they name. Checks the root exists; the store itself reports a missing index with a
// hint. Main thread.

import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { resolveOptions, type IndexOptions } from '../config.js';
import { LeindexError } from '../errors.js';
import { IndexSession } from './session.js';

export interface QueryTarget {
  session: IndexSession;
  options: IndexOptions;
}

/** `path` = the project root (default cwd); `indexDir` overrides the configured index dir. */
export function openQuerySession(path: string | undefined, indexDir: string | undefined): QueryTarget {
  const root = resolve(path ?? '.');
  if (!existsSync(root)) throw new LeindexError('E_PATH_NOT_FOUND', `path does not exist: ${root}`);
  if (!statSync(root).isDirectory()) throw new LeindexError('E_PATH_NOT_FOUND', `not a directory: ${root}`);
  const { options } = resolveOptions(root, indexDir !== undefined ? { indexDir: resolve(indexDir) } : {});
  return { session: IndexSession.open(root, options.indexDir), options };
}
