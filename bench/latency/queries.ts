// The query set of the latency benchmarks: a few hundred varied queries drawn
// deterministically (seeded) from an index itself — identifiers, prefixes, names spelled as
// phrases, first sentences of docs, pasted-report paragraphs — plus a few fixed phrases.
// Main thread.

import type { IndexSession } from '../../src/query/session.js';
import { prng } from '../../scripts/embed/linalg.js';

export interface Query {
  type: string;
  text: string;
}

export function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

export function drawQueries(session: IndexSession, count: number): Query[] {
  const g = session.graph();
  const rand = prng(42);
  const out: Query[] = [];
  const pick = (): number => Math.floor(rand() * g.fileSymbolCount);
  const fixed = [
    'where are expired sessions cleaned up',
    'parse the configuration file',
    'how does the scheduler pick the next task',
    'retry a request with exponential backoff',
    'compile a regular expression',
    'deserialize json into a struct',
    'spawn a task on the runtime',
    'escape html entities',
  ];
  for (const text of fixed) out.push({ type: 'phrase', text });
  let guard = 0;
  while (out.length < count && guard++ < count * 50) {
    const id = pick();
    const info = session.symbol(id);
    if (info.kind === 'module' || info.name.length < 3) continue;
    const r = out.length % 5;
    if (r === 0) out.push({ type: 'identifier', text: info.name });
    else if (r === 1)
      out.push({ type: 'prefix', text: info.name.slice(0, Math.max(3, Math.ceil(info.name.length * 0.6))) });
    else if (r === 2) {
      const words = info.name
        .replace(/([a-z])([A-Z])/g, '$1 $2')
        .replace(/_/g, ' ')
        .toLowerCase();
      if (words.split(' ').length < 2) continue;
      out.push({ type: 'phrase', text: words });
    } else if (r === 3) {
      const first = info.doc?.split(/(?<=[.!?])\s/)[0]?.trim();
      if (!first || first.length < 15) continue;
      out.push({ type: 'doc-sentence', text: first.slice(0, 200) });
    } else {
      const parts: string[] = [];
      while (parts.join(' ').length < 1500) {
        const d = session.symbol(pick()).doc;
        if (d) parts.push(d.slice(0, 400));
      }
      out.push({ type: 'bug-report', text: `Bug report: something is wrong.\n${parts.join('\n')}` });
    }
  }
  return out;
}
