/**
 * Two gateway processes sharing one Redis (and one PostgreSQL schema for the keys): a key's
 * rpm_limit N admits exactly N of 3N parallel calls split across both (docs/counters.md, "The
 * gateway with Redis"). Separate processes, because the native counter store is process-wide:
 * two gateways in one process would share their local counters and prove nothing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startInstance, stopInstance, type Instance } from '../support/instance.js';
import { MockOpenAI, sleep } from '../support/mock-openai.js';
import { dropSchema, postgresSkip, uniqueSchema } from '../support/postgres.js';
import { deleteByPrefix, redisSkip, redisUrl, uniquePrefix } from '../support/redis.js';

const MASTER = 'sk-redis-limits-master';

async function post(url: string, body: unknown, key: string): Promise<{ status: number; headers: Headers; json: any }> {
  const response = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, headers: response.headers, json: await response.json() };
}

async function redisFailures(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${MASTER}` } })).text();
  let sum = 0;
  for (const match of text.matchAll(/^ailb_redis_counter_failures_total\{[^}]*\} (\d+)/gm)) sum += Number(match[1]);
  return sum;
}

const skip = (await postgresSkip()) || (await redisSkip());

describe('two gateway processes sharing limits in Redis', { skip }, () => {
  const upstream = new MockOpenAI();
  const schema = uniqueSchema('t_redis');
  const prefix = uniquePrefix('ailb_two');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ailb-redis-'));
  let a: Instance;
  let b: Instance;

  before(async () => {
    const apiBase = await upstream.start();
    const configPath = path.join(dir, 'config.yaml');
    writeFileSync(
      configPath,
      `model_list:
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, api_base: "${apiBase}", api_key: sk-up }
  - model_name: priced
    litellm_params: { model: openai/gpt-4o, api_base: "${apiBase}", api_key: sk-up }
    model_info: { id: priced, input_cost_per_token: 0, output_cost_per_token: 0.016666666666666666 }
general_settings: { master_key: ${MASTER} }
ailb_settings: { hot_reload: false, redis_key_prefix: ${prefix} }
`,
    );
    [a, b] = await Promise.all([startInstance(configPath, schema, path.join(dir, 'a'), { REDIS_URL: redisUrl() }), startInstance(configPath, schema, path.join(dir, 'b'), { REDIS_URL: redisUrl() })]);
    // Each thread opens its Redis connection without delaying start-up: let them become ready.
    await sleep(500);
  });

  after(async () => {
    await Promise.all([a && stopInstance(a), b && stopInstance(b)]);
    await upstream.stop();
    await dropSchema(schema);
    await deleteByPrefix(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  test('rpm_limit N admits exactly N of 3N parallel calls split across both instances', async () => {
    const N = 5;
    const generated = await post(`${a.url}/key/generate`, { key_alias: 'shared-rpm', rpm_limit: N }, MASTER);
    assert.equal(generated.status, 200, JSON.stringify(generated.json));
    const key: string = generated.json.key;
    const chat = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] };
    const replies = await Promise.all(
      Array.from({ length: 3 * N }, (_, i) => post(`${(i % 2 === 0 ? a : b).url}/v1/chat/completions`, chat, key)),
    );
    const statuses = replies.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, N, `statuses: ${statuses.join(',')}\nA:\n${a.output()}\nB:\n${b.output()}`);
    assert.equal(statuses.filter((s) => s === 429).length, 2 * N, `statuses: ${statuses.join(',')}`);
    const refused = replies.find((r) => r.status === 429)!;
    assert.equal(refused.json.error.type, 'rate_limit_error');
    assert.match(refused.json.error.message, /Rate limit exceeded for key shared-rpm \(sk-\.\.\.[\w-]{4}\): rpm_limit \(requests per minute\) is 5, 0 left/);
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    assert.equal((await redisFailures(a.url)) + (await redisFailures(b.url)), 0, 'no Redis call failed');
  });

  test('max_budget 0.5 admits exactly 5 calls of 0.1 of 15 split across both instances', async () => {
    const generated = await post(`${b.url}/key/generate`, { key_alias: 'shared-budget', max_budget: 0.5 }, MASTER);
    assert.equal(generated.status, 200, JSON.stringify(generated.json));
    const key: string = generated.json.key;
    // Output tokens only, 1/60 USD each: max_tokens 6 reserves 0.1, and the mock's 6 completion tokens cost 0.1.
    const chat = { model: 'priced', max_tokens: 6, messages: [{ role: 'user', content: 'hi' }] };
    const replies = await Promise.all(Array.from({ length: 15 }, (_, i) => post(`${(i % 2 === 0 ? a : b).url}/v1/chat/completions`, chat, key)));
    const statuses = replies.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, 5, `statuses: ${statuses.join(',')}`);
    await sleep(100); // settles are sent after the answers
    const after = await post(`${a.url}/v1/chat/completions`, chat, key);
    assert.equal(after.status, 400, JSON.stringify(after.json));
    assert.equal(after.json.error.type, 'budget_exceeded');
  });
});
