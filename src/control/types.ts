/**
 * The control plane's contracts: what an event-loop thread forwards to the main thread for a
 * management route, what comes back, and what a handler is given.
 *
 * Flow: a uWS thread reads a management request (method, path, query, headers it needs, body),
 * posts it to the main thread as an AdminRequest, and writes the AdminResponse it gets back. The
 * main thread's ControlPlane (control-plane.ts) authenticates the caller, checks the route against
 * the role table (access-table.ts), runs the handler, writes the audit record and invalidates the
 * key caches of every thread and instance before it answers.
 */
import type { GatewayConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import type { JsonObject, Repositories, Store, TeamMemberRecord, UserRole } from '../store/types.js';

export type AdminMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A management request as the event-loop thread read it (structured-clonable). */
export interface AdminRequest {
  readonly method: AdminMethod;
  /** Path without the query string, e.g. `/key/info`. */
  readonly path: string;
  /** Query parameters; a repeated name keeps its last value. */
  readonly query: Readonly<Record<string, string>>;
  /** The body's raw text ('' when none); the control plane parses it. */
  readonly body: string;
  /** The credential presented in any of the accepted headers ('' when none). */
  readonly presentedKey: string;
  /** `litellm-changed-by` header, for the audit log. */
  readonly changedBy: string | null;
  readonly clientIp: string;
  readonly callId: string;
}

export interface AdminResponse {
  readonly status: number;
  /** JSON text. */
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Who is calling a management route. */
export interface Caller {
  readonly kind: 'master_key' | 'virtual_key';
  /** The role that decides which routes it may call: proxy_admin for the master key. */
  readonly role: UserRole;
  /** The caller's user id (null for the master key or a key with no user). */
  readonly userId: string | null;
  /** SHA-256 hex digest of the key used (the master key's digest for the master key). */
  readonly apiKeyHash: string;
  /** The key's own team (null when none). */
  readonly teamId: string | null;
  /** The caller's team memberships (empty for the master key). */
  readonly memberships: readonly TeamMemberRecord[];
}

/** What a cache invalidation covers. Sent to every thread and, through the store, every instance. */
export type InvalidationScope =
  | { readonly kind: 'key'; readonly token: string }
  | { readonly kind: 'user'; readonly userId: string }
  | { readonly kind: 'team'; readonly teamId: string }
  | { readonly kind: 'customer'; readonly userId: string }
  | { readonly kind: 'all' };

/** Handed to each handler. */
export interface AdminContext {
  readonly request: AdminRequest;
  /** The parsed JSON body: {} when the body is empty; a handler validates its fields. */
  readonly body: JsonObject;
  readonly caller: Caller;
  /** Path parameters (`:key` in `/key/:key/regenerate`). */
  readonly params: Readonly<Record<string, string>>;
  readonly store: Store;
  readonly config: GatewayConfig;
  readonly log: Logger;
  /** Clock for expiry and rotation (tests may move it). */
  now(): Date;
  /**
   * Records one mutation in the audit log. `before`/`after` are redacted here (raw `sk-` keys,
   * passwords and credentials are masked; key digests are kept: they name the key, they do not
   * open it) before they are written.
   */
  audit(action: string, targetType: string, targetId: string, before: object | null, after: object | null, tx?: Repositories): Promise<void>;
  /**
   * Invalidates the auth caches of every event-loop thread (resolves after each acknowledged) and
   * of every other instance (through the store's notify). A handler awaits it before answering.
   */
  invalidate(scope: InvalidationScope): Promise<void>;
  /** Asks the gateway to rebuild its model list (after a store model changed). */
  reloadModels(): Promise<void>;
}

/** A handler's successful answer: a JSON-serialisable body (and optionally a status other than 200). */
export type AdminResult = unknown | { readonly $status: number; readonly $body: unknown };

export type AdminHandler = (ctx: AdminContext) => Promise<AdminResult>;

/** One management route's implementation; which roles may call it is in access-table.ts. */
export interface AdminRouteDef {
  readonly method: AdminMethod;
  /** Path pattern; `:name` matches one segment (`/key/:key/regenerate`). */
  readonly path: string;
  readonly handler: AdminHandler;
}
