// `analyze` on a question naming a protocol method alone (`__init__`): the method of that name
// the question means sits in a file where the question's other forms found code; the others
// (every class has one) count less. A small tree written here.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { analyzeQuery } from '../src/query/analyze.js';
import type { IndexSession } from '../src/query/session.js';
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
      'py/shapes/builder.py',
      `class ClassBuilder:
    """Collects the attributes of a class and writes its methods."""

    def __init__(self, cls, attrs):
        self.cls = cls
        self.attrs = attrs

    def add_init(self):
        self.cls.__init__ = compile_script(init_script(self.attrs))
        return self


def init_script(attrs):
    return "; ".join("self.%s = %s" % (a, a) for a in attrs)
`,
    );
    for (const name of ['Color', 'Point', 'Size', 'Margin']) {
      write(
        dir,
        `py/shapes/${name.toLowerCase()}.py`,
        `class ${name}:\n    """A ${name.toLowerCase()} with an init of its own."""\n\n    def __init__(self, value):\n        self.value = value\n        self.init = True\n`,
      );
    }
  }));
});

test.after(() => closeIndexedFixture({ ws, session }));

test('a protocol method written alone seeds the one beside the code the question names', () => {
  const r = analyzeQuery(session, 'How does ClassBuilder.add_init write the __init__ of the class?', {
    budget: 4000,
  });
  const inits = r.seeds.filter((s) => s.qualifiedName.endsWith('.__init__'));
  const own = inits.find((s) => s.qualifiedName === 'ClassBuilder.__init__');
  assert.ok(own, r.seeds.map((s) => `${s.qualifiedName} ${s.score} ${s.via}`).join(', '));
  // Every other class's __init__ counts less than the builder's.
  for (const s of inits)
    if (s.file !== 'py/shapes/builder.py') assert.ok(s.score < own.score, JSON.stringify(s));
});

test.run();
