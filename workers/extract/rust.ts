// Rust extractor: symbols (structs, unions, enums and their variants, traits, type aliases,
// consts/statics, fns and methods, `mod` blocks, macro_rules!, struct fields) and raw references
// (use trees, pub use re-exports, `mod x;` declarations, extern crates, calls, macro calls,
// struct literals, impl/supertrait edges, types, parameters, reads/writes of `self.x` and of
// this file's statics) of one file. Runs inside parse workers, on one file's tree alone.
//
// Cost model (design measurement): visiting nodes from JS costs as much as the parse, and
// every node object handed to JS costs a native round trip plus a weak reference; each extra
// query pattern costs too (a `(type_identifier)` capture ~15% of the parse, branch nodes ~12%,
// ERROR/MISSING ~10%). So:
// - ONE native query over the root captures items, impl blocks, calls, macro invocations,
//   struct literals and `let`/cast types. Its captures arrive in document order and are swept
//   with a stack of open items (symbols and impl blocks), which gives every reference its
//   innermost enclosing symbol without walking the tree.
// - One linear lexical pass over the text (`lexRust`) finds comments, string/char literals,
//   bracket pairs and decision points (complexity), so item headers (names, generics,
//   parameters, return types, where clauses, impl and trait headers), struct fields, enum
//   variants, attributes, doc comments, type names and argument counts are read from the text.
// - `self.x` and statics are found by regex outside comments and strings.
// Impl blocks are not symbols: their items are attached to the implemented type's row once the
// whole file is seen (an impl may come before its type). Nothing recurses over the tree.
//
// Modelling choices: enum variants are `constant` symbols (they are values of the enum, and a
// struct-like variant's fields are `field` children of the variant); trait items are as
// visible as their trait, items of `impl Trait for T` are `exported`, enum variants as visible
// as their enum; a method without a `self` receiver (an associated function) is flagged
// `static`, a trait fn without a body `abstract`; `macro_rules!` is `exported` with
// #[macro_export]. `Self` in call qualifiers, struct literals and return/param types is
// resolved to the impl's type name.

import { parserFor, queryFor, type SyntaxNode } from '../../native/tree-sitter.js';
import { NONE, RefKind, SymbolFlag, SymbolKind } from '../../src/protocol.js';
import {
  attributeComplexity,
  cleanDoc,
  cleanSignature,
  LineIndex,
  RefSink,
  RangeCursor,
  ScopeIndex,
  type ExtractContext,
} from './common.js';
import { argumentName, CallNesting, rustCallUse } from './flow.js';

// Compiled once per thread (queryFor caches it). Capture names are the dispatch keys of the
// sweep. Patterns are single-capture: captures() re-sends every capture of a match with each.
const QUERY = `
[(function_item) (function_signature_item)] @fn
[(struct_item) (union_item) (enum_item) (trait_item) (type_item) (associated_type)
 (const_item) (static_item) (mod_item) (macro_definition)] @item
(impl_item) @impl
(use_declaration) @use
(extern_crate_declaration) @extern_crate
(call_expression) @call
(macro_invocation) @macro
(struct_expression name: (_) @struct_expr)
(let_declaration type: (_) @body_type)
(for_expression pattern: (identifier) @for_var)
(tuple_struct_pattern) @tuple_pat
(type_cast_expression type: (_) @body_type)
`;
/** Only run on trees with errors: ERROR / MISSING patterns in the main query cost ~10% of the parse. */
const ERROR_QUERY = '(ERROR) @error (MISSING) @error';

const ID = '(?:r#)?[A-Za-z_\\u0080-\\uffff][\\w\\u0080-\\uffff]*';
const ITEM_HEAD = new RegExp(
  `(pub(?:\\s*\\([^)]*\\))?\\s+)?((?:(?:const|async|unsafe|default|auto|extern(?:\\s+"[^"]*")?)\\s+)*)` +
    `(fn|struct|union|enum|trait|type|const|static|mod|macro_rules!)\\s*(?:mut\\s+)?(${ID})`,
  'y',
);
const PATH = new RegExp(`(?:::\\s*)?${ID}(?:\\s*::\\s*${ID})*`, 'y');
const PATH_G = new RegExp(`(?:${ID}\\s*::\\s*)*${ID}`, 'g');
const IDENT = new RegExp(ID, 'y');
const SELF_SCAN = /(?<![\w\u0080-\uffff.])self\s*\.\s*([A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*|\d+)/g;
const PARAM_IDENT = new RegExp(`^(?:(?:ref|mut)\\s+)*(${ID})\\s*:`);
/** The text before a `let` annotation's type: `let mut x: ` (group 1: the name). */
const LET_HEAD = new RegExp(`\\blet\\s+(?:mut\\s+)?(${ID})\\s*:\\s*$`);
/** A closure parameter: `x`, `mut x`, `&x`, `x: T` (group 1: the name, group 2: the annotation). */
const CLOSURE_PARAM = new RegExp(`^\\s*(?:&\\s*)?(?:mut\\s+)?(${ID})\\s*(:[\\s\\S]*)?$`);
const SELF_PARAM = /^(?:&\s*(?:'\w+\s*)?)?(?:mut\s+)?self\b/;
const AUG_OP = /^(?:\+|-|\*|\/|%|&|\||\^|<<|>>)=/;

/** Formatting / assertion / std macros: no call edge of their own (their arguments are scanned). */
const STD_MACROS = new Set(
  (
    'println print eprintln eprint format format_args write writeln vec panic todo unimplemented unreachable ' +
    'matches dbg assert assert_eq assert_ne debug_assert debug_assert_eq debug_assert_ne'
  ).split(' '),
);
/** Macros whose arguments are ordinary expressions, scanned for calls. */
const EXPRESSION_MACROS = new Set([
  ...STD_MACROS,
  'trace',
  'debug',
  'info',
  'warn',
  'error',
  'log',
  'bail',
  'ensure',
  'anyhow',
]);
/** Type names that are the prelude/std vocabulary rather than user types. */
const STD_TYPES = new Set(
  (
    'Self String Vec Option Result Box Rc Arc Weak HashMap HashSet BTreeMap BTreeSet VecDeque BinaryHeap ' +
    'LinkedList Cow RefCell Cell Mutex RwLock PhantomData Pin Fn FnMut FnOnce Iterator IntoIterator ' +
    'DoubleEndedIterator ExactSizeIterator Extend FromIterator Send Sync Sized Unpin Copy Clone Default ' +
    'Drop Eq PartialEq Ord PartialOrd Hash AsRef AsMut Into From TryInto TryFrom ToString ToOwned Debug ' +
    'Display Future Some None Ok Err'
  ).split(' '),
);
const PRIMITIVES = new Set(
  'i8 i16 i32 i64 i128 isize u8 u16 u32 u64 u128 usize f32 f64 bool char str'.split(' '),
);
const KEYWORDS = new Set(
  (
    'as break const continue crate else enum extern false fn for if impl in let loop match mod move mut pub ' +
    'ref return self Self static struct super trait true type unsafe use where while async await dyn'
  ).split(' '),
);

const MAX_QUALIFIED = 1000;
const MAX_QUALIFIER = 120;

/** A symbol in the making: rows are fixed at creation (document order), parents resolved at the end. */
interface Rec {
  readonly row: number;
  readonly kind: number;
  readonly name: string;
  readonly start: number;
  readonly end: number;
  signature: string;
  doc: string | undefined;
  flags: number;
  /** Lexically enclosing symbol row (0 = module). */
  readonly lexParent: number;
  /** Items directly in an impl block: the implemented type's name (parent resolved later). */
  readonly implType: string | undefined;
  qname: string | undefined;
  parent: number;
}

interface Frame {
  readonly end: number;
  /** The symbol row, or -1 for an impl block. */
  readonly row: number;
  readonly kind: number;
  /** Generic parameter names declared by this item. */
  readonly generics: readonly string[];
  /** impl blocks: the type name and whether it is a trait impl. */
  readonly implType?: string;
  readonly traitImpl?: boolean;
  readonly exported?: boolean;
  /** impl blocks: generic parameters with bounds and their position in the type's arguments (dispatch facts). */
  readonly typeParams?: readonly TypeParam[];
  /** Trait impls: the trait's path and the implementing type's path as written. */
  readonly trait?: { name: string; qualifier: string | undefined; typePath: string };
}

/** A generic parameter: its trait bounds (paths joined by '+', '' = none) and position (-1: none). */
interface TypeParam {
  readonly name: string;
  bounds: string;
  readonly pos: number;
}

interface PendingImplements {
  readonly typeName: string;
  readonly name: string;
  readonly qualifier: string | undefined;
  readonly offset: number;
  readonly lexParent: number;
}

export function extractRust(ctx: ExtractContext): void {
  // Items inside item-level macros (`cfg_rt! { pub fn spawn .. }`) are a token tree to the
  // grammar. The same text with the macro's `name! {` and `}` blanked out parses them as
  // items at the same offsets and lines: an incremental reparse of the edited tree (a quarter
  // of a full parse on the corpus's 361 such files, the same trees). A wrapper whose body then
  // parses with errors (a `thread_local!` body is not quite items) is put back.
  let macros = itemMacros(ctx.text);
  if (macros.length) {
    const parser = parserFor('rust');
    const lines = new LineIndex(ctx.text);
    let tree = ctx.tree;
    let changed = macros;
    for (let attempt = 0; attempt < 2 && macros.length; attempt++) {
      for (const m of changed) {
        for (const [s, e] of [
          [m.start, m.open + 1],
          [m.close, m.close + 1],
        ] as const) {
          const end = lines.positionOf(e);
          tree.edit({
            startIndex: s,
            oldEndIndex: e,
            newEndIndex: e,
            startPosition: lines.positionOf(s),
            oldEndPosition: end,
            newEndPosition: end,
          });
        }
      }
      const text = blankMacros(ctx.text, macros);
      parser.reset();
      tree = parser.parse(text, tree);
      if (!tree.rootNode.hasError || ctx.tree.rootNode.hasError) {
        ctx = { ...ctx, text, tree };
        break;
      }
      const errors = queryFor('rust', '(ERROR) @error (MISSING) @error')
        .captures(tree.rootNode)
        .map((c) => c.node.startIndex);
      changed = macros.filter((m) => errors.some((e) => e >= m.start && e <= m.close));
      macros = macros.filter((m) => !changed.includes(m));
    }
  }
  new RustExtraction(ctx).run();
}

/** Macros whose braces hold code templates (`#var` interpolation), not items. */
const TEMPLATE_MACROS = new Set([
  'quote',
  'quote_spanned',
  'parse_quote',
  'parse_quote_spanned',
  'macro_rules',
]);
/** An item-level macro invocation with a brace body, at the start of a line. */
const ITEM_MACRO = /^[ \t]*((?:[A-Za-z_]\w*::)*([a-z_]\w*))[ \t]*![ \t]*\{/gm;
/** What a body of items starts with (after attributes / doc comments). */
const ITEM_START =
  /^(?:#!?\[|\/\/[/!]|pub\b|fn\b|async\b|unsafe\b|impl\b|struct\b|enum\b|union\b|trait\b|mod\b|use\b|const\b|static\b|type\b|extern\b|macro_rules!)/;

/** An item-level macro: its name's offset, its body's `{` and `}`. */
interface ItemMacro {
  start: number;
  open: number;
  close: number;
}

/**
 * The item-level macro wrappers `name! { items }` of a file. Template macros and bodies with
 * `$` metavariables or `#x` interpolation (outside nested macros) are left alone.
 */
export function itemMacros(text: string): ItemMacro[] {
  ITEM_MACRO.lastIndex = 0;
  if (!ITEM_MACRO.test(text)) return [];
  const lex = lexRust(text);
  const out: ItemMacro[] = [];
  ITEM_MACRO.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = ITEM_MACRO.exec(text))) {
    const open = m.index + m[0].length - 1;
    const start = m.index + m[0].length - m[0].trimStart().length;
    if (TEMPLATE_MACROS.has(m[2] ?? '') || lex.deadEnd(start) > start + 1) continue;
    const close = lex.close.get(open);
    if (close === undefined) continue;
    if (!ITEM_START.test(text.slice(open + 1, close).trimStart()) || isTemplate(text, open, close, lex))
      continue;
    out.push({ start, open, close });
  }
  return out;
}

/** The text with these wrappers blanked: same length, so offsets and lines stay. */
export function blankMacros(text: string, macros: readonly ItemMacro[]): string {
  const cuts: [number, number][] = [];
  for (const m of macros) cuts.push([m.start, m.open + 1], [m.close, m.close + 1]);
  cuts.sort((a, b) => a[0] - b[0]);
  const parts: string[] = [];
  let at = 0;
  for (const [s, e] of cuts) {
    parts.push(text.slice(at, s), text.slice(s, e).replace(/[^\n]/g, ' '));
    at = e;
  }
  parts.push(text.slice(at));
  return parts.join('');
}

/**
 * A `$x` metavariable or `#x` / `#(..)` interpolation in live code of (open, close), outside
 * comments, strings and nested macro invocations (a `macro_rules!` inside is fine).
 */
function isTemplate(text: string, open: number, close: number, lex: RustLex): boolean {
  const re = /\$|(?<!r)#\s*[A-Za-z_(]|!\s*(?:[A-Za-z_]\w*\s*)?[({[]/g;
  re.lastIndex = open + 1;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) && m.index < close) {
    const d = lex.deadEnd(m.index);
    if (d > m.index + 1) {
      re.lastIndex = d;
      continue;
    }
    if (m[0].startsWith('!')) {
      const bracket = m.index + m[0].length - 1;
      re.lastIndex = (lex.close.get(bracket) ?? bracket) + 1;
      continue;
    }
    return true;
  }
  return false;
}

class RustExtraction {
  private readonly text: string;
  private readonly root: SyntaxNode;
  private readonly b: ExtractContext['builder'];
  private readonly lines: LineIndex;
  private readonly refs: RefSink;
  private readonly lex: RustLex;
  private readonly recs: Rec[] = [];
  private readonly stack: Frame[] = [];
  /** Generic parameter names in scope (of the frames on the stack), with multiplicity. */
  private readonly generic = new Map<string, number>();
  private readonly scopes = new ScopeIndex(0);
  /** Offsets of type names that another ref already covers (definitions, impl heads, literals). */
  private readonly claimed = new Set<number>();
  private readonly statics = new Map<string, number>();
  private readonly implements: PendingImplements[] = [];
  private readonly fnRanges: number[] = [];
  private readonly macroRows: number[] = [];
  /** The declType text of the last fn return type read (fnTypeFacts checks which generics it names). */
  private lastReturn: { row: number; text: string } | undefined;
  /** Argument lists of the calls swept so far: is a call an argument of another? */
  private readonly nesting = new CallNesting();

  constructor(ctx: ExtractContext) {
    this.text = ctx.text;
    this.root = ctx.tree.rootNode;
    this.b = ctx.builder;
    this.lines = new LineIndex(ctx.text);
    this.refs = new RefSink(this.b, this.lines);
    this.lex = lexRust(ctx.text);
  }

  run(): void {
    const stack = this.stack;
    this.moduleDoc();
    for (const cap of queryFor('rust', QUERY).captures(this.root)) {
      const node = cap.node;
      const start = node.startIndex;
      while (stack.length && (stack[stack.length - 1]?.end ?? 0) <= start) this.popFrame();
      switch (cap.name) {
        case 'body_type':
          this.typeRefs(start, node.endIndex, this.from());
          this.letType(start, node.endIndex);
          break;
        case 'call':
          this.call(node, start);
          break;
        case 'for_var':
          this.forVar(node, start);
          break;
        case 'tuple_pat':
          this.tuplePattern(node);
          break;
        case 'fn':
        case 'item':
          this.item(node, start);
          break;
        case 'impl':
          this.impl(node, start);
          break;
        case 'macro':
          this.macro(start, node);
          break;
        case 'struct_expr':
          this.structLiteral(node, start);
          break;
        case 'use':
          this.useTree(start, node.endIndex);
          break;
        case 'extern_crate':
          this.externCrate(start, node.endIndex);
          break;
      }
    }
    if (this.root.hasError) {
      for (const cap of queryFor('rust', ERROR_QUERY).captures(this.root)) {
        for (let row = this.scopes.at(cap.node.startIndex); row > 0;) {
          const rec = this.recs[row - 1];
          if (!rec) break;
          rec.flags |= SymbolFlag.hasError;
          row = rec.lexParent;
        }
      }
    }
    this.finishSymbols();
    attributeComplexity(this.b, this.lex.branches);
    // macro_rules! are function rows, but their `=>` rules are not decisions.
    for (const row of this.macroRows) this.b.setSymbolField(row, 'complexity', 1);
    this.selfRefs();
    this.staticRefs();
  }

  // ---- symbols --------------------------------------------------------------------------

  /** Innermost enclosing symbol row (impl frames skipped), 0 at module level. */
  private from(): number {
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const f = this.stack[i];
      if (f && f.row > 0) return f.row;
    }
    return 0;
  }

  private implFrame(): Frame | undefined {
    const top = this.stack[this.stack.length - 1];
    return top && top.row < 0 ? top : undefined;
  }

  private newRec(
    kind: number,
    name: string,
    start: number,
    end: number,
    signature: string,
    flags: number,
    implType?: string,
    lexParent = this.from(),
  ): Rec {
    const rec: Rec = {
      row: this.recs.length + 1,
      kind,
      name,
      start,
      end,
      signature,
      doc: undefined,
      flags,
      lexParent,
      implType,
      qname: undefined,
      parent: 0,
    };
    this.recs.push(rec);
    this.scopes.add(start, end, rec.row);
    return rec;
  }

  /** Attributes and `///` docs directly above `at` (no blank line between), read backwards. */
  private prefix(at: number): { start: number; attrs: string[]; doc: string | undefined } {
    const text = this.text;
    const attrs: string[] = [];
    const docs: string[] = [];
    let start = at;
    let i = at;
    for (;;) {
      let j = i;
      let newlines = 0;
      while (j > 0) {
        const c = text.charCodeAt(j - 1);
        if (c === 10) newlines++;
        else if (c !== 32 && c !== 9 && c !== 13) break;
        j--;
      }
      if (newlines > 1 || j === 0) break;
      if (text.charCodeAt(j - 1) === 93 /* ] */) {
        const open = this.lex.openOf.get(j - 1);
        if (open === undefined || text.charCodeAt(open - 1) !== 35 /* # */) break;
        const attr = text.slice(open - 1, j);
        attrs.unshift(attr);
        const doc = /^#\[\s*doc\s*=\s*"((?:[^"\\]|\\.)*)"\s*\]$/.exec(attr)?.[1];
        if (doc !== undefined) docs.unshift(doc.replace(/\\n/g, '\n').replace(/\\(.)/g, '$1'));
        start = i = open - 1;
        continue;
      }
      const lineStart = text.lastIndexOf('\n', j - 1) + 1;
      const line = text.slice(lineStart, j).trimStart();
      if (line.startsWith('///') && !line.startsWith('////')) {
        if (this.lex.commentStart(lineStart + (j - lineStart - line.length)) < 0) break;
        docs.unshift(line);
        i = lineStart;
        continue;
      }
      if (line.endsWith('*/')) {
        const cs = this.lex.commentStart(j - 1);
        if (cs >= 0 && text.startsWith('/**', cs) && !text.startsWith('/***', cs)) {
          docs.unshift(text.slice(cs, j));
          i = cs;
          continue;
        }
      }
      break;
    }
    const doc = docs.length ? cleanDoc(docs.join('\n')) : undefined;
    return { start, attrs, doc: doc || undefined };
  }

  private moduleDoc(): void {
    const m = /^(?:\uFEFF)?(?:#![^\n]*\n)?((?:[ \t]*\/\/![^\n]*(?:\n|$))+)/.exec(this.text);
    const doc = m?.[1] ? cleanDoc(m[1]) : '';
    if (doc) this.b.setSymbolField(0, 'doc', this.b.intern(doc));
  }

  /** fn, struct, union, enum, trait, type, const, static, mod, macro_rules!, associated type. */
  private item(node: SyntaxNode, start: number): void {
    const text = this.text;
    const end = node.endIndex;
    ITEM_HEAD.lastIndex = start;
    const m = ITEM_HEAD.exec(text);
    let name = m?.[4];
    if (!m || !name) {
      const n = node.childForFieldName('name');
      name = n ? text.slice(n.startIndex, n.endIndex) : '';
      if (!name) return;
    }
    name = name.replace(/^r#/, '');
    const keyword = m?.[3] ?? node.type.replace(/_item$|_definition$/, '');
    const nameEnd = m ? ITEM_HEAD.lastIndex : start;
    const pub = m?.[1] !== undefined;
    const implFrame = this.implFrame();
    const outer = this.stack[this.stack.length - 1];
    const pre = this.prefix(start);
    let kind: number;
    let flags = pub ? SymbolFlag.exported : SymbolFlag.private;
    if (implFrame?.traitImpl || outer?.kind === SymbolKind.trait) {
      // Trait items are as visible as the trait; trait impl items as the trait and type.
      flags =
        outer?.kind === SymbolKind.trait
          ? outer.exported
            ? SymbolFlag.exported
            : SymbolFlag.private
          : SymbolFlag.exported;
    }
    let generics: string[] = [];
    let bodyAt = -1;
    let headerEnd: number;
    switch (keyword) {
      case 'fn': {
        kind = implFrame || outer?.kind === SymbolKind.trait ? SymbolKind.method : SymbolKind.function;
        if (/\basync\b/.test(m?.[2] ?? '')) flags |= SymbolFlag.async;
        if (pre.attrs.some((a) => /^#\[\s*(?:[\w:]+::)?test\b/.test(a))) flags |= SymbolFlag.test;
        const g = this.generics(nameEnd);
        generics = g.names;
        headerEnd = this.headerEnd(g.end, end);
        bodyAt = text.charCodeAt(headerEnd) === 123 ? headerEnd : -1;
        if (bodyAt < 0 && kind === SymbolKind.method && outer?.kind === SymbolKind.trait)
          flags |= SymbolFlag.abstract;
        break;
      }
      case 'struct':
      case 'union':
      case 'enum':
      case 'trait': {
        kind =
          keyword === 'enum' ? SymbolKind.enum : keyword === 'trait' ? SymbolKind.trait : SymbolKind.struct;
        this.claimed.add(nameEnd - name.length);
        const g = this.generics(nameEnd);
        generics = g.names;
        headerEnd = this.headerEnd(g.end, end);
        if (keyword === 'struct' && text.charCodeAt(headerEnd) !== 123) headerEnd = trimEnd(text, end, ';'); // tuple / unit struct
        break;
      }
      case 'type': {
        kind = SymbolKind.typeAlias;
        this.claimed.add(nameEnd - name.length);
        generics = this.generics(nameEnd).names;
        headerEnd = trimEnd(text, end, ';');
        break;
      }
      case 'const':
      case 'static': {
        kind = SymbolKind.constant;
        const eq = this.topLevel(nameEnd, end, 61 /* = */);
        headerEnd = eq < end ? eq : trimEnd(text, end, ';');
        if (keyword === 'static' && !implFrame) this.statics.set(name, nameEnd - name.length);
        break;
      }
      case 'mod': {
        const body = this.headerEnd(nameEnd, end);
        if (text.charCodeAt(body) !== 123) {
          // `mod x;` is not a symbol: an import of the child module file. aux = 1 marks a
          // mod declaration (as opposed to a `use`), so the merger maps it to x.rs / x/mod.rs.
          this.refs.add(RefKind.import, this.from(), name, 'self', undefined, nameEnd - name.length, 1);
          return;
        }
        kind = SymbolKind.namespace;
        headerEnd = body;
        if (pre.attrs.some((a) => /^#\[\s*cfg\s*\(\s*test\s*\)\s*\]$/.test(a))) flags |= SymbolFlag.test;
        break;
      }
      case 'macro_rules!': {
        kind = SymbolKind.function;
        flags = pre.attrs.some((a) => /^#\[\s*macro_export\b/.test(a))
          ? SymbolFlag.exported
          : SymbolFlag.private;
        headerEnd = nameEnd;
        break;
      }
      default:
        return;
    }
    const signature = cleanSignature([...pre.attrs, text.slice(start, headerEnd).trim()].join(' '));
    const rec = this.newRec(kind, name, pre.start, end, signature, flags, implFrame?.implType);
    rec.doc = pre.doc;
    this.pushFrame({ end, row: rec.row, kind, generics, exported: pub });
    if (keyword === 'fn') {
      if (bodyAt >= 0) this.fnRanges.push(pre.start, end);
      this.signatureRefs(rec, nameEnd, headerEnd);
      this.fnTypeFacts(rec.row, nameEnd, headerEnd, implFrame);
    } else if (kind === SymbolKind.struct || kind === SymbolKind.enum || kind === SymbolKind.trait) {
      const whereAt = this.topLevelWord(nameEnd, headerEnd, 'where');
      for (const p of this.typeParams(nameEnd, whereAt, headerEnd, nameEnd - name.length, nameEnd + 1, true))
        this.refs.add(RefKind.typeParam, rec.row, p.name, p.bounds || undefined, undefined, nameEnd, p.pos);
    }
    if (keyword === 'trait') {
      this.supertraits(rec.row, nameEnd, headerEnd);
    }
    if (keyword === 'macro_rules!') this.macroRows.push(rec.row);
    else if (keyword !== 'mod') this.typeRefs(nameEnd, headerEnd, rec.row);
    if ((kind === SymbolKind.struct || kind === SymbolKind.enum) && text.charCodeAt(headerEnd) === 123) {
      const close = this.lex.close.get(headerEnd);
      if (close !== undefined) this.members(headerEnd, close, rec, kind === SymbolKind.enum, pub);
    }
  }

  /**
   * Struct/union fields (`{ a: T, .. }`) or enum variants, read from the body text between the
   * braces; struct-like variants' fields become fields of the variant.
   */
  private members(open: number, close: number, parent: Rec, variants: boolean, parentPub: boolean): void {
    const text = this.text;
    for (const [s0, e0] of this.splitTopLevel(open + 1, close)) {
      const s = this.skipTrivia(s0, e0);
      const e = trimEnd(text, e0, ',');
      if (s >= e) continue;
      IDENT.lastIndex = variants ? s : skipVisibility(text, s);
      const m = IDENT.exec(text);
      if (!m) continue;
      const name = m[0].replace(/^r#/, '');
      const nameEnd = IDENT.lastIndex;
      const pre = this.prefix(s);
      const pub = variants ? parentPub : text.startsWith('pub', s);
      const kind = variants ? SymbolKind.constant : SymbolKind.field;
      const signature = cleanSignature([...pre.attrs, text.slice(s, e)].join(' '));
      const flags = pub ? SymbolFlag.exported : SymbolFlag.private;
      const rec = this.newRec(kind, name, pre.start, e, signature, flags, undefined, parent.row);
      rec.doc = pre.doc;
      const body = skipSpace(text, nameEnd);
      if (variants && text.charCodeAt(body) === 123) {
        const bodyClose = this.lex.close.get(body);
        if (bodyClose !== undefined) this.members(body, bodyClose, rec, false, pub);
      } else {
        this.typeRefs(nameEnd, e, rec.row);
        if (variants && text.charCodeAt(body) === 40 /* ( */) this.variantPayload(body, rec.row);
        if (!variants) {
          const colon = this.topLevel(nameEnd, e, 58 /* : */);
          const t = colon < e ? this.typeText(colon + 1, e, true) : undefined;
          if (t) this.refs.add(RefKind.declType, rec.row, t, undefined, undefined, colon + 1, 0);
        }
      }
    }
  }

  /**
   * A tuple variant's payload `A(Foo, Bar<T>)`: declType rows of the variant (a constant row)
   * with alias = the position ('0', '1'), as tuple fields are named; the merge types a pattern
   * binding `E::A(x, y)` by them.
   */
  private variantPayload(open: number, row: number): void {
    const close = this.lex.close.get(open);
    if (close === undefined) return;
    let pos = 0;
    for (const [s, e] of this.splitTopLevel(open + 1, close)) {
      const t = this.typeText(s, e, true);
      if (t) this.refs.add(RefKind.declType, row, t, undefined, String(pos), s, pos);
      pos++;
    }
  }

  /**
   * `E::A(x, _)` / `Self::A(ref x)` in a match arm or `if let` / `while let` / `let`: declType
   * of the enclosing fn with alias = the bound name and text `pat:E::A.0` (payload position);
   * `Some(x)` / `Ok(x)` / `Err(e)` as the whole pattern over a plain chain add the scrutinee
   * (`pat:Some.0@self.cache`): the merge takes the argument of its declared Option / Result.
   */
  private tuplePattern(node: SyntaxNode): void {
    const from = this.from();
    const kind = this.recs[from - 1]?.kind;
    if (kind !== SymbolKind.function && kind !== SymbolKind.method) return;
    const text = this.text;
    const typeNode = node.childForFieldName('type');
    if (!typeNode || typeNode.endIndex - typeNode.startIndex > 120) return;
    const path = text.slice(typeNode.startIndex, typeNode.endIndex).replace(/\s+/g, '');
    let scrutinee = '';
    if (!path.includes('::')) {
      if (path !== 'Some' && path !== 'Ok' && path !== 'Err') return;
      let owner = node.parent;
      if (owner?.type === 'match_pattern') owner = owner.parent?.parent?.parent ?? null; // arm, block, match
      const t = owner?.type;
      const value =
        t === 'let_condition' || t === 'match_expression' || t === 'let_declaration'
          ? owner?.childForFieldName('value')
          : undefined;
      if (!value || value.endIndex - value.startIndex > 120) return;
      const chain = text
        .slice(value.startIndex, value.endIndex)
        .replace(/\s+/g, '')
        .replace(/^&(?:mut)?/, '')
        .replace(/\.(?:as_ref|as_mut|as_deref|clone|take)\(\)$/, '');
      if (!/^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$/.test(chain)) return;
      scrutinee = `@${chain}`;
    }
    let pos = 0;
    for (const c of node.children) {
      if (
        (c.startIndex === typeNode.startIndex && c.type === typeNode.type) ||
        c.type === '(' ||
        c.type === ')' ||
        c.type === ','
      )
        continue;
      let id: SyntaxNode | null = c;
      while (id && (id.type === 'ref_pattern' || id.type === 'mut_pattern')) id = id.lastNamedChild;
      if (id?.type === 'identifier') {
        const name = text.slice(id.startIndex, id.endIndex).replace(/^r#/, '');
        if (/^[a-z_]/.test(name) && name !== '_')
          this.refs.add(
            RefKind.declType,
            from,
            `pat:${path}.${pos}${scrutinee}`,
            undefined,
            name,
            id.startIndex,
            -1,
          );
      }
      pos++;
    }
  }

  /** First offset in [from, to) past whitespace, comments and `#[attributes]`. */
  private skipTrivia(from: number, to: number): number {
    const text = this.text;
    let i = from;
    while (i < to) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else if (c === 47 /* / */ && this.lex.commentStart(i) === i) i = this.lex.deadEnd(i);
      else if (c === 35 /* # */ && text.charCodeAt(i + 1) === 91) i = (this.lex.close.get(i + 1) ?? to) + 1;
      else break;
    }
    return i;
  }

  /**
   * typeRef for each user type named in [from, to) of the source (a header, a field type, a
   * `let` annotation, a cast, a turbofish): UpperCamelCase path segments that are not std /
   * prelude names, generics in scope, `Self`, or offsets another ref already covers.
   */
  private typeRefs(from: number, to: number, row: number): void {
    const text = this.text;
    PATH_G.lastIndex = from;
    let m: RegExpExecArray | null;
    while ((m = PATH_G.exec(text)) && m.index < to) {
      const at = m.index;
      const prev = text.charCodeAt(at - 1);
      if (prev === 39 /* ' */ || prev === 46 /* . */) continue; // a lifetime, a field
      const d = this.lex.deadEnd(at);
      if (d > at + 1) {
        PATH_G.lastIndex = d; // inside a comment or string
        continue;
      }
      const path = m[0];
      const sep = path.lastIndexOf('::');
      const name = sep < 0 ? path : path.slice(sep + 2).trimStart();
      const c = name.charCodeAt(0);
      if (!(c >= 65 && c <= 90) && !(c >= 0x80 && name[0] !== name[0]?.toLowerCase())) continue;
      const nameAt = at + path.length - name.length;
      if (this.claimed.has(nameAt) || STD_TYPES.has(name) || this.generic.has(name)) continue;
      if (text.charCodeAt(skipSpace(text, at + path.length)) === 33 /* ! */) continue; // a macro
      const qualifier = sep < 0 ? undefined : path.slice(0, sep).replace(/\s+/g, '');
      if (qualifier && /^(?:std|core|alloc)(?:::|$)/.test(qualifier)) continue;
      this.refs.add(RefKind.typeRef, row, name, qualifier, undefined, nameAt, 0);
    }
  }

  /**
   * A dispatch fact for `let x: T = …` in a fn body (the type at [start, end)): declType with
   * alias = the local's name, as for a parameter. Patterns (`let (a, b): (A, B)`) and casts
   * (the other body_type capture) do not match.
   */
  private letType(start: number, end: number): void {
    const m = LET_HEAD.exec(this.text.slice(Math.max(0, start - 100), start));
    if (!m?.[1]) return;
    const from = this.from();
    const kind = this.recs[from - 1]?.kind;
    if (kind !== SymbolKind.function && kind !== SymbolKind.method) return;
    const decl = this.typeText(start, end, true);
    if (decl) this.refs.add(RefKind.declType, from, decl, undefined, m[1].replace(/^r#/, ''), start, -1);
  }

  /**
   * `for x in xs` / `&self.items` / `v.iter()` in a fn body: declType with alias = x and text
   * `in:` + the iterable as a plain chain (`in:self.items`); the merge types x by the
   * iterable's element type (a `[]T` declType). Other iterables (calls, ranges) say nothing.
   */
  private forVar(node: SyntaxNode, start: number): void {
    const from = this.from();
    const kind = this.recs[from - 1]?.kind;
    if (kind !== SymbolKind.function && kind !== SymbolKind.method) return;
    const value = node.parent?.childForFieldName('value');
    if (!value || value.endIndex - value.startIndex > 120) return;
    const iter = this.text
      .slice(value.startIndex, value.endIndex)
      .replace(/\s+/g, '')
      .replace(/^&(?:mut)?/, '')
      .replace(/\.(?:iter|iter_mut|into_iter)\(\)$/, '');
    const name = this.text.slice(start, node.endIndex).replace(/^r#/, '');
    if (/^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$/.test(iter) && name !== '_')
      this.refs.add(RefKind.declType, from, `in:${iter}`, undefined, name, start, -1);
  }

  /** `impl<..> Trait<..> for Type<..> where .. { }`: a frame for its items, plus an implements edge. */
  private impl(node: SyntaxNode, start: number): void {
    const text = this.text;
    const end = node.endIndex;
    let i = start;
    if (text.startsWith('unsafe', i)) i = skipSpace(text, i + 6);
    if (!text.startsWith('impl', i)) return;
    const g = this.generics(i + 4);
    const headEnd = this.headerEnd(g.end, end);
    const forAt = this.topLevelWord(g.end, headEnd, 'for');
    const whereAt = this.topLevelWord(g.end, headEnd, 'where');
    const typeEnd = whereAt >= 0 ? whereAt : headEnd;
    let typeName: string;
    let traitInfo: Frame['trait'];
    const selfStart = forAt >= 0 ? forAt + 3 : g.end;
    if (forAt >= 0) {
      const trait = this.mainPath(g.end, forAt);
      const type = this.mainPath(forAt + 3, typeEnd);
      if (trait && type)
        traitInfo = {
          name: trait.name,
          qualifier: trait.qualifier,
          typePath: type.qualifier ? `${type.qualifier}::${type.name}` : type.name,
        };
      typeName = type?.name ?? text.slice(forAt + 3, typeEnd).trim();
      if (type) this.claimed.add(type.at);
      if (trait) {
        this.claimed.add(trait.at);
        this.implements.push({
          typeName,
          name: trait.name,
          qualifier: trait.qualifier,
          offset: trait.at,
          lexParent: this.from(),
        });
      }
    } else {
      const type = this.mainPath(g.end, typeEnd);
      typeName = type?.name ?? text.slice(g.end, typeEnd).trim();
      if (type) this.claimed.add(type.at);
    }
    const typeParams = this.typeParams(i + 4, whereAt >= 0 ? whereAt : -1, headEnd, selfStart, typeEnd);
    this.pushFrame({
      end,
      row: -1,
      kind: -1,
      generics: g.names,
      implType: typeName,
      traitImpl: forAt >= 0,
      typeParams,
      ...(traitInfo ? { trait: traitInfo } : {}),
    });
    this.typeRefs(i + 4, headEnd, this.from()); // bounds and generic arguments: `impl From<User> for Foo`
  }

  /** `trait A: B + c::C<X> + 'a + ?Sized` -> inherits B and C. */
  private supertraits(row: number, from: number, to: number): void {
    const text = this.text;
    const g = this.generics(from);
    let i = skipSpace(text, g.end);
    if (text.charCodeAt(i) !== 58 /* : */) return;
    const whereAt = this.topLevelWord(i, to, 'where');
    const end = whereAt >= 0 ? whereAt : to;
    let itemStart = i + 1;
    for (i = itemStart; i <= end; i++) {
      const c = i < end ? text.charCodeAt(i) : 43;
      if (c === 60 /* < */) i = this.skipAngles(i, end) - 1;
      else if (c === 40 || c === 91) i = this.lex.close.get(i) ?? i;
      else if (c === 43 /* + */) {
        const item = text.slice(itemStart, i);
        const lead = item.length - item.trimStart().length;
        if (!/^\s*(?:'|\?|\()/.test(item)) {
          const p = this.mainPath(itemStart + lead, i);
          if (p) {
            this.claimed.add(p.at);
            this.refs.add(RefKind.inherits, row, p.name, p.qualifier, undefined, p.at, 0);
          }
        }
        itemStart = i + 1;
      }
    }
  }

  /** Params, paramType and returnType of a fn header running from its name to `headerEnd`. */
  private signatureRefs(rec: Rec, nameEnd: number, headerEnd: number): void {
    const text = this.text;
    const g = this.generics(nameEnd);
    const open = skipSpace(text, g.end);
    if (text.charCodeAt(open) !== 40) return;
    const close = this.lex.close.get(open);
    if (close === undefined) return;
    const inScope = this.genericsInScope();
    let pos = 0;
    let hasSelf = false;
    for (const [s0, e] of this.splitTopLevel(open + 1, close)) {
      let s = skipSpace(text, s0);
      while (text.startsWith('#[', s)) s = skipSpace(text, (this.lex.close.get(s + 1) ?? e) + 1); // #[attr] x: T
      const param = text.slice(s, e).trim();
      if (!param || param === '...') continue;
      if (pos === 0 && SELF_PARAM.test(param)) {
        hasSelf = true; // the receiver is not a param
        continue;
      }
      const m = PARAM_IDENT.exec(param);
      // A pattern or `_` has no name, but its position still takes a value.
      const named = m?.[1] && m[1] !== '_' ? m[1] : undefined;
      const nameAt = named ? s + param.indexOf(named) : s;
      this.refs.add(
        RefKind.param,
        rec.row,
        named?.replace(/^r#/, '') ?? '',
        undefined,
        undefined,
        nameAt,
        pos,
      );
      const colon = this.topLevel(s, e, 58 /* : */);
      if (colon < e) {
        const t = this.mainType(colon + 1, e, inScope);
        if (t) this.refs.add(RefKind.paramType, rec.row, t.name, t.qualifier, undefined, t.at, pos);
        const decl = named ? this.typeText(colon + 1, e, true) : undefined;
        if (decl) this.refs.add(RefKind.declType, rec.row, decl, undefined, named, colon + 1, pos);
      }
      pos++;
    }
    if (rec.kind === SymbolKind.method && !hasSelf) rec.flags |= SymbolFlag.static; // an associated function
    ARROW.lastIndex = close + 1;
    if (ARROW.test(text)) {
      const retStart = ARROW.lastIndex;
      const whereAt = this.topLevelWord(retStart, headerEnd, 'where');
      const retEnd = whereAt >= 0 ? whereAt : headerEnd;
      const t = this.mainType(retStart, retEnd, inScope);
      if (t) this.refs.add(RefKind.returnType, rec.row, t.name, t.qualifier, undefined, t.at, 0);
      const decl = this.typeText(retStart, retEnd);
      if (decl) {
        this.refs.add(RefKind.declType, rec.row, decl, undefined, undefined, retStart, -1);
        this.lastReturn = { row: rec.row, text: decl };
      }
    }
  }

  /**
   * Dispatch facts of a fn: typeParam rows for its own bounded generics (`<T: A>`, `where T: A`)
   * and for its impl block's generics (with their position in the impl's type), implOf for a
   * method of `impl Trait for Type`.
   */
  private fnTypeFacts(row: number, nameEnd: number, headerEnd: number, implFrame: Frame | undefined): void {
    const whereAt = this.topLevelWord(nameEnd, headerEnd, 'where');
    const own = this.typeParams(nameEnd, whereAt, headerEnd, -1, -1, false);
    const seen = new Set<string>();
    for (const p of own) {
      seen.add(p.name);
      if (p.bounds) this.refs.add(RefKind.typeParam, row, p.name, p.bounds, undefined, nameEnd, -1);
    }
    // An impl's generics: bounded ones type receivers in the body; a positional one only
    // matters when the return type names it (`fn semaphore(&self) -> &S` of `impl<T, S> Tx<T, S>`).
    const ret = this.lastReturn?.row === row ? this.lastReturn.text : '';
    for (const p of implFrame?.typeParams ?? []) {
      if (seen.has(p.name)) continue;
      if (!p.bounds && (p.pos < 0 || !new RegExp(`\\b${p.name}\\b`).test(ret))) continue;
      this.refs.add(RefKind.typeParam, row, p.name, p.bounds || undefined, undefined, nameEnd, p.pos);
    }
    const trait = implFrame?.trait;
    if (trait && !STD_TYPES.has(trait.name))
      this.refs.add(RefKind.implOf, row, trait.name, trait.qualifier, trait.typePath, nameEnd, 0);
  }

  /**
   * The generic parameters of `<...>` at `at` with their bounds (inline and from a `where`
   * clause at whereAt..end), and each one's position among the generic arguments of the type
   * written at typeStart..typeEnd (`impl<T, S: Sem> Rx<T, S>`: S is 1). `all`: unbounded
   * parameters too, at their own position (a struct's, which is its own type).
   */
  private typeParams(
    at: number,
    whereAt: number,
    end: number,
    typeStart: number,
    typeEnd: number,
    all = false,
  ): TypeParam[] {
    const text = this.text;
    const out: TypeParam[] = [];
    const i = skipSpace(text, at);
    if (text.charCodeAt(i) === 60) {
      const close = this.skipAngles(i, text.length);
      let own = 0;
      for (const [s, e] of this.splitTopLevel(i + 1, close - 1)) {
        const p = text.slice(s, e).trim();
        if (p.startsWith("'") || p.startsWith('const')) continue;
        const m = /^([A-Za-z_]\w*)\s*(?::([\s\S]*?))?(?:=[\s\S]*)?$/.exec(p);
        if (!m?.[1]) continue;
        out.push({ name: m[1], bounds: boundPaths(m[2] ?? ''), pos: all ? own : -1 });
        own++;
      }
    }
    if (whereAt >= 0) {
      for (const [s, e] of this.splitTopLevel(whereAt + 5, end)) {
        const m = /^\s*([A-Za-z_]\w*)\s*:([\s\S]*)$/.exec(text.slice(s, e));
        const p = m?.[1] ? out.find((q) => q.name === m[1]) : undefined;
        const b = boundPaths(m?.[2] ?? '');
        if (p && b) p.bounds = p.bounds ? `${p.bounds}+${b}` : b;
      }
    }
    if (!all && typeStart >= 0 && typeEnd > typeStart) {
      const typeArgs = typeArgNames(text.slice(typeStart, typeEnd));
      return out.map((p) => ({ name: p.name, bounds: p.bounds, pos: typeArgs.indexOf(p.name) }));
    }
    return out;
  }

  /**
   * A type expression in [from, to) as declType text (see RefKind.declType), or undefined when
   * it names no user type worth typing a receiver with (primitives, tuples, fn types, std
   * collections). `elems`: a std collection of a user type (`Vec<T>`, `&[T]`, `[T; N]`,
   * `HashSet<T>`) is `[]T` (its element type, for `for x in xs`).
   */
  private typeText(from: number, to: number, elems = false): string | undefined {
    if (to - from > 300) return undefined;
    const t = this.typeTextOf(this.text.slice(from, to));
    if (t !== undefined || !elems) return t;
    const whole = this.text.slice(from, to).replace(/\s+/g, ' ').trim();
    const m =
      /^(?:&\s*(?:'\w+\s*)?(?:mut\s+)?)?(?:(?:std::)?(?:vec::|collections::)?(?:Vec|VecDeque|HashSet|BTreeSet|BinaryHeap|LinkedList)\s*<(.*)>|\[(.*?)(?:;[^;\]]*)?\])$/.exec(
        whole,
      );
    const inner = m?.[1] ?? m?.[2];
    if (inner === undefined || /^[^<]*,/.test(inner)) return undefined; // HashSet<T, S>
    const el = this.typeTextOf(inner);
    return el === undefined || el.startsWith('[]') ? undefined : `[]${el}`;
  }

  private typeTextOf(written: string): string | undefined {
    let t = written
      .replace(/'\w+/g, '')
      .replace(/\b(?:dyn|impl|mut|const)\b|&|\*/g, '')
      .replace(/\s+/g, '')
      .replace(/<,+/g, '<')
      .replace(/,+>/g, '>')
      .replace(/,,+/g, ',')
      .replace(/<>/g, '')
      .replace(/^::/, '')
      .replace(/,$/, '');
    if (!t || !/^[A-Za-z_]/.test(t) || t.startsWith('fn(')) return undefined;
    const head = /^(?:\w+::)*(\w+)/.exec(t)?.[1] ?? '';
    if (head === 'Self') {
      const self = this.selfType();
      if (!self) return undefined;
      t = self + t.slice(4);
    } else if (
      PRIMITIVES.has(head) ||
      // Option / Result stay: a `Some(x)` / `Ok(x)` pattern takes their arguments (tuplePattern).
      (STD_TYPES.has(head) && !WRAPPERS.has(head) && !FN_TRAITS.has(head) && !PATTERN_TYPES.has(head))
    )
      return undefined;
    return t.length > 160 ? undefined : t;
  }

  /** Generic parameter names of `<...>` at (or after whitespace from) `at`; `end` is just past it. */
  private generics(at: number): { names: string[]; end: number } {
    const text = this.text;
    const i = skipSpace(text, at);
    if (text.charCodeAt(i) !== 60) return { names: [], end: at };
    const end = this.skipAngles(i, text.length);
    const names: string[] = [];
    for (const [s, e] of this.splitTopLevel(i + 1, end - 1)) {
      const p = text.slice(s, e).trim();
      if (p.startsWith("'")) continue; // lifetime
      const m = /^(?:const\s+)?([A-Za-z_]\w*)/.exec(p);
      if (m?.[1]) {
        names.push(m[1]);
        this.claimed.add(s + (text.slice(s, e).indexOf(m[1]) ?? 0));
      }
    }
    return { names, end };
  }

  private genericsInScope(): ReadonlySet<string> {
    return new Set(this.generic.keys());
  }

  private pushFrame(f: Frame): void {
    this.stack.push(f);
    for (const g of f.generics) this.generic.set(g, (this.generic.get(g) ?? 0) + 1);
  }

  private popFrame(): void {
    const f = this.stack.pop();
    if (!f) return;
    for (const g of f.generics) {
      const n = (this.generic.get(g) ?? 1) - 1;
      if (n > 0) this.generic.set(g, n);
      else this.generic.delete(g);
    }
  }

  /**
   * Once every item is known: resolves impl items' parents to the implemented type's row (when
   * the type is in this file), builds qualified names, and adds all rows to the builder.
   */
  private finishSymbols(): void {
    const recs = this.recs;
    const types = new Map<string, Rec[]>();
    for (const r of recs) {
      if (r.implType !== undefined) continue;
      const k = r.kind;
      if (
        k === SymbolKind.struct ||
        k === SymbolKind.enum ||
        k === SymbolKind.trait ||
        k === SymbolKind.typeAlias
      ) {
        let list = types.get(r.name);
        if (!list) types.set(r.name, (list = []));
        list.push(r);
      }
    }
    const typeRow = (name: string, lexParent: number): number => {
      const list = types.get(name);
      if (!list?.length) return 0;
      return (list.find((t) => t.lexParent === lexParent) ?? list[0])?.row ?? 0;
    };
    for (const r of recs)
      r.parent = r.implType !== undefined ? typeRow(r.implType, r.lexParent) : r.lexParent;
    // Qualified names: parents may come later in the file (an impl before its type), so repeat
    // document-order passes until every name is known. Two passes in practice.
    let pending = recs.length;
    while (pending > 0) {
      let progress = 0;
      for (const r of recs) {
        if (r.qname !== undefined) continue;
        let base: string | undefined;
        if (r.parent === 0) base = r.implType;
        else {
          base = recs[r.parent - 1]?.qname;
          if (base === undefined) continue;
        }
        // Past MAX_QUALIFIED (pathological nesting) a chain is cut to `…name`, and stays cut below.
        r.qname =
          base === undefined
            ? r.name
            : base.length > MAX_QUALIFIED || base.startsWith('…')
              ? `…${r.name}`
              : `${base}.${r.name}`;
        progress++;
      }
      pending -= progress;
      if (!progress) break;
    }
    for (const r of recs) {
      this.b.addSymbol({
        kind: r.kind,
        name: r.name,
        qualifiedName: r.qname ?? r.name,
        signature: r.signature,
        doc: r.doc,
        startOffset: r.start,
        endOffset: r.end,
        startLine: this.lines.lineOf(r.start),
        endLine: this.lines.lineOf(r.end),
        parent: r.parent,
        flags: r.flags,
      });
    }
    for (const p of this.implements) {
      const row = typeRow(p.typeName, p.lexParent);
      this.refs.add(RefKind.implements, row > 0 ? row : NONE, p.name, p.qualifier, p.typeName, p.offset, 0);
    }
  }

  // ---- references -----------------------------------------------------------------------

  /** The impl type name when `Self` is used inside an impl (or trait: the trait name). */
  private selfType(): string | undefined {
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const f = this.stack[i];
      if (f?.implType !== undefined) return f.implType;
      if (f?.kind === SymbolKind.trait) return this.recs[f.row - 1]?.name;
    }
    return undefined;
  }

  /**
   * A call expression: the callee is the text from the call's start to its argument list's
   * `(` (the lexer pairs the final `)`), so no child node is needed.
   */
  private call(node: SyntaxNode, start: number): void {
    const text = this.text;
    const close = trimEnd(text, node.endIndex, '') - 1;
    const open = text.charCodeAt(close) === 41 ? this.lex.openOf.get(close) : undefined;
    if (open === undefined || open <= start) return;
    const raw = text.slice(start, open).trimEnd();
    // `parse::<Foo>(..)`: this callee's own turbofish (not one inside its receiver).
    const fish = raw.lastIndexOf('::<');
    if (fish >= 0 && fish > raw.lastIndexOf(')'))
      this.typeRefs(start + fish, start + raw.length, this.from());
    const path = splitCallee(stripTurbofish(raw));
    if (!path) return; // `(f)(x)`, `f()(x)`, `xs[0](x)`
    let qualifier = path.qualifier;
    if (qualifier === 'Self') qualifier = this.selfType() ?? qualifier;
    let argc = this.lex.args.get(open);
    if (argc === undefined) {
      // Commas the lexer cannot attribute (closures, turbofish in the arguments): ask the tree.
      const args = node.lastChild;
      argc = args ? args.namedChildren.filter((c) => !c.type.endsWith('comment')).length : 0;
    }
    const nameAt = raw.includes('<') ? raw.lastIndexOf(path.name) : path.nameAt; // turbofish shifts offsets
    const from = this.from();
    const use = rustCallUse(
      text,
      start,
      close + 1,
      this.nesting.inside(start, open, close),
      this.bodyClose(from),
    );
    this.refs.add(RefKind.call, from, path.name, qualifier, use, start + nameAt, argc);
    if (argc > 0) {
      let pos = 0;
      for (const [s, e] of this.splitTopLevel(open + 1, close, true)) {
        const a = e - s <= 80 ? argumentName(text.slice(s, e), true) : undefined;
        if (a) this.refs.add(RefKind.argument, from, a.name, a.qualifier, undefined, s + a.at, pos);
        else this.closureParams(s, e, from, pos);
        pos++;
      }
    }
  }

  /**
   * A closure argument's parameters (`f(|a, b: &T| …)` at argument position `argPos`), as
   * declType facts of the enclosing fn `row` with the parameter as alias: an annotated one
   * with its type text, an unannotated one as `#argPos.paramPos` (typed at merge by the
   * callee's parameter: `F: FnMut(&Dispatch)`, `impl Fn(&T)`). Written right after the call's
   * argument rows, so the merge finds the call as the last call row before them.
   */
  private closureParams(s: number, e: number, row: number, argPos: number): void {
    const text = this.text;
    let i = skipSpace(text, s);
    if (text.startsWith('move', i)) i = skipSpace(text, i + 4);
    if (text.charCodeAt(i) !== 124 /* | */ || text.charCodeAt(i + 1) === 124) return;
    // The parameter list `|a, b: T|` is split here (the argument split kept it whole).
    const close = text.indexOf('|', i + 1);
    if (close < 0 || close - i > 200 || e <= i) return;
    const items: [number, number][] = [];
    let depth = 0;
    let ps = i + 1;
    for (let k = i + 1; k <= close; k++) {
      const c = text.charCodeAt(k);
      if (c === 60 || c === 40 || c === 91) depth++;
      else if ((c === 62 && text.charCodeAt(k - 1) !== 45) || c === 41 || c === 93) depth--;
      else if ((c === 44 && depth === 0) || k === close) {
        items.push([ps, k]);
        ps = k + 1;
      }
    }
    let j = 0;
    for (const [ps, pe] of items) {
      const m = CLOSURE_PARAM.exec(text.slice(ps, pe));
      const name = m?.[1]?.replace(/^r#/, '');
      if (name && name !== '_') {
        const at = ps + (m?.index ?? 0);
        const colon = m?.[2] !== undefined ? this.topLevel(ps, pe, 58 /* : */) : pe;
        const decl = colon < pe ? this.typeText(colon + 1, pe) : `#${argPos}.${j}`;
        if (decl) this.refs.add(RefKind.declType, row, decl, undefined, name, at, -1);
      }
      j++;
    }
  }

  /** Offset of the closing brace of fn `row`'s body (where a tail expression ends), or -1. */
  private bodyClose(row: number): number {
    const rec = this.recs[row - 1];
    if (!rec || (rec.kind !== SymbolKind.function && rec.kind !== SymbolKind.method)) return -1;
    return this.text.charCodeAt(rec.end - 1) === 125 ? rec.end - 1 : -1;
  }

  /** `name!(...)`: a call ref (aux -1) unless it is a std formatting/assertion macro; expression macros' arguments are scanned for calls. */
  private macro(start: number, node: SyntaxNode): void {
    const text = this.text;
    PATH.lastIndex = start;
    const m = PATH.exec(text);
    if (!m) return;
    const bang = skipSpace(text, PATH.lastIndex);
    if (text.charCodeAt(bang) !== 33 /* ! */) return;
    const path = m[0].replace(/\s+/g, '').replace(/^::/, '');
    const sep = path.lastIndexOf('::');
    const name = path.slice(sep < 0 ? 0 : sep + 2);
    const from = this.from();
    if (!STD_MACROS.has(name)) {
      this.refs.add(
        RefKind.call,
        from,
        name,
        sep < 0 ? undefined : path.slice(0, sep),
        undefined,
        start + m[0].lastIndexOf(name),
        -1,
      );
    }
    if (!EXPRESSION_MACROS.has(name)) return;
    const open = skipSpace(text, bang + 1);
    const close = this.lex.close.get(open) ?? node.endIndex - 1;
    this.tokenTreeCalls(open + 1, close, from);
  }

  /**
   * Calls inside a macro's token tree (not parsed by the grammar), found lexically: `path(`,
   * `recv.method(` with a simple receiver, and nested `name!`. Strings/comments are skipped.
   */
  private tokenTreeCalls(from: number, to: number, row: number): void {
    const text = this.text;
    const dead = new RangeCursor(this.lex.dead);
    CALL_IN_TT.lastIndex = from;
    let m: RegExpExecArray | null;
    while ((m = CALL_IN_TT.exec(text)) && m.index < to) {
      const at = m.index;
      if (dead.inside(at)) continue;
      const path = (m[2] ?? '').replace(/\s+/g, '');
      const sep = path.lastIndexOf('::');
      const name = path.slice(sep < 0 ? 0 : sep + 2);
      if (KEYWORDS.has(name) && !m[3]) continue;
      const nameAt = at + m[0].lastIndexOf(name);
      if (m[3] === '!') {
        if (!STD_MACROS.has(name))
          this.refs.add(
            RefKind.call,
            row,
            name,
            sep < 0 ? undefined : path.slice(0, sep),
            undefined,
            nameAt,
            -1,
          );
        continue;
      }
      let qualifier = sep < 0 ? undefined : path.slice(0, sep);
      if (m[1]) {
        // `.name(`: the receiver is the simple path before the dot, if any.
        const recv = /((?:self|[A-Za-z_]\w*)(?:\s*\.\s*(?:[A-Za-z_]\w*|\d+))*)\s*$/.exec(
          text.slice(Math.max(from, at - 120), at),
        );
        if (!recv?.[1]) continue;
        qualifier = recv[1].replace(/\s+/g, '');
      }
      if (qualifier === 'Self') qualifier = this.selfType() ?? qualifier;
      const openAt = CALL_IN_TT.lastIndex - 1;
      this.refs.add(RefKind.call, row, name, qualifier, undefined, nameAt, this.lex.args.get(openAt) ?? 0);
    }
  }

  /** `Foo { .. }`, `a::Foo { .. }`, `Foo::<T> { .. }`, `Self { .. }`. */
  private structLiteral(nameNode: SyntaxNode, start: number): void {
    PATH.lastIndex = start;
    const m = PATH.exec(this.text);
    if (!m) return;
    const path = m[0].replace(/\s+/g, '');
    const sep = path.lastIndexOf('::');
    let name = path.slice(sep < 0 ? 0 : sep + 2);
    const at = start + m[0].lastIndexOf(name);
    this.claimed.add(at);
    if (nameNode.type === 'generic_type_with_turbofish' || name === 'Self') {
      if (name === 'Self') name = this.selfType() ?? name;
    }
    this.refs.add(
      RefKind.instantiate,
      this.from(),
      name,
      sep < 0 ? undefined : path.slice(0, sep),
      undefined,
      at,
      0,
    );
  }

  /** `use` trees: one import (or, for `pub use`, reexport) row per leaf. */
  private useTree(start: number, end: number): void {
    const text = this.text;
    const kind = text.startsWith('pub', start) ? RefKind.reexport : RefKind.import;
    const useAt = text.indexOf('use', start + (kind === RefKind.reexport ? 3 : 0));
    if (useAt < 0 || useAt >= end) return;
    const from = this.from();
    const prefixes: string[][] = [[]];
    let cur: string[] = [];
    let curAt = -1;
    let alias: string | undefined;
    let expectAlias = false;
    const flush = (): void => {
      if (!cur.length) return;
      const full = [...(prefixes[prefixes.length - 1] ?? []), ...cur];
      let name = full[full.length - 1] ?? '';
      let qual = full.slice(0, -1);
      if (name === 'self' && qual.length) {
        name = qual[qual.length - 1] ?? ''; // `use a::b::{self}` imports b
        qual = qual.slice(0, -1);
      }
      this.refs.add(kind, from, name, qual.join('::'), alias, curAt, 0);
      cur = [];
      alias = undefined;
    };
    USE_TOKEN.lastIndex = useAt + 3;
    let m: RegExpExecArray | null;
    while ((m = USE_TOKEN.exec(text)) && m.index < end) {
      const tok = m[0];
      if (tok.startsWith('//') || tok.startsWith('/*')) continue;
      if (tok === '{') {
        prefixes.push([...(prefixes[prefixes.length - 1] ?? []), ...cur]);
        cur = [];
      } else if (tok === '}') {
        flush();
        if (prefixes.length > 1) prefixes.pop();
      } else if (tok === ',' || tok === ';') {
        flush();
      } else if (tok === '::') {
        continue;
      } else if (tok === 'as') {
        expectAlias = true;
      } else if (expectAlias) {
        alias = tok.replace(/^r#/, '');
        expectAlias = false;
      } else {
        cur.push(tok.replace(/^r#/, ''));
        curAt = m.index;
      }
    }
    flush();
  }

  private externCrate(start: number, end: number): void {
    const m = new RegExp(`extern\\s+crate\\s+(${ID})(?:\\s+as\\s+(${ID}))?`).exec(
      this.text.slice(start, end),
    );
    if (!m?.[1]) return;
    this.refs.add(RefKind.import, this.from(), m[1], '', m[2], start + m.index + m[0].indexOf(m[1], 6), 0);
  }

  /**
   * `self.x` reads and writes inside fns, found by regex outside comments and strings (macro
   * arguments included). `self.x(..)` is a method call (its own ref). After a chain
   * (`self.x.y`, `self.x[i]`), `=` makes it a write of x, a compound assignment both.
   */
  private selfRefs(): void {
    if (!this.fnRanges.length) return;
    const text = this.text;
    const inFn = new RangeCursor(this.fnRanges);
    const dead = new RangeCursor(this.lex.dead);
    SELF_SCAN.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = SELF_SCAN.exec(text))) {
      const at = m.index;
      if (!inFn.inside(at) || dead.inside(at)) continue;
      const end = at + m[0].length;
      const next = nextToken(text, end);
      if (next === '(' || next === '::') continue; // a method call: its own ref
      const name = m[1] ?? '';
      const row = this.scopes.at(at);
      const after = text.slice(this.chainEnd(end), this.chainEnd(end) + 3);
      const assign = /^\s*=(?![=>])/.test(after);
      const compound =
        !assign &&
        AUG_OP.test(after.trimStart() + text.slice(this.chainEnd(end) + 3, this.chainEnd(end) + 5));
      if (assign || compound) this.refs.once(RefKind.write, row, name, 'self', end - name.length);
      if (!assign) this.refs.once(RefKind.read, row, name, 'self', end - name.length);
    }
  }

  /** End of a place-expression chain (`.field`, `.0`, `[index]`) starting at `i`. */
  private chainEnd(i: number): number {
    const text = this.text;
    for (;;) {
      const j = skipSpace(text, i);
      const c = text.charCodeAt(j);
      if (c === 91 /* [ */) {
        const close = this.lex.close.get(j);
        if (close === undefined) return j;
        i = close + 1;
      } else if (c === 46 /* . */ && text.charCodeAt(j + 1) !== 46) {
        const f = /\s*(?:[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*|\d+)/y;
        f.lastIndex = j + 1;
        if (!f.test(text)) return j;
        if (nextToken(text, f.lastIndex) === '(') return j; // a method call ends the place
        i = f.lastIndex;
      } else return j;
    }
  }

  /** Reads and writes of this file's `static` items by bare name. */
  private staticRefs(): void {
    if (!this.statics.size) return;
    const text = this.text;
    const dead = new RangeCursor(this.lex.dead);
    const re = new RegExp(
      `(?<![\\w\\u0080-\\uffff.:])(?:${[...this.statics.keys()].join('|')})(?![\\w\\u0080-\\uffff!])`,
      'g',
    );
    let m: RegExpExecArray | null;
    while ((m = re.exec(text))) {
      const at = m.index;
      const name = m[0];
      if (this.statics.get(name) === at || dead.inside(at)) continue;
      const row = this.scopes.at(at);
      if (row === 0) continue;
      const before = text.slice(Math.max(0, at - 12), at);
      if (/\b(?:static|let|mut|const|fn|struct|enum)\s+$/.test(before)) continue;
      const after = text.slice(at + name.length, at + name.length + 4).trimStart();
      if (after.startsWith('::')) continue;
      if (after.startsWith('=') && !after.startsWith('==') && !after.startsWith('=>'))
        this.refs.once(RefKind.write, row, name, '', at);
      else if (AUG_OP.test(after)) {
        this.refs.once(RefKind.write, row, name, '', at);
        this.refs.once(RefKind.read, row, name, '', at);
      } else this.refs.once(RefKind.read, row, name, '', at);
    }
  }

  // ---- header text helpers --------------------------------------------------------------

  /** Offset just past the `<...>` opening at `open` (`->` and `=>` do not close). */
  private skipAngles(open: number, limit: number): number {
    const text = this.text;
    let depth = 0;
    for (let i = open; i < limit; i++) {
      const c = text.charCodeAt(i);
      if (c === 60) depth++;
      else if (c === 62) {
        const p = text.charCodeAt(i - 1);
        if (p === 45 || p === 61) continue;
        if (--depth === 0) return i + 1;
      } else if (c === 40 || c === 91 || c === 123) i = this.lex.close.get(i) ?? i;
      else if (c === 34 || c === 39 || c === 47) i = this.lex.deadEnd(i) - 1;
    }
    return limit;
  }

  /** The `{` or `;` ending an item header (or `limit`), skipping brackets and generics. */
  private headerEnd(from: number, limit: number): number {
    const text = this.text;
    let angle = 0;
    for (let i = from; i < limit; i++) {
      const c = text.charCodeAt(i);
      if (c === 123 /* { */ || c === 59 /* ; */) {
        if (angle === 0) return i;
        if (c === 123) i = this.lex.close.get(i) ?? i;
      } else if (c === 60) angle++;
      else if (c === 62) {
        const p = text.charCodeAt(i - 1);
        if (p !== 45 && p !== 61 && angle > 0) angle--;
      } else if (c === 40 || c === 91) i = this.lex.close.get(i) ?? i;
      else if (c === 34 || c === 39 || c === 47) i = this.lex.deadEnd(i) - 1;
    }
    return limit;
  }

  /** First `ch` at bracket/generic depth 0 in [from, to), or `to`. */
  private topLevel(from: number, to: number, ch: number): number {
    const text = this.text;
    let angle = 0;
    for (let i = from; i < to; i++) {
      const c = text.charCodeAt(i);
      if (c === ch && angle === 0) {
        if (ch === 58 && (text.charCodeAt(i + 1) === 58 || text.charCodeAt(i - 1) === 58)) continue; // `::`
        if (ch === 61 && (text.charCodeAt(i + 1) === 61 || text.charCodeAt(i + 1) === 62)) continue; // == =>
        return i;
      }
      if (c === 60) angle++;
      else if (c === 62) {
        const p = text.charCodeAt(i - 1);
        if (p !== 45 && p !== 61 && angle > 0) angle--;
      } else if (c === 40 || c === 91 || c === 123) i = this.lex.close.get(i) ?? i;
      else if (c === 34 || c === 39 || c === 47) i = this.lex.deadEnd(i) - 1;
    }
    return to;
  }

  /** First whole word `word` at depth 0 in [from, to), or -1. */
  private topLevelWord(from: number, to: number, word: string): number {
    const text = this.text;
    let angle = 0;
    for (let i = from; i < to; i++) {
      const c = text.charCodeAt(i);
      if (angle === 0 && c === word.charCodeAt(0) && text.startsWith(word, i)) {
        if (!/[\w]/.test(text[i - 1] ?? ' ') && !/[\w]/.test(text[i + word.length] ?? ' ')) return i;
      }
      if (c === 60) angle++;
      else if (c === 62) {
        const p = text.charCodeAt(i - 1);
        if (p !== 45 && p !== 61 && angle > 0) angle--;
      } else if (c === 40 || c === 91 || c === 123) i = this.lex.close.get(i) ?? i;
      else if (c === 34 || c === 39 || c === 47) i = this.lex.deadEnd(i) - 1;
    }
    return -1;
  }

  /** Items of a bracketed list in [from, to), split at commas at depth 0 (generics included). */
  private splitTopLevel(from: number, to: number, closures = false): [number, number][] {
    const text = this.text;
    const out: [number, number][] = [];
    let itemStart = from;
    let angle = 0;
    for (let i = from; i < to; i++) {
      const c = text.charCodeAt(i);
      if (c === 124 /* | */ && closures && /^\s*(?:move\s+)?$/.test(text.slice(itemStart, i))) {
        // A closure argument `|a, b| …`: its parameter list's commas are not argument commas.
        const end = text.indexOf('|', i + 1);
        if (end > i && end < to) i = end;
      } else if (c === 44 && angle === 0) {
        out.push([itemStart, i]);
        itemStart = i + 1;
      } else if (c === 60) angle++;
      else if (c === 62) {
        const p = text.charCodeAt(i - 1);
        if (p !== 45 && p !== 61 && angle > 0) angle--;
      } else if (c === 40 || c === 91 || c === 123) i = this.lex.close.get(i) ?? i;
      else if (c === 34 || c === 39 || c === 47) i = this.lex.deadEnd(i) - 1;
    }
    if (text.slice(itemStart, to).trim()) out.push([itemStart, to]);
    return out;
  }

  /** The leading path of a type in [from, to): `&'a mut dyn a::Foo<T>` -> Foo (qualifier a). */
  private mainPath(
    from: number,
    to: number,
  ): { name: string; qualifier: string | undefined; at: number } | undefined {
    const text = this.text;
    const lead =
      /^(?:\s|&|'\w+|\bmut\b|\bdyn\b|\bimpl\b|\bconst\b|\*|!)*/.exec(text.slice(from, to))?.[0].length ?? 0;
    PATH.lastIndex = from + lead;
    const m = PATH.exec(text);
    if (!m || m.index + m[0].length > to) return undefined;
    const path = m[0].replace(/\s+/g, '').replace(/^::/, '');
    const sep = path.lastIndexOf('::');
    const name = path.slice(sep < 0 ? 0 : sep + 2).replace(/^r#/, '');
    return {
      name,
      qualifier: sep < 0 ? undefined : path.slice(0, sep),
      at: m.index + m[0].lastIndexOf(name),
    };
  }

  /** The main user-defined type of a type expression: the first path that is not std, primitive or generic. */
  private mainType(
    from: number,
    to: number,
    generics: ReadonlySet<string>,
  ): { name: string; qualifier: string | undefined; at: number } | undefined {
    const text = this.text;
    const self = this.selfType();
    PATH_G.lastIndex = from;
    let m: RegExpExecArray | null;
    while ((m = PATH_G.exec(text)) && m.index < to) {
      if (text.charCodeAt(m.index - 1) === 39 /* ' */) continue; // lifetime
      const path = m[0].replace(/\s+/g, '');
      const sep = path.lastIndexOf('::');
      let name = path.slice(sep < 0 ? 0 : sep + 2);
      const qualifier = sep < 0 ? undefined : path.slice(0, sep);
      if (name === 'Self' && self) name = self;
      else if (STD_TYPES.has(name) || PRIMITIVES.has(name) || KEYWORDS.has(name) || generics.has(name))
        continue;
      if (qualifier && /^(?:std|core|alloc)(?:::|$)/.test(qualifier)) continue;
      return { name, qualifier, at: m.index + m[0].lastIndexOf(path.slice(sep < 0 ? 0 : sep + 2)) };
    }
    return undefined;
  }
}

const ARROW = /\s*->\s*/y;
/** Smart pointers a method call sees through (auto-deref): dispatch types their first argument. */
const WRAPPERS = new Set(['Box', 'Arc', 'Rc', 'Pin']);
/** Std enums whose tuple variants a pattern binds through (`Some(x)`, `Ok(x)`, `Err(e)`). */
const PATTERN_TYPES = new Set(['Option', 'Result']);
/** Closure traits: kept in declType texts and bounds with their argument types (`FnMut(Dispatch)->T`). */
const FN_TRAITS = new Set(['Fn', 'FnMut', 'FnOnce']);

/** `A + b::C<X> + 'a + ?Sized` -> 'A+b::C' (std marker traits and lifetimes dropped). */
function boundPaths(bounds: string): string {
  const out: string[] = [];
  let depth = 0;
  let item = '';
  for (const ch of `${bounds}+`) {
    if (ch === '<' || ch === '(') depth++;
    else if ((ch === '>' || ch === ')') && depth > 0) depth--;
    if (ch === '+' && depth === 0) {
      const m = /^\s*(?:(?:::)?((?:\w+\s*::\s*)*)(\w+))/.exec(item);
      const t = item.trim();
      if (m?.[2] && !t.startsWith("'") && !t.startsWith('?') && !t.startsWith('(') && !STD_TYPES.has(m[2]))
        out.push(`${(m[1] ?? '').replace(/\s+/g, '')}${m[2]}`);
      else if (m?.[2] && FN_TRAITS.has(m[2])) {
        // `FnMut(&Dispatch) -> T` → `FnMut(Dispatch)`: what a closure passed for it receives.
        const args = /^[^(]*(\([^+]*?\))/.exec(t)?.[1];
        if (args) out.push(`${m[2]}${args.replace(/'\w+|\b(?:dyn|impl|mut)\b|&|\*|\s+/g, '')}`);
      }
      item = '';
    } else item += ch;
  }
  return out.join('+');
}

/** The generic argument names of a type as written: `a::Rx<'a, T, S>` -> ['T', 'S'] (lifetimes skipped). */
function typeArgNames(type: string): string[] {
  const open = type.indexOf('<');
  const close = type.lastIndexOf('>');
  if (open < 0 || close < open) return [];
  const out: string[] = [];
  let depth = 0;
  let item = '';
  for (const ch of `${type.slice(open + 1, close)},`) {
    if (ch === '<' || ch === '(' || ch === '[') depth++;
    else if ((ch === '>' || ch === ')' || ch === ']') && depth > 0) depth--;
    if (ch === ',' && depth === 0) {
      const t = item.trim();
      if (!t.startsWith("'")) out.push(t);
      item = '';
    } else item += ch;
  }
  return out;
}
/** Tokens of a use tree. */
const USE_TOKEN = new RegExp(`\\/\\/[^\\n]*|\\/\\*[\\s\\S]*?\\*\\/|::|[{},;*]|${ID}`, 'g');
/** Inside macro token trees: `.name(`, `path(`, `path::<T>(`, `name!`. */
const CALL_IN_TT = new RegExp(
  `(?:(\\.)\\s*|(?<![\\w\\u0080-\\uffff.]))((?:${ID}\\s*::\\s*)*${ID})\\s*(?:(!)|(?:::\\s*<[^()]*?>\\s*)?\\()`,
  'g',
);

function skipSpace(text: string, i: number): number {
  while (i < text.length && /\s/.test(text[i] ?? '')) i++;
  return i;
}

function skipVisibility(text: string, i: number): number {
  const m = /pub(?:\s*\([^)]*\))?\s+/y;
  m.lastIndex = i;
  return m.test(text) ? m.lastIndex : i;
}

/** End of a node's text without a trailing terminator (`;` / `,`) and whitespace. */
function trimEnd(text: string, end: number, terminator: string): number {
  let e = end;
  while (e > 0 && /\s/.test(text[e - 1] ?? '')) e--;
  if (text[e - 1] === terminator) e--;
  return e;
}

/** The next non-space token start (`(` or `::` matter) after `i`. */
function nextToken(text: string, i: number): string {
  while (i < text.length && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
  return text.startsWith('::', i) ? '::' : (text[i] ?? '');
}

/** Removes turbofish generic arguments: `Vec::<u8>::new` -> `Vec::new`, `x.parse::<T>` -> `x.parse`. */
function stripTurbofish(s: string): string {
  if (!s.includes('<')) return s;
  let out = s;
  for (let k = 0; k < 8 && out.includes('<'); k++) out = out.replace(/<[^<>]*>/g, '');
  return out.replace(/::\s*(?=::|$|\.|\()/g, '').replace(/::\s*::/g, '::');
}

/** A callee's last segment and the receiver/path text before it. */
function splitCallee(
  raw: string,
): { name: string; qualifier: string | undefined; nameAt: number } | undefined {
  const m = /([A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)\s*$/.exec(raw);
  if (!m?.[1]) return undefined;
  const name = m[1];
  let before = raw.slice(0, m.index).trimEnd();
  if (before.endsWith('::')) before = before.slice(0, -2);
  else if (before.endsWith('.')) before = before.slice(0, -1);
  else if (before) return undefined;
  let qualifier =
    before
      .replace(/\s+/g, ' ')
      .replace(/\s*(\.|::)\s*/g, '$1')
      .trim() || undefined;
  if (qualifier && qualifier.length > MAX_QUALIFIER) qualifier = `${qualifier.slice(0, MAX_QUALIFIER - 1)}…`;
  return { name: name.replace(/^r#/, ''), qualifier, nameAt: m.index };
}

// ---- lexical pass ---------------------------------------------------------------------------

interface RustLex {
  /** [start, end) of comments and string/char literals, ascending. */
  readonly dead: number[];
  /** Bracket offset -> offset of its closing bracket. */
  readonly close: Map<number, number>;
  /** `]` / `)` offset -> offset of its opener (attributes and argument lists are read backwards). */
  readonly openOf: Map<number, number>;
  /** `(` offset -> top-level item count, when commas there are unambiguous. */
  readonly args: Map<number, number>;
  /** Decision points: if / while / loop / for, `?`, binary && and ||, match arms after the first. */
  readonly branches: number[];
  /** End of the dead region containing `at`, or at + 1 when `at` is live. */
  deadEnd(at: number): number;
  /** Start of the comment containing `at`, or -1. */
  commentStart(at: number): number;
}

const RLEX = /\/\/|\/\*|b?r#*"|b?"|b?'|[()[\]{},]|\|\||&&|[|?]|::<|=>|\b(?:if|while|loop|for|match)\b/g;

/**
 * One linear pass: comments (nested block comments), strings (raw, byte), char literals vs
 * lifetimes, bracket pairs and argument counts. A `(` whose items hold `|` (closures) or `::<`
 * (turbofish) gets no count: its commas are ambiguous, the caller asks the tree.
 */
export function lexRust(text: string): RustLex {
  const dead: number[] = [];
  const close = new Map<number, number>();
  const openOf = new Map<number, number>();
  const args = new Map<number, number>();
  const branches: number[] = [];
  const opens: number[] = [];
  const commas: number[] = [];
  let pendingMatches = 0;
  RLEX.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = RLEX.exec(text))) {
    const at = m.index;
    const tok = m[0];
    const c = tok.charCodeAt(tok.length - 1);
    if (tok === '//') {
      const nl = text.indexOf('\n', at);
      const end = nl < 0 ? text.length : nl;
      dead.push(at, end);
      RLEX.lastIndex = end;
    } else if (tok === '/*') {
      let depth = 1;
      let i = at + 2;
      while (depth > 0 && i < text.length) {
        const o = text.indexOf('/*', i);
        const e = text.indexOf('*/', i);
        if (e < 0) {
          i = text.length;
          break;
        }
        if (o >= 0 && o < e) {
          depth++;
          i = o + 2;
        } else {
          depth--;
          i = e + 2;
        }
      }
      dead.push(at, i);
      RLEX.lastIndex = i;
    } else if (c === 34 /* " */) {
      let end: number;
      const hashes = tok.includes('r') ? tok.length - tok.indexOf('r') - 2 : -1;
      if (hashes >= 0) {
        const closer = `"${'#'.repeat(hashes)}`;
        const j = text.indexOf(closer, at + tok.length);
        end = j < 0 ? text.length : j + closer.length;
      } else {
        end = at + tok.length;
        for (;;) {
          const j = text.indexOf('"', end);
          if (j < 0) {
            end = text.length;
            break;
          }
          end = j + 1;
          if (backslashes(text, j) % 2 === 0) break;
        }
      }
      dead.push(at, end);
      RLEX.lastIndex = end;
    } else if (c === 39 /* ' */) {
      // A char literal ('x', '\n', '\u{..}', a surrogate pair) or a lifetime / label ('a).
      const q = at + tok.length;
      let end = -1;
      if (text.charCodeAt(q) === 92) {
        const j = text.indexOf("'", q + 2);
        if (j > 0 && j - q <= 10) end = j + 1;
      } else if (text.charCodeAt(q + 1) === 39) end = q + 2;
      else if (text.charCodeAt(q + 2) === 39 && (text.charCodeAt(q) & 0xfc00) === 0xd800) end = q + 3;
      if (end > 0) {
        dead.push(at, end);
        RLEX.lastIndex = end;
      }
    } else if (c === 40 || c === 91 || c === 123) {
      opens.push(at);
      commas.push(0);
    } else if (c === 41 || c === 93 || c === 125) {
      const want = c === 41 ? 40 : c === 93 ? 91 : 123;
      let k = opens.length - 1;
      while (k >= 0 && text.charCodeAt(opens[k] ?? 0) !== want) k--;
      if (k < 0) continue; // stray closer
      const open = opens[k] ?? 0;
      const n = commas[k] ?? 0;
      opens.length = k;
      commas.length = k;
      close.set(open, at);
      if (want !== 123) openOf.set(at, open);
      if (want === 40 && n >= 0) {
        const p = prevSignificant(text, at, dead);
        args.set(open, n + (p === open || text.charCodeAt(p) === 44 ? 0 : 1));
      }
    } else if (c === 44) {
      const k = commas.length - 1;
      if (k >= 0 && (commas[k] ?? 0) >= 0) commas[k] = (commas[k] ?? 0) + 1;
    } else if (tok === '|' || tok === '::<') {
      if (commas.length) commas[commas.length - 1] = -1; // closure params / generic args: ambiguous commas
    } else if (tok === '&&' || tok === '||') {
      // Binary only after an operand: `&&x` is a double borrow, `|| x` / `move || x` a closure.
      const p = prevSignificant(text, at, dead);
      const pc = text.charCodeAt(p);
      const operand =
        (pc >= 48 && pc <= 57) ||
        (pc >= 65 && pc <= 90) ||
        (pc >= 97 && pc <= 122) ||
        pc === 95 ||
        pc === 41 ||
        pc === 93 ||
        pc === 125 ||
        pc === 63 ||
        pc === 34 ||
        pc === 39 ||
        pc >= 0x80;
      if (operand && !/\b(?:move|return|in|else|break|mut)$/.test(text.slice(Math.max(0, p - 6), p + 1)))
        branches.push(at);
    } else if (tok === '?') {
      const n = text.charCodeAt(at + 1);
      if (!((n >= 65 && n <= 90) || (n >= 97 && n <= 122) || n === 95)) branches.push(at); // not `?Sized`
    } else if (tok === 'match') {
      pendingMatches++;
    } else if (tok === '=>') {
      if (pendingMatches > 0)
        pendingMatches--; // n arms are n-1 decisions: the first adds none
      else branches.push(at);
    } else if (tok === 'for') {
      // A loop, not `for<'a>` (higher-ranked bounds) nor `impl Trait for Type`.
      if (/^\s*[^<{;]*?\bin\b/.test(text.slice(at + 3, at + 200))) branches.push(at);
    } else {
      branches.push(at); // if, while, loop
    }
  }
  const deadEnd = (at: number): number => {
    const i = containing(dead, at);
    return i >= 0 ? (dead[i + 1] ?? at + 1) : at + 1;
  };
  return {
    dead,
    close,
    openOf,
    args,
    branches,
    deadEnd,
    commentStart: (at) => {
      const i = containing(dead, at);
      return i >= 0 && text.charCodeAt(dead[i] ?? 0) === 47 ? (dead[i] ?? -1) : -1;
    },
  };
}

/** Index (even) of the [start, end) pair containing `at`, or -1. */
function containing(ranges: readonly number[], at: number): number {
  let lo = 0;
  let hi = ranges.length / 2 - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((ranges[mid * 2] ?? 0) <= at) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found >= 0 && at < (ranges[found * 2 + 1] ?? 0) ? found * 2 : -1;
}

function backslashes(text: string, at: number): number {
  let n = 0;
  while (at - n - 1 >= 0 && text.charCodeAt(at - n - 1) === 92) n++;
  return n;
}

/** Offset of the last character before `at` that is neither whitespace nor inside a comment. */
function prevSignificant(text: string, at: number, dead: readonly number[]): number {
  let i = at - 1;
  let d = dead.length - 2;
  while (i >= 0) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) {
      i--;
      continue;
    }
    while (d >= 0 && (dead[d] ?? 0) > i) d -= 2;
    if (d >= 0 && i < (dead[d + 1] ?? 0) && text.charCodeAt(dead[d] ?? 0) === 47) {
      i = (dead[d] ?? 0) - 1; // inside a comment
      continue;
    }
    return i;
  }
  return -1;
}
