import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../../src/config/load.js';
import { MODEL_ROUTES } from '../../src/control/handlers/models.js';
import { hashKey } from '../../src/control/key-material.js';
import { createSecretBox } from '../../src/control/secrets.js';
import { loadStoreDeployments, mergeModelLists, secretBoxFor } from '../../src/control/store-models.js';
import { createLogger } from '../../src/log.js';
import type { Store, UserRole } from '../../src/store/types.js';
import { startControlPlane, type TestControlPlane } from '../support/control.js';
import { postgresSkip } from '../support/postgres.js';
import { MASTER_KEY } from '../support/gateway.js';

const YAML = `model_list:
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, api_base: "http://127.0.0.1:9/v1", api_key: sk-upstream-config-key }
general_settings:
  master_key: ${MASTER_KEY}
`;
const CONFIG = parseConfigText(YAML, 'test-config.yaml', { ...process.env }).config;
const STORE_SECRET = 'sk-store-secret-abcdef123456';

/** A user of `role` with one key; returns the raw key. */
async function userKey(store: Store, role: UserRole): Promise<string> {
  const now = new Date().toISOString();
  const userId = `u-${role}-${Math.random().toString(36).slice(2, 8)}`;
  await store.users.insert({
    user_id: userId, user_email: null, user_alias: null, user_role: role, password_hash: null, models: [],
    max_budget: null, soft_budget: null, budget_duration: null, budget_reset_at: null, spend: 0,
    tpm_limit: null, rpm_limit: null, max_parallel_requests: null, model_max_budget: {}, metadata: {},
    blocked: false, created_at: now, updated_at: now, created_by: null,
  });
  const raw = `sk-test-${userId}-0123456789`;
  await store.keys.insert({
    token: hashKey(raw), key_name: `sk-...${raw.slice(-4)}`, key_alias: null, user_id: userId, team_id: null, models: [],
    max_budget: null, soft_budget: null, budget_duration: null, budget_reset_at: null, spend: 0,
    tpm_limit: null, rpm_limit: null, max_parallel_requests: null, model_rpm_limit: {}, model_tpm_limit: {},
    model_max_budget: {}, temp_budget_increase: null, temp_budget_expiry: null, metadata: {}, tags: [],
    permissions: {}, allowed_routes: [], allowed_ips: [], aliases: {}, guardrails: [], blocked: false, expires: null,
    key_type: 'default', auto_rotate: false, rotation_interval: null, key_rotation_at: null, last_rotation_at: null,
    rotation_count: 0, budget_id: null, previous_token: null, previous_token_expires: null,
    created_at: now, updated_at: now, created_by: null, updated_by: null,
  });
  return raw;
}

function capturingLog(): { log: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger({ AILB_LOG_LEVEL: 'debug' }, (line) => lines.push(line)), lines };
}

const NEW_MODEL = {
  model_name: 'store-gpt',
  litellm_params: { model: 'openai/gpt-4o-mini', api_base: 'http://127.0.0.1:9/v1/', api_key: STORE_SECRET, rpm: 10 },
  model_info: { id: 'store-model-1', mode: 'chat' },
};

const pgSkip = await postgresSkip();

for (const backend of ['pglite', 'postgres'] as const) {
  describe(`model routes (${backend})`, { skip: backend === 'postgres' && pgSkip }, () => {
    let cp: TestControlPlane;
    let configModelId: string;

    before(async () => {
      cp = await startControlPlane(backend, MODEL_ROUTES, YAML);
      configModelId = CONFIG.modelList[0].id;
    });
    after(async () => {
      await cp.close();
    });

    test('/model/new stores the params encrypted and answers with credentials masked', async () => {
      const res = await cp.call('POST', '/model/new', { body: NEW_MODEL });
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.equal(res.json.model_id, 'store-model-1');
      assert.equal(res.json.model_name, 'store-gpt');
      assert.equal(res.json.litellm_params.api_key, '***');
      assert.equal(res.json.litellm_params.model, 'openai/gpt-4o-mini');
      assert.deepEqual(res.json.model_info, { id: 'store-model-1', mode: 'chat', db_model: true });
      assert.ok(!JSON.stringify(res.json).includes(STORE_SECRET));

      const record = await cp.store.models.get('store-model-1');
      assert.ok(record !== null);
      assert.match(record.litellm_params_encrypted, /^v1:/);
      assert.ok(!record.litellm_params_encrypted.includes(STORE_SECRET));
      assert.ok(!record.litellm_params_encrypted.includes('gpt-4o-mini'));
      assert.ok(!JSON.stringify(record).includes(STORE_SECRET));
      assert.equal(record.created_by, 'master_key');
      const box = createSecretBox(process.env.AILB_SALT_KEY || process.env.LITELLM_SALT_KEY || MASTER_KEY);
      assert.deepEqual(JSON.parse(box.decrypt(record.litellm_params_encrypted)), NEW_MODEL.litellm_params);
    });

    test('/model/info lists config and store models without credentials', async () => {
      for (const path of ['/model/info', '/v1/model/info'] as const) {
        const res = await cp.call('GET', path);
        assert.equal(res.status, 200);
        const text = JSON.stringify(res.json);
        assert.ok(!text.includes(STORE_SECRET) && !text.includes('sk-upstream-config-key'), text);
        assert.ok(!text.includes('v1:'), 'no ciphertext');
        const [config, stored] = res.json.data;
        assert.equal(res.json.data.length, 2);
        assert.equal(config.model_name, 'gpt-4o');
        assert.equal(config.model_info.id, configModelId);
        assert.equal(config.model_info.db_model, false);
        assert.equal(config.litellm_params.api_key, '***');
        assert.equal(stored.model_name, 'store-gpt');
        assert.equal(stored.model_info.id, 'store-model-1');
        assert.equal(stored.model_info.db_model, true);
        assert.equal(stored.model_info.mode, 'chat');
        assert.equal(stored.litellm_params.api_key, '***');
        assert.equal(stored.litellm_params.rpm, 10);
      }
      const one = await cp.call('GET', '/model/info', { query: { litellm_model_id: 'store-model-1' } });
      assert.deepEqual(one.json.data.map((m: any) => m.model_info.id), ['store-model-1']);
      const missing = await cp.call('GET', '/model/info', { query: { litellm_model_id: 'nope' } });
      assert.equal(missing.status, 404);
    });

    test('loadStoreDeployments + mergeModelLists give the gateway a deployment with the decrypted key', async () => {
      const { log, lines } = capturingLog();
      const deployments = await loadStoreDeployments(cp.store, secretBoxFor(CONFIG), { config: CONFIG, log });
      assert.equal(deployments.length, 1);
      const merged = mergeModelLists(CONFIG, deployments);
      assert.deepEqual(merged.modelList.map((d) => d.id), [configModelId, 'store-model-1']);
      const d = merged.modelList[1];
      assert.equal(d.modelName, 'store-gpt');
      assert.equal(d.provider, 'openai');
      assert.equal(d.upstreamModel, 'gpt-4o-mini');
      assert.equal(d.apiKey, STORE_SECRET);
      assert.equal(d.apiBase, 'http://127.0.0.1:9/v1');
      assert.equal(d.authHeader, CONFIG.modelList[0].authHeader);
      assert.equal(d.timeoutMs, CONFIG.modelList[0].timeoutMs);
      assert.equal(d.rpm, 10);
      assert.equal(d.modelInfo.db_model, true);
      assert.ok(Object.isFrozen(merged) && Object.isFrozen(merged.modelList));
      assert.equal(structuredClone(merged).modelList.length, 2, 'plain, clonable data');
      // Merging a merged config again replaces its store models instead of adding them twice.
      assert.equal(mergeModelLists(merged, deployments).modelList.length, 2);
      assert.equal(mergeModelLists(merged, []).modelList.length, 1);
      assert.deepEqual(lines, []);
    });

    test('a stored model that cannot be decrypted or built is skipped with a logged error', async () => {
      const now = new Date().toISOString();
      const base = { model_info: {}, created_at: now, updated_at: now, created_by: null };
      await cp.store.models.insert({ ...base, model_id: 'bad-cipher', model_name: 'x', litellm_params_encrypted: 'v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
      const other = createSecretBox('another-salt-key');
      await cp.store.models.insert({ ...base, model_id: 'other-key', model_name: 'x', litellm_params_encrypted: other.encrypt('{"model":"openai/x"}') });
      const box = secretBoxFor(CONFIG);
      await cp.store.models.insert({ ...base, model_id: 'bad-provider', model_name: 'x', litellm_params_encrypted: box.encrypt('{"model":"nosuch/x"}') });
      try {
        const { log, lines } = capturingLog();
        const deployments = await loadStoreDeployments(cp.store, box, { config: CONFIG, log });
        assert.deepEqual(deployments.map((d) => d.id), ['store-model-1']);
        assert.equal(lines.length, 3, lines.join(''));
        for (const id of ['bad-cipher', 'other-key', 'bad-provider']) assert.ok(lines.some((l) => l.includes(`model_id=${id}`)), id);
        assert.ok(lines.some((l) => /wrong AILB_SALT_KEY/.test(l)));
        assert.ok(lines.some((l) => /litellm_params\.model: unknown provider 'nosuch'/.test(l)));
        // /model/info still answers, with what it can show.
        const info = await cp.call('GET', '/model/info');
        assert.equal(info.status, 200);
        assert.equal(info.json.data.length, 5);
      } finally {
        await cp.store.models.delete(['bad-cipher', 'other-key', 'bad-provider']);
      }
    });

    test('/model/new refuses invalid models with 400 naming the field', async () => {
      const cases: Array<[unknown, string]> = [
        [{ model_name: 'x', litellm_params: { model: 'nosuch/model' } }, 'litellm_params.model'],
        [{ model_name: 'x', litellm_params: { api_key: 'k' } }, 'litellm_params.model'],
        [{ model_name: 'x', litellm_params: { model: 'openai/x', api_base: 'ftp://nope' } }, 'litellm_params.api_base'],
        [{ model_name: 'x', litellm_params: { model: 'openai/x', rpm: -1 } }, 'litellm_params.rpm'],
        [{ model_name: 'x', litellm_params: { model: 'openai/x', api_key: 'os.environ/AILB_TEST_UNSET_VAR_XYZ' } }, 'litellm_params.api_key'],
        [{ litellm_params: { model: 'openai/x' } }, 'model_name'],
        [{ model_name: 'x' }, 'litellm_params'],
        [{ model_name: 'x', litellm_params: 'openai/x' }, 'litellm_params'],
        [{ model_name: 'x', litellm_params: { model: 'openai/x' }, model_info: { id: true } }, 'model_info.id'],
      ];
      for (const [body, param] of cases) {
        const res = await cp.call('POST', '/model/new', { body });
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.json.error.param, param, JSON.stringify(res.json));
      }
      assert.equal((await cp.store.models.all()).length, 1);
    });

    test('/model/new: 409 for an id taken in the store or by the config file', async () => {
      const again = await cp.call('POST', '/model/new', { body: NEW_MODEL });
      assert.equal(again.status, 409);
      const config = await cp.call('POST', '/model/new', { body: { ...NEW_MODEL, model_info: { id: configModelId } } });
      assert.equal(config.status, 409);
      assert.match(config.json.error.message, /config file/);
    });

    test('/model/new without an id gets a uuid', async () => {
      const res = await cp.call('POST', '/model/new', { body: { model_name: 'auto-id', litellm_params: { model: 'groq/llama-3.1-8b-instant' } } });
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.match(res.json.model_id, /^[0-9a-f-]{36}$/);
      assert.equal(res.json.model_info.id, res.json.model_id);
      const del = await cp.call('POST', '/model/delete', { body: { id: res.json.model_id } });
      assert.equal(del.status, 200);
    });

    test('/model/update merges params, re-encrypts, and refuses config models and unknown ids', async () => {
      const res = await cp.call('POST', '/model/update', {
        body: { model_id: 'store-model-1', model_name: 'store-gpt-renamed', litellm_params: { api_key: 'sk-rotated-secret-999999', rpm: null, tpm: 500 }, model_info: { mode: 'chat', base_model: 'gpt-4o-mini' } },
      });
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.equal(res.json.model_name, 'store-gpt-renamed');
      assert.equal(res.json.litellm_params.api_key, '***');
      assert.equal(res.json.litellm_params.model, 'openai/gpt-4o-mini');
      assert.equal(res.json.litellm_params.tpm, 500);
      assert.ok(!('rpm' in res.json.litellm_params));
      assert.equal(res.json.model_info.base_model, 'gpt-4o-mini');
      const record = await cp.store.models.get('store-model-1');
      assert.ok(record !== null && !record.litellm_params_encrypted.includes('sk-rotated'));
      const [d] = await loadStoreDeployments(cp.store, secretBoxFor(CONFIG), { config: CONFIG, log: capturingLog().log });
      assert.equal(d.apiKey, 'sk-rotated-secret-999999');
      assert.equal(d.modelName, 'store-gpt-renamed');
      assert.equal(d.tpm, 500);
      assert.equal(d.rpm, null);

      const byInfoId = await cp.call('POST', '/model/update', { body: { model_info: { id: 'store-model-1' }, model_name: 'store-gpt' } });
      assert.equal(byInfoId.status, 200);
      assert.equal((await cp.store.models.get('store-model-1'))?.model_name, 'store-gpt');

      const bad = await cp.call('POST', '/model/update', { body: { model_id: 'store-model-1', litellm_params: { model: 'nosuch/x' } } });
      assert.equal(bad.status, 400);
      assert.equal(bad.json.error.param, 'litellm_params.model');
      const missing = await cp.call('POST', '/model/update', { body: { model_id: 'no-such-model', model_name: 'x' } });
      assert.equal(missing.status, 404);
      const config = await cp.call('POST', '/model/update', { body: { model_id: configModelId, model_name: 'x' } });
      assert.equal(config.status, 400);
      assert.match(config.json.error.message, /comes from the config file/);
      const noId = await cp.call('POST', '/model/update', { body: { model_name: 'x' } });
      assert.equal(noId.status, 400);
      assert.equal(noId.json.error.param, 'model_id');
    });

    test('roles come from the access table', async () => {
      const internal = await userKey(cp.store, 'internal_user');
      const viewer = await userKey(cp.store, 'proxy_admin_viewer');
      for (const key of [internal, viewer]) {
        const info = await cp.call('GET', '/model/info', { key });
        assert.equal(info.status, 200);
        assert.ok(!JSON.stringify(info.json).includes('sk-rotated') && !JSON.stringify(info.json).includes('sk-upstream'));
        for (const path of ['/model/new', '/model/update', '/model/delete'] as const) {
          const res = await cp.call('POST', path, { key, body: { ...NEW_MODEL, id: 'store-model-1', model_id: 'store-model-1' } });
          assert.equal(res.status, 403, `${path}: ${JSON.stringify(res.json)}`);
        }
      }
      assert.ok((await cp.store.models.get('store-model-1')) !== null);
    });

    test('/model/delete removes a stored model; 404 for unknown ids, 400 for config models', async () => {
      const config = await cp.call('POST', '/model/delete', { body: { id: configModelId } });
      assert.equal(config.status, 400);
      const noId = await cp.call('POST', '/model/delete', { body: {} });
      assert.equal(noId.status, 400);
      assert.equal(noId.json.error.param, 'id');
      const res = await cp.call('POST', '/model/delete', { body: { id: 'store-model-1' } });
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, { message: 'deleted model: store-model-1' });
      assert.equal(await cp.store.models.get('store-model-1'), null);
      const again = await cp.call('POST', '/model/delete', { body: { id: 'store-model-1' } });
      assert.equal(again.status, 404);
      const info = await cp.call('GET', '/model/info');
      assert.deepEqual(info.json.data.map((m: any) => m.model_info.id), [configModelId]);
    });

    test('every model mutation is audited without secrets or ciphertext', async () => {
      const page = await cp.store.audit.list({ target_type: 'model', page: 1, size: 100 });
      const actions = page.rows.map((r) => `${r.action} ${r.target_id}`).sort();
      assert.ok(actions.includes('model.new store-model-1'));
      assert.ok(actions.includes('model.update store-model-1'));
      assert.ok(actions.includes('model.delete store-model-1'));
      const text = JSON.stringify(page.rows);
      for (const secret of [STORE_SECRET, 'sk-rotated-secret-999999', 'v1:']) assert.ok(!text.includes(secret), secret);
      const created = page.rows.find((r) => r.action === 'model.new' && r.target_id === 'store-model-1');
      assert.equal((created?.after as any).litellm_params.api_key, '***');
      assert.equal((created?.after as any).litellm_params.model, 'openai/gpt-4o-mini');
      assert.equal(created?.changed_by, 'master_key');
      const deleted = page.rows.find((r) => r.action === 'model.delete' && r.target_id === 'store-model-1');
      assert.equal(deleted?.after, null);
      assert.equal((deleted?.before as any).model_id, 'store-model-1');
    });
  });
}
