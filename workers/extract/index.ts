// Picks the extractor for a language. Runs inside parse workers.

import type { LanguageId } from '../../src/protocol.js';
import type { Extractor } from './common.js';
import { extractPython } from './python.js';
import { extractRust } from './rust.js';
import { extractTypeScript } from './typescript.js';

export function extractorFor(lang: LanguageId): Extractor {
  switch (lang) {
    case 'typescript':
    case 'tsx':
    case 'javascript':
      return extractTypeScript;
    case 'python':
      return extractPython;
    case 'rust':
      return extractRust;
  }
}
