/**
 * The control plane: answers management requests on the main thread.
 *
 * For each AdminRequest it (1) finds the route, (2) identifies the caller (master key, or a
 * virtual key and its user's role), (3) checks the role against access-table.ts, (4) parses the
 * JSON body, (5) runs the handler with an AdminContext, and (6) maps any failure to the OpenAI
 * error envelope. Handlers write their own audit records and await cache invalidation, so by the
 * time a mutation's answer leaves, every thread and instance enforces it.
 *
 * Every route in the access table must have a handler and every handler a table entry; the
 * constructor refuses to build otherwise, so the table cannot drift from the code.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { GatewayConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log.js';
import type { JsonObject, Repositories, Store } from '../store/types.js';
import { MANAGEMENT_ROUTES, type RouteAccess } from './access-table.js';
import { hashKey } from './key-material.js';
import { redact } from './redact.js';
import type { AdminContext, AdminRequest, AdminResponse, AdminRouteDef, Caller, InvalidationScope } from './types.js';

export interface ControlPlaneOptions {
  readonly store: Store;
  /** The current config (it changes on reload). */
  readonly config: () => GatewayConfig;
  readonly log: Logger;
  readonly routes: readonly AdminRouteDef[];
  readonly invalidate: (scope: InvalidationScope) => Promise<void>;
  readonly reloadModels: () => Promise<void>;
  readonly now?: () => Date;
  /** Tests of one group of handlers pass only that group; the gateway always passes every route. */
  readonly allowMissingRoutes?: boolean;
}

interface CompiledRoute {
  readonly access: RouteAccess;
  readonly def: AdminRouteDef;
  readonly segments: readonly string[];
}

export class ControlPlane {
  private readonly options: ControlPlaneOptions;
  private readonly routes: readonly CompiledRoute[];
  readonly now: () => Date;

  constructor(options: ControlPlaneOptions) {
    this.options = options;
    this.now = options.now ?? (() => new Date());
    this.routes = compileRoutes(options.routes, options.allowMissingRoutes === true);
  }

  get store(): Store {
    return this.options.store;
  }

  /** Whether (method, path) is a management route (the event-loop threads forward only those). */
  static isManagementPath(method: string, path: string): boolean {
    return MANAGEMENT_ROUTES.some((r) => r.method === method && matchPath(r.path.split('/'), path.split('/')) !== null);
  }

  async handle(request: AdminRequest): Promise<AdminResponse> {
    try {
      const found = this.findRoute(request.method, request.path);
      if (found === null) throw new GatewayError('not_found', `No route for ${request.method} ${request.path}.`);
      const { route, params } = found;
      const caller = await this.identify(request.presentedKey);
      if (!route.access.roles.includes(caller.role)) {
        throw new GatewayError(
          'forbidden',
          `${request.method} ${route.access.path} is not allowed for role ${caller.role}; allowed: ${route.access.roles.join(', ')}.`,
        );
      }
      const ctx = this.context(request, caller, params, parseBody(request));
      const result = await route.def.handler(ctx);
      if (isStatusResult(result)) return { status: result.$status, body: JSON.stringify(result.$body ?? null) };
      return { status: 200, body: JSON.stringify(result ?? null) };
    } catch (error) {
      return this.failure(request, error);
    }
  }

  /** Who presented `presentedKey`; throws 401 when nobody. */
  async identify(presentedKey: string): Promise<Caller> {
    if (presentedKey === '' && this.options.config().generalSettings.masterKey !== null) {
      throw new GatewayError('auth_error', 'Authentication Error, no API key passed in. Send it as "Authorization: Bearer <key>".');
    }
    const masterKey = this.options.config().generalSettings.masterKey;
    if (masterKey === null) {
      // No master key: every caller is an admin, as in LiteLLM (the gateway warns at start).
      return { kind: 'master_key', role: 'proxy_admin', userId: null, apiKeyHash: hashKey(presentedKey), teamId: null, memberships: [] };
    }
    const presentedHash = hashKey(presentedKey);
    if (timingSafeEqual(Buffer.from(presentedHash, 'hex'), Buffer.from(hashKey(masterKey), 'hex'))) {
      return { kind: 'master_key', role: 'proxy_admin', userId: null, apiKeyHash: presentedHash, teamId: null, memberships: [] };
    }
    const store = this.options.store;
    const key = await store.keys.findByToken(presentedHash, this.now());
    if (key === null) throw new GatewayError('auth_error', 'Authentication Error, invalid API key.');
    if (key.blocked) throw new GatewayError('key_blocked', 'Authentication Error, this key is blocked.');
    if (key.expires !== null && Date.parse(key.expires) <= this.now().getTime()) {
      throw new GatewayError('expired_key', `Authentication Error - Expired Key. Key expiry time ${key.expires}.`);
    }
    const user = key.user_id === null ? null : await store.users.get(key.user_id);
    if (user?.blocked) throw new GatewayError('user_blocked', `User ${user.user_id} is blocked.`);
    const memberships = key.user_id === null ? [] : await store.teams.teamsOf(key.user_id);
    return {
      kind: 'virtual_key',
      // A key with no user may only read what concerns itself.
      role: user?.user_role ?? 'internal_user_viewer',
      userId: key.user_id,
      apiKeyHash: key.token,
      teamId: key.team_id,
      memberships,
    };
  }

  private findRoute(method: string, path: string): { route: CompiledRoute; params: Record<string, string> } | null {
    const parts = path.split('/');
    for (const route of this.routes) {
      if (route.access.method !== method) continue;
      const params = matchPath(route.segments, parts);
      if (params !== null) return { route, params };
    }
    return null;
  }

  private context(request: AdminRequest, caller: Caller, params: Record<string, string>, body: JsonObject): AdminContext {
    const options = this.options;
    const now = this.now;
    return {
      request,
      body,
      caller,
      params,
      store: options.store,
      config: options.config(),
      log: options.log,
      now,
      async audit(action, targetType, targetId, before, after, tx?: Repositories) {
        await (tx ?? options.store).audit.insert({
          id: randomUUID(),
          changed_at: now().toISOString(),
          changed_by: caller.userId ?? (caller.kind === 'master_key' ? 'master_key' : caller.apiKeyHash),
          changed_by_api_key: caller.apiKeyHash,
          changed_by_header: request.changedBy,
          action,
          target_type: targetType,
          target_id: targetId,
          before: before === null ? null : (redact(before) as JsonObject),
          after: after === null ? null : (redact(after) as JsonObject),
          call_id: request.callId,
        });
      },
      invalidate: options.invalidate,
      reloadModels: options.reloadModels,
    };
  }

  private failure(request: AdminRequest, error: unknown): AdminResponse {
    let gatewayError: GatewayError;
    if (error instanceof GatewayError) gatewayError = error;
    else if (isConnectionError(error)) {
      this.options.log.error('control-plane store unavailable', { call_id: request.callId, error: String((error as Error).message) });
      gatewayError = new GatewayError('store_unavailable', `The store did not answer (call id ${request.callId}).`);
    } else {
      this.options.log.error('internal error in a management route', {
        call_id: request.callId,
        route: `${request.method} ${request.path}`,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
      gatewayError = new GatewayError('internal_error', `Internal error (call id ${request.callId}).`);
    }
    return { status: gatewayError.status, body: gatewayError.toOpenAIBody() };
  }
}

function compileRoutes(defs: readonly AdminRouteDef[], allowMissing: boolean): CompiledRoute[] {
  const byKey = new Map(defs.map((def) => [`${def.method} ${def.path}`, def] as const));
  const missing = MANAGEMENT_ROUTES.filter((r) => !byKey.has(`${r.method} ${r.path}`)).map((r) => `${r.method} ${r.path}`);
  const tableKeys = new Set(MANAGEMENT_ROUTES.map((r) => `${r.method} ${r.path}`));
  const extra = defs.filter((d) => !tableKeys.has(`${d.method} ${d.path}`)).map((d) => `${d.method} ${d.path}`);
  if ((missing.length > 0 && !allowMissing) || extra.length > 0) {
    throw new Error(`management routes and access table disagree: no handler for [${missing.join(', ')}]; not in the table: [${extra.join(', ')}]`);
  }
  // Literal segments before parameters, so /key/generate never matches /key/:key/… patterns.
  return MANAGEMENT_ROUTES.filter((access) => byKey.has(`${access.method} ${access.path}`)).map((access) => ({
    access,
    def: byKey.get(`${access.method} ${access.path}`)!,
    segments: access.path.split('/'),
  })).sort((a, b) => paramCount(a.segments) - paramCount(b.segments));
}

function paramCount(segments: readonly string[]): number {
  return segments.filter((s) => s.startsWith(':')).length;
}

function matchPath(pattern: readonly string[], parts: readonly string[]): Record<string, string> | null {
  if (pattern.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const segment = pattern[i];
    if (segment.startsWith(':')) {
      if (parts[i] === '') return null;
      params[segment.slice(1)] = decodeURIComponent(parts[i]);
    } else if (segment !== parts[i]) {
      return null;
    }
  }
  return params;
}

function parseBody(request: AdminRequest): JsonObject {
  if (request.body.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(request.body);
  } catch (error) {
    throw new GatewayError('invalid_json', `The request body is not valid JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new GatewayError('invalid_body', 'The request body must be a JSON object.');
  }
  return value as JsonObject;
}

function isStatusResult(value: unknown): value is { $status: number; $body: unknown } {
  return value !== null && typeof value === 'object' && '$status' in value && typeof (value as { $status: unknown }).$status === 'number';
}

function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === '57P01' || code === '57P03' || /Connection terminated|not queryable|closed/i.test(error.message);
}
