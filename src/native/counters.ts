// Wrapper of the process-wide native counter store (native/counters.h): rate-limit windows,
// in-flight gauges and spend accumulators shared by every thread of the process, with
// all-or-nothing reservations across several counters (reserve, then settle or release).
// docs/counters.md describes the semantics for users; native/counters.h is the full contract.

import { nativeBinding } from './binding.js';

/** Kind of a counter. Mirrors ailb::counters::Kind. */
export const enum CounterKind {
  /** Usage per window of windowMs, windows aligned to the Unix epoch. */
  FixedWindow = 1,
  /** Usage over the last windowMs, counted in 20 sub-buckets (see docs/counters.md). */
  SlidingWindow = 2,
  /** A value held by open reservations (e.g. requests in flight), with a maximum. */
  Gauge = 3,
  /** Spend with a maximum (e.g. a budget in micro-dollars); reset by the caller. */
  Accumulator = 4,
}

/** Results of the store's calls; all but Ok are negative. Mirrors ailb::counters::Status. */
export const enum CounterStatus {
  Ok = 0,
  /** A counter would exceed its limit; `CounterStore.refusal` says which. */
  Refused = -1,
  NotOpen = -2,
  BadArgument = -3,
  UnknownId = -4,
  NotConfigured = -5,
  DuplicateId = -6,
  TooManyIds = -7,
  /** intern: the store already holds `capacity` ids. */
  CapacityExceeded = -8,
  /** reserve: `reservationCapacity` reservations are open. */
  ReservationsFull = -9,
  /** settle/release: not an open reservation (already finished, or never issued). */
  UnknownHandle = -10,
  /** settle: not one actual amount per reserved counter. */
  LengthMismatch = -11,
  OutOfMemory = -12,
  /** The store is already open with other sizes. */
  AlreadyOpen = -13,
}

/** Columns of a snapshot row (and of CounterInfo). Mirrors glue/counters.cc. */
export const enum SnapshotColumn {
  Id = 0,
  Kind = 1,
  Current = 2,
  Reserved = 3,
  Limit = 4,
  Remaining = 5,
  WindowMs = 6,
  ResetMs = 7,
}

/** Numbers per snapshot row. */
export const SNAPSHOT_STRIDE = 8;
/** The largest amount and limit (2^53 - 1); as a limit it means "no limit, only count". */
export const UNLIMITED = Number.MAX_SAFE_INTEGER;
/** Most counters one reservation may span. */
export const MAX_IDS_PER_RESERVATION = 32;

export type CounterSpec =
  | { kind: CounterKind.FixedWindow | CounterKind.SlidingWindow; limit: number; windowMs: number }
  | { kind: CounterKind.Gauge | CounterKind.Accumulator; limit: number };

export interface CounterInfo {
  kind: CounterKind;
  /** Settled usage plus open reservations: what the limit is checked against. */
  current: number;
  /** The part of current held by open reservations. */
  reserved: number;
  limit: number;
  /** limit - current, at least 0. */
  remaining: number;
  /** 0 for gauges and accumulators. */
  windowMs: number;
  /**
   * Fixed window: ms until the window ends. Sliding window: ms until everything counted now
   * has expired (0 when nothing is counted). -1 for gauges and accumulators.
   */
  resetMs: number;
}

export interface CounterStoreOptions {
  /** Most ids the process may intern (default 2^20, at most 2^20). */
  capacity?: number;
  /** Most reservations open at once in the process (default 2^16, at most 2^20). */
  reservations?: number;
}

/** A store call that failed; `code` is the CounterStatus. */
export class CounterError extends Error {
  readonly code: CounterStatus;
  constructor(code: CounterStatus, what: string) {
    super(`${what}: ${binding.counterStatusMessage(code)}`);
    this.name = 'CounterError';
    this.code = code;
  }
}

/** Why the last reserve was refused. Updated in place; read it before the next reserve. */
export class Refusal {
  /** Position of the refusing counter in the ids passed to reserve. */
  index = -1;
  limit = 0;
  /** limit - current of the refusing counter, at least 0. */
  remaining = 0;
  /** ms until enough expires for the amount to fit; -1 when time alone will not free it. */
  retryMs = -1;
}

type Amounts = Float64Array | BigInt64Array;

interface CountersBinding {
  countersOpen(capacity: number, reservations: number): number;
  countersSizes(out: Float64Array): void;
  countersScratch(scratch: Float64Array): void;
  internKey(name: string): number;
  counterName(id: number): string | undefined;
  configureCounter(id: number, kind: number, limit: number, windowMs: number, nowMs: number): number;
  reserve(n: number, nowMs: number): number;
  settle(handle: number, n: number): number;
  release(handle: number): number;
  resetCounter(id: number, used: number, nowMs: number): number;
  counterInfo(id: number, nowMs: number): number;
  countersSnapshot(nowMs: number, out: Float64Array): number;
  counterStatusMessage(code: number): string;
  readonly counterScratchLength: number;
  readonly counterRowLength: number;
  readonly maxIdsPerReservation: number;
}

// This thread's scratch, shared with the addon (glue/counters.cc): reserve and settle copy
// their arrays in and pass only numbers, which saves ~35 ns of N-API per typed array.
const IDS_SLOT = 0;
const AMOUNTS_SLOT = MAX_IDS_PER_RESERVATION;
const REFUSAL_SLOT = 2 * MAX_IDS_PER_RESERVATION;
const ROW_SLOT = REFUSAL_SLOT + 4;
const SCRATCH_LENGTH = ROW_SLOT + SNAPSHOT_STRIDE;
const SETTLE_AS_RESERVED = -1;

const binding = nativeBinding as unknown as CountersBinding;
if (
  binding.counterScratchLength !== SCRATCH_LENGTH ||
  binding.counterRowLength !== SNAPSHOT_STRIDE ||
  binding.maxIdsPerReservation !== MAX_IDS_PER_RESERVATION
) {
  throw new Error('ailb native addon has another counter layout than src/native/counters.ts: rebuild it');
}
// Modules are evaluated once per thread, so this is one scratch per thread.
const scratch = new Float64Array(new ArrayBuffer(SCRATCH_LENGTH * 8));
binding.countersScratch(scratch);

// Copies amounts into the scratch from index 0 .. n - 1; BigInts beyond 2^53 lose precision
// and are then refused by the range check in the addon.
function copyAmounts(amounts: Amounts, n: number): void {
  if (amounts instanceof Float64Array) {
    for (let i = 0; i < n; i++) scratch[AMOUNTS_SLOT + i] = amounts[i];
  } else {
    for (let i = 0; i < n; i++) scratch[AMOUNTS_SLOT + i] = Number(amounts[i]);
  }
}

/** Short English text for a CounterStatus. */
export function counterStatusMessage(code: number): string {
  return binding.counterStatusMessage(code);
}

const OPTION_KEYS = new Set(['capacity', 'reservations']);
const SPEC_KEYS = new Set(['kind', 'limit', 'windowMs']);

function checkKeys(value: object, allowed: Set<string>, what: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) throw new TypeError(`${what}: unknown option "${key}"`);
  }
}

function checkInteger(value: unknown, min: number, max: number, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${what} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

/**
 * The process-wide counter store, as seen from one thread. Every CounterStore in the process
 * (main thread and worker threads alike) reaches the same counters. Make one per thread and
 * reuse it: reserve fills its `refusal` in place and passes its arrays to the addon through
 * a per-thread scratch, so the per-request calls allocate nothing.
 *
 * reserve, settle and release return numbers and never throw for bad values (only for wrong
 * argument types): they are the per-request path. The other methods throw CounterError.
 */
export class CounterStore {
  /** Most ids the process may intern. */
  readonly capacity: number;
  /** Most reservations open at once in the process. */
  readonly reservationCapacity: number;
  /** Details of the last reserve that returned CounterStatus.Refused. */
  readonly refusal = new Refusal();
  private readonly sizes = new Float64Array(3);
  private rows = new Float64Array(SNAPSHOT_STRIDE * 64);

  /**
   * Opens the store with these sizes, or attaches to it when it is already open. Sizes are
   * fixed by the first thread to open it; asking for other explicit sizes afterwards throws
   * CounterError (AlreadyOpen). Leave them out to attach with whatever is in effect.
   */
  constructor(options: CounterStoreOptions = {}) {
    checkKeys(options, OPTION_KEYS, 'CounterStore');
    const capacity = options.capacity === undefined ? 0 : checkInteger(options.capacity, 1, 1 << 20, 'capacity');
    const reservations =
      options.reservations === undefined ? 0 : checkInteger(options.reservations, 1, 1 << 20, 'reservations');
    const status = binding.countersOpen(capacity, reservations);
    if (status !== CounterStatus.Ok) throw new CounterError(status, 'CounterStore');
    binding.countersSizes(this.sizes);
    this.capacity = this.sizes[0];
    this.reservationCapacity = this.sizes[1];
  }

  /** Number of interned ids in the process; ids are 0 .. size - 1. */
  get size(): number {
    binding.countersSizes(this.sizes);
    return this.sizes[2];
  }

  /**
   * The id of name, interned on first use: the same in every thread for the life of the
   * process. Names are 1 to 1024 UTF-8 bytes, e.g. `key:<hash>:rpm`. Takes a lock; call it
   * when keys and config are loaded, not per request.
   */
  intern(name: string): number {
    const id = binding.internKey(name);
    if (id < 0) throw new CounterError(id, `intern ${JSON.stringify(name)}`);
    return id;
  }

  /** The name id was interned with, or undefined for an unknown id. */
  name(id: number): string | undefined {
    return binding.counterName(id);
  }

  /**
   * Sets id's kind, limit and window. The same kind and window with a new limit keeps usage
   * and open reservations; a new window length carries usage into the new current window;
   * another kind starts from zero.
   */
  configure(id: number, spec: CounterSpec, now: number = Date.now()): void {
    checkKeys(spec, SPEC_KEYS, 'counter spec');
    const kind = checkInteger(spec.kind, CounterKind.FixedWindow, CounterKind.Accumulator, 'kind');
    const limit = checkInteger(spec.limit, 0, UNLIMITED, 'limit');
    const windowed = kind === CounterKind.FixedWindow || kind === CounterKind.SlidingWindow;
    const windowMs = windowed
      ? checkInteger((spec as { windowMs?: number }).windowMs, 1, 2 ** 40, 'windowMs')
      : 0;
    if (!windowed && (spec as { windowMs?: number }).windowMs !== undefined) {
      throw new TypeError('counter spec: windowMs applies to window kinds only');
    }
    const status = binding.configureCounter(id, kind, limit, windowMs, now);
    if (status !== CounterStatus.Ok) throw new CounterError(status, `configure counter ${id}`);
  }

  /**
   * Reserves amounts[i] against ids[i] (integers, at most 32 counters, each once), all or
   * nothing. Returns a handle (>= 0) to settle or release exactly once, or a negative
   * CounterStatus: Refused (see `refusal`), ReservationsFull, or an argument problem.
   */
  reserve(ids: Int32Array, amounts: Amounts, now: number = Date.now()): number {
    const n = ids.length;
    if (n > MAX_IDS_PER_RESERVATION) return CounterStatus.TooManyIds;
    if (amounts.length !== n) return CounterStatus.BadArgument;
    for (let i = 0; i < n; i++) scratch[IDS_SLOT + i] = ids[i];
    copyAmounts(amounts, n);
    const result = binding.reserve(n, now);
    if (result === CounterStatus.Refused) {
      const refusal = this.refusal;
      refusal.index = scratch[REFUSAL_SLOT];
      refusal.limit = scratch[REFUSAL_SLOT + 1];
      refusal.remaining = scratch[REFUSAL_SLOT + 2];
      refusal.retryMs = scratch[REFUSAL_SLOT + 3];
    }
    return result;
  }

  /**
   * Closes a reservation, replacing its reserved amounts by actual (one per reserved id, in
   * the order given to reserve; may exceed the limit). Without actual it settles at the
   * reserved amounts. Gauges give their amount back whatever actual says. Returns Ok, or
   * UnknownHandle / LengthMismatch / BadArgument (the reservation then stays open).
   */
  settle(handle: number, actual?: Amounts): CounterStatus {
    if (actual === undefined) return binding.settle(handle, SETTLE_AS_RESERVED);
    const n = actual.length;
    if (n > MAX_IDS_PER_RESERVATION) return CounterStatus.LengthMismatch;
    copyAmounts(actual, n);
    return binding.settle(handle, n);
  }

  /** Closes a reservation, taking its amounts out of every counter (a failed request). */
  release(handle: number): CounterStatus {
    return binding.release(handle);
  }

  /**
   * Starts a new period for id (e.g. a budget_duration boundary): usage becomes `used`
   * (default 0) and open reservations no longer affect it.
   */
  reset(id: number, used = 0, now: number = Date.now()): void {
    const status = binding.resetCounter(id, used, now);
    if (status !== CounterStatus.Ok) throw new CounterError(status, `reset counter ${id}`);
  }

  /** id's state at now, for x-ratelimit-* headers. */
  info(id: number, now: number = Date.now()): CounterInfo {
    const status = binding.counterInfo(id, now);
    if (status !== CounterStatus.Ok) throw new CounterError(status, `counter ${id}`);
    return {
      kind: scratch[ROW_SLOT + SnapshotColumn.Kind] as CounterKind,
      current: scratch[ROW_SLOT + SnapshotColumn.Current],
      reserved: scratch[ROW_SLOT + SnapshotColumn.Reserved],
      limit: scratch[ROW_SLOT + SnapshotColumn.Limit],
      remaining: scratch[ROW_SLOT + SnapshotColumn.Remaining],
      windowMs: scratch[ROW_SLOT + SnapshotColumn.WindowMs],
      resetMs: scratch[ROW_SLOT + SnapshotColumn.ResetMs],
    };
  }

  /**
   * After a successful reserve(): the i-th reserved counter's current (settled usage plus open
   * reservations) right after that reservation was added, read under the reservation's locks, so
   * concurrent requests each get their own value (x-ratelimit-remaining is limit minus it). Valid
   * until this thread's next call on a CounterStore.
   */
  currentAfterReserve(i: number): number {
    return scratch[AMOUNTS_SLOT + i];
  }

  /**
   * id's `current` at now (settled usage plus open reservations), allocating nothing: for
   * decisions made per request (the router reads gauges and registers this way). NaN when id is
   * unknown or not configured.
   */
  current(id: number, now: number = Date.now()): number {
    return binding.counterInfo(id, now) === CounterStatus.Ok ? scratch[ROW_SLOT + SnapshotColumn.Current] : Number.NaN;
  }

  /**
   * Every configured counter at now, SNAPSHOT_STRIDE numbers per row (see SnapshotColumn),
   * in id order. The view is over an array reused by the next snapshot() of this store.
   * Counters are read one at a time: a reservation may be seen settled in one and not yet
   * in another.
   */
  snapshot(now: number = Date.now()): Float64Array {
    for (;;) {
      const count = binding.countersSnapshot(now, this.rows);
      if (count < 0) throw new CounterError(count, 'snapshot');
      if (count * SNAPSHOT_STRIDE <= this.rows.length) {
        return this.rows.subarray(0, count * SNAPSHOT_STRIDE);
      }
      this.rows = new Float64Array(SNAPSHOT_STRIDE * Math.max(count + (count >> 2), 64));
    }
  }
}
