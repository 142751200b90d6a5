/**
 * The store's behaviour, written once and run against each backend (pglite.test.ts,
 * postgres.test.ts). Tests share one store per run and use unique ids, so they do not see each
 * other's rows except where a list has no filter (customers, budgets, models: one test each).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { GatewayError } from '../../src/errors.js';
import { AUDIT_LOG } from '../../src/store/audit.js';
import { BUDGETS } from '../../src/store/budgets.js';
import { CUSTOMERS } from '../../src/store/customers.js';
import { KEYS } from '../../src/store/keys.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { MODELS } from '../../src/store/models.js';
import type { SqlClient } from '../../src/store/sql.js';
import type { Table } from '../../src/store/table.js';
import { TEAM_MEMBERS, TEAMS } from '../../src/store/teams.js';
import type { KeyRecord, Store } from '../../src/store/types.js';
import { USERS } from '../../src/store/users.js';
import { auditRecord, budgetRecord, customerRecord, id, keyRecord, memberRecord, modelRecord, T0, teamRecord, userRecord } from './fixtures.js';

export interface SuiteTarget {
  /** Opens the store under test (called once, before the tests). */
  open(): Promise<Store>;
  /** After the store is closed: drop the schema or remove the directory. */
  cleanup(): Promise<void>;
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function isCode(code: string) {
  return (error: unknown) => error instanceof GatewayError && error.code === code;
}

/** ISO time `seconds` from T0. */
function at(seconds: number): string {
  return new Date(Date.parse(T0) + seconds * 1000).toISOString();
}

const TABLES: readonly Table<unknown>[] = [KEYS, USERS, TEAMS, TEAM_MEMBERS, CUSTOMERS, BUDGETS, MODELS, AUDIT_LOG];

/**
 * Checks a migrated schema through raw SQL: every migration recorded exactly once, and each
 * table's columns exactly the fields its repository declares (so types.ts and migrations agree).
 */
export async function checkSchema(sql: SqlClient): Promise<void> {
  const versions = await sql.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
  assert.deepEqual(versions.map((r) => r.version), MIGRATIONS.map((m) => m.version));
  const rows = await sql.query<{ table_name: string; column_name: string }>(
    'SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()',
  );
  for (const table of TABLES) {
    const columns = rows.filter((r) => r.table_name === table.name).map((r) => r.column_name).sort();
    assert.deepEqual(columns, [...table.columns.keys()].sort(), `columns of ${table.name}`);
  }
}

export function storeSuite(target: SuiteTarget): void {
  let store: Store;

  before(async () => {
    store = await target.open();
  });
  after(async () => {
    await store?.close();
    await store?.close(); // idempotent
    await target.cleanup();
  });

  test('ping answers', async () => {
    await store.ping();
  });

  test('keys: a full record round-trips (JSON, arrays, big limits, ISO timestamps)', async () => {
    const record = keyRecord({
      key_alias: id('alias'),
      user_id: 'u1',
      team_id: 't1',
      models: ['gpt-4o', 'openai/*'],
      max_budget: 12.34,
      soft_budget: 0.1,
      budget_duration: '30d',
      budget_reset_at: at(60),
      spend: 1.5e-7,
      tpm_limit: 5_000_000_000,
      rpm_limit: 100,
      max_parallel_requests: 4,
      model_rpm_limit: { 'gpt-4o': 10 },
      model_tpm_limit: { 'gpt-4o': 1000 },
      model_max_budget: { 'gpt-4o': { budget_limit: 1.5, time_period: '1d' } },
      temp_budget_increase: 2.5,
      temp_budget_expiry: at(120),
      metadata: { nested: { list: [1, 'x', null, true] }, 'ü "quoted"': 'ok' },
      tags: ['a,b', 'with "quote"', '{braces}', ''],
      permissions: { get_spend_routes: false },
      allowed_routes: ['/chat/completions'],
      allowed_ips: ['10.0.0.0/8', '::1'],
      aliases: { small: 'gpt-4o-mini' },
      guardrails: ['pii'],
      blocked: true,
      expires: at(3600),
      key_type: 'llm_api',
      auto_rotate: true,
      rotation_interval: '30d',
      key_rotation_at: at(86400),
      last_rotation_at: at(-60),
      rotation_count: 3,
      budget_id: 'b1',
      previous_token: 'f'.repeat(64),
      previous_token_expires: at(30),
      created_by: 'admin',
      updated_by: 'admin',
    });
    assert.deepEqual(await store.keys.insert(record), record);
    const found = await store.keys.findByToken(record.token);
    assert.deepEqual(found, record);
    assert.equal(typeof found!.tpm_limit, 'number');
  });

  test('keys: omitted timestamps default to now() and come back as ISO UTC', async () => {
    const record: Partial<KeyRecord> = keyRecord();
    delete record.created_at;
    delete record.updated_at;
    const before = Date.now();
    const stored = await store.keys.insert(record as KeyRecord);
    assert.match(stored.created_at, ISO);
    assert.match(stored.updated_at, ISO);
    assert.ok(Math.abs(Date.parse(stored.created_at) - before) < 60_000, `${stored.created_at} is about now`);
  });

  test('keys: update sets the given fields and updated_at, and nothing else', async () => {
    const record = await store.keys.insert(keyRecord({ metadata: { a: 1 }, tags: ['x'] }));
    const updated = await store.keys.update(record.token, { spend: 2.5, metadata: { b: [2] }, tags: [], key_alias: null, blocked: true });
    assert.ok(updated);
    assert.deepEqual({ ...updated, updated_at: T0 }, { ...record, spend: 2.5, metadata: { b: [2] }, tags: [], blocked: true });
    assert.match(updated.updated_at, ISO);
    assert.notEqual(updated.updated_at, T0);
    assert.equal(await store.keys.update('no-such-token', { spend: 1 }), null);
  });

  test('keys: update rejects unknown and fixed fields by name', async () => {
    const record = await store.keys.insert(keyRecord());
    await assert.rejects(store.keys.update(record.token, { nope: 1 } as never), /"nope" cannot be changed/);
    await assert.rejects(store.keys.update(record.token, { token: 'x' } as never), /"token" cannot be changed/);
    await assert.rejects(store.keys.update(record.token, { created_at: T0 } as never), /"created_at" cannot be changed/);
    await assert.rejects(store.keys.insert({ ...keyRecord(), 'x; DROP TABLE keys': 1 } as never), /is not a column of keys/);
  });

  test('keys: findByAlias; a taken token or alias is already_exists', async () => {
    const alias = id('alias');
    const record = await store.keys.insert(keyRecord({ key_alias: alias }));
    assert.deepEqual(await store.keys.findByAlias(alias), record);
    assert.equal(await store.keys.findByAlias(id('missing')), null);
    await assert.rejects(store.keys.insert(keyRecord({ token: record.token })), isCode('already_exists'));
    await assert.rejects(store.keys.insert(keyRecord({ key_alias: alias })), isCode('already_exists'));
    // Several keys may have no alias.
    await store.keys.insert(keyRecord());
    await store.keys.insert(keyRecord());
  });

  test('keys: list pages from 1 with a total, filters and sorts', async () => {
    const user = id('user');
    const spends = [5, 1, 4, 2, 3];
    const records = [];
    for (const [i, spend] of spends.entries()) {
      records.push(await store.keys.insert(keyRecord({ user_id: user, spend, key_alias: `${user}-${i}`, created_at: at(i) })));
    }
    await store.keys.insert(keyRecord({ user_id: id('other') }));

    const first = await store.keys.list({ user_id: user, page: 1, size: 2 });
    assert.equal(first.total, 5);
    assert.deepEqual(first.rows.map((r) => r.created_at), [at(4), at(3)]); // default: created_at desc
    const last = await store.keys.list({ user_id: user, page: 3, size: 2 });
    assert.deepEqual(last.rows.map((r) => r.created_at), [at(0)]);
    const beyond = await store.keys.list({ user_id: user, page: 4, size: 2 });
    assert.deepEqual(beyond, { rows: [], total: 5 });

    const bySpend = await store.keys.list({ user_id: user, sort_by: 'spend', sort_order: 'asc', page: 1, size: 10 });
    assert.deepEqual(bySpend.rows.map((r) => r.spend), [1, 2, 3, 4, 5]);
    const byAlias = await store.keys.list({ user_id: user, sort_by: 'key_alias', page: 1, size: 1 });
    assert.equal(byAlias.rows[0].key_alias, `${user}-4`);
    const one = await store.keys.list({ key_alias: `${user}-2`, page: 1, size: 10 });
    assert.deepEqual(one, { rows: [records[2]], total: 1 });

    await assert.rejects(store.keys.list({ sort_by: 'token; DROP TABLE keys', page: 1, size: 1 }), /cannot sort by/);
    await assert.rejects(store.keys.list({ page: 0, size: 1 }), /page must be an integer ≥ 1/);
    await assert.rejects(store.keys.list({ page: 1, size: 0 }), /size must be an integer ≥ 1/);
  });

  test('keys: visible_to is the user\'s own keys or their teams\' keys', async () => {
    const [user, teamA, teamB, team] = [id('user'), id('team'), id('team'), id('team')];
    const own = await store.keys.insert(keyRecord({ user_id: user, created_at: at(1) }));
    const inA = await store.keys.insert(keyRecord({ team_id: teamA, created_at: at(2) }));
    await store.keys.insert(keyRecord({ team_id: teamB }));
    const both = await store.keys.list({ visible_to: { user_id: user, team_ids: [teamA] }, page: 1, size: 10 });
    assert.deepEqual(new Set(both.rows.map((r) => r.token)), new Set([own.token, inA.token]));
    assert.equal(both.total, 2);
    const teamsOnly = await store.keys.list({ visible_to: { user_id: null, team_ids: [teamA] }, page: 1, size: 10 });
    assert.deepEqual(teamsOnly.rows.map((r) => r.token), [inA.token]);
    const nothing = await store.keys.list({ visible_to: { user_id: null, team_ids: [] }, team_id: team, page: 1, size: 10 });
    assert.deepEqual(nothing, { rows: [], total: 0 });
  });

  test('keys: listByUser, listByTeam, delete returns the tokens that existed', async () => {
    const [user, team] = [id('user'), id('team')];
    const a = await store.keys.insert(keyRecord({ user_id: user, created_at: at(1) }));
    const b = await store.keys.insert(keyRecord({ user_id: user, team_id: team, created_at: at(2) }));
    assert.deepEqual(await store.keys.listByUser(user), [a, b]);
    assert.deepEqual(await store.keys.listByTeam(team), [b]);
    assert.deepEqual((await store.keys.delete([a.token, 'missing', b.token])).sort(), [a.token, b.token].sort());
    assert.deepEqual(await store.keys.listByUser(user), []);
    assert.deepEqual(await store.keys.delete([]), []);
  });

  test('keys: rotate with a grace period keeps the old token valid until it ends', async () => {
    const record = await store.keys.insert(keyRecord({ spend: 3, user_id: 'u-rot', rotation_count: 1 }));
    const next = keyRecord().token;
    const graceUntil = at(600);
    const rotated = await store.keys.rotate(record.token, { token: next, key_name: 'sk-...wxyz', graceUntil });
    assert.ok(rotated);
    assert.equal(rotated.token, next);
    assert.equal(rotated.key_name, 'sk-...wxyz');
    assert.equal(rotated.previous_token, record.token);
    assert.equal(rotated.previous_token_expires, graceUntil);
    assert.equal(rotated.rotation_count, 2);
    assert.equal(rotated.spend, 3);
    assert.equal(rotated.user_id, 'u-rot');
    assert.match(rotated.last_rotation_at!, ISO);

    assert.equal((await store.keys.findByToken(next))?.token, next);
    const beforeExpiry = new Date(Date.parse(graceUntil) - 1000);
    assert.equal((await store.keys.findByToken(record.token, beforeExpiry))?.token, next);
    assert.equal(await store.keys.findByToken(record.token, new Date(graceUntil)), null);
    assert.equal(await store.keys.findByToken(record.token, new Date(Date.parse(graceUntil) + 1000)), null);
    assert.equal(await store.keys.update(record.token, { spend: 1 }), null, 'the primary key changed');
  });

  test('keys: rotate without grace drops the old token; applies its patch; rejects patching rotation fields', async () => {
    const record = await store.keys.insert(keyRecord({ previous_token: 'e'.repeat(64), previous_token_expires: at(10) }));
    const next = keyRecord().token;
    const rotated = await store.keys.rotate(record.token, {
      token: next,
      key_name: 'sk-...new1',
      graceUntil: null,
      patch: { key_rotation_at: at(999), metadata: { rotated: true } },
    });
    assert.ok(rotated);
    assert.equal(rotated.previous_token, null);
    assert.equal(rotated.previous_token_expires, null);
    assert.equal(rotated.key_rotation_at, at(999));
    assert.deepEqual(rotated.metadata, { rotated: true });
    assert.equal(await store.keys.findByToken(record.token, new Date(T0)), null);
    assert.equal(await store.keys.rotate('missing', { token: keyRecord().token, key_name: 'x', graceUntil: null }), null);
    await assert.rejects(
      store.keys.rotate(next, { token: keyRecord().token, key_name: 'x', graceUntil: null, patch: { rotation_count: 9 } }),
      /"rotation_count" cannot be changed/,
    );
  });

  test('keys: dueForRotation lists auto-rotating keys due at or before now', async () => {
    const base = Date.parse('2031-06-01T00:00:00.000Z');
    const due = await store.keys.insert(keyRecord({ auto_rotate: true, key_rotation_at: new Date(base - 1000).toISOString() }));
    const exactly = await store.keys.insert(keyRecord({ auto_rotate: true, key_rotation_at: new Date(base).toISOString() }));
    const later = await store.keys.insert(keyRecord({ auto_rotate: true, key_rotation_at: new Date(base + 1000).toISOString() }));
    const manual = await store.keys.insert(keyRecord({ auto_rotate: false, key_rotation_at: new Date(base - 1000).toISOString() }));
    const keys = await store.keys.dueForRotation(new Date(base));
    const tokens = keys.map((k) => k.token);
    assert.ok(tokens.includes(due.token) && tokens.includes(exactly.token));
    assert.ok(!tokens.includes(later.token) && !tokens.includes(manual.token));
    for (const key of keys) assert.ok(key.auto_rotate && Date.parse(key.key_rotation_at!) <= base);
  });

  test('users: insert, get, findByEmail, update, delete, list by role and ids', async () => {
    const email = `${id('e')}@example.com`;
    const admin = await store.users.insert(
      userRecord({ user_email: email, user_role: 'proxy_admin', password_hash: 'scrypt$16384$8$1$salt$hash', models: ['a'], metadata: { k: 'v' }, tpm_limit: 10 }),
    );
    const plain = await store.users.insert(userRecord({ created_at: at(1) }));
    assert.deepEqual(await store.users.get(admin.user_id), admin);
    assert.deepEqual(await store.users.findByEmail(email), admin);
    assert.equal(await store.users.get('missing'), null);
    await assert.rejects(store.users.insert(userRecord({ user_email: email })), isCode('already_exists'));
    await assert.rejects(store.users.insert(userRecord({ user_role: 'root' as never })), /check constraint/);

    const updated = await store.users.update(plain.user_id, { user_alias: 'Plain', spend: 0.25, blocked: true });
    assert.equal(updated?.user_alias, 'Plain');
    assert.equal(updated?.spend, 0.25);
    assert.equal(await store.users.update('missing', { blocked: true }), null);

    const ids = [admin.user_id, plain.user_id];
    assert.deepEqual((await store.users.list({ user_ids: ids, page: 1, size: 10 })).rows.map((u) => u.user_id), ids);
    const admins = await store.users.list({ user_ids: ids, role: 'proxy_admin', page: 1, size: 10 });
    assert.deepEqual(admins, { rows: [admin], total: 1 });
    assert.deepEqual(await store.users.delete([plain.user_id, 'missing']), [plain.user_id]);
    assert.equal(await store.users.get(plain.user_id), null);
  });

  test('teams: members are added, changed, listed and removed; deleting a team removes its memberships', async () => {
    const team = await store.teams.insert(teamRecord({ team_alias: 'Team', models: ['m'], model_aliases: { a: 'b' }, tags: ['t'], team_member_budget: 5 }));
    const other = await store.teams.insert(teamRecord({ created_at: at(1) }));
    assert.deepEqual(await store.teams.get(team.team_id), team);
    const [u1, u2] = [id('user'), id('user')];
    const m1 = await store.teams.addMember(memberRecord(team.team_id, u1, { role: 'admin', created_at: at(1) }));
    await store.teams.addMember(memberRecord(team.team_id, u2, { created_at: at(2) }));
    await store.teams.addMember(memberRecord(other.team_id, u1));
    await assert.rejects(store.teams.addMember(memberRecord(team.team_id, u1)), isCode('already_exists'));
    await assert.rejects(store.teams.addMember(memberRecord('no-such-team', u1)), isCode('record_not_found'));

    assert.deepEqual(await store.teams.membership(team.team_id, u1), m1);
    assert.deepEqual((await store.teams.members(team.team_id)).map((m) => m.user_id), [u1, u2]);
    assert.deepEqual((await store.teams.teamsOf(u1)).map((m) => m.team_id).sort(), [team.team_id, other.team_id].sort());

    const changed = await store.teams.updateMember(team.team_id, u2, { role: 'admin', max_budget: 7.5, spend: 1 });
    assert.equal(changed?.role, 'admin');
    assert.equal(changed?.max_budget, 7.5);
    assert.equal(await store.teams.updateMember(team.team_id, 'missing', { spend: 1 }), null);
    await assert.rejects(store.teams.updateMember(team.team_id, u2, { user_id: 'x' } as never), /"user_id" cannot be changed/);

    const ofU1 = await store.teams.list({ user_id: u1, page: 1, size: 1 });
    assert.equal(ofU1.total, 2);
    assert.equal(ofU1.rows[0].team_id, team.team_id);

    assert.equal(await store.teams.removeMember(team.team_id, u2), true);
    assert.equal(await store.teams.removeMember(team.team_id, u2), false);

    const renamed = await store.teams.update(team.team_id, { team_alias: 'Renamed', blocked: true });
    assert.equal(renamed?.team_alias, 'Renamed');
    assert.deepEqual(await store.teams.delete([team.team_id, 'missing']), [team.team_id]);
    assert.equal(await store.teams.get(team.team_id), null);
    assert.equal(await store.teams.membership(team.team_id, u1), null);
    assert.deepEqual((await store.teams.teamsOf(u1)).map((m) => m.team_id), [other.team_id]);
  });

  test('customers: insert, get, update, delete, list', async () => {
    const rows = [];
    for (let i = 0; i < 3; i++) rows.push(await store.customers.insert(customerRecord({ created_at: at(i), metadata: { i } })));
    assert.deepEqual(await store.customers.get(rows[0].user_id), rows[0]);
    const updated = await store.customers.update(rows[1].user_id, { blocked: true, alias: 'Bob', allowed_model_region: 'eu' });
    assert.equal(updated?.blocked, true);
    assert.equal(updated?.allowed_model_region, 'eu');
    const page = await store.customers.list({ page: 2, size: 2 });
    assert.equal(page.total, 3);
    assert.deepEqual(page.rows, [rows[2]]);
    assert.deepEqual(await store.customers.delete([rows[0].user_id]), [rows[0].user_id]);
    assert.equal(await store.customers.get(rows[0].user_id), null);
    await assert.rejects(store.customers.insert(customerRecord({ user_id: rows[1].user_id })), isCode('already_exists'));
  });

  test('budgets: insert, get, update, delete, list', async () => {
    const budget = await store.budgets.insert(budgetRecord({ max_budget: 10, budget_duration: '1mo', model_max_budget: { m: { budget_limit: 1 } } }));
    assert.deepEqual(await store.budgets.get(budget.budget_id), budget);
    const updated = await store.budgets.update(budget.budget_id, { max_budget: null, rpm_limit: 60 });
    assert.equal(updated?.max_budget, null);
    assert.equal(updated?.rpm_limit, 60);
    assert.deepEqual(await store.budgets.list({ page: 1, size: 10 }), { rows: [updated], total: 1 });
    assert.deepEqual(await store.budgets.delete([budget.budget_id]), [budget.budget_id]);
    assert.deepEqual(await store.budgets.list({ page: 1, size: 10 }), { rows: [], total: 0 });
  });

  test('models: insert, get, update, delete, all', async () => {
    const a = await store.models.insert(modelRecord({ model_info: { id: 'x', mode: 'chat' } }));
    const b = await store.models.insert(modelRecord({ model_name: 'claude', created_at: at(1) }));
    assert.deepEqual(await store.models.get(a.model_id), a);
    assert.deepEqual(await store.models.all(), [a, b]);
    const updated = await store.models.update(a.model_id, { model_name: 'gpt-4o-mini', model_info: {} });
    assert.equal(updated?.model_name, 'gpt-4o-mini');
    assert.deepEqual(updated?.model_info, {});
    await assert.rejects(store.models.update(a.model_id, { created_by: 'x' } as never), /"created_by" cannot be changed/);
    assert.deepEqual(await store.models.delete([a.model_id, b.model_id]), [a.model_id, b.model_id]);
    assert.deepEqual(await store.models.all(), []);
  });

  test('audit: list filters by each field and time range, newest first', async () => {
    const target = id('key');
    const records = [
      auditRecord({ target_id: target, changed_at: at(1), action: 'key.generate', after: { token: '***' } }),
      auditRecord({ target_id: target, changed_at: at(2), action: 'key.update', changed_by: 'u1', before: { a: 1 }, after: { a: 2 } }),
      auditRecord({ target_id: target, changed_at: at(3), action: 'key.delete', changed_by: 'u1', target_type: 'key', changed_by_header: 'ops' }),
      auditRecord({ target_id: id('team'), changed_at: at(4), action: 'team.new', target_type: 'team' }),
    ];
    for (const record of records) assert.equal(await store.audit.insert(record), undefined);
    const all = await store.audit.list({ target_id: target, page: 1, size: 10 });
    assert.equal(all.total, 3);
    assert.deepEqual(all.rows, [records[2], records[1], records[0]]);
    assert.deepEqual((await store.audit.list({ target_id: target, changed_by: 'u1', page: 1, size: 10 })).rows, [records[2], records[1]]);
    assert.deepEqual((await store.audit.list({ target_id: target, action: 'key.update', page: 1, size: 10 })).rows, [records[1]]);
    assert.deepEqual((await store.audit.list({ target_type: 'team', target_id: records[3].target_id, page: 1, size: 10 })).rows, [records[3]]);
    assert.deepEqual((await store.audit.list({ target_id: target, since: at(2), until: at(2), page: 1, size: 10 })).rows, [records[1]]);
    assert.deepEqual((await store.audit.list({ target_id: target, since: at(2), page: 2, size: 1 })).rows, [records[1]]);
  });

  test('transaction: commits when work resolves, rolls back every write when it throws', async () => {
    const user = id('user');
    const result = await store.transaction(async (tx) => {
      await tx.users.insert(userRecord({ user_id: user }));
      await tx.keys.insert(keyRecord({ user_id: user }));
      return 'done';
    });
    assert.equal(result, 'done');
    assert.equal((await store.keys.listByUser(user)).length, 1);

    const rolledBack = id('user');
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.users.insert(userRecord({ user_id: rolledBack }));
        await tx.users.update(user, { blocked: true });
        assert.ok(await tx.users.get(rolledBack), 'visible inside the transaction');
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(await store.users.get(rolledBack), null);
    assert.equal((await store.users.get(user))?.blocked, false);

    // A failed statement inside the transaction rolls back the earlier ones too.
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.users.insert(userRecord({ user_id: rolledBack }));
        await tx.users.insert(userRecord({ user_id: user }));
      }),
      isCode('already_exists'),
    );
    assert.equal(await store.users.get(rolledBack), null);
    await store.ping(); // the store is still usable
  });

  test('notify reaches this store\'s listeners until they stop', async () => {
    const received: string[] = [];
    const stop = await store.listen((payload) => received.push(payload));
    const arrived = waitFor(() => received.includes('two'));
    await store.notify('one');
    await store.notify('two');
    await arrived;
    assert.deepEqual(received, ['one', 'two']);
    await stop();
    await store.notify('three');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(received, ['one', 'two']);
    await assert.rejects(store.notify('x'.repeat(8000)), /payload is 8000 bytes/);
  });
}

/** Resolves when `condition` holds, polling every 5 ms; rejects after `ms`. */
export async function waitFor(condition: () => boolean, ms = 1000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
