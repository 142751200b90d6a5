/**
 * Model management routes: /model/new, /model/update, /model/delete, /model/info, /v1/model/info.
 *
 * Only models added here live in the store; the config file's models can be read but not changed
 * (400 naming the file). A model is validated by building it into a deployment with the config
 * loader's own code (store-models.ts), so /model/new accepts exactly what model_list accepts.
 * litellm_params are kept encrypted (secrets.ts) as one JSON document; credentials never leave in
 * clear: answers and audit records show them masked, and never the ciphertext.
 *
 * Every mutation is written with its audit record in one transaction, then awaits
 * ctx.reloadModels(), so the answer leaves after the gateway routes with the change.
 */
import { randomUUID } from 'node:crypto';
import { deploymentPricing } from '../../spend/pricing.js';
import { isPlainObject } from '../../config/fields.js';
import type { ModelDeployment } from '../../config/types.js';
import { GatewayError } from '../../errors.js';
import type { JsonObject, ModelRecord } from '../../store/types.js';
import { redact, REDACTED } from '../redact.js';
import type { SecretBox } from '../secrets.js';
import { buildStoreDeployment, decryptRecord, fileDeployments, secretBoxFor } from '../store-models.js';
import type { AdminContext, AdminRouteDef, Caller } from '../types.js';
import { optionalObject, optionalString, requiredString } from '../validate.js';

/** litellm_params names whose values are credentials (`input_cost_per_token` is not one). */
const SECRET_PARAM = /(^|_)(api_?key|key|token|secret|password|credentials?)$/i;
/** extra_headers names that carry credentials. */
const SECRET_HEADER = /authorization|key|token|secret|cookie/i;

/** litellm_params for an answer or an audit record: credentials masked; `os.environ/` references kept (they are names, not secrets). */
export function maskLitellmParams(params: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [name, value] of Object.entries(params)) {
    if (name === 'extra_headers' && isPlainObject(value)) {
      out[name] = Object.fromEntries(Object.entries(value).map(([h, v]) => [h, SECRET_HEADER.test(h) ? maskValue(v) : v]));
    } else if (SECRET_PARAM.test(name) && !name.includes('cost')) {
      out[name] = maskValue(value);
    } else {
      out[name] = value;
    }
  }
  return redact(out) as JsonObject;
}

function maskValue(value: unknown): unknown {
  if (value === null || value === undefined || value === '') return value;
  if (typeof value === 'string' && value.startsWith('os.environ/')) return value;
  return REDACTED;
}

/** How a model is answered and audited. `params` null: its credentials could not be decrypted. */
function modelView(record: ModelRecord, params: JsonObject | null): JsonObject {
  return {
    model_id: record.model_id,
    model_name: record.model_name,
    litellm_params: params === null ? null : maskLitellmParams(params),
    model_info: { ...record.model_info, id: record.model_id, db_model: true },
  };
}

/**
 * What the gateway knows of a deployment's model without model_info: its provider and, from the
 * pricing data (genai-prices), its context window. model_info's own fields win over these.
 */
function knownCapabilities(d: ModelDeployment): JsonObject {
  const known: JsonObject = { litellm_provider: d.provider };
  const contextWindow = deploymentPricing(d).contextWindow;
  if (contextWindow !== null) known.max_input_tokens = contextWindow;
  return known;
}

function boxOf(ctx: AdminContext): SecretBox {
  try {
    return secretBoxFor(ctx.config);
  } catch (error) {
    throw new GatewayError('internal_error', (error as Error).message);
  }
}

function decrypted(record: ModelRecord, box: SecretBox): JsonObject | null {
  try {
    return decryptRecord(record, box).litellm_params;
  } catch {
    return null;
  }
}

function actorOf(caller: Caller): string {
  return caller.userId ?? (caller.kind === 'master_key' ? 'master_key' : caller.apiKeyHash);
}

/** Throws 400 unless the model builds into a deployment (the config loader's rules). */
function validateModel(ctx: AdminContext, modelName: string, params: JsonObject, info: JsonObject): void {
  const built = buildStoreDeployment({ model_name: modelName, litellm_params: params, model_info: info }, { config: ctx.config });
  if (built.deployment !== null) return;
  const problems = built.errors.map((e) => (e.path === '' ? e.message : `${e.path}: ${e.message}`));
  throw new GatewayError('invalid_body', `Invalid model: ${problems.join('; ')}.`, { param: built.errors[0]?.path || null });
}

/** model_info.id as text (numbers allowed, as in model_list), or undefined when absent. */
function modelInfoId(info: JsonObject | undefined): string | undefined {
  const id = info?.id;
  if (id === undefined || id === null) return undefined;
  if (typeof id === 'number' && Number.isFinite(id)) return String(id);
  if (typeof id === 'string' && id.trim() !== '') return id;
  throw new GatewayError('invalid_body', '"model_info.id" must be a non-empty string.', { param: 'model_info.id' });
}

function fileModel(ctx: AdminContext, id: string): ModelDeployment | undefined {
  return fileDeployments(ctx.config).find((d) => d.id === id);
}

function fromConfigFile(ctx: AdminContext, id: string, what: string): GatewayError {
  const file = ctx.config.source ?? 'the environment';
  return new GatewayError('invalid_body', `Model ${id} comes from the config file (${file}); ${what} it there, not through the API.`, { param: 'model_id' });
}

/** The stored model `id`, or 404 (400 when the id is a config-file model's). */
async function storedModel(ctx: AdminContext, id: string, what: string): Promise<ModelRecord> {
  const record = await ctx.store.models.get(id);
  if (record !== null) return record;
  if (fileModel(ctx, id) !== undefined) throw fromConfigFile(ctx, id, what);
  throw new GatewayError('record_not_found', `Model ${id} not found.`, { param: 'model_id' });
}

/** A concurrent /model/new took the id first (the store reports it as already_exists; 23505 from a raw driver). */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'already_exists' || code === '23505';
}

function withoutNulls(value: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null));
}

async function newModel(ctx: AdminContext): Promise<unknown> {
  const modelName = requiredString(ctx.body, 'model_name');
  const params = optionalObject(ctx.body, 'litellm_params');
  if (params === undefined) throw new GatewayError('invalid_body', '"litellm_params" is required (with at least model).', { param: 'litellm_params' });
  const givenInfo = optionalObject(ctx.body, 'model_info');
  const id = modelInfoId(givenInfo) ?? randomUUID();
  const info: JsonObject = { ...givenInfo, id };
  validateModel(ctx, modelName, params, info);
  if (fileModel(ctx, id) !== undefined) {
    throw new GatewayError('already_exists', `Model id ${id} is taken by a model in the config file.`, { param: 'model_info.id' });
  }
  const taken = () => new GatewayError('already_exists', `Model id ${id} already exists.`, { param: 'model_info.id' });
  if ((await ctx.store.models.get(id)) !== null) throw taken();

  const now = ctx.now().toISOString();
  const record: ModelRecord = {
    model_id: id,
    model_name: modelName,
    litellm_params_encrypted: boxOf(ctx).encrypt(JSON.stringify(params)),
    model_info: info,
    created_at: now,
    updated_at: now,
    created_by: actorOf(ctx.caller),
  };
  const view = modelView(record, params);
  try {
    await ctx.store.transaction(async (tx) => {
      await tx.models.insert(record);
      await ctx.audit('model.new', 'model', id, null, view, tx);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw taken();
    throw error;
  }
  await ctx.reloadModels();
  return view;
}

async function updateModel(ctx: AdminContext): Promise<unknown> {
  const givenInfo = optionalObject(ctx.body, 'model_info');
  const id = optionalString(ctx.body, 'model_id') ?? modelInfoId(givenInfo);
  if (id === undefined || id === null || id === '') {
    throw new GatewayError('invalid_body', '"model_id" (or "model_info.id") is required.', { param: 'model_id' });
  }
  const record = await storedModel(ctx, id, 'change');
  const box = boxOf(ctx);
  const newParams = optionalObject(ctx.body, 'litellm_params');
  const oldParams = decrypted(record, box);
  if (oldParams === null && newParams === undefined) {
    throw new GatewayError('internal_error', `Cannot decrypt the stored credentials of model ${id} (wrong AILB_SALT_KEY or corrupted data); send the whole litellm_params to replace them.`);
  }
  const params = withoutNulls({ ...oldParams, ...newParams });
  const modelName = optionalString(ctx.body, 'model_name') ?? record.model_name;
  const info = withoutNulls({ ...record.model_info, ...givenInfo, id });
  validateModel(ctx, modelName, params, info);

  const patch = {
    model_name: modelName,
    model_info: info,
    ...(newParams === undefined ? {} : { litellm_params_encrypted: box.encrypt(JSON.stringify(params)) }),
  };
  const before = modelView(record, oldParams);
  const updated = await ctx.store.transaction(async (tx) => {
    const next = await tx.models.update(id, patch);
    if (next === null) throw new GatewayError('record_not_found', `Model ${id} not found.`, { param: 'model_id' });
    await ctx.audit('model.update', 'model', id, before, modelView(next, params), tx);
    return next;
  });
  await ctx.reloadModels();
  return modelView(updated, params);
}

async function deleteModel(ctx: AdminContext): Promise<unknown> {
  const id = requiredString(ctx.body, 'id');
  const record = await storedModel(ctx, id, 'remove');
  const before = modelView(record, decrypted(record, boxOf(ctx)));
  await ctx.store.transaction(async (tx) => {
    const deleted = await tx.models.delete([id]);
    if (deleted.length === 0) throw new GatewayError('record_not_found', `Model ${id} not found.`, { param: 'id' });
    await ctx.audit('model.delete', 'model', id, before, null, tx);
  });
  await ctx.reloadModels();
  return { message: `deleted model: ${id}` };
}

/** Config-file models, then store models read from the store now (not from the last reload). */
async function modelInfo(ctx: AdminContext): Promise<unknown> {
  const wanted = ctx.request.query.litellm_model_id;
  const box = boxOf(ctx);
  const data: JsonObject[] = fileDeployments(ctx.config).map((d) => ({
    model_name: d.modelName,
    litellm_params: maskLitellmParams(d.litellmParams as JsonObject),
    model_info: { ...knownCapabilities(d), ...d.modelInfo, id: d.id, db_model: false },
  }));
  for (const record of await ctx.store.models.all()) {
    const view = modelView(record, decrypted(record, box));
    data.push({
      model_name: view.model_name,
      litellm_params: view.litellm_params ?? {},
      model_info: { ...(view.model_info as JsonObject), created_at: record.created_at, updated_at: record.updated_at, created_by: record.created_by },
    });
  }
  if (wanted === undefined || wanted === '') return { data };
  const match = data.filter((m) => (m.model_info as JsonObject).id === wanted);
  if (match.length === 0) throw new GatewayError('record_not_found', `Model id ${wanted} not found.`, { param: 'litellm_model_id' });
  return { data: match };
}

export const MODEL_ROUTES: readonly AdminRouteDef[] = [
  { method: 'POST', path: '/model/new', handler: newModel },
  { method: 'POST', path: '/model/update', handler: updateModel },
  { method: 'POST', path: '/model/delete', handler: deleteModel },
  { method: 'GET', path: '/model/info', handler: modelInfo },
  { method: 'GET', path: '/v1/model/info', handler: modelInfo },
];
