import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSecretBox, secretFromEnvironment, SecretBoxError } from '../../src/control/secrets.js';

describe('secret box (AES-256-GCM for stored model credentials)', () => {
  const box = createSecretBox('salt-key-one');

  test('round-trips text, including non-ASCII', () => {
    const plain = JSON.stringify({ model: 'openai/gpt-4o', api_key: 'sk-secret-value-1234', note: 'héllo ✓' });
    const envelope = box.encrypt(plain);
    assert.match(envelope, /^v1:[A-Za-z0-9_-]+$/);
    assert.ok(!envelope.includes('sk-secret-value-1234'));
    assert.equal(box.decrypt(envelope), plain);
    assert.equal(box.decrypt(box.encrypt('')), '');
  });

  test('a fresh IV each time: equal plaintexts give different envelopes', () => {
    const a = box.encrypt('same');
    const b = box.encrypt('same');
    assert.notEqual(a, b);
    const iv = (e: string) => Buffer.from(e.slice(3), 'base64url').subarray(0, 12).toString('hex');
    assert.notEqual(iv(a), iv(b));
    assert.equal(box.decrypt(a), 'same');
    assert.equal(box.decrypt(b), 'same');
  });

  test('a box with the same secret decrypts; one with another secret fails clearly', () => {
    const envelope = box.encrypt('credentials');
    assert.equal(createSecretBox('salt-key-one').decrypt(envelope), 'credentials');
    assert.throws(() => createSecretBox('salt-key-two').decrypt(envelope), (error: unknown) => {
      assert.ok(error instanceof SecretBoxError);
      assert.match(error.message, /cannot decrypt stored model credentials: wrong AILB_SALT_KEY or corrupted data/);
      return true;
    });
  });

  test('tampering with any part of the envelope fails', () => {
    const envelope = box.encrypt('credentials');
    const bytes = Buffer.from(envelope.slice(3), 'base64url');
    for (const at of [0, 12, bytes.length - 1]) {
      const tampered = Buffer.from(bytes);
      tampered[at] ^= 0x01;
      assert.throws(() => box.decrypt('v1:' + tampered.toString('base64url')), SecretBoxError, `byte ${at}`);
    }
    assert.throws(() => box.decrypt('v1:' + bytes.subarray(0, 20).toString('base64url')), SecretBoxError);
    assert.throws(() => box.decrypt('v2:' + bytes.toString('base64url')), /unknown envelope format/);
    assert.throws(() => box.decrypt(bytes.toString('base64')), SecretBoxError);
  });

  test('an empty secret is refused', () => {
    assert.throws(() => createSecretBox(''), /must not be empty/);
  });
});

describe('secretFromEnvironment', () => {
  test('AILB_SALT_KEY, else LITELLM_SALT_KEY, else the master key; empty values are unset', () => {
    assert.equal(secretFromEnvironment({ AILB_SALT_KEY: 'a', LITELLM_SALT_KEY: 'l' }, 'm'), 'a');
    assert.equal(secretFromEnvironment({ AILB_SALT_KEY: '', LITELLM_SALT_KEY: 'l' }, 'm'), 'l');
    assert.equal(secretFromEnvironment({}, 'm'), 'm');
  });

  test('throws a clear error when there is no secret at all', () => {
    assert.throws(() => secretFromEnvironment({ LITELLM_SALT_KEY: '' }, null), /set AILB_SALT_KEY \(or LITELLM_SALT_KEY\), or a master key/);
  });
});
