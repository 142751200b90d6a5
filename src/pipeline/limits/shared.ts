/**
 * The limits shared by every instance, in Redis (docs/counters.md, "The gateway with Redis"):
 * one RedisCounterStore per event-loop thread, beside the process-wide native store that stays
 * the local fast path. The limits stage reserves on the native store first; when that admits
 * and Redis is configured, it reserves the same counters (same names, amounts and specs) here.
 *
 * Contract:
 * - `ready` is read per request: while the connection is not ready, requests do not wait for
 *   it and do not try it; they fall back on the failure mode (admitted on the local counters,
 *   or 503). ioredis reconnects on its own; requests use Redis again as soon as it is ready.
 * - Settles and releases are never awaited by the response. One that fails is counted, kept
 *   (up to MAX_PENDING) and sent again once the connection is ready, so that a reservation
 *   made before an outage does not hold a parallel slot or a budget until its lease ends.
 *   Sending a finish twice is harmless: the second finds the reservation closed.
 * - One log line per change of state (unavailable, back), not per request.
 */
import type { Logger } from '../../log.js';
import { CounterKind, type CounterSpec } from '../../native/index.js';
import type { RedisCounterStatus, RedisCounterStore, RedisReservation } from '../../limits/redis-counters.js';

/** Failed settles and releases kept for a resend after recovery; beyond, their leases free them. */
const MAX_PENDING = 10_000;

export type SharedOperation = 'reserve' | 'settle' | 'release';

export class SharedCounters {
  readonly store: RedisCounterStore;
  /** Counts a failed or skipped call (ailb_redis_counter_failures_total). */
  onFailure: (operation: SharedOperation) => void = () => undefined;
  /** The limit each counter name was last declared with here (kinds follow from the name). */
  private readonly declared = new Map<string, number>();
  private readonly pending: { reservation: RedisReservation; actual: number[] | null }[] = [];
  private available = true;

  constructor(store: RedisCounterStore, private readonly log: Pick<Logger, 'info' | 'warn'>) {
    this.store = store;
    store.onStatusChange((status) => this.statusChanged(status));
  }

  get ready(): boolean {
    return this.store.status === 'ready';
  }

  /** Declares name with spec when its limit changed since the last time (no round trip). */
  declare(name: string, limit: number, unit: 'window' | 'gauge' | 'money'): void {
    if (this.declared.get(name) === limit) return;
    let spec: CounterSpec;
    if (unit === 'window') spec = { kind: CounterKind.SlidingWindow, limit, windowMs: 60_000 };
    else if (unit === 'gauge') spec = { kind: CounterKind.Gauge, limit };
    else spec = { kind: CounterKind.Accumulator, limit };
    this.store.declare(name, spec);
    if (this.declared.size >= 65_536) this.declared.clear();
    this.declared.set(name, limit);
  }

  /** Notes that a reserve could not reach Redis (logged once per outage, counted every time). */
  reserveFailed(error: unknown): void {
    this.onFailure('reserve');
    this.markUnavailable(error);
  }

  /** Settles (actual amounts) or releases (actual null) a reservation; never throws, never awaited. */
  finish(reservation: RedisReservation, actual: number[] | null): void {
    const call = actual === null ? this.store.release(reservation) : this.store.settle(reservation, actual);
    call.catch((error: unknown) => {
      this.onFailure(actual === null ? 'release' : 'settle');
      this.markUnavailable(error);
      if (this.pending.length < MAX_PENDING) this.pending.push({ reservation, actual });
    });
  }

  close(): Promise<void> {
    return this.store.close();
  }

  private markUnavailable(error: unknown): void {
    if (!this.available) return;
    this.available = false;
    this.log.warn('redis counters unavailable: limits are enforced per instance until it is back', {
      error: error instanceof Error ? error.message : String(error),
    });
  }

  private statusChanged(status: RedisCounterStatus): void {
    if (status === 'ready') {
      if (!this.available) this.log.info('redis counters available again: limits are shared again');
      this.available = true;
      const pending = this.pending.splice(0);
      for (const { reservation, actual } of pending) this.finish(reservation, actual);
    } else if (status === 'reconnecting') {
      this.markUnavailable(new Error('connection lost'));
    }
  }
}
