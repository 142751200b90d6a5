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
 * One UpstreamCall is made per request and is the exchange handler for it.
 */
import { performance } from 'node:perf_hooks';
import { UpstreamTimeoutError, type Exchange, type ExchangeHandler } from '../../upstream/origin-pool.js';
import { GatewayError } from '../../errors.js';
import { usageFromResponseBody, type TokenUsage } from '../../spend/usage.js';
import { concretePricing, costOf } from '../../spend/pricing.js';
import { countTokens, encodingForModel, StreamUsageScanner } from '../../native/index.js';
import type { RequestContext } from '../context.js';
import type { ResponseSink } from '../sink.js';

/** Upstream error bodies larger than this are cut; they are only used for the message. */
const MAX_ERROR_BODY = 64 * 1024;

/** Upstream headers that describe the connection, not the response; never copied. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'date', 'server', 'content-encoding']);

export interface UpstreamObserver {
  /** Called when the request is over, whatever the outcome (idempotent). */
  finish(ctx: RequestContext): void;
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
  // A stream may run for a long time: its timeout bounds the wait for each next byte instead. A
  // plain call has the whole-call timer below, so its connection needs no inactivity timer.
  const exchange = deployment.pool.request(
    { path: deployment.pathPrefix + ctx.route.upstreamPath, headerBlock: deployment.headerBlock, body: ctx.upstreamBody!, idleTimeoutMs: ctx.stream ? timeoutMs : 0 },
    call,
  );
  call.start(exchange, ctx.stream ? 0 : timeoutMs);
}

class UpstreamCall implements ExchangeHandler {
  private readonly ctx: RequestContext;
  private readonly sink: ResponseSink;
  private readonly observer: UpstreamObserver;
  private mode: Mode = Mode.Waiting;
  private status = 0;
  private headers: string[] = [];
  private chunks: Buffer[] = [];
  private received = 0;
  private timer: NodeJS.Timeout | null = null;
  private exchange: Exchange | null = null;
  /** Reads usage (or the streamed text, to count it) from an SSE answer as it passes. */
  private scanner: StreamUsageScanner | null = null;
  private scannerEnded = false;

  constructor(ctx: RequestContext, sink: ResponseSink, observer: UpstreamObserver) {
    this.ctx = ctx;
    this.sink = sink;
    this.observer = observer;
  }

  /** Arms the whole-call timeout (0: none) and lets the request be cancelled from outside. */
  start(exchange: Exchange, timeoutMs: number): void {
    this.exchange = exchange;
    if (this.mode === Mode.Done) return;
    this.ctx.cancelUpstream = (reason) => this.cancel(reason);
    if (timeoutMs > 0) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.cancel(new TimeoutError(`upstream did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
    }
  }

  /** Stops the exchange and ends the request as `reason` says (client abort, timeout, shutdown). */
  cancel(reason: Error): void {
    if (this.mode === Mode.Done) return;
    this.exchange?.abort(reason);
    this.onError(reason);
  }

  onHead(statusCode: number, headers: Record<string, string>): void {
    const ctx = this.ctx;
    ctx.upstreamHeadersAt = performance.now();
    this.status = statusCode;
    if (statusCode >= 400) {
      this.mode = Mode.UpstreamError;
      return;
    }
    const contentType = headers['content-type'] ?? '';
    this.headers = this.responseHeaders(headers, contentType);
    if (contentType.startsWith('text/event-stream')) {
      this.mode = Mode.Streaming;
      // The usage chunk the gateway asked for (route stage) is kept from the client.
      this.scanner = new StreamUsageScanner('openai', { stripUsageEvent: ctx.usageInjected, collectText: true });
      this.clearTimer();
      ctx.overheadMs = ctx.dispatchedAt - ctx.startedAt + (performance.now() - ctx.upstreamHeadersAt);
      const overhead = ctx.overheadMs.toFixed(3);
      this.headers.push('x-ailb-overhead-duration-ms', overhead, 'x-litellm-overhead-duration-ms', overhead);
      ctx.status = statusCode;
      this.sink.startStream(statusCode, this.headers);
    } else {
      this.mode = Mode.Buffered;
    }
  }

  onBody(chunk: Buffer): boolean {
    switch (this.mode) {
      case Mode.Streaming: {
        const relayed = this.scanner!.feed(chunk);
        if (relayed.length === 0) return true;
        if (!this.sink.write(relayed)) {
          this.sink.onWritable(() => this.exchange?.resume());
          return false;
        }
        return true;
      }
      // The chunk is lent for this call only (origin-pool.ts): keep a copy.
      case Mode.Buffered:
        this.chunks.push(Buffer.from(chunk));
        this.received += chunk.length;
        return true;
      case Mode.UpstreamError:
        if (this.received < MAX_ERROR_BODY) {
          this.chunks.push(Buffer.from(chunk));
          this.received += chunk.length;
        }
        return true;
      default:
        return true;
    }
  }

  onComplete(): void {
    const ctx = this.ctx;
    this.clearTimer();
    switch (this.mode) {
      case Mode.Streaming: {
        // Bytes the scanner held (an event not yet complete) go out before the end.
        const tail = this.scanner!.end();
        this.scannerEnded = true;
        this.sink.end(tail.length > 0 ? tail : undefined);
        this.settleStreamUsage();
        break;
      }
      case Mode.Buffered: {
        const body = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.received);
        const now = performance.now();
        ctx.overheadMs = ctx.dispatchedAt - ctx.startedAt;
        const overhead = ctx.overheadMs.toFixed(3);
        // The provider's own usage prices the call (LiteLLM's x-litellm-response-cost) and settles
        // a limits reservation. ~1.5 µs on a 600-byte answer (only the usage object is parsed).
        const usage = usageFromResponseBody(body);
        if (usage !== null) {
          ctx.usage = { promptTokens: usage.promptTokens, completionTokens: usage.completionTokens, source: 'provider' };
          ctx.costUsd = this.costOf(usage);
          if (ctx.costUsd !== null) this.headers.push('x-litellm-response-cost', String(ctx.costUsd));
        }
        this.headers.push(
          'x-ailb-overhead-duration-ms', overhead,
          'x-litellm-overhead-duration-ms', overhead,
          'x-litellm-response-duration-ms', (now - ctx.startedAt).toFixed(3),
          'x-ailb-upstream-duration-ms', (now - ctx.dispatchedAt).toFixed(3),
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
    this.observer.finish(ctx);
  }

  onError(error: Error): void {
    const ctx = this.ctx;
    this.clearTimer();
    const previous = this.mode;
    this.mode = Mode.Done;
    if (previous === Mode.Done) return;
    // What was streamed before the end still cost tokens: count it whatever ended the stream.
    if (previous === Mode.Streaming) this.settleStreamUsage();
    if (ctx.aborted || error instanceof ClientAbortError) {
      this.observer.finish(ctx);
      return;
    }
    if (error instanceof GatewayError) {
      // Ended by the gateway itself (shutdown): say so rather than blame the upstream.
      if (previous === Mode.Streaming) this.sink.end(`data: ${error.toOpenAIBody()}\n\n`);
      else this.sendError(error);
      this.observer.finish(ctx);
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
    this.observer.finish(ctx);
  }

  /**
   * The stream's usage: the provider's own figures when it sent them, else the gateway's count of
   * the streamed text (completion) and of the prompt. Frees the scanner.
   */
  private settleStreamUsage(): void {
    const scanner = this.scanner;
    if (scanner === null) return;
    this.scanner = null;
    if (!this.scannerEnded) scanner.end();
    const reported = scanner.usage();
    const ctx = this.ctx;
    if (reported !== null && reported.outputTokens !== null) {
      ctx.usage = {
        promptTokens: reported.inputTokens ?? Math.max(ctx.promptTokens, 0),
        completionTokens: reported.outputTokens,
        source: 'provider',
      };
      ctx.costUsd = this.costOf({
        promptTokens: ctx.usage.promptTokens,
        completionTokens: ctx.usage.completionTokens,
        cachedPromptTokens: reported.cacheReadTokens ?? 0,
        reasoningTokens: reported.reasoningTokens ?? 0,
      });
    } else {
      const { encoding } = encodingForModel(ctx.upstreamModel);
      ctx.usage = { promptTokens: Math.max(ctx.promptTokens, 0), completionTokens: countTokens(encoding, scanner.outputText()), source: 'counted' };
      ctx.costUsd = this.costOf(ctx.usage);
    }
    scanner.close();
  }

  /** The call's cost in USD at the deployment's prices; null when the deployment is not priced. */
  private costOf(usage: TokenUsage): number | null {
    const deployment = this.ctx.deployment!;
    return costOf(concretePricing(deployment.pricing, this.ctx.upstreamModel), usage);
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
  private responseHeaders(upstream: Record<string, string>, contentType: string): string[] {
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
    if (ctx.promptTokens >= 0) out.push('x-ailb-prompt-tokens', String(ctx.promptTokens));
    if (ctx.rateLimitHeaders !== null) out.push(...ctx.rateLimitHeaders);
    for (const name in upstream) {
      if (HOP_BY_HOP.has(name)) continue;
      out.push(relayedName(name), upstream[name]);
    }
    return out;
  }
}

/** `llm_provider-<name>` by upstream header name, made once per name (bounded). */
const RELAYED_NAMES = new Map<string, string>();

function relayedName(name: string): string {
  let relayed = RELAYED_NAMES.get(name);
  if (relayed === undefined) {
    relayed = 'llm_provider-' + name;
    if (RELAYED_NAMES.size >= 512) RELAYED_NAMES.clear();
    RELAYED_NAMES.set(name, relayed);
  }
  return relayed;
}

/** Headers of an error answer: enough to find the call in the logs. */
export function errorHeaders(ctx: RequestContext): string[] {
  const headers = ['content-type', 'application/json', 'x-ailb-call-id', ctx.callId, 'x-litellm-call-id', ctx.callId];
  if (ctx.retryAfterS > 0) headers.push('retry-after', String(ctx.retryAfterS));
  if (ctx.deployment !== null) headers.push('x-ailb-model-id', ctx.deployment.spec.id, 'x-litellm-model-id', ctx.deployment.spec.id);
  return headers;
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

/**
 * Maps a transport failure to our catalogue: no answer in time → 504; everything else (refused,
 * reset, DNS, TLS, connect timeout, a malformed response) → 502.
 */
export function classifyTransportError(error: Error, apiBase: string): { kind: string; error: GatewayError } {
  const code = (error as { code?: string }).code ?? '';
  if (error instanceof TimeoutError || error instanceof UpstreamTimeoutError) {
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
