/**
 * Control-plane events over Redis pub/sub between two instances (two separate connections pairs),
 * and a gateway that starts while Redis is down.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { openRedisEvents } from '../../src/control/redis-events.js';
import { createLogger } from '../../src/log.js';
import { redisSkip, redisUrl } from '../support/redis.js';

const quiet = createLogger({ AILB_LOG_LEVEL: 'error' }, () => {});

describe('control-plane events over Redis', { skip: await redisSkip() }, () => {
  test('an event published by one instance reaches the other within a second', async () => {
    const channel = `ailb:test:${randomBytes(6).toString('hex')}`;
    const heardByB: string[] = [];
    const a = openRedisEvents(redisUrl(), channel, quiet, () => {});
    const b = openRedisEvents(redisUrl(), channel, quiet, (payload) => heardByB.push(payload));
    try {
      await Promise.all([a.subscribed, b.subscribed]);
      const sentAt = performance.now();
      await a.publish('{"origin":"a","scope":{"kind":"key","token":"abc"}}');
      while (heardByB.length === 0 && performance.now() - sentAt < 1000) await new Promise((r) => setTimeout(r, 5));
      assert.deepEqual(heardByB, ['{"origin":"a","scope":{"kind":"key","token":"abc"}}']);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

test('Redis down: opening returns at once and publishing fails with an error, not a crash', async () => {
  const warnings: string[] = [];
  const log = createLogger({ AILB_LOG_LEVEL: 'warn' }, (line) => warnings.push(line));
  const startedAt = performance.now();
  // Port 1 on loopback: nothing listens there.
  const events = openRedisEvents('redis://127.0.0.1:1', 'ailb:test:down', log, () => {});
  assert.ok(performance.now() - startedAt < 100, 'opening waited for Redis');
  try {
    await assert.rejects(events.publish('x'));
    assert.ok(warnings.some((line) => line.includes('redis')), 'the failure was not logged');
  } finally {
    await events.close();
  }
});
