import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { KeyDigests } from '../../../src/pipeline/auth/key-digests.js';

const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

test('a digest is the SHA-256 of the key, first time and remembered', () => {
  const digests = new KeyDigests();
  for (const key of ['sk-1234', 'sk-1235', 'sk-ключ-🔑', '', 'sk-' + 'x'.repeat(500)]) {
    assert.equal(digests.of(key), sha256Hex(key), key);
    assert.equal(digests.of(key), sha256Hex(key), `${key} (remembered)`);
  }
});

test('keys that differ anywhere get their own digests', () => {
  const digests = new KeyDigests();
  const base = 'sk-abcdefghijklmnopqrstuvwxyz0123456789';
  const seen = new Set<string>();
  for (let i = 0; i < base.length; i++) {
    const variant = base.slice(0, i) + (base[i] === 'z' ? 'y' : 'z') + base.slice(i + 1);
    assert.equal(digests.of(variant), sha256Hex(variant));
    seen.add(digests.of(variant));
  }
  assert.equal(seen.size, base.length);
  assert.equal(digests.of(base), sha256Hex(base));
});

test('bounded: cleared when full, and still right afterwards', () => {
  const digests = new KeyDigests(3);
  for (let i = 0; i < 10; i++) {
    assert.equal(digests.of(`sk-${i}`), sha256Hex(`sk-${i}`));
    assert.ok(digests.size <= 3, `size ${digests.size} after ${i + 1} keys`);
  }
});
