/**
 * The event-loop thread's key cache: misses ask once per key, hits are served from memory,
 * invalidation drops by key, user, team and previous token, and an answer that was in flight
 * during an invalidation is handed to its waiters but not cached.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toAuthRecord, type AuthRecord } from '../../../src/control/auth-record.js';
import { hashKey, newKeyRecord } from '../../../src/control/key-material.js';
import { ThreadKeyCache, type LookupKind } from '../../../src/pipeline/auth/key-cache.js';
import type { KeyPatch } from '../../../src/store/types.js';

function record(raw: string, fields: KeyPatch = {}): AuthRecord {
  return toAuthRecord(newKeyRecord(raw, new Date(), null, fields), null, null, null);
}

/** A cache whose asks are queued until the test answers them. */
function harness() {
  const asks: { kind: LookupKind; id: string; done: (record: unknown, error: string | null) => void }[] = [];
  const cache = new ThreadKeyCache((kind, id, done) => asks.push({ kind, id, done }));
  return { cache, asks };
}

test('concurrent misses for one key share one ask; later lookups are hits', () => {
  const { cache, asks } = harness();
  const token = hashKey('sk-one');
  const seen: (AuthRecord | null)[] = [];
  cache.fetchKey(token, (entry) => seen.push(entry!.record));
  cache.fetchKey(token, (entry) => seen.push(entry!.record));
  assert.equal(asks.length, 1);
  asks[0].done(record('sk-one'), null);
  assert.equal(seen.length, 2);
  assert.equal(cache.key(token, Date.now())?.record?.key.token, token);
});

test('unknown keys are cached as negative entries; errors are not cached', () => {
  const { cache, asks } = harness();
  cache.fetchKey('aa', () => {});
  asks[0].done(null, null);
  assert.equal(cache.key('aa', Date.now())?.record, null);
  let failure: { entry: unknown; error: string | null } | null = null;
  cache.fetchKey('bb', (entry, error) => (failure = { entry, error }));
  asks[1].done(null, 'store down');
  assert.deepEqual(failure, { entry: null, error: 'store down' });
  assert.equal(cache.key('bb', Date.now()), undefined);
});

test('invalidation by key, previous token, user and team', () => {
  const { cache, asks } = harness();
  const fill = (raw: string, fields: KeyPatch) => {
    cache.fetchKey(hashKey(raw), () => {});
    asks[asks.length - 1].done(record(raw, fields), null);
  };
  fill('sk-a', { user_id: 'u1' });
  fill('sk-b', { team_id: 't1' });
  fill('sk-c', {});
  cache.invalidate({ kind: 'user', userId: 'u1' });
  assert.equal(cache.key(hashKey('sk-a'), Date.now()), undefined);
  assert.notEqual(cache.key(hashKey('sk-b'), Date.now()), undefined);
  cache.invalidate({ kind: 'team', teamId: 't1' });
  assert.equal(cache.key(hashKey('sk-b'), Date.now()), undefined);
  cache.invalidate({ kind: 'key', token: hashKey('sk-c') });
  assert.equal(cache.key(hashKey('sk-c'), Date.now()), undefined);
  // A key cached under its previous token (during a regenerate grace) goes with its new token.
  cache.fetchKey(hashKey('sk-old'), () => {});
  asks[asks.length - 1].done(record('sk-new', { previous_token: hashKey('sk-old') } as KeyPatch), null);
  cache.invalidate({ kind: 'key', token: hashKey('sk-new') });
  assert.equal(cache.key(hashKey('sk-old'), Date.now()), undefined);
});

test('an answer in flight across an invalidation reaches its waiters but is not cached', () => {
  const { cache, asks } = harness();
  const token = hashKey('sk-race');
  let got: AuthRecord | null | undefined;
  cache.fetchKey(token, (entry) => (got = entry?.record));
  cache.invalidate({ kind: 'key', token });
  asks[0].done(record('sk-race'), null);
  assert.equal(got?.key.token, token);
  assert.equal(cache.key(token, Date.now()), undefined);
  // The next miss asks again rather than joining the stale ask.
  cache.fetchKey(token, () => {});
  assert.equal(asks.length, 2);
});

test('allowed_ips compile to an allow list', () => {
  const { cache, asks } = harness();
  const token = hashKey('sk-ip');
  cache.fetchKey(token, () => {});
  asks[0].done(record('sk-ip', { allowed_ips: ['10.0.0.0/8', '::1'] }), null);
  const ips = cache.key(token, Date.now())!.ips!;
  assert.equal(ips.check('10.1.2.3', 'ipv4'), true);
  assert.equal(ips.check('11.1.2.3', 'ipv4'), false);
  assert.equal(ips.check('::1', 'ipv6'), true);
});
