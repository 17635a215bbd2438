// `symbol`: what the index knows about a name. Its definitions (every match at the best
// match tier: file, lines, kind, signature, doc, flags), and for the chosen one its callers
// and callees as trees to a depth, over `calls` edges, each node with the edge confidence.
// Main thread.

import { NONE, SymbolFlag } from '../protocol.js';
import { summariseResolution, type ResolutionSummary } from './context.js';
import { resolveSymbol } from './lookup.js';
import type { IndexSession } from './session.js';
import { edgeKindIndex, isTest, symbolRef, type SymbolRef } from './symbol-info.js';

/** Nodes per tree at most: a hub's callers to depth 3 can be the whole program. */
const MAX_TREE_NODES = 300;
const MAX_DEFINITIONS = 10;

export interface Definition extends SymbolRef {
  signature: string | undefined;
  doc: string | undefined;
  flags: string[];
  external: boolean;
}

export interface CallNode extends SymbolRef {
  depth: number;
  /** Edge confidence, 0–100. */
  confidence: number;
  test: boolean;
  external: boolean;
  children: CallNode[];
}

export interface CallTree {
  depth: number;
  /** Distinct symbols in the tree. */
  count: number;
  /** The tree stopped at MAX_TREE_NODES. */
  truncated: boolean;
  nodes: CallNode[];
}

export interface SymbolReport {
  resolution: ResolutionSummary;
  definitions: Definition[];
  callers: CallTree | undefined;
  callees: CallTree | undefined;
}

export interface SymbolReportOptions {
  callers: boolean;
  callees: boolean;
  depth: number;
}

export function symbolReport(session: IndexSession, spec: string, opts: SymbolReportOptions): SymbolReport {
  const resolution = resolveSymbol(session, spec);
  const sameTier = resolution.candidates.filter((c) => c.match === resolution.chosen.match);
  const definitions = sameTier.slice(0, MAX_DEFINITIONS).map((c) => definition(session, c.id));
  const id = resolution.chosen.id;
  return {
    resolution: summariseResolution(resolution),
    definitions,
    callers: opts.callers ? callTree(session, id, false, opts.depth) : undefined,
    callees: opts.callees ? callTree(session, id, true, opts.depth) : undefined,
  };
}

function definition(session: IndexSession, id: number): Definition {
  const g = session.graph();
  const info = session.symbol(id);
  const bits = g.symbols.flags[id] ?? 0;
  return {
    ...symbolRef(g, id),
    signature: info.signature,
    doc: info.doc,
    flags: Object.entries(SymbolFlag)
      .filter(([, bit]) => (bits & bit) !== 0)
      .map(([name]) => name),
    external: info.external,
  };
}

/**
 * Callers (reverse) or callees (forward) of `root` breadth-first to `depth`: each symbol
 * appears once, under the first node that reached it (so the tree stays a tree on cycles).
 */
function callTree(session: IndexSession, root: number, forward: boolean, depth: number): CallTree {
  const g = session.graph();
  const calls = edgeKindIndex('calls');
  const csr = forward ? g.forward : g.reverse;
  const seen = new Set<number>([root]);
  const top: CallNode[] = [];
  let frontier: { id: number; children: CallNode[] }[] = [{ id: root, children: top }];
  let truncated = false;
  for (let d = 1; d <= depth && frontier.length > 0; d++) {
    const next: { id: number; children: CallNode[] }[] = [];
    for (const parent of frontier) {
      for (let e = csr.offsets[parent.id] ?? 0; e < (csr.offsets[parent.id + 1] ?? 0); e++) {
        if (csr.kinds[e] !== calls) continue;
        const t = csr.targets[e] ?? NONE;
        if (t < 0 || seen.has(t)) continue;
        if (seen.size > MAX_TREE_NODES) {
          truncated = true;
          break;
        }
        seen.add(t);
        const node: CallNode = {
          ...symbolRef(g, t),
          depth: d,
          confidence: csr.confidence[e] ?? 0,
          test: isTest(g, t),
          external: (g.symbols.file[t] ?? NONE) === NONE,
          children: [],
        };
        parent.children.push(node);
        next.push({ id: t, children: node.children });
      }
    }
    frontier = next;
  }
  return { depth, count: seen.size - 1, truncated, nodes: top };
}

/** The text rendering: definitions with signature and doc, then the call trees indented. */
export function renderSymbolReport(r: SymbolReport): string {
  const lines: string[] = [];
  for (const d of r.definitions) {
    const where = d.external ? 'external' : `${d.file}:${d.startLine}-${d.endLine}`;
    lines.push(`${d.kind} ${d.qualifiedName}  ${where}${d.flags.length ? `  [${d.flags.join(', ')}]` : ''}`);
    if (d.signature) lines.push(`  ${d.signature}`);
    if (d.doc) for (const l of d.doc.split('\n').slice(0, 6)) lines.push(`  | ${l}`);
  }
  if (r.resolution.total > r.definitions.length) {
    const shown = new Set(r.definitions.map((d) => d.id));
    const others = r.resolution.candidates.filter((c) => !shown.has(c.id));
    if (others.length) {
      lines.push(
        `other matches: ${others.map((c) => `${c.qualifiedName} (${c.file || 'external'}:${c.startLine})`).join(', ')}${r.resolution.total > r.resolution.candidates.length ? ', ...' : ''}`,
      );
    }
  }
  const tree = (title: string, t: CallTree | undefined): void => {
    if (!t) return;
    lines.push(
      '',
      `${title} of ${r.resolution.chosen.qualifiedName} (depth ${t.depth}): ${t.count}${t.truncated ? ' (truncated)' : ''}`,
    );
    const walk = (nodes: CallNode[], indent: string): void => {
      for (const n of nodes) {
        const where = n.external ? 'external' : `${n.file}:${n.startLine}`;
        lines.push(`${indent}${n.qualifiedName}  ${where}  [${n.confidence}]${n.test ? ' test' : ''}`);
        walk(n.children, `${indent}  `);
      }
    };
    if (t.nodes.length === 0) lines.push('  (none found)');
    walk(t.nodes, '  ');
  };
  tree('callers', r.callers);
  tree('callees', r.callees);
  return `${lines.join('\n')}\n`;
}
