/**
 * PostgreSQL crashing under load loses no spend-log row and charges none twice
 * (docs/spend-logs.md, "Store failure" and "Recovery"). A gateway with two event-loop threads
 * stores on a PostgreSQL server of this test's own; chat calls with one virtual key go through it
 * at a steady pace, 8 at a time. After 200 answers, at a moment the writer has a batch in flight,
 * the server is SIGKILLed (postmaster and backends: that batch's transaction dies mid-way, or its
 * COMMIT lands without its reply); 3 s later it is restarted on the same data dir, so crash
 * recovery runs; the load goes on until 200 calls sent after the restart are answered. Calls keep
 * succeeding throughout (the key is cached in the threads and in the main thread's directory),
 * and once the server is back the writer flushes what it queued.
 *
 * Checked: every call succeeded; the key's rows are exactly the calls' ids, each once; the key's
 * spend equals the sum of its rows' spend to the last bit; the writer logged the outage and the
 * recovery; and nothing raised an uncaught error, which would have ended a gateway process.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashKey } from '../../src/control/key-material.js';
import { addUsd } from '../../src/spend/money.js';
import type { SpendLogRecord } from '../../src/store/types.js';
import { MASTER_KEY, startTestGateway, type TestGateway } from '../support/gateway.js';
import { MockOpenAI, sleep } from '../support/mock-openai.js';
import { privatePostgresSkip, startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres.js';

const CONCURRENCY = 8;
/** Call i is not sent before i × this after the start: a steady pace, so the load spans the outage even on a fast machine. */
const SPACING_MS = 10;
/** Calls answered before the crash. */
const BEFORE_CRASH = 200;
/** Calls sent, and answered, after the server is back: the load ends with them. */
const AFTER_RESTART = 200;
/** How long the server stays down before the restart begins (crash recovery then takes its own time). */
const OUTAGE_MS = 3_000;
/** A bound on the load should the restart never finish. */
const MAX_CALLS = 3_000;
/** How long the writer may take to catch up once the server is back (its backoff tops out at 5 s). */
const FLUSH_DEADLINE_MS = 30_000;

const INPUT_COST = 0.000001;
const OUTPUT_COST = 0.000002;

function config(apiBase: string): string {
  return `model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o-2024-08-06
      api_base: ${JSON.stringify(apiBase)}
      api_key: sk-upstream-secret
      timeout: 5
    model_info:
      id: gpt-4o-deployment
      input_cost_per_token: ${INPUT_COST}
      output_cost_per_token: ${OUTPUT_COST}
general_settings:
  master_key: ${MASTER_KEY}
ailb_settings:
  hot_reload: false
`;
}

/** One call of the load: its HTTP status, call id, and when it was sent and answered (performance.now()). */
interface Outcome {
  readonly status: number;
  readonly id: string | null;
  readonly sentAt: number;
  readonly answeredAt: number;
  readonly error?: string;
}

async function chat(gw: TestGateway, key: string): Promise<Outcome> {
  const sentAt = performance.now();
  try {
    const response = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
    });
    const body = await response.text();
    return { status: response.status, id: response.headers.get('x-litellm-call-id'), sentAt, answeredAt: performance.now(), ...(response.status === 200 ? {} : { error: body }) };
  } catch (error) {
    return { status: 0, id: null, sentAt, answeredAt: performance.now(), error: (error as Error).message };
  }
}

/**
 * Sends calls CONCURRENCY at a time, call i not before i × SPACING_MS, until `answered` (run after
 * each answer with the outcomes so far) says enough, or MAX_CALLS.
 */
async function steadyLoad(send: () => Promise<Outcome>, answered: (outcomes: readonly Outcome[]) => boolean): Promise<Outcome[]> {
  const start = performance.now();
  const outcomes: Outcome[] = [];
  let next = 0;
  let done = false;
  const worker = async () => {
    for (let i = next++; !done && i < MAX_CALLS; i = next++) {
      const wait = start + i * SPACING_MS - performance.now();
      if (wait > 0) await sleep(wait);
      outcomes.push(await send());
      done ||= answered(outcomes);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return outcomes;
}

async function admin(gw: TestGateway, method: string, route: string, body?: unknown): Promise<any> {
  const response = await fetch(`${gw.url}${route}`, {
    method,
    headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  assert.equal(response.status, 200, `${method} ${route}: ${JSON.stringify(json)}`);
  return json;
}

/** Waits until the main thread has `rows` rows and the writer has committed all of them. */
async function settled(gw: TestGateway, rows: number): Promise<void> {
  const writer = gw.control!.spendWriter;
  const deadline = Date.now() + FLUSH_DEADLINE_MS;
  for (;;) {
    const stats = writer.stats();
    if (stats.enqueuedRows >= rows && stats.healthy) {
      await writer.flush();
      const after = writer.stats();
      if (after.healthy && after.queuedRows === 0 && after.inFlightBatches === 0) return;
    }
    if (Date.now() > deadline) throw new Error(`the spend-log writer did not catch up within ${FLUSH_DEADLINE_MS} ms: ${JSON.stringify(writer.stats())}`);
    await sleep(100);
  }
}

/**
 * Resolves true as soon as the writer has a batch in flight (it writes one a second under this
 * load), so the crash hits a transaction mid-way (its COMMIT may even land without its reply);
 * false if none went out within 3 s.
 */
async function batchGoesOut(gw: TestGateway): Promise<boolean> {
  const writer = gw.control!.spendWriter;
  const deadline = performance.now() + 3_000;
  while (writer.stats().inFlightBatches === 0) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return true;
}

async function rowsOf(gw: TestGateway, apiKey: string): Promise<SpendLogRecord[]> {
  const rows: SpendLogRecord[] = [];
  for (let page = 1; ; page++) {
    const result = await gw.control!.store.spendLogs.list({ api_key: apiKey, page, size: 1000 });
    rows.push(...result.rows);
    if (!result.has_more) return rows;
  }
}

const sum = (rows: readonly SpendLogRecord[]) => rows.reduce((total, row) => addUsd(total, row.spend), 0);

describe('spend logs across a PostgreSQL crash', { skip: await privatePostgresSkip() }, () => {
  const upstream = new MockOpenAI();
  let server: PrivatePostgres;
  let gw: TestGateway;

  before(async () => {
    const [apiBase, started] = await Promise.all([upstream.start(), startPrivatePostgres()]);
    server = started;
    gw = await startTestGateway(config(apiBase), { store: { backend: 'postgres', databaseUrl: server.url }, threads: 2 });
  });

  after(async () => {
    await gw?.stop();
    await upstream.stop();
    await server?.stop();
  });

  test('killing PostgreSQL mid-load loses no spend rows once it is back', async () => {
    const key: string = (await admin(gw, 'POST', '/key/generate', {})).key;
    const since = gw.control!.spendWriter.stats().enqueuedRows;
    // The gateway runs in this process: an error nothing handles would have ended a real one.
    const uncaught: Error[] = [];
    const recordUncaught = (error: Error) => uncaught.push(error);
    process.on('uncaughtException', recordUncaught);

    let killedAt = Infinity;
    let backAt = Infinity;
    let batchInFlight = false;
    let restartFailed = false;
    let outage: Promise<void> | null = null;
    const crashAndRestart = async () => {
      batchInFlight = await batchGoesOut(gw);
      await server.kill();
      killedAt = performance.now();
      await sleep(OUTAGE_MS);
      await server.restart();
      backAt = performance.now();
    };
    let outcomes: Outcome[];
    try {
      outcomes = await steadyLoad(
        () => chat(gw, key),
        (sofar) => {
          if (sofar.length === BEFORE_CRASH) {
            outage = crashAndRestart();
            outage.catch(() => (restartFailed = true));
          }
          return restartFailed || sofar.filter((o) => o.sentAt > backAt).length >= AFTER_RESTART;
        },
      );
      assert.ok(outage !== null, 'the crash was started');
      await outage;
    } finally {
      process.removeListener('uncaughtException', recordUncaught);
    }

    const total = outcomes.length;
    const failures = outcomes.filter((o) => o.status !== 200);
    assert.deepEqual(failures.slice(0, 5), [], `${failures.length} of ${total} calls failed (the key must not need the store per call)`);
    const duringOutage = outcomes.filter((o) => o.sentAt > killedAt && o.answeredAt < backAt).length;
    assert.ok(duringOutage >= 50, `only ${duringOutage} calls were sent and answered while PostgreSQL was down`);

    await settled(gw, since + total);

    const rows = await rowsOf(gw, hashKey(key));
    const stored = new Set(rows.map((row) => row.request_id));
    assert.equal(stored.size, rows.length, 'no request_id is stored twice');
    const answered = outcomes.map((o) => o.id!);
    assert.equal(new Set(answered).size, total, 'every call has its own id');
    const missing = answered.filter((id) => !stored.has(id));
    assert.deepEqual(missing, [], `${missing.length} of ${total} calls have no spend-log row`);
    assert.equal(rows.length, total, 'one row per successful call, none extra');

    assert.ok(rows.every((row) => row.spend > 0), 'every call was priced');
    const keySpend = (await admin(gw, 'GET', `/key/info?key=${encodeURIComponent(key)}`)).info.spend;
    assert.equal(keySpend, sum(rows), "the key's spend is the sum of its rows' spend");
    assert.equal(keySpend, addUsd(0, total * (12 * INPUT_COST + 6 * OUTPUT_COST)), 'each call charged once');

    // The writer noticed the outage and said so, then said it recovered.
    assert.ok(gw.control!.spendWriter.stats().failedBatches > 0, 'a batch failed while PostgreSQL was down');
    const failing = gw.logs.filter((line) => line.includes('could not write spend logs'));
    const recovered = gw.logs.filter((line) => line.includes('spend logs are being written again'));
    assert.ok(failing.length >= 1 && recovered.length >= 1, `outage log lines:\n${gw.logs.filter((l) => /spend/.test(l)).join('')}`);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    const duplicates = /^ailb_spend_log_rows_total\{outcome="duplicate"\} (\d+)$/m.exec(metrics)?.[1] ?? '0';
    console.log(
      `# ${total} calls, ${duringOutage} of them while PostgreSQL was down (${Math.round(backAt - killedAt)} ms, killed ${batchInFlight ? 'with' : 'without'} a batch in flight); ` +
        `${gw.control!.spendWriter.stats().failedBatches} failed batch attempts; ${duplicates} rows found already stored on retry`,
    );
    assert.deepEqual(
      uncaught.map((error) => error.message),
      [],
      'PostgreSQL dying under an open store transaction must not raise an uncaught error (the gateway process would exit)',
    );
  });
});
