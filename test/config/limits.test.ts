/**
 * The proxy-wide limit and budget keys (src/config/limits.ts): read from litellm_settings,
 * general_settings and ailb_settings, validated with their paths, with defaults.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../src/config/issues.js';
import { parseConfigText } from '../../src/config/load.js';

const load = (text: string) => parseConfigText(text, 'limits.yaml', {}).config;

test('defaults: no proxy-wide limit, 4096 output tokens per budget reservation', () => {
  assert.deepEqual(load('model_list: []\n').limits, {
    maxBudget: null,
    budgetDuration: null,
    maxEndUserBudget: null,
    globalMaxParallelRequests: null,
    budgetReservationMaxTokens: 4096,
    redisFailureMode: 'open',
    redisKeyPrefix: 'ailb',
    timeZone: 'UTC',
    proxyWide: false,
  });
});

test('the keys are read from their LiteLLM sections and ailb_settings', () => {
  const config = load(`litellm_settings:
  max_budget: 100
  budget_duration: 30d
  max_end_user_budget: "2.5"
  timezone: Europe/Paris
general_settings:
  global_max_parallel_requests: 50
ailb_settings:
  budget_reservation_max_tokens: 1000
  redis_failure_mode: closed
  redis_key_prefix: gw1
`);
  assert.deepEqual(config.limits, {
    maxBudget: 100,
    budgetDuration: '30d',
    maxEndUserBudget: 2.5,
    globalMaxParallelRequests: 50,
    budgetReservationMaxTokens: 1000,
    redisFailureMode: 'closed',
    redisKeyPrefix: 'gw1',
    timeZone: 'Europe/Paris',
    proxyWide: true,
  });
});

test('invalid values fail with their paths', () => {
  assert.throws(
    () => load(`litellm_settings:
  max_budget: -1
  budget_duration: 3 fortnights
general_settings:
  global_max_parallel_requests: 2.5
ailb_settings:
  budget_reservation_max_tokens: many
`),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      const paths = error.issues.map((issue) => issue.path).sort();
      assert.deepEqual(paths, [
        'ailb_settings.budget_reservation_max_tokens',
        'general_settings.global_max_parallel_requests',
        'litellm_settings.budget_duration',
        'litellm_settings.max_budget',
      ]);
      return true;
    },
  );
});
