/**
 * The role matrix, generated from the access table: every management route called by a key of
 * every role. A role the table lists must get past the role check (the handler may still refuse
 * on ownership or input); a role it does not list must get 403 permission_denied from the check.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MANAGEMENT_ROUTES } from '../../src/control/access-table.js';
import { ALL_ROUTES } from '../../src/control/handlers/index.js';
import { USER_ROLES, type UserRole } from '../../src/store/types.js';
import { startControlPlane, type TestControlPlane } from '../support/control.js';
import { postgresSkip } from '../support/postgres.js';

const TABLE_REFUSAL = /is not allowed for role/;

function concretePath(pattern: string): string {
  return pattern.replace(/:[a-z_]+/g, 'sk-does-not-exist');
}

for (const backend of ['pglite', 'postgres'] as const) {
  describe(`role matrix (${backend})`, { skip: backend === 'postgres' ? await postgresSkip() : false }, () => {
    let cp: TestControlPlane;
    const keys = new Map<UserRole, string>();

    before(async () => {
      cp = await startControlPlane(backend, ALL_ROUTES);
      for (const role of USER_ROLES) {
        const created = await cp.call('POST', '/user/new', { body: { user_id: `matrix-${role}`, user_role: role } });
        assert.equal(created.status, 200, JSON.stringify(created.json));
        keys.set(role, created.json.key);
      }
    });

    after(async () => {
      await cp?.close();
    });

    test('every route has a handler and the table has every handler', () => {
      const table = new Set(MANAGEMENT_ROUTES.map((r) => `${r.method} ${r.path}`));
      const handlers = new Set(ALL_ROUTES.map((r) => `${r.method} ${r.path}`));
      assert.deepEqual([...handlers].sort(), [...table].sort());
    });

    for (const route of MANAGEMENT_ROUTES) {
      test(`${route.method} ${route.path}: allowed ${route.roles.join(', ')}`, async () => {
        for (const role of USER_ROLES) {
          const reply = await cp.call(route.method, concretePath(route.path), { key: keys.get(role)!, body: route.method === 'GET' || route.method === 'DELETE' ? undefined : {} });
          const refusedByTable = reply.status === 403 && TABLE_REFUSAL.test(reply.json?.error?.message ?? '');
          if (route.roles.includes(role)) {
            assert.ok(!refusedByTable, `${role} was refused by the table: ${JSON.stringify(reply.json)}`);
            assert.notEqual(reply.status, 500, `${role} got an internal error: ${JSON.stringify(reply.json)}`);
          } else {
            assert.ok(refusedByTable, `${role} should be refused with 403, got ${reply.status} ${JSON.stringify(reply.json)}`);
            assert.equal(reply.json.error.type, 'permission_denied');
          }
        }
      });
    }
  });
}
