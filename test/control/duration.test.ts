/**
 * LiteLLM duration strings: parseDuration (shared with budget windows), addDuration's calendar
 * months, and checkDuration's errors naming the field and the value.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addDuration, checkDuration, isDuration, parseDuration } from '../../src/control/duration.js';
import { GatewayError } from '../../src/errors.js';

test('parseDuration splits every unit, with or without a space', () => {
  assert.deepEqual(parseDuration('30s'), { amount: 30, unit: 's' });
  assert.deepEqual(parseDuration('30m'), { amount: 30, unit: 'm' });
  assert.deepEqual(parseDuration('30h'), { amount: 30, unit: 'h' });
  assert.deepEqual(parseDuration('30d'), { amount: 30, unit: 'd' });
  assert.deepEqual(parseDuration('2w'), { amount: 2, unit: 'w' });
  assert.deepEqual(parseDuration('1mo'), { amount: 1, unit: 'mo' });
  assert.deepEqual(parseDuration(' 12 mo '), { amount: 12, unit: 'mo' });
});

test('a bad duration is invalid_body naming the field and the value', () => {
  for (const bad of ['forever', '30', 'mo', '1.5h', '-1d', '30 days', '1M']) {
    assert.equal(isDuration(bad), false, bad);
    assert.throws(() => parseDuration(bad, 'budget_duration'), (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.equal(error.code, 'invalid_body');
      assert.equal(error.param, 'budget_duration');
      assert.equal(error.message, `"budget_duration" must be a duration like "30s", "30m", "30h", "30d", "2w" or "1mo"; got "${bad}".`);
      return true;
    });
  }
  assert.throws(() => checkDuration('soon', 'duration'), /"duration" must be a duration/);
  assert.equal(checkDuration(null, 'duration'), null);
  assert.equal(checkDuration(undefined, 'duration'), undefined);
  assert.equal(checkDuration('1mo', 'duration'), '1mo');
});

test('addDuration: exact lengths, and calendar months that keep the day when they can', () => {
  const from = new Date('2024-01-31T10:00:00Z');
  assert.equal(addDuration(from, '90s').toISOString(), '2024-01-31T10:01:30.000Z');
  assert.equal(addDuration(from, '2w').toISOString(), '2024-02-14T10:00:00.000Z');
  assert.equal(addDuration(from, '1mo').toISOString(), '2024-02-29T10:00:00.000Z', 'leap year');
  assert.equal(addDuration(new Date('2023-01-31T10:00:00Z'), '1mo').toISOString(), '2023-02-28T10:00:00.000Z');
  assert.equal(addDuration(from, '13mo').toISOString(), '2025-02-28T10:00:00.000Z');
  assert.equal(addDuration(new Date('2024-03-15T00:00:00Z'), '1mo').toISOString(), '2024-04-15T00:00:00.000Z');
});
