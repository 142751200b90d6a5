/**
 * Limits and budgets of every entity over HTTP, across several event-loop threads, with one
 * all-or-nothing reservation per request (docs/counters.md): rpm_limit N admits exactly N of 3N
 * parallel calls for a user, a team, an end user and a key's model; budgets reserve the worst-case
 * cost so that 50 parallel calls of 0.1 against 0.5 admit exactly 5 and spend exactly 0.5; a
 * team budget is shared by its keys; max_parallel_requests holds and frees; the deployment's rpm
 * and the proxy's global_max_parallel_requests and max_budget hold.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashKey } from '../../src/control/key-material.js';
import { forwardBudgetReports } from '../../src/limits/budget-reports.js';
import type { BudgetState } from '../../src/spend/alerts.js';
import { MASTER_KEY, startTestGateway, type TestGateway, postJson, type JsonReply } from '../support/gateway.js';
import { MockOpenAI, sleep } from '../support/mock-openai.js';
import { settledCounter } from '../support/budget-e2e.js';


/**
 * The mock answers every chat call with usage 12 + 6 tokens. `gpt-4o` charges only output
 * tokens, 1/60 USD each: a call costs exactly 0.1 (on the picodollar grid), and with max_tokens 6
 * its reservation is exactly 0.1 too. `gpt-4o-mini` and `small` are free; `small` has rpm 4.
 */
function config(apiBase: string, sections: { general?: string; litellm?: string; ailb?: string } = {}): string {
  const deployment = (name: string, upstream: string, id: string, output: string, more = '') => `  - model_name: ${name}
    litellm_params:
      model: openai/${upstream}
      api_base: ${JSON.stringify(apiBase)}
      api_key: sk-upstream-secret
      timeout: 5
      stream_timeout: 5${more}
    model_info:
      id: ${id}
      input_cost_per_token: 0
      output_cost_per_token: ${output}`;
  return `model_list:
${deployment('gpt-4o', 'gpt-4o-2024-08-06', 'priced', '0.016666666666666666')}
${deployment('gpt-4o-mini', 'gpt-4o-mini', 'free', '0')}
${deployment('small', 'small-model', 'small', '0', '\n      rpm: 4')}
general_settings:
  master_key: ${MASTER_KEY}
${sections.general ?? ''}ailb_settings:
  hot_reload: false
${sections.ailb ?? ''}${sections.litellm === undefined ? '' : `litellm_settings:\n${sections.litellm}`}`;
}

const chat = (extra: object = {}) => ({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], ...extra });
const priced = (extra: object = {}) => chat({ model: 'gpt-4o', max_tokens: 6, ...extra });

function statuses(replies: readonly JsonReply[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const reply of replies) out[reply.status] = (out[reply.status] ?? 0) + 1;
  return out;
}

/**
 * Settled micro-dollars of a budget counter, read from the process-wide native store once no
 * reservation is open on it (a call is settled just after its answer is written, see
 * docs/counters.md#settle-after-the-answer).
 */
/** Waits until no reservation is open on a counter (e.g. a gauge of requests in flight). */
async function drained(name: string): Promise<void> {
  await settledCounter(name);
}

/**
 * One call as a client that honours 429 budget_reserved would make it (it retries): a call made
 * right after another one's answer may find that call's reservation not yet settled.
 */
async function postSettled(gw: TestGateway, body: unknown, key: string): Promise<JsonReply> {
  for (let i = 0; ; i++) {
    const reply = await postJson(gw, '/v1/chat/completions', body, key);
    if (reply.status !== 429 || !/held by calls in flight/.test(reply.json.error.message) || i === 20) return reply;
    await sleep(10);
  }
}

describe('limits and budgets of keys, users, teams, end users, models and deployments', () => {
  const upstream = new MockOpenAI();
  let gw: TestGateway;

  before(async () => {
    const apiBase = await upstream.start();
    // A webhook makes the threads post budget reports (nothing listens on port 9; see the alerts test).
    const ailb = '  alerting:\n    webhooks: [{url: "http://127.0.0.1:9/budget-alerts"}]\n';
    gw = await startTestGateway(config(apiBase, { ailb }), { store: { backend: 'pglite' }, threads: 3 });
  });

  after(async () => {
    await gw.stop();
    await upstream.stop();
  });

  async function admin(route: string, body: object): Promise<any> {
    const reply = await postJson(gw, route, body, MASTER_KEY);
    assert.equal(reply.status, 200, `${route}: ${JSON.stringify(reply.json)}`);
    return reply.json;
  }

  const keyWith = async (fields: object): Promise<string> => (await admin('/key/generate', fields)).key;

  async function exactlyN(n: number, call: () => Promise<JsonReply>, message: RegExp): Promise<JsonReply[]> {
    const replies = await Promise.all(Array.from({ length: 3 * n }, call));
    assert.deepEqual(statuses(replies), { 200: n, 429: 2 * n });
    for (const reply of replies.filter((r) => r.status === 429)) {
      assert.equal(reply.json.error.type, 'rate_limit_error');
      assert.equal(reply.json.error.code, '429');
      assert.match(reply.json.error.message, message);
      assert.match(reply.json.error.message, /Limit type: requests\./);
      assert.ok(Number(reply.headers.get('retry-after')) >= 1);
    }
    return replies;
  }

  test("a user's rpm_limit N admits exactly N of 3N parallel calls over all of its keys", async () => {
    await admin('/user/new', { user_id: 'rpm-user', rpm_limit: 5, auto_create_key: false });
    const keys = [await keyWith({ user_id: 'rpm-user' }), await keyWith({ user_id: 'rpm-user' })];
    let i = 0;
    await exactlyN(5, () => postJson(gw, '/v1/chat/completions', chat(), keys[i++ % 2]), /for user rpm-user: rpm_limit \(requests per minute\) is 5/);
  });

  test("a team's rpm_limit N admits exactly N of 3N parallel calls over all of its keys", async () => {
    await admin('/team/new', { team_id: 'rpm-team', rpm_limit: 4 });
    const keys = [await keyWith({ team_id: 'rpm-team' }), await keyWith({ team_id: 'rpm-team' }), await keyWith({ team_id: 'rpm-team' })];
    let i = 0;
    await exactlyN(4, () => postJson(gw, '/v1/chat/completions', chat(), keys[i++ % 3]), /for team rpm-team: rpm_limit \(requests per minute\) is 4/);
  });

  test("an end user's rpm_limit N admits exactly N of 3N parallel calls naming it, whatever the key", async () => {
    await admin('/customer/new', { user_id: 'rpm-end-user', rpm_limit: 6 });
    const key = await keyWith({});
    let i = 0;
    const replies = await exactlyN(
      6,
      () => postJson(gw, '/v1/chat/completions', chat({ user: 'rpm-end-user' }), i++ % 2 === 0 ? key : MASTER_KEY),
      /for end user rpm-end-user: rpm_limit \(requests per minute\) is 6/,
    );
    assert.ok(replies.some((r) => r.status === 200));
    // Another end user is not limited by it.
    assert.equal((await postJson(gw, '/v1/chat/completions', chat({ user: 'someone-else' }), key)).status, 200);
  });

  test("a key's model_rpm_limit N admits exactly N of 3N parallel calls to that model, and none of the others", async () => {
    const key = await keyWith({ key_alias: 'per-model', model_rpm_limit: { 'gpt-4o-mini': 3 } });
    await exactlyN(3, () => postJson(gw, '/v1/chat/completions', chat(), key), /for model gpt-4o-mini on key per-model .*: model_rpm_limit \(requests per minute\) is 3/);
    const other = await Promise.all(Array.from({ length: 6 }, () => postJson(gw, '/v1/chat/completions', priced(), key)));
    assert.deepEqual(statuses(other), { 200: 6 });
  });

  test("a deployment's rpm admits exactly that many of 3× parallel calls, master key included", async () => {
    const replies = await Promise.all(Array.from({ length: 12 }, () => postJson(gw, '/v1/chat/completions', chat({ model: 'small' }), MASTER_KEY)));
    assert.deepEqual(statuses(replies), { 200: 4, 429: 8 });
    const refused = replies.find((r) => r.status === 429)!;
    assert.match(refused.json.error.message, /for deployment small of model small: rpm \(requests per minute\) is 4/);
  });

  test('a 0.5 budget and 50 parallel calls of 0.1 admit exactly 5 and end with spend exactly 0.5', async () => {
    const key = await keyWith({ max_budget: 0.5, key_alias: 'half-dollar' });
    // The admitted calls are slow, so the others arrive while the budget is held.
    upstream.enqueue(...Array.from({ length: 5 }, () => ({ kind: 'delay' as const, ms: 400 })));
    const replies = await Promise.all(Array.from({ length: 50 }, () => postJson(gw, '/v1/chat/completions', priced(), key)));
    const passed = replies.filter((r) => r.status === 200);
    assert.equal(passed.length, 5, JSON.stringify(statuses(replies)));
    assert.ok(replies.some((r) => r.status === 429), 'calls that came while the budget was held got 429');
    assert.deepEqual(passed.map((r) => r.headers.get('x-litellm-response-cost')), ['0.1', '0.1', '0.1', '0.1', '0.1']);
    for (const reply of replies.filter((r) => r.status !== 200)) {
      if (reply.status === 429) {
        assert.equal(reply.json.error.type, 'rate_limit_error');
        assert.match(reply.json.error.message, /budget of key half-dollar .* is held by calls in flight/);
        assert.equal(reply.headers.get('retry-after'), '1');
      } else {
        assert.equal(reply.status, 400);
        assert.equal(reply.json.error.type, 'budget_exceeded');
      }
    }
    assert.equal(await settledCounter(`key:${hashKey(key)}:budget`), 500_000);
    const after = await postSettled(gw, priced(), key);
    assert.equal(after.status, 400);
    assert.equal(after.json.error.type, 'budget_exceeded');
    assert.equal(after.json.error.message, 'Budget has been exceeded! Key=half-dollar Current cost: 0.5, Max budget: 0.5');
  });

  test('a team budget is shared by its keys: exactly 3 calls of 0.1 pass against 0.3, from either key', async () => {
    await admin('/team/new', { team_id: 'budget-team', max_budget: 0.3 });
    const keys = [await keyWith({ team_id: 'budget-team' }), await keyWith({ team_id: 'budget-team' })];
    let i = 0;
    const replies = await Promise.all(Array.from({ length: 12 }, () => postJson(gw, '/v1/chat/completions', priced(), keys[i++ % 2])));
    assert.equal(replies.filter((r) => r.status === 200).length, 3, JSON.stringify(statuses(replies)));
    assert.equal(await settledCounter('team:budget-team:budget'), 300_000);
    for (const key of keys) {
      const refused = await postSettled(gw, priced(), key);
      assert.equal(refused.status, 400);
      assert.equal(refused.json.error.message, 'Budget has been exceeded! Team=budget-team Current cost: 0.3, Max budget: 0.3');
    }
    // A key of the team that is not itself limited is still held by the team's budget.
    const third = await keyWith({ team_id: 'budget-team' });
    assert.equal((await postSettled(gw, priced(), third)).status, 400);
  });

  test("a streamed call settles the budget to the stream's usage, not to its reservation", async () => {
    const key = await keyWith({ max_budget: 1 });
    // Reserves 6 output tokens (0.1); the mock streams 3 pieces and reports 3 completion tokens.
    const response = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(priced({ stream: true })),
    });
    assert.equal(response.status, 200);
    assert.match(await response.text(), /data: \[DONE\]/);
    assert.equal(await settledCounter(`key:${hashKey(key)}:budget`), 50_000);
  });

  test('a failed call gives its budget reservation back', async () => {
    const key = await keyWith({ max_budget: 0.1 });
    upstream.enqueue({ kind: 'status', status: 500, body: '{"error":{"message":"boom"}}' });
    assert.equal((await postJson(gw, '/v1/chat/completions', priced(), key)).status, 500);
    assert.equal((await postSettled(gw, priced(), key)).status, 200);
    assert.equal((await postSettled(gw, priced(), key)).status, 400);
  });

  test("a team's max_parallel_requests holds while its keys' calls are in flight and frees as they end", async () => {
    await admin('/team/new', { team_id: 'parallel-team', max_parallel_requests: 2 });
    const keys = [await keyWith({ team_id: 'parallel-team' }), await keyWith({ team_id: 'parallel-team' })];
    upstream.enqueue({ kind: 'delay', ms: 400 }, { kind: 'delay', ms: 400 });
    const slow = keys.map((key) => postJson(gw, '/v1/chat/completions', chat(), key));
    await sleep(150);
    const third = await postJson(gw, '/v1/chat/completions', chat(), keys[0]);
    assert.equal(third.status, 429);
    assert.match(third.json.error.message, /for team parallel-team: max_parallel_requests is 2, 0 left\. Limit type: max_parallel_requests\./);
    assert.deepEqual((await Promise.all(slow)).map((r) => r.status), [200, 200]);
    await drained('team:parallel-team:parallel');
    assert.equal((await postJson(gw, '/v1/chat/completions', chat(), keys[1])).status, 200);
  });

  test("a team member's limits hold for the member's key only", async () => {
    await admin('/team/new', { team_id: 'member-team', team_member_rpm_limit: 2 });
    await admin('/user/new', { user_id: 'member-a', auto_create_key: false });
    await admin('/user/new', { user_id: 'member-b', auto_create_key: false });
    await admin('/team/member_add', { team_id: 'member-team', member: [{ user_id: 'member-a', role: 'user' }, { user_id: 'member-b', role: 'user' }] });
    const a = await keyWith({ team_id: 'member-team', user_id: 'member-a' });
    const b = await keyWith({ team_id: 'member-team', user_id: 'member-b' });
    const replies = await Promise.all(Array.from({ length: 6 }, () => postJson(gw, '/v1/chat/completions', chat(), a)));
    assert.deepEqual(statuses(replies), { 200: 2, 429: 4 });
    assert.match(replies.find((r) => r.status === 429)!.json.error.message, /for user member-a in team member-team: rpm_limit/);
    assert.equal((await postJson(gw, '/v1/chat/completions', chat(), b)).status, 200);
  });

  test('budget thresholds (soft budget, 50%, 80%, 100%) are reported from settle to the main thread', async () => {
    const seen: BudgetState[] = [];
    const stop = forwardBudgetReports({ report: (state) => (seen.push(state), []) });
    try {
      const key = await keyWith({ max_budget: 1, soft_budget: 0.2 });
      for (let i = 0; i < 11; i++) await postSettled(gw, priced(), key);
      await sleep(100);
      const mine = seen.filter((s) => s.entity === 'key' && s.id === hashKey(key));
      // The call that crosses a threshold reports it with the spend it reached; other threads
      // may report a threshold again later (BudgetAlerts fires each once per period).
      for (const spend of [0.2, 0.5, 0.8, 1]) assert.ok(mine.some((s) => s.spend === spend), `a report at ${spend}: ${JSON.stringify(mine)}`);
      assert.ok(mine.every((s) => s.maxBudget === 1 && s.softBudget === 0.2 && s.resetAt === null));
      assert.ok(mine.length <= 4 * 3, 'each thread reports each threshold at most once');
    } finally {
      stop();
    }
  });

  test("an end user's budget holds across keys", async () => {
    await admin('/customer/new', { user_id: 'budget-end-user', max_budget: 0.2 });
    const key = await keyWith({});
    const replies = await Promise.all(Array.from({ length: 8 }, (_, i) => postJson(gw, '/v1/chat/completions', priced({ user: 'budget-end-user' }), i % 2 ? key : MASTER_KEY)));
    assert.equal(replies.filter((r) => r.status === 200).length, 2, JSON.stringify(statuses(replies)));
    const refused = await postSettled(gw, priced({ user: 'budget-end-user' }), key);
    assert.equal(refused.json.error.message, 'Budget has been exceeded! EndUser=budget-end-user Current cost: 0.2, Max budget: 0.2');
  });
});

describe('proxy-wide limits: global_max_parallel_requests and litellm_settings.max_budget', () => {
  const upstream = new MockOpenAI();
  let gw: TestGateway;

  before(async () => {
    const apiBase = await upstream.start();
    gw = await startTestGateway(
      config(apiBase, { general: '  global_max_parallel_requests: 2\n', litellm: '  max_budget: 0.2\n  budget_duration: 30d\n' }),
      { threads: 2 },
    );
  });

  after(async () => {
    await gw.stop();
    await upstream.stop();
  });

  test('global_max_parallel_requests holds for every request, the master key too, and frees as calls end', async () => {
    upstream.enqueue({ kind: 'delay', ms: 400 }, { kind: 'delay', ms: 400 });
    const slow = [postJson(gw, '/v1/chat/completions', chat(), MASTER_KEY), postJson(gw, '/v1/chat/completions', chat(), MASTER_KEY)];
    await sleep(150);
    const burst = await Promise.all(Array.from({ length: 6 }, () => postJson(gw, '/v1/chat/completions', chat(), MASTER_KEY)));
    assert.deepEqual(statuses(burst), { 429: 6 });
    assert.match(burst[0].json.error.message, /for the proxy: global_max_parallel_requests is 2, 0 left\. Limit type: max_parallel_requests\./);
    assert.deepEqual((await Promise.all(slow)).map((r) => r.status), [200, 200]);
    await drained('global:parallel');
    const next = await Promise.all(Array.from({ length: 2 }, () => postJson(gw, '/v1/chat/completions', chat(), MASTER_KEY)));
    assert.deepEqual(statuses(next), { 200: 2 });
  });

  test("litellm_settings.max_budget is the proxy's budget: exactly 2 calls of 0.1 pass against 0.2", async () => {
    const replies = [];
    for (let i = 0; i < 4; i++) replies.push(await postSettled(gw, priced(), MASTER_KEY));
    assert.deepEqual(replies.map((r) => r.status), [200, 200, 400, 400]);
    assert.equal(replies[2].json.error.message, 'Budget has been exceeded! Current cost: 0.2, Max budget: 0.2');
    assert.equal(await settledCounter('global:budget'), 200_000);
  });
});
