/**
 * The server backend: PostgreSQL through a `pg` Pool. Every connection starts with
 * `search_path` set to the store's schema (the `options` startup parameter), so the same
 * unqualified SQL runs here and on PGlite.
 */
import pg from 'pg';
import { from as copyFromStdin } from 'pg-copy-streams';
import { translateError } from './errors.js';
import { WorkGate } from './gate.js';
import { PG_TYPES } from './parsers.js';
import { copyUnderSavepoint, type Row, type SqlBackend, type SqlClient } from './sql.js';

export interface PostgresBackendOptions {
  readonly url: string;
  readonly schema: string;
  /** Pool size; default 10. */
  readonly poolSize?: number;
  readonly onNotice?: (line: string) => void;
}

/** Connection settings shared by the pool and the listener connection (events.ts). */
export function connectionConfig(url: string, schema: string): pg.ClientConfig {
  return {
    connectionString: url,
    // A connection string's own `options` parameter would replace this one; AILB sets it.
    options: `-c search_path=${schema}`,
    application_name: 'ailb',
    types: PG_TYPES,
    connectionTimeoutMillis: 10_000,
  };
}

/** Runs `COPY <target> FROM STDIN` on `connection` with `data` as its whole input; resolves with the rows loaded. */
function copyIn(connection: pg.PoolClient, target: string, data: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const stream = connection.query(copyFromStdin(`COPY ${target} FROM STDIN`));
    stream.on('error', reject);
    // 'finish' comes once the server has answered ReadyForQuery: the rows are in.
    stream.on('finish', () => resolve(stream.rowCount));
    stream.end(data);
  });
}

type Copy = (target: string, data: Buffer) => Promise<number>;

/** Wraps one checked-out connection, or the pool (each query on any idle connection); `copy` runs copyFrom there. */
function wrap(target: pg.Pool | pg.PoolClient, copy: Copy): SqlClient {
  return {
    async query<R = Row>(text: string, params: readonly unknown[] = []): Promise<R[]> {
      try {
        return (await target.query(text, params as unknown[])).rows as R[];
      } catch (error) {
        throw translateError(error);
      }
    },
    async exec(script: string): Promise<void> {
      try {
        await target.query(script); // no parameters: the simple protocol, which allows several statements
      } catch (error) {
        throw translateError(error);
      }
    },
    async copyFrom(table: string, data: Buffer): Promise<number> {
      try {
        return await copy(table, data);
      } catch (error) {
        throw translateError(error);
      }
    },
  };
}

export function openPostgresBackend(options: PostgresBackendOptions): SqlBackend {
  const poolSize = options.poolSize ?? 10;
  if (!Number.isInteger(poolSize) || poolSize < 1) {
    throw new Error(`store poolSize must be an integer ≥ 1, got ${String(options.poolSize)}`);
  }
  const pool = new pg.Pool({ ...connectionConfig(options.url, options.schema), max: poolSize });
  // An idle connection that drops is replaced on the next checkout; say so instead of crashing.
  pool.on('error', (error) => options.onNotice?.(`PostgreSQL: an idle store connection failed: ${error.message}`));

  const gate = new WorkGate();

  // pg-pool listens for errors only on idle connections. A checked-out connection that drops
  // (the server killed mid-transaction) emits 'error' with no listener, which would end the
  // process; the query in progress fails anyway and release(broken) discards the connection.
  const ignoreDroppedConnection = (): void => undefined;

  async function checkout(): Promise<pg.PoolClient> {
    const connection = await pool.connect().catch((error: unknown) => {
      throw translateError(error);
    });
    connection.on('error', ignoreDroppedConnection);
    return connection;
  }

  function checkin(connection: pg.PoolClient, broken: Error | undefined): void {
    connection.off('error', ignoreDroppedConnection);
    connection.release(broken);
  }

  /** A COPY on the pool is a statement of its own on a connection checked out for it. */
  const pooled = wrap(pool, async (target, data) => {
    const connection = await checkout();
    // The server refusing the data leaves the connection ready for the next statement; any other failure may not.
    let broken: Error | undefined;
    try {
      return await copyIn(connection, target, data);
    } catch (error) {
      if (!(error instanceof pg.DatabaseError)) broken = error instanceof Error ? error : new Error(String(error));
      throw error;
    } finally {
      checkin(connection, broken);
    }
  });

  return {
    kind: 'postgres',
    query: (text, params) => gate.run(() => pooled.query(text, params)),
    exec: (script) => gate.run(() => pooled.exec(script)),
    copyFrom: (target, data) => gate.run(() => pooled.copyFrom(target, data)),
    transaction: (work) => gate.run(async () => {
      const connection = await checkout();
      const tx = wrap(connection, (target, data) => copyUnderSavepoint((statement) => connection.query(statement), () => copyIn(connection, target, data)));
      // A connection whose ROLLBACK failed is in an unknown state: destroy it, never reuse it.
      let broken: Error | undefined;
      try {
        await tx.exec('BEGIN');
        const result = await work(tx);
        await tx.exec('COMMIT');
        return result;
      } catch (error) {
        await connection.query('ROLLBACK').catch((rollbackError: Error) => {
          broken = rollbackError;
        });
        throw error;
      } finally {
        checkin(connection, broken);
      }
    }),
    session: (work) => gate.run(async () => {
      const connection = await checkout();
      // After a failure the session may still hold locks or an open transaction: destroy it.
      let broken: Error | undefined;
      try {
        return await work(wrap(connection, (target, data) => copyIn(connection, target, data)));
      } catch (error) {
        broken = error instanceof Error ? error : new Error(String(error));
        throw error;
      } finally {
        checkin(connection, broken);
      }
    }),
    async close(): Promise<void> {
      if (await gate.close()) await pool.end();
    },
  };
}
