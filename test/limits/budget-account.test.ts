/**
 * A budget on the native counters (src/limits/budget-account.ts): seeded from the stored spend
 * once per process, raised to a higher stored spend once, rolled at each period end once, with
 * temporary increases that expire. Two BudgetAccounts with one name stand for two threads.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { BudgetAccount, type BudgetTerms } from '../../src/limits/budget-account.js';
import { CounterStatus, CounterStore, UNLIMITED } from '../../src/native/index.js';

const store = new CounterStore();
const HOUR = 3_600_000;
const T0 = Date.UTC(2030, 0, 15, 10, 0, 0);

function terms(fields: Partial<BudgetTerms> = {}): BudgetTerms {
  return {
    maxBudget: 1,
    softBudget: null,
    tempIncrease: null,
    tempExpiry: null,
    duration: null,
    resetAt: null,
    storedSpend: 0,
    timeZone: 'UTC',
    ...fields,
  };
}

/** A call that cost `usd`, as the limits stage reserves and settles it. */
function spend(account: BudgetAccount, usd: number, now = T0): void {
  const handle = store.reserve(Int32Array.of(account.id), Float64Array.of(1), now);
  assert.ok(handle >= 0, `reserve: ${handle}`);
  assert.equal(store.settle(handle, Float64Array.of(Math.round(usd * 1e6))), CounterStatus.Ok);
}

const name = () => `test:${randomUUID()}:budget`;

test('the stored spend seeds the accumulator once per process, not once per thread', () => {
  const n = name();
  const a = new BudgetAccount(store, n);
  a.setTerms(terms({ storedSpend: 0.25 }), T0);
  assert.equal(a.settledMicros(T0), 250_000);
  assert.equal(a.limitMicros, 1_000_000);
  spend(a, 0.1);
  // A second thread seeing the same record later keeps what the first one counted since.
  const b = new BudgetAccount(store, n);
  b.setTerms(terms({ storedSpend: 0.25 }), T0);
  assert.equal(b.id, a.id);
  assert.equal(b.settledMicros(T0), 350_000);
});

test('a record with a higher stored spend raises the accumulator to it, once; a lower one is ignored', () => {
  const n = name();
  const a = new BudgetAccount(store, n);
  const b = new BudgetAccount(store, n);
  a.setTerms(terms({ storedSpend: 0.2 }), T0);
  b.setTerms(terms({ storedSpend: 0.2 }), T0);
  spend(a, 0.1); // local 0.3; the store has not caught up
  b.setTerms(terms({ storedSpend: 0.25 }), T0);
  assert.equal(b.settledMicros(T0), 300_000, 'stored 0.25 < local 0.3: kept');
  // Another instance spent: the store now has more than this process counted.
  a.setTerms(terms({ storedSpend: 0.6 }), T0);
  b.setTerms(terms({ storedSpend: 0.6 }), T0);
  assert.equal(a.settledMicros(T0), 600_000, 'raised to 0.6 once, by whichever thread saw it first');
});

test('a budget_duration period rolls once at its end; a record of the finished period does not count', () => {
  const n = name();
  const resetAt = T0 + HOUR;
  const record = terms({ duration: '1h', resetAt, storedSpend: 0.4 });
  const a = new BudgetAccount(store, n);
  a.setTerms(record, T0);
  assert.equal(a.periodEnd, resetAt);
  assert.equal(a.checkAt, resetAt);
  assert.equal(a.settledMicros(T0), 400_000);

  const later = resetAt + 5 * 60_000;
  a.refresh(later);
  assert.equal(a.periodEnd, resetAt + HOUR, 'the next period, on the schedule of the stored reset');
  assert.equal(a.settledMicros(later), 0, 'the stored 0.4 was the finished period');
  spend(a, 0.1, later);
  // Another thread reaches the boundary later: the period is already rolled, nothing is lost.
  const b = new BudgetAccount(store, n);
  b.setTerms(record, later);
  assert.equal(b.settledMicros(later), 100_000);
  // The store's next record, for the new period, with less than this process counted.
  b.setTerms(terms({ duration: '1h', resetAt: resetAt + HOUR, storedSpend: 0.05 }), later);
  assert.equal(b.settledMicros(later), 100_000);
});

test('a calendar budget_duration ("1d") rolls at local midnight in litellm_settings.timezone', () => {
  const a = new BudgetAccount(store, name());
  const midnightBerlin = Date.UTC(2030, 0, 15, 23, 0, 0); // 00:00 on the 16th in Berlin (UTC+1)
  a.setTerms(terms({ duration: '1d', resetAt: midnightBerlin, timeZone: 'Europe/Berlin', storedSpend: 0.3 }), T0);
  a.refresh(midnightBerlin + 1000);
  assert.equal(a.periodEnd, midnightBerlin + 24 * HOUR);
  assert.equal(a.settledMicros(midnightBerlin + 1000), 0);
});

test('temp_budget_increase raises the limit until temp_budget_expiry', () => {
  const a = new BudgetAccount(store, name());
  const expiry = T0 + 10 * 60_000;
  a.setTerms(terms({ maxBudget: 0.5, tempIncrease: 0.25, tempExpiry: expiry }), T0);
  assert.equal(a.limitMicros, 750_000);
  assert.equal(a.maxBudget, 0.75);
  assert.equal(a.checkAt, expiry);
  a.refresh(expiry);
  assert.equal(a.limitMicros, 500_000);
  assert.equal(a.maxBudget, 0.5);
  assert.equal(a.checkAt, UNLIMITED);
});

test('max_budget 0 refuses the first reservation; a soft_budget alone only counts', () => {
  const zero = new BudgetAccount(store, name());
  zero.setTerms(terms({ maxBudget: 0 }), T0);
  assert.equal(store.reserve(Int32Array.of(zero.id), Float64Array.of(1), T0), CounterStatus.Refused);
  const soft = new BudgetAccount(store, name());
  soft.setTerms(terms({ maxBudget: null, softBudget: 0.1 }), T0);
  assert.equal(soft.limitMicros, UNLIMITED);
  spend(soft, 5);
  assert.equal(soft.thresholdLevel(soft.settledMicros(T0)), 1);
});

test("the proxy's budget (nothing stored) starts at 0 and its first period starts when a thread first sees it", () => {
  const n = name();
  const proxy = terms({ maxBudget: 10, duration: '30d', storedSpend: null });
  const a = new BudgetAccount(store, n);
  a.setTerms(proxy, T0);
  assert.equal(a.settledMicros(T0), 0);
  assert.equal(a.periodEnd, Date.UTC(2030, 1, 1), 'the 1st of the next month');
  spend(a, 1);
  const b = new BudgetAccount(store, n);
  b.setTerms(proxy, T0 + HOUR);
  assert.equal(b.periodEnd, a.periodEnd, 'a later thread joins the same period');
  assert.equal(b.settledMicros(T0), 1_000_000);
  b.refresh(Date.UTC(2030, 1, 1, 0, 0, 1));
  assert.equal(b.settledMicros(Date.UTC(2030, 1, 1, 0, 0, 1)), 0);
  assert.equal(b.periodEnd, Date.UTC(2030, 2, 1));
});

test('alert levels count the soft budget and 50%, 80%, 100% of max_budget', () => {
  const a = new BudgetAccount(store, name());
  a.setTerms(terms({ maxBudget: 1, softBudget: 0.2 }), T0);
  assert.deepEqual([0, 0.19, 0.2, 0.5, 0.79, 0.8, 1, 2].map((usd) => a.thresholdLevel(usd * 1e6)), [0, 0, 1, 2, 2, 3, 4, 4]);
});

test('a lock left by a thread that died holding it is broken after 5 s', () => {
  const n = name();
  const lock = store.intern(`${n}:lock`);
  const a = new BudgetAccount(store, n);
  // A thread took the lock and was terminated before it released it.
  assert.ok(store.reserve(Int32Array.of(lock), Float64Array.of(1), T0) >= 0);
  a.setTerms(terms({ storedSpend: 0.3 }), T0);
  assert.equal(a.checkAt, T0 + 100, 'not seeded yet: tried again shortly');
  a.refresh(T0 + 100);
  assert.equal(a.settledMicros(T0), 0);
  a.refresh(T0 + 5100);
  assert.equal(a.settledMicros(T0), 300_000, 'the stale lock was broken and the budget seeded');
  assert.equal(store.info(lock, T0).current, 0, 'and the lock released');
});
