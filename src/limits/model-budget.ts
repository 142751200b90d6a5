/**
 * Per-model budgets (`model_max_budget`, in LiteLLM's shapes) of a key, user, team or end user
 * (through its budget row): which entry governs a request's model, and what it says.
 *
 * Entries (the model name → the budget):
 * - `{"budget_limit": 0.5, "time_period": "1d", "rpm_limit": 10, "tpm_limit": 1000}`, LiteLLM's
 *   BudgetConfig; `max_budget` and `budget_duration` are its other spellings. `budget_limit` may
 *   be a numeric string, which LiteLLM converts; so may the limits. Without a time period the
 *   budget never resets; without a budget_limit the entry sets no budget. `rpm_limit` and
 *   `tpm_limit` are requests and tokens per minute for the model (the limits stage enforces them
 *   on keys' entries, as LiteLLM does).
 * - `0.5`, the older form: a budget that never resets.
 * A request's entry is the one under the model name it asked for, else under that name's last
 * path segment (`openai/gpt-4o` → `gpt-4o`), as LiteLLM resolves it; the counters are named after
 * the entry, so both spellings spend from one budget and count in one rate window. An entry that
 * limits nothing the caller counts (`withRates`) is skipped, and the next name is tried.
 *
 * The control plane refuses a bad entry (`checkModelMaxBudget`, 400 naming it); the data path
 * skips one (`modelBudgetFor` gives null), so a record written elsewhere never fails a request.
 */
import { GatewayError } from '../errors.js';
import { parseBudgetDuration } from '../spend/budget-window.js';
import type { JsonObject } from '../store/types.js';

/** The limits one model_max_budget entry sets. */
export interface ModelBudget {
  /** The model_max_budget key the entry is under. */
  readonly budgetModel: string;
  /** budget_limit, USD; null: the entry sets no budget (only rate limits). */
  readonly maxBudget: number | null;
  /** time_period (budget_duration syntax); null: one period for ever. */
  readonly duration: string | null;
  /** rpm_limit and tpm_limit (per minute); null: not set. */
  readonly rpm: number | null;
  readonly tpm: number | null;
}

/** An entry read (`ok`), or why it is not one. */
type EntryReading = ({ readonly ok: true } & Omit<ModelBudget, 'budgetModel'>) | { readonly ok: false; readonly why: string };

/**
 * The entry that governs `model`, or null when no usable entry covers it. An entry counts when it
 * sets a budget, or, with `withRates`, an rpm_limit or tpm_limit.
 */
export function modelBudgetFor(entries: JsonObject | null | undefined, model: string, withRates = false): ModelBudget | null {
  if (entries === null || entries === undefined) return null;
  const budget = entryBudget(entries, model, withRates);
  if (budget !== null) return budget;
  const slash = model.lastIndexOf('/');
  return slash < 0 ? null : entryBudget(entries, model.slice(slash + 1), withRates);
}

/** Whether any entry limits something (`withRates` as in modelBudgetFor): without one, no model is looked up. */
export function hasModelBudgets(entries: JsonObject | null | undefined, withRates = false): boolean {
  if (entries === null || entries === undefined) return false;
  for (const model in entries) {
    const reading = readEntry(entries[model]);
    if (reading.ok && limitsSomething(reading, withRates)) return true;
  }
  return false;
}

/** Returns a model_max_budget object unchanged (undefined passes); throws invalid_body naming its first bad entry. */
export function checkModelMaxBudget<T extends JsonObject | undefined>(entries: T, param = 'model_max_budget'): T {
  for (const model in entries) {
    const reading = readEntry(entries[model]);
    if (!reading.ok) throw new GatewayError('invalid_body', `"${param}.${model}" ${reading.why}.`, { param });
  }
  return entries;
}

function entryBudget(entries: JsonObject, model: string, withRates: boolean): ModelBudget | null {
  if (!Object.hasOwn(entries, model)) return null;
  const reading = readEntry(entries[model]);
  if (!reading.ok || !limitsSomething(reading, withRates)) return null;
  return { budgetModel: model, maxBudget: reading.maxBudget, duration: reading.duration, rpm: reading.rpm, tpm: reading.tpm };
}

function limitsSomething(entry: Omit<ModelBudget, 'budgetModel'>, withRates: boolean): boolean {
  return entry.maxBudget !== null || (withRates && (entry.rpm !== null || entry.tpm !== null));
}

function readEntry(value: unknown): EntryReading {
  if (typeof value === 'number') {
    return isAmount(value)
      ? { ok: true, maxBudget: value, duration: null, rpm: null, tpm: null }
      : { ok: false, why: `must be a budget of 0 or more USD; got ${value}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, why: 'must be a number (USD) or an object like {"budget_limit": 0.5, "time_period": "1d"}' };
  }
  const entry = value as Record<string, unknown>;
  const limit = entry.budget_limit ?? entry.max_budget ?? null;
  const maxBudget = numeric(limit);
  if (maxBudget !== null && (typeof maxBudget !== 'number' || !isAmount(maxBudget))) {
    return { ok: false, why: `has a budget_limit that is not 0 or more USD: ${JSON.stringify(limit)}` };
  }
  const period = entry.time_period ?? entry.budget_duration ?? null;
  if (period !== null && !isBudgetDuration(period)) {
    return { ok: false, why: `has a time_period that is not a budget duration such as "30m", "1d" or "1mo": ${JSON.stringify(period)}` };
  }
  const rpm = perMinute(entry.rpm_limit);
  if (rpm === undefined) return { ok: false, why: `has an rpm_limit that is not a whole number of 0 or more: ${JSON.stringify(entry.rpm_limit)}` };
  const tpm = perMinute(entry.tpm_limit);
  if (tpm === undefined) return { ok: false, why: `has a tpm_limit that is not a whole number of 0 or more: ${JSON.stringify(entry.tpm_limit)}` };
  return { ok: true, maxBudget: maxBudget as number | null, duration: period as string | null, rpm, tpm };
}

/** An rpm_limit / tpm_limit: null when not set, undefined when it is not a whole number of 0 or more. */
function perMinute(value: unknown): number | null | undefined {
  const count = numeric(value ?? null);
  if (count === null) return null;
  return typeof count === 'number' && Number.isSafeInteger(count) && count >= 0 ? count : undefined;
}

/** A number, or a non-blank numeric string as the number (LiteLLM converts them); anything else as it is. */
function numeric(value: unknown): unknown {
  return typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
}

function isBudgetDuration(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    parseBudgetDuration(value);
    return true;
  } catch {
    return false;
  }
}

function isAmount(value: number): boolean {
  return Number.isFinite(value) && value >= 0;
}
