/**
 * The spend report routes on both backends: /spend/logs (rows and daily sums), /global/spend/report
 * (every group_by and filter), /spend/keys, /spend/users, /spend/teams, /spend/calculate and the
 * MarchProxy /v1/{users,teams}/:id/spending routes. Rows go in through the real spend-log writer;
 * every figure is asserted exactly, with the date bounds, paging, 400s naming the parameter, and
 * what each role may see.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ALL_ROUTES } from '../../src/control/handlers/index.js';
import { hashKey } from '../../src/control/key-material.js';
import { SpendLogWriter } from '../../src/spend/log-writer.js';
import { costOf, deploymentPricing } from '../../src/spend/pricing.js';
import type { SpendLogRecord } from '../../src/store/types.js';
import { MASTER_KEY } from '../support/gateway.js';
import { startControlPlane, type TestControlPlane } from '../support/control.js';
import { postgresSkip } from '../support/postgres.js';
import { spendLogRow } from '../spend/fixtures.js';

const pgSkip = await postgresSkip();

const UPSTREAM = 'api_base: "http://127.0.0.1:9/v1", api_key: sk-upstream';
const YAML = `model_list:
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, ${UPSTREAM} }
  - model_name: cheap
    litellm_params: { model: openai/my-cheap-model, ${UPSTREAM} }
    model_info: { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 }
  - model_name: "byo/*"
    litellm_params: { model: "openai/*", ${UPSTREAM} }
  - model_name: unpriced
    litellm_params: { model: hosted_vllm/llama, ${UPSTREAM} }
router_settings:
  model_group_alias: { fast: cheap }
general_settings:
  master_key: ${MASTER_KEY}
`;

const GPT = 'gpt-4o-2024-08-06';
const CHEAP = 'my-cheap-model';

for (const backend of ['pglite', 'postgres'] as const) {
  describe(`spend reports (${backend})`, { skip: backend === 'postgres' ? pgSkip : false }, () => {
    let t: TestControlPlane;
    let spillDir: string;
    /** Raw keys: alice's own (no team), alice's in team-a, bob's in team-b, a key without a user in team-a. */
    const raw = { a1: '', a2: '', b: '', n: '', viewer: '' };
    /** Their digests, as spend_logs stores them. */
    const h = { a1: '', a2: '', b: '', n: '' };
    const rid: Record<string, string> = {};

    before(async () => {
      t = await startControlPlane(backend, ALL_ROUTES, YAML);
      const ok = async (method: 'GET' | 'POST', route: string, body: unknown) => {
        const res = await t.call(method, route, { body });
        assert.equal(res.status, 200, `${route}: ${JSON.stringify(res.json)}`);
        return res.json;
      };
      raw.a2 = (await ok('POST', '/user/new', { user_id: 'alice', user_role: 'internal_user' })).key;
      await ok('POST', '/user/new', { user_id: 'bob', user_role: 'internal_user' });
      raw.viewer = (await ok('POST', '/user/new', { user_id: 'viewer', user_role: 'proxy_admin_viewer' })).key;
      await ok('POST', '/team/new', { team_id: 'team-a', team_alias: 'Alpha', members_with_roles: [{ role: 'admin', user_id: 'alice' }] });
      await ok('POST', '/team/new', { team_id: 'team-b', members_with_roles: [{ role: 'user', user_id: 'bob' }] });
      raw.a1 = (await ok('POST', '/key/generate', { user_id: 'alice', team_id: 'team-a' })).key;
      raw.b = (await ok('POST', '/key/generate', { user_id: 'bob', team_id: 'team-b' })).key;
      raw.n = (await ok('POST', '/key/generate', { team_id: 'team-a' })).key;
      h.a1 = hashKey(raw.a1);
      h.a2 = hashKey(raw.a2);
      h.b = hashKey(raw.b);
      h.n = hashKey(raw.n);

      // Counters the entity lists sort by (the writer does not move them; the budget path does).
      await t.store.keys.update(h.a1, { spend: 3 });
      await t.store.keys.update(h.a2, { spend: 1 });
      await t.store.keys.update(h.b, { spend: 4 });
      await t.store.keys.update(h.n, { spend: 2 });
      await t.store.users.update('alice', { spend: 5 });
      await t.store.users.update('bob', { spend: 7 });
      await t.store.teams.update('team-a', { spend: 3 });
      await t.store.teams.update('team-b', { spend: 4 });

      const who = {
        a1: { api_key: h.a1, user: 'alice', team_id: 'team-a' },
        a2: { api_key: h.a2, user: 'alice', team_id: null },
        b: { api_key: h.b, user: 'bob', team_id: 'team-b' },
        n: { api_key: h.n, user: null, team_id: 'team-a' },
      };
      const gpt = { model: GPT, model_group: 'gpt-4o' };
      const cheap = { model: CHEAP, model_group: 'cheap' };
      const row = (name: string, at: string, key: keyof typeof who, model: typeof gpt, endUser: string | null, spend: number, prompt: number, completion: number): SpendLogRecord => {
        const r = spendLogRow(
          { ...who[key], ...model, end_user: endUser, spend, prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
          new Date(at),
        );
        rid[name] = r.request_id;
        return r;
      };
      const rows = [
        row('R1', '2025-03-01T10:00:00.000Z', 'a1', gpt, 'c1', 0.1, 100, 50),
        row('R2', '2025-03-01T11:00:00.000Z', 'a1', gpt, 'c1', 0.2, 200, 100),
        row('R3', '2025-03-01T12:00:00.000Z', 'b', cheap, 'c2', 0.05, 10, 5),
        row('R4', '2025-03-02T00:00:00.000Z', 'a2', cheap, 'c1', 0.25, 20, 10),
        row('R5', '2025-03-02T23:59:59.999Z', 'b', gpt, 'c2', 1.5, 1000, 500),
        row('R6', '2025-03-04T08:00:00.000Z', 'n', gpt, null, 0.7, 70, 30),
        // Just outside 2025-03-01..2025-03-04 on either side.
        row('R7', '2025-02-28T23:59:59.999Z', 'a1', gpt, 'c1', 10, 1, 1),
        row('R8', '2025-03-05T00:00:00.000Z', 'b', cheap, 'c2', 20, 1, 1),
      ];
      spillDir = mkdtempSync(path.join(os.tmpdir(), 'ailb-spend-reports-'));
      const writer = new SpendLogWriter(t.store, { spillDir, now: () => Date.parse('2025-03-03T12:00:00Z') });
      for (const r of rows) writer.enqueue(r);
      await writer.flush();
      await writer.close();
      assert.equal(writer.stats().flushedRows, rows.length);
    });

    after(async () => {
      await t?.close();
      if (spillDir !== undefined) rmSync(spillDir, { recursive: true, force: true });
    });

    const get = (route: string, query: Record<string, string> = {}, key?: string) => t.call('GET', route, { query, key });
    const ids = (rows: Array<{ request_id: string }>) => rows.map((r) => Object.entries(rid).find(([, id]) => id === r.request_id)?.[0]);
    const range = { start_date: '2025-03-01', end_date: '2025-03-04' };

    test('the rows went into their daily partitions through the writer', async () => {
      const days = (await t.store.spendLogs.partitions()).map((p) => p.day);
      for (const day of ['2025-02-28', '2025-03-01', '2025-03-02', '2025-03-04', '2025-03-05']) assert.ok(days.includes(day), day);
    });

    test('/spend/logs: every row newest first without dates; filters combine; raw keys and digests both work', async () => {
      const all = await get('/spend/logs');
      assert.equal(all.status, 200, JSON.stringify(all.json));
      assert.deepEqual(ids(all.json), ['R8', 'R6', 'R5', 'R4', 'R3', 'R2', 'R1', 'R7']);
      assert.equal(all.json[1].api_key, h.n);
      assert.equal(all.json[1].startTime, '2025-03-04T08:00:00.000Z');
      for (const [query, expected] of [
        [{ user_id: 'alice' }, ['R4', 'R2', 'R1', 'R7']],
        [{ api_key: raw.a1 }, ['R2', 'R1', 'R7']],
        [{ api_key: h.a1 }, ['R2', 'R1', 'R7']],
        [{ team_id: 'team-a' }, ['R6', 'R2', 'R1', 'R7']],
        [{ end_user: 'c2' }, ['R8', 'R5', 'R3']],
        [{ model_group: 'cheap' }, ['R8', 'R4', 'R3']],
        [{ request_id: rid.R5 }, ['R5']],
        [{ user_id: 'alice', model_group: 'cheap' }, ['R4']],
        [{ request_id: 'chatcmpl-none' }, []],
      ] as const) {
        const res = await get('/spend/logs', query);
        assert.equal(res.status, 200, JSON.stringify(res.json));
        assert.deepEqual(ids(res.json), expected, JSON.stringify(query));
      }
    });

    test('/spend/logs: summarize=false keeps the rows of the inclusive day range; one bound alone filters too; paging', async () => {
      const rows = await get('/spend/logs', { ...range, summarize: 'false' });
      assert.deepEqual(ids(rows.json), ['R6', 'R5', 'R4', 'R3', 'R2', 'R1']);
      assert.deepEqual(ids((await get('/spend/logs', { start_date: '2025-03-02' })).json), ['R8', 'R6', 'R5', 'R4']);
      assert.deepEqual(ids((await get('/spend/logs', { end_date: '2025-03-01' })).json), ['R3', 'R2', 'R1', 'R7']);
      assert.deepEqual(ids((await get('/spend/logs', { start_date: '2025-03-02', end_date: '2025-03-02', summarize: 'false' })).json), ['R5', 'R4']);
      assert.deepEqual(ids((await get('/spend/logs', { ...range, summarize: 'false', page: '2', page_size: '2' })).json), ['R4', 'R3']);
      assert.deepEqual(ids((await get('/spend/logs', { ...range, summarize: 'false', page: '4', size: '2' })).json), []);
    });

    test('/spend/logs: with both dates (summarize by default) one entry per day, empty days included, per user, model and key', async () => {
      const res = await get('/spend/logs', range);
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.deepEqual(res.json, [
        { startTime: '2025-03-01', spend: 0.35, users: { alice: 0.3, bob: 0.05 }, models: { [GPT]: 0.3, [CHEAP]: 0.05 }, [h.a1]: 0.3, [h.b]: 0.05 },
        { startTime: '2025-03-02', spend: 1.75, users: { alice: 0.25, bob: 1.5 }, models: { [CHEAP]: 0.25, [GPT]: 1.5 }, [h.a2]: 0.25, [h.b]: 1.5 },
        { startTime: '2025-03-03', spend: 0, users: {}, models: {} },
        { startTime: '2025-03-04', spend: 0.7, users: { null: 0.7 }, models: { [GPT]: 0.7 }, [h.n]: 0.7 },
      ]);
      const filtered = await get('/spend/logs', { ...range, team_id: 'team-b', summarize: 'true' });
      assert.deepEqual(filtered.json.map((d: { spend: number }) => d.spend), [0.05, 1.5, 0, 0]);
    });

    test('/spend/logs: bad dates, ranges and flags are 400s naming the parameter', async () => {
      for (const [query, param] of [
        [{ start_date: '2025-02-30' }, 'start_date'],
        [{ start_date: '03/01/2025' }, 'start_date'],
        [{ end_date: '2025-03-01T00:00:00Z' }, 'end_date'],
        [{ start_date: '2025-03-04', end_date: '2025-03-01' }, 'end_date'],
        [{ start_date: '2000-01-01', end_date: '2025-01-01' }, 'end_date'],
        [{ summarize: 'maybe' }, 'summarize'],
        [{ page: '0' }, 'page'],
        [{ size: '1001' }, 'size'],
      ] as const) {
        const res = await get('/spend/logs', query);
        assert.equal(res.status, 400, JSON.stringify(query));
        assert.equal(res.json.error.param, param, JSON.stringify(res.json));
        assert.equal(res.json.error.type, 'invalid_request_error');
      }
      // A long range is fine for rows; only the per-day summary is bounded.
      assert.equal((await get('/spend/logs', { start_date: '2000-01-01', end_date: '2025-01-01', summarize: 'false' })).status, 200);
    });

    test('/spend/logs: internal users see their own user only; a key without a user its own rows; readers everything', async () => {
      const alice = await get('/spend/logs', {}, raw.a2);
      assert.deepEqual(ids(alice.json), ['R4', 'R2', 'R1', 'R7']);
      assert.deepEqual(ids((await get('/spend/logs', { user_id: 'alice', team_id: 'team-a' }, raw.a1)).json), ['R2', 'R1', 'R7']);
      const summary = await get('/spend/logs', range, raw.a1);
      assert.deepEqual(summary.json.map((d: { spend: number }) => d.spend), [0.3, 0.25, 0, 0]);
      const other = await get('/spend/logs', { user_id: 'bob' }, raw.a1);
      assert.equal(other.status, 403);
      assert.equal(other.json.error.param, 'user_id');

      assert.deepEqual(ids((await get('/spend/logs', {}, raw.n)).json), ['R6']);
      assert.equal((await get('/spend/logs', { api_key: raw.a1 }, raw.n)).json.error.param, 'api_key');
      assert.equal((await get('/spend/logs', { user_id: 'alice' }, raw.n)).status, 403);

      assert.equal((await get('/spend/logs', {}, raw.viewer)).json.length, 8);
    });

    test('/global/spend/report: daily per team by default (alias, else the id; rows without a team are "Unassigned Team")', async () => {
      const res = await get('/global/spend/report', range);
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.deepEqual(res.json, [
        {
          group_by_day: '2025-03-01T00:00:00+00:00',
          teams: [
            { team_name: 'Alpha', team_id: 'team-a', total_spend: 0.3, metadata: [{ model: GPT, api_key: h.a1, spend: 0.3, total_tokens: 450 }] },
            { team_name: 'team-b', team_id: 'team-b', total_spend: 0.05, metadata: [{ model: CHEAP, api_key: h.b, spend: 0.05, total_tokens: 15 }] },
          ],
        },
        {
          group_by_day: '2025-03-02T00:00:00+00:00',
          teams: [
            { team_name: 'team-b', team_id: 'team-b', total_spend: 1.5, metadata: [{ model: GPT, api_key: h.b, spend: 1.5, total_tokens: 1500 }] },
            { team_name: 'Unassigned Team', team_id: null, total_spend: 0.25, metadata: [{ model: CHEAP, api_key: h.a2, spend: 0.25, total_tokens: 30 }] },
          ],
        },
        {
          group_by_day: '2025-03-04T00:00:00+00:00',
          teams: [{ team_name: 'Alpha', team_id: 'team-a', total_spend: 0.7, metadata: [{ model: GPT, api_key: h.n, spend: 0.7, total_tokens: 100 }] }],
        },
      ]);
      const teamB = await get('/global/spend/report', { ...range, group_by: 'team', team_id: 'team-b' });
      assert.deepEqual(teamB.json.map((d: { teams: Array<{ total_spend: number }> }) => d.teams.map((x) => x.total_spend)), [[0.05], [1.5]]);
    });

    test('/global/spend/report: group_by customer and model; team_id with customer_id', async () => {
      const customers = await get('/global/spend/report', { ...range, group_by: 'customer' });
      assert.deepEqual(
        customers.json.map((d: { group_by_day: string; customers: Array<{ customer: string | null; total_spend: number }> }) => [d.group_by_day.slice(0, 10), d.customers.map((c) => [c.customer, c.total_spend])]),
        [
          ['2025-03-01', [['c1', 0.3], ['c2', 0.05]]],
          ['2025-03-02', [['c2', 1.5], ['c1', 0.25]]],
          ['2025-03-04', [[null, 0.7]]],
        ],
      );
      assert.deepEqual(customers.json[0].customers[0].metadata, [{ model: GPT, api_key: h.a1, spend: 0.3, total_tokens: 450 }]);

      const models = await get('/global/spend/report', { ...range, group_by: 'model' });
      assert.deepEqual(
        models.json.map((d: { models: Array<{ model_group: string; total_spend: number; metadata: unknown[] }> }) => d.models.map((m) => [m.model_group, m.total_spend, m.metadata.length])),
        [[['gpt-4o', 0.3, 1], ['cheap', 0.05, 1]], [['gpt-4o', 1.5, 1], ['cheap', 0.25, 1]], [['gpt-4o', 0.7, 1]]],
      );

      const both = await get('/global/spend/report', { ...range, team_id: 'team-a', customer_id: 'c1' });
      assert.deepEqual(both.json, [
        {
          group_by_day: '2025-03-01T00:00:00+00:00',
          teams_customers: [{ team_name: 'Alpha', team_id: 'team-a', customer: 'c1', total_spend: 0.3, metadata: [{ model: GPT, api_key: h.a1, spend: 0.3, total_tokens: 450 }] }],
        },
      ]);
    });

    test('/global/spend/report: per key (group_by=api_key, or api_key / internal_user_id named), highest cost first', async () => {
      const res = await get('/global/spend/report', { ...range, group_by: 'api_key' });
      assert.deepEqual(res.json, [
        {
          api_key: h.b, total_cost: 1.55, total_input_tokens: 1010, total_output_tokens: 505,
          model_details: [
            { model: GPT, total_cost: 1.5, total_input_tokens: 1000, total_output_tokens: 500 },
            { model: CHEAP, total_cost: 0.05, total_input_tokens: 10, total_output_tokens: 5 },
          ],
        },
        { api_key: h.n, total_cost: 0.7, total_input_tokens: 70, total_output_tokens: 30, model_details: [{ model: GPT, total_cost: 0.7, total_input_tokens: 70, total_output_tokens: 30 }] },
        { api_key: h.a1, total_cost: 0.3, total_input_tokens: 300, total_output_tokens: 150, model_details: [{ model: GPT, total_cost: 0.3, total_input_tokens: 300, total_output_tokens: 150 }] },
        { api_key: h.a2, total_cost: 0.25, total_input_tokens: 20, total_output_tokens: 10, model_details: [{ model: CHEAP, total_cost: 0.25, total_input_tokens: 20, total_output_tokens: 10 }] },
      ]);
      const byKey = await get('/global/spend/report', { ...range, api_key: raw.a1 });
      assert.deepEqual(byKey.json.map((k: { api_key: string; total_cost: number }) => [k.api_key, k.total_cost]), [[h.a1, 0.3]]);
      const byUser = await get('/global/spend/report', { start_date: '2025-02-28', end_date: '2025-03-04', internal_user_id: 'alice' });
      assert.deepEqual(byUser.json.map((k: { api_key: string; total_cost: number }) => [k.api_key, k.total_cost]), [[h.a1, 10.3], [h.a2, 0.25]]);
    });

    test('/global/spend/report: dates are required and checked, group_by is closed; readers only', async () => {
      for (const [query, param] of [
        [{ end_date: '2025-03-04' }, 'start_date'],
        [{ start_date: '2025-03-01' }, 'end_date'],
        [{ ...range, start_date: '2025-13-01' }, 'start_date'],
        [{ start_date: '2025-03-04', end_date: '2025-03-03' }, 'end_date'],
        [{ ...range, group_by: 'user' }, 'group_by'],
      ] as const) {
        const res = await get('/global/spend/report', query);
        assert.equal(res.status, 400, JSON.stringify(query));
        assert.equal(res.json.error.param, param);
      }
      assert.deepEqual(await get('/global/spend/report', { start_date: '2024-01-01', end_date: '2024-01-31' }).then((r) => r.json), []);
      assert.equal((await get('/global/spend/report', range, raw.viewer)).status, 200);
      assert.equal((await get('/global/spend/report', range, raw.a1)).status, 403);
      assert.equal((await get('/global/spend/report', range, raw.n)).status, 403);
    });

    test('/spend/keys: keys by spend; non-admins see the keys /key/list shows them', async () => {
      const all = await get('/spend/keys');
      assert.equal(all.status, 200);
      assert.deepEqual(all.json.map((k: { token: string; spend: number }) => [k.token, k.spend]).slice(0, 4), [[h.b, 4], [h.a1, 3], [h.n, 2], [h.a2, 1]]);
      assert.equal(all.json.length, 6, 'the four keys and the two login keys made by /user/new for bob and viewer');
      assert.ok(all.json.every((k: object) => !('previous_token' in k)));
      // alice: her keys, and the keys of team-a, which she administers.
      assert.deepEqual((await get('/spend/keys', {}, raw.a2)).json.map((k: { token: string }) => k.token), [h.a1, h.n, h.a2]);
      assert.deepEqual((await get('/spend/keys', {}, raw.n)).json.map((k: { token: string }) => k.token), [h.n]);
      assert.deepEqual((await get('/spend/keys', { page: '2', size: '2' })).json.map((k: { token: string }) => k.token), [h.n, h.a2]);
    });

    test('/spend/users and /spend/teams: by spend; one by id; non-admins only their own', async () => {
      const users = await get('/spend/users');
      assert.deepEqual(users.json.map((u: { user_id: string; spend: number }) => [u.user_id, u.spend]), [['bob', 7], ['alice', 5], ['viewer', 0]]);
      assert.ok(users.json.every((u: object) => !('password_hash' in u)));
      assert.deepEqual((await get('/spend/users', { user_id: 'alice' })).json.map((u: { user_id: string }) => u.user_id), ['alice']);
      assert.equal((await get('/spend/users', { user_id: 'nobody' })).status, 404);
      assert.deepEqual((await get('/spend/users', {}, raw.a1)).json.map((u: { user_id: string }) => u.user_id), ['alice']);
      const other = await get('/spend/users', { user_id: 'bob' }, raw.a1);
      assert.equal(other.status, 403);
      assert.equal(other.json.error.param, 'user_id');
      assert.deepEqual((await get('/spend/users', {}, raw.n)).json, []);

      const teams = await get('/spend/teams');
      assert.deepEqual(teams.json.map((x: { team_id: string; spend: number }) => [x.team_id, x.spend]), [['team-b', 4], ['team-a', 3]]);
      assert.deepEqual((await get('/spend/teams', { team_id: 'team-a' })).json.map((x: { team_alias: string }) => x.team_alias), ['Alpha']);
      assert.equal((await get('/spend/teams', { team_id: 'team-x' })).status, 404);
      assert.deepEqual((await get('/spend/teams', {}, raw.a1)).json.map((x: { team_id: string }) => x.team_id), ['team-a']);
      assert.deepEqual((await get('/spend/teams', {}, raw.n)).json.map((x: { team_id: string }) => x.team_id), ['team-a']);
      assert.equal((await get('/spend/teams', { team_id: 'team-b' }, raw.a1)).status, 403);
      assert.deepEqual((await get('/spend/teams', {}, raw.viewer)).json.length, 2);
    });

    test('/v1/users/:user_id/spending: totals, per model group and per day from the spend logs; start/end optional', async () => {
      const res = await get('/v1/users/alice/spending');
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.deepEqual(res.json, {
        user_id: 'alice', start_date: null, end_date: null,
        spend: 10.55, requests: 4, prompt_tokens: 321, completion_tokens: 161, total_tokens: 482,
        by_model: [
          { model: 'gpt-4o', spend: 10.3, requests: 3, prompt_tokens: 301, completion_tokens: 151, total_tokens: 452 },
          { model: 'cheap', spend: 0.25, requests: 1, prompt_tokens: 20, completion_tokens: 10, total_tokens: 30 },
        ],
        by_day: [
          { date: '2025-02-28', spend: 10, requests: 1, prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
          { date: '2025-03-01', spend: 0.3, requests: 2, prompt_tokens: 300, completion_tokens: 150, total_tokens: 450 },
          { date: '2025-03-02', spend: 0.25, requests: 1, prompt_tokens: 20, completion_tokens: 10, total_tokens: 30 },
        ],
      });
      const from = await get('/v1/users/alice/spending', { start_date: '2025-03-01' });
      assert.deepEqual([from.json.start_date, from.json.end_date, from.json.spend, from.json.by_day.length], ['2025-03-01', null, 0.55, 2]);
      const oneDay = await get('/v1/users/alice/spending', { start_date: '2025-03-01', end_date: '2025-03-01' });
      assert.deepEqual([oneDay.json.spend, oneDay.json.requests, oneDay.json.by_model.map((m: { model: string }) => m.model)], [0.3, 2, ['gpt-4o']]);
      const none = await get('/v1/users/viewer/spending');
      assert.deepEqual([none.json.spend, none.json.requests, none.json.by_model, none.json.by_day], [0, 0, [], []]);

      assert.equal((await get('/v1/users/alice/spending', {}, raw.a1)).status, 200);
      const other = await get('/v1/users/bob/spending', {}, raw.a1);
      assert.equal(other.status, 403);
      assert.equal(other.json.error.param, 'user_id');
      assert.equal((await get('/v1/users/nobody/spending')).status, 404);
      assert.equal((await get('/v1/users/alice/spending', { end_date: '2025-3-1' })).json.error.param, 'end_date');
    });

    test('/v1/teams/:team_id/spending: the team\'s rows; members and the team\'s keys may read it', async () => {
      const res = await get('/v1/teams/team-a/spending', range);
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.deepEqual(res.json, {
        team_id: 'team-a', start_date: '2025-03-01', end_date: '2025-03-04',
        spend: 1, requests: 3, prompt_tokens: 370, completion_tokens: 180, total_tokens: 550,
        by_model: [{ model: 'gpt-4o', spend: 1, requests: 3, prompt_tokens: 370, completion_tokens: 180, total_tokens: 550 }],
        by_day: [
          { date: '2025-03-01', spend: 0.3, requests: 2, prompt_tokens: 300, completion_tokens: 150, total_tokens: 450 },
          { date: '2025-03-04', spend: 0.7, requests: 1, prompt_tokens: 70, completion_tokens: 30, total_tokens: 100 },
        ],
      });
      assert.equal((await get('/v1/teams/team-a/spending')).json.spend, 11);
      assert.equal((await get('/v1/teams/team-a/spending', {}, raw.a2)).status, 200);
      assert.equal((await get('/v1/teams/team-a/spending', {}, raw.n)).status, 200);
      assert.equal((await get('/v1/teams/team-a/spending', {}, raw.b)).status, 403);
      assert.equal((await get('/v1/teams/team-x/spending')).status, 404);
      assert.equal((await get('/v1/teams/team-x/spending', {}, raw.b)).status, 403, 'permission before existence');
    });

    test('/spend/calculate: model + messages prices the prompt; completion_response prices a finished call', async () => {
      const calc = (body: unknown, key?: string) => t.call('POST', '/spend/calculate', { body, key });
      const messages = [{ role: 'user', content: 'hello world' }];
      const prompt = await calc({ model: 'cheap', messages });
      assert.equal(prompt.status, 200, JSON.stringify(prompt.json));
      // 3 per message + "user" (1) + "hello world" (2) + 3 for the reply, at 1e-6 per input token.
      assert.deepEqual(prompt.json, { cost: 0.000009, model: CHEAP, prompt_tokens: 9, completion_tokens: 0, tokens_estimated: true, pricing: 'model_info' });
      assert.equal((await calc({ model: 'fast', messages })).json.cost, 0.000009, 'through model_group_alias');

      const usage = { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 };
      const after = await calc({ completion_response: { id: 'chatcmpl-1', object: 'chat.completion', model: CHEAP, choices: [], usage } });
      assert.equal(after.status, 200, JSON.stringify(after.json));
      assert.equal(after.json.cost, 0.002);
      assert.deepEqual([after.json.prompt_tokens, after.json.completion_tokens], [1000, 500]);
      assert.equal((await calc({ model: 'cheap', completion_response: { usage } })).json.cost, 0.002);

      const genai = deploymentPricing({ provider: 'openai', upstreamModel: 'gpt-4o', modelInfo: {} });
      const expected = costOf(genai, { promptTokens: 1000, completionTokens: 500 }, t.clock.getTime());
      assert.ok(expected !== null && expected > 0);
      const gpt = await calc({ model: 'gpt-4o', completion_response: { usage } });
      assert.deepEqual([gpt.json.cost, gpt.json.pricing], [expected, genai.label]);
      assert.equal((await calc({ completion_response: { model: 'openai/gpt-4o', usage } })).json.cost, expected, 'provider/model from genai-prices');
      const wildcard = await calc({ model: 'byo/gpt-4o', completion_response: { usage } });
      assert.deepEqual([wildcard.json.cost, wildcard.json.model], [expected, 'gpt-4o']);
      assert.equal((await calc({ model: 'cheap', messages }, raw.n)).status, 200, 'any role may price a call');
    });

    test('/spend/calculate: 400s name the parameter (unknown or unpriced model, missing inputs)', async () => {
      for (const [body, param, type] of [
        [{ model: 'no-such-model', messages: [] }, 'model', 'invalid_request_error'],
        [{ model: 'unpriced', messages: [] }, 'model', 'invalid_request_error'],
        [{ model: 'cheap' }, 'messages', 'invalid_request_error'],
        [{ model: 'cheap', messages: 'hello' }, 'messages', 'invalid_request_error'],
        [{}, 'model', 'invalid_request_error'],
        [{ completion_response: { usage: { prompt_tokens: 1 } } }, 'completion_response.model', 'invalid_request_error'],
        [{ completion_response: { model: 'nope/unknown', usage: { prompt_tokens: 1 } } }, 'completion_response.model', 'invalid_request_error'],
        [{ completion_response: { model: CHEAP } }, 'completion_response.usage', 'invalid_request_error'],
        [{ completion_response: 'x' }, 'completion_response', 'invalid_request_error'],
      ] as const) {
        const res = await t.call('POST', '/spend/calculate', { body });
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.json.error.param, param, JSON.stringify(res.json));
        assert.equal(res.json.error.type, type);
      }
    });
  });
}

