/**
 * `budget_reset_at` as the management routes write and report it, on the schedule of
 * src/spend/budget-window.ts in `litellm_settings.timezone` (docs/budgets.md has the table).
 *
 * Contract:
 * - Setting a `budget_duration` (or a team's `team_member_budget_duration`) stores the first reset
 *   after that moment (`firstBudgetReset`, `readBudgetPeriod`): "1d" set at 15:00 resets at the
 *   next local midnight, "1mo" on the next 1st, "2h" two hours on.
 * - The limits stage resets the budget at exactly the stored instant and then follows the schedule
 *   from it (src/limits/budget-account.ts). Nothing rewrites the stored value, so the info routes
 *   report the end of the period the gateway is in now (`withCurrentReset`): the moment its spend
 *   next starts again at zero.
 */
import { currentWindow, nextReset, parseBudgetDuration } from '../spend/budget-window.js';
import type { JsonObject } from '../store/types.js';
import type { AdminContext } from './types.js';
import { optionalString } from './validate.js';

/** litellm_settings.timezone: the zone budget periods are laid out in. */
export function budgetTimeZone(ctx: AdminContext): string {
  return ctx.config.limits.timeZone;
}

/** The first reset of `duration` after `now` (ISO 8601); throws invalid_body naming `param` for a bad duration. */
export function firstBudgetReset(now: Date, duration: string, timeZone: string, param = 'budget_duration'): string {
  return nextReset(now, parseBudgetDuration(duration, param), timeZone).toISOString();
}

/**
 * A budget period field of a request body (`budget_duration`, `team_member_budget_duration`) and
 * the reset it starts: undefined when absent; both null when null (the budget never resets); else
 * the duration and its first reset after `now`. Throws invalid_body naming `param`.
 */
export function readBudgetPeriod(body: JsonObject, param: string, now: Date, timeZone: string): { duration: string | null; resetAt: string | null } | undefined {
  const duration = optionalString(body, param);
  if (duration === undefined) return undefined;
  if (duration === null) return { duration: null, resetAt: null };
  return { duration, resetAt: firstBudgetReset(now, duration, timeZone, param) };
}

interface BudgetPeriodFields {
  budget_duration: string | null;
  budget_reset_at: string | null;
}

/**
 * The budget_reset_at an info route reports for a budget with this duration and stored reset:
 * the stored one until it has passed, then the end of the current period.
 */
export function currentReset(duration: string | null, resetAt: string | null, now: Date, timeZone: string): string | null {
  if (duration === null || resetAt === null) return resetAt;
  const reset = Date.parse(resetAt);
  if (Number.isNaN(reset) || now.getTime() < reset) return resetAt;
  try {
    return currentWindow(now, new Date(reset), parseBudgetDuration(duration), timeZone).end.toISOString();
  } catch {
    // A stored duration this version cannot read: the gateway gives it no periods either.
    return resetAt;
  }
}

/**
 * The record as an info route shows it: when its stored budget_reset_at has passed, a copy whose
 * budget_reset_at is the end of the current period; otherwise the record itself.
 */
export function withCurrentReset<T extends BudgetPeriodFields>(record: T, now: Date, timeZone: string): T {
  const reset = currentReset(record.budget_duration, record.budget_reset_at, now, timeZone);
  return reset === record.budget_reset_at ? record : { ...record, budget_reset_at: reset };
}
