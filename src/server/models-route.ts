/**
 * GET /v1/models and /models: the public model names the caller may use. The master key (or no
 * master key) sees every model; a virtual key sees those its key, team and user allow.
 */
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { GatewayError } from '../errors.js';
import { modelAllowed } from '../pipeline/access/stage.js';
import type { CachedKey, ThreadKeyCache } from '../pipeline/auth/key-cache.js';
import { admitKey, checkMasterKey } from '../pipeline/auth/stage.js';
import { RequestContext } from '../pipeline/context.js';
import { INFERENCE_ROUTES } from '../pipeline/routes.js';
import { renderModelList, sha256, type Runtime } from '../pipeline/runtime.js';
import { readPresentedKey, sendJson } from './http-util.js';

export interface ModelsState {
  readonly runtime: Runtime;
  readonly draining: boolean;
  readonly keys: ThreadKeyCache | null;
}

export function onModels(state: ModelsState, path: string, res: HttpResponse, req: HttpRequest): void {
  const runtime = state.runtime;
  const presented = readPresentedKey(req, runtime.keyHeaders);
  const masterError = checkMasterKey(runtime, presented);
  const keys = state.keys;
  if (masterError === null) {
    sendJson(res, 200, runtime.modelsBody, state.draining);
    return;
  }
  if (keys === null || presented === '') {
    sendJson(res, masterError.status, masterError.toOpenAIBody(), state.draining);
    return;
  }
  const token = sha256(presented).toString('hex');
  const answer = (entry: CachedKey) => {
    const ctx = new RequestContext(INFERENCE_ROUTES[0], runtime, 0, path);
    ctx.peer = res;
    try {
      admitKey(ctx, token, entry);
    } catch (error) {
      const refusal = error as GatewayError;
      sendJson(res, refusal.status, refusal.toOpenAIBody(), state.draining);
      return;
    }
    const record = ctx.auth!;
    const names = runtime.modelNames.filter(
      (name) =>
        modelAllowed(runtime, record.key.models, name) &&
        (record.team === null || modelAllowed(runtime, record.team.models, name)) &&
        (record.user === null || modelAllowed(runtime, record.user.models, name)),
    );
    sendJson(res, 200, renderModelList(names), state.draining);
  };
  const cached = keys.key(token, Date.now());
  if (cached !== undefined) {
    answer(cached);
    return;
  }
  const abort = { aborted: false };
  res.onAborted(() => {
    abort.aborted = true;
  });
  keys.fetchKey(token, (entry, error) => {
    if (abort.aborted) return;
    if (entry === null) {
      const failure = new GatewayError('store_unavailable', `Could not check the API key: ${error ?? 'no answer'}.`);
      res.cork(() => sendJson(res, failure.status, failure.toOpenAIBody(), state.draining));
      return;
    }
    res.cork(() => answer(entry));
  });
}
