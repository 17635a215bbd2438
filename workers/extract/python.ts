// PLACEHOLDER until the Python extractor lands (being written now): emits no symbols.
import type { ExtractContext } from './common.js';

export function extractPython(_ctx: ExtractContext): void {}
