// The index command's restart with a capped V8 young generation, at budgets under 200 MB (they
// hold one parse worker): there the coordinator's own heap sets the run's peak (the merge's
// resolution passes, the lexicon), and V8 grows the young generation of the main isolate to
// 2 × 16 MiB semi-spaces under allocation and never shrinks it back. Only a flag given at
// start caps it (set at run time it does not change a heap already configured), so the
// command execs itself once with it: same pid, nothing left waiting (native/memtrim). The
// parse workers keep V8's default (the flag is reset in the new image before they start: it
// would cap theirs too and cost the parse CPU). Main thread; heapFlagsFor and restartArgv are
// pure.

import v8 from 'node:v8';
import { reexecProcess } from '../../native/memtrim.js';
import type { Logger } from '../util/log.js';
import type { MemoryBudget } from './budget.js';
import { MIN_BUDGET_MB, maxThreadsFor } from './sizing.js';

const MB = 2 ** 20;
/** Set in the environment of the new image: it does not restart again, and resets the flag. */
export const RESTARTED_ENV = 'LEINDEX_RESTARTED';
const SEMI_SPACE_FLAG = '--max-semi-space-size';
/**
 * A semi-space of 1/32 of the budget (5 MiB at 160 MB: the young generation commits 10 MiB
 * instead of up to 32), at least 1 MiB and at most V8's own 16 MiB default on 64-bit.
 */
const SEMI_SPACE_SHARE = 32;
/**
 * Budgets from which the restart costs more than it saves. At 256 MB on the benchmark corpus
 * (bench/memory.md, 2026-11-24, load ~2): without it 51.7–55.1 s / 264–278 MB maxRSS over three
 * runs; with a 4 MiB semi-space 61.6–68.1 s / 259–263 MB, with 8 MiB 49.4–66.0 s / 257–266 MB
 * (the capped main thread slows the one-worker parse), so 256 MB runs with V8's defaults, its
 * peak still under 110% of the budget; below this the young generation is a larger share of it.
 */
const RESTART_BELOW_MB = 200;

/** The V8 flags the coordinator should start with under `budget` (none when V8's defaults do). */
export function heapFlagsFor(budget: MemoryBudget): string[] {
  const budgetMb = budget.bytes / MB;
  // No budget asked for, one too small to run (the run stops anyway), or room for two workers.
  if (budget.source === 'physical' || budgetMb < MIN_BUDGET_MB || maxThreadsFor(budget) > 1) return [];
  if (budgetMb >= RESTART_BELOW_MB) return [];
  const semiMb = Math.min(16, Math.max(1, Math.floor(budgetMb / SEMI_SPACE_SHARE)));
  return [`${SEMI_SPACE_FLAG}=${semiMb}`];
}

/** What the process was started with: `argv` and `execArgv` as node gives them, its environment. */
export interface ProcessStart {
  readonly argv0: string;
  readonly argv: readonly string[];
  readonly execArgv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
}

/**
 * The argv to exec for `flags` (argv0, node's own options, the flags, then the script and its
 * arguments), or undefined when there is nothing to restart for: no flags, already restarted,
 * or every flag given by the user already (on the command line or in NODE_OPTIONS: theirs win).
 */
export function restartArgv(start: ProcessStart, flags: readonly string[]): string[] | undefined {
  if (flags.length === 0 || start.env[RESTARTED_ENV] !== undefined) return undefined;
  const given = [...start.execArgv, ...(start.env.NODE_OPTIONS ?? '').split(/\s+/)].map(flagName);
  const wanted = flags.filter((f) => !given.includes(flagName(f)));
  if (wanted.length === 0) return undefined;
  return [start.argv0, ...start.execArgv, ...wanted, ...start.argv.slice(1)];
}

/** `--max-semi-space-size=4` and `--max_semi_space_size 4` name the same flag. */
function flagName(arg: string): string {
  return arg.split('=')[0]!.replace(/_/g, '-');
}

let flagsInEffect: readonly string[] = [];

/** The flags this process was restarted with (none when it was not): the memory report shows them. */
export function restartFlags(): readonly string[] {
  return flagsInEffect;
}

/**
 * Restarts the process with heapFlagsFor(budget) when they are not in effect yet; returns only
 * when it did not restart (nothing to do, or the exec failed: the run goes on with V8's
 * defaults). In the restarted image, resets the semi-space flag so that isolates created from
 * now on (the parse workers) get V8's default young generation again.
 */
export function restartForBudget(budget: MemoryBudget, logger?: Logger): void {
  const restarted = process.env[RESTARTED_ENV];
  if (restarted !== undefined) {
    delete process.env[RESTARTED_ENV];
    flagsInEffect = restarted.split(' ').filter(Boolean);
    // 0 = derive it as V8 does by default; the main isolate keeps the size it started with.
    v8.setFlagsFromString(`${SEMI_SPACE_FLAG}=0`);
    return;
  }
  const flags = heapFlagsFor(budget);
  const argv = restartArgv(
    { argv0: process.argv0, argv: process.argv, execArgv: process.execArgv, env: process.env },
    flags,
  );
  if (!argv) return;
  process.env[RESTARTED_ENV] = flags.join(' ');
  const err = reexecProcess(process.execPath, argv);
  delete process.env[RESTARTED_ENV];
  logger?.debug(`restart with ${flags.join(' ')} not possible (${err}): V8's default heap`);
}
