// Gravity traversal: from seed symbols (id + score), best-first over the graph in both
// directions (callees, callers, data flow, bases and subclasses, types, owners) until the
// token budget is spent; returns a Bundle (bundle.ts). Pull = the pull it was reached from ×
// edge weight (kind, direction) × confidence² × decay × relevance × mass × test penalty, all
// ≤ 1. Nodes leave the heap by pull discounted for size (a long symbol waits behind short ones
// of nearly the same pull); the discount is the node's own, so the first time a node leaves
// the heap is its best path but for a rare better one through a longer node. Main thread.

import { LANGUAGES, NONE, SymbolKind, type LanguageId } from '../protocol.js';
import {
  blockCost,
  blockText,
  fileCost,
  finalTokens,
  groupByFile,
  preambleReserve,
  reasonText,
  type AbsorbedSymbol,
  type Bundle,
  type BundleSymbol,
  type LinkKind,
} from './bundle.js';
import type { IndexGraph } from '../graph/graph.js';
import type { Relevance } from './relevance.js';
import type { IndexSession } from './session.js';
import { SourceCache, trimLines } from './source-text.js';
import {
  displayName,
  edgeKindIds,
  encloses,
  isContainer,
  isExternal,
  isModule,
  isTest,
  symbolRef,
  textMembers,
} from './symbol-info.js';
import { estimateTokens } from './tokens.js';

export interface Seed {
  id: number;
  /** Any positive scale: seeds are normalised so the best one pulls 1. */
  score: number;
  /** The reason shown for it (default `seed`), e.g. `search match`. */
  label?: string;
}

export interface GravityOptions {
  /** Token budget of the whole text rendering. */
  budget: number;
  /** Relevance of a node to the query, in [0, 1] (a Relevance or any function). */
  relevance: Relevance | ((id: number) => number);
  /** The bundle's title (its preamble line counts against the budget). */
  title: string;
  /** Let tests pull like other code (default: only when a seed is a test). */
  includeTests?: boolean;
  /** Stop after this many nodes left the heap (bounds the time on a huge graph). Default 20,000. */
  maxVisits?: number;
  /** Filled with what happened to each node reached (for benchmarks and explanations). */
  trace?: GravityTrace;
}

/** What the traversal did with the nodes it reached; it changes nothing in the result. */
export interface GravityTrace {
  /** Best pull each node was pushed with (reached by a seed or an edge). */
  reached: Map<number, number>;
  /**
   * Nodes taken off the heap: shown, shown by their first line, bigger than its pull's share of
   * the budget, bigger than what was left, inside a shown one, dropped at the end, the same text
   * as a shown one (sameText).
   */
  fate: Map<number, 'whole' | 'partial' | 'overShare' | 'noRoom' | 'inside' | 'dropped' | 'duplicate'>;
}

/** How much each kind of link pulls, seen from the node being expanded. */
interface LinkRule {
  kinds: number[];
  /** true: follow forward edges (node → t); false: reverse (t → node). */
  forward: boolean;
  weight: number;
  link: LinkKind;
}

/**
 * Weights: what a reader of X needs most is what X calls, then who calls it, then the data
 * it exchanges, its type hierarchy, and the types it names. Chosen by reading bundles of
 * the corpus questions (bench/analyze/questions.json), not fitted.
 */
function linkRules(): LinkRule[] {
  const k = edgeKindIds();
  const inheritance = [k.inherits, k.implements].filter((x) => x >= 0);
  const rules: LinkRule[] = [
    { kinds: [k.calls], forward: true, weight: 1, link: 'calledBy' },
    { kinds: [k.calls], forward: false, weight: 0.8, link: 'calls' },
    { kinds: k.dataFlow, forward: true, weight: 0.9, link: 'dataFrom' },
    { kinds: k.dataFlow, forward: false, weight: 0.8, link: 'dataTo' },
    { kinds: inheritance, forward: true, weight: 0.8, link: 'baseOf' },
    { kinds: inheritance, forward: false, weight: 0.6, link: 'inherits' },
    { kinds: [k.referencesType], forward: true, weight: 0.55, link: 'typeUsedBy' },
    { kinds: [k.referencesType], forward: false, weight: 0.35, link: 'usesType' },
    // The class around a method (never the module: a file is not a reason).
    { kinds: [k.contains], forward: false, weight: 0.5, link: 'contains' },
  ];
  return rules.filter((r) => r.kinds.length > 0 && r.kinds.every((x) => x >= 0));
}

/**
 * An edge to a member of an object literal held by a constant or variable (immer's
 * `objectTraps.get`) reaches the object too, at this share of the edge's pull: the object is
 * what its users name and pass around (`let traps = objectTraps`), and its members are pieces
 * of it.
 */
const OBJECT_OWNER = 1;
/** Pull lost per hop, on top of the edge weights: keeps far nodes behind near ones. */
const DECAY = 0.9;
/** Relevance moves pull between this floor and 1 (an irrelevant callee still counts some). */
const RELEVANCE_FLOOR = 0.35;
/** Tests pull this much less unless a seed is a test. */
const TEST_PENALTY = 0.25;
/** At most this many new neighbours are scored per expanded node (hubs have thousands). */
const FANOUT = 200;
/**
 * A text longer than this many characters per token left cannot fit: code averages 3.7–4.1
 * characters per cl100k token on the corpus (bench/analyze/results.jsonl), so 12 leaves
 * room for whitespace-heavy text while sparing the count of a 3,000-line class.
 */
const MAX_CHARS_PER_TOKEN = 12;
/** Budget shares (see the cap in gatherContext): pull × PULL_SHARE within [MIN_SHARE, MAX_SHARE]. */
const PULL_SHARE = 3;
const MIN_SHARE = 0.05;
const MAX_SHARE = 0.35;
/**
 * A class other than the first is shown whole only up to this many tokens (about 100 lines);
 * beyond, its outline says more per token: a caller needs its shape, not every method body.
 */
const CONTAINER_WHOLE = 400;
/** An outline other than the first block's takes at most pull × this share of the budget. */
const OUTLINE_PULL_SHARE = 1;
/** The first block's outline takes at most this share of the budget (else its signature). */
const FIRST_OUTLINE = 0.5;
/**
 * Heap order: pull × min(1, SIZE_LINES × budget / lines)^SIZE_POWER. A symbol longer than a
 * fiftieth of the budget in lines (40 at 2,000 tokens, 160 at 8,000) waits a little behind
 * shorter ones of nearly the same pull: an answer is worth more as several symbols than as
 * one long one. Scored on the dev questions of bench/analyze: 2,000-token must-recall
 * 0.287 → 0.316, precision 0.688 → 0.682; 8,000 unchanged (0.564). A fixed 40 lines at every
 * budget hurt 8,000 (0.551); power 0.6: 2,000 the same, 8,000 lower.
 */
const SIZE_LINES = 1 / 50;
const SIZE_POWER = 0.3;
/** Below this many tokens left, nothing useful fits: stop. */
const MIN_BLOCK_TOKENS = 16;

interface Entry {
  id: number;
  score: number;
  /** Heap order (score discounted for size); the score when unset (seeds). */
  key?: number;
  via: number;
  link: LinkKind;
  distance: number;
  label: string;
}

/** Max-heap on key (else score), ties by lower id (deterministic). */
class Heap {
  private readonly items: Entry[] = [];
  get size(): number {
    return this.items.length;
  }
  private above(a: Entry, b: Entry): boolean {
    const ka = a.key ?? a.score;
    const kb = b.key ?? b.score;
    return ka > kb || (ka === kb && a.id < b.id);
  }
  push(e: Entry): void {
    const h = this.items;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.above(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }
  pop(): Entry | undefined {
    const h = this.items;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.above(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.above(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

/** Expands from `seeds` within `options.budget` tokens; never empty when a seed exists. */
export function gatherContext(
  session: IndexSession,
  seeds: readonly Seed[],
  options: GravityOptions,
): Bundle {
  const started = performance.now();
  const g = session.graph();
  const rel =
    typeof options.relevance === 'function'
      ? options.relevance
      : options.relevance.score.bind(options.relevance);
  const rules = linkRules();
  const maxVisits = options.maxVisits ?? 20_000;
  const budget = options.budget;
  const valid = seeds.filter((s) => s.id >= 0 && s.id < g.symbols.kind.length && !isExternal(g, s.id));
  const top = Math.max(0, ...valid.map((s) => s.score));
  const includeTests = options.includeTests ?? valid.some((s) => isTest(g, s.id));

  const heap = new Heap();
  const best = new Map<number, number>();
  for (const s of valid) {
    const score = top > 0 ? s.score / top : 1;
    if ((best.get(s.id) ?? -1) >= score) continue;
    best.set(s.id, score);
    options.trace?.reached.set(s.id, score);
    heap.push({ id: s.id, score, via: NONE, link: 'seed', distance: 0, label: s.label ?? 'seed' });
  }

  const sources = new SourceCache(session);
  const shownTexts = new SameText(g, sources);
  const selected: BundleSymbol[] = [];
  /** Unrounded token cost of each chosen block (see blockCost). */
  const costs = new Map<number, number>();
  const filesUsed = new Set<string>();
  /** Unrounded: the sum of the rendering's pieces (preamble, file headings, blocks). */
  let used = preambleReserve(options.title, budget);
  let visited = 0;
  let considered = 0;
  let overBudget = 0;
  let trimmed = false;

  const settled = new Set<number>();
  while (heap.size > 0 && visited < maxVisits) {
    const e = heap.pop()!;
    if (settled.has(e.id)) continue;
    settled.add(e.id);
    visited++;
    // Already shown inside a chosen container: its edges were expanded with it. A seed says so
    // in the container's header (when the budget has room for the note): it was asked for.
    const holder = selected.find((s) => !s.outline && encloses(g, s.id, e.id));
    if (holder) {
      if (e.link === 'seed') {
        const note = absorbedOf({ ...symbolRef(g, e.id), ...e, reason: e.label, absorbed: [] });
        const absorbed = sortAbsorbed([...holder.absorbed, ...note]);
        const before = costs.get(holder.id) ?? 0;
        const after = blockCost({ ...holder, absorbed });
        if (used + after - before <= budget) {
          holder.absorbed = absorbed;
          holder.tokens = estimateTokens(blockText(holder));
          costs.set(holder.id, after);
          used += after - before;
        }
      }
      options.trace?.fate.set(e.id, 'inside');
      continue;
    }

    // A second copy of a text already shown (a project that ships its code twice, lodash's
    // `debounce.js` and `lodash.js`) says nothing new; its edges are the copy's.
    if (shownTexts.sameAs(e.id)) {
      options.trace?.fate.set(e.id, 'duplicate');
      continue;
    }
    const first = selected.length === 0;
    const ref = symbolRef(g, e.id);
    const headingCost = filesUsed.has(ref.file) ? 0 : fileCost(ref.file);
    const room = budget - used - headingCost;
    // No symbol but the first takes more than a share of the budget proportional to its pull
    // (at least MIN_SHARE, at most MAX_SHARE): a weakly pulled 2,000-token function would
    // crowd out ten closer ones, so it is shown as its signature instead.
    const share = Math.min(MAX_SHARE, Math.max(MIN_SHARE, e.score * PULL_SHARE));
    const cap = first ? room : Math.min(room, budget * share);
    const full = sources.symbol(e.id);
    const sym: BundleSymbol = {
      ...ref,
      score: round(e.score),
      link: e.link,
      via: e.via === NONE ? undefined : symbolRef(g, e.via),
      reason: reasonText(e.link, e.via === NONE ? '' : displayName(g, e.via), e.label),
      distance: e.distance,
      tokens: 0,
      trimmed: false,
      outline: false,
      stale: full.stale,
      absorbed: [],
      text: full.text,
    };
    // Chosen members whose text this one holds: their cost comes back if it is shown whole.
    const inside = selected.filter((s) => encloses(g, e.id, s.id));
    const freed = inside.reduce((n, s) => n + (costs.get(s.id) ?? 0), 0);
    // Shown whole, it holds them: each keeps its own reason in the header.
    sym.absorbed = sortAbsorbed(inside.flatMap(absorbedOf));
    // Shown whole if it fits (a class other than the first only up to CONTAINER_WHOLE), else
    // as an outline (a class or file with members collapsed), else as its signature alone,
    // which keeps the path through a big function open. A text far longer than the room is
    // not even counted (big classes come up often).
    const container = isContainer(g, e.id);
    const wholeCap = first || !container ? cap : Math.min(cap, CONTAINER_WHOLE);
    let own = full.text.length > (wholeCap + freed) * MAX_CHARS_PER_TOKEN ? Infinity : blockCost(sym);
    let fits = own - freed <= wholeCap;
    if (!fits) {
      // The first block is cut by lines rather than stubbed, unless it is a class whose
      // outline is too big too.
      const stub = first && !container ? undefined : sources.stub(e.id);
      for (const alt of [container ? sources.outline(e.id) : undefined, stub]) {
        if (!alt) continue;
        const altCost = blockCost({ ...sym, text: alt.text, outline: true, absorbed: [] });
        // An outline (every member's first line) is worth its pull's share of the budget, no
        // more: a weakly pulled 2,000-token outline would crowd out the members it lists. The
        // first block's may take up to FIRST_OUTLINE of the budget; beyond, its signature.
        const altCap = first ? budget * FIRST_OUTLINE : Math.min(cap, budget * e.score * OUTLINE_PULL_SHARE);
        if (alt !== stub && altCost > altCap) continue;
        if (altCost <= cap || (first && altCost < own)) {
          sym.text = alt.text;
          sym.outline = true;
          sym.absorbed = [];
          own = altCost;
          fits = altCost <= cap;
          break;
        }
      }
    }
    if (!fits && first) {
      sym.text = trimLines(sym.text, sym.endLine, room, (t) => blockCost({ ...sym, text: t }));
      sym.trimmed = true;
      own = blockCost(sym);
      trimmed = true;
    } else if (!fits) {
      options.trace?.fate.set(e.id, cap < room ? 'overShare' : 'noRoom');
      overBudget++;
      if (budget - used < MIN_BLOCK_TOKENS) break;
      continue;
    }
    sym.tokens = estimateTokens(blockText(sym));
    if (!sym.outline) {
      for (const s of inside) {
        selected.splice(selected.indexOf(s), 1);
        costs.delete(s.id);
      }
      used -= freed;
    }
    used += own + headingCost;
    selected.push(sym);
    if (!sym.outline && !sym.trimmed) shownTexts.add(e.id, full.text);
    options.trace?.fate.set(e.id, sym.outline ? 'partial' : 'whole');
    costs.set(e.id, own);
    filesUsed.add(ref.file);
    if (sym.trimmed) break; // the first seed alone is over the budget: nothing else fits
    considered += expand(e, !sym.outline);
    if (budget - used < MIN_BLOCK_TOKENS) break;
  }

  function expand(from: Entry, whole: boolean): number {
    // A container's members are its edges' ends too (shown whole, or by their first line in an
    // outline, where a member can still be chosen on its own).
    const cands = new Map<number, Entry>();
    for (const src of [from.id, ...textMembers(g, from.id)]) {
      for (const rule of rules) {
        const csr = rule.forward ? g.forward : g.reverse;
        for (let i = csr.offsets[src] ?? 0; i < (csr.offsets[src + 1] ?? 0); i++) {
          const kind = csr.kinds[i] ?? 0;
          if (!rule.kinds.includes(kind)) continue;
          const t = csr.targets[i] ?? NONE;
          if (t < 0 || t === from.id || settled.has(t) || (whole && encloses(g, from.id, t))) continue;
          if (isExternal(g, t) || isModule(g, t)) continue;
          // The owner of a member: `contains` when the member's text is inside it, else (a
          // Rust impl method and its struct) `owner of`.
          const link = rule.link === 'contains' && !encloses(g, t, src) ? 'owns' : rule.link;
          const conf = (csr.confidence[i] ?? 100) / 100;
          const prior = from.score * rule.weight * conf * conf * DECAY;
          const prev = cands.get(t);
          if (!prev || prev.score < prior) {
            cands.set(t, { id: t, score: prior, via: src, link, distance: from.distance + 1, label: '' });
          }
          // An edge to a member of an object held by a value reaches the object as well.
          const owner = valueOwner(t);
          if (owner < 0 || owner === from.id || settled.has(owner) || (whole && encloses(g, from.id, owner)))
            continue;
          const o = cands.get(owner);
          if (o && o.score >= prior * OBJECT_OWNER) continue;
          cands.set(owner, {
            id: owner,
            score: prior * OBJECT_OWNER,
            via: src,
            link,
            distance: from.distance + 1,
            label: '',
          });
        }
      }
    }
    // Hubs: score only the FANOUT strongest links (ties by id), then relevance decides.
    const list = [...cands.values()].sort((a, b) => b.score - a.score || a.id - b.id).slice(0, FANOUT);
    for (const c of list) {
      const relevance = Math.min(1, Math.max(0, rel(c.id)));
      c.score *= (RELEVANCE_FLOOR + (1 - RELEVANCE_FLOOR) * relevance) * mass(c.id);
      if (!includeTests && isTest(g, c.id)) c.score *= TEST_PENALTY;
      if ((best.get(c.id) ?? -1) >= c.score) continue;
      best.set(c.id, c.score);
      options.trace?.reached.set(c.id, c.score);
      const lines = (g.symbols.endLine[c.id] ?? 0) - (g.symbols.startLine[c.id] ?? 0) + 1;
      c.key = c.score * Math.pow(Math.min(1, (SIZE_LINES * budget) / Math.max(1, lines)), SIZE_POWER);
      heap.push(c);
    }
    return list.length;
  }

  /** The constant or variable whose object literal holds member `id` directly, else NONE. */
  function valueOwner(id: number): number {
    const p = g.symbols.parent[id] ?? NONE;
    if (p < 0) return NONE;
    const k = g.symbols.kind[p];
    return (k === SymbolKind.constant || k === SymbolKind.variable) && encloses(g, p, id) ? p : NONE;
  }

  /** Centrality in [0.8, 1]: callers and subclasses (log), and branching complexity (log). */
  function mass(id: number): number {
    const r = g.reverse;
    const inDeg = (r.offsets[id + 1] ?? 0) - (r.offsets[id] ?? 0);
    const cx = g.symbols.complexity[id] ?? 1;
    const a = Math.min(1, Math.log1p(inDeg) / Math.log1p(64));
    const b = Math.min(1, Math.log1p(Math.max(0, cx - 1)) / Math.log1p(32));
    return 0.8 + 0.12 * a + 0.08 * b;
  }

  const languageOf = (file: string): LanguageId | undefined => {
    const f = session.fileIndex(file);
    return f < 0 ? undefined : LANGUAGES[g.files.language[f] ?? 0];
  };
  const bundle: Omit<Bundle, 'tokens'> = {
    title: options.title,
    budget,
    trimmed,
    files: groupByFile(selected, languageOf),
    stats: { symbols: selected.length, visited, considered, overBudget, ms: 0 },
  };
  // The sum of parts bounds the whole in practice; if rounding ever says otherwise, the
  // weakest symbols (never the first) go until the rendering fits.
  let tokens = finalTokens(bundle);
  while (tokens > budget && !trimmed && selected.length > 1) {
    const weakest = selected.reduce(
      (w, s, i) => (i > 0 && blockPull(s) < blockPull(selected[w] ?? s) ? i : w),
      1,
    );
    const [gone] = selected.splice(weakest, 1);
    if (gone) options.trace?.fate.set(gone.id, 'dropped');
    bundle.files = groupByFile(selected, languageOf);
    tokens = finalTokens(bundle);
  }
  bundle.stats.symbols = selected.length;
  bundle.stats.ms = Math.round(performance.now() - started);
  return { ...bundle, tokens };
}

/**
 * Texts of the blocks shown whole, by symbol name: `sameAs` tells whether a symbol's text,
 * whitespace aside, is one of them (only a symbol of the same name is read).
 */
export class SameText {
  private readonly byName = new Map<number, Set<string>>();
  constructor(
    private readonly g: IndexGraph,
    private readonly sources: SourceCache,
  ) {}
  add(id: number, text: string): void {
    const key = sameTextKey(text);
    if (key === undefined) return;
    const name = this.g.symbols.name[id] ?? NONE;
    let set = this.byName.get(name);
    if (!set) this.byName.set(name, (set = new Set()));
    set.add(key);
  }
  sameAs(id: number): boolean {
    const set = this.byName.get(this.g.symbols.name[id] ?? NONE);
    if (set === undefined) return false;
    const key = sameTextKey(this.sources.symbol(id).text);
    return key !== undefined && set.has(key);
  }
}

/**
 * A text with its whitespace runs (indentation, line ends) collapsed, or undefined when it is
 * shorter than MIN_COPY_CHARS: a short text met twice is an idiom (regex's `Regex::new` of
 * bytes and of str, each `RegexBuilder::new(re).build()`), not a copy.
 */
export function sameTextKey(text: string): string | undefined {
  const key = text.trim().replace(/\s+/g, ' ');
  return key.length >= MIN_COPY_CHARS ? key : undefined;
}
/** The shortest text taken for a copy of another (whitespace collapsed). */
const MIN_COPY_CHARS = 200;

/** A chosen block as absorbed members of a container: itself, then what it held. */
function absorbedOf(
  s: Pick<BundleSymbol, 'id' | 'qualifiedName' | 'link' | 'reason' | 'score' | 'distance' | 'absorbed'>,
): AbsorbedSymbol[] {
  const own: AbsorbedSymbol = {
    id: s.id,
    qualifiedName: s.qualifiedName,
    link: s.link,
    reason: s.reason,
    score: round(s.score),
    distance: s.distance,
  };
  return [own, ...s.absorbed];
}

/** Best pull first, ties by id: the header lists them in this order. */
function sortAbsorbed(list: AbsorbedSymbol[]): AbsorbedSymbol[] {
  return list.sort((a, b) => b.score - a.score || a.id - b.id);
}

/** A block's pull, or that of the best member it holds. */
export function blockPull(s: Pick<BundleSymbol, 'score' | 'absorbed'>): number {
  return Math.max(s.score, ...s.absorbed.map((a) => a.score));
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
