import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { USER_ROUTES } from '../../src/control/handlers/users.js';
import { TEAM_ROUTES } from '../../src/control/handlers/teams.js';
import { hashPassword, verifyPassword } from '../../src/control/passwords.js';
import { hashKey } from '../../src/control/key-material.js';
import { startControlPlane, type TestControlPlane } from '../support/control.js';
import { postgresSkip } from '../support/postgres.js';

const pgSkip = await postgresSkip();

describe('passwords', () => {
  test('a hash verifies its password and no other, in the stored format', async () => {
    const stored = await hashPassword('correct horse');
    assert.match(stored, /^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    assert.equal(await verifyPassword('correct horse', stored), true);
    assert.equal(await verifyPassword('correct horsE', stored), false);
    assert.notEqual(await hashPassword('correct horse'), stored, 'each hash has its own salt');
  });

  test('malformed or out-of-range stored hashes never verify and never throw', async () => {
    for (const stored of ['', 'plain', 'scrypt$16384$8$1$salt', 'bcrypt$16384$8$1$c2FsdA$aGFzaA', 'scrypt$3$8$1$c2FsdHNhbHQ$' + 'A'.repeat(43), 'scrypt$1073741824$8$1$c2FsdA$' + 'A'.repeat(43)]) {
      assert.equal(await verifyPassword('x', stored), false, stored);
    }
  });
});

for (const backend of ['pglite', 'postgres'] as const) {
  describe(backend, { skip: backend === 'postgres' ? pgSkip : false }, () => {
    let t: TestControlPlane;
    /** Raw keys of the users made by userWithKey. */
    const keys = new Map<string, string>();
    before(async () => {
      t = await startControlPlane(backend, [...USER_ROUTES, ...TEAM_ROUTES]);
    });
    after(async () => {
      await t?.close();
    });

    /** Creates a user with a key and returns the raw key. */
    async function userWithKey(userId: string, role = 'internal_user', extra: object = {}): Promise<string> {
      const res = await t.call('POST', '/user/new', { body: { user_id: userId, user_role: role, ...extra } });
      assert.equal(res.status, 200, JSON.stringify(res.json));
      keys.set(userId, res.json.key);
      return res.json.key as string;
    }

    test('/user/new: defaults, an auto-created key that authenticates, no password in the answer', async () => {
      const res = await t.call('POST', '/user/new', {
        body: { user_id: 'alice', user_email: 'alice@example.com', models: ['gpt-4o'], max_budget: 10, password: 's3cret-pw' },
      });
      assert.equal(res.status, 200, JSON.stringify(res.json));
      const body = res.json;
      assert.equal(body.user_id, 'alice');
      assert.equal(body.user_role, 'internal_user');
      assert.deepEqual(body.models, ['gpt-4o']);
      assert.equal(body.max_budget, 10);
      assert.equal(body.password_hash, undefined);
      assert.equal(body.password, undefined);
      assert.match(body.key, /^sk-/);
      assert.equal(body.token_id, hashKey(body.key));
      assert.equal(body.key_name, `sk-...${body.key.slice(-4)}`);

      const key = await t.store.keys.findByToken(body.token_id);
      assert.equal(key?.user_id, 'alice');
      assert.deepEqual(key?.models, ['gpt-4o']);

      const self = await t.call('GET', '/user/info', { key: body.key });
      assert.equal(self.status, 200, JSON.stringify(self.json));
      assert.equal(self.json.user_id, 'alice');
      assert.equal(self.json.user_info.user_email, 'alice@example.com');
      assert.equal(self.json.user_info.password_hash, undefined);
      assert.deepEqual(self.json.keys.map((k: { token: string }) => k.token), [body.token_id]);
      assert.equal('previous_token' in self.json.keys[0], false);

      const stored = await t.store.users.get('alice');
      assert.ok(stored?.password_hash && (await verifyPassword('s3cret-pw', stored.password_hash)));
    });

    test('/user/new: the audit row masks the password hash and holds no password', async () => {
      const audit = await t.store.audit.list({ action: 'user.new', target_id: 'alice', page: 1, size: 10 });
      assert.equal(audit.rows.length, 1);
      const row = audit.rows[0];
      assert.equal(row.target_type, 'user');
      assert.equal(row.changed_by, 'master_key');
      assert.equal(row.after?.password_hash, '***');
      const text = JSON.stringify(row);
      assert.ok(!text.includes('s3cret-pw'));
      assert.ok(!text.includes('scrypt$'));
      const keyAudit = await t.store.audit.list({ action: 'key.generate', page: 1, size: 10 });
      assert.ok(keyAudit.rows.some((r) => (r.after as { user_id?: string } | null)?.user_id === 'alice'));
    });

    test('/user/new: random user_id by default; auto_create_key false gives no key; budget_duration sets budget_reset_at', async () => {
      const res = await t.call('POST', '/user/new', { body: { auto_create_key: false, budget_duration: '30d' } });
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.match(res.json.user_id, /^[0-9a-f-]{36}$/);
      assert.equal(res.json.key, null);
      assert.equal(res.json.token_id, null);
      assert.equal(res.json.budget_duration, '30d');
      // 30d resets on the 1st of each month (UTC, the default litellm_settings.timezone).
      const c = t.clock;
      assert.equal(res.json.budget_reset_at, new Date(Date.UTC(c.getUTCFullYear(), c.getUTCMonth() + 1, 1)).toISOString());
      assert.deepEqual(await t.store.keys.listByUser(res.json.user_id), []);
    });

    test('/user/new: 409 for a taken user_id or user_email', async () => {
      const byId = await t.call('POST', '/user/new', { body: { user_id: 'alice' } });
      assert.equal(byId.status, 409);
      assert.equal(byId.json.error.param, 'user_id');
      const byEmail = await t.call('POST', '/user/new', { body: { user_id: 'alice2', user_email: 'alice@example.com' } });
      assert.equal(byEmail.status, 409);
      assert.equal(byEmail.json.error.param, 'user_email');
      assert.equal(await t.store.users.get('alice2'), null);
    });

    test('/user/new: 400 naming the field', async () => {
      for (const [body, param] of [
        [{ user_role: 'superuser' }, 'user_role'],
        [{ max_budget: 'ten' }, 'max_budget'],
        [{ tpm_limit: 1.5 }, 'tpm_limit'],
        [{ models: 'gpt-4o' }, 'models'],
        [{ budget_duration: 'weekly' }, 'budget_duration'],
        [{ model_max_budget: { 'gpt-4o': { budget_limit: -1 } } }, 'model_max_budget'],
        [{ teams: 'team-a' }, 'teams'],
        [{ password: '' }, 'password'],
        [{ auto_create_key: 'yes' }, 'auto_create_key'],
      ] as const) {
        const res = await t.call('POST', '/user/new', { body });
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.json.error.param, param);
        assert.equal(res.json.error.code, '400');
      }
    });

    test('/user/new with teams: memberships with role user; an unknown team is 404 and nothing is created', async () => {
      assert.equal((await t.call('POST', '/team/new', { body: { team_id: 'u-team' } })).status, 200);
      const res = await t.call('POST', '/user/new', { body: { user_id: 'member1', teams: ['u-team'], auto_create_key: false } });
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.deepEqual(res.json.teams, ['u-team']);
      assert.equal((await t.store.teams.membership('u-team', 'member1'))?.role, 'user');

      const missing = await t.call('POST', '/user/new', { body: { user_id: 'member2', teams: ['u-team', 'no-such-team'] } });
      assert.equal(missing.status, 404);
      assert.match(missing.json.error.message, /no-such-team/);
      assert.equal(await t.store.users.get('member2'), null, 'all-or-nothing');
      assert.equal(await t.store.teams.membership('u-team', 'member2'), null);

      const info = await t.call('GET', '/user/info', { query: { user_id: 'member1' } });
      assert.deepEqual(info.json.teams.map((team: { team_id: string }) => team.team_id), ['u-team']);
    });

    test('/user/new is admin-only', async () => {
      const key = await userWithKey('plain-user');
      const res = await t.call('POST', '/user/new', { key, body: { user_id: 'sneaky', user_role: 'proxy_admin' } });
      assert.equal(res.status, 403);
      assert.equal(await t.store.users.get('sneaky'), null);
    });

    test('/user/info: non-admins see only themselves; viewers see anyone; 404 for a missing user', async () => {
      const bob = await userWithKey('bob');
      const viewer = await userWithKey('viewer1', 'proxy_admin_viewer');
      const other = await t.call('GET', '/user/info', { key: bob, query: { user_id: 'alice' } });
      assert.equal(other.status, 403);
      const own = await t.call('GET', '/user/info', { key: bob, query: { user_id: 'bob' } });
      assert.equal(own.status, 200);
      const seen = await t.call('GET', '/user/info', { key: viewer, query: { user_id: 'alice' } });
      assert.equal(seen.status, 200);
      assert.equal(seen.json.user_info.user_id, 'alice');
      const missing = await t.call('GET', '/user/info', { query: { user_id: 'nobody' } });
      assert.equal(missing.status, 404);
      assert.equal(missing.json.error.param, 'user_id');
      const masterWithout = await t.call('GET', '/user/info');
      assert.equal(masterWithout.status, 400);
      assert.equal(masterWithout.json.error.param, 'user_id');
    });

    test('/user/update: fields, password, role, blocked; invalidates the user; audit masks the password', async () => {
      const before = t.invalidations.length;
      const res = await t.call('POST', '/user/update', {
        body: { user_id: 'bob', user_alias: 'Bob', models: ['gpt-4o'], tpm_limit: 1000, password: 'new-pw-123', user_role: 'internal_user_viewer', max_budget: null },
      });
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.equal(res.json.user_alias, 'Bob');
      assert.equal(res.json.user_role, 'internal_user_viewer');
      assert.equal(res.json.tpm_limit, 1000);
      assert.equal(res.json.password_hash, undefined);
      assert.deepEqual(t.invalidations.slice(before), [{ kind: 'user', userId: 'bob' }]);
      const stored = await t.store.users.get('bob');
      assert.ok(await verifyPassword('new-pw-123', stored!.password_hash!));

      const audit = await t.store.audit.list({ action: 'user.update', target_id: 'bob', page: 1, size: 10 });
      assert.equal(audit.rows.length, 1);
      assert.equal(audit.rows[0].after?.password_hash, '***');
      assert.equal(audit.rows[0].before?.user_role, 'internal_user');
      assert.ok(!JSON.stringify(audit.rows[0]).includes('new-pw-123'));

      const blocked = await t.call('POST', '/user/update', { body: { user_id: 'bob', blocked: true } });
      assert.equal(blocked.json.blocked, true);
      const refused = await t.call('GET', '/user/info', { key: keys.get('bob') });
      assert.equal(refused.status, 403);
      assert.equal(refused.json.error.type, 'user_blocked');
      await t.call('POST', '/user/update', { body: { user_id: 'bob', blocked: false } });
      assert.equal((await t.call('GET', '/user/info', { key: keys.get('bob') })).status, 200);
    });

    test('/user/update: by user_email; 404 for a missing user; 409 for a taken email; 400 without an id', async () => {
      const byEmail = await t.call('POST', '/user/update', { body: { user_email: 'alice@example.com', user_alias: 'Alice' } });
      assert.equal(byEmail.status, 200, JSON.stringify(byEmail.json));
      assert.equal(byEmail.json.user_id, 'alice');
      assert.equal(byEmail.json.user_alias, 'Alice');
      const missing = await t.call('POST', '/user/update', { body: { user_id: 'nobody', user_alias: 'x' } });
      assert.equal(missing.status, 404);
      assert.match(missing.json.error.message, /nobody/);
      const taken = await t.call('POST', '/user/update', { body: { user_id: 'bob', user_email: 'alice@example.com' } });
      assert.equal(taken.status, 409);
      const noId = await t.call('POST', '/user/update', { body: { user_alias: 'x' } });
      assert.equal(noId.status, 400);
      assert.equal(noId.json.error.param, 'user_id');
      const badRole = await t.call('POST', '/user/update', { body: { user_id: 'bob', user_role: 'root' } });
      assert.equal(badRole.status, 400);
      assert.equal(badRole.json.error.param, 'user_role');
    });

    test('/user/update is admin-only, even for oneself', async () => {
      const key = await userWithKey('carol');
      const res = await t.call('POST', '/user/update', { key, body: { user_id: 'carol', user_role: 'proxy_admin' } });
      assert.equal(res.status, 403);
      assert.equal((await t.store.users.get('carol'))?.user_role, 'internal_user');
    });

    test('/user/delete: deletes the users, their keys and memberships; invalidates each; the key stops working', async () => {
      const key = await userWithKey('dave', 'internal_user', { teams: ['u-team'] });
      const extra = await t.call('POST', '/user/new', { body: { user_id: 'erin', auto_create_key: false } });
      assert.equal(extra.status, 200);
      const token = hashKey(key);
      const before = t.invalidations.length;
      const res = await t.call('POST', '/user/delete', { body: { user_ids: ['dave', 'erin', 'nobody'] } });
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.deepEqual(res.json.deleted_users, ['dave', 'erin']);
      assert.equal(await t.store.users.get('dave'), null);
      assert.equal(await t.store.keys.findByToken(token), null);
      assert.equal(await t.store.teams.membership('u-team', 'dave'), null);
      const scopes = t.invalidations.slice(before);
      assert.deepEqual(
        [...scopes].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
        [{ kind: 'key', token }, { kind: 'user', userId: 'dave' }, { kind: 'user', userId: 'erin' }].sort((a, b) =>
          JSON.stringify(a).localeCompare(JSON.stringify(b)),
        ),
      );
      const after = await t.call('GET', '/user/info', { key });
      assert.equal(after.status, 401);
      const audit = await t.store.audit.list({ action: 'user.delete', target_id: 'dave', page: 1, size: 10 });
      assert.equal(audit.rows.length, 1);
      assert.equal((await t.store.audit.list({ action: 'key.delete', target_id: token, page: 1, size: 10 })).rows.length, 1);
    });

    test('/user/delete: 404 when none existed; 400 without user_ids', async () => {
      const none = await t.call('POST', '/user/delete', { body: { user_ids: ['ghost'] } });
      assert.equal(none.status, 404);
      const empty = await t.call('POST', '/user/delete', { body: { user_ids: [] } });
      assert.equal(empty.status, 400);
      assert.equal(empty.json.error.param, 'user_ids');
      const missing = await t.call('POST', '/user/delete', { body: {} });
      assert.equal(missing.status, 400);
    });

    test('/user/list and GET /v1/users: pages, role filter, readers only', async () => {
      const all = await t.call('GET', '/user/list', { query: { page: '1', page_size: '2' } });
      assert.equal(all.status, 200);
      assert.equal(all.json.users.length, 2);
      assert.equal(all.json.page, 1);
      assert.equal(all.json.page_size, 2);
      assert.ok(all.json.total >= 5);
      assert.equal(all.json.total_pages, Math.ceil(all.json.total / 2));
      assert.ok(all.json.users.every((u: object) => !('password_hash' in u)));

      const viewers = await t.call('GET', '/user/list', { query: { role: 'proxy_admin_viewer' } });
      assert.deepEqual(viewers.json.users.map((u: { user_id: string }) => u.user_id), ['viewer1']);
      const badRole = await t.call('GET', '/user/list', { query: { role: 'boss' } });
      assert.equal(badRole.status, 400);
      const badSize = await t.call('GET', '/user/list', { query: { size: '1000' } });
      assert.equal(badSize.status, 400);

      const seed = await t.call('GET', '/v1/users', { query: { size: '100' } });
      assert.equal(seed.status, 200);
      assert.equal(seed.json.total, all.json.total);

      const viewerKey = await userWithKey('viewer2', 'proxy_admin_viewer');
      assert.equal((await t.call('GET', '/user/list', { key: viewerKey })).status, 200);
      const userKey = await userWithKey('frank');
      assert.equal((await t.call('GET', '/user/list', { key: userKey })).status, 403);
      assert.equal((await t.call('GET', '/v1/users', { key: userKey })).status, 403);
    });

    test('POST /v1/users creates a user like /user/new', async () => {
      const res = await t.call('POST', '/v1/users', { body: { user_id: 'seed-user', user_role: 'internal_user_viewer' } });
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.equal(res.json.user_role, 'internal_user_viewer');
      assert.match(res.json.key, /^sk-/);
      const self = await t.call('GET', '/user/info', { key: res.json.key });
      assert.equal(self.json.user_id, 'seed-user');
    });
  });
}
