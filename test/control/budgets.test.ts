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
    });
    after(async () => {
      await t?.close();
    });

    test('/budget/new: fields, budget_reset_at, created_by, audit', async () => {
      const res = await t.call('POST', '/budget/new', {
        body: {
          budget_id: 'gold', max_budget: 100, soft_budget: 80, max_parallel_requests: 4, tpm_limit: 10_000, rpm_limit: 100,
          budget_duration: '1mo', model_max_budget: { 'gpt-4o': { max_budget: 10, budget_duration: '1d' } },
        },
      });
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.equal(res.json.budget_id, 'gold');
      assert.equal(res.json.max_budget, 100);
      assert.equal(res.json.soft_budget, 80);
      assert.equal(res.json.max_parallel_requests, 4);
      assert.equal(res.json.budget_duration, '1mo');
      // 1mo resets on the 1st of the next month (UTC, the default litellm_settings.timezone).
      const c = t.clock;
      assert.equal(res.json.budget_reset_at, new Date(Date.UTC(c.getUTCFullYear(), c.getUTCMonth() + 1, 1)).toISOString());
      assert.deepEqual(res.json.model_max_budget, { 'gpt-4o': { max_budget: 10, budget_duration: '1d' } });
      assert.equal(res.json.created_by, 'master_key');
      assert.equal((await t.store.audit.list({ action: 'budget.new', target_id: 'gold', page: 1, size: 5 })).rows.length, 1);

      const random = await t.call('POST', '/budget/new', { body: { max_budget: 1 } });
      assert.equal(random.status, 200);
      assert.match(random.json.budget_id, /^[0-9a-f-]{36}$/);
    });

    test('/budget/new: 409 for a taken id; 400 naming the field; admin only', async () => {
      const taken = await t.call('POST', '/budget/new', { body: { budget_id: 'gold' } });
      assert.equal(taken.status, 409);
      assert.equal(taken.json.error.param, 'budget_id');
      for (const [body, param] of [
        [{ max_budget: '5' }, 'max_budget'],
        [{ tpm_limit: 2.5 }, 'tpm_limit'],
        [{ budget_duration: 'monthly' }, 'budget_duration'],
        [{ model_max_budget: [] }, 'model_max_budget'],
        [{ model_max_budget: { 'gpt-4o': { budget_limit: 1, rpm_limit: 'many' } } }, 'model_max_budget'],
        [{ budget_id: '' }, 'budget_id'],
      ] as const) {
        const res = await t.call('POST', '/budget/new', { body });
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.json.error.param, param);
      }
      assert.equal((await t.call('POST', '/budget/new', { key: viewerKey, body: { budget_id: 'v' } })).status, 403);
      assert.equal((await t.call('POST', '/budget/new', { key: userKey, body: { budget_id: 'u' } })).status, 403);
    });

    test('/budget/update: fields; 404; invalidates every cache', async () => {
      const before = t.invalidations.length;
      const res = await t.call('POST', '/budget/update', { body: { budget_id: 'gold', max_budget: 150, rpm_limit: null, budget_duration: '7d' } });
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.equal(res.json.max_budget, 150);
      assert.equal(res.json.rpm_limit, null);
      assert.equal(res.json.tpm_limit, 10_000);
      // 7d resets on Mondays at midnight.
      const c = t.clock;
      const daysToMonday = (8 - c.getUTCDay()) % 7 || 7;
      assert.equal(res.json.budget_reset_at, new Date(Date.UTC(c.getUTCFullYear(), c.getUTCMonth(), c.getUTCDate() + daysToMonday)).toISOString());
      assert.deepEqual(t.invalidations.slice(before), [{ kind: 'all' }]);
      const audit = await t.store.audit.list({ action: 'budget.update', target_id: 'gold', page: 1, size: 5 });
      assert.equal(audit.rows[0].before?.max_budget, 100);
      assert.equal(audit.rows[0].after?.max_budget, 150);
      assert.equal((await t.call('POST', '/budget/update', { body: { budget_id: 'nope', max_budget: 1 } })).status, 404);
      assert.equal((await t.call('POST', '/budget/update', { body: { max_budget: 1 } })).json.error.param, 'budget_id');
      assert.equal((await t.call('POST', '/budget/update', { key: viewerKey, body: { budget_id: 'gold', max_budget: 1 } })).status, 403);
    });

    test('/budget/info and /budget/list: readers only; 404 names a missing id', async () => {
      const info = await t.call('POST', '/budget/info', { key: viewerKey, body: { budgets: ['gold'] } });
      assert.equal(info.status, 200, JSON.stringify(info.json));
      assert.deepEqual(info.json.map((b: { budget_id: string }) => b.budget_id), ['gold']);
      const missing = await t.call('POST', '/budget/info', { body: { budgets: ['gold', 'silver'] } });
      assert.equal(missing.status, 404);
      assert.match(missing.json.error.message, /silver/);
      assert.equal((await t.call('POST', '/budget/info', { body: {} })).json.error.param, 'budgets');
      assert.equal((await t.call('POST', '/budget/info', { key: userKey, body: { budgets: ['gold'] } })).status, 403);

      const list = await t.call('GET', '/budget/list', { key: viewerKey });
      assert.equal(list.status, 200);
      assert.equal(list.json.length, 2);
      assert.ok(list.json.some((b: { budget_id: string }) => b.budget_id === 'gold'));
      assert.equal((await t.call('GET', '/budget/list', { key: userKey })).status, 403);
    });

    test('/budget/delete: 409 naming the end users that use it; then deletes by id or budget_id; 404', async () => {
      assert.equal((await t.call('POST', '/customer/new', { body: { user_id: 'shop-a', budget_id: 'gold' } })).status, 200);
      const inUse = await t.call('POST', '/budget/delete', { body: { id: 'gold' } });
      assert.equal(inUse.status, 409);
      assert.match(inUse.json.error.message, /shop-a/);
      assert.ok(await t.store.budgets.get('gold'));

      assert.equal((await t.call('POST', '/customer/update', { body: { user_id: 'shop-a', budget_id: null } })).status, 200);
      assert.equal((await t.call('POST', '/budget/delete', { key: viewerKey, body: { id: 'gold' } })).status, 403);
      const res = await t.call('POST', '/budget/delete', { body: { id: 'gold' } });
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.equal(res.json.budget_id, 'gold');
      assert.equal(await t.store.budgets.get('gold'), null);
      assert.equal((await t.store.audit.list({ action: 'budget.delete', target_id: 'gold', page: 1, size: 5 })).rows.length, 1);

      assert.equal((await t.call('POST', '/budget/new', { body: { budget_id: 'bronze' } })).status, 200);
      assert.equal((await t.call('POST', '/budget/delete', { body: { budget_id: 'bronze' } })).status, 200);
      assert.equal((await t.call('POST', '/budget/delete', { body: { id: 'bronze' } })).status, 404);
      const none = await t.call('POST', '/budget/delete', { body: {} });
      assert.equal(none.status, 400);
      assert.equal(none.json.error.param, 'id');
    });
  });
}
