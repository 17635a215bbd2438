// The single place tree-sitter and its grammars are loaded (they are native addons).
// Runs in parse workers; the coordinator never needs a parser. Grammars load lazily, one
// Parser per language per thread, reused for every file (design.md: per-file overhead
// dominates small files).

import { createRequire } from 'node:module';
import v8 from 'node:v8';
import vm from 'node:vm';
import type Parser from 'tree-sitter';
import type { LanguageId } from '../src/protocol.js';

const require = createRequire(import.meta.url);

export type { default as Parser } from 'tree-sitter';
export type SyntaxNode = Parser.SyntaxNode;
export type Tree = Parser.Tree;
export type Query = Parser.Query;
export type QueryCapture = Parser.QueryCapture;
export type QueryMatch = Parser.QueryMatch;

const ParserClass = require('tree-sitter') as typeof Parser;

function loadGrammar(lang: LanguageId): Parser.Language {
  switch (lang) {
    case 'typescript':
      return (require('tree-sitter-typescript') as { typescript: Parser.Language }).typescript;
    case 'tsx':
      return (require('tree-sitter-typescript') as { tsx: Parser.Language }).tsx;
    case 'javascript':
      return require('tree-sitter-javascript') as Parser.Language;
    case 'python':
      return require('tree-sitter-python') as Parser.Language;
    case 'rust':
      return require('tree-sitter-rust') as Parser.Language;
  }
}

const grammars = new Map<LanguageId, Parser.Language>();
const parsers = new Map<LanguageId, Parser>();
const queries = new Map<string, Parser.Query>();

export function grammarFor(lang: LanguageId): Parser.Language {
  let g = grammars.get(lang);
  if (!g) {
    g = loadGrammar(lang);
    grammars.set(lang, g);
  }
  return g;
}

/** This thread's reusable parser for a language. */
export function parserFor(lang: LanguageId): Parser {
  let p = parsers.get(lang);
  if (!p) {
    p = new ParserClass();
    p.setLanguage(grammarFor(lang));
    parsers.set(lang, p);
  }
  return p;
}

/** A compiled query, cached per language and source text (compiling costs milliseconds). */
export function queryFor(lang: LanguageId, source: string): Parser.Query {
  const key = `${lang}\u0000${source}`;
  let q = queries.get(key);
  if (!q) {
    q = new ParserClass.Query(grammarFor(lang), source);
    queries.set(key, q);
  }
  return q;
}

// ---------------------------------------------------------------------------------------
// Freeing trees. A tree's native memory (~30x the source for Rust) is freed by its N-API
// finalizer, which runs only after V8 collects the JS wrapper *and* the event loop turns.
// V8 does not know about that native memory, so on its own it collects rarely and trees
// pile up: measured 2.3 MB RSS growth per parse of an 81 KB file, none of it freed in a
// synchronous loop even with gc(). A minor GC plus one event-loop turn frees them all
// (flat at 53 MB over 200 parses). Workers call this every few hundred KB of source.

let collect: ((opts?: { type: 'minor' | 'major' }) => void) | undefined;
function gcFunction(): typeof collect {
  if (!collect) {
    // --expose-gc cannot be given to a worker thread, but the flag can be set at run time
    // and the function fetched from a fresh context.
    v8.setFlagsFromString('--expose-gc');
    collect = vm.runInNewContext('gc') as typeof collect;
  }
  return collect;
}

export async function reclaimTrees(kind: 'minor' | 'major'): Promise<void> {
  gcFunction()?.({ type: kind });
  await new Promise<void>((resolve) => setImmediate(resolve));
}
