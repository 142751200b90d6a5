import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newCallId } from '../../src/pipeline/call-id.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The 48-bit Unix time in ms at the front of a version-7 UUID. */
function timeOf(id: string): number {
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

test('call ids are distinct version-7 UUIDs, across refills of the random block', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const id = newCallId();
    assert.match(id, V7);
    seen.add(id);
  }
  assert.equal(seen.size, 2000);
});

test('a call id carries the time it was made, in ms, and sorts after older ids', () => {
  const before = Date.now();
  const id = newCallId();
  const after = Date.now();
  assert.ok(timeOf(id) >= before && timeOf(id) <= after, `${timeOf(id)} within [${before}, ${after}]`);
  // Times that need all 48 bits, and the edges of each byte.
  for (const ms of [0, 1, 0xff, 0x100, 0xffffff, 0x1000000, 1_795_000_000_000, 2 ** 48 - 1]) {
    const given = newCallId(ms);
    assert.match(given, V7);
    assert.equal(timeOf(given), ms, `time ${ms} in ${given}`);
  }
  const older = newCallId(1_795_000_000_000);
  const newer = newCallId(1_795_000_000_001);
  assert.ok(older < newer, `${older} sorts before ${newer}`);
});

test('every random hex digit position varies (no fixed bytes besides time, version and variant)', () => {
  const ids = Array.from({ length: 512 }, () => newCallId(1_795_000_000_000));
  for (let at = 15; at < 36; at++) {
    if ([18, 19, 23].includes(at)) continue; // dash, variant, dash
    assert.ok(new Set(ids.map((id) => id[at])).size > 4, `position ${at} varies`);
  }
});
