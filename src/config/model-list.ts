/**
 * model_list entries to ModelDeployments, and credential_list, which deployments draw on.
 */

import { createHash } from 'node:crypto';
import {
  firstEnv,
  normalizeApiBase,
  type OpenAICompatibleProvider,
} from '../providers/openai-compatible/table.js';
import { describe, Fields, isPlainObject, type PlainObject } from './fields.js';
import { childPath, indexPath, type IssueList } from './issues.js';
import {
  CREDENTIAL_ENTRY_KEYS,
  LITELLM_PARAMS_KEYS,
  MODEL_ENTRY_KEYS,
  warnUnknownKeys,
} from './known-keys.js';
import { resolveProvider, splitModel } from './providers.js';
import type { ProviderAdapter, ProviderEndpoint } from '../providers/types.js';
import type { ModelDeployment, RouterSettings } from './types.js';

/** credential_name → credential_values. */
export type Credentials = ReadonlyMap<string, PlainObject>;

/** What every deployment inherits from the rest of the config. */
export interface DeploymentContext {
  readonly router: RouterSettings;
  readonly credentials: Credentials;
  /** Includes the file's environment_variables. */
  readonly env: NodeJS.ProcessEnv;
  readonly issues: IssueList;
}

/**
 * `credential_list`: named sets of litellm_params (api_key, api_base, …) that a deployment uses by
 * naming one in `litellm_params.litellm_credential_name`.
 */
export function parseCredentials(raw: unknown, issues: IssueList): Credentials {
  const out = new Map<string, PlainObject>();
  if (raw === undefined || raw === null) return out;
  if (!Array.isArray(raw)) {
    issues.error('credential_list', `must be a list, got ${describe(raw)}`);
    return out;
  }
  raw.forEach((entry, i) => {
    const f = Fields.of(entry, indexPath('credential_list', i), issues);
    warnUnknownKeys(f.obj, f.path, CREDENTIAL_ENTRY_KEYS, issues);
    const name = f.requiredString('credential_name');
    const values = f.map('credential_values');
    if (values === null && !f.has('credential_values')) f.bad('credential_values', 'is required', 'key');
    if (name === null || values === null) return;
    if (out.has(name)) f.bad('credential_name', `duplicate credential_name '${name}'`);
    out.set(name, values);
  });
  return out;
}

/**
 * The deployments of `model_list`. `written` is the same list before env substitution: ids are
 * hashed from it so that rotating a secret does not change a deployment's id, and no id is derived
 * from a secret's value.
 */
export function parseModelList(resolved: unknown, written: unknown, ctx: DeploymentContext): ModelDeployment[] {
  if (resolved === undefined || resolved === null) return [];
  if (!Array.isArray(resolved)) {
    ctx.issues.error('model_list', `must be a list, got ${describe(resolved)}`);
    return [];
  }
  const writtenList = Array.isArray(written) ? written : [];
  const out: ModelDeployment[] = [];
  const ids = new Map<string, number>();
  resolved.forEach((entry, i) => {
    const d = parseDeployment(entry, writtenList[i], indexPath('model_list', i), ctx);
    if (d === null) return;
    const first = ids.get(d.id);
    if (first !== undefined) {
      ctx.issues.error(childPath(indexPath('model_list', i), 'model_info.id'), `duplicate deployment id '${d.id}' (also model_list[${first}])`);
    }
    ids.set(d.id, i);
    out.push(d);
  });
  return out;
}

/**
 * One model_list entry (after env substitution; `written` is the entry as written) to a
 * deployment, or null with the problems reported in `ctx.issues` under `path`. Also used for
 * deployments added through /model/new (src/control/store-models.ts).
 */
export function parseDeployment(entry: unknown, written: unknown, path: string, ctx: DeploymentContext): ModelDeployment | null {
  const { issues } = ctx;
  if (!isPlainObject(entry)) {
    issues.error(path, `must be a map with model_name and litellm_params, got ${describe(entry)}`);
    return null;
  }
  const f = Fields.of(entry, path, issues);
  warnUnknownKeys(f.obj, path, MODEL_ENTRY_KEYS, issues);
  const modelName = f.requiredString('model_name');
  if (!f.has('litellm_params')) return f.bad('litellm_params', 'is required (with at least model)', 'key');
  const p = Fields.of(withCredential(f.obj.litellm_params, f.pathOf('litellm_params'), ctx), f.pathOf('litellm_params'), issues);
  warnUnknownKeys(p.obj, p.path, LITELLM_PARAMS_KEYS, issues);

  const target = readTarget(p);
  const info = readModelInfo(f.obj.model_info, f.pathOf('model_info'), issues);
  const call = readCallSettings(p, f, ctx.router);
  const apiBase = target === null ? null : readApiBase(p, target.provider, ctx.env);
  const apiKey = target === null ? null : readApiKey(p, target.provider, ctx);
  if (modelName === null || target === null || info === null || apiBase === null) return null;
  const writtenParams = isPlainObject(written) ? written.litellm_params : undefined;
  return {
    modelName,
    id: info.id ?? deploymentHash(modelName, writtenParams ?? p.obj),
    provider: target.name,
    upstreamModel: target.upstreamModel,
    apiBase,
    apiKey,
    authHeader: target.provider.authHeader,
    authScheme: target.provider.authScheme,
    ...call,
    modelInfo: info.info,
    litellmParams: p.obj,
  };
}

type CallSettings = Pick<
  ModelDeployment,
  'apiVersion' | 'organization' | 'timeoutMs' | 'streamTimeoutMs' | 'rpm' | 'tpm' | 'weight' | 'order' | 'maxRetries' | 'extraHeaders'
>;

/** The per-deployment call settings of litellm_params (`entry` holds LiteLLM's older rpm/tpm spelling). */
function readCallSettings(p: Fields, entry: Fields, router: RouterSettings): CallSettings {
  const count = { min: 0, integer: true };
  const timeoutS = p.number('timeout', { above: 0 }) ?? router.timeoutS;
  const streamTimeoutS = p.number('stream_timeout', { above: 0 }) ?? router.streamTimeoutS ?? timeoutS;
  return {
    apiVersion: p.string('api_version', { numbersAsText: true, nonEmpty: true }),
    organization: p.string('organization', { nonEmpty: true }),
    timeoutMs: Math.round(timeoutS * 1000),
    streamTimeoutMs: Math.round(streamTimeoutS * 1000),
    rpm: p.number('rpm', count) ?? entry.number('rpm', count),
    tpm: p.number('tpm', count) ?? entry.number('tpm', count),
    weight: p.number('weight', { above: 0 }) ?? 1,
    order: p.number('order', count),
    maxRetries: p.number('max_retries', count),
    extraHeaders: p.stringMap('extra_headers', { lowerCaseKeys: true }) ?? {},
  };
}

/** litellm_params with the named credential's values underneath (the deployment's own keys win). */
function withCredential(raw: unknown, path: string, ctx: DeploymentContext): unknown {
  if (!isPlainObject(raw)) return raw;
  const name = raw.litellm_credential_name;
  if (name === undefined || name === null) return raw;
  const values = typeof name === 'string' ? ctx.credentials.get(name) : undefined;
  if (values === undefined) {
    ctx.issues.error(childPath(path, 'litellm_credential_name'), `no credential named ${describe(name)} in credential_list`);
    return raw;
  }
  return { ...values, ...raw };
}

interface Target {
  /** The provider prefix as written (`bedrock_converse`, not its adapter's `bedrock`). */
  readonly name: string;
  readonly provider: ProviderEndpoint | ProviderAdapter;
  readonly upstreamModel: string;
}

/** Provider and upstream model from `model` (+ `custom_llm_provider`); reports unsupported providers. */
function readTarget(p: Fields): Target | null {
  const model = p.requiredString('model');
  const custom = p.string('custom_llm_provider', { nonEmpty: true });
  if (model === null) return null;
  const split = splitModel(model, custom);
  const resolution = resolveProvider(split.provider);
  const key = custom !== null ? 'custom_llm_provider' : 'model';
  switch (resolution.kind) {
    case 'openai-compatible':
    case 'adapter':
      if (split.upstreamModel === '') return p.bad('model', `names provider '${split.provider}' but no model after it`);
      return { name: split.provider, provider: resolution.provider, upstreamModel: split.upstreamModel };
    case 'pending':
      return p.bad(key, `provider '${split.provider}' is not supported yet`);
    case 'unknown':
      return p.bad(key, `unknown provider '${split.provider}'; write the model as "<provider>/<model>" with a supported provider, or set custom_llm_provider`);
  }
}

/** api_base as written, else the provider's base variable, else its default; required when it has none. */
function readApiBase(p: Fields, provider: ProviderEndpoint | ProviderAdapter, env: NodeJS.ProcessEnv): string | null {
  const written = p.string('api_base', { nonEmpty: true });
  if (written !== null) {
    if (!isHttpUrl(written)) return p.bad('api_base', `must be an http(s) URL, got ${describe(written)}`);
    return normalizeApiBase(provider, written);
  }
  const fromEnv = firstEnv(env, provider.apiBaseEnv);
  if (fromEnv !== null) {
    if (!isHttpUrl(fromEnv)) return p.bad('api_base', `${provider.apiBaseEnv.join('/')} must be an http(s) URL`, 'key');
    return normalizeApiBase(provider, fromEnv);
  }
  if (provider.defaultApiBase !== null) return provider.defaultApiBase;
  const derived = 'apiBaseFor' in provider && provider.apiBaseFor !== undefined ? provider.apiBaseFor(p.obj, env) : null;
  if (derived !== null) return derived;
  return p.bad('api_base', `is required for provider '${provider.prefix}' (it has no default endpoint)`, 'key');
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * api_key as written, else the provider's key variable, else null. A missing key for a provider
 * that needs one is only a warning: like LiteLLM, the deployment loads and its calls fail, so one
 * unset key does not stop a gateway that serves other providers.
 */
function readApiKey(p: Fields, provider: ProviderEndpoint | ProviderAdapter, ctx: DeploymentContext): string | null {
  const written = p.string('api_key');
  const key = written !== null && written !== '' ? written : firstEnv(ctx.env, provider.apiKeyEnv);
  if (key === null && provider.keyRequired) {
    const vars = provider.apiKeyEnv.length > 0 ? ` or ${provider.apiKeyEnv[0]}` : '';
    ctx.issues.warn(p.pathOf('api_key'), `no API key for provider '${provider.prefix}': set litellm_params.api_key${vars}; calls will fail until one is set`);
  }
  return key;
}

/** model_info fields whose type AILB checks; the rest is free-form metadata kept as written. */
const MODEL_INFO_INTEGERS = ['max_input_tokens', 'max_output_tokens', 'max_tokens'];
const COST_FIELD = /cost/;

interface ModelInfo {
  readonly id: string | null;
  readonly info: PlainObject;
}

/** model_info as written, with numeric fields as numbers (text from os.environ/ is converted). */
function readModelInfo(raw: unknown, path: string, issues: IssueList): ModelInfo | null {
  if (raw !== undefined && raw !== null && !isPlainObject(raw)) {
    issues.error(path, `must be a map, got ${describe(raw)}`);
    return null;
  }
  const f = Fields.of(raw, path, issues);
  const info: PlainObject = { ...f.obj };
  for (const key of Object.keys(info)) {
    if (MODEL_INFO_INTEGERS.includes(key)) info[key] = f.number(key, { min: 0, integer: true });
    else if (COST_FIELD.test(key)) info[key] = f.number(key, { min: 0 });
  }
  f.string('mode', { nonEmpty: true });
  const groups = f.list('access_groups');
  if (groups !== null && !groups.every((g) => typeof g === 'string')) {
    f.bad('access_groups', 'must be a list of strings');
  }
  const id = f.string('id', { numbersAsText: true, nonEmpty: true });
  if (id !== null) info.id = id;
  return { id, info };
}

/** Keys sorted at every level, so the hash does not depend on the order keys were written in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A stable id for a deployment without model_info.id: sha256(model_name + litellm_params), 16 hex. */
export function deploymentHash(modelName: string, litellmParams: unknown): string {
  return createHash('sha256').update(modelName).update(canonicalJson(litellmParams ?? {})).digest('hex').slice(0, 16);
}
