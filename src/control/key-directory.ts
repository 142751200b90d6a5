/**
 * The main thread's resolver of virtual keys (and end users) for the event-loop threads.
 *
 * A thread that misses its own cache asks here; this process-wide cache answers most of those
 * without a query (every thread shares it), and concurrent asks for one key share one query.
 * Invalidation arrives from the control plane (this instance's mutations) and from the store's
 * notify channel (other instances' mutations).
 */
import type { InvalidationScope } from './types.js';
import { toAuthRecord, type AuthRecord, type CustomerAuthRecord } from './auth-record.js';
import type { Store } from '../store/types.js';
import { setBounded } from './bounded-cache.js';

/** How long a "no such key" answer is trusted, ms: long enough to absorb a burst of bad keys. */
export const NEGATIVE_TTL_MS = 2_000;
/**
 * How long a found record is trusted without an invalidation, ms: a safety net for a missed
 * notification (a lost LISTEN connection); invalidation, not this, is what makes changes prompt.
 */
export const POSITIVE_TTL_MS = 300_000;

interface Entry<T> {
  readonly value: T | null;
  readonly expiresAt: number;
}

export class KeyDirectory {
  private readonly store: Store;
  private readonly keys = new Map<string, Entry<AuthRecord>>();
  private readonly customers = new Map<string, Entry<CustomerAuthRecord>>();
  private readonly pending = new Map<string, Promise<AuthRecord | null>>();
  private readonly now: () => number;
  /** Bumped by every invalidation: a query that started before one must not fill the cache. */
  private generation = 0;

  constructor(store: Store, now: () => number = Date.now) {
    this.store = store;
    this.now = now;
  }

  /** The key whose presented digest is `token` (current, or previous within its grace), or null. */
  async resolveKey(token: string): Promise<AuthRecord | null> {
    const cached = this.keys.get(token);
    if (cached !== undefined && cached.expiresAt > this.now()) return cached.value;
    const inFlight = this.pending.get(token);
    if (inFlight !== undefined) return inFlight;
    const query: Promise<AuthRecord | null> = this.loadKey(token).finally(() => {
      if (this.pending.get(token) === query) this.pending.delete(token);
    });
    this.pending.set(token, query);
    return query;
  }

  async resolveCustomer(userId: string): Promise<CustomerAuthRecord | null> {
    const cached = this.customers.get(userId);
    if (cached !== undefined && cached.expiresAt > this.now()) return cached.value;
    const generation = this.generation;
    const record = await this.loadCustomer(userId);
    if (generation === this.generation) {
      setBounded(this.customers, userId, { value: record, expiresAt: this.now() + (record === null ? NEGATIVE_TTL_MS : POSITIVE_TTL_MS) }, this.now());
    }
    return record;
  }

  invalidate(scope: InvalidationScope): void {
    this.generation++;
    // A query in flight may have read the old rows; later asks must not join it.
    this.pending.clear();
    dropScope(scope, this.keys, this.customers, (entry) => entry.value);
  }

  /** The end user with the budget it shares; a budget change invalidates every entry (`all`). */
  private async loadCustomer(userId: string): Promise<CustomerAuthRecord | null> {
    const customer = await this.store.customers.get(userId);
    if (customer === null) return null;
    const budget = customer.budget_id === null ? null : await this.store.budgets.get(customer.budget_id);
    return { ...customer, litellm_budget_table: budget };
  }

  private async loadKey(token: string): Promise<AuthRecord | null> {
    const startedAt = this.now();
    const generation = this.generation;
    const key = await this.store.keys.findByToken(token, new Date(startedAt));
    let record: AuthRecord | null = null;
    if (key !== null) {
      const [user, team, membership] = await Promise.all([
        key.user_id === null ? null : this.store.users.get(key.user_id),
        key.team_id === null ? null : this.store.teams.get(key.team_id),
        key.user_id === null || key.team_id === null ? null : this.store.teams.membership(key.team_id, key.user_id),
      ]);
      record = toAuthRecord(key, user, team, membership);
    }
    if (generation === this.generation) {
      setBounded(this.keys, token, { value: record, expiresAt: this.now() + (record === null ? NEGATIVE_TTL_MS : POSITIVE_TTL_MS) }, this.now());
    }
    return record;
  }
}

/**
 * Drops what `scope` covers from a key cache and an end-user cache (both caches, the main
 * thread's and each event-loop thread's, keep entries keyed by presented digest and user id).
 */
export function dropScope<K, C>(
  scope: InvalidationScope,
  keys: Map<string, K>,
  customers: Map<string, C>,
  recordOf: (entry: K) => AuthRecord | null,
): void {
  if (scope.kind === 'all') {
    keys.clear();
    customers.clear();
    return;
  }
  if (scope.kind === 'customer') {
    customers.delete(scope.userId);
    return;
  }
  for (const [token, entry] of keys) {
    const record = recordOf(entry);
    if (record === null ? scope.kind === 'key' && scope.token === token : affects(scope, token, record)) keys.delete(token);
  }
  // A key created after a miss was cached must not stay unknown for the negative TTL.
  if (scope.kind === 'key') keys.delete(scope.token);
}

/** Whether an invalidation covers the record cached under `cacheToken`. */
export function affects(scope: InvalidationScope, cacheToken: string, record: AuthRecord): boolean {
  switch (scope.kind) {
    case 'all':
      return true;
    case 'key':
      return scope.token === cacheToken || scope.token === record.key.token || scope.token === record.key.previous_token;
    case 'user':
      return record.key.user_id === scope.userId;
    case 'team':
      return record.key.team_id === scope.teamId;
    case 'customer':
      return false;
  }
}
