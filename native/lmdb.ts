// The single place lmdb-js (a native addon) is loaded. The store adapter in src/store/
// imports from here and nowhere else does. Runs on the coordinator thread.
//
// Loaded through require: lmdb-js ships a single-file CommonJS build beside its ES modules,
// and requiring it costs ~55 ms of a fresh process against ~90 ms for importing its ~20 ES
// modules (and msgpackr's) — a third of the module loading of a cold `leindex search`.

import { createRequire } from 'node:module';
import type * as Lmdb from 'lmdb';

const require = createRequire(import.meta.url);
const lmdb = require('lmdb') as typeof Lmdb;

export const open: typeof Lmdb.open = lmdb.open;
export type { RootDatabase, Database, RootDatabaseOptions } from 'lmdb';
