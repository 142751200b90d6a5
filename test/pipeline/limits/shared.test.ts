/**
 * The limits stage with Redis (src/pipeline/limits/shared.ts), without HTTP: the stage suspends
 * and reserves the same counters in Redis; a Redis refusal releases the local reservation and
 * refuses like a local one; a budget counter starts from the stored spend only when it is created;
 * Redis not ready follows redis_failure_mode; a request with nothing to reserve never touches it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { parseConfigText } from '../../../src/config/load.js';
import { toAuthRecord, type AuthRecord } from '../../../src/control/auth-record.js';
import { newKeyRecord } from '../../../src/control/key-material.js';
import { GatewayError } from '../../../src/errors.js';
import { RedisCounterStore } from '../../../src/limits/redis-counters.js';
import { CounterKind } from '../../../src/native/index.js';
import { RequestContext, StageStatus } from '../../../src/pipeline/context.js';
import { SharedCounters } from '../../../src/pipeline/limits/shared.js';
import { createLimitsStage, RequestLimits } from '../../../src/pipeline/limits/stage.js';
import { INFERENCE_ROUTES } from '../../../src/pipeline/routes.js';
import { Runtime } from '../../../src/pipeline/runtime.js';
import type { KeyPatch } from '../../../src/store/types.js';
import { deleteByPrefix, redisSkip, redisUrl, uniquePrefix } from '../../support/redis.js';

function runtimeWith(mode: 'open' | 'closed'): Runtime {
  return new Runtime(parseConfigText(
    `model_list:
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, api_base: "http://127.0.0.1:9/v1", api_key: sk-up }
    model_info: { id: priced, input_cost_per_token: 0, output_cost_per_token: 0.016666666666666666 }
general_settings: { master_key: sk-master }
ailb_settings: { hot_reload: false, redis_failure_mode: ${mode} }
`,
    'shared-limits.yaml',
    {},
  ).config);
}
const openRuntime = runtimeWith('open');
const closedRuntime = runtimeWith('closed');

function auth(fields: KeyPatch): AuthRecord {
  const key = newKeyRecord(`sk-${randomUUID()}`, new Date(), null, { key_alias: 'k', ...fields });
  return toAuthRecord(key, null, null, null);
}

/** 10 prompt tokens, max_tokens 6: at most 0.1 USD. */
function request(record: AuthRecord | null, runtime = openRuntime): RequestContext {
  const ctx = new RequestContext(INFERENCE_ROUTES[0], runtime, 0);
  ctx.auth = record;
  ctx.model = 'gpt-4o';
  ctx.deployment = runtime.deploymentsFor('gpt-4o')[0];
  ctx.upstreamModel = 'gpt-4o';
  ctx.promptTokens = 10;
  ctx.maxTokens = 6;
  return ctx;
}

/** Runs the stage; resolves with the refusal (or null) once a suspended stage resumes. */
async function run(stage: (ctx: RequestContext) => StageStatus, ctx: RequestContext): Promise<GatewayError | null> {
  let status: StageStatus;
  try {
    status = stage(ctx);
  } catch (error) {
    assert.ok(error instanceof GatewayError);
    return error;
  }
  if (status === StageStatus.Continue) return null;
  assert.equal(status, StageStatus.Suspend);
  return new Promise((resolve) => {
    ctx.resume = resolve;
  });
}

async function succeed(limits: RequestLimits, ctx: RequestContext): Promise<void> {
  ctx.status = 200;
  ctx.usage = { promptTokens: 10, completionTokens: 6, source: 'provider' };
  ctx.costUsd = 0.1;
  limits.finish(ctx);
  await new Promise((resolve) => setTimeout(resolve, 50)); // the settle is not awaited
}

describe('the limits stage with Redis', { skip: await redisSkip() }, () => {
  const prefix = uniquePrefix('ailb_stage');
  let store: RedisCounterStore;
  let shared: SharedCounters;
  const failures: string[] = [];

  before(async () => {
    store = await RedisCounterStore.connect({ url: redisUrl(), keyPrefix: prefix });
    shared = new SharedCounters(store, { info: () => undefined, warn: () => undefined });
    shared.onFailure = (operation) => failures.push(operation);
  });

  after(async () => {
    await store.close();
    await deleteByPrefix(prefix);
  });

  test('a request with nothing to reserve never touches Redis', async () => {
    const limits = new RequestLimits();
    // Any use would throw.
    limits.shared = new Proxy({}, { get: () => { throw new Error('Redis touched'); } }) as SharedCounters;
    const stage = createLimitsStage(limits);
    for (const record of [null, auth({})]) {
      const ctx = request(record);
      assert.equal(stage(ctx), StageStatus.Continue);
      assert.equal(ctx.limitReservation, null);
    }
  });

  test('a refusal in Redis releases the local reservation and names the entity', async () => {
    const limits = new RequestLimits();
    limits.shared = shared;
    const stage = createLimitsStage(limits);
    const record = auth({ rpm_limit: 2 });
    const first = request(record);
    assert.equal(await run(stage, first), null);
    assert.ok(first.limitReservation!.shared !== null, 'reserved in Redis too');
    await succeed(limits, first);

    // Another instance takes the last request of the minute.
    const name = `key:${record.key.token}:rpm`;
    const other = await RedisCounterStore.connect({ url: redisUrl(), keyPrefix: prefix });
    other.declare(name, { kind: CounterKind.SlidingWindow, limit: 2, windowMs: 60_000 });
    const taken = await other.reserve([{ name, amount: 1 }]);
    assert.ok(taken.ok);
    await other.settle(taken.reservation);
    await other.close();

    const second = request(record);
    const error = await run(stage, second);
    assert.ok(error !== null);
    assert.equal(error.code, 'rate_limit_exceeded');
    assert.match(error.message, /^Rate limit exceeded for key k \(sk-\.\.\..{4}\): rpm_limit \(requests per minute\) is 2, 0 left\. Limit type: requests\. Retry after \d+ s\.$/);
    assert.ok(second.retryAfterS >= 1);
    assert.equal(second.limitHandle, -1);
    assert.equal(second.limitReservation, null);
    // Locally only the first request counts: the refused one gave its slot back.
    assert.equal(limits.entities.store.info(limits.entities.keyPlan(record, openRuntime.config.limits).key!.rpmId).current, 1);
    assert.deepEqual(failures, []);
  });

  test('a budget in Redis starts from the stored spend when created, and is kept when it exists', async () => {
    const record = auth({ max_budget: 1, spend: 0.85 });
    const limits = new RequestLimits();
    limits.shared = shared;
    const stage = createLimitsStage(limits);
    const ctx = request(record);
    assert.equal(await run(stage, ctx), null);
    await succeed(limits, ctx);
    const name = `key:${record.key.token}:budget@all`;
    const info = await store.snapshot(name);
    assert.equal(info.current, 950_000, 'stored 0.85 + this call 0.1');
    assert.equal(info.limit, 1_000_000);
    // Another instance, whose record is older, reserves on it: the existing counter is kept.
    const result = await store.reserve([{ name, amount: 0, initial: 100_000 }]);
    assert.ok(result.ok);
    await store.release(result.reservation);
    assert.equal((await store.snapshot(name)).current, 950_000);
  });

  test('Redis not ready: open admits on the local counters, closed refuses with 503 and releases', async () => {
    const down = await RedisCounterStore.connect({ url: 'redis://127.0.0.1:9', keyPrefix: prefix, waitForReady: false });
    const seen: string[] = [];
    const logged: string[] = [];
    const downShared = new SharedCounters(down, { info: (m) => logged.push(m), warn: (m) => logged.push(m) });
    downShared.onFailure = (operation) => seen.push(operation);
    try {
      const limits = new RequestLimits();
      limits.shared = downShared;
      const stage = createLimitsStage(limits);
      const record = auth({ rpm_limit: 5 });
      const admitted = request(record);
      assert.equal(stage(admitted), StageStatus.Continue, 'no suspension, no wait');
      assert.ok(admitted.limitHandle >= 0);
      assert.equal(admitted.limitReservation!.shared, null);
      assert.equal(stage(request(record)), StageStatus.Continue);

      const refused = request(record, closedRuntime);
      const error = await run(stage, refused);
      assert.ok(error !== null);
      assert.equal(error.code, 'counters_unavailable');
      assert.equal(error.status, 503);
      assert.equal(refused.limitHandle, -1);
      const id = limits.entities.keyPlan(record, openRuntime.config.limits).key!.rpmId;
      assert.equal(limits.entities.store.info(id).current, 2, 'the 503 gave its local slot back');
      assert.deepEqual(seen, ['reserve', 'reserve', 'reserve']);
      assert.equal(logged.length, 1, `one line per outage, got ${JSON.stringify(logged)}`);
    } finally {
      await down.close();
    }
  });
});
