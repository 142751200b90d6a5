/**
 * One event-loop thread's cache of resolved virtual keys and end users.
 *
 * A hit costs a Map lookup; a miss asks the main thread (which has a process-wide cache over the
 * store) and parks the request until the answer. Invalidation messages from the main thread drop
 * entries before the admin call that caused them returns. A lookup that was in flight when an
 * invalidation arrived answers its waiters but is not cached, since it may predate the change.
 */
import { BlockList, isIP } from 'node:net';
import type { AuthRecord, CustomerAuthRecord } from '../../control/auth-record.js';
import { setBounded } from '../../control/bounded-cache.js';
import { dropScope, NEGATIVE_TTL_MS, POSITIVE_TTL_MS } from '../../control/key-directory.js';
import type { InvalidationScope } from '../../control/types.js';

export interface CachedKey {
  readonly record: AuthRecord | null;
  readonly expiresAt: number;
  /** key.allowed_ips compiled; null when the key allows every address. */
  readonly ips: BlockList | null;
}

export interface CachedCustomer {
  readonly record: CustomerAuthRecord | null;
  readonly expiresAt: number;
}

export type LookupKind = 'key' | 'customer';

/** Asks the main thread; calls back with the record (null: none) or an error message. */
export type LookupSender = (kind: LookupKind, id: string, done: (record: unknown, error: string | null) => void) => void;

type KeyWaiter = (entry: CachedKey | null, error: string | null) => void;
type CustomerWaiter = (entry: CachedCustomer | null, error: string | null) => void;

export class ThreadKeyCache {
  private readonly keys = new Map<string, CachedKey>();
  private readonly customers = new Map<string, CachedCustomer>();
  private readonly keyWaiters = new Map<string, KeyWaiter[]>();
  private readonly customerWaiters = new Map<string, CustomerWaiter[]>();
  private readonly send: LookupSender;
  private generation = 0;

  constructor(send: LookupSender) {
    this.send = send;
  }

  /** The cached entry for a presented key's digest, or undefined on a miss (or an expired entry). */
  key(token: string, now: number): CachedKey | undefined {
    const entry = this.keys.get(token);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.keys.delete(token);
      return undefined;
    }
    return entry;
  }

  customer(userId: string, now: number): CachedCustomer | undefined {
    const entry = this.customers.get(userId);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.customers.delete(userId);
      return undefined;
    }
    return entry;
  }

  /** Resolves a miss through the main thread; concurrent misses for one key share one ask. */
  fetchKey(token: string, done: KeyWaiter): void {
    const waiting = this.keyWaiters.get(token);
    if (waiting !== undefined) {
      waiting.push(done);
      return;
    }
    const waiters = [done];
    this.keyWaiters.set(token, waiters);
    const generation = this.generation;
    this.send('key', token, (value, error) => {
      if (this.keyWaiters.get(token) === waiters) this.keyWaiters.delete(token);
      let entry: CachedKey | null = null;
      if (error === null) {
        const record = value as AuthRecord | null;
        entry = { record, expiresAt: Date.now() + (record === null ? NEGATIVE_TTL_MS : POSITIVE_TTL_MS), ips: compileIps(record) };
        if (generation === this.generation) setBounded(this.keys, token, entry, Date.now());
      }
      for (const waiter of waiters) waiter(entry, error);
    });
  }

  fetchCustomer(userId: string, done: CustomerWaiter): void {
    const waiting = this.customerWaiters.get(userId);
    if (waiting !== undefined) {
      waiting.push(done);
      return;
    }
    const waiters = [done];
    this.customerWaiters.set(userId, waiters);
    const generation = this.generation;
    this.send('customer', userId, (value, error) => {
      if (this.customerWaiters.get(userId) === waiters) this.customerWaiters.delete(userId);
      let entry: CachedCustomer | null = null;
      if (error === null) {
        const record = value as CustomerAuthRecord | null;
        entry = { record, expiresAt: Date.now() + (record === null ? NEGATIVE_TTL_MS : POSITIVE_TTL_MS) };
        if (generation === this.generation) setBounded(this.customers, userId, entry, Date.now());
      }
      for (const waiter of waiters) waiter(entry, error);
    });
  }

  invalidate(scope: InvalidationScope): void {
    this.generation++;
    // Asks already sent may carry old rows: later misses must ask again rather than join them.
    this.keyWaiters.clear();
    this.customerWaiters.clear();
    dropScope(scope, this.keys, this.customers, (entry) => entry.record);
  }

  get size(): number {
    return this.keys.size;
  }
}

/** allowed_ips as a BlockList (used as an allow list); null when empty. Invalid entries are skipped (validated on write). */
export function compileIps(record: AuthRecord | null): BlockList | null {
  const allowed = record?.key.allowed_ips ?? [];
  if (allowed.length === 0) return null;
  const list = new BlockList();
  for (const entry of allowed) {
    const [address, prefix] = entry.split('/');
    const family = isIP(address);
    if (family === 0) continue;
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return list;
}
