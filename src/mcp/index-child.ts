// The child process an MCP index job runs in (forked by jobs.ts): receives one
// IndexChildRequest over IPC, runs `runIndex`, sends one IndexChildMessage back and exits.
// SIGTERM, SIGINT or the parent going away abort the run cleanly (the previous generation
// stays current and the writer lock is released). Its own process, main thread.

import { LeindexError, describeError, isLeindexError } from '../errors.js';
import { runIndex } from '../pipeline/run-index.js';
import { createLogger } from '../util/log.js';
import type { IndexChildMessage, IndexChildRequest } from './jobs.js';

const controller = new AbortController();
const abort = (): void => controller.abort();
process.on('SIGTERM', abort);
process.on('SIGINT', abort);
process.on('disconnect', abort);

function reply(message: IndexChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

process.once('message', (raw) => {
  void (async () => {
    const request = raw as IndexChildRequest;
    let message: IndexChildMessage;
    try {
      const summary = await runIndex({
        root: request.root,
        options: request.options,
        rebuild: request.rebuild,
        logger: createLogger({ quiet: true }),
        signal: controller.signal,
      });
      message = { type: 'done', summary };
    } catch (err) {
      const e = isLeindexError(err)
        ? err
        : new LeindexError('E_INTERNAL', `index run failed: ${describeError(err)}`);
      message = { type: 'failed', code: e.code, message: e.message, hint: e.hint };
    }
    await reply(message);
    process.disconnect?.();
    process.exitCode = message.type === 'done' ? 0 : 1;
  })();
});
