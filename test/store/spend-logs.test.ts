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
import { copyEscape, copyInputOf, createSpendLogRepository, daysAround, utcDay } from '../../src/store/spend-logs.js';
import type { SqlBackend, SqlClient } from '../../src/store/sql.js';
import type { SpendCharge, SpendLogRecord, SpendLogRepository } from '../../src/store/types.js';
import { pgliteTemplate } from '../support/pglite-template.js';
import { dropSchema, postgresSkip, postgresUrl, uniqueSchema } from '../support/postgres.js';
import { spendLogRow } from '../spend/fixtures.js';

const DAY_MS = 86_400_000;

interface Target {
  open(): Promise<SqlBackend>;
  cleanup(): Promise<void>;
}

/** Text that COPY's format, array literals or JSON treat specially, and characters outside ASCII. */
const AWKWARD = [
  'tab\there',
  'line\nbreak',
  'crlf\r\nend',
  'back\\slash',
  'ends with a backslash\\',
  '\\N',
  '\\.',
  '\\t is not a tab',
  `quotes ' and "`,
  'emoji 😀, é, ñ, 中文, עברית',
  'zero\u200bwidth and \u0001 control and \u007f',
  '',
  '  spaces around  ',
  '{braces}, commas; NULL',
  'NULL',
];

/** A row per AWKWARD string, in every text, jsonb and text[] field, plus NULLs and missing fields; newest first. */
function awkwardRows(apiKey: string): SpendLogRecord[] {
  const t0 = Date.now() - 60_000;
  return AWKWARD.map((text, i) => {
    const row = spendLogRow(
      {
        api_key: apiKey,
        call_type: text,
        model: text,
        model_id: i % 3 === 0 ? null : text,
        model_group: text,
        api_base: i % 2 === 0 ? null : text,
        user: text,
        metadata: { text, [text === '' ? 'empty' : text]: [text, null, 1.5, true, { deeper: text }], n: -0.1 },
        cache_hit: text,
        request_tags: [text, 'NULL', '', 'a,b', '{x}', 'q"uote', 'b\\s', null as unknown as string],
        team_id: text,
        end_user: i % 4 === 0 ? null : text,
        requester_ip_address: null,
        custom_llm_provider: text,
        request_duration_ms: i % 2 === 0 ? null : 900 + i,
        completionStartTime: i % 2 === 0 ? null : new Date(t0 - i * 1000 + 250).toISOString(),
        spend: i * 1e-7,
      },
      new Date(t0 - i * 1000),
    );
    if (i === 1) {
      // A record without the NOT NULL fields that have defaults (an older spill file's, say).
      for (const field of ['call_type', 'model', 'metadata', 'cache_hit', 'request_tags', 'status', 'prompt_tokens_source'] as const) delete (row as Partial<SpendLogRecord>)[field];
    }
    return row;
  });
}

/** What a stored row reads back as: a missing field as its column's default. */
function asStored(row: SpendLogRecord): SpendLogRecord {
  return {
    ...row,
    call_type: row.call_type ?? '',
    model: row.model ?? '',
    metadata: row.metadata ?? {},
    cache_hit: row.cache_hit ?? '',
    request_tags: row.request_tags ?? [],
    status: row.status ?? 'success',
    prompt_tokens_source: row.prompt_tokens_source ?? 'provider',
  };
}

/** The client with its COPYs counted: `succeeded` and `failed`. */
function countingCopies(client: SqlClient) {
  const counts = { succeeded: 0, failed: 0 };
  const counted: SqlClient = {
    query: (text, params) => client.query(text, params),
    exec: (script) => client.exec(script),
    async copyFrom(target, data) {
      try {
        const rows = await client.copyFrom(target, data);
        counts.succeeded++;
        return rows;
      } catch (error) {
        counts.failed++;
        throw error;
      }
    },
  };
  return { counts, client: counted };
}

const chargeOf = (row: SpendLogRecord): SpendCharge => ({ api_key: row.api_key, user: row.user, team_id: row.team_id, end_user: row.end_user, spend: row.spend });

/** The SQLSTATE of a store error (the driver's error may be wrapped in a GatewayError's cause). */
function sqlState(error: unknown): string | undefined {
  for (let e: unknown = error; typeof e === 'object' && e !== null; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

test('copyEscape escapes exactly backslash, newline, carriage return and tab', () => {
  assert.equal(copyEscape('plain text, "quotes", \'s\' and 😀'), 'plain text, "quotes", \'s\' and 😀');
  assert.equal(copyEscape('a\tb\nc\rd\\e\\N'), 'a\\tb\\nc\\rd\\\\e\\\\N');
});

test('copyInputOf: one line per row, fields tab-separated, \\N for NULL, defaults for missing NOT NULL fields', () => {
  const row = spendLogRow({ user: 'a\tb', model_id: null, metadata: { k: 'v\\w' }, request_tags: ['x y', 'q"'] }, new Date('2025-03-01T12:00:00.123Z'));
  delete (row as Partial<SpendLogRecord>).status;
  const fields = copyInputOf([row, row])!.toString('utf8').split('\n');
  assert.equal(fields.length, 3);
  assert.equal(fields[2], '', 'the input ends with a newline');
  const line = fields[0].split('\t');
  assert.equal(line.length, 25);
  assert.equal(line[0], row.request_id);
  assert.equal(line[7], '2025-03-01T12:00:00.123Z');
  assert.equal(line[11], '\\N', 'model_id NULL');
  assert.equal(line[14], 'a\\tb', 'the tab escaped');
  assert.equal(line[15], '{"k":"v\\\\\\\\w"}', "JSON's own backslash escape, escaped again for COPY");
  assert.equal(line[17], '{"x y","q\\\\""}', 'an array literal, its backslash escaped for COPY');
  assert.equal(line[23], 'success', "status missing: the column's default");
});

test('copyInputOf: a value of another JS type than its column declines the whole batch', () => {
  assert.equal(copyInputOf([spendLogRow(), spendLogRow({ spend: '0.25' as unknown as number })]), null);
  assert.equal(copyInputOf([spendLogRow({ user: 42 as unknown as string })]), null);
  assert.equal(copyInputOf([spendLogRow({ startTime: new Date() as unknown as string })]), null);
  assert.notEqual(copyInputOf([spendLogRow({ request_tags: 'not an array' as unknown as string[] })]), null, 'like the general INSERT: no tags');
});

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
    for (const expected of [
      '(request_id, start_time)',
      '(api_key, start_time)',
      '("user", start_time) WHERE ("user" IS NOT NULL)',
      '(team_id, start_time) WHERE (team_id IS NOT NULL)',
      '(end_user, start_time) WHERE (end_user IS NOT NULL)',
      '(model_group, start_time)',
      '(start_time)',
    ]) {
      assert.ok(indexes.includes(expected), `index ${expected} in ${indexes.join('; ')}`);
    }
  });

  test('a filter on user, team or end user uses its partial index, with the value as a parameter', async () => {
    // Without other rows a sequential scan is cheapest; forbid it so the plan shows the index the
    // planner can prove usable. `= $1` implies IS NOT NULL for any value, so generic plans use it too.
    await sql.transaction(async (tx) => {
      await tx.query('SET LOCAL enable_seqscan = off');
      await tx.query('SET LOCAL plan_cache_mode = force_generic_plan');
      for (const [column, index] of [['"user"', 'user'], ['team_id', 'team_id'], ['end_user', 'end_user']]) {
        // A prepared statement under force_generic_plan: the plan is made for any $1, not for one value.
        await tx.query(`PREPARE by_${index}(text, timestamptz) AS SELECT request_id FROM spend_logs WHERE ${column} = $1 AND start_time >= $2 ORDER BY start_time DESC LIMIT 10`);
        const plan = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE by_${index}('someone', now() - interval '1 day')`);
        await tx.query(`DEALLOCATE by_${index}`);
        const text = plan.map((row) => row['QUERY PLAN']).join('\n');
        assert.match(text, /\$1/, `a generic plan:\n${text}`);
        assert.match(text, new RegExp(`Index (Only )?Scan( Backward)? using spend_logs_\\w*_${index}_start_time_idx`), `plan for ${column}:\n${text}`);
      }
    });
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

  test('COPY and the general INSERT store awkward text, NULLs, missing fields, jsonb and text[] exactly as given', async () => {
    const viaCopy = awkwardRows(randomUUID());
    const viaInsert = awkwardRows(randomUUID());
    const { counts, client } = countingCopies(sql);
    const counted = createSpendLogRepository(client);
    assert.equal(await counted.insertBatch(viaCopy), viaCopy.length);
    assert.deepEqual(counts, { succeeded: 1, failed: 0 }, 'one COPY');
    assert.equal(await counted.insertBatch([...viaInsert, viaInsert[0]]), viaInsert.length, 'a duplicate inside the batch: counted once');
    assert.deepEqual(counts, { succeeded: 1, failed: 1 }, 'the duplicate failed the COPY, so the batch took the general INSERT');
    for (const rows of [viaCopy, viaInsert]) {
      const page = await repo.list({ api_key: rows[0].api_key, page: 1, size: 100 });
      assert.deepEqual(page.rows, rows.map(asStored));
    }
  });

  test('a value of another JS type than its column takes the general INSERT and is stored as before', async () => {
    const row = spendLogRow({ request_duration_ms: '900' as unknown as number, user: 42 as unknown as string, spend: '0.25' as unknown as number });
    const { counts, charges } = await sql.transaction(async (tx) => {
      const counting = countingCopies(tx);
      return { counts: counting.counts, charges: await createSpendLogRepository(counting.client).insertBatchCharges([row]) };
    });
    assert.deepEqual(charges, [{ ...chargeOf(row), user: '42', spend: 0.25 }], 'charged what was stored');
    assert.deepEqual(counts, { succeeded: 0, failed: 0 }, 'no COPY tried');
    const [stored] = (await repo.list({ request_id: row.request_id, page: 1, size: 1 })).rows;
    assert.deepEqual(stored, { ...row, request_duration_ms: 900, user: '42', spend: 0.25 });
  });

  test('insertBatchCharges in a transaction: a COPY failed by a stored row leaves the transaction usable; only new rows charge', async () => {
    const key = randomUUID();
    const [stored, fresh, later] = [1, 2, 3].map((i) => spendLogRow({ api_key: key, spend: i / 8 }));
    assert.equal(await repo.insertBatch([stored]), 1);
    const { counts, charges } = await sql.transaction(async (tx) => {
      const counting = countingCopies(tx);
      const txRepo = createSpendLogRepository(counting.client);
      const first = await txRepo.insertBatchCharges([stored, fresh]);
      const second = await txRepo.insertBatchCharges([later]);
      return { counts: counting.counts, charges: [...first, ...second] };
    });
    assert.deepEqual(counts, { succeeded: 1, failed: 1 });
    assert.deepEqual(charges, [chargeOf(fresh), chargeOf(later)]);
    const page = await repo.list({ api_key: key, page: 1, size: 10 });
    assert.deepEqual(new Set(page.rows.map((r) => r.request_id)), new Set([stored, fresh, later].map((r) => r.request_id)), 'both committed with the transaction');
  });

  test('a row the database refuses fails the insert with its data-error SQLSTATE (what the writer isolates on)', async () => {
    const check = spendLogRow({ prompt_tokens_source: 'guessed' as 'counted' });
    const nul = spendLogRow({ user: 'a\u0000b' });
    for (const bad of [check, nul]) {
      const error = await repo.insertBatch([spendLogRow(), bad]).then(() => null, (e: unknown) => e);
      assert.match(sqlState(error) ?? 'none', /^2[23]/, `refused as data: ${String(error)}`);
      assert.deepEqual((await repo.list({ request_id: bad.request_id, page: 1, size: 1 })).rows, []);
    }
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
