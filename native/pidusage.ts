// The single place pidusage is loaded. It is not a native addon, but it reads /proc (or
// spawns ps/wmic elsewhere) and keeps file descriptors open between calls, so it is treated
// like one: the memory governor's sampler imports it from here and calls clear() at shutdown.

import pidusage from 'pidusage';

export type PidStat = pidusage.Status;

/** RSS (bytes) and CPU of a process; the first call costs ~35 ms, later ones ~0.3 ms. */
export function pidStat(pid: number): Promise<PidStat> {
  return pidusage(pid);
}

/** Closes pidusage's cached descriptors and history (at governor shutdown). */
export function clearPidStats(): void {
  pidusage.clear();
}
