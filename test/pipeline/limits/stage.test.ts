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
import type { BudgetRecord, KeyPatch, TeamMemberRecord, TeamRecord, UserRecord } from '../../../src/store/types.js';

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
    model_aliases: {}, metadata: {}, tags: [], blocked: false, model_max_budget: {}, team_member_budget: null,
    team_member_budget_duration: null, team_member_budget_reset_at: null, team_member_rpm_limit: null, team_member_tpm_limit: null, created_at: at, updated_at: at, created_by: null, ...fields,
  };
}

function user(fields: Partial<UserRecord>): UserRecord {
  const at = new Date().toISOString();
  return {
    user_id: `u-${randomUUID()}`, user_email: null, user_alias: null, user_role: 'internal_user', password_hash: null, models: [],
    max_budget: null, soft_budget: null, budget_duration: null, budget_reset_at: null, spend: 0, tpm_limit: null, rpm_limit: null,
    max_parallel_requests: null, model_max_budget: {}, metadata: {}, blocked: false, created_at: at, updated_at: at, created_by: null, ...fields,
  };
}

function member(teamRecord: TeamRecord, userId: string, fields: Partial<TeamMemberRecord> = {}): TeamMemberRecord {
  const at = new Date().toISOString();
  return {
    team_id: teamRecord.team_id, user_id: userId, role: 'user', spend: 0, max_budget: null, budget_duration: null, budget_reset_at: null,
    tpm_limit: null, rpm_limit: null, created_at: at, updated_at: at, ...fields,
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
  const record = toAuthRecord(key, null, t, { team_id: t.team_id, user_id: 'u1', role: 'user', spend: 0, max_budget: null, budget_duration: null, budget_reset_at: null, tpm_limit: null, rpm_limit: null, created_at: at, updated_at: at });
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
  assert.equal(a.limitReservation!.payers![0].kind, 'model_budget');
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
  const entity = limits.entities.keyModelBudget(key, 'gpt-4o', runtime.config.limits)!;
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
  const hourly = limits.entities.keyModelBudget(key, 'gpt-4o', settings)!.budget!;
  const daily = limits.entities.keyModelBudget(key, 'daily', settings)!.budget!;
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
  const other = new RequestLimits().entities.keyModelBudget(key, 'gpt-4o', settings)!.budget!;
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

test("a key's model_max_budget rpm_limit and tpm_limit count per entry, beside model_rpm_limit; the tighter refuses", () => {
  const limits = new RequestLimits();
  const stage = createLimitsStage(limits);
  const record = auth({
    model_rpm_limit: { 'gpt-4o': 5 },
    model_max_budget: { 'gpt-4o': { rpm_limit: 2, tpm_limit: 1000 } },
  });
  const forModel = (model: string) => {
    const ctx = request(record);
    ctx.model = model;
    return ctx;
  };
  const a = forModel('gpt-4o');
  stage(a);
  // model_rpm_limit's rpm, then the entry's rpm and tpm (16 tokens: 10 prompt + 6 max_tokens)
  assert.deepEqual([...a.limitReservation!.units], [0, 0, 1]);
  // `openai/gpt-4o` has no model_rpm_limit of its own, and counts in the `gpt-4o` entry's window.
  const b = forModel('openai/gpt-4o');
  stage(b);
  assert.deepEqual([...b.limitReservation!.units], [0, 1]);
  const refused = refusal(() => stage(forModel('gpt-4o')));
  assert.equal(refused.code, 'rate_limit_exceeded');
  assert.match(refused.message, /^Rate limit exceeded for model gpt-4o on key k \(sk-\.\.\..{4}\): model_max_budget rpm_limit \(requests per minute\) is 2, 0 left\. Limit type: requests\./);
  finish(limits, a);
  finish(limits, b);

  // tpm_limit: a request larger than what is left of the window is refused with the tokens it needs.
  const tokens = auth({ model_max_budget: { 'gpt-4o': { tpm_limit: 20 } } });
  const first = request(tokens);
  stage(first);
  const tooMany = refusal(() => stage(request(tokens)));
  assert.match(tooMany.message, /: model_max_budget tpm_limit \(tokens per minute\) is 20, 4 left and this request needs 16 tokens\. Limit type: tokens\./);
  finish(limits, first);
});

test("per-model budgets of users, teams and end users refuse in LiteLLM's words; a key entry with a budget overrides the team's", () => {
  const limits = new RequestLimits();
  const stage = createLimitsStage(limits);
  const t = team({ model_max_budget: { 'gpt-4o': { budget_limit: 0.1, time_period: '1d' } } });
  const u = user({ model_max_budget: { 'gpt-4o': 0.2, other: { rpm_limit: 1 } } });
  const key = newKeyRecord(`sk-${randomUUID()}`, new Date(), null, { team_id: t.team_id, user_id: u.user_id });
  const record = toAuthRecord(key, u, t, null);
  const a = request(record);
  stage(a);
  assert.equal(a.limitReservation!.payers!.map((p) => p.kind).join(), 'model_budget,model_budget');
  assert.equal(refusal(() => stage(request(record))).message.split(':')[0], `The budget of model gpt-4o on team ${t.team_id} is held by calls in flight`);
  finish(limits, a);
  assert.equal(refusal(() => stage(request(record))).message, `LiteLLM Team: ${t.team_id}, exceeded budget for model=gpt-4o`);

  // A key whose own entry budgets gpt-4o is gated on its own entry, not the team's: the user's is next.
  const own = toAuthRecord({ ...key, model_max_budget: { 'gpt-4o': 1 } }, u, t, null);
  const b = request(own);
  stage(b);
  finish(limits, b);
  assert.equal(refusal(() => stage(request(own))).message, `LiteLLM User: ${u.user_id}, exceeded budget for model=gpt-4o`);
  // The user's entry with only rpm_limit limits nothing (rates of user entries are not enforced).
  const other = request(own);
  other.model = 'other';
  stage(other);
  assert.equal(other.limitReservation, null);

  // An end user's budget row.
  const at = new Date().toISOString();
  const row: BudgetRecord = {
    budget_id: `b-${randomUUID()}`, max_budget: null, soft_budget: null, max_parallel_requests: null, tpm_limit: null, rpm_limit: null,
    budget_duration: null, budget_reset_at: null, model_max_budget: { 'gpt-4o': 0.1 }, created_at: at, updated_at: at, created_by: null,
  };
  const endUser = `end-${randomUUID()}`;
  const customer = {
    user_id: endUser, alias: null, blocked: false, budget_id: row.budget_id, max_budget: null, budget_duration: null, budget_reset_at: null,
    spend: 0, tpm_limit: null, rpm_limit: null, allowed_model_region: null, default_model: null, metadata: {}, created_at: at, updated_at: at,
    litellm_budget_table: row,
  };
  const c = request(null);
  c.customer = customer;
  stage(c);
  assert.deepEqual([...c.limitReservation!.units], [3]);
  finish(limits, c);
  const d = request(null);
  d.customer = customer;
  assert.equal(refusal(() => stage(d)).message, `LiteLLM End User: ${endUser}, exceeded budget for model=gpt-4o`);
});

test("a team member's budget resets on its own budget_duration, else on the team's team_member_budget_duration", () => {
  const limits = new RequestLimits();
  const settings = runtime.config.limits;
  const now = Date.now();
  const passed = new Date(now - 90 * 60_000).toISOString(); // the stored reset was 1.5 h ago
  const t = team({ team_member_budget: 0.5, team_member_budget_duration: '1h', team_member_budget_reset_at: new Date(now + HOUR / 2).toISOString() });
  const key = newKeyRecord(`sk-${randomUUID()}`, new Date(), null, { team_id: t.team_id, user_id: 'u1' });
  const onTeamDefault = limits.entities.keyPlan(toAuthRecord(key, null, t, member(t, 'u1', { spend: 0.2 })), settings).member!.budget!;
  assert.equal(onTeamDefault.periodEnd, now + HOUR / 2);
  assert.equal(onTeamDefault.settledMicros(now), 200_000, "the stored spend counts until the team's reset");
  assert.equal(onTeamDefault.limitMicros, 500_000);

  const own = member(t, 'u2', { max_budget: 0.3, budget_duration: '2h', budget_reset_at: passed, spend: 0.25 });
  const key2 = newKeyRecord(`sk-${randomUUID()}`, new Date(), null, { team_id: t.team_id, user_id: 'u2' });
  const account = new RequestLimits().entities.keyPlan(toAuthRecord(key2, null, t, own), settings).member!.budget!;
  // 2 h periods from the stored reset: the one that began 1.5 h ago ends in 0.5 h; its spend starts at 0.
  assert.equal(account.periodEnd, Date.parse(passed) + 2 * HOUR);
  assert.equal(account.settledMicros(now), 0, 'the stored spend belongs to a finished period');
  assert.equal(account.limitMicros, 300_000);
});

test('a request with every limit and budget set reserves 30 counters, within the 32 of one reservation', () => {
  const everywhere = new Runtime(parseConfigText(
    `model_list:
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, api_base: "http://127.0.0.1:9/v1", api_key: sk-up, rpm: 1000, tpm: 1000000 }
    model_info: { id: limited, input_cost_per_token: 0, output_cost_per_token: 0.016666666666666666 }
general_settings: { master_key: sk-master, global_max_parallel_requests: 100 }
litellm_settings: { max_budget: 1000 }
ailb_settings: { hot_reload: false }
`,
    'limits-everywhere.yaml',
    {},
  ).config);
  const limits = new RequestLimits();
  const stage = createLimitsStage(limits);
  const rates = { rpm_limit: 100, tpm_limit: 100_000, max_parallel_requests: 10, max_budget: 10 };
  const entry = { 'gpt-4o': { budget_limit: 10, rpm_limit: 100, tpm_limit: 100_000 } };
  const t = team({ ...rates, model_max_budget: entry, team_member_budget: 10, team_member_rpm_limit: 100, team_member_tpm_limit: 100_000 });
  const u = user({ ...rates, model_max_budget: entry });
  // The key's entry sets no budget, so the team's per-model budget applies too (one of the two at most).
  const key = newKeyRecord(`sk-${randomUUID()}`, new Date(), null, {
    ...rates, team_id: t.team_id, user_id: u.user_id,
    model_rpm_limit: { 'gpt-4o': 100 }, model_tpm_limit: { 'gpt-4o': 100_000 }, model_max_budget: { 'gpt-4o': { rpm_limit: 100, tpm_limit: 100_000 } },
  });
  const at = new Date().toISOString();
  const row: BudgetRecord = {
    budget_id: `b-${randomUUID()}`, max_budget: 10, soft_budget: null, max_parallel_requests: 10, tpm_limit: 100_000, rpm_limit: 100,
    budget_duration: null, budget_reset_at: null, model_max_budget: { 'gpt-4o': 10 }, created_at: at, updated_at: at, created_by: null,
  };
  const ctx = new RequestContext(INFERENCE_ROUTES[0], everywhere, 0);
  ctx.auth = toAuthRecord(key, u, t, member(t, u.user_id));
  ctx.model = 'gpt-4o';
  ctx.deployment = everywhere.deploymentsFor('gpt-4o')[0];
  ctx.upstreamModel = 'gpt-4o';
  ctx.promptTokens = 10;
  ctx.maxTokens = 6;
  ctx.customer = {
    user_id: `end-${randomUUID()}`, alias: null, blocked: false, budget_id: row.budget_id, max_budget: null, budget_duration: null, budget_reset_at: null,
    spend: 0, tpm_limit: null, rpm_limit: null, allowed_model_region: null, default_model: null, metadata: {}, created_at: at, updated_at: at,
    litellm_budget_table: row,
  };
  stage(ctx);
  // Budgets: key, user and its model, team and its model, member, end user and its model, proxy.
  assert.equal(ctx.limitReservation!.payers!.map((p) => p.kind).join(), 'key,user,model_budget,team,model_budget,team_member,end_user,model_budget,global');
  // Rates: key, user, team (3 each), member (2), end user (3), model_rpm/tpm_limit (2), the key's entry (2), deployment (2), proxy (1).
  assert.equal(ctx.limitReservation!.units.length, 9 + 3 + 3 + 3 + 2 + 3 + 2 + 2 + 2 + 1);
  finish(limits, ctx);
});
