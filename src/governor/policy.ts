// The memory governor's decisions, kept pure so tests drive them with injected samples:
// given the process's RSS, the budget and the time, which action to take next (cheapest
// first: slow the pool, flush store writes, spill caches, recycle workers, slow the pool
// further), when to relax (hysteresis), and how soon to sample again. Any thread; no I/O.

export interface PolicyOptions {
  /** Act when RSS reaches this share of the budget. Default 0.9. */
  readonly actAt?: number;
  /** Undo the throttling once RSS falls below this share. Default 0.75 (hysteresis). */
  readonly relaxAt?: number;
  /**
   * Wait at least this long after an action before taking the next rung, so a cheap action
   * has time to show (a throttled pool frees memory only as its shards finish). Default 250.
   */
  readonly dwellMs?: number;
  /**
   * After the ladder is climbed, repeat spill/recycle at most this often; the wait doubles
   * with each repeat that did not bring RSS under the line (to 32x), until relaxed. Default 1000.
   */
  readonly repeatMs?: number;
}

export type PolicyAction =
  /** Pool: fewer tasks in flight and smaller shards (level 1: one per thread, halves; 2: one, quarters). */
  | { readonly kind: 'throttle'; readonly level: number }
  /** Flush pending store writes (frees the write queue, lets stored fragments be spilled). */
  | { readonly kind: 'flush' }
  /** Drop every registered spillable cache (they reload lazily). */
  | { readonly kind: 'spill' }
  /** Restart the pool's workers at the next shard boundary (frees their heap and parser slack). */
  | { readonly kind: 'recycle' }
  /** Back below the relax line: restore the pool and let caches grow again. */
  | { readonly kind: 'relax' };

/** The escalation order, cheapest first. Measured costs are in the README's memory section. */
export const LADDER: readonly PolicyAction[] = [
  { kind: 'throttle', level: 1 },
  { kind: 'flush' },
  { kind: 'spill' },
  { kind: 'recycle' },
  { kind: 'throttle', level: 2 },
];
/** What is repeated, alternately, while RSS stays above the line after the whole ladder. */
const REPEAT: readonly PolicyAction[] = [{ kind: 'spill' }, { kind: 'recycle' }];

export const DEFAULT_ACT_AT = 0.9;
export const DEFAULT_RELAX_AT = 0.75;

export class MemoryPolicy {
  readonly actAt: number;
  readonly relaxAt: number;
  private readonly dwellMs: number;
  private readonly repeatMs: number;
  /** Next rung of LADDER (≥ LADDER.length: repeating). */
  private rung = 0;
  private lastActionAt = -Infinity;
  /** True from the first action until RSS falls below the relax line. */
  pressured = false;
  throttleLevel = 0;

  constructor(options: PolicyOptions = {}) {
    this.actAt = options.actAt ?? DEFAULT_ACT_AT;
    this.relaxAt = options.relaxAt ?? DEFAULT_RELAX_AT;
    this.dwellMs = options.dwellMs ?? 250;
    this.repeatMs = options.repeatMs ?? 1000;
    if (!(this.relaxAt > 0 && this.relaxAt < this.actAt))
      throw new Error(`relaxAt (${this.relaxAt}) must be below actAt (${this.actAt})`);
  }

  /** At most one action per sample: the next rung while above the act line, relax below the relax line. */
  decide(rss: number, budget: number, nowMs: number): PolicyAction | undefined {
    const ratio = rss / budget;
    if (this.pressured && ratio < this.relaxAt) {
      this.pressured = false;
      this.rung = 0;
      this.throttleLevel = 0;
      this.lastActionAt = -Infinity;
      return { kind: 'relax' };
    }
    if (ratio < this.actAt) return undefined; // between the lines: hold what was done
    const repeats = this.rung - LADDER.length;
    const wait = repeats >= 0 ? this.repeatMs * 2 ** Math.min(5, repeats) : this.dwellMs;
    if (this.pressured && nowMs - this.lastActionAt < wait) return undefined;
    const action =
      this.rung < LADDER.length ? LADDER[this.rung]! : REPEAT[(this.rung - LADDER.length) % REPEAT.length]!;
    this.rung++;
    this.pressured = true;
    this.lastActionAt = nowMs;
    if (action.kind === 'throttle') this.throttleLevel = Math.max(this.throttleLevel, action.level);
    return action;
  }

  /**
   * For synchronous code that cannot wait for the sampler (the merge): above the act line,
   * spill now, whatever the ladder last did. The ladder moves past its spill rung; the dwell
   * applies between these spills (a checkpoint every few hundred reads must not thrash).
   */
  urgent(rss: number, budget: number, nowMs: number): boolean {
    if (rss / budget < this.actAt) return false;
    if (nowMs - this.lastUrgentAt < this.dwellMs) return false;
    const spillRung = LADDER.findIndex((a) => a.kind === 'spill');
    this.rung = Math.max(this.rung, spillRung + 1);
    this.pressured = true;
    this.lastActionAt = nowMs;
    this.lastUrgentAt = nowMs;
    return true;
  }
  private lastUrgentAt = -Infinity;
}

export interface DelayOptions {
  readonly minMs?: number;
  readonly maxMs?: number;
}

/**
 * How long until the next sample: short near the act line or when RSS climbs fast, long when
 * there is room. pidusage costs ~0.3 ms a call, so 50 ms is ~0.6% of a core at worst.
 * `growthPerMs` is RSS bytes gained per ms since the previous sample (≤ 0 when shrinking).
 */
export function nextSampleDelay(
  rss: number,
  budget: number,
  growthPerMs: number,
  actAt = DEFAULT_ACT_AT,
  options: DelayOptions = {},
): number {
  const min = options.minMs ?? 50;
  const max = options.maxMs ?? 1000;
  const line = budget * actAt;
  const headroom = line - rss;
  if (headroom <= 0) return min;
  // Sample four times before the current growth rate could reach the line.
  const byGrowth = growthPerMs > 0 ? headroom / growthPerMs / 4 : max;
  // Within 5% of the line: as fast as allowed; beyond half the line away: as slow.
  const share = headroom / line;
  const byDistance = min + (max - min) * Math.min(1, Math.max(0, (share - 0.05) / 0.45));
  return Math.round(Math.min(max, Math.max(min, Math.min(byGrowth, byDistance))));
}
