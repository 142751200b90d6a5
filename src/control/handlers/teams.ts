/**
 * Teams (LiteLLM's /team/* routes): a team's budget, per-model budgets, limits and model
 * allowlist, and its members with their roles (admin | user) and per-member limits and budget
 * periods (a membership's budget_duration, else the team's team_member_budget_duration).
 *
 * A team admin (an internal_user whose membership role is admin) may change its team's own
 * settings and members; the team's budget, limits, model allowlist and blocked state stay with
 * proxy admins, so a team admin cannot lift what an admin imposed. Deleting a team deletes its
 * keys and memberships; removing a member deletes that member's keys of the team, so a removed
 * member cannot go on spending the team's budget.
 */
import { GatewayError } from '../../errors.js';
import { checkModelMaxBudget } from '../../limits/model-budget.js';
import {
  TEAM_ROLES,
  type JsonObject,
  type Repositories,
  type TeamMemberPatch,
  type TeamMemberRecord,
  type TeamPatch,
  type TeamRecord,
  type TeamRole,
  type UserRecord,
} from '../../store/types.js';
import { budgetTimeZone, currentReset, readBudgetPeriod, withCurrentReset } from '../budget-reset.js';
import { canManageTeam, canReadEverything, canSeeTeam, isAdmin } from '../ownership.js';
import type { AdminContext, AdminRouteDef, InvalidationScope } from '../types.js';
import {
  optionalBoolean,
  optionalNumber,
  optionalObject,
  optionalString,
  optionalStringArray,
  optionalStringMap,
  requiredString,
} from '../validate.js';
import {
  actorOf,
  allRows,
  alreadyExists,
  definedOnly,
  invalidateAll,
  membersWithRoles,
  namedUser,
  newId,
  newUserRecord,
  notFound,
  publicKey,
  publicUser,
  readBudgetDuration,
  requiredIdList,
} from './users.js';

/** Team fields only a proxy admin may change: what limits the team, as opposed to describing it. */
const ADMIN_ONLY_FIELDS: readonly (keyof TeamPatch)[] = [
  'models', 'max_budget', 'budget_duration', 'budget_reset_at', 'tpm_limit', 'rpm_limit', 'max_parallel_requests', 'model_max_budget', 'blocked', 'spend',
];

function readTeamFields(body: JsonObject, now: Date, timeZone: string, update: boolean): TeamPatch {
  const memberPeriod = readBudgetPeriod(body, 'team_member_budget_duration', now, timeZone);
  return definedOnly<TeamPatch>({
    team_alias: optionalString(body, 'team_alias'),
    organization_id: optionalString(body, 'organization_id'),
    models: optionalStringArray(body, 'models'),
    max_budget: optionalNumber(body, 'max_budget'),
    soft_budget: optionalNumber(body, 'soft_budget'),
    tpm_limit: optionalNumber(body, 'tpm_limit', { integer: true }),
    rpm_limit: optionalNumber(body, 'rpm_limit', { integer: true }),
    max_parallel_requests: optionalNumber(body, 'max_parallel_requests', { integer: true }),
    model_max_budget: checkModelMaxBudget(optionalObject(body, 'model_max_budget')),
    model_aliases: optionalStringMap(body, 'model_aliases'),
    metadata: optionalObject(body, 'metadata'),
    tags: optionalStringArray(body, 'tags'),
    blocked: optionalBoolean(body, 'blocked'),
    team_member_budget: optionalNumber(body, 'team_member_budget'),
    team_member_budget_duration: memberPeriod?.duration,
    team_member_budget_reset_at: memberPeriod?.resetAt,
    team_member_rpm_limit: optionalNumber(body, 'team_member_rpm_limit', { integer: true }),
    team_member_tpm_limit: optionalNumber(body, 'team_member_tpm_limit', { integer: true }),
    spend: update ? (optionalNumber(body, 'spend') ?? undefined) : undefined,
    ...readBudgetDuration(body, now, timeZone),
  });
}

/** A member as a request names it: a role and a user_id and/or user_email. */
interface MemberInput {
  readonly role: TeamRole;
  readonly user_id: string | null;
  readonly user_email: string | null;
}

function readMember(value: unknown, param: string): MemberInput {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new GatewayError('invalid_body', `"${param}" entries must be objects {role, user_id | user_email}.`, { param });
  }
  const entry = value as JsonObject;
  const role = entry.role ?? 'user';
  if (!(TEAM_ROLES as readonly unknown[]).includes(role)) {
    throw new GatewayError('invalid_body', `"${param}[].role" must be one of ${TEAM_ROLES.join(', ')}; got ${JSON.stringify(role)}.`, { param });
  }
  const userId = optionalString(entry, 'user_id') ?? null;
  const email = optionalString(entry, 'user_email') ?? null;
  if ((userId === null || userId === '') && (email === null || email === '')) {
    throw new GatewayError('invalid_body', `"${param}" entries need a "user_id" or a "user_email".`, { param });
  }
  return { role: role as TeamRole, user_id: userId === '' ? null : userId, user_email: email === '' ? null : email };
}

/** `members_with_roles` of /team/new, or `member` (one or an array) of /team/member_add. */
function readMembers(body: JsonObject, param: string, required: boolean): MemberInput[] {
  const value = body[param];
  if (value === undefined || value === null) {
    if (required) throw new GatewayError('invalid_body', `"${param}" is required.`, { param });
    return [];
  }
  const list = Array.isArray(value) ? value : param === 'member' ? [value] : null;
  if (list === null) throw new GatewayError('invalid_body', `"${param}" must be an array of {role, user_id | user_email}.`, { param });
  if (required && list.length === 0) throw new GatewayError('invalid_body', `"${param}" must name at least one member.`, { param });
  return list.map((entry) => readMember(entry, param));
}

/**
 * The user a member entry names. A new user_id creates an internal_user (with the entry's email);
 * an email alone must belong to an existing user.
 */
async function resolveMember(
  ctx: AdminContext,
  tx: Repositories,
  member: MemberInput,
  param: string,
): Promise<{ user: UserRecord; created: boolean }> {
  if (member.user_id === null) {
    const user = await tx.users.findByEmail(member.user_email!);
    if (user === null) throw notFound('A user with user_email', member.user_email!, param);
    return { user, created: false };
  }
  const existing = await tx.users.get(member.user_id);
  if (existing !== null) return { user: existing, created: false };
  if (member.user_email !== null && (await tx.users.findByEmail(member.user_email)) !== null) {
    throw alreadyExists('A user with user_email', member.user_email, param);
  }
  const user = await tx.users.insert(
    newUserRecord(member.user_id, { user_email: member.user_email, user_role: 'internal_user' }, ctx.now(), actorOf(ctx.caller)),
  );
  await ctx.audit('user.new', 'user', user.user_id, null, user, tx);
  return { user, created: true };
}

/** A new membership: its max_budget_in_team and budget period (null: the team's team_member_* defaults). */
function membership(
  teamId: string,
  userId: string,
  role: TeamRole,
  budget: { maxBudget: number | null; duration: string | null; resetAt: string | null },
  now: Date,
): TeamMemberRecord {
  const at = now.toISOString();
  return {
    team_id: teamId, user_id: userId, role, spend: 0, max_budget: budget.maxBudget, budget_duration: budget.duration, budget_reset_at: budget.resetAt,
    tpm_limit: null, rpm_limit: null, created_at: at, updated_at: at,
  };
}

/** A membership without a budget of its own: the team's team_member_* defaults apply. */
const TEAM_DEFAULT_BUDGET = { maxBudget: null, duration: null, resetAt: null } as const;

/**
 * The budget a member spends from and its limits, as LiteLLM's /team/info shows a membership's
 * `litellm_budget_table`: the membership's own values, else the team's team_member_* defaults,
 * with the budget_reset_at of the current period; null when neither sets anything.
 */
function memberBudgetTable(member: TeamMemberRecord, team: TeamRecord, now: Date, timeZone: string): JsonObject | null {
  const own = member.budget_duration !== null;
  const duration = own ? member.budget_duration : team.team_member_budget_duration;
  const table = {
    max_budget: member.max_budget ?? team.team_member_budget,
    budget_duration: duration,
    budget_reset_at: currentReset(duration, own ? member.budget_reset_at : team.team_member_budget_reset_at, now, timeZone),
    tpm_limit: member.tpm_limit ?? team.team_member_tpm_limit,
    rpm_limit: member.rpm_limit ?? team.team_member_rpm_limit,
  };
  return Object.values(table).every((value) => value === null) ? null : table;
}

async function teamView(repos: Repositories, team: TeamRecord): Promise<TeamRecord & { members_with_roles: unknown[] }> {
  return { ...team, members_with_roles: await membersWithRoles(repos, team.team_id) };
}

async function existingTeam(repos: Repositories, teamId: string): Promise<TeamRecord> {
  const team = await repos.teams.get(teamId);
  if (team === null) throw notFound('Team', teamId, 'team_id');
  return team;
}

/** Refuses a caller who is neither a proxy admin nor an internal_user admin of the team. */
function requireManager(ctx: AdminContext, teamId: string): void {
  if (!canManageTeam(ctx.caller, teamId)) {
    throw new GatewayError('forbidden', `Only a proxy admin or an admin of team ${JSON.stringify(teamId)} may do this.`, { param: 'team_id' });
  }
}

async function createTeam(ctx: AdminContext): Promise<unknown> {
  const body = ctx.body;
  const now = ctx.now();
  const teamId = newId(body, 'team_id');
  const fields = readTeamFields(body, now, budgetTimeZone(ctx), false);
  const members = readMembers(body, 'members_with_roles', false);
  const at = now.toISOString();
  const team: TeamRecord = {
    team_id: teamId,
    team_alias: null,
    organization_id: null,
    models: [],
    max_budget: null,
    soft_budget: null,
    budget_duration: null,
    budget_reset_at: null,
    spend: 0,
    tpm_limit: null,
    rpm_limit: null,
    max_parallel_requests: null,
    model_aliases: {},
    metadata: {},
    tags: [],
    blocked: false,
    model_max_budget: {},
    team_member_budget: null,
    team_member_budget_duration: null,
    team_member_budget_reset_at: null,
    team_member_rpm_limit: null,
    team_member_tpm_limit: null,
    ...fields,
    created_at: at,
    updated_at: at,
    created_by: actorOf(ctx.caller),
  };

  const { view, existingUsers } = await ctx.store.transaction(async (tx) => {
    if ((await tx.teams.get(teamId)) !== null) throw alreadyExists('Team', teamId, 'team_id');
    const created = await tx.teams.insert(team);
    const existingUsers: string[] = [];
    const seen = new Set<string>();
    for (const member of members) {
      const { user, created: isNew } = await resolveMember(ctx, tx, member, 'members_with_roles');
      if (seen.has(user.user_id)) {
        throw new GatewayError('invalid_body', `"members_with_roles" names user ${JSON.stringify(user.user_id)} twice.`, { param: 'members_with_roles' });
      }
      seen.add(user.user_id);
      if (!isNew) existingUsers.push(user.user_id);
      await tx.teams.addMember(membership(teamId, user.user_id, member.role, TEAM_DEFAULT_BUDGET, now));
    }
    const view = await teamView(tx, created);
    await ctx.audit('team.new', 'team', teamId, null, view, tx);
    return { view, existingUsers };
  });
  await invalidateAll(ctx, existingUsers.map((userId): InvalidationScope => ({ kind: 'user', userId })));
  return view;
}

async function teamInfo(ctx: AdminContext): Promise<unknown> {
  const teamId = ctx.request.query.team_id ?? ctx.caller.teamId;
  if (teamId === null || teamId === '') throw new GatewayError('invalid_body', '"team_id" is required.', { param: 'team_id' });
  // Permission before existence, so a non-member cannot probe which team ids exist.
  if (!canSeeTeam(ctx.caller, teamId) && ctx.caller.teamId !== teamId) {
    throw new GatewayError('forbidden', `Role ${ctx.caller.role} may only read teams it is a member of.`, { param: 'team_id' });
  }
  const store = ctx.store;
  const team = await existingTeam(store, teamId);
  const now = ctx.now();
  const zone = budgetTimeZone(ctx);
  const current = {
    ...withCurrentReset(team, now, zone),
    team_member_budget_reset_at: currentReset(team.team_member_budget_duration, team.team_member_budget_reset_at, now, zone),
  };
  const [view, keys, memberships] = await Promise.all([
    teamView(store, current),
    store.keys.listByTeam(teamId),
    store.teams.members(teamId),
  ]);
  return {
    team_id: teamId,
    team_info: view,
    keys: keys.map((key) => publicKey(withCurrentReset(key, now, zone))),
    team_memberships: memberships.map((m) => ({ ...withCurrentReset(m, now, zone), litellm_budget_table: memberBudgetTable(m, team, now, zone) })),
  };
}

async function updateTeam(ctx: AdminContext): Promise<unknown> {
  const body = ctx.body;
  const teamId = requiredString(body, 'team_id');
  requireManager(ctx, teamId);
  const fields = readTeamFields(body, ctx.now(), budgetTimeZone(ctx), true);
  if (!isAdmin(ctx.caller)) {
    const refused = ADMIN_ONLY_FIELDS.find((name) => fields[name] !== undefined);
    if (refused !== undefined) {
      throw new GatewayError('forbidden', `Only a proxy admin may change a team's "${refused}".`, { param: refused });
    }
  }
  const updated = await ctx.store.transaction(async (tx) => {
    const before = await existingTeam(tx, teamId);
    const after = (await tx.teams.update(teamId, fields)) ?? before;
    await ctx.audit('team.update', 'team', teamId, before, after, tx);
    return after;
  });
  await ctx.invalidate({ kind: 'team', teamId });
  return teamView(ctx.store, updated);
}

async function deleteTeams(ctx: AdminContext): Promise<unknown> {
  const teamIds = requiredIdList(ctx.body, 'team_ids');
  const { deleted, scopes } = await ctx.store.transaction(async (tx) => {
    const deleted: string[] = [];
    const scopes: InvalidationScope[] = [];
    for (const teamId of teamIds) {
      const team = await tx.teams.get(teamId);
      if (team === null) continue;
      const members = await tx.teams.members(teamId);
      const keys = await tx.keys.listByTeam(teamId);
      if (keys.length > 0) await tx.keys.delete(keys.map((k) => k.token));
      for (const key of keys) {
        await ctx.audit('key.delete', 'key', key.token, publicKey(key), null, tx);
        scopes.push({ kind: 'key', token: key.token });
      }
      await tx.teams.delete([teamId]);
      await ctx.audit('team.delete', 'team', teamId, { ...team, members_with_roles: members }, null, tx);
      scopes.push({ kind: 'team', teamId }, ...members.map((m): InvalidationScope => ({ kind: 'user', userId: m.user_id })));
      deleted.push(teamId);
    }
    if (deleted.length === 0) throw notFound('Team', teamIds.join(', '), 'team_ids');
    return { deleted, scopes };
  });
  await invalidateAll(ctx, scopes);
  return { deleted_teams: deleted };
}

async function listTeams(ctx: AdminContext): Promise<unknown> {
  const caller = ctx.caller;
  const store = ctx.store;
  const userId = ctx.request.query.user_id;
  let teams: TeamRecord[];
  if (canReadEverything(caller)) {
    teams = await allRows((page, size) => store.teams.list({ page, size, ...(userId ? { user_id: userId } : {}) }));
  } else {
    if (userId !== undefined && userId !== '' && userId !== caller.userId) {
      throw new GatewayError('forbidden', `Role ${caller.role} may only list its own teams.`, { param: 'user_id' });
    }
    teams = [];
    for (const m of caller.memberships) {
      const team = await store.teams.get(m.team_id);
      if (team !== null) teams.push(team);
    }
  }
  const views = [];
  for (const team of teams) views.push(await teamView(store, team));
  return views;
}

function setBlocked(blocked: boolean) {
  return async (ctx: AdminContext): Promise<unknown> => {
    const teamId = requiredString(ctx.body, 'team_id');
    const updated = await ctx.store.transaction(async (tx) => {
      const before = await existingTeam(tx, teamId);
      const after = (await tx.teams.update(teamId, { blocked })) ?? before;
      await ctx.audit(blocked ? 'team.block' : 'team.unblock', 'team', teamId, before, after, tx);
      return after;
    });
    await ctx.invalidate({ kind: 'team', teamId });
    return updated;
  };
}

async function addMembers(ctx: AdminContext): Promise<unknown> {
  const body = ctx.body;
  const teamId = requiredString(body, 'team_id');
  requireManager(ctx, teamId);
  const members = readMembers(body, 'member', true);
  const now = ctx.now();
  const period = readBudgetPeriod(body, 'budget_duration', now, budgetTimeZone(ctx));
  const budget = { maxBudget: optionalNumber(body, 'max_budget_in_team') ?? null, duration: period?.duration ?? null, resetAt: period?.resetAt ?? null };
  const result = await ctx.store.transaction(async (tx) => {
    const team = await existingTeam(tx, teamId);
    const users: UserRecord[] = [];
    const added: TeamMemberRecord[] = [];
    for (const member of members) {
      const { user } = await resolveMember(ctx, tx, member, 'member');
      if ((await tx.teams.membership(teamId, user.user_id)) !== null) {
        throw alreadyExists(`A member of team ${JSON.stringify(teamId)}: user`, user.user_id, 'member');
      }
      const record = await tx.teams.addMember(membership(teamId, user.user_id, member.role, budget, now));
      await ctx.audit('team.member_add', 'team', teamId, null, record, tx);
      users.push(user);
      added.push(record);
    }
    return { view: await teamView(tx, team), users, added };
  });
  await invalidateAll(ctx, [
    { kind: 'team', teamId },
    ...result.users.map((u): InvalidationScope => ({ kind: 'user', userId: u.user_id })),
  ]);
  return { ...result.view, updated_users: result.users.map(publicUser), updated_team_memberships: result.added };
}

async function deleteMember(ctx: AdminContext): Promise<unknown> {
  const body = ctx.body;
  const teamId = requiredString(body, 'team_id');
  requireManager(ctx, teamId);
  const result = await ctx.store.transaction(async (tx) => {
    const team = await existingTeam(tx, teamId);
    const user = await namedUser(tx, body);
    const before = await tx.teams.membership(teamId, user.user_id);
    if (before === null) throw notFound(`A member of team ${JSON.stringify(teamId)}: user`, user.user_id, 'user_id');
    const keys = (await tx.keys.listByUser(user.user_id)).filter((k) => k.team_id === teamId);
    if (keys.length > 0) await tx.keys.delete(keys.map((k) => k.token));
    for (const key of keys) await ctx.audit('key.delete', 'key', key.token, publicKey(key), null, tx);
    await tx.teams.removeMember(teamId, user.user_id);
    await ctx.audit('team.member_delete', 'team', teamId, before, null, tx);
    return { view: await teamView(tx, team), userId: user.user_id, tokens: keys.map((k) => k.token) };
  });
  await invalidateAll(ctx, [
    { kind: 'team', teamId },
    { kind: 'user', userId: result.userId },
    ...result.tokens.map((token): InvalidationScope => ({ kind: 'key', token })),
  ]);
  return result.view;
}

async function updateMember(ctx: AdminContext): Promise<unknown> {
  const body = ctx.body;
  const teamId = requiredString(body, 'team_id');
  requireManager(ctx, teamId);
  const role = optionalString(body, 'role');
  if (role !== undefined && role !== null && !(TEAM_ROLES as readonly string[]).includes(role)) {
    throw new GatewayError('invalid_body', `"role" must be one of ${TEAM_ROLES.join(', ')}; got "${role}".`, { param: 'role' });
  }
  const now = ctx.now();
  const zone = budgetTimeZone(ctx);
  const period = readBudgetPeriod(body, 'budget_duration', now, zone);
  const patch = definedOnly<TeamMemberPatch>({
    role: (role ?? undefined) as TeamRole | undefined,
    max_budget: optionalNumber(body, 'max_budget_in_team'),
    budget_duration: period?.duration,
    budget_reset_at: period?.resetAt,
    tpm_limit: optionalNumber(body, 'tpm_limit', { integer: true }),
    rpm_limit: optionalNumber(body, 'rpm_limit', { integer: true }),
  });
  const result = await ctx.store.transaction(async (tx) => {
    await existingTeam(tx, teamId);
    const user = await namedUser(tx, body);
    const before = await tx.teams.membership(teamId, user.user_id);
    if (before === null) throw notFound(`A member of team ${JSON.stringify(teamId)}: user`, user.user_id, 'user_id');
    const after = (await tx.teams.updateMember(teamId, user.user_id, patch)) ?? before;
    await ctx.audit('team.member_update', 'team', teamId, before, after, tx);
    return { user, after };
  });
  await invalidateAll(ctx, [{ kind: 'team', teamId }, { kind: 'user', userId: result.user.user_id }]);
  const m = result.after;
  return {
    team_id: teamId,
    user_id: m.user_id,
    user_email: result.user.user_email,
    role: m.role,
    max_budget_in_team: m.max_budget,
    budget_duration: m.budget_duration,
    budget_reset_at: currentReset(m.budget_duration, m.budget_reset_at, now, zone),
    tpm_limit: m.tpm_limit,
    rpm_limit: m.rpm_limit,
  };
}

export const TEAM_ROUTES: readonly AdminRouteDef[] = [
  { method: 'POST', path: '/team/new', handler: createTeam },
  { method: 'GET', path: '/team/info', handler: teamInfo },
  { method: 'POST', path: '/team/update', handler: updateTeam },
  { method: 'POST', path: '/team/delete', handler: deleteTeams },
  { method: 'GET', path: '/team/list', handler: listTeams },
  { method: 'POST', path: '/team/block', handler: setBlocked(true) },
  { method: 'POST', path: '/team/unblock', handler: setBlocked(false) },
  { method: 'POST', path: '/team/member_add', handler: addMembers },
  { method: 'POST', path: '/team/member_delete', handler: deleteMember },
  { method: 'POST', path: '/team/member_update', handler: updateMember },
];
