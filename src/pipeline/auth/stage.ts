/**
 * Auth stage: lets a request in when it presents the master key or a valid virtual key (or
 * anything when no master key is configured, as LiteLLM does).
 *
 * The master-key comparison takes time that depends on the presented key's length only
 * (`sameSecret`), so neither the master key's length nor its contents leak through timing. Any
 * other key is looked up by its SHA-256 in this thread's cache; a miss suspends the request while
 * the main thread resolves it (once per key, then cached until an admin change invalidates it).
 *
 * Checks on a virtual key, in order: it exists (401), not blocked (401), not expired (401
 * expired_key), a previous key only within its grace period (401), its team not blocked (401),
 * its user not blocked (403), the route in allowed_routes (403), the client in allowed_ips (403).
 * Model access needs the parsed body and is checked by the access stage.
 */
import { isIPv4 } from 'node:net';
import { GatewayError } from '../../errors.js';
import { StageStatus, type RequestContext, type Stage } from '../context.js';
import { type Runtime } from '../runtime.js';
import { KeyDigests } from './key-digests.js';
import type { CachedKey, ThreadKeyCache } from './key-cache.js';

/** Strips a `Bearer ` scheme (any case) from an Authorization-style value. */
export function bareKey(value: string): string {
  if (value.length > 7 && value.charCodeAt(6) === 32 && value.slice(0, 6).toLowerCase() === 'bearer') {
    return value.slice(7).trim();
  }
  return value.trim();
}

const NO_KEY_MESSAGE = 'Authentication Error, no API key passed in. Send it as "Authorization: Bearer <key>" or "x-api-key: <key>".';

/**
 * Whether `presented` equals `secret`, in time that depends on `presented`'s length only: each of
 * its code units is compared with the secret's (cycling through the secret) and the differences,
 * with the lengths', are OR-ed together without a branch on any of them.
 *
 * Why not SHA-256 of both sides and timingSafeEqual, as before: it ran on every request made with
 * the master key and cost ~1.5 µs of the ~20 µs the whole pipeline costs (bench/pipeline.ts);
 * this costs a few tens of nanoseconds for the same guarantee.
 */
export function sameSecret(presented: string, secret: string): boolean {
  const length = presented.length;
  const secretLength = secret.length;
  let difference = length ^ secretLength;
  for (let i = 0, j = 0; i < length; i++) {
    difference |= presented.charCodeAt(i) ^ secret.charCodeAt(j);
    // j = i mod secretLength, without a division (whose latency can depend on its operands).
    j = (j + 1) * +(j + 1 < secretLength);
  }
  return difference === 0 && secretLength > 0;
}

/** Null when `presented` may pass, else the error to answer with. */
export function checkMasterKey(runtime: Runtime, presented: string): GatewayError | null {
  const expected = runtime.masterKey;
  if (expected === null) return null;
  if (presented === '') return new GatewayError('auth_error', NO_KEY_MESSAGE);
  if (!sameSecret(presented, expected)) {
    return new GatewayError('auth_error', 'Authentication Error, invalid API key.');
  }
  return null;
}

/**
 * `keys` is this thread's virtual-key cache, or null when the gateway runs without a store (then
 * only the master key is accepted).
 */
export function createAuthStage(keys: ThreadKeyCache | null, digests = new KeyDigests()): Stage {
  return function auth(ctx: RequestContext): StageStatus {
    const runtime = ctx.runtime;
    const master = runtime.masterKey;
    // No master key: everything is let in, as LiteLLM does (the gateway warns at start).
    if (master === null) return StageStatus.Continue;
    const presented = ctx.presentedKey;
    if (presented === '') throw new GatewayError('auth_error', NO_KEY_MESSAGE);
    if (sameSecret(presented, master)) return StageStatus.Continue;
    if (keys === null) throw new GatewayError('auth_error', 'Authentication Error, invalid API key.');
    const token = digests.of(presented);
    const cached = keys.key(token, Date.now());
    if (cached !== undefined) {
      admitKey(ctx, token, cached);
      return StageStatus.Continue;
    }
    keys.fetchKey(token, (entry, error) => {
      const resume = ctx.resume;
      if (resume === null) return;
      if (error !== null || entry === null) {
        resume(new GatewayError('store_unavailable', `Could not check the API key: ${error ?? 'no answer'}.`));
        return;
      }
      try {
        admitKey(ctx, token, entry);
      } catch (refusal) {
        resume(refusal as GatewayError);
        return;
      }
      resume(null);
    });
    return StageStatus.Suspend;
  };
}

/** Sets ctx.auth when the key may be used for this request; throws the refusal otherwise. */
export function admitKey(ctx: RequestContext, token: string, entry: CachedKey): void {
  const record = entry.record;
  if (record === null) throw new GatewayError('auth_error', 'Authentication Error, invalid API key.');
  const key = record.key;
  const now = Date.now();
  if (key.blocked) throw new GatewayError('key_blocked', 'Authentication Error, this key is blocked.');
  if (key.expires !== null && Date.parse(key.expires) <= now) {
    throw new GatewayError('expired_key', `Authentication Error - Expired Key. Key expiry time ${key.expires}.`);
  }
  if (token !== key.token && (key.previous_token_expires === null || Date.parse(key.previous_token_expires) <= now)) {
    throw new GatewayError('auth_error', 'Authentication Error, this key was regenerated and its grace period has ended.');
  }
  if (record.team?.blocked) throw new GatewayError('team_blocked', `Team ${record.team.team_id} is blocked. Ask an admin to unblock it.`);
  if (record.user?.blocked) throw new GatewayError('user_blocked', `User ${record.user.user_id} is blocked.`);
  if (key.allowed_routes.length > 0 && !routeAllowed(key.allowed_routes, ctx.path)) {
    throw new GatewayError('route_not_allowed', `This key may not call ${ctx.path}; its allowed_routes are ${key.allowed_routes.join(', ')}.`);
  }
  if (entry.ips !== null) {
    const address = clientAddress(ctx);
    const family = isIPv4(address) ? 'ipv4' : 'ipv6';
    if (address === '' || !entry.ips.check(address, family)) {
      throw new GatewayError('ip_not_allowed', `This key may not be used from ${address || 'an unknown address'}.`);
    }
  }
  ctx.auth = record;
}

/** LiteLLM's route groups that name every inference route. */
const INFERENCE_GROUPS = new Set(['llm_api_routes', 'openai_routes', 'anthropic_routes']);

function routeAllowed(allowed: readonly string[], path: string): boolean {
  for (const entry of allowed) {
    if (entry === path || INFERENCE_GROUPS.has(entry)) return true;
    if (entry.endsWith('*') && path.startsWith(entry.slice(0, -1))) return true;
  }
  return false;
}

/** The client's address as text; an IPv4-mapped IPv6 address is given in its IPv4 form. */
function clientAddress(ctx: RequestContext): string {
  if (ctx.peer === null) return '';
  const text = Buffer.from(ctx.peer.getRemoteAddressAsText()).toString('latin1');
  return text.startsWith('::ffff:') && isIPv4(text.slice(7)) ? text.slice(7) : text;
}
