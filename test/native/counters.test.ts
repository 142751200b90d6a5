import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';

import {
  CounterError,
  CounterKind,
  CounterStatus,
  CounterStore,
  counterStatusMessage,
  MAX_IDS_PER_RESERVATION,
  SNAPSHOT_STRIDE,
  SnapshotColumn,
  UNLIMITED,
} from '../../src/native/index.js';

// The store is process-wide and node runs each test file in its own process; tests in this
// file share it, so each uses names of its own.
const store = new CounterStore();
// An instant in the middle of an hour, so hour windows do not roll over during a test.
const T0 = Date.UTC(2025, 0, 1, 12, 30);

const ids = (...values: number[]) => Int32Array.from(values);
const amounts = (...values: number[]) => Float64Array.from(values);

function counter(name: string, spec: Parameters<CounterStore['configure']>[1], now = T0): number {
  const id = store.intern(name);
  store.configure(id, spec, now);
  return id;
}

test('interns names to stable ids and back', () => {
  const a = store.intern('intern:key:abc:rpm');
  const b = store.intern('intern:key:abc:tpm');
  assert.notEqual(a, b);
  assert.equal(store.intern('intern:key:abc:rpm'), a);
  assert.equal(store.name(a), 'intern:key:abc:rpm');
  assert.equal(store.intern('intern:ключ:日本'), store.intern('intern:ключ:日本'));
  assert.equal(store.name(store.intern('intern:ключ:日本')), 'intern:ключ:日本');
  assert.equal(store.name(store.size + 10), undefined);
  assert.ok(store.size >= 3);
  assert.throws(() => store.intern(''), (e: unknown) => e instanceof CounterError && e.code === CounterStatus.BadArgument);
  assert.throws(() => store.intern('x'.repeat(1025)), CounterError);
  assert.throws(() => store.intern(5 as unknown as string), TypeError);
});

test('a second CounterStore attaches to the same store; other sizes are refused', () => {
  assert.equal(store.capacity, 1 << 20);
  assert.equal(store.reservationCapacity, 1 << 16);
  const other = new CounterStore({ capacity: 1 << 20, reservations: 1 << 16 });
  assert.equal(other.intern('attach:x'), store.intern('attach:x'));
  assert.throws(
    () => new CounterStore({ capacity: 5 }),
    (e: unknown) => e instanceof CounterError && e.code === CounterStatus.AlreadyOpen,
  );
  assert.throws(() => new CounterStore({ capacty: 5 } as never), /unknown option "capacty"/);
  assert.throws(() => new CounterStore({ capacity: 0 }), RangeError);
});

test('a second copy of the wrapper in one thread fails loudly', async () => {
  const copy = new URL('../../src/native/counters.js?copy', import.meta.url).href;
  await assert.rejects(import(copy), /already registered a scratch/);
});

test('configure validates the spec', () => {
  const id = store.intern('configure:x');
  assert.throws(() => store.configure(id, { kind: 9 as CounterKind.Gauge, limit: 1 }), RangeError);
  assert.throws(() => store.configure(id, { kind: CounterKind.Gauge, limit: -1 }), RangeError);
  assert.throws(() => store.configure(id, { kind: CounterKind.Gauge, limit: 1.5 }), RangeError);
  assert.throws(() => store.configure(id, { kind: CounterKind.FixedWindow, limit: 1 } as never), /windowMs/);
  assert.throws(() => store.configure(id, { kind: CounterKind.Gauge, limit: 1, windowMs: 5 } as never), TypeError);
  assert.throws(() => store.configure(id, { kind: CounterKind.Gauge, limt: 1 } as never), /unknown option "limt"/);
  assert.throws(
    () => store.configure(store.size + 100, { kind: CounterKind.Gauge, limit: 1 }),
    (e: unknown) => e instanceof CounterError && e.code === CounterStatus.UnknownId,
  );
  assert.throws(() => store.info(id), (e: unknown) => e instanceof CounterError && e.code === CounterStatus.NotConfigured);
  assert.equal(store.reserve(ids(id), amounts(1), T0), CounterStatus.NotConfigured);
  store.configure(id, { kind: CounterKind.Accumulator, limit: UNLIMITED });
  assert.equal(store.info(id).limit, UNLIMITED);
});

test('fixed window: epoch-aligned edges, refusal details, retry time', () => {
  const windowStart = Math.floor(T0 / 60_000) * 60_000;
  const id = counter('fixed:rpm', { kind: CounterKind.FixedWindow, limit: 10, windowMs: 60_000 });
  assert.ok(store.reserve(ids(id), amounts(6), windowStart + 5) >= 0);
  assert.equal(store.reserve(ids(id), amounts(5), windowStart + 59_999), CounterStatus.Refused);
  assert.deepEqual({ ...store.refusal }, { index: 0, limit: 10, remaining: 4, retryMs: 1 });
  assert.ok(store.reserve(ids(id), amounts(4), windowStart + 59_999) >= 0);
  assert.deepEqual(store.info(id, windowStart + 59_999), {
    kind: CounterKind.FixedWindow,
    current: 10,
    reserved: 10,
    limit: 10,
    remaining: 0,
    windowMs: 60_000,
    resetMs: 1,
  });
  assert.equal(store.info(id, windowStart + 60_000).current, 0);
  assert.ok(store.reserve(ids(id), amounts(10), windowStart + 60_000) >= 0);
  assert.equal(store.reserve(ids(id), amounts(11), windowStart + 200_000), CounterStatus.Refused);
  assert.equal(store.refusal.retryMs, -1);
});

test('reserve is all or nothing across counters and names the first refusing one', () => {
  const a = counter('aon:a', { kind: CounterKind.FixedWindow, limit: 10, windowMs: 3_600_000 });
  const b = counter('aon:b', { kind: CounterKind.SlidingWindow, limit: 5, windowMs: 3_600_000 });
  const c = counter('aon:c', { kind: CounterKind.Accumulator, limit: 10 });
  const d = counter('aon:d', { kind: CounterKind.Gauge, limit: 1 });
  const all = ids(c, a, b, d);
  assert.equal(store.reserve(all, amounts(3, 3, 6, 1), T0), CounterStatus.Refused);
  assert.equal(store.refusal.index, 2);
  assert.equal(store.refusal.remaining, 5);
  for (const id of [a, b, c, d]) assert.equal(store.info(id, T0).current, 0);
  const handle = store.reserve(all, amounts(3, 3, 5, 1), T0);
  assert.ok(handle >= 0);
  assert.equal(store.reserve(all, amounts(1, 1, 0, 1), T0), CounterStatus.Refused);
  assert.equal(store.refusal.index, 3);
  assert.equal(store.info(c, T0).current, 3);
  assert.equal(store.settle(handle, amounts(2, 7)), CounterStatus.LengthMismatch);
  assert.equal(store.settle(handle, amounts(2, 7, 1, 0.5)), CounterStatus.BadArgument);
  assert.equal(store.settle(handle, amounts(2, 7, 1, 1)), CounterStatus.Ok);
  assert.deepEqual(
    [a, b, c, d].map((id) => store.info(id, T0).current),
    [7, 1, 2, 0],
  );
  assert.equal(store.settle(handle), CounterStatus.UnknownHandle);
  assert.equal(store.release(handle), CounterStatus.UnknownHandle);
});

test('reserve reports argument problems as status codes', () => {
  const a = counter('args:a', { kind: CounterKind.Gauge, limit: 100 });
  assert.equal(store.reserve(ids(a, a), amounts(1, 1), T0), CounterStatus.DuplicateId);
  assert.equal(store.reserve(ids(a, 1 << 30), amounts(1, 1), T0), CounterStatus.UnknownId);
  assert.equal(store.reserve(ids(a), amounts(-1), T0), CounterStatus.BadArgument);
  assert.equal(store.reserve(ids(a), amounts(0.5), T0), CounterStatus.BadArgument);
  assert.equal(store.reserve(ids(a), amounts(NaN), T0), CounterStatus.BadArgument);
  assert.equal(store.reserve(ids(a), amounts(1, 2), T0), CounterStatus.BadArgument);
  assert.equal(store.reserve(ids(), amounts(), T0), CounterStatus.BadArgument);
  assert.equal(store.reserve(ids(a), amounts(1), -1), CounterStatus.BadArgument);
  const many = new Int32Array(MAX_IDS_PER_RESERVATION + 1).map((_, i) => store.intern(`args:many:${i}`));
  assert.equal(store.reserve(many, new Float64Array(many.length), T0), CounterStatus.TooManyIds);
  assert.throws(() => store.reserve(ids(a), amounts(1), 'now' as unknown as number), TypeError);
  assert.throws(() => store.release('1' as unknown as number), TypeError);
  assert.equal(store.settle(0, new Float64Array(MAX_IDS_PER_RESERVATION + 1)), CounterStatus.LengthMismatch);
  assert.equal(store.release(-5), CounterStatus.UnknownHandle);
  assert.equal(store.release(1.5), CounterStatus.UnknownHandle);
  assert.equal(store.info(a, T0).current, 0);
  assert.equal(counterStatusMessage(CounterStatus.ReservationsFull), 'too many open reservations');
});

test('BigInt64Array amounts work like Float64Array ones', () => {
  const budget = counter('bigint:budget', { kind: CounterKind.Accumulator, limit: 5_000_000 });
  const handle = store.reserve(ids(budget), BigInt64Array.of(3_000_000n), T0);
  assert.ok(handle >= 0);
  assert.equal(store.reserve(ids(budget), BigInt64Array.of(-1n), T0), CounterStatus.BadArgument);
  assert.equal(store.settle(handle, BigInt64Array.of(1_234_567n)), CounterStatus.Ok);
  assert.equal(store.info(budget).current, 1_234_567);
});

test('settle over and under, release, and the straddling reservation', () => {
  const hour = Math.floor(T0 / 3_600_000) * 3_600_000;
  const id = counter('settle:tpm', { kind: CounterKind.FixedWindow, limit: 1000, windowMs: 3_600_000 });
  const under = store.reserve(ids(id), amounts(500), hour);
  const over = store.reserve(ids(id), amounts(400), hour);
  const failed = store.reserve(ids(id), amounts(100), hour);
  assert.equal(store.settle(under, amounts(120)), CounterStatus.Ok);
  assert.equal(store.settle(over, amounts(1500)), CounterStatus.Ok); // the work already happened
  assert.equal(store.release(failed), CounterStatus.Ok);
  assert.deepEqual(store.info(id, hour), {
    kind: CounterKind.FixedWindow,
    current: 1620,
    reserved: 0,
    limit: 1000,
    remaining: 0,
    windowMs: 3_600_000,
    resetMs: 3_600_000,
  });
  assert.equal(store.reserve(ids(id), amounts(0), hour), CounterStatus.Refused);
});

test('a reservation straddling a window edge stays with the window it was made in', () => {
  const next = Math.floor(T0 / 3_600_000) * 3_600_000 + 3_600_000;
  const id = counter('straddle:tpm', { kind: CounterKind.FixedWindow, limit: 100, windowMs: 3_600_000 });
  const straddling = store.reserve(ids(id), amounts(60), next - 1);
  assert.ok(straddling >= 0);
  const inNext = store.reserve(ids(id), amounts(100), next + 10); // the next window starts empty
  assert.ok(inNext >= 0);
  assert.equal(store.settle(straddling, amounts(90)), CounterStatus.Ok);
  const info = store.info(id, next + 10);
  assert.equal(info.current, 100);
  assert.equal(info.reserved, 100);
  assert.equal(info.resetMs, 3_600_000 - 10);
  assert.equal(store.settle(inNext, amounts(40)), CounterStatus.Ok);
  assert.equal(store.info(id, next + 10).current, 40);
});

test('sliding window counts 20 sub-buckets plus the current one', () => {
  const start = Math.floor(T0 / 100) * 100;
  const id = counter('sliding:rpm', { kind: CounterKind.SlidingWindow, limit: 10, windowMs: 2000 }, start);
  assert.ok(store.reserve(ids(id), amounts(4), start + 50) >= 0);
  assert.ok(store.reserve(ids(id), amounts(6), start + 1050) >= 0);
  assert.equal(store.reserve(ids(id), amounts(1), start + 1999), CounterStatus.Refused);
  assert.equal(store.refusal.retryMs, 101); // the first sub-bucket expires at start + 2100
  assert.equal(store.info(id, start + 2000).resetMs, 1100);
  assert.equal(store.reserve(ids(id), amounts(1), start + 2099), CounterStatus.Refused);
  assert.ok(store.reserve(ids(id), amounts(4), start + 2100) >= 0);
  assert.equal(store.info(id, start + 3100).current, 4);
  assert.equal(store.info(id, start + 4200).current, 0);
});

test('gauge holds amounts until settle or release', () => {
  const id = counter('gauge:parallel', { kind: CounterKind.Gauge, limit: 2 });
  const a = store.reserve(ids(id), amounts(1));
  const b = store.reserve(ids(id), amounts(1));
  assert.equal(store.reserve(ids(id), amounts(1)), CounterStatus.Refused);
  assert.equal(store.refusal.retryMs, -1);
  assert.equal(store.info(id).current, 2);
  assert.equal(store.settle(a, amounts(50)), CounterStatus.Ok);
  assert.equal(store.info(id).current, 1);
  assert.equal(store.release(b), CounterStatus.Ok);
  assert.equal(store.info(id).current, 0);
  assert.equal(store.info(id).resetMs, -1);
});

test('accumulator counts micro-units and resets at period boundaries', () => {
  const id = counter('budget:team', { kind: CounterKind.Accumulator, limit: 5_000_000 });
  const open = store.reserve(ids(id), amounts(4_000_000));
  assert.equal(store.reserve(ids(id), amounts(1_000_001)), CounterStatus.Refused);
  assert.equal(store.refusal.remaining, 1_000_000);
  store.reset(id);
  assert.equal(store.info(id).current, 0);
  assert.equal(store.settle(open, amounts(4_500_000)), CounterStatus.Ok); // the old period's
  assert.equal(store.info(id).current, 0);
  store.reset(id, 4_999_999); // spend loaded from the store
  assert.ok(store.reserve(ids(id), amounts(1)) >= 0);
  assert.equal(store.reserve(ids(id), amounts(1)), CounterStatus.Refused);
  assert.throws(() => store.reset(id, -1), CounterError);
});

test('changing a limit keeps the current usage', () => {
  const id = counter('limit:change', { kind: CounterKind.FixedWindow, limit: 100, windowMs: 3_600_000 });
  const handle = store.reserve(ids(id), amounts(80), T0);
  store.configure(id, { kind: CounterKind.FixedWindow, limit: 50, windowMs: 3_600_000 }, T0);
  assert.equal(store.info(id, T0).current, 80);
  assert.equal(store.reserve(ids(id), amounts(0), T0), CounterStatus.Refused);
  store.configure(id, { kind: CounterKind.FixedWindow, limit: 200, windowMs: 3_600_000 }, T0);
  assert.equal(store.settle(handle, amounts(30)), CounterStatus.Ok);
  assert.equal(store.info(id, T0).current, 30);
});

test('snapshot lists every configured counter', () => {
  const id = counter('snapshot:x', { kind: CounterKind.Gauge, limit: 7 });
  const handle = store.reserve(ids(id), amounts(3));
  const rows = store.snapshot();
  assert.equal(rows.length % SNAPSHOT_STRIDE, 0);
  let found = false;
  for (let r = 0; r < rows.length; r += SNAPSHOT_STRIDE) {
    assert.ok(rows[r + SnapshotColumn.Kind] >= CounterKind.FixedWindow);
    if (rows[r + SnapshotColumn.Id] !== id) continue;
    found = true;
    assert.deepEqual(Array.from(rows.subarray(r, r + SNAPSHOT_STRIDE)), [id, CounterKind.Gauge, 3, 3, 7, 4, 0, -1]);
  }
  assert.ok(found);
  // Grows past its first array.
  for (let i = 0; i < 100; i++) counter(`snapshot:many:${i}`, { kind: CounterKind.Accumulator, limit: i });
  assert.ok(store.snapshot().length / SNAPSHOT_STRIDE >= 101);
  assert.equal(store.release(handle), CounterStatus.Ok);
});

test('too many open reservations is a status, not a crash', () => {
  const id = counter('capacity:gauge', { kind: CounterKind.Gauge, limit: UNLIMITED });
  const one = ids(id);
  const amount = amounts(1);
  const handles: number[] = [];
  let result = 0;
  while ((result = store.reserve(one, amount)) >= 0) handles.push(result);
  assert.equal(result, CounterStatus.ReservationsFull);
  assert.ok(handles.length > 0 && handles.length <= store.reservationCapacity);
  assert.equal(store.info(id).current, handles.length);
  assert.equal(store.release(handles.pop()!), CounterStatus.Ok);
  const again = store.reserve(one, amount);
  assert.ok(again >= 0);
  handles.push(again);
  for (const handle of handles) assert.equal(store.release(handle), CounterStatus.Ok);
  assert.equal(store.info(id).current, 0);
});

// Worker eval code is CommonJS; the ESM wrapper is loaded with a dynamic import.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.moduleUrl).then(({ CounterStore }) => {
  const { names, exactName, attempts, iterations, now, gaugeMax, seed, workers } = workerData;
  const store = new CounterStore();
  const ids = names.map((name) => store.intern(name));
  const exact = store.intern(exactName);
  const shared = new Int32Array(workerData.shared); // [ready, gauge held, gauge exceeded]

  // Start together: sleep until the last worker is nearly there, then spin, so the race
  // below really interleaves.
  Atomics.add(shared, 0, 1);
  Atomics.notify(shared, 0);
  for (let v; (v = Atomics.load(shared, 0)) < workers - 1; ) Atomics.wait(shared, 0, v, 5);
  while (Atomics.load(shared, 0) < workers) {}

  // 1. Race for a limit: single-unit reservations, kept open until every attempt is made.
  const one = Int32Array.of(exact);
  const unit = Float64Array.of(1);
  const admitted = [];
  for (let k = 0; k < attempts; k++) {
    const handle = store.reserve(one, unit, now);
    if (handle >= 0) admitted.push(handle);
  }
  for (const handle of admitted) store.settle(handle);

  // 2. Random reservations over random subsets, settled with random amounts or released.
  let state = seed >>> 0;
  const random = (n) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n);
  };
  const gauge = names.length - 1;
  const settled = names.map(() => 0);
  const open = [];
  let refusals = 0;
  for (let k = 0; k < iterations; k++) {
    if (open.length < 6 && (open.length === 0 || random(2) === 0)) {
      const order = names.map((_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = random(i + 1);
        [order[i], order[j]] = [order[j], order[i]];
      }
      const which = order.slice(0, 1 + random(order.length));
      const resIds = Int32Array.from(which, (i) => ids[i]);
      const values = which.map((i) => (i === gauge ? 1 : random(1000)));
      const amounts = random(2) ? Float64Array.from(values) : BigInt64Array.from(values, BigInt);
      const handle = store.reserve(resIds, amounts, now);
      if (handle === -1) { refusals++; continue; }
      if (handle < 0) throw new Error('reserve failed: ' + handle);
      const holdsGauge = which.includes(gauge);
      if (holdsGauge && Atomics.add(shared, 1, 1) + 1 > gaugeMax) Atomics.store(shared, 2, 1);
      open.push({ handle, which, holdsGauge });
    } else {
      const o = open.splice(random(open.length), 1)[0];
      if (o.holdsGauge) Atomics.sub(shared, 1, 1);
      if (random(4) === 0) {
        if (store.release(o.handle) !== 0) throw new Error('release failed');
      } else {
        const actual = o.which.map((i) => random(2000));
        o.which.forEach((i, n) => { if (i !== gauge) settled[i] += actual[n]; });
        if (store.settle(o.handle, Float64Array.from(actual)) !== 0) throw new Error('settle failed');
      }
    }
  }
  for (const o of open) {
    if (o.holdsGauge) Atomics.sub(shared, 1, 1);
    store.release(o.handle);
  }
  parentPort.postMessage({ ids, exact, admitted: admitted.length, settled, refusals });
});`;

interface WorkerReport {
  ids: number[];
  exact: number;
  admitted: number;
  settled: number[];
  refusals: number;
}

test('4 worker threads share the counters exactly', async () => {
  const workers = 4;
  const limit = 20_000;
  const gaugeMax = 3;
  const names = ['workers:fixed', 'workers:sliding', 'workers:budget', 'workers:unlimited', 'workers:gauge'];
  const exactName = 'workers:exact';
  const mainIds = names.map((name) => store.intern(name));
  store.configure(mainIds[0], { kind: CounterKind.FixedWindow, limit: UNLIMITED, windowMs: 3_600_000 }, T0);
  store.configure(mainIds[1], { kind: CounterKind.SlidingWindow, limit: UNLIMITED, windowMs: 3_600_000 }, T0);
  // Fills up part-way through the run and refuses from then on.
  store.configure(mainIds[2], { kind: CounterKind.Accumulator, limit: 10_000_000 }, T0);
  store.configure(mainIds[3], { kind: CounterKind.Accumulator, limit: UNLIMITED }, T0);
  store.configure(mainIds[4], { kind: CounterKind.Gauge, limit: gaugeMax }, T0);
  const exact = store.intern(exactName);
  store.configure(exact, { kind: CounterKind.FixedWindow, limit, windowMs: 3_600_000 }, T0);

  const shared = new SharedArrayBuffer(3 * 4);
  const moduleUrl = new URL('../../src/native/index.js', import.meta.url).href;
  const runs = Array.from(
    { length: workers },
    (_, id) =>
      new Promise<WorkerReport>((resolve, reject) => {
        const worker = new Worker(WORKER_SOURCE, {
          eval: true,
          workerData: {
            moduleUrl,
            names,
            exactName,
            attempts: (3 * limit) / workers, // 3N attempts in all for a limit of N
            iterations: 20_000,
            now: T0,
            gaugeMax,
            seed: 1000 + id,
            workers,
            shared,
          },
        });
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.once('exit', (code) => {
          if (code !== 0) reject(new Error(`worker ${id} exited with ${code}`));
        });
      }),
  );
  const reports = await Promise.all(runs);

  for (const report of reports) {
    assert.deepEqual(report.ids, mainIds, 'every thread interns the same ids');
    assert.equal(report.exact, exact);
  }
  assert.equal(
    reports.reduce((sum, r) => sum + r.admitted, 0),
    limit,
    'a limit of N admits exactly N of 3N racing attempts',
  );
  assert.equal(store.info(exact, T0).current, limit);
  for (let i = 0; i < names.length; i++) {
    const want = reports.reduce((sum, r) => sum + r.settled[i], 0);
    const info = store.info(mainIds[i], T0);
    assert.equal(info.current, want, `${names[i]}: total equals what the workers settled`);
    assert.equal(info.reserved, 0, `${names[i]}: nothing left reserved`);
  }
  assert.equal(new Int32Array(shared)[2], 0, 'the gauge never held more than its maximum');
  assert.ok(reports.reduce((sum, r) => sum + r.refusals, 0) > 0, 'some reservations were refused');
  assert.ok(store.info(mainIds[2], T0).current > 0);
});
