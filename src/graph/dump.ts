// A stable text dump of an IndexGraph: files, symbols and edges, one per line, with symbols
// named `path#Qualified.name` instead of numeric ids. Used by the golden tests and by
// `scripts/dump-index`. Any thread; pure.

import type { FragmentReader } from './fragment.js';
import { EDGE_KINDS, type IndexGraph } from './graph.js';
import { LANGUAGES, NONE, SYMBOL_KIND_NAMES, SymbolFlag } from '../protocol.js';

const FLAG_NAMES: [string, number][] = Object.entries(SymbolFlag);

export function symbolKey(g: IndexGraph, id: number): string {
  const file = g.symbols.file[id] ?? NONE;
  const qn = g.strings[g.symbols.qualifiedName[id] ?? NONE] ?? '';
  if (file === NONE) return `external:${qn}`;
  const path = g.files.relPath[file] ?? '?';
  return id === g.files.symbolStart[file] ? `${path}#` : `${path}#${qn}`;
}

/**
 * `fragmentOf` gives a file's fragment, for signatures and docs (which live there, not in
 * the graph); without it they are left out of the dump.
 */
export function dumpGraph(g: IndexGraph, fragmentOf?: (file: number) => FragmentReader | undefined): string {
  const out: string[] = [];
  const s = g.symbols;
  for (let f = 0; f < g.files.relPath.length; f++) {
    const a = g.files.symbolStart[f] ?? 0;
    const b = g.files.symbolStart[f + 1] ?? a;
    out.push(
      `file ${g.files.relPath[f]} ${LANGUAGES[g.files.language[f] ?? 0]} lines=${g.files.lineCount[f]} errors=${g.files.errorCount[f]}`,
    );
    const frag = fragmentOf?.(f);
    for (let id = a + 1; id < b; id++) {
      const flags = FLAG_NAMES.filter(([, bit]) => ((s.flags[id] ?? 0) & bit) !== 0).map(([n]) => n);
      const parts = [
        `  ${SYMBOL_KIND_NAMES[s.kind[id] ?? 0]} ${g.strings[s.qualifiedName[id] ?? NONE]}`,
        `L${(s.startLine[id] ?? 0) + 1}-${(s.endLine[id] ?? 0) + 1}`,
      ];
      if ((s.complexity[id] ?? 1) > 1) parts.push(`cx=${s.complexity[id]}`);
      if (flags.length) parts.push(`[${flags.join(',')}]`);
      const sig = frag?.symStr(id - a, 'signature');
      const doc = frag?.symStr(id - a, 'doc');
      if (sig !== undefined) parts.push(`sig=${JSON.stringify(sig)}`);
      if (doc !== undefined) parts.push(`doc=${JSON.stringify(doc.slice(0, 60))}`);
      out.push(parts.join(' '));
    }
  }
  const edges: string[] = [];
  const { offsets, targets, kinds, confidence } = g.forward;
  for (let src = 0; src < s.kind.length; src++) {
    for (let e = offsets[src] ?? 0; e < (offsets[src + 1] ?? 0); e++) {
      const kind = EDGE_KINDS[kinds[e] ?? 0] ?? '?';
      if (kind === 'contains') continue; // implied by the symbol list
      edges.push(`edge ${kind} ${symbolKey(g, src)} -> ${symbolKey(g, targets[e] ?? 0)} (${confidence[e]})`);
    }
  }
  edges.sort();
  return `${out.join('\n')}\n${edges.join('\n')}\n`;
}
