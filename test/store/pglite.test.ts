/**
 * The store suite on the embedded backend (a temp directory), plus what only PGlite has: the
 * first-start notice, persistence across close and reopen, and throwaway `memory://` databases.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { migrate } from '../../src/store/migrate.js';
import { openStore } from '../../src/store/open.js';
import { openPgliteBackend } from '../../src/store/pglite-backend.js';
import { checkSchema, storeSuite } from './suite.js';
import { keyRecord } from './fixtures.js';

const SCHEMA = 't_store_pglite';

describe('store on PGlite (directory)', () => {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'ailb-store-')), 'pglite');
  storeSuite({
    async open() {
      const notices: string[] = [];
      const started = performance.now();
      const store = await openStore({ databaseUrl: null, dataDir: dir, schema: SCHEMA, onNotice: (line) => notices.push(line) });
      process.stderr.write(`# PGlite: first open of a new directory with migrations: ${(performance.now() - started).toFixed(0)} ms\n`);
      assert.equal(store.backend, 'pglite');
      assert.equal(store.location, dir);
      assert.deepEqual(notices, [`creating the embedded PGlite database in ${dir} (first start only, takes several seconds)`]);
      return store;
    },
    async cleanup() {
      rmSync(path.dirname(dir), { recursive: true, force: true });
    },
  });
});

test('PGlite: data persists across close and reopen; the second open applies no migration and says nothing', async () => {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'ailb-store-')), 'pglite');
  try {
    const first = await openStore({ databaseUrl: null, dataDir: dir, schema: 'app' });
    const key = await first.keys.insert(keyRecord({ metadata: { kept: true } }));
    await first.close();

    const backend = await openPgliteBackend({ dataDir: dir, schema: 'app' });
    assert.deepEqual(await migrate(backend, 'app'), { applied: [] });
    await checkSchema(backend);
    await backend.close();

    const notices: string[] = [];
    const started = performance.now();
    const second = await openStore({ databaseUrl: null, dataDir: dir, schema: 'app', onNotice: (line) => notices.push(line) });
    process.stderr.write(`# PGlite: reopen of an existing directory: ${(performance.now() - started).toFixed(0)} ms\n`);
    assert.deepEqual(notices, []);
    assert.deepEqual(await second.keys.findByToken(key.token), key);
    await second.close();
    await assert.rejects(second.ping(), /the store is closed/);
  } finally {
    rmSync(path.dirname(dir), { recursive: true, force: true });
  }
});

test('PGlite: memory:// is a throwaway database in the default schema', async () => {
  const started = performance.now();
  const store = await openStore({ databaseUrl: null, dataDir: 'memory://' });
  process.stderr.write(`# PGlite: memory:// open with migrations: ${(performance.now() - started).toFixed(0)} ms\n`);
  try {
    assert.equal(store.location, 'memory://');
    const key = await store.keys.insert(keyRecord());
    assert.deepEqual(await store.keys.findByToken(key.token), key);
  } finally {
    await store.close();
  }
});

test('openStore rejects an unsafe schema name before opening anything', async () => {
  for (const schema of ['Public', 'a-b', 'x"; DROP', '1abc', '', 'a'.repeat(49)]) {
    await assert.rejects(openStore({ databaseUrl: null, dataDir: 'memory://', schema }), /store schema .* is not allowed/);
  }
  await assert.rejects(openStore({ databaseUrl: 'mysql://x', dataDir: 'memory://' }), /must start with postgres:\/\//);
});
