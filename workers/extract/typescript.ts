// The TypeScript / TSX / JavaScript extractor: symbols (classes, interfaces, enums, type
// aliases, namespaces, functions, methods, fields, module-level variables) and raw references
// (imports, re-exports, calls, constructions, heritage, type uses, parameters, reads / writes)
// of one file, into its PDG fragment. Runs inside parse workers.
//
// How: ONE iterative TreeCursor walk over the tree that makes only scalar native calls (node
// type id, field id, offsets) and creates no SyntaxNode objects. Measured on node-tree-sitter
// 0.25 (bench corpus, 6 MB of TS / JS in 1 MiB shards through the worker entry): a query's C
// traversal is cheap (~0.25x the parse), but every captured node costs ~3-5 µs in the
// binding's JS layer (an object plus a weak-ref'd cache entry, then GC), and TS needs ~140k
// captures per 6 MB (JS ~80k): the query-based version of this extractor cost 1.5x (TS) /
// 1.26x (JS) the parse time, this walk ~1.0x / ~0.9x (the walk itself ~0.7x: ~2 N-API calls
// per node at ~0.1 µs each). Names, qualifiers, modifiers, lines and doc comments are read from
// the source text by offset. Nothing recurses: the walk keeps its ancestors in arrays indexed
// by depth, so 10,000-deep nesting is only a deeper array.

import { parserFor, type Tree } from '../../native/tree-sitter.js';
import type { FragmentBuilder } from '../../src/graph/fragment.js';
import type { LanguageId } from '../../src/protocol.js';
import { CallValueUse, RefKind, SymbolFlag, SymbolKind } from '../../src/protocol.js';
import {
  attributeComplexity,
  cleanDoc,
  cleanSignature,
  countErrors,
  LineIndex,
  type ExtractContext,
} from './common.js';

type TreeCursor = ReturnType<Tree['walk']>;

/** Receiver / path text of a call is cut to this many characters. */
const MAX_QUALIFIER = 200;
/** Qualified names deeper than this are cut (pathological nesting must not build O(n²) strings). */
const MAX_QUALIFIED_NAME = 1000;
/** Raw text cut before signature / doc clean-up (the cleaned results are capped far below). */
const SIG_RAW_CHARS = 1200;
const DOC_RAW_CHARS = 3000;
/** Signatures of plain variables / fields show the initializer only when it is this short. */
const MAX_INLINE_VALUE = 80;

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

/**
 * `//` comments that are tool directives, never documentation: lint / type-checker / coverage
 * switches, `/// <reference …>`, and a lone `@tag` / `#tag` (`// @__NO_SIDE_EFFECTS__`).
 */
const DIRECTIVE_COMMENT =
  /^\/\/\s*(?:eslint|@ts-|prettier-ignore|tslint:|istanbul |c8 |v8 |jshint|global |#(?:end)?region|biome-ignore|deno-lint|sourceMappingURL|webpack)|^\/\/\/\s*<|^\/\/\s*[@#]\S*\s*$/;

const MODIFIER_WORDS = new Set(['public', 'private', 'protected', 'readonly', 'override', 'declare']);
/** Functions and methods flagged `test`: `test`, `testFoo`, `test_foo` (not `testimony`). */
const TEST_NAME = /^test(?:[A-Z0-9_$]|$)/;
/**
 * Module-level assignment targets that define symbols: CommonJS exports (1-2, 3), prototype
 * methods (4-5), a prototype object (6: `Foo.prototype = { … }`) and a function-valued
 * property of a name (7-8: `res.send = function …`, `Foo.create = () => …`).
 */
const CJS_TARGET =
  /^(?:(exports|module\.exports)\.([\w$]+)|(module\.exports)|([\w$]+)\.prototype\.([\w$]+)|([\w$]+)\.prototype|(?!this\.)([\w$]+)\.([\w$]+))$/;
/**
 * A line that starts a module-level declaration at column 0: where the parse restarts after a
 * syntax error that broke the file's statement structure (see `recoveredTrees`).
 */
const RESTART_LINE =
  /^(?:@[\w$]|(?:export|import|function|class|interface|const|let|var|enum|declare|namespace)\b|async\s+function\b|abstract\s+class\b|type\s+[\w$]+\s*[=<]|module\.exports\b)/gm;
/** Node types a module's statement list holds when the parse kept its structure. */
const STATEMENT_TYPE =
  /(?:_statement|_declaration|_signature|_block|^comment|^module|^internal_module|^hash_bang_line|^import_alias)$/;
/** At most this many restarts per file (each is one small parse). */
const MAX_RESTARTS = 5000;
/** `key:` at the start of an object literal's pair: an identifier, a quoted string or a number. */
const PAIR_KEY = /^(?:([\w$\u0080-\uffff]+)|'([^'\n\\]*)'|"([^"\n\\]*)")\s*:/;
/**
 * The method of a call-registered method, `AST_Node.DEFMETHOD("name", function …)`: a
 * property ending in METHOD / Method (DEFMETHOD, defineMethod, addMethod), not any call with
 * a string and a function (`app.get('/x', fn)`, `emitter.on('data', fn)` define nothing).
 */
const METHOD_REGISTRAR = /^(?:[A-Z_]*METHOD|[a-z]+Method)$/;
/** A constructor expression the text can name: `X`, `ns.X`, `a?.b!.X`. */
const NEW_TARGET = /^[\w$\u0080-\uffff#.\s?!]+$/;
const DOTTED_PATH = /^[\w$\u0080-\uffff]+(?:\.[\w$\u0080-\uffff]+)*$/;
const WS_RUN = /\s+/g;
const OPTIONAL_DOT = /\?\./g;
const NON_NULL = /!(?=\s*\.|\s*$)/g;
const SPACED_DOT = / ?\. ?/g;
/** An assignment's simple target (`x`, `this.x`, `a.b`) and its operator: the left side of a call's use. */
const ASSIGN_TARGET =
  /^((?:this|[\w$\u0080-\uffff]+)(?:\s*\??\.\s*#?[\w$\u0080-\uffff]+)*)\s*(?:\*\*|<<|>>>?|&&|\|\||\?\?|[-+*/%&|^])?=(?![=>])/;
/** `this.x` as a call argument. */
const THIS_FIELD = /^this\s*\??\.\s*(#?[\w$\u0080-\uffff]+)$/;

// ---------------------------------------------------------------------------------------
// Node categories. The walk learns, per grammar, which category each node type id has (by its
// name, read once from the cursor) and which field code each field id has.
// ---------------------------------------------------------------------------------------

const OTHER = 0; // a named node with nothing of its own to record: descend
const LEAF = 1; // no children worth visiting (tokens, literals, names nobody asked for)
const PROGRAM = 2;
const COMMENT = 3;
const BRANCH = 4; // if / for / while / do / case / catch / ?:
const BRANCH_OP = 5; // && || ??
const IDENT = 6;
const SHORTHAND = 7; // `{ a }` in an object literal: a read of a
const PROP_ID = 8;
const PRIV_ID = 9;
const TYPE_ID = 10;
const THIS = 11;
const SUPER = 12;
const IMPORT_KW = 13; // `import` in `import('x')`
const STRING = 14;
const CLASS = 15;
const CLASS_EXPR = 16;
const FUNC = 17;
const FSIG = 18;
const FUNC_EXPR = 19;
const METHOD = 20;
const MSIG = 21;
const AMSIG = 22;
const FIELD = 23;
const PROP_SIG = 24;
const IFACE = 25;
const ENUM = 26;
const TYPE_ALIAS = 27;
const NS = 28;
const BLOCK = 29;
const NS_BODY = 30;
const CLASS_BODY = 31;
const IFACE_BODY = 32;
const DECL = 33;
const DECLARATOR = 34;
const EXPORT = 35;
const AMBIENT = 36;
const IMPORT = 37;
const IMPORT_CLAUSE = 38;
const NS_IMPORT = 39;
const NAMED_IMPORTS = 40;
const IMPORT_SPEC = 41;
const IMPORT_REQUIRE = 42;
const EXPORT_CLAUSE = 43;
const EXPORT_SPEC = 44;
const NS_EXPORT = 45;
const EXPR_STMT = 46;
const ASSIGN = 47;
const AUG_ASSIGN = 48;
const UPDATE = 49;
const CALL = 50;
const NEW = 51;
const ARGS = 52;
const MEMBER = 53;
const SUBSCRIPT = 54;
const NON_NULL_EXPR = 55;
const NESTED_TYPE = 56;
const PARAMS = 57;
const PARAM = 58;
const TYPE_PARAM = 59;
const MAPPED = 60;
const INFER = 61;
const HERITAGE = 62;
const EXTENDS = 63;
const IMPLEMENTS = 64;
const EXTENDS_TYPE = 65;
const JSX_OPEN = 66;
const JSX_CLOSE = 67;
const OBJECT = 68;
const PAIR = 69;
const AWAIT = 70;
const ERROR = 71;
const PATTERN = 72; // array / rest / assignment / pair patterns: identifiers in them are declared
const CLASS_KW = 73; // the `class` token (error recovery)
const STAR = 74; // the `*` token (`export * from`)
const TOKEN = 75; // any other anonymous token: skipped by the walk without a look
const RETURN = 76; // return / yield: a call directly inside has its value returned
const PASS = 77; // parentheses, `as`, `satisfies`: a call's use is read through them
const N_CATS = 78;

const CATEGORY_BY_NAME = new Map<string, number>(
  Object.entries({
    program: PROGRAM,
    comment: COMMENT,
    if_statement: BRANCH,
    for_statement: BRANCH,
    for_in_statement: BRANCH,
    while_statement: BRANCH,
    do_statement: BRANCH,
    switch_case: BRANCH,
    catch_clause: BRANCH,
    ternary_expression: BRANCH,
    identifier: IDENT,
    shorthand_property_identifier: SHORTHAND,
    property_identifier: PROP_ID,
    private_property_identifier: PRIV_ID,
    type_identifier: TYPE_ID,
    this: THIS,
    super: SUPER,
    import: IMPORT_KW,
    string: STRING,
    class_declaration: CLASS,
    abstract_class_declaration: CLASS,
    class: CLASS_EXPR,
    function_declaration: FUNC,
    generator_function_declaration: FUNC,
    function_signature: FSIG,
    function_expression: FUNC_EXPR,
    function: FUNC_EXPR,
    arrow_function: FUNC_EXPR,
    generator_function: FUNC_EXPR,
    method_definition: METHOD,
    method_signature: MSIG,
    abstract_method_signature: AMSIG,
    public_field_definition: FIELD,
    field_definition: FIELD,
    property_signature: PROP_SIG,
    interface_declaration: IFACE,
    enum_declaration: ENUM,
    type_alias_declaration: TYPE_ALIAS,
    internal_module: NS,
    module: NS,
    statement_block: BLOCK,
    class_body: CLASS_BODY,
    interface_body: IFACE_BODY,
    lexical_declaration: DECL,
    variable_declaration: DECL,
    variable_declarator: DECLARATOR,
    export_statement: EXPORT,
    ambient_declaration: AMBIENT,
    import_statement: IMPORT,
    import_clause: IMPORT_CLAUSE,
    namespace_import: NS_IMPORT,
    named_imports: NAMED_IMPORTS,
    import_specifier: IMPORT_SPEC,
    import_require_clause: IMPORT_REQUIRE,
    export_clause: EXPORT_CLAUSE,
    export_specifier: EXPORT_SPEC,
    namespace_export: NS_EXPORT,
    expression_statement: EXPR_STMT,
    assignment_expression: ASSIGN,
    augmented_assignment_expression: AUG_ASSIGN,
    update_expression: UPDATE,
    call_expression: CALL,
    new_expression: NEW,
    arguments: ARGS,
    member_expression: MEMBER,
    subscript_expression: SUBSCRIPT,
    non_null_expression: NON_NULL_EXPR,
    nested_type_identifier: NESTED_TYPE,
    formal_parameters: PARAMS,
    required_parameter: PARAM,
    optional_parameter: PARAM,
    type_parameter: TYPE_PARAM,
    mapped_type_clause: MAPPED,
    infer_type: INFER,
    class_heritage: HERITAGE,
    extends_clause: EXTENDS,
    implements_clause: IMPLEMENTS,
    extends_type_clause: EXTENDS_TYPE,
    jsx_opening_element: JSX_OPEN,
    jsx_self_closing_element: JSX_OPEN,
    jsx_closing_element: JSX_CLOSE,
    object: OBJECT,
    pair: PAIR,
    await_expression: AWAIT,
    return_statement: RETURN,
    yield_expression: RETURN,
    parenthesized_expression: PASS,
    as_expression: PASS,
    satisfies_expression: PASS,
    ERROR: ERROR,
    array_pattern: PATTERN,
    rest_pattern: PATTERN,
    assignment_pattern: PATTERN,
    pair_pattern: PATTERN,
    object_assignment_pattern: PATTERN,
    // named nodes whose children nothing needs
    number: LEAF,
    regex: LEAF,
    string_fragment: LEAF,
    escape_sequence: LEAF,
    true: LEAF,
    false: LEAF,
    null: LEAF,
    undefined: LEAF,
    statement_identifier: LEAF,
    hash_bang_line: LEAF,
    jsx_text: LEAF,
    html_character_reference: LEAF,
    predefined_type: LEAF,
    shorthand_property_identifier_pattern: LEAF,
    meta_property: LEAF,
    optional_chain: LEAF,
    accessibility_modifier: LEAF,
    override_modifier: LEAF,
  }),
);

/** Categories that own a symbol candidate (`rec` = its index) when they are one. */
const OWNER = new Uint8Array(N_CATS);
for (const k of [CLASS, CLASS_EXPR, FUNC, FSIG, FUNC_EXPR, METHOD, MSIG, AMSIG, FIELD, PROP_SIG])
  OWNER[k] = 1;
for (const k of [IFACE, ENUM, TYPE_ALIAS, NS]) OWNER[k] = 1;

/**
 * Whose children's field ids matter (reading one is a native call): 1 = every named child,
 * 2 = identifier children only. Calls, constructions and member expressions need none: their
 * children's roles follow from category and position (the callee is the first named child).
 */
const WANTS_FIELDS = new Uint8Array(N_CATS);
for (const k of [
  CLASS,
  CLASS_EXPR,
  FUNC,
  FSIG,
  FUNC_EXPR,
  METHOD,
  MSIG,
  AMSIG,
  FIELD,
  PROP_SIG,
  IFACE,
  ENUM,
]) {
  WANTS_FIELDS[k] = 1;
}
for (const k of [
  TYPE_ALIAS,
  NS,
  DECLARATOR,
  EXPORT,
  IMPORT,
  ASSIGN,
  AUG_ASSIGN,
  NESTED_TYPE,
  PARAM,
  TYPE_PARAM,
]) {
  WANTS_FIELDS[k] = 1;
}
for (const k of [MAPPED, EXTENDS, EXTENDS_TYPE, JSX_OPEN]) WANTS_FIELDS[k] = 1;
for (const k of [BRANCH, PATTERN]) WANTS_FIELDS[k] = 2;

/** Leaf categories: the walk does not descend into them. */
const NO_DESCEND = new Uint8Array(N_CATS);
for (const k of [LEAF, COMMENT, BRANCH_OP, IDENT, SHORTHAND, PROP_ID, PRIV_ID, TYPE_ID, THIS, SUPER]) {
  NO_DESCEND[k] = 1;
}
for (const k of [IMPORT_KW, STRING, CLASS_KW, STAR, TOKEN]) NO_DESCEND[k] = 1;

// field codes
const F_NAME = 1;
const F_BODY = 2;
const F_VALUE = 3;
const F_PARAMETERS = 4;
const F_PARAMETER = 5;
const F_RETURN_TYPE = 6;
const F_TYPE = 7;
const F_FUNCTION = 8;
const F_ARGUMENTS = 9;
const F_OBJECT = 10;
const F_PROPERTY = 11;
const F_LEFT = 12;
const F_RIGHT = 13;
const F_CONSTRUCTOR = 14;
const F_SOURCE = 15;
const F_OTHER = 16;
const FIELD_BY_NAME = new Map<string, number>(
  Object.entries({
    name: F_NAME,
    body: F_BODY,
    value: F_VALUE,
    parameters: F_PARAMETERS,
    parameter: F_PARAMETER,
    return_type: F_RETURN_TYPE,
    type: F_TYPE,
    function: F_FUNCTION,
    arguments: F_ARGUMENTS,
    object: F_OBJECT,
    property: F_PROPERTY,
    left: F_LEFT,
    right: F_RIGHT,
    constructor: F_CONSTRUCTOR,
    source: F_SOURCE,
  }),
);

// frame flags
const FL_THIS_OBJECT = 1; // MEMBER: its object is `this`
const FL_DEF_PARAMS = 2; // PARAMS: the parameter list of a symbol
const FL_TOP = 4; // EXPR_STMT at module level
const FL_CJS = 8; // ASSIGN: a CommonJS / prototype definition
const FL_EXPORTS_OBJECT = 16; // OBJECT: `module.exports = { … }`
const FL_CLASS_KW = 32; // ERROR: saw `class`, the next name opens a recovered class
const FL_ROUTED = 64; // FUNC_EXPR: the value of a field; its parameters and body are the field's
const FL_REGISTRAR = 128; // CALL: a module-level `X.DEFMETHOD("name", function …)` statement

interface LanguageTables {
  /** Category by node type id; -1 = not seen yet. */
  readonly cat: Int8Array;
  readonly named: Uint8Array;
  /** Field code by field id; -1 = not seen yet. */
  readonly field: Int8Array;
}
const tables = new Map<LanguageId, LanguageTables>();

function tablesFor(lang: LanguageId): LanguageTables {
  let t = tables.get(lang);
  if (!t) {
    t = {
      cat: new Int8Array(65536).fill(-1),
      named: new Uint8Array(65536),
      field: new Int8Array(1024).fill(-1),
    };
    tables.set(lang, t);
  }
  return t;
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

function collapse(s: string): string {
  return s.replace(WS_RUN, ' ').trim();
}

/** Receiver text as written, minus whitespace runs, `?.` (→ `.`) and non-null `!`; capped. */
function capQualifier(s: string): string {
  const q = collapse(s).replace(OPTIONAL_DOT, '.').replace(NON_NULL, '').replace(SPACED_DOT, '.');
  return q.length > MAX_QUALIFIER ? `${q.slice(0, MAX_QUALIFIER - 1)}…` : q;
}

// ---------------------------------------------------------------------------------------
// Records the walk fills.
// ---------------------------------------------------------------------------------------

interface Param {
  name: string | undefined; // undefined: destructured (its position still counts)
  start: number;
  end: number;
  pos: number;
  /** Start of the type annotation's type, or -1. */
  annStart: number;
}

interface Cand {
  kind: number;
  cat: number;
  name: string;
  nameStart: number;
  nameEnd: number;
  nameCat: number;
  start: number;
  end: number;
  /** Where a doc comment would end: before `export` / `declare` keywords and decorators. */
  anchor: number;
  flags: number;
  signature: string;
  /** Start of the body (a function's block or expression, a class body), or -1. */
  bodyStart: number;
  /** Range of an initializer (variables, fields, CommonJS values), or -1. */
  valueStart: number;
  valueEnd: number;
  /** Range of a declared return type, or -1. */
  retStart: number;
  retEnd: number;
  /** An overload signature, dropped when an implementation with the same name follows. */
  overload: boolean;
  params: Param[] | undefined;
  typeParams: Set<string> | undefined;
  /** Constructor parameter property: its parent is the constructor's class. */
  ctorOwner: Cand | undefined;
  /** `Foo.prototype.m = …`: parent is the module-level symbol Foo; for `namespace A.B`: 'A'. */
  ownerPath: string | undefined;
  /** Declares a name in its scope (false for `exports.x = …` and `export default …`). */
  binding: boolean;
  /** `X.y = function …`: a method when X is a module-level class or function, else a function. */
  classOwned: boolean;
  /** Signature source: how to cut the declaration text. */
  sig: number;

  // assigned when sorted
  parent: Cand | undefined;
  qualifiedName: string;
  row: number;
}

// signature styles
const SIG_BODY = 0; // text up to the body (or the name when there is none)
const SIG_WHOLE = 1; // the whole declaration minus a trailing ';'
const SIG_VALUE = 2; // `name: T = value` with a short value, else `name: T = …`
const SIG_NAME = 3; // up to the end of the name (namespaces, recovered classes)
const SIG_FIXED = 4; // already set

interface DeclRec {
  start: number;
  end: number;
  kind: number; // constant / variable
  keyword: string;
  moduleLevel: boolean;
  declarators: DeclaratorRec[];
}

interface DeclaratorRec {
  start: number;
  end: number;
  nameCat: number;
  nameStart: number;
  nameEnd: number;
  valueStart: number;
  valueEnd: number;
  /** Its `: T` annotation (the type_annotation node), -1 when none. */
  annStart: number;
  annEnd: number;
  /** The function / class symbol its value defines. */
  cand: Cand | undefined;
}

interface CallRec {
  calleeCat: number;
  calleeStart: number;
  calleeEnd: number;
  argc: number;
  strStart: number;
  strEnd: number;
  end: number;
  /** Binding context for `require()` / `import()`: declarator, or -1. */
  decl: DeclaratorRec | undefined;
  /** 0 = other, 1 = expression statement, 2 = object of a member expression. */
  ctx: number;
  isNew: boolean;
  /** How its value is used (a CallValueUse value for the alias column), or undefined. */
  use: string | undefined;
  /** Arguments that are a plain name or `this.x`: [position, offset, name, qualifier] each. */
  args: (string | number | undefined)[] | undefined;
}

interface ImportRec {
  start: number;
  source: string | undefined;
  found: { off: number; name: string; alias: string | undefined; aux: number }[];
}

interface ExportRec {
  start: number;
  source: string | undefined;
  specs: { off: number; name: string; alias: string | undefined }[];
  star: number;
  starAlias: string | undefined;
  defaultName: { off: number; name: string } | undefined;
  hasDeclaration: boolean;
}

/**
 * An object literal whose function-valued members are symbols: the value of a module-level
 * `const x = {…}` (functions `x.m`, parented by range), `exports.x = {…}` (functions of x),
 * `module.exports = {…}` / `export default {…}` (the module's functions, exported: the object
 * has no name, so `create` in an ESLint rule file is `create`, as `exports.create = …` is)
 * and `Foo.prototype = {…}` (methods of Foo). Nested objects and objects inside functions are
 * not: their functions are part of the enclosing symbol's body. Members of a plain object are
 * functions, not methods: a call on an unknown receiver resolves to a project-unique *method*
 * name, and object keys are often builtin names (`objectTraps.getPrototypeOf` would take every
 * `Object.getPrototypeOf(…)`, mobx's `arrayExtensions.unshift` every `arr.unshift(…)`).
 */
interface MemberObject {
  kind: number;
  flags: number;
  ownerPath: string | undefined;
}

interface CjsRec {
  start: number;
  match: RegExpExecArray;
  cand: Cand | undefined;
}

class Extraction {
  readonly text: string;
  readonly lang: LanguageId;
  readonly ts: boolean;
  readonly builder: FragmentBuilder;
  readonly tree: Tree;
  readonly tab: LanguageTables;
  readonly lines: LineIndex;
  cursor!: TreeCursor;
  // the walk's ancestor frames, by depth
  readonly fcat: number[] = [];
  readonly ffield: number[] = [];
  readonly fflag: number[] = [];
  readonly fstart: number[] = [];
  /** Per frame: index into the record list its category uses (cands, decls, calls, …). */
  readonly frec: number[] = [];
  /** Open symbol candidates, innermost last. */
  readonly defStack: Cand[] = [];
  /** Open module-level `const` / `let` / `var` statements (their initializers are symbol bodies). */
  openValues = 0;
  /** Leaves are asked whether they are MISSING only in trees with syntax errors. */
  treeHasError = false;
  // records
  readonly cands: Cand[] = [];
  readonly decls: DeclRec[] = [];
  readonly declarators: DeclaratorRec[] = [];
  readonly calls: CallRec[] = [];
  readonly imports: ImportRec[] = [];
  readonly exports: ExportRec[] = [];
  readonly cjs: CjsRec[] = [];
  /** Object literals whose members are symbols (an OBJECT / PASS frame's `frec`). */
  readonly memberObjs: MemberObject[] = [];
  readonly params: Param[] = [];
  readonly comments: number[] = [];
  /** Offsets of ERROR and MISSING nodes, in document order. */
  readonly errors: number[] = [];
  readonly branches: number[] = [];
  readonly typeIds: number[] = [];
  readonly typeQual: (string | undefined)[] = [];
  readonly moduleTypeParams = new Set<string>();
  readonly heritage: { start: number; end: number; kind: number; owner: Cand | undefined }[] = [];
  readonly jsx: number[] = [];
  /** Bare identifiers inside symbols: offset and RefKind.read / write. */
  readonly idStart: number[] = [];
  readonly idKind: number[] = [];
  /** `this.x` uses: offset of x and RefKind.read / write. */
  readonly thisStart: number[] = [];
  readonly thisKind: number[] = [];
  // references
  readonly refKind: number[] = [];
  readonly refOff: number[] = [];
  readonly refName: string[] = [];
  readonly refQual: (string | undefined)[] = [];
  readonly refAlias: (string | undefined)[] = [];
  readonly refAux: number[] = [];
  /** Explicit `from` row, -2: the innermost symbol at the offset, -3: the same, scopes only. */
  readonly refFrom: number[] = [];
  /** Names exported by `export { a }`, `export default a`, `module.exports = …` (flags to add). */
  readonly exportMarks = new Map<string, number>();
  /** Offsets of type identifiers that name heritage, not type uses. */
  readonly notTypeRef = new Set<number>();
  // symbol rows (row 0 = module)
  readonly symStart: number[] = [0];
  readonly symEnd: number[] = [0];
  readonly symRangeParent: number[] = [-1];
  readonly symKind: number[] = [SymbolKind.module];
  readonly rowCand: (Cand | undefined)[] = [undefined];
  /** Accepted type uses in offset order (paramType / returnType choose among them). */
  readonly tyOff: number[] = [];
  readonly tyName: string[] = [];
  readonly tyQual: (string | undefined)[] = [];

  constructor(ctx: ExtractContext) {
    this.text = ctx.text;
    this.lang = ctx.lang;
    this.ts = ctx.lang !== 'javascript';
    this.builder = ctx.builder;
    this.tree = ctx.tree;
    this.tab = tablesFor(ctx.lang);
    this.lines = new LineIndex(this.text);
    this.symEnd[0] = this.text.length;
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

  /** Start of the identifier that ends at index `i` (inclusive). */
  identStartBack(i: number): number {
    const t = this.text;
    while (i >= 0 && isIdentCode(t.charCodeAt(i))) i--;
    if (i >= 0 && t.charCodeAt(i) === 35) i--; // '#private'
    return i + 1;
  }

  /**
   * `export` / `default` / `declare` keywords right before a declaration: the flags they give
   * and the start of the whole statement (where its doc comment sits).
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
      if (this.inComment(j)) break;
      if (word === 'export') flags |= SymbolFlag.exported;
      else if (word === 'default') flags |= SymbolFlag.defaultExport;
      else if (word !== 'declare') break;
      anchor = w + 1;
    }
    if (flags & SymbolFlag.defaultExport) flags |= SymbolFlag.exported;
    return { flags, anchor };
  }

  /** Modifier words between a declaration's start and its name (`static async`, `private`, …). */
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

  /** Skips `@dec`, `@a.b(…)` decorators forward from `i` (not past `limit`). */
  skipDecoratorsFwd(i: number, limit: number): number {
    const t = this.text;
    for (let guard = 0; guard < 32 && i < limit && t.charCodeAt(i) === 64; guard++) {
      let k = i + 1;
      while (k < limit && (isIdentCode(t.charCodeAt(k)) || t.charCodeAt(k) === 46)) k++;
      k = this.skipWsFwd(k);
      if (t.charCodeAt(k) === 40) {
        let depth = 0;
        for (; k < limit; k++) {
          const c = t.charCodeAt(k);
          if (c === 40) depth++;
          else if (c === 41 && --depth === 0) break;
        }
        if (k >= limit) return i;
        k++;
      }
      i = this.skipWsFwd(k);
    }
    return i;
  }

  /** Moves a doc anchor back over decorators written above a declaration. */
  skipDecoratorsBack(anchor: number): number {
    const t = this.text;
    for (let guard = 0; guard < 16; guard++) {
      let k = this.skipWsBack(anchor - 1);
      if (k < 0) break;
      if (t.charCodeAt(k) === 41) {
        let depth = 0;
        const stop = Math.max(0, k - 2000);
        for (; k >= stop; k--) {
          const c = t.charCodeAt(k);
          if (c === 41) depth++;
          else if (c === 40 && --depth === 0) break;
        }
        if (depth !== 0) break;
        k = this.skipWsBack(k - 1);
      }
      let i = k;
      while (i >= 0 && (isIdentCode(t.charCodeAt(i)) || t.charCodeAt(i) === 46)) i--;
      if (i === k || i < 0 || t.charCodeAt(i) !== 64 || this.inComment(i)) break;
      anchor = i;
    }
    return anchor;
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
    this.refKind.push(kind);
    this.refOff.push(off);
    this.refName.push(name);
    this.refQual.push(qualifier);
    this.refAlias.push(alias);
    this.refAux.push(aux);
    this.refFrom.push(from);
  }

  markExport(name: string, flags: number): void {
    this.exportMarks.set(name, (this.exportMarks.get(name) ?? 0) | flags);
  }

  // ------------------------------------------------------------------ the walk

  learnType(id: number): number {
    const c = this.cursor;
    const name = c.nodeType;
    const named = c.nodeIsNamed;
    let cat: number;
    if (named) cat = CATEGORY_BY_NAME.get(name) ?? OTHER;
    else if (name === '&&' || name === '||' || name === '??') cat = BRANCH_OP;
    else if (name === 'class') cat = CLASS_KW;
    else if (name === '*') cat = STAR;
    else cat = TOKEN;
    this.tab.cat[id] = cat;
    this.tab.named[id] = named ? 1 : 0;
    return cat;
  }

  fieldCode(fid: number): number {
    let code = this.tab.field[fid] ?? -1;
    if (code < 0) {
      code = FIELD_BY_NAME.get(this.cursor.currentFieldName) ?? F_OTHER;
      if (fid < this.tab.field.length) this.tab.field[fid] = code;
    }
    return code;
  }

  /**
   * Visits every node of `tree` once, in document order, without recursion; stops before the
   * first module-level statement that starts at or after `limit`.
   */
  walk(tree: Tree, limit: number): void {
    const c = tree.walk();
    this.cursor = c;
    this.treeHasError = tree.rootNode.hasError;
    const cats = this.tab.cat;
    let d = 0;
    for (;;) {
      if (d === 1 && c.startIndex >= limit) {
        this.leave(0);
        return;
      }
      // the cursor is on an unvisited node at depth d
      const id = c.nodeTypeId;
      if (cats[id] === TOKEN) {
        // punctuation and keywords: nothing to record (unless the parser had to invent it)
        if (this.treeHasError && c.nodeIsMissing) this.errors.push(c.startIndex);
      } else if (this.enter(d, id)) {
        if (c.gotoFirstChild()) {
          d++;
          continue;
        }
        this.leave(d); // a node we meant to descend into had no children
      }
      for (;;) {
        if (d === 0) return;
        if (c.gotoNextSibling()) break;
        c.gotoParent();
        d--;
        this.leave(d);
      }
    }
  }

  /** Records what the node under the cursor (at depth d) says; returns whether to descend. */
  enter(d: number, id: number): boolean {
    const c = this.cursor;
    let cat = this.tab.cat[id] ?? OTHER;
    if (cat < 0) cat = this.learnType(id);
    const pd = d - 1;
    const pcat = pd >= 0 ? (this.fcat[pd] ?? OTHER) : -1;
    let field = 0;
    if (pcat >= 0 && cat !== COMMENT && this.tab.named[id]) {
      const mode = WANTS_FIELDS[pcat];
      if (mode === 1 || (mode === 2 && cat === IDENT)) {
        const fid = c.currentFieldId as number | undefined;
        if (fid !== undefined) field = this.fieldCode(fid);
      }
    }
    this.fcat[d] = cat;
    this.ffield[d] = field;
    this.fflag[d] = 0;
    this.frec[d] = -1;
    // syntax errors: ERROR nodes by type; MISSING ones are inserted tokens, asked only in such trees
    if (cat === ERROR || (this.treeHasError && NO_DESCEND[cat] && c.nodeIsMissing))
      this.errors.push(c.startIndex);
    // what the parent wants to know about this child (it may name the child's role)
    if (pcat > OTHER && pcat !== BLOCK && (this.tab.named[id] || cat === STAR || cat === CLASS_KW)) {
      this.child(d, pd, pcat, field, cat, id);
      field = this.ffield[d] ?? 0;
    }
    switch (cat) {
      case OTHER:
      case LEAF:
        return cat === OTHER;
      case COMMENT:
        this.comments.push(c.startIndex);
        return false;
      case BRANCH:
      case BRANCH_OP:
        this.branches.push(c.startIndex);
        return cat === BRANCH;
      case IDENT:
      case SHORTHAND:
        if (this.defStack.length > 0 || this.openValues > 0) this.identifier(pcat, field, pd);
        return false;
      case TYPE_ID:
        this.typeIdentifier(d, pcat, field);
        return false;
      case THIS:
        if (pcat === MEMBER) this.fflag[pd] = (this.fflag[pd] ?? 0) | FL_THIS_OBJECT; // `this` is the object
        return false;
      case CLASS:
      case FUNC:
      case FSIG:
      case IFACE:
      case ENUM:
      case TYPE_ALIAS:
      case NS:
        this.openCand(d, cat);
        return true;
      case CLASS_EXPR:
      case FUNC_EXPR:
        if ((this.frec[d] ?? -1) >= 0 && !((this.fflag[d] ?? 0) & FL_ROUTED)) {
          this.defStack.push(this.cands[this.frec[d] ?? 0] as Cand);
        }
        return true;
      case METHOD:
        if (pcat === CLASS_BODY || (pcat === ERROR && (this.fflag[pd] ?? 0) & FL_CLASS_KW)) {
          // (a method_definition in any other error region is a misparse: `if (x) {…}`)
          this.openCand(d, cat);
        } else if (pcat === OBJECT && (this.frec[pd] ?? -1) >= 0) {
          this.openCand(d, cat);
          this.memberCand(this.cands[this.frec[d] ?? -1], this.frec[pd] ?? -1);
        }
        return true;
      case PAIR:
        this.fstart[d] = c.startIndex;
        return true;
      case MSIG:
        if (pcat === CLASS_BODY || pcat === IFACE_BODY) this.openCand(d, cat);
        return true;
      case AMSIG:
      case FIELD:
        if (pcat === CLASS_BODY) this.openCand(d, cat);
        return true;
      case PROP_SIG:
        if (pcat === IFACE_BODY) this.openCand(d, cat);
        return true;
      case DECL: {
        const start = c.startIndex;
        const moduleLevel =
          pcat === PROGRAM ||
          pcat === NS_BODY ||
          ((pcat === EXPORT || pcat === AMBIENT) && this.isModuleScope(pd - 1)) ||
          (pcat === AMBIENT && this.fcat[pd - 1] === EXPORT && this.isModuleScope(pd - 2));
        const kind = this.text.startsWith('const', start) ? SymbolKind.constant : SymbolKind.variable;
        const keyword = /^\w+/.exec(this.text.slice(start, start + 5))?.[0] ?? '';
        this.frec[d] = this.decls.length;
        this.decls.push({ start, end: start, kind, keyword, moduleLevel, declarators: [] });
        if (moduleLevel) this.openValues++;
        return true;
      }
      case DECLARATOR: {
        if (pcat !== DECL) return true;
        const rec: DeclaratorRec = {
          start: c.startIndex,
          end: -1,
          nameCat: -1,
          nameStart: -1,
          nameEnd: -1,
          valueStart: -1,
          valueEnd: -1,
          annStart: -1,
          annEnd: -1,
          cand: undefined,
        };
        this.frec[d] = this.declarators.length;
        this.declarators.push(rec);
        this.decls[this.frec[pd] ?? 0]?.declarators.push(rec);
        return true;
      }
      case CALL:
      case NEW:
        this.openCall(d, pd, pcat, field, cat === NEW);
        return true;
      case IMPORT:
        this.frec[d] = this.imports.length;
        this.imports.push({ start: c.startIndex, source: undefined, found: [] });
        return true;
      case EXPORT:
        this.frec[d] = this.exports.length;
        this.exports.push({
          start: c.startIndex,
          source: undefined,
          specs: [],
          star: -1,
          starAlias: undefined,
          defaultName: undefined,
          hasDeclaration: false,
        });
        return true;
      case EXPR_STMT:
        if (pcat === PROGRAM) this.fflag[d] = FL_TOP;
        return true;
      case NESTED_TYPE:
        this.fstart[d] = c.startIndex;
        return true;
      case ASSIGN:
      case AUG_ASSIGN:
        // the start of the left side: top-level CommonJS definitions, and a call's assignment target
        this.fstart[d] = c.startIndex;
        return true;
      default:
        return !NO_DESCEND[cat];
    }
  }

  /** Called when the walk returns to a node (depth d) after its last child. */
  leave(d: number): void {
    const cat = this.fcat[d] ?? OTHER;
    if (cat < CLASS || cat === OTHER) return;
    const rec = this.frec[d] ?? -1;
    switch (cat) {
      case CLASS:
      case CLASS_EXPR:
      case FUNC:
      case FSIG:
      case FUNC_EXPR:
      case METHOD:
      case MSIG:
      case AMSIG:
      case FIELD:
      case PROP_SIG:
      case IFACE:
      case ENUM:
      case TYPE_ALIAS:
      case NS: {
        if (rec < 0 || (this.fflag[d] ?? 0) & FL_ROUTED) return;
        const cand = this.cands[rec];
        if (cand && cand.end < 0) cand.end = this.cursor.endIndex;
        this.defStack.pop();
        return;
      }
      case ERROR:
        if (rec >= 0) {
          const cand = this.cands[rec];
          if (cand) cand.end = this.cursor.endIndex;
          this.defStack.pop();
        }
        return;
      case DECLARATOR:
        if (rec >= 0) {
          const r = this.declarators[rec];
          if (r) r.end = this.cursor.endIndex;
        }
        return;
      case DECL: {
        const r = this.decls[rec];
        if (r?.moduleLevel) this.openValues--;
        this.closeDecl(r);
        return;
      }
      case CALL:
      case NEW: {
        const r = this.calls[rec];
        if (r && r.ctx === 2) r.end = this.cursor.endIndex;
        return;
      }
      case ASSIGN: {
        if (!((this.fflag[d] ?? 0) & FL_CJS)) return;
        const r = this.cjs[rec];
        if (r?.cand) {
          r.cand.end = this.cursor.endIndex;
          if (r.cand.kind === SymbolKind.variable) this.openValues--;
        }
        return;
      }
      default:
        return;
    }
  }

  /** Is the frame at depth d a scope whose declarations are module-level (program, namespace)? */
  isModuleScope(d: number): boolean {
    const k = this.fcat[d];
    return k === PROGRAM || k === NS_BODY;
  }

  newCand(cat: number, kind: number, start: number): Cand {
    return {
      kind,
      cat,
      name: '',
      nameStart: -1,
      nameEnd: -1,
      nameCat: -1,
      start,
      end: -1,
      anchor: start,
      flags: 0,
      signature: '',
      bodyStart: -1,
      valueStart: -1,
      valueEnd: -1,
      retStart: -1,
      retEnd: -1,
      overload: false,
      params: undefined,
      typeParams: undefined,
      ctorOwner: undefined,
      ownerPath: undefined,
      binding: true,
      classOwned: false,
      sig: SIG_BODY,
      parent: undefined,
      qualifiedName: '',
      row: 0,
    };
  }

  /** A declaration node that is a symbol: open its candidate (name, body … arrive as children). */
  openCand(d: number, cat: number): void {
    let kind: number;
    let sig = SIG_BODY;
    switch (cat) {
      case CLASS:
        kind = SymbolKind.class;
        break;
      case FUNC:
      case FSIG:
        kind = SymbolKind.function;
        break;
      case IFACE:
        kind = SymbolKind.interface;
        break;
      case ENUM:
        kind = SymbolKind.enum;
        break;
      case TYPE_ALIAS:
        kind = SymbolKind.typeAlias;
        sig = SIG_WHOLE;
        break;
      case NS:
        kind = SymbolKind.namespace;
        sig = SIG_NAME;
        break;
      case FIELD:
        kind = SymbolKind.field;
        sig = SIG_VALUE;
        break;
      case PROP_SIG:
        kind = SymbolKind.field;
        sig = SIG_WHOLE;
        break;
      default:
        kind = SymbolKind.method;
    }
    const cand = this.newCand(cat, kind, this.cursor.startIndex);
    cand.sig = sig;
    cand.overload = cat === FSIG || (cat === MSIG && this.fcat[d - 1] === CLASS_BODY);
    if (cat === AMSIG) cand.flags |= SymbolFlag.abstract;
    this.frec[d] = this.cands.length;
    this.cands.push(cand);
    this.defStack.push(cand);
  }

  openCall(d: number, pd: number, pcat: number, field: number, isNew: boolean): void {
    let decl: DeclaratorRec | undefined;
    let ctx = 0;
    if (pcat === DECLARATOR && field === F_VALUE) decl = this.declarators[this.frec[pd] ?? -1];
    else if (pcat === EXPR_STMT) ctx = 1;
    else if (pcat === AWAIT && this.fcat[pd - 1] === DECLARATOR && this.ffield[pd] === F_VALUE) {
      decl = this.declarators[this.frec[pd - 1] ?? -1];
    } else if (
      pcat === MEMBER &&
      field === F_OBJECT &&
      this.fcat[pd - 1] === DECLARATOR &&
      this.ffield[pd] === F_VALUE
    ) {
      decl = this.declarators[this.frec[pd - 1] ?? -1];
      ctx = 2;
    }
    this.frec[d] = this.calls.length;
    this.calls.push({
      calleeCat: -1,
      calleeStart: -1,
      calleeEnd: -1,
      argc: 0,
      strStart: -1,
      strEnd: -1,
      end: -1,
      decl,
      ctx,
      isNew,
      use: this.callUse(pd, pcat, field),
      args: undefined,
    });
  }

  /**
   * How the value of a call whose parent frame is `pd` is used, read through `await`,
   * parentheses, casts and `!`: assigned (to which target), passed as an argument, returned.
   */
  callUse(pd: number, pcat: number, field: number): string | undefined {
    let up = pd;
    let cat = pcat;
    let f = field;
    for (let k = 0; k < 4 && (cat === AWAIT || cat === PASS || cat === NON_NULL_EXPR); k++) {
      f = this.ffield[up] ?? 0;
      up--;
      cat = up >= 0 ? (this.fcat[up] ?? OTHER) : -1;
    }
    switch (cat) {
      case ARGS:
        return CallValueUse.argument;
      case RETURN:
        return CallValueUse.returned;
      case FUNC_EXPR:
        return f === F_BODY ? CallValueUse.returned : undefined; // `x => f(x)`
      case DECLARATOR: {
        if (f !== F_VALUE) return undefined;
        const r = this.declarators[this.frec[up] ?? -1];
        const name = r && r.nameCat === IDENT ? this.text.slice(r.nameStart, r.nameEnd) : '';
        return CallValueUse.assigned + name;
      }
      case ASSIGN:
      case AUG_ASSIGN: {
        if (f !== F_RIGHT) return undefined;
        const start = this.fstart[up] ?? 0;
        const m = ASSIGN_TARGET.exec(this.text.slice(start, start + 160));
        const target = m?.[1] ? m[1].replace(WS_RUN, '').replace(OPTIONAL_DOT, '.') : '';
        return CallValueUse.assigned + target;
      }
      case FIELD: {
        if (f !== F_VALUE) return undefined;
        const cand = this.cands[this.frec[up] ?? -1];
        return CallValueUse.assigned + (cand?.name ? `this.${cand.name}` : '');
      }
      default:
        return undefined;
    }
  }

  /** What a child (at depth d, category cat, field code `field`) tells its parent frame. */
  child(d: number, pd: number, pcat: number, field: number, cat: number, id: number): void {
    const c = this.cursor;
    const prec = this.frec[pd] ?? -1;
    if (OWNER[pcat]) {
      if (prec < 0) return;
      const cand = this.cands[prec];
      if (!cand) return;
      this.ownedChild(d, pcat, field, cat, cand);
      return;
    }
    switch (pcat) {
      case CALL:
      case NEW: {
        const call = this.calls[prec];
        if (!call) return;
        if (cat === ARGS) {
          this.ffield[d] = F_ARGUMENTS;
          this.frec[d] = prec;
        } else if (call.calleeStart < 0 && cat !== COMMENT && this.tab.named[id]) {
          // the first named child is the callee / the constructor
          this.ffield[d] = pcat === CALL ? F_FUNCTION : F_CONSTRUCTOR;
          call.calleeCat = cat;
          call.calleeStart = c.startIndex;
          call.calleeEnd =
            cat === IDENT || cat === SUPER || cat === IMPORT_KW
              ? this.identEnd(call.calleeStart)
              : c.endIndex;
        }
        return;
      }
      case ARGS: {
        if (cat === COMMENT || !this.tab.named[id]) return;
        const call = this.calls[prec];
        if (!call) return;
        if (++call.argc === 1 && cat === STRING) {
          call.strStart = c.startIndex;
          call.strEnd = c.endIndex;
        } else if (cat === FUNC_EXPR && call.argc === 2 && (this.fflag[pd - 1] ?? 0) & FL_REGISTRAR) {
          this.registeredMethod(d, call);
        } else if (cat === IDENT) {
          const s = c.startIndex;
          (call.args ??= []).push(call.argc - 1, s, this.identAt(s), undefined);
        } else if (cat === MEMBER && c.endIndex - c.startIndex <= 80) {
          const s = c.startIndex;
          const m = this.text.startsWith('this', s) ? THIS_FIELD.exec(this.text.slice(s, c.endIndex)) : null;
          if (m?.[1]) (call.args ??= []).push(call.argc - 1, s + m[0].length - m[1].length, m[1], 'this');
        }
        return;
      }
      case DECLARATOR: {
        const r = this.declarators[prec];
        if (!r) return;
        if (field === F_NAME) {
          r.nameCat = cat;
          r.nameStart = c.startIndex;
          r.nameEnd = cat === IDENT ? this.identEnd(r.nameStart) : c.endIndex;
        } else if (field === F_TYPE) {
          r.annStart = c.startIndex;
          r.annEnd = c.endIndex;
        } else if (field === F_VALUE) {
          r.valueStart = c.startIndex;
          r.valueEnd = c.endIndex;
          if ((cat === FUNC_EXPR || cat === CLASS_EXPR) && r.nameCat === IDENT) {
            const cand = this.newCand(
              cat,
              cat === CLASS_EXPR ? SymbolKind.class : SymbolKind.function,
              r.start,
            );
            cand.name = this.text.slice(r.nameStart, r.nameEnd);
            cand.nameStart = r.nameStart;
            cand.nameEnd = r.nameEnd;
            cand.end = r.start; // the range is set when the declaration closes
            if (cat === FUNC_EXPR && this.startsWithAsync(r.valueStart)) cand.flags |= SymbolFlag.async;
            r.cand = cand;
            this.frec[d] = this.cands.length;
            this.cands.push(cand);
          } else if (
            (cat === OBJECT || cat === PASS) &&
            r.nameCat === IDENT &&
            this.decls[this.frec[pd - 1] ?? -1]?.moduleLevel
          ) {
            this.markMemberObject(d, SymbolKind.function, 0, undefined);
          }
        }
        return;
      }
      case PASS:
        // `const x = {…} as const`
        if (cat === OBJECT && (this.frec[pd] ?? -1) >= 0) this.frec[d] = this.frec[pd] ?? -1;
        return;
      case PAIR:
        if (cat === FUNC_EXPR && this.fcat[pd - 1] === OBJECT && (this.frec[pd - 1] ?? -1) >= 0) {
          this.memberPair(d, pd);
        }
        return;
      case PARAMS:
        if ((this.fflag[pd] ?? 0) & FL_DEF_PARAMS && cat !== COMMENT && this.tab.named[id]) {
          const cand = this.cands[prec];
          if (cand) this.param(d, cat, cand);
        }
        return;
      case PARAM:
        if (field === F_TYPE && prec >= 0) {
          const p = this.params[prec];
          if (p && p.annStart < 0) p.annStart = c.startIndex;
        }
        return;
      case MEMBER:
        // a property name can only be the property; a call can only be the object
        if ((cat === PROP_ID || cat === PRIV_ID) && (this.fflag[pd] ?? 0) & FL_THIS_OBJECT)
          this.thisMember(pd);
        else if (cat === CALL) this.ffield[d] = F_OBJECT;
        return;
      case EXPORT:
        this.exportChild(d, prec, field, cat);
        return;
      case EXPORT_CLAUSE:
        if (cat === EXPORT_SPEC) {
          const s = c.startIndex;
          const sp = parseSpecifier(this.text.slice(s, c.endIndex));
          if (sp) this.exports[prec]?.specs.push({ off: s, name: sp.name, alias: sp.alias });
        }
        return;
      case IMPORT:
      case IMPORT_CLAUSE:
      case NAMED_IMPORTS:
        this.importChild(d, prec, cat);
        return;
      case EXPR_STMT:
        if ((this.fflag[pd] ?? 0) & FL_TOP) {
          if (cat === ASSIGN) this.fflag[d] = FL_TOP;
          else if (cat === CALL) this.fflag[d] = FL_REGISTRAR;
        }
        return;
      case ASSIGN:
        if ((this.fflag[pd] ?? 0) & (FL_TOP | FL_CJS)) this.assignChild(d, pd, field, cat);
        return;
      case OBJECT:
        if ((this.fflag[pd] ?? 0) & FL_EXPORTS_OBJECT) this.objectExport(cat);
        return;
      case NS_BODY:
        return;
      case HERITAGE:
        if (!this.ts && cat !== COMMENT && this.tab.named[id]) this.heritageChild(RefKind.inherits);
        return;
      case EXTENDS:
        if (field === F_VALUE) this.heritageChild(RefKind.inherits);
        return;
      case EXTENDS_TYPE:
        if (field === F_TYPE) this.heritageChild(RefKind.inherits);
        return;
      case IMPLEMENTS:
        if (cat !== COMMENT && this.tab.named[id]) this.heritageChild(RefKind.implements);
        return;
      case JSX_OPEN:
        if (field === F_NAME) this.jsx.push(c.startIndex);
        return;
      case ERROR:
        if (cat === CLASS_KW) {
          this.fflag[pd] = (this.fflag[pd] ?? 0) | FL_CLASS_KW;
          this.fstart[pd] = c.startIndex;
        } else if ((cat === IDENT || cat === TYPE_ID) && (this.fflag[pd] ?? 0) & FL_CLASS_KW && prec < 0) {
          // `class X {` never closed: a class from the keyword to the end of the error region
          const cand = this.newCand(CLASS, SymbolKind.class, this.fstart[pd] ?? c.startIndex);
          cand.nameStart = c.startIndex;
          cand.nameEnd = this.identEnd(cand.nameStart);
          cand.name = this.text.slice(cand.nameStart, cand.nameEnd);
          cand.sig = SIG_NAME;
          cand.flags |= SymbolFlag.hasError;
          this.frec[pd] = this.cands.length;
          this.cands.push(cand);
          this.defStack.push(cand);
        }
        return;
      default:
        return;
    }
  }

  /** A child of a symbol's declaration node: its name, body, parameters, value, return type. */
  ownedChild(d: number, pcat: number, field: number, cat: number, cand: Cand): void {
    const c = this.cursor;
    switch (field) {
      case F_NAME:
      case F_PROPERTY: // JS field_definition
        if (pcat === FUNC_EXPR || pcat === CLASS_EXPR || cand.nameStart >= 0) return;
        cand.nameCat = cat;
        cand.nameStart = c.startIndex;
        if (cat === STRING) {
          cand.nameEnd = c.endIndex;
          cand.name = this.text.slice(cand.nameStart + 1, cand.nameEnd - 1);
        } else {
          const e = this.identEnd(cand.nameStart);
          cand.nameEnd = e > cand.nameStart && cat !== OTHER ? e : c.endIndex;
          cand.name =
            cat === OTHER
              ? collapse(this.text.slice(cand.nameStart, cand.nameEnd))
              : this.text.slice(cand.nameStart, cand.nameEnd);
          if (cat === OTHER && this.text.charCodeAt(cand.nameStart) !== 91) {
            // `namespace A.B`: a dotted name
            cand.name = cand.name.replace(/\s+/g, '');
          }
        }
        return;
      case F_BODY:
        cand.bodyStart = c.startIndex;
        if (pcat === NS) this.fcat[d] = NS_BODY;
        return;
      case F_PARAMETERS:
        if (cat === PARAMS) {
          this.frec[d] = this.frec[d - 1] ?? -1;
          this.fflag[d] = FL_DEF_PARAMS;
          cand.params = [];
        }
        return;
      case F_PARAMETER: // `x => …`
        if (cat === IDENT) {
          const s = c.startIndex;
          cand.params = [{ name: this.identAt(s), start: s, end: this.identEnd(s), pos: 0, annStart: -1 }];
        }
        return;
      case F_RETURN_TYPE:
        cand.retStart = c.startIndex;
        cand.retEnd = c.endIndex;
        return;
      case F_VALUE:
        if (pcat !== FIELD) return;
        cand.valueStart = c.startIndex;
        cand.valueEnd = c.endIndex;
        if (cat === FUNC_EXPR) {
          // `handler = () => {…}`: a method; the function's parameters and body are the symbol's
          cand.kind = SymbolKind.method;
          cand.sig = SIG_BODY;
          if (this.startsWithAsync(cand.valueStart)) cand.flags |= SymbolFlag.async;
          this.frec[d] = this.frec[d - 1] ?? -1;
          this.fflag[d] = FL_ROUTED;
        }
        return;
      default:
        return;
    }
  }

  /** A parameter of a symbol's parameter list (TS required_/optional_parameter, or a JS pattern). */
  param(d: number, cat: number, cand: Cand): void {
    const c = this.cursor;
    const t = this.text;
    const ps = c.startIndex;
    const pe = c.endIndex;
    const params = (cand.params ??= []);
    let i = t.charCodeAt(ps) === 64 ? this.skipDecoratorsFwd(ps, pe) : ps;
    // modifiers: `private readonly repo: Repo` makes a constructor parameter a property
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
    if (t.startsWith('this', i) && !isIdentCode(t.charCodeAt(i + 4))) return; // TS `this:` parameter
    if (t.startsWith('...', i)) i = this.skipWsFwd(i + 3);
    const name = isIdentCode(t.charCodeAt(i)) ? this.identAt(i) : undefined;
    const p: Param = { name, start: i, end: pe, pos: params.length, annStart: -1 };
    params.push(p);
    if (cat === PARAM) {
      this.frec[d] = this.params.length;
      this.params.push(p);
    }
    if (
      modifiers > 0 &&
      name !== undefined &&
      cand.kind === SymbolKind.method &&
      cand.name === 'constructor'
    ) {
      const f = this.newCand(FIELD, SymbolKind.field, ps);
      f.end = pe;
      f.name = name;
      f.nameStart = i;
      f.nameEnd = this.identEnd(i);
      f.flags = isPrivate ? SymbolFlag.private : 0;
      f.signature = cleanSignature(t.slice(this.skipDecoratorsFwd(ps, pe), pe));
      f.sig = SIG_FIXED;
      f.ctorOwner = cand;
      this.cands.push(f);
    }
  }

  /** A bare identifier inside a symbol: a candidate read / write of a module-level name. */
  identifier(pcat: number, field: number, pd: number): void {
    let kind: number = RefKind.read;
    switch (pcat) {
      case CALL:
        if (field === F_FUNCTION) return; // a call ref already
        break;
      case NEW:
        if (field === F_CONSTRUCTOR) return;
        break;
      case DECLARATOR:
        if (field === F_NAME) return; // a (local) declaration
        break;
      case PARAM:
        if (field !== F_VALUE) return; // a parameter's name; its default value is read
        break;
      case PARAMS:
      case JSX_OPEN:
      case JSX_CLOSE:
      case IMPORT_CLAUSE:
      case NS_IMPORT:
      case IMPORT_SPEC:
      case EXPORT_SPEC:
      case IMPORT_REQUIRE:
        return; // parameters, element names, import / export bindings
      case PATTERN:
        if (field !== F_RIGHT) return; // destructured names are declared
        break;
      case HERITAGE:
      case EXTENDS:
        return; // `extends Base`: an inherits ref
      case BRANCH:
        if (field === F_LEFT || field === F_PARAMETER) return; // for (x of …), catch (e)
        break;
      case ASSIGN:
        if (field === F_LEFT) kind = RefKind.write;
        break;
      case AUG_ASSIGN:
        if (field === F_LEFT) kind = READ_WRITE;
        break;
      case UPDATE:
        kind = READ_WRITE;
        break;
      case FUNC_EXPR:
        if (field === F_PARAMETER || field === F_NAME) return;
        break;
      default:
        if (OWNER[pcat] && field === F_NAME) return;
        if (pcat === ERROR && (this.fflag[pd] ?? 0) & FL_CLASS_KW) return;
    }
    this.idStart.push(this.cursor.startIndex);
    this.idKind.push(kind);
  }

  /** `this.x`: the property of a member expression whose object is `this`. */
  thisMember(md: number): void {
    const mField = this.ffield[md] ?? 0;
    const up = this.fcat[md - 1] ?? OTHER;
    let kind: number = RefKind.read;
    if (up === ASSIGN && mField === F_LEFT) kind = RefKind.write;
    else if ((up === AUG_ASSIGN && mField === F_LEFT) || up === UPDATE) kind = READ_WRITE;
    else if (up === CALL && mField === F_FUNCTION) return; // this.m(): a call ref
    this.thisStart.push(this.cursor.startIndex);
    this.thisKind.push(kind);
  }

  typeIdentifier(d: number, pcat: number, field: number): void {
    const s = this.cursor.startIndex;
    if (OWNER[pcat] && field === F_NAME) return; // class / interface / type alias name
    if (pcat === TYPE_PARAM || pcat === MAPPED || pcat === INFER) {
      if (pcat !== INFER && field !== F_NAME) {
        this.pushType(d, s, pcat, field);
        return;
      }
      // a declared type parameter: scoped to the innermost symbol
      const name = this.identAt(s);
      const top = this.defStack[this.defStack.length - 1];
      if (top) (top.typeParams ??= new Set()).add(name);
      else this.moduleTypeParams.add(name);
      return;
    }
    this.pushType(d, s, pcat, field);
  }

  pushType(d: number, s: number, pcat: number, field: number): void {
    let qualifier: string | undefined;
    if (pcat === NESTED_TYPE && field === F_NAME) {
      const qs = this.fstart[d - 1] ?? s;
      qualifier = this.text.slice(qs, s).replace(/\s+/g, '').replace(/\.$/, '') || undefined;
    }
    this.typeIds.push(s);
    this.typeQual.push(qualifier);
  }

  heritageChild(kind: number): void {
    const c = this.cursor;
    this.heritage.push({
      start: c.startIndex,
      end: c.endIndex,
      kind,
      owner: this.defStack[this.defStack.length - 1],
    });
  }

  exportChild(d: number, prec: number, field: number, cat: number): void {
    const rec = this.exports[prec];
    if (!rec) return;
    const c = this.cursor;
    const t = this.text;
    if (field === F_SOURCE && cat === STRING) {
      rec.source = t.slice(c.startIndex + 1, c.endIndex - 1);
    } else if (field === F_VALUE || (field === 0 && cat === IDENT)) {
      if (cat === IDENT) {
        const s = c.startIndex;
        rec.defaultName = { off: s, name: this.identAt(s) };
      } else if (field === F_VALUE && (cat === FUNC_EXPR || cat === CLASS_EXPR)) {
        // `export default function () {}` / `export default class {}`
        const start = c.startIndex;
        const cand = this.newCand(cat, cat === CLASS_EXPR ? SymbolKind.class : SymbolKind.function, start);
        cand.name = 'default';
        cand.nameStart = start;
        cand.binding = false;
        cand.flags = SymbolFlag.exported | SymbolFlag.defaultExport;
        if (cat === FUNC_EXPR && this.startsWithAsync(start)) cand.flags |= SymbolFlag.async;
        this.frec[d] = this.cands.length;
        this.cands.push(cand);
      } else if (field === F_VALUE && cat === OBJECT) {
        // `export default { name, setup() {…} }`
        this.markMemberObject(d, SymbolKind.function, SymbolFlag.exported, undefined);
      }
    } else if (field !== 0) {
      rec.hasDeclaration = true;
    } else if (cat === EXPORT_CLAUSE) {
      this.frec[d] = prec;
    } else if (cat === NS_EXPORT) {
      const s = c.startIndex;
      rec.star = s;
      const m = /^\*\s*as\s+(?:([\w$\u0080-\uffff]+)|'([^']*)'|"([^"]*)")/.exec(t.slice(s, c.endIndex));
      rec.starAlias = m ? (m[1] ?? m[2] ?? m[3]) : undefined;
    } else if (cat === STAR) {
      rec.star = c.startIndex;
    }
  }

  importChild(d: number, prec: number, cat: number): void {
    const rec = this.imports[prec];
    if (!rec) return;
    const c = this.cursor;
    const t = this.text;
    switch (cat) {
      case STRING:
        rec.source = t.slice(c.startIndex + 1, c.endIndex - 1);
        return;
      case IMPORT_CLAUSE:
      case NAMED_IMPORTS:
        this.frec[d] = prec;
        return;
      case IDENT: {
        const s = c.startIndex;
        rec.found.push({ off: s, name: 'default', alias: this.identAt(s), aux: -1 });
        return;
      }
      case NS_IMPORT: {
        const s = c.startIndex;
        const m = /^\*\s*as\s+([\w$\u0080-\uffff]+)/.exec(t.slice(s, c.endIndex));
        if (m) rec.found.push({ off: s, name: '*', alias: m[1], aux: -1 });
        return;
      }
      case IMPORT_SPEC: {
        const s = c.startIndex;
        const sp = parseSpecifier(t.slice(s, c.endIndex));
        if (sp) rec.found.push({ off: s, name: sp.name, alias: sp.alias, aux: sp.typeOnly ? 1 : -1 });
        return;
      }
      case IMPORT_REQUIRE: {
        const s = c.startIndex;
        const m = /^([\w$\u0080-\uffff]+)\s*=\s*require\s*\(\s*(['"])(.*?)\2/s.exec(t.slice(s, c.endIndex));
        if (m) {
          rec.source = m[3];
          rec.found.push({ off: s, name: '*', alias: m[1], aux: -1 });
        }
        return;
      }
      default:
        return;
    }
  }

  /** Children of a module-level assignment: `exports.x = …`, `module.exports = …`, prototypes. */
  assignChild(d: number, pd: number, field: number, cat: number): void {
    const c = this.cursor;
    if (field === F_LEFT) {
      if (cat !== MEMBER) return;
      const s = c.startIndex;
      const target = collapse(this.text.slice(s, Math.min(c.endIndex, s + 200)));
      const match = CJS_TARGET.exec(target);
      if (!match) return;
      this.fflag[pd] = FL_CJS;
      this.frec[pd] = this.cjs.length;
      this.cjs.push({ start: this.fstart[pd] ?? s, match, cand: undefined });
      return;
    }
    if (field !== F_RIGHT || !((this.fflag[pd] ?? 0) & FL_CJS)) return;
    const rec = this.cjs[this.frec[pd] ?? -1];
    if (!rec) return;
    const m = rec.match;
    const isFn = cat === FUNC_EXPR;
    const isCls = cat === CLASS_EXPR;
    const vs = c.startIndex;
    if (m[3]) {
      // module.exports = …
      if (cat === IDENT) {
        const name = this.identAt(vs);
        this.markExport(name, SymbolFlag.exported | SymbolFlag.defaultExport);
        this.pushRef(RefKind.reexport, vs, name, undefined, 'default', 0, -3);
      } else if (cat === OBJECT) {
        this.fflag[d] = FL_EXPORTS_OBJECT;
        this.markMemberObject(d, SymbolKind.function, SymbolFlag.exported, undefined);
      } else if (isFn || isCls) {
        const cand = this.assignedCand(
          d,
          rec,
          cat,
          isCls ? SymbolKind.class : SymbolKind.function,
          'default',
        );
        cand.flags |= SymbolFlag.exported | SymbolFlag.defaultExport;
      }
      return;
    }
    const exportName = m[2];
    if (exportName !== undefined) {
      // exports.x = … / module.exports.x = …
      if (cat === IDENT) {
        const name = this.identAt(vs);
        this.markExport(name, SymbolFlag.exported);
        this.pushRef(
          RefKind.reexport,
          vs,
          name,
          undefined,
          name === exportName ? undefined : exportName,
          0,
          -3,
        );
      } else {
        const kind = isFn ? SymbolKind.function : isCls ? SymbolKind.class : SymbolKind.variable;
        const cand = this.assignedCand(d, rec, cat, kind, exportName);
        cand.flags |= SymbolFlag.exported;
        if (cat === OBJECT) this.markMemberObject(d, SymbolKind.function, 0, undefined); // its range holds them
      }
      return;
    }
    if (m[4] !== undefined && m[5] !== undefined && isFn) {
      const cand = this.assignedCand(d, rec, cat, SymbolKind.method, m[5]);
      cand.ownerPath = m[4];
    } else if (m[6] !== undefined && cat === OBJECT) {
      this.markMemberObject(d, SymbolKind.method, 0, m[6]); // Foo.prototype = { … }
    } else if (m[7] !== undefined && m[8] !== undefined && isFn) {
      // res.send = function send(…) {…}: a function property of res (a method when res is a
      // module-level class or constructor function, see buildSymbols)
      const cand = this.assignedCand(d, rec, cat, SymbolKind.function, m[8]);
      cand.ownerPath = m[7];
      cand.classOwned = true;
    }
  }

  /** Marks the OBJECT (or `{…} as const`) frame at depth d: its function members are symbols. */
  markMemberObject(d: number, kind: number, flags: number, ownerPath: string | undefined): void {
    this.frec[d] = this.memberObjs.length;
    this.memberObjs.push({ kind, flags, ownerPath });
  }

  /** A method or function-valued pair of a member object becomes its symbol. */
  memberCand(cand: Cand | undefined, obj: number): void {
    const o = this.memberObjs[obj];
    if (!cand || !o) return;
    cand.kind = o.kind;
    cand.flags |= o.flags;
    cand.ownerPath = o.ownerPath;
    cand.binding = false;
  }

  /** `key: function (…) {…}` / `key: (…) => …` in a member object (pd = the pair's frame). */
  memberPair(d: number, pd: number): void {
    const s = this.fstart[pd] ?? -1;
    const m = s >= 0 ? PAIR_KEY.exec(this.text.slice(s, s + 200)) : null;
    if (!m) return; // a computed key `[k]: …`
    const name = m[1] ?? m[2] ?? m[3] ?? '';
    if (name === '') return;
    const cand = this.newCand(FUNC_EXPR, SymbolKind.method, s);
    cand.name = name;
    cand.nameStart = m[1] !== undefined ? s : s + 1;
    cand.nameEnd = cand.nameStart + name.length;
    if (this.startsWithAsync(this.cursor.startIndex)) cand.flags |= SymbolFlag.async;
    this.memberCand(cand, this.frec[pd - 1] ?? -1);
    this.frec[d] = this.cands.length;
    this.cands.push(cand);
  }

  /**
   * `AST_Node.DEFMETHOD("size", function () {…})` as a module-level statement: the method
   * `AST_Node.size`. Its range starts at the name string, so the registering call stays the
   * module's; its signature and doc start at the statement.
   */
  registeredMethod(d: number, call: CallRec): void {
    const t = this.text;
    if (call.calleeCat !== MEMBER || call.strStart < 0) return;
    const callee = /^([\w$\u0080-\uffff]+(?:\s*\.\s*[\w$\u0080-\uffff]+)*)\s*\.\s*([\w$]+)$/.exec(
      t.slice(call.calleeStart, Math.min(call.calleeEnd, call.calleeStart + MAX_QUALIFIER)),
    );
    const name = t.slice(call.strStart + 1, call.strEnd - 1);
    if (!callee?.[1] || !METHOD_REGISTRAR.test(callee[2] ?? '') || !/^[\w$\u0080-\uffff]+$/.test(name))
      return;
    const cand = this.newCand(FUNC_EXPR, SymbolKind.method, call.strStart);
    cand.name = name;
    cand.nameStart = call.strStart + 1;
    cand.nameEnd = call.strEnd - 1;
    cand.anchor = call.calleeStart;
    cand.binding = false;
    cand.ownerPath = callee[1].replace(WS_RUN, '');
    if (this.startsWithAsync(this.cursor.startIndex)) cand.flags |= SymbolFlag.async;
    this.frec[d] = this.cands.length;
    this.cands.push(cand);
  }

  assignedCand(d: number, rec: CjsRec, cat: number, kind: number, name: string): Cand {
    const c = this.cursor;
    const cand = this.newCand(cat, kind, rec.start);
    cand.name = name;
    cand.nameStart = rec.start;
    cand.binding = false;
    cand.end = rec.start; // set when the assignment closes
    if (kind === SymbolKind.variable) {
      cand.sig = SIG_VALUE;
      cand.valueStart = c.startIndex;
      cand.valueEnd = c.endIndex;
      this.openValues++; // its initializer is the symbol's body (closed with the assignment)
    } else {
      if (cat === FUNC_EXPR && this.startsWithAsync(c.startIndex)) cand.flags |= SymbolFlag.async;
      this.frec[d] = this.cands.length;
    }
    rec.cand = cand;
    this.cands.push(cand);
    return cand;
  }

  /** An entry of `module.exports = { a, b: c }`. */
  objectExport(cat: number): void {
    const c = this.cursor;
    const s = c.startIndex;
    if (cat === SHORTHAND) {
      const name = this.identAt(s);
      this.markExport(name, SymbolFlag.exported);
      this.pushRef(RefKind.reexport, s, name, undefined, undefined, 0, -3);
    } else if (cat === PAIR) {
      const m = /^(?:([\w$]+)|'([^']*)'|"([^"]*)")\s*:\s*([\w$]+)\s*$/.exec(this.text.slice(s, c.endIndex));
      if (!m) return;
      const key = m[1] ?? m[2] ?? m[3] ?? '';
      const value = m[4] ?? '';
      this.markExport(value, SymbolFlag.exported);
      this.pushRef(RefKind.reexport, s, value, undefined, key === value ? undefined : key, 0, -3);
    }
  }

  /** A `const` / `let` / `var` statement is complete: its symbols get their ranges. */
  closeDecl(rec: DeclRec | undefined): void {
    if (!rec) return;
    rec.end = this.cursor.endIndex;
    const t = this.text;
    const single = rec.declarators.length === 1;
    const lead = this.leadingKeywords(rec.start);
    const prefix = single ? '' : `${rec.keyword} `;
    for (const r of rec.declarators) {
      const start = single ? rec.start : r.start;
      const end = single ? rec.end : r.end;
      let cand = r.cand;
      if (cand) {
        cand.start = start;
        cand.end = end;
        cand.anchor = single ? lead.anchor : r.start;
        cand.flags |= lead.flags;
        cand.sig = SIG_FIXED;
        cand.signature = cleanSignature(
          prefix + this.sigText(start, cand.bodyStart >= 0 ? cand.bodyStart : end),
        );
        continue;
      }
      if (!rec.moduleLevel || r.nameCat !== IDENT) continue;
      cand = this.newCand(DECL, rec.kind, start);
      cand.end = end;
      cand.name = t.slice(r.nameStart, r.nameEnd);
      cand.nameStart = r.nameStart;
      cand.nameEnd = r.nameEnd;
      cand.anchor = single ? lead.anchor : r.start;
      cand.flags = lead.flags;
      cand.sig = SIG_FIXED;
      cand.signature = this.valueSignature(prefix, start, r.end, r.valueStart, r.valueEnd);
      this.cands.push(cand);
    }
  }

  // ------------------------------------------------------------------ symbols

  /**
   * Declaration text for a signature, cut well past what a signature can show before the
   * whitespace clean-up (a 300-line type annotation is not worth a regex pass).
   */
  sigText(start: number, end: number): string {
    return this.text.slice(start, Math.min(end, start + SIG_RAW_CHARS));
  }

  /** `const x: T = value`, the value shown only when it is short and on one line. */
  valueSignature(prefix: string, start: number, end: number, vs: number, ve: number): string {
    const t = this.text;
    if (vs < 0) return cleanSignature(prefix + this.sigText(start, end).replace(/[;,]\s*$/, ''));
    const e = Math.min(ve, end);
    if (e - vs <= MAX_INLINE_VALUE && !t.slice(vs, e).includes('\n'))
      return cleanSignature(prefix + t.slice(start, e));
    return cleanSignature(`${prefix}${this.sigText(start, vs)}${vs - start > SIG_RAW_CHARS ? '' : '…'}`);
  }

  /** Flags, doc anchor and signature of a candidate, from the text around it. */
  finishCand(c: Cand): void {
    const t = this.text;
    if (c.nameStart < 0) c.nameStart = c.start;
    if (c.sig === SIG_FIXED) return;
    const lead = this.leadingKeywords(c.start);
    const member =
      c.cat === METHOD || c.cat === MSIG || c.cat === AMSIG || c.cat === FIELD || c.cat === PROP_SIG;
    if (!member && c.binding) {
      c.flags |= lead.flags;
      c.anchor = lead.anchor;
    } else if (!c.binding && c.name === 'default' && c.cat !== DECL) {
      c.anchor = lead.anchor;
    }
    if (c.cat !== FUNC_EXPR && c.cat !== CLASS_EXPR && c.nameStart > c.start) {
      c.flags |= this.modifierFlags(c.start, c.nameStart);
    }
    if (c.name.startsWith('#')) c.flags |= SymbolFlag.private;
    const sigStart = t.charCodeAt(c.start) === 64 ? this.skipDecoratorsFwd(c.start, c.nameStart) : c.start;
    switch (c.sig) {
      case SIG_BODY: {
        let from = sigStart;
        if (!c.binding && c.name === 'default' && c.nameStart === c.start)
          from = lead.anchor; // export default …
        else if (c.cat === FUNC_EXPR && c.anchor < from) from = c.anchor; // X.DEFMETHOD("name", …
        const end =
          c.bodyStart >= 0
            ? c.bodyStart
            : c.kind === SymbolKind.function || c.kind === SymbolKind.method
              ? c.end
              : c.nameEnd;
        c.signature = cleanSignature(this.sigText(from, end > from ? end : c.end).replace(/[;,]\s*$/, ''));
        break;
      }
      case SIG_WHOLE:
        c.signature = cleanSignature(this.sigText(sigStart, c.end).replace(/[;,]\s*$/, ''));
        break;
      case SIG_VALUE:
        c.signature = this.valueSignature('', sigStart, c.end, c.valueStart, c.valueEnd);
        break;
      case SIG_NAME:
        c.signature = cleanSignature(t.slice(sigStart, c.nameEnd));
        break;
      default:
        break;
    }
    if (c.kind === SymbolKind.namespace && c.nameCat === OTHER) {
      // `namespace A.B {}` → name 'B' under the qualified prefix 'A'
      const dot = c.name.lastIndexOf('.');
      if (dot >= 0) {
        c.ownerPath = c.name.slice(0, dot);
        c.name = c.name.slice(dot + 1);
      }
    }
  }

  /** Is offset `at` inside a comment? */
  inComment(at: number): boolean {
    const i = lastIndexBefore(this.comments, at + 1);
    return i >= 0 && this.commentEnd(this.comments[i] ?? 0) > at;
  }

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
   * comments directly above it (no blank line in between; decorators are skipped), the nearest
   * JSDoc block `/** … *\/` wins; without one, the adjacent own-line `//` comments are the doc
   * (tool directives such as `// eslint-…`, `// @ts-…`, `/// <reference …>` never are); plain
   * `/* … *\/` blocks are never docs (licenses, commented-out code).
   */
  docFor(anchor: number): string | undefined {
    const t = this.text;
    let cur = this.skipDecoratorsBack(anchor);
    const lineDocs: string[] = [];
    for (let guard = 0; guard < 200; guard++) {
      const j = this.skipWsBack(cur - 1);
      if (j < 1) break;
      let newlines = 0;
      for (let i = j + 1; i < cur; i++) if (t.charCodeAt(i) === 10) newlines++;
      if (newlines > 1) break;
      // the comment that ends at j (inclusive), if any
      const ci = lastIndexBefore(this.comments, j + 1);
      const cs = ci >= 0 ? (this.comments[ci] ?? -1) : -1;
      if (cs < 0) break;
      const ce = this.commentEnd(cs);
      if (ce !== j + 1) break;
      if (t.charCodeAt(cs + 1) !== 47) {
        if (t.startsWith('/**', cs) && !t.startsWith('/**/', cs)) {
          return cleanDoc(t.slice(cs, Math.min(ce, cs + DOC_RAW_CHARS))) || undefined;
        }
        break; // a plain block comment ends the run
      }
      // an own-line `//` comment (not trailing code on its line)
      const lineStart = t.lastIndexOf('\n', cs - 1) + 1;
      if (this.skipWsFwd(lineStart) !== cs) break;
      const body = t.slice(cs, ce);
      if (!DIRECTIVE_COMMENT.test(body)) lineDocs.push(body);
      cur = cs;
    }
    if (lineDocs.length === 0) return undefined;
    lineDocs.reverse();
    return cleanDoc(lineDocs.join('\n')) || undefined;
  }

  buildSymbols(): void {
    const cands = this.cands.filter((c) => c.end > c.start && c.name !== '');
    for (const c of cands) this.finishCand(c);
    cands.sort((a, b) => a.start - b.start || b.end - a.end);
    // parents by a stack sweep over the (properly nested) ranges
    const stack: Cand[] = [];
    const topLevel = new Map<string, Cand>();
    const implemented = new Set<string>();
    for (const c of cands) {
      while (stack.length && (stack[stack.length - 1]?.end ?? 0) <= c.start) stack.pop();
      let parent = stack[stack.length - 1];
      if (c.ctorOwner) parent = c.ctorOwner.parent;
      let prefix = parent?.qualifiedName;
      if (c.ownerPath !== undefined) {
        if (c.kind === SymbolKind.namespace) {
          prefix = prefix ? `${prefix}.${c.ownerPath}` : c.ownerPath;
        } else {
          parent = topLevel.get(c.ownerPath);
          prefix = parent ? parent.qualifiedName : c.ownerPath;
        }
      }
      c.parent = parent;
      if (c.classOwned && (parent?.kind === SymbolKind.class || parent?.kind === SymbolKind.function)) {
        c.kind = SymbolKind.method;
      }
      let q = prefix ? `${prefix}.${c.name}` : c.name;
      if (q.length > MAX_QUALIFIED_NAME) q = `${q.slice(0, MAX_QUALIFIED_NAME - 1)}…`;
      c.qualifiedName = q;
      if (!parent && c.binding && !topLevel.has(c.name)) topLevel.set(c.name, c);
      if ((c.kind === SymbolKind.function || c.kind === SymbolKind.method) && !c.overload) implemented.add(q);
      stack.push(c);
    }
    // module-level names exported by `export { a }` / `export default a` / `module.exports`
    for (const [name, flags] of this.exportMarks) {
      const c = topLevel.get(name);
      if (c) c.flags |= flags;
    }
    const b = this.builder;
    const rangeStack: number[] = [];
    for (const c of cands) {
      if (c.overload && implemented.has(c.qualifiedName)) {
        // its type parameters still scope the type uses inside it, now under its parent
        if (c.typeParams) {
          const into = c.parent ? (c.parent.typeParams ??= new Set()) : this.moduleTypeParams;
          for (const n of c.typeParams) into.add(n);
        }
        continue;
      }
      // an ERROR or MISSING node inside, or zero-width at its end (a missing closing brace)
      const e = lastIndexBefore(this.errors, c.end + 1);
      if (e >= 0 && (this.errors[e] ?? -1) >= c.start) c.flags |= SymbolFlag.hasError;
      if ((c.kind === SymbolKind.function || c.kind === SymbolKind.method) && TEST_NAME.test(c.name)) {
        c.flags |= SymbolFlag.test;
      }
      const row = b.addSymbol({
        kind: c.kind,
        name: c.name,
        qualifiedName: c.qualifiedName,
        signature: c.signature || undefined,
        doc: this.docFor(c.anchor),
        startOffset: c.start,
        endOffset: c.end,
        startLine: this.lines.lineOf(c.start),
        endLine: this.lines.lineOf(c.end),
        parent: c.parent ? c.parent.row : 0,
        flags: c.flags,
      });
      c.row = row;
      this.symStart.push(c.start);
      this.symEnd.push(c.end);
      this.symKind.push(c.kind);
      this.rowCand.push(c);
      // range parent, for the innermost-symbol search (independent of parent overrides)
      while (rangeStack.length && (this.symEnd[rangeStack[rangeStack.length - 1] ?? 0] ?? 0) <= c.start) {
        rangeStack.pop();
      }
      this.symRangeParent.push(rangeStack[rangeStack.length - 1] ?? 0);
      rangeStack.push(row);
    }
  }

  /** Row of the innermost symbol whose range contains `off` (0 = module). */
  innermost(off: number): number {
    let r = lastIndexBefore(this.symStart, off + 1);
    while (r > 0 && (this.symEnd[r] ?? 0) <= off) r = this.symRangeParent[r] ?? 0;
    return r < 0 ? 0 : r;
  }

  // ------------------------------------------------------------------ references

  importRefs(): void {
    const t = this.text;
    for (const rec of this.imports) {
      if (rec.source === undefined) continue;
      const head = t.slice(rec.start, rec.start + 24);
      const typeOnly = /^import\s+type\s+[{*\w$]/.test(head) && !/^import\s+type\s+from\b/.test(head) ? 1 : 0;
      if (rec.found.length === 0) this.pushRef(RefKind.import, rec.start, '', rec.source, undefined, 0, -3);
      for (const f of rec.found) {
        this.pushRef(RefKind.import, f.off, f.name, rec.source, f.alias, f.aux > 0 ? 1 : typeOnly, -3);
      }
    }
  }

  exportRefs(): void {
    const t = this.text;
    for (const rec of this.exports) {
      if (rec.hasDeclaration) continue;
      const head = t.slice(rec.start, rec.start + 40);
      if (/^export\s+as\s+namespace\b/.test(head)) continue;
      if (rec.star >= 0 && rec.source !== undefined) {
        this.pushRef(RefKind.reexport, rec.star, '*', rec.source, rec.starAlias, 0, -3);
      }
      for (const sp of rec.specs) {
        this.pushRef(RefKind.reexport, sp.off, sp.name, rec.source, sp.alias, 0, -3);
        if (rec.source === undefined) {
          this.markExport(
            sp.name,
            SymbolFlag.exported | (sp.alias === 'default' ? SymbolFlag.defaultExport : 0),
          );
        }
      }
      const dn = rec.defaultName;
      if (dn && /^export\s*(?:default\b|=)/.test(head)) {
        this.pushRef(RefKind.reexport, dn.off, dn.name, undefined, 'default', 0, -3);
        this.markExport(dn.name, SymbolFlag.exported | SymbolFlag.defaultExport);
      }
    }
  }

  callRefs(): void {
    const t = this.text;
    for (const call of this.calls) {
      const cs = call.calleeStart;
      if (cs < 0) continue;
      if (call.isNew) {
        const raw = t.slice(cs, Math.min(call.calleeEnd, cs + 2 * MAX_QUALIFIER));
        if (!NEW_TARGET.test(raw)) continue;
        const path = raw.replace(/\s+/g, '').replace(/\?\./g, '.').replace(/!/g, '');
        const dot = path.lastIndexOf('.');
        const name = path.slice(dot + 1);
        const q = dot >= 0 ? path.slice(0, dot) : undefined;
        this.pushCall(RefKind.instantiate, cs + raw.lastIndexOf(name), name, q, call);
        continue;
      }
      switch (call.calleeCat) {
        case IDENT: {
          const name = this.identAt(cs);
          if (name === 'require' && call.argc === 1 && call.strStart >= 0) {
            this.requireRef(call, false, cs);
            break;
          }
          this.pushCall(RefKind.call, cs, name, undefined, call);
          break;
        }
        case SUPER:
          this.pushCall(RefKind.call, cs, 'constructor', 'super', call);
          break;
        case IMPORT_KW:
          if (call.argc === 1 && call.strStart >= 0) this.requireRef(call, true, cs);
          break;
        case MEMBER:
        case NON_NULL_EXPR: {
          // the name is the identifier the callee ends with; the receiver is the text before it
          let e = call.calleeEnd;
          while (e > cs && (t.charCodeAt(e - 1) === 33 || isWsCode(t.charCodeAt(e - 1)))) e--; // `!`
          const ns = this.identStartBack(e - 1);
          if (ns >= e) break;
          let dot = this.skipWsBack(ns - 1);
          if (t.charCodeAt(dot) !== 46) break;
          if (t.charCodeAt(dot - 1) === 63) dot--; // `?.`
          const q = capQualifier(t.slice(cs, Math.min(dot, cs + 2 * MAX_QUALIFIER)));
          this.pushCall(RefKind.call, ns, t.slice(ns, e), q, call);
          break;
        }
        case SUBSCRIPT: {
          // obj['m']() → name 'm'
          const e = call.calleeEnd;
          const from = Math.max(cs, e - 120);
          const m = /\[\s*(['"])([^'"\n]*)\1\s*\]$/.exec(t.slice(from, e));
          if (!m) break;
          const bracket = from + m.index;
          const q = capQualifier(t.slice(cs, Math.min(bracket, cs + 2 * MAX_QUALIFIER)));
          this.pushCall(RefKind.call, bracket + 1, m[2] ?? '', q, call);
          break;
        }
        default:
          break; // (a || b)(), f()(), fns[i]()
      }
    }
    for (const s of this.jsx) {
      // <Component …>: a call of Component with its props (intrinsic <div> is not a reference)
      let e = s;
      while (e < t.length && (isIdentCode(t.charCodeAt(e)) || t.charCodeAt(e) === 46)) e++;
      if (t.charCodeAt(e) === 58 || t.charCodeAt(e) === 45) continue; // <a:b>, <my-element>
      const tag = t.slice(s, e);
      const dot = tag.lastIndexOf('.');
      const name = tag.slice(dot + 1);
      if (dot < 0 && !/^[A-Z_$]/.test(name)) continue;
      this.pushRef(
        RefKind.call,
        s + dot + 1,
        name,
        dot >= 0 ? tag.slice(0, dot) : undefined,
        undefined,
        1,
        -2,
      );
    }
  }

  /** A call / instantiate row (alias: how its value is used), then its nameable arguments' rows. */
  pushCall(kind: number, off: number, name: string, q: string | undefined, call: CallRec): void {
    this.pushRef(kind, off, name, q, call.use, call.argc, -2);
    const a = call.args;
    if (!a) return;
    for (let i = 0; i + 3 < a.length; i += 4) {
      const pos = a[i] as number;
      const at = a[i + 1] as number;
      // from: the call's own symbol (an argument name is inside the call's innermost symbol too)
      this.pushRef(
        RefKind.argument,
        at,
        a[i + 2] as string,
        a[i + 3] as string | undefined,
        undefined,
        pos,
        -2,
      );
    }
  }

  /** `require('x')` / `import('x')`: an import, bound to the declared name(s) if any. */
  requireRef(call: CallRec, dynamic: boolean, off: number): void {
    const t = this.text;
    const source = t.slice(call.strStart + 1, call.strEnd - 1);
    const decl = call.decl;
    if (decl && call.ctx === 2) {
      // const x = require('y').z
      const m = /^\s*\??\.\s*([\w$\u0080-\uffff]+)/.exec(t.slice(call.end, call.end + 200));
      if (m && decl.nameCat === IDENT) {
        const alias = t.slice(decl.nameStart, decl.nameEnd);
        this.pushRef(RefKind.import, off, m[1] ?? '', source, alias === m[1] ? undefined : alias, 0, -3);
        return;
      }
    } else if (decl && decl.nameCat === IDENT) {
      this.pushRef(RefKind.import, off, '*', source, t.slice(decl.nameStart, decl.nameEnd), 0, -3);
      return;
    } else if (decl && t.charCodeAt(decl.nameStart) === 123) {
      // const { a, b: c } = require('x')
      let any = false;
      let at = decl.nameStart + 1;
      for (const part of t.slice(decl.nameStart + 1, decl.nameEnd - 1).split(',')) {
        const m = /^(\s*)([\w$\u0080-\uffff]+)\s*(?::\s*([\w$\u0080-\uffff]+)\s*)?$/.exec(part);
        if (m) {
          const name = m[2] ?? '';
          this.pushRef(
            RefKind.import,
            at + (m[1] ?? '').length,
            name,
            source,
            m[3] === name ? undefined : m[3],
            0,
            -3,
          );
          any = true;
        }
        at += part.length + 1;
      }
      if (any) return;
    }
    this.pushRef(RefKind.import, off, call.ctx === 1 ? '' : '*', source, undefined, 0, -3);
  }

  heritageRefs(): void {
    const t = this.text;
    for (const h of this.heritage) {
      let raw = t.slice(h.start, Math.min(h.end, h.start + 400));
      const lt = raw.indexOf('<');
      if (lt >= 0) raw = raw.slice(0, lt);
      const path = raw.replace(/\s+/g, '');
      if (!DOTTED_PATH.test(path)) continue; // mixin(Base), etc.
      const dot = path.lastIndexOf('.');
      const name = path.slice(dot + 1);
      const nameOff = h.start + raw.lastIndexOf(name);
      this.notTypeRef.add(nameOff);
      const owner = h.owner;
      if (
        !owner ||
        owner.row === 0 ||
        (owner.kind !== SymbolKind.class && owner.kind !== SymbolKind.interface)
      ) {
        continue;
      }
      this.pushRef(h.kind, nameOff, name, dot >= 0 ? path.slice(0, dot) : undefined, undefined, 0, owner.row);
    }
  }

  typeRefs(): void {
    for (let i = 0; i < this.typeIds.length; i++) {
      const s = this.typeIds[i] ?? 0;
      if (this.notTypeRef.has(s)) continue;
      const name = this.identAt(s);
      if (!name) continue;
      const from = this.innermost(s);
      if (this.isTypeParam(from, name)) continue;
      const q = this.typeQual[i];
      this.tyOff.push(s);
      this.tyName.push(name);
      this.tyQual.push(q);
      this.pushRef(RefKind.typeRef, s, name, q, undefined, 0, from);
    }
  }

  isTypeParam(row: number, name: string): boolean {
    for (let r = row, guard = 0; r > 0 && guard < 10000; r = this.symRangeParent[r] ?? 0, guard++) {
      if (this.rowCand[r]?.typeParams?.has(name)) return true;
    }
    return this.moduleTypeParams.has(name);
  }

  /** The main named type in [start, end): the first non-wrapper, else the first wrapper. */
  mainType(start: number, end: number): number {
    const offs = this.tyOff;
    let wrapper = -1;
    for (let i = lastIndexBefore(offs, start) + 1; i < offs.length && (offs[i] ?? end) < end; i++) {
      if (!WRAPPER_TYPES.has(this.tyName[i] ?? '')) return i;
      if (wrapper < 0) wrapper = i;
    }
    return wrapper;
  }

  paramRefs(): void {
    for (let r = 1; r < this.rowCand.length; r++) {
      const c = this.rowCand[r];
      if (!c) continue;
      if (c.params) {
        for (const p of c.params) {
          // a destructured parameter has no name, but its position still takes a value
          this.pushRef(RefKind.param, p.start, p.name ?? '', undefined, undefined, p.pos, r);
          if (p.annStart < 0 && p.name !== undefined && this.ts) p.annStart = this.annotationAfterName(p);
          if (p.annStart >= 0) {
            const ti = this.mainType(p.annStart, p.end);
            if (ti >= 0) {
              const name = this.tyName[ti] ?? '';
              this.pushRef(
                RefKind.paramType,
                this.tyOff[ti] ?? 0,
                name,
                this.tyQual[ti],
                undefined,
                p.pos,
                r,
              );
            }
            if (this.ts && p.name !== undefined) this.collectionParam(p, r);
          }
        }
      }
      if (c.retStart >= 0) {
        const ti = this.mainType(c.retStart, c.retEnd);
        if (ti >= 0) {
          const name = this.tyName[ti] ?? '';
          this.pushRef(RefKind.returnType, this.tyOff[ti] ?? 0, name, this.tyQual[ti], undefined, 0, r);
        }
      }
    }
  }

  /**
   * A parameter annotated as a collection (`xs: Foo[]`, `Array<Foo>`, `Set<Foo>`): a declType
   * fact with its annotation as written (the merge reads the element type, for `for … of xs`).
   */
  collectionParam(p: Param, row: number): void {
    const t = this.text;
    let s = p.annStart;
    if (t.charCodeAt(s) === 58) s++;
    if (p.end - s > 200) return;
    const text = t
      .slice(s, p.end)
      .replace(/=(?!>)[^]*$/, '')
      .replace(/\s+/g, '');
    if (COLLECTION_ANNOTATION.test(text))
      this.pushRef(RefKind.declType, s, text, undefined, p.name, p.pos, row);
  }

  /**
   * `for (const x of xs)` / `of this.items`: declType with alias = x and text `in:` + the
   * iterable as a plain chain (the merge types x by the iterable's element type).
   */
  forOfRefs(): void {
    const t = this.text;
    for (const at of this.branches) {
      if (t.charCodeAt(at) !== 102 /* f */) continue;
      const m = FOR_OF.exec(t.slice(at, at + 200));
      if (!m?.[1] || !m[2]) continue;
      const from = this.innermost(at);
      if (from <= 0) continue;
      this.pushRef(RefKind.declType, at, `in:${m[2].replace(/\s+/g, '')}`, undefined, m[1], -1, from);
    }
  }

  /**
   * declType facts for dispatch: a local `const x: T = …` / `let x: T` inside a symbol, as the
   * annotation's text (the merge keeps only one named type: `T`, `ns.T<A>`, `T | null`).
   */
  localTypeRefs(): void {
    if (!this.ts) return;
    for (const d of this.decls) {
      if (d.moduleLevel) continue;
      for (const r of d.declarators) {
        if (r.nameCat !== IDENT || r.annStart < 0 || r.annEnd - r.annStart > 200) continue;
        const from = this.innermost(r.start);
        if (from <= 0) continue;
        const text = this.text.slice(r.annStart, r.annEnd).replace(/^\s*:/, '').replace(/\s+/g, '');
        if (text)
          this.pushRef(
            RefKind.declType,
            r.annStart,
            text,
            undefined,
            this.text.slice(r.nameStart, r.nameEnd),
            -1,
            from,
          );
      }
    }
  }

  /** For a JS-style parameter without a recorded type child: the `: T` after its name. */
  annotationAfterName(p: Param): number {
    const t = this.text;
    let k = this.skipWsFwd(this.identEnd(p.start));
    if (t.charCodeAt(k) === 63) k = this.skipWsFwd(k + 1);
    return t.charCodeAt(k) === 58 && k < p.end ? k : -1;
  }

  /**
   * `this.x` reads / writes, and bare uses of this file's module-level variables, constants and
   * functions inside symbols (deduplicated per symbol; a parameter of the symbol or of an
   * enclosing one shadows a module-level name; calls are call refs, not reads).
   */
  readWriteRefs(): void {
    const seen = new Set<string>();
    const once = (kind: number, s: number, name: string, q: string | undefined, from: number): void => {
      const key = `${kind}\u0000${from}\u0000${name}\u0000${q ?? ''}`;
      if (seen.has(key)) return;
      seen.add(key);
      this.pushRef(kind, s, name, q, undefined, 0, from);
    };
    for (let i = 0; i < this.thisStart.length; i++) {
      const s = this.thisStart[i] ?? 0;
      const kind = this.thisKind[i] ?? RefKind.read;
      const name = this.identAt(s);
      if (!name) continue;
      const from = this.innermost(s);
      if (from === 0) continue;
      once(kind === READ_WRITE ? RefKind.write : kind, s, name, 'this', from);
      if (kind === READ_WRITE) once(RefKind.read, s, name, 'this', from); // `this.n += 1` reads n too
    }
    const names = new Set<string>();
    // Imported value bindings too: ES module bindings are live, so a function reading an imported
    // `let` sees the writes of its module (the resolver keeps the reads that reach a variable).
    for (const rec of this.imports) {
      for (const f of rec.found) if (f.name !== '*' && f.aux <= 0) names.add(f.alias ?? f.name);
    }
    for (let r = 1; r < this.rowCand.length; r++) {
      const c = this.rowCand[r];
      if (!c || c.parent || !c.binding) continue;
      if (
        c.kind === SymbolKind.variable ||
        c.kind === SymbolKind.constant ||
        c.kind === SymbolKind.function
      ) {
        names.add(c.name);
      }
    }
    if (names.size === 0) return;
    for (let i = 0; i < this.idStart.length; i++) {
      const s = this.idStart[i] ?? 0;
      const name = this.identAt(s);
      if (!names.has(name)) continue;
      const from = this.innermost(s);
      if (!VALUE_SYMBOLS.has(this.symKind[from] ?? 0) || this.shadowedByParam(from, name)) continue;
      const kind = this.idKind[i] ?? RefKind.read;
      once(kind === READ_WRITE ? RefKind.write : kind, s, name, undefined, from);
      if (kind === READ_WRITE) once(RefKind.read, s, name, undefined, from);
    }
  }

  shadowedByParam(row: number, name: string): boolean {
    for (let r = row, guard = 0; r > 0 && guard < 64; r = this.symRangeParent[r] ?? 0, guard++) {
      const ps = this.rowCand[r]?.params;
      if (ps) for (const p of ps) if (p.name === name) return true;
    }
    return false;
  }

  emitRefs(): void {
    const b = this.builder;
    const n = this.refKind.length;
    for (let i = 0; i < n; i++) {
      const off = this.refOff[i] ?? 0;
      let from = this.refFrom[i] ?? -2;
      if (from < 0) {
        const scopeOnly = from === -3;
        from = this.innermost(off);
        if (scopeOnly) {
          // an import belongs to its scope, not to `const x = require(…)`
          while (from > 0 && !SCOPE_KINDS.has(this.symKind[from] ?? 0)) from = this.symRangeParent[from] ?? 0;
        }
      }
      b.addRef({
        kind: this.refKind[i] ?? 0,
        from,
        name: this.refName[i] ?? '',
        qualifier: this.refQual[i],
        alias: this.refAlias[i],
        offset: off,
        line: this.lines.lineOf(off),
        aux: this.refAux[i] ?? 0,
      });
    }
  }

  /**
   * The trees to walk, in document order, each with the offset its walk stops at. A file whose
   * syntax error broke the module's statement structure (a module-level ERROR node: e.g.
   * tree-sitter-typescript 0.23.2 on interface call signatures without `;`, whose error region
   * swallows every later declaration) is parsed again from the broken declaration on, one
   * module-level declaration at a time (split at lines that start one at column 0), so an
   * error stays inside its declaration. Files without such an error are walked as parsed.
   */
  recoveredTrees(): { tree: Tree; limit: number }[] {
    const tree = this.tree;
    const whole = [{ tree, limit: Infinity }];
    if (!tree.rootNode.hasError) return whole;
    // the module-level statements as parsed, up to the first ERROR node that swallowed a
    // declaration (a restart line inside it); an error that stays on its own lines is local
    const starts: number[] = [];
    const ends: number[] = [];
    let bounds: number[] | undefined;
    let firstError = -1;
    const c = tree.walk();
    if (c.gotoFirstChild()) {
      do {
        const s = c.startIndex;
        const e = c.endIndex;
        const type = c.nodeType;
        if (type === 'ERROR') {
          bounds ??= this.restartLines();
          const b = bounds[lastIndexBefore(bounds, e)] ?? -1;
          if (b > s) {
            firstError = s;
            break;
          }
        } else if (!STATEMENT_TYPE.test(type) && c.nodeIsNamed) {
          // debris of a broken declaration: `formal_parameters`, `identifier` … as statements
          bounds ??= this.restartLines();
          firstError = s;
          break;
        }
        starts.push(s);
        ends.push(e);
      } while (c.gotoNextSibling());
    }
    if (firstError < 0 || !bounds) return whole;
    const t = this.text;
    // restart at the broken declaration: the last restart line at or before the error, moved
    // back to the start of a parsed statement that holds it
    let from = bounds[lastIndexBefore(bounds, firstError + 1)] ?? 0;
    for (let i = starts.length - 1; i >= 0; i--) {
      if ((ends[i] ?? 0) <= from) break;
      if ((starts[i] ?? 0) < from) from = starts[i] ?? 0;
    }
    const out = [{ tree, limit: from }];
    const parser = parserFor(this.lang);
    const first = lastIndexBefore(bounds, from + 1) + 1;
    const last = Math.min(bounds.length, first + MAX_RESTARTS);
    for (let i = first; i <= last; i++) {
      const end = i < last ? (bounds[i] ?? t.length) : t.length;
      if (end <= from) continue;
      out.push({ tree: this.parseRange(parser, from, end), limit: Infinity });
      from = end;
    }
    return out;
  }

  /** Offsets of the lines that start a module-level declaration (RESTART_LINE). */
  restartLines(): number[] {
    const t = this.text;
    const bounds: number[] = [];
    RESTART_LINE.lastIndex = 0;
    for (let m = RESTART_LINE.exec(t); m; m = RESTART_LINE.exec(t)) {
      const at = m.index;
      // a declaration under a decorator line restarts at the decorator
      const prev = t.lastIndexOf('\n', at - 2) + 1;
      if (at > 0 && t.charCodeAt(prev) === 64 && prev < at) continue;
      bounds.push(at);
    }
    return bounds;
  }

  /** Parses only [start, end) of the text (node offsets stay those of the whole text). */
  parseRange(parser: ReturnType<typeof parserFor>, start: number, end: number): Tree {
    const t = this.text;
    const position = (off: number): { row: number; column: number } => ({
      row: this.lines.lineOf(off),
      column: off - (t.lastIndexOf('\n', off - 1) + 1),
    });
    return parser.parse(t, null, {
      includedRanges: [
        { startIndex: start, endIndex: end, startPosition: position(start), endPosition: position(end) },
      ],
    });
  }

  run(): void {
    const trees = this.recoveredTrees();
    for (const { tree, limit } of trees) this.walk(tree, limit);
    if (trees.length > 1) {
      // the syntax errors are those of the trees walked: one broken declaration is one region
      let n = 0;
      for (const { tree, limit } of trees) n += countErrors(tree, limit);
      this.builder.errorCount = n;
    }
    this.importRefs();
    this.exportRefs();
    this.buildSymbols();
    attributeComplexity(this.builder, this.branches);
    this.callRefs();
    this.heritageRefs();
    this.typeRefs();
    this.paramRefs();
    this.localTypeRefs();
    if (this.ts) this.forOfRefs();
    this.readWriteRefs();
    this.emitRefs();
  }
}

/** A collection annotation whose element type the merge reads: `Foo[]`, `ReadonlyArray<Foo>`, `Set<Foo>`. */
const COLLECTION_ANNOTATION =
  /^(?:readonly)?[\w$.]+(?:<[^]*>)?\[\]$|^(?:Readonly)?(?:Array|Set|Iterable)<[^]*>$/;
/** `for (const x of a.b)` / `for await (let x of xs)`: the loop variable and a plain-chain iterable. */
const FOR_OF =
  /^for\s*(?:await\s*)?\(\s*(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s+of\s+((?:[A-Za-z_$][\w$]*)(?:\s*\.\s*[A-Za-z_$][\w$]*)*)\s*\)/;

/** idKind / thisKind of `x += 1`, `x++`: both a write and a read. */
const READ_WRITE = -1;

/** Symbols whose bodies read and write module-level names (not types, not module code). */
const VALUE_SYMBOLS = new Set<number>([
  SymbolKind.function,
  SymbolKind.method,
  SymbolKind.field,
  SymbolKind.variable,
  SymbolKind.constant,
]);

/** Symbols an import belongs to (not the variable it initializes). */
const SCOPE_KINDS = new Set<number>([
  SymbolKind.function,
  SymbolKind.method,
  SymbolKind.namespace,
  SymbolKind.class,
]);

// ---------------------------------------------------------------------------------------
// Small pure helpers.
// ---------------------------------------------------------------------------------------

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

/** `type a as b` / `'x-y' as z` / `a` → name, alias (undefined when the same), type-only. */
function parseSpecifier(
  raw: string,
): { name: string; alias: string | undefined; typeOnly: boolean } | undefined {
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
