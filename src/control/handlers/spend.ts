/**
 * Spend reports: LiteLLM's /spend/logs, /global/spend/report, /spend/keys, /spend/users,
 * /spend/calculate, AILB's /spend/teams, and MarchProxy's /v1/users/:id/spending and
 * /v1/teams/:id/spending. docs/spend-logs.md ("Reports") gives every shape.
 *
 * Contracts kept here:
 * - `start_date` and `end_date` are UTC days (`YYYY-MM-DD`), both inclusive: the rows whose
 *   startTime is from start_date 00:00Z up to (not including) the day after end_date 00:00Z.
 *   Anything else is a 400 naming the parameter, as are an unknown `group_by` and a model
 *   /spend/calculate cannot price.
 * - Money sums are put on the picodollar grid (src/spend/money.ts), so 0.1 + 0.2 reports as 0.3
 *   whatever order the database added the rows in.
 * - Readers (proxy_admin, proxy_admin_viewer) see everything. Internal users see what is theirs
 *   (the access table marks these routes `own`): spend-log rows of their own user (LiteLLM's
 *   rule; a key without a user: its own rows), the keys /key/list would show them, their own
 *   user, their teams. Naming someone else's is a 403 naming the parameter, never a silent
 *   substitution.
 * - Reports are reads: no audit record, no cache invalidation.
 */
import { GatewayError } from '../../errors.js';
import { addUsd, roundUsd } from '../../spend/money.js';
import { usageFromJson, type TokenUsage } from '../../spend/usage.js';
import { utcDay } from '../../store/spend-logs.js';
import { spendReports, type SpendDimension, type SpendReportRepository, type SpendScope, type SpendTotals } from '../../store/spend-reports.js';
import type { JsonObject, KeyRecord } from '../../store/types.js';
import { tokenOf } from '../key-material.js';
import { canReadEverything, canSeeTeam, canSeeUser } from '../ownership.js';
import { costAt, promptTokensOf, resolvePricing, type ResolvedPricing } from '../spend-calculate.js';
import type { AdminContext, AdminRouteDef, Caller } from '../types.js';
import { optionalObject, optionalString, paging } from '../validate.js';
import { publicKey } from './keys.js';
import { notFound, publicUser } from './users.js';

type Query = Readonly<Record<string, string>>;

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;
/** Longest range /spend/logs summarises: it answers one entry per day, empty days included. */
export const MAX_SUMMARY_DAYS = 3660;
/** Rows per page of /spend/logs (default and most), and of the entity lists (LiteLLM answers every row). */
const LOG_PAGE = { default: 100, max: 1000 };
const ENTITY_PAGE = { default: 1000, max: 1000 };

// ---- query parameters -----------------------------------------------------------------------

function text(query: Query, name: string): string | undefined {
  const value = query[name];
  return value === undefined || value === '' ? undefined : value;
}

/** A `YYYY-MM-DD` parameter that is a real calendar day, or a 400 naming it. */
function dayParam(query: Query, param: string): string | undefined {
  const value = text(query, param);
  if (value === undefined) return undefined;
  const match = DAY.exec(value);
  const ms = match === null ? Number.NaN : Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  if (Number.isNaN(ms) || utcDay(ms) !== value) {
    throw new GatewayError('invalid_body', `"${param}" must be a day as YYYY-MM-DD (UTC); got ${JSON.stringify(value)}.`, { param });
  }
  return value;
}

function nextDay(day: string): string {
  return utcDay(Date.parse(`${day}T00:00:00Z`) + DAY_MS);
}

/** Every day from `first` to `last`, both included. */
function daysFrom(first: string, last: string): string[] {
  const days: string[] = [];
  for (let ms = Date.parse(`${first}T00:00:00Z`), end = Date.parse(`${last}T00:00:00Z`); ms <= end; ms += DAY_MS) days.push(utcDay(ms));
  return days;
}

interface DayRange {
  readonly startDay: string | null;
  readonly endDay: string | null;
  /** The range on startTime: `start` inclusive, `end` exclusive (ISO), as SpendScope takes it. */
  readonly bounds: Pick<SpendScope, 'start' | 'end'>;
}

/** start_date and end_date (each optional unless `required`), checked and turned into startTime bounds. */
function dayRange(query: Query, required: boolean): DayRange {
  const startDay = dayParam(query, 'start_date');
  const endDay = dayParam(query, 'end_date');
  if (required) {
    for (const [param, value] of [['start_date', startDay], ['end_date', endDay]] as const) {
      if (value === undefined) throw new GatewayError('invalid_body', `"${param}" is required (YYYY-MM-DD).`, { param });
    }
  }
  if (startDay !== undefined && endDay !== undefined && endDay < startDay) {
    throw new GatewayError('invalid_body', `"end_date" (${endDay}) must not be before "start_date" (${startDay}).`, { param: 'end_date' });
  }
  const bounds: DayRange['bounds'] = {};
  if (startDay !== undefined) bounds.start = `${startDay}T00:00:00.000Z`;
  if (endDay !== undefined) bounds.end = `${nextDay(endDay)}T00:00:00.000Z`;
  return { startDay: startDay ?? null, endDay: endDay ?? null, bounds };
}

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];

function booleanParam(query: Query, param: string, fallback: boolean): boolean {
  const value = text(query, param);
  if (value === undefined) return fallback;
  if (TRUE.includes(value.toLowerCase())) return true;
  if (FALSE.includes(value.toLowerCase())) return false;
  throw new GatewayError('invalid_body', `"${param}" must be true or false; got ${JSON.stringify(value)}.`, { param });
}

function forbidden(message: string, param: string): GatewayError {
  return new GatewayError('forbidden', message, { param });
}

// ---- sums -----------------------------------------------------------------------------------

interface Totals {
  spend: number;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

function zero(): Totals {
  return { spend: 0, requests: 0, prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
}

function add(into: Totals, group: SpendTotals): Totals {
  into.spend = addUsd(into.spend, group.spend);
  into.requests += group.requests;
  into.prompt_tokens += group.prompt_tokens;
  into.completion_tokens += group.completion_tokens;
  into.total_tokens += group.total_tokens;
  return into;
}

/** The totals kept under `key`, made empty on first use. */
function totalsOf<K>(map: Map<K, Totals>, key: K): Totals {
  let totals = map.get(key);
  if (totals === undefined) map.set(key, (totals = zero()));
  return totals;
}

/** Highest spend first, then by `name` (plain code-unit order: the same on every backend and collation). */
function bySpendThen<T>(spend: (item: T) => number, name: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => spend(b) - spend(a) || compareText(name(a), name(b));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A group's dimension values, whatever was grouped by. */
type AnyGroup = Partial<Record<SpendDimension, string | null>> & SpendTotals;

// ---- GET /spend/logs ------------------------------------------------------------------------

/**
 * Narrows a spend-log scope to what a non-reader may see: its own user's rows (LiteLLM forces
 * user_id to the caller's own), or, for a key without a user, that key's rows.
 */
function narrowToOwnRows(caller: Caller, scope: SpendScope): void {
  if (canReadEverything(caller)) return;
  if (caller.userId !== null) {
    if (scope.user !== undefined && scope.user !== caller.userId) {
      throw forbidden(`Role ${caller.role} may only read the spend of its own user, not ${JSON.stringify(scope.user)}.`, 'user_id');
    }
    scope.user = caller.userId;
    return;
  }
  if (scope.user !== undefined) throw forbidden('A key without a user may only read its own spend logs.', 'user_id');
  if (scope.api_key !== undefined && scope.api_key !== caller.apiKeyHash) {
    throw forbidden('A key without a user may only read its own spend logs.', 'api_key');
  }
  scope.api_key = caller.apiKeyHash;
}

function logScope(ctx: AdminContext): SpendScope {
  const query = ctx.request.query;
  const scope: SpendScope = {};
  const apiKey = text(query, 'api_key');
  if (apiKey !== undefined) scope.api_key = tokenOf(apiKey);
  const user = text(query, 'user_id');
  if (user !== undefined) scope.user = user;
  for (const name of ['request_id', 'team_id', 'end_user', 'model_group'] as const) {
    const value = text(query, name);
    if (value !== undefined) scope[name] = value;
  }
  narrowToOwnRows(ctx.caller, scope);
  return scope;
}

async function spendLogs(ctx: AdminContext): Promise<unknown> {
  const query = ctx.request.query;
  const range = dayRange(query, false);
  const scope = { ...logScope(ctx), ...range.bounds };
  const summarize = booleanParam(query, 'summarize', true);
  if (summarize && range.startDay !== null && range.endDay !== null) return dailySummary(ctx, scope, range.startDay, range.endDay);
  const { page, size } = paging(query, LOG_PAGE.default, LOG_PAGE.max);
  return (await ctx.store.spendLogs.list({ ...scope, page, size })).rows;
}

/**
 * LiteLLM's summarised /spend/logs: one entry per day of the range, oldest first, with the day's
 * spend in total, per user (`users`), per model (`models`) and per key (each key's digest is a
 * field of the entry, as in LiteLLM). Days without spend have zeros and empty maps.
 */
async function dailySummary(ctx: AdminContext, scope: SpendScope, startDay: string, endDay: string): Promise<unknown[]> {
  const count = (Date.parse(`${endDay}T00:00:00Z`) - Date.parse(`${startDay}T00:00:00Z`)) / DAY_MS + 1;
  if (count > MAX_SUMMARY_DAYS) {
    throw new GatewayError('invalid_body', `A summary covers at most ${MAX_SUMMARY_DAYS} days; ${startDay} to ${endDay} is ${count}. Narrow it or pass summarize=false.`, { param: 'end_date' });
  }
  const days = daysFrom(startDay, endDay);
  const groups = await spendReports(ctx.store).groupedSums(['day', 'api_key', 'user', 'model'], scope);
  type Entry = { startTime: string; spend: number; users: Record<string, number>; models: Record<string, number> } & Record<string, unknown>;
  const byDay = new Map<string, Entry>(days.map((day) => [day, { startTime: day, spend: 0, users: {}, models: {} }]));
  for (const g of groups) {
    const entry = byDay.get(g.day!);
    if (entry === undefined) continue;
    const key = String(g.api_key);
    const user = String(g.user);
    const model = String(g.model);
    entry.spend = addUsd(entry.spend, g.spend);
    entry[key] = addUsd((entry[key] as number | undefined) ?? 0, g.spend);
    entry.users[user] = addUsd(entry.users[user] ?? 0, g.spend);
    entry.models[model] = addUsd(entry.models[model] ?? 0, g.spend);
  }
  return [...byDay.values()];
}

// ---- GET /global/spend/report ---------------------------------------------------------------

const GROUP_BY = ['team', 'customer', 'api_key', 'model'] as const;
type GroupBy = (typeof GROUP_BY)[number];

async function globalReport(ctx: AdminContext): Promise<unknown> {
  const query = ctx.request.query;
  const range = dayRange(query, true);
  const groupBy = (text(query, 'group_by') ?? 'team') as GroupBy;
  if (!GROUP_BY.includes(groupBy)) {
    throw new GatewayError('invalid_body', `"group_by" must be one of ${GROUP_BY.join(', ')}; got ${JSON.stringify(query.group_by)}.`, { param: 'group_by' });
  }
  const scope: SpendScope = { ...range.bounds };
  const apiKey = text(query, 'api_key');
  if (apiKey !== undefined) scope.api_key = tokenOf(apiKey);
  const user = text(query, 'internal_user_id');
  if (user !== undefined) scope.user = user;
  const team = text(query, 'team_id');
  if (team !== undefined) scope.team_id = team;
  const customer = text(query, 'customer_id');
  if (customer !== undefined) scope.end_user = customer;

  const reports = spendReports(ctx.store);
  // LiteLLM answers per key when a key or an internal user is named, whatever group_by says.
  if (groupBy === 'api_key' || scope.api_key !== undefined || scope.user !== undefined) return perKeyReport(reports, scope);
  if (scope.team_id !== undefined && scope.end_user !== undefined) {
    return dailyReport(reports, scope, ['team_id', 'end_user'], 'teams_customers', (g, aliases) => ({ ...teamView(g, aliases), customer: g.end_user ?? null }));
  }
  switch (groupBy) {
    case 'team':
      return dailyReport(reports, scope, ['team_id'], 'teams', teamView);
    case 'customer':
      return dailyReport(reports, scope, ['end_user'], 'customers', (g) => ({ customer: g.end_user ?? null }));
    case 'model':
      return dailyReport(reports, scope, ['model_group'], 'models', (g) => ({ model_group: g.model_group ?? null }));
  }
}

/** LiteLLM names a team by its alias and rows without a team "Unassigned Team"; AILB adds team_id and falls back to it. */
function teamView(g: AnyGroup, aliases: ReadonlyMap<string, string | null>): JsonObject {
  const teamId = g.team_id ?? null;
  return { team_name: teamId === null ? 'Unassigned Team' : (aliases.get(teamId) ?? teamId), team_id: teamId };
}

interface Breakdown {
  model: string | null;
  api_key: string | null;
  spend: number;
  total_tokens: number;
}

/**
 * The daily-grouped shape: `[{group_by_day, <list>: [{…entity, total_spend, metadata: [{model,
 * api_key, spend, total_tokens}]}]}]`, days oldest first, entities and their breakdowns highest
 * spend first. Only days with spend appear, as in LiteLLM.
 */
async function dailyReport(
  reports: SpendReportRepository,
  scope: SpendScope,
  entity: readonly ('team_id' | 'end_user' | 'model_group')[],
  list: string,
  view: (g: AnyGroup, teamAliases: ReadonlyMap<string, string | null>) => JsonObject,
): Promise<unknown[]> {
  const groups: AnyGroup[] = await reports.groupedSums(['day', ...entity, 'model', 'api_key'], scope);
  const teamIds = entity.includes('team_id') ? groups.map((g) => g.team_id).filter((id): id is string => typeof id === 'string') : [];
  const aliases = await reports.teamAliases(teamIds);
  type Item = { name: string; view: JsonObject; total: number; metadata: Breakdown[] };
  const days = new Map<string, Map<string, Item>>();
  for (const g of groups) {
    let items = days.get(g.day!);
    if (items === undefined) days.set(g.day!, (items = new Map()));
    const name = JSON.stringify(entity.map((d) => g[d] ?? null));
    let item = items.get(name);
    if (item === undefined) items.set(name, (item = { name, view: view(g, aliases), total: 0, metadata: [] }));
    item.total = addUsd(item.total, g.spend);
    item.metadata.push({ model: g.model ?? null, api_key: g.api_key ?? null, spend: roundUsd(g.spend), total_tokens: g.total_tokens });
  }
  const breakdownOrder = bySpendThen<Breakdown>((b) => b.spend, (b) => `${b.model ?? ''}\n${b.api_key ?? ''}`);
  return [...days.keys()].sort(compareText).map((day) => ({
    group_by_day: `${day}T00:00:00+00:00`,
    [list]: [...days.get(day)!.values()]
      .sort(bySpendThen<Item>((i) => i.total, (i) => i.name))
      .map((i) => ({ ...i.view, total_spend: i.total, metadata: i.metadata.sort(breakdownOrder) })),
  }));
}

/**
 * LiteLLM's per-key shape: `[{api_key, total_cost, total_input_tokens, total_output_tokens,
 * model_details: [{model, total_cost, total_input_tokens, total_output_tokens}]}]`, highest cost first.
 */
async function perKeyReport(reports: SpendReportRepository, scope: SpendScope): Promise<unknown[]> {
  const groups = await reports.groupedSums(['api_key', 'model'], scope);
  type Detail = { model: string | null; total_cost: number; total_input_tokens: number; total_output_tokens: number };
  type Item = { api_key: string | null; total_cost: number; total_input_tokens: number; total_output_tokens: number; model_details: Detail[] };
  const keys = new Map<string | null, Item>();
  for (const g of groups) {
    let item = keys.get(g.api_key);
    if (item === undefined) {
      keys.set(g.api_key, (item = { api_key: g.api_key, total_cost: 0, total_input_tokens: 0, total_output_tokens: 0, model_details: [] }));
    }
    item.total_cost = addUsd(item.total_cost, g.spend);
    item.total_input_tokens += g.prompt_tokens;
    item.total_output_tokens += g.completion_tokens;
    item.model_details.push({ model: g.model, total_cost: roundUsd(g.spend), total_input_tokens: g.prompt_tokens, total_output_tokens: g.completion_tokens });
  }
  const items = [...keys.values()].sort(bySpendThen<Item>((i) => i.total_cost, (i) => i.api_key ?? ''));
  for (const item of items) item.model_details.sort(bySpendThen<Detail>((d) => d.total_cost, (d) => d.model ?? ''));
  return items;
}

// ---- GET /spend/keys, /spend/users, /spend/teams --------------------------------------------

/** Keys by spend, highest first: every key for readers, else the keys /key/list would show the caller. */
async function spendKeys(ctx: AdminContext): Promise<unknown> {
  const { caller, store } = ctx;
  const { page, size } = paging(ctx.request.query, ENTITY_PAGE.default, ENTITY_PAGE.max);
  const order = { page, size, sort_by: 'spend', sort_order: 'desc' as const };
  let rows: KeyRecord[];
  if (canReadEverything(caller)) {
    rows = (await store.keys.list(order)).rows;
  } else if (caller.userId === null) {
    const self = await store.keys.findByToken(caller.apiKeyHash, ctx.now());
    rows = self !== null && page === 1 ? [self] : [];
  } else {
    const adminOf = caller.memberships.filter((m) => m.role === 'admin').map((m) => m.team_id);
    rows = (await store.keys.list({ ...order, visible_to: { user_id: caller.userId, team_ids: adminOf } })).rows;
  }
  return rows.map(publicKey);
}

/** Users by spend, highest first; `user_id` asks for one (LiteLLM answers a one-element list). Non-readers: themselves. */
async function spendUsers(ctx: AdminContext): Promise<unknown> {
  const { caller, store } = ctx;
  const asked = text(ctx.request.query, 'user_id');
  const { page, size } = paging(ctx.request.query, ENTITY_PAGE.default, ENTITY_PAGE.max);
  if (asked !== undefined) {
    if (!canSeeUser(caller, asked)) throw forbidden(`Role ${caller.role} may only read its own user, not ${JSON.stringify(asked)}.`, 'user_id');
    const user = await store.users.get(asked);
    if (user === null) throw notFound('User', asked, 'user_id');
    return [publicUser(user)];
  }
  if (canReadEverything(caller)) return (await spendReports(store).usersBySpend({ page, size })).map(publicUser);
  const self = caller.userId === null || page > 1 ? null : await store.users.get(caller.userId);
  return self === null ? [] : [publicUser(self)];
}

/** The teams a caller may read: readers every team; others their memberships and their key's team. */
function visibleTeamIds(caller: Caller): string[] | undefined {
  if (canReadEverything(caller)) return undefined;
  const ids = new Set(caller.memberships.map((m) => m.team_id));
  if (caller.teamId !== null) ids.add(caller.teamId);
  return [...ids];
}

function mayReadTeam(caller: Caller, teamId: string): boolean {
  return canSeeTeam(caller, teamId) || caller.teamId === teamId;
}

/** Teams by spend, highest first; `team_id` asks for one. Non-readers: their teams. */
async function spendTeams(ctx: AdminContext): Promise<unknown> {
  const { caller, store } = ctx;
  const asked = text(ctx.request.query, 'team_id');
  const { page, size } = paging(ctx.request.query, ENTITY_PAGE.default, ENTITY_PAGE.max);
  if (asked !== undefined) {
    if (!mayReadTeam(caller, asked)) throw forbidden(`Role ${caller.role} may only read teams it is a member of.`, 'team_id');
    const team = await store.teams.get(asked);
    if (team === null) throw notFound('Team', asked, 'team_id');
    return [team];
  }
  return spendReports(store).teamsBySpend({ page, size, team_ids: visibleTeamIds(caller) });
}

// ---- GET /v1/users/:user_id/spending, /v1/teams/:team_id/spending ---------------------------

/**
 * The spend of the rows in `scope` (from spend_logs, not the budget counter, which resets):
 * totals, per model group (highest spend first) and per UTC day with spend (oldest first).
 */
async function spending(ctx: AdminContext, scope: SpendScope): Promise<JsonObject> {
  const range = dayRange(ctx.request.query, false);
  const groups = await spendReports(ctx.store).groupedSums(['day', 'model_group'], { ...scope, ...range.bounds });
  const total = zero();
  const byModel = new Map<string | null, Totals>();
  const byDay = new Map<string, Totals>();
  for (const g of groups) {
    add(total, g);
    add(totalsOf(byModel, g.model_group), g);
    add(totalsOf(byDay, g.day!), g);
  }
  return {
    start_date: range.startDay,
    end_date: range.endDay,
    ...total,
    by_model: [...byModel]
      .map(([model, totals]) => ({ model, ...totals }))
      .sort(bySpendThen((m) => m.spend, (m) => m.model ?? '')),
    by_day: [...byDay.keys()].sort(compareText).map((date) => ({ date, ...byDay.get(date)! })),
  };
}

async function userSpending(ctx: AdminContext): Promise<unknown> {
  const userId = ctx.params.user_id;
  if (!canSeeUser(ctx.caller, userId)) throw forbidden(`Role ${ctx.caller.role} may only read its own user's spending, not ${JSON.stringify(userId)}.`, 'user_id');
  if ((await ctx.store.users.get(userId)) === null) throw notFound('User', userId, 'user_id');
  return { user_id: userId, ...(await spending(ctx, { user: userId })) };
}

async function teamSpending(ctx: AdminContext): Promise<unknown> {
  const teamId = ctx.params.team_id;
  // Permission before existence, so a non-member cannot probe which team ids exist.
  if (!mayReadTeam(ctx.caller, teamId)) throw forbidden(`Role ${ctx.caller.role} may only read the spending of teams it is a member of.`, 'team_id');
  if ((await ctx.store.teams.get(teamId)) === null) throw notFound('Team', teamId, 'team_id');
  return { team_id: teamId, ...(await spending(ctx, { team_id: teamId })) };
}

// ---- POST /spend/calculate ------------------------------------------------------------------

/**
 * The cost of a call, as LiteLLM's /spend/calculate: `model` + `messages` prices the prompt
 * before the call (no completion tokens); `completion_response` prices a finished call by its
 * `model` and `usage`. AILB also takes `model` + `completion_response` (the response's usage at
 * that model's prices). Answers `{cost}` plus the tokens priced and where the prices came from.
 */
async function calculate(ctx: AdminContext): Promise<unknown> {
  const body = ctx.body;
  const model = optionalString(body, 'model') || undefined;
  const messages = body.messages;
  if (messages !== undefined && messages !== null && !Array.isArray(messages)) {
    throw new GatewayError('invalid_body', '"messages" must be an array of chat messages.', { param: 'messages' });
  }
  const response = optionalObject(body, 'completion_response');
  let resolved: ResolvedPricing;
  let usage: TokenUsage;
  let estimated = false;
  if (model !== undefined) {
    resolved = resolvePricing(ctx.config, model, 'model');
    if (Array.isArray(messages)) {
      const counted = await promptTokensOf(resolved.upstreamModel, messages);
      usage = { promptTokens: counted.tokens, completionTokens: 0 };
      estimated = counted.estimated;
    } else if (response !== undefined) {
      usage = responseUsage(response);
    } else {
      throw new GatewayError('invalid_body', '"messages" must be provided when "model" is (or a "completion_response" to price).', { param: 'messages' });
    }
  } else if (response !== undefined) {
    const named = response.model;
    if (typeof named !== 'string' || named === '') {
      throw new GatewayError('invalid_body', '"completion_response.model" is required (a string).', { param: 'completion_response.model' });
    }
    resolved = resolvePricing(ctx.config, named, 'completion_response.model');
    usage = responseUsage(response);
  } else {
    throw new GatewayError('invalid_body', 'Either "model" (with "messages") or "completion_response" must be provided.', { param: 'model' });
  }
  return {
    cost: costAt(resolved, usage, ctx.now().getTime()),
    model: resolved.upstreamModel,
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    tokens_estimated: estimated,
    pricing: resolved.pricing.label,
  };
}

function responseUsage(response: JsonObject): TokenUsage {
  const usage = usageFromJson(response.usage);
  if (usage === null) {
    throw new GatewayError('invalid_body', '"completion_response.usage" must be an object with the token counts (prompt_tokens, completion_tokens).', { param: 'completion_response.usage' });
  }
  return usage;
}

export const SPEND_ROUTES: readonly AdminRouteDef[] = [
  { method: 'GET', path: '/spend/logs', handler: spendLogs },
  { method: 'GET', path: '/global/spend/report', handler: globalReport },
  { method: 'GET', path: '/spend/keys', handler: spendKeys },
  { method: 'GET', path: '/spend/users', handler: spendUsers },
  { method: 'GET', path: '/spend/teams', handler: spendTeams },
  { method: 'POST', path: '/spend/calculate', handler: calculate },
  { method: 'GET', path: '/v1/users/:user_id/spending', handler: userSpending },
  { method: 'GET', path: '/v1/teams/:team_id/spending', handler: teamSpending },
];
