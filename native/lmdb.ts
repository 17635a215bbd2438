// The single place lmdb-js (a native addon) is loaded. The store adapter in src/store/
// imports from here and nowhere else does. Runs on the coordinator thread.
//
// Loaded through require: lmdb-js ships a single-file CommonJS build beside its ES modules,
// and requiring it costs ~55 ms of a fresh process against ~90 ms for importing its ~20 ES
// modules (and msgpackr's) — a third of the module loading of a cold `leindex search`.

import { createRequire } from 'node:module';
import type * as Lmdb from 'lmdb';

const require = createRequire(import.meta.url);
// msgpackr (lmdb-js's encoding of non-binary values) otherwise loads a second native addon,
// msgpackr-extract, to decode long strings faster: leindex's msgpack values are a few small
// records (generation info, summary, skipped files), and loading it was ~6 ms of every
// process start. Set only when the user has not chosen.
process.env.MSGPACKR_NATIVE_ACCELERATION_DISABLED ??= 'true';
const lmdb = require('lmdb') as typeof Lmdb;

export const open: typeof Lmdb.open = lmdb.open;
export type { RootDatabase, Database, RootDatabaseOptions } from 'lmdb';
