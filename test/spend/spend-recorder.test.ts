/**
 * SpendRecorder (the event-loop thread's side of the spend logs) and decodeSpendRows (the main
 * thread's): a batch leaves at maxRows rows or intervalMs after its first row, never per request;
 * it survives a structured clone (what postMessage does) and decodes into the rows LiteLLM writes:
 * call types, master key as '', wall-clock times, tokens and their source, failure status.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfigText } from '../../src/config/load.js';
import { toAuthRecord } from '../../src/control/auth-record.js';
import { newKeyRecord } from '../../src/control/key-material.js';
import { RequestContext } from '../../src/pipeline/context.js';
import { INFERENCE_ROUTES } from '../../src/pipeline/routes.js';
import { Runtime } from '../../src/pipeline/runtime.js';
import { decodeSpendRows, SpendRecorder, type SpendRowBatch } from '../../src/spend/spend-recorder.js';
import type { SpendLogRecord } from '../../src/store/types.js';

const runtime = new Runtime(
  parseConfigText(
    `model_list:
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o-2024-08-06, api_base: "http://127.0.0.1:9/v1", api_key: sk-up }
    model_info: { id: dep-1 }
  - model_name: "openai/*"
    litellm_params: { model: "openai/*", api_base: "http://127.0.0.1:9/v1", api_key: sk-up }
`,
    'spend-recorder.yaml',
    {},
  ).config,
);
const key = toAuthRecord(newKeyRecord('sk-test-spend-recorder-key-0123456789', new Date(), null, { user_id: 'alice', team_id: 'team-a' }), null, null, null);

function finished(overrides: Partial<RequestContext> & { routeIndex?: number; modelName?: string } = {}): RequestContext {
  const { routeIndex = 0, modelName = 'gpt-4o', ...fields } = overrides;
  const ctx = new RequestContext(INFERENCE_ROUTES[routeIndex], runtime, performance.now() - 250);
  const deployment = runtime.deploymentsFor(modelName)[0];
  ctx.auth = key;
  ctx.model = modelName;
  ctx.deployment = deployment;
  ctx.upstreamModel = deployment.upstreamModelFor(modelName);
  ctx.dispatchedAt = ctx.startedAt + 1;
  ctx.status = 200;
  ctx.usage = { promptTokens: 12, completionTokens: 6, source: 'provider' };
  ctx.costUsd = 0.000024;
  Object.assign(ctx, fields);
  return ctx;
}

function decode(batch: SpendRowBatch): SpendLogRecord[] {
  const rows: SpendLogRecord[] = [];
  const count = decodeSpendRows(structuredClone(batch), (row) => rows.push(row));
  assert.equal(count, rows.length);
  return rows;
}

test('a batch leaves at maxRows, not per request', () => {
  const batches: SpendRowBatch[] = [];
  const recorder = new SpendRecorder((batch) => batches.push(structuredClone(batch)), { maxRows: 4, intervalMs: 60_000 });
  const contexts = Array.from({ length: 9 }, () => finished());
  for (const ctx of contexts) recorder.record(ctx, performance.now(), false);
  assert.equal(batches.length, 2);
  assert.equal(recorder.pending, 1);
  recorder.flush();
  assert.equal(batches.length, 3);
  recorder.flush();
  assert.equal(batches.length, 3, 'nothing pending, nothing sent');
  const ids = batches.flatMap((batch) => decode(batch).map((row) => row.request_id));
  assert.deepEqual(ids, contexts.map((ctx) => ctx.callId));
});

test('a batch leaves intervalMs after its first row', async () => {
  const batches: SpendRowBatch[] = [];
  const recorder = new SpendRecorder((batch) => batches.push(structuredClone(batch)), { intervalMs: 30 });
  recorder.record(finished(), performance.now(), false);
  recorder.record(finished(), performance.now(), false);
  assert.equal(batches.length, 0);
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.equal(batches.length, 1);
  assert.equal(decode(batches[0]).length, 2);
});

test('rows decode into LiteLLM spend-log records', () => {
  let sent: SpendRowBatch | null = null;
  const recorder = new SpendRecorder((batch) => (sent = structuredClone(batch)));
  const before = Date.now();
  const chat = finished({ endUser: 'customer-1' });
  const master = finished({ auth: null, routeIndex: 2, usage: null, promptTokens: 9, costUsd: null });
  const failed = finished({ status: 502, usage: null, promptTokens: -1, costUsd: null });
  const stream = finished({ stream: true, aborted: true, usage: { promptTokens: 5, completionTokens: 3, source: 'counted' }, modelName: 'openai/gpt-4.1-mini' });
  stream.upstreamHeadersAt = stream.startedAt + 100;
  const end = performance.now();
  for (const [ctx, fail] of [[chat, false], [master, false], [failed, true], [stream, true]] as const) recorder.record(ctx, end, fail);
  recorder.flush();
  const [a, b, c, d] = decode(sent!);

  assert.equal(a.request_id, chat.callId);
  assert.equal(a.call_type, 'acompletion');
  assert.equal(a.api_key, key.key.token);
  assert.deepEqual([a.user, a.team_id, a.end_user], ['alice', 'team-a', 'customer-1']);
  assert.deepEqual([a.spend, a.prompt_tokens, a.completion_tokens, a.total_tokens, a.prompt_tokens_source], [0.000024, 12, 6, 18, 'provider']);
  assert.deepEqual([a.model, a.model_group, a.model_id, a.api_base, a.custom_llm_provider], ['gpt-4o-2024-08-06', 'gpt-4o', 'dep-1', 'http://127.0.0.1:9/v1', 'openai']);
  assert.deepEqual([a.status, a.metadata, a.completionStartTime, a.cache_hit, a.request_tags, a.requester_ip_address], ['success', {}, null, 'False', [], null]);
  // Wall clock: started ~250 ms before `before`, ended at about `before`.
  const start = Date.parse(a.startTime);
  const stop = Date.parse(a.endTime);
  assert.ok(Math.abs(start - (before - 250)) < 50, `${a.startTime} vs ${new Date(before - 250).toISOString()}`);
  assert.ok(stop >= start && Math.abs(stop - before) < 50);
  assert.ok(Math.abs((a.request_duration_ms ?? 0) - 250) <= 2);

  assert.deepEqual([b.call_type, b.api_key, b.user, b.team_id, b.end_user], ['aembedding', '', null, null, null]);
  assert.deepEqual([b.spend, b.prompt_tokens, b.completion_tokens, b.prompt_tokens_source], [0, 9, 0, 'counted']);

  assert.deepEqual([c.status, c.metadata, c.prompt_tokens, c.prompt_tokens_source], ['failure', { error_information: { error_code: '502' } }, 0, 'provider']);

  assert.deepEqual([d.model, d.model_group, d.status, d.prompt_tokens_source], ['gpt-4.1-mini', 'openai/gpt-4.1-mini', 'failure', 'counted']);
  assert.deepEqual(d.metadata, { error_information: { error_code: '499' } });
  assert.equal(Date.parse(d.completionStartTime!) - start, 100);
});
