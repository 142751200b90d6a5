/**
 * Authentication for the routes outside the inference pipeline (/v1/models,
 * /utils/token_counter): the same rules as the pipeline's auth stage, for the master key or a
 * virtual key (resolved through the thread's cache, asking the main thread on a miss).
 */
import type { AuthRecord } from '../control/auth-record.js';
import { GatewayError } from '../errors.js';
import type { CachedKey, ThreadKeyCache } from '../pipeline/auth/key-cache.js';
import { admitKey, checkMasterKey } from '../pipeline/auth/stage.js';
import { RequestContext, type RemotePeer } from '../pipeline/context.js';
import { INFERENCE_ROUTES } from '../pipeline/routes.js';
import { sha256, type Runtime } from '../pipeline/runtime.js';

/**
 * Calls `done` once: with null and null for the master key (or no master key configured), with
 * the key's record for a valid virtual key, or with the refusal. Synchronous on a cache hit.
 */
export function authenticate(
  runtime: Runtime,
  keys: ThreadKeyCache | null,
  presented: string,
  peer: RemotePeer,
  path: string,
  done: (error: GatewayError | null, record: AuthRecord | null) => void,
): void {
  const masterError = checkMasterKey(runtime, presented);
  if (masterError === null) {
    done(null, null);
    return;
  }
  if (keys === null || presented === '') {
    done(masterError, null);
    return;
  }
  const token = sha256(presented).toString('hex');
  const admit = (entry: CachedKey) => {
    const ctx = new RequestContext(INFERENCE_ROUTES[0], runtime, 0, path);
    ctx.peer = peer;
    try {
      admitKey(ctx, token, entry);
    } catch (error) {
      done(error as GatewayError, null);
      return;
    }
    done(null, ctx.auth);
  };
  const cached = keys.key(token, Date.now());
  if (cached !== undefined) {
    admit(cached);
    return;
  }
  keys.fetchKey(token, (entry, error) => {
    if (entry === null) done(new GatewayError('store_unavailable', `Could not check the API key: ${error ?? 'no answer'}.`), null);
    else admit(entry);
  });
}
