/**
 * Two gateway processes on one PostgreSQL database (one schema of their own): a key made on one
 * works on the other, and a block made on one is enforced by the other within a second (the
 * change travels by PostgreSQL LISTEN/NOTIFY; neither process polls).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startInstance, stopInstance, type Instance } from '../support/instance.js';
import { MockOpenAI, sleep } from '../support/mock-openai.js';
import { dropSchema, postgresSkip, uniqueSchema } from '../support/postgres.js';

const MASTER = 'sk-two-instances-master';

async function post(url: string, body: unknown, key: string): Promise<{ status: number; json: any }> {
  const response = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, json: await response.json() };
}

describe('two gateway processes on one PostgreSQL', { skip: await postgresSkip() }, () => {
  const upstream = new MockOpenAI();
  const schema = uniqueSchema('t_two');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ailb-two-'));
  let a: Instance;
  let b: Instance;

  before(async () => {
    const apiBase = await upstream.start();
    const configPath = path.join(dir, 'config.yaml');
    writeFileSync(
      configPath,
      `model_list:
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, api_base: "${apiBase}", api_key: sk-up }
general_settings: { master_key: ${MASTER} }
ailb_settings: { hot_reload: false }
`,
    );
    // Both start at once: migrations run once, under the advisory lock.
    [a, b] = await Promise.all([startInstance(configPath, schema, path.join(dir, 'a')), startInstance(configPath, schema, path.join(dir, 'b'))]);
  });

  after(async () => {
    await Promise.all([a && stopInstance(a), b && stopInstance(b)]);
    await upstream.stop();
    await dropSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  });

  test('a block on one instance is enforced by the other within 1 s', async (t) => {
    const chat = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] };
    const generated = await post(`${a.url}/key/generate`, { key_alias: 'shared' }, MASTER);
    assert.equal(generated.status, 200, JSON.stringify(generated.json));
    const key: string = generated.json.key;
    // B resolves the key from the store and caches it in its threads.
    for (let i = 0; i < 4; i++) assert.equal((await post(`${b.url}/v1/chat/completions`, chat, key)).status, 200);

    const blocked = await post(`${a.url}/key/block`, { key }, MASTER);
    assert.equal(blocked.status, 200);
    const blockedAt = performance.now();
    let refusedAfterMs = -1;
    while (performance.now() - blockedAt < 3000) {
      // Every call goes to B; with two threads, each thread's cache must have been cleared.
      const statuses = await Promise.all([0, 1, 2, 3].map(() => post(`${b.url}/v1/chat/completions`, chat, key).then((r) => r.status)));
      if (statuses.every((s) => s === 401)) {
        refusedAfterMs = performance.now() - blockedAt;
        break;
      }
      await sleep(10);
    }
    assert.ok(refusedAfterMs >= 0, 'instance B still accepts the blocked key after 3 s');
    assert.ok(refusedAfterMs <= 1000, `instance B took ${refusedAfterMs.toFixed(0)} ms to enforce the block`);

    t.diagnostic(`block on A enforced by B after ${refusedAfterMs.toFixed(1)} ms; ready in ${a.readyMs} / ${b.readyMs} ms`);
    // And back: an unblock on B reaches A.
    assert.equal((await post(`${b.url}/key/unblock`, { key }, MASTER)).status, 200);
    const unblockedAt = performance.now();
    let acceptedAfterMs = -1;
    while (performance.now() - unblockedAt < 3000) {
      if ((await post(`${a.url}/v1/chat/completions`, chat, key)).status === 200) {
        acceptedAfterMs = performance.now() - unblockedAt;
        break;
      }
      await sleep(10);
    }
    assert.ok(acceptedAfterMs >= 0 && acceptedAfterMs <= 1000, `instance A took ${acceptedAfterMs.toFixed(0)} ms to see the unblock`);
    t.diagnostic(`unblock on B seen by A after ${acceptedAfterMs.toFixed(1)} ms`);
  });
});
