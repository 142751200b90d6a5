/**
 * The store suite on PostgreSQL, plus what only a server has: several instances migrating the
 * same schema at once, events between instances, a listener that survives its connection
 * dropping, and a location without the password. Skipped with a reason when PostgreSQL is not
 * reachable (failed under AILB_REQUIRE_SERVICES=1).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { GatewayError } from '../../src/errors.js';
import { openStore } from '../../src/store/open.js';
import { openPostgresBackend } from '../../src/store/postgres-backend.js';
import type { Store } from '../../src/store/types.js';
import { dropSchema, postgresSkip, postgresUrl, uniqueSchema } from '../support/postgres.js';
import { keyRecord } from './fixtures.js';
import { checkSchema, storeSuite, waitFor } from './suite.js';

const skip = await postgresSkip();
const schemas: string[] = [];

/** A schema name for this file, dropped at the end. */
function schemaForTest(): string {
  const schema = uniqueSchema('t_store');
  schemas.push(schema);
  return schema;
}

function open(schema: string, poolSize?: number): Promise<Store> {
  return openStore({ databaseUrl: postgresUrl(), dataDir: 'unused', schema, poolSize });
}

function timing(label: string, started: number): void {
  process.stderr.write(`# ${label}: ${(performance.now() - started).toFixed(0)} ms\n`);
}

describe('store on PostgreSQL', { skip }, () => {
  after(async () => {
    for (const schema of schemas) await dropSchema(schema);
  });

  describe('suite', () => {
    const schema = schemaForTest();
    storeSuite({
      async open() {
        const started = performance.now();
        const store = await open(schema);
        timing('PostgreSQL: open with migrations applied to a new schema', started);
        assert.equal(store.backend, 'postgres');
        return store;
      },
      async cleanup() {},
    });
  });

  test('four instances opening one new schema at once migrate it exactly once', async () => {
    const schema = schemaForTest();
    const stores = await Promise.all([open(schema, 2), open(schema, 2), open(schema, 2), open(schema, 2)]);
    try {
      const backend = openPostgresBackend({ url: postgresUrl(), schema });
      try {
        await checkSchema(backend);
        const tables = await backend.query<{ n: number }>("SELECT count(*) AS n FROM pg_tables WHERE schemaname = $1 AND tablename = 'keys'", [schema]);
        assert.equal(tables[0].n, 1);
      } finally {
        await backend.close();
      }
      const started = performance.now();
      const again = await open(schema);
      timing('PostgreSQL: open with migrations already current', started);
      assert.deepEqual(await again.keys.list({ page: 1, size: 1 }), { rows: [], total: 0 });
      await again.close();
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  test('notify on one instance reaches listeners on another within a second', async () => {
    const schema = schemaForTest();
    const [a, b] = [await open(schema), await open(schema)];
    try {
      const [atA, atB]: [string[], string[]] = [[], []];
      await a.listen((payload) => atA.push(payload));
      const stopB = await b.listen((payload) => atB.push(payload));
      await a.notify('{"kind":"key","token":"abc"}');
      await waitFor(() => atA.length === 1 && atB.length === 1, 1000);
      assert.deepEqual(atB, ['{"kind":"key","token":"abc"}']);
      await stopB();
      await b.notify('second');
      await waitFor(() => atA.length === 2, 1000);
      assert.deepEqual(atB, ['{"kind":"key","token":"abc"}']);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test('a listener whose connection is killed reconnects and receives later notifies', async () => {
    const schema = schemaForTest();
    const notices: string[] = [];
    const store = await openStore({ databaseUrl: postgresUrl(), dataDir: 'unused', schema, onNotice: (line) => notices.push(line) });
    const admin = new pg.Client({ connectionString: postgresUrl() });
    await admin.connect();
    try {
      const received: string[] = [];
      await store.listen((payload) => received.push(payload));
      const killed = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1', [`LISTEN "ailb_events_${schema}"`]);
      assert.equal(killed.rowCount, 1);
      // Notifies sent while it reconnects are lost; keep sending until one arrives.
      const deadline = Date.now() + 5000;
      while (received.length === 0 && Date.now() < deadline) {
        await store.notify('after-drop');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(received[0], 'after-drop');
      assert.ok(notices.some((line) => line.includes("the store's LISTEN connection dropped; reconnecting")), notices.join('\n'));
    } finally {
      await admin.end();
      await store.close();
    }
  });

  test('close() while a query runs lets the query answer instead of leaving it pending', async () => {
    const store = await open(schemaForTest());
    const key = await store.keys.insert(keyRecord());
    const [found] = await Promise.all([store.keys.findByToken(key.token), store.close()]);
    assert.equal(found?.token, key.token);
    await assert.rejects(store.ping(), (error: unknown) => error instanceof GatewayError && error.code === 'store_unavailable');
    await assert.rejects(store.notify('x'), /the store is closed/);
  });

  test('location hides the password; an unreachable server is store_unavailable', async () => {
    const schema = schemaForTest();
    const url = new URL(postgresUrl());
    url.password = 's3cret';
    const store = await openStore({ databaseUrl: url.toString(), dataDir: 'unused', schema }).catch(() => null);
    if (store !== null) {
      // trust auth accepts any password
      assert.ok(!store.location.includes('s3cret'), store.location);
      await store.close();
    }
    await assert.rejects(
      openStore({ databaseUrl: 'postgres://postgres:pw@127.0.0.1:1/test', dataDir: 'unused', schema }),
      (error: unknown) => error instanceof GatewayError && error.code === 'store_unavailable' && !error.message.includes(':pw@'),
    );
  });
});
