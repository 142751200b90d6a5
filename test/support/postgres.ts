/**
 * PostgreSQL for integration tests: where it is, whether it answers, and one throwaway schema per
 * test file. Absent PostgreSQL skips the tests with a visible reason, except under
 * AILB_REQUIRE_SERVICES=1 (.ci/run), where absence fails the run.
 *
 *   const skip = await postgresSkip();
 *   describe('on PostgreSQL', { skip }, () => { ... });
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** `DATABASE_URL`, else the local test server (user postgres, trust auth, database `test`). */
export function postgresUrl(): string {
  return process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
}

/** Whether missing services must fail the tests instead of skipping them. */
export function servicesRequired(): boolean {
  return process.env.AILB_REQUIRE_SERVICES === '1';
}

let reachable: Promise<string | null> | null = null;

/** null when PostgreSQL answers `SELECT 1` within 3 s, else why not (checked once per process). */
function unreachableReason(): Promise<string | null> {
  reachable ??= (async () => {
    const client = new pg.Client({ connectionString: postgresUrl(), connectionTimeoutMillis: 3_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return null;
    } catch (error) {
      return `PostgreSQL is not reachable at ${postgresUrl()} (${(error as Error).message}); set DATABASE_URL or start it`;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return reachable;
}

/**
 * The `skip` option for PostgreSQL tests: false when PostgreSQL answers, the reason when it does
 * not. Throws instead under AILB_REQUIRE_SERVICES=1.
 */
export async function postgresSkip(): Promise<string | false> {
  const reason = await unreachableReason();
  if (reason === null) return false;
  if (servicesRequired()) throw new Error(`AILB_REQUIRE_SERVICES=1 but ${reason}`);
  return reason;
}

/** Rejects unless PostgreSQL answers (for tests that cannot be skipped). */
export async function requirePostgres(): Promise<string> {
  const reason = await unreachableReason();
  if (reason !== null) throw new Error(reason);
  return postgresUrl();
}

/** A fresh schema name, `<prefix>_<16 hex>`, unique across concurrent test processes. */
export function uniqueSchema(prefix = 't'): string {
  return `${prefix}_${randomBytes(8).toString('hex')}`;
}

/** DROP SCHEMA … CASCADE on the test server. */
export async function dropSchema(schema: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`not a test schema name: ${schema}`);
  const client = new pg.Client({ connectionString: postgresUrl() });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** Runs `work` with a fresh schema name and drops that schema afterwards, whatever happens. */
export async function withTestSchema<T>(work: (schema: string) => Promise<T>, prefix = 't'): Promise<T> {
  const schema = uniqueSchema(prefix);
  try {
    return await work(schema);
  } finally {
    await dropSchema(schema);
  }
}
