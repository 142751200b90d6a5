/**
 * A virtual key's own limits over HTTP, across every event-loop thread: rpm_limit admits exactly
 * N of 3N parallel calls; max_parallel_requests holds while calls are in flight and frees as they
 * end; tpm_limit reserves prompt + max_tokens and settles to the provider's usage; refusals are
 * 429 with retry-after; admitted answers carry x-ratelimit-* headers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashKey } from '../../src/control/key-material.js';
import { CounterStore } from '../../src/native/index.js';
import { MASTER_KEY, openaiConfig, startTestGateway, type TestGateway, postJson, type JsonReply } from '../support/gateway.js';
import { MockOpenAI, sleep } from '../support/mock-openai.js';


/**
 * Waits until no reservation is open on a counter: a call is settled or released just after its
 * answer is written (docs/counters.md#settle-after-the-answer), so a client's next call can come
 * first.
 */
async function drained(name: string): Promise<void> {
  const store = new CounterStore();
  const id = store.intern(name);
  for (let i = 0; i < 100 && store.info(id).reserved > 0; i++) await sleep(10);
  assert.equal(store.info(id).reserved, 0, `${name} still has reservations open`);
}

const chat = (extra: object = {}) => ({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], ...extra });

describe('key limits (rpm, tpm, max_parallel_requests)', () => {
  const upstream = new MockOpenAI();
  let gw: TestGateway;

  before(async () => {
    const apiBase = await upstream.start();
    gw = await startTestGateway(openaiConfig(apiBase), { store: { backend: 'pglite' }, threads: 2 });
  });

  after(async () => {
    await gw.stop();
    await upstream.stop();
  });

  async function keyWith(limits: object): Promise<string> {
    const generated = await postJson(gw, '/key/generate', limits, MASTER_KEY);
    assert.equal(generated.status, 200, JSON.stringify(generated.json));
    return generated.json.key;
  }

  test('rpm_limit N: exactly N of 3N parallel calls pass, the rest get 429 with retry-after', async () => {
    const key = await keyWith({ rpm_limit: 7, key_alias: 'rpm-seven' });
    const replies = await Promise.all(Array.from({ length: 21 }, () => postJson(gw, '/v1/chat/completions', chat(), key)));
    const passed = replies.filter((r) => r.status === 200);
    const refused = replies.filter((r) => r.status === 429);
    assert.equal(passed.length, 7);
    assert.equal(refused.length, 14);
    for (const reply of refused) {
      assert.equal(reply.json.error.type, 'rate_limit_error');
      assert.match(reply.json.error.message, /^Rate limit exceeded for key rpm-seven \(sk-\.\.\..{4}\): rpm_limit \(requests per minute\) is 7, 0 left\. Limit type: requests\. Retry after \d+ s\.$/);
      assert.ok(Number(reply.headers.get('retry-after')) >= 1);
    }
    const remaining = passed.map((r) => Number(r.headers.get('x-ratelimit-remaining-requests'))).sort((a, b) => a - b);
    assert.deepEqual(remaining, [0, 1, 2, 3, 4, 5, 6]);
    assert.equal(passed[0].headers.get('x-ratelimit-limit-requests'), '7');
  });

  test('max_parallel_requests holds while calls are in flight and frees as they end', async () => {
    const key = await keyWith({ max_parallel_requests: 2 });
    upstream.enqueue({ kind: 'delay', ms: 300 }, { kind: 'delay', ms: 300 });
    const slow = [postJson(gw, '/v1/chat/completions', chat(), key), postJson(gw, '/v1/chat/completions', chat(), key)];
    await new Promise((resolve) => setTimeout(resolve, 100));
    const third = await postJson(gw, '/v1/chat/completions', chat(), key);
    assert.equal(third.status, 429);
    assert.match(third.json.error.message, /max_parallel_requests is 2/);
    assert.deepEqual((await Promise.all(slow)).map((r) => r.status), [200, 200]);
    await drained(`key:${hashKey(key)}:parallel`);
    assert.equal((await postJson(gw, '/v1/chat/completions', chat(), key)).status, 200);
  });

  test('tpm_limit reserves prompt + max_tokens and settles to the provider usage', async () => {
    // The mock answers with usage 12 + 6 = 18 tokens. A reservation of prompt (8) + 50 = 58.
    const key = await keyWith({ tpm_limit: 100 });
    const first = await postJson(gw, '/v1/chat/completions', chat({ max_tokens: 50 }), key);
    assert.equal(first.status, 200, JSON.stringify(first.json));
    // Settled to 18: 82 left, so two more reservations of 58 in flight together cannot both fit.
    // One slow answer: the call admitted first holds its reservation while the other one asks.
    // (The refused call never reaches the upstream, so only one behaviour is queued.)
    upstream.enqueue({ kind: 'delay', ms: 200 });
    const [a, b] = await Promise.all([0, 1].map(() => postJson(gw, '/v1/chat/completions', chat({ max_tokens: 50 }), key)));
    assert.deepEqual([a.status, b.status].sort(), [200, 429]);
    const refused = a.status === 429 ? a : b;
    assert.match(refused.json.error.message, /tpm_limit \(tokens per minute\) is 100, \d+ left and this request needs 58 tokens/);
    const passed = a.status === 200 ? a : b;
    assert.equal(passed.headers.get('x-ratelimit-limit-tokens'), '100');
    assert.equal(passed.headers.get('x-ratelimit-remaining-tokens'), '24'); // 100 - 18 settled - 58 reserved
  });

  test('a refused or failed call gives its reservation back', async () => {
    const key = await keyWith({ rpm_limit: 2 });
    upstream.enqueue({ kind: 'status', status: 500, body: '{"error":{"message":"boom"}}' });
    assert.equal((await postJson(gw, '/v1/chat/completions', chat(), key)).status, 500);
    await drained(`key:${hashKey(key)}:rpm`);
    // The failed call was released: two more fit.
    assert.equal((await postJson(gw, '/v1/chat/completions', chat(), key)).status, 200);
    assert.equal((await postJson(gw, '/v1/chat/completions', chat(), key)).status, 200);
    assert.equal((await postJson(gw, '/v1/chat/completions', chat(), key)).status, 429);
  });

  test('raising the limit with /key/update applies at once and keeps what was counted', async () => {
    const key = await keyWith({ rpm_limit: 1 });
    assert.equal((await postJson(gw, '/v1/chat/completions', chat(), key)).status, 200);
    assert.equal((await postJson(gw, '/v1/chat/completions', chat(), key)).status, 429);
    assert.equal((await postJson(gw, '/key/update', { key, rpm_limit: 2 }, MASTER_KEY)).status, 200);
    const next = await postJson(gw, '/v1/chat/completions', chat(), key);
    assert.equal(next.status, 200);
    assert.equal(next.headers.get('x-ratelimit-remaining-requests'), '0');
  });
});
