/**
 * RedisCounterStore against a real Redis: the same semantics as the native store (a
 * differential test runs one script of operations on both), exact limits across two
 * connections, leases, TTLs, and failure and recovery with a redis-server of the test's own.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';

import {
  RedisCounterStore,
  RedisUnavailableError,
  type RedisCounterStatus,
  type RedisReservation,
} from '../../src/limits/redis-counters.js';
import { CounterKind, CounterStatus, CounterStore, type CounterSpec } from '../../src/native/index.js';
import { deleteByPrefix, freePort, redisSkip, redisUrl, startRedisServer, uniquePrefix } from '../support/redis.js';
import { seededRandom as random } from '../support/seeded-random.js';

// An instant in the middle of an hour, so minute windows are predictable.
const T0 = Date.UTC(2025, 0, 1, 12, 30);
const quiet = { info: () => undefined, warn: () => undefined };

describe('RedisCounterStore on Redis', { skip: await redisSkip() }, () => {
  const prefix = uniquePrefix('counters');
  let a: RedisCounterStore;
  let b: RedisCounterStore;

  before(async () => {
    // Leases of a day: the differential test moves its clock by hours, and the native store
    // has no leases.
    a = await RedisCounterStore.connect({ url: redisUrl(), keyPrefix: prefix, leaseMs: 86_400_000, logger: quiet });
    b = await RedisCounterStore.connect({ url: redisUrl(), keyPrefix: prefix, leaseMs: 86_400_000, logger: quiet });
  });
  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await deleteByPrefix(prefix);
  });

  test('a fixed window admits up to its limit, refuses with Retry-After, and starts again at the boundary', async () => {
    await a.define('fixed:rpm', { kind: CounterKind.FixedWindow, limit: 3, windowMs: 60_000 }, T0);
    for (let i = 0; i < 3; i++) assert.equal((await a.reserve([{ name: 'fixed:rpm', amount: 1 }], T0 + 1000)).ok, true);
    const refused = await a.reserve([{ name: 'fixed:rpm', amount: 1 }], T0 + 1000);
    assert.deepEqual(refused, {
      ok: false, refusedBy: 'fixed:rpm', index: 0, kind: CounterKind.FixedWindow, limit: 3, current: 3, remaining: 0, retryAfterMs: 59_000,
    });
    assert.deepEqual(await a.snapshot('fixed:rpm', T0 + 1000), {
      kind: CounterKind.FixedWindow, current: 3, reserved: 3, limit: 3, remaining: 0, windowMs: 60_000, resetMs: 59_000,
    });
    assert.equal((await a.reserve([{ name: 'fixed:rpm', amount: 3 }], T0 + 60_000)).ok, true);
  });

  test('all or nothing: a refusal names the first refusing counter and changes none', async () => {
    await a.define('aon:tpm', { kind: CounterKind.SlidingWindow, limit: 100, windowMs: 60_000 }, T0);
    await a.define('aon:budget', { kind: CounterKind.Accumulator, limit: 10 }, T0);
    const result = await a.reserve([{ name: 'aon:tpm', amount: 50 }, { name: 'aon:budget', amount: 11 }], T0);
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.refusedBy, 'aon:budget');
    assert.equal(!result.ok && result.retryAfterMs, -1);
    assert.equal((await a.snapshot('aon:tpm', T0)).current, 0);
    assert.equal((await a.snapshot('aon:budget', T0)).current, 0);
    await assert.rejects(a.reserve([{ name: 'aon:tpm', amount: 1 }, { name: 'aon:tpm', amount: 1 }], T0), /repeated/);
    await assert.rejects(a.reserve([{ name: 'aon:nope', amount: 1 }], T0), /not defined/);
    await assert.rejects(a.reserve([{ name: 'aon:tpm', amount: 1.5 }], T0), RangeError);
  });

  test('settle to smaller and larger actual amounts; release; a second settle is refused', async () => {
    await a.define('settle:tpm', { kind: CounterKind.FixedWindow, limit: 100, windowMs: 60_000 }, T0);
    await a.define('settle:parallel', { kind: CounterKind.Gauge, limit: 2 }, T0);
    await a.define('settle:spend', { kind: CounterKind.Accumulator, limit: 1_000 }, T0);
    const names = ['settle:tpm', 'settle:parallel', 'settle:spend'];
    const reserve = async (tpm: number, spend: number) => {
      const r = await a.reserve([{ name: names[0], amount: tpm }, { name: names[1], amount: 1 }, { name: names[2], amount: spend }], T0);
      assert.ok(r.ok);
      return r.reservation;
    };
    const current = async () => Promise.all(names.map(async (name) => (await a.snapshot(name, T0)).current));

    const smaller = await reserve(40, 400);
    const larger = await reserve(40, 400);
    assert.deepEqual(await current(), [80, 2, 800]);
    assert.equal(await a.settle(smaller, [10, 5, 100]), true); // the gauge gives back 1 whatever actual says
    assert.deepEqual(await current(), [50, 1, 500]);
    assert.equal(await a.settle(larger, [90, 1, 950]), true); // past the limit: the work happened
    assert.deepEqual(await current(), [100, 0, 1050]);
    assert.equal((await a.snapshot('settle:spend', T0)).remaining, 0);
    assert.equal(await a.settle(larger, [1, 1, 1]), false);
    assert.equal(await a.release(larger), false);
    assert.deepEqual(await current(), [100, 0, 1050]);

    await a.reset('settle:spend', 0, T0);
    await a.reset('settle:tpm', 0, T0);
    const failed = await reserve(30, 300);
    assert.equal(await a.release(failed), true);
    assert.deepEqual(await current(), [0, 0, 0]);
    await assert.rejects(a.settle(failed, [1, 2]), RangeError);
  });

  test('a reservation that straddles a window boundary settles into its own window only', async () => {
    await a.define('straddle:fixed', { kind: CounterKind.FixedWindow, limit: 10, windowMs: 60_000 }, T0);
    await a.define('straddle:sliding', { kind: CounterKind.SlidingWindow, limit: 10, windowMs: 60_000 }, T0);
    await b.define('straddle:fixed', { kind: CounterKind.FixedWindow, limit: 10, windowMs: 60_000 }, T0);
    const r = await a.reserve([{ name: 'straddle:fixed', amount: 8 }, { name: 'straddle:sliding', amount: 8 }], T0 + 59_000);
    assert.ok(r.ok);
    const next = T0 + 60_500;
    const fresh = await b.reserve([{ name: 'straddle:fixed', amount: 10 }], next); // the new minute is empty
    assert.ok(fresh.ok);
    assert.equal(await a.settle(r.reservation, [9, 9]), true);
    assert.deepEqual(
      { ...(await a.snapshot('straddle:fixed', next)) },
      { kind: CounterKind.FixedWindow, current: 10, reserved: 10, limit: 10, remaining: 0, windowMs: 60_000, resetMs: 59_500 },
    );
    // The sliding window still holds the old sub-bucket: the settle lands there (8 → 9).
    const sliding = await a.snapshot('straddle:sliding', next);
    assert.equal(sliding.current, 9);
    assert.equal(sliding.reserved, 0);
    // …and it leaves with that sub-bucket, 20 sub-buckets (60 s) after it.
    assert.equal((await a.snapshot('straddle:sliding', T0 + 57_000 + 63_000)).current, 0);
  });

  test('exactness under concurrency: limit N, 3N reserves from two connections, exactly N admitted', async () => {
    const N = 50;
    await a.define('race:rpm', { kind: CounterKind.FixedWindow, limit: N, windowMs: 3_600_000 }, T0);
    await b.define('race:rpm', { kind: CounterKind.FixedWindow, limit: N, windowMs: 3_600_000 }, T0);
    await a.define('race:parallel', { kind: CounterKind.Gauge, limit: 10 }, T0);
    await b.define('race:parallel', { kind: CounterKind.Gauge, limit: 10 }, T0);
    const results = await Promise.all(
      Array.from({ length: 3 * N }, (_, i) => (i % 2 === 0 ? a : b).reserve([{ name: 'race:rpm', amount: 1 }], T0 + i)),
    );
    assert.equal(results.filter((r) => r.ok).length, N);
    assert.equal((await b.snapshot('race:rpm', T0 + 1000)).current, N);

    const gauge = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? a : b).reserve([{ name: 'race:parallel', amount: 1 }], T0)),
    );
    const held = gauge.filter((r) => r.ok).map((r) => (r as { reservation: RedisReservation }).reservation);
    assert.equal(held.length, 10);
    assert.deepEqual(await Promise.all(held.map((r, i) => (i % 2 === 0 ? b : a).release(r))), held.map(() => true));
    assert.equal((await a.snapshot('race:parallel', T0)).current, 0);
  });

  test('a reservation whose lease ran out is released by the next reserve (its instance died)', async () => {
    const prefix2 = uniquePrefix('lease');
    const short = await RedisCounterStore.connect({ url: redisUrl(), keyPrefix: prefix2, leaseMs: 10_000, logger: quiet });
    try {
      await short.define('lease:parallel', { kind: CounterKind.Gauge, limit: 1 }, T0);
      const held = await short.reserve([{ name: 'lease:parallel', amount: 1 }], T0);
      assert.ok(held.ok);
      assert.equal((await short.reserve([{ name: 'lease:parallel', amount: 1 }], T0 + 9_999)).ok, false);
      const after = await short.reserve([{ name: 'lease:parallel', amount: 1 }], T0 + 10_000);
      assert.ok(after.ok);
      assert.equal(await short.settle(held.reservation), false); // already released by the sweep
      assert.equal((await short.snapshot('lease:parallel', T0 + 10_000)).current, 1);
    } finally {
      await short.close();
      await deleteByPrefix(prefix2);
    }
  });

  test('keys expire when idle: windows after 2 windows, gauges after 2 leases; accumulators never', async () => {
    await a.define('ttl:fixed', { kind: CounterKind.FixedWindow, limit: 9, windowMs: 60_000 });
    await a.define('ttl:sliding', { kind: CounterKind.SlidingWindow, limit: 9, windowMs: 60_000 });
    await a.define('ttl:gauge', { kind: CounterKind.Gauge, limit: 9 });
    await a.define('ttl:spend', { kind: CounterKind.Accumulator, limit: 9 });
    const r = await a.reserve(['ttl:fixed', 'ttl:sliding', 'ttl:gauge', 'ttl:spend'].map((name) => ({ name, amount: 1 })));
    assert.ok(r.ok);
    const raw = new Redis(redisUrl());
    try {
      const ttl = (name: string) => raw.pttl(`{${prefix}}:c:${name}`);
      assert.ok((await ttl('ttl:fixed')) > 119_000 && (await ttl('ttl:fixed')) <= 120_000);
      assert.ok((await ttl('ttl:sliding')) > 125_000 && (await ttl('ttl:sliding')) <= 126_000);
      assert.ok((await ttl('ttl:gauge')) > 2 * 86_400_000 - 1_000);
      assert.equal(await ttl('ttl:spend'), -1);
      // A redefinition as a window kind gives the key a TTL; back to an accumulator removes it.
      await a.define('ttl:spend', { kind: CounterKind.FixedWindow, limit: 9, windowMs: 1000 });
      assert.ok((await ttl('ttl:spend')) > 0);
      await a.define('ttl:spend', { kind: CounterKind.Accumulator, limit: 9 });
      assert.equal(await ttl('ttl:spend'), -1);
      // A counter whose key is gone starts again from its spec.
      await raw.del(`{${prefix}}:c:ttl:fixed`);
      assert.equal((await a.snapshot('ttl:fixed')).current, 0);
      assert.ok((await a.reserve([{ name: 'ttl:fixed', amount: 9 }])).ok);
    } finally {
      raw.disconnect();
    }
  });

  test('a spec change applies: new limit keeps usage, new window carries it, new kind starts from zero', async () => {
    await a.define('spec:x', { kind: CounterKind.FixedWindow, limit: 10, windowMs: 60_000 }, T0);
    assert.ok((await a.reserve([{ name: 'spec:x', amount: 6 }], T0)).ok);
    await b.define('spec:x', { kind: CounterKind.FixedWindow, limit: 5, windowMs: 60_000 }, T0);
    assert.deepEqual([(await b.snapshot('spec:x', T0)).current, (await b.snapshot('spec:x', T0)).limit], [6, 5]);
    await b.define('spec:x', { kind: CounterKind.FixedWindow, limit: 20, windowMs: 3_600_000 }, T0);
    assert.equal((await b.snapshot('spec:x', T0)).current, 6);
    await b.define('spec:x', { kind: CounterKind.SlidingWindow, limit: 20, windowMs: 60_000 }, T0);
    assert.equal((await b.snapshot('spec:x', T0)).current, 0);
  });

  test('large amounts stay exact up to 2^53 - 1', async () => {
    const big = Number.MAX_SAFE_INTEGER;
    await a.define('big:spend', { kind: CounterKind.Accumulator, limit: big }, T0);
    const r = await a.reserve([{ name: 'big:spend', amount: big - 1 }], T0);
    assert.ok(r.ok);
    assert.equal((await a.snapshot('big:spend', T0)).current, big - 1);
    assert.equal(await a.settle(r.reservation, [big - 2]), true);
    assert.equal((await a.snapshot('big:spend', T0)).current, big - 2);
    const refused = await a.reserve([{ name: 'big:spend', amount: 3 }], T0);
    assert.deepEqual(!refused.ok && [refused.limit, refused.current, refused.remaining], [big, big - 2, 2]);
  });

  test('differential: the same operations give the same results as the native store', async () => {
    const native = new CounterStore();
    const tag = uniquePrefix('diff');
    const specs: CounterSpec[] = [
      { kind: CounterKind.FixedWindow, limit: 12, windowMs: 60_000 },
      { kind: CounterKind.SlidingWindow, limit: 12, windowMs: 60_000 },
      { kind: CounterKind.SlidingWindow, limit: 9, windowMs: 70_001 }, // 20 does not divide it
      { kind: CounterKind.Gauge, limit: 4 },
      { kind: CounterKind.Accumulator, limit: 60 },
    ];
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const rand = random(seed);
      const int = (n: number) => Math.floor(rand() * n);
      const names = specs.map((_, i) => `${tag}:${seed}:${i}`);
      const ids = names.map((name) => native.intern(name));
      let now = T0 + seed * 3_600_000;
      specs.forEach((spec, i) => native.configure(ids[i], spec, now));
      await Promise.all(specs.flatMap((spec, i) => [a.define(names[i], spec, now), b.define(names[i], spec, now)]));
      const open: { handle: number; reservation: RedisReservation; n: number }[] = [];
      const log: string[] = [];
      for (let step = 0; step < 300; step++) {
        const roll = rand();
        now += roll < 0.05 ? -int(3_000) : roll < 0.15 ? 20_000 + int(70_000) : int(4_000);
        const op = rand();
        let what: string;
        if (op < 0.5 || open.length === 0) {
          const picked = [...names.keys()].sort(() => rand() - 0.5).slice(0, 1 + int(3));
          const amounts = picked.map(() => (rand() < 0.05 ? 20 : int(5)));
          const handle = native.reserve(Int32Array.from(picked, (i) => ids[i]), Float64Array.from(amounts), now);
          const result = await (rand() < 0.5 ? a : b).reserve(picked.map((i, k) => ({ name: names[i], amount: amounts[k] })), now);
          what = `reserve ${picked} ${amounts} -> ${handle}`;
          if (handle >= 0) {
            assert.ok(result.ok, `${what}: redis refused ${JSON.stringify(result)}`);
            open.push({ handle, reservation: result.reservation, n: picked.length });
          } else {
            assert.equal(handle, CounterStatus.Refused);
            assert.ok(!result.ok, `${what}: redis admitted`);
            const r = native.refusal;
            assert.deepEqual(
              [result.index, result.limit, result.remaining, result.retryAfterMs],
              [r.index, r.limit, r.remaining, r.retryMs],
              `${what}: refusal`,
            );
          }
        } else if (op < 0.9) {
          const [entry] = open.splice(int(open.length), 1);
          const kind = rand();
          if (kind < 0.25) {
            what = `release ${entry.handle}`;
            assert.equal(await b.release(entry.reservation), native.release(entry.handle) === CounterStatus.Ok, what);
          } else {
            const actual = kind < 0.4 ? undefined : Array.from({ length: entry.n }, () => int(8));
            what = `settle ${entry.handle} ${actual}`;
            const status = native.settle(entry.handle, actual && Float64Array.from(actual));
            assert.equal(await a.settle(entry.reservation, actual), status === CounterStatus.Ok, what);
          }
          if (rand() < 0.1) {
            // A second close is refused by both.
            assert.equal(native.release(entry.handle), CounterStatus.UnknownHandle);
            assert.equal(await a.release(entry.reservation), false);
          }
        } else if (op < 0.95) {
          const i = int(names.length);
          const used = int(10);
          what = `reset ${i} ${used}`;
          native.reset(ids[i], used, now);
          await b.reset(names[i], used, now);
        } else {
          const i = int(names.length);
          const base = specs[int(specs.length)];
          const spec = { ...base, limit: 1 + int(15) } as CounterSpec;
          what = `define ${i} ${JSON.stringify(spec)}`;
          native.configure(ids[i], spec, now);
          await a.define(names[i], spec, now);
          await b.define(names[i], spec, now);
        }
        log.push(`${now} ${what}`);
        for (let i = 0; i < names.length; i++) {
          const expected = native.info(ids[i], now);
          const actual = await (step % 2 === 0 ? a : b).snapshot(names[i], now);
          assert.deepEqual(actual, expected, `seed ${seed} step ${step} counter ${i} after ${what}\n${log.slice(-40).join('\n')}`);
        }
      }
    }
  });
});

const redisAbsent = await redisSkip();

describe('RedisCounterStore when Redis is away', () => {
  // Needs no Redis at all.
  test('a closed port: connect rejects quickly with RedisUnavailableError; no crash from error events', async () => {
    const port = await freePort();
    const warnings: string[] = [];
    const logger = { info: () => undefined, warn: (message: string) => warnings.push(message) };
    const started = performance.now();
    await assert.rejects(RedisCounterStore.connect({ port, keyPrefix: 'unused', logger }), RedisUnavailableError);
    assert.ok(performance.now() - started < 1_000, 'connect took too long');

    const lazy = await RedisCounterStore.connect({ port, keyPrefix: 'unused', logger, waitForReady: false });
    try {
      await lazy.define('x', { kind: CounterKind.Gauge, limit: 1 }).catch((error: unknown) => {
        assert.ok(error instanceof RedisUnavailableError);
      });
      const t0 = performance.now();
      await assert.rejects(lazy.reserve([{ name: 'x', amount: 1 }]), (error: unknown) => {
        assert.ok(error instanceof RedisUnavailableError);
        assert.equal(error.code, 'REDIS_UNAVAILABLE');
        return true;
      });
      assert.ok(performance.now() - t0 < 200, 'reserve did not fail fast');
      await new Promise((resolve) => setTimeout(resolve, 300)); // a few reconnect attempts
      assert.notEqual(lazy.status, 'ready');
      assert.ok(warnings.length >= 1 && warnings.length <= 3, `one log line per distinct error, got ${warnings.length}`);
    } finally {
      await lazy.close();
    }
    assert.equal(lazy.status, 'closed');
    await assert.rejects(lazy.reserve([{ name: 'x', amount: 1 }]), RedisUnavailableError);
  });

  // Needs the redis-server program, there wherever the test server is.
  test('recovery: Redis stops, calls fail fast; it comes back, the same store works again', { skip: redisAbsent }, async () => {
    const port = await freePort();
    let server = await startRedisServer(port);
    const statuses: RedisCounterStatus[] = [];
    const store = await RedisCounterStore.connect({
      port, keyPrefix: uniquePrefix('recover'), commandTimeoutMs: 300, logger: quiet, onStatusChange: (s) => statuses.push(s),
    });
    try {
      await store.define('recover:rpm', { kind: CounterKind.FixedWindow, limit: 5, windowMs: 60_000 }, T0);
      assert.ok((await store.reserve([{ name: 'recover:rpm', amount: 1 }], T0)).ok);

      await server.stop();
      const t0 = performance.now();
      await assert.rejects(store.reserve([{ name: 'recover:rpm', amount: 1 }], T0), RedisUnavailableError);
      assert.ok(performance.now() - t0 < 500, 'reserve did not fail fast');
      assert.equal(store.status, 'reconnecting');

      server = await startRedisServer(port);
      const deadline = Date.now() + 5_000;
      while ((store.status as RedisCounterStatus) !== 'ready' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(store.status as RedisCounterStatus, 'ready');
      // A fresh server holds neither the counters nor the scripts: the spec travels with the
      // call, and EVALSHA falls back to EVAL on NOSCRIPT.
      const again = await store.reserve([{ name: 'recover:rpm', amount: 5 }], T0);
      assert.ok(again.ok);
      assert.equal((await store.snapshot('recover:rpm', T0)).current, 5);
      const raw = new Redis(server.url);
      await raw.script('FLUSH');
      raw.disconnect();
      assert.equal(await store.settle(again.reservation, [4]), true);
      assert.deepEqual(statuses, ['ready', 'reconnecting', 'ready']);
    } finally {
      await store.close();
      await server.stop();
    }
  });
});
