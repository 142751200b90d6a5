/**
 * The store suite on the embedded backend, plus what only PGlite has: the first-start notice,
 * persistence across close and reopen, and throwaway `memory://` databases.
 *
 * Creating a PGlite database (initdb) costs seconds whether on disk or in memory, while reopening
 * an existing directory costs about one; so the suite's directory is created once and reused by
 * the persistence test that follows it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { migrate } from '../../src/store/migrate.js';
import { openStore } from '../../src/store/open.js';
import { openPgliteBackend } from '../../src/store/pglite-backend.js';
import { keyRecord } from './fixtures.js';
import { checkSchema, storeSuite } from './suite.js';

const SCHEMA = 't_store';
const root = mkdtempSync(path.join(os.tmpdir(), 'ailb-store-'));
const dir = path.join(root, 'pglite');
after(() => rmSync(root, { recursive: true, force: true }));

function timing(label: string, started: number): void {
  process.stderr.write(`# ${label}: ${(performance.now() - started).toFixed(0)} ms\n`);
}

describe('store on PGlite (directory)', () => {
  storeSuite({
    async open() {
      const notices: string[] = [];
      const started = performance.now();
      const store = await openStore({ databaseUrl: null, dataDir: dir, schema: SCHEMA, onNotice: (line) => notices.push(line) });
      timing('PGlite: first open of a new directory, migrations applied', started);
      assert.equal(store.backend, 'pglite');
      assert.equal(store.location, dir);
      assert.deepEqual(notices, [`creating the embedded PGlite database in ${dir} (first start only, takes several seconds)`]);
      return store;
    },
    async cleanup() {},
  });
});

test('PGlite: a reopened directory keeps its data, applies no migration and prints no first-start notice', async () => {
  const backend = await openPgliteBackend({ dataDir: dir, schema: SCHEMA });
  try {
    assert.deepEqual(await migrate(backend, SCHEMA), { applied: [] });
    await checkSchema(backend);
  } finally {
    await backend.close();
  }

  const notices: string[] = [];
  const started = performance.now();
  const store = await openStore({ databaseUrl: null, dataDir: dir, schema: SCHEMA, onNotice: (line) => notices.push(line) });
  timing('PGlite: reopen of an existing directory, migrations current', started);
  assert.deepEqual(notices, []);
  assert.ok((await store.keys.list({ page: 1, size: 1 })).total > 0, 'the suite\'s keys are still there');
  await store.close();
  await assert.rejects(store.ping(), /the store is closed/);
});

test('PGlite: memory:// is a throwaway database in the default schema', async () => {
  const started = performance.now();
  const store = await openStore({ databaseUrl: null, dataDir: 'memory://' });
  timing('PGlite: memory:// open, migrations applied', started);
  try {
    assert.equal(store.location, 'memory://');
    const key = await store.keys.insert(keyRecord());
    assert.deepEqual(await store.keys.findByToken(key.token), key);
    // Regression: close() under a running query must let it answer, not leave it pending.
    const [found] = await Promise.all([store.keys.findByToken(key.token), store.close()]);
    assert.equal(found?.token, key.token);
    await assert.rejects(store.listen(() => undefined), /the store is closed/);
  } finally {
    await store.close();
  }
});

test('openStore rejects an unsafe schema name or a non-PostgreSQL URL before opening anything', async () => {
  for (const schema of ['Public', 'a-b', 'x"; DROP', '1abc', '', 'a'.repeat(49)]) {
    await assert.rejects(openStore({ databaseUrl: null, dataDir: 'memory://', schema }), /store schema .* is not allowed/);
  }
  await assert.rejects(openStore({ databaseUrl: 'mysql://x', dataDir: 'memory://' }), /must start with postgres:\/\//);
});
