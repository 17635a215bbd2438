// Merges per-file fragments into one IndexGraph: assigns global symbol ids (files in path
// order, rows in fragment order, so ids depend only on the tree), interns strings, adds
// `contains` edges, and hands the raw references to the resolver for cross-file edges.
// Coordinator thread. Input fragments must be sorted by relPath.

import type { FragmentReader } from './fragment.js';
import { buildCsr, reverseCsr, EdgeKind, Confidence, type IndexGraph, type SymbolTable } from './graph.js';
import { ModuleResolver } from './modules.js';
import { resolveReferences } from './resolve.js';
import { LANGUAGES, NONE, SymbolKind, type LanguageId } from '../protocol.js';

export interface MergeInput {
  readonly relPath: string;
  readonly language: LanguageId;
  readonly contentHash: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly fragment: FragmentReader;
}

/** Growable edge list (struct of arrays) used while resolving. */
export class EdgeList {
  src: number[] = [];
  dst: number[] = [];
  kind: number[] = [];
  conf: number[] = [];
  add(src: number, dst: number, kind: number, conf: number): void {
    if (src === dst && kind !== EdgeKind.calls) return;
    this.src.push(src);
    this.dst.push(dst);
    this.kind.push(kind);
    this.conf.push(conf);
  }
  get length(): number {
    return this.src.length;
  }
}

/** Interns strings into one table; id order is first-seen order over the sorted input. */
export class StringTable {
  readonly list: string[] = [];
  private readonly ids = new Map<string, number>();
  intern(s: string | undefined): number {
    if (s === undefined) return NONE;
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.list.length;
      this.ids.set(s, id);
      this.list.push(s);
    }
    return id;
  }
}

/** Symbols under construction: plain arrays while external nodes may still be appended. */
export interface SymbolColumns {
  file: number[];
  kind: number[];
  name: number[];
  qualifiedName: number[];
  startLine: number[];
  endLine: number[];
  startOffset: number[];
  endOffset: number[];
  parent: number[];
  complexity: number[];
  flags: number[];
}

export function mergeFragments(inputs: readonly MergeInput[]): IndexGraph {
  for (let i = 1; i < inputs.length; i++) {
    if ((inputs[i - 1]?.relPath ?? '') >= (inputs[i]?.relPath ?? ''))
      throw new Error('merge input must be sorted by relPath, without duplicates');
  }
  const modules = new ModuleResolver(inputs);
  const strings = new StringTable();
  const cols: SymbolColumns = {
    file: [],
    kind: [],
    name: [],
    qualifiedName: [],
    startLine: [],
    endLine: [],
    startOffset: [],
    endOffset: [],
    parent: [],
    complexity: [],
    flags: [],
  };
  const symbolStart = new Int32Array(inputs.length + 1);
  const edges = new EdgeList();

  inputs.forEach((input, fileIdx) => {
    const frag = input.fragment;
    const base = cols.kind.length;
    symbolStart[fileIdx] = base;
    for (let r = 0; r < frag.symbolCount; r++) {
      const id = base + r;
      cols.file.push(fileIdx);
      cols.kind.push(frag.sym(r, 'kind'));
      if (r === 0) {
        // The module row: its names come from the path, not the content.
        const modName = modules.moduleName(fileIdx);
        cols.name.push(strings.intern(moduleShortName(input.relPath)));
        cols.qualifiedName.push(strings.intern(modName));
        cols.parent.push(NONE);
      } else {
        cols.name.push(strings.intern(frag.symStr(r, 'name')));
        cols.qualifiedName.push(strings.intern(frag.symStr(r, 'qualifiedName')));
        const p = frag.sym(r, 'parent');
        const parent = p >= 0 && p < frag.symbolCount ? base + p : base;
        cols.parent.push(parent);
        edges.add(parent, id, EdgeKind.contains, Confidence.certain);
      }
      cols.startLine.push(frag.sym(r, 'startLine'));
      cols.endLine.push(frag.sym(r, 'endLine'));
      cols.startOffset.push(frag.sym(r, 'startOffset'));
      cols.endOffset.push(frag.sym(r, 'endOffset'));
      cols.complexity.push(frag.sym(r, 'complexity'));
      cols.flags.push(frag.sym(r, 'flags'));
    }
  });
  const fileSymbolCount = cols.kind.length;
  symbolStart[inputs.length] = fileSymbolCount;

  const stats = resolveReferences({ inputs, modules, strings, cols, symbolStart, edges });

  const n = cols.kind.length;
  const symbols: SymbolTable = {
    file: Int32Array.from(cols.file),
    kind: Uint8Array.from(cols.kind),
    name: Int32Array.from(cols.name),
    qualifiedName: Int32Array.from(cols.qualifiedName),
    startLine: Int32Array.from(cols.startLine),
    endLine: Int32Array.from(cols.endLine),
    startOffset: Int32Array.from(cols.startOffset),
    endOffset: Int32Array.from(cols.endOffset),
    parent: Int32Array.from(cols.parent),
    complexity: Int32Array.from(cols.complexity),
    flags: Int32Array.from(cols.flags),
  };
  const forward = buildCsr(n, edges.src, edges.dst, edges.kind, edges.conf, true);
  return {
    files: {
      relPath: inputs.map((i) => i.relPath),
      language: Uint8Array.from(inputs.map((i) => LANGUAGES.indexOf(i.language))),
      contentHash: inputs.map((i) => i.contentHash),
      size: Float64Array.from(inputs.map((i) => i.size)),
      mtimeMs: Float64Array.from(inputs.map((i) => i.mtimeMs)),
      errorCount: Int32Array.from(inputs.map((i) => i.fragment.errorCount)),
      lineCount: Int32Array.from(inputs.map((i) => i.fragment.lineCount)),
      symbolStart,
    },
    strings: strings.list,
    symbols,
    fileSymbolCount,
    forward,
    reverse: reverseCsr(n, forward),
    stats,
  };
}

/** A module's short name: its file name without extension, or its directory for index/__init__/mod/lib files. */
function moduleShortName(relPath: string): string {
  const parts = relPath.split('/');
  const file = parts[parts.length - 1] ?? relPath;
  const stem = file.replace(/(\.d)?\.[^.]+$/, '');
  if (['index', '__init__', 'mod', 'lib', 'main'].includes(stem) && parts.length > 1)
    return parts[parts.length - 2] ?? stem;
  return stem;
}

export const EXTERNAL_KIND = SymbolKind.module;
