/**
 * `budget_reset_at` as the management routes write and report it, on the schedule of
 * src/spend/budget-window.ts in `litellm_settings.timezone` (docs/budgets.md has the table).
 *
 * Contract:
 * - Setting a `budget_duration` stores the first reset after that moment (`firstBudgetReset`):
 *   "1d" set at 15:00 resets at the next local midnight, "1mo" on the next 1st, "2h" two hours on.
 * - The limits stage resets the budget at exactly the stored instant and then follows the schedule
 *   from it (src/limits/budget-account.ts). Nothing rewrites the stored value, so the info routes
 *   report the end of the period the gateway is in now (`withCurrentReset`): the moment its spend
 *   next starts again at zero.
 */
import { currentWindow, nextReset, parseBudgetDuration } from '../spend/budget-window.js';
import type { AdminContext } from './types.js';

/** litellm_settings.timezone: the zone budget periods are laid out in. */
export function budgetTimeZone(ctx: AdminContext): string {
  return ctx.config.limits.timeZone;
}

/** The first reset of `duration` after `now` (ISO 8601); throws invalid_body for a bad duration. */
export function firstBudgetReset(now: Date, duration: string, timeZone: string): string {
  return nextReset(now, parseBudgetDuration(duration), timeZone).toISOString();
}

interface BudgetPeriodFields {
  budget_duration: string | null;
  budget_reset_at: string | null;
}

/**
 * The record as an info route shows it: when its stored budget_reset_at has passed, a copy whose
 * budget_reset_at is the end of the current period; otherwise the record itself.
 */
export function withCurrentReset<T extends BudgetPeriodFields>(record: T, now: Date, timeZone: string): T {
  const { budget_duration: duration, budget_reset_at: resetAt } = record;
  if (duration === null || resetAt === null) return record;
  const reset = Date.parse(resetAt);
  if (Number.isNaN(reset) || now.getTime() < reset) return record;
  try {
    const end = currentWindow(now, new Date(reset), parseBudgetDuration(duration), timeZone).end;
    return { ...record, budget_reset_at: end.toISOString() };
  } catch {
    // A stored duration this version cannot read: the gateway gives it no periods either.
    return record;
  }
}
