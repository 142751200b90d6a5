/**
 * The key fields shared by /key/generate, /key/update and /key/regenerate: read from a request
 * body, type-checked (400 naming the field), and turned into a KeyPatch with the derived instants
 * (`duration` → expires, `budget_duration` → budget_reset_at on the budget schedule of
 * litellm_settings.timezone, `rotation_interval` → key_rotation_at) computed from the caller's
 * clock. Unknown fields are ignored, as LiteLLM does.
 */
import net from 'node:net';
import { GatewayError } from '../../errors.js';
import type { JsonObject, KeyPatch, KeyRecord } from '../../store/types.js';
import { checkModelMaxBudget } from '../../limits/model-budget.js';
import { firstBudgetReset } from '../budget-reset.js';
import { addDuration, checkDuration } from '../duration.js';
import {
  optionalBoolean,
  optionalNumber,
  optionalNumberMap,
  optionalObject,
  optionalString,
  optionalStringArray,
  optionalStringMap,
} from '../validate.js';

/** LiteLLM's key types: what a key may call (`default`: inference and its own info). */
export const KEY_TYPES: readonly string[] = ['default', 'llm_api', 'management', 'read_only'];

/**
 * The patch the body asks for. Absent fields are absent from the patch; `null` clears a nullable
 * field. `current` is the key being changed (null when generating), needed where one field's
 * validity depends on another's stored value (auto_rotate needs a rotation_interval). `timeZone`
 * is litellm_settings.timezone, where budget periods reset.
 */
export function readKeyFields(body: JsonObject, now: Date, current: KeyRecord | null, timeZone: string): KeyPatch {
  const patch: KeyPatch = {};
  const set = <K extends keyof KeyPatch>(name: K, value: KeyPatch[K] | undefined): void => {
    if (value !== undefined) patch[name] = value;
  };

  set('key_alias', optionalString(body, 'key_alias'));
  set('user_id', optionalString(body, 'user_id'));
  set('team_id', optionalString(body, 'team_id'));
  set('budget_id', optionalString(body, 'budget_id'));
  set('models', optionalStringArray(body, 'models'));
  set('max_budget', optionalNumber(body, 'max_budget'));
  set('soft_budget', optionalNumber(body, 'soft_budget'));
  set('tpm_limit', optionalNumber(body, 'tpm_limit', { integer: true }));
  set('rpm_limit', optionalNumber(body, 'rpm_limit', { integer: true }));
  set('max_parallel_requests', optionalNumber(body, 'max_parallel_requests', { integer: true }));
  set('model_rpm_limit', optionalNumberMap(body, 'model_rpm_limit'));
  set('model_tpm_limit', optionalNumberMap(body, 'model_tpm_limit'));
  set('model_max_budget', checkedModelMaxBudget(optionalObject(body, 'model_max_budget')));
  set('metadata', optionalObject(body, 'metadata'));
  set('tags', optionalStringArray(body, 'tags'));
  set('permissions', optionalObject(body, 'permissions'));
  set('allowed_routes', optionalStringArray(body, 'allowed_routes'));
  set('allowed_ips', checkAddresses(optionalStringArray(body, 'allowed_ips')));
  set('aliases', optionalStringMap(body, 'aliases'));
  set('guardrails', optionalStringArray(body, 'guardrails'));
  set('blocked', optionalBoolean(body, 'blocked'));

  const keyType = optionalString(body, 'key_type');
  if (keyType !== undefined && keyType !== null) {
    if (!KEY_TYPES.includes(keyType)) {
      throw new GatewayError('invalid_body', `"key_type" must be one of ${KEY_TYPES.join(', ')}; got "${keyType}".`, { param: 'key_type' });
    }
    patch.key_type = keyType;
  }

  // `duration` is relative to now: absent keeps the expiry, null removes it.
  const duration = checkDuration(optionalString(body, 'duration'), 'duration');
  if (duration !== undefined) patch.expires = duration === null ? null : addDuration(now, duration, 'duration').toISOString();

  const budgetDuration = checkDuration(optionalString(body, 'budget_duration'), 'budget_duration');
  if (budgetDuration !== undefined) {
    patch.budget_duration = budgetDuration;
    patch.budget_reset_at = budgetDuration === null ? null : firstBudgetReset(now, budgetDuration, timeZone);
  }

  const tempIncrease = optionalNumber(body, 'temp_budget_increase');
  const tempExpiry = optionalString(body, 'temp_budget_expiry');
  if (tempIncrease !== undefined) patch.temp_budget_increase = tempIncrease;
  if (tempExpiry !== undefined) patch.temp_budget_expiry = tempExpiry === null ? null : isoInstant(tempExpiry, 'temp_budget_expiry');
  const increase = tempIncrease !== undefined ? tempIncrease : (current?.temp_budget_increase ?? null);
  const expiry = tempExpiry !== undefined ? patch.temp_budget_expiry : (current?.temp_budget_expiry ?? null);
  if (increase !== null && increase !== undefined && (expiry === null || expiry === undefined)) {
    throw new GatewayError('invalid_body', '"temp_budget_expiry" is required with "temp_budget_increase".', { param: 'temp_budget_expiry' });
  }

  readRotation(body, now, current, patch);
  return patch;
}

/** auto_rotate + rotation_interval → key_rotation_at (the next scheduled rotation). */
function readRotation(body: JsonObject, now: Date, current: KeyRecord | null, patch: KeyPatch): void {
  const autoRotate = optionalBoolean(body, 'auto_rotate');
  const interval = checkDuration(optionalString(body, 'rotation_interval'), 'rotation_interval');
  if (autoRotate === undefined && interval === undefined) return;
  if (autoRotate !== undefined) patch.auto_rotate = autoRotate;
  if (interval !== undefined) patch.rotation_interval = interval;
  const on = autoRotate ?? current?.auto_rotate ?? false;
  const every = interval !== undefined ? interval : (current?.rotation_interval ?? null);
  if (!on) {
    patch.key_rotation_at = null;
    return;
  }
  if (every === null) {
    throw new GatewayError('invalid_body', '"rotation_interval" is required when "auto_rotate" is true.', { param: 'rotation_interval' });
  }
  patch.key_rotation_at = addDuration(now, every, 'rotation_interval').toISOString();
}

/** model_max_budget entries must be LiteLLM budgets ({budget_limit, time_period} or a number). */
function checkedModelMaxBudget(value: JsonObject | undefined): JsonObject | undefined {
  if (value !== undefined) checkModelMaxBudget(value);
  return value;
}

/** Each entry must be an IPv4/IPv6 address or a CIDR block of one. */
function checkAddresses(values: string[] | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  for (const value of values) {
    if (!isAddressOrCidr(value)) {
      throw new GatewayError('invalid_body', `"allowed_ips" entries must be IP addresses or CIDR blocks (v4 or v6); got "${value}".`, {
        param: 'allowed_ips',
      });
    }
  }
  return values;
}

export function isAddressOrCidr(value: string): boolean {
  const slash = value.indexOf('/');
  if (slash === -1) return net.isIP(value) !== 0;
  const family = net.isIP(value.slice(0, slash));
  const prefix = value.slice(slash + 1);
  if (family === 0 || !/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

function isoInstant(value: string, param: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new GatewayError('invalid_body', `"${param}" must be an ISO-8601 date-time; got "${value}".`, { param });
  return new Date(ms).toISOString();
}

/** The key models a team's allowlist does not cover ([] when the team allows every model). */
export function modelsOutside(keyModels: readonly string[], teamModels: readonly string[]): string[] {
  if (teamModels.length === 0 || teamModels.includes('all-proxy-models') || teamModels.includes('*')) return [];
  return keyModels.filter((model) => !teamModels.some((allowed) => allowed === model || (allowed.endsWith('*') && model.startsWith(allowed.slice(0, -1)))));
}
