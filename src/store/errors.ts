/**
 * Turns driver errors into the gateway's coded errors (src/errors.ts) where the cause is the
 * caller's or the database's, not a bug: a taken id or alias is `already_exists`, a missing
 * referenced row `record_not_found`, an unreachable or shut-down database `store_unavailable`.
 * Anything else (a bad SQL statement, a NOT NULL or CHECK violation) is passed on unchanged.
 */
import { GatewayError } from '../errors.js';

interface DriverError {
  readonly code?: unknown;
  readonly message?: unknown;
  readonly detail?: unknown;
}

/** SQLSTATE classes and codes meaning the database could not be used, not that the query was wrong. */
function isUnavailable(code: string): boolean {
  return (
    code.startsWith('08') || // connection exception
    code === '57P01' || code === '57P02' || code === '57P03' || // admin/crash shutdown, cannot connect now
    code === '53300' || // too many connections
    /^E[A-Z]+$/.test(code) // Node socket errors: ECONNREFUSED, ECONNRESET, ETIMEDOUT, ENOTFOUND…
  );
}

export function translateError(error: unknown): unknown {
  if (error instanceof GatewayError || typeof error !== 'object' || error === null) return error;
  const { code, message, detail } = error as DriverError;
  const text = typeof detail === 'string' && detail !== '' ? `${String(message)} (${detail})` : String(message);
  if (code === '23505') return new GatewayError('already_exists', text, { cause: error });
  if (code === '23503') return new GatewayError('record_not_found', text, { cause: error });
  if (typeof code === 'string' && isUnavailable(code)) {
    return new GatewayError('store_unavailable', `the store's database is unavailable: ${text}`, { cause: error });
  }
  if (/Connection terminated|timeout exceeded when trying to connect/.test(String(message))) {
    return new GatewayError('store_unavailable', `the store's database is unavailable: ${String(message)}`, { cause: error });
  }
  return error;
}

/** The error for any call on a store after close(). */
export function closedError(): GatewayError {
  return new GatewayError('store_unavailable', 'the store is closed');
}
