// Tokenisation shared by the embedder, the lexical index and the training script: code
// identifiers → lower-case sub-tokens (getUserName → get, user, name), free text → the same
// sub-tokens (one pass over char codes; the Unicode regexes only for non-ASCII words), a
// light plural stemmer, the character n-gram hashing that gives unseen tokens a vector, and
// TokenCache, the per-thread memo from raw sub-tokens to content tokens. No I/O; any thread.

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
 * Receives the sub-tokens of a text in order from scanSubTokens. ASCII sub-tokens (nearly all
 * of code) come as a span of the text, not yet lower-cased, so a caller that only looks them
 * up never allocates a string; sub-tokens of words with non-ASCII letters come as strings.
 */
export interface SubTokenSink {
  /**
   * The sub-token text[start, end): ASCII letters or digits, any case; `hash` is the FNV-1a
   * of its lower-case form (as int32: fnv1a(token) | 0).
   */
  span(text: string, start: number, end: number, hash: number): void;
  /** A sub-token of a non-ASCII word, already lower-cased (tokenizeIdentifier's output). */
  token(token: string): void;
}

// ASCII code unit classes for the scanner. WORD_RUN and SUB_TOKEN restricted to ASCII: a run
// is [A-Za-z0-9_$]+, and inside it `_` and `$` only separate sub-tokens.
const SEP = 0;
const LOWER = 1;
const UPPER = 2;
const DIGIT = 3;
const JOIN = 4;
const ASCII_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if (c >= 97 && c <= 122) ASCII_CLASS[c] = LOWER;
  else if (c >= 65 && c <= 90) ASCII_CLASS[c] = UPPER;
  else if (c >= 48 && c <= 57) ASCII_CLASS[c] = DIGIT;
  else if (c === 95 || c === 36) ASCII_CLASS[c] = JOIN;
}

/** Any character outside ASCII. */
const NON_ASCII_ANY = /[^\0-\x7f]/;
/** FNV-1a, as fnv1a() computes it, in int32 arithmetic. */
const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

/**
 * Feeds the sub-tokens of `text` (its first maxChars characters) to `sink` in text order:
 * exactly what tokenizeText returns, without its intermediate arrays and strings. One pass
 * over char codes for ASCII words; a word that contains a non-ASCII character goes through
 * the Unicode regexes (WORD_RUN to find its extent, then tokenizeIdentifier). Sinks must not
 * scan from inside span() or token().
 */
export function scanSubTokens(text: string, maxChars: number, sink: SubTokenSink): void {
  const s = text.length > maxChars ? text.slice(0, maxChars) : text;
  const n = s.length;
  // Most code is pure ASCII (checked natively, far faster than a loop): then one pass does it.
  if (!NON_ASCII_ANY.test(s)) {
    scanAsciiWord(s, 0, n, sink);
    return;
  }
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c >= 128) {
      i = scanUnicodeWord(s, i, sink);
      continue;
    }
    if (ASCII_CLASS[c] === SEP) {
      i++;
      continue;
    }
    let j = i + 1;
    let d = 0;
    while (j < n && (d = s.charCodeAt(j)) < 128 && ASCII_CLASS[d] !== SEP) j++;
    // The run meets a non-ASCII character: it may continue through it (café, größeBerechnen).
    if (j < n && d >= 128) i = scanUnicodeWord(s, i, sink);
    else {
      scanAsciiWord(s, i, j, sink);
      i = j;
    }
  }
}

/** The next WORD_RUN at or after `from`, split; returns where scanning resumes. */
function scanUnicodeWord(s: string, from: number, sink: SubTokenSink): number {
  WORD_RUN.lastIndex = from;
  const m = WORD_RUN.exec(s);
  if (!m) return s.length;
  const w = m[0];
  const end = m.index + w.length;
  if (NON_ASCII.test(w)) for (const t of tokenizeIdentifier(w)) sink.token(t);
  else scanAsciiWord(s, m.index, end, sink);
  return end;
}

/**
 * SUB_TOKEN over ASCII text s[start, end) (one word run, or a whole text without non-ASCII
 * characters, where separators are simply no piece): an upper-case run followed by a
 * lower-case letter gives its last capital to the next piece (HTTPServer → HTTP, Server),
 * otherwise it is a piece of its own (getID → get, ID); lower-case and digit runs are pieces;
 * `_`, `$` and separators are not. Each piece comes with the FNV-1a hash of its lower-case
 * form, computed in the same pass (TokenCache looks pieces up by it).
 */
function scanAsciiWord(s: string, start: number, end: number, sink: SubTokenSink): void {
  let i = start;
  while (i < end) {
    const c = s.charCodeAt(i);
    const k = ASCII_CLASS[c];
    let j = i + 1;
    let d = 0;
    if (k === LOWER || k === DIGIT) {
      let h = Math.imul(FNV_OFFSET ^ c, FNV_PRIME);
      while (j < end && ASCII_CLASS[(d = s.charCodeAt(j))] === k) {
        h = Math.imul(h ^ d, FNV_PRIME);
        j++;
      }
      sink.span(s, i, j, h);
    } else if (k === UPPER) {
      let before = FNV_OFFSET; // hash of s[i, j - 1), lower-cased
      let h = Math.imul(FNV_OFFSET ^ (c + 32), FNV_PRIME); // hash of s[i, j), lower-cased
      while (j < end && ASCII_CLASS[(d = s.charCodeAt(j))] === UPPER) {
        before = h;
        h = Math.imul(h ^ (d + 32), FNV_PRIME);
        j++;
      }
      // d is s[j] whenever j < end.
      if (j < end && ASCII_CLASS[d] === LOWER) {
        if (j - i >= 2) {
          sink.span(s, i, j - 1, before);
          i = j - 1;
          h = Math.imul(FNV_OFFSET ^ (s.charCodeAt(i) + 32), FNV_PRIME);
        }
        do {
          h = Math.imul(h ^ d, FNV_PRIME);
          j++;
        } while (j < end && ASCII_CLASS[(d = s.charCodeAt(j))] === LOWER);
      }
      sink.span(s, i, j, h);
    }
    i = j;
  }
}

/** Collects scanSubTokens' output as lower-case strings. */
class TokenList implements SubTokenSink {
  readonly out: string[] = [];
  span(text: string, start: number, end: number, _hash: number): void {
    const t = text.slice(start, end);
    // Lower-case letters and digits are already the token; only capitals need a new string.
    this.out.push(ASCII_LOWER_OR_DIGITS.test(t) ? t : t.toLowerCase());
  }
  token(token: string): void {
    this.out.push(token);
  }
}

const ASCII_LOWER_OR_DIGITS = /^[a-z0-9]+$/;

/**
 * Splits free text (a query, a doc comment, a body of code) into lower-case sub-tokens in
 * order. Identifiers inside the text are split like tokenizeIdentifier does, so a query that
 * says `getUserName` and one that says "get user name" meet the same tokens.
 */
export function tokenizeText(text: string, maxChars = Infinity): string[] {
  const list = new TokenList();
  scanSubTokens(text, maxChars, list);
  return list.out;
}

/**
 * The tokens that carry meaning, in text order: tokenizeText minus one-letter tokens (loop
 * variables, initials) and STOP_WORDS, stemmed with stemToken when `stem` is set. Training
 * and the embedder both go through here (the embedder through the same TokenCache), so they
 * always agree on what a token is.
 */
export function contentTokens(text: string, stem: boolean, maxChars = Infinity): string[] {
  const cache = tokenCache(stem);
  cache.begin();
  const n = cache.scan(text, maxChars);
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = cache.keys[cache.ids[i]!]!;
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

/** Raw sub-token that is no content token (a stop word or one letter). */
export const DROPPED = -1;
/** Past this many distinct raw sub-tokens or content tokens a cache starts over. */
const MAX_CACHE_ENTRIES = 1 << 18;

/**
 * Per-thread memo of contentTokens: raw sub-token (as scanSubTokens finds it) → content token
 * id (its lower-cased, stemmed form; `keys[id]` is the string). A raw sub-token is found by
 * hashing its span of the text, so one seen before costs no string, regex, stemming or Map
 * lookup. Ids are dense and stable until the cache starts over (`epoch` changes), which only
 * happens in begin(), at most every MAX_CACHE_ENTRIES new tokens, so memory stays bounded.
 */
export class TokenCache implements SubTokenSink {
  /** Bumped when the cache starts over: ids of an earlier epoch mean nothing. */
  epoch = 0;
  /** Content token ids found by the last scan(), in text order. */
  ids = new Int32Array(256);
  count = 0;
  /** Content token id → the token. */
  keys: string[] = [];
  private keyIds = new Map<string, number>();
  // Raw sub-tokens: open addressing over `slots` (raw index + 1; 0 = empty); their lower-cased
  // characters live in `chars`, so a span of the text is compared without making a string.
  private slots = new Int32Array(1 << 14);
  private rawHash = new Int32Array(1 << 13);
  private rawStart = new Int32Array(1 << 13);
  private rawLen = new Int32Array(1 << 13);
  private rawId = new Int32Array(1 << 13);
  private rawCount = 0;
  private chars = new Uint16Array(1 << 16);
  private charCount = 0;

  constructor(readonly stem: boolean) {}

  /** Call before a scan whose ids must stay valid: starts over if the cache is full. */
  begin(): void {
    if (this.rawCount >= MAX_CACHE_ENTRIES || this.keys.length >= MAX_CACHE_ENTRIES) {
      this.slots = new Int32Array(1 << 14);
      this.rawCount = 0;
      this.charCount = 0;
      this.keys = [];
      this.keyIds.clear();
      this.epoch++;
    }
  }

  /** Content token ids of `text` (its first maxChars characters) into ids[0, count). */
  scan(text: string, maxChars = Infinity): number {
    this.count = 0;
    scanSubTokens(text, maxChars, this);
    return this.count;
  }

  /** The id of an already normalised token (no stop-word check, no stemming). */
  idOf(key: string): number {
    let id = this.keyIds.get(key);
    if (id === undefined) {
      id = this.keys.length;
      this.keys.push(key);
      this.keyIds.set(key, id);
    }
    return id;
  }

  span(text: string, start: number, end: number, hash: number): void {
    if (end - start < 2) return; // one letter
    const id = this.lookup(text, start, end, hash, undefined);
    if (id !== DROPPED) this.push(id);
  }

  token(token: string): void {
    let h = FNV_OFFSET;
    for (let i = 0; i < token.length; i++) h = Math.imul(h ^ token.charCodeAt(i), FNV_PRIME);
    const id = this.lookup(token, 0, token.length, h, token);
    if (id !== DROPPED) this.push(id);
  }

  private push(id: number): void {
    if (this.count === this.ids.length) {
      const ids = new Int32Array(this.count * 2);
      ids.set(this.ids);
      this.ids = ids;
    }
    this.ids[this.count++] = id;
  }

  /**
   * Id of the raw sub-token text[start, end) lower-cased (ASCII capitals fold; `key`, when
   * given, is the token itself, already lower-case), whose hash is `h`; or DROPPED.
   */
  private lookup(text: string, start: number, end: number, h: number, key: string | undefined): number {
    const len = end - start;
    const mask = this.slots.length - 1;
    for (let at = h & mask; ; at = (at + 1) & mask) {
      const slot = this.slots[at]!;
      if (slot === 0) {
        const id = this.resolve(key ?? text.slice(start, end).toLowerCase());
        this.insert(at, h, text, start, len, id);
        return id;
      }
      const raw = slot - 1;
      if (this.rawHash[raw] !== h || this.rawLen[raw] !== len) continue;
      const offset = this.rawStart[raw]! - start;
      let i = start;
      for (; i < end; i++) {
        let c = text.charCodeAt(i);
        if (c >= 65 && c <= 90) c += 32;
        if (this.chars[offset + i] !== c) break;
      }
      if (i === end) return this.rawId[raw]!;
    }
  }

  /** What contentTokens keeps of one lower-case sub-token. */
  private resolve(token: string): number {
    if (token.length < 2 || STOP_WORDS.has(token)) return DROPPED;
    return this.idOf(this.stem ? stemToken(token) : token);
  }

  private insert(at: number, h: number, text: string, start: number, len: number, id: number): void {
    const raw = this.rawCount++;
    if (raw === this.rawHash.length) {
      const n = raw * 2;
      this.rawHash = grown(this.rawHash, n);
      this.rawStart = grown(this.rawStart, n);
      this.rawLen = grown(this.rawLen, n);
      this.rawId = grown(this.rawId, n);
    }
    if (this.charCount + len > this.chars.length) {
      const chars = new Uint16Array(Math.max(this.chars.length * 2, this.charCount + len));
      chars.set(this.chars);
      this.chars = chars;
    }
    for (let i = 0; i < len; i++) {
      let c = text.charCodeAt(start + i);
      if (c >= 65 && c <= 90) c += 32;
      this.chars[this.charCount + i] = c;
    }
    this.rawHash[raw] = h;
    this.rawStart[raw] = this.charCount;
    this.rawLen[raw] = len;
    this.rawId[raw] = id;
    this.charCount += len;
    this.slots[at] = raw + 1;
    // Load factor ≤ 1/2 keeps probe chains short.
    if (this.rawCount * 2 > this.slots.length) this.rehash(this.slots.length * 2);
  }

  private rehash(size: number): void {
    const slots = new Int32Array(size);
    const mask = size - 1;
    for (let raw = 0; raw < this.rawCount; raw++) {
      let at = this.rawHash[raw]! & mask;
      while (slots[at] !== 0) at = (at + 1) & mask;
      slots[at] = raw + 1;
    }
    this.slots = slots;
  }
}

function grown(a: Int32Array, n: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}

const caches = new Map<boolean, TokenCache>();

/** This thread's TokenCache for stemmed (or unstemmed) tokens. */
export function tokenCache(stem: boolean): TokenCache {
  let c = caches.get(stem);
  if (!c) {
    c = new TokenCache(stem);
    caches.set(stem, c);
  }
  return c;
}
