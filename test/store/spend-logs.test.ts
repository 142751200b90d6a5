/**
 * The spend_logs table and its repository on both backends: batched inserts that skip rows
 * already stored, daily partitions (used, made on demand, safe to make concurrently), the default
 * partition, retention by dropping partitions, the filtered list and per-entity sums.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { migrate } from '../../src/store/migrate.js';
import { openStore } from '../../src/store/open.js';
import { openPgliteBackend } from '../../src/store/pglite-backend.js';
import { openPostgresBackend } from '../../src/store/postgres-backend.js';
import { createSpendLogRepository, daysAround, utcDay } from '../../src/store/spend-logs.js';
import type { SqlBackend } from '../../src/store/sql.js';
import type { SpendLogRepository } from '../../src/store/types.js';
import { pgliteTemplate } from '../support/pglite-template.js';
import { dropSchema, postgresSkip, postgresUrl, uniqueSchema } from '../support/postgres.js';
import { spendLogRow } from '../spend/fixtures.js';

const DAY_MS = 86_400_000;

interface Target {
  open(): Promise<SqlBackend>;
  cleanup(): Promise<void>;
}

/** The partition a row is stored in. */
async function partitionOf(sql: SqlBackend, requestId: string): Promise<string[]> {
  const rows = await sql.query<{ part: string }>('SELECT tableoid::regclass::text AS part FROM spend_logs WHERE request_id = $1', [requestId]);
  return rows.map((r) => r.part);
}

function suite(target: Target): void {
  let sql: SqlBackend;
  let repo: SpendLogRepository;

  before(async () => {
    sql = await target.open();
    repo = createSpendLogRepository(sql);
  });
  after(async () => {
    await sql?.close();
    await target.cleanup();
  });

  test('spend_logs is range-partitioned on start_time with a default partition and the report indexes', async () => {
    const [kind] = await sql.query<{ strategy: string; key: string }>(
      `SELECT p.partstrat AS strategy, pg_get_partkeydef(p.partrelid) AS key FROM pg_partitioned_table p WHERE p.partrelid = 'spend_logs'::regclass`,
    );
    assert.deepEqual(kind, { strategy: 'r', key: 'RANGE (start_time)' });
    assert.ok((await repo.partitions()).some((p) => p.name === 'spend_logs_default' && p.day === null));
    const indexes = (await sql.query<{ def: string }>(`SELECT indexdef AS def FROM pg_indexes WHERE tablename = 'spend_logs' AND schemaname = current_schema()`)).map((r) => r.def.replace(/^.* USING btree /, ''));
    for (const expected of ['(request_id, start_time)', '(api_key, start_time)', '("user", start_time)', '(team_id, start_time)', '(end_user, start_time)', '(model_group, start_time)', '(start_time)']) {
      assert.ok(indexes.includes(expected), `index ${expected} in ${indexes.join('; ')}`);
    }
  });

  test('ensurePartitions makes today and the next two days once; rows land in their day', async () => {
    const days = daysAround(new Date());
    await repo.ensurePartitions(days);
    assert.deepEqual(await repo.ensurePartitions(days), [], 'already there');
    const names = (await repo.partitions()).map((p) => p.name);
    for (const day of days) assert.ok(names.includes(`spend_logs_p${day.replaceAll('-', '')}`), `partition for ${day}`);
    const row = spendLogRow();
    assert.equal(await repo.insertBatch([row]), 1);
    assert.deepEqual(await partitionOf(sql, row.request_id), [`spend_logs_p${utcDay(Date.parse(row.startTime)).replaceAll('-', '')}`]);
  });

  test('insertBatch: a full record round-trips, a retried batch counts once', async () => {
    const key = randomUUID();
    const now = Date.now();
    const rows = [0, 1, 2].map((i) => spendLogRow({ api_key: key, spend: i + 0.5, completionStartTime: i === 2 ? null : new Date(now + i).toISOString() }, new Date(now - i * 1000)));
    assert.equal(await repo.insertBatch(rows), 3);
    assert.equal(await repo.insertBatch([...rows, rows[0]]), 0, 'the retry and a duplicate inside the batch are skipped');
    const page = await repo.list({ api_key: key, page: 1, size: 10 });
    assert.equal(page.has_more, false);
    assert.deepEqual(page.rows, rows, 'newest first, every field as written');
  });

  test('insertBatch: one call with more rows than one statement takes', async () => {
    const key = randomUUID();
    const rows = Array.from({ length: 6001 }, () => spendLogRow({ api_key: key }));
    assert.equal(await repo.insertBatch(rows), 6001);
    const [{ n }] = await sql.query<{ n: number }>('SELECT count(*) AS n FROM spend_logs WHERE api_key = $1', [key]);
    assert.equal(n, 6001);
  });

  test('list: filters, time range (start inclusive, end exclusive) and paging', async () => {
    const team = randomUUID();
    const t0 = Date.now() - 60_000;
    const rows = Array.from({ length: 5 }, (_, i) => spendLogRow({ team_id: team, user: i % 2 === 0 ? 'even' : 'odd', end_user: `c${i}` }, new Date(t0 + i * 1000)));
    await repo.insertBatch(rows);
    const ids = (page: { rows: { request_id: string }[] }) => page.rows.map((r) => r.request_id);
    assert.deepEqual(ids(await repo.list({ team_id: team, user: 'even', page: 1, size: 10 })), [rows[4], rows[2], rows[0]].map((r) => r.request_id));
    assert.deepEqual(ids(await repo.list({ team_id: team, end_user: 'c3', page: 1, size: 10 })), [rows[3].request_id]);
    assert.deepEqual(ids(await repo.list({ request_id: rows[1].request_id, page: 1, size: 10 })), [rows[1].request_id]);
    assert.deepEqual(
      ids(await repo.list({ team_id: team, start: rows[1].startTime, end: rows[3].startTime, page: 1, size: 10 })),
      [rows[2], rows[1]].map((r) => r.request_id),
    );
    const first = await repo.list({ team_id: team, page: 1, size: 2 });
    const last = await repo.list({ team_id: team, page: 3, size: 2 });
    assert.equal(first.has_more, true);
    assert.equal(last.has_more, false);
    assert.deepEqual(ids(last), [rows[0].request_id]);
    await assert.rejects(repo.list({ page: 0, size: 1 }), RangeError);
  });

  test('sumByEntity: totals per entity in a time range, highest spend first', async () => {
    const start = new Date(Date.now() - 3_600_000);
    const a = randomUUID();
    const b = randomUUID();
    await repo.insertBatch([
      spendLogRow({ model_group: a, spend: 1, prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 }, start),
      spendLogRow({ model_group: a, spend: 2, prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 }, start),
      spendLogRow({ model_group: b, spend: 5, prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }, start),
    ]);
    const sums = (await repo.sumByEntity('model_group', start.toISOString(), new Date(start.getTime() + 1).toISOString())).filter(
      (s) => s.entity === a || s.entity === b,
    );
    assert.deepEqual(sums, [
      { entity: b, spend: 5, requests: 1, prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      { entity: a, spend: 3, requests: 2, prompt_tokens: 30, completion_tokens: 10, total_tokens: 40 },
    ]);
    await assert.rejects(repo.sumByEntity('spend' as never, start.toISOString(), start.toISOString()), RangeError);
  });

  test('the default partition catches a far-future row; making that day later moves it in', async () => {
    const future = new Date(Date.UTC(2191, 5, 7, 12));
    const row = spendLogRow({}, future);
    assert.equal(await repo.insertBatch([row]), 1);
    assert.deepEqual(await partitionOf(sql, row.request_id), ['spend_logs_default']);
    assert.deepEqual(await repo.ensurePartitions(['2191-06-07']), ['2191-06-07']);
    assert.deepEqual(await partitionOf(sql, row.request_id), ['spend_logs_p21910607']);
    assert.equal(await repo.insertBatch([row]), 0, 'the moved row keeps its identity');
    const after = await sql.query<{ def: string }>(`SELECT indexdef AS def FROM pg_indexes WHERE tablename = 'spend_logs_p21910607'`);
    assert.equal(after.length, 7, 'the attached partition has every index');
  });

  test('ensurePartitions made concurrently for one day: one maker, no error', async () => {
    const day = '2190-01-01';
    const results = await Promise.all(Array.from({ length: 6 }, () => repo.ensurePartitions([day])));
    assert.equal(results.flat().length, 1);
  });

  test('dropPartitionsOlderThan drops whole old partitions and old default rows, keeps the rest', async () => {
    const now = new Date();
    const daysAgo = (n: number, hours = 12) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - n, hours));
    const name = (date: Date) => `spend_logs_p${utcDay(date).replaceAll('-', '')}`;
    await repo.ensurePartitions([40, 31, 30, 5].map((n) => utcDay(daysAgo(n))));
    const oldRow = spendLogRow({}, daysAgo(31, 23));
    const keptRow = spendLogRow({}, daysAgo(30, 0));
    const oldDefaultRow = spendLogRow({}, daysAgo(400));
    await repo.insertBatch([oldRow, keptRow, oldDefaultRow]);
    assert.deepEqual(await partitionOf(sql, oldDefaultRow.request_id), ['spend_logs_default']);

    const dropped = await repo.dropPartitionsOlderThan(30, now);
    assert.deepEqual(dropped, [name(daysAgo(40)), name(daysAgo(31))]);
    assert.deepEqual(await partitionOf(sql, oldRow.request_id), []);
    assert.deepEqual(await partitionOf(sql, oldDefaultRow.request_id), []);
    assert.deepEqual(await partitionOf(sql, keptRow.request_id), [name(daysAgo(30))]);
    const days = (await repo.partitions()).map((p) => p.day);
    for (const n of [30, 5, 0]) assert.ok(days.includes(utcDay(daysAgo(n))), `partition of ${n} days ago stays`);
    await assert.rejects(repo.dropPartitionsOlderThan(0), RangeError);
  });
}

describe('spend logs on PGlite', () => {
  suite({
    async open() {
      const backend = await openPgliteBackend({ dataDir: 'memory://', schema: 'public', initialDataDir: await pgliteTemplate() });
      await migrate(backend, 'public');
      return backend;
    },
    async cleanup() {},
  });

  test('openStore makes the partitions of today and the next two days', async () => {
    const store = await openStore({ databaseUrl: null, dataDir: 'memory://', pgliteInitialDataDir: await pgliteTemplate() });
    try {
      const days = (await store.spendLogs.partitions()).map((p) => p.day);
      assert.deepEqual(days, [...daysAround(new Date()), null]);
    } finally {
      await store.close();
    }
  });
});

const skip = await postgresSkip();
describe('spend logs on PostgreSQL', { skip }, () => {
  const schema = uniqueSchema('spend');
  suite({
    async open() {
      const backend = openPostgresBackend({ url: postgresUrl(), schema, poolSize: 6 });
      await migrate(backend, schema);
      return backend;
    },
    cleanup: () => dropSchema(schema),
  });

  test('openStore makes the partitions of today and the next two days (PostgreSQL)', async () => {
    const other = uniqueSchema('spend');
    const store = await openStore({ databaseUrl: postgresUrl(), dataDir: 'unused', schema: other });
    try {
      const days = (await store.spendLogs.partitions()).map((p) => p.day);
      assert.deepEqual(days, [...daysAround(new Date()), null]);
      const rows = Array.from({ length: 3 }, () => spendLogRow({}, new Date(Date.now() + DAY_MS)));
      assert.equal(await store.spendLogs.insertBatch(rows), 3);
    } finally {
      await store.close();
      await dropSchema(other);
    }
  });
});
