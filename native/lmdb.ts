// The single place lmdb-js (a native addon) is loaded. The store adapter in src/store/
// imports from here and nowhere else does. Runs on the coordinator thread.

export { open } from 'lmdb';
export type { RootDatabase, Database, RootDatabaseOptions } from 'lmdb';
