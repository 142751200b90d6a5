/**
 * Upstream stage for OpenAI-compatible providers: sends the prepared bytes to the chosen
 * deployment and relays the answer to the client.
 *
 * - Success without a stream: the body is collected and written in one go (so the client gets a
 *   Content-Length and every header, including the full upstream duration).
 * - Success with a stream (`text/event-stream`): headers go out at once, then each chunk as it
 *   arrives; a slow client pauses the upstream read (backpressure) until it drains.
 * - Upstream error status: the body is read (bounded) and re-sent in the OpenAI envelope with the
 *   upstream's status kept.
 * - A client abort cancels the upstream request; a stream the upstream breaks ends with an SSE
 *   error event, never a fake `[DONE]`.
 *
 * One UpstreamCall is made per request and is the undici dispatch handler for it.
 */
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import { GatewayError } from '../../errors.js';
import type { RequestContext } from '../context.js';
import type { ResponseSink } from '../sink.js';

/** Upstream error bodies larger than this are cut; they are only used for the message. */
const MAX_ERROR_BODY = 64 * 1024;

/** Upstream headers that describe the connection, not the response; never copied. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'date', 'server', 'content-encoding']);

export interface UpstreamObserver {
  /** Called once when the request is over, whatever the outcome. */
  finished(ctx: RequestContext): void;
  upstreamError(ctx: RequestContext, kind: string): void;
}

const enum Mode {
  Waiting,
  Buffered,
  Streaming,
  UpstreamError,
  Done,
}

export class TimeoutError extends Error {
  readonly code = 'AILB_UPSTREAM_TIMEOUT';
}

export class ClientAbortError extends Error {
  readonly code = 'AILB_CLIENT_ABORT';
}

export function callUpstream(ctx: RequestContext, sink: ResponseSink, observer: UpstreamObserver): void {
  const deployment = ctx.deployment!;
  const call = new UpstreamCall(ctx, sink, observer);
  const timeoutMs = ctx.stream ? deployment.spec.streamTimeoutMs : deployment.spec.timeoutMs;
  ctx.dispatchedAt = performance.now();
  deployment.pool.dispatch(
    {
      path: deployment.pathPrefix + ctx.route.upstreamPath,
      method: 'POST',
      headers: deployment.upstreamHeaders as string[],
      body: ctx.upstreamBody,
      // A stream may run for a long time; its timeout bounds the wait for each next byte instead.
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    },
    call,
  );
  if (!ctx.stream) call.armTimer(timeoutMs);
}

class UpstreamCall implements Dispatcher.DispatchHandler {
  private readonly ctx: RequestContext;
  private readonly sink: ResponseSink;
  private readonly observer: UpstreamObserver;
  private mode: Mode = Mode.Waiting;
  private status = 0;
  private headers: string[] = [];
  private chunks: Buffer[] = [];
  private received = 0;
  private timer: NodeJS.Timeout | null = null;
  private controller: Dispatcher.DispatchController | null = null;

  constructor(ctx: RequestContext, sink: ResponseSink, observer: UpstreamObserver) {
    this.ctx = ctx;
    this.sink = sink;
    this.observer = observer;
  }

  armTimer(timeoutMs: number): void {
    if (this.mode === Mode.Done) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const error = new TimeoutError(`upstream did not answer within ${timeoutMs} ms`);
      if (this.controller !== null) this.controller.abort(error);
      else this.onResponseError(null, error);
    }, timeoutMs);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.ctx.aborted) {
      controller.abort(new ClientAbortError('client aborted'));
      return;
    }
    this.ctx.cancelUpstream = (reason) => controller.abort(reason);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    const ctx = this.ctx;
    ctx.upstreamHeadersAt = performance.now();
    this.status = statusCode;
    if (statusCode >= 400) {
      this.mode = Mode.UpstreamError;
      return;
    }
    const contentType = headerValue(headers['content-type']);
    this.headers = this.responseHeaders(headers, contentType);
    if (contentType.startsWith('text/event-stream')) {
      this.mode = Mode.Streaming;
      this.clearTimer();
      ctx.overheadMs = ctx.dispatchedAt - ctx.startedAt + (performance.now() - ctx.upstreamHeadersAt);
      this.headers.push('x-ailb-overhead-duration-ms', ctx.overheadMs.toFixed(3), 'x-litellm-overhead-duration-ms', ctx.overheadMs.toFixed(3));
      ctx.status = statusCode;
      this.sink.startStream(statusCode, this.headers);
    } else {
      this.mode = Mode.Buffered;
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    switch (this.mode) {
      case Mode.Streaming:
        if (!this.sink.write(chunk)) {
          controller.pause();
          this.sink.onWritable(() => controller.resume());
        }
        break;
      case Mode.Buffered:
        this.chunks.push(chunk);
        this.received += chunk.length;
        break;
      case Mode.UpstreamError:
        if (this.received < MAX_ERROR_BODY) {
          this.chunks.push(chunk);
          this.received += chunk.length;
        }
        break;
      default:
        break;
    }
  }

  onResponseEnd(): void {
    const ctx = this.ctx;
    this.clearTimer();
    switch (this.mode) {
      case Mode.Streaming:
        this.sink.end();
        break;
      case Mode.Buffered: {
        const body = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.received);
        const now = performance.now();
        ctx.overheadMs = ctx.dispatchedAt - ctx.startedAt;
        const upstreamMs = now - ctx.dispatchedAt;
        this.headers.push(
          'x-ailb-overhead-duration-ms', ctx.overheadMs.toFixed(3),
          'x-litellm-overhead-duration-ms', ctx.overheadMs.toFixed(3),
          'x-litellm-response-duration-ms', (now - ctx.startedAt).toFixed(3),
          'x-ailb-upstream-duration-ms', upstreamMs.toFixed(3),
        );
        ctx.status = this.status;
        this.sink.respond(this.status, this.headers, body);
        break;
      }
      case Mode.UpstreamError:
        this.observer.upstreamError(ctx, this.status >= 500 ? 'status_5xx' : 'status_4xx');
        this.sendError(upstreamStatusError(this.status, Buffer.concat(this.chunks)));
        break;
      default:
        break;
    }
    this.mode = Mode.Done;
    this.observer.finished(ctx);
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, error: Error): void {
    const ctx = this.ctx;
    this.clearTimer();
    const previous = this.mode;
    this.mode = Mode.Done;
    if (previous === Mode.Done) return;
    if (ctx.aborted || error instanceof ClientAbortError) {
      this.observer.finished(ctx);
      return;
    }
    const classified = classifyTransportError(error, ctx.deployment!.spec.apiBase);
    this.observer.upstreamError(ctx, previous === Mode.Streaming ? 'stream_broken' : classified.kind);
    if (previous === Mode.Streaming) {
      // Headers are out: the only honest thing left is an error event, then the end.
      const broken = new GatewayError('upstream_stream_error', `Upstream stream ended early: ${classified.error.message}`);
      this.sink.end(`data: ${broken.toOpenAIBody()}\n\n`);
    } else {
      this.sendError(classified.error);
    }
    this.observer.finished(ctx);
  }

  private sendError(error: GatewayError): void {
    const ctx = this.ctx;
    ctx.status = error.status;
    this.sink.respond(error.status, errorHeaders(ctx), error.toOpenAIBody());
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  /** Our headers, the upstream content type, and every upstream header again as `llm_provider-*`. */
  private responseHeaders(upstream: Record<string, string | string[] | undefined>, contentType: string): string[] {
    const ctx = this.ctx;
    const deployment = ctx.deployment!;
    const out = [
      'content-type', contentType || 'application/json',
      'x-ailb-call-id', ctx.callId,
      'x-litellm-call-id', ctx.callId,
      'x-ailb-model-id', deployment.spec.id,
      'x-litellm-model-id', deployment.spec.id,
      'x-litellm-model-group', deployment.spec.modelName,
      'x-litellm-model-api-base', deployment.spec.apiBase,
    ];
    for (const name in upstream) {
      if (HOP_BY_HOP.has(name)) continue;
      const value = upstream[name];
      if (value === undefined) continue;
      out.push('llm_provider-' + name, Array.isArray(value) ? value.join(', ') : value);
    }
    return out;
  }
}

/** Headers of an error answer: enough to find the call in the logs. */
export function errorHeaders(ctx: RequestContext): string[] {
  const headers = ['content-type', 'application/json', 'x-ailb-call-id', ctx.callId, 'x-litellm-call-id', ctx.callId];
  if (ctx.deployment !== null) headers.push('x-ailb-model-id', ctx.deployment.spec.id, 'x-litellm-model-id', ctx.deployment.spec.id);
  return headers;
}

function headerValue(value: string | string[] | undefined): string {
  if (value === undefined) return '';
  return Array.isArray(value) ? value[0] : value;
}

/** Re-wraps an upstream error answer in the OpenAI envelope, keeping its status and message. */
export function upstreamStatusError(status: number, body: Buffer): GatewayError {
  let message = '';
  let param: string | null = null;
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { error?: unknown; message?: unknown; detail?: unknown };
    const error = parsed.error;
    if (typeof error === 'object' && error !== null) {
      const e = error as { message?: unknown; param?: unknown };
      if (typeof e.message === 'string') message = e.message;
      if (typeof e.param === 'string') param = e.param;
    } else if (typeof error === 'string') {
      message = error;
    } else if (typeof parsed.message === 'string') {
      message = parsed.message;
    } else if (typeof parsed.detail === 'string') {
      message = parsed.detail;
    }
  } catch {
    message = body.toString('utf8', 0, Math.min(body.length, 512)).trim();
  }
  if (message === '') message = `upstream answered with status ${status}`;
  return new GatewayError('upstream_error', `Upstream error (${status}): ${message}`, { status, param });
}

/** Maps a transport failure to our catalogue: timeouts → 504, everything else → 502. */
export function classifyTransportError(error: Error, apiBase: string): { kind: string; error: GatewayError } {
  const code = (error as { code?: string }).code ?? '';
  if (error instanceof TimeoutError || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return {
      kind: 'timeout',
      error: new GatewayError('upstream_timeout', `Upstream ${apiBase} timed out: ${error.message}`, { cause: error }),
    };
  }
  const detail = code !== '' && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  return {
    kind: 'unreachable',
    error: new GatewayError('upstream_unreachable', `Upstream ${apiBase} could not be reached (${detail})`, { cause: error }),
  };
}
