/**
 * One entity's budget on the process-wide native counters, as one thread sees it: the spend of
 * the current budget period in an accumulator of micro-dollars, whose limit is the max budget.
 * Requests reserve on `id` (see src/pipeline/limits/); this class keeps the accumulator in step
 * with the entity's record and with time.
 *
 * Contract (docs/counters.md#budgets has the user's view):
 * - The accumulator is seeded from the record's stored `spend` the first time any thread of the
 *   process sees the entity in a period, and starts from 0 at each period boundary
 *   (budget_duration, from the stored budget_reset_at, computed with src/spend/budget-window.ts).
 *   A record whose budget_reset_at has passed holds the spend of a finished period, which does
 *   not count.
 * - When a record arrives whose stored spend is higher than what the accumulator has settled,
 *   the accumulator is raised to it (stored spend includes other instances' calls); a lower one
 *   is ignored (the local calls are not in the store yet).
 * - Those decisions are made once per process, not once per thread: each is taken under a
 *   per-entity lock (a gauge with limit 1 on the same store, held for a few µs), and the period
 *   the accumulator is in is kept in a second counter, so a thread that comes later sees the work
 *   done and does nothing. Reserving and settling never take the lock. A lock still taken after
 *   5 s was left by a thread terminated while holding it, and is broken.
 * - The proxy-wide budget has no stored spend or reset time: it starts at 0 in each process, and
 *   its first period starts when the first thread of the process sees it.
 *
 * Everything here runs on a record change or a period boundary, never per request; a request only
 * compares `now` with `checkAt`.
 */
import { CounterKind, CounterStatus, UNLIMITED, type CounterStore } from '../native/index.js';
import { currentWindow, nextReset, parseBudgetDuration, type BudgetDuration } from '../spend/budget-window.js';
import { fromMicroUsd, toMicroUsd } from '../spend/money.js';

/** The period counter's value for a budget that never resets. */
const NEVER = UNLIMITED;
/** Attempts at the lock before giving up for now (the holder keeps it a few µs). */
const LOCK_SPINS = 1000;
/** After a failed lock, the next attempt waits this long (ms), so requests do not spin meanwhile. */
const LOCK_RETRY_MS = 100;
/**
 * A lock held this long (ms) belongs to a thread that was terminated while holding it: it is
 * broken (reset), since its holder can no longer release it.
 */
const LOCK_STALE_MS = 5000;

/** A budget's terms, as the record (or the config) states them. */
export interface BudgetTerms {
  /** max_budget, USD; null: none (the budget only counts, e.g. for soft_budget alerts). */
  readonly maxBudget: number | null;
  readonly softBudget: number | null;
  /** temp_budget_increase, added to maxBudget until tempExpiry (ms since the epoch). */
  readonly tempIncrease: number | null;
  readonly tempExpiry: number | null;
  /** budget_duration text; null: one period for ever. */
  readonly duration: string | null;
  /** budget_reset_at, ms since the epoch; null: none stored (the proxy's budget). */
  readonly resetAt: number | null;
  /** The stored spend, USD; null: nothing stored (the proxy's budget starts at 0). */
  readonly storedSpend: number | null;
  /** litellm_settings.timezone. */
  readonly timeZone: string;
}

/** Parsed budget_duration texts (a handful per deployment): parsed once, not per record. */
const durations = new Map<string, BudgetDuration | null>();

function parsedDuration(text: string | null): BudgetDuration | null {
  if (text === null) return null;
  let parsed = durations.get(text);
  if (parsed === undefined) {
    try {
      parsed = parseBudgetDuration(text);
    } catch {
      // Records are validated on write; an unreadable one counts as having no period.
      parsed = null;
    }
    if (durations.size > 1024) durations.clear();
    durations.set(text, parsed);
  }
  return parsed;
}

const ONE = new Float64Array([1]);
const ZERO = new Float64Array([0]);
const delta = new Float64Array(1);

export class BudgetAccount {
  /** The accumulator requests reserve on. */
  readonly id: number;
  /** The entity's limit now, micro-dollars (UNLIMITED when it has no max_budget). */
  limitMicros = -1;
  /** The max budget in force now (temp increase included), USD; null when none. */
  maxBudget: number | null = null;
  softBudget: number | null = null;
  /** When the current period ends (ms since the epoch); NEVER for a budget without budget_duration. */
  periodEnd = 0;
  /** Call `refresh` when `now >= checkAt`: the period ends, or a temporary increase expires. */
  checkAt = 0;
  /** Highest alert threshold this thread has reported in the current period (see `thresholdLevel`). */
  reportedLevel = 0;

  private readonly store: CounterStore;
  private readonly ids: Int32Array;
  private readonly periodId: number;
  private readonly lockIds: Int32Array;
  private terms: BudgetTerms | null = null;
  /** The highest stored spend this thread has applied in the current period, micro-dollars. */
  private appliedStored = -1;
  /** When this thread first found the lock taken and could not get it (0: it has not). */
  private lockBlockedSince = 0;

  /**
   * The name of this period's accumulator in Redis (`<name>@<period end ms>`, or `@all` for a
   * budget without periods): a new period is a new counter, so instances never reset each
   * other's spend; each starts from `storedMicros` if it creates the counter.
   */
  get sharedName(): string {
    if (this.sharedPeriod !== this.periodEnd) {
      this.sharedPeriod = this.periodEnd;
      this.sharedNameText = `${this.name}@${this.periodEnd === NEVER ? 'all' : this.periodEnd}`;
    }
    return this.sharedNameText;
  }

  /** The record's stored spend that counts in the current period, micro-dollars (0: none). */
  get storedMicros(): number {
    return Math.max(0, this.appliedStored);
  }

  /** The accumulator's counter name (e.g. `team:t1:budget`). */
  readonly name: string;
  private sharedPeriod = -1;
  private sharedNameText = '';

  /** `name` is the accumulator's counter name (e.g. `team:t1:budget`). Interns three counters. */
  constructor(store: CounterStore, name: string) {
    this.store = store;
    this.name = name;
    this.id = store.intern(name);
    this.ids = Int32Array.of(this.id);
    this.periodId = store.intern(`${name}:period`);
    this.lockIds = Int32Array.of(store.intern(`${name}:lock`));
    // Same kind and limit again keeps what other threads counted (counters.md).
    store.configure(this.periodId, { kind: CounterKind.Accumulator, limit: UNLIMITED });
    store.configure(this.lockIds[0], { kind: CounterKind.Gauge, limit: 1 });
  }

  /** Applies a record's terms: reconfigures, and raises the spend to the stored one when higher. */
  setTerms(terms: BudgetTerms, now: number): void {
    const previous = this.terms;
    this.terms = terms;
    if (previous !== null && sameTerms(previous, terms) && (terms.storedSpend === null || toMicroUsd(terms.storedSpend) <= this.appliedStored)) {
      return;
    }
    this.refresh(now);
  }

  /**
   * Brings the accumulator to `now`: the limit in force (temporary increases expire), the period
   * (rolled once per process at its end), the stored spend (taken when higher).
   */
  refresh(now: number): void {
    const terms = this.terms;
    if (terms === null) return;
    const temp = terms.tempIncrease !== null && terms.tempExpiry !== null && now < terms.tempExpiry;
    const max = terms.maxBudget === null ? null : temp ? terms.maxBudget + terms.tempIncrease! : terms.maxBudget;
    const limit = max === null ? UNLIMITED : toMicroUsd(max);
    if (limit !== this.limitMicros) {
      this.store.configure(this.id, { kind: CounterKind.Accumulator, limit }, now);
      this.limitMicros = limit;
    }
    this.maxBudget = max;
    this.softBudget = terms.softBudget;
    const validUntil = temp ? terms.tempExpiry! : Number.POSITIVE_INFINITY;

    const duration = parsedDuration(terms.duration);
    const stored = terms.storedSpend === null ? 0 : toMicroUsd(terms.storedSpend);
    // The period `now` falls in, and whether the stored spend belongs to it.
    let end = NEVER;
    let storedCounts = true;
    const anchored = duration === null || terms.resetAt !== null;
    if (duration !== null && terms.resetAt !== null) {
      if (now < terms.resetAt) {
        end = terms.resetAt;
      } else {
        end = currentWindow(new Date(now), new Date(terms.resetAt), duration, terms.timeZone).end.getTime();
        storedCounts = false;
      }
    }

    const lock = this.lock(now);
    if (lock < 0) {
      // Another thread is at it (or something is wrong): try again shortly.
      this.checkAt = now + LOCK_RETRY_MS;
      return;
    }
    try {
      const period = this.store.info(this.periodId, now).current;
      if (!anchored) {
        // The proxy's budget: the period the process is in is the only record of it.
        if (period === 0 || period === NEVER) end = nextReset(new Date(now), duration!, terms.timeZone).getTime();
        else if (now < period) end = period;
        else end = currentWindow(new Date(now), new Date(period), duration!, terms.timeZone).end.getTime();
      }
      if (period < end || (period === NEVER && end !== NEVER)) {
        // The first sight of this budget in the process, or a new period: start it.
        this.store.reset(this.id, storedCounts ? stored : 0, now);
        this.store.reset(this.periodId, end, now);
      } else if (period === end) {
        if (storedCounts) this.raiseTo(stored, now);
      } else {
        // Another thread has already moved to a later period than this record knows of.
        end = period;
      }
    } finally {
      this.store.release(lock);
    }
    if (end !== this.periodEnd) {
      this.reportedLevel = 0;
      this.appliedStored = -1;
    }
    this.periodEnd = end;
    if (storedCounts) this.appliedStored = Math.max(this.appliedStored, stored);
    this.checkAt = Math.min(end, validUntil);
  }

  /** Settled spend of the current period, micro-dollars (open reservations excluded). */
  settledMicros(now: number = Date.now()): number {
    const info = this.store.info(this.id, now);
    return info.current - info.reserved;
  }

  /** Settled spend of the current period, USD. */
  spendUsd(now: number = Date.now()): number {
    return fromMicroUsd(this.settledMicros(now));
  }

  /**
   * How many alert thresholds `spendMicros` has reached, in the order soft budget, 50%, 80%,
   * 100% of max_budget (the soft budget counts as one level below the lowest max threshold it
   * is under). Used to post a report only when a new threshold is reached.
   */
  thresholdLevel(spendMicros: number): number {
    if (spendMicros <= 0) return 0;
    let level = 0;
    if (this.softBudget !== null && spendMicros >= toMicroUsd(this.softBudget)) level += 1;
    if (this.maxBudget !== null) {
      const max = toMicroUsd(this.maxBudget);
      if (spendMicros >= max * 0.5) level += 1;
      if (spendMicros >= max * 0.8) level += 1;
      if (spendMicros >= max) level += 1;
    }
    return level;
  }

  /** Adds what the stored spend has beyond the settled spend (both micro-dollars), if anything. */
  private raiseTo(stored: number, now: number): void {
    const info = this.store.info(this.id, now);
    const missing = stored - (info.current - info.reserved);
    if (missing <= 0) return;
    // A zero reservation settled at `missing`: settling may pass the limit (the spend happened).
    // It is refused only when the accumulator is already over its limit; it blocks then anyway.
    const handle = this.store.reserve(this.ids, ZERO, now);
    if (handle < 0) return;
    delta[0] = missing;
    if (this.store.settle(handle, delta) !== CounterStatus.Ok) this.store.release(handle);
  }

  private lock(now: number): number {
    for (let i = 0; i < LOCK_SPINS; i++) {
      const handle = this.store.reserve(this.lockIds, ONE, now);
      if (handle !== CounterStatus.Refused) {
        if (handle >= 0) this.lockBlockedSince = 0;
        return handle;
      }
    }
    if (this.lockBlockedSince === 0) {
      this.lockBlockedSince = now;
    } else if (now - this.lockBlockedSince >= LOCK_STALE_MS) {
      // Resetting a gauge frees what its open reservations hold; a late release changes nothing.
      this.store.reset(this.lockIds[0], 0, now);
      this.lockBlockedSince = 0;
      return this.store.reserve(this.lockIds, ONE, now);
    }
    return -1;
  }
}

function sameTerms(a: BudgetTerms, b: BudgetTerms): boolean {
  return (
    a.maxBudget === b.maxBudget &&
    a.softBudget === b.softBudget &&
    a.tempIncrease === b.tempIncrease &&
    a.tempExpiry === b.tempExpiry &&
    a.duration === b.duration &&
    a.resetAt === b.resetAt &&
    a.timeZone === b.timeZone
  );
}
