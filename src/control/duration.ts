/**
 * LiteLLM's duration strings: "30s", "30m", "30h", "30d", "2w", "1mo" (calendar months), as used by
 * `duration`, `budget_duration`, `rotation_interval` and `grace_period`.
 */
import { GatewayError } from '../errors.js';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const PATTERN = /^(\d+)\s*(mo|s|m|h|d|w)$/;

/** Whether `value` is a duration string this module understands. */
export function isDuration(value: string): boolean {
  return PATTERN.test(value.trim());
}

export type DurationUnit = 's' | 'm' | 'h' | 'd' | 'w' | 'mo';

/** A duration string split into its number and unit; throws invalid_body naming `param` and the bad value. */
export function parseDuration(duration: string, param = 'duration'): { amount: number; unit: DurationUnit } {
  const match = PATTERN.exec(duration.trim());
  if (match === null) {
    throw new GatewayError('invalid_body', `"${param}" must be a duration like "30s", "30m", "30h", "30d", "2w" or "1mo"; got "${duration}".`, { param });
  }
  return { amount: Number(match[1]), unit: match[2] as DurationUnit };
}

/** The instant `duration` after `from`; months are calendar months (Jan 31 + 1mo = Feb 28/29). */
export function addDuration(from: Date, duration: string, param = 'duration'): Date {
  const { amount, unit } = parseDuration(duration, param);
  if (unit === 'mo') {
    const result = new Date(from.getTime());
    const day = result.getUTCDate();
    result.setUTCDate(1);
    result.setUTCMonth(result.getUTCMonth() + amount);
    const lastDay = new Date(Date.UTC(result.getUTCFullYear(), result.getUTCMonth() + 1, 0)).getUTCDate();
    result.setUTCDate(Math.min(day, lastDay));
    return result;
  }
  return new Date(from.getTime() + amount * UNIT_MS[unit]);
}

/** Validates a duration field; returns it unchanged (null/undefined pass through). */
export function checkDuration(value: string | null | undefined, param: string): string | null | undefined {
  if (value === null || value === undefined) return value;
  addDuration(new Date(0), value, param);
  return value;
}
