/**
 * Users (LiteLLM's /user/* routes, plus the MarchProxy /v1/users routes): internal users with a
 * role, their own budget and limits, and team memberships.
 *
 * /user/new also creates a key for the user unless `auto_create_key` is false, and answers the raw
 * key once, as LiteLLM does. /user/delete deletes the user's keys and memberships with it. The
 * helpers exported here (record shapes, field reading, list paging) are shared by the other
 * handlers of this group (teams, customers, budgets).
 */
import { randomUUID } from 'node:crypto';
import { GatewayError } from '../../errors.js';
import { checkModelMaxBudget } from '../../limits/model-budget.js';
import {
  USER_ROLES,
  TEAM_ROLES,
  type JsonObject,
  type KeyRecord,
  type Page,
  type Repositories,
  type TeamRecord,
  type TeamRole,
  type UserPatch,
  type UserRecord,
  type UserRole,
} from '../../store/types.js';
import { budgetTimeZone, readBudgetPeriod, withCurrentReset } from '../budget-reset.js';
import { generateRawKey, newKeyRecord } from '../key-material.js';
import { canSeeUser } from '../ownership.js';
import { hashPassword } from '../passwords.js';
import type { AdminContext, AdminRouteDef, Caller, InvalidationScope } from '../types.js';
import {
  optionalBoolean,
  optionalNumber,
  optionalObject,
  optionalString,
  optionalStringArray,
  paging,
} from '../validate.js';

// ---------------------------------------------------------------------------------------------
// Helpers shared by users.ts, teams.ts, customers.ts and budgets.ts

/** Who a record says created it: the acting user, `master_key`, or the acting key's digest. */
export function actorOf(caller: Caller): string {
  return caller.userId ?? (caller.kind === 'master_key' ? 'master_key' : caller.apiKeyHash);
}

export function notFound(what: string, id: string, param: string): GatewayError {
  return new GatewayError('record_not_found', `${what} ${JSON.stringify(id)} does not exist.`, { param });
}

export function alreadyExists(what: string, id: string, param: string): GatewayError {
  return new GatewayError('already_exists', `${what} ${JSON.stringify(id)} already exists.`, { param });
}

/** A non-empty array of non-empty strings (ids to act on), duplicates removed. */
export function requiredIdList(body: JsonObject, name: string): string[] {
  const value = body[name];
  if (value === undefined || value === null) throw new GatewayError('invalid_body', `"${name}" is required.`, { param: name });
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && v !== '')) {
    throw new GatewayError('invalid_body', `"${name}" must be a non-empty array of ids.`, { param: name });
  }
  return [...new Set(value as string[])];
}

/** The id a new record gets: the body's value when given, else a random UUID. */
export function newId(body: JsonObject, name: string): string {
  const value = optionalString(body, name);
  if (value === '') throw new GatewayError('invalid_body', `"${name}" must not be empty.`, { param: name });
  return value ?? randomUUID();
}

/**
 * budget_duration and its derived budget_reset_at, as a patch: absent → {}, null → both cleared,
 * a duration → its first reset after now on the budget schedule (in `timeZone`, see budget-reset.ts).
 */
export function readBudgetDuration(body: JsonObject, now: Date, timeZone: string): { budget_duration?: string | null; budget_reset_at?: string | null } {
  const period = readBudgetPeriod(body, 'budget_duration', now, timeZone);
  return period === undefined ? {} : { budget_duration: period.duration, budget_reset_at: period.resetAt };
}


/** Copies the defined entries of `fields` into a patch (undefined = "not given"). */
export function definedOnly<T extends object>(fields: { [K in keyof T]?: T[K] | undefined }): Partial<T> {
  const patch: Partial<T> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (value !== undefined) (patch as Record<string, unknown>)[name] = value;
  }
  return patch;
}

/** Every row of a paged store listing (management lists that LiteLLM answers unpaged). */
export async function allRows<T>(fetch: (page: number, size: number) => Promise<Page<T>>): Promise<T[]> {
  const size = 100;
  const rows: T[] = [];
  for (let page = 1; ; page++) {
    const batch = await fetch(page, size);
    rows.push(...batch.rows);
    if (batch.rows.length < size || rows.length >= batch.total) return rows;
  }
}

/** Awaits every invalidation (after the transaction that made them necessary has committed). */
export async function invalidateAll(ctx: AdminContext, scopes: readonly InvalidationScope[]): Promise<void> {
  for (const scope of scopes) await ctx.invalidate(scope);
}

/** A user as answered and audited: everything but the password hash. */
export function publicUser(user: UserRecord): Omit<UserRecord, 'password_hash'> {
  const { password_hash: _omitted, ...rest } = user;
  return rest;
}

/** A key as answered in listings: without the grace-period fields of a regenerated key. */
export function publicKey(key: KeyRecord): Omit<KeyRecord, 'previous_token' | 'previous_token_expires'> {
  const { previous_token: _token, previous_token_expires: _expires, ...rest } = key;
  return rest;
}

/** A new user with defaults for every field `patch` leaves out. */
export function newUserRecord(userId: string, patch: UserPatch, now: Date, createdBy: string): UserRecord {
  const at = now.toISOString();
  return {
    user_id: userId,
    user_email: null,
    user_alias: null,
    user_role: 'internal_user',
    password_hash: null,
    models: [],
    max_budget: null,
    soft_budget: null,
    budget_duration: null,
    budget_reset_at: null,
    spend: 0,
    tpm_limit: null,
    rpm_limit: null,
    max_parallel_requests: null,
    model_max_budget: {},
    metadata: {},
    blocked: false,
    ...patch,
    created_at: at,
    updated_at: at,
    created_by: createdBy,
  };
}

/** A member as LiteLLM lists it in `members_with_roles`. */
export interface MemberView {
  readonly role: TeamRole;
  readonly user_id: string;
  readonly user_email: string | null;
}

/** The members of a team with their emails (one user query for the whole team). */
export async function membersWithRoles(repos: Repositories, teamId: string): Promise<MemberView[]> {
  const members = await repos.teams.members(teamId);
  if (members.length === 0) return [];
  const users = await allRows((page, size) => repos.users.list({ page, size, user_ids: members.map((m) => m.user_id) }));
  const emails = new Map(users.map((u) => [u.user_id, u.user_email]));
  return members.map((m) => ({ role: m.role, user_id: m.user_id, user_email: emails.get(m.user_id) ?? null }));
}

// ---------------------------------------------------------------------------------------------
// Field reading

function readRole(body: JsonObject): UserRole | undefined {
  const role = optionalString(body, 'user_role');
  if (role === undefined || role === null) return undefined;
  if (!(USER_ROLES as readonly string[]).includes(role)) {
    throw new GatewayError('invalid_body', `"user_role" must be one of ${USER_ROLES.join(', ')}; got "${role}".`, { param: 'user_role' });
  }
  return role as UserRole;
}

/** The user fields of /user/new and /user/update (not user_id, password or teams). */
function readUserFields(body: JsonObject, now: Date, timeZone: string, update: boolean): UserPatch {
  const email = optionalString(body, 'user_email');
  if (email === '') throw new GatewayError('invalid_body', '"user_email" must not be empty.', { param: 'user_email' });
  return definedOnly<UserPatch>({
    user_email: email,
    user_alias: optionalString(body, 'user_alias'),
    user_role: readRole(body),
    models: optionalStringArray(body, 'models'),
    max_budget: optionalNumber(body, 'max_budget'),
    soft_budget: optionalNumber(body, 'soft_budget'),
    tpm_limit: optionalNumber(body, 'tpm_limit', { integer: true }),
    rpm_limit: optionalNumber(body, 'rpm_limit', { integer: true }),
    max_parallel_requests: optionalNumber(body, 'max_parallel_requests', { integer: true }),
    model_max_budget: checkModelMaxBudget(optionalObject(body, 'model_max_budget')),
    metadata: optionalObject(body, 'metadata'),
    blocked: optionalBoolean(body, 'blocked'),
    // Spend is set by traffic; an admin may correct (or reset) it, never set it at creation.
    spend: update ? (optionalNumber(body, 'spend') ?? undefined) : undefined,
    ...readBudgetDuration(body, now, timeZone),
  });
}

/** `password`: a non-empty string → its scrypt hash; null → no password; absent → unchanged. */
async function readPassword(body: JsonObject): Promise<string | null | undefined> {
  const password = optionalString(body, 'password');
  if (password === '') throw new GatewayError('invalid_body', '"password" must not be empty.', { param: 'password' });
  if (password === undefined || password === null) return password;
  return hashPassword(password);
}

/** /user/new `teams`: team ids, or {team_id, user_role} objects (LiteLLM accepts both). */
function readTeams(body: JsonObject): Array<{ team_id: string; role: TeamRole }> {
  const value = body.teams;
  if (value === undefined || value === null) return [];
  const bad = (): GatewayError =>
    new GatewayError('invalid_body', '"teams" must be an array of team ids or of {team_id, user_role} objects.', { param: 'teams' });
  if (!Array.isArray(value)) throw bad();
  const teams = new Map<string, TeamRole>();
  for (const entry of value) {
    if (typeof entry === 'string' && entry !== '') teams.set(entry, 'user');
    else if (entry !== null && typeof entry === 'object' && !Array.isArray(entry) && typeof entry.team_id === 'string') {
      const role = entry.user_role ?? entry.role ?? 'user';
      if (!(TEAM_ROLES as readonly unknown[]).includes(role)) {
        throw new GatewayError('invalid_body', `"teams[].user_role" must be one of ${TEAM_ROLES.join(', ')}.`, { param: 'teams' });
      }
      teams.set(entry.team_id, role as TeamRole);
    } else throw bad();
  }
  return [...teams].map(([team_id, role]) => ({ team_id, role }));
}

// ---------------------------------------------------------------------------------------------
// Handlers

/** The key /user/new creates for its user: no limits of its own, the user's model allowlist. */
function userKeyRecord(raw: string, user: UserRecord, now: Date, createdBy: string): KeyRecord {
  return newKeyRecord(raw, now, createdBy, { user_id: user.user_id, models: [...user.models] });
}

async function createUser(ctx: AdminContext): Promise<unknown> {
  const body = ctx.body;
  const now = ctx.now();
  const userId = newId(body, 'user_id');
  const fields = readUserFields(body, now, budgetTimeZone(ctx), false);
  const teams = readTeams(body);
  const autoCreateKey = optionalBoolean(body, 'auto_create_key') ?? true;
  const passwordHash = await readPassword(body);
  const actor = actorOf(ctx.caller);
  const user = newUserRecord(userId, { ...fields, password_hash: passwordHash ?? null }, now, actor);
  const raw = autoCreateKey ? generateRawKey() : null;

  const { created, key } = await ctx.store.transaction(async (tx) => {
    if ((await tx.users.get(userId)) !== null) throw alreadyExists('User', userId, 'user_id');
    if (user.user_email !== null && (await tx.users.findByEmail(user.user_email)) !== null) {
      throw alreadyExists('A user with user_email', user.user_email, 'user_email');
    }
    for (const team of teams) {
      if ((await tx.teams.get(team.team_id)) === null) throw notFound('Team', team.team_id, 'teams');
    }
    const created = await tx.users.insert(user);
    const at = now.toISOString();
    for (const team of teams) {
      await tx.teams.addMember({
        team_id: team.team_id, user_id: userId, role: team.role, spend: 0,
        max_budget: null, budget_duration: null, budget_reset_at: null, tpm_limit: null, rpm_limit: null, created_at: at, updated_at: at,
      });
    }
    await ctx.audit('user.new', 'user', userId, null, { ...created, teams: teams.map((t) => t.team_id) }, tx);
    const key = raw === null ? null : await tx.keys.insert(userKeyRecord(raw, created, now, actor));
    if (key !== null) await ctx.audit('key.generate', 'key', key.token, null, publicKey(key), tx);
    return { created, key };
  });

  return {
    ...publicUser(created),
    teams: teams.map((t) => t.team_id),
    key: raw,
    key_name: key?.key_name ?? null,
    token_id: key?.token ?? null,
  };
}

async function userInfo(ctx: AdminContext): Promise<unknown> {
  const userId = ctx.request.query.user_id ?? ctx.caller.userId;
  if (userId === null || userId === '') {
    throw new GatewayError('invalid_body', '"user_id" is required (the caller has no user of its own).', { param: 'user_id' });
  }
  if (!canSeeUser(ctx.caller, userId)) {
    throw new GatewayError('forbidden', `Role ${ctx.caller.role} may only read its own user, not ${JSON.stringify(userId)}.`, { param: 'user_id' });
  }
  const store = ctx.store;
  const user = await store.users.get(userId);
  if (user === null) throw notFound('User', userId, 'user_id');
  const [keys, memberships] = await Promise.all([store.keys.listByUser(userId), store.teams.teamsOf(userId)]);
  const teams: TeamRecord[] = [];
  for (const membership of memberships) {
    const team = await store.teams.get(membership.team_id);
    if (team !== null) teams.push(team);
  }
  // Budget periods as the gateway is in them now (stored reset instants that have passed move on).
  const now = ctx.now();
  const zone = budgetTimeZone(ctx);
  return {
    user_id: userId,
    user_info: publicUser(withCurrentReset(user, now, zone)),
    keys: keys.map((key) => publicKey(withCurrentReset(key, now, zone))),
    teams: teams.map((team) => withCurrentReset(team, now, zone)),
  };
}

/** The user a body names by `user_id` or, failing that, `user_email`. */
export async function namedUser(repos: Repositories, body: JsonObject): Promise<UserRecord> {
  const userId = optionalString(body, 'user_id');
  const email = optionalString(body, 'user_email');
  if (userId !== undefined && userId !== null && userId !== '') {
    const user = await repos.users.get(userId);
    if (user === null) throw notFound('User', userId, 'user_id');
    return user;
  }
  if (email !== undefined && email !== null && email !== '') {
    const user = await repos.users.findByEmail(email);
    if (user === null) throw notFound('A user with user_email', email, 'user_email');
    return user;
  }
  throw new GatewayError('invalid_body', '"user_id" (or "user_email") is required.', { param: 'user_id' });
}

async function updateUser(ctx: AdminContext): Promise<unknown> {
  const body = ctx.body;
  // With user_id given, user_email is a field to change; without, it names the user.
  const byId = typeof body.user_id === 'string' && body.user_id !== '';
  const fields = readUserFields(byId ? body : { ...body, user_email: undefined }, ctx.now(), budgetTimeZone(ctx), true);
  const passwordHash = await readPassword(body);
  if (passwordHash !== undefined) fields.password_hash = passwordHash;

  const updated = await ctx.store.transaction(async (tx) => {
    const before = await namedUser(tx, body);
    if (fields.user_email !== undefined && fields.user_email !== null && fields.user_email !== before.user_email) {
      const holder = await tx.users.findByEmail(fields.user_email);
      if (holder !== null && holder.user_id !== before.user_id) throw alreadyExists('A user with user_email', fields.user_email, 'user_email');
    }
    const after = await tx.users.update(before.user_id, fields);
    if (after === null) throw notFound('User', before.user_id, 'user_id');
    await ctx.audit('user.update', 'user', after.user_id, before, after, tx);
    return after;
  });
  // Model allowlists, limits and the blocked state are enforced on the data path from its cache.
  await ctx.invalidate({ kind: 'user', userId: updated.user_id });
  return publicUser(updated);
}

async function deleteUsers(ctx: AdminContext): Promise<unknown> {
  const userIds = requiredIdList(ctx.body, 'user_ids');
  const { deleted, tokens } = await ctx.store.transaction(async (tx) => {
    const deleted: string[] = [];
    const tokens: string[] = [];
    for (const userId of userIds) {
      const user = await tx.users.get(userId);
      if (user === null) continue;
      // LiteLLM deletes a user's keys with the user; a key must not outlive its owner's removal.
      const keys = await tx.keys.listByUser(userId);
      if (keys.length > 0) await tx.keys.delete(keys.map((k) => k.token));
      for (const key of keys) {
        await ctx.audit('key.delete', 'key', key.token, publicKey(key), null, tx);
        tokens.push(key.token);
      }
      for (const membership of await tx.teams.teamsOf(userId)) await tx.teams.removeMember(membership.team_id, userId);
      await tx.users.delete([userId]);
      await ctx.audit('user.delete', 'user', userId, user, null, tx);
      deleted.push(userId);
    }
    if (deleted.length === 0) throw notFound('User', userIds.join(', '), 'user_ids');
    return { deleted, tokens };
  });
  await invalidateAll(ctx, [
    ...deleted.map((userId): InvalidationScope => ({ kind: 'user', userId })),
    ...tokens.map((token): InvalidationScope => ({ kind: 'key', token })),
  ]);
  return { deleted_users: deleted };
}

async function listUsers(ctx: AdminContext): Promise<unknown> {
  const query = ctx.request.query;
  const { page, size } = paging(query, 25, 100);
  const role = query.role === undefined || query.role === '' ? undefined : readRole({ user_role: query.role });
  const userIds = query.user_ids === undefined || query.user_ids === '' ? undefined : query.user_ids.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const result = await ctx.store.users.list({ page, size, ...(role === undefined ? {} : { role }), ...(userIds === undefined ? {} : { user_ids: userIds }) });
  return {
    users: result.rows.map(publicUser),
    total: result.total,
    page,
    page_size: size,
    total_pages: Math.ceil(result.total / size),
  };
}

export const USER_ROUTES: readonly AdminRouteDef[] = [
  { method: 'POST', path: '/user/new', handler: createUser },
  { method: 'GET', path: '/user/info', handler: userInfo },
  { method: 'POST', path: '/user/update', handler: updateUser },
  { method: 'POST', path: '/user/delete', handler: deleteUsers },
  { method: 'GET', path: '/user/list', handler: listUsers },
  { method: 'GET', path: '/v1/users', handler: listUsers },
  { method: 'POST', path: '/v1/users', handler: createUser },
];
