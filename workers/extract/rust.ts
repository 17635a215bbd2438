// PLACEHOLDER until the Rust extractor lands (being written now): emits no symbols.
import type { ExtractContext } from './common.js';

export function extractRust(_ctx: ExtractContext): void {}
