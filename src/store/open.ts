/**
 * openStore: the one way to get a Store. PostgreSQL when `databaseUrl` is set, else PGlite in
 * `dataDir`; either way the schema is created when missing and migrated before it resolves.
 */
import { createLocalEvents } from './events.js';
import { migrate } from './migrate.js';
import { createPgEvents } from './pg-events.js';
import { openPgliteBackend } from './pglite-backend.js';
import { openPostgresBackend } from './postgres-backend.js';
import { checkSchemaName, eventChannel, type SqlBackend } from './sql.js';
import { createSpendLogRepository, daysAround } from './spend-logs.js';
import { SqlStore } from './store.js';
import type { Store, StoreOptions } from './types.js';

const POSTGRES_URL = /^postgres(ql)?:\/\//;

/** The URL without its password, for log lines. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === '') return url;
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1@');
  }
}

/**
 * Opens the store and applies pending migrations. Rejects (having closed what it opened) when
 * the options are invalid, the database cannot be reached (`store_unavailable`) or a migration
 * fails.
 */
export async function openStore(options: StoreOptions): Promise<Store> {
  const schema = checkSchemaName(options.schema ?? 'public');
  const { databaseUrl, onNotice } = options;
  let backend: SqlBackend;
  let location: string;
  if (databaseUrl !== null && databaseUrl !== '') {
    if (!POSTGRES_URL.test(databaseUrl)) {
      throw new Error(`database URL must start with postgres:// or postgresql://, got ${JSON.stringify(redactUrl(databaseUrl))}`);
    }
    location = redactUrl(databaseUrl);
    backend = openPostgresBackend({ url: databaseUrl, schema, poolSize: options.poolSize, onNotice });
  } else {
    location = options.dataDir;
    backend = await openPgliteBackend({ dataDir: options.dataDir, schema, onNotice, initialDataDir: options.pgliteInitialDataDir });
  }
  try {
    await migrate(backend, schema);
    // Today's spend-log partition and the next two days', so rows never wait on DDL at midnight.
    await createSpendLogRepository(backend).ensurePartitions(daysAround(new Date()));
  } catch (error) {
    await backend.close();
    throw error;
  }
  const events =
    backend.kind === 'postgres' && databaseUrl !== null
      ? createPgEvents({ url: databaseUrl, schema, channel: eventChannel(schema), client: backend, onNotice })
      : createLocalEvents(onNotice);
  return new SqlStore(backend, events, location);
}
