// leindex_index: build or refresh a project's index as a job that outlives the call. Waits
// up to wait_seconds for it (with MCP progress notifications when the client asked for them),
// then answers `done` with the run's figures or `running` with the job id to poll. A call
// while a job runs joins it; job_id polls a job, finished or not. Server thread.

import { z } from 'zod';
import { LeindexError } from '../../errors.js';
import type { IndexJob } from '../jobs.js';
import { waitForJob } from '../jobs.js';
import { defineTool, projectPathArg } from '../tool.js';

/** Long enough for a refresh or a small project; short of the usual 60 s client timeout. */
const DEFAULT_WAIT_SECONDS = 20;
const MAX_WAIT_SECONDS = 600;

const output = {
  job_id: z.string(),
  status: z.enum(['running', 'done']),
  joined: z.boolean().describe('This call joined a job that was already running'),
  project: z.string(),
  trigger: z.enum(['request', 'refresh', 'missing']),
  rebuild: z.boolean(),
  started_at: z.string(),
  finished_at: z.string().optional(),
  elapsed_ms: z.number(),
  generation: z.number().int().optional().describe('Index generation current after the run'),
  changed: z.boolean().optional().describe('False when the index was already up to date'),
  files: z
    .object({ indexed: z.number(), parsed: z.number(), reused: z.number(), deleted: z.number() })
    .optional(),
  skipped: z.number().optional(),
  symbols: z.number().optional(),
  edges: z.number().optional(),
};

export const indexTool = defineTool({
  name: 'leindex_index',
  title: 'Index a project',
  description:
    'Builds or refreshes the code index of a project (only changed files are re-parsed). Runs as a ' +
    'background job: waits up to wait_seconds, then returns status "done" with counts or "running" ' +
    'with a job_id; call again (optionally with job_id) to keep waiting. Queries keep answering from ' +
    'the previous index meanwhile. The server also refreshes by itself when files change.',
  input: {
    project_path: projectPathArg,
    rebuild: z.boolean().optional().describe('Discard the index and build it from scratch'),
    job_id: z.string().max(64).optional().describe('Poll this job instead of starting one'),
    wait_seconds: z
      .number()
      .min(0)
      .max(MAX_WAIT_SECONDS)
      .optional()
      .describe(`How long to wait for the job before answering "running" (default ${DEFAULT_WAIT_SECONDS})`),
  },
  output,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },

  async run(args, ctx, call) {
    let job: IndexJob;
    let joined: boolean;
    if (args.job_id !== undefined) {
      const found = ctx.projects.job(args.job_id);
      if (!found)
        throw new LeindexError('E_USAGE', `no index job ${args.job_id}`, {
          hint: 'job ids come from leindex_index answers; finished jobs are kept for a while, then forgotten',
        });
      job = found;
      joined = true;
    } else {
      const project = ctx.projects.resolve(args.project_path);
      const running = project.runningJob;
      job = running ?? project.startIndex('request', args.rebuild ?? false);
      joined = running !== undefined;
    }

    let ticks = 0;
    const unsubscribe = call.progress
      ? job.onProgress((p) => call.progress?.(++ticks, p.message))
      : undefined;
    call.progress?.(++ticks, `${joined ? 'joined' : 'started'} index job ${job.id} for ${job.root}`);
    try {
      await waitForJob(job, (args.wait_seconds ?? DEFAULT_WAIT_SECONDS) * 1000, call.signal);
    } finally {
      unsubscribe?.();
    }

    if (job.status === 'failed' && job.error) {
      const e = job.error;
      throw new LeindexError(
        e.code,
        `index job ${job.id} failed: ${e.message}`,
        e.hint ? { hint: e.hint } : {},
      );
    }
    const s = job.summary;
    const data: z.output<z.ZodObject<typeof output>> = {
      job_id: job.id,
      status: job.status === 'done' ? 'done' : 'running',
      joined,
      project: job.root,
      trigger: job.trigger,
      rebuild: job.rebuild,
      started_at: new Date(job.startedAtMs).toISOString(),
      elapsed_ms: Math.round(job.elapsedMs),
    };
    if (job.finishedAtMs !== undefined) data.finished_at = new Date(job.finishedAtMs).toISOString();
    if (s) {
      data.generation = s.generation;
      data.changed = s.changed;
      data.files = {
        indexed: s.files.indexed,
        parsed: s.files.parsed,
        reused: s.files.reused,
        deleted: s.files.deleted,
      };
      data.skipped = s.skipped.total;
      data.symbols = s.symbols.total;
      data.edges = s.edges.total;
    }
    const secs = (job.elapsedMs / 1000).toFixed(1);
    const text = !s
      ? `index job ${job.id} for ${job.root} is running (${secs}s so far${joined ? '; joined a job already running' : ''}).\n` +
        `Call leindex_index with job_id "${job.id}" to wait for it; other tools answer from the previous index meanwhile.\n`
      : !s.changed
        ? `index of ${job.root} is up to date: generation ${s.generation}, ${s.files.indexed} files (checked in ${secs}s, job ${job.id}).\n`
        : `indexed ${job.root}: generation ${s.generation}, ${s.files.indexed} files (${s.files.parsed} parsed, ` +
          `${s.files.reused} reused, ${s.files.deleted} deleted), ${s.skipped.total} skipped, ${s.symbols.total} symbols, ` +
          `${s.edges.total} edges in ${secs}s (job ${job.id}).\n`;
    const note =
      args.rebuild && joined && !job.rebuild
        ? 'A refresh was already running, so this was not a rebuild: ask again for one when it is done.\n'
        : '';
    return { text: text + note, data };
  },
});
