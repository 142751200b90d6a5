/**
 * The proxy-wide limit and budget settings the limits stage reads (docs/counters.md):
 * litellm_settings.max_budget / budget_duration / max_end_user_budget,
 * general_settings.global_max_parallel_requests and ailb_settings.budget_reservation_max_tokens,
 * redis_failure_mode and redis_key_prefix.
 * Read from the three sections whose other keys their own parsers handle; unknown keys are
 * reported there.
 */
import { GatewayError } from '../errors.js';
import { parseBudgetDuration } from '../spend/budget-window.js';
import { Fields, isPlainObject } from './fields.js';
import type { IssueList } from './issues.js';
import type { LimitSettings } from './types.js';

/** Output tokens a budget reservation assumes when the request sets no max_tokens. */
export const DEFAULT_BUDGET_RESERVATION_MAX_TOKENS = 4096;

export function parseLimitSettings(
  rawLitellm: unknown,
  rawGeneral: unknown,
  rawAilb: unknown,
  timeZone: string,
  issues: IssueList,
): LimitSettings {
  // A section that is not a map is reported by its own parser; read it as empty here.
  const litellm = Fields.of(isPlainObject(rawLitellm) ? rawLitellm : {}, 'litellm_settings', issues);
  const general = Fields.of(isPlainObject(rawGeneral) ? rawGeneral : {}, 'general_settings', issues);
  const ailb = Fields.of(isPlainObject(rawAilb) ? rawAilb : {}, 'ailb_settings', issues);

  let budgetDuration = litellm.string('budget_duration', { nonEmpty: true });
  if (budgetDuration !== null) {
    try {
      parseBudgetDuration(budgetDuration);
    } catch (error) {
      const why = error instanceof GatewayError ? error.message : String(error);
      budgetDuration = litellm.bad('budget_duration', why);
    }
  }
  const maxBudget = litellm.number('max_budget', { min: 0 });
  const globalMaxParallelRequests = general.number('global_max_parallel_requests', { min: 0, integer: true });
  return {
    maxBudget,
    budgetDuration,
    maxEndUserBudget: litellm.number('max_end_user_budget', { min: 0 }),
    globalMaxParallelRequests,
    budgetReservationMaxTokens:
      ailb.number('budget_reservation_max_tokens', { min: 0, integer: true }) ?? DEFAULT_BUDGET_RESERVATION_MAX_TOKENS,
    redisFailureMode: ailb.oneOf('redis_failure_mode', ['open', 'closed'] as const) ?? 'open',
    redisKeyPrefix: redisKeyPrefix(ailb),
    timeZone,
    proxyWide: maxBudget !== null || globalMaxParallelRequests !== null,
  };
}

/** ailb_settings.redis_key_prefix: non-empty, without braces (it becomes the keys' hash tag). */
function redisKeyPrefix(ailb: Fields): string {
  const prefix = ailb.string('redis_key_prefix', { nonEmpty: true });
  if (prefix === null) return 'ailb';
  if (/[{}]/.test(prefix)) return ailb.bad('redis_key_prefix', 'must not contain { or }') ?? 'ailb';
  return prefix;
}
