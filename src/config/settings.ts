/**
 * The settings sections: litellm_settings, router_settings, general_settings, ailb_settings and
 * guardrails. Each parser takes the section after env substitution, reports its problems, and
 * returns the typed settings with defaults applied.
 */

import { describe, Fields, isPlainObject, type PlainObject } from './fields.js';
import { childPath, indexPath, type IssueList } from './issues.js';
import {
  AILB_ALERTING_KEYS,
  AILB_SETTINGS_KEYS,
  ALERT_WEBHOOK_KEYS,
  GENERAL_SETTINGS_KEYS,
  GUARDRAIL_ENTRY_KEYS,
  LITELLM_SETTINGS_KEYS,
  ROUTER_SETTINGS_KEYS,
  warnUnknownKeys,
} from './known-keys.js';
import type {
  AilbSettings,
  AlertFormat,
  AlertingSettings,
  AlertWebhook,
  GeneralSettings,
  GuardrailConfig,
  GuardrailMode,
  LitellmSettings,
  RouterSettings,
  RoutingStrategy,
} from './types.js';

/** Defaults, in one place; docs/config.md lists the same values. */
export const DEFAULTS = {
  routingStrategy: 'simple-shuffle' as RoutingStrategy,
  /** LiteLLM's Router default (openai's DEFAULT_MAX_RETRIES). */
  numRetries: 2,
  retryAfterS: 0,
  allowedFails: 3,
  cooldownTimeS: 5,
  maxFallbacks: 5,
  timeoutS: 600,
  timezone: 'UTC',
  maxRequestSizeMb: 32,
  drainTimeoutS: 30,
  hotReload: true,
  countPromptTokens: true,
  alertTimeoutS: 5,
  alertMaxAttempts: 3,
  alertQueueSize: 1000,
} as const;

export const ROUTING_STRATEGIES: readonly RoutingStrategy[] = [
  'simple-shuffle', 'least-busy', 'usage-based-routing', 'usage-based-routing-v2',
  'latency-based-routing', 'cost-based-routing', 'round-robin',
];

export const GUARDRAIL_MODES: readonly GuardrailMode[] = ['pre_call', 'during_call', 'post_call', 'logging_only'];

/**
 * Router keys LiteLLM also reads from litellm_settings (as `litellm.<key>`); router_settings wins
 * when both set one.
 */
export const SHARED_ROUTER_KEYS: readonly string[] = [
  'num_retries', 'allowed_fails', 'cooldown_time', 'max_fallbacks', 'fallbacks',
  'context_window_fallbacks', 'content_policy_fallbacks', 'default_fallbacks',
];

/** A variable's value, treating an empty one as unset. */
function envValue(env: NodeJS.ProcessEnv, name: string): string | null {
  const v = env[name];
  return v === undefined || v === '' ? null : v;
}

export function parseLitellmSettings(raw: unknown, issues: IssueList): LitellmSettings {
  const f = Fields.of(raw, 'litellm_settings', issues);
  warnUnknownKeys(f.obj, f.path, LITELLM_SETTINGS_KEYS, issues);
  return {
    dropParams: f.boolean('drop_params') ?? false,
    requestTimeoutS: f.number('request_timeout', { above: 0 }),
    timezone: readTimezone(f) ?? DEFAULTS.timezone,
    raw: f.obj,
  };
}

function readTimezone(f: Fields): string | null {
  const tz = f.string('timezone', { nonEmpty: true });
  if (tz === null) return null;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return tz;
  } catch {
    return f.bad('timezone', `must be an IANA time zone such as UTC or Europe/Paris, got ${describe(tz)}`);
  }
}

/**
 * router_settings, with the shared router keys of litellm_settings underneath. `requestTimeoutS`
 * is litellm_settings.request_timeout, the fallback for router_settings.timeout.
 */
export function parseRouterSettings(
  rawRouter: unknown,
  rawLitellm: unknown,
  requestTimeoutS: number | null,
  issues: IssueList,
): RouterSettings {
  const router = Fields.of(rawRouter, 'router_settings', issues);
  warnUnknownKeys(router.obj, router.path, ROUTER_SETTINGS_KEYS, issues);
  // Type errors in litellm_settings itself are reported by parseLitellmSettings.
  const litellm = Fields.of(isPlainObject(rawLitellm) ? rawLitellm : {}, 'litellm_settings', issues);
  const from = (key: string): Fields => (router.has(key) || !litellm.has(key) ? router : litellm);

  return {
    routingStrategy: router.oneOf('routing_strategy', ROUTING_STRATEGIES) ?? DEFAULTS.routingStrategy,
    numRetries: from('num_retries').number('num_retries', { min: 0, integer: true }) ?? DEFAULTS.numRetries,
    retryAfterS: router.number('retry_after', { min: 0 }) ?? DEFAULTS.retryAfterS,
    timeoutS: router.number('timeout', { above: 0 }) ?? requestTimeoutS ?? DEFAULTS.timeoutS,
    streamTimeoutS: router.number('stream_timeout', { above: 0 }),
    allowedFails: from('allowed_fails').number('allowed_fails', { min: 0, integer: true }) ?? DEFAULTS.allowedFails,
    cooldownTimeS: from('cooldown_time').number('cooldown_time', { min: 0 }) ?? DEFAULTS.cooldownTimeS,
    maxFallbacks: from('max_fallbacks').number('max_fallbacks', { min: 0, integer: true }) ?? DEFAULTS.maxFallbacks,
    modelGroupAlias: readModelGroupAlias(router, issues),
    fallbacks: readFallbacks(from('fallbacks'), 'fallbacks', issues),
    contextWindowFallbacks: readFallbacks(from('context_window_fallbacks'), 'context_window_fallbacks', issues),
    contentPolicyFallbacks: readFallbacks(from('content_policy_fallbacks'), 'content_policy_fallbacks', issues),
    defaultFallbacks: readStringList(from('default_fallbacks'), 'default_fallbacks', issues) ?? [],
    raw: { ...pick(litellm.obj, SHARED_ROUTER_KEYS), ...router.obj },
  };
}

function pick(obj: PlainObject, keys: readonly string[]): PlainObject {
  const out: PlainObject = {};
  for (const key of keys) if (obj[key] !== undefined) out[key] = obj[key];
  return out;
}

/** `alias: group` or LiteLLM's `alias: {model: group, hidden: bool}`. */
function readModelGroupAlias(router: Fields, issues: IssueList): Record<string, string> {
  const m = router.map('model_group_alias');
  const out: Record<string, string> = {};
  if (m === null) return out;
  for (const [alias, target] of Object.entries(m)) {
    const p = childPath(router.pathOf('model_group_alias'), alias);
    if (typeof target === 'string' && target !== '') {
      out[alias] = target;
    } else if (isPlainObject(target) && typeof target.model === 'string' && target.model !== '') {
      out[alias] = target.model;
    } else {
      issues.error(p, `must be a model group name or {model: <group>, hidden: <bool>}, got ${describe(target)}`);
    }
  }
  return out;
}

/** LiteLLM's fallback lists: `[{group: [fallback, …]}, …]`, merged into one map. */
function readFallbacks(f: Fields, key: string, issues: IssueList): Record<string, string[]> {
  const list = f.list(key);
  const out: Record<string, string[]> = {};
  if (list === null) return out;
  list.forEach((item, i) => {
    const p = indexPath(f.pathOf(key), i);
    if (!isPlainObject(item)) {
      issues.error(p, `must be a map of model group to fallback groups, got ${describe(item)}`);
      return;
    }
    for (const [group, targets] of Object.entries(item)) {
      const names = stringList(targets);
      if (names === null) issues.error(childPath(p, group), `must be a list of model group names, got ${describe(targets)}`);
      else out[group] = [...(out[group] ?? []), ...names];
    }
  });
  return out;
}

function stringList(value: unknown): string[] | null {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  return null;
}

function readStringList(f: Fields, key: string, issues: IssueList): string[] | null {
  const v = f.obj[key];
  if (v === undefined || v === null) return null;
  const names = stringList(v);
  if (names === null) issues.error(f.pathOf(key), `must be a list of strings, got ${describe(v)}`);
  return names;
}

/** general_settings; `env` already includes the file's environment_variables. */
export function parseGeneralSettings(raw: unknown, env: NodeJS.ProcessEnv, issues: IssueList): GeneralSettings {
  const f = Fields.of(raw, 'general_settings', issues);
  warnUnknownKeys(f.obj, f.path, GENERAL_SETTINGS_KEYS, issues);
  const headerName = f.string('litellm_key_header_name', { nonEmpty: true });
  return {
    masterKey:
      f.string('master_key', { nonEmpty: true }) ??
      envValue(env, 'AILB_MASTER_KEY') ??
      envValue(env, 'LITELLM_MASTER_KEY'),
    maxRequestSizeMb: f.number('max_request_size_mb', { above: 0 }) ?? DEFAULTS.maxRequestSizeMb,
    databaseUrl: f.string('database_url', { nonEmpty: true }) ?? envValue(env, 'DATABASE_URL'),
    // HTTP header names are case-insensitive and arrive lower-cased; store the form they are matched in.
    litellmKeyHeaderName: headerName === null ? null : headerName.toLowerCase(),
    disableSpendLogs: f.boolean('disable_spend_logs') ?? false,
    raw: f.obj,
  };
}

export function parseAilbSettings(raw: unknown, issues: IssueList): AilbSettings {
  const f = Fields.of(raw, 'ailb_settings', issues);
  warnUnknownKeys(f.obj, f.path, AILB_SETTINGS_KEYS, issues);
  return {
    drainTimeoutS: f.number('drain_timeout_s', { min: 0 }) ?? DEFAULTS.drainTimeoutS,
    hotReload: f.boolean('hot_reload') ?? DEFAULTS.hotReload,
    countPromptTokens: f.boolean('count_prompt_tokens') ?? DEFAULTS.countPromptTokens,
  };
}

export const ALERT_FORMATS: readonly AlertFormat[] = ['json', 'slack'];

/**
 * Budget alert webhooks and their delivery settings, from LiteLLM's general_settings.alerting and
 * AILB's ailb_settings.alerting (docs/budgets.md). `env` already includes the file's
 * environment_variables. A section that is not a map is reported by its own parser.
 *
 * LiteLLM's channels: "slack" posts Slack messages to alert_to_webhook_url.budget_alerts, else
 * SLACK_WEBHOOK_URL, else ALERTING_WEBHOOK_URL; "webhook" posts the JSON event to WEBHOOK_URL.
 * Both are off when alert_types is set without "budget_alerts". A channel whose variable is unset
 * sends nothing (as in LiteLLM) and is listed in `missingEnv`; it is not a config warning.
 */
export function parseAlerting(rawGeneral: unknown, rawAilb: unknown, env: NodeJS.ProcessEnv, issues: IssueList): AlertingSettings {
  const general = Fields.of(isPlainObject(rawGeneral) ? rawGeneral : {}, 'general_settings', issues);
  const ailb = Fields.of(isPlainObject(rawAilb) ? rawAilb : {}, 'ailb_settings', issues);
  const f = Fields.of(ailb.obj.alerting, ailb.pathOf('alerting'), issues);
  warnUnknownKeys(f.obj, f.path, AILB_ALERTING_KEYS, issues);

  const webhooks: AlertWebhook[] = [];
  const missingEnv: string[] = [];
  const add = (url: string, format: AlertFormat) => {
    if (!webhooks.some((w) => w.url === url && w.format === format)) webhooks.push({ url, format });
  };
  /** Adds the URL a variable holds; the value is not echoed (a Slack URL is a credential). */
  const fromEnv = (names: readonly string[], format: AlertFormat) => {
    const name = names.find((n) => envValue(env, n) !== null);
    if (name === undefined) missingEnv.push(names[0]);
    else if (isHttpUrl(envValue(env, name)!)) add(envValue(env, name)!, format);
    else issues.error(general.pathOf('alerting'), `${name} must be an http(s) URL`);
  };

  const channels = readStringList(general, 'alerting', issues) ?? [];
  const alertTypes = readStringList(general, 'alert_types', issues);
  const routes = general.map('alert_to_webhook_url');
  if (alertTypes === null || alertTypes.includes('budget_alerts')) {
    for (const channel of channels) {
      if (channel === 'webhook') {
        fromEnv(['WEBHOOK_URL'], 'json');
      } else if (channel === 'slack') {
        const routed = routes?.budget_alerts;
        if (routed === undefined || routed === null) {
          fromEnv(['SLACK_WEBHOOK_URL', 'ALERTING_WEBHOOK_URL'], 'slack');
          continue;
        }
        const path = childPath(general.pathOf('alert_to_webhook_url'), 'budget_alerts');
        const urls = stringList(routed);
        if (urls === null) issues.error(path, `must be a URL or a list of URLs, got ${describe(routed)}`);
        for (const url of urls ?? []) {
          if (isHttpUrl(url)) add(url, 'slack');
          else issues.error(path, `must hold http(s) URLs, got ${describe(url)}`);
        }
      } else {
        issues.warn(general.pathOf('alerting'), `AILB sends budget alerts to "slack" and "webhook" only; "${channel}" is ignored`);
      }
    }
  }

  (f.list('webhooks') ?? []).forEach((entry, i) => {
    const path = indexPath(f.pathOf('webhooks'), i);
    if (!isPlainObject(entry)) {
      issues.error(path, `must be a map with url and format, got ${describe(entry)}`);
      return;
    }
    const w = Fields.of(entry, path, issues);
    warnUnknownKeys(w.obj, path, ALERT_WEBHOOK_KEYS, issues);
    const url = w.requiredString('url');
    const format = w.oneOf('format', ALERT_FORMATS) ?? 'json';
    if (url === null) return;
    if (isHttpUrl(url)) add(url, format);
    else w.bad('url', `must be an http(s) URL, got ${describe(url)}`);
  });

  return {
    webhooks,
    timeoutS: f.number('timeout_s', { above: 0 }) ?? DEFAULTS.alertTimeoutS,
    maxAttempts: f.number('max_attempts', { min: 1, integer: true }) ?? DEFAULTS.alertMaxAttempts,
    queueSize: f.number('queue_size', { min: 1, integer: true }) ?? DEFAULTS.alertQueueSize,
    missingEnv,
  };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** The `guardrails` list. Integration-specific keys inside litellm_params are free-form. */
export function parseGuardrails(raw: unknown, issues: IssueList): GuardrailConfig[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    issues.error('guardrails', `must be a list, got ${describe(raw)}`);
    return [];
  }
  const out: GuardrailConfig[] = [];
  const seen = new Set<string>();
  raw.forEach((entry, i) => {
    const g = parseGuardrail(entry, indexPath('guardrails', i), issues);
    if (g === null) return;
    if (seen.has(g.name)) issues.error(childPath(indexPath('guardrails', i), 'guardrail_name'), `duplicate guardrail_name '${g.name}'`);
    seen.add(g.name);
    out.push(g);
  });
  return out;
}

function parseGuardrail(entry: unknown, path: string, issues: IssueList): GuardrailConfig | null {
  if (!isPlainObject(entry)) {
    issues.error(path, `must be a map with guardrail_name and litellm_params, got ${describe(entry)}`);
    return null;
  }
  const f = Fields.of(entry, path, issues);
  warnUnknownKeys(f.obj, path, GUARDRAIL_ENTRY_KEYS, issues);
  const name = f.requiredString('guardrail_name');
  const info = f.map('guardrail_info') ?? {};
  if (!f.has('litellm_params')) return f.bad('litellm_params', 'is required (with guardrail and mode)', 'key');
  const params = Fields.of(f.obj.litellm_params, f.pathOf('litellm_params'), issues);
  const guardrail = params.requiredString('guardrail');
  const modes = readGuardrailModes(params, issues);
  const defaultOn = params.boolean('default_on') ?? false;
  if (name === null || guardrail === null || modes === null) return null;
  return { name, guardrail, modes, defaultOn, litellmParams: params.obj, guardrailInfo: info };
}

function readGuardrailModes(params: Fields, issues: IssueList): GuardrailMode[] | null {
  if (!params.has('mode')) return params.bad('mode', `is required (one of ${GUARDRAIL_MODES.join(', ')})`, 'key');
  const written = params.obj.mode;
  const list = Array.isArray(written) ? written : [written];
  const bad = list.filter((m) => !(GUARDRAIL_MODES as readonly unknown[]).includes(m));
  if (list.length === 0 || bad.length > 0) {
    issues.error(params.pathOf('mode'), `must be one of ${GUARDRAIL_MODES.join(', ')} (or a list of them), got ${describe(bad[0] ?? written)}`);
    return null;
  }
  return list as GuardrailMode[];
}
