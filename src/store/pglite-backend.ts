/**
 * The embedded backend: PGlite (PostgreSQL compiled to WebAssembly) in this process, on a data
 * directory or in memory (`memory://`). One PGlite instance is one connection, so a session is
 * the instance itself and transactions are serialised by PGlite's own lock.
 *
 * A directory must be opened by one process at a time (PGlite has no cross-process locking).
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { closedError, translateError } from './errors.js';
import { TYPE_PARSERS } from './parsers.js';
import { quoteIdent, type Row, type SqlBackend, type SqlClient } from './sql.js';

export interface PgliteBackendOptions {
  /** A directory (created when missing) or `memory://`. */
  readonly dataDir: string;
  readonly schema: string;
  readonly onNotice?: (line: string) => void;
}

export function isMemoryDir(dataDir: string): boolean {
  return dataDir.startsWith('memory://');
}

/** Wraps a PGlite instance or transaction as a SqlClient. */
function wrap(target: PGlite | Transaction, isClosed: () => boolean): SqlClient {
  return {
    async query<R = Row>(text: string, params: readonly unknown[] = []): Promise<R[]> {
      if (isClosed()) throw closedError();
      try {
        return (await target.query<R>(text, params as unknown[])).rows;
      } catch (error) {
        throw translateError(error);
      }
    },
    async exec(script: string): Promise<void> {
      if (isClosed()) throw closedError();
      try {
        await target.exec(script);
      } catch (error) {
        throw translateError(error);
      }
    },
  };
}

/** Opens (and on first use initialises) the PGlite database and points search_path at `schema`. */
export async function openPgliteBackend(options: PgliteBackendOptions): Promise<SqlBackend> {
  const { dataDir, schema } = options;
  if (!isMemoryDir(dataDir)) {
    if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
      options.onNotice?.(`creating the embedded PGlite database in ${dataDir} (first start only, takes several seconds)`);
    }
    mkdirSync(dataDir, { recursive: true });
  }
  const db = await PGlite.create(dataDir, { parsers: { ...TYPE_PARSERS } }).catch((error: unknown) => {
    throw new Error(`cannot open the embedded PGlite database in ${dataDir}: ${(error as Error).message}`, { cause: error });
  });
  await db.exec(`SET search_path TO ${quoteIdent(schema)}`);

  let closed = false;
  const isClosed = () => closed;
  const client = wrap(db, isClosed);
  return {
    kind: 'pglite',
    query: client.query,
    exec: client.exec,
    async transaction<T>(work: (tx: SqlClient) => Promise<T>): Promise<T> {
      if (closed) throw closedError();
      return db.transaction((tx) => work(wrap(tx, isClosed)));
    },
    session<T>(work: (session: SqlClient) => Promise<T>): Promise<T> {
      return work(client);
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await db.close();
    },
  };
}
