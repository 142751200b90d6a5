/**
 * The spend-log writer's store sink on both backends: a batch inserts its rows and adds the spend
 * of the new ones to the key (also through a rotated key's previous token), the user, the team,
 * the team member and the end user (created when missing), in one transaction. Rows already
 * stored charge nothing, so after retries, ambiguous commits and concurrent batches every
 * entity's spend equals the sum of its rows exactly; with disable_spend_logs no row is stored and
 * the spend is still added.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GatewayError } from '../../src/errors.js';
import { SpendLogWriter, type SpendLogSink } from '../../src/spend/log-writer.js';
import { addUsd } from '../../src/spend/money.js';
import { storeSpendSink } from '../../src/spend/store-sink.js';
import { openStore } from '../../src/store/open.js';
import { spendTotalsOf } from '../../src/store/spend-totals.js';
import type { SpendLogRecord, Store } from '../../src/store/types.js';
import { id, keyRecord, memberRecord, teamRecord, userRecord } from '../store/fixtures.js';
import { pgliteTemplate } from '../support/pglite-template.js';
import { dropSchema, postgresSkip, postgresUrl, uniqueSchema } from '../support/postgres.js';
import { spendLogRow } from './fixtures.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'ailb-spend-sink-'));
after(() => rmSync(root, { recursive: true, force: true }));

const sum = (rows: readonly SpendLogRecord[]) => rows.reduce((total, row) => addUsd(total, row.spend), 0);

test('spendTotalsOf sums per entity on the picodollar grid and skips zero spend and missing ids', () => {
  const totals = spendTotalsOf([
    { api_key: 'k1', user: 'u1', team_id: 't1', end_user: 'c1', spend: 0.1 },
    { api_key: 'k1', user: 'u1', team_id: 't1', end_user: null, spend: 0.2 },
    { api_key: '', user: null, team_id: null, end_user: 'c1', spend: 0.05 },
    { api_key: 'k2', user: 'u2', team_id: null, end_user: '', spend: 0 },
  ]);
  assert.deepEqual([...totals.keys], [['k1', 0.3]]);
  assert.deepEqual([...totals.users], [['u1', 0.3]]);
  assert.deepEqual([...totals.teams], [['t1', 0.3]]);
  assert.deepEqual([...totals.teamMembers].map(([team, members]) => [team, [...members]]), [['t1', [['u1', 0.3]]]]);
  assert.deepEqual([...totals.endUsers], [['c1', 0.15]]);
});

function suite(open: () => Promise<Store>, cleanup: () => Promise<void>): void {
  let store: Store;
  before(async () => {
    store = await open();
  });
  after(async () => {
    await store?.close();
    await cleanup();
  });

  /** A key in a team, with a user who is a member of it. */
  async function entities() {
    const user = await store.users.insert(userRecord());
    const team = await store.teams.insert(teamRecord());
    await store.teams.addMember(memberRecord(team.team_id, user.user_id));
    const key = await store.keys.insert(keyRecord({ user_id: user.user_id, team_id: team.team_id }));
    return { user: user.user_id, team: team.team_id, key: key.token };
  }

  async function spendOf(e: { user: string; team: string; key: string }, customer?: string) {
    return {
      key: (await store.keys.findByToken(e.key))?.spend,
      user: (await store.users.get(e.user))?.spend,
      team: (await store.teams.get(e.team))?.spend,
      member: (await store.teams.membership(e.team, e.user))?.spend,
      customer: customer === undefined ? undefined : (await store.customers.get(customer))?.spend,
    };
  }

  const rowFor = (e: { user: string; team: string; key: string }, spend: number, endUser: string | null = null) =>
    spendLogRow({ api_key: e.key, user: e.user, team_id: e.team, end_user: endUser, spend });

  test('a batch stores its rows and charges every entity once; a retry charges nothing', async () => {
    const e = await entities();
    const customer = id('customer');
    const sink = storeSpendSink(store, () => true);
    const rows = [rowFor(e, 0.1, customer), rowFor(e, 0.2), rowFor(e, 0), spendLogRow({ api_key: '', user: null, team_id: null, end_user: null, spend: 0.7 })];
    assert.equal(await sink.recordBatch!(rows), 4);
    assert.deepEqual(await spendOf(e, customer), { key: 0.3, user: 0.3, team: 0.3, member: 0.3, customer: 0.1 });
    assert.equal(await sink.recordBatch!(rows), 0, 'the retry stores nothing');
    const more = rowFor(e, 0.05, customer);
    assert.equal(await sink.recordBatch!([rows[0], more, rows[1]]), 1, 'only the new row counts');
    assert.deepEqual(await spendOf(e, customer), { key: 0.35, user: 0.35, team: 0.35, member: 0.35, customer: 0.15 });
  });

  test('a row made with a key that was regenerated since charges the key by its previous token', async () => {
    const e = await entities();
    const old = e.key;
    const rotated = await store.keys.rotate(old, { token: id('new').padEnd(64, '0'), key_name: 'sk-...new', graceUntil: new Date(Date.now() + 60_000).toISOString() });
    assert.ok(rotated);
    await storeSpendSink(store, () => true).recordBatch!([rowFor(e, 0.25), rowFor({ ...e, key: rotated.token }, 0.5)]);
    assert.equal((await store.keys.findByToken(rotated.token))?.spend, 0.75);
  });

  test('concurrent batches over the same keys neither deadlock nor lose spend', async () => {
    const all = await Promise.all(Array.from({ length: 5 }, () => entities()));
    const sink = storeSpendSink(store, () => true);
    const batches = Array.from({ length: 12 }, (_, b) =>
      Array.from({ length: 40 }, (_, i) => rowFor(all[(b % 2 === 0 ? i : 40 - i) % all.length], ((b * 40 + i) % 7) * 0.001 + 0.0001)),
    );
    const inserted = await Promise.all(batches.map((rows) => sink.recordBatch!(rows)));
    assert.deepEqual(inserted, batches.map((rows) => rows.length));
    for (const e of all) {
      const rows = batches.flat().filter((row) => row.api_key === e.key);
      assert.deepEqual(await spendOf(e), { key: sum(rows), user: sum(rows), team: sum(rows), member: sum(rows), customer: undefined });
    }
  });

  test('through the writer with commits whose reply is lost: spend still equals the sum of rows', async () => {
    const e = await entities();
    const inner = storeSpendSink(store, () => true);
    let ambiguous = 3;
    const sink: SpendLogSink = {
      ...inner,
      async recordBatch(rows) {
        const inserted = await inner.recordBatch!(rows);
        if (ambiguous > 0) {
          ambiguous--;
          throw new GatewayError('store_unavailable', "the store's database is unavailable: test (committed, reply lost)");
        }
        return inserted;
      },
    };
    const writer = new SpendLogWriter(sink, { spillDir: path.join(root, id('spill')), batchSize: 10, flushIntervalMs: 5, retryMinMs: 5, retryMaxMs: 20 });
    const rows = Array.from({ length: 45 }, (_, i) => rowFor(e, (i % 5) * 0.01 + 0.001));
    for (const row of rows) writer.enqueue(row);
    const end = Date.now() + 10_000;
    while (writer.stats().flushedRows < rows.length || !writer.stats().healthy) {
      if (Date.now() > end) throw new Error(`writer stuck: ${JSON.stringify(writer.stats())}`);
      await writer.flush();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await writer.close();
    assert.equal(ambiguous, 0);
    const stored = await store.spendLogs.list({ api_key: e.key, page: 1, size: 100 });
    assert.equal(stored.rows.length, 45);
    assert.deepEqual(await spendOf(e), { key: sum(rows), user: sum(rows), team: sum(rows), member: sum(rows), customer: undefined });
  });

  test('disable_spend_logs: no row is stored, the spend is added', async () => {
    const e = await entities();
    const sink = storeSpendSink(store, () => false);
    const rows = [rowFor(e, 0.125), rowFor(e, 0.375)];
    assert.equal(await sink.recordBatch!(rows), 0);
    assert.deepEqual(await sink.spendLogs.ensurePartitions(['2030-01-01']), [], 'no partitions made either');
    assert.equal((await store.spendLogs.list({ api_key: e.key, page: 1, size: 10 })).rows.length, 0);
    assert.deepEqual(await spendOf(e), { key: 0.5, user: 0.5, team: 0.5, member: 0.5, customer: undefined });
  });
}

describe('spend sink on PGlite', () => {
  suite(async () => openStore({ databaseUrl: null, dataDir: 'memory://', pgliteInitialDataDir: await pgliteTemplate() }), async () => {});
});

describe('spend sink on PostgreSQL', { skip: await postgresSkip() }, () => {
  const schema = uniqueSchema('spend_sink');
  suite(() => openStore({ databaseUrl: postgresUrl(), dataDir: 'unused', schema, poolSize: 8 }), () => dropSchema(schema));
});
