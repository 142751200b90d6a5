/**
 * Budget periods: when a `budget_duration` budget resets, in `litellm_settings.timezone`.
 *
 * Contract (docs/budgets.md has the table):
 * - `s`, `m`, `h` are exact lengths from the budget's last reset: "2h" reset at 10:17 next resets
 *   at 12:17, then 14:17, whatever the clock or the time zone says.
 * - `d`, `w`, `mo` reset on calendar boundaries at local midnight: "1d" every midnight, "7d" / "1w"
 *   every Monday, "30d" / "1mo" on the 1st of each month (LiteLLM's special cases), any other "Nd" /
 *   "Nw" every N (or 7N) local days, "Nmo" on the 1st every N months. A day is a calendar day, so
 *   across a DST change it lasts 23 or 25 hours; a local midnight that the clock skips starts the
 *   day at the first instant that exists.
 * - A budget resets when `now >= budget_reset_at`; the next reset follows from the previous one
 *   (never from `now`), so windows missed while nothing was running are skipped without drift.
 *
 * Pure functions of (instant, duration, time zone); nothing here reads the clock.
 */
import { parseDuration } from '../control/duration.js';
import { GatewayError } from '../errors.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Longest budget_duration accepted (100 years): longer ones mean "never" and may leave the Date range. */
const MAX_DAYS = 36_525;

/** A parsed budget_duration: how its periods are laid out. */
export type BudgetDuration =
  /** s, m, h: `ms` long, from the last reset. */
  | { readonly text: string; readonly kind: 'fixed'; readonly ms: number }
  /** "Nd" (N ≠ 7, 30) and "Nw" (N > 1): every `days` local days, at local midnight. */
  | { readonly text: string; readonly kind: 'days'; readonly days: number }
  /** "7d", "1w": Mondays at local midnight. */
  | { readonly text: string; readonly kind: 'weekly' }
  /** "30d", "Nmo": the 1st of every `months`th month, at local midnight. */
  | { readonly text: string; readonly kind: 'months'; readonly months: number };

/** One budget period: spend counts from `start` (inclusive) to `end` (exclusive), when it resets. */
export interface BudgetWindow {
  readonly start: Date;
  readonly end: Date;
}

/**
 * Parses LiteLLM's budget_duration syntax ("30s", "5m", "2h", "1d", "7d", "2w", "1mo"); throws
 * invalid_body naming `param` and the bad value for any other text, for zero, and for more than
 * 100 years.
 */
export function parseBudgetDuration(text: string, param = 'budget_duration'): BudgetDuration {
  const { amount, unit } = parseDuration(text, param);
  const bad = (why: string) => new GatewayError('invalid_body', `"${param}" ${why}; got "${text}".`, { param });
  if (amount === 0) throw bad('must be longer than zero');
  const days = unit === 's' ? amount / 86_400 : unit === 'm' ? amount / 1440 : unit === 'h' ? amount / 24
    : unit === 'd' ? amount : unit === 'w' ? amount * 7 : amount * (36_525 / 1200);
  if (days > MAX_DAYS) throw bad('must be at most 100 years');
  switch (unit) {
    case 's': return { text, kind: 'fixed', ms: amount * SECOND };
    case 'm': return { text, kind: 'fixed', ms: amount * MINUTE };
    case 'h': return { text, kind: 'fixed', ms: amount * HOUR };
    case 'mo': return { text, kind: 'months', months: amount };
    case 'w': return amount === 1 ? { text, kind: 'weekly' } : { text, kind: 'days', days: amount * 7 };
    case 'd':
      if (amount === 7) return { text, kind: 'weekly' };
      if (amount === 30) return { text, kind: 'months', months: 1 };
      return { text, kind: 'days', days: amount };
  }
}

function asDuration(duration: BudgetDuration | string): BudgetDuration {
  return typeof duration === 'string' ? parseBudgetDuration(duration) : duration;
}

/**
 * The first reset after `after` for a budget that (re)starts at `after`: what budget_reset_at
 * becomes when a budget_duration is set, and after each reset. Always later than `after`.
 * Matches LiteLLM's get_next_standardized_reset_time for d, w and mo; s, m and h are exact.
 */
export function nextReset(after: Date, duration: BudgetDuration | string, timeZone = 'UTC'): Date {
  const d = asDuration(duration);
  const t = after.getTime();
  if (d.kind === 'fixed') return new Date(t + d.ms);
  const zone = zoneOf(timeZone);
  const today = zone.dayNumber(t);
  switch (d.kind) {
    case 'days': return new Date(zone.startOfDay(today + d.days));
    // dayNumber 0 (1970-01-01) was a Thursday: Monday is 0 in (dayNumber + 3) mod 7.
    case 'weekly': return new Date(zone.startOfDay(today + 7 - mod(today + 3, 7)));
    case 'months': return new Date(zone.startOfMonth(zone.monthNumber(t) + d.months));
  }
}

/**
 * The reset before `before` on the same schedule: the inverse of nextReset for any instant
 * nextReset returns. For an instant off the schedule (a budget_reset_at written as "created_at +
 * duration" by an older version) it is the schedule's boundary a period earlier.
 */
export function previousReset(before: Date, duration: BudgetDuration | string, timeZone = 'UTC'): Date {
  const d = asDuration(duration);
  const t = before.getTime();
  if (d.kind === 'fixed') return new Date(t - d.ms);
  const zone = zoneOf(timeZone);
  // The calendar day (or month) the period before `before` ends in.
  const lastDay = zone.dayNumber(t - 1);
  switch (d.kind) {
    case 'days': return new Date(zone.startOfDay(lastDay - (d.days - 1)));
    case 'weekly': return new Date(zone.startOfDay(lastDay - mod(lastDay + 3, 7)));
    case 'months': return new Date(zone.startOfMonth(zone.monthNumber(t - 1) - (d.months - 1)));
  }
}

/**
 * The budget window that contains `now`, given the budget's stored reset instant `resetAt`
 * (budget_reset_at). While `now < resetAt` the window ends at `resetAt`. Once `now >= resetAt` the
 * budget has reset: `end` is the first reset after `now` on the schedule that continues from
 * `resetAt` (missed windows skipped, no drift), and `start` the reset before it; the caller stores
 * `end` as the new budget_reset_at and starts spend afresh.
 */
export function currentWindow(now: Date, resetAt: Date, duration: BudgetDuration | string, timeZone = 'UTC'): BudgetWindow {
  const d = asDuration(duration);
  const t = now.getTime();
  const reset = resetAt.getTime();
  if (t < reset) return { start: previousReset(resetAt, d, timeZone), end: resetAt };

  if (d.kind === 'fixed') {
    const end = reset + (Math.floor((t - reset) / d.ms) + 1) * d.ms;
    return { start: new Date(end - d.ms), end: new Date(end) };
  }
  // The first reset after `resetAt` lies on the calendar schedule; jump from it to the last
  // boundary at or before `now` with calendar arithmetic, then step to the one after `now`.
  const zone = zoneOf(timeZone);
  let start = reset;
  let end = nextReset(resetAt, d, timeZone).getTime();
  if (end <= t) {
    const periods = d.kind === 'months'
      ? Math.floor((zone.monthNumber(t) - zone.monthNumber(end)) / d.months)
      : Math.floor((zone.dayNumber(t) - zone.dayNumber(end)) / (d.kind === 'weekly' ? 7 : d.days));
    if (periods > 0) {
      end = d.kind === 'months'
        ? zone.startOfMonth(zone.monthNumber(end) + periods * d.months)
        : zone.startOfDay(zone.dayNumber(end) + periods * (d.kind === 'weekly' ? 7 : d.days));
    }
    start = end;
    end = nextReset(new Date(start), d, timeZone).getTime();
    while (end <= t) {
      start = end;
      end = nextReset(new Date(start), d, timeZone).getTime();
    }
  }
  return { start: new Date(start), end: new Date(end) };
}

/** Calendar reads in one time zone. Day numbers count local dates from 1970-01-01 (day 0). */
interface Zone {
  dayNumber(t: number): number;
  /** Months from January 1970 (month 0) of the local date at `t`. */
  monthNumber(t: number): number;
  /** The first instant whose local date is `day`: local midnight, or the end of a gap that skips it. */
  startOfDay(day: number): number;
  /** startOfDay of the 1st of `month`. */
  startOfMonth(month: number): number;
}

const UTC_ZONE: Zone = {
  dayNumber: (t) => Math.floor(t / DAY),
  monthNumber: (t) => {
    const date = new Date(t);
    return (date.getUTCFullYear() - 1970) * 12 + date.getUTCMonth();
  },
  startOfDay: (day) => day * DAY,
  startOfMonth: (month) => Date.UTC(1970 + Math.floor(month / 12), mod(month, 12), 1),
};

const zones = new Map<string, Zone>([['UTC', UTC_ZONE]]);

/** The Zone for an IANA name; throws RangeError for a name Intl does not know. */
function zoneOf(timeZone: string): Zone {
  let zone = zones.get(timeZone);
  if (zone === undefined) {
    zone = intlZone(timeZone);
    zones.set(timeZone, zone);
  }
  return zone;
}

/** A Zone read through Intl.DateTimeFormat (ICU's tz database), as LiteLLM reads zoneinfo. */
function intlZone(timeZone: string): Zone {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
    hour: 'numeric', minute: 'numeric', second: 'numeric',
  });
  /** The local wall-clock time at `t`, written as if it were a UTC instant (whole seconds). */
  const wall = (t: number): number => {
    const p: Record<string, number> = {};
    for (const part of format.formatToParts(t)) if (part.type !== 'literal') p[part.type] = Number(part.value);
    return Date.UTC(p.year, p.month - 1, p.day, p.hour % 24, p.minute, p.second);
  };
  const offset = (t: number): number => wall(t) - Math.floor(t / SECOND) * SECOND;
  // Budgets reset together at a few midnights, so day starts are remembered (bounded).
  const dayStarts = new Map<number, number>();
  const startOfDay = (day: number): number => {
    let start = dayStarts.get(day);
    if (start !== undefined) return start;
    const midnight = day * DAY;
    // The offsets in force a day either side bracket the instant; a candidate is right when its
    // wall-clock time is that midnight. Two right (a repeated midnight): the earlier. None (the
    // clock jumps over midnight): the jump itself, which the earlier offset places exactly.
    const before = midnight - offset(midnight - DAY);
    const after = midnight - offset(midnight + DAY);
    const fits = [before, after].filter((c) => wall(c) === midnight);
    start = fits.length > 0 ? Math.min(...fits) : before;
    if (dayStarts.size >= 4096) dayStarts.clear();
    dayStarts.set(day, start);
    return start;
  };
  return {
    dayNumber: (t) => Math.floor(wall(t) / DAY),
    monthNumber: (t) => UTC_ZONE.monthNumber(wall(t)),
    startOfDay,
    startOfMonth: (month) => startOfDay(UTC_ZONE.startOfMonth(month) / DAY),
  };
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}
