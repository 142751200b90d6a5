/**
 * The virtual-key routes over a real ControlPlane and a real store, on PGlite and on PostgreSQL:
 * the key lifecycle, expiry and grace periods by moving the control plane's clock, who may see and
 * change which key, listing, validation, conflicts, audit and cache invalidation, and that a raw
 * key is never stored.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { KEY_ROUTES } from '../../src/control/handlers/keys.js';
import { hashKey } from '../../src/control/key-material.js';
import type { AuditRecord, Store, TeamRole, UserRole } from '../../src/store/types.js';
import { startControlPlane, type TestControlPlane } from '../support/control.js';
import { postgresSkip } from '../support/postgres.js';
import { MASTER_KEY } from '../support/gateway.js';

const HOUR = 3_600_000;

async function insertUser(store: Store, userId: string, role: UserRole): Promise<void> {
  const now = new Date().toISOString();
  await store.users.insert({
    user_id: userId,
    user_email: `${userId}@example.test`,
    user_alias: null,
    user_role: role,
    password_hash: null,
    models: [],
    max_budget: null,
    soft_budget: null,
    budget_duration: null,
    budget_reset_at: null,
    spend: 0,
    tpm_limit: null,
    rpm_limit: null,
    max_parallel_requests: null,
    model_max_budget: {},
    metadata: {},
    blocked: false,
    created_at: now,
    updated_at: now,
    created_by: 'test',
  });
}

async function insertTeam(store: Store, teamId: string, models: string[], members: Record<string, TeamRole> = {}): Promise<void> {
  const now = new Date().toISOString();
  await store.teams.insert({
    team_id: teamId,
    team_alias: null,
    organization_id: null,
    models,
    max_budget: null,
    soft_budget: null,
    budget_duration: null,
    budget_reset_at: null,
    spend: 0,
    tpm_limit: null,
    rpm_limit: null,
    max_parallel_requests: null,
    model_aliases: {},
    metadata: {},
    tags: [],
    blocked: false,
    model_max_budget: {},
    team_member_budget: null,
    team_member_budget_duration: null,
    team_member_budget_reset_at: null,
    team_member_rpm_limit: null,
    team_member_tpm_limit: null,
    created_at: now,
    updated_at: now,
    created_by: 'test',
  });
  for (const [userId, role] of Object.entries(members)) {
    await store.teams.addMember({ team_id: teamId, user_id: userId, role, spend: 0, max_budget: null, budget_duration: null, budget_reset_at: null, tpm_limit: null, rpm_limit: null, created_at: now, updated_at: now });
  }
}

async function auditOf(store: Store, targetId: string): Promise<AuditRecord[]> {
  return (await store.audit.list({ target_id: targetId, page: 1, size: 100 })).rows;
}

function expectError(response: { status: number; json: any }, status: number, type: string, param?: string): void {
  assert.equal(response.status, status, JSON.stringify(response.json));
  assert.equal(response.json.error.type, type, JSON.stringify(response.json));
  assert.equal(response.json.error.code, String(status));
  if (param !== undefined) assert.equal(response.json.error.param, param, JSON.stringify(response.json));
}

const pgSkip = await postgresSkip();

for (const backend of ['pglite', 'postgres'] as const) {
  describe(`key routes (${backend})`, { skip: backend === 'postgres' && pgSkip }, () => {
    let t: TestControlPlane;
    let seq = 0;
    const unique = (prefix: string) => `${prefix}-${++seq}`;

    /** Generates a key as `key` (the master key by default); asserts 200 and returns the answer. */
    async function generate(body: object = {}, key = MASTER_KEY): Promise<any> {
      const response = await t.call('POST', '/key/generate', { key, body });
      assert.equal(response.status, 200, JSON.stringify(response.json));
      return response.json;
    }

    /** A user of this role with one key of its own; returns the user id and raw key. */
    async function userWithKey(role: UserRole): Promise<{ userId: string; key: string }> {
      const userId = unique(role);
      await insertUser(t.store, userId, role);
      return { userId, key: (await generate({ user_id: userId })).key };
    }

    before(async () => {
      t = await startControlPlane(backend, KEY_ROUTES);
    });
    after(async () => {
      await t?.close();
    });

    test('generate → info → update → block → unblock → regenerate → delete', async () => {
      const userId = unique('owner');
      await insertUser(t.store, userId, 'internal_user');
      const made = await generate({ key_alias: unique('life'), user_id: userId, models: ['gpt-4o'], max_budget: 5, tpm_limit: 1000, metadata: { env: 'test' }, tags: ['a'] });
      assert.match(made.key, /^sk-/);
      assert.equal(made.token, hashKey(made.key));
      assert.equal(made.token_id, made.token);
      assert.equal(made.key_name, `sk-...${made.key.slice(-4)}`);
      assert.equal(made.expires, null);
      assert.equal(made.key_type, 'default');
      assert.equal(made.created_by, 'master_key');
      assert.deepEqual(made.models, ['gpt-4o']);
      assert.equal('previous_token' in made, false);

      const byRaw = await t.call('GET', '/key/info', { query: { key: made.key } });
      assert.equal(byRaw.status, 200);
      assert.equal(byRaw.json.key, made.key);
      assert.equal(byRaw.json.info.token, made.token);
      assert.equal(byRaw.json.info.max_budget, 5);
      const byHash = await t.call('GET', '/key/info', { query: { key: made.token } });
      assert.equal(byHash.json.info.key_alias, made.key_alias);
      const own = await t.call('GET', '/key/info', { key: made.key });
      assert.equal(own.status, 200);
      assert.equal(own.json.key, made.token);

      t.invalidations.length = 0;
      const updated = await t.call('POST', '/key/update', { body: { key: made.key, max_budget: 10, duration: '2h', tags: ['b'] } });
      assert.equal(updated.status, 200, JSON.stringify(updated.json));
      assert.equal(updated.json.key, made.key);
      assert.equal(updated.json.max_budget, 10);
      assert.deepEqual(updated.json.tags, ['b']);
      assert.equal(Date.parse(updated.json.expires), t.clock.getTime() + 2 * HOUR);
      assert.equal(updated.json.tpm_limit, 1000, 'fields not sent are kept');
      assert.deepEqual(t.invalidations, [{ kind: 'key', token: made.token }]);

      const blocked = await t.call('POST', '/key/block', { body: { key: made.key } });
      assert.equal(blocked.json.blocked, true);
      expectError(await t.call('GET', '/key/info', { key: made.key }), 401, 'auth_error');
      const unblocked = await t.call('POST', '/key/unblock', { body: { key: made.token } });
      assert.equal(unblocked.json.blocked, false);
      assert.equal((await t.call('GET', '/key/info', { key: made.key })).status, 200);

      const regenerated = await t.call('POST', '/key/regenerate', { body: { key: made.key, max_budget: 20 } });
      assert.equal(regenerated.status, 200, JSON.stringify(regenerated.json));
      const fresh = regenerated.json;
      assert.notEqual(fresh.key, made.key);
      assert.equal(fresh.token_id, hashKey(fresh.key));
      assert.equal(fresh.max_budget, 20);
      assert.equal(fresh.key_alias, made.key_alias);
      assert.equal(fresh.user_id, userId);
      assert.equal(fresh.rotation_count, 1);
      expectError(await t.call('GET', '/key/info', { key: made.key }), 401, 'auth_error');
      assert.equal((await t.call('GET', '/key/info', { key: fresh.key })).status, 200);

      const deleted = await t.call('POST', '/key/delete', { body: { keys: [fresh.key] } });
      assert.deepEqual(deleted.json, { deleted_keys: [fresh.key] });
      expectError(await t.call('GET', '/key/info', { query: { key: fresh.key } }), 404, 'not_found_error');
      expectError(await t.call('GET', '/key/info', { key: fresh.key }), 401, 'auth_error');

      assert.deepEqual(t.invalidations, [
        { kind: 'key', token: made.token }, // update
        { kind: 'key', token: made.token }, // block
        { kind: 'key', token: made.token }, // unblock
        { kind: 'key', token: made.token }, // regenerate: the old digest
        { kind: 'key', token: fresh.token_id }, // delete
      ]);
      const actions = [...(await auditOf(t.store, made.token)), ...(await auditOf(t.store, fresh.token_id))].map((a) => a.action).sort();
      assert.deepEqual(actions, ['key.block', 'key.delete', 'key.generate', 'key.regenerate', 'key.unblock', 'key.update'].sort());
    });

    test('audit rows and stored records never hold a raw key', async () => {
      const chosen = `sk-chosen-${unique('raw')}-0123456789abcdef`;
      const made = await generate({ key: chosen, key_alias: unique('secret'), metadata: { note: 'x' } });
      assert.equal(made.key, chosen);
      const regenerated = await t.call('POST', `/key/${encodeURIComponent(chosen)}/regenerate`, { body: { new_key: `${chosen}-next` } });
      assert.equal(regenerated.status, 200, JSON.stringify(regenerated.json));
      assert.equal(regenerated.json.key, `${chosen}-next`);
      const stored = await t.store.keys.findByToken(hashKey(`${chosen}-next`));
      assert.ok(stored !== null);
      const rows = [...(await auditOf(t.store, made.token)), ...(await auditOf(t.store, regenerated.json.token_id))];
      assert.equal(rows.length, 2);
      for (const raw of [chosen, `${chosen}-next`]) {
        assert.ok(!JSON.stringify(stored).includes(raw), 'stored record holds a raw key');
        assert.ok(!JSON.stringify(rows).includes(raw), 'audit rows hold a raw key');
      }
      const generatedRow = rows.find((r) => r.action === 'key.generate')!;
      assert.equal(generatedRow.changed_by, 'master_key');
      assert.equal(generatedRow.changed_by_api_key, hashKey(MASTER_KEY));
      assert.equal(generatedRow.before, null);
      assert.equal((generatedRow.after as any).token, made.token);
    });

    test('the changed-by header is kept in the audit row', async () => {
      const response = await t.call('POST', '/key/generate', { body: {}, changedBy: 'alice@example.test' });
      const [row] = await auditOf(t.store, response.json.token);
      assert.equal(row.changed_by_header, 'alice@example.test');
    });

    test('regenerate with a grace period: the old key works until the grace ends', async () => {
      const start = t.clock;
      try {
        const made = await generate({ key_alias: unique('grace') });
        const regenerated = await t.call('POST', '/key/regenerate', { body: { key: made.key, grace_period: '1h' } });
        assert.equal(regenerated.status, 200, JSON.stringify(regenerated.json));
        const fresh = regenerated.json.key;
        const old = await t.call('GET', '/key/info', { key: made.key });
        assert.equal(old.status, 200, 'the old key still authenticates within the grace period');
        assert.equal(old.json.info.token, hashKey(fresh));
        assert.equal('previous_token' in old.json.info, false);
        t.clock = new Date(start.getTime() + 30 * 60_000);
        assert.equal((await t.call('GET', '/key/info', { key: made.key })).status, 200);
        t.clock = new Date(start.getTime() + HOUR + 1000);
        expectError(await t.call('GET', '/key/info', { key: made.key }), 401, 'auth_error');
        assert.equal((await t.call('GET', '/key/info', { key: fresh })).status, 200);
      } finally {
        t.clock = start;
      }
    });

    test('regenerate without a grace period: the old key stops at once', async () => {
      const made = await generate({});
      const regenerated = await t.call('POST', '/key/regenerate', { body: { key: made.token } });
      assert.equal(regenerated.status, 200);
      expectError(await t.call('GET', '/key/info', { key: made.key }), 401, 'auth_error');
      assert.equal((await t.call('GET', '/key/info', { key: regenerated.json.key })).status, 200);
    });

    test('duration sets expires; an expired key gets 401 expired_key', async () => {
      const start = t.clock;
      try {
        const made = await generate({ duration: '1h' });
        assert.equal(Date.parse(made.expires), start.getTime() + HOUR);
        assert.equal((await t.call('GET', '/key/info', { key: made.key })).status, 200);
        t.clock = new Date(start.getTime() + 2 * HOUR);
        expectError(await t.call('GET', '/key/info', { key: made.key }), 401, 'expired_key');
        // duration: null on update removes the expiry.
        const updated = await t.call('POST', '/key/update', { body: { key: made.key, duration: null } });
        assert.equal(updated.json.expires, null);
        assert.equal((await t.call('GET', '/key/info', { key: made.key })).status, 200);
      } finally {
        t.clock = start;
      }
    });

    test('key/info: admin, viewer, the key, its owner and its team admin see it; another user gets 403', async () => {
      const owner = await userWithKey('internal_user');
      const teamAdmin = await userWithKey('internal_user');
      const stranger = await userWithKey('internal_user');
      const viewer = await userWithKey('proxy_admin_viewer');
      const teamId = unique('team');
      await insertTeam(t.store, teamId, [], { [teamAdmin.userId]: 'admin', [owner.userId]: 'user' });
      const target = await generate({ user_id: owner.userId, team_id: teamId });
      for (const key of [MASTER_KEY, viewer.key, target.key, owner.key, teamAdmin.key]) {
        const response = await t.call('GET', '/key/info', { key, query: { key: target.token } });
        assert.equal(response.status, 200, JSON.stringify(response.json));
        const byId = await t.call('GET', `/v1/auth/key/${target.token}`, { key });
        assert.equal(byId.status, 200);
        assert.equal(byId.json.token, target.token);
      }
      expectError(await t.call('GET', '/key/info', { key: stranger.key, query: { key: target.token } }), 403, 'permission_denied');
      expectError(await t.call('GET', `/v1/auth/key/${target.token}`, { key: stranger.key }), 403, 'permission_denied');
      expectError(await t.call('GET', '/key/info', { query: { key: 'sk-does-not-exist-000' } }), 404, 'not_found_error', 'key');
      expectError(await t.call('GET', '/key/info', { key: 'sk-not-a-key-at-all-123' }), 401, 'auth_error');
    });

    test('internal_user creates keys for itself or its team, never for another user', async () => {
      const me = await userWithKey('internal_user');
      const other = await userWithKey('internal_user');
      const own = await generate({ key_alias: unique('mine') }, me.key);
      assert.equal(own.user_id, me.userId);
      assert.equal(own.created_by, me.userId);
      const explicit = await generate({ user_id: me.userId }, me.key);
      assert.equal(explicit.user_id, me.userId);
      expectError(await t.call('POST', '/key/generate', { key: me.key, body: { user_id: other.userId } }), 403, 'permission_denied', 'user_id');

      const adminTeam = unique('team');
      const memberTeam = unique('team');
      await insertTeam(t.store, adminTeam, [], { [me.userId]: 'admin', [other.userId]: 'user' });
      await insertTeam(t.store, memberTeam, [], { [me.userId]: 'user' });
      // Memberships are read each time a key is used, so me.key is now a team admin's key.
      const forTeamMember = await generate({ team_id: adminTeam, user_id: other.userId }, me.key);
      assert.equal(forTeamMember.team_id, adminTeam);
      assert.equal(forTeamMember.user_id, other.userId);
      expectError(await t.call('POST', '/key/generate', { key: me.key, body: { team_id: memberTeam } }), 403, 'permission_denied', 'team_id');

      // A team admin may not name a user outside the team.
      const stranger = await userWithKey('internal_user');
      expectError(
        await t.call('POST', '/key/generate', { key: me.key, body: { team_id: adminTeam, user_id: stranger.userId } }),
        403,
        'permission_denied',
        'user_id',
      );
      // Moving a key to another user is refused, so is unblocking.
      expectError(await t.call('POST', '/key/update', { key: me.key, body: { key: own.key, user_id: other.userId } }), 403, 'permission_denied', 'user_id');
      expectError(await t.call('POST', '/key/update', { key: other.key, body: { key: own.key, max_budget: 1 } }), 403, 'permission_denied');
      const changed = await t.call('POST', '/key/update', { key: me.key, body: { key: own.key, max_budget: 1 } });
      assert.equal(changed.status, 200);
      assert.equal(changed.json.updated_by, me.userId);
      // Block/unblock are admin-only by the table.
      expectError(await t.call('POST', '/key/block', { key: me.key, body: { key: own.key } }), 403, 'permission_denied');
    });

    test('internal_user_viewer and a key without a user may not generate', async () => {
      const viewer = await userWithKey('internal_user_viewer');
      expectError(await t.call('POST', '/key/generate', { key: viewer.key, body: {} }), 403, 'permission_denied');
      expectError(await t.call('POST', '/v1/auth/key/generate', { key: viewer.key, body: {} }), 403, 'permission_denied');
      const bare = await generate({});
      expectError(await t.call('POST', '/key/generate', { key: bare.key, body: {} }), 403, 'permission_denied');
      // …but they may read their own key.
      assert.equal((await t.call('GET', '/key/info', { key: viewer.key })).status, 200);
      assert.equal((await t.call('GET', '/key/info', { key: bare.key })).status, 200);
    });

    test('team: must exist, and the key models must be within the team models', async () => {
      const teamId = unique('team');
      await insertTeam(t.store, teamId, ['gpt-4o', 'openai/*']);
      expectError(await t.call('POST', '/key/generate', { body: { team_id: 'no-such-team' } }), 404, 'not_found_error', 'team_id');
      const denied = await t.call('POST', '/key/generate', { body: { team_id: teamId, models: ['gpt-4o', 'claude-3'] } });
      expectError(denied, 403, 'permission_denied', 'models');
      assert.match(denied.json.error.message, /claude-3/);
      const ok = await generate({ team_id: teamId, models: ['gpt-4o', 'openai/gpt-4o-mini'] });
      assert.equal(ok.team_id, teamId);
      const all = await generate({ team_id: teamId });
      assert.deepEqual(all.models, []);
      expectError(await t.call('POST', '/key/update', { body: { key: all.key, models: ['claude-3'] } }), 403, 'permission_denied', 'models');
    });

    test('409 on a duplicate key_alias or key value', async () => {
      const alias = unique('dup');
      const first = await generate({ key_alias: alias });
      expectError(await t.call('POST', '/key/generate', { body: { key_alias: alias } }), 409, 'conflict_error', 'key_alias');
      const second = await generate({});
      expectError(await t.call('POST', '/key/update', { body: { key: second.key, key_alias: alias } }), 409, 'conflict_error', 'key_alias');
      // Setting a key's own alias again is no conflict.
      assert.equal((await t.call('POST', '/key/update', { body: { key: first.key, key_alias: alias } })).status, 200);
      expectError(await t.call('POST', '/key/generate', { body: { key: first.key } }), 409, 'conflict_error', 'key');
      expectError(await t.call('POST', '/key/regenerate', { body: { key: second.key, new_key: first.key } }), 409, 'conflict_error', 'new_key');
    });

    test('400 naming the field on bad input', async () => {
      const cases: Array<[object, string]> = [
        [{ models: 'gpt-4o' }, 'models'],
        [{ max_budget: '5' }, 'max_budget'],
        [{ tpm_limit: 1.5 }, 'tpm_limit'],
        [{ rpm_limit: -1 }, 'rpm_limit'],
        [{ duration: 'forever' }, 'duration'],
        [{ budget_duration: 5 }, 'budget_duration'],
        [{ metadata: [] }, 'metadata'],
        [{ blocked: 'yes' }, 'blocked'],
        [{ model_rpm_limit: { 'gpt-4o': 'x' } }, 'model_rpm_limit.gpt-4o'],
        [{ aliases: { a: 1 } }, 'aliases.a'],
        [{ allowed_ips: ['10.0.0.300'] }, 'allowed_ips'],
        [{ allowed_ips: ['10.0.0.0/33'] }, 'allowed_ips'],
        [{ allowed_ips: ['::1/129'] }, 'allowed_ips'],
        [{ key: 'not-an-sk-key' }, 'key'],
        [{ key_type: 'superuser' }, 'key_type'],
        [{ auto_rotate: true }, 'rotation_interval'],
        [{ auto_rotate: true, rotation_interval: 'weekly' }, 'rotation_interval'],
        [{ temp_budget_increase: 5 }, 'temp_budget_expiry'],
      ];
      for (const [body, param] of cases) {
        expectError(await t.call('POST', '/key/generate', { body }), 400, 'invalid_request_error', param);
      }
      const ok = await generate({ allowed_ips: ['10.0.0.1', '10.0.0.0/8', '::1', '2001:db8::/32'], unknown_field: 1 });
      assert.deepEqual(ok.allowed_ips, ['10.0.0.1', '10.0.0.0/8', '::1', '2001:db8::/32']);
      expectError(await t.call('POST', '/key/update', { body: {} }), 400, 'invalid_request_error', 'key');
      expectError(await t.call('POST', '/key/update', { body: { key: ok.key, models: [1] } }), 400, 'invalid_request_error', 'models');
      expectError(await t.call('POST', '/key/delete', { body: {} }), 400, 'invalid_request_error', 'keys');
      expectError(await t.call('POST', '/key/regenerate', { body: { key: ok.key, grace_period: 'soon' } }), 400, 'invalid_request_error', 'grace_period');
      expectError(await t.call('POST', '/key/regenerate', { body: { key: ok.key, new_key: 'plain' } }), 400, 'invalid_request_error', 'new_key');
      expectError(await t.call('GET', '/key/list', { query: { sort_by: 'token' } }), 400, 'invalid_request_error', 'sort_by');
      expectError(await t.call('GET', '/key/list', { query: { sort_order: 'up' } }), 400, 'invalid_request_error', 'sort_order');
      expectError(await t.call('GET', '/key/list', { query: { size: '101' } }), 400, 'invalid_request_error', 'size');
    });

    test('field values round-trip, auto_rotate schedules the next rotation, temp budget', async () => {
      const made = await generate({
        budget_duration: '30d',
        soft_budget: 1.5,
        max_parallel_requests: 3,
        model_rpm_limit: { 'gpt-4o': 10 },
        model_tpm_limit: { 'gpt-4o': 1000 },
        model_max_budget: { 'gpt-4o': { budget_limit: 1, time_period: '1d' } },
        permissions: { get_spend_routes: false },
        allowed_routes: ['/v1/chat/completions'],
        aliases: { fast: 'gpt-4o' },
        guardrails: ['pii'],
        key_type: 'llm_api',
        auto_rotate: true,
        rotation_interval: '7d',
        blocked: false,
      });
      assert.equal(made.budget_duration, '30d');
      // 30d resets on the 1st of each month at midnight (UTC, the default litellm_settings.timezone),
      // not 30 days after creation: the instant the limits stage resets the budget.
      const c = t.clock;
      assert.equal(made.budget_reset_at, new Date(Date.UTC(c.getUTCFullYear(), c.getUTCMonth() + 1, 1)).toISOString());
      assert.equal(made.soft_budget, 1.5);
      assert.deepEqual(made.model_rpm_limit, { 'gpt-4o': 10 });
      assert.deepEqual(made.model_max_budget, { 'gpt-4o': { budget_limit: 1, time_period: '1d' } });
      assert.deepEqual(made.aliases, { fast: 'gpt-4o' });
      assert.equal(made.key_type, 'llm_api');
      assert.equal(made.auto_rotate, true);
      assert.equal(Date.parse(made.key_rotation_at), t.clock.getTime() + 7 * 24 * HOUR);

      const expiry = new Date(t.clock.getTime() + 24 * HOUR).toISOString();
      const updated = await t.call('PATCH', `/v1/auth/key/${made.token}`, { body: { temp_budget_increase: 2, temp_budget_expiry: expiry, auto_rotate: false } });
      assert.equal(updated.status, 200, JSON.stringify(updated.json));
      assert.equal(updated.json.key, made.token);
      assert.equal(updated.json.temp_budget_increase, 2);
      assert.equal(updated.json.temp_budget_expiry, expiry);
      assert.equal(updated.json.auto_rotate, false);
      assert.equal(updated.json.key_rotation_at, null);
      assert.equal(updated.json.rotation_interval, '7d');
    });

    test('delete: by alias, 404 when none exist, non-admins only their own and all-or-nothing', async () => {
      const alias = unique('del');
      const made = await generate({ key_alias: alias });
      t.invalidations.length = 0;
      assert.deepEqual((await t.call('POST', '/key/delete', { body: { key_aliases: [alias] } })).json, { deleted_keys: [alias] });
      assert.deepEqual(t.invalidations, [{ kind: 'key', token: made.token }]);
      expectError(await t.call('POST', '/key/delete', { body: { key_aliases: [alias] } }), 404, 'not_found_error');
      expectError(await t.call('POST', '/key/delete', { body: { keys: ['sk-missing-1234567'] } }), 404, 'not_found_error');

      const me = await userWithKey('internal_user');
      const other = await userWithKey('internal_user');
      const mine = await generate({}, me.key);
      const theirs = await generate({ user_id: other.userId });
      expectError(await t.call('POST', '/key/delete', { key: me.key, body: { keys: [mine.key, theirs.key] } }), 403, 'permission_denied');
      assert.ok((await t.store.keys.findByToken(mine.token)) !== null, 'nothing deleted on 403');
      expectError(await t.call('DELETE', `/v1/auth/key/${theirs.token}`, { key: me.key }), 403, 'permission_denied');
      assert.deepEqual((await t.call('DELETE', `/v1/auth/key/${mine.token}`, { key: me.key })).json, { deleted_keys: [mine.token] });
      expectError(await t.call('DELETE', `/v1/auth/key/${mine.token}`), 404, 'not_found_error');
      // Some found, some missing: the found ones are deleted and reported.
      const partial = await t.call('POST', '/key/delete', { body: { keys: [theirs.key, 'sk-missing-7654321'] } });
      assert.deepEqual(partial.json, { deleted_keys: [theirs.key] });
      const [row] = (await auditOf(t.store, theirs.token)).filter((r) => r.action === 'key.delete');
      assert.equal(row.after, null);
      assert.equal((row.before as any).token, theirs.token);
    });

    test('list: paging, sorting, filters, full objects, and non-admins see their own', async () => {
      const owner = await userWithKey('internal_user');
      const teamId = unique('team');
      const teamAdmin = await userWithKey('internal_user');
      await insertTeam(t.store, teamId, [], { [teamAdmin.userId]: 'admin' });
      const budgets = [3, 1, 4, 1.5, 9];
      const made: any[] = [];
      for (const [i, max_budget] of budgets.entries()) {
        made.push(await generate({ user_id: owner.userId, key_alias: `${owner.userId}-k${i}`, max_budget }));
      }
      const teamKey = await generate({ team_id: teamId, key_alias: unique('teamkey') });

      const page1 = await t.call('GET', '/key/list', { query: { user_id: owner.userId, size: '2', sort_by: 'max_budget', sort_order: 'asc' } });
      assert.equal(page1.status, 200, JSON.stringify(page1.json));
      // The owner's own key (no max_budget) sorts last: NULLS LAST.
      assert.equal(page1.json.total_count, 6);
      assert.equal(page1.json.total_pages, 3);
      assert.equal(page1.json.current_page, 1);
      assert.deepEqual(page1.json.keys, [made[1].token, made[3].token]);
      const page3 = await t.call('GET', '/key/list', { query: { user_id: owner.userId, size: '2', page: '3', sort_by: 'max_budget', sort_order: 'asc' } });
      assert.deepEqual(page3.json.keys, [made[4].token, hashKey(owner.key)]);
      const desc = await t.call('GET', '/key/list', { query: { user_id: owner.userId, size: '1', sort_by: 'max_budget', sort_order: 'desc' } });
      assert.deepEqual(desc.json.keys, [made[4].token]);

      const full = await t.call('GET', '/key/list', { query: { key_alias: `${owner.userId}-k2`, return_full_object: 'true' } });
      assert.equal(full.json.keys.length, 1);
      assert.equal(full.json.keys[0].max_budget, 4);
      assert.equal('previous_token' in full.json.keys[0], false);
      const byTeam = await t.call('GET', '/key/list', { query: { team_id: teamId } });
      assert.deepEqual(byTeam.json.keys, [teamKey.token]);

      // The owner sees its 6 keys, not the team's; the team admin sees its own key and the team's.
      const ownerView = await t.call('GET', '/key/list', { key: owner.key, query: { size: '100' } });
      assert.equal(ownerView.json.total_count, 6);
      const adminView = await t.call('GET', '/key/list', { key: teamAdmin.key, query: { size: '100' } });
      assert.deepEqual(new Set(adminView.json.keys), new Set([hashKey(teamAdmin.key), teamKey.token]));
      // Filters narrow within what the caller may see.
      const narrowed = await t.call('GET', '/key/list', { key: teamAdmin.key, query: { user_id: owner.userId } });
      assert.equal(narrowed.json.total_count, 0);
      // A key with no user sees just itself.
      const bare = await generate({});
      const bareView = await t.call('GET', '/key/list', { key: bare.key });
      assert.deepEqual(bareView.json, { keys: [bare.token], total_count: 1, current_page: 1, total_pages: 1 });
      // Admin viewers see everything.
      const viewer = await userWithKey('proxy_admin_viewer');
      const viewerView = await t.call('GET', '/key/list', { key: viewer.key, query: { user_id: owner.userId } });
      assert.equal(viewerView.json.total_count, 6);
    });

    test('/v1/auth/key/generate answers like /key/generate', async () => {
      const response = await t.call('POST', '/v1/auth/key/generate', { body: { key_alias: unique('v1') } });
      assert.equal(response.status, 200);
      assert.equal(response.json.token_id, hashKey(response.json.key));
    });
  });
}

/** A config whose budget periods are laid out in Berlin time (CET, CEST from 31 March 2030). */
const BERLIN_YAML = `model_list:
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, api_base: "http://127.0.0.1:9/v1", api_key: sk-upstream }
general_settings:
  master_key: ${MASTER_KEY}
litellm_settings:
  timezone: Europe/Berlin
`;

for (const backend of ['pglite', 'postgres'] as const) {
  describe(`key budget periods and model_max_budget (${backend})`, { skip: backend === 'postgres' && pgSkip }, () => {
    let t: TestControlPlane;

    before(async () => {
      t = await startControlPlane(backend, KEY_ROUTES, BERLIN_YAML);
    });
    after(async () => {
      await t?.close();
    });

    async function resetAtFor(budgetDuration: string): Promise<string> {
      const response = await t.call('POST', '/key/generate', { body: { max_budget: 1, budget_duration: budgetDuration } });
      assert.equal(response.status, 200, JSON.stringify(response.json));
      return response.json.budget_reset_at;
    }

    test('budget_duration sets budget_reset_at to the next reset in litellm_settings.timezone, not now + duration', async () => {
      // Saturday 30 March 2030, 23:30 in Berlin (CET, UTC+1); the clocks go forward that night.
      t.clock = new Date('2030-03-30T22:30:00.000Z');
      assert.equal(await resetAtFor('1d'), '2030-03-30T23:00:00.000Z'); // Berlin midnight, CET
      assert.equal(await resetAtFor('7d'), '2030-03-31T22:00:00.000Z'); // Monday 1 April, CEST
      assert.equal(await resetAtFor('1w'), '2030-03-31T22:00:00.000Z');
      assert.equal(await resetAtFor('30d'), '2030-03-31T22:00:00.000Z'); // the 1st of April
      assert.equal(await resetAtFor('1mo'), '2030-03-31T22:00:00.000Z');
      assert.equal(await resetAtFor('2d'), '2030-03-31T22:00:00.000Z'); // the second local midnight
      // s, m and h are exact lengths.
      assert.equal(await resetAtFor('2h'), '2030-03-31T00:30:00.000Z');
      assert.equal(await resetAtFor('90s'), '2030-03-30T22:31:30.000Z');

      // /key/update with a budget_duration starts the schedule from the update.
      const made = await t.call('POST', '/key/generate', { body: { max_budget: 1 } });
      t.clock = new Date('2030-04-15T09:00:00.000Z');
      const updated = await t.call('POST', '/key/update', { body: { key: made.json.key, budget_duration: '1d' } });
      assert.equal(updated.json.budget_reset_at, '2030-04-15T22:00:00.000Z');
      const cleared = await t.call('POST', '/key/update', { body: { key: made.json.key, budget_duration: null } });
      assert.equal(cleared.json.budget_reset_at, null);
      expectError(await t.call('POST', '/key/generate', { body: { budget_duration: '0d' } }), 400, 'invalid_request_error', 'budget_duration');
    });

    test('/key/info reports the end of the period the gateway is in once the stored budget_reset_at has passed', async () => {
      t.clock = new Date('2030-05-10T12:00:00.000Z');
      const made = await t.call('POST', '/key/generate', { body: { max_budget: 1, budget_duration: '1d' } });
      assert.equal(made.json.budget_reset_at, '2030-05-10T22:00:00.000Z');
      // Three days and a bit later: the budget reset at each Berlin midnight since.
      t.clock = new Date('2030-05-13T23:30:00.000Z');
      const info = await t.call('GET', '/key/info', { query: { key: made.json.key } });
      assert.equal(info.json.info.budget_reset_at, '2030-05-14T22:00:00.000Z');
      const byId = await t.call('GET', `/v1/auth/key/${made.json.token}`);
      assert.equal(byId.json.budget_reset_at, '2030-05-14T22:00:00.000Z');
      // The stored value is untouched; the answer is computed.
      assert.equal((await t.store.keys.findByToken(made.json.token))!.budget_reset_at, '2030-05-10T22:00:00.000Z');
    });

    test('model_max_budget takes LiteLLM budgets and refuses anything else, naming the entry', async () => {
      const good = {
        'gpt-4o': { budget_limit: 0.0005, time_period: '1d' },
        'gpt-4o-mini': { max_budget: '2.5', budget_duration: '30d', tpm_limit: 100 },
        legacy: 0.5,
        unlimited: { time_period: '1h' },
      };
      const made = await t.call('POST', '/key/generate', { body: { model_max_budget: good } });
      assert.equal(made.status, 200, JSON.stringify(made.json));
      assert.deepEqual(made.json.model_max_budget, good);
      for (const [bad, message] of [
        [{ 'gpt-4o': -1 }, /"model_max_budget\.gpt-4o" must be a budget of 0 or more USD/],
        [{ 'gpt-4o': 'lots' }, /"model_max_budget\.gpt-4o" must be a number \(USD\) or an object/],
        [{ 'gpt-4o': { budget_limit: 'x', time_period: '1d' } }, /budget_limit that is not 0 or more USD: "x"/],
        [{ 'gpt-4o': { budget_limit: 1, time_period: 'daily' } }, /time_period that is not a budget duration .*: "daily"/],
        [{ 'gpt-4o': { budget_limit: 1, time_period: '0d' } }, /time_period that is not a budget duration/],
      ] as const) {
        const response = await t.call('POST', '/key/generate', { body: { model_max_budget: bad } });
        expectError(response, 400, 'invalid_request_error', 'model_max_budget');
        assert.match(response.json.error.message, message);
      }
      const update = await t.call('POST', '/key/update', { body: { key: made.json.key, model_max_budget: { x: [] } } });
      expectError(update, 400, 'invalid_request_error', 'model_max_budget');
    });
  });
}
