import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newCallId } from '../../src/pipeline/call-id.js';

test('call ids are distinct version-4 UUIDs, across refills of the random block', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const id = newCallId();
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    seen.add(id);
  }
  assert.equal(seen.size, 2000);
});

test('every hex digit position varies (no fixed bytes besides version and variant)', () => {
  const ids = Array.from({ length: 512 }, () => newCallId());
  for (let at = 0; at < 36; at++) {
    if ([8, 13, 14, 18, 19, 23].includes(at)) continue; // dashes, version, variant
    assert.ok(new Set(ids.map((id) => id[at])).size > 4, `position ${at} varies`);
  }
});
