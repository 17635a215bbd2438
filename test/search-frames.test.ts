// Pasted bug reports (bench/search/README.md, "Stack frames"): the frames of a Python
// traceback, a JS stack trace and a Rust backtrace name the function that raised, which must
// be the first hit and get the frame bonus (the full bonus for the frame that raised, less for
// its callers), while a competitor whose doc repeats the report's words gets none; a 64 KB
// report answers with a bounded number of terms and frames.
// Also the pure parser (parseFrames, packagePath, cleanReport) on its own.

import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { IndexSession } from '../src/query/session.js';
import { MAX_QUERY_BYTES, searchIndex, type SearchOptions } from '../src/query/search.js';
import { cleanReport, MAX_FRAMES, packagePath, parseFrames } from '../src/search/frames.js';
import { routeQuery } from '../src/search/route.js';
import { MAX_QUERY_TERMS } from '../src/search/terms.js';
import { closeIndexedFixture, openIndexedFixture, type Workspace } from './helpers/workspace.js';

let ws: Workspace;
let session: IndexSession;

const MODELS = `class Prepared:
    def prepare(self, url):
        self.prepare_url(url)
        return self

    def prepare_url(self, url):
        scheme, rest = url.split(":", 1)
        host = rest.lstrip("/").split("/", 1)[0]
        if not host:
            raise InvalidURL(url)
        self.url = url
`;
const URLTOOLS = `def check_host_supplied(url):
    """Raise InvalidURL when no host supplied in the URL: an invalid URL without a host.

    InvalidURL: Invalid URL, no host supplied. Checks the URL host is supplied.
    """
    if "//" not in url:
        raise ValueError("Invalid URL: no host supplied")
    return True
`;
const PROVIDER = `export const ThingContext = { current: undefined as unknown };

export function useThing(thing?: unknown) {
  const got = thing ?? ThingContext.current;
  if (!got) {
    throw new Error('No Thing set');
  }
  return got;
}
`;
const THING_DOCS = `/** No Thing set: use the Thing provider to set one. Error when no Thing set. */
export function explainMissingThing(): string {
  return 'No Thing set, use the Thing provider to set one';
}
`;
const DATE_RS = `pub struct Date { days: i32 }

impl Date {
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Date {
        Date::from_ymd_opt(year, month, day).expect("invalid or out-of-range date")
    }

    pub fn from_ymd_opt(year: i32, month: u32, day: u32) -> Option<Date> {
        if month > 12 || day > 31 { return None; }
        Some(Date { days: year * 365 + (month as i32) * 31 + day as i32 })
    }
}

/// Invalid or out-of-range date: explains why a date is invalid or out of range.
pub fn explain_out_of_range_date(year: i32) -> String {
    format!("invalid or out-of-range date in {}", year)
}
`;

test.before(async () => {
  ({ ws, session } = await openIndexedFixture((dir) => {
    const files: Record<string, string> = {
      'py/netlib/models.py': MODELS,
      'py/other/urltools.py': URLTOOLS,
      'ts/thing/src/Provider.tsx': PROVIDER,
      'ts/docs/src/missing.ts': THING_DOCS,
      'rs/datecrate/src/date.rs': DATE_RS,
    };
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), text);
    }
  }));
});

test.after(() => closeIndexedFixture({ ws, session }));

function top(query: string, opts: SearchOptions = {}): string[] {
  return searchIndex(session, query, { limit: 5, ...opts }).hits.map((h) => `${h.file}#${h.qualifiedName}`);
}

/** The name/frame part of each hit's score, and the route's frame weight. */
function bonus(query: string): { frame: number; of: (key: string) => number | undefined } {
  const r = searchIndex(session, query, { limit: 50 });
  const parts = new Map(r.hits.map((h) => [`${h.file}#${h.qualifiedName}`, h.parts.name]));
  return { frame: r.weights.frame, of: (key) => parts.get(key) };
}

const PY_REPORT = `Traceback (most recent call last):
  File "/srv/app/sync.py", line 88, in fetch_page
    resp = client.prepare(base + path)
  File "/usr/lib/python3.11/site-packages/netlib/models.py", line 3, in prepare
    self.prepare_url(url)
  File "/usr/lib/python3.11/site-packages/netlib/models.py", line 10, in prepare_url
    raise InvalidURL(url)
netlib.errors.InvalidURL: Invalid URL 'https:///x': No host supplied`;

test('a traceback frame (file, line, function) finds its function', () => {
  assert.is(routeQuery(PY_REPORT).intent, 'bug');
  const got = top(PY_REPORT);
  assert.is(got[0], 'py/netlib/models.py#Prepared.prepare_url', got.join(', '));
  const b = bonus(PY_REPORT);
  assert.ok(b.frame > 0);
  assert.is(b.of('py/netlib/models.py#Prepared.prepare_url'), b.frame);
  // The caller's frame (one further from the raise) gets less; the competitor nothing.
  const caller = b.of('py/netlib/models.py#Prepared.prepare') ?? 0;
  assert.ok(caller > 0 && caller < b.frame, String(caller));
  assert.is(b.of('py/other/urltools.py#check_host_supplied'), 0);
  // A frame outside the index (/srv/app/sync.py) names nothing, and without frames no bonus.
  assert.is(
    bonus('netlib.errors.InvalidURL: Invalid URL: No host supplied').of(
      'py/netlib/models.py#Prepared.prepare_url',
    ) ?? 0,
    0,
  );
});

test('a JS stack frame with a bare file name finds its function', () => {
  const q = `Error: No Thing set, use the Thing provider to set one
    at useThing (Provider.tsx:6:11)
    at Object.<anonymous> (/srv/web/App.tsx:12:30)
    at renderWithHooks (node:internal/render:16305:18)`;
  const got = top(q);
  assert.is(got[0], 'ts/thing/src/Provider.tsx#useThing', got.join(', '));
  const b = bonus(q);
  assert.is(b.of('ts/thing/src/Provider.tsx#useThing'), b.frame);
  assert.is(b.of('ts/docs/src/missing.ts#explainMissingThing'), 0);
});

test('a Rust backtrace line names a method by its type, without a file', () => {
  const q = `thread 'main' panicked at 'invalid or out-of-range date', /home/u/app/src/main.rs:9:5
stack backtrace:
   0: rust_begin_unwind
   1: core::panicking::panic_display
   2: core::option::expect_failed
   3: datecrate::date::Date::from_ymd
   4: app::main`;
  const got = top(q);
  assert.is(got[0], 'rs/datecrate/src/date.rs#Date.from_ymd', got.join(', '));
  const b = bonus(q);
  assert.ok((b.of('rs/datecrate/src/date.rs#Date.from_ymd') ?? 0) > 0);
  assert.is(b.of('rs/datecrate/src/date.rs#Date.from_ymd_opt'), 0);
  assert.is(b.of('rs/datecrate/src/date.rs#explain_out_of_range_date'), 0);
});

test('a 64 KB report answers with a bounded number of terms and frames', () => {
  const lines: string[] = [PY_REPORT];
  for (let i = 0; lines.join('\n').length < MAX_QUERY_BYTES + 4096; i++) {
    lines.push(
      `2023-03-02 11:04:${String(i % 60).padStart(2, '0')},331 WARN worker-${i} retry ${i} at 0x7f3a${i.toString(16)} token${i} field_${i}`,
      `  File "/srv/app/job${i}.py", line ${i + 1}, in step_${i}`,
    );
  }
  const q = lines.join('\n');
  const r = searchIndex(session, q, { limit: 5 });
  assert.ok(r.truncatedQuery);
  // Terms are looked up in text order up to 4 × MAX_QUERY_TERMS, of which the best score.
  assert.ok(r.terms.length <= MAX_QUERY_TERMS * 4, String(r.terms.length));
  assert.is(
    r.hits[0] && `${r.hits[0].file}#${r.hits[0].qualifiedName}`,
    'py/netlib/models.py#Prepared.prepare_url',
  );
  assert.ok(parseFrames(q).length <= MAX_FRAMES);
});

test('parseFrames: Python frames innermost first, runtime and anonymous frames without a name', () => {
  const frames = parseFrames(PY_REPORT);
  assert.equal(
    frames.map((f) => [f.file, f.line, f.func, f.depth]),
    [
      ['netlib/models.py', 10, 'prepare_url', 0],
      ['netlib/models.py', 3, 'prepare', 1],
      ['/srv/app/sync.py', 88, 'fetch_page', 2],
    ],
  );
  const js = parseFrames(
    'TypeError: x\n    at Function.use (/srv/api/node_modules/express/lib/application.js:213:11)\n    at Object.<anonymous> (/srv/api/server.js:27:5)\n    at Module._compile (node:internal/modules/cjs/loader:1105:14)',
  );
  assert.equal(
    js.map((f) => [f.file, f.line, f.func, f.qualifier]),
    [
      ['express/lib/application.js', 213, 'use', undefined],
      ['/srv/api/server.js', 27, undefined, undefined],
    ],
  );
  const rs = parseFrames(
    '   0: rust_begin_unwind\n   1: core::panicking::panic_fmt\n   2: tokio::runtime::handle::Handle::block_on\n   3: app::db::get_sync::{{closure}}',
  );
  assert.equal(
    rs.map((f) => [f.func, f.qualifier, f.depth]),
    [
      ['block_on', 'Handle', 0],
      ['get_sync', 'db', 1],
    ],
  );
  assert.equal(parseFrames('how does the router match a path'), []);
});

test('a pasted error line routes to the bug route, a question naming an error type does not', () => {
  assert.is(routeQuery("KeyError: 'email'\n\nour template fails").intent, 'bug');
  assert.is(routeQuery('error[E0308]: mismatched types').intent, 'bug');
  assert.is(routeQuery("thread 'main' panicked at 'boom', src/main.rs:3:5").intent, 'bug');
  assert.is.not(routeQuery('where is KeyError raised').intent, 'bug');
  assert.is.not(routeQuery('Raises ValueError when the port is out of range').intent, 'bug');
  assert.is(routeQuery('where is KeyError raised').weights.frame, 0);
});

test('packagePath and cleanReport cut install prefixes, addresses and timestamps', () => {
  assert.is(packagePath('/usr/local/lib/python3.11/site-packages/jinja2/loaders.py'), 'jinja2/loaders.py');
  assert.is(packagePath('/usr/lib/python3.11/json/decoder.py'), 'json/decoder.py');
  assert.is(
    packagePath('/home/u/.cargo/registry/src/github.com-1ecc6299db9ec823/tokio-1.24.2/src/a.rs'),
    'tokio-1.24.2/src/a.rs',
  );
  assert.is(packagePath('src/main.rs'), 'src/main.rs');
  const clean = cleanReport(
    '2023-03-02 11:04:12,331 at 0x7f3a2c1b5e50 in /opt/venv/lib/python3.10/site-packages/packaging/version.py',
  );
  assert.not.match(clean, /0x7f|2023|site-packages|venv/);
  assert.match(clean, /packaging\/version\.py/);
});

test.run();
