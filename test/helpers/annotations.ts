// Expectations written in fixture comments, checked against a file's extracted fragment.
// Language-agnostic: the caller gives the comment prefix ('#', '//').
//
// One annotation per comment; the comment may trail code. Forms:
//
//   <prefix> @symbol <kind> <qualifiedName> [key=value ...]   a symbol with these properties exists
//   <prefix> @no-symbol <kind|*> <qualifiedName>              no such symbol exists
//   <prefix> @ref <kind> [key=value ...]                     a reference with these columns exists
//   <prefix> @no-ref <kind> [key=value ...]                  no reference matches (a false edge)
//   <prefix> @symbols-exhaustive                             the @symbol lines list every symbol
//
// kind is a SymbolKind / RefKind name from protocol.ts. Values are bare words or JSON strings
// ("a b"). `<none>` stands for NONE (no string, no row); `<module>` for row 0; `.` as a line
// value for the annotation's own line. Keys (unlisted columns are not checked):
//   symbols: parent (qualified name | <module>), name, sig, doc, complexity, line (1-based start
//            line), flags (the exact flag set, comma-separated names), has / lacks (flags that
//            must be set / unset); `key~=value` checks a substring (sig, doc).
//   refs:    from (qualified name | <module> | <none>), name, qualifier, alias, aux, line,
//            count (the exact number of matching rows; default: at least one).

import type { FragmentReader } from '../../src/graph/fragment.js';
import { NONE, REF_KIND_NAMES, SYMBOL_KIND_NAMES, SymbolFlag } from '../../src/protocol.js';

export interface Annotation {
  readonly directive: 'symbol' | 'no-symbol' | 'ref' | 'no-ref' | 'symbols-exhaustive';
  /** Symbol or ref kind name ('*' = any, for @no-symbol). */
  readonly kind: string;
  /** The qualified name, for symbol directives. */
  readonly subject: string;
  /** key -> expected value; a key ending in '~' is a substring check. */
  readonly props: ReadonlyMap<string, string>;
  /** 1-based line of the annotation in the fixture. */
  readonly line: number;
  readonly source: string;
}

const DIRECTIVE = /@(symbol|no-symbol|ref|no-ref|symbols-exhaustive)\b(.*)$/;
const TOKEN = /([\w-]+)(~?=)("(?:[^"\\]|\\.)*"|\S*)|("(?:[^"\\]|\\.)*"|\S+)/g;

/** Parses every annotation in `text` whose comment starts with `commentPrefix`. */
export function parseAnnotations(text: string, commentPrefix: string): Annotation[] {
  const out: Annotation[] = [];
  const lines = text.split(/\r?\n/);
  const marker = `${commentPrefix} @`;
  lines.forEach((lineText, i) => {
    const at = lineText.indexOf(marker);
    if (at < 0) return;
    const m = DIRECTIVE.exec(lineText.slice(at + commentPrefix.length));
    if (!m) return;
    const directive = m[1] as Annotation['directive'];
    const positional: string[] = [];
    const props = new Map<string, string>();
    for (const t of (m[2] ?? '').matchAll(TOKEN)) {
      if (t[1] !== undefined) {
        let value = unquote(t[3] ?? '');
        if (t[1] === 'line' && value === '.') value = String(i + 1);
        props.set(t[2] === '~=' ? `${t[1]}~` : t[1], value);
      } else positional.push(unquote(t[4] ?? ''));
    }
    const isSymbol = directive === 'symbol' || directive === 'no-symbol';
    out.push({
      directive,
      kind: positional[0] ?? '',
      subject: isSymbol ? (positional[1] ?? '') : '',
      props,
      line: i + 1,
      source: lineText.slice(at).trim(),
    });
  });
  return out;
}

function unquote(v: string): string {
  return v.startsWith('"') ? (JSON.parse(v) as string) : v;
}

const FLAG_NAMES: [string, number][] = Object.entries(SymbolFlag);

function flagNames(flags: number): string[] {
  return FLAG_NAMES.filter(([, bit]) => (flags & bit) !== 0).map(([n]) => n);
}

function flagBits(names: string, line: number): number {
  let bits = 0;
  for (const n of names.split(',').filter(Boolean)) {
    const bit = (SymbolFlag as Record<string, number>)[n];
    if (bit === undefined) throw new Error(`line ${line}: unknown flag ${n}`);
    bits |= bit;
  }
  return bits;
}

function rowName(f: FragmentReader, row: number): string {
  if (row === NONE) return '<none>';
  if (row === 0) return '<module>';
  return f.symStr(row, 'qualifiedName') ?? '?';
}

function str(v: string | undefined): string {
  return v === undefined ? '<none>' : v;
}

function symbolMatches(f: FragmentReader, row: number, a: Annotation): boolean {
  if (a.kind !== '*' && SYMBOL_KIND_NAMES[f.sym(row, 'kind')] !== a.kind) return false;
  if (f.symStr(row, 'qualifiedName') !== a.subject) return false;
  for (const [key, want] of a.props) {
    const flags = f.sym(row, 'flags');
    switch (key) {
      case 'parent':
        if (rowName(f, f.sym(row, 'parent')) !== want) return false;
        break;
      case 'name':
      case 'sig':
      case 'doc':
        if (str(f.symStr(row, key === 'sig' ? 'signature' : key)) !== want) return false;
        break;
      case 'sig~':
      case 'doc~':
        if (!(f.symStr(row, key === 'sig~' ? 'signature' : 'doc') ?? '').includes(want)) return false;
        break;
      case 'complexity':
        if (f.sym(row, 'complexity') !== Number(want)) return false;
        break;
      case 'line':
        if (f.sym(row, 'startLine') + 1 !== Number(want)) return false;
        break;
      case 'flags':
        if (flags !== flagBits(want, a.line)) return false;
        break;
      case 'has': {
        const bits = flagBits(want, a.line);
        if ((flags & bits) !== bits) return false;
        break;
      }
      case 'lacks':
        if ((flags & flagBits(want, a.line)) !== 0) return false;
        break;
      default:
        throw new Error(`line ${a.line}: unknown symbol key ${key}`);
    }
  }
  return true;
}

function refMatches(f: FragmentReader, row: number, a: Annotation): boolean {
  if (REF_KIND_NAMES[f.ref(row, 'kind')] !== a.kind) return false;
  for (const [key, want] of a.props) {
    switch (key) {
      case 'from':
        if (rowName(f, f.ref(row, 'from')) !== want) return false;
        break;
      case 'name':
      case 'qualifier':
      case 'alias':
        if (str(f.refStr(row, key)) !== want) return false;
        break;
      case 'aux':
        if (f.ref(row, 'aux') !== Number(want)) return false;
        break;
      case 'line':
        if (f.ref(row, 'line') + 1 !== Number(want)) return false;
        break;
      case 'count':
        break;
      default:
        throw new Error(`line ${a.line}: unknown ref key ${key}`);
    }
  }
  return true;
}

/** Checks every annotation; returns one message per failed annotation (empty = all hold). */
export function checkAnnotations(f: FragmentReader, annotations: readonly Annotation[]): string[] {
  const failures: string[] = [];
  const symbolRows = Array.from({ length: f.symbolCount - 1 }, (_, i) => i + 1);
  const refRows = Array.from({ length: f.refCount }, (_, i) => i);
  for (const a of annotations) {
    let ok = true;
    switch (a.directive) {
      case 'symbol':
        ok = symbolRows.some((r) => symbolMatches(f, r, a));
        break;
      case 'no-symbol':
        ok = !symbolRows.some((r) => symbolMatches(f, r, { ...a, props: new Map() }));
        break;
      case 'ref': {
        const n = refRows.filter((r) => refMatches(f, r, a)).length;
        const count = a.props.get('count');
        ok = count === undefined ? n > 0 : n === Number(count);
        break;
      }
      case 'no-ref':
        ok = !refRows.some((r) => refMatches(f, r, a));
        break;
      case 'symbols-exhaustive': {
        const declared = new Set(
          annotations.filter((x) => x.directive === 'symbol').map((x) => `${x.kind} ${x.subject}`),
        );
        const extra = symbolRows
          .map((r) => `${SYMBOL_KIND_NAMES[f.sym(r, 'kind')]} ${f.symStr(r, 'qualifiedName')}`)
          .filter((k) => !declared.has(k));
        if (extra.length) {
          failures.push(`line ${a.line}: symbols not declared by @symbol: ${[...new Set(extra)].join(', ')}`);
        }
        continue;
      }
    }
    if (!ok) failures.push(`line ${a.line}: ${a.source}`);
  }
  return failures;
}

/** The fragment in annotation syntax (every symbol and ref), for failure output and for writing fixtures. */
export function describeFragment(f: FragmentReader): string {
  const out: string[] = [];
  for (let r = 1; r < f.symbolCount; r++) {
    const flags = flagNames(f.sym(r, 'flags'));
    out.push(
      [
        `@symbol ${SYMBOL_KIND_NAMES[f.sym(r, 'kind')]} ${f.symStr(r, 'qualifiedName')}`,
        `parent=${rowName(f, f.sym(r, 'parent'))}`,
        `line=${f.sym(r, 'startLine') + 1}`,
        `complexity=${f.sym(r, 'complexity')}`,
        `flags=${flags.join(',')}`,
        `sig=${JSON.stringify(f.symStr(r, 'signature') ?? '')}`,
        f.sym(r, 'doc') === NONE ? '' : `doc=${JSON.stringify(f.symStr(r, 'doc'))}`,
      ]
        .filter(Boolean)
        .join(' '),
    );
  }
  for (let r = 0; r < f.refCount; r++) {
    const q = f.refStr(r, 'qualifier');
    const alias = f.refStr(r, 'alias');
    out.push(
      [
        `@ref ${REF_KIND_NAMES[f.ref(r, 'kind')]} from=${rowName(f, f.ref(r, 'from'))}`,
        `name=${JSON.stringify(f.refStr(r, 'name') ?? '')}`,
        `qualifier=${q === undefined ? '<none>' : JSON.stringify(q)}`,
        alias === undefined ? '' : `alias=${JSON.stringify(alias)}`,
        `aux=${f.ref(r, 'aux')} line=${f.ref(r, 'line') + 1}`,
      ]
        .filter(Boolean)
        .join(' '),
    );
  }
  return out.join('\n');
}

/** The row of the first symbol with this qualified name; throws with a dump when there is none. */
export function symbolRow(f: FragmentReader, qname: string): number {
  for (let r = 1; r < f.symbolCount; r++) if (f.symStr(r, 'qualifiedName') === qname) return r;
  throw new Error(`no symbol ${qname}:\n${describeFragment(f)}`);
}

/** One reference row with its strings decoded. */
export interface RefRow {
  from: number;
  name: string;
  qualifier: string | undefined;
  alias: string | undefined;
  offset: number;
  line: number;
  aux: number;
}

/** Every reference of one RefKind, in fragment order. */
export function refsOfKind(f: FragmentReader, kind: number): RefRow[] {
  const out: RefRow[] = [];
  for (let r = 0; r < f.refCount; r++) {
    if (f.ref(r, 'kind') !== kind) continue;
    out.push({
      from: f.ref(r, 'from'),
      name: f.refStr(r, 'name') ?? '',
      qualifier: f.refStr(r, 'qualifier'),
      alias: f.refStr(r, 'alias'),
      offset: f.ref(r, 'offset'),
      line: f.ref(r, 'line'),
      aux: f.ref(r, 'aux'),
    });
  }
  return out;
}
