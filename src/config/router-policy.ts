/**
 * The router keys that decide retries, fallbacks, cooldowns, per-group strategies and health
 * checks, beyond the basic ones RouterSettings carries: router_settings.retry_policy,
 * model_group_retry_policy, allowed_fails_policy, disable_cooldowns, enable_pre_call_checks,
 * routing_strategy_args, routing_groups; general_settings.background_health_checks and
 * health_check_interval; ailb_settings.when_all_cooling. docs/config.md#router describes them.
 *
 * Each section's unknown keys and type errors are reported by its own parser (settings.ts); this
 * one reports problems inside the keys it reads.
 */

import { describe, Fields, isPlainObject } from './fields.js';
import { childPath, indexPath, type IssueList } from './issues.js';
import { ROUTING_STRATEGIES } from './settings.js';
import type { ErrorClassCounts, RouterErrorClassName, RouterPolicySettings, RoutingGroupSettings } from './types.js';

export const ROUTER_ERROR_CLASSES: readonly RouterErrorClassName[] = [
  'BadRequestError', 'AuthenticationError', 'TimeoutError', 'RateLimitError', 'ContentPolicyViolationError', 'InternalServerError',
];

export const WHEN_ALL_COOLING = ['least_recently_failed', 'refuse'] as const;

/** LiteLLM's default health_check_interval, s. */
export const DEFAULT_HEALTH_CHECK_INTERVAL_S = 300;

export function parseRouterPolicy(
  rawRouter: unknown,
  rawLitellm: unknown,
  rawGeneral: unknown,
  rawAilb: unknown,
  issues: IssueList,
): RouterPolicySettings {
  const router = Fields.of(isPlainObject(rawRouter) ? rawRouter : {}, 'router_settings', issues);
  const litellm = isPlainObject(rawLitellm) ? rawLitellm : {};
  const general = Fields.of(isPlainObject(rawGeneral) ? rawGeneral : {}, 'general_settings', issues);
  const ailb = Fields.of(isPlainObject(rawAilb) ? rawAilb : {}, 'ailb_settings', issues);
  const written = (key: string) => router.has(key) || (litellm[key] !== undefined && litellm[key] !== null);

  const args = router.map('routing_strategy_args');
  const argFields = Fields.of(args ?? {}, router.pathOf('routing_strategy_args'), issues);
  return {
    numRetriesSet: written('num_retries'),
    retryPolicy: readCounts(router, 'retry_policy', 'Retries', issues),
    modelGroupRetryPolicy: readGroupPolicies(router, issues),
    allowedFailsPolicy: readCounts(router, 'allowed_fails_policy', 'AllowedFails', issues),
    allowedFailsSet: written('allowed_fails'),
    disableCooldowns: router.boolean('disable_cooldowns') ?? false,
    enablePreCallChecks: router.boolean('enable_pre_call_checks') ?? true,
    lowestLatencyBuffer: argFields.number('lowest_latency_buffer', { min: 0 }) ?? 0,
    routingGroups: readRoutingGroups(router, issues),
    whenAllCooling: ailb.oneOf('when_all_cooling', WHEN_ALL_COOLING) ?? 'least_recently_failed',
    backgroundHealthChecks: general.boolean('background_health_checks') ?? false,
    healthCheckIntervalS: general.number('health_check_interval', { above: 0 }) ?? DEFAULT_HEALTH_CHECK_INTERVAL_S,
  };
}

/** `{BadRequestErrorRetries: 0, RateLimitErrorRetries: 3, …}` (suffix `Retries` or `AllowedFails`). */
function readCounts(f: Fields, key: string, suffix: string, issues: IssueList): ErrorClassCounts {
  const m = f.map(key);
  return m === null ? {} : countsOf(m, f.pathOf(key), suffix, issues);
}

function countsOf(m: Record<string, unknown>, path: string, suffix: string, issues: IssueList): ErrorClassCounts {
  const out: Partial<Record<RouterErrorClassName, number>> = {};
  const fields = Fields.of(m, path, issues);
  for (const name of Object.keys(m)) {
    const cls = name.endsWith(suffix) ? (name.slice(0, -suffix.length) as RouterErrorClassName) : null;
    if (cls === null || !ROUTER_ERROR_CLASSES.includes(cls)) {
      issues.warn(childPath(path, name), `unknown key; expected one of ${ROUTER_ERROR_CLASSES.map((c) => c + suffix).join(', ')}`);
      continue;
    }
    const n = fields.number(name, { min: 0, integer: true });
    if (n !== null) out[cls] = n;
  }
  return out;
}

function readGroupPolicies(f: Fields, issues: IssueList): Record<string, ErrorClassCounts> {
  const m = f.map('model_group_retry_policy');
  const out: Record<string, ErrorClassCounts> = {};
  if (m === null) return out;
  for (const [group, policy] of Object.entries(m)) {
    const path = childPath(f.pathOf('model_group_retry_policy'), group);
    if (!isPlainObject(policy)) issues.error(path, `must be a retry policy map, got ${describe(policy)}`);
    else out[group] = countsOf(policy, path, 'Retries', issues);
  }
  return out;
}

/** `[{group_name, models: [..], routing_strategy, routing_strategy_args}]` (LiteLLM's routing groups). */
function readRoutingGroups(f: Fields, issues: IssueList): RoutingGroupSettings[] {
  const list = f.list('routing_groups');
  const out: RoutingGroupSettings[] = [];
  if (list === null) return out;
  const claimed = new Map<string, string>();
  list.forEach((entry, i) => {
    const path = indexPath(f.pathOf('routing_groups'), i);
    if (!isPlainObject(entry)) {
      issues.error(path, `must be a map with group_name, models and routing_strategy, got ${describe(entry)}`);
      return;
    }
    const g = Fields.of(entry, path, issues);
    const name = g.requiredString('group_name');
    const strategy = g.has('routing_strategy') ? g.oneOf('routing_strategy', ROUTING_STRATEGIES) : g.bad('routing_strategy', 'is required', 'key');
    const models = g.list('models');
    const args = g.map('routing_strategy_args');
    const buffer = args === null ? null : Fields.of(args, g.pathOf('routing_strategy_args'), issues).number('lowest_latency_buffer', { min: 0 });
    if (models !== null && !models.every((m) => typeof m === 'string')) g.bad('models', 'must be a list of model group names');
    if (name === null || strategy === null || models === null || !models.every((m) => typeof m === 'string')) return;
    for (const model of models as string[]) {
      const other = claimed.get(model);
      if (other !== undefined) issues.error(g.pathOf('models'), `model group '${model}' is already in routing group '${other}'`);
      claimed.set(model, name);
    }
    out.push({ name, models: models as string[], strategy, lowestLatencyBuffer: buffer });
  });
  return out;
}
