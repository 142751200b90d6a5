/**
 * The limits stage on one thread, without HTTP: what a request reserves for each entity, the
 * order of refusals, budgets capped at what is left, settle to the cost and release on failure.
 * test/e2e/limits-budgets.test.ts covers the same over HTTP across threads.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { parseConfigText } from '../../../src/config/load.js';
import { toAuthRecord, type AuthRecord } from '../../../src/control/auth-record.js';
import { newKeyRecord } from '../../../src/control/key-material.js';
import { GatewayError } from '../../../src/errors.js';
import { UNLIMITED } from '../../../src/native/index.js';
import { RequestContext } from '../../../src/pipeline/context.js';
import { createLimitsStage, RequestLimits } from '../../../src/pipeline/limits/stage.js';
import { INFERENCE_ROUTES } from '../../../src/pipeline/routes.js';
import { Runtime } from '../../../src/pipeline/runtime.js';
import type { KeyPatch, TeamRecord } from '../../../src/store/types.js';

const config = parseConfigText(
  `model_list:
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, api_base: "http://127.0.0.1:9/v1", api_key: sk-up }
    model_info: { id: priced, input_cost_per_token: 0, output_cost_per_token: 0.016666666666666666 }
general_settings: { master_key: sk-master }
ailb_settings: { hot_reload: false }
`,
  'limits-stage.yaml',
  {},
).config;
const runtime = new Runtime(config);
const HOUR = 3_600_000;

function team(fields: Partial<TeamRecord>): TeamRecord {
  const at = new Date().toISOString();
  return {
    team_id: `t-${randomUUID()}`, team_alias: null, organization_id: null, models: [], max_budget: null, soft_budget: null,
    budget_duration: null, budget_reset_at: null, spend: 0, tpm_limit: null, rpm_limit: null, max_parallel_requests: null,
    model_aliases: {}, metadata: {}, tags: [], blocked: false, team_member_budget: null, team_member_rpm_limit: null,
    team_member_tpm_limit: null, created_at: at, updated_at: at, created_by: null, ...fields,
  };
}

function auth(fields: KeyPatch, teamRecord: TeamRecord | null = null): AuthRecord {
  const key = newKeyRecord(`sk-${randomUUID()}`, new Date(), null, { key_alias: 'k', team_id: teamRecord?.team_id ?? null, ...fields });
  return toAuthRecord(key, null, teamRecord, null);
}

/** A chat request as the earlier stages leave it: 10 prompt tokens, max_tokens 6 (so 0.1 USD at most). */
function request(record: AuthRecord | null): RequestContext {
  const ctx = new RequestContext(INFERENCE_ROUTES[0], runtime, 0);
  ctx.auth = record;
  ctx.model = 'gpt-4o';
  ctx.deployment = runtime.deploymentsFor('gpt-4o')[0];
  ctx.upstreamModel = 'gpt-4o';
  ctx.promptTokens = 10;
  ctx.maxTokens = 6;
  return ctx;
}

/** The request ends: answered 200 with usage 10 + 6 and a cost of 0.1, or `status` without usage. */
function finish(limits: RequestLimits, ctx: RequestContext, status = 200): void {
  ctx.status = status;
  if (status === 200) {
    ctx.usage = { promptTokens: 10, completionTokens: 6, source: 'provider' };
    ctx.costUsd = 0.1;
  }
  limits.finish(ctx);
}

function refusal(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof GatewayError);
    return error;
  }
  assert.fail('expected a refusal');
}

test('the master key and a key without limits reserve nothing', () => {
  const limits = new RequestLimits();
  const stage = createLimitsStage(limits);
  const master = request(null);
  stage(master);
  assert.equal(master.limitHandle, -1);
  assert.equal(master.limitReservation, null);
  assert.equal(master.rateLimitHeaders, null);

  // A key without limits: its stored spend as x-litellm-key-spend, made once per record.
  const record = auth({ spend: 0.25 });
  const first = request(record);
  stage(first);
  assert.equal(first.limitHandle, -1);
  assert.equal(first.limitReservation, null);
  assert.deepEqual(first.rateLimitHeaders, ['x-litellm-key-spend', '0.25']);
  const second = request(record);
  stage(second);
  assert.equal(second.rateLimitHeaders, first.rateLimitHeaders, 'the same array: nothing allocated per request');
});

test("one reservation covers the key's and the team's limits and budgets; budgets refuse first", () => {
  const limits = new RequestLimits();
  const stage = createLimitsStage(limits);
  const t = team({ rpm_limit: 5, max_budget: 1, max_parallel_requests: 3 });
  const record = auth({ rpm_limit: 1, tpm_limit: 100, max_budget: 1 }, t);
  const ctx = request(record);
  stage(ctx);
  assert.ok(ctx.limitHandle >= 0);
  // key budget, team budget, key rpm, key tpm, team rpm, team parallel
  assert.deepEqual([...ctx.limitReservation!.units], [3, 3, 0, 1, 0, 2]);
  assert.equal(ctx.limitReservation!.payers!.map((p) => p.kind).join(), 'key,team');
  assert.deepEqual(ctx.rateLimitHeaders!.filter((_, i) => i % 2 === 0), [
    'x-ratelimit-limit-requests', 'x-ratelimit-remaining-requests', 'x-ratelimit-reset-requests',
    'x-ratelimit-limit-tokens', 'x-ratelimit-remaining-tokens', 'x-ratelimit-reset-tokens',
    'x-litellm-key-tpm-limit', 'x-litellm-key-rpm-limit', 'x-litellm-key-max-budget', 'x-litellm-key-spend',
  ]);
  assert.deepEqual(ctx.rateLimitHeaders!.slice(12), ['x-litellm-key-tpm-limit', '100', 'x-litellm-key-rpm-limit', '1', 'x-litellm-key-max-budget', '1', 'x-litellm-key-spend', '0']);
  finish(limits, ctx);

  const second = request(record);
  const rate = refusal(() => stage(second));
  assert.equal(rate.code, 'rate_limit_exceeded');
  assert.match(rate.message, /^Rate limit exceeded for key k \(sk-\.\.\..{4}\): rpm_limit \(requests per minute\) is 1, 0 left\. Limit type: requests\. Retry after \d+ s\.$/);
  assert.ok(second.retryAfterS >= 1);

  // Spent: the budget is named before the rate limit.
  const spent = auth({ rpm_limit: 1, max_budget: 0 });
  const first = refusal(() => stage(request(spent)));
  assert.equal(first.code, 'budget_exceeded');
  assert.equal(first.status, 400);
  assert.equal(first.message, 'Budget has been exceeded! Key=k Current cost: 0, Max budget: 0');
});

test('a budget reserves the worst case capped at what is left, settles to the cost, and refuses 429 then 400', () => {
  const limits = new RequestLimits();
  const stage = createLimitsStage(limits);
  const record = auth({ max_budget: 0.15 });
  const a = request(record);
  stage(a); // holds 0.1
  const b = request(record);
  stage(b); // 0.05 left: admitted, holding 0.05
  const c = request(record);
  const held = refusal(() => stage(c));
  assert.equal(held.code, 'budget_reserved');
  assert.equal(held.status, 429);
  assert.equal(c.retryAfterS, 1);
  assert.match(held.message, /^The budget of key k \(sk-\.\.\..{4}\) is held by calls in flight: spend 0, max_budget 0\.15, and the 0\.15 left is reserved by calls not finished yet\. Retry after 1 s\.$/);
  finish(limits, a);
  finish(limits, b); // costs 0.1 although it held 0.05: the spend passes the budget, as in LiteLLM
  const spent = refusal(() => stage(request(record)));
  assert.equal(spent.code, 'budget_exceeded');
  assert.equal(spent.message, 'Budget has been exceeded! Key=k Current cost: 0.2, Max budget: 0.15');
});

test('a failed or aborted request releases everything it reserved', () => {
  const limits = new RequestLimits();
  const stage = createLimitsStage(limits);
  const record = auth({ max_budget: 0.1, rpm_limit: 1 });
  const failed = request(record);
  stage(failed);
  finish(limits, failed, 502);
  const aborted = request(record);
  stage(aborted);
  aborted.aborted = true;
  limits.finish(aborted);
  const ok = request(record);
  stage(ok);
  finish(limits, ok);
  assert.equal(refusal(() => stage(request(record))).code, 'budget_exceeded');
});

test("team members get the team's team_member_* defaults when their membership sets none", () => {
  const limits = new RequestLimits();
  const stage = createLimitsStage(limits);
  const t = team({ team_member_rpm_limit: 1 });
  const key = newKeyRecord(`sk-${randomUUID()}`, new Date(), null, { team_id: t.team_id, user_id: 'u1' });
  const at = key.created_at;
  const record = toAuthRecord(key, null, t, { team_id: t.team_id, user_id: 'u1', role: 'user', spend: 0, max_budget: null, tpm_limit: null, rpm_limit: null, created_at: at, updated_at: at });
  const first = request(record);
  stage(first);
  finish(limits, first);
  const refused = refusal(() => stage(request(record)));
  assert.match(refused.message, new RegExp(`^Rate limit exceeded for user u1 in team ${t.team_id}: rpm_limit`));
});

test('a new record with other limits reconfigures the counters and keeps what they counted', () => {
  const limits = new RequestLimits();
  const stage = createLimitsStage(limits);
  const key = newKeyRecord(`sk-${randomUUID()}`, new Date(), null, { rpm_limit: 1 });
  const first = request(toAuthRecord(key, null, null, null));
  stage(first);
  finish(limits, first);
  const raised = toAuthRecord({ ...key, rpm_limit: 2 }, null, null, null);
  const second = request(raised);
  stage(second);
  assert.equal(second.rateLimitHeaders![3], '0', 'x-ratelimit-remaining-requests: the first call still counts');
  finish(limits, second);
});

test('x-litellm-key-spend is the settled spend of the period before the call; calls in flight do not count', () => {
  const limits = new RequestLimits();
  const stage = createLimitsStage(limits);
  const record = auth({ max_budget: 1, spend: 0.2 });
  const header = (ctx: RequestContext, name: string) => {
    const headers = ctx.rateLimitHeaders!;
    const i = headers.indexOf(name);
    return i < 0 ? undefined : headers[i + 1];
  };
  const a = request(record);
  stage(a);
  assert.equal(header(a, 'x-litellm-key-spend'), '0.2');
  assert.equal(header(a, 'x-litellm-key-max-budget'), '1');
  assert.equal(header(a, 'x-ratelimit-limit-requests'), undefined);
  const b = request(record); // while a is in flight
  stage(b);
  assert.equal(header(b, 'x-litellm-key-spend'), '0.2');
  finish(limits, a);
  finish(limits, b);
  const c = request(record);
  stage(c);
  assert.equal(header(c, 'x-litellm-key-spend'), '0.4');
  finish(limits, c);
});

test('model_max_budget: a budget per model for the key, reserved and settled, refused in LiteLLM words', () => {
  const limits = new RequestLimits();
  const stage = createLimitsStage(limits);
  const record = auth({ key_alias: 'mmb', model_max_budget: { 'gpt-4o': { budget_limit: 0.15, time_period: '1d' } } });
  const forModel = (model: string) => {
    const ctx = request(record);
    ctx.model = model;
    return ctx;
  };
  const a = forModel('gpt-4o');
  stage(a); // holds 0.1
  assert.deepEqual([...a.limitReservation!.units], [3]);
  assert.equal(a.limitReservation!.payers![0].kind, 'model_per_key');
  // `openai/gpt-4o` is governed by the `gpt-4o` entry, and spends from the same budget.
  const b = forModel('openai/gpt-4o');
  stage(b); // 0.05 left: admitted, holding it
  const held = refusal(() => stage(forModel('gpt-4o')));
  assert.equal(held.code, 'budget_reserved');
  assert.match(held.message, /^The budget of model gpt-4o on key mmb \(sk-\.\.\..{4}\) is held by calls in flight/);
  finish(limits, a);
  finish(limits, b);
  const spent = refusal(() => stage(forModel('gpt-4o')));
  assert.equal(spent.code, 'budget_exceeded');
  assert.equal(spent.status, 400);
  assert.equal(spent.message, `LiteLLM Virtual Key: ${record.key.token}, key_alias: mmb, exceeded budget for model=gpt-4o`);
  // Other models are not limited by it.
  const other = forModel('gpt-4o-mini');
  stage(other);
  assert.equal(other.limitReservation, null);
});

test('model_max_budget in the older form ({"model": 0.5}) never resets; a key without an alias is named None', () => {
  const limits = new RequestLimits();
  const stage = createLimitsStage(limits);
  const key = newKeyRecord(`sk-${randomUUID()}`, new Date(), null, { model_max_budget: { 'gpt-4o': 0.1 } });
  const record = toAuthRecord(key, null, null, null);
  const first = request(record);
  stage(first);
  finish(limits, first);
  const entity = limits.entities.model(key, 'gpt-4o', runtime.config.limits)!;
  assert.equal(entity.budget!.periodEnd, UNLIMITED);
  assert.equal(refusal(() => stage(request(record))).message, `LiteLLM Virtual Key: ${key.token}, key_alias: None, exceeded budget for model=gpt-4o`);
});

test('model_max_budget periods follow time_period on the budget schedule, the same for every thread', () => {
  const limits = new RequestLimits();
  const settings = runtime.config.limits;
  const key = newKeyRecord(`sk-${randomUUID()}`, new Date(), null, {
    model_max_budget: { 'gpt-4o': { budget_limit: 1, time_period: '1h' }, daily: { budget_limit: 1, time_period: '1d' } },
  });
  const before = Date.now();
  const hourly = limits.entities.model(key, 'gpt-4o', settings)!.budget!;
  const daily = limits.entities.model(key, 'daily', settings)!.budget!;
  const now = Date.now();
  const DAY = 24 * HOUR;
  assert.ok(hourly.periodEnd % HOUR === 0 && hourly.periodEnd > before && hourly.periodEnd <= now + HOUR, 'a 1h budget resets on the hour');
  assert.ok(daily.periodEnd % DAY === 0 && daily.periodEnd > before && daily.periodEnd <= now + DAY, 'a 1d budget resets at midnight (UTC here)');
  // Spent in this period, nothing in the next one.
  const handle = limits.entities.store.reserve(Int32Array.of(hourly.id), Float64Array.of(0), now);
  limits.entities.store.settle(handle, Float64Array.of(1_000_000));
  assert.equal(hourly.settledMicros(now), 1_000_000);
  const next = hourly.periodEnd;
  hourly.refresh(next);
  assert.equal(hourly.settledMicros(next), 0);
  assert.equal(hourly.periodEnd, next + HOUR);
  // Another thread's view of the same key agrees on the period and the spend.
  const other = new RequestLimits().entities.model(key, 'gpt-4o', settings)!.budget!;
  assert.equal(other.id, hourly.id);
});

test("an end user with a budget_id gets the shared budget's limits, and its own spend", () => {
  const limits = new RequestLimits();
  const stage = createLimitsStage(limits);
  const at = new Date().toISOString();
  const userId = `end-${randomUUID()}`;
  const budget = {
    budget_id: `b-${randomUUID()}`, max_budget: 0.1, soft_budget: null, max_parallel_requests: null, tpm_limit: null, rpm_limit: 5,
    budget_duration: null, budget_reset_at: null, model_max_budget: {}, created_at: at, updated_at: at, created_by: null,
  };
  const customer = {
    user_id: userId, alias: null, blocked: false, budget_id: budget.budget_id, max_budget: null, budget_duration: null, budget_reset_at: null,
    spend: 0, tpm_limit: null, rpm_limit: null, allowed_model_region: null, default_model: null, metadata: {}, created_at: at, updated_at: at,
    litellm_budget_table: budget,
  };
  const first = request(null);
  first.customer = customer;
  stage(first);
  // budget, then rpm
  assert.deepEqual([...first.limitReservation!.units], [3, 0]);
  finish(limits, first);
  const second = request(null);
  second.customer = customer;
  assert.equal(refusal(() => stage(second)).message, `Budget has been exceeded! EndUser=${userId} Current cost: 0.1, Max budget: 0.1`);
});
