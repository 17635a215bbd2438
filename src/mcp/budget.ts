// Token budgets of MCP answers: the `token_budget` argument every sizeable tool takes (with
// the server default and a hard cap), and the line-by-line fitting that trims an answer to it
// and counts what was left out. Token counts are estimates (query/tokens.ts). Any thread.

import { z } from 'zod';
import { estimateTokens } from '../query/tokens.js';

/** Below this an answer cannot say anything useful. */
export const MIN_TOKEN_BUDGET = 100;
/**
 * No answer is larger than this, whatever is asked: a tool result that fills a model's context
 * crowds out the work it was for. Asking for more is a bad argument, not a silent clamp.
 */
export const MAX_TOKEN_BUDGET = 32_000;

export function tokenBudgetArg(what: string): z.ZodOptional<z.ZodNumber> {
  return z
    .number()
    .int()
    .min(MIN_TOKEN_BUDGET)
    .max(MAX_TOKEN_BUDGET)
    .optional()
    .describe(
      `Most tokens ${what} may take (${MIN_TOKEN_BUDGET}–${MAX_TOKEN_BUDGET}; default: the server's token budget)`,
    );
}

/** The budget of one call: what was asked, else the server default, always within the bounds. */
export function budgetOf(requested: number | undefined, fallback: number): number {
  const v = requested ?? fallback;
  return Math.min(MAX_TOKEN_BUDGET, Math.max(MIN_TOKEN_BUDGET, Math.floor(v)));
}

/** Accumulates lines of text while they fit; counts the ones that did not. */
export class TextBudget {
  private readonly lines: string[] = [];
  private used = 0;
  omitted = 0;

  constructor(readonly budget: number) {}

  get tokens(): number {
    return this.used;
  }

  get full(): boolean {
    return this.omitted > 0;
  }

  /** Adds `line` if it fits (and nothing was refused before: answers are cut, not gapped). */
  add(line: string): boolean {
    const cost = estimateTokens(line) + 1;
    if (this.omitted > 0 || this.used + cost > this.budget) {
      this.omitted++;
      return false;
    }
    this.lines.push(line);
    this.used += cost;
    return true;
  }

  /** Adds `line` whatever it costs (headers and notes that must be there). */
  force(line: string): void {
    this.lines.push(line);
    this.used += estimateTokens(line) + 1;
  }

  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

/** The first lines of `text` that fit `budget`, and whether any were cut. */
export function capText(text: string, budget: number): { text: string; trimmed: boolean; lines: number } {
  const b = new TextBudget(budget);
  const all = text.split('\n');
  let kept = 0;
  for (const line of all) {
    if (!b.add(line)) break;
    kept++;
  }
  return { text: all.slice(0, kept).join('\n'), trimmed: kept < all.length, lines: kept };
}
