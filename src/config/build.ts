/**
 * Plain config data (parsed YAML, or the model list derived from the environment) to a validated,
 * frozen GatewayConfig. Every section is parsed even after an error, so one load reports every
 * problem.
 */

import { readEnvironmentVariables, substituteEnvRefs } from './env-refs.js';
import { describe, isPlainObject, type PlainObject } from './fields.js';
import { deepFreeze } from './freeze.js';
import { ConfigError, IssueList, type Locator } from './issues.js';
import { TOP_LEVEL_KEYS, UNSUPPORTED_TOP_LEVEL_KEYS } from './known-keys.js';
import { parseLimitSettings } from './limits.js';
import { parseCredentials, parseModelList } from './model-list.js';
import { parseRouterPolicy } from './router-policy.js';
import {
  parseAilbSettings,
  parseAlerting,
  parseGeneralSettings,
  parseGuardrails,
  parseLitellmSettings,
  parseRouterSettings,
} from './settings.js';
import type { ConfigIssue, GatewayConfig } from './types.js';

export interface LoadResult {
  readonly config: GatewayConfig;
  /** Problems that did not stop the load (unknown keys, missing API keys), for the caller to log. */
  readonly warnings: readonly ConfigIssue[];
}

export interface BuildInput {
  /** The config as plain data, before env substitution. */
  readonly raw: unknown;
  /** Absolute path of the file, or null for the environment. */
  readonly source: string | null;
  /** How messages name the origin: the path, or `environment`. */
  readonly label: string;
  readonly locator: Locator;
  /**
   * The environment to read; the file's environment_variables are exported into it, but only when
   * the load succeeds, so a rejected reload leaves it untouched.
   */
  readonly env: NodeJS.ProcessEnv;
}

/** Validates `input.raw`; throws ConfigError listing every error found. */
export function buildConfig(input: BuildInput): LoadResult {
  const issues = new IssueList(input.locator);
  const root = readRoot(input.raw, issues);
  checkTopLevelKeys(root, issues);

  const fileVars = readEnvironmentVariables(root.environment_variables, input.env, issues);
  const env: NodeJS.ProcessEnv = { ...input.env, ...fileVars };
  const section = (key: string): unknown => substituteEnvRefs(root[key], key, (name) => env[name], issues);

  const litellmRaw = section('litellm_settings');
  const litellmSettings = parseLitellmSettings(litellmRaw, issues);
  const routerRaw = section('router_settings');
  const routerSettings = parseRouterSettings(routerRaw, litellmRaw, litellmSettings.requestTimeoutS, issues);
  const generalRaw = section('general_settings');
  const ailbRaw = section('ailb_settings');
  const generalSettings = parseGeneralSettings(generalRaw, env, issues);
  const ailbSettings = parseAilbSettings(ailbRaw, issues);
  const alerting = parseAlerting(generalRaw, ailbRaw, env, issues);
  const limits = parseLimitSettings(litellmRaw, generalRaw, ailbRaw, litellmSettings.timezone, issues);
  const routerPolicy = parseRouterPolicy(routerRaw, litellmRaw, generalRaw, ailbRaw, issues);
  const guardrails = parseGuardrails(section('guardrails'), issues);
  const credentials = parseCredentials(section('credential_list'), issues);
  const modelList = parseModelList(section('model_list'), root.model_list, {
    router: routerSettings, credentials, env, issues,
  });

  if (issues.errors.length > 0) throw new ConfigError(input.label, inFileOrder(issues.errors));
  Object.assign(input.env, fileVars);
  const config: GatewayConfig = {
    source: input.source,
    modelList,
    routerSettings,
    litellmSettings,
    generalSettings,
    ailbSettings,
    environmentVariables: fileVars,
    guardrails,
    alerting,
    limits,
    routerPolicy,
  };
  return { config: deepFreeze(config), warnings: inFileOrder(issues.warnings) };
}

/** Issues sorted by where they are in the file (stable; those without a place first). */
function inFileOrder(issues: readonly ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

function readRoot(raw: unknown, issues: IssueList): PlainObject {
  if (isPlainObject(raw)) return raw;
  issues.error('', `the config must be a map of sections (model_list, router_settings, …), got ${describe(raw)}`);
  return {};
}

/**
 * Warns about top-level keys AILB ignores. Keys starting with `x-` are skipped silently: they are
 * the usual place for YAML anchors that deployments merge in (`x-defaults: &defaults`).
 */
function checkTopLevelKeys(root: PlainObject, issues: IssueList): void {
  for (const key of Object.keys(root)) {
    if (TOP_LEVEL_KEYS.has(key) || key.startsWith('x-')) continue;
    if (UNSUPPORTED_TOP_LEVEL_KEYS.has(key)) issues.warn(key, 'LiteLLM section that AILB does not support yet; ignored');
    else issues.warn(key, 'unknown key; ignored');
  }
}
