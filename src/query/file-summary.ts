// A file at a glance without its text: its symbols (kind, signature, lines, first doc line,
// nesting, exported, callers/callees counts) and its links (what it imports, file by file or
// package by package, and which files import it). Input: an IndexSession and a file index;
// output: plain data for the MCP tool and the CLI to render. Main (or server) thread.

import { EdgeKind } from '../graph/graph.js';
import { NONE, SYMBOL_KIND_NAMES, SymbolFlag, type SymbolKindName } from '../protocol.js';
import type { IndexSession } from './session.js';

export interface FileSymbol {
  id: number;
  name: string;
  qualifiedName: string;
  kind: SymbolKindName;
  signature: string | undefined;
  /** First non-empty line of the doc comment. */
  doc: string | undefined;
  startLine: number;
  endLine: number;
  /** 0 for top-level symbols, 1 for their members, … */
  depth: number;
  exported: boolean;
  /** Distinct symbols that call (or construct) this one. */
  callers: number;
  /** Distinct symbols this one calls (or constructs). */
  callees: number;
}

export interface ImportLink {
  /** A project file (relative path) or an external module name. */
  target: string;
  external: boolean;
  /** Imported names that resolved to symbols of the target (empty: the module as a whole). */
  names: string[];
}

export interface FileSummary {
  file: string;
  language: string;
  lines: number;
  bytes: number;
  syntaxErrors: number;
  /** The module's own doc comment (first line), if the language has one. */
  doc: string | undefined;
  symbols: FileSymbol[];
  imports: ImportLink[];
  importedBy: string[];
  /** Calls from other files into this file's symbols, and from this file out to others. */
  callsIn: number;
  callsOut: number;
}

/** The summary of indexed file number `file`. */
export function fileSummary(session: IndexSession, file: number): FileSummary {
  const g = session.graph();
  const { files, symbols: s, forward, reverse, strings } = g;
  const first = files.symbolStart[file] ?? 0;
  const end = files.symbolStart[file + 1] ?? first;
  const frag = session.fragment(file);
  const str = (i: number | undefined): string => strings[i ?? NONE] ?? '';

  const depthOf = new Map<number, number>([[first, -1]]);
  const out: FileSymbol[] = [];
  let callsIn = 0;
  let callsOut = 0;
  for (let id = first + 1; id < end; id++) {
    const parent = s.parent[id] ?? NONE;
    const depth = (depthOf.get(parent) ?? -1) + 1;
    depthOf.set(id, depth);
    const callers = new Set<number>();
    for (let e = reverse.offsets[id] ?? 0; e < (reverse.offsets[id + 1] ?? 0); e++) {
      if (reverse.kinds[e] !== EdgeKind.calls) continue;
      const src = reverse.targets[e] ?? NONE;
      callers.add(src);
      if (s.file[src] !== file) callsIn++;
    }
    const callees = new Set<number>();
    for (let e = forward.offsets[id] ?? 0; e < (forward.offsets[id + 1] ?? 0); e++) {
      if (forward.kinds[e] !== EdgeKind.calls) continue;
      const dst = forward.targets[e] ?? NONE;
      callees.add(dst);
      if (s.file[dst] !== file) callsOut++;
    }
    const row = id - first;
    out.push({
      id,
      name: str(s.name[id]),
      qualifiedName: str(s.qualifiedName[id]),
      kind: SYMBOL_KIND_NAMES[s.kind[id] ?? 0] ?? 'module',
      signature: frag.symStr(row, 'signature'),
      doc: firstLine(frag.symStr(row, 'doc')),
      startLine: (s.startLine[id] ?? 0) + 1,
      endLine: (s.endLine[id] ?? 0) + 1,
      depth,
      exported: ((s.flags[id] ?? 0) & SymbolFlag.exported) !== 0,
      callers: callers.size,
      callees: callees.size,
    });
  }

  // Imports hang off the module symbol: module → module (the file or package) and module →
  // symbol (a name it imports). Group them by the file or package they land in.
  const byTarget = new Map<string, ImportLink>();
  for (let e = forward.offsets[first] ?? 0; e < (forward.offsets[first + 1] ?? 0); e++) {
    if (forward.kinds[e] !== EdgeKind.imports) continue;
    const t = forward.targets[e] ?? NONE;
    const tf = s.file[t] ?? NONE;
    const external = tf === NONE;
    if (tf === file) continue;
    const target = external ? str(s.qualifiedName[t]) : (files.relPath[tf] ?? '');
    let link = byTarget.get(target);
    if (!link) {
      link = { target, external, names: [] };
      byTarget.set(target, link);
    }
    if (!external && t !== files.symbolStart[tf]) link.names.push(str(s.qualifiedName[t]));
  }

  // Who imports this file: import edges into its module symbol or any of its symbols.
  const importers = new Set<string>();
  for (let id = first; id < end; id++) {
    for (let e = reverse.offsets[id] ?? 0; e < (reverse.offsets[id + 1] ?? 0); e++) {
      if (reverse.kinds[e] !== EdgeKind.imports) continue;
      const src = reverse.targets[e] ?? NONE;
      const sf = s.file[src] ?? NONE;
      if (sf !== NONE && sf !== file) importers.add(files.relPath[sf] ?? '');
    }
  }

  const info = session.symbol(first);
  return {
    file: files.relPath[file] ?? '',
    language: info.language ?? 'unknown',
    lines: files.lineCount[file] ?? 0,
    bytes: files.size[file] ?? 0,
    syntaxErrors: files.errorCount[file] ?? 0,
    doc: firstLine(frag.symStr(0, 'doc')),
    symbols: out,
    imports: [...byTarget.values()].sort(
      (a, b) => Number(a.external) - Number(b.external) || cmp(a.target, b.target),
    ),
    importedBy: [...importers].sort(cmp),
    callsIn,
    callsOut,
  };
}

function firstLine(doc: string | undefined): string | undefined {
  if (doc === undefined) return undefined;
  for (const raw of doc.split('\n')) {
    const line = raw.trim();
    if (line) return line.length > 200 ? `${line.slice(0, 199)}…` : line;
  }
  return undefined;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
