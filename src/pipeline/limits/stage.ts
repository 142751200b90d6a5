/**
 * Limits stage (after tokens, before the upstream call): reserves the request against its
 * virtual key's own limits on the process-wide native counters, all or nothing, so concurrent
 * requests on every thread can never overshoot them. The reservation is settled to the actual
 * usage when the request finishes, or released when it failed (see `settleLimits`).
 *
 * Counters per key (sliding windows of 60 s, exact across threads):
 * - rpm_limit: 1 per request;
 * - tpm_limit: the exact prompt count + max_tokens (or max_completion_tokens) when the body
 *   sets it, settled to prompt + completion tokens as reported (or counted);
 * - max_parallel_requests: a gauge, held while the request is in flight.
 * A refusal is 429 `rate_limit_exceeded` naming the key and the limit, with `retry-after`.
 * Every admitted answer carries x-ratelimit-{limit,remaining,reset}-{requests,tokens} for the
 * key's rpm and tpm limits.
 */
import type { KeyRecord } from '../../store/types.js';
import { GatewayError } from '../../errors.js';
import { CounterKind, CounterStatus, CounterStore } from '../../native/index.js';
import { StageStatus, type RequestContext, type Stage } from '../context.js';

const WINDOW_MS = 60_000;

/** The counters of one key in this thread: interned once, reconfigured when its record changes. */
interface KeyCounters {
  readonly key: KeyRecord;
  readonly ids: Int32Array;
  readonly kinds: readonly ('rpm' | 'tpm' | 'parallel')[];
  readonly rpmIndex: number;
  readonly tpmIndex: number;
}

const LIMIT_NAMES = { rpm: 'rpm_limit (requests per minute)', tpm: 'tpm_limit (tokens per minute)', parallel: 'max_parallel_requests' } as const;

export class KeyLimits {
  private readonly store = new CounterStore();
  private readonly byToken = new Map<string, KeyCounters>();
  private amounts = new Float64Array(3);
  /** The counters each open reservation was made on (a key's record may change meanwhile). */
  private readonly open = new Map<number, KeyCounters>();

  /** The key's counters, configured for its current record; null when it has no limits. */
  countersFor(key: KeyRecord): KeyCounters | null {
    if (key.rpm_limit === null && key.tpm_limit === null && key.max_parallel_requests === null) {
      if (this.byToken.size > 0) this.byToken.delete(key.token);
      return null;
    }
    const cached = this.byToken.get(key.token);
    if (cached !== undefined && cached.key === key) return cached;
    const kinds: ('rpm' | 'tpm' | 'parallel')[] = [];
    if (key.rpm_limit !== null) kinds.push('rpm');
    if (key.tpm_limit !== null) kinds.push('tpm');
    if (key.max_parallel_requests !== null) kinds.push('parallel');
    const ids = new Int32Array(kinds.length);
    kinds.forEach((kind, i) => {
      const id = this.store.intern(`key:${key.token}:${kind}`);
      // Same kind and window with a new limit keeps what was counted (counters.md).
      if (kind === 'parallel') this.store.configure(id, { kind: CounterKind.Gauge, limit: key.max_parallel_requests! });
      else this.store.configure(id, { kind: CounterKind.SlidingWindow, limit: kind === 'rpm' ? key.rpm_limit! : key.tpm_limit!, windowMs: WINDOW_MS });
      ids[i] = id;
    });
    const counters = { key, ids, kinds, rpmIndex: kinds.indexOf('rpm'), tpmIndex: kinds.indexOf('tpm') };
    this.byToken.set(key.token, counters);
    return counters;
  }

  reserve(ctx: RequestContext, counters: KeyCounters): void {
    const n = counters.ids.length;
    const amounts = this.amounts.length === n ? this.amounts : (this.amounts = new Float64Array(n));
    const tokens = Math.max(ctx.promptTokens, 0) + Math.max(ctx.maxTokens, 0);
    for (let i = 0; i < n; i++) amounts[i] = counters.kinds[i] === 'tpm' ? tokens : 1;
    const now = Date.now();
    const handle = this.store.reserve(counters.ids, amounts, now);
    if (handle === CounterStatus.Refused) {
      const refusal = this.store.refusal;
      const kind = counters.kinds[refusal.index];
      ctx.retryAfterS = refusal.retryMs < 0 ? 1 : Math.max(1, Math.ceil(refusal.retryMs / 1000));
      const alias = counters.key.key_alias === null ? counters.key.key_name : `${counters.key.key_alias} (${counters.key.key_name})`;
      throw new GatewayError(
        'rate_limit_exceeded',
        `Rate limit exceeded for key ${alias}: ${LIMIT_NAMES[kind]} is ${refusal.limit}, ${refusal.remaining} left` +
          (kind === 'tpm' ? ` and this request needs ${tokens} tokens` : '') +
          `. Retry after ${ctx.retryAfterS} s.`,
      );
    }
    if (handle < 0) throw new GatewayError('internal_error', `Could not reserve against the key's limits (status ${handle}).`);
    ctx.limitHandle = handle;
    this.open.set(handle, counters);
    ctx.rateLimitHeaders = this.headers(counters, now);
  }

  /** Settles the request's reservation to its usage (a success) or releases it (anything else). */
  finish(ctx: RequestContext): void {
    const handle = ctx.limitHandle;
    if (handle < 0) return;
    ctx.limitHandle = -1;
    const counters = this.open.get(handle) ?? null;
    this.open.delete(handle);
    const usage = ctx.usage;
    if (counters === null || (ctx.aborted && usage === null) || ctx.status >= 400 || ctx.status === 0) {
      this.store.release(handle);
      return;
    }
    const n = counters.ids.length;
    const actual = new Float64Array(n);
    const tokens = usage === null ? Math.max(ctx.promptTokens, 0) : usage.promptTokens + usage.completionTokens;
    for (let i = 0; i < n; i++) actual[i] = counters.kinds[i] === 'tpm' ? tokens : 1;
    if (this.store.settle(handle, actual) !== CounterStatus.Ok) this.store.release(handle);
  }

  private headers(counters: KeyCounters, now: number): string[] {
    const out: string[] = [];
    const add = (index: number, suffix: string) => {
      if (index < 0) return;
      const info = this.store.info(counters.ids[index], now);
      out.push(
        `x-ratelimit-limit-${suffix}`, String(info.limit),
        `x-ratelimit-remaining-${suffix}`, String(info.remaining),
        `x-ratelimit-reset-${suffix}`, `${Math.max(0, Math.ceil(info.resetMs / 1000))}s`,
      );
    };
    add(counters.rpmIndex, 'requests');
    add(counters.tpmIndex, 'tokens');
    return out;
  }
}

export function createLimitsStage(limits: KeyLimits): Stage {
  return function limitsStage(ctx: RequestContext): StageStatus {
    const record = ctx.auth;
    if (record === null) return StageStatus.Continue;
    const counters = limits.countersFor(record.key);
    if (counters !== null) limits.reserve(ctx, counters);
    return StageStatus.Continue;
  };
}
