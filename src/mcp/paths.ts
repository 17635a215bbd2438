// Turning a file argument of a tool into an indexed file of the project: relative or absolute,
// refused when it leads outside the project (`..`, absolute paths elsewhere, symlinks out),
// and, when it is not in the index, an error that says why (skipped and for what reason,
// excluded, or missing). Server thread.

import { existsSync } from 'node:fs';
import { relative, sep } from 'node:path';
import { LeindexError, isLeindexError } from '../errors.js';
import type { ProjectView } from './project.js';

export interface IndexedFile {
  file: number;
  relPath: string;
}

/** Project-relative '/'-separated path of `input`, or E_PATH_OUTSIDE_ROOT. */
export function projectRelative(view: ProjectView, input: string): string {
  if (input.includes('\0')) throw new LeindexError('E_USAGE', 'a path cannot contain a NUL character');
  let abs: string;
  try {
    abs = view.session.pathInside(input);
  } catch (err) {
    if (!isLeindexError(err)) throw err;
    throw new LeindexError(err.code, err.message, {
      hint: `only files of the project are readable; give paths relative to ${view.session.root}`,
    });
  }
  return relative(view.session.root, abs).split(sep).join('/');
}

export function indexedFile(view: ProjectView, input: string): IndexedFile {
  const relPath = projectRelative(view, input);
  if (relPath === '') throw new LeindexError('E_USAGE', 'expected a file, got the project root');
  const file = view.session.fileIndex(relPath);
  if (file >= 0) return { file, relPath };
  const skip = view.session.reader.skipped().find((s) => s.relPath === relPath);
  if (skip) {
    throw new LeindexError('E_PATH_NOT_FOUND', `${relPath} is not indexed: skipped as ${skip.reason}`, {
      hint: skip.detail || 'see leindex_diagnostics for skipped files by reason',
    });
  }
  if (existsSync(view.session.pathInside(relPath))) {
    throw new LeindexError('E_PATH_NOT_FOUND', `${relPath} is not in the index`, {
      hint: view.stale
        ? 'it may be new: the index is being refreshed, try again shortly'
        : 'it is excluded (ignore rules, unsupported language) or a directory',
    });
  }
  throw new LeindexError('E_PATH_NOT_FOUND', `${relPath} does not exist in ${view.session.root}`, {
    hint: 'paths are relative to the project root; leindex_project_map shows the tree',
  });
}
