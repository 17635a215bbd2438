// PLACEHOLDER until the TypeScript extractor lands (being written now): emits no symbols.
import type { ExtractContext } from './common.js';

export function extractTypeScript(_ctx: ExtractContext): void {}
