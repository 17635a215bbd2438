// One error class for everything leindex reports on purpose, with a string code and the
// process exit code that code maps to. Runs on any thread; crosses no thread boundary
// (workers report failures as data in protocol.ts, never by throwing these across).

/** Exit codes, documented in README.md. */
export const ExitCode = {
  ok: 0,
  /** Search found nothing (grep-like). */
  noMatch: 1,
  usage: 2,
  indexMissing: 3,
  resourceLimit: 4,
  storeLocked: 5,
  storeCorrupt: 6,
  ioError: 7,
  internal: 70,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export type ErrorCode =
  | 'E_USAGE'
  | 'E_CONFIG'
  | 'E_PATH_NOT_FOUND'
  | 'E_PATH_OUTSIDE_ROOT'
  | 'E_INDEX_MISSING'
  | 'E_SYMBOL_NOT_FOUND'
  | 'E_NO_MATCH'
  | 'E_SCHEMA_MISMATCH'
  | 'E_STORE_LOCKED'
  | 'E_STORE_CORRUPT'
  | 'E_RESOURCE_LIMIT'
  | 'E_INTERRUPTED'
  | 'E_IO'
  | 'E_WORKER'
  | 'E_INTERNAL';

const exitByCode: Record<ErrorCode, ExitCodeValue> = {
  E_USAGE: ExitCode.usage,
  E_CONFIG: ExitCode.usage,
  E_PATH_NOT_FOUND: ExitCode.usage,
  E_PATH_OUTSIDE_ROOT: ExitCode.usage,
  E_INDEX_MISSING: ExitCode.indexMissing,
  E_SYMBOL_NOT_FOUND: ExitCode.noMatch,
  E_NO_MATCH: ExitCode.noMatch,
  E_SCHEMA_MISMATCH: ExitCode.indexMissing,
  E_STORE_LOCKED: ExitCode.storeLocked,
  E_STORE_CORRUPT: ExitCode.storeCorrupt,
  E_RESOURCE_LIMIT: ExitCode.resourceLimit,
  E_INTERRUPTED: ExitCode.interrupted,
  E_IO: ExitCode.ioError,
  E_WORKER: ExitCode.internal,
  E_INTERNAL: ExitCode.internal,
};

export class LeindexError extends Error {
  readonly code: ErrorCode;
  /** What the user can do about it, printed under the message. */
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LeindexError';
    this.code = code;
    this.hint = options.hint;
  }

  get exitCode(): ExitCodeValue {
    return exitByCode[this.code];
  }
}

export function isLeindexError(err: unknown): err is LeindexError {
  return err instanceof LeindexError;
}

/** A short, single-line description of any thrown value, for logs and skip details. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
