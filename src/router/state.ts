/**
 * The state the router keeps per deployment, on the process-wide native counter store
 * (src/native/counters.ts), so every event-loop thread sees the same cooldowns, in-flight counts,
 * latencies and usage, and a decision costs a few native reads (~30 ns each), no lock in
 * JavaScript and no message between threads.
 *
 * Counters per deployment, named `router:<deployment id>:<what>` (ids are stable across threads
 * and reloads, so state survives a reload of an unchanged deployment):
 *
 * | what        | kind                    | holds |
 * |-------------|-------------------------|-------|
 * | `fails`     | sliding window, 60 s    | failures that count towards cooldown, last minute |
 * | `cool_until`| accumulator (register)  | epoch ms the cooldown ends; 0 = closed circuit |
 * | `failed_at` | accumulator (register)  | epoch ms of the last failure (least recently failed) |
 * | `probe`     | gauge, limit 1          | the one request let through while half-open |
 * | `inflight`  | gauge                   | requests in flight (least-busy groups) |
 * | `ttfb_us`   | accumulator (register)  | EWMA of time to first byte, µs (latency-based groups) |
 * | `token_ns`  | accumulator (register)  | EWMA of time per completion token, ns (latency-based) |
 * | `rpm`/`tpm` | fixed window, 60 s      | requests and tokens this minute (usage- and cost-based) |
 * | `health`    | accumulator (register)  | last health check: 0 none, 1 healthy, else a HealthCode |
 * | `health_at` | accumulator (register)  | epoch ms of that check |
 *
 * A "register" is an accumulator written with `reset(id, value)`: the last writer wins, which is
 * what a timestamp or a moving average wants (two threads updating one EWMA at the same instant
 * lose one sample, nothing more).
 *
 * Circuit breaker: closed (cool_until 0) → open (now < cool_until: no traffic) → half-open (the
 * cooldown has passed: one request at a time, the one holding `probe`, tests it) → closed when
 * that request succeeds (failures forgotten), open again when it fails.
 */
import { CounterKind, CounterStore, UNLIMITED } from '../native/index.js';
import { countsTowardsCooldown, type ErrorClass } from './classify.js';

let store: CounterStore | null = null;

/** This thread's handle on the process-wide counter store. */
export function routerCounters(): CounterStore {
  store ??= new CounterStore();
  return store;
}

const ONE_ID = new Int32Array(1);
const ONE_AMOUNT = new Float64Array(1);

/** Adds `amount` to a window or accumulator counter (reserve, then settle at once). */
function add(s: CounterStore, id: number, amount: number, now: number): void {
  ONE_ID[0] = id;
  ONE_AMOUNT[0] = amount;
  const handle = s.reserve(ONE_ID, ONE_AMOUNT, now);
  if (handle >= 0) s.settle(handle);
}

/** Takes one unit of a gauge; the handle to release, or -1 when refused (probe taken) or full. */
function take(s: CounterStore, id: number, now: number): number {
  ONE_ID[0] = id;
  ONE_AMOUNT[0] = 1;
  const handle = s.reserve(ONE_ID, ONE_AMOUNT, now);
  return handle >= 0 ? handle : -1;
}

export const enum Phase {
  Closed = 0,
  HalfOpen = 1,
  Open = 2,
}

/** Health check outcomes other than healthy, as stored in the `health` register. */
export const enum HealthCode {
  None = 0,
  Healthy = 1,
  Timeout = 2,
  Unreachable = 3,
  /** 1000 + the HTTP status of an error answer. */
  StatusBase = 1000,
}

const MINUTE_MS = 60_000;
/** Weight of a new sample in the latency averages. */
const EWMA_ALPHA = 0.3;

/** Cooldown settings a failure is judged by (RouterPolicy implements it). */
export interface CooldownRules {
  readonly cooldownMs: number;
  /** Failures of this class allowed per minute before the deployment cools down; -1: cool at once. */
  allowedFails(cls: ErrorClass): number;
}

export class DeploymentState {
  private readonly s: CounterStore;
  readonly failsId: number;
  readonly coolUntilId: number;
  readonly failedAtId: number;
  readonly probeId: number;
  readonly inflightId: number;
  readonly ttfbId: number;
  readonly tokenId: number;
  readonly rpmId: number;
  readonly tpmId: number;
  readonly healthId: number;
  readonly healthAtId: number;

  /** `key`: the deployment's id. Interns and configures its counters (takes a lock: config time only). */
  constructor(key: string) {
    const s = routerCounters();
    this.s = s;
    const define = (what: string, kind: CounterKind, limit: number, windowMs = 0): number => {
      const id = s.intern(`router:${key}:${what}`);
      s.configure(id, windowMs > 0 ? { kind: kind as CounterKind.FixedWindow | CounterKind.SlidingWindow, limit, windowMs } : { kind: kind as CounterKind.Gauge | CounterKind.Accumulator, limit });
      return id;
    };
    this.failsId = define('fails', CounterKind.SlidingWindow, UNLIMITED, MINUTE_MS);
    this.coolUntilId = define('cool_until', CounterKind.Accumulator, UNLIMITED);
    this.failedAtId = define('failed_at', CounterKind.Accumulator, UNLIMITED);
    this.probeId = define('probe', CounterKind.Gauge, 1);
    this.inflightId = define('inflight', CounterKind.Gauge, UNLIMITED);
    this.ttfbId = define('ttfb_us', CounterKind.Accumulator, UNLIMITED);
    this.tokenId = define('token_ns', CounterKind.Accumulator, UNLIMITED);
    // "This minute", as LiteLLM's usage-based routing counts (and a third cheaper to read than a sliding window).
    this.rpmId = define('rpm', CounterKind.FixedWindow, UNLIMITED, MINUTE_MS);
    this.tpmId = define('tpm', CounterKind.FixedWindow, UNLIMITED, MINUTE_MS);
    this.healthId = define('health', CounterKind.Accumulator, UNLIMITED);
    this.healthAtId = define('health_at', CounterKind.Accumulator, UNLIMITED);
  }

  // ---- circuit breaker ---------------------------------------------------------------------

  phase(now: number): Phase {
    const until = this.s.current(this.coolUntilId, now);
    if (!(until > 0)) return Phase.Closed;
    return now < until ? Phase.Open : Phase.HalfOpen;
  }

  /** Whether a request may go now: closed, or half-open with the probe free. */
  available(now: number): boolean {
    const phase = this.phase(now);
    if (phase === Phase.Closed) return true;
    return phase === Phase.HalfOpen && this.s.current(this.probeId, now) === 0;
  }

  /** Claims the half-open probe; the handle to pass to `probeSucceeded`/`failed`, or -1 when another request holds it. */
  takeProbe(now: number): number {
    return take(this.s, this.probeId, now);
  }

  /** Claims the probe when half-open; -1 when not half-open, or taken. */
  claimProbe(now: number): number {
    return this.phase(now) === Phase.HalfOpen ? this.takeProbe(now) : -1;
  }

  /**
   * Records a failed attempt. Returns true when the deployment went (back) into cooldown: the
   * probe failed, or failures this minute passed what `rules` allow for `cls`.
   */
  failed(cls: ErrorClass, probe: number, rules: CooldownRules, now: number): boolean {
    const s = this.s;
    s.reset(this.failedAtId, now, now);
    if (probe >= 0) {
      s.release(probe);
      this.open(rules.cooldownMs, now);
      return true;
    }
    if (!countsTowardsCooldown(cls)) return false;
    add(s, this.failsId, 1, now);
    const allowed = rules.allowedFails(cls);
    if (allowed >= 0 && s.current(this.failsId, now) <= allowed) return false;
    this.open(rules.cooldownMs, now);
    return true;
  }

  /**
   * A successful attempt on a deployment that was not closed when it went (it held the probe, or
   * was tried anyway because the whole group was cooling): the circuit closes and past failures
   * are forgotten. `probe` is released when held (>= 0).
   */
  probeSucceeded(probe: number, now: number): void {
    if (probe >= 0) this.s.release(probe);
    this.close(now);
  }

  open(cooldownMs: number, now: number): void {
    // At least 1 ms, so that a cooldown_time of 0 still reads as "was cooled" (then half-open).
    this.s.reset(this.coolUntilId, now + Math.max(1, Math.round(cooldownMs)), now);
  }

  close(now: number): void {
    this.s.reset(this.coolUntilId, 0, now);
    this.s.reset(this.failsId, 0, now);
  }

  /** ms until the cooldown ends (0 when not cooling). */
  coolingForMs(now: number): number {
    const until = this.s.current(this.coolUntilId, now);
    return until > now ? until - now : 0;
  }

  /** Epoch ms of the last failure; 0 when none. */
  failedAt(now: number): number {
    return this.s.current(this.failedAtId, now) || 0;
  }

  // ---- load: in flight, latency, usage -----------------------------------------------------

  inflight(now: number): number {
    return this.s.current(this.inflightId, now) || 0;
  }

  /** Counts a request in flight; the handle to `release`, or -1. */
  enter(now: number): number {
    return take(this.s, this.inflightId, now);
  }

  release(handle: number): void {
    this.s.release(handle);
  }

  /** EWMA of time to first byte, µs; 0 before the first sample. */
  ttfbUs(now: number): number {
    return this.s.current(this.ttfbId, now) || 0;
  }

  /** EWMA of time per completion token, ns; 0 before the first sample. */
  tokenNs(now: number): number {
    return this.s.current(this.tokenId, now) || 0;
  }

  observeTtfb(ms: number, now: number): void {
    this.observe(this.ttfbId, ms * 1000, now);
  }

  observePerToken(ms: number, tokens: number, now: number): void {
    if (tokens > 0) this.observe(this.tokenId, (ms * 1e6) / tokens, now);
  }

  private observe(id: number, sample: number, now: number): void {
    const old = this.s.current(id, now) || 0;
    const next = old === 0 ? sample : old + EWMA_ALPHA * (sample - old);
    // 0 means "no sample yet": a real sample is at least 1.
    this.s.reset(id, Math.max(1, Math.round(next)), now);
  }

  requestsThisMinute(now: number): number {
    return this.s.current(this.rpmId, now) || 0;
  }

  tokensThisMinute(now: number): number {
    return this.s.current(this.tpmId, now) || 0;
  }

  countRequest(now: number): void {
    add(this.s, this.rpmId, 1, now);
  }

  countTokens(tokens: number, now: number): void {
    if (tokens > 0) add(this.s, this.tpmId, Math.round(tokens), now);
  }

  // ---- health checks -----------------------------------------------------------------------

  /** The last health check: a HealthCode (0: never checked) and when (epoch ms). */
  health(now: number): number {
    return this.s.current(this.healthId, now) || 0;
  }

  healthCheckedAt(now: number): number {
    return this.s.current(this.healthAtId, now) || 0;
  }

  recordHealth(code: number, now: number): void {
    this.s.reset(this.healthId, code, now);
    this.s.reset(this.healthAtId, now, now);
  }
}
