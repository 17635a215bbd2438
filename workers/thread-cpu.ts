// CPU time of the calling thread, from /proc/thread-self/stat (Linux): utime + stime in clock
// ticks (USER_HZ, 100 on every Linux Node supports). For the pool's bench figures: a worker's
// CPU against its busy wall time tells working from waiting. Any thread; undefined elsewhere.

import { readFileSync } from 'node:fs';

const TICK_MS = 10;
let unavailable = process.platform !== 'linux';

/** This thread's CPU time in ms (10 ms resolution), or undefined where it cannot be read. */
export function threadCpuMs(): number | undefined {
  if (unavailable) return undefined;
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'latin1');
    // The command name (field 2) is in parentheses and may hold spaces: count after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat (utime, stime) are the 12th and 13th after the name.
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('unexpected stat');
    return (utime + stime) * TICK_MS;
  } catch {
    unavailable = true;
    return undefined;
  }
}
