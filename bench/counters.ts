// Micro-benchmark: the native counter store against the JavaScript one would write instead.
//
//   node dist/bench/counters.js
//
// One operation is what a request does: reserve against 4 counters (fixed window, sliding
// window, gauge, accumulator; all or nothing) and settle the reservation with other amounts.
// Contenders, all with the same semantics (epoch-aligned windows, a 21-slot sliding ring,
// handles settled later):
//   native                 CounterStore (src/native/counters.ts), shared by every thread
//   JS Atomics + SAB       counters in a SharedArrayBuffer, a spinlock per counter taken with
//                          Atomics.compareExchange in id order: how one would share exact
//                          counters between worker threads in JavaScript
//   JS Map                 a Map of counter objects keyed by name and a reservation object
//                          per request: single-threaded only, it cannot be shared
// Each trial runs in a fresh child process whose worker threads (1 or 2) hammer the same 4
// counters; the child's main thread times rounds and the table shows the median total
// operations per second. Prints a markdown table to stdout.

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isMainThread, Worker, workerData } from 'node:worker_threads';

import { CounterKind, CounterStore, UNLIMITED } from '../src/native/index.js';

const ROUNDS = 9;
const ROUND_MS = 200;
const WARMUP_MS = 400;
const BATCH = 256; // operations between looks at the clock and the round number
const START_MS = Date.UTC(2025, 0, 1, 12, 0);

const METHODS = ['native', 'JS Atomics + SAB', 'JS Map'] as const;
type Method = (typeof METHODS)[number];

const NAMES = ['bench:key:rpm', 'bench:key:tpm', 'bench:key:parallel', 'bench:team:budget'];
const KINDS = [CounterKind.FixedWindow, CounterKind.SlidingWindow, CounterKind.Gauge, CounterKind.Accumulator];
const WINDOWS = [60_000, 60_000, 0, 0];
const RESERVE = [1, 1500, 1, 2500];
const ACTUAL = [1, 640, 1, 1800];

// ---- JS with Atomics over a SharedArrayBuffer --------------------------------------------

const SLOTS = 21;
const SLIDING_BUCKETS = 20;
// Float64 fields of a counter; the first 8 bytes hold the Int32 lock word.
const F_KIND = 1;
const F_LIMIT = 2;
const F_BUCKET_MS = 3;
const F_HEAD = 4;
const F_CURRENT = 5;
const F_RESERVED = 6;
const F_RING = 8;
const STRIDE = 64; // 512 bytes per counter: no two counters share a cache line
const MAX_IDS = 32;
const RECORD = 1 + 3 * MAX_IDS;
const POOL = 1024;

function bucketMs(kind: number, windowMs: number): number {
  return kind === CounterKind.FixedWindow ? windowMs : kind === CounterKind.SlidingWindow ? Math.ceil(windowMs / SLIDING_BUCKETS) : 0;
}

/** Shared counters over a SharedArrayBuffer; reservations are kept by the reserving thread. */
class AtomicsCounters {
  private readonly f64: Float64Array;
  private readonly i32: Int32Array;
  private readonly order = new Int32Array(MAX_IDS);
  private readonly records = new Float64Array(POOL * RECORD);
  private readonly free = new Int32Array(POOL);
  private freeTop = POOL;

  constructor(buffer: SharedArrayBuffer) {
    this.f64 = new Float64Array(buffer);
    this.i32 = new Int32Array(buffer);
    for (let i = 0; i < POOL; i++) this.free[i] = POOL - 1 - i;
  }

  static create(count: number): SharedArrayBuffer {
    return new SharedArrayBuffer(count * STRIDE * 8);
  }

  configure(id: number, kind: number, limit: number, windowMs: number, now: number): void {
    const base = id * STRIDE;
    const f = this.f64;
    f[base + F_KIND] = kind;
    f[base + F_LIMIT] = limit;
    f[base + F_BUCKET_MS] = bucketMs(kind, windowMs);
    f[base + F_HEAD] = f[base + F_BUCKET_MS] === 0 ? 0 : Math.floor(now / f[base + F_BUCKET_MS]);
  }

  private lock(id: number): void {
    const index = id * STRIDE * 2;
    while (Atomics.compareExchange(this.i32, index, 0, 1) !== 0) {
      // spin: the holder is a few hundred nanoseconds from releasing
    }
  }

  private unlock(id: number): void {
    Atomics.store(this.i32, id * STRIDE * 2, 0);
  }

  private advance(base: number, now: number): void {
    const f = this.f64;
    const ms = f[base + F_BUCKET_MS];
    if (ms === 0) return;
    const bucket = Math.floor(now / ms);
    const head = f[base + F_HEAD];
    if (bucket <= head) return;
    if (f[base + F_KIND] === CounterKind.SlidingWindow && bucket - head < SLOTS) {
      for (let b = head + 1; b <= bucket; b++) {
        const s = base + F_RING + (b % SLOTS) * 2;
        f[base + F_CURRENT] -= f[s];
        f[base + F_RESERVED] -= f[s + 1];
        f[s] = 0;
        f[s + 1] = 0;
      }
    } else {
      f[base + F_CURRENT] = 0;
      f[base + F_RESERVED] = 0;
      f.fill(0, base + F_RING, base + F_RING + 2 * SLOTS);
    }
    f[base + F_HEAD] = bucket;
  }

  /** A handle >= 0, -1 when refused, -2 when out of reservation records. */
  reserve(ids: Int32Array, amounts: Float64Array, now: number): number {
    const n = ids.length;
    const order = this.order;
    for (let i = 0; i < n; i++) {
      let j = i;
      for (; j > 0 && ids[order[j - 1]] > ids[i]; j--) order[j] = order[j - 1];
      order[j] = i;
    }
    for (let k = 0; k < n; k++) this.lock(ids[order[k]]);
    const f = this.f64;
    let result = 0;
    for (let i = 0; i < n; i++) {
      const base = ids[i] * STRIDE;
      this.advance(base, now);
      if (f[base + F_CURRENT] + amounts[i] > f[base + F_LIMIT]) {
        result = -1;
        break;
      }
    }
    if (result === 0 && this.freeTop === 0) result = -2;
    if (result === 0) {
      const slot = this.free[--this.freeTop];
      const record = slot * RECORD;
      this.records[record] = n;
      for (let i = 0; i < n; i++) {
        const base = ids[i] * STRIDE;
        const amount = amounts[i];
        const head = f[base + F_HEAD];
        if (f[base + F_KIND] === CounterKind.SlidingWindow) {
          const s = base + F_RING + (head % SLOTS) * 2;
          f[s] += amount;
          f[s + 1] += amount;
        }
        f[base + F_CURRENT] += amount;
        f[base + F_RESERVED] += amount;
        const e = record + 1 + 3 * i;
        this.records[e] = ids[i];
        this.records[e + 1] = head;
        this.records[e + 2] = amount;
      }
      result = slot;
    }
    for (let k = 0; k < n; k++) this.unlock(ids[order[k]]);
    return result;
  }

  settle(handle: number, actual: Float64Array): void {
    const f = this.f64;
    const record = handle * RECORD;
    const n = this.records[record];
    for (let i = 0; i < n; i++) {
      const e = record + 1 + 3 * i;
      const id = this.records[e];
      const bucket = this.records[e + 1];
      const amount = this.records[e + 2];
      const base = id * STRIDE;
      this.lock(id);
      const kind = f[base + F_KIND];
      const head = f[base + F_HEAD];
      const live =
        kind === CounterKind.FixedWindow ? bucket === head : kind === CounterKind.SlidingWindow ? head - bucket < SLOTS : true;
      if (live) {
        const kept = kind === CounterKind.Gauge ? 0 : actual[i];
        if (kind === CounterKind.SlidingWindow) {
          const s = base + F_RING + (bucket % SLOTS) * 2;
          f[s] += kept - amount;
          f[s + 1] -= amount;
        }
        f[base + F_CURRENT] += kept - amount;
        f[base + F_RESERVED] -= amount;
      }
      this.unlock(id);
    }
    this.free[this.freeTop++] = handle;
  }
}

// ---- plain single-threaded JS --------------------------------------------------------------

interface JsCounter {
  kind: number;
  limit: number;
  bucketMs: number;
  head: number;
  current: number;
  reserved: number;
  ring: { current: number; reserved: number }[];
}

interface JsReservation {
  counters: JsCounter[];
  buckets: number[];
  amounts: readonly number[];
}

/** Counters in a Map keyed by name, a reservation object per request. */
class MapCounters {
  private readonly counters = new Map<string, JsCounter>();

  configure(name: string, kind: number, limit: number, windowMs: number, now: number): void {
    const ms = bucketMs(kind, windowMs);
    this.counters.set(name, {
      kind,
      limit,
      bucketMs: ms,
      head: ms === 0 ? 0 : Math.floor(now / ms),
      current: 0,
      reserved: 0,
      ring: Array.from({ length: SLOTS }, () => ({ current: 0, reserved: 0 })),
    });
  }

  private static advance(c: JsCounter, now: number): void {
    if (c.bucketMs === 0) return;
    const bucket = Math.floor(now / c.bucketMs);
    if (bucket <= c.head) return;
    if (c.kind === CounterKind.SlidingWindow && bucket - c.head < SLOTS) {
      for (let b = c.head + 1; b <= bucket; b++) {
        const s = c.ring[b % SLOTS];
        c.current -= s.current;
        c.reserved -= s.reserved;
        s.current = 0;
        s.reserved = 0;
      }
    } else {
      c.current = 0;
      c.reserved = 0;
      for (const s of c.ring) s.current = s.reserved = 0;
    }
    c.head = bucket;
  }

  reserve(names: readonly string[], amounts: readonly number[], now: number): JsReservation | undefined {
    const counters = names.map((name) => this.counters.get(name)!);
    for (let i = 0; i < counters.length; i++) {
      const c = counters[i];
      MapCounters.advance(c, now);
      if (c.current + amounts[i] > c.limit) return undefined;
    }
    const buckets = counters.map((c, i) => {
      if (c.kind === CounterKind.SlidingWindow) {
        const s = c.ring[c.head % SLOTS];
        s.current += amounts[i];
        s.reserved += amounts[i];
      }
      c.current += amounts[i];
      c.reserved += amounts[i];
      return c.head;
    });
    return { counters, buckets, amounts };
  }

  settle(reservation: JsReservation, actual: readonly number[]): void {
    reservation.counters.forEach((c, i) => {
      const bucket = reservation.buckets[i];
      const amount = reservation.amounts[i];
      const live =
        c.kind === CounterKind.FixedWindow ? bucket === c.head : c.kind === CounterKind.SlidingWindow ? c.head - bucket < SLOTS : true;
      if (!live) return;
      const kept = c.kind === CounterKind.Gauge ? 0 : actual[i];
      if (c.kind === CounterKind.SlidingWindow) {
        const s = c.ring[bucket % SLOTS];
        s.current += kept - amount;
        s.reserved -= amount;
      }
      c.current += kept - amount;
      c.reserved -= amount;
    });
  }
}

// ---- trials ----------------------------------------------------------------------------------

/** One reserve+settle; returns a number derived from the result so it cannot be elided. */
function operation(method: Method, sab: SharedArrayBuffer): (now: number) => number {
  switch (method) {
    case 'native': {
      const store = new CounterStore();
      const ids = Int32Array.from(NAMES, (name) => store.intern(name));
      // Every thread configures the same spec: a repeat only sets the same limit again.
      ids.forEach((id, i) => store.configure(id, kindSpec(i), START_MS));
      const amounts = Float64Array.from(RESERVE);
      const actual = Float64Array.from(ACTUAL);
      return (now) => {
        const handle = store.reserve(ids, amounts, now);
        store.settle(handle, actual);
        return handle;
      };
    }
    case 'JS Atomics + SAB': {
      const counters = new AtomicsCounters(sab);
      const ids = Int32Array.from(NAMES, (_, i) => i);
      const amounts = Float64Array.from(RESERVE);
      const actual = Float64Array.from(ACTUAL);
      return (now) => {
        const handle = counters.reserve(ids, amounts, now);
        counters.settle(handle, actual);
        return handle;
      };
    }
    case 'JS Map': {
      const counters = new MapCounters();
      NAMES.forEach((name, i) => counters.configure(name, KINDS[i], UNLIMITED, WINDOWS[i], START_MS));
      return (now) => {
        const reservation = counters.reserve(NAMES, RESERVE, now)!;
        counters.settle(reservation, ACTUAL);
        return reservation.buckets.length;
      };
    }
  }
}

function kindSpec(i: number): Parameters<CounterStore['configure']>[1] {
  const kind = KINDS[i];
  return kind === CounterKind.FixedWindow || kind === CounterKind.SlidingWindow
    ? { kind, limit: UNLIMITED, windowMs: WINDOWS[i] }
    : { kind, limit: UNLIMITED };
}

// Control words shared by a trial's main thread and its workers.
const C_READY = 0; // workers that finished setting up
const C_ROUND = 1; // 0: warm-up, 1..ROUNDS: measured round, ROUNDS + 1: stop
const C_COUNTS = 2; // C_COUNTS + w * (ROUNDS + 1) + round: operations of worker w in round

interface WorkerInput {
  role: 'counters-bench-worker';
  method: Method;
  index: number;
  control: SharedArrayBuffer;
  sab: SharedArrayBuffer;
}

function runWorker(input: WorkerInput): void {
  const control = new Int32Array(input.control);
  const run = operation(input.method, input.sab);
  Atomics.add(control, C_READY, 1);
  const counts = new Float64Array(ROUNDS + 2);
  let sink = 0;
  for (;;) {
    const round = Atomics.load(control, C_ROUND);
    if (round > ROUNDS) break;
    const now = Date.now(); // windows roll over as in production
    for (let k = 0; k < BATCH; k++) sink += run(now);
    counts[round] += BATCH;
  }
  const base = C_COUNTS + input.index * (ROUNDS + 1);
  for (let r = 0; r <= ROUNDS; r++) Atomics.store(control, base + r, counts[r]);
  if (sink === -1) console.log('');
}

async function runTrial(method: Method, threads: number): Promise<void> {
  const control = new Int32Array(new SharedArrayBuffer((C_COUNTS + threads * (ROUNDS + 1)) * 4));
  const sab = AtomicsCounters.create(NAMES.length);
  const setup = new AtomicsCounters(sab);
  NAMES.forEach((_, i) => setup.configure(i, KINDS[i], UNLIMITED, WINDOWS[i], START_MS));
  const script = fileURLToPath(import.meta.url);
  const workers = Array.from({ length: threads }, (_, index) => {
    const input: WorkerInput = { role: 'counters-bench-worker', method, index, control: control.buffer as SharedArrayBuffer, sab };
    return new Worker(script, { workerData: input });
  });
  const exited = workers.map(
    (worker) =>
      new Promise<void>((resolve, reject) => {
        worker.once('error', reject);
        worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited with ${code}`))));
      }),
  );
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  while (Atomics.load(control, C_READY) < threads) await sleep(5);
  await sleep(WARMUP_MS);
  const seconds: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const t0 = performance.now();
    Atomics.store(control, C_ROUND, round);
    await sleep(ROUND_MS);
    seconds.push((performance.now() - t0) / 1000);
  }
  Atomics.store(control, C_ROUND, ROUNDS + 1);
  await Promise.all(exited);
  const rates = seconds.map((s, r) => {
    let ops = 0;
    for (let w = 0; w < threads; w++) ops += control[C_COUNTS + w * (ROUNDS + 1) + r + 1];
    return ops / s;
  });
  rates.sort((a, b) => a - b);
  process.stdout.write(JSON.stringify({ rate: rates[Math.floor(rates.length / 2)] }));
}

function trialInChild(method: Method, threads: number): number {
  const script = fileURLToPath(import.meta.url);
  const out = execFileSync(process.execPath, [script, '--trial', method, String(threads)], { encoding: 'utf8' });
  return (JSON.parse(out) as { rate: number }).rate;
}

function main(): void {
  const format = (rate: number) => `${(rate / 1e6).toFixed(2)}M`;
  const rows = [
    ['threads', 'native ops/s', 'JS Atomics + SAB ops/s', 'JS Map ops/s', 'native ÷ Atomics', 'native ÷ Map'],
    ['---:', '---:', '---:', '---:', '---:', '---:'],
  ];
  for (const threads of [1, 2]) {
    const native = trialInChild('native', threads);
    const atomics = trialInChild('JS Atomics + SAB', threads);
    // A Map lives in one thread: it cannot give exact limits across threads.
    const map = threads === 1 ? trialInChild('JS Map', threads) : NaN;
    rows.push([
      String(threads),
      format(native),
      format(atomics),
      Number.isNaN(map) ? 'n/a (not shared)' : format(map),
      `${(native / atomics).toFixed(2)}×`,
      Number.isNaN(map) ? 'n/a' : `${(native / map).toFixed(2)}×`,
    ]);
  }
  console.log('One operation: reserve over 4 counters (fixed window, sliding window, gauge, accumulator) + settle.');
  console.log('Total operations per second over all threads, all on the same 4 counters; median of 9 rounds.\n');
  console.log(rows.map((cells) => `| ${cells.join(' | ')} |`).join('\n'));
}

if (!isMainThread && (workerData as WorkerInput | null)?.role === 'counters-bench-worker') {
  runWorker(workerData as WorkerInput);
} else if (process.argv[2] === '--trial') {
  await runTrial(process.argv[3] as Method, Number(process.argv[4]));
} else {
  main();
}
