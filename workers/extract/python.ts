// Python extractor: symbols (classes, functions, methods, module/class-level assignments,
// `self.x` fields set in __init__) and raw references (imports, __all__ re-exports, calls,
// inheritance, annotation types, parameters, reads/writes of `self.x` and of module-level
// names) of one file. Runs inside parse workers, on one file's tree alone.
//
// Cost model (design measurement): visiting nodes from JS costs as much as the parse, so the
// whole file is read with ONE native query over the root. Its captures arrive in document
// order and are swept with a stack of open scopes, which gives every reference its innermost
// enclosing symbol without walking the tree. Names, import lists and annotation types are
// then read from the source text with regular expressions instead of child-node calls.
// Reads of module-level names are found by one regex scan over function bodies and confirmed
// with a single node lookup each. Nothing recurses over the tree.

import { queryFor, type SyntaxNode } from '../../native/tree-sitter.js';
import { RefKind, SymbolFlag, SymbolKind } from '../../src/protocol.js';
import {
  attributeComplexity,
  cleanDoc,
  cleanSignature,
  LineIndex,
  ScopeIndex,
  type ExtractContext,
} from './common.js';

// One query, compiled once per thread (queryFor caches it). Capture names are the dispatch keys
// of the sweep below. Keep patterns single-capture: captures() re-sends every capture of a
// match with each of its captures.
const QUERY = `
(decorated_definition) @decorated
(class_definition) @class
(function_definition) @def
(parameters) @params
(function_definition return_type: (type) @return_type)
(assignment type: (type) @annotation)
(type_alias_statement) @type_alias
(module (expression_statement (string) @doc))
(function_definition body: (block (expression_statement (string) @doc)))
(class_definition body: (block (expression_statement (string) @doc)))
(module (expression_statement [(assignment) (augmented_assignment)] @module_assign))
(module (if_statement consequence: (block (expression_statement (assignment) @module_assign))))
(module (if_statement alternative: (else_clause body: (block (expression_statement (assignment) @module_assign)))))
(module (if_statement alternative: (elif_clause consequence: (block (expression_statement (assignment) @module_assign)))))
(module (try_statement body: (block (expression_statement (assignment) @module_assign))))
(module (try_statement (except_clause (block (expression_statement (assignment) @module_assign)))))
(class_definition body: (block (expression_statement (assignment) @class_assign)))
(import_statement) @import
(import_from_statement) @import_from
(global_statement) @global
(call) @call
(assignment left: [(attribute) (subscript)] @write)
(assignment left: (pattern_list [(attribute) (subscript)] @write))
(assignment left: (tuple_pattern [(attribute) (subscript)] @write))
(augmented_assignment left: [(attribute) (subscript)] @write_aug)
(attribute object: (identifier) attribute: (identifier)) @attr
[(if_statement) (elif_clause) (for_statement) (while_statement) (except_clause)
 (conditional_expression) (boolean_operator) (if_clause) (case_clause)] @branch
(match_statement) @match
(ERROR) @error
(MISSING) @error
`;

const ID = '[\\p{L}\\p{Nl}_][\\p{L}\\p{N}\\p{Mn}\\p{Mc}\\p{Pc}]*';
const DEF_NAME = new RegExp(`(?:async\\s+)?def\\s+(${ID})`, 'uy');
const CLASS_NAME = new RegExp(`class\\s+(${ID})`, 'uy');
const TYPE_ALIAS_NAME = new RegExp(`type\\s+(${ID})`, 'uy');
const PARAM_NAME = new RegExp(`\\**\\s*(${ID})`, 'uy');
const SELF_ATTR = new RegExp(`self\\s*\\.\\s*(${ID})`, 'uy');
const LEADING_ID = new RegExp(ID, 'uy');
const DOTTED = new RegExp(`${ID}(?:\\s*\\.\\s*${ID})*`, 'gu');
const IMPORT_ITEM = new RegExp(`(${ID}(?:\\s*\\.\\s*${ID})*)(?:\\s+as\\s+(${ID}))?`, 'gu');
const FROM_HEAD = new RegExp(`from\\s+((?:\\.\\s*)*)((?!import\\b)${ID}(?:\\s*\\.\\s*${ID})*)?\\s*import\\b`, 'uy');
const FROM_ITEM = new RegExp(`(${ID}|\\*)(?:\\s+as\\s+(${ID}))?`, 'gu');
/** A decorator that is a bare (dotted) name, no call. */
const PLAIN_DECORATOR = new RegExp(`(?:^|\\n)\\s*@\\s*(${ID}(?:\\s*\\.\\s*${ID})*)\\s*(?=\\n|#|$)`, 'gu');
const STRING_ITEM = /(['"])((?:(?!\1)[^\\\n]|\\.)*)\1/g;
/** Trailing `:` of a def/class header, with any comment lines before the body. */
const HEADER_COLON = /:\s*(?:#[^\n]*\s*)*$/;
const BLANK_OR_COMMENTS = /^(?:\s+|#[^\n]*)*$/;
const UPPER_CASE = /^_*[A-Z][A-Z0-9_]*$/;

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
/** Decorators that are not worth a call edge (they only change how the function binds). */
const PLAIN_DECORATORS = new Set(['staticmethod', 'classmethod', 'property', 'abstractmethod', 'override', 'overload', 'final']);

/** qualifiedName chains longer than this are cut (pathological nesting would make them quadratic). */
const MAX_QUALIFIED = 1000;
const MAX_QUALIFIER = 120;

interface Scope {
  readonly row: number;
  /** Start of the symbol (decorators included) and of the def/class keyword line. */
  readonly start: number;
  readonly defStart: number;
  readonly end: number;
  readonly kind: number;
  readonly name: string;
  readonly qname: string;
  readonly parent: Scope | undefined;
  flags: number;
  bodyStart: number;
  hasDoc: boolean;
  params?: Set<string>;
  globals?: Set<string>;
  locals?: Set<string>;
  /** Classes: field names already emitted (class-level and self.x in __init__). */
  fields?: Set<string>;
}

const enum Mode {
  typeRef,
  param,
  ret,
}

export function extractPython(ctx: ExtractContext): void {
  new PythonExtraction(ctx).run();
}

class PythonExtraction {
  private readonly text: string;
  private readonly b: ExtractContext['builder'];
  private readonly root: SyntaxNode;
  private readonly lines: LineIndex;
  private readonly stack: Scope[] = [];
  private readonly scopes = new ScopeIndex(0);
  private readonly scopeByRow = new Map<number, Scope>();
  private readonly seen = new Set<string>();
  private readonly branches: number[] = [];
  /** `start:end` of attributes that are a call's callee or a plain assignment target: not reads. */
  private readonly notReads = new Set<string>();
  private readonly selfAttrs: SyntaxNode[] = [];
  /** Start offsets of attribute/subscript assignment targets whose base is a bare name: true = augmented. */
  private readonly targetBases = new Map<number, boolean>();
  /** Start of a def/class already handled through its decorated_definition. */
  private handledDef = -1;
  private moduleNames = new Set<string>();
  private moduleHasDoc = false;

  constructor(ctx: ExtractContext) {
    this.text = ctx.text;
    this.b = ctx.builder;
    this.root = ctx.tree.rootNode;
    this.lines = new LineIndex(ctx.text);
  }

  run(): void {
    const captures = queryFor('python', QUERY).captures(this.root);
    const text = this.text;
    const stack = this.stack;
    let pendingMatches = 0;
    for (const cap of captures) {
      const node = cap.node;
      const start = node.startIndex;
      while (stack.length && (stack[stack.length - 1]?.end ?? 0) <= start) stack.pop();
      const top = stack[stack.length - 1];
      switch (cap.name) {
        case 'branch':
          if (node.type === 'case_clause' && pendingMatches > 0) pendingMatches--; // n cases = n-1 decisions
          else this.branches.push(start);
          break;
        case 'match':
          pendingMatches++;
          break;
        case 'call':
          this.call(node, start, top);
          break;
        case 'attr':
          // Only `self.x` matters; the text test is far cheaper than a query predicate.
          if (text.startsWith('self', start) && /[\s.]/.test(text[start + 4] ?? '')) this.selfAttrs.push(node);
          break;
        case 'decorated': {
          const def = node.lastChild;
          if (def && (def.type === 'function_definition' || def.type === 'class_definition')) {
            this.definition(def, def.startIndex, start, top);
            this.handledDef = def.startIndex;
          }
          break;
        }
        case 'def':
        case 'class':
          if (start !== this.handledDef) this.definition(node, start, start, top);
          break;
        case 'params':
          if (top && top.defStart < start && (top.kind === SymbolKind.function || top.kind === SymbolKind.method)) {
            this.params(node, top);
          }
          break;
        case 'return_type':
          if (top) this.types(text.slice(start, node.endIndex), start, top.row, Mode.ret, 0);
          break;
        case 'annotation':
          this.types(text.slice(start, node.endIndex), start, top?.row ?? 0, Mode.typeRef, 0);
          break;
        case 'doc':
          this.doc(node, start, top);
          break;
        case 'module_assign':
          this.assignment(node, start, undefined);
          break;
        case 'class_assign':
          if (top?.kind === SymbolKind.class) this.assignment(node, start, top);
          break;
        case 'type_alias':
          this.typeAlias(node, start, top);
          break;
        case 'import':
          this.importStatement(text.slice(start, node.endIndex), start, top?.row ?? 0);
          break;
        case 'import_from':
          this.importFrom(text.slice(start, node.endIndex), start, top?.row ?? 0);
          break;
        case 'global':
          if (top) {
            top.globals ??= new Set();
            DOTTED.lastIndex = 0;
            for (const m of text.slice(start + 6, node.endIndex).matchAll(DOTTED)) top.globals.add(m[0]);
          }
          break;
        case 'write':
        case 'write_aug':
          this.write(node, start, top, cap.name === 'write_aug');
          break;
        case 'error':
          for (const s of stack) {
            if (!(s.flags & SymbolFlag.hasError)) {
              s.flags |= SymbolFlag.hasError;
              this.b.setSymbolField(s.row, 'flags', s.flags);
            }
          }
          break;
      }
    }
    attributeComplexity(this.b, this.branches);
    this.selfReads();
    this.moduleNameRefs();
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
    const qname = pq === undefined ? name : pq.length > MAX_QUALIFIED ? `…${name}` : `${pq}.${name}`;
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
    this.scopeByRow.set(s.row, s);
  }

  /** A class or function; `symStart` includes its decorators. */
  private definition(node: SyntaxNode, defStart: number, symStart: number, top: Scope | undefined): void {
    const text = this.text;
    const isClass = node.type === 'class_definition';
    const re = isClass ? CLASS_NAME : DEF_NAME;
    re.lastIndex = defStart;
    let name = re.exec(text)?.[1];
    if (name === undefined) {
      const n = node.childForFieldName('name');
      name = n ? text.slice(n.startIndex, n.endIndex) : '';
    }
    if (!name) return; // a header too broken to name: its contents stay with the enclosing scope
    const end = node.endIndex;
    const body = node.childForFieldName('body');
    const bodyStart = body ? body.startIndex : end;
    const signature = cleanSignature(text.slice(symStart, bodyStart).replace(HEADER_COLON, ''));
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
    const scope: Scope = {
      row,
      start: symStart,
      defStart,
      end,
      kind,
      name,
      qname,
      parent: top,
      flags,
      bodyStart,
      hasDoc: false,
    };
    this.pushScope(scope);
    if (decorators) this.decoratorCalls(decorators, symStart, row);
    if (isClass) this.bases(node, row);
  }

  /** `@name` / `@a.b` decorators without arguments are calls of that name with the function. */
  private decoratorCalls(decorators: string, offset: number, row: number): void {
    PLAIN_DECORATOR.lastIndex = 0;
    for (const m of decorators.matchAll(PLAIN_DECORATOR)) {
      const path = (m[1] ?? '').replace(/\s+/g, '');
      const dot = path.lastIndexOf('.');
      const name = path.slice(dot + 1);
      if (PLAIN_DECORATORS.has(name) || /^(?:setter|getter|deleter)$/.test(name)) continue;
      const at = offset + (m.index ?? 0) + m[0].lastIndexOf(name);
      this.ref(RefKind.call, row, name, dot > 0 ? path.slice(0, dot) : undefined, undefined, at, 1);
    }
  }

  private bases(node: SyntaxNode, row: number): void {
    const list = node.childForFieldName('superclasses');
    if (!list) return;
    for (let c of list.namedChildren) {
      if (c.type === 'subscript') {
        const v = c.childForFieldName('value');
        if (!v) continue;
        c = v;
      }
      if (c.type !== 'identifier' && c.type !== 'attribute') continue; // metaclass=, *bases, calls
      const start = c.startIndex;
      const path = this.text.slice(start, c.endIndex).replace(/\s+/g, '');
      const dot = path.lastIndexOf('.');
      const name = path.slice(dot + 1);
      if (SKIPPED_BASES.has(name)) continue;
      this.ref(RefKind.inherits, row, name, dot > 0 ? path.slice(0, dot) : undefined, undefined, start + path.length - name.length, 0);
    }
  }

  private params(node: SyntaxNode, fn: Scope): void {
    const text = this.text;
    fn.params ??= new Set();
    let pos = 0;
    for (const p of node.namedChildren) {
      const t = p.type;
      if (t === 'keyword_separator' || t === 'positional_separator' || t === 'comment') continue;
      const start = p.startIndex;
      PARAM_NAME.lastIndex = start;
      const m = t === 'tuple_pattern' ? null : PARAM_NAME.exec(text);
      const name = m?.[1];
      if (name === 'self' || name === 'cls') continue; // the receiver is not a positional argument
      if (m && name !== undefined) {
        fn.params.add(name);
        this.ref(RefKind.param, fn.row, name, undefined, undefined, m.index + m[0].length - name.length, pos);
      }
      if (t === 'typed_parameter' || t === 'typed_default_parameter') {
        const type = p.childForFieldName('type');
        if (type) this.types(text.slice(type.startIndex, type.endIndex), type.startIndex, fn.row, Mode.param, pos);
      }
      pos++;
    }
  }

  private doc(node: SyntaxNode, start: number, top: Scope | undefined): void {
    const text = this.text;
    if (top) {
      // Only the first statement of the body is its docstring (comments may precede it).
      if (top.hasDoc || (top.kind !== SymbolKind.class && top.kind !== SymbolKind.function && top.kind !== SymbolKind.method)) {
        return;
      }
      if (!BLANK_OR_COMMENTS.test(text.slice(top.bodyStart, start))) return;
      top.hasDoc = true;
      const doc = docText(text.slice(start, node.endIndex));
      if (doc) this.b.setSymbolField(top.row, 'doc', this.b.intern(doc));
    } else {
      if (this.moduleHasDoc) return;
      this.moduleHasDoc = true;
      if (!BLANK_OR_COMMENTS.test(text.slice(0, start).replace(/^\uFEFF/, ''))) return;
      const doc = docText(text.slice(start, node.endIndex));
      if (doc) this.b.setSymbolField(0, 'doc', this.b.intern(doc));
    }
  }

  /** Module-level (`cls` undefined) or class-level assignment: variables, constants, fields, __all__. */
  private assignment(node: SyntaxNode, start: number, cls: Scope | undefined): void {
    const text = this.text;
    const end = node.endIndex;
    const left = node.childForFieldName('left');
    if (!left) return;
    const leftText = text.slice(left.startIndex, left.endIndex);
    if (node.type === 'augmented_assignment') {
      if (!cls && leftText === '__all__') this.allNames(node.childForFieldName('right'));
      return;
    }
    // Chained `A = B = value`: every target is a name.
    const targets: SyntaxNode[] = [];
    let cur: SyntaxNode | null = node;
    let right: SyntaxNode | null = null;
    while (cur && cur.type === 'assignment') {
      const l = cur === node ? left : cur.childForFieldName('left');
      if (l) {
        if (l.type === 'identifier') targets.push(l);
        else if (l.type === 'pattern_list' || l.type === 'tuple_pattern') {
          for (const c of l.namedChildren) if (c.type === 'identifier') targets.push(c);
        }
      }
      right = cur.childForFieldName('right');
      cur = right;
    }
    const firstLine = text.slice(start, end).split('\n', 1)[0] ?? '';
    const signature = cleanSignature(firstLine);
    let first: Scope | undefined;
    for (const t of targets) {
      const name = text.slice(t.startIndex, t.endIndex);
      if (cls) {
        cls.fields ??= new Set();
        if (cls.fields.has(name)) continue;
        cls.fields.add(name);
      } else if (this.moduleNames.has(name)) continue; // re-assignment: the first one defines it
      const kind = cls ? SymbolKind.field : UPPER_CASE.test(name) ? SymbolKind.constant : SymbolKind.variable;
      const flags = privacy(name);
      const { row, qname } = this.addSymbol(kind, name, cls, start, end, signature, flags);
      first ??= { row, start, defStart: start, end, kind, name, qname, parent: cls, flags, bodyStart: end, hasDoc: true };
    }
    // Refs on the right-hand side come from the (first) assigned symbol.
    if (first) this.pushScope(first);
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
      if (!name) continue;
      this.ref(RefKind.reexport, 0, name, undefined, undefined, start + (m.index ?? 0) + 1, 0);
    }
  }

  private typeAlias(node: SyntaxNode, start: number, top: Scope | undefined): void {
    TYPE_ALIAS_NAME.lastIndex = start;
    const name = TYPE_ALIAS_NAME.exec(this.text)?.[1];
    if (!name) return;
    const end = node.endIndex;
    const { row, qname } = this.addSymbol(
      SymbolKind.typeAlias,
      name,
      top,
      start,
      end,
      cleanSignature(this.text.slice(start, end).split('\n', 1)[0] ?? ''),
      privacy(name),
    );
    this.pushScope({ row, start, defStart: start, end, kind: SymbolKind.typeAlias, name, qname, parent: top, flags: 0, bodyStart: end, hasDoc: true });
  }

  // ---- references -----------------------------------------------------------------------

  private ref(
    kind: number,
    from: number,
    name: string,
    qualifier: string | undefined,
    alias: string | undefined,
    offset: number,
    aux: number,
  ): void {
    this.b.addRef({ kind, from, name, qualifier, alias, offset, line: this.lines.lineOf(offset), aux });
  }

  /** read/write refs are deduplicated per (kind, from, name, qualifier). */
  private refOnce(kind: number, from: number, name: string, qualifier: string, offset: number): void {
    const key = `${kind}\u0000${from}\u0000${name}\u0000${qualifier}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.ref(kind, from, name, qualifier, undefined, offset, 0);
  }

  private call(node: SyntaxNode, start: number, top: Scope | undefined): void {
    const fn = node.firstChild;
    if (!fn) return;
    const t = fn.type;
    if (t !== 'identifier' && t !== 'attribute') return; // f()(), handlers[k](), (lambda: 0)()
    const fnEnd = fn.endIndex;
    const raw = this.text.slice(start, fnEnd);
    let name = raw;
    let qualifier: string | undefined;
    if (t === 'attribute') {
      const dot = raw.lastIndexOf('.');
      name = raw.slice(dot + 1).trim();
      qualifier = normalizeQualifier(raw.slice(0, dot));
      this.notReads.add(`${start}:${fnEnd}`);
    }
    const args = node.lastChild;
    let argc = 0;
    if (args && args !== fn) {
      if (args.type === 'generator_expression') argc = 1;
      else {
        argc = args.namedChildCount;
        if (argc && this.text.slice(args.startIndex, args.endIndex).includes('#')) {
          argc = args.namedChildren.filter((c) => c.type !== 'comment').length;
        }
      }
    }
    this.ref(RefKind.call, top?.row ?? 0, name, qualifier, undefined, fnEnd - name.length, argc);
  }

  private write(node: SyntaxNode, start: number, top: Scope | undefined, augmented: boolean): void {
    const text = this.text;
    SELF_ATTR.lastIndex = start;
    const m = SELF_ATTR.exec(text);
    if (!m) {
      // `NAME[k] = v` / `NAME.attr = v`: a write of NAME if it is module-level (decided later).
      LEADING_ID.lastIndex = start;
      if (LEADING_ID.test(text)) this.targetBases.set(start, augmented);
      return;
    }
    const name = m[1] ?? '';
    const from = top?.row ?? 0;
    const baseEnd = start + m[0].length;
    this.refOnce(RefKind.write, from, name, 'self', baseEnd - name.length);
    if (augmented) return; // `self.x += 1` also reads x: left to the attribute pass
    this.notReads.add(`${start}:${baseEnd}`);
    // `self.x = ...` directly in __init__ declares a field of the class.
    const cls = top?.parent;
    if (top?.name !== '__init__' || top.kind !== SymbolKind.method || cls?.kind !== SymbolKind.class) return;
    if (node.endIndex !== baseEnd) return; // self.x.y = ..., self.x[i] = ...
    cls.fields ??= new Set();
    if (cls.fields.has(name)) return;
    cls.fields.add(name);
    const stmt = node.parent?.type === 'assignment' ? node.parent : node;
    const end = stmt.endIndex;
    const signature = cleanSignature(text.slice(start, end).split('\n', 1)[0] ?? '');
    this.addSymbol(SymbolKind.field, name, cls, start, end, signature, privacy(name));
  }

  private importStatement(stmt: string, offset: number, from: number): void {
    const body = blankComments(stmt).replace(/\\\r?\n/g, '  ');
    IMPORT_ITEM.lastIndex = 0;
    for (const m of body.slice(6).matchAll(IMPORT_ITEM)) {
      const module = (m[1] ?? '').replace(/\s+/g, '');
      const at = offset + 6 + (m.index ?? 0);
      this.ref(RefKind.import, from, '', module, m[2], at, 0);
    }
  }

  private importFrom(stmt: string, offset: number, from: number): void {
    const body = blankComments(stmt).replace(/\\\r?\n/g, '  ');
    FROM_HEAD.lastIndex = 0;
    const head = FROM_HEAD.exec(body);
    if (!head) return;
    const module = `${head[1] ?? ''}${head[2] ?? ''}`.replace(/\s+/g, '');
    if (!module) return;
    const rest = body.slice(head[0].length);
    FROM_ITEM.lastIndex = 0;
    for (const m of rest.matchAll(FROM_ITEM)) {
      const at = offset + head[0].length + (m.index ?? 0);
      this.ref(RefKind.import, from, m[1] ?? '', module, m[2], at, 0);
    }
  }

  /**
   * typeRef for every user-defined name in an annotation (builtins and typing names skipped,
   * `Literal[...]` contents skipped, string forward references read), plus paramType /
   * returnType for the first of them: the annotation's main user type.
   */
  private types(annotation: string, offset: number, from: number, mode: Mode, pos: number): void {
    let main = mode === Mode.typeRef;
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
      this.ref(RefKind.typeRef, from, name, qualifier, undefined, at, 0);
      if (!main) {
        main = true;
        this.ref(mode === Mode.param ? RefKind.paramType : RefKind.returnType, from, name, qualifier, undefined, at, pos);
      }
    }
  }

  /** `self.x` reads: every `self.x` attribute that is not a callee or a plain assignment target. */
  private selfReads(): void {
    const text = this.text;
    for (const node of this.selfAttrs) {
      const start = node.startIndex;
      const end = node.endIndex;
      if (this.notReads.has(`${start}:${end}`)) continue;
      SELF_ATTR.lastIndex = start;
      const m = SELF_ATTR.exec(text);
      if (!m || start + m[0].length !== end) continue;
      const name = m[1] ?? '';
      this.refOnce(RefKind.read, this.scopes.at(start), name, 'self', end - name.length);
    }
  }

  /**
   * Reads and writes of this module's own top-level names inside functions. One regex scan over
   * the outermost function ranges finds the candidates; each is confirmed as an identifier in
   * expression position by one node lookup. A name is a write only under a `global` declaration
   * or as the base of an attribute/subscript assignment; parameters and plain local assignments
   * of the name shadow it for the whole function.
   */
  private moduleNameRefs(): void {
    const names = [...this.moduleNames].filter((n) => n !== '__all__');
    if (!names.length) return;
    const ranges: [number, number][] = [];
    let lastEnd = -1;
    for (const s of this.scopeByRow.values()) {
      if ((s.kind === SymbolKind.function || s.kind === SymbolKind.method) && s.start >= lastEnd) {
        ranges.push([s.start, s.end]);
        lastEnd = s.end;
      }
    }
    if (!ranges.length) return;
    names.sort((a, b) => b.length - a.length);
    const re = new RegExp(`(?<![\\p{L}\\p{N}_.])(?:${names.join('|')})(?![\\p{L}\\p{N}_])`, 'gu');
    const text = this.text;
    const found: { at: number; name: string; row: number; fn: Scope; kind: number; alsoRead: boolean }[] = [];
    for (const [rs, rangeEnd] of ranges) {
      re.lastIndex = rs;
      let m: RegExpExecArray | null;
      while ((m = re.exec(text)) && m.index < rangeEnd) {
        const at = m.index;
        const name = m[0];
        const after = /^[ \t]*(.)/.exec(text.slice(at + name.length, at + name.length + 40))?.[1];
        if (after === '(') continue; // callee or def name: calls are their own refs
        const row = this.scopes.at(at);
        let fn = this.scopeByRow.get(row);
        while (fn && fn.kind !== SymbolKind.function && fn.kind !== SymbolKind.method) fn = fn.parent;
        if (!fn) continue;
        const base = this.targetBases.get(at);
        if (base !== undefined) {
          found.push({ at, name, row, fn, kind: RefKind.write, alsoRead: base });
          continue;
        }
        const node = this.root.descendantForIndex(at, at + name.length);
        if (node.type !== 'identifier' || node.startIndex !== at) continue; // string, comment
        const kind = this.classify(node, at, name, fn);
        if (kind === 'write') found.push({ at, name, row, fn, kind: RefKind.write, alsoRead: false });
        else if (kind === 'write+read') found.push({ at, name, row, fn, kind: RefKind.write, alsoRead: true });
        else if (kind === 'read') found.push({ at, name, row, fn, kind: RefKind.read, alsoRead: false });
      }
    }
    for (const f of found) {
      if (f.fn.params?.has(f.name)) continue;
      if (f.fn.locals?.has(f.name) && !f.fn.globals?.has(f.name)) continue;
      this.refOnce(f.kind, f.row, f.name, '', f.at);
      if (f.alsoRead) this.refOnce(RefKind.read, f.row, f.name, '', f.at);
    }
  }

  private classify(node: SyntaxNode, at: number, name: string, fn: Scope): 'read' | 'write' | 'write+read' | 'skip' {
    const p = node.parent;
    if (!p) return 'skip';
    const local = (): 'write' | 'skip' => {
      if (fn.globals?.has(name)) return 'write';
      fn.locals ??= new Set();
      fn.locals.add(name);
      return 'skip';
    };
    switch (p.type) {
      case 'attribute': // `NAME.x` reads NAME; `obj . NAME` is not NAME
        return p.startIndex === at ? 'read' : 'skip';
      case 'call': // the callee: calls are their own refs
        return p.startIndex === at ? 'skip' : 'read';
      case 'keyword_argument': // `f(NAME=...)`
      case 'default_parameter': // `def f(NAME=...)`
      case 'typed_default_parameter':
        return p.startIndex === at ? 'skip' : 'read';
      case 'named_expression': // `(NAME := ...)`
        return p.startIndex === at ? local() : 'read';
      case 'assignment':
        return p.startIndex === at ? local() : 'read';
      case 'augmented_assignment':
        if (p.startIndex !== at) return 'read';
        return fn.globals?.has(name) ? 'write+read' : local();
      case 'pattern_list':
      case 'tuple_pattern':
      case 'list_pattern':
      case 'as_pattern_target':
        return local();
      case 'for_statement':
      case 'for_in_clause':
        return p.childForFieldName('left')?.startIndex === at ? local() : 'read';
      case 'function_definition':
      case 'class_definition':
        // A nested def of the same name shadows it; the function's own name does not.
        return p.startIndex === fn.defStart ? 'skip' : local();
      case 'dotted_name':
      case 'aliased_import':
      case 'import_statement':
      case 'import_from_statement':
        return local();
      case 'global_statement':
      case 'nonlocal_statement':
      case 'parameters':
      case 'lambda_parameters':
      case 'typed_parameter':
      case 'list_splat_pattern':
      case 'dictionary_splat_pattern':
      case 'type':
      case 'generic_type':
      case 'type_parameter':
      case 'union_type':
      case 'member_type':
      case 'constrained_type':
      case 'splat_type':
      case 'decorator':
        return 'skip';
      default:
        return 'read';
    }
  }
}

function privacy(name: string): number {
  return name.startsWith('_') && !(name.startsWith('__') && name.endsWith('__') && name.length > 4)
    ? SymbolFlag.private
    : 0;
}

/** Docstring text: string prefix (r, u, b, f) dropped, quotes and indentation stripped. */
function docText(raw: string): string {
  return cleanDoc(raw.replace(/^[rRuUbBfF]{1,2}(?=["'])/, ''));
}

/** Receiver text as a qualifier: whitespace collapsed, cut when it is a long expression. */
function normalizeQualifier(raw: string): string | undefined {
  const q = raw.replace(/\s+/g, ' ').replace(/\s*\.\s*/g, '.').trim();
  if (!q) return undefined;
  return q.length > MAX_QUALIFIER ? `${q.slice(0, MAX_QUALIFIER - 1)}…` : q;
}

/** Replaces `# comments` with spaces (offsets kept). Only for statements with no strings (imports). */
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
