/**
 * The HTTP front end of one event-loop thread: a uWS App with the inference routes, model list,
 * health probes and metrics. Every handler reads what it needs from the request synchronously
 * (uWS requests are only valid during the handler) and registers onAborted before going async.
 */
import { performance } from 'node:perf_hooks';
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { GatewayError } from '../errors.js';
import { PROMETHEUS_CONTENT_TYPE, type ThreadMetrics } from '../observability/metrics.js';
import { checkMasterKey } from '../pipeline/auth/stage.js';
import { RequestContext } from '../pipeline/context.js';
import type { InferencePipeline } from '../pipeline/pipeline.js';
import { INFERENCE_ROUTES, type InferenceRoute } from '../pipeline/routes.js';
import type { Runtime } from '../pipeline/runtime.js';
import { ClientAbortError } from '../pipeline/upstream/proxy.js';
import type { UwsModule } from './uws.js';
import type { ThreadKeyCache } from '../pipeline/auth/key-cache.js';
import { registerManagementRoutes, type AdminForwarder } from './admin-forward.js';
import { readPresentedKey, sendJson } from './http-util.js';
import { onModels } from './models-route.js';
import { authenticate } from './authenticate.js';
import { readBody } from './read-body.js';
import { onTokenCounter } from './token-counter.js';
import { onMessagesCountTokens } from './messages-count-tokens.js';
import { statusLine, UwsSink } from './uws-sink.js';

/** What the front end needs from its thread. */
export interface ThreadState extends AdminForwarder {
  readonly runtime: Runtime;
  readonly metrics: ThreadMetrics;
  readonly pipeline: InferencePipeline;
  readonly draining: boolean;
  readonly version: string;
  /** Called when a request starts being served. */
  requestStarted(ctx: RequestContext): void;
  /** Called once a request is over, whatever the outcome (idempotent). */
  finish(ctx: RequestContext): void;
  /** Resolves with the Prometheus text of the whole process. */
  collectMetrics(): Promise<string>;
  /** The store's last known state: null when the gateway runs without one. */
  readonly storeConnected: boolean | null;
  /** This thread's virtual-key cache; null without a control plane. */
  readonly keys: ThreadKeyCache | null;
}


export function createHttpApp(uws: UwsModule, state: ThreadState): TemplatedApp {
  const app = uws.App();
  for (const route of INFERENCE_ROUTES) {
    for (const path of route.paths) app.post(path, (res, req) => onInference(state, route, path, res, req));
  }
  for (const path of ['/v1/models', '/models']) app.get(path, (res, req) => onModels(state, path, res, req));
  for (const path of ['/health/liveliness', '/health/liveness']) {
    app.get(path, (res) => sendJson(res, 200, '"I\'m alive!"', state.draining));
  }
  app.post('/utils/token_counter', (res, req) => onTokenCounter(state, res, req));
  app.post('/v1/messages/count_tokens', (res, req) => onMessagesCountTokens(state, res, req));
  app.get('/health/readiness', (res) => onReadiness(state, res));
  app.get('/health', (res, req) => onHealth(state, res, req));
  app.get('/metrics', (res) => onMetrics(state, res));
  registerManagementRoutes(app, state);
  app.any('/*', (res, req) => {
    const error = new GatewayError('not_found', `No route for ${req.getCaseSensitiveMethod()} ${req.getUrl()}.`);
    sendJson(res, error.status, error.toOpenAIBody(), state.draining);
  });
  return app;
}

function onInference(state: ThreadState, route: InferenceRoute, path: string, res: HttpResponse, req: HttpRequest): void {
  const runtime = state.runtime;
  const ctx = new RequestContext(route, runtime, performance.now(), path);
  ctx.presentedKey = readPresentedKey(req, runtime.keyHeaders);
  ctx.peer = res;
  const contentLength = req.getHeader('content-length');
  state.requestStarted(ctx);
  const sink = new UwsSink(res, ctx, () => state.draining);
  res.onAborted(() => {
    ctx.aborted = true;
    state.metrics.clientAborted(route.name);
    // Once dispatched, the upstream call owns the end of the request (it sees the cancel).
    if (ctx.dispatchedAt === 0) state.finish(ctx);
    else if (ctx.cancelUpstream !== null) ctx.cancelUpstream(new ClientAbortError('client aborted'));
  });
  const onBody = (body: Buffer, length: number) => {
    ctx.body = body;
    ctx.bodyLength = length;
    state.pipeline.run(ctx, sink);
  };
  readBody(res, ctx, contentLength, runtime.maxBodyBytes, onBody, (error) => {
    // The rest of the body is not read: answer and close, so the connection cannot be reused mid-body.
    ctx.status = error.status;
    res.cork(() => {
      res.writeStatus(statusLine(error.status));
      res.writeHeader('content-type', 'application/json');
      res.writeHeader('x-ailb-call-id', ctx.callId);
      res.end(route.client.errorBody(error), true);
    });
    state.finish(ctx);
  });
}


function onReadiness(state: ThreadState, res: HttpResponse): void {
  const db = state.storeConnected;
  const ready = !state.draining && db !== false;
  const body = JSON.stringify({
    status: state.draining ? 'draining' : ready ? 'healthy' : 'unhealthy',
    db: db === null ? 'Not connected' : db ? 'connected' : 'disconnected',
    cache: null,
    litellm_version: state.version,
    ailb_version: state.version,
    models: state.runtime.config.modelList.length,
  });
  sendJson(res, ready ? 200 : 503, body, state.draining);
}

/**
 * GET /health (LiteLLM's admin route): every deployment's health check,
 * `{healthy_endpoints, unhealthy_endpoints, healthy_count, unhealthy_count}` (src/router/health.ts).
 * For the master key, or a virtual key of a proxy admin.
 */
function onHealth(state: ThreadState, res: HttpResponse, req: HttpRequest): void {
  const runtime = state.runtime;
  const presented = readPresentedKey(req, runtime.keyHeaders);
  const abort = { aborted: false };
  res.onAborted(() => {
    abort.aborted = true;
  });
  const answer = (status: number, body: string) => {
    if (!abort.aborted) res.cork(() => sendJson(res, status, body, state.draining));
  };
  authenticate(runtime, state.keys, presented, res, '/health', (error, record) => {
    if (error !== null) {
      answer(error.status, error.toOpenAIBody());
      return;
    }
    const role = record?.user?.user_role;
    if (record !== null && role !== 'proxy_admin' && role !== 'proxy_admin_viewer') {
      const forbidden = new GatewayError('forbidden', 'GET /health is for proxy admins.');
      answer(forbidden.status, forbidden.toOpenAIBody());
      return;
    }
    runtime.health.report().then(
      (body) => answer(200, body),
      (failure: Error) => {
        const internal = new GatewayError('internal_error', `Could not check the deployments: ${failure.message}`);
        answer(internal.status, internal.toOpenAIBody());
      },
    );
  });
}

function onMetrics(state: ThreadState, res: HttpResponse): void {
  const abort = { aborted: false };
  res.onAborted(() => {
    abort.aborted = true;
  });
  state.collectMetrics().then(
    (text) => {
      if (abort.aborted) return;
      res.cork(() => {
        res.writeStatus('200 OK');
        res.writeHeader('content-type', PROMETHEUS_CONTENT_TYPE);
        res.end(text, state.draining);
      });
    },
    (error: Error) => {
      if (abort.aborted) return;
      const failure = new GatewayError('internal_error', `Could not collect metrics: ${error.message}`);
      res.cork(() => {
        res.writeStatus(statusLine(failure.status));
        res.writeHeader('content-type', 'application/json');
        res.end(failure.toOpenAIBody(), state.draining);
      });
    },
  );
}

