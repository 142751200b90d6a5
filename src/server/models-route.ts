/**
 * GET /v1/models and /models: the public model names the caller may use. The master key (or no
 * master key) sees every model; a virtual key sees those its key, team and user allow.
 */
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { modelAllowed } from '../pipeline/access/stage.js';
import type { ThreadKeyCache } from '../pipeline/auth/key-cache.js';
import { renderModelList, type Runtime } from '../pipeline/runtime.js';
import { authenticate } from './authenticate.js';
import { readPresentedKey, sendJson } from './http-util.js';

export interface ModelsState {
  readonly runtime: Runtime;
  readonly draining: boolean;
  readonly keys: ThreadKeyCache | null;
}

export function onModels(state: ModelsState, path: string, res: HttpResponse, req: HttpRequest): void {
  const runtime = state.runtime;
  const presented = readPresentedKey(req, runtime.keyHeaders);
  const abort = { aborted: false };
  let answered = false;
  authenticate(runtime, state.keys, presented, res, path, (error, record) => {
    answered = true;
    if (abort.aborted) return;
    if (error !== null) {
      res.cork(() => sendJson(res, error.status, error.toOpenAIBody(), state.draining));
      return;
    }
    if (record === null) {
      res.cork(() => sendJson(res, 200, runtime.modelsBody, state.draining));
      return;
    }
    const names = runtime.modelNames.filter(
      (name) =>
        modelAllowed(runtime, record.key.models, name) &&
        (record.team === null || modelAllowed(runtime, record.team.models, name)) &&
        (record.user === null || modelAllowed(runtime, record.user.models, name)),
    );
    res.cork(() => sendJson(res, 200, renderModelList(names), state.draining));
  });
  // Answered later (a key the thread has not seen yet): uWS needs to hear of an abort meanwhile.
  if (!answered) {
    res.onAborted(() => {
      abort.aborted = true;
    });
  }
}
