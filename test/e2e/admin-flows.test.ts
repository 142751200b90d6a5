/**
 * LiteLLM's key-management and model-access flows, over HTTP against a whole gateway, on both
 * store backends, with the official `openai` SDK as the inference client:
 * generate → use → update → block → unblock → regenerate (with and without grace) → delete,
 * expiry, model access by key, team and user, end-user blocking, and persistence of a key across
 * a restart. Raw keys must never reach the store or the log.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import pg from 'pg';
import { MASTER_KEY, openaiConfig, startTestGateway, type TestGateway } from '../support/gateway.js';
import { MockOpenAI, sleep } from '../support/mock-openai.js';
import { postgresSkip, postgresUrl, uniqueSchema, dropSchema } from '../support/postgres.js';

interface Reply {
  status: number;
  json: any;
}

async function admin(gw: TestGateway, method: string, route: string, body?: unknown, key = MASTER_KEY): Promise<Reply> {
  const response = await fetch(`${gw.url}${route}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

function client(gw: TestGateway, key: string): OpenAI {
  return new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
}

/** Status and error type of a chat call made with `key`. */
async function chat(gw: TestGateway, key: string, model = 'gpt-4o', user?: string): Promise<{ status: number; type: string | null }> {
  try {
    await client(gw, key).chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], ...(user ? { user } : {}) });
    return { status: 200, type: null };
  } catch (error) {
    if (error instanceof OpenAI.APIError) return { status: error.status ?? 0, type: (error.error as { type?: string } | undefined)?.type ?? null };
    throw error;
  }
}

const MODELS = { 'gpt-4o': 'gpt-4o-2024-08-06', 'gpt-4o-mini': 'gpt-4o-mini', 'claude-ish': 'other-model' };

for (const backend of ['pglite', 'postgres'] as const) {
  describe(`admin flows over HTTP (${backend})`, async () => {
    const skip = backend === 'postgres' ? await postgresSkip() : false;
    const upstream = new MockOpenAI();
    let gw: TestGateway;
    let schema = '';

    before(async () => {
      if (skip) return;
      const apiBase = await upstream.start();
      schema = uniqueSchema('t_e2e');
      gw = await startTestGateway(openaiConfig(apiBase, MODELS), { store: { backend, schema }, threads: 2 });
    });

    after(async () => {
      if (skip) return;
      await gw.stop();
      await upstream.stop();
    });

    test('generate → use → update → block → unblock → regenerate → delete', { skip }, async () => {
      const generated = await admin(gw, 'POST', '/key/generate', { key_alias: 'flow', models: ['gpt-4o'], metadata: { team: 'x' } });
      assert.equal(generated.status, 200, JSON.stringify(generated.json));
      const key: string = generated.json.key;
      assert.match(key, /^sk-[A-Za-z0-9_-]{43,}$/);
      assert.equal(generated.json.key_name, `sk-...${key.slice(-4)}`);

      assert.equal((await chat(gw, key)).status, 200);
      assert.equal(upstream.lastRequest().headers.authorization, 'Bearer sk-upstream-secret');
      const denied = await chat(gw, key, 'gpt-4o-mini');
      assert.deepEqual(denied, { status: 403, type: 'key_model_access_denied' });

      const updated = await admin(gw, 'POST', '/key/update', { key, models: ['gpt-4o', 'gpt-4o-mini'] });
      assert.equal(updated.status, 200, JSON.stringify(updated.json));
      // The update has reached every thread by the time it answered: no sleep needed.
      for (let i = 0; i < 4; i++) assert.equal((await chat(gw, key, 'gpt-4o-mini')).status, 200);

      assert.equal((await admin(gw, 'POST', '/key/block', { key })).status, 200);
      for (let i = 0; i < 4; i++) assert.deepEqual(await chat(gw, key), { status: 401, type: 'auth_error' });
      assert.equal((await admin(gw, 'POST', '/key/unblock', { key })).status, 200);
      assert.equal((await chat(gw, key)).status, 200);

      // Regenerate without grace: the old key stops at once.
      const regenerated = await admin(gw, 'POST', '/key/regenerate', { key });
      assert.equal(regenerated.status, 200, JSON.stringify(regenerated.json));
      const second: string = regenerated.json.key;
      assert.notEqual(second, key);
      assert.equal((await chat(gw, key)).status, 401);
      assert.equal((await chat(gw, second)).status, 200);

      // Regenerate with a grace period: both work until it ends.
      const graced = await admin(gw, 'POST', `/key/${encodeURIComponent(second)}/regenerate`, { grace_period: '2s' });
      assert.equal(graced.status, 200, JSON.stringify(graced.json));
      const third: string = graced.json.key;
      assert.equal((await chat(gw, second)).status, 200);
      assert.equal((await chat(gw, third)).status, 200);
      await sleep(2100);
      assert.equal((await chat(gw, second)).status, 401);
      assert.equal((await chat(gw, third)).status, 200);

      const deleted = await admin(gw, 'POST', '/key/delete', { keys: [third] });
      assert.equal(deleted.status, 200, JSON.stringify(deleted.json));
      assert.equal((await chat(gw, third)).status, 401);
    });

    test('an expired key is refused with expired_key', { skip }, async () => {
      const { json } = await admin(gw, 'POST', '/key/generate', { duration: '1s' });
      assert.equal((await chat(gw, json.key)).status, 200);
      await sleep(1100);
      assert.deepEqual(await chat(gw, json.key), { status: 401, type: 'expired_key' });
    });

    test('model access by team and by user; blocked team and user', { skip }, async () => {
      const team = await admin(gw, 'POST', '/team/new', { team_alias: 'limited', models: ['gpt-4o'] });
      assert.equal(team.status, 200, JSON.stringify(team.json));
      const teamKey = (await admin(gw, 'POST', '/key/generate', { team_id: team.json.team_id })).json.key;
      assert.equal((await chat(gw, teamKey)).status, 200);
      assert.deepEqual(await chat(gw, teamKey, 'gpt-4o-mini'), { status: 403, type: 'team_model_access_denied' });

      const user = await admin(gw, 'POST', '/user/new', { user_role: 'internal_user', models: ['gpt-4o-mini'] });
      assert.equal(user.status, 200, JSON.stringify(user.json));
      // user/new's own key copies the user's models; a key with no list of its own shows the user's check.
      const userKey: string = (await admin(gw, 'POST', '/key/generate', { user_id: user.json.user_id })).json.key;
      assert.equal((await chat(gw, userKey, 'gpt-4o-mini')).status, 200);
      assert.deepEqual(await chat(gw, userKey, 'gpt-4o'), { status: 403, type: 'user_model_access_denied' });

      assert.equal((await admin(gw, 'POST', '/team/block', { team_id: team.json.team_id })).status, 200);
      assert.deepEqual(await chat(gw, teamKey), { status: 401, type: 'team_blocked' });
      assert.equal((await admin(gw, 'POST', '/team/unblock', { team_id: team.json.team_id })).status, 200);
      assert.equal((await chat(gw, teamKey)).status, 200);

      assert.equal((await admin(gw, 'POST', '/user/update', { user_id: user.json.user_id, blocked: true })).status, 200);
      assert.deepEqual(await chat(gw, userKey, 'gpt-4o-mini'), { status: 403, type: 'user_blocked' });
    });

    test('/v1/models lists what the key may use; /utils/token_counter takes it', { skip }, async () => {
      const { json } = await admin(gw, 'POST', '/key/generate', { models: ['gpt-4o-mini'] });
      const listed = await client(gw, json.key).models.list();
      assert.deepEqual(listed.data.map((m) => m.id), ['gpt-4o-mini']);
      // The token counter takes the same keys.
      const counted = await admin(gw, 'POST', '/utils/token_counter', { model: 'gpt-4o-mini', prompt: 'hello world' }, json.key);
      assert.equal(counted.status, 200, JSON.stringify(counted.json));
      assert.equal(counted.json.total_tokens, 2);
      assert.equal((await admin(gw, 'POST', '/utils/token_counter', { model: 'gpt-4o-mini', prompt: 'x' }, 'sk-not-a-key')).status, 401);
    });

    test('a blocked end user is refused; allowed_ips and allowed_routes are enforced', { skip }, async () => {
      assert.equal((await admin(gw, 'POST', '/customer/new', { user_id: 'end-user-1' })).status, 200);
      assert.equal((await chat(gw, MASTER_KEY, 'gpt-4o', 'end-user-1')).status, 200);
      assert.equal((await admin(gw, 'POST', '/customer/block', { user_ids: ['end-user-1'] })).status, 200);
      assert.deepEqual(await chat(gw, MASTER_KEY, 'gpt-4o', 'end-user-1'), { status: 403, type: 'customer_blocked' });

      const far = (await admin(gw, 'POST', '/key/generate', { allowed_ips: ['10.0.0.0/8'] })).json.key;
      assert.deepEqual(await chat(gw, far), { status: 403, type: 'ip_not_allowed' });
      const near = (await admin(gw, 'POST', '/key/generate', { allowed_ips: ['127.0.0.0/8', '::1'] })).json.key;
      assert.equal((await chat(gw, near)).status, 200);
      const embeddingsOnly = (await admin(gw, 'POST', '/key/generate', { allowed_routes: ['/v1/embeddings'] })).json.key;
      assert.deepEqual(await chat(gw, embeddingsOnly), { status: 403, type: 'route_not_allowed' });
    });

    test('key/info visibility: admin, the key itself, its owner; another user gets 403', { skip }, async () => {
      const owner = (await admin(gw, 'POST', '/user/new', { user_role: 'internal_user' })).json;
      const other = (await admin(gw, 'POST', '/user/new', { user_role: 'internal_user' })).json;
      const ownedKey = (await admin(gw, 'POST', '/key/generate', { user_id: owner.user_id })).json.key;
      const path = `/key/info?key=${encodeURIComponent(ownedKey)}`;
      assert.equal((await admin(gw, 'GET', path)).status, 200);
      assert.equal((await admin(gw, 'GET', path, undefined, ownedKey)).status, 200);
      assert.equal((await admin(gw, 'GET', path, undefined, owner.key)).status, 200);
      const refused = await admin(gw, 'GET', path, undefined, other.key);
      assert.equal(refused.status, 403);
      assert.equal(refused.json.error.type, 'permission_denied');
    });

    test('raw keys are never stored or logged', { skip }, async () => {
      const { json } = await admin(gw, 'POST', '/key/generate', { key_alias: 'secret-check' });
      await chat(gw, json.key);
      await admin(gw, 'POST', '/key/update', { key: json.key, metadata: { note: 'x' } });
      assert.ok(!gw.logs.join('\n').includes(json.key), 'a raw key appears in the log');
      const raw = json.key as string;
      if (backend === 'postgres') {
        const db = new pg.Client({ connectionString: postgresUrl() });
        await db.connect();
        try {
          for (const table of ['keys', 'users', 'audit_log']) {
            const rows = await db.query(`SELECT t::text AS row FROM "${schema}".${table} t`);
            for (const row of rows.rows) assert.ok(!(row.row as string).includes(raw), `raw key found in ${table}`);
          }
        } finally {
          await db.end();
        }
      } else {
        const stored = await gw.control!.store.keys.findByToken(json.token_id);
        assert.ok(stored !== null);
        assert.ok(!JSON.stringify(stored).includes(raw));
        const audit = await gw.control!.store.audit.list({ page: 1, size: 100 });
        assert.ok(!JSON.stringify(audit.rows).includes(raw), 'raw key found in the audit log');
      }
    });
  });
}

describe('persistence across a restart', async () => {
  test('PGlite on disk: a key made before a restart works after it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ailb-pglite-'));
    const upstream = new MockOpenAI();
    const apiBase = await upstream.start();
    try {
      const first = await startTestGateway(openaiConfig(apiBase, MODELS), { store: { backend: 'pglite', pgliteDir: dir } });
      const { json } = await admin(first, 'POST', '/key/generate', { key_alias: 'persisted' });
      await first.stop();
      const second = await startTestGateway(openaiConfig(apiBase, MODELS), { store: { backend: 'pglite', pgliteDir: dir } });
      try {
        assert.equal((await chat(second, json.key)).status, 200);
        const info = await admin(second, 'GET', `/key/info?key=${encodeURIComponent(json.key)}`);
        assert.equal(info.json.info.key_alias, 'persisted');
      } finally {
        await second.stop();
      }
    } finally {
      await upstream.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('PostgreSQL: a key made before a restart works after it', { skip: await postgresSkip() }, async () => {
    const upstream = new MockOpenAI();
    const apiBase = await upstream.start();
    const schema = uniqueSchema('t_restart');
    try {
      const first = await startTestGateway(openaiConfig(apiBase, MODELS), { store: { backend: 'postgres', schema, keep: true } });
      const { json } = await admin(first, 'POST', '/key/generate', {});
      await first.stop();
      const second = await startTestGateway(openaiConfig(apiBase, MODELS), { store: { backend: 'postgres', schema, keep: true } });
      try {
        assert.equal((await chat(second, json.key)).status, 200);
      } finally {
        await second.stop();
      }
    } finally {
      await upstream.stop();
      await dropSchema(schema);
    }
  });
});
