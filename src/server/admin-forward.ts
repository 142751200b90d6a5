/**
 * Management routes on an event-loop thread: read the request (headers synchronously, then the
 * body), forward it to the main thread's control plane, and write back what it answers.
 * The thread itself decides nothing about management calls.
 */
import { randomUUID } from 'node:crypto';
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { MANAGEMENT_ROUTES } from '../control/access-table.js';
import type { AdminMethod, AdminRequest, AdminResponse } from '../control/types.js';
import { GatewayError } from '../errors.js';
import type { Runtime } from '../pipeline/runtime.js';
import { readPresentedKey, sendJson } from './http-util.js';
import { readBody } from './read-body.js';
import { statusLine } from './uws-sink.js';

/** Management bodies are small JSON documents; anything larger is refused. */
const MAX_ADMIN_BODY_BYTES = 1024 * 1024;

export interface AdminForwarder {
  readonly runtime: Runtime;
  readonly draining: boolean;
  /** Null when the gateway runs without a control plane. */
  forwardAdmin: ((request: AdminRequest) => Promise<AdminResponse>) | null;
}

export function registerManagementRoutes(app: TemplatedApp, state: AdminForwarder): void {
  for (const route of MANAGEMENT_ROUTES) {
    const pattern = route.path;
    const handler = (res: HttpResponse, req: HttpRequest) => onManagement(state, route.method, res, req);
    switch (route.method) {
      case 'GET':
        app.get(pattern, handler);
        break;
      case 'POST':
        app.post(pattern, handler);
        break;
      case 'PATCH':
        app.patch(pattern, handler);
        break;
      case 'PUT':
        app.put(pattern, handler);
        break;
      case 'DELETE':
        app.del(pattern, handler);
        break;
    }
  }
}

function onManagement(state: AdminForwarder, method: AdminMethod, res: HttpResponse, req: HttpRequest): void {
  const callId = randomUUID();
  const forward = state.forwardAdmin;
  if (forward === null) {
    const error = new GatewayError('store_unavailable', 'Management routes need the control-plane store, which this gateway runs without.');
    sendJson(res, error.status, error.toOpenAIBody(), state.draining);
    return;
  }
  const path = req.getUrl();
  const query = parseQuery(req.getQuery() ?? '');
  const presentedKey = readPresentedKey(req, state.runtime.keyHeaders);
  const changedBy = req.getHeader('litellm-changed-by') || null;
  const contentLength = req.getHeader('content-length');
  const clientIp = Buffer.from(res.getRemoteAddressAsText()).toString('latin1');
  const abort = { aborted: false };
  res.onAborted(() => {
    abort.aborted = true;
  });
  const send = (response: AdminResponse) => {
    if (abort.aborted) return;
    res.cork(() => {
      res.writeStatus(statusLine(response.status));
      res.writeHeader('content-type', 'application/json');
      res.writeHeader('x-ailb-call-id', callId);
      res.writeHeader('x-litellm-call-id', callId);
      for (const [name, value] of Object.entries(response.headers ?? {})) res.writeHeader(name, value);
      res.end(response.body, state.draining);
    });
  };
  const onBody = (body: Buffer, length: number) => {
    const request: AdminRequest = {
      method,
      path,
      query,
      body: body.toString('utf8', 0, length),
      presentedKey,
      changedBy,
      clientIp,
      callId,
    };
    forward(request).then(send, (error: Error) => {
      const failure = new GatewayError('internal_error', `The control plane did not answer: ${error.message} (call id ${callId}).`);
      send({ status: failure.status, body: failure.toOpenAIBody() });
    });
  };
  if (method === 'GET' || method === 'DELETE') {
    // uWS calls onData only when there is a body; GET and DELETE carry none here.
    onBody(Buffer.alloc(0), 0);
    return;
  }
  readBody(res, abort, contentLength, MAX_ADMIN_BODY_BYTES, onBody, (error) => {
    send({ status: error.status, body: error.toOpenAIBody() });
  });
}

function parseQuery(query: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(query)) out[name] = value;
  return out;
}
