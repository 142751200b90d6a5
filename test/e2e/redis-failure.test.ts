/**
 * Redis down, then up again, under the gateway (docs/counters.md, "The gateway with Redis"):
 * with redis_failure_mode open the gateway keeps serving on its local limits and counts the
 * failures; with closed it answers 503 counters_unavailable; both use Redis again once it is
 * back, with no restart. A private redis-server is stopped and started mid-test. That Redis is
 * consulted is shown by filling a counter from the test's own connection: the gateway, whose
 * local counter is empty, then refuses.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RedisCounterStore } from '../../src/limits/redis-counters.js';
import { CounterKind } from '../../src/native/index.js';
import { MASTER_KEY, startTestGateway, type TestGateway } from '../support/gateway.js';
import { MockOpenAI, sleep } from '../support/mock-openai.js';
import { freePort, redisSkip, startRedisServer, uniquePrefix, type OwnRedis } from '../support/redis.js';

// This file's gateways use their own redis-server, named in their config.
delete process.env.REDIS_URL;

const RPM = 3;

function config(apiBase: string, redisUrl: string, prefix: string, mode: 'open' | 'closed', models: string[]): string {
  return `model_list:
${models
  .map(
    (name) => `  - model_name: ${name}
    litellm_params: { model: openai/gpt-4o, api_base: "${apiBase}", api_key: sk-up, rpm: ${RPM} }
    model_info: { id: ${name} }`,
  )
  .join('\n')}
general_settings: { master_key: ${MASTER_KEY} }
router_settings: { redis_url: "${redisUrl}" }
ailb_settings: { hot_reload: false, redis_failure_mode: ${mode}, redis_key_prefix: ${prefix} }
`;
}

async function chat(gw: TestGateway, model: string): Promise<{ status: number; json: any }> {
  const response = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  return { status: response.status, json: await response.json() };
}

async function failures(gw: TestGateway, operation: string): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${MASTER_KEY}` } })).text();
  const match = new RegExp(`^ailb_redis_counter_failures_total\\{operation="${operation}"\\} (\\d+)`, 'm').exec(text);
  return match === null ? 0 : Number(match[1]);
}

describe('the gateway while Redis is down and after it is back', { skip: await redisSkip() }, () => {
  const upstream = new MockOpenAI();
  const prefix = uniquePrefix('ailb_down');
  let port = 0;
  let redis: OwnRedis | null = null;
  let open: TestGateway;
  let closed: TestGateway;

  /** Uses up a deployment's rpm in Redis from a connection of the test's own. */
  async function fill(deployment: string): Promise<void> {
    const store = await RedisCounterStore.connect({ url: redis!.url, keyPrefix: prefix });
    try {
      const name = `deployment:${deployment}:rpm`;
      store.declare(name, { kind: CounterKind.SlidingWindow, limit: RPM, windowMs: 60_000 });
      for (let i = 0; i <= RPM; i++) {
        const result = await store.reserve([{ name, amount: 1 }]);
        if (!result.ok) return;
        assert.equal(await store.settle(result.reservation), true);
      }
      assert.fail(`${name} admitted more than ${RPM}`);
    } finally {
      await store.close();
    }
  }

  before(async () => {
    port = await freePort();
    redis = await startRedisServer(port);
    const apiBase = await upstream.start();
    open = await startTestGateway(config(apiBase, redis.url, prefix, 'open', ['o1', 'o2', 'o3']));
    closed = await startTestGateway(config(apiBase, redis.url, prefix, 'closed', ['c1', 'c2', 'c3']));
    await sleep(300);
  });

  after(async () => {
    await open?.stop();
    await closed?.stop();
    await upstream.stop();
    await redis?.stop();
  });

  test('fail-open serves on local limits, fail-closed answers 503; both share limits again after the restart', async () => {
    // Up: a counter full in Redis refuses, though this process has counted nothing.
    await fill('o1');
    await fill('c1');
    for (const [gw, model] of [[open, 'o1'], [closed, 'c1']] as const) {
      const reply = await chat(gw, model);
      assert.equal(reply.status, 429, JSON.stringify(reply.json));
      assert.match(reply.json.error.message, new RegExp(`Rate limit exceeded for deployment ${model} of model ${model}: rpm \\(requests per minute\\) is 3, 0 left`));
    }
    assert.equal(await failures(open, 'reserve'), 0);

    await redis!.stop();
    await sleep(200);

    // Open: the local limit alone, and every request counted as a failure.
    const statuses: number[] = [];
    for (let i = 0; i < RPM + 1; i++) statuses.push((await chat(open, 'o2')).status);
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    assert.ok((await failures(open, 'reserve')) >= RPM, `failures: ${await failures(open, 'reserve')}`);
    // Admitted on the local counters only: nothing to settle in Redis.
    assert.equal(await failures(open, 'settle'), 0);

    // Closed: 503, and the local reservation is given back (a later success is not blocked).
    for (let i = 0; i < RPM + 1; i++) {
      const reply = await chat(closed, 'c2');
      assert.equal(reply.status, 503, JSON.stringify(reply.json));
      assert.equal(reply.json.error.type, 'service_unavailable');
      assert.match(reply.json.error.message, /shared rate limits \(Redis\) are unavailable/);
    }
    assert.ok((await failures(closed, 'reserve')) >= RPM + 1);

    // Back (a fresh, empty server on the same port): ioredis reconnects within a second.
    redis = await startRedisServer(port);
    const deadline = Date.now() + 5_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await chat(closed, 'c3')).status;
      if (status === 200) break;
      assert.equal(status, 503);
      await sleep(100);
    }
    assert.equal(status, 200, 'fail-closed did not recover within 5 s');
    // Every thread of both gateways has reconnected by now (retries are at most 1 s apart).
    await sleep(1_200);
    await fill('o3');
    for (let i = 0; i < 2; i++) assert.equal((await chat(open, 'o3')).status, 429, 'fail-open did not use Redis again');
    await fill('c3');
    assert.equal((await chat(closed, 'c3')).status, 429);
  });
});
