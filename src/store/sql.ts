/**
 * The SQL boundary every repository is written against: one statement in, rows out. Two backends
 * implement it (pglite-backend.ts, postgres-backend.ts) and accept the same SQL text with `$1`
 * parameters, so the repositories and migrations are written once.
 *
 * Rows come back already typed (parsers.ts): jsonb as parsed JSON, text[] as string arrays,
 * bigint/integer/double precision as numbers, timestamptz as ISO-8601 strings in UTC.
 */
import type { StoreBackendKind } from './types.js';

/** One result row: column name → value. */
export type Row = Record<string, unknown>;

export interface SqlClient {
  /**
   * Runs one statement with `$1`… parameters. Parameters are strings, numbers, booleans, null or
   * string arrays; jsonb values must be passed as JSON text with a `::jsonb` cast.
   */
  query<R = Row>(text: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs a script of several statements with no parameters (migrations, BEGIN/COMMIT). */
  exec(script: string): Promise<void>;
  /**
   * Loads rows with `COPY <target> FROM STDIN`, `target` being a table and its column list and
   * `data` the whole input in COPY's text format. All or nothing, and the client stays usable
   * when it fails: on a transaction's client it runs under a savepoint, elsewhere as a statement
   * of its own (a session's client that opened a transaction by hand gets the plain statement).
   * Returns how many rows it loaded.
   */
  copyFrom(target: string, data: Buffer): Promise<number>;
}

export interface SqlBackend extends SqlClient {
  readonly kind: StoreBackendKind;
  /** Runs `work` inside BEGIN … COMMIT on one connection; ROLLBACK when it throws. */
  transaction<T>(work: (client: SqlClient) => Promise<T>): Promise<T>;
  /** Runs `work` on one dedicated connection, for session state such as advisory locks. */
  session<T>(work: (client: SqlClient) => Promise<T>): Promise<T>;
  /** Ends every connection; later calls fail with `store_unavailable`. Idempotent. */
  close(): Promise<void>;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]*$/;
/** Leaves room for the `ailb_events_` prefix of the notify channel within PostgreSQL's 63 bytes. */
const MAX_SCHEMA_LENGTH = 48;

/** Returns `name` when it is a safe schema name (`[a-z_][a-z0-9_]*`, at most 48 characters); throws otherwise. */
export function checkSchemaName(name: string): string {
  if (!SCHEMA_NAME.test(name) || name.length > MAX_SCHEMA_LENGTH) {
    throw new Error(
      `store schema ${JSON.stringify(name)} is not allowed: use lowercase letters, digits and _ (not starting with a digit), at most ${MAX_SCHEMA_LENGTH} characters`,
    );
  }
  return name;
}

/** A checked identifier in double quotes, for SQL text. Only for names from code, never from callers. */
export function quoteIdent(name: string): string {
  return `"${name}"`;
}

/** The LISTEN/NOTIFY channel of a schema: every instance on the same database and schema shares it. */
export function eventChannel(schema: string): string {
  return `ailb_events_${schema}`;
}

/**
 * Runs `copy` (one COPY) inside an open transaction under a savepoint, so that a failed COPY
 * leaves the transaction usable and unchanged (the copyFrom contract above). `run` executes one
 * statement on the transaction's connection. When the rollback to the savepoint fails too, the
 * connection is lost: the transaction's own ROLLBACK then fails as well, and the PostgreSQL
 * backend destroys that connection instead of reusing it.
 */
export async function copyUnderSavepoint(run: (statement: string) => Promise<unknown>, copy: () => Promise<number>): Promise<number> {
  await run('SAVEPOINT ailb_copy');
  try {
    const rows = await copy();
    await run('RELEASE SAVEPOINT ailb_copy');
    return rows;
  } catch (error) {
    await run('ROLLBACK TO SAVEPOINT ailb_copy').catch(() => undefined);
    throw error;
  }
}
