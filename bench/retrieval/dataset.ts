// Builds the CodeSearchNet-style retrieval set from extracted symbols of held-out projects:
// the candidate pool (every function and method with a real body, doc removed: no doc field,
// comments and docstrings stripped from the body text) and the queries (first sentence of
// each documented candidate's doc; its target is that candidate). Main thread, pure.

import { tokenizeText } from '../../src/embed/tokenizer.js';
import { SymbolKind, type LanguageId } from '../../src/protocol.js';
import type { ExtractedSymbol } from '../../scripts/embed/corpus.js';

export interface Candidate {
  readonly project: string;
  readonly language: LanguageId;
  readonly path: string;
  readonly name: string;
  readonly qualifiedName: string;
  readonly signature: string;
  /** Body with comments and docstrings removed. */
  readonly body: string;
}

export interface Query {
  readonly text: string;
  /** Index of the target in the pool. */
  readonly target: number;
}

/**
 * Removes comments, and for Python the docstring (a string literal that is the first
 * statement of the body), from one function's source. A small lexer that knows the string
 * syntaxes of the three languages, so `"http://x"` and `'#'` survive.
 */
export function stripComments(src: string, language: LanguageId): string {
  const py = language === 'python';
  const rust = language === 'rust';
  let out = '';
  let i = 0;
  const n = src.length;
  // Python: the first string literal after the def line's colon is the docstring.
  let pyDocPending = py;
  let pyParenDepth = 0;
  while (i < n) {
    const c = src[i] ?? '';
    const next = src[i + 1] ?? '';
    if (!py && c === '/' && next === '/') {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    if (!py && c === '/' && next === '*') {
      // Rust block comments nest; JS ones do not (a nested opener is plain text there).
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (src[i] === '*' && src[i + 1] === '/') {
          depth--;
          i += 2;
        } else if (rust && src[i] === '/' && src[i + 1] === '*') {
          depth++;
          i += 2;
        } else i++;
      }
      out += ' ';
      continue;
    }
    if (py && c === '#') {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    if (py) {
      if (c === '(' || c === '[' || c === '{') pyParenDepth++;
      else if (c === ')' || c === ']' || c === '}') pyParenDepth--;
    }
    const isQuote = c === '"' || c === "'" || (c === '`' && !py && !rust);
    if (rust && c === "'") {
      // A char literal ('a', '\n', '\u{1F600}') or a lifetime ('a): only the former is a string.
      const m = /^'(\\.[^']*|[^'\\])'/.exec(src.slice(i, i + 12));
      if (m) {
        out += m[0];
        i += m[0].length;
        continue;
      }
      out += c;
      i++;
      continue;
    }
    if (isQuote) {
      const triple = py && src.startsWith(c.repeat(3), i);
      const quote = triple ? c.repeat(3) : c;
      let j = i + quote.length;
      while (j < n && !src.startsWith(quote, j)) {
        if (src[j] === '\\') j++;
        else if (!triple && c !== '`' && src[j] === '\n' && !rust) break; // unterminated
        j++;
      }
      j = Math.min(n, j + quote.length);
      if (pyDocPending && py) {
        // Docstring: the first statement after the header's colon.
        const before = out.replace(/[ \t]*(?:[rRuUbBfF]{1,2})?$/, '');
        if (/:\s*$/.test(before)) {
          out = before;
          i = j;
          pyDocPending = false;
          continue;
        }
      }
      out += src.slice(i, j);
      i = j;
      continue;
    }
    if (py && pyDocPending && c === ':' && pyParenDepth === 0 && /\bdef\b|\bclass\b/.test(out)) {
      out += c;
      i++;
      // Anything but whitespace before a string ends the chance of a docstring.
      const rest = /^[ \t]*(?:#[^\n]*)?\n?\s*/.exec(src.slice(i));
      const ws = rest ? rest[0].replace(/#[^\n]*/, '') : '';
      out += ws;
      i += rest ? rest[0].length : 0;
      if (!/^(?:[rRuUbBfF]{1,2})?["']/.test(src.slice(i))) pyDocPending = false;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/** First sentence of a doc comment: up to the first tag line, blank line or ". ". */
export function firstSentence(doc: string): string {
  const para = (doc.split(/\n\s*\n|\n\s*[@:.]|^\s*@/)[0] ?? '').replace(/\s+/g, ' ').trim();
  const m = /^(.+?[.!?])(\s|$)/.exec(para);
  return (m ? (m[1] ?? para) : para).trim();
}

const CALLABLE: ReadonlySet<number> = new Set([SymbolKind.function, SymbolKind.method]);

/** A doc first sentence good enough to be a query: ≥ 3 words, not a tag or a stub. */
function usableQuery(q: string): boolean {
  if (q.startsWith('@') || /^(todo|fixme|deprecated|internal|private)\b/i.test(q)) return false;
  return tokenizeText(q).length >= 3;
}

export function buildDataset(symbols: Iterable<ExtractedSymbol>): { pool: Candidate[]; queries: Query[] } {
  const pool: Candidate[] = [];
  const docs: string[] = [];
  for (const s of symbols) {
    if (!CALLABLE.has(s.kind) || s.path.endsWith('.d.ts')) continue;
    const body = stripComments(s.body, s.language);
    // Declarations without a body (overload signatures, abstract or trait methods) and
    // one-liners are not what a search for behaviour looks for (CodeSearchNet: ≥ 3 lines).
    if (body.split('\n').filter((l) => l.trim()).length < 3) continue;
    pool.push({
      project: s.project,
      language: s.language,
      path: s.path,
      name: s.name,
      qualifiedName: s.qualifiedName,
      signature: s.signature,
      body,
    });
    docs.push(s.doc);
  }
  // A sentence shared by several functions ("Create a new instance.") has no single answer.
  const sentences = docs.map((d) => (d ? firstSentence(d) : ''));
  const count = new Map<string, number>();
  for (const q of sentences) if (q) count.set(q.toLowerCase(), (count.get(q.toLowerCase()) ?? 0) + 1);
  const queries: Query[] = [];
  sentences.forEach((q, target) => {
    if (q && usableQuery(q) && count.get(q.toLowerCase()) === 1) queries.push({ text: q, target });
  });
  return { pool, queries };
}
