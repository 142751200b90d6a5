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
  for (const record of [null, auth({})]) {
    const ctx = request(record);
    stage(ctx);
    assert.equal(ctx.limitHandle, -1);
    assert.equal(ctx.limitReservation, null);
    assert.equal(ctx.rateLimitHeaders, null);
  }
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
  ]);
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
