/**
 * Limits stage (after tokens, before the upstream call): reserves the request against every limit
 * and budget that applies to it in ONE all-or-nothing reservation on the process-wide native
 * counters, so concurrent requests on every thread can never overshoot any of them. The
 * reservation is settled to the actual usage and cost when the request finishes, or released when
 * it failed (`finish`). docs/counters.md describes the rules for users.
 *
 * What one request reserves, budgets first (a spent budget is reported before a rate limit):
 * - budgets (accumulators of micro-dollars) of the key and its budget for the model
 *   (model_max_budget), its user and the user's budget for the model, its team and the team's
 *   budget for the model (unless the key's own entry sets a budget for it, as in LiteLLM), its
 *   team membership, the end user and its budget row's budget for the model, and the proxy: the
 *   worst-case cost (the exact prompt count at the input price plus max_tokens, or
 *   ailb_settings.budget_reservation_max_tokens, at the output price), capped at what the budget
 *   has left; settled to ctx.costUsd;
 * - requests per minute (1) and tokens per minute (prompt + max_tokens, settled to the usage) in
 *   sliding 60 s windows, and requests in flight (a gauge), of the key, its user, team and team
 *   membership, the end user, the key's model (model_rpm_limit / model_tpm_limit, and the
 *   rpm_limit / tpm_limit of its model_max_budget entry), the chosen deployment (litellm_params
 *   rpm / tpm) and the proxy (global_max_parallel_requests). At most 30 counters in all, within
 *   the store's 32 per reservation.
 * Refusals: 400 `budget_exceeded` when a budget's settled spend has reached max_budget, 429
 * `budget_reserved` when what is left of it is held by calls in flight, 429 `rate_limit_exceeded`
 * naming the entity and the limit, each with `retry-after` where waiting helps (a spent
 * model_max_budget is refused in LiteLLM's words). Answers of a virtual key carry
 * x-ratelimit-{limit,remaining,reset}-{requests,tokens} for the key's own rpm and tpm limits, and
 * LiteLLM's x-litellm-key-{spend,max-budget,rpm-limit,tpm-limit}; x-litellm-key-spend is the
 * key's spend before the call (the settled spend of its budget period when it has a budget,
 * else the stored spend of its record).
 *
 * A request with nothing to reserve (the master key, or a key whose plan has no entity, with no
 * proxy-wide limit, no end-user record with limits and no deployment rpm/tpm) allocates nothing:
 * a key's headers are then made once per record.
 *
 * With Redis (`shared`, src/pipeline/limits/shared.ts), a request the native store admitted then
 * suspends and reserves the same counters, amounts and specs in Redis in one script call: a
 * refusal there releases the local reservation and refuses with the same mapping; Redis not
 * ready or failing follows ailb_settings.redis_failure_mode (open: keep the local reservation
 * only; closed: release it, 503 counters_unavailable). `finish` settles or releases the Redis
 * reservation without waiting. Requests with nothing to reserve never touch Redis.
 */
import { GatewayError } from '../../errors.js';
import type { BudgetAccount } from '../../limits/budget-account.js';
import type { CounterAmount, RedisReservation, ReserveResult } from '../../limits/redis-counters.js';
import { CounterStatus, MAX_IDS_PER_RESERVATION, UNLIMITED, type Refusal } from '../../native/index.js';
import type { BudgetEntity, BudgetState } from '../../spend/alerts.js';
import { fromMicroUsd, toMicroUsd } from '../../spend/money.js';
import { concretePricing, estimateMaxCost, pricesAt } from '../../spend/pricing.js';
import { StageStatus, type RequestContext, type Stage } from '../context.js';
import { ThreadLimits, type EntityLimits } from './entities.js';
import type { SharedCounters } from './shared.js';

/** What a reserved slot counts. */
export const enum Unit {
  Request = 0,
  Token = 1,
  Parallel = 2,
  Money = 3,
}

/** Receives a budget's state when its spend reaches a new alert threshold (see BudgetAlerts.report). */
export type BudgetReporter = (state: BudgetState) => void;

/** The x-ratelimit-* header names of one counter (made once, not per answer). */
interface RateHeaderNames {
  readonly limit: string;
  readonly remaining: string;
  readonly reset: string;
}

const REQUEST_HEADERS: RateHeaderNames = { limit: 'x-ratelimit-limit-requests', remaining: 'x-ratelimit-remaining-requests', reset: 'x-ratelimit-reset-requests' };
const TOKEN_HEADERS: RateHeaderNames = { limit: 'x-ratelimit-limit-tokens', remaining: 'x-ratelimit-remaining-tokens', reset: 'x-ratelimit-reset-tokens' };

/** `Ns` for 0 … 120 seconds, made once: a 60 s window's reset is always among them. */
const RESET_TEXTS: readonly string[] = Array.from({ length: 121 }, (_, seconds) => `${seconds}s`);

/** x-ratelimit-reset-*: whole seconds until the window frees capacity, rounded up, as `Ns`. */
function resetText(resetMs: number): string {
  const seconds = Math.max(0, Math.ceil(resetMs / 1000));
  return seconds < RESET_TEXTS.length ? RESET_TEXTS[seconds] : `${seconds}s`;
}

/** What an admitted request holds until it finishes. */
export class LimitReservation {
  constructor(
    /** What each reserved counter counts, in reservation order. */
    readonly units: Uint8Array,
    /** The entities whose budgets it reserved on; null when none. */
    readonly payers: readonly EntityLimits[] | null,
  ) {}

  /** The same reservation in Redis, once it is made there; null without Redis (or in fail-open). */
  shared: RedisReservation | null = null;
}

const RATE_FIELDS: Record<EntityLimits['kind'], readonly [string, string, string]> = {
  key: ['rpm_limit (requests per minute)', 'tpm_limit (tokens per minute)', 'max_parallel_requests'],
  user: ['rpm_limit (requests per minute)', 'tpm_limit (tokens per minute)', 'max_parallel_requests'],
  team: ['rpm_limit (requests per minute)', 'tpm_limit (tokens per minute)', 'max_parallel_requests'],
  team_member: ['rpm_limit (requests per minute)', 'tpm_limit (tokens per minute)', 'max_parallel_requests'],
  end_user: ['rpm_limit (requests per minute)', 'tpm_limit (tokens per minute)', 'max_parallel_requests'],
  model_per_key: ['model_rpm_limit (requests per minute)', 'model_tpm_limit (tokens per minute)', 'max_parallel_requests'],
  model_budget: ['model_max_budget rpm_limit (requests per minute)', 'model_max_budget tpm_limit (tokens per minute)', 'max_parallel_requests'],
  deployment: ['rpm (requests per minute)', 'tpm (tokens per minute)', 'max_parallel_requests'],
  global: ['rpm', 'tpm', 'global_max_parallel_requests'],
};
/** LiteLLM's rate_limit_type of each unit. */
const LIMIT_TYPES = ['requests', 'tokens', 'max_parallel_requests'] as const;

/** This thread's limits: builds each request's reservation and settles it at the end. */
export class RequestLimits {
  readonly entities = new ThreadLimits();
  /**
   * Hook for budget alerts (src/spend/alerts.ts): called after a settle moved a budget's spend to
   * a threshold this thread has not reported yet in the period. Never awaited; null: no reports.
   */
  budgetReporter: BudgetReporter | null = null;
  /**
   * The counters shared with the other instances (Redis), set by the thread when a Redis URL is
   * configured; null: the native store alone.
   */
  shared: SharedCounters | null = null;

  // One reservation is built at a time per thread: scratch arrays, with a view per length so
  // that reserve and settle get exactly n values without allocating.
  private readonly ids = new Int32Array(MAX_IDS_PER_RESERVATION);
  private readonly amounts = new Float64Array(MAX_IDS_PER_RESERVATION);
  private readonly actual = new Float64Array(MAX_IDS_PER_RESERVATION);
  private readonly units = new Uint8Array(MAX_IDS_PER_RESERVATION);
  private readonly owners: (EntityLimits | null)[] = new Array<EntityLimits | null>(MAX_IDS_PER_RESERVATION).fill(null);
  private readonly idViews: Int32Array[] = [];
  private readonly amountViews: Float64Array[] = [];
  private readonly actualViews: Float64Array[] = [];
  private n = 0;
  private payers = 0;
  /** Micro-dollars each budget slot of the request being built reserves (-1: not computed yet). */
  private money = -1;
  private tokens = 0;

  constructor() {
    for (let n = 0; n <= MAX_IDS_PER_RESERVATION; n++) {
      this.idViews.push(this.ids.subarray(0, n));
      this.amountViews.push(this.amounts.subarray(0, n));
      this.actualViews.push(this.actual.subarray(0, n));
    }
  }

  /**
   * Reserves everything that applies to the request; throws the refusal. Returns true when the
   * reservation goes on in Redis: the stage is then suspended and ctx.resume is called once.
   */
  reserve(ctx: RequestContext): boolean {
    const settings = ctx.runtime.config.limits;
    const entities = this.entities;
    const auth = ctx.auth;
    let plan = auth === null ? null : entities.keyPlan(auth, settings);
    const keyHeaders = plan === null ? null : plan.keyHeaders;
    if (plan !== null && plan.empty) plan = null;
    const customer = ctx.customer === null ? null : entities.customer(ctx.customer, settings);
    const customerModel = ctx.customer === null ? null : entities.endUserModelBudget(ctx.customer, ctx.model, settings);
    const proxy = settings.proxyWide ? entities.global(settings) : null;
    const spec = ctx.deployment === null ? null : ctx.deployment.spec;
    const deployment = spec !== null && (spec.rpm !== null || spec.tpm !== null) ? entities.deployment(spec) : null;
    // A key without limits of its own, and nothing else that applies: no clock read, no counter call.
    if (plan === null && customer === null && customerModel === null && proxy === null && deployment === null) {
      ctx.rateLimitHeaders = keyHeaders;
      return false;
    }
    let model: EntityLimits | null = null;
    let keyModel: EntityLimits | null = null;
    let userModel: EntityLimits | null = null;
    let teamModel: EntityLimits | null = null;
    if (plan !== null) {
      const record = auth!;
      if (plan.modelLimits) model = entities.model(record.key, ctx.model, settings);
      if (plan.keyModelBudgets) keyModel = entities.keyModelBudget(record.key, ctx.model, settings);
      if (plan.userModelBudgets) userModel = entities.userModelBudget(record.user!, ctx.model, settings);
      // A key entry with a budget for the model overrides the team's (LiteLLM's rule).
      if (plan.teamModelBudgets && (keyModel === null || keyModel.budget === null)) teamModel = entities.teamModelBudget(record.team!, ctx.model, settings);
    }

    const now = Date.now();
    this.n = 0;
    this.payers = 0;
    this.money = -1;
    this.tokens = Math.max(ctx.promptTokens, 0) + Math.max(ctx.maxTokens, 0);
    if (plan !== null) {
      this.addBudget(ctx, plan.key, now);
      this.addBudget(ctx, keyModel, now);
      this.addBudget(ctx, plan.user, now);
      this.addBudget(ctx, userModel, now);
      this.addBudget(ctx, plan.team, now);
      this.addBudget(ctx, teamModel, now);
      this.addBudget(ctx, plan.member, now);
      this.addRates(plan.key);
      this.addRates(plan.user);
      this.addRates(plan.team);
      this.addRates(plan.member);
    }
    this.addBudget(ctx, customer, now);
    this.addBudget(ctx, customerModel, now);
    this.addBudget(ctx, proxy, now);
    this.addRates(customer);
    this.addRates(model);
    this.addRates(keyModel);
    this.addRates(deployment);
    this.addRates(proxy);
    const n = this.n;
    if (n === 0) {
      ctx.rateLimitHeaders = keyHeaders;
      return false;
    }

    const store = entities.store;
    let handle = -1;
    for (let attempt = 0; ; attempt++) {
      handle = store.reserve(this.idViews[n], this.amountViews[n], now);
      if (handle >= 0) break;
      if (handle !== CounterStatus.Refused) {
        this.clearOwners();
        throw new GatewayError('internal_error', `Could not reserve against the limits (counter status ${handle}).`);
      }
      const refusal = store.refusal;
      const i = refusal.index;
      // A budget with less left than the worst case: reserve what is left (LiteLLM lets a call in
      // while spend < max_budget). Bounded: each retry lowers one amount to what was left.
      if (this.units[i] === Unit.Money && refusal.remaining > 0 && attempt < n + 2) {
        this.amounts[i] = refusal.remaining;
        continue;
      }
      const error = this.refusal(ctx, i, refusal, now);
      this.clearOwners();
      throw error;
    }
    ctx.limitHandle = handle;
    ctx.limitReservation = new LimitReservation(this.units.slice(0, n), this.payers === 0 ? null : this.payerList());
    const key = plan?.key ?? null;
    ctx.rateLimitHeaders = key !== null && (key.rpm >= 0 || key.tpm >= 0 || key.budget !== null)
      ? this.headers(key, keyHeaders!, now)
      : keyHeaders;
    if (this.shared === null) {
      this.clearOwners();
      return false;
    }
    return this.reserveShared(ctx, this.shared, n, now);
  }

  /**
   * The second half with Redis: the same counters, amounts and specs, in one script call. Redis
   * not ready: the failure mode decides at once (no wait). Otherwise the stage suspends.
   */
  private reserveShared(ctx: RequestContext, shared: SharedCounters, n: number, now: number): boolean {
    const held = ctx.limitReservation!;
    if (!shared.ready) {
      this.clearOwners();
      shared.reserveFailed(new Error(`redis counters: connection ${shared.store.status}`));
      if (ctx.runtime.config.limits.redisFailureMode === 'open') return false;
      this.dropLocal(ctx, held);
      throw countersUnavailable();
    }
    const entries: CounterAmount[] = new Array<CounterAmount>(n);
    const owners: EntityLimits[] = new Array<EntityLimits>(n);
    for (let i = 0; i < n; i++) {
      const owner = this.owners[i]!;
      const unit = this.units[i];
      let name: string;
      let initial = 0;
      if (unit === Unit.Request) {
        name = owner.rpmName;
        shared.declare(name, owner.rpm, 'window');
      } else if (unit === Unit.Token) {
        name = owner.tpmName;
        shared.declare(name, owner.tpm, 'window');
      } else if (unit === Unit.Parallel) {
        name = owner.parallelName;
        shared.declare(name, owner.parallel, 'gauge');
      } else {
        const account = owner.budget!;
        name = account.sharedName;
        initial = account.storedMicros;
        shared.declare(name, account.limitMicros, 'money');
      }
      entries[i] = { name, amount: this.amounts[i], initial };
      owners[i] = owner;
    }
    this.clearOwners();
    void this.reserveInRedis(ctx, shared, held, entries, owners, now);
    return true;
  }

  private async reserveInRedis(
    ctx: RequestContext,
    shared: SharedCounters,
    held: LimitReservation,
    entries: CounterAmount[],
    owners: EntityLimits[],
    now: number,
  ): Promise<void> {
    let error: GatewayError | null = null;
    try {
      for (let attempt = 0; ; attempt++) {
        const result = await shared.store.reserve(entries, now);
        if (result.ok) {
          // A request that finished meanwhile (the client went away) gives it back at once.
          if (ctx.limitReservation === held) held.shared = result.reservation;
          else shared.finish(result.reservation, null);
          break;
        }
        const i = result.index;
        const unit = held.units[i] as Unit;
        // As on the native store: a budget with less left than the worst case lends what is left.
        if (unit === Unit.Money && result.remaining > 0 && attempt < entries.length + 2) {
          entries[i].amount = result.remaining;
          continue;
        }
        error = await this.sharedRefusal(ctx, shared, owners[i], unit, entries[i], result);
        this.dropLocal(ctx, held);
        break;
      }
    } catch (cause) {
      shared.reserveFailed(cause);
      if (ctx.runtime.config.limits.redisFailureMode === 'closed') {
        this.dropLocal(ctx, held);
        error = countersUnavailable();
      }
    }
    ctx.resume?.(error);
  }

  /** The refusal for a counter Redis refused: the same codes and messages as the native ones. */
  private async sharedRefusal(
    ctx: RequestContext,
    shared: SharedCounters,
    owner: EntityLimits,
    unit: Unit,
    entry: CounterAmount,
    result: Extract<ReserveResult, { ok: false }>,
  ): Promise<GatewayError> {
    if (unit !== Unit.Money) return rateRefusal(ctx, owner, unit, result.limit, result.remaining, result.retryAfterMs, entry.amount);
    // Spent, or held by calls in flight (here or on another instance)?
    let settled = result.current;
    try {
      const info = await shared.store.snapshot(entry.name);
      settled = info.current - info.reserved;
    } catch {
      // Without the split, count it all as spent.
    }
    return budgetRefusalAt(ctx, owner, owner.budget!, settled);
  }

  /** Releases the native reservation of a request refused in Redis (unless it finished meanwhile). */
  private dropLocal(ctx: RequestContext, held: LimitReservation): void {
    if (ctx.limitReservation !== held) return;
    this.entities.store.release(ctx.limitHandle);
    ctx.limitHandle = -1;
    ctx.limitReservation = null;
    ctx.rateLimitHeaders = null;
  }

  /** Settles the request's reservation to its usage and cost (a success) or releases it (anything else). */
  finish(ctx: RequestContext): void {
    const handle = ctx.limitHandle;
    if (handle < 0) return;
    ctx.limitHandle = -1;
    const held = ctx.limitReservation;
    ctx.limitReservation = null;
    const store = this.entities.store;
    const usage = ctx.usage;
    const shared = held === null ? null : held.shared;
    if (held === null || (ctx.aborted && usage === null) || ctx.status >= 400 || ctx.status === 0) {
      store.release(handle);
      if (shared !== null) this.shared?.finish(shared, null);
      return;
    }
    const units = held.units;
    const n = units.length;
    const actual = this.actualViews[n];
    const tokens = usage === null ? Math.max(ctx.promptTokens, 0) : usage.promptTokens + usage.completionTokens;
    const cost = ctx.costUsd === null ? 0 : toMicroUsd(ctx.costUsd);
    for (let i = 0; i < n; i++) {
      const unit = units[i];
      actual[i] = unit === Unit.Token ? tokens : unit === Unit.Money ? cost : 1;
    }
    // Never awaited: the answer has gone; a failure is counted and sent again after recovery.
    if (shared !== null) this.shared?.finish(shared, Array.from(actual));
    if (store.settle(handle, actual) !== CounterStatus.Ok) {
      store.release(handle);
      return;
    }
    const reporter = this.budgetReporter;
    if (held.payers !== null && reporter !== null && ctx.runtime.config.alerting.webhooks.length > 0) {
      this.report(held.payers, reporter);
    }
  }

  private addBudget(ctx: RequestContext, entity: EntityLimits | null, now: number): void {
    if (entity === null) return;
    const account = entity.budget;
    if (account === null) return;
    if (now >= account.checkAt) account.refresh(now);
    if (this.money < 0) this.money = reservationMicros(ctx, now);
    this.push(account.id, Unit.Money, this.money, entity);
    this.payers++;
  }

  private addRates(entity: EntityLimits | null): void {
    if (entity === null) return;
    if (entity.rpm >= 0) this.push(entity.rpmId, Unit.Request, 1, entity);
    if (entity.tpm >= 0) this.push(entity.tpmId, Unit.Token, this.tokens, entity);
    if (entity.parallel >= 0) this.push(entity.parallelId, Unit.Parallel, 1, entity);
  }

  private push(id: number, unit: Unit, amount: number, owner: EntityLimits): void {
    const i = this.n++;
    this.ids[i] = id;
    this.amounts[i] = amount;
    this.units[i] = unit;
    this.owners[i] = owner;
  }

  private payerList(): EntityLimits[] {
    const out: EntityLimits[] = [];
    for (let i = 0; i < this.n; i++) if (this.units[i] === Unit.Money) out.push(this.owners[i]!);
    return out;
  }

  /** Drops the scratch's references to entities, so that they can be collected when replaced. */
  private clearOwners(): void {
    for (let i = 0; i < this.n; i++) this.owners[i] = null;
  }

  private refusal(ctx: RequestContext, i: number, refusal: Refusal, now: number): GatewayError {
    const owner = this.owners[i]!;
    const unit = this.units[i];
    if (unit === Unit.Money) return budgetRefusalAt(ctx, owner, owner.budget!, owner.budget!.settledMicros(now));
    return rateRefusal(ctx, owner, unit, refusal.limit, refusal.remaining, refusal.retryMs, this.amounts[i]);
  }

  /**
   * The answer headers of a key with counters of its own: x-ratelimit-* for its rpm and tpm
   * limits, its record's x-litellm-key-* headers, and x-litellm-key-spend from its budget.
   */
  private headers(key: EntityLimits, keyHeaders: readonly string[], now: number): string[] {
    const out: string[] = [];
    if (key.rpm >= 0) this.rateHeaders(out, key.rpmId, REQUEST_HEADERS, now);
    if (key.tpm >= 0) this.rateHeaders(out, key.tpmId, TOKEN_HEADERS, now);
    for (let i = 0; i < keyHeaders.length; i++) out.push(keyHeaders[i]);
    // Spend before this call, as LiteLLM reports it: the period's settled spend, without the
    // reservations of calls in flight (this one's included).
    if (key.budget !== null) out.push('x-litellm-key-spend', String(fromMicroUsd(key.budget.settledMicros(now))));
    return out;
  }

  /** x-ratelimit-limit/remaining/reset-`names` of counter `id`, appended to `out`. */
  private rateHeaders(out: string[], id: number, names: RateHeaderNames, now: number): void {
    const store = this.entities.store;
    // Remaining as of this request's own reservation (read atomically with it), not a later read
    // that other threads' reservations may already have moved.
    let current = Number.NaN;
    for (let i = 0; i < this.n; i++) if (this.ids[i] === id) current = store.currentAfterReserve(i);
    const info = store.info(id, now);
    const remaining = Number.isNaN(current) ? info.remaining : Math.max(0, info.limit - current);
    out.push(names.limit, String(info.limit), names.remaining, String(remaining), names.reset, resetText(info.resetMs));
  }

  private report(payers: readonly EntityLimits[], reporter: BudgetReporter): void {
    const now = Date.now();
    for (const payer of payers) {
      const account = payer.budget;
      // Per-model budgets have no alerts (nor in LiteLLM).
      if (account === null || payer.kind === 'model_budget') continue;
      const spend = account.settledMicros(now);
      const level = account.thresholdLevel(spend);
      if (level <= account.reportedLevel) continue;
      account.reportedLevel = level;
      try {
        reporter({
          entity: payer.kind as BudgetEntity,
          id: payer.alertId,
          resetAt: account.periodEnd === UNLIMITED ? null : new Date(account.periodEnd),
          spend: fromMicroUsd(spend),
          maxBudget: account.maxBudget,
          softBudget: account.softBudget,
        });
      } catch {
        // A report is advice; it never fails a request.
      }
    }
  }
}

/**
 * Micro-dollars a budget reserves for the request: the exact prompt count at the input price plus
 * max_tokens (or ailb_settings.budget_reservation_max_tokens) at the output price, rounded up; at
 * least 1, so that a budget whose spend has reached its limit refuses. An unpriced deployment
 * reserves 1 (its calls cost 0).
 */
function reservationMicros(ctx: RequestContext, now: number): number {
  const deployment = ctx.deployment;
  if (deployment === null) return 1;
  const prices = pricesAt(concretePricing(deployment.pricing, ctx.upstreamModel), now);
  if (prices === null) return 1;
  const output = ctx.maxTokens >= 0 ? ctx.maxTokens : ctx.runtime.config.limits.budgetReservationMaxTokens;
  return Math.max(1, toMicroUsd(estimateMaxCost(prices, Math.max(ctx.promptTokens, 0), output), 'up'));
}

/** 429 rate_limit_exceeded naming the entity and the limit; retry-after from retryMs (-1: 1 s). */
function rateRefusal(ctx: RequestContext, owner: EntityLimits, unit: number, limit: number, remaining: number, retryMs: number, amount: number): GatewayError {
  ctx.retryAfterS = retryMs < 0 ? 1 : Math.max(1, Math.ceil(retryMs / 1000));
  const field = RATE_FIELDS[owner.kind][unit];
  return new GatewayError(
    'rate_limit_exceeded',
    `Rate limit exceeded for ${owner.label}: ${field} is ${limit}, ${remaining} left` +
      (unit === Unit.Token ? ` and this request needs ${amount} tokens` : '') +
      `. Limit type: ${LIMIT_TYPES[unit]}. Retry after ${ctx.retryAfterS} s.`,
  );
}

/** 503 counters_unavailable: Redis is configured, does not answer, and redis_failure_mode is closed. */
function countersUnavailable(): GatewayError {
  return new GatewayError('counters_unavailable', 'The shared rate limits (Redis) are unavailable; the request was not admitted (ailb_settings.redis_failure_mode: closed). Retry later.');
}

/** 400 budget_exceeded when the settled spend (micro-dollars) has reached the limit; else 429 budget_reserved. */
function budgetRefusalAt(ctx: RequestContext, owner: EntityLimits, account: BudgetAccount, settled: number): GatewayError {
  const max = account.maxBudget ?? 0;
  if (settled >= account.limitMicros) {
    const message = owner.budgetExceededMessage ?? `Budget has been exceeded! ${owner.tag}Current cost: ${fromMicroUsd(settled)}, Max budget: ${max}`;
    return new GatewayError('budget_exceeded', message);
  }
  ctx.retryAfterS = 1;
  const left = fromMicroUsd(account.limitMicros - settled);
  return new GatewayError(
    'budget_reserved',
    `The budget of ${owner.label} is held by calls in flight: spend ${fromMicroUsd(settled)}, max_budget ${max}, and the ${left} left is reserved by calls not finished yet. Retry after ${ctx.retryAfterS} s.`,
  );
}

export function createLimitsStage(limits: RequestLimits): Stage {
  return function limitsStage(ctx: RequestContext): StageStatus {
    // The common case first: nothing can apply (no key record, no end user record, no
    // proxy-wide limit, no deployment rpm/tpm). No allocation, no counter call.
    if (ctx.auth === null && ctx.customer === null && !ctx.runtime.config.limits.proxyWide) {
      const spec = ctx.deployment === null ? null : ctx.deployment.spec;
      if (spec === null || (spec.rpm === null && spec.tpm === null)) return StageStatus.Continue;
    }
    return limits.reserve(ctx) ? StageStatus.Suspend : StageStatus.Continue;
  };
}

/** The name this class had while it covered only a key's own limits (kept for existing callers). */
export { RequestLimits as KeyLimits };
