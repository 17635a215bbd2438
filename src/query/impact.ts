// `impact`: what may break when a symbol changes. Reverse reachability from the symbol (and
// its members, for a class) over calls, data flow, inheritance and type references, breadth-
// first to a depth, keeping per dependent its distance, the edge that reached it, and the
// weakest confidence on its path; then a risk level per dependent, per file and overall by
// IMPACT_RISK_RULE, which the output states. Main thread.

import { NONE } from '../protocol.js';
import { summariseResolution, type ResolutionSummary } from './context.js';
import { resolveSymbol } from './lookup.js';
import type { IndexSession } from './session.js';
import { edgeKindIds, isModule, ownedMembers, isTest, symbolRef, type SymbolRef } from './symbol-info.js';
import { EDGE_KINDS } from '../graph/graph.js';

export type Risk = 'high' | 'medium' | 'low';
export type OverallRisk = Risk | 'none';

export const IMPACT_RISK_RULE =
  'per dependent: high = distance 1 through a call, data flow or inheritance with confidence >= 85; ' +
  'medium = distance 1 otherwise (a type reference, or a less certain edge), or distance 2 through ' +
  'calls, data flow or inheritance only, with confidence >= 85; ' +
  'low = everything further or less certain (confidence = the weakest edge on the path). ' +
  'overall (tests not counted): high = 10+ high dependents or dependents in 5+ files; ' +
  'medium = any high dependent or 5+ medium ones; low = any dependent; none = no dependents';

/** Edge confidence at or above which a link counts as certain for risk (receiver-typed and better). */
const CERTAIN = 85;
const MAX_ITEMS = 1000;

export interface ImpactItem extends SymbolRef {
  distance: number;
  /** The edge kind that reached it, seen from the dependent: it `calls`, `inherits`... the next. */
  edge: string;
  /** The symbol one step closer to the changed one. */
  via: SymbolRef;
  /** The weakest edge confidence on its path, 0–100. */
  confidence: number;
  test: boolean;
  risk: Risk;
}

export interface ImpactFile {
  file: string;
  symbols: number;
  minDistance: number;
  risk: Risk;
}

export interface ImpactResult {
  resolution: ResolutionSummary;
  depth: number;
  /** The changed symbol and, for a class, its members (distance 0). */
  changed: SymbolRef[];
  risk: OverallRisk;
  rule: string;
  counts: { high: number; medium: number; low: number; tests: number; files: number };
  files: ImpactFile[];
  /** By distance, then risk, then file and line. */
  items: ImpactItem[];
  /** More dependents than MAX_ITEMS were found: the list stops there. */
  truncated: boolean;
}

export function impactOf(session: IndexSession, spec: string, depth = 3): ImpactResult {
  const resolution = resolveSymbol(session, spec);
  const g = session.graph();
  const k = edgeKindIds();
  const structural = new Set([k.calls, k.inherits, k.implements, ...k.dataFlow].filter((x) => x >= 0));
  // Callers, subclasses and users of a type depend on the node: reverse edges. Data flows the
  // other way: whatever receives the node's data (its arguments' callee, its return value's
  // consumer, the reader of a field it writes) is affected by it: forward edges.
  const dataFlow = new Set(k.dataFlow.filter((x) => x >= 0));
  const follow = new Set([k.calls, k.inherits, k.implements, k.referencesType].filter((x) => x >= 0));
  const root = resolution.chosen.id;
  // A class changes with its members (a Rust struct with its impl methods): all by `contains`.
  const changed = [root, ...ownedMembers(g, root)];

  const dist = new Map<number, number>();
  const conf = new Map<number, number>();
  /** Whether every hop of the node's path was a call, data flow or inheritance. */
  const structuralPath = new Map<number, boolean>();
  const reached = new Map<number, { via: number; kind: number }>();
  for (const id of changed) {
    dist.set(id, 0);
    conf.set(id, 100);
    structuralPath.set(id, true);
  }
  let frontier = changed;
  let truncated = false;
  for (let d = 1; d <= depth && frontier.length > 0; d++) {
    const next: number[] = [];
    for (const node of frontier) {
      for (const [r, kinds] of [
        [g.reverse, follow],
        [g.forward, dataFlow],
      ] as const) {
        for (let e = r.offsets[node] ?? 0; e < (r.offsets[node + 1] ?? 0); e++) {
          const kind = r.kinds[e] ?? 0;
          if (!kinds.has(kind)) continue;
          const dep = r.targets[e] ?? NONE;
          if (dep < 0 || isModule(g, dep)) continue; // module-level code: the file is not a symbol
          const c = Math.min(conf.get(node) ?? 100, r.confidence[e] ?? 100);
          const sp = (structuralPath.get(node) ?? false) && structural.has(kind);
          const known = dist.get(dep);
          if (known === undefined) {
            if (reached.size >= MAX_ITEMS) {
              truncated = true;
              continue;
            }
            dist.set(dep, d);
            conf.set(dep, c);
            structuralPath.set(dep, sp);
            reached.set(dep, { via: node, kind });
            next.push(dep);
          } else if (
            known === d &&
            (c > (conf.get(dep) ?? 0) || (c === conf.get(dep) && sp && !structuralPath.get(dep)))
          ) {
            // Same distance, a more certain (or more structural) path: keep it. Frontiers are
            // visited in id order, so equal paths keep the first and the result is deterministic.
            conf.set(dep, c);
            structuralPath.set(dep, sp);
            reached.set(dep, { via: node, kind });
          }
        }
      }
    }
    frontier = next.sort((a, b) => a - b);
  }

  const items: ImpactItem[] = [];
  for (const [id, { via, kind }] of reached) {
    const distance = dist.get(id) ?? 0;
    const confidence = conf.get(id) ?? 0;
    const sp = structuralPath.get(id) ?? false;
    let risk: Risk = 'low';
    if (distance === 1) risk = sp && confidence >= CERTAIN ? 'high' : 'medium';
    else if (distance === 2 && sp && confidence >= CERTAIN) risk = 'medium';
    items.push({
      ...symbolRef(g, id),
      distance,
      edge: edgeVerb(kind),
      via: symbolRef(g, via),
      confidence,
      test: isTest(g, id),
      risk,
    });
  }
  const riskRank = { high: 0, medium: 1, low: 2 } as const;
  items.sort(
    (a, b) =>
      a.distance - b.distance ||
      riskRank[a.risk] - riskRank[b.risk] ||
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.startLine - b.startLine ||
      a.id - b.id,
  );

  const byFile = new Map<string, ImpactFile>();
  for (const it of items) {
    const f = byFile.get(it.file);
    if (!f) byFile.set(it.file, { file: it.file, symbols: 1, minDistance: it.distance, risk: it.risk });
    else {
      f.symbols++;
      f.minDistance = Math.min(f.minDistance, it.distance);
      if (riskRank[it.risk] < riskRank[f.risk]) f.risk = it.risk;
    }
  }
  const counted = items.filter((i) => !i.test);
  const counts = {
    high: counted.filter((i) => i.risk === 'high').length,
    medium: counted.filter((i) => i.risk === 'medium').length,
    low: counted.filter((i) => i.risk === 'low').length,
    tests: items.length - counted.length,
    files: new Set(counted.map((i) => i.file)).size,
  };
  let risk: OverallRisk = 'none';
  if (counts.high >= 10 || counts.files >= 5) risk = 'high';
  else if (counts.high > 0 || counts.medium >= 5) risk = 'medium';
  else if (counted.length > 0) risk = 'low';
  return {
    resolution: summariseResolution(resolution),
    depth,
    changed: changed.map((id) => symbolRef(g, id)),
    risk,
    rule: IMPACT_RISK_RULE,
    counts,
    files: [...byFile.values()].sort(
      (a, b) =>
        riskRank[a.risk] - riskRank[b.risk] || a.minDistance - b.minDistance || (a.file < b.file ? -1 : 1),
    ),
    items,
    truncated,
  };
}

/** How a dependent relates to the symbol one step closer, as a verb. */
function edgeVerb(kind: number): string {
  const name = EDGE_KINDS[kind] as string | undefined;
  switch (name) {
    case 'calls':
      return 'calls';
    case 'inherits':
      return 'inherits';
    case 'implements':
      return 'implements';
    case 'referencesType':
      return 'uses type';
    default:
      return name?.startsWith('flows') ? 'data flow' : (name ?? '?');
  }
}

/** The text rendering: overall risk and rule, files, then dependents by distance. */
export function renderImpact(r: ImpactResult): string {
  const c = r.resolution.chosen;
  const lines = [
    `impact of ${c.qualifiedName} (${c.kind}, ${c.file}:${c.startLine}) to depth ${r.depth}: risk ${r.risk}`,
    `  ${r.counts.high} high, ${r.counts.medium} medium, ${r.counts.low} low in ${r.counts.files} files; ${r.counts.tests} in tests${r.truncated ? '; list truncated' : ''}`,
    `  rule: ${r.rule}`,
  ];
  if (r.files.length) {
    lines.push('', 'files:');
    for (const f of r.files)
      lines.push(`  ${f.risk.padEnd(6)} ${f.file} (${f.symbols} symbols, distance ${f.minDistance})`);
    lines.push('', 'dependents:');
    for (const it of r.items) {
      lines.push(
        `  ${it.risk.padEnd(6)} d${it.distance} ${it.qualifiedName} (${it.kind}, ${it.file}:${it.startLine}) ${it.edge} ${it.via.qualifiedName} [${it.confidence}]${it.test ? ' test' : ''}`,
      );
    }
  } else {
    lines.push('', 'no dependents found (dynamic calls and reflection are not in the graph)');
  }
  return `${lines.join('\n')}\n`;
}
