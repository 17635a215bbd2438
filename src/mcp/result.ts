// What crosses the wire from a tool: a text answer for the model plus structuredContent that
// matches the tool's output schema, or an `isError` result carrying a code and a hint.
// Expected failures (LeindexError) become such results; anything else is logged to stderr
// with its stack and reported as E_INTERNAL. The server never crashes on either. Server thread.

import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { describeError, isLeindexError } from '../errors.js';
import type { Logger } from '../util/log.js';
import type { ProjectView } from './project.js';

/** A tool's answer before it is put on the wire. */
export interface ToolAnswer<T> {
  text: string;
  data: T;
}

/** Fields every answer about a project carries: where it came from and how fresh it is. */
export const viewShape = {
  project: z.string().describe('Project root the answer is about'),
  generation: z.number().int().describe('Index generation the answer was read from'),
  stale: z.boolean().describe('Files changed since that generation was indexed'),
  refreshing: z.boolean().describe('A refresh of the index is scheduled or running'),
  trimmed: z.boolean().describe('The answer was cut to fit the token budget'),
};

export interface ViewFields {
  project: string;
  generation: number;
  stale: boolean;
  refreshing: boolean;
  trimmed: boolean;
}

export function viewFields(root: string, view: ProjectView, trimmed: boolean): ViewFields {
  return {
    project: root,
    generation: view.generation,
    stale: view.stale,
    refreshing: view.refreshing,
    trimmed,
  };
}

/** One line for the end of a text answer when it is not the whole, fresh truth. */
export function notes(fields: ViewFields, trimmedWhat?: string): string {
  const out: string[] = [];
  if (fields.trimmed) out.push(`trimmed to the token budget${trimmedWhat ? `: ${trimmedWhat}` : ''}`);
  if (fields.stale)
    out.push(
      `files changed since generation ${fields.generation} was indexed${fields.refreshing ? '; refreshing in the background' : ''}`,
    );
  else if (fields.refreshing) out.push('the index is being refreshed');
  return out.length ? `(${out.join('; ')})\n` : '';
}

export function toResult(answer: ToolAnswer<Record<string, unknown>>): CallToolResult {
  return { content: [{ type: 'text', text: answer.text }], structuredContent: answer.data };
}

/** An isError result: `CODE: message` and a hint line; the code and hint again in _meta. */
export function errorResult(err: unknown, log: Logger, tool: string): CallToolResult {
  if (isLeindexError(err)) {
    const text = `${err.code}: ${err.message}${err.hint ? `\nhint: ${err.hint}` : ''}`;
    return {
      isError: true,
      content: [{ type: 'text', text }],
      _meta: { 'leindex/error': { code: err.code, hint: err.hint ?? null } },
    };
  }
  log.warn(`${tool}: internal error: ${describeError(err)}`);
  if (err instanceof Error && err.stack) log.debug(err.stack);
  return {
    isError: true,
    content: [
      {
        type: 'text',
        text: `E_INTERNAL: ${describeError(err)}\nhint: this is a leindex bug; the server log (stderr) has details`,
      },
    ],
    _meta: { 'leindex/error': { code: 'E_INTERNAL', hint: null } },
  };
}
