/**
 * Driver error codes, read from a TypeORM error or the driver error it wraps. The drivers word the
 * same fault differently, so classify by code, never by message.
 */
function codesOf(error: unknown): string[] {
  const codes: string[] = [];
  for (
    let e = error as { code?: unknown; driverError?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 4;
    depth++
  ) {
    if (typeof e.code === 'string') codes.push(e.code);
    e = (e.driverError ?? e.cause) as typeof e;
  }
  return codes;
}

const UNIQUE_VIOLATIONS = new Set([
  'ER_DUP_ENTRY',
  'SQLITE_CONSTRAINT_UNIQUE',
  'SQLITE_CONSTRAINT_PRIMARYKEY',
]);

/** Connection faults: the database is down, unreachable, overloaded or gone mid-query. */
const UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_LOCK_DEADLOCK',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_IOERR',
  'SQLITE_CANTOPEN',
  'SQLITE_FULL',
]);

/** A COMMIT whose connection failed before its answer: it may or may not have been applied. */
export const COMMIT_OUTCOME_UNKNOWN = 'COMMIT_OUTCOME_UNKNOWN';

export function isCommitOutcomeUnknown(error: unknown): boolean {
  return codesOf(error).includes(COMMIT_OUTCOME_UNKNOWN);
}

export function isUniqueViolation(error: unknown): boolean {
  return codesOf(error).some((code) => UNIQUE_VIOLATIONS.has(code));
}

export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof Error && /^(CannotConnectError|ConnectionIsNotSetError|PoolError)$/.test(error.name)) {
    return true;
  }
  return codesOf(error).some((code) => UNAVAILABLE.has(code) || code.startsWith('SQLITE_IOERR'));
}
