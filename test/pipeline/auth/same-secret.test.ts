import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sameSecret } from '../../../src/pipeline/auth/stage.js';

test('sameSecret: true only for the very same string', () => {
  const secret = 'sk-master-0123456789';
  assert.equal(sameSecret(secret, secret), true);
  assert.equal(sameSecret(String(secret), 'sk-master-' + '0123456789'), true);
  for (const other of ['', 'sk-master-012345678', 'sk-master-01234567890', 'sk-master-0123456788', 'Sk-master-0123456789', secret + secret]) {
    assert.equal(sameSecret(other, secret), false, other);
  }
});

test('sameSecret: a key that repeats the secret, or is a prefix of it, is not it', () => {
  // The comparison cycles through the secret; the lengths keep a repetition from passing.
  assert.equal(sameSecret('abcabc', 'abc'), false);
  assert.equal(sameSecret('ab', 'abc'), false);
  assert.equal(sameSecret('abc', 'abcabc'), false);
});

test('sameSecret: an empty secret matches nothing, not even an empty key', () => {
  assert.equal(sameSecret('', ''), false);
  assert.equal(sameSecret('x', ''), false);
});

test('sameSecret: non-ASCII keys compare by code unit', () => {
  assert.equal(sameSecret('clé-é', 'clé-é'), true);
  assert.equal(sameSecret('clé-e', 'clé-é'), false);
  assert.equal(sameSecret('🔑', '🔑'), true);
});
