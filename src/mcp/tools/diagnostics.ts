// leindex_diagnostics: the health of a project's index (status, generation, counts by kind,
// skips by reason, freshness, writer, store size), the server's memory against the budget,
// and its running job. Shares src/query/diagnostics.ts with `leindex diagnostics`. Server thread.

import { z } from 'zod';
import { isLeindexError } from '../../errors.js';
import { collectDiagnostics, formatDiagnostics } from '../../query/diagnostics.js';
import type { IndexSession } from '../../query/session.js';
import { defineTool, projectPathArg } from '../tool.js';

const counts = z.record(z.string(), z.number());

const output = {
  project: z.string(),
  index_dir: z.string(),
  status: z.enum(['ok', 'stale', 'missing', 'unreadable']),
  problem: z.object({ code: z.string(), message: z.string(), hint: z.string().optional() }).optional(),
  generation: z.number().int().optional(),
  created_at: z.string().optional(),
  refreshing: z.boolean(),
  files: z.object({ indexed: z.number(), bytes: z.number(), by_language: counts }),
  skipped: z.object({ total: z.number(), by_reason: counts }),
  symbols: z.object({ total: z.number(), by_kind: counts }),
  edges: z.object({ total: z.number(), by_kind: counts }),
  references: z.object({ total: z.number(), resolved: z.number() }),
  syntax_errors: z.object({ files: z.number(), regions: z.number() }),
  freshness: z
    .object({
      stale: z.boolean(),
      changed_files: z.number(),
      changed_dirs: z.number(),
      sample: z.array(z.string()),
      scan_ms: z.number(),
    })
    .optional(),
  vectors: z
    .object({
      file: z.string().describe('the (first) file of the vector index'),
      count: z.number(),
      dim: z.number(),
      bytes: z.number().describe("the index's files together"),
      files: z
        .number()
        .describe('files the index is in: more than one for a build in segments (a one-worker budget)'),
      ok: z.boolean().describe('every byte of the vector files matches its checksums'),
      check_ms: z.number(),
    })
    .optional(),
  writer: z.object({ pid: z.number(), since: z.string() }).optional(),
  store_bytes: z.number(),
  memory: z.object({
    rss_mb: z.number(),
    heap_used_mb: z.number(),
    heap_total_mb: z.number(),
    external_mb: z.number(),
    budget_mb: z.number(),
    budget_source: z.string(),
  }),
  job: z
    .object({ id: z.string(), status: z.string(), trigger: z.string(), elapsed_ms: z.number() })
    .optional(),
  server: z.object({ uptime_s: z.number(), calls: z.number(), errors: z.number() }),
};

export const diagnosticsTool = defineTool({
  name: 'leindex_diagnostics',
  title: 'Index health',
  description:
    'Health of the code index: whether it exists and is fresh, its generation, counts of files, ' +
    'symbols and edges by kind, skipped files by reason, the indexing job, and the server memory ' +
    'against its budget. Use it when answers look wrong or empty.',
  input: { project_path: projectPathArg },
  output,
  annotations: { readOnlyHint: true, openWorldHint: false },

  async run(args, ctx) {
    const project = ctx.projects.resolve(args.project_path);
    let session: IndexSession | undefined;
    let refreshing: boolean;
    try {
      const view = await project.view();
      session = view.session;
      refreshing = view.refreshing;
    } catch (err) {
      // A missing or unreadable index is what this tool reports, not a failure of it.
      if (!isLeindexError(err)) throw err;
      refreshing = project.runningJob !== undefined;
    }
    const d = await collectDiagnostics({
      root: project.root,
      options: project.options,
      ...(session ? { session, baselineMs: project.freshnessBaselineMs } : {}),
    });
    const job = project.lastJob;
    const uptime = Math.round((Date.now() - ctx.startedAtMs) / 1000);
    const data: z.output<z.ZodObject<typeof output>> = {
      project: d.root,
      index_dir: d.indexDir,
      status: d.status,
      refreshing,
      files: { indexed: d.files.indexed, bytes: d.files.bytes, by_language: d.files.byLanguage },
      skipped: { total: d.skipped.total, by_reason: d.skipped.byReason },
      symbols: { total: d.symbols.total, by_kind: d.symbols.byKind },
      edges: { total: d.edges.total, by_kind: d.edges.byKind },
      references: d.references,
      syntax_errors: d.syntaxErrors,
      store_bytes: d.storeBytes,
      memory: {
        rss_mb: d.memory.rssMb,
        heap_used_mb: d.memory.heapUsedMb,
        heap_total_mb: d.memory.heapTotalMb,
        external_mb: d.memory.externalMb,
        budget_mb: d.memory.budgetMb,
        budget_source: d.memory.budgetSource,
      },
      server: { uptime_s: uptime, calls: ctx.stats.calls, errors: ctx.stats.errors },
    };
    if (d.problem)
      data.problem = {
        code: d.problem.code,
        message: d.problem.message,
        ...(d.problem.hint ? { hint: d.problem.hint } : {}),
      };
    if (d.generation !== undefined) data.generation = d.generation;
    if (d.createdAt !== undefined) data.created_at = d.createdAt;
    if (d.freshness)
      data.freshness = {
        stale: d.freshness.stale,
        changed_files: d.freshness.changedFiles,
        changed_dirs: d.freshness.changedDirs,
        sample: d.freshness.sample,
        scan_ms: Math.round(d.freshness.ms * 10) / 10,
      };
    if (d.vectors) {
      const { ms, ...v } = d.vectors;
      data.vectors = { ...v, check_ms: ms };
    }
    if (d.writer) data.writer = d.writer;
    if (job)
      data.job = {
        id: job.id,
        status: job.status,
        trigger: job.trigger,
        elapsed_ms: Math.round(job.elapsedMs),
      };
    let text = formatDiagnostics(d);
    if (job)
      text += `  job       ${job.id} (${job.trigger}) ${job.status}, ${(job.elapsedMs / 1000).toFixed(1)}s\n`;
    text += `  server    up ${uptime}s, ${ctx.stats.calls} calls, ${ctx.stats.errors} errors\n`;
    return { text, data };
  },
});
