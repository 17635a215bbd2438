// Estimates how many LLM tokens a text costs, for token budgets (analyze, context, MCP
// outputs). Not bytes over a constant: code is denser in tokens than prose (punctuation,
// short identifiers, indentation), so the text is pre-split the way BPE tokenizers of the
// cl100k/o200k family split it, and each piece is costed by its class. Pure; any thread.

/** The pre-tokenizer shape of cl100k: contractions, letter runs, 1–3 digits, punctuation runs, spaces. */
const PIECE = /'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}{1,3}| ?[^\s\p{L}\p{N}]+|\s+/gu;

/** Characters per token inside a long letter run (BPE merges of identifier parts and words). */
const LETTERS_PER_TOKEN = 4;
/** Characters per token inside a punctuation run (`();`, `=>`, `::` are often one token). */
const PUNCT_PER_TOKEN = 2;
/** Whitespace runs: a newline plus indentation is usually one token, long runs a few. */
const SPACES_PER_TOKEN = 16;

/** The estimated token count of `text` (0 for the empty string). */
export function estimateTokens(text: string): number {
  let tokens = 0;
  for (const m of text.matchAll(PIECE)) {
    const piece = m[0];
    const c = piece.charCodeAt(0);
    const lead = c === 32 ? 1 : 0;
    const len = piece.length - lead;
    const first = piece.charCodeAt(lead);
    if (c === 32 && len === 0) tokens += 1;
    else if (isSpace(first)) tokens += Math.ceil(piece.length / SPACES_PER_TOKEN);
    else if (isLetter(piece, lead)) tokens += Math.max(1, Math.ceil(len / LETTERS_PER_TOKEN));
    else if (first >= 48 && first <= 57) tokens += 1;
    else tokens += Math.max(1, Math.ceil(len / PUNCT_PER_TOKEN));
  }
  return tokens;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11;
}

function isLetter(piece: string, at: number): boolean {
  return /\p{L}/u.test(piece.charAt(at));
}
