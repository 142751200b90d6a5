import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isoTime } from '../../src/spend/iso-time.js';
import { seededRandom } from '../support/seeded-random.js';

const builtIn = (ms: number) => new Date(ms).toISOString();

test('equals toISOString for times in and out of order, fractional or not (seeded)', () => {
  const random = seededRandom(20261127);
  const now = Date.UTC(2026, 10, 27, 8, 0, 0);
  for (let i = 0; i < 200_000; i++) {
    // Runs of close times (the cached second reused), jumps, and whole milliseconds.
    const ms = i % 5 === 0 ? Math.floor(random() * 4e12) : now + random() * (i % 3 === 0 ? 3_000 : 86_400_000 * 400);
    assert.equal(isoTime(ms), builtIn(ms), String(ms));
  }
});

test('edges: second and millisecond boundaries, the epoch, year 9999 and beyond, before 1970', () => {
  const cases = [0, 0.999, 1, 9, 10, 99, 100, 999, 999.9999, 1000, 59_999, 60_000, Date.UTC(2026, 0, 1) - 1, Date.UTC(2026, 0, 1),
    Date.UTC(2024, 1, 29, 23, 59, 59, 999), 253402300799999, 253402300799999.5, 253402300800000, 8.64e15, -1, -0.5, -1000.25, -8.64e15];
  for (const ms of cases) assert.equal(isoTime(ms), builtIn(ms), String(ms));
  // The same second again after another one in between (the cache is replaced, then rebuilt).
  for (const ms of [1_700_000_000_123, 1_700_000_001_001, 1_700_000_000_999]) assert.equal(isoTime(ms), builtIn(ms), String(ms));
});

test('NaN and infinities throw as toISOString does', () => {
  for (const ms of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 8.64e15 + 1]) {
    assert.throws(() => isoTime(ms), RangeError, String(ms));
  }
});
