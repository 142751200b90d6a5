/**
 * A key's per-model budgets (`model_max_budget`, in LiteLLM's shapes): which entry governs a
 * request's model, and what it says.
 *
 * Entries (the model name → the budget):
 * - `{"budget_limit": 0.5, "time_period": "1d"}`, LiteLLM's BudgetConfig; `max_budget` and
 *   `budget_duration` are its other spellings. `budget_limit` may be a numeric string, which
 *   LiteLLM converts. Without a time period the budget never resets; without a limit the entry
 *   limits nothing. Other BudgetConfig fields (`tpm_limit`, `rpm_limit`) are accepted and ignored.
 * - `0.5`, the older form: a budget that never resets.
 * A request's entry is the one under the model name it asked for, else under that name's last
 * path segment (`openai/gpt-4o` → `gpt-4o`), as LiteLLM resolves it; the budget is named after
 * the entry, so both spellings spend from one budget.
 *
 * The control plane refuses a bad entry (`checkModelMaxBudget`, 400 naming it); the data path
 * skips one (`modelBudgetFor` gives null), so a record written elsewhere never fails a request.
 */
import { GatewayError } from '../errors.js';
import { parseBudgetDuration } from '../spend/budget-window.js';
import type { JsonObject } from '../store/types.js';

/** The budget one model_max_budget entry sets. */
export interface ModelBudget {
  /** The model_max_budget key the entry is under. */
  readonly budgetModel: string;
  /** USD. */
  readonly maxBudget: number;
  /** time_period (budget_duration syntax); null: one period for ever. */
  readonly duration: string | null;
}

/** An entry read: its budget (null: it limits nothing), or why it is not one. */
type EntryReading = { readonly ok: true; readonly maxBudget: number | null; readonly duration: string | null } | { readonly ok: false; readonly why: string };

/** The budget that governs `model`, or null when no usable entry covers it. */
export function modelBudgetFor(entries: JsonObject | null | undefined, model: string): ModelBudget | null {
  if (entries === null || entries === undefined) return null;
  const budget = entryBudget(entries, model);
  if (budget !== null) return budget;
  const slash = model.lastIndexOf('/');
  return slash < 0 ? null : entryBudget(entries, model.slice(slash + 1));
}

/** Whether any entry sets a budget (a key without one never looks a model up). */
export function hasModelBudgets(entries: JsonObject | null | undefined): boolean {
  if (entries === null || entries === undefined) return false;
  for (const model in entries) {
    const reading = readEntry(entries[model]);
    if (reading.ok && reading.maxBudget !== null) return true;
  }
  return false;
}

/** Throws invalid_body naming the first bad entry of a model_max_budget object. */
export function checkModelMaxBudget(entries: JsonObject, param = 'model_max_budget'): void {
  for (const model in entries) {
    const reading = readEntry(entries[model]);
    if (!reading.ok) throw new GatewayError('invalid_body', `"${param}.${model}" ${reading.why}.`, { param });
  }
}

function entryBudget(entries: JsonObject, model: string): ModelBudget | null {
  if (!Object.hasOwn(entries, model)) return null;
  const reading = readEntry(entries[model]);
  if (!reading.ok || reading.maxBudget === null) return null;
  return { budgetModel: model, maxBudget: reading.maxBudget, duration: reading.duration };
}

function readEntry(value: unknown): EntryReading {
  if (typeof value === 'number') {
    return isAmount(value) ? { ok: true, maxBudget: value, duration: null } : { ok: false, why: `must be a budget of 0 or more USD; got ${value}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, why: 'must be a number (USD) or an object like {"budget_limit": 0.5, "time_period": "1d"}' };
  }
  const entry = value as Record<string, unknown>;
  const limit = entry.budget_limit ?? entry.max_budget ?? null;
  const maxBudget = typeof limit === 'string' && limit.trim() !== '' ? Number(limit) : limit;
  if (maxBudget !== null && (typeof maxBudget !== 'number' || !isAmount(maxBudget))) {
    return { ok: false, why: `has a budget_limit that is not 0 or more USD: ${JSON.stringify(limit)}` };
  }
  const period = entry.time_period ?? entry.budget_duration ?? null;
  if (period !== null && !isBudgetDuration(period)) {
    return { ok: false, why: `has a time_period that is not a budget duration such as "30m", "1d" or "1mo": ${JSON.stringify(period)}` };
  }
  return { ok: true, maxBudget, duration: period as string | null };
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
