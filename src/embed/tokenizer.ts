// Tokenisation shared by the embedder, the BM25 reference and the training script: code
// identifiers → lower-case sub-tokens (getUserName → get, user, name), free text → the same
// sub-tokens, a light plural stemmer, and the character n-gram hashing that gives unseen
// tokens a vector. Pure functions without I/O; run on any thread (parse workers, main).

/**
 * One identifier-like run in text: letters, digits, marks, `_` and `$`. Everything else
 * (punctuation, operators, whitespace) separates tokens.
 */
const WORD_RUN = /[\p{L}\p{M}\p{N}_$]+/gu;

/**
 * Sub-token pieces of one identifier run, in order:
 * - an upper-case run followed by an upper+lower pair ends an acronym (HTTPServer → HTTP, Server),
 * - an optional capital then lower-case letters (get, User),
 * - an upper-case run (HTTP at the end, ID),
 * - a digit run (json2 → json, 2: numbers are their own token, `int32` shares `int`),
 * - letters of caseless scripts (CJK, Hebrew...) with their marks.
 * `_` and `$` match nothing, so snake_case, __dunder__ and $jquery split there.
 */
const SUB_TOKEN =
  /\p{Lu}+(?=\p{Lu}\p{Ll})|\p{Lu}?[\p{Ll}\p{M}]+|\p{Lu}+\p{M}*|\p{N}+|[\p{Lo}\p{Lm}\p{Lt}\p{M}]+/gu;

const ASCII_LOWER_WORD = /^[a-z]+$/;
const NON_ASCII = /[^ -~\t\n\r]/;

/**
 * Splits one identifier (or any word) into lower-case sub-tokens: camelCase, PascalCase,
 * snake_case, kebab-case, SCREAMING_CASE, acronyms, digit runs and non-ASCII letters.
 * `getUserName` → [get, user, name]; `HTTPServerError` → [http, server, error];
 * `parse_json2` → [parse, json, 2]; `__init__` → [init]; `` → [].
 */
export function tokenizeIdentifier(identifier: string): string[] {
  if (ASCII_LOWER_WORD.test(identifier)) return [identifier];
  // Decomposed accents (e + U+0301) would split a word in two; NFC keeps them one letter.
  const s = NON_ASCII.test(identifier) ? identifier.normalize('NFC') : identifier;
  const out: string[] = [];
  for (const m of s.matchAll(SUB_TOKEN)) out.push(m[0].toLowerCase());
  return out;
}

/**
 * Splits free text (a query, a doc comment, a body of code) into lower-case sub-tokens in
 * order. Identifiers inside the text are split like tokenizeIdentifier does, so a query that
 * says `getUserName` and one that says "get user name" meet the same tokens.
 */
export function tokenizeText(text: string, maxChars = Infinity): string[] {
  const s = text.length > maxChars ? text.slice(0, maxChars) : text;
  const out: string[] = [];
  for (const m of s.matchAll(WORD_RUN)) {
    const w = m[0];
    if (ASCII_LOWER_WORD.test(w)) out.push(w);
    else for (const t of tokenizeIdentifier(w)) out.push(t);
  }
  return out;
}

/**
 * The tokens that carry meaning, in text order: tokenizeText minus one-letter tokens (loop
 * variables, initials) and STOP_WORDS, stemmed with stemToken when `stem` is set. Training
 * and the embedder both go through here, so they always agree on what a token is.
 */
export function contentTokens(text: string, stem: boolean, maxChars = Infinity): string[] {
  const out: string[] = [];
  for (const t of tokenizeText(text, maxChars)) {
    if (t.length < 2 || STOP_WORDS.has(t)) continue;
    out.push(stem ? stemToken(t) : t);
  }
  return out;
}

/**
 * Harman's "S" stemmer, the lightest useful one: folds plurals and third-person verbs
 * (sessions → session, queries → query, returns → return, classes → classe) and nothing
 * else, so code words are not mangled. Applied identically to code and queries, so its
 * oddities (`classes` → `classe`) cancel out. Tokens under 4 letters are left alone.
 */
export function stemToken(t: string): string {
  const n = t.length;
  if (n < 4 || t.charCodeAt(n - 1) !== 115 /* s */) return t;
  if (t.endsWith('ies') && !t.endsWith('eies') && !t.endsWith('aies')) return `${t.slice(0, -3)}y`;
  if (t.endsWith('es') && !t.endsWith('aes') && !t.endsWith('ees') && !t.endsWith('oes')) {
    return t.slice(0, -1);
  }
  if (t.endsWith('us') || t.endsWith('ss') || t.endsWith('is')) return t;
  return t.slice(0, -1);
}

/**
 * Words that carry no meaning for retrieval: English function words and the keywords of the
 * three languages. Dropped before weighting (IDF would shrink most of them anyway; dropping
 * them is cheaper and keeps rare-keyword noise out of short queries).
 */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a an the and or not no nor of to in on at by for from with without into onto over under ' +
    'is are was were be been being am do does did done has have had having it its this that these those ' +
    'there here then than so as if else elif when where which who whom whose what why how ' +
    'can could should would will shall may might must also just only very too such same other ' +
    'each any all some both either neither one ones i we you he she they them their our your ' +
    'me my us his her e g eg ie etc via per out up down off about above below after before ' +
    'between through during while until again further once more most less many much own ' +
    // keywords (TS/JS, Python, Rust) that appear in every body
    'def fn let const var pub mut impl self cls this return yield await async function ' +
    'import export pass lambda elif try except finally raise throw catch new mod crate super ' +
    'use extern unsafe ref dyn where match case break continue static typeof instanceof void ' +
    'none null undefined true false nil'
  ).split(' '),
);

/** FNV-1a over the UTF-16 code units of a string; stable across threads and runs. */
export function fnv1a(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Hash buckets of the character n-grams (minn..maxn) of `<token>`, fastText style: the
 * angle brackets mark word boundaries so prefixes and suffixes hash apart from infixes.
 * Returns bucket indices in a fixed order (duplicates kept: a repeated n-gram counts twice,
 * as in fastText).
 */
export function ngramBuckets(token: string, minn: number, maxn: number, bucketCount: number): number[] {
  const w = `<${token}>`;
  const out: number[] = [];
  if (bucketCount <= 0) return out;
  for (let n = minn; n <= maxn; n++) {
    for (let i = 0; i + n <= w.length; i++) {
      // The whole word as one n-gram would alias its own (missing) vocabulary entry: skip it.
      if (i === 0 && n === w.length) continue;
      out.push(fnv1a(w.slice(i, i + n)) % bucketCount);
    }
  }
  return out;
}
