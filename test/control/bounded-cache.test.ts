import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setBounded } from '../../src/control/bounded-cache.js';

test('a bounded cache drops expired entries first, then the oldest, down to 90%', () => {
  const map = new Map<number, { expiresAt: number }>();
  for (let i = 0; i < 10; i++) setBounded(map, i, { expiresAt: i < 3 ? 50 : 1000 }, 0, 10);
  assert.equal(map.size, 10);
  // At t=100 entries 0..2 have expired: they go first, which is enough.
  setBounded(map, 10, { expiresAt: 1000 }, 100, 10);
  assert.deepEqual([...map.keys()], [3, 4, 5, 6, 7, 8, 9, 10]);
  // Nothing expired: the oldest go, down to 9 entries.
  for (let i = 11; i < 14; i++) setBounded(map, i, { expiresAt: 1000 }, 100, 10);
  assert.equal(map.size, 9);
  assert.deepEqual([...map.keys()], [5, 6, 7, 8, 9, 10, 11, 12, 13]);
});

test('re-setting a key moves it to the newest position', () => {
  const map = new Map<string, { expiresAt: number }>();
  setBounded(map, 'a', { expiresAt: 10 }, 0, 3);
  setBounded(map, 'b', { expiresAt: 10 }, 0, 3);
  setBounded(map, 'a', { expiresAt: 20 }, 0, 3);
  assert.deepEqual([...map.keys()], ['b', 'a']);
  assert.equal(map.get('a')!.expiresAt, 20);
});
