import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BUDGET_ROUTES } from '../../src/control/handlers/budgets.js';
import { CUSTOMER_ROUTES } from '../../src/control/handlers/customers.js';
import { USER_ROUTES } from '../../src/control/handlers/users.js';
import { startControlPlane, type TestControlPlane } from '../support/control.js';
import { postgresSkip } from '../support/postgres.js';

const pgSkip = await postgresSkip();

for (const backend of ['pglite', 'postgres'] as const) {
  describe(backend, { skip: backend === 'postgres' ? pgSkip : false }, () => {
    let t: TestControlPlane;
    let viewerKey: string;
    let userKey: string;
    before(async () => {
      t = await startControlPlane(backend, [...USER_ROUTES, ...CUSTOMER_ROUTES, ...BUDGET_ROUTES]);
      viewerKey = (await t.call('POST', '/user/new', { body: { user_id: 'viewer', user_role: 'proxy_admin_viewer' } })).json.key;
      userKey = (await t.call('POST', '/user/new', { body: { user_id: 'someone', user_role: 'internal_user' } })).json.key;
      assert.equal((await t.call('POST', '/budget/new', { body: { budget_id: 'shared', max_budget: 50 } })).status, 200);
    });
    after(async () => {
      await t?.close();
    });

    test('/customer/new: fields, budget_reset_at, audit, invalidation', async () => {
      const before = t.invalidations.length;
      const res = await t.call('POST', '/customer/new', {
        body: {
          user_id: 'end-1', alias: 'Shop 1', max_budget: 2.5, budget_duration: '1h', tpm_limit: 100, rpm_limit: 10,
          allowed_model_region: 'eu', default_model: 'gpt-4o', metadata: { plan: 'free' },
        },
      });
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.equal(res.json.user_id, 'end-1');
      assert.equal(res.json.alias, 'Shop 1');
      assert.equal(res.json.max_budget, 2.5);
      assert.equal(res.json.budget_reset_at, new Date(t.clock.getTime() + 3_600_000).toISOString());
      assert.equal(res.json.allowed_model_region, 'eu');
      assert.equal(res.json.blocked, false);
      assert.equal(res.json.spend, 0);
      assert.deepEqual(t.invalidations.slice(before), [{ kind: 'customer', userId: 'end-1' }]);
      assert.equal((await t.store.audit.list({ action: 'customer.new', target_id: 'end-1', page: 1, size: 5 })).rows.length, 1);
    });

    test('/customer/new: with an existing budget_id; 404 for an unknown one; 409 for a taken id; 400 naming the field', async () => {
      const linked = await t.call('POST', '/customer/new', { body: { user_id: 'end-2', budget_id: 'shared' } });
      assert.equal(linked.status, 200, JSON.stringify(linked.json));
      assert.equal(linked.json.budget_id, 'shared');

      const unknown = await t.call('POST', '/customer/new', { body: { user_id: 'end-3', budget_id: 'nope' } });
      assert.equal(unknown.status, 404);
      assert.equal(unknown.json.error.param, 'budget_id');
      assert.equal(await t.store.customers.get('end-3'), null);

      const taken = await t.call('POST', '/customer/new', { body: { user_id: 'end-1' } });
      assert.equal(taken.status, 409);

      for (const [body, param] of [
        [{}, 'user_id'],
        [{ user_id: 'end-4', allowed_model_region: 'apac' }, 'allowed_model_region'],
        [{ user_id: 'end-4', max_budget: 1, budget_id: 'shared' }, 'max_budget'],
        [{ user_id: 'end-4', rpm_limit: -1 }, 'rpm_limit'],
        [{ user_id: 'end-4', blocked: 1 }, 'blocked'],
        [{ user_id: 7 }, 'user_id'],
      ] as const) {
        const res = await t.call('POST', '/customer/new', { body });
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.json.error.param, param);
      }
    });

    test('/customer/info and /customer/list: readers only; the shared budget is embedded; 404', async () => {
      const info = await t.call('GET', '/customer/info', { key: viewerKey, query: { end_user_id: 'end-2' } });
      assert.equal(info.status, 200, JSON.stringify(info.json));
      assert.equal(info.json.user_id, 'end-2');
      assert.equal(info.json.litellm_budget_table.budget_id, 'shared');
      assert.equal(info.json.litellm_budget_table.max_budget, 50);
      const own = await t.call('GET', '/customer/info', { query: { end_user_id: 'end-1' } });
      assert.equal(own.json.litellm_budget_table, null);

      assert.equal((await t.call('GET', '/customer/info', { query: { end_user_id: 'ghost' } })).status, 404);
      assert.equal((await t.call('GET', '/customer/info')).json.error.param, 'end_user_id');
      assert.equal((await t.call('GET', '/customer/info', { key: userKey, query: { end_user_id: 'end-1' } })).status, 403);

      const list = await t.call('GET', '/customer/list', { key: viewerKey });
      assert.equal(list.status, 200);
      assert.deepEqual(list.json.map((c: { user_id: string }) => c.user_id).sort(), ['end-1', 'end-2']);
      assert.equal((await t.call('GET', '/customer/list', { key: userKey })).status, 403);
    });

    test('/customer/update: fields and budget link; 404; invalidation; admin only', async () => {
      const before = t.invalidations.length;
      const res = await t.call('POST', '/customer/update', { body: { user_id: 'end-1', max_budget: null, budget_id: 'shared', allowed_model_region: 'us', budget_duration: null } });
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.equal(res.json.budget_id, 'shared');
      assert.equal(res.json.max_budget, null);
      assert.equal(res.json.budget_duration, null);
      assert.equal(res.json.budget_reset_at, null);
      assert.equal(res.json.allowed_model_region, 'us');
      assert.deepEqual(t.invalidations.slice(before), [{ kind: 'customer', userId: 'end-1' }]);
      const audit = await t.store.audit.list({ action: 'customer.update', target_id: 'end-1', page: 1, size: 5 });
      assert.equal(audit.rows[0].before?.max_budget, 2.5);

      assert.equal((await t.call('POST', '/customer/update', { body: { user_id: 'ghost', alias: 'x' } })).status, 404);
      assert.equal((await t.call('POST', '/customer/update', { body: { user_id: 'end-1', budget_id: 'nope' } })).status, 404);
      assert.equal((await t.call('POST', '/customer/update', { key: viewerKey, body: { user_id: 'end-1', alias: 'x' } })).status, 403);
    });

    test('/customer/block and /customer/unblock: blocked_users; block creates unknown end users; unblock 404s for them', async () => {
      const before = t.invalidations.length;
      const res = await t.call('POST', '/customer/block', { body: { user_ids: ['end-1', 'end-new'] } });
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.deepEqual(res.json, { blocked_users: ['end-1', 'end-new'] });
      assert.equal((await t.store.customers.get('end-1'))?.blocked, true);
      assert.equal((await t.store.customers.get('end-new'))?.blocked, true);
      assert.deepEqual(t.invalidations.slice(before), [{ kind: 'customer', userId: 'end-1' }, { kind: 'customer', userId: 'end-new' }]);

      const unblock = await t.call('POST', '/customer/unblock', { body: { user_ids: ['end-1'] } });
      assert.equal(unblock.status, 200);
      assert.deepEqual(unblock.json, { blocked_users: ['end-1'] });
      assert.equal((await t.store.customers.get('end-1'))?.blocked, false);

      const partial = await t.call('POST', '/customer/unblock', { body: { user_ids: ['end-new', 'ghost'] } });
      assert.equal(partial.status, 404);
      assert.equal((await t.store.customers.get('end-new'))?.blocked, true, 'all-or-nothing');
      assert.equal((await t.call('POST', '/customer/block', { body: { user_ids: [] } })).json.error.param, 'user_ids');
      assert.equal((await t.call('POST', '/customer/block', { key: userKey, body: { user_ids: ['end-2'] } })).status, 403);
      assert.equal((await t.store.audit.list({ action: 'customer.block', page: 1, size: 5 })).rows.length, 2);
    });

    test('/customer/delete: deleted_customers; invalidations; 404 when none existed', async () => {
      const before = t.invalidations.length;
      const res = await t.call('POST', '/customer/delete', { body: { user_ids: ['end-new', 'ghost'] } });
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.deepEqual(res.json, { deleted_customers: ['end-new'] });
      assert.equal(await t.store.customers.get('end-new'), null);
      assert.deepEqual(t.invalidations.slice(before), [{ kind: 'customer', userId: 'end-new' }]);
      assert.equal((await t.call('POST', '/customer/delete', { body: { user_ids: ['ghost'] } })).status, 404);
      assert.equal((await t.call('POST', '/customer/delete', { body: {} })).status, 400);
      assert.equal((await t.store.audit.list({ action: 'customer.delete', target_id: 'end-new', page: 1, size: 5 })).rows.length, 1);
    });
  });
}
