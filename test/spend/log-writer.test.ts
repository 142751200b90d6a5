/**
 * SpendLogWriter on both backends: batches by size and by time, a store that fails (memory
 * bound, spill to disk, recovery with every row exactly once, ambiguous commits), close() with
 * rows pending, rows the database refuses, and leftover spill files from an earlier run.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GatewayError } from '../../src/errors.js';
import { SpendLogWriter, type SpendLogSink, type SpendLogWriterOptions } from '../../src/spend/log-writer.js';
import { REJECTED_FILE } from '../../src/spend/spill-files.js';
import { openStore } from '../../src/store/open.js';
import type { SpendLogRecord, Store } from '../../src/store/types.js';
import { pgliteTemplate } from '../support/pglite-template.js';
import { dropSchema, postgresSkip, postgresUrl, uniqueSchema } from '../support/postgres.js';
import { spendLogRow } from './fixtures.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'ailb-spend-writer-'));
after(() => rmSync(root, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Rows stored for this api_key. */
async function stored(store: Store, apiKey: string): Promise<number> {
  const sums = await store.spendLogs.sumByEntity('api_key', '2000-01-01T00:00:00Z', '2300-01-01T00:00:00Z');
  return sums.find((s) => s.entity === apiKey)?.requests ?? 0;
}

function spillFiles(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((name) => name !== REJECTED_FILE) : [];
}

/** A sink over the store that can be taken down, or made to commit and then report a failure. */
function flaky(store: Store) {
  const state = { down: false, ambiguous: 0, calls: 0 };
  const unavailable = () => new GatewayError('store_unavailable', "the store's database is unavailable: test");
  const sink: SpendLogSink = {
    backend: store.backend,
    spendLogs: {
      async ensurePartitions(days) {
        if (state.down) throw unavailable();
        return store.spendLogs.ensurePartitions(days);
      },
      async insertBatch(rows) {
        state.calls++;
        if (state.down) throw unavailable();
        const inserted = await store.spendLogs.insertBatch(rows);
        if (state.ambiguous > 0) {
          state.ambiguous--;
          throw unavailable(); // committed, but the reply was lost
        }
        return inserted;
      },
    },
  };
  return { sink, state };
}

function suite(open: () => Promise<Store>, cleanup: () => Promise<void>): void {
  let store: Store;
  let n = 0;
  before(async () => {
    store = await open();
  });
  after(async () => {
    await store?.close();
    await cleanup();
  });

  function setup(options: Partial<SpendLogWriterOptions> = {}, sink?: SpendLogSink) {
    const apiKey = randomUUID();
    const spillDir = path.join(root, `spill-${process.pid}-${++n}-${apiKey.slice(0, 8)}`);
    const writer = new SpendLogWriter(sink ?? store, { spillDir, retryMinMs: 5, retryMaxMs: 20, ...options });
    const row = (overrides: Partial<SpendLogRecord> = {}) => spendLogRow({ api_key: apiKey, ...overrides });
    return { apiKey, spillDir, writer, row };
  }

  test('flushes a batch as soon as batchSize rows are queued, the rest on flush()', async () => {
    const { apiKey, writer, row } = setup({ batchSize: 50, flushIntervalMs: 60_000 });
    for (let i = 0; i < 120; i++) writer.enqueue(row());
    await waitFor('two full batches', async () => (await stored(store, apiKey)) === 100);
    assert.equal(writer.stats().queuedRows, 20);
    await writer.flush();
    assert.equal(await stored(store, apiKey), 120);
    assert.equal(writer.stats().flushedBatches, 3);
    await writer.close();
  });

  test('flushes a partial batch after the interval (proxy_batch_write_at in seconds)', async () => {
    const { apiKey, writer, row } = setup({ batchSize: 1000, proxyBatchWriteAt: 0.05 });
    const started = Date.now();
    for (let i = 0; i < 10; i++) writer.enqueue(row());
    await waitFor('the timed flush', async () => (await stored(store, apiKey)) === 10);
    assert.ok(Date.now() - started >= 45, 'not before the interval');
    await writer.close();
  });

  test('store down: memory stays bounded, rows spill to disk, and all land exactly once after recovery', async () => {
    const { sink, state } = flaky(store);
    const counts = { queued: 0, flushed: 0, spilled: 0, failed: 0 };
    const { apiKey, spillDir, writer, row } = setup(
      {
        batchSize: 20,
        maxQueuedRows: 100,
        flushIntervalMs: 10,
        hooks: {
          queued: (rows) => (counts.queued += rows),
          flushed: (rows) => (counts.flushed += rows),
          spilled: (rows) => (counts.spilled += rows),
          failed: () => counts.failed++,
        },
      },
      sink,
    );
    state.down = true;
    for (let i = 0; i < 500; i++) writer.enqueue(row());
    await waitFor('spilling down to the bound', () => writer.stats().queuedRows <= 100 && counts.spilled >= 400);
    await sleep(50);
    assert.ok(counts.failed > 0, 'failed attempts are reported');
    assert.ok(spillFiles(spillDir).length > 0, 'spill files on disk');
    assert.equal(await stored(store, apiKey), 0);

    state.down = false;
    state.ambiguous = 2; // the first two batches after recovery commit but report a failure
    for (let i = 0; i < 30; i++) writer.enqueue(row());
    await waitFor('every row stored and the spill files gone', async () => (await stored(store, apiKey)) === 530 && spillFiles(spillDir).length === 0);
    await writer.flush();
    assert.equal(await stored(store, apiKey), 530);
    assert.equal(counts.queued, 530);
    assert.ok(counts.flushed >= 530);
    assert.equal(writer.stats().healthy, true);
    await writer.close();
    assert.deepEqual(spillFiles(spillDir), []);
  });

  test('a store closed under the writer: rows are retried, then spilled at close, none counted as flushed', async () => {
    const other = await open();
    await other.close();
    let failed = 0;
    const { spillDir, writer, row } = setup({ batchSize: 5, hooks: { failed: (rows) => (failed += rows) } }, other);
    for (let i = 0; i < 12; i++) writer.enqueue(row());
    await waitFor('a failed attempt', () => failed > 0);
    await writer.close(50);
    assert.equal(writer.stats().flushedRows, 0);
    assert.equal(writer.stats().spilledRows, 12);
    assert.ok(spillFiles(spillDir).length > 0);
  });

  test('close() writes pending rows when the store answers', async () => {
    const { apiKey, writer, row } = setup({ batchSize: 1000, flushIntervalMs: 60_000 });
    for (let i = 0; i < 30; i++) writer.enqueue(row());
    await writer.close();
    assert.equal(await stored(store, apiKey), 30);
  });

  test('close() with the store down spills within the deadline; the next writer recovers them exactly once', async () => {
    const { sink, state } = flaky(store);
    const { apiKey, spillDir, writer, row } = setup({ batchSize: 10, flushIntervalMs: 60_000 }, sink);
    state.down = true;
    for (let i = 0; i < 25; i++) writer.enqueue(row());
    const started = Date.now();
    await writer.close(100);
    assert.ok(Date.now() - started < 2000, 'close keeps to its deadline');
    writer.enqueue(row()); // after close: straight to a spill file
    assert.equal(writer.stats().spilledRows, 26);
    assert.ok(spillFiles(spillDir).length >= 2);

    const next = new SpendLogWriter(store, { spillDir, retryMinMs: 5 });
    await waitFor('the leftover spill files written back', async () => (await stored(store, apiKey)) === 26 && spillFiles(spillDir).length === 0);
    await next.close();
    assert.equal(await stored(store, apiKey), 26);
  });

  test('a row the database refuses is set aside in the rejects file; the rest of its batch is stored', async () => {
    let rejected = 0;
    const { apiKey, spillDir, writer, row } = setup({ batchSize: 16, flushIntervalMs: 60_000, hooks: { rejected: (rows) => (rejected += rows) } });
    const bad = row({ startTime: 'not a time' });
    for (let i = 0; i < 15; i++) writer.enqueue(i === 7 ? bad : row());
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    writer.enqueue(row({ metadata: cyclic })); // JSON cannot carry it
    await writer.flush();
    assert.equal(await stored(store, apiKey), 14);
    assert.equal(rejected, 2);
    const lines = readFileSync(path.join(spillDir, REJECTED_FILE), 'utf8').trim().split('\n');
    assert.equal(lines.length, 2);
    assert.equal((JSON.parse(lines[0]) as { row: SpendLogRecord }).row.request_id, bad.request_id);
    await writer.close();
  });

  test('enqueue never throws, even when a hook does', async () => {
    const { apiKey, writer, row } = setup({
      hooks: {
        queued() {
          throw new Error('hook');
        },
      },
    });
    assert.doesNotThrow(() => writer.enqueue(row()));
    await writer.close();
    assert.equal(await stored(store, apiKey), 1);
  });

  test('rows of a day without a partition get one made on demand', async () => {
    const { writer, row } = setup({ batchSize: 1, now: () => Date.UTC(2180, 2, 3, 12) });
    const r = row({ startTime: '2180-03-04T00:00:01.000Z', endTime: '2180-03-04T00:00:02.000Z' });
    writer.enqueue(r);
    await writer.close();
    assert.ok((await store.spendLogs.partitions()).some((p) => p.day === '2180-03-04'));
    assert.equal((await store.spendLogs.list({ request_id: r.request_id, page: 1, size: 1 })).rows.length, 1);
  });

  /**
   * A sink over the store that counts concurrent insertBatch calls. Batches whose first row's
   * request_id is passed to `failOnce` fail once, before inserting, all in the same tick once
   * every one of them is in flight.
   */
  function counting() {
    const fail: string[] = [];
    const pending = new Set<string>();
    let arrived = 0;
    let release!: () => void;
    const allArrived = new Promise<void>((resolve) => (release = resolve));
    const state = { active: 0, max: 0, calls: 0, failures: 0, firsts: [] as string[] };
    const sink: SpendLogSink = {
      backend: store.backend,
      spendLogs: {
        ensurePartitions: (days) => store.spendLogs.ensurePartitions(days),
        async insertBatch(rows) {
          state.calls++;
          state.firsts.push(rows[0].request_id);
          state.active++;
          state.max = Math.max(state.max, state.active);
          try {
            await sleep(20); // keep the batch in flight long enough for the others to start
            if (pending.delete(rows[0].request_id)) {
              if (++arrived === fail.length) release();
              await allArrived;
              state.failures++;
              throw new GatewayError('store_unavailable', "the store's database is unavailable: test");
            }
            return await store.spendLogs.insertBatch(rows);
          } finally {
            state.active--;
          }
        },
      },
    };
    const failOnce = (ids: string[]) => {
      fail.push(...ids);
      for (const id of ids) pending.add(id);
    };
    return { sink, state, failOnce };
  }

  test('several batches in flight at once on PostgreSQL, one at a time on PGlite', async () => {
    const { sink, state } = counting();
    const { apiKey, writer, row } = setup({ batchSize: 20, flushIntervalMs: 60_000 }, sink);
    for (let i = 0; i < 200; i++) writer.enqueue(row());
    await writer.flush();
    assert.equal(await stored(store, apiKey), 200);
    assert.equal(state.calls, 10);
    assert.equal(state.max, store.backend === 'postgres' ? 4 : 1);
    assert.equal(writer.stats().inFlightBatches, 0);
    await writer.close();
  });

  test('a failure of one of several batches in flight: it is retried, every row stored exactly once', async () => {
    const { sink, state, failOnce } = counting();
    const { apiKey, writer, row } = setup({ batchSize: 20, flushIntervalMs: 60_000, maxInFlight: 4 }, sink);
    const rows = Array.from({ length: 200 }, () => row());
    const failed = [rows[20].request_id, rows[40].request_id]; // the second and third batches
    failOnce(failed);
    for (const r of rows) writer.enqueue(r);
    await waitFor('every row stored', async () => (await stored(store, apiKey)) === 200);
    await writer.flush();
    assert.equal(state.failures, 2);
    assert.equal(state.max, 4);
    // The two failed batches went back to the front in their order and were retried in it. (Their
    // first attempts may start in either order: each waits for the partitions to be ensured.)
    const retries = state.firsts.filter((first, i) => failed.includes(first) && state.firsts.indexOf(first) < i);
    assert.deepEqual(retries, failed);
    assert.equal(await stored(store, apiKey), writer.stats().enqueuedRows);
    assert.equal(writer.stats().flushedRows, 200);
    assert.equal(writer.stats().failedBatches, 2);
    assert.equal(writer.stats().queuedRows, 0);
    await writer.close();
  });

  test('options are checked', () => {
    assert.throws(() => new SpendLogWriter(store, { spillDir: root, batchSize: 0 }), /batchSize/);
    assert.throws(() => new SpendLogWriter(store, { spillDir: root, batchSize: 100, maxQueuedRows: 10 }), /maxQueuedRows/);
  });
}

describe('spend log writer on PGlite', () => {
  suite(async () => openStore({ databaseUrl: null, dataDir: 'memory://', pgliteInitialDataDir: await pgliteTemplate() }), async () => {});
});

const skip = await postgresSkip();
describe('spend log writer on PostgreSQL', { skip }, () => {
  const schema = uniqueSchema('spendw');
  suite(() => openStore({ databaseUrl: postgresUrl(), dataDir: 'unused', schema }), () => dropSchema(schema));
});
