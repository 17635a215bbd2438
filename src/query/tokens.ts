// Estimates how many LLM tokens a text costs, for token budgets (analyze, context, MCP
// outputs). One pass over the UTF-16 code units that splits the text where the cl100k/o200k
// pre-tokenizer splits it (words with their one leading space or punctuation character,
// digit groups of 3, punctuation runs, whitespace runs) and adds each piece's expected BPE
// cost, fitted on the benchmark corpus (bench/analyze/calibrate-tokens.ts). Pure; any thread.

// Character classes of ASCII code units; everything ≥ 128 is classified on demand.
const OTHER = 0;
const LETTER = 1;
const DIGIT = 2;
const SPACE = 3;
const NEWLINE = 4;
const APOSTROPHE = 5;

const ASCII_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) ASCII_CLASS[c] = LETTER;
  else if (c >= 48 && c <= 57) ASCII_CLASS[c] = DIGIT;
  else if (c === 32 || c === 9 || c === 11 || c === 12) ASCII_CLASS[c] = SPACE;
  else if (c === 10 || c === 13) ASCII_CLASS[c] = NEWLINE;
  else if (c === 39) ASCII_CLASS[c] = APOSTROPHE;
  else ASCII_CLASS[c] = OTHER;
}

const NON_ASCII_LETTER = /\p{L}|\p{M}/u;
const NON_ASCII_DIGIT = /\p{N}/u;
const NON_ASCII_SPACE = /\s/u;

function classOf(text: string, i: number, c: number): number {
  if (c < 128) return ASCII_CLASS[c] ?? OTHER;
  const ch = text.charAt(i);
  if (NON_ASCII_LETTER.test(ch)) return LETTER;
  if (NON_ASCII_SPACE.test(ch)) return c === 0x2028 || c === 0x2029 || c === 0x85 ? NEWLINE : SPACE;
  if (NON_ASCII_DIGIT.test(ch)) return DIGIT;
  return OTHER;
}

/**
 * Expected BPE tokens of a word piece (least squares on 870k corpus pieces against cl100k;
 * o200k agrees within 1%): one per camel hump, a little more per letter past 5 in a hump
 * run, more for ALL-CAPS runs (few merges exist for them), and a premium when a punctuation
 * character leads (`.name`, `_name` are rarer merges than ` name`). By lead: space, none, punct.
 */
const WORD_BASE = [0.999, 1.026, 1.135];
const WORD_HUMP = [0.953, 0.909, 0.863];
const WORD_EXTRA = [0.037, 0.094, 0.113];
const WORD_CAPS = [0.135, 0.112, 0.117];
/** Non-ASCII letters are split to bytes more often than not: about one token each. */
const NON_ASCII_LETTER_COST = 1;
/** Expected tokens of a punctuation run of length n (index), measured; past the end 0.35/char. */
const PUNCT_COST = [0, 1, 1, 1.1, 1.15, 1.5, 2.2, 2.6, 2.8];
const PUNCT_PER_CHAR = 0.35;

/** The estimated token count of `text` (0 for the empty string). */
export function estimateTokens(text: string): number {
  const tokens = tokenCost(text);
  // Rounded, not ceiled: piece costs are expectations, and ceil would bias short texts up.
  return text.length === 0 ? 0 : Math.max(1, Math.round(tokens));
}

/**
 * The unrounded expected token count of `text`. Texts that end in a line break cost no more
 * joined than apart (pieces only merge across the break), so budgets add these up and the
 * rounded count of the whole stays within their sum.
 */
export function tokenCost(text: string): number {
  const n = text.length;
  let tokens = 0;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    const cls = classOf(text, i, c);
    const next = i + 1 < n ? classOf(text, i + 1, text.charCodeAt(i + 1)) : -1;
    if (cls === APOSTROPHE && i + 1 < n && contraction(text, i) > 0) {
      tokens += 1;
      i += contraction(text, i);
    } else if (cls === LETTER || (cls !== NEWLINE && cls !== DIGIT && next === LETTER)) {
      // A word, with the one non-letter character before it when there is one.
      const lead = cls === LETTER ? 1 : cls === SPACE ? 0 : 2;
      let j = cls === LETTER ? i : i + 1;
      const start = j;
      let humps = 0;
      let caps = true;
      let nonAscii = 0;
      let prevLower = false;
      let prevUpper = false;
      let prev2Upper = false;
      for (; j < n; j++) {
        const d = text.charCodeAt(j);
        const lower = d >= 97 && d <= 122;
        const upper = d >= 65 && d <= 90;
        if (!lower && !upper) {
          if (d < 128 || classOf(text, j, d) !== LETTER) break;
          nonAscii++;
        }
        // A hump starts at lower→Upper, and at the last capital of an acronym (HTTPServer).
        if (upper && prevLower) humps++;
        else if (lower && prevUpper && prev2Upper) humps++;
        if (lower) caps = false;
        prev2Upper = prevUpper;
        prevUpper = upper;
        prevLower = lower;
      }
      const len = j - start;
      tokens +=
        (WORD_BASE[lead] ?? 1) +
        (WORD_HUMP[lead] ?? 1) * humps +
        (WORD_EXTRA[lead] ?? 0.1) * Math.max(0, len - nonAscii - 5 - 3 * humps) +
        (caps && len > 2 ? (WORD_CAPS[lead] ?? 0.1) * (len - 2) : 0) +
        NON_ASCII_LETTER_COST * nonAscii;
      i = j;
    } else if (cls === DIGIT) {
      let j = i + 1;
      while (j < n && classOf(text, j, text.charCodeAt(j)) === DIGIT) j++;
      tokens += Math.ceil((j - i) / 3);
      i = j;
    } else if (cls === SPACE && next !== SPACE && next !== NEWLINE && next !== DIGIT && next !== -1) {
      // ` ?[^\s\p{L}\p{N}]+`: a punctuation run takes one leading space.
      i = punctRun(text, i + 1, n);
      tokens += punctCost(text, i);
    } else if (cls === SPACE || cls === NEWLINE) {
      let j = i;
      let lastNewline = -1;
      for (; j < n; j++) {
        const d = text.charCodeAt(j);
        const k = classOf(text, j, d);
        if (k === NEWLINE) lastNewline = j;
        else if (k !== SPACE) break;
      }
      // Up to the last newline is one piece; the spaces after it are another, except that
      // the last space stays for a following word or punctuation run.
      if (lastNewline >= 0) tokens += 1;
      const spaces = j - (lastNewline + 1 > i ? lastNewline + 1 : i);
      const following = j < n ? classOf(text, j, text.charCodeAt(j)) : -1;
      if (spaces > 0 && following !== -1 && following !== DIGIT && following !== NEWLINE) {
        if (spaces >= 2) tokens += 1;
        i = j - 1; // the lead space: handled above as part of the next piece
      } else {
        if (spaces > 0) tokens += 1;
        i = j;
      }
    } else {
      i = punctRun(text, i, n);
      tokens += punctCost(text, i);
    }
  }
  return tokens;
}

// The last punctuation run found, for punctCost (kept out of the return value to avoid an
// allocation per piece).
let runLength = 0;
let runNonAscii = 0;

/** Scans `[^\s\p{L}\p{N}]+[\r\n]*` from i; returns its end and records its length. */
function punctRun(text: string, i: number, n: number): number {
  let j = i;
  runNonAscii = 0;
  runLength = 0;
  let prev = -1;
  let repeat = 0;
  for (; j < n; j++) {
    const d = text.charCodeAt(j);
    const k = classOf(text, j, d);
    if (k !== OTHER && k !== APOSTROPHE) break;
    if (d >= 128) runNonAscii++;
    // BPE vocabularies hold long runs of one character (`----`, `====`, `////` up to 64):
    // from the third repeat on, a repeated character costs nothing more until 64.
    repeat = d === prev ? repeat + 1 : 1;
    if (repeat <= 2 || repeat % 64 === 0) runLength++;
    prev = d;
  }
  while (j < n && (text.charCodeAt(j) === 10 || text.charCodeAt(j) === 13)) j++;
  return j;
}

function punctCost(_text: string, _end: number): number {
  const ascii = runLength - runNonAscii;
  const base = ascii < PUNCT_COST.length ? (PUNCT_COST[ascii] ?? 1) : ascii * PUNCT_PER_CHAR;
  return Math.max(base, runNonAscii > 0 ? 1 : 0) + runNonAscii;
}

/** Length of the contraction at i (`'s`, `'t`, `'re`, `'ve`, `'m`, `'ll`, `'d`, any case), or 0. */
function contraction(text: string, i: number): number {
  const a = text.charCodeAt(i + 1) | 0x20;
  if (a === 115 || a === 116 || a === 109 || a === 100) return 2; // s t m d
  const b = text.charCodeAt(i + 2) | 0x20;
  if ((a === 114 && b === 101) || (a === 118 && b === 101) || (a === 108 && b === 108)) return 3; // re ve ll
  return 0;
}
