/**
 * Spend persistence end to end, on PGlite and on PostgreSQL: calls made with the official `openai`
 * SDK through a real gateway (two event-loop threads) leave one spend_logs row each, written off
 * the request path (thread batch → main thread → SpendLogWriter), and the spend of every key,
 * user, team, team member and end user equals the sum of its rows' spend exactly. Master-key
 * calls are logged with api_key ''. With disable_spend_logs no row is written, yet the entities'
 * spend is still counted (as LiteLLM does).
 *
 * Cost: the deployments carry model_info prices, so each call costs ctx.costUsd (the upstream
 * stage computes it). Should that ever be null, rows carry spend 0 and the sums still hold (0 = 0);
 * the test then says so on the console rather than pretending cost was checked.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { hashKey } from '../../src/control/key-material.js';
import { addUsd } from '../../src/spend/money.js';
import { openStore } from '../../src/store/open.js';
import type { SpendLogRecord } from '../../src/store/types.js';
import { MASTER_KEY, startTestGateway, type TestGateway } from '../support/gateway.js';
import { MockOpenAI } from '../support/mock-openai.js';
import { dropSchema, postgresSkip, postgresUrl, uniqueSchema } from '../support/postgres.js';

const INPUT_COST = 0.000001;
const OUTPUT_COST = 0.000002;

function spendConfig(apiBase: string, general = ''): string {
  const deployment = (name: string, upstream: string) => `  - model_name: ${name}
    litellm_params:
      model: openai/${upstream}
      api_base: ${JSON.stringify(apiBase)}
      api_key: sk-upstream-secret
      timeout: 2
      stream_timeout: 2
    model_info:
      id: ${name}-deployment
      input_cost_per_token: ${INPUT_COST}
      output_cost_per_token: ${OUTPUT_COST}`;
  return `model_list:
${deployment('gpt-4o', 'gpt-4o-2024-08-06')}
${deployment('text-embedding-3-small', 'text-embedding-3-small')}
general_settings:
  master_key: ${MASTER_KEY}
${general}
ailb_settings:
  hot_reload: false
`;
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

function sdk(gw: TestGateway, key: string): OpenAI {
  return new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
}

/** What the client saw of one call: its call id (x-litellm-call-id) and cost header, if any. */
interface Call {
  readonly id: string;
  readonly key: string;
  readonly kind: 'chat' | 'stream' | 'embedding' | 'failure';
  readonly endUser: string | null;
  readonly costHeader: number | null;
}

function callOf(headers: Headers, key: string, kind: Call['kind'], endUser: string | null = null): Call {
  const id = headers.get('x-litellm-call-id');
  assert.match(id ?? '', /^[0-9a-f-]{36}$/);
  const cost = headers.get('x-litellm-response-cost');
  return { id: id!, key, kind, endUser, costHeader: cost === null ? null : Number(cost) };
}

async function chat(gw: TestGateway, key: string, endUser?: string): Promise<Call> {
  const { data, response } = await sdk(gw, key)
    .chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], ...(endUser ? { user: endUser } : {}) })
    .withResponse();
  assert.equal(data.usage?.total_tokens, 18);
  return callOf(response.headers, key, 'chat', endUser ?? null);
}

async function stream(gw: TestGateway, key: string): Promise<Call> {
  const { data, response } = await sdk(gw, key)
    .chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'stream' }], stream: true, stream_options: { include_usage: true } })
    .withResponse();
  for await (const _chunk of data) {
    // drain
  }
  return callOf(response.headers, key, 'stream');
}

async function embedding(gw: TestGateway, key: string): Promise<Call> {
  const { response } = await sdk(gw, key).embeddings.create({ model: 'text-embedding-3-small', input: 'hello' }).withResponse();
  return callOf(response.headers, key, 'embedding');
}

/** A call the upstream fails with 500 (plain fetch: the SDK would throw away the headers). */
async function failing(gw: TestGateway, upstream: MockOpenAI, key: string): Promise<Call> {
  upstream.enqueue({ kind: 'status', status: 500, body: '{"error":{"message":"boom","type":"server_error"}}' });
  const response = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'fail' }] }),
  });
  assert.equal(response.status, 500);
  await response.arrayBuffer();
  return callOf(response.headers, key, 'failure');
}

/** Waits until the main thread has received `rows` more rows than `since`, then writes them all. */
async function settle(gw: TestGateway, since: number, rows: number): Promise<void> {
  const writer = gw.control!.spendWriter;
  const deadline = Date.now() + 10_000;
  while (writer.stats().enqueuedRows < since + rows) {
    if (Date.now() > deadline) throw new Error(`only ${writer.stats().enqueuedRows - since} of ${rows} spend rows reached the main thread`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await writer.flush();
  assert.equal(writer.stats().healthy, true, 'the spend-log writer failed');
}

async function rowsOf(gw: TestGateway, filter: { api_key?: string; request_id?: string } = {}): Promise<SpendLogRecord[]> {
  const rows: SpendLogRecord[] = [];
  for (let page = 1; ; page++) {
    const result = await gw.control!.store.spendLogs.list({ ...filter, page, size: 1000 });
    rows.push(...result.rows);
    if (!result.has_more) return rows;
  }
}

const sum = (rows: readonly SpendLogRecord[]) => rows.reduce((total, row) => addUsd(total, row.spend), 0);

let costNoted = false;
function noteIfUnpriced(rows: readonly SpendLogRecord[]): void {
  if (costNoted || rows.some((row) => row.spend > 0)) return;
  costNoted = true;
  console.log('# note: every spend-log row has spend 0 (ctx.costUsd was null): sums were checked, prices were not');
}

for (const backend of ['pglite', 'postgres'] as const) {
  describe(`spend persistence (${backend})`, async () => {
    const skip = backend === 'postgres' ? await postgresSkip() : false;
    const upstream = new MockOpenAI();
    let gw: TestGateway;

    before(async () => {
      if (skip) return;
      gw = await startTestGateway(spendConfig(await upstream.start()), { store: { backend }, threads: 2 });
    });

    after(async () => {
      if (skip) return;
      await gw.stop();
      await upstream.stop();
    });

    test('one row per call; key, user, team, member and end-user spend equal the sums of their rows', { skip }, async () => {
      const team = await admin(gw, 'POST', '/team/new', { team_alias: `spend-team-${backend}` });
      const teamId: string = team.team_id;
      const userId = `spend-alice-${backend}`;
      await admin(gw, 'POST', '/user/new', { user_id: userId, auto_create_key: false, teams: [teamId] });
      const teamKey: string = (await admin(gw, 'POST', '/key/generate', { team_id: teamId, user_id: userId })).key;
      const plainKey: string = (await admin(gw, 'POST', '/key/generate', {})).key;
      const since = gw.control!.spendWriter.stats().enqueuedRows;

      const calls: Call[] = [];
      // Parallel bursts, so rows come from both threads and share batches.
      calls.push(...(await Promise.all(Array.from({ length: 6 }, () => chat(gw, teamKey)))));
      calls.push(...(await Promise.all(Array.from({ length: 5 }, () => chat(gw, plainKey)))));
      calls.push(await stream(gw, teamKey), await embedding(gw, teamKey), await chat(gw, teamKey, 'customer-7'));
      calls.push(await failing(gw, upstream, plainKey));
      calls.push(...(await Promise.all([chat(gw, MASTER_KEY), chat(gw, MASTER_KEY), embedding(gw, MASTER_KEY)])));
      await settle(gw, since, calls.length);

      const stored = new Map<string, SpendLogRecord>();
      for (const call of calls) {
        const rows = await rowsOf(gw, { request_id: call.id });
        assert.equal(rows.length, 1, `one row for call ${call.id}`);
        stored.set(call.id, rows[0]);
      }
      noteIfUnpriced([...stored.values()]);

      for (const call of calls) {
        const row = stored.get(call.id)!;
        const master = call.key === MASTER_KEY;
        assert.equal(row.request_id, call.id);
        assert.equal(row.api_key, master ? '' : hashKey(call.key));
        assert.equal(row.user, call.key === teamKey ? userId : null);
        assert.equal(row.team_id, call.key === teamKey ? teamId : null);
        assert.equal(row.end_user, call.endUser);
        assert.equal(row.custom_llm_provider, 'openai');
        assert.match(row.api_base ?? '', /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
        assert.ok(Date.parse(row.endTime) >= Date.parse(row.startTime));
        assert.ok(Math.abs(Date.parse(row.startTime) - Date.now()) < 60_000, `startTime ${row.startTime} is wall-clock time`);
        assert.equal(typeof row.request_duration_ms, 'number');
        if (call.costHeader !== null) assert.equal(row.spend, call.costHeader, 'the row costs what the client was told');
        switch (call.kind) {
          case 'chat':
            assert.deepEqual(
              [row.call_type, row.model, row.model_group, row.model_id, row.status, row.prompt_tokens, row.completion_tokens, row.total_tokens, row.prompt_tokens_source, row.completionStartTime],
              ['acompletion', 'gpt-4o-2024-08-06', 'gpt-4o', 'gpt-4o-deployment', 'success', 12, 6, 18, 'provider', null],
            );
            if (call.costHeader !== null) assert.equal(row.spend, addUsd(12 * INPUT_COST, 6 * OUTPUT_COST));
            break;
          case 'stream':
            assert.deepEqual([row.call_type, row.model_group, row.status], ['acompletion', 'gpt-4o', 'success']);
            assert.ok(row.completion_tokens > 0 && row.prompt_tokens > 0, JSON.stringify(row));
            assert.ok(row.completionStartTime !== null, 'a stream has a completion start time');
            break;
          case 'embedding':
            assert.deepEqual(
              [row.call_type, row.model, row.model_group, row.status, row.prompt_tokens, row.completion_tokens],
              ['aembedding', 'text-embedding-3-small', 'text-embedding-3-small', 'success', 8, 0],
            );
            break;
          case 'failure':
            assert.deepEqual([row.call_type, row.status, row.spend], ['acompletion', 'failure', 0]);
            assert.deepEqual(row.metadata, { error_information: { error_code: '500' } });
            break;
        }
      }

      // Per-entity spend: each column equals the sum of its rows, to the last bit.
      const teamRows = [...stored.values()].filter((r) => r.api_key === hashKey(teamKey));
      const plainRows = [...stored.values()].filter((r) => r.api_key === hashKey(plainKey));
      assert.equal(teamRows.length, 9);
      assert.equal(plainRows.length, 6);
      const keyInfo = async (key: string) => (await admin(gw, 'GET', `/key/info?key=${encodeURIComponent(key)}`)).info.spend;
      assert.equal(await keyInfo(teamKey), sum(teamRows));
      assert.equal(await keyInfo(plainKey), sum(plainRows));
      assert.equal(sum(teamRows), sum(await rowsOf(gw, { api_key: hashKey(teamKey) })));
      assert.equal((await admin(gw, 'GET', `/team/info?team_id=${encodeURIComponent(teamId)}`)).team_info.spend, sum(teamRows));
      assert.equal((await admin(gw, 'GET', `/user/info?user_id=${encodeURIComponent(userId)}`)).user_info.spend, sum(teamRows));
      assert.equal((await gw.control!.store.teams.membership(teamId, userId))!.spend, sum(teamRows));
      const customerRows = teamRows.filter((r) => r.end_user === 'customer-7');
      const customer = await gw.control!.store.customers.get('customer-7');
      if (sum(customerRows) > 0) assert.equal(customer!.spend, sum(customerRows));
      else assert.equal(customer?.spend ?? 0, 0);
      if (sum(teamRows) > 0) assert.ok(sum(teamRows) > sum(plainRows), 'the team key made more calls');

      // The main thread's counters are merged into /metrics with the threads'.
      const metrics = await (await fetch(`${gw.url}/metrics`)).text();
      const written = /^ailb_spend_log_rows_total\{outcome="written"\} (\d+)$/m.exec(metrics);
      assert.ok(written !== null && Number(written[1]) >= calls.length, metrics.split('\n').filter((l) => l.includes('spend_log')).join('\n'));
      assert.match(metrics, /^ailb_spend_log_rows_total\{outcome="queued"\} \d+$/m);
    });

    test('a retried batch charges nothing twice: spend still equals the sum of rows', { skip }, async () => {
      const key: string = (await admin(gw, 'POST', '/key/generate', {})).key;
      const since = gw.control!.spendWriter.stats().enqueuedRows;
      const calls = await Promise.all(Array.from({ length: 4 }, () => chat(gw, key)));
      await settle(gw, since, calls.length);
      const rows = await rowsOf(gw, { api_key: hashKey(key) });
      assert.equal(rows.length, 4);
      // The same rows once more, as a retry after an ambiguous commit or a spill file re-read would.
      gw.control!.spendWriter.enqueue(rows[0]);
      gw.control!.spendWriter.enqueue(rows[1]);
      await gw.control!.spendWriter.flush();
      assert.equal((await rowsOf(gw, { api_key: hashKey(key) })).length, 4);
      assert.equal((await admin(gw, 'GET', `/key/info?key=${encodeURIComponent(key)}`)).info.spend, sum(rows));
    });
  });

  test(`rows of calls answered just before shutdown are written before the store closes (${backend})`, { skip: backend === 'postgres' ? await postgresSkip() : false }, async () => {
    const upstream = new MockOpenAI();
    const apiBase = await upstream.start();
    const pgliteDir = mkdtempSync(path.join(os.tmpdir(), 'ailb-spend-drain-'));
    const schema = backend === 'postgres' ? uniqueSchema('t_spend') : undefined;
    try {
      const gw = await startTestGateway(spendConfig(apiBase), { store: { backend, pgliteDir, schema, keep: true }, threads: 2 });
      const key: string = (await admin(gw, 'POST', '/key/generate', {})).key;
      const calls = await Promise.all(Array.from({ length: 7 }, () => chat(gw, key)));
      // No wait: the rows are still in the threads' batches (100 ms) or the writer's (1 s).
      await gw.stop();
      const store = await openStore({ databaseUrl: backend === 'postgres' ? postgresUrl() : null, dataDir: pgliteDir, schema });
      try {
        const rows = (await store.spendLogs.list({ api_key: hashKey(key), page: 1, size: 100 })).rows;
        assert.deepEqual(rows.map((r) => r.request_id).sort(), calls.map((c) => c.id).sort());
        assert.equal((await store.keys.findByToken(hashKey(key)))!.spend, sum(rows));
      } finally {
        await store.close();
      }
    } finally {
      await upstream.stop();
      rmSync(pgliteDir, { recursive: true, force: true });
      if (schema !== undefined) await dropSchema(schema);
    }
  });

  describe(`disable_spend_logs (${backend})`, async () => {
    const skip = backend === 'postgres' ? await postgresSkip() : false;
    const upstream = new MockOpenAI();
    let gw: TestGateway;

    before(async () => {
      if (skip) return;
      gw = await startTestGateway(spendConfig(await upstream.start(), '  disable_spend_logs: true'), { store: { backend }, threads: 2 });
    });

    after(async () => {
      if (skip) return;
      await gw.stop();
      await upstream.stop();
    });

    test('no spend_logs row is written; the key, team and end-user spend are still counted', { skip }, async () => {
      assert.equal(gw.gateway.currentConfig.generalSettings.disableSpendLogs, true);
      const team = await admin(gw, 'POST', '/team/new', {});
      const key: string = (await admin(gw, 'POST', '/key/generate', { team_id: team.team_id })).key;
      const since = gw.control!.spendWriter.stats().enqueuedRows;
      // A master-key call without `user` charges no one: its row never leaves the thread.
      await chat(gw, MASTER_KEY);
      const calls = await Promise.all([chat(gw, key), chat(gw, key), chat(gw, key), chat(gw, MASTER_KEY, 'end-user-charged')]);
      await settle(gw, since, calls.length);
      // Longer than a thread holds a batch (100 ms): a row of the first call would be here by now.
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(gw.control!.spendWriter.stats().enqueuedRows - since, calls.length, 'rows that reached the main thread');
      assert.deepEqual(await rowsOf(gw), []);
      const costs = calls.filter((c) => c.key === key).map((c) => c.costHeader ?? 0);
      const expected = costs.reduce(addUsd, 0);
      if (expected === 0) console.log('# note: disable_spend_logs test ran without cost (ctx.costUsd null)');
      assert.equal((await admin(gw, 'GET', `/key/info?key=${encodeURIComponent(key)}`)).info.spend, expected);
      assert.equal((await admin(gw, 'GET', `/team/info?team_id=${encodeURIComponent(team.team_id)}`)).team_info.spend, expected);
      const endUserCost = calls.find((c) => c.key === MASTER_KEY)!.costHeader ?? 0;
      assert.equal((await admin(gw, 'GET', '/customer/info?end_user_id=end-user-charged')).spend, endUserCost);
    });
  });
}
