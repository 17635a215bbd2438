// Merges per-file fragments into one IndexGraph: assigns global symbol ids (files in path
// order, rows in fragment order, so ids depend only on the tree), interns strings, adds
// `contains` edges, and hands the raw references to the resolver for cross-file edges.
// Coordinator thread. Input fragments must be sorted by relPath.

import type { FlowStats } from './dataflow.js';
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

/**
 * Growable edge list (struct of typed arrays, doubled when full) used while resolving: the
 * corpus' ~600k edges were 8% of a merge as four JS array pushes each, plus their garbage.
 */
export class EdgeList {
  src = new Int32Array(1 << 12);
  dst = new Int32Array(1 << 12);
  kind = new Uint8Array(1 << 12);
  conf = new Uint8Array(1 << 12);
  length = 0;
  add(src: number, dst: number, kind: number, conf: number): void {
    if (src === dst && kind !== EdgeKind.calls) return;
    const i = this.length;
    if (i === this.src.length) this.grow();
    this.src[i] = src;
    this.dst[i] = dst;
    this.kind[i] = kind;
    this.conf[i] = conf;
    this.length = i + 1;
  }
  private grow(): void {
    const n = this.src.length * 2;
    const src = new Int32Array(n);
    src.set(this.src);
    const dst = new Int32Array(n);
    dst.set(this.dst);
    const kind = new Uint8Array(n);
    kind.set(this.kind);
    const conf = new Uint8Array(n);
    conf.set(this.conf);
    this.src = src;
    this.dst = dst;
    this.kind = kind;
    this.conf = conf;
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

export interface MergeOptions {
  /** Receives the data-flow counts (keys bucketed, keys over the fan-out cap): for benchmarks. */
  onFlow?: (stats: FlowStats) => void;
}

export function mergeFragments(inputs: readonly MergeInput[], options: MergeOptions = {}): IndexGraph {
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

  const stats = resolveReferences({
    inputs,
    modules,
    strings,
    cols,
    symbolStart,
    edges,
    onFlow: options.onFlow,
  });

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
  const m = edges.length;
  const forward = buildCsr(
    n,
    edges.src.subarray(0, m),
    edges.dst.subarray(0, m),
    edges.kind.subarray(0, m),
    edges.conf.subarray(0, m),
    true,
  );
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
