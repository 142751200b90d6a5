/**
 * Brings a schema up to date at open. Several instances may start at once: each takes a
 * PostgreSQL advisory lock (a fixed key plus a hash of the schema name, so other schemas are not
 * blocked) on one dedicated connection, so exactly one applies the pending migrations while the
 * others wait and then find nothing to do. The lock is released in `finally` (and with the
 * connection, if that dies). PGlite runs the same code: its single session takes the lock at once.
 */
import { MIGRATIONS, type Migration } from './migrations.js';
import { quoteIdent, type SqlBackend, type SqlClient } from './sql.js';

/** 'AILB' in ASCII: the first half of the advisory lock key; the second is hashtext(schema). */
const LOCK_KEY = 0x41494c42;

export interface MigrationResult {
  /** Versions applied by this call (empty when the schema was already current). */
  readonly applied: number[];
}

function checkOrder(migrations: readonly Migration[]): void {
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i].version <= migrations[i - 1].version) {
      throw new Error(`store migrations out of order: version ${migrations[i].version} follows ${migrations[i - 1].version}`);
    }
  }
}

async function applyPending(session: SqlClient, schema: string, migrations: readonly Migration[]): Promise<number[]> {
  await session.exec(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  await session.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const done = new Set((await session.query<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version));
  const applied: number[] = [];
  for (const migration of migrations) {
    if (done.has(migration.version)) continue;
    await session.exec('BEGIN');
    try {
      await session.exec(migration.sql);
      await session.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      await session.exec('COMMIT');
    } catch (error) {
      await session.exec('ROLLBACK').catch(() => undefined);
      throw new Error(`store migration ${migration.version} (${migration.name}) failed in schema ${schema}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    applied.push(migration.version);
  }
  return applied;
}

/** Creates `schema` when missing and applies every migration it has not had, under the advisory lock. */
export async function migrate(backend: SqlBackend, schema: string, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationResult> {
  checkOrder(migrations);
  return backend.session(async (session) => {
    await session.query('SELECT pg_advisory_lock($1::integer, hashtext($2::text))', [LOCK_KEY, schema]);
    let result: MigrationResult | undefined;
    try {
      result = { applied: await applyPending(session, schema, migrations) };
      return result;
    } finally {
      // When the work failed, its error is the one worth reporting; the session is destroyed then anyway.
      await session.query('SELECT pg_advisory_unlock($1::integer, hashtext($2::text))', [LOCK_KEY, schema]).catch((error: unknown) => {
        if (result !== undefined) throw error;
      });
    }
  });
}
