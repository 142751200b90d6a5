import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TEAM_ROUTES } from '../../src/control/handlers/teams.js';
import { USER_ROUTES } from '../../src/control/handlers/users.js';
import { hashKey } from '../../src/control/key-material.js';
import type { InvalidationScope } from '../../src/control/types.js';
import { startControlPlane, type TestControlPlane } from '../support/control.js';
import { postgresSkip } from '../support/postgres.js';

const pgSkip = await postgresSkip();

const sorted = (scopes: readonly InvalidationScope[]): string[] => scopes.map((s) => JSON.stringify(s)).sort();

for (const backend of ['pglite', 'postgres'] as const) {
  describe(backend, { skip: backend === 'postgres' ? pgSkip : false }, () => {
    let t: TestControlPlane;
    const keys = new Map<string, string>();
    before(async () => {
      t = await startControlPlane(backend, [...USER_ROUTES, ...TEAM_ROUTES]);
      for (const [userId, role, email] of [
        ['lead', 'internal_user', 'lead@example.com'],
        ['worker', 'internal_user', 'worker@example.com'],
        ['outsider', 'internal_user', null],
        ['watcher', 'proxy_admin_viewer', null],
        ['leadviewer', 'internal_user_viewer', null],
      ] as const) {
        const res = await t.call('POST', '/user/new', { body: { user_id: userId, user_role: role, user_email: email } });
        assert.equal(res.status, 200, JSON.stringify(res.json));
        keys.set(userId, res.json.key);
      }
    });
    after(async () => {
      await t?.close();
    });

    const key = (userId: string): string => keys.get(userId)!;

    test('/team/new: fields, members by user_id and email, a new user_id creates an internal_user', async () => {
      const res = await t.call('POST', '/team/new', {
        body: {
          team_id: 'alpha',
          team_alias: 'Alpha',
          models: ['gpt-4o'],
          max_budget: 100,
          budget_duration: '1d',
          tpm_limit: 5000,
          model_aliases: { fast: 'gpt-4o' },
          tags: ['prod'],
          team_member_budget: 5,
          members_with_roles: [
            { role: 'admin', user_id: 'lead' },
            { role: 'user', user_email: 'worker@example.com' },
            { role: 'user', user_id: 'newbie', user_email: 'newbie@example.com' },
            { role: 'admin', user_id: 'leadviewer' },
          ],
        },
      });
      assert.equal(res.status, 200, JSON.stringify(res.json));
      const team = res.json;
      assert.equal(team.team_id, 'alpha');
      assert.equal(team.team_alias, 'Alpha');
      assert.equal(team.max_budget, 100);
      // 1d resets at the next midnight (UTC, the default litellm_settings.timezone).
      const c = t.clock;
      assert.equal(team.budget_reset_at, new Date(Date.UTC(c.getUTCFullYear(), c.getUTCMonth(), c.getUTCDate() + 1)).toISOString());
      assert.deepEqual(team.model_aliases, { fast: 'gpt-4o' });
      assert.equal(team.team_member_budget, 5);
      assert.deepEqual(
        team.members_with_roles.map((m: { user_id: string; role: string; user_email: string | null }) => [m.user_id, m.role, m.user_email]).sort(),
        [['lead', 'admin', 'lead@example.com'], ['leadviewer', 'admin', null], ['newbie', 'user', 'newbie@example.com'], ['worker', 'user', 'worker@example.com']],
      );
      const newbie = await t.store.users.get('newbie');
      assert.equal(newbie?.user_role, 'internal_user');
      assert.equal(newbie?.user_email, 'newbie@example.com');
      const audit = await t.store.audit.list({ action: 'team.new', target_id: 'alpha', page: 1, size: 5 });
      assert.equal(audit.rows.length, 1);
    });

    test('/team/new: random team_id by default; 409 for a taken id; 404 for an unknown email; 400 naming the field', async () => {
      const plain = await t.call('POST', '/team/new', { body: {} });
      assert.equal(plain.status, 200);
      assert.match(plain.json.team_id, /^[0-9a-f-]{36}$/);
      assert.deepEqual(plain.json.members_with_roles, []);

      const taken = await t.call('POST', '/team/new', { body: { team_id: 'alpha' } });
      assert.equal(taken.status, 409);
      assert.equal(taken.json.error.param, 'team_id');

      const ghost = await t.call('POST', '/team/new', { body: { team_id: 'beta0', members_with_roles: [{ role: 'user', user_email: 'ghost@example.com' }] } });
      assert.equal(ghost.status, 404);
      assert.match(ghost.json.error.message, /ghost@example\.com/);
      assert.equal(await t.store.teams.get('beta0'), null, 'all-or-nothing');

      for (const [body, param] of [
        [{ members_with_roles: [{ role: 'owner', user_id: 'lead' }] }, 'members_with_roles'],
        [{ members_with_roles: [{ role: 'user' }] }, 'members_with_roles'],
        [{ members_with_roles: { role: 'user', user_id: 'lead' } }, 'members_with_roles'],
        [{ max_budget: -1 }, 'max_budget'],
        [{ model_aliases: { fast: 1 } }, 'model_aliases.fast'],
        [{ blocked: 'no' }, 'blocked'],
        [{ budget_duration: '3 days' }, 'budget_duration'],
      ] as const) {
        const res = await t.call('POST', '/team/new', { body });
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.json.error.param, param);
      }
      const twice = await t.call('POST', '/team/new', {
        body: { team_id: 'beta1', members_with_roles: [{ role: 'user', user_id: 'lead' }, { role: 'admin', user_email: 'lead@example.com' }] },
      });
      assert.equal(twice.status, 400);
      assert.equal(await t.store.teams.get('beta1'), null);

      assert.equal((await t.call('POST', '/team/new', { key: key('lead'), body: { team_id: 'mine' } })).status, 403);
    });

    test('/team/info: members and viewers may read; others 403; 404 for a missing team', async () => {
      const asMember = await t.call('GET', '/team/info', { key: key('worker'), query: { team_id: 'alpha' } });
      assert.equal(asMember.status, 200, JSON.stringify(asMember.json));
      assert.equal(asMember.json.team_id, 'alpha');
      assert.equal(asMember.json.team_info.team_alias, 'Alpha');
      assert.equal(asMember.json.team_info.members_with_roles.length, 4);
      assert.equal(asMember.json.team_memberships.length, 4);
      assert.deepEqual(asMember.json.keys, []);

      assert.equal((await t.call('GET', '/team/info', { key: key('watcher'), query: { team_id: 'alpha' } })).status, 200);
      const outsider = await t.call('GET', '/team/info', { key: key('outsider'), query: { team_id: 'alpha' } });
      assert.equal(outsider.status, 403);
      const missing = await t.call('GET', '/team/info', { query: { team_id: 'nope' } });
      assert.equal(missing.status, 404);
      assert.equal(missing.json.error.param, 'team_id');
      assert.equal((await t.call('GET', '/team/info')).status, 400);
    });

    test('/team/update: admins; the team admin for descriptive fields only; members and others 403; invalidates the team', async () => {
      const before = t.invalidations.length;
      const byAdmin = await t.call('POST', '/team/update', { body: { team_id: 'alpha', max_budget: 200, metadata: { cost_center: 'x' } } });
      assert.equal(byAdmin.status, 200, JSON.stringify(byAdmin.json));
      assert.equal(byAdmin.json.max_budget, 200);
      assert.deepEqual(t.invalidations.slice(before), [{ kind: 'team', teamId: 'alpha' }]);

      const byLead = await t.call('POST', '/team/update', { key: key('lead'), body: { team_id: 'alpha', team_alias: 'Alpha Squad', team_member_budget: 7 } });
      assert.equal(byLead.status, 200, JSON.stringify(byLead.json));
      assert.equal(byLead.json.team_alias, 'Alpha Squad');
      assert.equal(byLead.json.members_with_roles.length, 4);

      for (const field of [{ max_budget: 1e6 }, { models: [] }, { blocked: false }, { tpm_limit: 1e9 }]) {
        const res = await t.call('POST', '/team/update', { key: key('lead'), body: { team_id: 'alpha', ...field } });
        assert.equal(res.status, 403, JSON.stringify(field));
        assert.equal(res.json.error.param, Object.keys(field)[0]);
      }
      assert.equal((await t.store.teams.get('alpha'))?.max_budget, 200);

      assert.equal((await t.call('POST', '/team/update', { key: key('worker'), body: { team_id: 'alpha', team_alias: 'x' } })).status, 403);
      assert.equal((await t.call('POST', '/team/update', { key: key('outsider'), body: { team_id: 'alpha', team_alias: 'x' } })).status, 403);
      // A team admin whose own role is a viewer is refused by the access table.
      assert.equal((await t.call('POST', '/team/update', { key: key('leadviewer'), body: { team_id: 'alpha', team_alias: 'x' } })).status, 403);
      assert.equal((await t.call('POST', '/team/update', { body: { team_id: 'nope', team_alias: 'x' } })).status, 404);
      assert.equal((await t.call('POST', '/team/update', { body: { team_alias: 'x' } })).json.error.param, 'team_id');

      const audit = await t.store.audit.list({ action: 'team.update', target_id: 'alpha', page: 1, size: 5 });
      assert.equal(audit.rows.length, 2);
      assert.deepEqual(audit.rows.map((r) => r.changed_by).sort(), ['lead', 'master_key']);
    });

    test('/team/block and /team/unblock: admin only; invalidate the team', async () => {
      assert.equal((await t.call('POST', '/team/block', { key: key('lead'), body: { team_id: 'alpha' } })).status, 403);
      const before = t.invalidations.length;
      const blocked = await t.call('POST', '/team/block', { body: { team_id: 'alpha' } });
      assert.equal(blocked.status, 200);
      assert.equal(blocked.json.blocked, true);
      const unblocked = await t.call('POST', '/team/unblock', { body: { team_id: 'alpha' } });
      assert.equal(unblocked.json.blocked, false);
      assert.deepEqual(t.invalidations.slice(before), [{ kind: 'team', teamId: 'alpha' }, { kind: 'team', teamId: 'alpha' }]);
      assert.equal((await t.call('POST', '/team/block', { body: { team_id: 'nope' } })).status, 404);
      assert.equal((await t.store.audit.list({ action: 'team.block', target_id: 'alpha', page: 1, size: 5 })).rows.length, 1);
    });

    test('/team/member_add: by the team admin; one or many; new users created; 409 for a member; invalidations', async () => {
      const before = t.invalidations.length;
      const res = await t.call('POST', '/team/member_add', {
        key: key('lead'),
        body: { team_id: 'alpha', member: { role: 'user', user_id: 'outsider' }, max_budget_in_team: 3 },
      });
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.equal(res.json.members_with_roles.length, 5);
      assert.equal(res.json.updated_team_memberships[0].max_budget, 3);
      assert.equal((await t.store.teams.membership('alpha', 'outsider'))?.role, 'user');
      assert.deepEqual(sorted(t.invalidations.slice(before)), sorted([{ kind: 'team', teamId: 'alpha' }, { kind: 'user', userId: 'outsider' }]));

      const many = await t.call('POST', '/team/member_add', {
        body: { team_id: 'alpha', member: [{ role: 'user', user_id: 'fresh1' }, { role: 'admin', user_id: 'fresh2' }] },
      });
      assert.equal(many.status, 200, JSON.stringify(many.json));
      assert.equal((await t.store.users.get('fresh1'))?.user_role, 'internal_user');
      assert.equal((await t.store.teams.membership('alpha', 'fresh2'))?.role, 'admin');

      const dup = await t.call('POST', '/team/member_add', { body: { team_id: 'alpha', member: { role: 'user', user_id: 'worker' } } });
      assert.equal(dup.status, 409);
      const partial = await t.call('POST', '/team/member_add', {
        body: { team_id: 'alpha', member: [{ role: 'user', user_id: 'fresh3' }, { role: 'user', user_id: 'worker' }] },
      });
      assert.equal(partial.status, 409);
      assert.equal(await t.store.users.get('fresh3'), null, 'all-or-nothing');

      assert.equal((await t.call('POST', '/team/member_add', { key: key('worker'), body: { team_id: 'alpha', member: { role: 'admin', user_id: 'worker' } } })).status, 403);
      assert.equal((await t.call('POST', '/team/member_add', { body: { team_id: 'nope', member: { role: 'user', user_id: 'worker' } } })).status, 404);
      const noMember = await t.call('POST', '/team/member_add', { body: { team_id: 'alpha' } });
      assert.equal(noMember.status, 400);
      assert.equal(noMember.json.error.param, 'member');
      assert.ok((await t.store.audit.list({ action: 'team.member_add', target_id: 'alpha', page: 1, size: 10 })).total >= 3);
    });

    test('/team/member_update: role and limits; by email; 404 for a non-member', async () => {
      const before = t.invalidations.length;
      const res = await t.call('POST', '/team/member_update', {
        key: key('lead'),
        body: { team_id: 'alpha', user_email: 'worker@example.com', role: 'admin', max_budget_in_team: 9, rpm_limit: 10 },
      });
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.deepEqual(res.json, {
        team_id: 'alpha', user_id: 'worker', user_email: 'worker@example.com', role: 'admin', max_budget_in_team: 9,
        budget_duration: null, budget_reset_at: null, tpm_limit: null, rpm_limit: 10,
      });
      assert.deepEqual(sorted(t.invalidations.slice(before)), sorted([{ kind: 'team', teamId: 'alpha' }, { kind: 'user', userId: 'worker' }]));
      // worker is now a team admin and may manage the team.
      const demote = await t.call('POST', '/team/member_update', { key: key('worker'), body: { team_id: 'alpha', user_id: 'worker', role: 'user' } });
      assert.equal(demote.status, 200);
      assert.equal((await t.call('POST', '/team/member_update', { body: { team_id: 'alpha', user_id: 'watcher', role: 'user' } })).status, 404);
      const badRole = await t.call('POST', '/team/member_update', { body: { team_id: 'alpha', user_id: 'worker', role: 'boss' } });
      assert.equal(badRole.status, 400);
      assert.equal(badRole.json.error.param, 'role');
    });

    test("members' budget periods: budget_duration on member_add and member_update, the team's team_member_budget_duration, reported by /team/info", async () => {
      const c = t.clock;
      const midnight = (days: number) => new Date(Date.UTC(c.getUTCFullYear(), c.getUTCMonth(), c.getUTCDate() + days)).toISOString();
      const added = await t.call('POST', '/team/member_add', {
        body: { team_id: 'alpha', member: { role: 'user', user_id: 'periodic' }, max_budget_in_team: 2, budget_duration: '1d' },
      });
      assert.equal(added.status, 200, JSON.stringify(added.json));
      assert.equal(added.json.updated_team_memberships[0].budget_duration, '1d');
      assert.equal(added.json.updated_team_memberships[0].budget_reset_at, midnight(1));
      const bad = await t.call('POST', '/team/member_add', { body: { team_id: 'alpha', member: { role: 'user', user_id: 'x1' }, budget_duration: '0d' } });
      assert.equal(bad.status, 400);
      assert.equal(bad.json.error.param, 'budget_duration');

      const updated = await t.call('POST', '/team/member_update', { body: { team_id: 'alpha', user_id: 'periodic', budget_duration: '1mo' } });
      assert.equal(updated.status, 200, JSON.stringify(updated.json));
      assert.equal(updated.json.budget_duration, '1mo');
      assert.equal(updated.json.budget_reset_at, new Date(Date.UTC(c.getUTCFullYear(), c.getUTCMonth() + 1, 1)).toISOString());
      assert.equal(updated.json.max_budget_in_team, 2, 'unchanged');

      const team = await t.call('POST', '/team/update', { key: key('lead'), body: { team_id: 'alpha', team_member_budget: 4, team_member_budget_duration: '7d' } });
      assert.equal(team.status, 200, JSON.stringify(team.json));
      assert.equal(team.json.team_member_budget_duration, '7d');
      const monday = Date.parse(team.json.team_member_budget_reset_at);
      assert.equal(new Date(monday).getUTCDay(), 1);
      assert.ok(monday > c.getTime() && monday <= c.getTime() + 7 * 86_400_000);
      const badTeam = await t.call('POST', '/team/update', { body: { team_id: 'alpha', team_member_budget_duration: 'weekly' } });
      assert.equal(badTeam.json.error.param, 'team_member_budget_duration');

      // A week and a day later: the info routes report the end of the current period of each.
      t.clock = new Date(c.getTime() + 8 * 86_400_000);
      const info = await t.call('GET', '/team/info', { query: { team_id: 'alpha' } });
      assert.equal(info.status, 200);
      assert.equal(info.json.team_info.team_member_budget_reset_at, new Date(monday + 7 * 86_400_000).toISOString());
      const memberships = new Map(info.json.team_memberships.map((m: { user_id: string }) => [m.user_id, m]));
      const periodic = memberships.get('periodic') as any;
      assert.deepEqual(periodic.litellm_budget_table, {
        max_budget: 2, budget_duration: '1mo', budget_reset_at: periodic.budget_reset_at, tpm_limit: null, rpm_limit: null,
      });
      assert.ok(Date.parse(periodic.budget_reset_at) > t.clock.getTime());
      // A member without a budget of its own spends from the team's default, on the team's period.
      const lead = memberships.get('lead') as any;
      assert.deepEqual(lead.litellm_budget_table, {
        max_budget: 4, budget_duration: '7d', budget_reset_at: new Date(monday + 7 * 86_400_000).toISOString(), tpm_limit: null, rpm_limit: null,
      });
      t.clock = c;
      assert.equal((await t.call('POST', '/team/member_update', { body: { team_id: 'alpha', user_id: 'periodic', budget_duration: null } })).json.budget_reset_at, null);
    });

    test("/team/new and /team/update: model_max_budget is checked, and only a proxy admin changes it", async () => {
      const entries = { 'gpt-4o': { budget_limit: 1, time_period: '1d', rpm_limit: 3 } };
      const made = await t.call('POST', '/team/update', { body: { team_id: 'alpha', model_max_budget: entries } });
      assert.equal(made.status, 200, JSON.stringify(made.json));
      assert.deepEqual(made.json.model_max_budget, entries);
      const bad = await t.call('POST', '/team/new', { body: { model_max_budget: { 'gpt-4o': { budget_limit: 1, time_period: 'daily' } } } });
      assert.equal(bad.status, 400);
      assert.equal(bad.json.error.param, 'model_max_budget');
      assert.match(bad.json.error.message, /^"model_max_budget\.gpt-4o" has a time_period/);
      const byLead = await t.call('POST', '/team/update', { key: key('lead'), body: { team_id: 'alpha', model_max_budget: {} } });
      assert.equal(byLead.status, 403);
      assert.equal(byLead.json.error.param, 'model_max_budget');
    });

    test('/team/list: admins and viewers see all, members their own; user_id filter', async () => {
      const all = await t.call('GET', '/team/list');
      assert.equal(all.status, 200);
      assert.ok(Array.isArray(all.json));
      assert.ok(all.json.length >= 2);
      assert.ok(all.json.every((team: { members_with_roles?: unknown[] }) => Array.isArray(team.members_with_roles)));
      assert.equal((await t.call('GET', '/team/list', { key: key('watcher') })).json.length, all.json.length);

      const filtered = await t.call('GET', '/team/list', { query: { user_id: 'lead' } });
      assert.deepEqual(filtered.json.map((team: { team_id: string }) => team.team_id), ['alpha']);
      const own = await t.call('GET', '/team/list', { key: key('worker') });
      assert.deepEqual(own.json.map((team: { team_id: string }) => team.team_id), ['alpha']);
      const viewerOwn = await t.call('GET', '/team/list', { key: key('leadviewer') });
      assert.deepEqual(viewerOwn.json.map((team: { team_id: string }) => team.team_id), ['alpha']);
      assert.equal((await t.call('GET', '/team/list', { key: key('worker'), query: { user_id: 'lead' } })).status, 403);
    });

    test("/team/member_delete: removes the member and that member's keys of the team", async () => {
      const teamKey = hashKey(key('outsider'));
      await t.store.keys.update(teamKey, { team_id: 'alpha' });
      const before = t.invalidations.length;
      const res = await t.call('POST', '/team/member_delete', { key: key('lead'), body: { team_id: 'alpha', user_id: 'outsider' } });
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.ok(!res.json.members_with_roles.some((m: { user_id: string }) => m.user_id === 'outsider'));
      assert.equal(await t.store.teams.membership('alpha', 'outsider'), null);
      assert.equal(await t.store.keys.findByToken(teamKey), null);
      assert.deepEqual(
        sorted(t.invalidations.slice(before)),
        sorted([{ kind: 'team', teamId: 'alpha' }, { kind: 'user', userId: 'outsider' }, { kind: 'key', token: teamKey }]),
      );
      const again = await t.call('POST', '/team/member_delete', { body: { team_id: 'alpha', user_id: 'outsider' } });
      assert.equal(again.status, 404);
      assert.equal((await t.call('POST', '/team/member_delete', { key: key('worker'), body: { team_id: 'alpha', user_id: 'lead' } })).status, 403);
      assert.equal((await t.call('POST', '/team/member_delete', { body: { team_id: 'alpha' } })).json.error.param, 'user_id');
    });

    test('/team/delete: deletes teams, their keys and memberships; invalidates each; 404 when none existed', async () => {
      const teamKey = hashKey(key('worker'));
      await t.store.keys.update(teamKey, { team_id: 'alpha' });
      assert.equal((await t.call('POST', '/team/delete', { key: key('lead'), body: { team_ids: ['alpha'] } })).status, 403);
      const before = t.invalidations.length;
      const res = await t.call('POST', '/team/delete', { body: { team_ids: ['alpha', 'nope'] } });
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.deepEqual(res.json.deleted_teams, ['alpha']);
      assert.equal(await t.store.teams.get('alpha'), null);
      assert.deepEqual(await t.store.teams.teamsOf('lead'), []);
      assert.equal(await t.store.keys.findByToken(teamKey), null);
      assert.equal((await t.call('GET', '/user/info', { key: key('worker') })).status, 401);
      const scopes = sorted(t.invalidations.slice(before));
      assert.ok(scopes.includes(JSON.stringify({ kind: 'team', teamId: 'alpha' })));
      assert.ok(scopes.includes(JSON.stringify({ kind: 'key', token: teamKey })));
      assert.ok(scopes.includes(JSON.stringify({ kind: 'user', userId: 'lead' })));
      assert.equal((await t.call('POST', '/team/delete', { body: { team_ids: ['alpha'] } })).status, 404);
      assert.equal((await t.call('POST', '/team/delete', { body: { team_ids: 'alpha' } })).json.error.param, 'team_ids');
      assert.equal((await t.store.audit.list({ action: 'team.delete', target_id: 'alpha', page: 1, size: 5 })).rows.length, 1);
    });
  });
}
