/**
 * The budget details of LiteLLM compatibility over HTTP, across event-loop threads, on PGlite and
 * on PostgreSQL:
 * - budget_reset_at is the instant the gateway resets the budget: the next local midnight for
 *   "1d" in litellm_settings.timezone (the budget's period counter ends there), and for "3s" the
 *   spent budget admits calls again from that instant, when /key/info reports the next one;
 * - an end user's budget can come from the budget row its budget_id names (max_budget,
 *   rpm_limit, budget_duration), refreshed when that row is updated;
 * - model_max_budget is a budget per model for the key: reserved and settled like the others
 *   (concurrent calls never overshoot it), refused in LiteLLM's words, reset per time_period;
 * - answers of virtual keys carry x-litellm-key-spend (the spend before the call),
 *   x-litellm-key-max-budget and the key's rpm/tpm limits, streams included; the master key's
 *   carry none.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MASTER_KEY, postJson, startTestGateway, type JsonReply, type TestGateway } from '../support/gateway.js';
import { MockOpenAI, sleep } from '../support/mock-openai.js';
import { exactPriceConfig, settledCounter } from '../support/budget-e2e.js';
import { postgresSkip } from '../support/postgres.js';

const priced = (extra: object = {}) => ({ model: 'gpt-4o', max_tokens: 6, messages: [{ role: 'user', content: 'hi' }], ...extra });
const free = (extra: object = {}) => priced({ model: 'gpt-4o-mini', ...extra });

/** Waits until just after the next multiple of `ms` since the epoch (where epoch-aligned periods start). */
async function untilBoundary(ms: number): Promise<void> {
  await sleep(ms - (Date.now() % ms) + 30);
}

const pgSkip = await postgresSkip();

for (const backend of ['pglite', 'postgres'] as const) {
  describe(`key budget details (${backend})`, { skip: backend === 'postgres' && pgSkip }, () => {
    const upstream = new MockOpenAI();
    let gw: TestGateway;
    // End users' counters are process-wide, like the gateway's threads: each backend names its own.
    const tierUser = `tier-user-${backend}`;
    const tierUser2 = `tier-user-2-${backend}`;
    const shortUser = `short-user-${backend}`;

    before(async () => {
      gw = await startTestGateway(exactPriceConfig(await upstream.start()), { store: { backend }, threads: 2 });
    });
    after(async () => {
      await gw?.stop();
      await upstream.stop();
    });

    async function admin(route: string, body: object): Promise<any> {
      const reply = await postJson(gw, route, body, MASTER_KEY);
      assert.equal(reply.status, 200, `${route}: ${JSON.stringify(reply.json)}`);
      return reply.json;
    }

    async function get(route: string): Promise<any> {
      const response = await fetch(`${gw.url}${route}`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
      assert.equal(response.status, 200, route);
      return response.json();
    }

    /** A call as a client that retries 429 budget_reserved makes it: the previous call may still be settling. */
    async function call(body: unknown, key: string): Promise<JsonReply> {
      for (let i = 0; ; i++) {
        const reply = await postJson(gw, '/v1/chat/completions', body, key);
        if (reply.status !== 429 || !/held by calls in flight/.test(reply.json.error.message) || i === 20) return reply;
        await sleep(10);
      }
    }

    test('budget_reset_at of a "1d" budget is the next Berlin midnight, where the gateway ends the period', async () => {
      const made = await admin('/key/generate', { max_budget: 1, budget_duration: '1d' });
      const resetAt = Date.parse(made.budget_reset_at);
      const now = Date.now();
      assert.ok(resetAt > now && resetAt <= now + 25 * 3_600_000);
      const berlin = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
      assert.equal(berlin.format(resetAt), '00:00');
      assert.equal((await call(priced(), made.key)).status, 200);
      // The period counter of the key's budget holds the instant its period ends.
      assert.equal(await settledCounter(`key:${made.token}:budget:period`), resetAt);
    });

    test('a spent "3s" budget admits calls again from budget_reset_at, and /key/info then reports the next reset', async () => {
      const made = await admin('/key/generate', { max_budget: 0.1, budget_duration: '3s' });
      const resetAt = Date.parse(made.budget_reset_at);
      assert.equal((await call(priced(), made.key)).status, 200);
      const spent = await call(priced(), made.key);
      assert.equal(spent.status, 400);
      assert.equal(spent.json.error.type, 'budget_exceeded');
      assert.ok(Date.now() < resetAt, 'the budget was spent before its reset');
      await sleep(resetAt - Date.now() + 20);
      assert.equal((await call(priced(), made.key)).status, 200);
      const info = await get(`/key/info?key=${made.key}`);
      assert.equal(Date.parse(info.info.budget_reset_at), resetAt + 3000);
    });

    test("an end user's budget_id gives it the budget row's max_budget and rpm_limit, refreshed by /budget/update", async () => {
      await admin('/budget/new', { budget_id: 'shared-tier', max_budget: 0.2, rpm_limit: 3 });
      await admin('/customer/new', { user_id: tierUser, budget_id: 'shared-tier' });
      const key = (await admin('/key/generate', {})).key;
      const first = await call(priced({ user: tierUser }), key);
      assert.equal(first.status, 200, JSON.stringify(first.json));
      assert.equal((await call(priced({ user: tierUser }), MASTER_KEY)).status, 200);
      const spent = await call(priced({ user: tierUser }), key);
      assert.equal(spent.status, 400);
      assert.equal(spent.json.error.message, `Budget has been exceeded! EndUser=${tierUser} Current cost: 0.2, Max budget: 0.2`);
      // Another end user on the same budget row has a budget of its own size.
      await admin('/customer/new', { user_id: tierUser2, budget_id: 'shared-tier' });
      assert.equal((await call(priced({ user: tierUser2 }), key)).status, 200);

      // Raising the row's max_budget applies at once.
      await admin('/budget/update', { budget_id: 'shared-tier', max_budget: 0.5 });
      const raised = await call(priced({ user: tierUser }), key);
      assert.equal(raised.status, 200, JSON.stringify(raised.json));
      // rpm_limit 3 of the row: tier-user has made 3 admitted calls this minute.
      const limited = await call(free({ user: tierUser }), key);
      assert.equal(limited.status, 429);
      assert.match(limited.json.error.message, new RegExp(`for end user ${tierUser}: rpm_limit \\(requests per minute\\) is 3`));
    });

    test("an end user's budget row with budget_duration resets its spend at the row's budget_reset_at", async () => {
      await admin('/budget/new', { budget_id: 'short-tier', max_budget: 0.1, budget_duration: '3s' });
      await admin('/customer/new', { user_id: shortUser, budget_id: 'short-tier' });
      const info = await get(`/customer/info?end_user_id=${shortUser}`);
      const resetAt = Date.parse(info.litellm_budget_table.budget_reset_at);
      assert.equal((await call(priced({ user: shortUser }), MASTER_KEY)).status, 200);
      assert.equal((await call(priced({ user: shortUser }), MASTER_KEY)).status, 400);
      await sleep(resetAt - Date.now() + 20);
      assert.equal((await call(priced({ user: shortUser }), MASTER_KEY)).status, 200);
    });

    test('model_max_budget: 12 parallel calls against 0.3 admit exactly 3; then 400 in LiteLLM words; other models pass', async () => {
      const made = await admin('/key/generate', { key_alias: 'per-model-budget', model_max_budget: { 'gpt-4o': { budget_limit: 0.3, time_period: '1d' } } });
      upstream.enqueue(...Array.from({ length: 3 }, () => ({ kind: 'delay' as const, ms: 300 })));
      const replies = await Promise.all(Array.from({ length: 12 }, () => postJson(gw, '/v1/chat/completions', priced(), made.key)));
      assert.equal(replies.filter((r) => r.status === 200).length, 3, JSON.stringify(replies.map((r) => r.status)));
      assert.equal(await settledCounter(`key:${made.token}:model:gpt-4o:budget`), 300_000);
      const refused = await call(priced(), made.key);
      assert.equal(refused.status, 400);
      assert.equal(refused.json.error.type, 'budget_exceeded');
      assert.equal(refused.json.error.message, `LiteLLM Virtual Key: ${made.token}, key_alias: per-model-budget, exceeded budget for model=gpt-4o`);
      assert.equal((await call(free(), made.key)).status, 200);
    });

    test('model_max_budget resets per time_period; the older {"model": budget} form never resets', async () => {
      const periodic = await admin('/key/generate', { model_max_budget: { 'gpt-4o': { budget_limit: 0.1, time_period: '3s' } } });
      const legacy = await admin('/key/generate', { model_max_budget: { 'gpt-4o': 0.1 } });
      // Periods of per-model budgets are aligned to the epoch: start right after a boundary.
      await untilBoundary(3000);
      for (const key of [periodic.key, legacy.key]) {
        assert.equal((await call(priced(), key)).status, 200);
        assert.equal((await call(priced(), key)).status, 400);
      }
      await untilBoundary(3000);
      assert.equal((await call(priced(), periodic.key)).status, 200);
      assert.equal((await call(priced(), legacy.key)).status, 400);
    });

    test('answers carry x-litellm-key-spend (before the call), -max-budget and the rpm/tpm limits; streams too', async () => {
      const made = await admin('/key/generate', { max_budget: 1, rpm_limit: 100, tpm_limit: 100_000 });
      const first = await call(priced(), made.key);
      assert.equal(first.status, 200);
      assert.equal(first.headers.get('x-litellm-key-spend'), '0');
      assert.equal(first.headers.get('x-litellm-key-max-budget'), '1');
      assert.equal(first.headers.get('x-litellm-key-rpm-limit'), '100');
      assert.equal(first.headers.get('x-litellm-key-tpm-limit'), '100000');
      await settledCounter(`key:${made.token}:budget`);
      const second = await call(priced(), made.key);
      assert.equal(second.headers.get('x-litellm-key-spend'), '0.1');
      assert.equal(second.headers.get('x-litellm-response-cost'), '0.1');
      await settledCounter(`key:${made.token}:budget`);

      const stream = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${made.key}`, 'content-type': 'application/json' },
        body: JSON.stringify(priced({ stream: true })),
      });
      assert.equal(stream.status, 200);
      assert.equal(stream.headers.get('x-litellm-key-spend'), '0.2');
      assert.equal(stream.headers.get('x-litellm-key-max-budget'), '1');
      assert.match(await stream.text(), /data: \[DONE\]/);

      // A key without limits: its stored spend, no max budget. The master key: none of them.
      const plain = await admin('/key/generate', {});
      const bare = await call(free(), plain.key);
      assert.equal(bare.headers.get('x-litellm-key-spend'), '0');
      assert.equal(bare.headers.get('x-litellm-key-max-budget'), null);
      const master = await call(free(), MASTER_KEY);
      assert.equal(master.status, 200);
      assert.deepEqual([...master.headers.keys()].filter((name) => name.startsWith('x-litellm-key-')), []);
    });
  });
}
