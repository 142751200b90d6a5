/**
 * End users (LiteLLM's /customer/* routes): the callers named by a request body's `user` field,
 * each with an optional budget of its own or a shared one (`budget_id`), limits, a default model
 * and an allowed model region.
 *
 * /customer/block creates the end users it names when they do not exist yet, as LiteLLM does, so
 * an end user can be blocked before its first request.
 */
import { GatewayError } from '../../errors.js';
import type { CustomerPatch, CustomerRecord, JsonObject, Repositories } from '../../store/types.js';
import { budgetTimeZone, withCurrentReset } from '../budget-reset.js';
import type { AdminContext, AdminRouteDef, InvalidationScope } from '../types.js';
import { optionalBoolean, optionalNumber, optionalObject, optionalString, requiredString } from '../validate.js';
import { allRows, alreadyExists, definedOnly, invalidateAll, notFound, readBudgetDuration, requiredIdList } from './users.js';

export const MODEL_REGIONS: readonly string[] = ['eu', 'us'];

function readCustomerFields(body: JsonObject, now: Date, timeZone: string, update: boolean): CustomerPatch {
  const region = optionalString(body, 'allowed_model_region');
  if (region !== undefined && region !== null && !MODEL_REGIONS.includes(region)) {
    throw new GatewayError('invalid_body', `"allowed_model_region" must be one of ${MODEL_REGIONS.join(', ')}; got "${region}".`, {
      param: 'allowed_model_region',
    });
  }
  const patch = definedOnly<CustomerPatch>({
    alias: optionalString(body, 'alias'),
    blocked: optionalBoolean(body, 'blocked'),
    budget_id: optionalString(body, 'budget_id'),
    max_budget: optionalNumber(body, 'max_budget'),
    tpm_limit: optionalNumber(body, 'tpm_limit', { integer: true }),
    rpm_limit: optionalNumber(body, 'rpm_limit', { integer: true }),
    allowed_model_region: region,
    default_model: optionalString(body, 'default_model'),
    metadata: optionalObject(body, 'metadata'),
    spend: update ? (optionalNumber(body, 'spend') ?? undefined) : undefined,
    ...readBudgetDuration(body, now, timeZone),
  });
  // One source for the end user's budget: its own max_budget, or a shared budget's.
  if (patch.budget_id != null && patch.max_budget != null) {
    throw new GatewayError('invalid_body', 'Give "max_budget" or "budget_id", not both.', { param: 'max_budget' });
  }
  return patch;
}

async function checkBudget(repos: Repositories, budgetId: string | null | undefined): Promise<void> {
  if (budgetId === undefined || budgetId === null) return;
  if ((await repos.budgets.get(budgetId)) === null) throw notFound('Budget', budgetId, 'budget_id');
}

function newCustomer(userId: string, patch: CustomerPatch, now: Date): CustomerRecord {
  const at = now.toISOString();
  return {
    user_id: userId,
    alias: null,
    blocked: false,
    budget_id: null,
    max_budget: null,
    budget_duration: null,
    budget_reset_at: null,
    spend: 0,
    tpm_limit: null,
    rpm_limit: null,
    allowed_model_region: null,
    default_model: null,
    metadata: {},
    ...patch,
    created_at: at,
    updated_at: at,
  };
}

async function createCustomer(ctx: AdminContext): Promise<unknown> {
  const userId = requiredString(ctx.body, 'user_id');
  const fields = readCustomerFields(ctx.body, ctx.now(), budgetTimeZone(ctx), false);
  const created = await ctx.store.transaction(async (tx) => {
    if ((await tx.customers.get(userId)) !== null) throw alreadyExists('End user', userId, 'user_id');
    await checkBudget(tx, fields.budget_id);
    const created = await tx.customers.insert(newCustomer(userId, fields, ctx.now()));
    await ctx.audit('customer.new', 'customer', userId, null, created, tx);
    return created;
  });
  // The data path may have cached "no such end user" for this id.
  await ctx.invalidate({ kind: 'customer', userId });
  return created;
}

async function customerInfo(ctx: AdminContext): Promise<unknown> {
  const userId = ctx.request.query.end_user_id;
  if (userId === undefined || userId === '') throw new GatewayError('invalid_body', '"end_user_id" is required.', { param: 'end_user_id' });
  const customer = await ctx.store.customers.get(userId);
  if (customer === null) throw notFound('End user', userId, 'end_user_id');
  const budget = customer.budget_id === null ? null : await ctx.store.budgets.get(customer.budget_id);
  const now = ctx.now();
  const zone = budgetTimeZone(ctx);
  return { ...withCurrentReset(customer, now, zone), litellm_budget_table: budget === null ? null : withCurrentReset(budget, now, zone) };
}

async function listCustomers(ctx: AdminContext): Promise<unknown> {
  return allRows((page, size) => ctx.store.customers.list({ page, size }));
}

async function updateCustomer(ctx: AdminContext): Promise<unknown> {
  const userId = requiredString(ctx.body, 'user_id');
  const fields = readCustomerFields(ctx.body, ctx.now(), budgetTimeZone(ctx), true);
  const updated = await ctx.store.transaction(async (tx) => {
    const before = await tx.customers.get(userId);
    if (before === null) throw notFound('End user', userId, 'user_id');
    await checkBudget(tx, fields.budget_id);
    const after = (await tx.customers.update(userId, fields)) ?? before;
    await ctx.audit('customer.update', 'customer', userId, before, after, tx);
    return after;
  });
  await ctx.invalidate({ kind: 'customer', userId });
  return updated;
}

async function deleteCustomers(ctx: AdminContext): Promise<unknown> {
  const userIds = requiredIdList(ctx.body, 'user_ids');
  const deleted = await ctx.store.transaction(async (tx) => {
    const deleted: string[] = [];
    for (const userId of userIds) {
      const before = await tx.customers.get(userId);
      if (before === null) continue;
      await tx.customers.delete([userId]);
      await ctx.audit('customer.delete', 'customer', userId, before, null, tx);
      deleted.push(userId);
    }
    if (deleted.length === 0) throw notFound('End user', userIds.join(', '), 'user_ids');
    return deleted;
  });
  await invalidateAll(ctx, deleted.map((userId): InvalidationScope => ({ kind: 'customer', userId })));
  return { deleted_customers: deleted };
}

async function blockCustomers(ctx: AdminContext): Promise<unknown> {
  const userIds = requiredIdList(ctx.body, 'user_ids');
  await ctx.store.transaction(async (tx) => {
    for (const userId of userIds) {
      const before = await tx.customers.get(userId);
      const after = before === null
        ? await tx.customers.insert(newCustomer(userId, { blocked: true }, ctx.now()))
        : ((await tx.customers.update(userId, { blocked: true })) ?? before);
      await ctx.audit('customer.block', 'customer', userId, before, after, tx);
    }
  });
  await invalidateAll(ctx, userIds.map((userId): InvalidationScope => ({ kind: 'customer', userId })));
  return { blocked_users: userIds };
}

async function unblockCustomers(ctx: AdminContext): Promise<unknown> {
  const userIds = requiredIdList(ctx.body, 'user_ids');
  await ctx.store.transaction(async (tx) => {
    for (const userId of userIds) {
      const before = await tx.customers.get(userId);
      if (before === null) throw notFound('End user', userId, 'user_ids');
      const after = (await tx.customers.update(userId, { blocked: false })) ?? before;
      await ctx.audit('customer.unblock', 'customer', userId, before, after, tx);
    }
  });
  await invalidateAll(ctx, userIds.map((userId): InvalidationScope => ({ kind: 'customer', userId })));
  // LiteLLM answers /customer/unblock with the same field name as /customer/block.
  return { blocked_users: userIds };
}

export const CUSTOMER_ROUTES: readonly AdminRouteDef[] = [
  { method: 'POST', path: '/customer/new', handler: createCustomer },
  { method: 'GET', path: '/customer/info', handler: customerInfo },
  { method: 'GET', path: '/customer/list', handler: listCustomers },
  { method: 'POST', path: '/customer/update', handler: updateCustomer },
  { method: 'POST', path: '/customer/delete', handler: deleteCustomers },
  { method: 'POST', path: '/customer/block', handler: blockCustomers },
  { method: 'POST', path: '/customer/unblock', handler: unblockCustomers },
];
