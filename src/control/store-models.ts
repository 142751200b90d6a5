/**
 * Deployments kept in the store (added with /model/new, LiteLLM's store_model_in_db) and how they
 * join the config file's model_list.
 *
 * A store model is built into a ModelDeployment by the same code as a model_list entry
 * (src/config/model-list.ts), so the two cannot drift: the same providers, api_base defaults,
 * auth headers, timeouts (from the config's router_settings) and `os.environ/NAME` references.
 * A stored model cannot use `litellm_credential_name`: credential_list belongs to the file.
 *
 * Store deployments carry `modelInfo.db_model === true` (as in LiteLLM's /model/info). That marker
 * is what tells them apart in a merged config, so merging again (after the next change) replaces
 * them instead of adding them twice.
 *
 * For the gateway's reloadModels:
 *   const box = secretBoxFor(fileConfig);
 *   const merged = mergeModelLists(fileConfig, await loadStoreDeployments(store, box, { config: fileConfig, log }));
 * Rebuild the store deployments when the file config reloads too: they take its router_settings.
 */
import { substituteEnvRefs } from '../config/env-refs.js';
import { deepFreeze } from '../config/freeze.js';
import { isPlainObject } from '../config/fields.js';
import { IssueList, NO_LOCATION } from '../config/issues.js';
import { parseDeployment } from '../config/model-list.js';
import type { ConfigIssue, GatewayConfig, ModelDeployment } from '../config/types.js';
import type { Logger } from '../log.js';
import type { JsonObject, ModelRecord, Repositories } from '../store/types.js';
import { createSecretBox, secretFromEnvironment, type SecretBox } from './secrets.js';

export interface StoreModelDeps {
  /** The gateway config (file models, router settings for timeouts, environment_variables). */
  readonly config: GatewayConfig;
  /** Variables for `os.environ/` references and provider defaults; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

/** A model as /model/new takes it (and as it is kept, with litellm_params encrypted). */
export interface StoreModelEntry {
  readonly model_name: unknown;
  readonly litellm_params: unknown;
  readonly model_info: unknown;
}

export interface BuiltDeployment {
  /** Null when there are errors. */
  readonly deployment: ModelDeployment | null;
  /** Problems with dotted paths relative to the entry (`litellm_params.model`). */
  readonly errors: readonly ConfigIssue[];
  readonly warnings: readonly ConfigIssue[];
}

/** Whether a deployment came from the store (see the module comment). */
export function isStoreDeployment(deployment: ModelDeployment): boolean {
  return deployment.modelInfo.db_model === true;
}

/** The deployments that come from the config file (a merged config's store models left out). */
export function fileDeployments(config: GatewayConfig): readonly ModelDeployment[] {
  return config.modelList.filter((d) => !isStoreDeployment(d));
}

/** The box for model credentials under this config and environment; throws when there is no secret. */
export function secretBoxFor(config: GatewayConfig, env: NodeJS.ProcessEnv = process.env): SecretBox {
  return createSecretBox(secretFromEnvironment({ ...env, ...config.environmentVariables }, config.generalSettings.masterKey));
}

/**
 * Builds one store model (`litellm_params` decrypted, as written) into a deployment exactly as
 * the config loader builds a model_list entry, marked as a store deployment.
 */
export function buildStoreDeployment(entry: StoreModelEntry, deps: StoreModelDeps): BuiltDeployment {
  const issues = new IssueList(NO_LOCATION);
  const env: NodeJS.ProcessEnv = { ...(deps.env ?? process.env), ...deps.config.environmentVariables };
  const written = { model_name: entry.model_name, litellm_params: entry.litellm_params, model_info: entry.model_info };
  const resolved = substituteEnvRefs(written, '', (name) => env[name], issues);
  const built = parseDeployment(resolved, written, '', {
    router: deps.config.routerSettings,
    credentials: new Map(),
    env,
    issues,
  });
  const deployment = built === null || issues.errors.length > 0 ? null : { ...built, modelInfo: { ...built.modelInfo, db_model: true } };
  return { deployment, errors: issues.errors, warnings: issues.warnings };
}

/** The entry a record stands for, with its litellm_params decrypted (throws SecretBoxError or on bad JSON). */
export function decryptRecord(record: ModelRecord, box: SecretBox): StoreModelEntry & { litellm_params: JsonObject } {
  const params: unknown = JSON.parse(box.decrypt(record.litellm_params_encrypted));
  if (!isPlainObject(params)) throw new Error('stored litellm_params is not a JSON object');
  return { model_name: record.model_name, litellm_params: params, model_info: { ...record.model_info, id: record.model_id } };
}

/**
 * Every store model as a deployment. A model that cannot be decrypted or built, or whose id is
 * taken by a config-file model, is skipped with an error log naming it: one bad row never stops
 * the gateway from starting or reloading.
 */
export async function loadStoreDeployments(
  store: Pick<Repositories, 'models'>,
  box: SecretBox,
  deps: StoreModelDeps & { readonly log: Logger },
): Promise<ModelDeployment[]> {
  const fileIds = new Set(fileDeployments(deps.config).map((d) => d.id));
  const out: ModelDeployment[] = [];
  for (const record of await store.models.all()) {
    const skip = (reason: string) => deps.log.error('skipping stored model', { model_id: record.model_id, model_name: record.model_name, reason });
    if (fileIds.has(record.model_id)) {
      skip('its id is also used by a model in the config file');
      continue;
    }
    let entry: StoreModelEntry;
    try {
      entry = decryptRecord(record, box);
    } catch (error) {
      skip((error as Error).message);
      continue;
    }
    const built = buildStoreDeployment(entry, deps);
    if (built.deployment === null) {
      skip(built.errors.map((e) => `${e.path}: ${e.message}`).join('; '));
      continue;
    }
    for (const w of built.warnings) deps.log.warn('stored model', { model_id: record.model_id, problem: `${w.path}: ${w.message}` });
    out.push(built.deployment);
  }
  return out;
}

/**
 * The config with its model list = its file models, then `storeDeployments` (any store models
 * of an earlier merge are replaced). A store deployment whose id is already in the list is left
 * out. The result is plain, frozen data like any GatewayConfig.
 */
export function mergeModelLists(config: GatewayConfig, storeDeployments: readonly ModelDeployment[]): GatewayConfig {
  const modelList = [...fileDeployments(config)];
  const ids = new Set(modelList.map((d) => d.id));
  for (const deployment of storeDeployments) {
    if (ids.has(deployment.id)) continue;
    ids.add(deployment.id);
    modelList.push(isStoreDeployment(deployment) ? deployment : { ...deployment, modelInfo: { ...deployment.modelInfo, db_model: true } });
  }
  return deepFreeze({ ...config, modelList });
}
