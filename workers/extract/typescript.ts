// The TypeScript / TSX / JavaScript extractor: symbols (classes, interfaces, enums, type
// aliases, namespaces, functions, methods, fields, module-level variables) and raw references
// (imports, re-exports, calls, constructions, heritage, type uses, parameters, reads / writes)
// of one file, into its PDG fragment. Runs inside parse workers.
//
// Cost model (measured on node-tree-sitter 0.25): one query traversal costs about a quarter of
// the parse, and every node object the binding hands to JS costs ~2 µs (a weak-ref'd cache
// entry), while text scanning and scalar getters are cheap. So: ONE combined native query per
// language, capturing at most one or two nodes per fact, and everything else (names, qualifiers,
// modifiers, lines, doc comments) is read from the source text by offset. Nothing recurses over
// the tree; enclosing symbols are found by binary search over the sorted symbol ranges.

import type { Query, SyntaxNode } from '../../native/tree-sitter.js';
import { queryFor } from '../../native/tree-sitter.js';
import type { LanguageId } from '../../src/protocol.js';
import { RefKind, SymbolFlag, SymbolKind } from '../../src/protocol.js';
import { attributeComplexity, cleanDoc, cleanSignature, type ExtractContext } from './common.js';

/** Receiver / path text of a call is cut to this many characters. */
const MAX_QUALIFIER = 200;
/** Qualified names deeper than this are cut (pathological nesting must not build O(n²) strings). */
const MAX_QUALIFIED_NAME = 1000;
/** Signatures of plain variables / fields show the initializer only when it is this short. */
const MAX_INLINE_VALUE = 80;
/** The text scan that recovers a call's receiver gives up (and asks the tree) beyond this. */
const MAX_BACKSCAN_CHARS = 400;
const MAX_BACKSCAN_JUMPS = 64;

/**
 * Generic wrappers skipped when choosing a parameter's / return value's main type:
 * `Promise<User>` → User. When no other named type is inside, the wrapper itself is used.
 */
const WRAPPER_TYPES = new Set([
  'Promise',
  'PromiseLike',
  'Awaited',
  'Array',
  'ReadonlyArray',
  'Partial',
  'Required',
  'Readonly',
  'NonNullable',
  'Record',
  'Pick',
  'Omit',
  'Map',
  'ReadonlyMap',
  'WeakMap',
  'Set',
  'ReadonlySet',
  'WeakSet',
  'Iterable',
  'IterableIterator',
  'AsyncIterable',
  'AsyncIterableIterator',
  'Iterator',
  'AsyncIterator',
  'Generator',
  'AsyncGenerator',
]);

/** `//` comments that are tool directives, never documentation. */
const DIRECTIVE_COMMENT =
  /^\/\/\s*(?:eslint|@ts-|prettier-ignore|tslint:|istanbul |c8 |v8 |jshint|global |#(?:end)?region|biome-ignore|deno-lint|@flow|sourceMappingURL|#\s*sourceMappingURL|webpack)|^\/\/\/\s*</;

const MODIFIER_WORDS = new Set(['public', 'private', 'protected', 'readonly', 'override', 'declare']);

// ---------------------------------------------------------------------------------------
// Query sources, one per grammar (node types differ: JS has no type nodes, TS has no JSX).
// Capture names route each match; see `collect` below. Nested alternations are avoided on
// purpose: tree-sitter 0.25 misses matches in some nested `[ [..] ..]` forms.
// ---------------------------------------------------------------------------------------

function querySource(lang: LanguageId): string {
  const ts = lang !== 'javascript';
  const jsx = lang !== 'typescript';
  const p: string[] = [];
  const fnValues = (cap: string): string[] => [
    `(arrow_function body: (_) @bd) @${cap}`,
    `(function_expression body: (_) @bd) @${cap}`,
    `(generator_function body: (_) @bd) @${cap}`,
  ];

  // --- definitions
  p.push('(class_declaration name: (_) @nm body: (_) @bd) @cls');
  if (ts) p.push('(abstract_class_declaration name: (_) @nm body: (_) @bd) @cls');
  p.push('(function_declaration name: (_) @nm body: (_) @bd) @fn');
  p.push('(generator_function_declaration name: (_) @nm body: (_) @bd) @fn');
  if (ts) p.push('(function_signature name: (_) @nm) @fsig');
  p.push('(class_body (method_definition name: (_) @nm body: (_) @bd) @mth)');
  if (ts) {
    p.push('(class_body (method_signature name: (_) @nm) @msig)');
    p.push('(class_body (abstract_method_signature name: (_) @nm) @msig)');
    p.push('(class_body (public_field_definition name: (_) @nm value: (_)? @val) @fld)');
    p.push('(interface_declaration name: (_) @nm body: (_) @bd) @ifc');
    p.push('(interface_body (property_signature name: (_) @nm) @ifld)');
    p.push('(interface_body (method_signature name: (_) @nm) @imth)');
    p.push('(enum_declaration name: (_) @nm body: (_) @bd) @enm');
    p.push('(type_alias_declaration name: (_) @nm) @typ');
    p.push('(internal_module name: (_) @nm) @ns');
    p.push('(module name: (_) @nm) @ns');
  } else {
    p.push('(class_body (field_definition property: (_) @nm value: (_)? @val) @fld)');
  }
  for (const decl of ['lexical_declaration', 'variable_declaration']) {
    // `const f = () => …` / `const C = class …` anywhere (nested functions are symbols too).
    for (const fv of fnValues('fval')) {
      p.push(`(${decl} (variable_declarator name: (identifier) @nm value: ${fv}) @vfn) @stmt`);
    }
    p.push(`(${decl} (variable_declarator name: (identifier) @nm value: (class body: (_) @bd) @cval) @vcls) @stmt`);
  }
  // Module-level (and namespace-level) variables, plain or exported / declared.
  const decls = ['lexical_declaration', 'variable_declaration'].map(
    (d) => `(${d} (variable_declarator name: (identifier) @nm value: (_)? @val) @var) @stmt`,
  );
  const wrapped: string[] = [];
  for (const d of decls) {
    wrapped.push(d, `(export_statement declaration: ${d})`);
    if (ts) wrapped.push(`(ambient_declaration ${d})`, `(export_statement declaration: (ambient_declaration ${d}))`);
  }
  const containers = ts
    ? ['(program X)', '(internal_module body: (statement_block X))', '(module body: (statement_block X))']
    : ['(program X)'];
  for (const c of containers) for (const w of wrapped) p.push(c.replace('X', w));
  for (const fv of fnValues('dfn')) p.push(`(export_statement value: ${fv})`);
  p.push('(export_statement value: (class body: (_) @bd) @dcls)');
  // CommonJS: exports.x = …, module.exports = …, module.exports.x = …, X.prototype.m = …
  p.push('(program (expression_statement (assignment_expression left: (member_expression) @cjl right: (_) @cjr) @cja))');

  // --- references
  p.push('(call_expression arguments: (arguments) @call)');
  p.push('(new_expression constructor: (_) @newc arguments: (arguments)? @newa)');
  p.push('(member_expression object: (this) property: (_) @this)');
  p.push('(import_statement) @imp');
  p.push('(export_statement !declaration) @exp');
  p.push('(comment) @cmt');
  p.push('(decorator) @dec');
  p.push(
    '[(if_statement) (for_statement) (for_in_statement) (while_statement) (do_statement) (switch_case) (catch_clause) (ternary_expression)] @br',
  );
  p.push('(binary_expression operator: ["&&" "||" "??"] @br)');
  if (ts) {
    p.push('(type_identifier) @ty');
    p.push('(type_parameter name: (_) @tp)');
    p.push('(mapped_type_clause name: (_) @tp)');
    p.push('(infer_type (type_identifier) @tp)');
    p.push('(class_heritage (extends_clause value: (_) @inh))');
    p.push('(class_heritage (implements_clause (_) @impl))');
    p.push('(extends_type_clause type: (_) @inh)');
  } else {
    p.push('(class_heritage (_) @inh)');
  }
  if (jsx) {
    p.push('(jsx_opening_element name: (_) @jsx)');
    p.push('(jsx_self_closing_element name: (_) @jsx)');
  }
  return p.join('\n');
}

const sources = new Map<LanguageId, string>();
function queryForLang(lang: LanguageId): Query {
  let src = sources.get(lang);
  if (src === undefined) {
    src = querySource(lang);
    sources.set(lang, src);
  }
  return queryFor(lang, src);
}

// ---------------------------------------------------------------------------------------
// Node start offsets. node-tree-sitter keeps a node's raw TSNode context in indexed fields:
// [2] = start byte (2 per UTF-16 unit, since JS strings are parsed as UTF-16LE), [3] = row.
// Reading it avoids a native call per node. It is checked against the public getter on the
// first nodes of each thread and abandoned for good at the first mismatch.
// ---------------------------------------------------------------------------------------

let rawStartState = 0; // >= 8: trusted; -1: never use
function startOf(node: SyntaxNode): number {
  const raw = (node as unknown as Record<number, unknown>)[2];
  if (rawStartState >= 8) return (raw as number) >>> 1;
  const s = node.startIndex;
  if (rawStartState >= 0) {
    if (typeof raw === 'number' && raw >>> 1 === s) {
      if (s > 0) rawStartState++;
    } else {
      rawStartState = -1;
    }
  }
  return s;
}

// ---------------------------------------------------------------------------------------
// Character classes over UTF-16 code units.
// ---------------------------------------------------------------------------------------

function isIdentCode(c: number): boolean {
  return (
    (c >= 97 && c <= 122) || // a-z
    (c >= 65 && c <= 90) || // A-Z
    (c >= 48 && c <= 57) || // 0-9
    c === 95 || // _
    c === 36 || // $
    (c >= 0x80 && c !== 0xa0 && c !== 0xfeff && c !== 0x2028 && c !== 0x2029 && c !== 0x3000)
  );
}

function isWsCode(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13 || c === 11 || c === 12 || c === 0xa0 || c === 0xfeff;
}

const WS_RUN = /\s+/g;
function collapse(s: string): string {
  return s.replace(WS_RUN, ' ').trim();
}

function capQualifier(s: string): string {
  const q = collapse(s);
  return q.length > MAX_QUALIFIER ? `${q.slice(0, MAX_QUALIFIER - 1)}…` : q;
}

// ---------------------------------------------------------------------------------------
// Extraction state.
// ---------------------------------------------------------------------------------------

interface Param {
  name: string | undefined; // undefined: destructured (position still counts)
  start: number;
  pos: number;
  /** Range of the type annotation (from its ':'), or -1. */
  annStart: number;
  annEnd: number;
}

interface Cand {
  kind: number;
  name: string;
  nameStart: number;
  start: number;
  end: number;
  /** Where a doc comment would end up: before `export` / `declare` / decorators. */
  anchor: number;
  flags: number;
  signature: string;
  /** Function-like node whose parameters are read, if any. */
  fnNode: SyntaxNode | undefined;
  /** Start of the function body (return type ends there), or -1 for signatures. */
  bodyStart: number;
  /** An overload signature, dropped when an implementation with the same name follows. */
  overload: boolean;
  /** Node whose hasError marks the symbol. */
  node: SyntaxNode;
  params: Param[] | undefined;
  paramsEnd: number;
  /** Constructor parameter property: parent is the constructor's class. */
  ctorOwner: Cand | undefined;
  /** `Foo.prototype.m = function …`: parent is the module-level symbol Foo. */
  protoOwner: string | undefined;
  // assigned when sorted
  parent: Cand | undefined;
  qualifiedName: string;
  row: number;
}

interface PendingRef {
  kind: number;
  off: number;
  name: string;
  qualifier: string | undefined;
  alias: string | undefined;
  aux: number;
  /** Explicit `from` row, or -2 to find the innermost symbol at `off`. */
  from: number;
}

class Extraction {
  readonly text: string;
  readonly lang: LanguageId;
  readonly ts: boolean;
  readonly ctx: ExtractContext;
  // line table
  readonly newlines: number[] = [];
  // collected captures
  readonly cands: Cand[] = [];
  readonly varByDeclarator = new Map<number, Cand>();
  readonly callArgs: SyntaxNode[] = [];
  readonly news: { ctor: SyntaxNode; args: SyntaxNode | undefined }[] = [];
  readonly thisProps: number[] = [];
  readonly imports: SyntaxNode[] = [];
  readonly exports: SyntaxNode[] = [];
  readonly commentStarts: number[] = [];
  readonly decorators: SyntaxNode[] = [];
  readonly branches: number[] = [];
  readonly typeIds: number[] = [];
  readonly typeParams: number[] = [];
  readonly heritage: { node: SyntaxNode; kind: number }[] = [];
  readonly jsx: number[] = [];
  readonly cjs: { assign: SyntaxNode; left: SyntaxNode; right: SyntaxNode }[] = [];
  // derived
  commentEnds: number[] = [];
  decoratorStarts: number[] = [];
  decoratorEnds: number[] = [];
  readonly refs: PendingRef[] = [];
  /** Names exported by `export { a }`, `export default a`, `module.exports = …` (flags to add). */
  readonly exportMarks = new Map<string, number>();
  /** Offsets of type identifiers that are declarations or heritage names, not type uses. */
  readonly notTypeRef = new Set<number>();
  /** Start offsets of `(arguments)` nodes by end offset, to walk chained calls by text. */
  readonly argsStartByEnd = new Map<number, number>();
  /** Name offsets of call / construction callees (a `this.x` there is a call, not a read). */
  readonly calleeNames = new Set<number>();
  // symbol rows
  symStart: number[] = [0];
  symEnd: number[] = [0];
  symRangeParent: number[] = [-1];
  symKind: number[] = [SymbolKind.module];
  rowParams: (Param[] | undefined)[] = [undefined];
  rowTypeParams = new Map<number, Set<string>>();
  /** Accepted type uses, sorted by offset (paramType / returnType pick from them). */
  tyOff: number[] = [];
  tyName: string[] = [];
  tyQual: (string | undefined)[] = [];

  constructor(ctx: ExtractContext) {
    this.ctx = ctx;
    this.text = ctx.text;
    this.lang = ctx.lang;
    this.ts = ctx.lang !== 'javascript';
    const t = this.text;
    for (let i = t.indexOf('\n'); i !== -1; i = t.indexOf('\n', i + 1)) this.newlines.push(i);
    this.symEnd[0] = t.length;
  }

  /** 0-based line of an offset (tree-sitter counts '\n' only). */
  lineOf(off: number): number {
    const nl = this.newlines;
    let lo = 0;
    let hi = nl.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((nl[mid] ?? 0) < off) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  // ------------------------------------------------------------------ text helpers

  identEnd(start: number): number {
    const t = this.text;
    let i = start;
    if (t.charCodeAt(i) === 35) i++; // '#'
    while (i < t.length && isIdentCode(t.charCodeAt(i))) i++;
    return i;
  }

  identAt(start: number): string {
    return this.text.slice(start, this.identEnd(start));
  }

  skipWsBack(i: number): number {
    const t = this.text;
    while (i >= 0 && isWsCode(t.charCodeAt(i))) i--;
    return i;
  }

  skipWsFwd(i: number): number {
    const t = this.text;
    while (i < t.length && isWsCode(t.charCodeAt(i))) i++;
    return i;
  }

  /** Start of the identifier ending at index `i` (inclusive). */
  identStartBack(i: number): number {
    const t = this.text;
    while (i >= 0 && isIdentCode(t.charCodeAt(i))) i--;
    if (i >= 0 && t.charCodeAt(i) === 35) i--; // '#private'
    return i + 1;
  }

  /** Name text of a declaration's name node. */
  nameText(node: SyntaxNode): { name: string; start: number; end: number } {
    const start = startOf(node);
    const type = node.type;
    const t = this.text;
    if (type === 'string') {
      const q = t[start] ?? '"';
      let e = t.indexOf(q, start + 1);
      if (e === -1) e = node.endIndex - 1;
      return { name: t.slice(start + 1, e), start, end: e + 1 };
    }
    if (type === 'nested_identifier') {
      let e = start;
      while (e < t.length) {
        const c = t.charCodeAt(e);
        if (isIdentCode(c) || c === 46) e++;
        else break;
      }
      return { name: t.slice(start, e), start, end: e };
    }
    if (
      type === 'identifier' ||
      type === 'property_identifier' ||
      type === 'type_identifier' ||
      type === 'private_property_identifier' ||
      type === 'number'
    ) {
      const e = this.identEnd(start);
      if (e > start) return { name: t.slice(start, e), start, end: e };
    }
    const end = node.endIndex;
    return { name: collapse(t.slice(start, end)), start, end };
  }

  /**
   * `export` / `default` / `declare` keywords right before a declaration: flags to add and
   * the start of the whole statement (where its doc comment sits).
   */
  leadingKeywords(start: number): { flags: number; anchor: number } {
    const t = this.text;
    let flags = 0;
    let anchor = start;
    for (let k = 0; k < 3; k++) {
      const j = this.skipWsBack(anchor - 1);
      if (j < 0 || !isIdentCode(t.charCodeAt(j))) break;
      let w = j;
      while (w >= 0 && isIdentCode(t.charCodeAt(w))) w--;
      if (w >= 0 && t.charCodeAt(w) === 46) break; // `.export`: a property, not a keyword
      const word = t.slice(w + 1, j + 1);
      if (word === 'export') flags |= SymbolFlag.exported;
      else if (word === 'default') flags |= SymbolFlag.defaultExport;
      else if (word !== 'declare') break;
      anchor = w + 1;
    }
    if (flags & SymbolFlag.defaultExport) flags |= SymbolFlag.exported;
    return { flags, anchor };
  }

  /** Modifier words between a member's start and its name (`static async`, `private`, …). */
  modifierFlags(start: number, nameStart: number): number {
    if (nameStart <= start) return 0;
    let flags = 0;
    for (const w of this.text.slice(start, nameStart).split(/[\s*]+/)) {
      if (w === 'static') flags |= SymbolFlag.static;
      else if (w === 'async') flags |= SymbolFlag.async;
      else if (w === 'abstract') flags |= SymbolFlag.abstract;
      else if (w === 'private') flags |= SymbolFlag.private;
    }
    return flags;
  }

  startsWithAsync(off: number): boolean {
    const t = this.text;
    return t.startsWith('async', off) && !isIdentCode(t.charCodeAt(off + 5));
  }

  // ------------------------------------------------------------------ phase 1: one query

  collect(): void {
    const root = this.ctx.tree.rootNode;
    const matches = queryForLang(this.lang).matches(root);
    for (const m of matches) {
      const caps = m.captures;
      const first = caps[0];
      if (!first) continue;
      if (caps.length === 1) {
        this.collectSingle(first.name, first.node);
        continue;
      }
      let def: SyntaxNode | undefined;
      let defCap = '';
      let nm: SyntaxNode | undefined;
      let bd: SyntaxNode | undefined;
      let val: SyntaxNode | undefined;
      let stmt: SyntaxNode | undefined;
      let fval: SyntaxNode | undefined;
      let newc: SyntaxNode | undefined;
      let newa: SyntaxNode | undefined;
      let cjl: SyntaxNode | undefined;
      let cjr: SyntaxNode | undefined;
      for (const c of caps) {
        switch (c.name) {
          case 'nm':
            nm = c.node;
            break;
          case 'bd':
            bd = c.node;
            break;
          case 'val':
            val = c.node;
            break;
          case 'stmt':
            stmt = c.node;
            break;
          case 'fval':
          case 'cval':
            fval = c.node;
            break;
          case 'newc':
            newc = c.node;
            break;
          case 'newa':
            newa = c.node;
            break;
          case 'cjl':
            cjl = c.node;
            break;
          case 'cjr':
            cjr = c.node;
            break;
          case 'dfn':
          case 'dcls':
            fval = c.node;
            def = c.node;
            defCap = c.name;
            break;
          case 'cja':
            def = c.node;
            defCap = c.name;
            break;
          default:
            def = c.node;
            defCap = c.name;
        }
      }
      if (newc) {
        this.news.push({ ctor: newc, args: newa });
        continue;
      }
      if (def && cjl && cjr) {
        this.cjs.push({ assign: def, left: cjl, right: cjr });
        continue;
      }
      if (!def) continue;
      this.collectDefinition(defCap, def, nm, bd, val, stmt, fval);
    }
  }

  collectSingle(name: string, node: SyntaxNode): void {
    switch (name) {
      case 'call':
        this.callArgs.push(node);
        break;
      case 'newc':
        this.news.push({ ctor: node, args: undefined });
        break;
      case 'this':
        this.thisProps.push(startOf(node));
        break;
      case 'imp':
        this.imports.push(node);
        break;
      case 'exp':
        this.exports.push(node);
        break;
      case 'cmt':
        this.commentStarts.push(startOf(node));
        break;
      case 'dec':
        this.decorators.push(node);
        break;
      case 'br':
        this.branches.push(startOf(node));
        break;
      case 'ty':
        this.typeIds.push(startOf(node));
        break;
      case 'tp':
        this.typeParams.push(startOf(node));
        break;
      case 'inh':
        this.heritage.push({ node, kind: RefKind.inherits });
        break;
      case 'impl':
        this.heritage.push({ node, kind: RefKind.implements });
        break;
      case 'jsx':
        this.jsx.push(startOf(node));
        break;
      default:
        // A definition pattern whose optional captures were absent cannot be single; ignore.
        break;
    }
  }

  newCand(kind: number, node: SyntaxNode, start: number, end: number, name: string, nameStart: number): Cand {
    return {
      kind,
      name,
      nameStart,
      start,
      end,
      anchor: start,
      flags: 0,
      signature: '',
      fnNode: undefined,
      bodyStart: -1,
      overload: false,
      node,
      params: undefined,
      paramsEnd: -1,
      ctorOwner: undefined,
      protoOwner: undefined,
      parent: undefined,
      qualifiedName: name,
      row: 0,
    };
  }

  collectDefinition(
    cap: string,
    def: SyntaxNode,
    nm: SyntaxNode | undefined,
    bd: SyntaxNode | undefined,
    val: SyntaxNode | undefined,
    stmt: SyntaxNode | undefined,
    fval: SyntaxNode | undefined,
  ): void {
    const t = this.text;
    const start = startOf(def);
    const bodyStart = bd ? startOf(bd) : -1;
    const n = nm ? this.nameText(nm) : { name: 'default', start, end: start };
    let c: Cand;
    switch (cap) {
      case 'cls':
      case 'ifc':
      case 'enm': {
        const kind = cap === 'cls' ? SymbolKind.class : cap === 'ifc' ? SymbolKind.interface : SymbolKind.enum;
        c = this.newCand(kind, def, start, def.endIndex, n.name, n.start);
        if (cap !== 'enm') this.notTypeRef.add(n.start);
        const lead = this.leadingKeywords(start);
        c.flags = lead.flags | this.modifierFlags(start, n.start);
        c.anchor = lead.anchor;
        c.signature = cleanSignature(t.slice(start, bodyStart >= 0 ? bodyStart : n.end));
        break;
      }
      case 'typ': {
        c = this.newCand(SymbolKind.typeAlias, def, start, def.endIndex, n.name, n.start);
        this.notTypeRef.add(n.start);
        const lead = this.leadingKeywords(start);
        c.flags = lead.flags;
        c.anchor = lead.anchor;
        c.signature = cleanSignature(t.slice(start, c.end).replace(/;\s*$/, ''));
        break;
      }
      case 'ns': {
        // `namespace A.B {}` → name 'B', qualified 'A.B'; `declare module 'x'` → name 'x'.
        const full = n.name;
        const dot = nm?.type === 'nested_identifier' ? full.lastIndexOf('.') : -1;
        c = this.newCand(SymbolKind.namespace, def, start, def.endIndex, dot >= 0 ? full.slice(dot + 1) : full, n.start);
        if (dot >= 0) c.protoOwner = full.slice(0, dot); // qualified-name prefix only
        const lead = this.leadingKeywords(start);
        c.flags = lead.flags;
        c.anchor = lead.anchor;
        c.signature = cleanSignature(t.slice(start, n.end));
        break;
      }
      case 'fn':
      case 'fsig': {
        c = this.newCand(SymbolKind.function, def, start, def.endIndex, n.name, n.start);
        const lead = this.leadingKeywords(start);
        c.flags = lead.flags | this.modifierFlags(start, n.start);
        c.anchor = lead.anchor;
        c.fnNode = def;
        c.bodyStart = bodyStart;
        c.overload = cap === 'fsig';
        c.signature = cleanSignature(
          bodyStart >= 0 ? t.slice(start, bodyStart) : t.slice(start, c.end).replace(/;\s*$/, ''),
        );
        break;
      }
      case 'mth':
      case 'msig':
      case 'imth': {
        c = this.newCand(SymbolKind.method, def, start, def.endIndex, n.name, n.start);
        c.flags = this.modifierFlags(start, n.start);
        if (def.type === 'abstract_method_signature') c.flags |= SymbolFlag.abstract;
        if (n.name.startsWith('#')) c.flags |= SymbolFlag.private;
        c.fnNode = def;
        c.bodyStart = bodyStart;
        c.overload = cap === 'msig' && def.type === 'method_signature';
        c.signature = cleanSignature(
          bodyStart >= 0 ? t.slice(start, bodyStart) : t.slice(start, c.end).replace(/[;,]\s*$/, ''),
        );
        break;
      }
      case 'fld':
      case 'ifld': {
        const fnValue = val && isFunctionValue(val.type) ? val : undefined;
        c = this.newCand(fnValue ? SymbolKind.method : SymbolKind.field, def, start, def.endIndex, n.name, n.start);
        c.flags = this.modifierFlags(start, n.start);
        if (n.name.startsWith('#')) c.flags |= SymbolFlag.private;
        if (fnValue) {
          const vs = startOf(fnValue);
          if (this.startsWithAsync(vs)) c.flags |= SymbolFlag.async;
          c.fnNode = fnValue;
          const body = fnValue.childForFieldName('body');
          c.bodyStart = body ? startOf(body) : -1;
          c.signature = cleanSignature(t.slice(start, c.bodyStart >= 0 ? c.bodyStart : c.end));
        } else {
          c.signature = this.valueSignature('', start, c.end, val);
        }
        break;
      }
      case 'vfn':
      case 'vcls':
      case 'var': {
        if (!stmt) return;
        const declStart = start;
        const prev = this.varByDeclarator.get(declStart);
        if (prev && cap === 'var') return; // already a function / class symbol
        const stmtStart = startOf(stmt);
        const single = stmt.namedChildCount === 1;
        const kw = /^(?:const|let|var)\b/.exec(t.slice(stmtStart, stmtStart + 6))?.[0] ?? '';
        const symStart = single ? stmtStart : declStart;
        const symEnd = single ? stmt.endIndex : def.endIndex;
        let kind: number;
        if (cap === 'vfn') kind = SymbolKind.function;
        else if (cap === 'vcls') kind = SymbolKind.class;
        else kind = kw === 'const' ? SymbolKind.constant : SymbolKind.variable;
        c = this.newCand(kind, single ? stmt : def, symStart, symEnd, n.name, n.start);
        const lead = this.leadingKeywords(stmtStart);
        c.flags = lead.flags;
        c.anchor = single ? lead.anchor : declStart;
        const prefix = single ? '' : `${kw} `;
        if (cap === 'var') {
          c.signature = this.valueSignature(prefix, symStart, single ? def.endIndex : symEnd, val);
        } else {
          c.signature = cleanSignature(prefix + t.slice(symStart, bodyStart >= 0 ? bodyStart : symEnd));
          if (cap === 'vfn' && fval) {
            c.fnNode = fval;
            c.bodyStart = bodyStart;
            if (this.startsWithAsync(startOf(fval))) c.flags |= SymbolFlag.async;
          }
        }
        if (prev) {
          const i = this.cands.indexOf(prev);
          if (i >= 0) this.cands.splice(i, 1);
        }
        this.varByDeclarator.set(declStart, c);
        break;
      }
      case 'dfn':
      case 'dcls': {
        const isCls = cap === 'dcls';
        c = this.newCand(isCls ? SymbolKind.class : SymbolKind.function, def, start, def.endIndex, 'default', start);
        const lead = this.leadingKeywords(start);
        c.flags = lead.flags | SymbolFlag.exported | SymbolFlag.defaultExport;
        c.anchor = lead.anchor;
        if (!isCls) {
          c.fnNode = def;
          c.bodyStart = bodyStart;
          if (this.startsWithAsync(start)) c.flags |= SymbolFlag.async;
        }
        c.signature = cleanSignature(t.slice(lead.anchor, bodyStart >= 0 ? bodyStart : c.end));
        break;
      }
      default:
        return;
    }
    if (c.kind === SymbolKind.function || c.kind === SymbolKind.method) {
      if (/^test(?:[A-Z0-9_$]|$)/.test(c.name)) c.flags |= SymbolFlag.test;
    }
    this.cands.push(c);
  }

  /** `const x: T = value` with the value shown only when short and on one line. */
  valueSignature(prefix: string, start: number, end: number, val: SyntaxNode | undefined): string {
    const t = this.text;
    if (!val) return cleanSignature(prefix + t.slice(start, end).replace(/;\s*$/, ''));
    const vs = startOf(val);
    const ve = Math.min(val.endIndex, end);
    const value = t.slice(vs, ve);
    if (value.length <= MAX_INLINE_VALUE && !value.includes('\n')) {
      return cleanSignature(prefix + t.slice(start, ve));
    }
    return cleanSignature(`${prefix}${t.slice(start, vs)}…`);
  }

  // ------------------------------------------------------------------ CommonJS definitions

  collectCommonJs(): void {
    const t = this.text;
    for (const { assign, left, right } of this.cjs) {
      const ls = startOf(left);
      const target = collapse(t.slice(ls, Math.min(left.endIndex, ls + 300)));
      const m = /^(?:(exports|module\.exports)\.([\w$]+)|(module\.exports)|([\w$]+)\.prototype\.([\w$]+))$/.exec(target);
      if (!m) continue;
      const start = startOf(assign);
      const rtype = right.type;
      const isFn = isFunctionValue(rtype);
      const isCls = rtype === 'class';
      if (m[3]) {
        // module.exports = …
        if (rtype === 'identifier') {
          const name = this.identAt(startOf(right));
          this.markExport(name, SymbolFlag.exported | SymbolFlag.defaultExport);
          this.pushRef(RefKind.reexport, startOf(right), name, undefined, 'default', 0, -2);
        } else if (rtype === 'object') {
          for (const child of right.namedChildren) this.objectExport(child);
        } else if (isFn || isCls) {
          const c = this.cjsCand(isCls ? SymbolKind.class : SymbolKind.function, assign, right, start, 'default');
          c.flags |= SymbolFlag.exported | SymbolFlag.defaultExport;
        }
        continue;
      }
      const exportName = m[2];
      if (exportName !== undefined) {
        // exports.x = … / module.exports.x = …
        if (isFn || isCls) {
          const c = this.cjsCand(isCls ? SymbolKind.class : SymbolKind.function, assign, right, start, exportName);
          c.flags |= SymbolFlag.exported;
        } else if (rtype === 'identifier') {
          const name = this.identAt(startOf(right));
          this.markExport(name, SymbolFlag.exported);
          this.pushRef(RefKind.reexport, startOf(right), name, undefined, name === exportName ? undefined : exportName, 0, -2);
        } else {
          const c = this.cjsCand(SymbolKind.variable, assign, right, start, exportName);
          c.flags |= SymbolFlag.exported;
        }
        continue;
      }
      const owner = m[4];
      const method = m[5];
      if (owner !== undefined && method !== undefined && isFn) {
        const c = this.cjsCand(SymbolKind.method, assign, right, start, method);
        c.protoOwner = owner;
      }
    }
  }

  objectExport(child: SyntaxNode): void {
    const t = this.text;
    if (child.type === 'shorthand_property_identifier') {
      const s = startOf(child);
      const name = this.identAt(s);
      this.markExport(name, SymbolFlag.exported);
      this.pushRef(RefKind.reexport, s, name, undefined, undefined, 0, -2);
    } else if (child.type === 'pair') {
      const s = startOf(child);
      const m = /^(?:([\w$]+)|'([^']*)'|"([^"]*)")\s*:\s*([\w$]+)\s*$/.exec(t.slice(s, child.endIndex));
      if (!m) return;
      const key = m[1] ?? m[2] ?? m[3] ?? '';
      const value = m[4] ?? '';
      this.markExport(value, SymbolFlag.exported);
      this.pushRef(RefKind.reexport, s, value, undefined, key === value ? undefined : key, 0, -2);
    }
  }

  cjsCand(kind: number, assign: SyntaxNode, right: SyntaxNode, start: number, name: string): Cand {
    const c = this.newCand(kind, assign, start, assign.endIndex, name, start);
    if (kind === SymbolKind.function || kind === SymbolKind.method) {
      c.fnNode = right;
      const body = right.childForFieldName('body');
      c.bodyStart = body ? startOf(body) : -1;
      if (this.startsWithAsync(startOf(right))) c.flags |= SymbolFlag.async;
      c.signature = cleanSignature(this.text.slice(start, c.bodyStart >= 0 ? c.bodyStart : c.end));
    } else if (kind === SymbolKind.class) {
      const body = right.childForFieldName('body');
      c.signature = cleanSignature(this.text.slice(start, body ? startOf(body) : c.end));
    } else {
      c.signature = this.valueSignature('', start, c.end, right);
    }
    this.cands.push(c);
    return c;
  }

  markExport(name: string, flags: number): void {
    this.exportMarks.set(name, (this.exportMarks.get(name) ?? 0) | flags);
  }

  // ------------------------------------------------------------------ parameters

  /** Parameters of a function-like node, read from the text of each parameter node. */
  readParams(c: Cand): void {
    const fn = c.fnNode;
    if (!fn) return;
    const t = this.text;
    const params: Param[] = [];
    const list = fn.childForFieldName('parameters');
    if (!list) {
      const single = fn.childForFieldName('parameter'); // `x => …`
      if (single) {
        const s = startOf(single);
        params.push({ name: this.identAt(s), start: s, pos: 0, annStart: -1, annEnd: -1 });
      }
      c.params = params;
      return;
    }
    c.paramsEnd = list.endIndex;
    let pos = 0;
    const isCtor = c.kind === SymbolKind.method && c.name === 'constructor';
    for (const p of list.namedChildren) {
      const type = p.type;
      if (type === 'comment') continue;
      const ps = startOf(p);
      const pe = p.endIndex;
      let i = ps;
      if (t.charCodeAt(i) === 64) {
        // decorated parameter: ask the tree where the pattern starts
        const pat = p.childForFieldName('pattern');
        if (!pat) {
          pos++;
          continue;
        }
        i = startOf(pat);
      }
      // modifiers: `private readonly repo: Repo` (constructor parameter properties)
      let modifiers = 0;
      let isPrivate = false;
      for (;;) {
        const e = this.identEnd(i);
        const w = t.slice(i, e);
        if (e < pe && MODIFIER_WORDS.has(w) && isWsCode(t.charCodeAt(e))) {
          modifiers++;
          if (w === 'private') isPrivate = true;
          i = this.skipWsFwd(e);
        } else break;
      }
      if (t.startsWith('this', i) && !isIdentCode(t.charCodeAt(i + 4))) continue; // TS `this:` param
      if (t.startsWith('...', i)) i = this.skipWsFwd(i + 3);
      const ch = t.charCodeAt(i);
      let name: string | undefined;
      let after = i;
      if (isIdentCode(ch)) {
        const e = this.identEnd(i);
        name = t.slice(i, e);
        after = e;
      }
      let annStart = -1;
      if (this.ts && name !== undefined) {
        let k = this.skipWsFwd(after);
        if (t.charCodeAt(k) === 63) k = this.skipWsFwd(k + 1); // '?'
        if (t.charCodeAt(k) === 58) annStart = k; // ':'
      }
      params.push({ name, start: i, pos, annStart, annEnd: annStart >= 0 ? pe : -1 });
      pos++;
      if (isCtor && modifiers > 0 && name !== undefined) {
        const f = this.newCand(SymbolKind.field, p, ps, pe, name, i);
        f.flags = isPrivate ? SymbolFlag.private : 0;
        f.signature = cleanSignature(t.slice(ps, pe));
        f.ctorOwner = c;
        this.cands.push(f);
      }
    }
    c.params = params;
  }

  // ------------------------------------------------------------------ doc comments

  commentEnd(start: number): number {
    const t = this.text;
    if (t.charCodeAt(start + 1) === 47) {
      const nl = t.indexOf('\n', start);
      let e = nl === -1 ? t.length : nl;
      if (t.charCodeAt(e - 1) === 13) e--;
      return e;
    }
    const e = t.indexOf('*/', start + 2);
    return e === -1 ? t.length : e + 2;
  }

  /**
   * Doc comment of a declaration whose statement starts at `anchor`. Policy: among the run of
   * comments directly above (no blank line in between, decorators skipped), the nearest
   * JSDoc block `/** … *\/` wins; without one, the adjacent own-line `//` comments are the doc
   * (tool directives such as `// eslint-…`, `// @ts-…`, `/// <reference>` never are); plain
   * `/* … *\/` blocks are never docs (licenses, commented-out code).
   */
  docFor(anchor: number): string | undefined {
    const t = this.text;
    // decorators sitting between the comment and the declaration
    const ds = this.decoratorStarts;
    for (let guard = 0; guard < 32; guard++) {
      const d = lastIndexBefore(ds, anchor);
      if (d < 0) break;
      const de = this.decoratorEnds[d] ?? 0;
      if (de > anchor || !isBlank(t, de, anchor)) break;
      anchor = ds[d] ?? anchor;
    }
    const cs = this.commentStarts;
    let idx = lastIndexBefore(cs, anchor);
    let cur = anchor;
    const lineDocs: string[] = [];
    let sawBlock = false;
    while (idx >= 0) {
      const s = cs[idx] ?? 0;
      const e = this.commentEnds[idx] ?? 0;
      if (e > cur) break;
      // at most one newline between the comment and what follows it
      let newlines = 0;
      for (let i = e; i < cur; i++) {
        const ch = t.charCodeAt(i);
        if (ch === 10) newlines++;
        else if (!isWsCode(ch)) {
          newlines = 99;
          break;
        }
      }
      if (newlines > 1) break;
      const isLine = t.charCodeAt(s + 1) === 47;
      if (!isLine) {
        if (t.startsWith('/**', s) && !t.startsWith('/**/', s)) {
          // the nearest JSDoc wins over any `//` lines between it and the declaration
          return cleanDoc(t.slice(s, e)) || undefined;
        }
        sawBlock = true;
      } else if (!sawBlock) {
        // an own-line `//` comment (not trailing code on the line above)
        const lineStart = t.lastIndexOf('\n', s - 1) + 1;
        if (!isBlank(t, lineStart, s)) {
          if (lineDocs.length === 0) return undefined;
          break;
        }
        const body = t.slice(s, e);
        if (!DIRECTIVE_COMMENT.test(body)) lineDocs.push(body);
      }
      cur = s;
      idx--;
    }
    if (lineDocs.length === 0) return undefined;
    lineDocs.reverse();
    return cleanDoc(lineDocs.join('\n')) || undefined;
  }

  // ------------------------------------------------------------------ phase 2: symbols

  buildSymbols(): void {
    const b = this.ctx.builder;
    const cands = this.cands;
    for (const c of cands.slice()) if (c.fnNode) this.readParams(c);
    cands.sort((a, b2) => a.start - b2.start || b2.end - a.end);
    // parents by a stack sweep over properly nested ranges
    const stack: Cand[] = [];
    const topLevel = new Map<string, Cand>();
    const implemented = new Set<string>();
    for (const c of cands) {
      while (stack.length && (stack[stack.length - 1]?.end ?? 0) <= c.start) stack.pop();
      let parent = stack[stack.length - 1];
      if (c.ctorOwner) parent = c.ctorOwner.parent;
      let prefix: string | undefined = parent?.qualifiedName;
      if (c.protoOwner !== undefined) {
        if (c.kind === SymbolKind.namespace) {
          prefix = prefix ? `${prefix}.${c.protoOwner}` : c.protoOwner;
        } else {
          const owner = topLevel.get(c.protoOwner);
          parent = owner;
          prefix = owner ? owner.qualifiedName : c.protoOwner;
        }
      }
      c.parent = parent;
      let q = prefix ? `${prefix}.${c.name}` : c.name;
      if (q.length > MAX_QUALIFIED_NAME) q = `${q.slice(0, MAX_QUALIFIED_NAME - 1)}…`;
      c.qualifiedName = q;
      if (!parent && !topLevel.has(c.name)) topLevel.set(c.name, c);
      if ((c.kind === SymbolKind.function || c.kind === SymbolKind.method) && !c.overload) implemented.add(q);
      stack.push(c);
    }
    // module-level names exported by `export { a }` / `export default a` / `module.exports`
    for (const [name, flags] of this.exportMarks) {
      const c = topLevel.get(name);
      if (c) c.flags |= flags;
    }
    const ds = this.decorators;
    ds.sort((x, y) => startOf(x) - startOf(y));
    this.decoratorStarts = ds.map(startOf);
    this.decoratorEnds = ds.map((d) => d.endIndex);
    this.commentStarts.sort((x, y) => x - y);
    this.commentEnds = this.commentStarts.map((s) => this.commentEnd(s));
    for (const c of cands) {
      if (c.overload && implemented.has(c.qualifiedName)) continue;
      let flags = c.flags;
      if (c.node.hasError) flags |= SymbolFlag.hasError;
      const row = b.addSymbol({
        kind: c.kind,
        name: c.name,
        qualifiedName: c.qualifiedName,
        signature: c.signature || undefined,
        doc: this.docFor(c.anchor),
        startOffset: c.start,
        endOffset: c.end,
        startLine: this.lineOf(c.start),
        endLine: this.lineOf(c.end),
        parent: c.parent ? c.parent.row : 0,
        flags,
      });
      c.row = row;
      this.symStart.push(c.start);
      this.symEnd.push(c.end);
      this.symKind.push(c.kind);
      this.rowParams.push(c.params);
    }
    // range parents (for the innermost-symbol search), independent of parent overrides
    const rangeStack: number[] = [];
    for (let r = 1; r < this.symStart.length; r++) {
      const s = this.symStart[r] ?? 0;
      while (rangeStack.length && (this.symEnd[rangeStack[rangeStack.length - 1] ?? 0] ?? 0) <= s) rangeStack.pop();
      this.symRangeParent.push(rangeStack[rangeStack.length - 1] ?? 0);
      rangeStack.push(r);
    }
  }

  /** Row of the innermost symbol whose range contains `off` (0 = module). */
  innermost(off: number): number {
    const st = this.symStart;
    let lo = 1;
    let hi = st.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((st[mid] ?? 0) <= off) lo = mid + 1;
      else hi = mid;
    }
    let r = lo - 1;
    while (r > 0 && (this.symEnd[r] ?? 0) <= off) r = this.symRangeParent[r] ?? 0;
    return r;
  }

  pushRef(
    kind: number,
    off: number,
    name: string,
    qualifier: string | undefined,
    alias: string | undefined,
    aux: number,
    from: number,
  ): void {
    this.refs.push({ kind, off, name, qualifier, alias, aux, from });
  }

  // ------------------------------------------------------------------ imports / exports

  importRefs(): void {
    const t = this.text;
    for (const stmt of this.imports) {
      const s = startOf(stmt);
      const typeOnly = /^import\s+type\s/.test(t.slice(s, s + 13)) ? 1 : 0;
      let source: string | undefined;
      const pending: { off: number; name: string; alias: string | undefined; aux: number }[] = [];
      for (const child of stmt.namedChildren) {
        const ty = child.type;
        if (ty === 'string') {
          source = stringContent(t, startOf(child), child.endIndex);
        } else if (ty === 'import_clause') {
          for (const part of child.namedChildren) {
            const ps = startOf(part);
            if (part.type === 'identifier') {
              pending.push({ off: ps, name: 'default', alias: this.identAt(ps), aux: typeOnly });
            } else if (part.type === 'namespace_import') {
              const m = /^\*\s*as\s+([\w$\u0080-\uffff]+)/.exec(t.slice(ps, part.endIndex));
              if (m) pending.push({ off: ps, name: '*', alias: m[1], aux: typeOnly });
            } else if (part.type === 'named_imports') {
              for (const spec of part.namedChildren) {
                if (spec.type !== 'import_specifier') continue;
                const ss = startOf(spec);
                const parsed = parseSpecifier(t.slice(ss, spec.endIndex));
                if (parsed) {
                  pending.push({ off: ss, name: parsed.name, alias: parsed.alias, aux: typeOnly | (parsed.typeOnly ? 1 : 0) });
                }
              }
            }
          }
        } else if (ty === 'import_require_clause') {
          const cs = startOf(child);
          const m = /^([\w$\u0080-\uffff]+)\s*=\s*require\s*\(\s*(['"])(.*?)\2/s.exec(t.slice(cs, child.endIndex));
          if (m) {
            source = m[3];
            pending.push({ off: cs, name: '*', alias: m[1], aux: typeOnly });
          }
        }
      }
      if (source === undefined) continue;
      if (pending.length === 0) this.pushRef(RefKind.import, s, '', source, undefined, 0, -2);
      for (const p of pending) this.pushRef(RefKind.import, p.off, p.name, source, p.alias, p.aux, -2);
    }
  }

  exportRefs(): void {
    const t = this.text;
    for (const stmt of this.exports) {
      const s = startOf(stmt);
      const head = t.slice(s, s + 40);
      if (/^export\s+as\s+namespace\b/.test(head)) continue;
      const isDefault = /^export\s+default\b/.test(head);
      const isAssign = /^export\s*=/.test(head);
      let source: string | undefined;
      const specs: { off: number; name: string; alias: string | undefined }[] = [];
      let star = -1;
      let starAlias: string | undefined;
      let defaultName: { off: number; name: string } | undefined;
      for (const child of stmt.namedChildren) {
        const ty = child.type;
        const cs = startOf(child);
        if (ty === 'string') {
          source = stringContent(t, cs, child.endIndex);
        } else if (ty === 'export_clause') {
          for (const spec of child.namedChildren) {
            if (spec.type !== 'export_specifier') continue;
            const ss = startOf(spec);
            const parsed = parseSpecifier(t.slice(ss, spec.endIndex));
            if (parsed) specs.push({ off: ss, name: parsed.name, alias: parsed.alias });
          }
        } else if (ty === 'namespace_export') {
          star = cs;
          const m = /^\*\s*as\s+(?:([\w$\u0080-\uffff]+)|'([^']*)'|"([^"]*)")/.exec(t.slice(cs, child.endIndex));
          starAlias = m ? (m[1] ?? m[2] ?? m[3]) : undefined;
        } else if ((isDefault || isAssign) && ty === 'identifier') {
          defaultName = { off: cs, name: this.identAt(cs) };
        }
      }
      if (star < 0 && /^export\s*(?:type\s*)?\*/.test(head)) star = s;
      if (star >= 0 && source !== undefined) this.pushRef(RefKind.reexport, star, '*', source, starAlias, 0, -2);
      for (const sp of specs) {
        this.pushRef(RefKind.reexport, sp.off, sp.name, source, sp.alias, 0, -2);
        if (source === undefined) {
          this.markExport(sp.name, sp.alias === 'default' ? SymbolFlag.exported | SymbolFlag.defaultExport : SymbolFlag.exported);
        }
      }
      if (defaultName) {
        this.pushRef(RefKind.reexport, defaultName.off, defaultName.name, undefined, 'default', 0, -2);
        this.markExport(defaultName.name, SymbolFlag.exported | SymbolFlag.defaultExport);
      }
    }
  }

  // ------------------------------------------------------------------ calls

  /**
   * Name and receiver of the callee whose `(arguments)` start at `argsStart`, read backwards
   * from the text. Handles identifiers, member chains (`this.repo.save`), chained calls via the
   * argument-list map, type arguments and optional calls; anything else returns undefined and
   * the caller asks the tree instead.
   */
  calleeFromText(argsStart: number): { name: string; nameStart: number; qualifier: string | undefined } | undefined {
    const t = this.text;
    let i = this.skipCallGap(argsStart - 1);
    if (i < 0 || !isIdentCode(t.charCodeAt(i))) return undefined;
    const nameStart = this.identStartBack(i);
    if (nameStart > i || isDigit(t.charCodeAt(nameStart))) return undefined;
    const name = t.slice(nameStart, i + 1);
    let j = this.skipWsBack(nameStart - 1);
    if (t.charCodeAt(j) !== 46 || t.charCodeAt(j - 1) === 46) {
      // a plain identifier (a '...' spread before it is not a member access)
      if (j >= 0 && !isCallBoundary(t.charCodeAt(j)) && !(t.charCodeAt(j) === 46 && t.charCodeAt(j - 1) === 46)) {
        if (!isIdentCode(t.charCodeAt(j)) && t.charCodeAt(j) !== 41 && t.charCodeAt(j) !== 93) return undefined;
      }
      return { name, nameStart, qualifier: undefined };
    }
    // member call: walk the receiver chain back
    let qEnd = j; // index of '.'
    if (t.charCodeAt(j - 1) === 63) qEnd = j - 1; // '?.'
    j = qEnd - 1;
    let jumps = 0;
    let qStart = -1;
    for (;;) {
      j = this.skipWsBack(j);
      if (j < 0 || argsStart - j > MAX_BACKSCAN_CHARS) return undefined;
      let ch = t.charCodeAt(j);
      if (ch === 33) {
        j = this.skipWsBack(j - 1); // non-null `!`
        ch = t.charCodeAt(j);
      }
      if (ch === 41) {
        // `…(args).name(`: jump over a call's argument list we know
        const open = this.argsStartByEnd.get(j + 1);
        if (open === undefined || ++jumps > MAX_BACKSCAN_JUMPS) return undefined;
        j = this.skipCallGap(open - 1);
        if (j < 0 || !isIdentCode(t.charCodeAt(j))) return undefined;
        ch = t.charCodeAt(j);
      }
      if (!isIdentCode(ch)) return undefined;
      const segStart = this.identStartBack(j);
      const k = this.skipWsBack(segStart - 1);
      if (t.charCodeAt(k) === 46 && t.charCodeAt(k - 1) !== 46) {
        j = t.charCodeAt(k - 1) === 63 ? k - 2 : k - 1;
        continue;
      }
      // `new X().m()`: the receiver is the construction
      qStart = segStart;
      if (k >= 2 && t.startsWith('new', k - 2) && !isIdentCode(t.charCodeAt(k - 3))) qStart = k - 2;
      else if (k >= 0 && !isCallBoundary(t.charCodeAt(k)) && !isIdentCode(t.charCodeAt(k))) return undefined;
      break;
    }
    return { name, nameStart, qualifier: capQualifier(t.slice(qStart, qEnd)) };
  }

  /** From just before an argument list, skips whitespace, type arguments and `?.`. */
  skipCallGap(i: number): number {
    const t = this.text;
    i = this.skipWsBack(i);
    if (t.charCodeAt(i) === 46 && t.charCodeAt(i - 1) === 63) i = this.skipWsBack(i - 2); // `?.(`
    if (this.ts && t.charCodeAt(i) === 62 && t.charCodeAt(i - 1) !== 61) {
      // `f<T, U<V>>(…)`: skip balanced angle brackets of plain type text
      let depth = 0;
      const stop = Math.max(0, i - MAX_BACKSCAN_CHARS);
      for (; i >= stop; i--) {
        const c = t.charCodeAt(i);
        if (c === 62) depth++;
        else if (c === 60) {
          if (--depth === 0) break;
        } else if (!(isIdentCode(c) || isWsCode(c) || c === 44 || c === 46 || c === 91 || c === 93 || c === 124 || c === 38)) {
          return -1;
        }
      }
      if (depth !== 0) return -1;
      i = this.skipWsBack(i - 1);
    }
    return i;
  }

  /** Exact callee from the tree (slow path). */
  calleeFromTree(args: SyntaxNode): { name: string; nameStart: number; qualifier: string | undefined } | undefined {
    const call = args.parent;
    const fn = call?.childForFieldName('function');
    if (!fn) return undefined;
    const t = this.text;
    const fs = startOf(fn);
    const type = fn.type;
    if (type === 'identifier' || type === 'super' || type === 'import') {
      return { name: this.identAt(fs), nameStart: fs, qualifier: undefined };
    }
    const fe = fn.endIndex;
    // text of the callee, trimmed of non-null `!`; bounded (10,000-long chains exist)
    let e = fe;
    while (e > fs && (t.charCodeAt(e - 1) === 33 || isWsCode(t.charCodeAt(e - 1)))) e--;
    if (type === 'member_expression' || type === 'non_null_expression') {
      const ns = this.identStartBack(e - 1);
      if (ns >= e) return undefined;
      let d = this.skipWsBack(ns - 1);
      if (t.charCodeAt(d) !== 46) return undefined;
      if (t.charCodeAt(d - 1) === 63) d--;
      const qualEnd = Math.min(d, fs + MAX_QUALIFIER * 2);
      return { name: t.slice(ns, e), nameStart: ns, qualifier: capQualifier(t.slice(fs, qualEnd)) };
    }
    if (type === 'subscript_expression') {
      // obj['m']() → name 'm'
      const tail = t.slice(Math.max(fs, e - 120), e);
      const m = /\[\s*(['"])([^'"\n]*)\1\s*\]$/.exec(tail);
      if (!m || m.index === undefined) return undefined;
      const bracket = Math.max(fs, e - 120) + m.index;
      return {
        name: m[2] ?? '',
        nameStart: bracket + 1,
        qualifier: capQualifier(t.slice(fs, Math.min(bracket, fs + MAX_QUALIFIER * 2))),
      };
    }
    return undefined;
  }

  callRefs(): void {
    const t = this.text;
    const ends: number[] = [];
    for (const a of this.callArgs) {
      const s = startOf(a);
      const e = a.endIndex;
      ends.push(e);
      this.argsStartByEnd.set(e, s);
    }
    for (const n of this.news) {
      if (n.args) this.argsStartByEnd.set(n.args.endIndex, startOf(n.args));
    }
    for (let idx = 0; idx < this.callArgs.length; idx++) {
      const args = this.callArgs[idx];
      if (!args) continue;
      const as = startOf(args);
      const ae = ends[idx] ?? as;
      const callee = this.calleeFromText(as) ?? this.calleeFromTree(args);
      if (!callee) continue;
      const { name, nameStart, qualifier } = callee;
      if (qualifier === undefined) {
        if (name === 'require' || name === 'import') {
          const m = /^\(\s*(['"])([^'"\n\\]*)\1\s*\)/.exec(t.slice(as, Math.min(ae, as + 1024)));
          if (m) {
            this.requireRef(args, name === 'import', m[2] ?? '', nameStart);
            continue;
          }
          if (name === 'import') continue;
        }
        if (name === 'super') {
          this.calleeNames.add(nameStart);
          this.pushRef(RefKind.call, nameStart, 'constructor', 'super', undefined, this.argCount(args, as, ae), -2);
          continue;
        }
      }
      this.calleeNames.add(nameStart);
      this.pushRef(RefKind.call, nameStart, name, qualifier, undefined, this.argCount(args, as, ae), -2);
    }
    for (const { ctor, args } of this.news) {
      const cs = startOf(ctor);
      const raw = t.slice(cs, Math.min(ctor.endIndex, cs + MAX_QUALIFIER * 2));
      if (!/^[\w$\u0080-\uffff#.\s?!]+$/.test(raw)) continue;
      const path = collapse(raw).replace(/\?\.|!/g, (m) => (m === '!' ? '' : '.')).replace(/\s/g, '');
      const dot = path.lastIndexOf('.');
      const name = dot >= 0 ? path.slice(dot + 1) : path;
      const qualifier = dot >= 0 ? path.slice(0, dot) : undefined;
      const nameStart = cs + raw.lastIndexOf(name);
      this.calleeNames.add(nameStart);
      const aux = args ? this.argCount(args, startOf(args), args.endIndex) : 0;
      this.pushRef(RefKind.instantiate, nameStart, name, qualifier, undefined, aux, -2);
    }
    for (const s of this.jsx) {
      let e = s;
      while (e < t.length) {
        const c = t.charCodeAt(e);
        if (isIdentCode(c) || c === 46) e++;
        else break;
      }
      const tag = t.slice(s, e);
      if (t.charCodeAt(e) === 58 || t.charCodeAt(e) === 45) continue; // namespaced / custom element
      const dot = tag.lastIndexOf('.');
      const name = dot >= 0 ? tag.slice(dot + 1) : tag;
      if (dot < 0 && !/^[A-Z_$]/.test(name)) continue; // intrinsic element (<div>)
      this.calleeNames.add(s + dot + 1);
      this.pushRef(RefKind.call, s + dot + 1, name, dot >= 0 ? tag.slice(0, dot) : undefined, undefined, 1, -2);
    }
  }

  /** Arguments in an argument list; comments among them are not counted. */
  argCount(args: SyntaxNode, as: number, ae: number): number {
    const n = args.namedChildCount;
    if (n === 0) return 0;
    // comments are named children too: count exactly only when one lies inside the list
    const ci = lastIndexBefore(this.commentStarts, ae);
    if (ci >= 0 && (this.commentStarts[ci] ?? 0) > as) {
      let k = 0;
      for (const c of args.namedChildren) if (c.type !== 'comment') k++;
      return k;
    }
    return n;
  }

  /** `require('x')` / `import('x')`: an import, bound to the declared name(s) when there are. */
  requireRef(args: SyntaxNode, dynamic: boolean, source: string, off: number): void {
    const call = args.parent;
    let p = call?.parent ?? null;
    if (dynamic && p?.type === 'await_expression') p = p.parent;
    if (p?.type === 'variable_declarator') {
      const target = p.childForFieldName('name');
      if (target?.type === 'identifier') {
        this.pushRef(RefKind.import, off, '*', source, this.identAt(startOf(target)), 0, -2);
        return;
      }
      if (target?.type === 'object_pattern') {
        let any = false;
        for (const part of target.namedChildren) {
          const ps = startOf(part);
          if (part.type === 'shorthand_property_identifier_pattern') {
            this.pushRef(RefKind.import, ps, this.identAt(ps), source, undefined, 0, -2);
            any = true;
          } else if (part.type === 'pair_pattern') {
            const m = /^([\w$\u0080-\uffff]+)\s*:\s*([\w$\u0080-\uffff]+)\s*$/.exec(this.text.slice(ps, part.endIndex));
            if (m) {
              this.pushRef(RefKind.import, ps, m[1] ?? '', source, m[1] === m[2] ? undefined : m[2], 0, -2);
              any = true;
            }
          }
        }
        if (any) return;
      }
    } else if (!dynamic && p?.type === 'member_expression' && p.parent?.type === 'variable_declarator') {
      // const x = require('y').z
      const decl = p.parent;
      const prop = p.childForFieldName('property');
      const target = decl.childForFieldName('name');
      if (prop && target?.type === 'identifier') {
        const prop0 = this.identAt(startOf(prop));
        const alias = this.identAt(startOf(target));
        this.pushRef(RefKind.import, off, prop0, source, alias === prop0 ? undefined : alias, 0, -2);
        return;
      }
    }
    const bare = p?.type === 'expression_statement';
    this.pushRef(RefKind.import, off, bare ? '' : '*', source, undefined, 0, -2);
  }

  // ------------------------------------------------------------------ heritage and types

  heritageRefs(): void {
    const t = this.text;
    for (const { node, kind } of this.heritage) {
      if (node.type === 'comment') continue;
      const s = startOf(node);
      let raw = t.slice(s, Math.min(node.endIndex, s + 400));
      const lt = raw.indexOf('<');
      if (lt >= 0) raw = raw.slice(0, lt);
      const path = collapse(raw).replace(/\s/g, '');
      if (!/^[\w$\u0080-\uffff]+(?:\.[\w$\u0080-\uffff]+)*$/.test(path)) continue; // mixin(Base) etc.
      const dot = path.lastIndexOf('.');
      const name = dot >= 0 ? path.slice(dot + 1) : path;
      const nameOff = s + raw.lastIndexOf(name);
      this.notTypeRef.add(nameOff);
      const from = this.innermost(s);
      const fk = this.symKind[from];
      if (fk !== SymbolKind.class && fk !== SymbolKind.interface) continue;
      this.pushRef(kind, nameOff, name, dot >= 0 ? path.slice(0, dot) : undefined, undefined, 0, from);
    }
  }

  typeRefs(): void {
    if (!this.ts) return;
    const t = this.text;
    for (const s of this.typeParams) {
      this.notTypeRef.add(s);
      const row = this.innermost(s);
      let set = this.rowTypeParams.get(row);
      if (!set) {
        set = new Set();
        this.rowTypeParams.set(row, set);
      }
      set.add(this.identAt(s));
    }
    const ids = this.typeIds;
    ids.sort((a, b) => a - b);
    for (const s of ids) {
      if (this.notTypeRef.has(s)) continue;
      const name = this.identAt(s);
      if (!name) continue;
      const from = this.innermost(s);
      if (this.isTypeParam(from, name)) continue;
      // `ns.Type`: the qualifier is the dotted path before it
      let qualifier: string | undefined;
      let j = this.skipWsBack(s - 1);
      if (t.charCodeAt(j) === 46) {
        let qs = s;
        for (;;) {
          j = this.skipWsBack(j - 1);
          if (j < 0 || !isIdentCode(t.charCodeAt(j))) break;
          qs = this.identStartBack(j);
          const k = this.skipWsBack(qs - 1);
          if (t.charCodeAt(k) !== 46 || s - k > MAX_QUALIFIER) break;
          j = k;
        }
        if (qs < s) qualifier = collapse(t.slice(qs, s)).replace(/\s/g, '').replace(/\.$/, '');
      }
      this.tyOff.push(s);
      this.tyName.push(name);
      this.tyQual.push(qualifier);
      this.pushRef(RefKind.typeRef, s, name, qualifier || undefined, undefined, 0, from);
    }
  }

  isTypeParam(row: number, name: string): boolean {
    if (this.rowTypeParams.size === 0) return false;
    for (let r = row, guard = 0; r >= 0 && guard < 10000; r = this.symRangeParent[r] ?? -1, guard++) {
      if (this.rowTypeParams.get(r)?.has(name)) return true;
      if (r === 0) break;
    }
    return false;
  }

  /** Main named type in [start, end): the first non-wrapper, else the first wrapper. */
  mainType(start: number, end: number): number {
    const offs = this.tyOff;
    let i = lastIndexBefore(offs, start) + 1;
    let wrapper = -1;
    for (; i < offs.length && (offs[i] ?? end) < end; i++) {
      if (!WRAPPER_TYPES.has(this.tyName[i] ?? '')) return i;
      if (wrapper < 0) wrapper = i;
    }
    return wrapper;
  }

  paramRefs(): void {
    for (const c of this.cands) {
      if (!c.params || c.row === 0) continue;
      for (const p of c.params) {
        if (p.name !== undefined) this.pushRef(RefKind.param, p.start, p.name, undefined, undefined, p.pos, c.row);
        if (p.annStart >= 0) {
          const ti = this.mainType(p.annStart, p.annEnd);
          if (ti >= 0) {
            this.pushRef(RefKind.paramType, this.tyOff[ti] ?? p.annStart, this.tyName[ti] ?? '', this.tyQual[ti], undefined, p.pos, c.row);
          }
        }
      }
      if (this.ts && c.paramsEnd >= 0) {
        const end = c.bodyStart >= 0 ? c.bodyStart : c.end;
        const ti = this.mainType(c.paramsEnd, end);
        if (ti >= 0) {
          this.pushRef(RefKind.returnType, this.tyOff[ti] ?? c.paramsEnd, this.tyName[ti] ?? '', this.tyQual[ti], undefined, 0, c.row);
        }
      }
    }
  }

  // ------------------------------------------------------------------ reads and writes

  /** Is the name at [s, e) assigned (`x = `, `x += `, `x++`, `++x`)? */
  isWrite(s: number, e: number): boolean {
    const t = this.text;
    const k = this.skipWsFwd(e);
    const c0 = t.charCodeAt(k);
    const c1 = t.charCodeAt(k + 1);
    if (c0 === 61) return c1 !== 61 && c1 !== 62; // '=' but not '==' / '=>'
    if ((c0 === 43 || c0 === 45) && c1 === c0) return true; // x++ / x--
    if (/^(?:[-+*/%&|^]|\*\*|<<|>>>?|&&|\|\||\?\?)=/.test(t.slice(k, k + 5))) return true;
    const b = this.skipWsBack(s - 1);
    const pc = t.charCodeAt(b);
    return (pc === 43 || pc === 45) && t.charCodeAt(b - 1) === pc; // ++x / --x
  }

  readWriteRefs(): void {
    const t = this.text;
    const seen = new Set<string>();
    // this.x
    for (const s of this.thisProps) {
      if (this.calleeNames.has(s)) continue;
      const e = this.identEnd(s);
      const name = t.slice(s, e);
      if (!name) continue;
      const kind = this.isWrite(s - 5, e) ? RefKind.write : RefKind.read; // `this.` is 5 before
      const from = this.innermost(s);
      const key = `${kind}:${from}:${name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      this.pushRef(kind, s, name, 'this', undefined, 0, from);
    }
    this.moduleNameRefs(seen);
  }

  /**
   * Bare uses of this file's module-level variables, constants and functions inside symbol
   * bodies: a token scan of the text, classified by the surrounding text, and confirmed by
   * one node lookup per new (kind, symbol, name) only.
   */
  moduleNameRefs(seen: Set<string>): void {
    const t = this.text;
    const names = new Set<string>();
    const declared = new Set<number>();
    for (const c of this.cands) {
      declared.add(c.nameStart);
      if (c.row === 0 || c.parent) continue;
      if (c.kind === SymbolKind.variable || c.kind === SymbolKind.constant || c.kind === SymbolKind.function) {
        if (c.name !== 'default') names.add(c.name);
      }
    }
    if (names.size === 0) return;
    const root = this.ctx.tree.rootNode;
    const tokenRe = /[\w$\u0080-\uffff]+/g;
    let lastEnd = 0;
    for (let r = 1; r < this.symStart.length; r++) {
      const k = this.symKind[r];
      if (
        k !== SymbolKind.function &&
        k !== SymbolKind.method &&
        k !== SymbolKind.field &&
        k !== SymbolKind.variable &&
        k !== SymbolKind.constant
      ) {
        continue;
      }
      const rs = this.symStart[r] ?? 0;
      const re = this.symEnd[r] ?? 0;
      if (rs < lastEnd) continue; // inside a range already scanned
      lastEnd = re;
      tokenRe.lastIndex = rs;
      for (let m = tokenRe.exec(t); m && m.index < re; m = tokenRe.exec(t)) {
        const tok = m[0];
        if (!names.has(tok)) continue;
        const s = m.index;
        if (declared.has(s)) continue;
        const e = s + tok.length;
        const b = this.skipWsBack(s - 1);
        const pc = t.charCodeAt(b);
        if (pc === 46 && t.charCodeAt(b - 1) !== 46) continue; // obj.name
        if (pc === 35 || pc === 60 || (pc === 47 && t.charCodeAt(b - 1) === 60)) continue; // #x, <Tag, </Tag
        const a = this.skipWsFwd(e);
        const ac = t.charCodeAt(a);
        if (ac === 40) continue; // a call: already a call ref
        if (ac === 58 && t.charCodeAt(a + 1) !== 58 && (pc === 123 || pc === 44)) continue; // { name: … }
        if (b >= 2 && isIdentCode(pc)) {
          const w = t.slice(this.identStartBack(b), b + 1);
          if (w === 'const' || w === 'let' || w === 'var' || w === 'function' || w === 'new' || w === 'class') continue;
        }
        const from = this.innermost(s);
        if (from === 0 || this.shadowedByParam(from, tok)) continue;
        const kind = this.isWrite(s, e) ? RefKind.write : RefKind.read;
        const key = `${kind}:${from}:${tok}`;
        if (seen.has(key)) continue;
        const node = root.descendantForIndex(s, e);
        const nt = node.type;
        if ((nt !== 'identifier' && nt !== 'shorthand_property_identifier') || startOf(node) !== s) continue;
        seen.add(key);
        this.pushRef(kind, s, tok, undefined, undefined, 0, from);
      }
    }
  }

  shadowedByParam(row: number, name: string): boolean {
    for (let r = row, guard = 0; r > 0 && guard < 64; r = this.symRangeParent[r] ?? 0, guard++) {
      const ps = this.rowParams[r];
      if (ps) for (const p of ps) if (p.name === name) return true;
    }
    return false;
  }

  // ------------------------------------------------------------------ emit

  emitRefs(): void {
    const b = this.ctx.builder;
    for (const r of this.refs) {
      const from = r.from === -2 ? this.innermost(r.off) : r.from;
      b.addRef({
        kind: r.kind,
        from,
        name: r.name,
        qualifier: r.qualifier,
        alias: r.alias,
        offset: r.off,
        line: this.lineOf(r.off),
        aux: r.aux,
      });
    }
  }

  run(): void {
    this.collect();
    this.importRefs();
    this.exportRefs();
    this.collectCommonJs();
    this.buildSymbols();
    attributeComplexity(this.ctx.builder, this.branches);
    this.callRefs();
    this.heritageRefs();
    this.typeRefs();
    this.paramRefs();
    this.readWriteRefs();
    this.emitRefs();
  }
}

// ---------------------------------------------------------------------------------------
// Small pure helpers.
// ---------------------------------------------------------------------------------------

function isFunctionValue(type: string): boolean {
  return type === 'arrow_function' || type === 'function_expression' || type === 'generator_function' || type === 'function';
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Characters that may precede a plain callee: operators, punctuation, start of text. */
function isCallBoundary(c: number): boolean {
  return !(isIdentCode(c) || c === 46 || c === 41 || c === 93 || c === 35) || Number.isNaN(c);
}

function isBlank(t: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isWsCode(t.charCodeAt(i))) return false;
  return true;
}

/** Index of the last element < x in a sorted array, or -1. */
function lastIndexBefore(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] ?? 0) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

function stringContent(t: string, start: number, end: number): string {
  return t.slice(start + 1, Math.max(start + 1, end - 1));
}

/** `type a as b` / `'x-y' as z` / `a` → name, alias (undefined when the same), type-only. */
function parseSpecifier(raw: string): { name: string; alias: string | undefined; typeOnly: boolean } | undefined {
  const m =
    /^(type\s+)?(?:([\w$\u0080-\uffff]+)|'([^']*)'|"([^"]*)")(?:\s+as\s+(?:([\w$\u0080-\uffff]+)|'([^']*)'|"([^"]*)"))?\s*$/.exec(
      raw.trim(),
    );
  if (!m) return undefined;
  const name = m[2] ?? m[3] ?? m[4] ?? '';
  // `type` alone is a plain specifier named 'type'
  const alias = m[5] ?? m[6] ?? m[7];
  return { name, alias: alias === name ? undefined : alias, typeOnly: m[1] !== undefined };
}

export function extractTypeScript(ctx: ExtractContext): void {
  new Extraction(ctx).run();
}
