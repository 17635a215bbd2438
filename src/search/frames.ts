// Pasted bug reports: the stack frames in them (Python tracebacks, JS/TS stack traces, Rust
// panics and backtraces, `path:line:col` locations of compiler and lint errors) as file,
// line and function names a search can look up exactly, and the report's text without the
// noise a log adds (install prefixes of paths, hex addresses, timestamps). Any thread; pure.

/** One frame of a report: what it names, and how far it is from where the error was raised. */
export interface Frame {
  /** The frame's path as written, with an install prefix (site-packages/, node_modules/…) cut. */
  file: string | undefined;
  /** 1-based line, when the frame gives one. */
  line: number | undefined;
  /** The function's own name (`prepare_url`, `use`, `from_ymd`). */
  func: string | undefined;
  /** What qualifies it (`NaiveDate` of `chrono::naive::date::NaiveDate::from_ymd`), if anything. */
  qualifier: string | undefined;
  /** 0 for the frame that raised, 1 for its caller, and so on (per trace). */
  depth: number;
}

/** At most this many frames are looked up (a report may paste a thousand-frame recursion). */
export const MAX_FRAMES = 24;

const SOURCE_EXT = 'py|pyi|rs|js|mjs|cjs|jsx|ts|tsx|mts|cts';
const PY_FRAME = /File "([^"\n]+)", line (\d+)(?:, in ([\w.<>]+))?/g;
const JS_FRAME = new RegExp(
  String.raw`^[ \t]*at (?:async )?(?:new )?(?:([^\s()][^()\n]*?) \()?((?:file:\/\/)?[^\s()]+?\.(?:${SOURCE_EXT})):(\d+)(?::\d+)?\)?[ \t]*$`,
  'gm',
);
// `  3: chrono::naive::date::NaiveDate::from_ymd` (the hash suffix `::h1a2b…` is dropped).
const RUST_FRAME = /^[ \t]*\d+:[ \t]+(?:0x[0-9a-f]+ - )?([\w<>]+(?:::[\w<>{}]+)+)/gm;
// One greedy class, not a lazy prefix: a 64 KB report's scan costs ~1 ms instead of ~7.
const FILE_LINE = new RegExp(String.raw`([\w.@~+/\\-]+\.(?:${SOURCE_EXT})):(\d+)(?::\d+)?`, 'g');
// An error line as a report pastes it (`ValueError: …`, `Error: …`, `error[E0308]: …`), not an
// error type a question mentions ("where is KeyError raised").
const EXCEPTION =
  /\b[A-Z]\w*(?:Error|Exception|Exit)\b(?:\[\w+\])?: |\berror\[E\d{4}\]|panicked at|Traceback \(most recent call last\)/;

/** Frames of the runtime or the language itself: where errors are raised, never the bug. */
const RUNTIME_FUNC =
  /^(?:rust_begin_unwind|__rust_\w+|panic_fmt|panic_display|panic_bounds_check|expect_failed|unwrap_failed|begin_panic\w*|<module>|<anonymous>|Module\._compile|processTicksAndRejections)$/;
const RUNTIME_RUST = /^(?:std|core|alloc|backtrace|panic_unwind)::/;
const RUNTIME_PATH = /^(?:node:|internal\/)/;

/** Install prefixes cut from a frame's path: what follows is the package's own path. */
const INSTALL_PREFIX =
  /^.*(?:\/(?:site|dist)-packages\/|\/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?|\/registry\/src\/[^/]+\/|\/lib\/python\d(?:\.\d+)?\/|\/rustc\/[0-9a-f]+\/library\/)/;

/** True when a query reads like a pasted error: a frame, an exception type, a panic. */
export function looksLikeBugReport(query: string, frames: readonly Frame[]): boolean {
  return frames.length > 0 || EXCEPTION.test(query);
}

/** The part of a path after its install prefix (`/usr/lib/python3.11/site-packages/a/b.py` → `a/b.py`). */
export function packagePath(path: string): string {
  const p = path.replace(/^file:\/\//, '').replace(/\\/g, '/');
  return p.replace(INSTALL_PREFIX, '');
}

/**
 * The frames of a report, innermost first within each trace kind, at most MAX_FRAMES. Frames
 * of the runtime (Node internals, std/core, the panic machinery) are left out.
 */
export function parseFrames(query: string): Frame[] {
  const out: Frame[] = [];
  const taken: [number, number][] = [];
  const push = (f: Frame): void => {
    if (out.length < MAX_FRAMES * 4) out.push(f);
  };
  // Python: outermost first, so depth counts from the end.
  const py = [...query.matchAll(PY_FRAME)];
  py.forEach((m, i) => {
    taken.push([m.index, m.index + m[0].length]);
    const func = m[3];
    push({
      file: packagePath(m[1]!),
      line: Number(m[2]),
      func: func && !RUNTIME_FUNC.test(func) ? func.split('.').pop() : undefined,
      qualifier: func?.includes('.') ? func.split('.').slice(0, -1).join('.') : undefined,
      depth: py.length - 1 - i,
    });
  });
  let depth = 0;
  for (const m of query.matchAll(JS_FRAME)) {
    taken.push([m.index, m.index + m[0].length]);
    const path = m[2]!;
    if (RUNTIME_PATH.test(path)) continue;
    const { func, qualifier } = jsName(m[1]);
    push({ file: packagePath(path), line: Number(m[3]), func, qualifier, depth: depth++ });
  }
  depth = 0;
  for (const m of query.matchAll(RUST_FRAME)) {
    taken.push([m.index, m.index + m[0].length]);
    const path = m[1]!.replace(/::h[0-9a-f]{16}$/, '');
    if (RUNTIME_RUST.test(path)) continue;
    const parts = path.split('::').filter((p) => !p.startsWith('{{') && !p.startsWith('<'));
    const func = parts.pop();
    if (!func || RUNTIME_FUNC.test(func)) continue;
    const type = parts.length > 0 && /^[A-Z]/.test(parts[parts.length - 1]!) ? parts.pop() : undefined;
    push({ file: undefined, line: undefined, func, qualifier: type ?? parts.pop(), depth: depth++ });
  }
  // Any other `path:line[:col]` (a panic's location, `--> src/main.rs:3:5`, an eslint line).
  depth = 0;
  for (const m of query.matchAll(FILE_LINE)) {
    if (taken.some(([a, b]) => m.index >= a && m.index < b)) continue;
    if (RUNTIME_PATH.test(m[1]!)) continue;
    push({
      file: packagePath(m[1]!),
      line: Number(m[2]),
      func: undefined,
      qualifier: undefined,
      depth: depth++,
    });
  }
  return out.sort((a, b) => a.depth - b.depth).slice(0, MAX_FRAMES);
}

/** `Function.use` → use (qualifier dropped: Node's own), `Immer.produce` → produce, Immer. */
function jsName(raw: string | undefined): { func: string | undefined; qualifier: string | undefined } {
  if (!raw) return { func: undefined, qualifier: undefined };
  const name = raw.replace(/ \[as [^\]]+\]$/, '').trim();
  if (name.includes('<anonymous>')) return { func: undefined, qualifier: undefined };
  const parts = name.split('.').filter((p) => p !== '' && p !== '<anonymous>');
  const func = parts.pop();
  if (!func || !/^[A-Za-z_$][\w$]*$/.test(func) || RUNTIME_FUNC.test(name))
    return { func: undefined, qualifier: undefined };
  const q = parts.filter((p) => !/^(?:Function|Object|Module|exports|module|process)$/.test(p));
  return { func, qualifier: q.length > 0 ? q.join('.') : undefined };
}

/**
 * A report's text for lexical and vector search: install prefixes of paths, hex addresses,
 * hashes and timestamps removed (`/usr/lib/python3.11/site-packages/` matched `site.py`).
 */
export function cleanReport(query: string): string {
  return query
    .replace(/(?:file:\/\/)?(?:[A-Za-z]:)?[\w.@~+\\-]*(?:[/\\][\w.@~+-]+)+/g, (p) => packagePath(p))
    .replace(/\bnode:internal\/\S+/g, ' ')
    .replace(/\b0x[0-9a-fA-F]+\b/g, ' ')
    .replace(/\b[0-9a-f]{12,}\b/g, ' ')
    .replace(/\b\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?Z?\b/g, ' ')
    .replace(/\b\d{6} \d\d:\d\d:\d\d\b/g, ' ');
}
