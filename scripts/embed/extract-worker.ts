// Worker thread for corpus extraction: receives { project, files }, runs the project's own
// parseShard on them, and answers with every symbol's fields and source text (decoded the
// same way the index decodes it, so offsets line up). Runs in a worker_threads Worker.

import { parentPort } from 'node:worker_threads';
import { FragmentReader } from '../../src/graph/fragment.js';
import { LANGUAGES } from '../../src/protocol.js';
import { parseShard } from '../../workers/parse-worker.js';
import { readSource } from '../../workers/read-source.js';
import type { CorpusFile, ExtractedSymbol } from './corpus.js';

const MAX_FILE_BYTES = 1 << 20;

export async function extractFiles(
  project: string,
  files: readonly CorpusFile[],
): Promise<{ symbols: ExtractedSymbol[]; bytes: number }> {
  const symbols: ExtractedSymbol[] = [];
  let bytes = 0;
  for (const file of files) {
    const src = readSource(file.absPath, file.language, { maxFileBytes: MAX_FILE_BYTES });
    if (!src.ok) continue;
    // Promise.resolve: parseShard is sync today; the wrapper keeps this right if it turns async.
    const res = await Promise.resolve(
      parseShard({ files: [file], maxFileBytes: MAX_FILE_BYTES, extract: true }),
    );
    const o = res.outcomes[0];
    if (o?.status !== 'ok' || o.length === 0) continue;
    bytes += src.size;
    const fr = new FragmentReader(new Uint8Array(res.buffer, o.offset, o.length));
    const language = LANGUAGES[fr.language] ?? file.language;
    // Row 0 is the module itself: its text is the whole file, not a symbol.
    for (let i = 1; i < fr.symbolCount; i++) {
      symbols.push({
        project,
        path: file.relPath,
        language,
        kind: fr.sym(i, 'kind'),
        name: fr.symStr(i, 'name') ?? '',
        qualifiedName: fr.symStr(i, 'qualifiedName') ?? '',
        signature: fr.symStr(i, 'signature') ?? '',
        doc: fr.symStr(i, 'doc') ?? '',
        body: src.text.slice(fr.sym(i, 'startOffset'), fr.sym(i, 'endOffset')),
      });
    }
  }
  return { symbols, bytes };
}

parentPort?.on('message', (m: { project: string; files: CorpusFile[] }) => {
  void extractFiles(m.project, m.files).then((r) => parentPort?.postMessage(r));
});
