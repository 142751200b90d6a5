/**
 * Per-model limits and budgets beyond the key's own budget, and team-member budget periods, over
 * HTTP with the official `openai` SDK as the client, across event-loop threads, on PGlite and on
 * PostgreSQL (docs/budgets.md):
 * - a key's model_max_budget entry's rpm_limit and tpm_limit are enforced like model_rpm_limit /
 *   model_tpm_limit (rpm N admits exactly N of 3N parallel calls), and beside them: the tighter
 *   refuses;
 * - per-model budgets of teams, users and end users (their budget row) are reserved like the key's
 *   (a budget of 0.3 admits exactly 3 of 12 parallel calls of 0.1), refused in LiteLLM's words,
 *   and a key entry with a budget for the model overrides the team's;
 * - a team member's budget resets on its budget_duration (or the team's
 *   team_member_budget_duration) at the budget_reset_at that /team/info reports.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { MASTER_KEY, postJson, startTestGateway, type TestGateway } from '../support/gateway.js';
import { MockOpenAI, sleep } from '../support/mock-openai.js';
import { exactPriceConfig, settledCounter } from '../support/budget-e2e.js';
import { postgresSkip } from '../support/postgres.js';

/** What the SDK made of one call: 200, or the error's status, type, message and retry-after. */
interface Outcome {
  status: number;
  type: string | null;
  message: string;
  retryAfter: number | null;
}

function count(outcomes: readonly Outcome[], status: number): number {
  return outcomes.filter((o) => o.status === status).length;
}

const berlin = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

const pgSkip = await postgresSkip();

for (const backend of ['pglite', 'postgres'] as const) {
  describe(`per-model limits and budgets, and team-member budget periods (${backend})`, { skip: backend === 'postgres' && pgSkip }, () => {
    const upstream = new MockOpenAI();
    let gw: TestGateway;
    // Counters are process-wide: ids the test chooses are unique per backend.
    const id = (name: string) => `${name}-${backend}`;

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

    /** One chat call with the SDK (no retries): 0.1 USD on gpt-4o, free on gpt-4o-mini. */
    async function chat(key: string, extra: { model?: string; user?: string } = {}): Promise<Outcome> {
      const client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
      try {
        await client.chat.completions.create({ model: 'gpt-4o', max_tokens: 6, messages: [{ role: 'user', content: 'hi' }], ...extra });
        return { status: 200, type: null, message: '', retryAfter: null };
      } catch (error) {
        if (!(error instanceof OpenAI.APIError)) throw error;
        const retryAfter = error.headers?.get('retry-after');
        return {
          status: error.status ?? 0,
          type: error.type ?? null,
          message: (error.error as { message?: string } | undefined)?.message ?? '',
          retryAfter: retryAfter === null || retryAfter === undefined ? null : Number(retryAfter),
        };
      }
    }

    /** A call as a client that retries 429 budget_reserved makes it: the previous call may still be settling. */
    async function settledChat(key: string, extra: { model?: string; user?: string } = {}): Promise<Outcome> {
      for (let i = 0; ; i++) {
        const outcome = await chat(key, extra);
        if (outcome.status !== 429 || !/held by calls in flight/.test(outcome.message) || i === 20) return outcome;
        await sleep(10);
      }
    }

    async function parallel(n: number, call: (i: number) => Promise<Outcome>): Promise<Outcome[]> {
      return Promise.all(Array.from({ length: n }, (_, i) => call(i)));
    }

    /** Exactly `n` of the outcomes were admitted; every other one is a 429 rate limit whose message matches. */
    function exactlyAdmitted(outcomes: readonly Outcome[], n: number, message: RegExp, limitType = 'requests'): void {
      assert.equal(count(outcomes, 200), n, JSON.stringify(outcomes.map((o) => o.status)));
      for (const refused of outcomes.filter((o) => o.status !== 200)) {
        assert.equal(refused.status, 429);
        assert.equal(refused.type, 'rate_limit_error');
        assert.match(refused.message, message);
        assert.match(refused.message, new RegExp(`Limit type: ${limitType}\\.`));
        assert.ok(refused.retryAfter !== null && refused.retryAfter >= 1, `retry-after ${refused.retryAfter}`);
      }
    }

    test("a key's model_max_budget rpm_limit N admits exactly N of 3N parallel calls to the model, and no call to others", async () => {
      const made = await admin('/key/generate', { key_alias: id('entry-rpm'), model_max_budget: { 'gpt-4o-mini': { rpm_limit: 4 } } });
      const outcomes = await parallel(12, () => chat(made.key, { model: 'gpt-4o-mini' }));
      exactlyAdmitted(outcomes, 4, new RegExp(`^Rate limit exceeded for model gpt-4o-mini on key ${id('entry-rpm')} \\(sk-\\.\\.\\..{4}\\): model_max_budget rpm_limit \\(requests per minute\\) is 4, 0 left\\.`));
      assert.equal((await chat(made.key, { model: 'gpt-4o' })).status, 200);
    });

    test('beside model_rpm_limit both limits apply: the tighter one refuses, whichever it is', async () => {
      const entryTighter = await admin('/key/generate', {
        model_rpm_limit: { 'gpt-4o-mini': 6 },
        model_max_budget: { 'gpt-4o-mini': { budget_limit: 5, time_period: '1d', rpm_limit: 3 } },
      });
      exactlyAdmitted(await parallel(9, () => chat(entryTighter.key, { model: 'gpt-4o-mini' })), 3, /: model_max_budget rpm_limit \(requests per minute\) is 3, 0 left/);
      const keyTighter = await admin('/key/generate', { model_rpm_limit: { 'gpt-4o-mini': 2 }, model_max_budget: { 'gpt-4o-mini': { rpm_limit: 5 } } });
      exactlyAdmitted(await parallel(6, () => chat(keyTighter.key, { model: 'gpt-4o-mini' })), 2, /: model_rpm_limit \(requests per minute\) is 2, 0 left/);
    });

    test("a key's model_max_budget tpm_limit counts the call's tokens: what is left of the minute refuses the next call", async () => {
      // The first call reserves its prompt + max_tokens 6 (at most 20) and settles to the mock's 12 + 6 = 18 tokens.
      const made = await admin('/key/generate', { model_max_budget: { 'gpt-4o-mini': { tpm_limit: 20 } } });
      assert.equal((await chat(made.key, { model: 'gpt-4o-mini' })).status, 200);
      await settledCounter(`key:${made.token}:model_max_budget:gpt-4o-mini:tpm`);
      const refused = await chat(made.key, { model: 'gpt-4o-mini' });
      assert.equal(refused.status, 429);
      assert.match(refused.message, /: model_max_budget tpm_limit \(tokens per minute\) is 20, 2 left and this request needs \d+ tokens\. Limit type: tokens\./);
      assert.ok(refused.retryAfter !== null && refused.retryAfter >= 1);
    });

    test("a team's per-model budget of 0.3 admits exactly 3 of 12 parallel calls of 0.1 over its keys; then 400 in LiteLLM's words", async () => {
      const teamId = id('model-budget-team');
      await admin('/team/new', { team_id: teamId, model_max_budget: { 'gpt-4o': { budget_limit: 0.3, time_period: '1d' } } });
      const keys = [(await admin('/key/generate', { team_id: teamId })).key, (await admin('/key/generate', { team_id: teamId })).key];
      upstream.enqueue(...Array.from({ length: 3 }, () => ({ kind: 'delay' as const, ms: 300 })));
      const outcomes = await parallel(12, (i) => chat(keys[i % 2]));
      assert.equal(count(outcomes, 200), 3, JSON.stringify(outcomes.map((o) => o.status)));
      assert.equal(await settledCounter(`team:${teamId}:model:gpt-4o:budget`), 300_000);
      const spent = await settledChat(keys[0]);
      assert.equal(spent.status, 400);
      assert.equal(spent.type, 'budget_exceeded');
      assert.equal(spent.message, `LiteLLM Team: ${teamId}, exceeded budget for model=gpt-4o`);
      assert.equal((await settledChat(keys[1], { model: 'gpt-4o-mini' })).status, 200);
      // A key of the team with a budget of its own for the model is gated on its own entry (LiteLLM's rule).
      const own = await admin('/key/generate', { team_id: teamId, model_max_budget: { 'gpt-4o': 1 } });
      assert.equal((await settledChat(own.key)).status, 200);
    });

    test("a user's per-model budget of 0.2 admits exactly 2 of 8 parallel calls over its keys; then 400 in LiteLLM's words", async () => {
      const userId = id('model-budget-user');
      await admin('/user/new', { user_id: userId, model_max_budget: { 'gpt-4o': 0.2 }, auto_create_key: false });
      const keys = [(await admin('/key/generate', { user_id: userId })).key, (await admin('/key/generate', { user_id: userId })).key];
      upstream.enqueue(...Array.from({ length: 2 }, () => ({ kind: 'delay' as const, ms: 300 })));
      const outcomes = await parallel(8, (i) => chat(keys[i % 2]));
      assert.equal(count(outcomes, 200), 2, JSON.stringify(outcomes.map((o) => o.status)));
      assert.equal(await settledCounter(`user:${userId}:model:gpt-4o:budget`), 200_000);
      const spent = await settledChat(keys[1]);
      assert.equal(spent.status, 400);
      assert.equal(spent.message, `LiteLLM User: ${userId}, exceeded budget for model=gpt-4o`);
    });

    test("an end user's budget row with model_max_budget: exactly 2 of 8 parallel calls of 0.1 against 0.2, whatever the key", async () => {
      const budgetId = id('model-tier');
      const endUser = id('model-budget-end-user');
      await admin('/budget/new', { budget_id: budgetId, model_max_budget: { 'gpt-4o': { budget_limit: 0.2, time_period: '1mo' } } });
      await admin('/customer/new', { user_id: endUser, budget_id: budgetId });
      const key = (await admin('/key/generate', {})).key;
      upstream.enqueue(...Array.from({ length: 2 }, () => ({ kind: 'delay' as const, ms: 300 })));
      const outcomes = await parallel(8, (i) => chat(i % 2 === 0 ? key : MASTER_KEY, { user: endUser }));
      assert.equal(count(outcomes, 200), 2, JSON.stringify(outcomes.map((o) => o.status)));
      assert.equal(await settledCounter(`end_user:${endUser}:model:gpt-4o:budget`), 200_000);
      const spent = await settledChat(key, { user: endUser });
      assert.equal(spent.status, 400);
      assert.equal(spent.message, `LiteLLM End User: ${endUser}, exceeded budget for model=gpt-4o`);
      assert.equal((await settledChat(key, { user: endUser, model: 'gpt-4o-mini' })).status, 200);
    });

    test("a member's budget_duration '3s': spent, refused, admitted again from the budget_reset_at /team/info reported, which then moves on", async () => {
      const teamId = id('period-team');
      const userId = id('period-member');
      await admin('/team/new', { team_id: teamId });
      const added = await admin('/team/member_add', { team_id: teamId, member: { user_id: userId, role: 'user' }, max_budget_in_team: 0.1, budget_duration: '3s' });
      const resetAt = Date.parse(added.updated_team_memberships[0].budget_reset_at);
      const key = (await admin('/key/generate', { team_id: teamId, user_id: userId })).key;
      const info = await get(`/team/info?team_id=${teamId}`);
      assert.equal(Date.parse(info.team_memberships[0].litellm_budget_table.budget_reset_at), resetAt);
      assert.equal((await settledChat(key)).status, 200);
      const spent = await settledChat(key);
      assert.equal(spent.status, 400);
      assert.equal(spent.message, `Budget has been exceeded! Team=${teamId} Member=${userId} Current cost: 0.1, Max budget: 0.1`);
      assert.ok(Date.now() < resetAt, 'the budget was spent before its reset');
      await sleep(resetAt - Date.now() + 20);
      assert.equal((await settledChat(key)).status, 200);
      const later = await get(`/team/info?team_id=${teamId}`);
      assert.equal(Date.parse(later.team_memberships[0].budget_reset_at), resetAt + 3000);
      assert.equal(Date.parse(later.team_memberships[0].litellm_budget_table.budget_reset_at), resetAt + 3000);
    });

    test("the team's team_member_budget 0.3 with team_member_budget_duration '1d': exactly 3 of 12 parallel calls per member, reset at Berlin midnight", async () => {
      const teamId = id('default-period-team');
      const userId = id('default-period-member');
      await admin('/team/new', { team_id: teamId, members_with_roles: [{ user_id: userId, role: 'user' }] });
      const updated = await admin('/team/update', { team_id: teamId, team_member_budget: 0.3, team_member_budget_duration: '1d' });
      const resetAt = Date.parse(updated.team_member_budget_reset_at);
      assert.ok(resetAt > Date.now() && resetAt <= Date.now() + 25 * 3_600_000);
      assert.equal(berlin.format(resetAt), '00:00');
      const key = (await admin('/key/generate', { team_id: teamId, user_id: userId })).key;
      upstream.enqueue(...Array.from({ length: 3 }, () => ({ kind: 'delay' as const, ms: 300 })));
      const outcomes = await parallel(12, () => chat(key));
      assert.equal(count(outcomes, 200), 3, JSON.stringify(outcomes.map((o) => o.status)));
      const member = `member:${teamId}:${userId}`;
      assert.equal(await settledCounter(`${member}:budget`), 300_000);
      // The member's budget period ends where the team's default period does.
      assert.equal(await settledCounter(`${member}:budget:period`), resetAt);
      const info = await get(`/team/info?team_id=${teamId}`);
      assert.deepEqual(info.team_memberships[0].litellm_budget_table, {
        max_budget: 0.3, budget_duration: '1d', budget_reset_at: updated.team_member_budget_reset_at, tpm_limit: null, rpm_limit: null,
      });
      const spent = await settledChat(key);
      assert.equal(spent.status, 400);
      assert.equal(spent.message, `Budget has been exceeded! Team=${teamId} Member=${userId} Current cost: 0.3, Max budget: 0.3`);
    });
  });
}
