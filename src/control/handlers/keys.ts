/**
 * The virtual-key management routes (LiteLLM's /key/* and MarchProxy's /v1/auth/key/*).
 *
 * Contracts kept here:
 * - A raw key leaves the control plane once, in the answer to the call that made it (generate or
 *   regenerate); the store, the audit log and every other answer hold only its digest (`token`).
 * - Non-admin callers pass the access table but are narrowed here (ownership.ts): they create and
 *   manage keys of their own user, or of teams they administer.
 * - Each mutation is audited in the same transaction as the change, and its cache invalidation is
 *   awaited before the answer, so every thread and instance enforces it when the caller hears back.
 */
import { GatewayError } from '../../errors.js';
import type { JsonObject, KeyListFilter, KeyPatch, KeyRecord, Repositories } from '../../store/types.js';
import { budgetTimeZone, withCurrentReset } from '../budget-reset.js';
import { addDuration, checkDuration } from '../duration.js';
import { generateRawKey, hashKey, keyDisplayName, newKeyRecord, tokenOf } from '../key-material.js';
import { canManageKey, canReadEverything, canSeeKey, isAdmin, isTeamAdmin } from '../ownership.js';
import type { AdminContext, AdminRouteDef, Caller } from '../types.js';
import { optionalString, optionalStringArray, paging, requiredString } from '../validate.js';
import { modelsOutside, readKeyFields } from './key-fields.js';

/** A key as answered: the record without the grace-period fields (the old digest is not the caller's business). */
export type PublicKey = Omit<KeyRecord, 'previous_token' | 'previous_token_expires'>;

export function publicKey(record: KeyRecord): PublicKey {
  const { previous_token: _token, previous_token_expires: _expires, ...rest } = record;
  return rest;
}

/** Who made a change, as the audit log names it. */
export function actorOf(caller: Caller): string {
  return caller.userId ?? (caller.kind === 'master_key' ? 'master_key' : caller.apiKeyHash);
}

const SORTABLE = ['created_at', 'updated_at', 'spend', 'key_alias', 'expires', 'max_budget'];

export const KEY_ROUTES: readonly AdminRouteDef[] = [
  { method: 'POST', path: '/key/generate', handler: generate },
  { method: 'POST', path: '/v1/auth/key/generate', handler: generate },
  { method: 'GET', path: '/key/info', handler: info },
  {
    method: 'GET',
    path: '/v1/auth/key/:key_id',
    handler: async (ctx) => reportedKey(ctx, await loadVisible(ctx, ctx.params.key_id)),
  },
  {
    method: 'POST',
    path: '/key/update',
    handler: async (ctx) => {
      const key = requiredString(ctx.body, 'key');
      return { ...publicKey(await update(ctx, key, ctx.body)), key };
    },
  },
  {
    method: 'PATCH',
    path: '/v1/auth/key/:key_id',
    handler: async (ctx) => ({ ...publicKey(await update(ctx, ctx.params.key_id, ctx.body)), key: ctx.params.key_id }),
  },
  { method: 'POST', path: '/key/delete', handler: deleteFromBody },
  {
    method: 'DELETE',
    path: '/v1/auth/key/:key_id',
    handler: async (ctx) => ({ deleted_keys: await deleteKeys(ctx, [{ asked: ctx.params.key_id, record: await findKey(ctx, ctx.params.key_id, 'key_id') }]) }),
  },
  { method: 'POST', path: '/key/regenerate', handler: (ctx) => regenerate(ctx, requiredString(ctx.body, 'key')) },
  { method: 'POST', path: '/key/:key/regenerate', handler: (ctx) => regenerate(ctx, ctx.params.key) },
  { method: 'POST', path: '/key/block', handler: (ctx) => setBlocked(ctx, true) },
  { method: 'POST', path: '/key/unblock', handler: (ctx) => setBlocked(ctx, false) },
  { method: 'GET', path: '/key/list', handler: list },
];

async function generate(ctx: AdminContext): Promise<unknown> {
  const { caller } = ctx;
  const now = ctx.now();
  const nowIso = now.toISOString();
  const raw = chosenKey(ctx.body, 'key') ?? generateRawKey();
  const token = hashKey(raw);
  const patch = readKeyFields(ctx.body, now, null, budgetTimeZone(ctx));
  if (!isAdmin(caller) && patch.user_id === undefined) patch.user_id = caller.userId;
  const actor = actorOf(caller);
  const record: KeyRecord = newKeyRecord(raw, now, actor, patch);
  await checkPlacement(ctx, null, record);

  const inserted = await ctx.store.transaction(async (tx) => {
    await assertAliasFree(tx, record.key_alias, null);
    if ((await tx.keys.findByToken(token)) !== null) {
      throw new GatewayError('already_exists', 'A key with this value already exists.', { param: 'key' });
    }
    const row = await conflictAsAlreadyExists(tx.keys.insert(record), 'key');
    await ctx.audit('key.generate', 'key', token, null, row, tx);
    return row;
  });
  // A new key may have been remembered as unknown by a thread's auth cache.
  await ctx.invalidate({ kind: 'key', token });
  return { ...publicKey(inserted), key: raw, token_id: inserted.token };
}

async function info(ctx: AdminContext): Promise<unknown> {
  const asked = ctx.request.query.key;
  if (asked === undefined || asked === '') {
    const record = await ctx.store.keys.findByToken(ctx.caller.apiKeyHash, ctx.now());
    if (record === null) throw new GatewayError('record_not_found', 'The calling key is not a virtual key; pass ?key= to name one.', { param: 'key' });
    return { key: record.token, info: reportedKey(ctx, record) };
  }
  return { key: asked, info: reportedKey(ctx, await loadVisible(ctx, asked)) };
}

/** A key as the info routes show it: its budget_reset_at is when the gateway resets it next. */
function reportedKey(ctx: AdminContext, record: KeyRecord): PublicKey {
  return publicKey(withCurrentReset(record, ctx.now(), budgetTimeZone(ctx)));
}

async function update(ctx: AdminContext, keyOrHash: string, fields: JsonObject): Promise<KeyRecord> {
  const current = await loadManageable(ctx, keyOrHash);
  const patch = await preparePatch(ctx, current, fields);
  const updated = await ctx.store.transaction(async (tx) => {
    if (patch.key_alias !== undefined) await assertAliasFree(tx, patch.key_alias, current.token);
    const row = await conflictAsAlreadyExists(tx.keys.update(current.token, patch), 'key_alias');
    if (row === null) throw notFound(keyOrHash);
    await ctx.audit('key.update', 'key', current.token, current, row, tx);
    return row;
  });
  await ctx.invalidate({ kind: 'key', token: current.token });
  return updated;
}

async function deleteFromBody(ctx: AdminContext): Promise<unknown> {
  const keys = optionalStringArray(ctx.body, 'keys') ?? [];
  const aliases = optionalStringArray(ctx.body, 'key_aliases') ?? [];
  if (keys.length === 0 && aliases.length === 0) {
    throw new GatewayError('invalid_body', '"keys" or "key_aliases" is required (a non-empty array).', { param: 'keys' });
  }
  const found: Array<{ asked: string; record: KeyRecord }> = [];
  const now = ctx.now();
  for (const asked of keys) {
    const record = await ctx.store.keys.findByToken(tokenOf(asked), now);
    if (record !== null) found.push({ asked, record });
  }
  for (const asked of aliases) {
    const record = await ctx.store.keys.findByAlias(asked);
    if (record !== null) found.push({ asked, record });
  }
  if (found.length === 0) {
    throw new GatewayError('record_not_found', `None of the keys asked for exist.`, { param: keys.length > 0 ? 'keys' : 'key_aliases' });
  }
  return { deleted_keys: await deleteKeys(ctx, found) };
}

/** Deletes every key or none: a non-admin must be allowed to manage each. Returns the values asked. */
async function deleteKeys(ctx: AdminContext, found: ReadonlyArray<{ asked: string; record: KeyRecord }>): Promise<string[]> {
  for (const { asked, record } of found) {
    if (!canManageKey(ctx.caller, record)) {
      throw new GatewayError('forbidden', `You may not delete key ${displayOf(asked)}: it belongs to another user or team.`, { param: 'keys' });
    }
  }
  const byToken = new Map(found.map(({ record }) => [record.token, record] as const));
  const deleted = await ctx.store.transaction(async (tx) => {
    const tokens = new Set(await tx.keys.delete([...byToken.keys()]));
    for (const token of tokens) await ctx.audit('key.delete', 'key', token, byToken.get(token)!, null, tx);
    return tokens;
  });
  for (const token of deleted) await ctx.invalidate({ kind: 'key', token });
  return found.filter(({ record }) => deleted.has(record.token)).map(({ asked }) => asked);
}

async function regenerate(ctx: AdminContext, keyOrHash: string): Promise<unknown> {
  const current = await loadManageable(ctx, keyOrHash);
  const now = ctx.now();
  const raw = chosenKey(ctx.body, 'new_key') ?? generateRawKey();
  const token = hashKey(raw);
  const grace = checkDuration(optionalString(ctx.body, 'grace_period'), 'grace_period');
  const graceUntil = grace === null || grace === undefined ? null : addDuration(now, grace, 'grace_period').toISOString();
  // rotate() itself counts the rotation and stamps last_rotation_at.
  const patch = await preparePatch(ctx, current, ctx.body);
  // The new key gets a full interval before the rotation job replaces it.
  const autoRotate = patch.auto_rotate ?? current.auto_rotate;
  const interval = patch.rotation_interval !== undefined ? patch.rotation_interval : current.rotation_interval;
  if (autoRotate && interval !== null && patch.key_rotation_at === undefined) {
    patch.key_rotation_at = addDuration(now, interval, 'rotation_interval').toISOString();
  }

  const rotated = await ctx.store.transaction(async (tx) => {
    if ((await tx.keys.findByToken(token)) !== null) {
      throw new GatewayError('already_exists', 'A key with this value already exists.', { param: 'new_key' });
    }
    if (patch.key_alias !== undefined) await assertAliasFree(tx, patch.key_alias, current.token);
    const row = await conflictAsAlreadyExists(
      tx.keys.rotate(current.token, { token, key_name: keyDisplayName(raw), graceUntil, patch }),
      'new_key',
    );
    if (row === null) throw notFound(keyOrHash);
    await ctx.audit('key.regenerate', 'key', token, current, row, tx);
    return row;
  });
  await ctx.invalidate({ kind: 'key', token: current.token });
  // A previous grace period's old digest stops working now too.
  if (current.previous_token !== null && current.previous_token !== current.token) {
    await ctx.invalidate({ kind: 'key', token: current.previous_token });
  }
  return { ...publicKey(rotated), key: raw, token_id: rotated.token };
}

async function setBlocked(ctx: AdminContext, blocked: boolean): Promise<unknown> {
  const asked = requiredString(ctx.body, 'key');
  const current = await findKey(ctx, asked, 'key');
  const updated = await ctx.store.transaction(async (tx) => {
    const row = await tx.keys.update(current.token, { blocked, updated_by: actorOf(ctx.caller) });
    if (row === null) throw notFound(asked);
    await ctx.audit(blocked ? 'key.block' : 'key.unblock', 'key', current.token, current, row, tx);
    return row;
  });
  await ctx.invalidate({ kind: 'key', token: current.token });
  return publicKey(updated);
}

async function list(ctx: AdminContext): Promise<unknown> {
  const { query } = ctx.request;
  const { caller } = ctx;
  const { page, size } = paging(query);
  const sortBy = query.sort_by;
  if (sortBy !== undefined && !SORTABLE.includes(sortBy)) {
    throw new GatewayError('invalid_body', `"sort_by" must be one of ${SORTABLE.join(', ')}; got "${sortBy}".`, { param: 'sort_by' });
  }
  const sortOrder = query.sort_order;
  if (sortOrder !== undefined && sortOrder !== 'asc' && sortOrder !== 'desc') {
    throw new GatewayError('invalid_body', `"sort_order" must be asc or desc; got "${sortOrder}".`, { param: 'sort_order' });
  }
  const filter: KeyListFilter = { page, size };
  if (query.user_id !== undefined) filter.user_id = query.user_id;
  if (query.team_id !== undefined) filter.team_id = query.team_id;
  if (query.key_alias !== undefined) filter.key_alias = query.key_alias;
  if (sortBy !== undefined) filter.sort_by = sortBy;
  if (sortOrder !== undefined) filter.sort_order = sortOrder;

  let rows: KeyRecord[];
  let total: number;
  if (canReadEverything(caller)) {
    ({ rows, total } = await ctx.store.keys.list(filter));
  } else if (caller.userId === null) {
    // A key with no user sees only itself.
    const self = await ctx.store.keys.findByToken(caller.apiKeyHash, ctx.now());
    const matches = self !== null && matchesFilter(self, filter);
    rows = matches && page === 1 ? [self] : [];
    total = matches ? 1 : 0;
  } else {
    const adminOf = caller.memberships.filter((m) => m.role === 'admin').map((m) => m.team_id);
    ({ rows, total } = await ctx.store.keys.list({ ...filter, visible_to: { user_id: caller.userId, team_ids: adminOf } }));
  }
  const full = query.return_full_object === 'true';
  return {
    keys: full ? rows.map((row) => reportedKey(ctx, row)) : rows.map((row) => row.token),
    total_count: total,
    current_page: page,
    total_pages: Math.ceil(total / size),
  };
}

function matchesFilter(record: KeyRecord, filter: KeyListFilter): boolean {
  return (
    (filter.user_id === undefined || record.user_id === filter.user_id) &&
    (filter.team_id === undefined || record.team_id === filter.team_id) &&
    (filter.key_alias === undefined || record.key_alias === filter.key_alias)
  );
}

/**
 * Validates an update's fields against the key's current state and the caller's rights: who may
 * own the key and in which team, whether its models fit the team, whether its budget exists.
 */
async function preparePatch(ctx: AdminContext, current: KeyRecord, fields: JsonObject): Promise<KeyPatch> {
  const patch = readKeyFields(fields, ctx.now(), current, budgetTimeZone(ctx));
  if (!isAdmin(ctx.caller) && patch.blocked === false && current.blocked) {
    throw new GatewayError('forbidden', 'Only a proxy admin may unblock a key.', { param: 'blocked' });
  }
  await checkPlacement(ctx, current, { ...current, ...patch });
  patch.updated_by = actorOf(ctx.caller);
  return patch;
}

/**
 * Whether the caller may give a key this owner and team (non-admins: their own user, or a team
 * they administer and its members), whether the team exists and allows the key's models, and
 * whether the key's budget exists. `current` is null for a new key.
 */
async function checkPlacement(ctx: AdminContext, current: KeyRecord | null, next: KeyRecord): Promise<void> {
  const { caller, store } = ctx;
  const teamChanged = current === null || next.team_id !== current.team_id;
  const userChanged = current === null || next.user_id !== current.user_id;
  if (!isAdmin(caller)) {
    if (teamChanged && next.team_id !== null && !isTeamAdmin(caller, next.team_id)) {
      throw new GatewayError('forbidden', `You may only put keys in teams you administer; you are not an admin of team ${next.team_id}.`, { param: 'team_id' });
    }
    if (userChanged && next.user_id !== caller.userId) {
      const teamAdmin = next.team_id !== null && isTeamAdmin(caller, next.team_id);
      const member = teamAdmin && (next.user_id === null || (await store.teams.membership(next.team_id!, next.user_id)) !== null);
      if (!member) {
        throw new GatewayError(
          'forbidden',
          next.user_id === null
            ? 'You may only create keys for yourself (or, as team admin, for your team).'
            : `You may only create keys for yourself (or, as team admin, for members of your team); not for user ${next.user_id}.`,
          { param: 'user_id' },
        );
      }
    }
  }
  const modelsChanged = current === null || next.models.join('\n') !== current.models.join('\n');
  if (next.team_id !== null && (teamChanged || modelsChanged)) {
    const team = await store.teams.get(next.team_id);
    if (team === null) throw new GatewayError('record_not_found', `Team ${next.team_id} does not exist.`, { param: 'team_id' });
    const outside = modelsOutside(next.models, team.models);
    if (outside.length > 0) {
      throw new GatewayError(
        'forbidden',
        `team_model_access_denied: team ${next.team_id} may only use models [${team.models.join(', ')}]; the key asks for [${outside.join(', ')}].`,
        { param: 'models' },
      );
    }
  }
  if (next.budget_id !== null && (current === null || next.budget_id !== current.budget_id)) {
    if ((await store.budgets.get(next.budget_id)) === null) {
      throw new GatewayError('record_not_found', `Budget ${next.budget_id} does not exist.`, { param: 'budget_id' });
    }
  }
}

async function assertAliasFree(tx: Repositories, alias: string | null, ownToken: string | null): Promise<void> {
  if (alias === null) return;
  const holder = await tx.keys.findByAlias(alias);
  if (holder !== null && holder.token !== ownToken) {
    throw new GatewayError('already_exists', `A key with key_alias "${alias}" already exists.`, { param: 'key_alias' });
  }
}

/** A unique-index violation (SQLSTATE 23505) the checks above lost a race to is still a 409. */
async function conflictAsAlreadyExists<T>(work: Promise<T>, param: string): Promise<T> {
  try {
    return await work;
  } catch (error) {
    const code = error instanceof GatewayError ? error.code : (error as { code?: unknown }).code;
    if (code === '23505' || code === 'already_exists') {
      throw new GatewayError('already_exists', `A key with this ${param === 'key_alias' ? 'key_alias' : 'value'} already exists.`, { param, cause: error });
    }
    throw error;
  }
}

/** A caller-chosen raw key (`key` on generate, `new_key` on regenerate): must look like one. */
function chosenKey(body: JsonObject, name: string): string | null {
  const value = optionalString(body, name);
  if (value === undefined || value === null) return null;
  if (!value.startsWith('sk-') || value.length < 8) {
    throw new GatewayError('invalid_body', `"${name}" must start with "sk-" and be at least 8 characters long.`, { param: name });
  }
  return value;
}

async function findKey(ctx: AdminContext, keyOrHash: string, param: string): Promise<KeyRecord> {
  const record = await ctx.store.keys.findByToken(tokenOf(keyOrHash), ctx.now());
  if (record === null) throw notFound(keyOrHash, param);
  return record;
}

async function loadVisible(ctx: AdminContext, keyOrHash: string): Promise<KeyRecord> {
  const record = await findKey(ctx, keyOrHash, 'key');
  if (!canSeeKey(ctx.caller, record)) throw new GatewayError('forbidden', `You may not see key ${displayOf(keyOrHash)}.`, { param: 'key' });
  return record;
}

async function loadManageable(ctx: AdminContext, keyOrHash: string): Promise<KeyRecord> {
  const record = await findKey(ctx, keyOrHash, 'key');
  if (!canManageKey(ctx.caller, record)) {
    throw new GatewayError('forbidden', `You may not change key ${displayOf(keyOrHash)}: it belongs to another user or team.`, { param: 'key' });
  }
  return record;
}

function notFound(keyOrHash: string, param = 'key'): GatewayError {
  return new GatewayError('record_not_found', `Key ${displayOf(keyOrHash)} not found.`, { param });
}

/** How a key the caller named appears in messages: never the raw value. */
function displayOf(keyOrHash: string): string {
  return keyOrHash.startsWith('sk-') ? keyDisplayName(keyOrHash) : keyOrHash;
}
