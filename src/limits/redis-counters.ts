// The multi-instance counter store: rate-limit windows, in-flight gauges and spend
// accumulators kept in Redis, so that several gateway instances share exact limits. Every
// call is one atomic Lua script (src/limits/redis-scripts.ts); the semantics are the native
// store's (src/native/counters.ts, docs/counters.md), with reservations held as leases in
// Redis. docs/counters.md, "Several instances: Redis", is the user-facing description.

import { Redis, type RedisOptions } from 'ioredis';

import type { Logger } from '../log.js';
import { CounterKind, type CounterInfo, type CounterSpec } from '../native/counters.js';
import { CONFIGURE_LUA, FINISH_LUA, INFO_LUA, RESERVE_LUA } from './redis-scripts.js';

// ioredis defines `class VerbatimString extends String`, which leaves String.prototype in V8's
// dictionary mode: every string method call in optimised code then takes a generic lookup (the
// translation fast paths, src/frontdoor/openai/plain-chat.ts, ran twice as slow). A property store
// on an object inheriting from String.prototype makes V8 turn that prototype fast again; this
// module is where the request threads load ioredis (imports run first), so it runs once per
// thread, after ioredis.
Object.create(String.prototype).fastPrototype = 0;

/** The largest amount and limit (2^53 - 1); as a limit it means "no limit, only count". */
export const UNLIMITED = Number.MAX_SAFE_INTEGER;
/** Most counters one reservation may span. */
export const MAX_COUNTERS_PER_RESERVATION = 32;
const MAX_NAME_BYTES = 1024;
const MAX_WINDOW_MS = 2 ** 40;

/** Connection state, for a metric: ready, or why calls fail now. A closed list. */
export type RedisCounterStatus = 'connecting' | 'ready' | 'reconnecting' | 'closed';

export interface RedisCounterStoreOptions {
  /** redis://[user:password@]host:port[/db]; overrides host, port, password and db. */
  url?: string;
  host?: string;
  port?: number;
  username?: string;
  password?: string;
  db?: number;
  /** Keys are `{keyPrefix}:…` (one hash tag, so one cluster slot). Default `ailb`. */
  keyPrefix?: string;
  /** A call with no reply after this many ms rejects with RedisUnavailableError. Default 500. */
  commandTimeoutMs?: number;
  /** connect() gives up after this many ms. Default 2000. */
  connectTimeoutMs?: number;
  /**
   * The longest a reservation may stay open; after it, the next reserve releases it (its
   * instance is presumed dead). Must exceed the longest request. Default 30 minutes.
   */
  leaseMs?: number;
  /**
   * Concurrent calls share one write to the socket per event-loop turn (ioredis
   * enableAutoPipelining). Default true; false only to measure what it brings.
   */
  autoPipelining?: boolean;
  /** false: connect() returns at once and calls fail until Redis answers. Default true. */
  waitForReady?: boolean;
  /** Connection errors and recoveries (one line per change, not per retry). */
  logger?: Pick<Logger, 'info' | 'warn'>;
  onStatusChange?: (status: RedisCounterStatus) => void;
}

export interface CounterAmount {
  name: string;
  amount: number;
  /**
   * The usage the counter starts with when this call creates it (its key does not exist yet):
   * a budget's stored spend. A counter that exists keeps what it holds. Default 0.
   */
  initial?: number;
}

/** An open reservation: settle or release it exactly once. */
export interface RedisReservation {
  /** The reservation's id in Redis. */
  readonly id: string;
  readonly names: readonly string[];
  readonly amounts: readonly number[];
}

export type ReserveResult =
  | { ok: true; reservation: RedisReservation }
  | {
      ok: false;
      /** The first refusing counter, in the caller's order. */
      refusedBy: string;
      index: number;
      kind: CounterKind;
      limit: number;
      /** Settled usage plus open reservations of the refusing counter. */
      current: number;
      /** limit - current, at least 0. */
      remaining: number;
      /** ms until enough expires for the amount to fit; -1 when time alone will not free it. */
      retryAfterMs: number;
    };

/** Redis did not answer (down, unreachable, timed out, loading, read-only). Retrying later may help. */
export class RedisUnavailableError extends Error {
  readonly code = 'REDIS_UNAVAILABLE';
  readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RedisUnavailableError';
  }
}

// Replies that mean "this server cannot serve now" rather than "the script is wrong".
const UNAVAILABLE_REPLY = /^(LOADING|READONLY|MASTERDOWN|BUSY|TRYAGAIN|CLUSTERDOWN|OOM)\b/;

function isReplyError(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError';
}

function toStoreError(error: unknown, what: string): Error {
  if (isReplyError(error) && !UNAVAILABLE_REPLY.test((error as Error).message)) return error as Error;
  const message = error instanceof Error ? error.message : String(error);
  return new RedisUnavailableError(`redis counters: ${what}: ${message}`, { cause: error });
}

type Reply = string[];

interface ScriptCommands {
  ailbReserve(numKeys: number, ...args: (string | number)[]): Promise<Reply>;
  ailbFinish(numKeys: number, ...args: (string | number)[]): Promise<number>;
  ailbConfigure(numKeys: number, ...args: (string | number)[]): Promise<number>;
  ailbInfo(numKeys: number, ...args: (string | number)[]): Promise<Reply>;
}

const OPTION_KEYS = new Set([
  'url', 'host', 'port', 'username', 'password', 'db', 'keyPrefix', 'commandTimeoutMs',
  'connectTimeoutMs', 'leaseMs', 'autoPipelining', 'waitForReady', 'logger', 'onStatusChange',
]);
const SPEC_KEYS = new Set(['kind', 'limit', 'windowMs']);

function checkInteger(value: unknown, min: number, max: number, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${what} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

interface Spec {
  kind: CounterKind;
  limit: number;
  windowMs: number;
}

function normaliseSpec(spec: CounterSpec): Spec {
  for (const key of Object.keys(spec)) {
    if (!SPEC_KEYS.has(key)) throw new TypeError(`counter spec: unknown option "${key}"`);
  }
  const kind = checkInteger(spec.kind, CounterKind.FixedWindow, CounterKind.Accumulator, 'kind') as CounterKind;
  const limit = checkInteger(spec.limit, 0, UNLIMITED, 'limit');
  const windowed = kind === CounterKind.FixedWindow || kind === CounterKind.SlidingWindow;
  const rawWindow = (spec as { windowMs?: number }).windowMs;
  if (!windowed && rawWindow !== undefined) throw new TypeError('counter spec: windowMs applies to window kinds only');
  const windowMs = windowed ? checkInteger(rawWindow, 1, MAX_WINDOW_MS, 'windowMs') : 0;
  return { kind, limit, windowMs };
}

const noop = () => undefined;

/**
 * Counters in Redis, shared by every instance that uses the same server and key prefix.
 * Same kinds, admission rule, window alignment and attribution as the native CounterStore;
 * calls are async and reject with RedisUnavailableError when Redis does not answer (they
 * never wait for it to come back). Concurrent calls are pipelined on the one connection.
 */
export class RedisCounterStore {
  private readonly specs = new Map<string, Spec>();
  private readonly listeners = new Set<(status: RedisCounterStatus) => void>();
  private readonly commands: ScriptCommands;
  private readonly fixedKeys: [string, string, string];
  private currentStatus: RedisCounterStatus = 'connecting';
  private lastError = '';

  private constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly leaseMs: number,
    private readonly logger: Pick<Logger, 'info' | 'warn'>,
  ) {
    this.commands = redis as unknown as ScriptCommands;
    const tag = `{${prefix}}`;
    this.fixedKeys = [`${tag}:seq`, `${tag}:leases`, `${tag}:res`];
  }

  /**
   * Opens a connection (ioredis, autopipelined, no offline queue) and resolves when Redis is
   * ready, or rejects with RedisUnavailableError at the first connection error or after
   * connectTimeoutMs. With waitForReady: false it resolves at once.
   */
  static async connect(options: RedisCounterStoreOptions = {}): Promise<RedisCounterStore> {
    for (const key of Object.keys(options)) {
      if (!OPTION_KEYS.has(key)) throw new TypeError(`RedisCounterStore: unknown option "${key}"`);
    }
    const prefix = options.keyPrefix ?? 'ailb';
    if (typeof prefix !== 'string' || prefix === '' || /[{}]/.test(prefix)) {
      throw new TypeError('keyPrefix must be a non-empty string without braces');
    }
    const commandTimeoutMs = checkInteger(options.commandTimeoutMs ?? 500, 1, 600_000, 'commandTimeoutMs');
    const connectTimeoutMs = checkInteger(options.connectTimeoutMs ?? 2_000, 1, 600_000, 'connectTimeoutMs');
    const leaseMs = checkInteger(options.leaseMs ?? 30 * 60_000, 1_000, 2 ** 40, 'leaseMs');
    const redisOptions: RedisOptions = {
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 6379,
      username: options.username,
      password: options.password,
      db: options.db ?? 0,
      lazyConnect: true,
      enableAutoPipelining: options.autoPipelining ?? true,
      // A call made while Redis is away fails at once instead of waiting in a queue.
      enableOfflineQueue: false,
      // Calls in flight when the connection drops fail, and are never resent: a reserve
      // sent twice would reserve twice.
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: commandTimeoutMs,
      connectTimeout: connectTimeoutMs,
      // Reconnect forever, at most a second apart, so the store recovers without a restart.
      retryStrategy: (times) => Math.min(50 * times, 1_000),
    };
    const redis = options.url === undefined ? new Redis(redisOptions) : new Redis(options.url, redisOptions);
    redis.defineCommand('ailbReserve', { lua: RESERVE_LUA });
    redis.defineCommand('ailbFinish', { lua: FINISH_LUA });
    redis.defineCommand('ailbConfigure', { lua: CONFIGURE_LUA });
    redis.defineCommand('ailbInfo', { lua: INFO_LUA });
    const store = new RedisCounterStore(redis, prefix, leaseMs, options.logger ?? { info: noop, warn: noop });
    if (options.onStatusChange !== undefined) store.listeners.add(options.onStatusChange);
    store.watch();
    const ready = redis.connect();
    if (options.waitForReady === false) {
      ready.catch(noop); // errors reach the 'error' listener; ioredis retries
      return store;
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        ready,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no connection after ${connectTimeoutMs} ms`)), connectTimeoutMs);
        }),
      ]);
    } catch (error) {
      redis.disconnect();
      throw toStoreError(error, 'connect');
    } finally {
      clearTimeout(timer);
    }
    return store;
  }

  /** The connection state now. */
  get status(): RedisCounterStatus {
    return this.currentStatus;
  }

  /** Calls listener on every status change; returns a function that stops it. */
  onStatusChange(listener: (status: RedisCounterStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ioredis emits 'error' on every failed (re)connect; without a listener that would crash
  // the process. Each distinct error is logged once until the connection is ready again.
  private watch(): void {
    const redis = this.redis;
    redis.on('error', (error: Error) => {
      if (error.message === this.lastError) return;
      this.lastError = error.message;
      this.logger.warn('redis counters: connection error', { error: error.message, prefix: this.prefix });
    });
    redis.on('ready', () => {
      if (this.lastError !== '') this.logger.info('redis counters: connected again', { prefix: this.prefix });
      this.lastError = '';
      this.setStatus('ready');
    });
    redis.on('close', () => {
      if (this.currentStatus === 'ready') this.setStatus('reconnecting');
    });
    redis.on('reconnecting', () => this.setStatus('reconnecting'));
    redis.on('end', () => this.setStatus('closed'));
  }

  private setStatus(status: RedisCounterStatus): void {
    if (status === this.currentStatus || this.currentStatus === 'closed') return;
    this.currentStatus = status;
    for (const listener of this.listeners) {
      try {
        listener(status);
      } catch (error) {
        this.logger.warn('redis counters: status listener threw', { error: (error as Error).message });
      }
    }
  }

  private key(name: string): string {
    return `{${this.prefix}}:c:${name}`;
  }

  private spec(name: string): Spec {
    const spec = this.specs.get(name);
    if (spec === undefined) throw new TypeError(`counter ${JSON.stringify(name)} is not defined`);
    return spec;
  }

  /**
   * Sets name's kind, limit and window here, and applies it in Redis at nowMs with the native
   * configure() rules. The spec is also carried by every later call of this store, so it
   * reaches Redis even if this call rejects (Redis down) and survives the key's expiry.
   */
  async define(name: string, spec: CounterSpec, nowMs: number = Date.now()): Promise<void> {
    if (typeof name !== 'string' || name === '' || Buffer.byteLength(name) > MAX_NAME_BYTES) {
      throw new TypeError(`counter name must be 1 to ${MAX_NAME_BYTES} UTF-8 bytes`);
    }
    const normalised = normaliseSpec(spec);
    checkInteger(nowMs, 0, UNLIMITED, 'nowMs');
    this.specs.set(name, normalised);
    await this.configure(name, normalised, nowMs, ['d']);
  }

  /**
   * Sets name's kind, limit and window here only: the next reserve carries it to Redis and
   * applies it there (with define()'s rules), so declaring costs no round trip.
   */
  declare(name: string, spec: CounterSpec): void {
    if (typeof name !== 'string' || name === '' || Buffer.byteLength(name) > MAX_NAME_BYTES) {
      throw new TypeError(`counter name must be 1 to ${MAX_NAME_BYTES} UTF-8 bytes`);
    }
    this.specs.set(name, normaliseSpec(spec));
  }

  /**
   * Starts a new period for name (a budget reset, or spend loaded at startup): usage becomes
   * `used` and open reservations no longer affect it.
   */
  async reset(name: string, used = 0, nowMs: number = Date.now()): Promise<void> {
    const spec = this.spec(name);
    checkInteger(used, 0, UNLIMITED, 'used');
    checkInteger(nowMs, 0, UNLIMITED, 'nowMs');
    await this.configure(name, spec, nowMs, ['z', used]);
  }

  private async configure(name: string, spec: Spec, nowMs: number, tail: (string | number)[]): Promise<void> {
    try {
      await this.commands.ailbConfigure(4, ...this.fixedKeys, this.key(name), nowMs, this.leaseMs,
        spec.kind, spec.limit, spec.windowMs, ...tail);
    } catch (error) {
      throw toStoreError(error, `configure ${name}`);
    }
  }

  /**
   * Reserves each amount against its counter, all or nothing, in one script call. Throws
   * TypeError/RangeError for a programming error (undefined name, name repeated, more than
   * 32 counters, amount not an integer in 0 .. 2^53 - 1); rejects with RedisUnavailableError
   * when Redis does not answer (the reservation may then have been made: its lease frees it).
   */
  async reserve(entries: readonly CounterAmount[], nowMs: number = Date.now()): Promise<ReserveResult> {
    const n = entries.length;
    if (n === 0 || n > MAX_COUNTERS_PER_RESERVATION) {
      throw new RangeError(`a reservation spans 1 to ${MAX_COUNTERS_PER_RESERVATION} counters, got ${n}`);
    }
    checkInteger(nowMs, 0, UNLIMITED, 'nowMs');
    const names: string[] = new Array(n);
    const amounts: number[] = new Array(n);
    const args: (string | number)[] = new Array(3 + n + 2 + 5 * n);
    args[0] = this.fixedKeys[0];
    args[1] = this.fixedKeys[1];
    args[2] = this.fixedKeys[2];
    args[3 + n] = nowMs;
    args[4 + n] = this.leaseMs;
    for (let i = 0; i < n; i++) {
      const { name, amount } = entries[i];
      const initial = entries[i].initial ?? 0;
      const spec = this.spec(name);
      checkInteger(amount, 0, UNLIMITED, `amount of ${name}`);
      checkInteger(initial, 0, UNLIMITED, `initial usage of ${name}`);
      for (let j = 0; j < i; j++) {
        if (names[j] === name) throw new TypeError(`counter ${JSON.stringify(name)} is repeated in one reservation`);
      }
      names[i] = name;
      amounts[i] = amount;
      args[3 + i] = this.key(name);
      const o = 5 + n + 5 * i;
      args[o] = spec.kind;
      args[o + 1] = spec.limit;
      args[o + 2] = spec.windowMs;
      args[o + 3] = amount;
      args[o + 4] = initial;
    }
    let reply: Reply;
    try {
      reply = await this.commands.ailbReserve(3 + n, ...args);
    } catch (error) {
      throw toStoreError(error, 'reserve');
    }
    if (reply[0] === '1') return { ok: true, reservation: { id: reply[1], names, amounts } };
    const index = Number(reply[1]) - 1;
    const limit = Number(reply[3]);
    const current = Number(reply[4]);
    return {
      ok: false,
      refusedBy: names[index],
      index,
      kind: Number(reply[2]) as CounterKind,
      limit,
      current,
      remaining: Math.max(0, limit - current),
      retryAfterMs: Number(reply[5]),
    };
  }

  /**
   * Closes a reservation, replacing its amounts by actual (one per counter, in reserve order;
   * may exceed the limit; default: the reserved amounts). Gauges give their amount back
   * whatever actual says. Resolves true, or false when the reservation was not open (already
   * finished, or released after its lease ran out). Settling after the reservation's window
   * ended changes nothing in that counter: usage never moves into a later window.
   */
  async settle(reservation: RedisReservation, actual?: readonly number[]): Promise<boolean> {
    const values = actual ?? reservation.amounts;
    if (values.length !== reservation.names.length) {
      throw new RangeError(`settle: ${values.length} actual amounts for ${reservation.names.length} counters`);
    }
    for (let i = 0; i < values.length; i++) checkInteger(values[i], 0, UNLIMITED, 'actual amount');
    return this.finish(reservation, ['s', ...values]);
  }

  /** Closes a reservation, taking its amounts out of every counter (a failed request). */
  async release(reservation: RedisReservation): Promise<boolean> {
    return this.finish(reservation, ['r']);
  }

  private async finish(reservation: RedisReservation, tail: (string | number)[]): Promise<boolean> {
    let reply: number;
    try {
      reply = await this.commands.ailbFinish(3 + reservation.names.length, ...this.fixedKeys,
        ...reservation.names.map((name) => this.key(name)), reservation.id, ...tail);
    } catch (error) {
      throw toStoreError(error, 'settle');
    }
    if (reply < 0) throw new RangeError('settle: actual amounts do not match the reservation');
    return reply === 1;
  }

  /**
   * name's state at nowMs, for x-ratelimit-* headers (resetMs as in the native info()). Like
   * info(), it moves the counter's window forward to nowMs. Reservations whose lease ran out
   * still count here until the next reserve sweeps them.
   */
  async snapshot(name: string, nowMs: number = Date.now()): Promise<CounterInfo> {
    const spec = this.spec(name);
    checkInteger(nowMs, 0, UNLIMITED, 'nowMs');
    let reply: Reply;
    try {
      reply = await this.commands.ailbInfo(4, ...this.fixedKeys, this.key(name), nowMs, spec.kind, spec.limit, spec.windowMs);
    } catch (error) {
      throw toStoreError(error, `snapshot ${name}`);
    }
    return {
      kind: Number(reply[0]) as CounterKind,
      current: Number(reply[1]),
      reserved: Number(reply[2]),
      limit: Number(reply[3]),
      remaining: Number(reply[4]),
      windowMs: Number(reply[5]),
      resetMs: Number(reply[6]),
    };
  }

  /** Closes the connection; later calls reject with RedisUnavailableError. */
  async close(): Promise<void> {
    if (this.currentStatus === 'closed') return;
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
    this.setStatus('closed');
  }
}
