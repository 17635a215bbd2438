// Logging and progress on stderr (stdout carries only results and MCP frames). A progress
// bar is drawn only when stderr is a TTY; otherwise progress is silent. Any thread.

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  debug(msg: string): void;
}

export function createLogger(opts: { quiet?: boolean; verbose?: boolean } = {}): Logger {
  return {
    info: (m) => {
      if (!opts.quiet) process.stderr.write(`${m}\n`);
    },
    warn: (m) => process.stderr.write(`warning: ${m}\n`),
    debug: (m) => {
      if (opts.verbose) process.stderr.write(`debug: ${m}\n`);
    },
  };
}

export const silentLogger: Logger = { info: () => {}, warn: () => {}, debug: () => {} };

export interface Progress {
  update(done: number, bytes: number): void;
  done(): void;
}

/** Redraws at most every 100 ms: drawing is a syscall, and a 100k-file run has many updates. */
const REDRAW_MS = 100;

export function createProgress(
  label: string,
  totalFiles: number,
  totalBytes: number,
  enabled: boolean,
): Progress {
  if (!enabled || !process.stderr.isTTY || totalFiles === 0) return { update: () => {}, done: () => {} };
  const started = Date.now();
  let last = 0;
  let drawn = false;
  const draw = (done: number, bytes: number): void => {
    const width = 28;
    const frac = totalBytes > 0 ? Math.min(1, bytes / totalBytes) : done / totalFiles;
    const filled = Math.round(frac * width);
    const secs = (Date.now() - started) / 1000;
    const mbs = secs > 0 ? bytes / 1e6 / secs : 0;
    const eta = frac > 0 && frac < 1 ? Math.round((secs / frac) * (1 - frac)) : 0;
    const line = `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${totalFiles} files  ${mbs.toFixed(1)} MB/s  ETA ${eta}s`;
    process.stderr.write(`\r${line.slice(0, (process.stderr.columns || 100) - 1)}\u001b[K`);
    drawn = true;
  };
  return {
    update(done, bytes) {
      const now = Date.now();
      if (now - last < REDRAW_MS && done < totalFiles) return;
      last = now;
      draw(done, bytes);
    },
    done() {
      if (drawn) process.stderr.write('\r\u001b[K');
    },
  };
}
