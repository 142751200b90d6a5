/**
 * The embedded backend: PGlite (PostgreSQL compiled to WebAssembly) in this process, on a data
 * directory or in memory (`memory://`). One PGlite instance is one connection, so a session is
 * the instance itself and transactions are serialised by PGlite's own lock.
 *
 * A directory must be opened by one process at a time (PGlite has no cross-process locking).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { translateError } from './errors.js';
import { WorkGate } from './gate.js';
import { TYPE_PARSERS } from './parsers.js';
import { copyUnderSavepoint, quoteIdent, type Row, type SqlBackend, type SqlClient } from './sql.js';

export interface PgliteBackendOptions {
  /** A directory (created when missing) or `memory://`. */
  readonly dataDir: string;
  /**
   * A tarball made by PGlite's dumpDataDir() to start a new database from, instead of creating
   * one (which takes seconds): used only when the database does not exist yet.
   */
  readonly initialDataDir?: string;
  readonly schema: string;
  readonly onNotice?: (line: string) => void;
}

export function isMemoryDir(dataDir: string): boolean {
  return dataDir.startsWith('memory://');
}

/** Runs `COPY <table> FROM '/dev/blob'`: PGlite reads that file as the query's `blob` option, here `data`. */
async function copyIn(target: PGlite | Transaction, table: string, data: Buffer): Promise<number> {
  const result = await target.query(`COPY ${table} FROM '/dev/blob'`, [], { blob: new Blob([data]) });
  return result.affectedRows ?? 0;
}

/** Wraps a PGlite instance or transaction as a SqlClient. */
function wrap(target: PGlite | Transaction, inTransaction: boolean): SqlClient {
  return {
    async query<R = Row>(text: string, params: readonly unknown[] = []): Promise<R[]> {
      try {
        return (await target.query<R>(text, params as unknown[])).rows;
      } catch (error) {
        throw translateError(error);
      }
    },
    async exec(script: string): Promise<void> {
      try {
        await target.exec(script);
      } catch (error) {
        throw translateError(error);
      }
    },
    async copyFrom(table: string, data: Buffer): Promise<number> {
      try {
        return await (inTransaction ? copyUnderSavepoint((statement) => target.exec(statement), () => copyIn(target, table, data)) : copyIn(target, table, data));
      } catch (error) {
        throw translateError(error);
      }
    },
  };
}

/** Opens (and on first use initialises) the PGlite database and points search_path at `schema`. */
export async function openPgliteBackend(options: PgliteBackendOptions): Promise<SqlBackend> {
  const { dataDir, schema } = options;
  let isNew = isMemoryDir(dataDir);
  if (!isMemoryDir(dataDir)) {
    isNew = !existsSync(path.join(dataDir, 'PG_VERSION'));
    if (isNew && options.initialDataDir === undefined) {
      options.onNotice?.(`creating the embedded PGlite database in ${dataDir} (first start only, takes several seconds)`);
    }
    mkdirSync(dataDir, { recursive: true });
  }
  const loadDataDir = isNew && options.initialDataDir !== undefined ? new Blob([readFileSync(options.initialDataDir)]) : undefined;
  const db = await PGlite.create(dataDir, { parsers: { ...TYPE_PARSERS }, loadDataDir }).catch((error: unknown) => {
    throw new Error(`cannot open the embedded PGlite database in ${dataDir}: ${(error as Error).message}`, { cause: error });
  });
  await db.exec(`SET search_path TO ${quoteIdent(schema)}`);

  const gate = new WorkGate();
  const client = wrap(db, false);
  return {
    kind: 'pglite',
    query: (text, params) => gate.run(() => client.query(text, params)),
    exec: (script) => gate.run(() => client.exec(script)),
    copyFrom: (table, data) => gate.run(() => client.copyFrom(table, data)),
    transaction: (work) => gate.run(() => db.transaction((tx) => work(wrap(tx, true)))),
    session: (work) => gate.run(() => work(client)),
    async close(): Promise<void> {
      if (await gate.close()) await db.close();
    },
  };
}
