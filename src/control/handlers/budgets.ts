/**
 * Budgets (LiteLLM's /budget/* routes): reusable budget and limit sets that end users (and keys)
 * reference by budget_id. A budget still referenced by an end user cannot be deleted.
 */
import { GatewayError } from '../../errors.js';
import { checkModelMaxBudget } from '../../limits/model-budget.js';
import type { BudgetPatch, BudgetRecord, JsonObject } from '../../store/types.js';
import { budgetTimeZone, withCurrentReset } from '../budget-reset.js';
import type { AdminContext, AdminRouteDef } from '../types.js';
import { optionalNumber, optionalObject, optionalString, requiredString } from '../validate.js';
import { actorOf, allRows, alreadyExists, definedOnly, newId, notFound, readBudgetDuration, requiredIdList } from './users.js';

function readBudgetFields(body: JsonObject, now: Date, timeZone: string): BudgetPatch {
  return definedOnly<BudgetPatch>({
    max_budget: optionalNumber(body, 'max_budget'),
    soft_budget: optionalNumber(body, 'soft_budget'),
    max_parallel_requests: optionalNumber(body, 'max_parallel_requests', { integer: true }),
    tpm_limit: optionalNumber(body, 'tpm_limit', { integer: true }),
    rpm_limit: optionalNumber(body, 'rpm_limit', { integer: true }),
    model_max_budget: checkModelMaxBudget(optionalObject(body, 'model_max_budget')),
    ...readBudgetDuration(body, now, timeZone),
  });
}

async function createBudget(ctx: AdminContext): Promise<unknown> {
  const now = ctx.now();
  const budgetId = newId(ctx.body, 'budget_id');
  const fields = readBudgetFields(ctx.body, now, budgetTimeZone(ctx));
  const at = now.toISOString();
  const record: BudgetRecord = {
    budget_id: budgetId,
    max_budget: null,
    soft_budget: null,
    max_parallel_requests: null,
    tpm_limit: null,
    rpm_limit: null,
    budget_duration: null,
    budget_reset_at: null,
    model_max_budget: {},
    ...fields,
    created_at: at,
    updated_at: at,
    created_by: actorOf(ctx.caller),
  };
  return ctx.store.transaction(async (tx) => {
    if ((await tx.budgets.get(budgetId)) !== null) throw alreadyExists('Budget', budgetId, 'budget_id');
    const created = await tx.budgets.insert(record);
    await ctx.audit('budget.new', 'budget', budgetId, null, created, tx);
    return created;
  });
}

async function updateBudget(ctx: AdminContext): Promise<unknown> {
  const budgetId = requiredString(ctx.body, 'budget_id');
  const fields = readBudgetFields(ctx.body, ctx.now(), budgetTimeZone(ctx));
  const updated = await ctx.store.transaction(async (tx) => {
    const before = await tx.budgets.get(budgetId);
    if (before === null) throw notFound('Budget', budgetId, 'budget_id');
    const after = (await tx.budgets.update(budgetId, fields)) ?? before;
    await ctx.audit('budget.update', 'budget', budgetId, before, after, tx);
    return after;
  });
  // The store has no index from a budget to the end users and keys that use it, and budget changes
  // are rare: every cache drops its entries rather than keep enforcing the old limits.
  await ctx.invalidate({ kind: 'all' });
  return updated;
}

async function budgetInfo(ctx: AdminContext): Promise<unknown> {
  const ids = requiredIdList(ctx.body, 'budgets');
  const found: BudgetRecord[] = [];
  for (const id of ids) {
    const budget = await ctx.store.budgets.get(id);
    if (budget === null) throw notFound('Budget', id, 'budgets');
    found.push(withCurrentReset(budget, ctx.now(), budgetTimeZone(ctx)));
  }
  return found;
}

async function listBudgets(ctx: AdminContext): Promise<unknown> {
  return allRows((page, size) => ctx.store.budgets.list({ page, size }));
}

async function deleteBudget(ctx: AdminContext): Promise<unknown> {
  // LiteLLM's field is `id`; `budget_id` is accepted too, as every other budget route names it.
  const budgetId = optionalString(ctx.body, 'id') || optionalString(ctx.body, 'budget_id');
  if (budgetId === undefined || budgetId === null || budgetId === '') throw new GatewayError('invalid_body', '"id" is required.', { param: 'id' });
  return ctx.store.transaction(async (tx) => {
    const before = await tx.budgets.get(budgetId);
    if (before === null) throw notFound('Budget', budgetId, 'id');
    const users = (await allRows((page, size) => tx.customers.list({ page, size }))).filter((c) => c.budget_id === budgetId);
    if (users.length > 0) {
      const shown = users.slice(0, 10).map((c) => JSON.stringify(c.user_id)).join(', ');
      throw new GatewayError(
        'already_exists',
        `Budget ${JSON.stringify(budgetId)} is used by ${users.length} end user(s): ${shown}${users.length > 10 ? ', …' : ''}; move them to another budget first.`,
        { param: 'id' },
      );
    }
    try {
      await tx.budgets.delete([budgetId]);
    } catch (error) {
      // A foreign key from another table (a key's budget_id) surfaces as record_not_found from the store.
      if (error instanceof GatewayError && error.code === 'record_not_found') {
        throw new GatewayError('already_exists', `Budget ${JSON.stringify(budgetId)} is still referenced: ${error.message}`, { param: 'id' });
      }
      throw error;
    }
    await ctx.audit('budget.delete', 'budget', budgetId, before, null, tx);
    return before;
  });
}

export const BUDGET_ROUTES: readonly AdminRouteDef[] = [
  { method: 'POST', path: '/budget/new', handler: createBudget },
  { method: 'POST', path: '/budget/update', handler: updateBudget },
  { method: 'POST', path: '/budget/info', handler: budgetInfo },
  { method: 'GET', path: '/budget/list', handler: listBudgets },
  { method: 'POST', path: '/budget/delete', handler: deleteBudget },
];
