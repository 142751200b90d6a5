/**
 * The one table of management routes and the roles allowed to call each.
 *
 * The control plane refuses a call whose caller's role is not listed (403) before the handler
 * runs. Where `own` is set, a non-admin role passes the table but the handler narrows what it may
 * touch to its own user, keys and teams (team admins manage their team). test/control/ walks every
 * route × role from this table, and docs/control-plane.md is checked against it.
 *
 * proxy_admin may do everything; proxy_admin_viewer may read everything and change nothing;
 * internal_user manages its own keys (and its team when it is the team's admin);
 * internal_user_viewer may only read its own.
 */
import type { UserRole } from '../store/types.js';
import type { AdminMethod } from './types.js';

export interface RouteAccess {
  readonly method: AdminMethod;
  readonly path: string;
  readonly roles: readonly UserRole[];
  /** Non-admin roles are limited to their own user, keys and teams inside the handler. */
  readonly own: boolean;
  readonly summary: string;
}

const ADMIN: readonly UserRole[] = ['proxy_admin'];
const READERS: readonly UserRole[] = ['proxy_admin', 'proxy_admin_viewer'];
const SELF_SERVICE: readonly UserRole[] = ['proxy_admin', 'internal_user'];
const EVERYONE: readonly UserRole[] = ['proxy_admin', 'proxy_admin_viewer', 'internal_user', 'internal_user_viewer'];

function route(method: AdminMethod, path: string, roles: readonly UserRole[], summary: string, own = false): RouteAccess {
  return { method, path, roles, own, summary };
}

export const MANAGEMENT_ROUTES: readonly RouteAccess[] = [
  // Keys
  route('POST', '/key/generate', SELF_SERVICE, 'create a virtual key', true),
  route('GET', '/key/info', EVERYONE, "a key's record (the caller's own key without ?key=)", true),
  route('POST', '/key/update', SELF_SERVICE, 'change fields of a key', true),
  route('POST', '/key/delete', SELF_SERVICE, 'delete keys by key or alias', true),
  route('POST', '/key/regenerate', SELF_SERVICE, 'replace a key with a new one (optional grace period)', true),
  route('POST', '/key/:key/regenerate', SELF_SERVICE, 'the same, with the key in the path', true),
  route('POST', '/key/block', ADMIN, 'block a key'),
  route('POST', '/key/unblock', ADMIN, 'unblock a key'),
  route('GET', '/key/list', EVERYONE, 'page through keys (non-admins see their own)', true),
  route('POST', '/v1/auth/key/generate', SELF_SERVICE, 'create a virtual key (MarchProxy route)', true),
  route('GET', '/v1/auth/key/:key_id', EVERYONE, 'a key by token_id (MarchProxy route)', true),
  route('PATCH', '/v1/auth/key/:key_id', SELF_SERVICE, 'change a key by token_id (MarchProxy route)', true),
  route('DELETE', '/v1/auth/key/:key_id', SELF_SERVICE, 'delete a key by token_id (MarchProxy route)', true),
  // Users
  route('POST', '/user/new', ADMIN, 'create a user (and by default a key for it)'),
  route('GET', '/user/info', EVERYONE, "a user's record, keys and teams (non-admins: themselves)", true),
  route('POST', '/user/update', ADMIN, 'change fields of a user'),
  route('POST', '/user/delete', ADMIN, 'delete users'),
  route('GET', '/user/list', READERS, 'page through users'),
  route('GET', '/v1/users', READERS, 'page through users (MarchProxy route)'),
  route('POST', '/v1/users', ADMIN, 'create a user (MarchProxy route)'),
  // Teams
  route('POST', '/team/new', ADMIN, 'create a team'),
  route('GET', '/team/info', EVERYONE, "a team's record, keys and members (non-admins: their teams)", true),
  route('POST', '/team/update', SELF_SERVICE, 'change fields of a team (team admins: their team)', true),
  route('POST', '/team/delete', ADMIN, 'delete teams'),
  route('GET', '/team/list', EVERYONE, 'list teams (non-admins: their teams)', true),
  route('POST', '/team/block', ADMIN, 'block a team'),
  route('POST', '/team/unblock', ADMIN, 'unblock a team'),
  route('POST', '/team/member_add', SELF_SERVICE, 'add members (team admins: their team)', true),
  route('POST', '/team/member_delete', SELF_SERVICE, 'remove a member (team admins: their team)', true),
  route('POST', '/team/member_update', SELF_SERVICE, "change a member's role or limits (team admins: their team)", true),
  // End users
  route('POST', '/customer/new', ADMIN, 'create an end user'),
  route('GET', '/customer/info', READERS, "an end user's record"),
  route('GET', '/customer/list', READERS, 'list end users'),
  route('POST', '/customer/update', ADMIN, 'change fields of an end user'),
  route('POST', '/customer/delete', ADMIN, 'delete end users'),
  route('POST', '/customer/block', ADMIN, 'block end users'),
  route('POST', '/customer/unblock', ADMIN, 'unblock end users'),
  // Budgets
  route('POST', '/budget/new', ADMIN, 'create a budget'),
  route('POST', '/budget/update', ADMIN, 'change a budget'),
  route('POST', '/budget/info', READERS, 'budgets by id'),
  route('GET', '/budget/list', READERS, 'list budgets'),
  route('POST', '/budget/delete', ADMIN, 'delete a budget'),
  // Models
  route('POST', '/model/new', ADMIN, 'add a deployment to the store'),
  route('POST', '/model/update', ADMIN, 'change a stored deployment'),
  route('POST', '/model/delete', ADMIN, 'delete a stored deployment'),
  route('GET', '/model/info', EVERYONE, 'deployments with their info (credentials masked)'),
  route('GET', '/v1/model/info', EVERYONE, 'the same'),
  // Audit
  route('GET', '/audit', READERS, 'the audit log, filtered by actor, action, target and time'),
  // Spend reports
  route('GET', '/spend/logs', EVERYONE, 'spend-log rows, or daily sums with start_date and end_date (non-admins: their own user)', true),
  route('GET', '/global/spend/report', READERS, 'daily spend per team, customer or model group, or totals per key'),
  route('GET', '/spend/keys', EVERYONE, 'keys by spend (non-admins: the keys /key/list shows them)', true),
  route('GET', '/spend/users', EVERYONE, 'users by spend (non-admins: themselves)', true),
  route('GET', '/spend/teams', EVERYONE, 'teams by spend (non-admins: their teams)', true),
  route('POST', '/spend/calculate', EVERYONE, 'the cost of a call, from model and messages or a completion response'),
  route('GET', '/v1/users/:user_id/spending', EVERYONE, "a user's spend, per model and per day (non-admins: themselves)", true),
  route('GET', '/v1/teams/:team_id/spending', EVERYONE, "a team's spend, per model and per day (non-admins: their teams)", true),
];
