// Every tool the MCP server offers, in the order clients list them. A new tool is one file in
// this folder and one line here. Server thread.

import type { AnyTool } from '../tool.js';
import { contextTool } from './context.js';
import { deepAnalyzeTool } from './deep-analyze.js';
import { diagnosticsTool } from './diagnostics.js';
import { fileSummaryTool } from './file-summary.js';
import { impactAnalysisTool } from './impact-analysis.js';
import { indexTool } from './index-project.js';
import { projectMapTool } from './project-map.js';
import { readSymbolTool } from './read-symbol.js';
import { searchTool } from './search.js';
import { symbolLookupTool } from './symbol-lookup.js';
import { textSearchTool } from './text-search.js';

export const TOOLS: readonly AnyTool[] = [
  indexTool,
  diagnosticsTool,
  projectMapTool,
  searchTool,
  deepAnalyzeTool,
  contextTool,
  symbolLookupTool,
  fileSummaryTool,
  readSymbolTool,
  impactAnalysisTool,
  textSearchTool,
];
