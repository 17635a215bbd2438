// Python extractor: symbols (classes, functions, methods, module/class-level assignments,
// `self.x` fields set in __init__) and raw references (imports, __all__ re-exports, calls,
// inheritance, annotation types, parameters, reads/writes of `self.x` and of module-level
// names) of one file. Runs inside parse workers, on one file's tree alone.
//
// Cost model (design measurement): visiting nodes from JS costs as much as the parse, and
// every node object handed to JS costs a native round trip plus a weak reference; each extra
// query pattern costs too (branch nodes ~6% of the parse, ERROR/MISSING ~5%). So:
// - ONE native query over the root captures only the structural nodes (definitions,
//   module/class assignments, imports, callees, assignment targets). Its captures arrive in
//   document order and are swept with a stack of open scopes, which gives every reference its
//   innermost enclosing symbol without walking the tree.
// - One linear lexical pass over the text (`lexPython`) finds strings, comments, bracket
//   pairs, argument counts and decision keywords, so def headers, parameters, annotations,
//   docstrings, argument counts and complexity need no node calls at all.
// - `self.x` and module-level names are found by scanning function bodies, outside strings
//   and comments, and classified by their textual context.
// Nothing recurses over the tree or the text.
//
// Modelling choices: every call is `call` (a class call is not syntactically an instantiation;
// the merger decides); a bare-name decorator `@name` is a call of `name` with one argument;
// parameter positions skip self/cls so they line up with call-site arguments of a method call;
// the first of a `match`'s n cases adds no complexity (n cases are n-1 decisions).

import { queryFor, type SyntaxNode } from '../../native/tree-sitter.js';
import { RefKind, SymbolFlag, SymbolKind } from '../../src/protocol.js';
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
import { argumentName, CallNesting, pythonCallUse } from './flow.js';

// Compiled once per thread (queryFor caches it). Capture names are the dispatch keys of the
// sweep. Patterns are single-capture: captures() re-sends every capture of a match with each.
const QUERY = `
(decorated_definition) @decorated
[(class_definition) (function_definition)] @def
(type_alias_statement) @type_alias
(module (expression_statement [(assignment) (augmented_assignment)] @module_assign))
(module [(if_statement) (try_statement)] @module_block)
(class_definition body: (block (expression_statement (assignment) @class_assign)))
(assignment type: (type) @annotation)
(for_statement left: (identifier) @for_var)
(for_statement right: [(identifier) (attribute) (call)] @for_iter)
(with_item) @with_item
(import_statement) @import
(import_from_statement) @import_from
(global_statement) @global
(call function: [(identifier) (attribute)] @callee)
(assignment left: [(attribute) (subscript)] @write)
(assignment left: (pattern_list [(attribute) (subscript)] @write))
(assignment left: (tuple_pattern [(attribute) (subscript)] @write))
(augmented_assignment left: [(attribute) (subscript)] @write_aug)
`;
/** Only run on trees with errors: ERROR / MISSING patterns in the main query cost ~5% of the parse. */
const ERROR_QUERY = '(ERROR) @error (MISSING) @error';

const ID = '[\\p{L}\\p{Nl}_][\\p{L}\\p{N}\\p{Mn}\\p{Mc}\\p{Pc}]*';
const DEF_HEAD = new RegExp(`(?:async\\s+)?def\\s+(${ID})\\s*(?:\\[[^\\]]*\\]\\s*)?\\(`, 'uy');
const CLASS_HEAD = new RegExp(`class\\s+(${ID})\\s*(?:\\[[^\\]]*\\]\\s*)?`, 'uy');
const TYPE_ALIAS_NAME = new RegExp(`type\\s+(${ID})`, 'uy');
const PARAM = new RegExp(`(\\*{0,2})\\s*(${ID})?\\s*(:)?`, 'uy');
const SELF_ATTR = new RegExp(`self\\s*\\.\\s*(${ID})`, 'uy');
const SELF_SCAN = new RegExp(`(?<![\\p{L}\\p{N}_.])self\\s*\\.\\s*(${ID})`, 'gu');
const IDENT = new RegExp(ID, 'uy');
const DOTTED_ONLY = new RegExp(`^${ID}(?:\\.${ID})*$`, 'u');
const DOTTED = new RegExp(`${ID}(?:\\s*\\.\\s*${ID})*`, 'gu');
const IMPORT_ITEM = new RegExp(`(${ID}(?:\\s*\\.\\s*${ID})*)(?:\\s+as\\s+(${ID}))?`, 'gu');
const FROM_HEAD = new RegExp(
  `from\\s+((?:\\.\\s*)*)((?!import\\b)${ID}(?:\\s*\\.\\s*${ID})*)?\\s*import\\b`,
  'uy',
);
const FROM_ITEM = new RegExp(`(${ID}|\\*)(?:\\s+as\\s+(${ID}))?`, 'gu');
/** A decorator that is a bare (dotted) name, not a call. */
const PLAIN_DECORATOR = new RegExp(`(?:^|\\n)\\s*@\\s*(${ID}(?:\\s*\\.\\s*${ID})*)\\s*(?=\\n|#|$)`, 'gu');
/** The def/class keyword line after a decorator list. */
const DEF_LINE = /^[ \t]*(?:async[ \t]+def|def|class)\b/gm;
const STRING_ITEM = /(['"])((?:(?!\1)[^\\\n]|\\.)*)\1/g;
const UPPER_CASE = /^_*[A-Z][A-Z0-9_]*$/;
/** Longest receiver text a `with` / `for` protocol call keeps (longer ones type nothing useful). */
const MAX_PROTOCOL_RECEIVER = 120;
/** The context-manager entry methods a `with` calls (their value is the `as` target). */
const ENTER_METHODS = new Set(['__enter__', '__aenter__']);
/** A `return` statement (at a line start or after `:` / `;`): [1] what it returns. */
const RETURN_LINE = /(?<=^|[:;])[ \t]*return\b([^\n;]*)/gm;
/** `# type: (args) -> ret` (PEP 484 function type comment), from its `#`. */
const FN_TYPE_COMMENT = /#[ \t]*type:[ \t]*\(([^\n]*)\)[ \t]*->[ \t]*([^\n#]*[^\s#])/y;
/** The start of a line that binds one local: `x =` (not `==`), `x: T =`, `for x in`. */
const TYPED_LOCAL = new RegExp(`[ \\t]*(?:for[ \\t]+)?(${ID})[ \\t]*(?:=(?!=)|in\\b)`, 'uy');
const AUG_OP = /^(?:\+|-|\*\*?|\/\/?|%|@|&|\||\^|<<|>>)=/;

/** Names in annotations that are builtins or typing/collections machinery, not user types. */
const BUILTIN_TYPES = new Set(
  (
    'int str float bool bytes None NoneType list dict set tuple frozenset object type complex bytearray ' +
    'memoryview range slice Ellipsis True False Any Optional Union List Dict Set Tuple FrozenSet Type ' +
    'Callable Iterable Iterator Generator AsyncIterator AsyncIterable AsyncGenerator Awaitable Coroutine ' +
    'Sequence MutableSequence Mapping MutableMapping MutableSet AbstractSet Collection Container Hashable ' +
    'Sized Reversible Literal Final ClassVar Annotated TypeVar TypeVarTuple ParamSpec Generic Protocol ' +
    'NoReturn Never Self TypeAlias TypeGuard TypeIs Concatenate Unpack Required NotRequired ReadOnly ' +
    'LiteralString IO TextIO BinaryIO Pattern Match AnyStr Text ByteString DefaultDict OrderedDict Counter ' +
    'Deque ChainMap SupportsInt SupportsFloat SupportsIndex SupportsAbs SupportsBytes SupportsRound ' +
    'ContextManager AsyncContextManager typing t typing_extensions collections abc'
  ).split(' '),
);
/** Bases that say nothing about the class hierarchy of user code. */
const SKIPPED_BASES = new Set(['object', 'Generic', 'Protocol']);
/** Bare-name decorators that only change how a function binds: no call edge. */
const PLAIN_DECORATORS = new Set([
  'staticmethod',
  'classmethod',
  'property',
  'abstractmethod',
  'override',
  'overload',
  'final',
  'setter',
  'getter',
  'deleter',
]);

/** qualifiedName chains longer than this are cut (pathological nesting would make them quadratic). */
const MAX_QUALIFIED = 1000;
const MAX_QUALIFIER = 120;

interface Scope {
  readonly row: number;
  /** Symbol start (decorators included), start of the def/class keyword, end. */
  readonly start: number;
  readonly defStart: number;
  readonly end: number;
  readonly kind: number;
  readonly name: string;
  readonly qname: string;
  readonly parent: Scope | undefined;
  flags: number;
  params?: Set<string>;
  globals?: Set<string>;
  locals?: Set<string>;
  /** Classes: field names already emitted (class-level and self.x in __init__). */
  fields?: Set<string>;
}

const enum NameUse {
  none,
  read,
  write,
  writeRead,
  /** Bound in the function (assignment, for/with/except target, import, def): shadows the module name. */
  bind,
  /** `NAME += ...`: a write under `global`, else a local binding. */
  augmented,
}

const enum TypeUse {
  typeRef,
  param,
  ret,
}

export function extractPython(ctx: ExtractContext): void {
  new PythonExtraction(ctx).run();
}

class PythonExtraction {
  private readonly text: string;
  private readonly root: SyntaxNode;
  private readonly b: ExtractContext['builder'];
  private readonly lines: LineIndex;
  private readonly refs: RefSink;
  private readonly lex: PyLex;
  private readonly stack: Scope[] = [];
  private readonly scopes = new ScopeIndex(0);
  /** Scopes in document order (rows ascending). */
  private readonly scopeList: Scope[] = [];
  private readonly scopeByRow = new Map<number, Scope>();
  /** Start offsets of plain `self.x` / `self.x[...]` / `self.x.y` assignment targets: writes, not reads. */
  private readonly writtenSelf = new Set<number>();
  /** Start offsets of attribute/subscript assignment targets whose base is a bare name; true = augmented. */
  private readonly targetBases = new Map<number, boolean>();
  /** [start, end) pairs, ascending: annotations, imports and global statements (for the name scan). */
  private readonly annotations: number[] = [];
  private readonly bindings: number[] = [];
  private readonly globalStmts: number[] = [];
  private readonly moduleNames = new Set<string>();
  /** Names module-level imports bind to modules (`import a`, `import a.b as c`, `from . import m`): `m.NAME` is another module's state. */
  private readonly importNames = new Set<string>();
  /** The def/class already handled through its decorated_definition. */
  private handledDef = -1;
  /** Argument lists of the calls swept so far: is a call an argument of another? */
  private readonly nesting = new CallNesting();

  constructor(ctx: ExtractContext) {
    this.text = ctx.text;
    this.root = ctx.tree.rootNode;
    this.b = ctx.builder;
    this.lines = new LineIndex(ctx.text);
    this.refs = new RefSink(this.b, this.lines);
    this.lex = lexPython(ctx.text);
  }

  run(): void {
    const text = this.text;
    const stack = this.stack;
    const captures = queryFor('python', QUERY).captures(this.root);
    this.moduleDoc();
    for (const cap of captures) {
      const node = cap.node;
      const start = node.startIndex;
      while (stack.length && (stack[stack.length - 1]?.end ?? 0) <= start) stack.pop();
      const top = stack[stack.length - 1];
      switch (cap.name) {
        case 'callee':
          this.call(node, start, top);
          break;
        case 'def':
          if (start !== this.handledDef) this.definition(start, start, node.endIndex, top, node);
          break;
        case 'decorated': {
          DEF_LINE.lastIndex = start;
          const end = node.endIndex;
          const m = DEF_LINE.exec(text);
          if (!m || m.index >= end) break;
          const defStart = m.index + m[0].length - m[0].trimStart().length;
          this.handledDef = defStart;
          this.definition(defStart, start, end, top, node);
          break;
        }
        case 'write':
        case 'write_aug':
          this.write(node, start, top, cap.name === 'write_aug');
          break;
        case 'module_assign':
          this.assignment(node, start, undefined);
          break;
        case 'module_block':
          this.moduleBlock(node);
          break;
        case 'class_assign':
          if (top?.kind === SymbolKind.class) this.assignment(node, start, top);
          break;
        case 'annotation': {
          const end = node.endIndex;
          this.annotations.push(start, end);
          this.types(text.slice(start, end), start, top?.row ?? 0, TypeUse.typeRef, 0);
          const left = node.parent?.childForFieldName('left');
          if (top && left?.type === 'identifier' && top.kind !== SymbolKind.class)
            this.collectionType(start, end, top.row, text.slice(left.startIndex, left.endIndex), -1);
          break;
        }
        case 'for_var':
          if (top && top.kind !== SymbolKind.class) this.forVar(node, start, top.row);
          break;
        case 'for_iter': {
          const async = node.parent?.firstChild?.type === 'async';
          this.protocolCall(node, async ? '__aiter__' : '__iter__', top?.row ?? 0, undefined);
          break;
        }
        case 'with_item':
          this.withItem(node, top?.row ?? 0);
          break;
        case 'import':
        case 'import_from': {
          const end = node.endIndex;
          this.bindings.push(start, end);
          if (cap.name === 'import') this.importStatement(text.slice(start, end), start, top?.row ?? 0);
          else this.importFrom(text.slice(start, end), start, top?.row ?? 0);
          break;
        }
        case 'global': {
          const end = node.endIndex;
          this.globalStmts.push(start, end);
          if (top) {
            top.globals ??= new Set();
            DOTTED.lastIndex = 0;
            for (const m of text.slice(start + 6, end).matchAll(DOTTED)) top.globals.add(m[0]);
          }
          break;
        }
        case 'type_alias':
          this.typeAlias(node, start, top);
          break;
      }
    }
    if (this.root.hasError) {
      for (const cap of queryFor('python', ERROR_QUERY).captures(this.root)) {
        for (let s = this.scopeByRow.get(this.scopes.at(cap.node.startIndex)); s; s = s.parent)
          this.flagError(s);
      }
    }
    attributeComplexity(this.b, this.lex.branches);
    if (text.includes('type:')) this.variableTypeComments();
    this.selfReads();
    this.moduleNameRefs();
  }

  private flagError(s: Scope): void {
    if (s.flags & SymbolFlag.hasError) return;
    s.flags |= SymbolFlag.hasError;
    this.b.setSymbolField(s.row, 'flags', s.flags);
  }

  // ---- symbols --------------------------------------------------------------------------

  private addSymbol(
    kind: number,
    name: string,
    parent: Scope | undefined,
    start: number,
    end: number,
    signature: string | undefined,
    flags: number,
  ): { row: number; qname: string } {
    const pq = parent?.qname;
    // Past MAX_QUALIFIED (pathological nesting) a chain is cut to `…name`, and stays cut below.
    const qname =
      pq === undefined
        ? name
        : pq.length > MAX_QUALIFIED || pq.startsWith('…')
          ? `…${name}`
          : `${pq}.${name}`;
    const row = this.b.addSymbol({
      kind,
      name,
      qualifiedName: qname,
      signature,
      startOffset: start,
      endOffset: end,
      startLine: this.lines.lineOf(start),
      endLine: this.lines.lineOf(end),
      parent: parent?.row ?? 0,
      flags,
    });
    if (!parent) this.moduleNames.add(name);
    return { row, qname };
  }

  private pushScope(s: Scope): void {
    this.stack.push(s);
    this.scopes.add(s.start, s.end, s.row);
    this.scopeList.push(s);
    this.scopeByRow.set(s.row, s);
  }

  /**
   * A class or function, read from the text: `defStart` is its keyword, `symStart` its first
   * decorator. The header (name, parameters, return annotation, bases) is parsed with the
   * lexer's bracket pairs; only a header the lexer cannot follow falls back to node fields.
   */
  private definition(
    defStart: number,
    symStart: number,
    end: number,
    top: Scope | undefined,
    node: SyntaxNode,
  ): void {
    const text = this.text;
    const isClass = text.startsWith('class', defStart);
    const head = isClass ? CLASS_HEAD : DEF_HEAD;
    head.lastIndex = defStart;
    const m = head.exec(text);
    const name = m?.[1];
    if (!m || !name) {
      this.brokenDefinition(node, defStart, symStart, end, top, isClass);
      return;
    }
    let cursor = head.lastIndex; // just after `(` for a def, after the name for a class
    let paramsOpen = -1;
    let paramsClose = -1;
    if (!isClass) {
      paramsOpen = cursor - 1;
      paramsClose = this.lex.close.get(paramsOpen) ?? -1;
    } else if (text[cursor] === '(') {
      paramsOpen = cursor;
      paramsClose = this.lex.close.get(cursor) ?? -1;
    }
    if (paramsOpen >= 0) {
      if (paramsClose < 0) {
        this.brokenDefinition(node, defStart, symStart, end, top, isClass); // unbalanced brackets
        return;
      }
      cursor = paramsClose + 1;
    }
    // Return annotation, then the header's colon and the first statement of the body.
    let retStart = -1;
    let retEnd = -1;
    ARROW.lastIndex = cursor;
    if (!isClass && ARROW.test(text)) {
      retStart = ARROW.lastIndex;
      retEnd = this.headerColon(retStart, end);
      cursor = retEnd;
    } else {
      cursor = this.headerColon(cursor, end);
    }
    const colon = cursor;
    const bodyStart = this.firstToken(colon + 1, end);
    const signature = cleanSignature(text.slice(symStart, colon));
    const decorators = defStart > symStart ? text.slice(symStart, defStart) : '';

    let kind: number;
    let flags = privacy(name);
    if (isClass) {
      kind = SymbolKind.class;
      if (/^Test(?:[A-Z0-9_]|$)/.test(name)) flags |= SymbolFlag.test;
    } else {
      kind = top?.kind === SymbolKind.class ? SymbolKind.method : SymbolKind.function;
      if (/^test(?:_|[A-Z0-9]|$)/.test(name)) flags |= SymbolFlag.test;
      if (text.startsWith('async', defStart)) flags |= SymbolFlag.async;
      if (/@\s*staticmethod\b/.test(decorators)) flags |= SymbolFlag.static;
      if (/@\s*(?:abc\s*\.\s*)?abstractmethod\b/.test(decorators)) flags |= SymbolFlag.abstract;
    }
    const { row, qname } = this.addSymbol(kind, name, top, symStart, end, signature, flags);
    const doc = this.docAt(bodyStart);
    if (doc) this.b.setSymbolField(row, 'doc', this.b.intern(doc));
    const scope: Scope = { row, start: symStart, defStart, end, kind, name, qname, parent: top, flags };
    this.pushScope(scope);
    if (decorators) this.decoratorCalls(decorators, symStart, row);
    if (paramsOpen >= 0) {
      if (isClass) this.bases(paramsOpen + 1, paramsClose, row);
      else this.params(paramsOpen + 1, paramsClose, scope);
    }
    if (retStart >= 0) {
      this.annotations.push(retStart, retEnd);
      this.types(text.slice(retStart, retEnd), retStart, row, TypeUse.ret, 0);
    }
    if (!isClass && bodyStart > colon + 1) this.functionTypeComment(colon + 1, bodyStart, row, retStart < 0);
    if (kind === SymbolKind.method && retStart < 0 && top && ENTER_METHODS.has(name))
      this.enterReturnsSelf(bodyStart, end, row, top.name);
  }

  /**
   * `__enter__` / `__aenter__` without a return annotation whose every `return` is `return
   * self` returns its class: a returnType row naming the class, so that `with Foo() as x` types x
   * (as an annotation `-> Foo` would). One returning anything else (or nothing) types nothing.
   */
  private enterReturnsSelf(bodyStart: number, end: number, row: number, cls: string): void {
    let at = -1;
    RETURN_LINE.lastIndex = this.text.lastIndexOf('\n', bodyStart - 1) + 1;
    for (let m = RETURN_LINE.exec(this.text); m && m.index < end; m = RETURN_LINE.exec(this.text)) {
      if ((m[1] ?? '').replace(/#.*$/, '').trim() !== 'self') return;
      at = m.index + m[0].indexOf('self', m[0].indexOf('return') + 6);
    }
    if (at >= 0) this.refs.add(RefKind.returnType, row, cls, undefined, undefined, at, 0);
  }

  /**
   * A PEP 484 function type comment between the header and the body (`# type: (int, Foo) ->
   * Bar`): parameter types by position (self / cls not listed, as params() counts them) and the
   * return type, as if annotated; an annotation written in the header wins (`withReturn`).
   */
  private functionTypeComment(from: number, to: number, row: number, withReturn: boolean): void {
    const text = this.text;
    const hash = text.indexOf('#', from);
    if (hash < 0 || hash >= to || this.lex.deadAt(hash) < 0) return;
    FN_TYPE_COMMENT.lastIndex = hash;
    const m = FN_TYPE_COMMENT.exec(text);
    if (!m || m.index + m[0].length > to) return;
    const args = m[1] ?? '';
    const argsStart = hash + m[0].indexOf('(') + 1;
    if (args.trim() !== '...') {
      let pos = 0;
      for (const [s, e] of splitTypeList(args)) {
        const item = args.slice(s, e);
        const lead = item.length - item.replace(/^[\s*]+/, '').length;
        this.types(item.slice(lead), argsStart + s + lead, row, TypeUse.param, pos++);
      }
    }
    const ret = m[2] ?? '';
    if (withReturn && ret) this.types(ret, hash + m[0].length - ret.length, row, TypeUse.ret, 0);
  }

  /**
   * PEP 484 variable type comments in a def (`x = f()  # type: Foo`, `for x in xs:  # type:
   * Foo`): a declType fact of the local, as an annotation `x: Foo` gives, and the type's refs.
   * Only a single-line statement that starts with the name is read.
   */
  private variableTypeComments(): void {
    const text = this.text;
    for (let i = text.indexOf('type:'); i >= 0; i = text.indexOf('type:', i + 5)) {
      const hash = text.lastIndexOf('#', i);
      if (hash < 0 || !/^#\s*$/.test(text.slice(hash, i)) || this.lex.deadAt(hash) < 0) continue;
      const lineStart = text.lastIndexOf('\n', hash) + 1;
      TYPED_LOCAL.lastIndex = lineStart;
      const m = TYPED_LOCAL.exec(text);
      if (!m || m.index + m[0].length > hash) continue;
      const name = m[1] ?? '';
      const scope = this.scopeByRow.get(this.scopes.at(hash));
      if (!scope || (scope.kind !== SymbolKind.function && scope.kind !== SymbolKind.method)) continue;
      const lineEnd = this.lex.deadAt(hash);
      const raw = text.slice(i + 5, lineEnd).replace(/#.*$/s, '');
      const written = raw.trim();
      if (!written || /^ignore\b/.test(written) || written.length > 200) continue;
      const at = i + 5 + raw.indexOf(written);
      this.refs.add(RefKind.declType, scope.row, written.replace(/\s+/g, ''), undefined, name, at, -1);
      this.types(written, at, scope.row, TypeUse.typeRef, 0);
    }
  }

  /** Header the text reading could not follow (syntax errors): name from the node, no params. */
  private brokenDefinition(
    outer: SyntaxNode,
    defStart: number,
    symStart: number,
    end: number,
    top: Scope | undefined,
    isClass: boolean,
  ): void {
    const node = outer.type === 'decorated_definition' ? outer.childForFieldName('definition') : outer;
    if (!node) return;
    const n = node.childForFieldName('name');
    const name = n ? this.text.slice(n.startIndex, n.endIndex) : '';
    if (!/^\S+$/.test(name)) return; // unnamed: its contents stay with the enclosing scope
    const body = node.childForFieldName('body');
    const signature = cleanSignature(
      this.text.slice(symStart, body ? body.startIndex : end).replace(/:\s*$/, ''),
    );
    const kind = isClass
      ? SymbolKind.class
      : top?.kind === SymbolKind.class
        ? SymbolKind.method
        : SymbolKind.function;
    const flags = privacy(name) | SymbolFlag.hasError;
    const { row, qname } = this.addSymbol(kind, name, top, symStart, end, signature, flags);
    this.pushScope({ row, start: symStart, defStart, end, kind, name, qname, parent: top, flags });
  }

  /** Offset of the `:` ending a header that continues at `from` (brackets skipped). */
  private headerColon(from: number, limit: number): number {
    const text = this.text;
    for (let i = from; i < limit; i++) {
      const c = text.charCodeAt(i);
      if (c === 58 /* : */) return i;
      if (c === 40 /* ( */ || c === 91 /* [ */) {
        const close = this.lex.close.get(i);
        if (close !== undefined) i = close;
      } else if (c === 35 /* # */ || c === 34 || c === 39) {
        i = this.lex.deadEnd(i) - 1;
      }
    }
    return limit;
  }

  /** First offset at or after `from` that is not whitespace or a comment. */
  private firstToken(from: number, limit: number): number {
    const text = this.text;
    let i = from;
    while (i < limit) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 92 /* \ continuation */) i++;
      else if (c === 35) {
        const nl = text.indexOf('\n', i);
        i = nl < 0 ? limit : nl;
      } else break;
    }
    return i;
  }

  /** The docstring starting at `at`, if the statement there is a plain string literal. */
  private docAt(at: number): string | undefined {
    const end = this.lex.deadAt(at);
    if (end < 0 || this.text[at] === '#') return undefined;
    // A string expression statement: nothing but a newline, `;` or a comment after it.
    if (!/^[ \t]*(?:[\r\n;#]|$)/.test(this.text.slice(end, end + 40))) return undefined;
    const doc = cleanDoc(this.text.slice(at, end).replace(/^[rRuUbB]{1,2}(?=["'])/, ''));
    return doc || undefined;
  }

  private moduleDoc(): void {
    const at = this.firstToken(this.text.charCodeAt(0) === 0xfeff ? 1 : 0, this.text.length);
    const doc = this.docAt(at);
    if (doc) this.b.setSymbolField(0, 'doc', this.b.intern(doc));
  }

  /** `@name` / `@a.b` decorators without arguments are calls of that name with the function. */
  private decoratorCalls(decorators: string, offset: number, row: number): void {
    PLAIN_DECORATOR.lastIndex = 0;
    for (const m of decorators.matchAll(PLAIN_DECORATOR)) {
      const path = (m[1] ?? '').replace(/\s+/g, '');
      const dot = path.lastIndexOf('.');
      const name = path.slice(dot + 1);
      if (PLAIN_DECORATORS.has(name)) continue;
      const at = offset + (m.index ?? 0) + m[0].lastIndexOf(name);
      this.refs.add(RefKind.call, row, name, dot > 0 ? path.slice(0, dot) : undefined, undefined, at, 1);
    }
  }

  /** Base classes: each top-level item of `class X(...)` that is a (dotted) name or `Name[...]`. */
  private bases(from: number, to: number, row: number): void {
    for (const [s, e] of this.splitTopLevel(from, to)) {
      let item = this.text.slice(s, e);
      const lead = item.length - item.trimStart().length;
      item = item.trim();
      if (/^\*|^[^=([]*=(?!=)/.test(item)) continue; // *bases, metaclass=..., keyword args
      const bracket = item.indexOf('[');
      if (bracket > 0) item = item.slice(0, bracket).trim();
      const path = item.replace(/\s+/g, '');
      if (!DOTTED_ONLY.test(path)) continue; // calls, expressions
      const dot = path.lastIndexOf('.');
      const name = path.slice(dot + 1);
      if (SKIPPED_BASES.has(name)) continue;
      const at = s + lead + item.lastIndexOf(name);
      this.refs.add(RefKind.inherits, row, name, dot > 0 ? path.slice(0, dot) : undefined, undefined, at, 0);
    }
  }

  /** Parameters: names (self/cls skipped, positions counted without them) and annotations. */
  private params(from: number, to: number, fn: Scope): void {
    const text = this.text;
    fn.params ??= new Set();
    let pos = 0;
    for (const [itemStart, e] of this.splitTopLevel(from, to)) {
      const s = this.firstToken(itemStart, e);
      PARAM.lastIndex = s;
      const m = PARAM.exec(text);
      if (!m || m.index + m[0].length > e) continue;
      const name = m[2];
      if (!name) {
        if (!m[1] && text.slice(s, e).trim() === '/') continue; // positional-only marker
        if (m[1] === '*' && !name) continue; // keyword-only marker
        pos++;
        continue;
      }
      if (name === 'self' || name === 'cls') continue; // the receiver is not a positional argument
      fn.params.add(name);
      const nameAt = m.index + m[0].length - (m[3] ? 1 : 0);
      this.refs.add(RefKind.param, fn.row, name, undefined, undefined, text.lastIndexOf(name, nameAt), pos);
      if (m[3]) {
        // Annotation: up to a top-level `=` (default value) or the end of the parameter.
        const typeStart = m.index + m[0].length;
        const typeEnd = this.topLevelEquals(typeStart, e);
        this.annotations.push(typeStart, typeEnd);
        this.types(text.slice(typeStart, typeEnd), typeStart, fn.row, TypeUse.param, pos);
        if (!m[1]) this.collectionType(typeStart, typeEnd, fn.row, name, pos);
      }
      pos++;
    }
  }

  /**
   * A parameter or local annotated as a collection (`xs: list[Foo]`, `Sequence[Foo]`): a
   * declType fact with the annotation as written (the merge reads the element type, for `for x in xs`).
   */
  private collectionType(start: number, end: number, row: number, name: string, pos: number): void {
    if (end - start > 200) return;
    const t = this.text.slice(start, end).replace(/\s+/g, '');
    if (COLLECTION_ANNOTATION.test(t)) this.refs.add(RefKind.declType, row, t, undefined, name, start, pos);
  }

  /**
   * `for x in xs:` / `in self.items:` in a def: declType with alias = x and text `in:` + the
   * iterable as a plain chain (the merge types x by the iterable's element type).
   */
  private forVar(node: SyntaxNode, start: number, row: number): void {
    const value = node.parent?.childForFieldName('right');
    if (!value || value.endIndex - value.startIndex > 120) return;
    const iter = this.text.slice(value.startIndex, value.endIndex).replace(/\s+/g, '');
    const name = this.text.slice(start, node.endIndex);
    if (/^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$/.test(iter) && name !== '_')
      this.refs.add(RefKind.declType, row, `in:${iter}`, undefined, name, start, -1);
  }

  /**
   * Items of a bracketed list between `from` and `to`, split at top-level commas; `lambdas`:
   * the commas of a `lambda a, b:` parameter list (call arguments) do not split.
   */
  private splitTopLevel(from: number, to: number, lambdas = false): [number, number][] {
    const text = this.text;
    const out: [number, number][] = [];
    let itemStart = from;
    let inLambda = false;
    for (let i = from; i < to; i++) {
      const c = text.charCodeAt(i);
      if (lambdas && c === 108 /* l */ && text.startsWith('lambda', i) && isLambdaAt(text, i)) {
        inLambda = true;
        i += 5;
      } else if (c === 58 /* : */ && inLambda) inLambda = false;
      else if (c === 44 /* , */ && !inLambda) {
        out.push([itemStart, i]);
        itemStart = i + 1;
      } else if (c === 40 || c === 91 || c === 123) {
        const close = this.lex.close.get(i);
        if (close !== undefined) i = close;
      } else if (c === 35 || c === 34 || c === 39) {
        i = this.lex.deadEnd(i) - 1;
      }
    }
    if (/\S/.test(text.slice(itemStart, to).replace(/#[^\n]*/g, ''))) out.push([itemStart, to]);
    return out;
  }

  private topLevelEquals(from: number, to: number): number {
    const text = this.text;
    for (let i = from; i < to; i++) {
      const c = text.charCodeAt(i);
      if (c === 61 /* = */) return i;
      if (c === 40 || c === 91 || c === 123) {
        const close = this.lex.close.get(i);
        if (close !== undefined) i = close;
      } else if (c === 34 || c === 39 || c === 35) {
        i = this.lex.deadEnd(i) - 1;
      }
    }
    return to;
  }

  /** Module-level (`cls` undefined) or class-level assignment: variables, constants, fields, __all__. */
  /**
   * Assignments directly inside a module-level `if` / `try` (conditional definitions such as
   * `try: X = a() except ImportError: X = None`) are module-level names too. They are not
   * scopes: the sweep is past their start already, so their right-hand sides stay module refs.
   */
  private moduleBlock(node: SyntaxNode): void {
    const blocks: SyntaxNode[] = [];
    for (const c of node.namedChildren) {
      if (c.type === 'block') blocks.push(c);
      else if (c.type.endsWith('_clause'))
        for (const b of c.namedChildren) if (b.type === 'block') blocks.push(b);
    }
    for (const block of blocks) {
      for (const stmt of block.namedChildren) {
        const a = stmt.type === 'expression_statement' ? stmt.firstNamedChild : null;
        if (a?.type === 'assignment') this.assignment(a, a.startIndex, undefined, false);
      }
    }
  }

  private assignment(node: SyntaxNode, start: number, cls: Scope | undefined, scope = true): void {
    const text = this.text;
    const left = node.childForFieldName('left');
    if (!left) return;
    const leftText = text.slice(left.startIndex, left.endIndex);
    if (node.type === 'augmented_assignment') {
      if (!cls && leftText === '__all__') this.allNames(node.childForFieldName('right'));
      return;
    }
    const end = node.endIndex;
    // Chained `A = B = value`: every target that is a name (or a tuple of names).
    const targets: SyntaxNode[] = [];
    let cur: SyntaxNode | null = node;
    let right: SyntaxNode | null = null;
    while (cur && cur.type === 'assignment') {
      const l = cur === node ? left : cur.childForFieldName('left');
      if (l?.type === 'identifier') targets.push(l);
      else if (l?.type === 'pattern_list' || l?.type === 'tuple_pattern') {
        for (const c of l.namedChildren) if (c.type === 'identifier') targets.push(c);
      }
      right = cur.childForFieldName('right');
      cur = right;
    }
    const signature = cleanSignature(text.slice(start, end).split('\n', 1)[0] ?? '');
    let first: Scope | undefined;
    for (const t of targets) {
      const name = text.slice(t.startIndex, t.endIndex);
      if (cls) {
        cls.fields ??= new Set();
        if (cls.fields.has(name)) continue;
        cls.fields.add(name);
      } else if (this.moduleNames.has(name)) continue; // a re-assignment: the first one defines it
      const kind = cls ? SymbolKind.field : UPPER_CASE.test(name) ? SymbolKind.constant : SymbolKind.variable;
      const flags = privacy(name);
      const { row, qname } = this.addSymbol(kind, name, cls, start, end, signature, flags);
      first ??= { row, start, defStart: start, end, kind, name, qname, parent: cls, flags };
    }
    // References on the right-hand side come from the (first) assigned symbol.
    if (first && scope) this.pushScope(first);
    if (!cls && leftText === '__all__') this.allNames(right);
  }

  /** `__all__ = [...]`: the module's public names, as re-exports with no qualifier. */
  private allNames(list: SyntaxNode | null): void {
    if (!list) return;
    const start = list.startIndex;
    const body = this.text.slice(start, list.endIndex);
    STRING_ITEM.lastIndex = 0;
    for (const m of body.matchAll(STRING_ITEM)) {
      const name = m[2] ?? '';
      if (name) this.refs.add(RefKind.reexport, 0, name, undefined, undefined, start + (m.index ?? 0) + 1, 0);
    }
  }

  private typeAlias(node: SyntaxNode, start: number, top: Scope | undefined): void {
    TYPE_ALIAS_NAME.lastIndex = start;
    const name = TYPE_ALIAS_NAME.exec(this.text)?.[1];
    if (!name) return;
    const end = node.endIndex;
    const signature = cleanSignature(this.text.slice(start, end).split('\n', 1)[0] ?? '');
    const kind = SymbolKind.typeAlias;
    const flags = privacy(name);
    const { row, qname } = this.addSymbol(kind, name, top, start, end, signature, flags);
    this.pushScope({ row, start, defStart: start, end, kind, name, qname, parent: top, flags });
    const eq = this.text.indexOf('=', start);
    if (eq > 0 && eq < end) this.types(this.text.slice(eq + 1, end), eq + 1, row, TypeUse.typeRef, 0);
  }

  // ---- references -----------------------------------------------------------------------

  /** A call's callee (identifier or attribute); the argument count comes from the lexer. */
  private call(callee: SyntaxNode, start: number, top: Scope | undefined): void {
    const text = this.text;
    let end: number;
    let name: string;
    let qualifier: string | undefined;
    if (callee.type === 'identifier') {
      IDENT.lastIndex = start;
      end = IDENT.test(text) ? IDENT.lastIndex : callee.endIndex;
      name = text.slice(start, end);
    } else {
      end = callee.endIndex;
      const raw = text.slice(start, end);
      const dot = raw.lastIndexOf('.');
      name = raw.slice(dot + 1).trim();
      qualifier = normalizeQualifier(raw.slice(0, dot));
    }
    let open = end;
    while (open < text.length && text.charCodeAt(open) !== 40 && /\s|\\/.test(text[open] ?? '')) open++;
    let argc = this.lex.args.get(open);
    if (argc === undefined) {
      // Not lexed (inside an f-string, or broken brackets): ask the tree.
      const args = callee.nextSibling;
      argc =
        args?.type === 'generator_expression'
          ? 1
          : (args?.namedChildren.filter((c) => c.type !== 'comment').length ?? 0);
    }
    const close = this.lex.close.get(open) ?? -1;
    const from = top?.row ?? 0;
    const use =
      close > open
        ? pythonCallUse(text, start, close + 1, this.nesting.inside(start, open, close))
        : undefined;
    this.refs.add(RefKind.call, from, name, qualifier, use, end - name.length, argc);
    if (close > open && argc > 0) this.callArguments(open, close, from);
  }

  /**
   * `with cm as x:` calls cm's `__enter__` (its value assigned to x) and `__exit__`; `async
   * with`, `__aenter__` / `__aexit__`. The receiver is the expression as written, typed at merge
   * like any call's (`self`, `self.lock`, `Foo()`, a typed local); no edge when it is not known.
   */
  private withItem(item: SyntaxNode, from: number): void {
    let value: SyntaxNode | null = item.firstNamedChild;
    let use: string | undefined;
    if (value?.type === 'as_pattern') {
      const target = value.childForFieldName('alias')?.firstNamedChild;
      if (target?.type === 'identifier') use = `=${this.text.slice(target.startIndex, target.endIndex)}`;
      value = value.firstNamedChild;
    }
    if (!value) return;
    const async = item.parent?.parent?.firstChild?.type === 'async';
    if (!this.protocolCall(value, async ? '__aenter__' : '__enter__', from, use)) return;
    // __exit__'s arguments come from the runtime (the exception, if any), not from the caller.
    this.protocolCall(value, async ? '__aexit__' : '__exit__', from, undefined);
  }

  /** A call of a protocol method on `receiver` (an identifier, attribute or call): false when it is none. */
  private protocolCall(receiver: SyntaxNode, name: string, from: number, use: string | undefined): boolean {
    const t = receiver.type;
    if (t !== 'identifier' && t !== 'attribute' && t !== 'call') return false;
    if (receiver.endIndex - receiver.startIndex > 2 * MAX_PROTOCOL_RECEIVER) return false;
    const q = normalizeQualifier(this.text.slice(receiver.startIndex, receiver.endIndex));
    if (!q || q.length > MAX_PROTOCOL_RECEIVER) return false;
    this.refs.add(RefKind.call, from, name, q, use, receiver.startIndex, 0);
    return true;
  }

  /** Argument rows (right after their call row) for the arguments that are a name or a `self.x`. */
  private callArguments(open: number, close: number, from: number): void {
    let pos = 0;
    for (const [s, e] of this.splitTopLevel(open + 1, close, true)) {
      const a = e - s <= 80 ? argumentName(this.text.slice(s, e), false) : undefined;
      if (a) this.refs.add(RefKind.argument, from, a.name, a.qualifier, a.keyword, s + a.at, pos);
      pos++;
    }
  }

  /** An attribute/subscript assignment target: `self.x` writes (and __init__ fields), NAME[...] bases. */
  private write(node: SyntaxNode, start: number, top: Scope | undefined, augmented: boolean): void {
    const text = this.text;
    SELF_ATTR.lastIndex = start;
    const m = SELF_ATTR.exec(text);
    if (!m) {
      IDENT.lastIndex = start;
      if (IDENT.test(text)) this.targetBases.set(start, augmented);
      return;
    }
    const name = m[1] ?? '';
    const baseEnd = start + m[0].length;
    this.refs.once(RefKind.write, top?.row ?? 0, name, 'self', baseEnd - name.length);
    if (augmented) return; // `self.x += 1` also reads x: left to the self scan
    this.writtenSelf.add(start);
    // `self.x = ...` directly in __init__ declares a field of the class.
    const cls = top?.parent;
    if (top?.name !== '__init__' || top.kind !== SymbolKind.method || cls?.kind !== SymbolKind.class) return;
    if (node.endIndex !== baseEnd) return; // self.x.y = ..., self.x[i] = ...
    cls.fields ??= new Set();
    if (cls.fields.has(name)) return;
    cls.fields.add(name);
    const stmt = node.parent;
    const end = stmt && stmt.type.endsWith('assignment') ? stmt.endIndex : baseEnd;
    const signature = cleanSignature(text.slice(start, end).split('\n', 1)[0] ?? '');
    this.addSymbol(SymbolKind.field, name, cls, start, end, signature, privacy(name));
  }

  private importStatement(stmt: string, offset: number, from: number): void {
    const body = blankComments(stmt).replace(/\\(?=\r?\n)/g, ' ');
    IMPORT_ITEM.lastIndex = 0;
    for (const m of body.slice(6).matchAll(IMPORT_ITEM)) {
      const module = (m[1] ?? '').replace(/\s+/g, '');
      this.refs.add(RefKind.import, from, '', module, m[2], offset + 6 + (m.index ?? 0), 0);
      if (from === 0) this.importNames.add(m[2] ?? module.split('.')[0] ?? module);
    }
  }

  private importFrom(stmt: string, offset: number, from: number): void {
    const body = blankComments(stmt).replace(/\\(?=\r?\n)/g, ' ');
    FROM_HEAD.lastIndex = 0;
    const head = FROM_HEAD.exec(body);
    if (!head) return;
    const module = `${head[1] ?? ''}${head[2] ?? ''}`.replace(/\s+/g, '');
    if (!module) return;
    FROM_ITEM.lastIndex = 0;
    for (const m of body.slice(head[0].length).matchAll(FROM_ITEM)) {
      // `from pkg import sub`: a lower-case name is likely a module (classes, constants are not)
      const local = m[2] ?? m[1] ?? '';
      if (from === 0 && MODULE_LIKE.test(local)) this.importNames.add(local);
      this.refs.add(
        RefKind.import,
        from,
        m[1] ?? '',
        module,
        m[2],
        offset + head[0].length + (m.index ?? 0),
        0,
      );
    }
  }

  /**
   * typeRef for every user-defined name in an annotation (builtins and typing names skipped,
   * `Literal[...]` contents skipped, string forward references read), plus paramType /
   * returnType for the first of them: the annotation's main user type.
   */
  private types(annotation: string, offset: number, from: number, use: TypeUse, pos: number): void {
    let mainDone = use === TypeUse.typeRef;
    DOTTED.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = DOTTED.exec(annotation))) {
      const path = m[0].replace(/\s+/g, '');
      const dot = path.lastIndexOf('.');
      const name = path.slice(dot + 1);
      if (name === 'Literal' && annotation[DOTTED.lastIndex] === '[') {
        DOTTED.lastIndex = skipBrackets(annotation, DOTTED.lastIndex);
        continue;
      }
      if (BUILTIN_TYPES.has(name)) continue;
      const qualifier = dot > 0 ? path.slice(0, dot) : undefined;
      const at = offset + m.index + m[0].length - name.length;
      this.refs.add(RefKind.typeRef, from, name, qualifier, undefined, at, 0);
      if (!mainDone) {
        mainDone = true;
        this.refs.add(
          use === TypeUse.param ? RefKind.paramType : RefKind.returnType,
          from,
          name,
          qualifier,
          undefined,
          at,
          pos,
        );
      }
    }
  }

  /** Outermost function/method ranges, as ascending [start, end) pairs. */
  private functionRanges(): number[] {
    const ranges: number[] = [];
    let lastEnd = -1;
    for (const s of this.scopeList) {
      if ((s.kind === SymbolKind.function || s.kind === SymbolKind.method) && s.start >= lastEnd) {
        ranges.push(s.start, s.end);
        lastEnd = s.end;
      }
    }
    return ranges;
  }

  /** `self.x` reads in functions: every `self.x` outside strings/comments that is not a callee or an assignment target. */
  private selfReads(): void {
    const text = this.text;
    const dead = this.lex.cursor();
    const inFunction = new RangeCursor(this.functionRanges());
    SELF_SCAN.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = SELF_SCAN.exec(text))) {
      const at = m.index;
      if (!inFunction.inside(at) || dead.inside(at) || this.writtenSelf.has(at)) continue;
      const end = at + m[0].length;
      if (nextChar(text, end) === '(') continue; // a method call: its own ref
      const name = m[1] ?? '';
      this.refs.once(RefKind.read, this.scopes.at(at), name, 'self', end - name.length);
    }
  }

  /**
   * Reads and writes of this module's own top-level names inside functions, found by one regex
   * scan over the outermost function ranges (strings, comments, annotations skipped) and
   * classified by their textual context. A name is written only under a `global` declaration
   * or as the base of an attribute/subscript assignment target; a parameter or a plain local
   * binding of the name (assignment, for/with/except/import target, nested def) shadows it for
   * the whole function.
   */
  private moduleNameRefs(): void {
    const names = [...this.moduleNames, ...this.importNames].filter((n) => n !== '__all__');
    const ranges = this.functionRanges();
    if (!names.length || !ranges.length) return;
    const text = this.text;
    const dead = this.lex.cursor();
    const annotations = new RangeCursor(sortPairs(this.annotations));
    const globals = new RangeCursor(this.globalStmts);
    const bindings = new RangeCursor(this.bindings);
    const brackets = new RangeCursor(this.lex.brackets);
    const found: { at: number; name: string; module: string; row: number; fn: Scope; use: NameUse }[] = [];
    for (const at of identifiersIn(text, ranges, new Set(names))) {
      if (dead.inside(at) || annotations.inside(at) || globals.inside(at)) continue;
      const name = this.identAt(at);
      // `mod.NAME` of an imported module: a read / write of NAME there (not of `mod` itself);
      // any other use of the alias says nothing, so it is skipped before the costlier checks.
      const attr =
        this.importNames.has(name) && !this.moduleNames.has(name)
          ? (this.attributeAfter(at + name.length) ?? null)
          : undefined;
      if (attr === null) continue;
      const row = this.scopes.at(at);
      let fn = this.scopeByRow.get(row);
      while (fn && fn.kind !== SymbolKind.function && fn.kind !== SymbolKind.method) fn = fn.parent;
      if (!fn) continue;
      let use: NameUse;
      const base = this.targetBases.get(at);
      if (attr) {
        use = base === undefined ? NameUse.read : base ? NameUse.writeRead : NameUse.write;
        found.push({ at: attr.at, name: attr.name, module: name, row, fn, use });
        continue;
      }
      if (bindings.inside(at))
        use = NameUse.bind; // an import inside the function
      else if (base !== undefined) use = base ? NameUse.writeRead : NameUse.write;
      else use = this.nameUse(at, name, fn, brackets.inside(at));
      if (use === NameUse.bind) {
        if (fn.globals?.has(name)) use = NameUse.write;
        else (fn.locals ??= new Set()).add(name);
      } else if (use === NameUse.augmented) {
        if (fn.globals?.has(name)) use = NameUse.writeRead;
        else (fn.locals ??= new Set()).add(name);
      }
      if (use === NameUse.read || use === NameUse.write || use === NameUse.writeRead)
        found.push({ at, name, module: '', row, fn, use });
    }
    for (const f of found) {
      const bound = f.module || f.name;
      if (f.fn.params?.has(bound)) continue;
      if (f.fn.locals?.has(bound) && !f.fn.globals?.has(bound)) continue;
      if (f.use !== NameUse.read) this.refs.once(RefKind.write, f.row, f.name, f.module, f.at);
      if (f.use !== NameUse.write) this.refs.once(RefKind.read, f.row, f.name, f.module, f.at);
    }
  }

  /** `.NAME` right after offset `i` (not a method call `.NAME(`): the attribute and its offset. */
  private attributeAfter(i: number): { name: string; at: number } | undefined {
    ATTRIBUTE.lastIndex = i;
    const m = ATTRIBUTE.exec(this.text);
    if (!m?.[1] || m[2] !== undefined) return undefined;
    return { name: m[1], at: i + m[0].length - m[1].length };
  }

  /** How a module-level name at `at` (in function `fn`, outside strings and comments) is used, from its context. */
  private nameUse(at: number, name: string, fn: Scope, inBrackets: boolean): NameUse {
    const text = this.text;
    const end = at + name.length;
    const next = text.slice(end, end + 8).replace(/^[ \t]+/, '');
    const before = text.slice(Math.max(0, at - 16), at);
    const prev = /([^ \t])[ \t]*$/.exec(before)?.[1]?.replace('\r', '\n') ?? '\n';
    if (/\b(?:def|class)\s+$/.test(before)) {
      // A def/class of that name binds it; a function's own name binds in its enclosing function.
      if (!this.isOwnName(fn, at)) return NameUse.bind;
      let owner = fn.parent;
      while (owner && owner.kind !== SymbolKind.function && owner.kind !== SymbolKind.method)
        owner = owner.parent;
      if (owner) (owner.locals ??= new Set()).add(name);
      return NameUse.none;
    }
    if (next.startsWith('(')) return NameUse.none; // a call: its own ref
    if (prev === '.' || prev === '@') return NameUse.none; // attribute name, decorator
    if (/\b(?:for|as)\s+$/.test(before)) return NameUse.bind;
    if (/\blambda\s+$/.test(before)) return NameUse.none;
    if (next.startsWith(':=')) return NameUse.bind;
    if (next.startsWith('=') && !next.startsWith('==')) return inBrackets ? NameUse.none : NameUse.bind; // kwarg / default
    if (!inBrackets && AUG_OP.test(next)) return NameUse.augmented;
    if (!inBrackets && next.startsWith(':') && (prev === '\n' || prev === ';')) return NameUse.bind; // annotated
    return NameUse.read;
  }

  private identAt(at: number): string {
    let j = at + 1;
    while (j < this.text.length && isIdentPart(this.text.charCodeAt(j))) j++;
    return this.text.slice(at, j);
  }

  private isOwnName(fn: Scope, at: number): boolean {
    const head = this.text.slice(fn.defStart, at);
    return /^(?:async\s+)?(?:def|class)\s+$/.test(head);
  }
}

const ARROW = /\s*->\s*/y;
const ATTRIBUTE = new RegExp(`[ \\t]*\\.[ \\t]*(${ID})(?=([ \\t]*\\()?)`, 'uy');
const MODULE_LIKE = /^[a-z_][a-z0-9_]*$/;

function privacy(name: string): number {
  return name.startsWith('_') && !(name.startsWith('__') && name.endsWith('__') && name.length > 4)
    ? SymbolFlag.private
    : 0;
}

/** Receiver text as a qualifier: whitespace collapsed, cut when it is a long expression. */
function normalizeQualifier(raw: string): string | undefined {
  const q = raw
    .replace(/\s+/g, ' ')
    .replace(/\s*\.\s*/g, '.')
    .trim();
  if (!q) return undefined;
  return q.length > MAX_QUALIFIER ? `${q.slice(0, MAX_QUALIFIER - 1)}…` : q;
}

/** Replaces `# comments` with spaces (offsets kept). Only for statements without strings (imports). */
function blankComments(s: string): string {
  return s.includes('#') ? s.replace(/#[^\n]*/g, (c) => ' '.repeat(c.length)) : s;
}

/** Index just past the bracket group opening at `open`. */
function skipBrackets(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === '[') depth++;
    else if (c === ']' && --depth === 0) return i + 1;
  }
  return s.length;
}

/** [start, end) pairs sorted by start (pushed mostly, not strictly, in order). */
function sortPairs(pairs: readonly number[]): number[] {
  const idx = Array.from({ length: pairs.length / 2 }, (_, i) => i);
  idx.sort((a, b) => (pairs[a * 2] ?? 0) - (pairs[b * 2] ?? 0));
  return idx.flatMap((i) => [pairs[i * 2] ?? 0, pairs[i * 2 + 1] ?? 0]);
}

function isIdentPart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c >= 0x80;
}

/**
 * Offsets of identifiers in `names` within [start, end) ranges (ascending pairs), not preceded
 * by `.`. A character loop: cheaper than compiling a per-file regex of the names.
 */
function identifiersIn(text: string, ranges: readonly number[], names: ReadonlySet<string>): number[] {
  const out: number[] = [];
  let maxLen = 0;
  const firsts = new Set<number>();
  for (const n of names) {
    maxLen = Math.max(maxLen, n.length);
    firsts.add(n.charCodeAt(0));
  }
  for (let r = 0; r < ranges.length; r += 2) {
    const end = ranges[r + 1] ?? 0;
    let i = ranges[r] ?? 0;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (!isIdentPart(c)) {
        i++;
        continue;
      }
      let j = i + 1;
      while (j < end && isIdentPart(text.charCodeAt(j))) j++;
      if (j - i <= maxLen && firsts.has(c) && text.charCodeAt(i - 1) !== 46 && names.has(text.slice(i, j)))
        out.push(i);
      i = j;
    }
  }
  return out;
}

/** The next character at or after `i` that is not a space or tab. */
function nextChar(text: string, i: number): string {
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9) return text[i] ?? '';
    i++;
  }
  return '';
}

// ---- lexical pass ---------------------------------------------------------------------------

interface PyLex {
  /** [start, end) of comments and non-f string literals, ascending. */
  readonly dead: number[];
  /** '(' / '[' / '{' offset -> offset of its closing bracket. */
  readonly close: Map<number, number>;
  /** '(' offset -> number of top-level items (call arguments). */
  readonly args: Map<number, number>;
  /** Offsets of decision points: if/elif/while/except/and/or, statement `for`, `case` after the first. */
  readonly branches: number[];
  /** [start, end] of outermost bracket pairs, ascending. */
  readonly brackets: number[];
  /** End of the dead region starting exactly at `at`, or -1. */
  deadAt(at: number): number;
  /** End of the dead region containing `at`, or at + 1 when `at` is live. */
  deadEnd(at: number): number;
  cursor(): RangeCursor;
}

// Comments, string literals (with prefixes), brackets, commas, and decision keywords. `match`
// and `case` are soft keywords, only recognised at the start of a line.
const LEX = /[#"'()[\]{},]|\b(?:if|elif|for|while|except|and|or|match|case|lambda)\b/g;
/** String prefix letters (r, b, u, f and pairs) just before a quote. */
const STRING_PREFIX = /(?<![\w\u0080-\uffff])[rRbBuUfF]{1,2}$/;

/**
 * One linear pass over the text. f-strings are skipped but not marked dead (their `{...}` holds
 * code). Unbalanced brackets (syntax errors) are tolerated: a closer pops to its own opener.
 */
export function lexPython(text: string): PyLex {
  const dead: number[] = [];
  const deadStart = new Map<number, number>();
  const close = new Map<number, number>();
  const args = new Map<number, number>();
  const branches: number[] = [];
  const brackets: number[] = [];
  const opens: number[] = [];
  const commas: number[] = [];
  let pendingMatches = 0;
  LEX.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = LEX.exec(text))) {
    const at = m.index;
    const tok = m[0];
    const c = tok.charCodeAt(0);
    if (c === 35 /* # */) {
      const nl = text.indexOf('\n', at);
      const end = nl < 0 ? text.length : nl;
      dead.push(at, end);
      deadStart.set(at, end);
      LEX.lastIndex = end;
    } else if (c === 34 || c === 39) {
      const q = text.charCodeAt(at + 1) === c && text.charCodeAt(at + 2) === c ? tok.repeat(3) : tok;
      const end = stringEnd(text, at + q.length, q);
      const prefix = STRING_PREFIX.exec(text.slice(Math.max(0, at - 3), at))?.[0] ?? '';
      if (!/[fF]/.test(prefix)) {
        // f-strings stay live: their {...} holds code.
        dead.push(at - prefix.length, end);
        deadStart.set(at - prefix.length, end);
      }
      LEX.lastIndex = end;
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
      if (k === 0) brackets.push(open, at + 1);
      if (want === 40 && n >= 0) {
        const p = prevSignificant(text, at, dead);
        args.set(open, n + (p === open || text.charCodeAt(p) === 44 ? 0 : 1));
      }
    } else if (c === 44) {
      const k = commas.length - 1;
      if (k >= 0 && (commas[k] ?? 0) >= 0) commas[k] = (commas[k] ?? 0) + 1;
    } else if (tok === 'lambda') {
      if (commas.length) commas[commas.length - 1] = -1; // `f(lambda a, b: 0)`: commas are ambiguous
    } else if (tok === 'for') {
      if (!opens.length) branches.push(at); // a statement; comprehension `for`s are in brackets
    } else if (tok === 'match' || tok === 'case') {
      // Soft keywords: only at the start of a line, outside brackets, followed by a subject.
      if (opens.length || !/(?:^|\n)[ \t]*$/.test(text.slice(Math.max(0, at - 80), at))) continue;
      if (!/^\s+[^\s=.,):\]]/.test(text.slice(at + tok.length, at + tok.length + 3))) continue;
      if (tok === 'match') pendingMatches++;
      else if (pendingMatches > 0)
        pendingMatches--; // n cases are n-1 decisions
      else branches.push(at);
    } else {
      branches.push(at);
    }
  }
  return {
    dead,
    close,
    args,
    branches,
    brackets,
    deadAt: (at) => deadStart.get(at) ?? -1,
    deadEnd: (at) => {
      let lo = 0;
      let hi = dead.length / 2 - 1;
      let found = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if ((dead[mid * 2] ?? 0) <= at) {
          found = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      const end = found >= 0 ? (dead[found * 2 + 1] ?? 0) : 0;
      return end > at ? end : at + 1;
    },
    cursor: () => new RangeCursor(dead),
  };
}

/** Offset just past the closing quote `q` of a string whose body starts at `from`. */
function stringEnd(text: string, from: number, q: string): number {
  let i = from;
  for (;;) {
    const j = text.indexOf(q, i);
    if (q.length === 1) {
      const nl = text.indexOf('\n', i);
      if (nl >= 0 && (j < 0 || nl < j)) {
        if (backslashes(text, text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl) % 2 === 1) {
          i = nl + 1; // line continuation inside the string
          continue;
        }
        return nl; // unterminated: ends at the line end
      }
    }
    if (j < 0) return text.length;
    if (backslashes(text, j) % 2 === 0) return j + q.length;
    i = j + 1;
  }
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
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 92) {
      i--;
      continue;
    }
    while (d >= 0 && (dead[d] ?? 0) > i) d -= 2;
    if (d >= 0 && i < (dead[d + 1] ?? 0) && text.charCodeAt(dead[d] ?? 0) === 35) {
      i = (dead[d] ?? 0) - 1; // inside a comment
      continue;
    }
    return i;
  }
  return -1;
}

/** A collection annotation whose element type the merge reads: `list[Foo]`, `Sequence[Foo]`, `tuple[Foo, ...]`. */
const COLLECTION_ANNOTATION =
  /^(?:(?:typing|collections\.abc)\.)?(?:list|List|Sequence|MutableSequence|Iterable|Iterator|set|Set|frozenset|FrozenSet|Collection|tuple|Tuple|deque|Deque)\[/;

/** Whether the `lambda` at offset i is the keyword (not part of a longer name). */
function isLambdaAt(text: string, i: number): boolean {
  const before = i > 0 ? text.charCodeAt(i - 1) : 32;
  const after = text.charCodeAt(i + 6);
  const word = (c: number): boolean =>
    (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c > 127;
  return !word(before) && !word(after) && before !== 46;
}

/** [start, end) of the top-level comma-separated items of a type list (`int, Dict[str, Foo]`). */
function splitTypeList(list: string): [number, number][] {
  const out: [number, number][] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    const c = list.charCodeAt(i);
    if (c === 91 || c === 40) depth++;
    else if (c === 93 || c === 41) depth--;
    else if (c === 44 && depth === 0) {
      out.push([start, i]);
      start = i + 1;
    }
  }
  if (list.slice(start).trim()) out.push([start, list.length]);
  return out;
}
