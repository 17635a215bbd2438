// The answer of a budgeted graph query (context, analyze): the chosen symbols' source grouped
// by file, each with why it was chosen and its score, plus tokens used against the budget.
// One text rendering for humans and LLMs, and a JSON shape (the Bundle itself). The header
// and block formats live here because the traversal counts tokens over exactly this text.
// Pure formatting; main thread.

import type { LanguageId } from '../protocol.js';
import type { SymbolRef } from './symbol-info.js';
import { estimateTokens, tokenCost } from './tokens.js';

/** Why a symbol is in the bundle: the edge that pulled it in, seen from the symbol. */
export type LinkKind =
  | 'seed'
  | 'calledBy'
  | 'calls'
  | 'dataFrom'
  | 'dataTo'
  | 'baseOf'
  | 'inherits'
  | 'typeUsedBy'
  | 'usesType'
  | 'contains'
  | 'owns';

export interface BundleSymbol extends SymbolRef {
  /** Pull in [0, 1]: the seed's score carried along the path (see gravity.ts). */
  score: number;
  link: LinkKind;
  /** The symbol at the other end of that edge (undefined for seeds). */
  via: SymbolRef | undefined;
  /** `seed`, `called by X`, `calls X`, `data from X`, `inherits X`, ... */
  reason: string;
  /** Hops from the nearest seed. */
  distance: number;
  /** Tokens of this symbol's block (header line + source) as estimateTokens counts them. */
  tokens: number;
  /** The source was cut to fit the budget (only ever the first seed). */
  trimmed: boolean;
  /** A class or file too big to show whole: members collapsed to their first line. */
  outline: boolean;
  /** The file changed on disk since it was indexed: the text may not match the lines. */
  stale: boolean;
  /**
   * Chosen symbols whose text this one holds (a class absorbing its method), each keeping why
   * it was chosen: a method found by search stays a search match inside its class.
   */
  absorbed: AbsorbedSymbol[];
  /** The source text shown (from the start of its first line). */
  text: string;
}

/** A chosen symbol shown inside the text of another block, with its own reason and pull. */
export interface AbsorbedSymbol {
  id: number;
  qualifiedName: string;
  link: LinkKind;
  reason: string;
  score: number;
  distance: number;
}

export interface BundleFile {
  file: string;
  language: LanguageId | undefined;
  /** The best score of its symbols (or of members they hold): files are ordered by it. */
  score: number;
  /** In source order. */
  symbols: BundleSymbol[];
}

export interface Bundle {
  title: string;
  budget: number;
  /** estimateTokens of the whole text rendering (renderBundle): never above the budget unless trimmed. */
  tokens: number;
  trimmed: boolean;
  files: BundleFile[];
  stats: {
    symbols: number;
    /** Nodes taken off the heap. */
    visited: number;
    /** Nodes scored (relevance computed). */
    considered: number;
    /** Nodes that did not fit in what was left of the budget. */
    overBudget: number;
    ms: number;
  };
}

/** `called by X` etc.: the reason text of a link. */
export function reasonText(link: LinkKind, via: string, seedLabel = 'seed'): string {
  switch (link) {
    case 'seed':
      return seedLabel;
    case 'calledBy':
      return `called by ${via}`;
    case 'calls':
      return `calls ${via}`;
    case 'dataFrom':
      return `data from ${via}`;
    case 'dataTo':
      return `data to ${via}`;
    case 'baseOf':
      return `base of ${via}`;
    case 'inherits':
      return `inherits ${via}`;
    case 'typeUsedBy':
      return `type used by ${via}`;
    case 'usesType':
      return `uses type ${via}`;
    case 'contains':
      return `contains ${via}`;
    case 'owns':
      return `owner of ${via}`;
  }
}

/** The line above a symbol's source. */
export function blockHeader(s: {
  kind: string;
  qualifiedName: string;
  startLine: number;
  endLine: number;
  reason: string;
  score: number;
  trimmed: boolean;
  outline: boolean;
  stale: boolean;
  absorbed?: readonly Pick<AbsorbedSymbol, 'qualifiedName' | 'reason' | 'score'>[];
}): string {
  const flags =
    `${s.outline ? ' · outline' : ''}${s.trimmed ? ' · trimmed' : ''}` +
    `${s.stale ? ' · stale (file changed since indexing)' : ''}`;
  // A member chosen on its own keeps its reason inside its class's block.
  const held = (s.absorbed ?? []).map(
    (a) => ` · holds ${a.qualifiedName} (${a.reason} · ${a.score.toFixed(2)})`,
  );
  return `-- ${s.kind} ${s.qualifiedName} L${s.startLine}-${s.endLine} · ${s.reason} · ${s.score.toFixed(2)}${flags}${held.join('')}`;
}

export function blockText(s: Parameters<typeof blockHeader>[0] & { text: string }): string {
  return `${blockHeader(s)}\n${s.text}`;
}

export function fileHeading(file: string): string {
  return `== ${file}`;
}

export function preamble(
  title: string,
  symbols: number,
  files: number,
  tokens: number,
  budget: number,
): string {
  return `# ${title} — ${symbols} symbols in ${files} files · ${tokens}/${budget} tokens`;
}

/**
 * Token cost to set aside for the preamble line before the counts are known: the preamble
 * with every number at its widest (none can exceed the budget).
 */
export function preambleReserve(title: string, budget: number): number {
  return tokenCost(`${preamble(title, budget, budget, budget, budget)}\n`);
}

/**
 * What renderBundle adds for one block and for one file (the blank line and the heading):
 * the rendering is exactly the concatenation of these pieces, each ending in a line break,
 * so their tokenCost sum bounds the rendering's estimateTokens.
 */
export function blockCost(s: Parameters<typeof blockText>[0]): number {
  return tokenCost(`${blockText(s)}\n`);
}

export function fileCost(file: string): number {
  return tokenCost(`\n${fileHeading(file)}\n`);
}

/** The text rendering: preamble, then per file a heading and its blocks, blank lines between. */
export function renderBundle(b: Omit<Bundle, 'tokens'> & { tokens?: number }): string {
  const symbols = b.files.reduce((n, f) => n + f.symbols.length, 0);
  const parts = [preamble(b.title, symbols, b.files.length, b.tokens ?? b.budget, b.budget)];
  for (const f of b.files) {
    parts.push('', fileHeading(f.file));
    for (const s of f.symbols) parts.push(blockText(s));
  }
  return `${parts.join('\n')}\n`;
}

/** Groups selected symbols by file (best file first, ties by path), source order inside. */
export function groupByFile(
  symbols: readonly BundleSymbol[],
  languageOf: (file: string) => LanguageId | undefined,
): BundleFile[] {
  const byFile = new Map<string, BundleSymbol[]>();
  for (const s of symbols) {
    const list = byFile.get(s.file);
    if (list) list.push(s);
    else byFile.set(s.file, [s]);
  }
  const files = [...byFile].map(([file, list]) => ({
    file,
    language: languageOf(file),
    score: Math.max(...list.map((s) => Math.max(s.score, ...s.absorbed.map((a) => a.score)))),
    symbols: list.sort((a, b) => a.startLine - b.startLine || a.id - b.id),
  }));
  return files.sort((a, b) => b.score - a.score || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

/**
 * Exact tokens of the rendering, with the preamble carrying that same number: the count is
 * fixed by one re-render (a different count can only change the digits).
 */
export function finalTokens(b: Omit<Bundle, 'tokens'>): number {
  let tokens = estimateTokens(renderBundle({ ...b, tokens: b.budget }));
  for (let i = 0; i < 3; i++) {
    const again = estimateTokens(renderBundle({ ...b, tokens }));
    if (again === tokens) break;
    tokens = again;
  }
  return tokens;
}
