/**
 * Auth stage: lets a request in when it presents the master key (or when no master key is
 * configured, as LiteLLM does). Virtual keys arrive with the control plane.
 *
 * The comparison is constant-time: both sides are hashed to SHA-256 and compared with
 * timingSafeEqual, so neither the key's length nor its contents leak through timing.
 */
import { timingSafeEqual } from 'node:crypto';
import { GatewayError } from '../../errors.js';
import { StageStatus, type RequestContext, type Stage } from '../context.js';
import { sha256, type Runtime } from '../runtime.js';

/** Strips a `Bearer ` scheme (any case) from an Authorization-style value. */
export function bareKey(value: string): string {
  if (value.length > 7 && value.charCodeAt(6) === 32 && value.slice(0, 6).toLowerCase() === 'bearer') {
    return value.slice(7).trim();
  }
  return value.trim();
}

/** Null when `presented` may pass, else the error to answer with. */
export function checkMasterKey(runtime: Runtime, presented: string): GatewayError | null {
  const expected = runtime.masterKeyDigest;
  if (expected === null) return null;
  if (presented === '') {
    return new GatewayError(
      'auth_error',
      'Authentication Error, no API key passed in. Send it as "Authorization: Bearer <key>" or "x-api-key: <key>".',
    );
  }
  if (!timingSafeEqual(sha256(presented), expected)) {
    return new GatewayError('auth_error', 'Authentication Error, invalid API key.');
  }
  return null;
}

export function createAuthStage(): Stage {
  return function auth(ctx: RequestContext): StageStatus {
    const error = checkMasterKey(ctx.runtime, ctx.presentedKey);
    if (error !== null) throw error;
    return StageStatus.Continue;
  };
}
