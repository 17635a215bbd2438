// What `analyze` takes as seeds and what the queries count as test code, on a small tree
// written here: helpers of Rust inline test modules are tests, a scoped package directory is
// named by its parts, and exception classes seed after the code that raises them.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { analyzeQuery, focusDirs, isExceptionCode } from '../src/query/analyze.js';
import { gatherContext, sameTextKey, type GravityTrace } from '../src/query/gravity.js';
import { resolveSymbol } from '../src/query/lookup.js';
import type { IndexSession } from '../src/query/session.js';
import { isTest } from '../src/query/symbol-info.js';
import {
  closeIndexedFixture,
  openIndexedFixture,
  writeTreeFile as write,
  type Workspace,
} from './helpers/workspace.js';

let ws: Workspace;
let session: IndexSession;

test.before(async () => {
  ({ ws, session } = await openIndexedFixture((dir) => {
    write(
      dir,
      'crates/table/src/raw.rs',
      `pub struct RawTable { items: usize }

impl RawTable {
    /// Grows the table and rehashes every item in place.
    pub fn rehash_in_place(&mut self) {
        self.items = self.items * 2;
    }
}

#[cfg(test)]
mod test_map {
    use super::*;

    fn rehash_in_place(table: &mut RawTable) {
        table.rehash_in_place();
    }

    #[test]
    fn rehash() {
        let mut t = RawTable { items: 1 };
        rehash_in_place(&mut t);
    }
}
`,
    );
    write(
      dir,
      'web/routing.py',
      `class HTTPException(Exception):
    """Base of the HTTP errors."""

    code = 500


class NotFound(HTTPException):
    """Raised when no rule matches the requested path: 404."""

    code = 404

    def describe(self):
        return "no rule matches the path"


class Router:
    def __init__(self, rules):
        self.rules = rules

    def match(self, path):
        """Match a request path against the rules; raise NotFound when no rule matches."""
        for rule in self.rules:
            if rule == path:
                return rule
        raise NotFound()
`,
    );
    const debounce = `function debounce(func, wait) {
  var timerId;
  var lastArgs;
  function debounced() {
    lastArgs = arguments;
    clearTimeout(timerId);
    timerId = setTimeout(function () {
      func.apply(undefined, lastArgs);
    }, wait);
  }
  return debounced;
}
`;
    // A project shipping its code twice: a module per function and the same text inside a
    // bundle with others (indented differently); short identical idioms in two other files.
    write(dir, 'js/kit/debounce.js', `${debounce}\nmodule.exports = debounce;\n`);
    write(
      dir,
      'js/kit/bundle.js',
      `;(function () {
  ${debounce.replace(/\n/g, '\n  ')}
  function chunk(array, size) {
    var out = [];
    for (var i = 0; i < array.length; i += size) out.push(array.slice(i, i + size));
    return out;
  }
  function compact(array) {
    return array.filter(Boolean);
  }
  this.kit = { debounce: debounce, chunk: chunk, compact: compact };
}.call(this));
`,
    );
    write(dir, 'js/kit/bytes.js', 'function makeDebouncer(spec) {\n  return build(spec);\n}\n');
    write(dir, 'js/kit/text.js', 'function makeDebouncer(spec) {\n  return build(spec);\n}\n');
  }));
});

test.after(() => closeIndexedFixture({ ws, session }));

function idOf(spec: string): number {
  return resolveSymbol(session, spec).chosen.id;
}

test('a helper in a Rust inline test module is test code; the code it tests is not', () => {
  const g = session.graph();
  const helper = idOf('crates/table/src/raw.rs:test_map.rehash_in_place');
  const method = idOf('crates/table/src/raw.rs:RawTable.rehash_in_place');
  const testFn = idOf('crates/table/src/raw.rs:test_map.rehash');
  assert.ok(isTest(g, testFn), 'the #[test] function');
  assert.ok(isTest(g, helper), 'the helper beside it, without #[test]');
  assert.not.ok(isTest(g, method));
  // Asked twice (memoised), the same answers.
  assert.ok(isTest(g, helper));
  assert.not.ok(isTest(g, method));
});

test('a Rust inline test helper is not a seed unless tests are asked for', () => {
  const q = 'how does the raw table rehash_in_place grow?';
  const r = analyzeQuery(session, q, { budget: 2000 });
  const names = r.seeds.map((s) => s.qualifiedName);
  assert.ok(names.includes('RawTable.rehash_in_place'), names.join(', '));
  assert.not.ok(names.includes('test_map.rehash_in_place'), names.join(', '));
  const withTests = analyzeQuery(session, q, { budget: 2000, includeTests: true });
  assert.ok(
    withTests.seeds.some((s) => s.qualifiedName === 'test_map.rehash_in_place'),
    withTests.seeds.map((s) => s.qualifiedName).join(', '),
  );
});

test('an exception class and its methods are exception code; the code raising them is not', () => {
  const g = session.graph();
  assert.ok(isExceptionCode(g, idOf('web/routing.py:HTTPException')), 'named …Exception');
  assert.ok(isExceptionCode(g, idOf('web/routing.py:NotFound')), 'inherits from one');
  assert.ok(isExceptionCode(g, idOf('web/routing.py:NotFound.describe')), 'a method of one');
  assert.not.ok(isExceptionCode(g, idOf('web/routing.py:Router')));
  assert.not.ok(isExceptionCode(g, idOf('web/routing.py:Router.match')));
});

test('an exception the question names seeds after the code that raises it', () => {
  const r = analyzeQuery(session, 'When does the router match raise NotFound?', { budget: 2000 });
  const names = r.seeds.map((s) => s.qualifiedName);
  const match = names.indexOf('Router.match');
  const notFound = names.indexOf('NotFound');
  assert.ok(match >= 0 && !isExceptionCode(session.graph(), r.seeds[0]?.id ?? -1), JSON.stringify(r.seeds));
  assert.ok(notFound < 0 || notFound > match, JSON.stringify(r.seeds));
  for (const s of r.seeds) {
    if (isExceptionCode(session.graph(), s.id)) assert.ok(s.score <= 0.5, JSON.stringify(s));
  }
});

test('a scoped package directory is named by its parts, all of them but the generic ones', () => {
  const paths = [
    'typescript/tanstack__query-core-5.108.0/src/query.ts',
    'typescript/tanstack__react-query-5.108.0/src/useQuery.ts',
    'typescript/tanstack__router-core-1.171.39/src/router.ts',
    'rust/tokio-1.24.2/src/lib.rs',
    'rust/tokio-util-0.7.3/src/lib.rs',
    ...Array.from({ length: 40 }, (_, i) => `python/tool${i}/main.py`),
  ];
  assert.equal(focusDirs(paths, "How does TanStack Query's Query.fetch retry a failed fetch?"), [
    'typescript/tanstack__query-core-5.108.0/',
  ]);
  // Every non-generic part must be in the question: `react` names the React package.
  assert.equal(focusDirs(paths, 'How does TanStack react Query render?'), [
    'typescript/tanstack__query-core-5.108.0/',
    'typescript/tanstack__react-query-5.108.0/',
  ]);
  // The product name alone names its family (confirmFocus picks among them by the search's hits).
  assert.equal(focusDirs(paths, 'How does TanStack render a page?'), [
    'typescript/tanstack__query-core-5.108.0/',
    'typescript/tanstack__react-query-5.108.0/',
    'typescript/tanstack__router-core-1.171.39/',
  ]);
  // One non-generic part is not enough: `tokio` names tokio, not tokio-util.
  assert.equal(focusDirs(paths, 'How does tokio spawn a task?'), ['rust/tokio-1.24.2/']);
});

test('a product name that is no directory name names its family of packages', () => {
  const paths = [
    'typescript/prosemirror-model-1.25.13/src/from_dom.ts',
    'typescript/prosemirror-state-1.4.4/src/state.ts',
    'typescript/prosemirror-transform-1.12.6/src/replace.ts',
    'typescript/prosemirror-view-1.42.9/src/index.ts',
    'typescript/tiptap__core-3.34.0/src/Editor.ts',
    'typescript/tiptap__core-3.34.0/src/commands/focus.ts',
    'rust/clap-4.0.32/src/lib.rs',
    'rust/clap_derive-4.0.21/src/lib.rs',
    ...Array.from({ length: 40 }, (_, i) => `python/tool${i}/main.py`),
  ];
  assert.equal(focusDirs(paths, "How does ProseMirror's DOMParser.parse read a DOM tree?"), [
    'typescript/prosemirror-model-1.25.13/',
    'typescript/prosemirror-state-1.4.4/',
    'typescript/prosemirror-transform-1.12.6/',
    'typescript/prosemirror-view-1.42.9/',
  ]);
  // A member named by all its parts is named alone.
  assert.equal(focusDirs(paths, 'How does the ProseMirror view redraw?'), [
    'typescript/prosemirror-view-1.42.9/',
  ]);
  // `core` is generic: "tiptap" names `tiptap__core`, which holds the `commands/` the question also names.
  assert.equal(focusDirs(paths, "How do tiptap's commands chain?"), ['typescript/tiptap__core-3.34.0/']);
  // A name that is a directory's whole name keeps it: `clap` is not `clap_derive`.
  assert.equal(focusDirs(paths, 'How does clap parse the arguments?'), ['rust/clap-4.0.32/']);
});

test('a project named by two words written together wins over the one named by the first alone', () => {
  const paths = [
    'typescript/redux-5.0.1/src/createStore.ts',
    'typescript/reduxjs__toolkit-2.14.0/src/createSlice.ts',
    'typescript/reduxjs__toolkit-2.14.0/src/query/core.ts',
    'rust/tracing-0.1.37/src/lib.rs',
    'rust/tracing-subscriber-0.3.16/src/fmt.rs',
    ...Array.from({ length: 40 }, (_, i) => `python/tool${i}/main.py`),
  ];
  // `reduxjs` is `redux` with a language suffix; "Redux Toolkit" is one name, not Redux.
  assert.equal(focusDirs(paths, "How does Redux Toolkit's createSlice build a reducer?"), [
    'typescript/reduxjs__toolkit-2.14.0/',
  ]);
  assert.equal(focusDirs(paths, 'How does Redux dispatch an action?'), ['typescript/redux-5.0.1/']);
  // Apart, the words name both: `subscriber` is a common noun here.
  assert.equal(focusDirs(paths, 'How does a tracing event reach the current subscriber?'), [
    'rust/tracing-0.1.37/',
    'rust/tracing-subscriber-0.3.16/',
  ]);
});

test('a function shipped twice seeds once, from its own module; a short idiom twice is two seeds', () => {
  const r = analyzeQuery(session, 'how does debounce delay the calls until the wait is over?', {
    budget: 2000,
  });
  const copies = r.seeds.filter((s) => s.qualifiedName === 'debounce');
  assert.equal(
    copies.map((s) => s.file),
    ['js/kit/debounce.js'],
    JSON.stringify(r.seeds),
  );
  const shown = r.bundle.files.flatMap((f) => f.symbols.map((s) => `${s.file}:${s.qualifiedName}`));
  assert.equal(shown.filter((x) => x.endsWith(':debounce')).length, 1, shown.join(', '));
  const idiom = analyzeQuery(session, 'makeDebouncer', { budget: 2000 });
  assert.equal(
    idiom.seeds.filter((s) => s.qualifiedName === 'makeDebouncer').length,
    2,
    JSON.stringify(idiom.seeds),
  );
});

test('gravity shows one copy of a text met twice, whitespace aside, and says why the other is not shown', () => {
  const a = idOf('js/kit/debounce.js:debounce');
  const b = idOf('js/kit/bundle.js:debounce');
  const trace: GravityTrace = { reached: new Map(), fate: new Map() };
  const bundle = gatherContext(
    session,
    [
      { id: b, score: 1 },
      { id: a, score: 1 },
    ],
    { budget: 2000, relevance: () => 0.5, title: 'copies', trace },
  );
  const ids = bundle.files.flatMap((f) => f.symbols.map((s) => s.id));
  assert.ok(ids.includes(a) !== ids.includes(b), JSON.stringify(ids));
  assert.equal([trace.fate.get(a), trace.fate.get(b)].filter((f) => f === 'duplicate').length, 1);
  assert.equal(sameTextKey('f(x) {\n    return 1;\n}'), undefined, 'short texts are not copies');
  const long = `function f(x) {\n${'  x = x + 1;\n'.repeat(20)}}`;
  assert.equal(sameTextKey(long), sameTextKey(long.replace(/\n/g, '\n    ')));
});

test.run();
