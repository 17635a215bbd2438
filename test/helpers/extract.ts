// Test helpers: one file through the real parse worker's parseShard (on this thread), read back
// as a FragmentReader; and the same for a source string written to a temp file.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FragmentReader } from '../../src/graph/fragment.js';
import type { LanguageId } from '../../src/protocol.js';
import { parseShard } from '../../workers/parse-worker.js';

const EXTENSION: Record<LanguageId, string> = {
  typescript: '.ts',
  tsx: '.tsx',
  javascript: '.js',
  python: '.py',
  rust: '.rs',
};

/** The fragment of one file; throws when the worker skipped it. */
export function extractFile(absPath: string, language: LanguageId, maxFileBytes = 1 << 20): FragmentReader {
  const result = parseShard({
    files: [{ absPath, relPath: `src${EXTENSION[language]}`, language }],
    maxFileBytes,
    extract: true,
  });
  const o = result.outcomes[0];
  if (o?.status !== 'ok') throw new Error(`not parsed: ${JSON.stringify(o)}`);
  return new FragmentReader(new Uint8Array(result.buffer, o.offset, o.length));
}

/** The fragment of a source string, written to a temp file that is removed afterwards. */
export function extractSource(
  source: string,
  language: LanguageId,
  maxFileBytes = 1 << 20,
): { f: FragmentReader; text: string } {
  const dir = mkdtempSync(join(tmpdir(), 'leindex-extract-'));
  try {
    const file = join(dir, `src${EXTENSION[language]}`);
    writeFileSync(file, source);
    return { f: extractFile(file, language, maxFileBytes), text: source };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
