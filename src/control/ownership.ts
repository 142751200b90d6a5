/**
 * Who may see or change what, for the routes the access table marks `own`: the finer rule a
 * handler applies after the table has let the caller's role in.
 *
 * - proxy_admin: everything. proxy_admin_viewer: may see everything, change nothing.
 * - A key may always see itself.
 * - A user may see and (internal_user) manage its own keys and record.
 * - A team admin may see and (internal_user) manage its team and the team's keys.
 */
import type { KeyRecord } from '../store/types.js';
import type { Caller } from './types.js';

export function isAdmin(caller: Caller): boolean {
  return caller.role === 'proxy_admin';
}

export function canReadEverything(caller: Caller): boolean {
  return caller.role === 'proxy_admin' || caller.role === 'proxy_admin_viewer';
}

export function isTeamAdmin(caller: Caller, teamId: string | null): boolean {
  if (teamId === null) return false;
  return caller.memberships.some((m) => m.team_id === teamId && m.role === 'admin');
}

export function isTeamMember(caller: Caller, teamId: string | null): boolean {
  if (teamId === null) return false;
  return caller.memberships.some((m) => m.team_id === teamId);
}

export function canSeeKey(caller: Caller, key: KeyRecord): boolean {
  if (canReadEverything(caller)) return true;
  if (key.token === caller.apiKeyHash) return true;
  if (caller.userId !== null && key.user_id === caller.userId) return true;
  return isTeamAdmin(caller, key.team_id);
}

export function canManageKey(caller: Caller, key: KeyRecord): boolean {
  if (isAdmin(caller)) return true;
  if (caller.role !== 'internal_user') return false;
  if (caller.userId !== null && key.user_id === caller.userId) return true;
  return isTeamAdmin(caller, key.team_id);
}

export function canSeeUser(caller: Caller, userId: string): boolean {
  return canReadEverything(caller) || caller.userId === userId;
}

export function canSeeTeam(caller: Caller, teamId: string): boolean {
  return canReadEverything(caller) || isTeamMember(caller, teamId);
}

export function canManageTeam(caller: Caller, teamId: string): boolean {
  return isAdmin(caller) || (caller.role === 'internal_user' && isTeamAdmin(caller, teamId));
}
