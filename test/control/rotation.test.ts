/**
 * The auto-rotate job over a real store, on PGlite and on PostgreSQL: due keys get a new digest
 * with no grace period and their next rotation scheduled, the old key stops authenticating, the
 * new raw key goes only to the onRotated hook, and each rotation is audited and invalidated.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { KEY_ROUTES } from '../../src/control/handlers/keys.js';
import { hashKey } from '../../src/control/key-material.js';
import { startRotationJob } from '../../src/control/rotation.js';
import type { InvalidationScope } from '../../src/control/types.js';
import { createLogger } from '../../src/log.js';
import type { KeyRecord } from '../../src/store/types.js';
import { startControlPlane, type TestControlPlane } from '../support/control.js';
import { postgresSkip } from '../support/postgres.js';

const DAY = 86_400_000;
const quietLog = createLogger({ AILB_LOG_LEVEL: 'error' }, () => {});

const pgSkip = await postgresSkip();

for (const backend of ['pglite', 'postgres'] as const) {
  describe(`key rotation job (${backend})`, { skip: backend === 'postgres' && pgSkip }, () => {
    let t: TestControlPlane;

    async function generate(body: object): Promise<any> {
      const response = await t.call('POST', '/key/generate', { body });
      assert.equal(response.status, 200, JSON.stringify(response.json));
      return response.json;
    }

    before(async () => {
      t = await startControlPlane(backend, KEY_ROUTES);
    });
    after(async () => {
      await t?.close();
    });

    test('rotates due keys only, schedules the next rotation, audits and invalidates', async () => {
      const start = t.clock;
      const invalidated: InvalidationScope[] = [];
      const handed: Array<{ raw: string; record: KeyRecord }> = [];
      const job = startRotationJob({
        store: t.store,
        intervalMs: 3_600_000,
        log: quietLog,
        now: () => t.clock,
        invalidate: async (scope) => {
          invalidated.push(scope);
        },
        onRotated: (raw, record) => {
          handed.push({ raw, record });
        },
      });
      try {
        const rotating = await generate({ key_alias: 'rotating', auto_rotate: true, rotation_interval: '1d', max_budget: 7 });
        const still = await generate({ key_alias: 'still' });
        assert.deepEqual(await job.runOnce(), [], 'nothing is due yet');

        t.clock = new Date(start.getTime() + DAY + 1000);
        const rotated = await job.runOnce();
        assert.equal(rotated.length, 1);
        assert.equal(handed.length, 1);
        const { raw, record } = handed[0];
        assert.match(raw, /^sk-/);
        assert.equal(record.token, hashKey(raw));
        assert.equal(record.key_name, `sk-...${raw.slice(-4)}`);
        assert.equal(record.key_alias, 'rotating');
        assert.equal(record.max_budget, 7);
        assert.equal(record.rotation_count, 1);
        assert.equal(record.previous_token, null, 'no grace period');
        assert.equal(Date.parse(record.key_rotation_at!), t.clock.getTime() + DAY);
        assert.deepEqual(invalidated, [{ kind: 'key', token: rotating.token }]);

        const old = await t.call('GET', '/key/info', { key: rotating.key });
        assert.equal(old.status, 401);
        const fresh = await t.call('GET', '/key/info', { key: raw });
        assert.equal(fresh.status, 200);
        assert.equal(fresh.json.info.auto_rotate, true);
        assert.equal((await t.call('GET', '/key/info', { key: still.key })).status, 200, 'keys without auto_rotate are left alone');

        const audit = (await t.store.audit.list({ action: 'key.auto_rotate', page: 1, size: 10 })).rows;
        assert.equal(audit.length, 1);
        assert.equal(audit[0].changed_by, 'system');
        assert.equal(audit[0].target_id, record.token);
        assert.equal((audit[0].before as any).token, rotating.token);
        assert.ok(!JSON.stringify(audit).includes(raw), 'the audit row holds no raw key');
        assert.ok(!JSON.stringify(await t.store.keys.findByToken(record.token)).includes(raw));

        // Not due again until one more interval has passed.
        assert.deepEqual(await job.runOnce(), []);
        t.clock = new Date(start.getTime() + 2 * DAY + 2000);
        assert.equal((await job.runOnce()).length, 1);
        assert.equal(handed[1].record.rotation_count, 2);
        assert.equal((await t.call('GET', '/key/info', { key: raw })).status, 401);
      } finally {
        await job.stop();
        t.clock = start;
      }
    });

    test('the timer runs the job every intervalMs until stopped', async () => {
      const start = t.clock;
      const made = await generate({ auto_rotate: true, rotation_interval: '30m' });
      t.clock = new Date(start.getTime() + 31 * 60_000);
      let resolveRotated!: (record: KeyRecord) => void;
      const rotatedOnce = new Promise<KeyRecord>((resolve) => {
        resolveRotated = resolve;
      });
      const job = startRotationJob({
        store: t.store,
        intervalMs: 20,
        log: quietLog,
        now: () => t.clock,
        invalidate: async () => {},
        onRotated: (_raw, record) => resolveRotated(record),
      });
      try {
        const record = await rotatedOnce;
        assert.notEqual(record.token, made.token);
        assert.equal(record.rotation_count, 1);
      } finally {
        await job.stop();
        t.clock = start;
      }
    });

    test('a failing onRotated hook does not undo the rotation', async () => {
      const start = t.clock;
      const made = await generate({ key_alias: 'hook-fails', auto_rotate: true, rotation_interval: '1h' });
      t.clock = new Date(start.getTime() + 2 * 3_600_000);
      const job = startRotationJob({
        store: t.store,
        intervalMs: 3_600_000,
        log: quietLog,
        now: () => t.clock,
        invalidate: async () => {},
        onRotated: () => {
          throw new Error('secret manager down');
        },
      });
      try {
        const rotated = await job.runOnce();
        assert.ok(rotated.some((r) => r.key_alias === 'hook-fails' && r.token !== made.token));
        assert.equal(await t.store.keys.findByToken(made.token, t.clock), null);
      } finally {
        await job.stop();
        t.clock = start;
      }
    });
  });
}
