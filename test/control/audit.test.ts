import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AUDIT_ROUTES, isoParam } from '../../src/control/handlers/audit.js';
import { MODEL_ROUTES } from '../../src/control/handlers/models.js';
import { hashKey } from '../../src/control/key-material.js';
import type { AuditRecord, Store, UserRole } from '../../src/store/types.js';
import { startControlPlane, type TestControlPlane } from '../support/control.js';
import { postgresSkip } from '../support/postgres.js';

const SECRET = 'sk-audited-secret-0000111122223333';

/** A user `userId` of `role` with one key; returns the raw key. */
async function userKey(store: Store, userId: string, role: UserRole): Promise<string> {
  const now = new Date().toISOString();
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

describe('isoParam', () => {
  test('accepts dates and times, zone-less times as UTC, and answers canonical ISO', () => {
    assert.equal(isoParam('since', '2025-01-02'), '2025-01-02T00:00:00.000Z');
    assert.equal(isoParam('since', '2025-01-02T10:00'), '2025-01-02T10:00:00.000Z');
    assert.equal(isoParam('since', '2025-01-02 10:00:05.5'), '2025-01-02T10:00:05.500Z');
    assert.equal(isoParam('since', '2025-01-02T10:00:00+01:00'), '2025-01-02T09:00:00.000Z');
  });
  test('refuses anything else, naming the parameter', () => {
    for (const bad of ['yesterday', '2025-13-45', '1735689600', '2025-01-02T25:00Z', '']) {
      assert.throws(() => isoParam('until', bad), (e: any) => e.param === 'until' && e.status === 400, bad);
    }
  });
});

const pgSkip = await postgresSkip();

for (const backend of ['pglite', 'postgres'] as const) {
  describe(`GET /audit (${backend})`, { skip: backend === 'postgres' && pgSkip }, () => {
    let cp: TestControlPlane;
    let adminKey: string;
    const at = (day: number) => new Date(`2025-01-0${day}T10:00:00.000Z`);

    const get = (query: Record<string, string>, key?: string) => cp.call('GET', '/audit', { query, key });
    const ids = (rows: AuditRecord[]) => rows.map((r) => `${r.action} ${r.target_id}`);

    before(async () => {
      cp = await startControlPlane(backend, [...MODEL_ROUTES, ...AUDIT_ROUTES]);
      adminKey = await userKey(cp.store, 'admin-1', 'proxy_admin');
      const model = (id: string) => ({ model_name: id, litellm_params: { model: 'openai/gpt-4o', api_key: SECRET }, model_info: { id } });
      const steps: Array<[number, () => Promise<{ status: number; json: any }>]> = [
        [1, () => cp.call('POST', '/model/new', { body: model('m1') })],
        [2, () => cp.call('POST', '/model/new', { body: model('m2'), key: adminKey, changedBy: 'alice' })],
        [3, () => cp.call('POST', '/model/update', { body: { model_id: 'm1', litellm_params: { api_key: `${SECRET}-v2` } } })],
        [4, () => cp.call('POST', '/model/delete', { body: { id: 'm2' } })],
      ];
      for (const [day, step] of steps) {
        cp.clock = at(day);
        const res = await step();
        assert.equal(res.status, 200, JSON.stringify(res.json));
      }
    });
    after(async () => {
      await cp.close();
    });

    test('lists every record, newest first, without secrets or ciphertext', async () => {
      const res = await get({});
      assert.equal(res.status, 200);
      assert.equal(res.json.total, 4);
      assert.equal(res.json.page, 1);
      assert.equal(res.json.size, 10);
      assert.deepEqual(ids(res.json.audit_logs), ['model.delete m2', 'model.update m1', 'model.new m2', 'model.new m1']);
      const text = JSON.stringify(res.json);
      assert.ok(!text.includes(SECRET), 'no credential');
      assert.ok(!text.includes('v1:'), 'no ciphertext');
      const update = res.json.audit_logs[1];
      assert.equal(update.before.litellm_params.api_key, '***');
      assert.equal(update.after.litellm_params.api_key, '***');
      assert.equal(update.changed_at, at(3).toISOString());
    });

    test('filters by actor, action, target type and target id', async () => {
      assert.deepEqual(ids((await get({ action: 'model.new' })).json.audit_logs), ['model.new m2', 'model.new m1']);
      assert.deepEqual(ids((await get({ target_id: 'm1' })).json.audit_logs), ['model.update m1', 'model.new m1']);
      assert.equal((await get({ target_type: 'model' })).json.total, 4);
      assert.equal((await get({ target_type: 'key' })).json.total, 0);
      const byAdmin = await get({ changed_by: 'admin-1' });
      assert.deepEqual(ids(byAdmin.json.audit_logs), ['model.new m2']);
      assert.equal(byAdmin.json.audit_logs[0].changed_by_header, 'alice');
      assert.equal(byAdmin.json.audit_logs[0].changed_by_api_key, hashKey(adminKey));
      assert.equal((await get({ changed_by: 'master_key' })).json.total, 3);
      assert.deepEqual(ids((await get({ changed_by: 'master_key', action: 'model.new' })).json.audit_logs), ['model.new m1']);
    });

    test('filters by time, inclusive at both ends', async () => {
      const range = await get({ since: '2025-01-02T10:00:00Z', until: '2025-01-03T10:00:00Z' });
      assert.deepEqual(ids(range.json.audit_logs), ['model.update m1', 'model.new m2']);
      assert.equal((await get({ since: '2025-01-02' })).json.total, 3);
      assert.equal((await get({ until: '2025-01-02' })).json.total, 1);
      assert.equal((await get({ since: '2025-01-04T11:00:00+01:00' })).json.total, 1);
    });

    test('pages', async () => {
      const first = await get({ size: '3', page: '1' });
      const second = await get({ size: '3', page: '2' });
      assert.equal(first.json.total, 4);
      assert.equal(first.json.audit_logs.length, 3);
      assert.equal(second.json.audit_logs.length, 1);
      assert.equal(second.json.page, 2);
      assert.equal(second.json.size, 3);
      const all = [...ids(first.json.audit_logs), ...ids(second.json.audit_logs)];
      assert.equal(new Set(all).size, 4);
      assert.equal((await get({ size: '3', page: '3' })).json.audit_logs.length, 0);
    });

    test('bad parameters are 400 naming the parameter', async () => {
      const cases: Array<[Record<string, string>, string]> = [
        [{ since: 'yesterday' }, 'since'],
        [{ until: '2025-13-45' }, 'until'],
        [{ since: '2025-01-03', until: '2025-01-02' }, 'until'],
        [{ size: '1000' }, 'size'],
        [{ page: '0' }, 'page'],
      ];
      for (const [query, param] of cases) {
        const res = await get(query);
        assert.equal(res.status, 400, JSON.stringify(query));
        assert.equal(res.json.error.param, param);
      }
    });

    test('readers may list; internal users may not (from the access table)', async () => {
      const viewer = await userKey(cp.store, 'viewer-1', 'proxy_admin_viewer');
      const internal = await userKey(cp.store, 'internal-1', 'internal_user');
      assert.equal((await get({}, viewer)).status, 200);
      assert.equal((await get({}, adminKey)).status, 200);
      assert.equal((await get({}, internal)).status, 403);
    });
  });
}
