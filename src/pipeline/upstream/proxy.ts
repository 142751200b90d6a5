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
 * - Router (src/router/): before the first attempt, pre-call checks (the prompt must fit the
 *   deployment's max_input_tokens; a cooled deployment is not called when when_all_cooling is
 *   `refuse`). A failed attempt that sent nothing to the client yet (an error status, a transport
 *   failure or a timeout before a stream's first byte) is classified (LiteLLM's error classes)
 *   and counted against the deployment's cooldown; the call then moves on from the route
 *   decision: another deployment of the group (at once), the same one (after backoff, honouring
 *   the upstream's retry-after) when retries allow, or the next fallback group (its body is made
 *   again for the new model name). Answers carry x-litellm-attempted-retries and
 *   x-litellm-attempted-fallbacks.
 *
 * One UpstreamCall is made per request and is the exchange handler for every attempt of it. The
 * plain case (one deployment, no failure) allocates nothing more than before and reads no router
 * state.
 */
import { performance } from 'node:perf_hooks';
import { UpstreamTimeoutError, type Exchange, type ExchangeHandler } from '../../upstream/origin-pool.js';
import { GatewayError } from '../../errors.js';
import { usageFromResponseBody, type TokenUsage } from '../../spend/usage.js';
import { concretePricing, costOf } from '../../spend/pricing.js';
import { countTokens, encodingForModel, StreamUsageScanner } from '../../native/index.js';
import { classifyStatus, ErrorClass } from '../../router/classify.js';
import { fits, type DeploymentGroup } from '../../router/group.js';
import { countCooldown, countFailure, countFallback, countRetry } from '../../router/metrics.js';
import { FallbackKind } from '../../router/policy.js';
import { Phase } from '../../router/state.js';
import type { RequestContext } from '../context.js';
import { upstreamBody } from '../route/stage.js';
import type { DeploymentRuntime } from '../runtime.js';
import type { ResponseSink } from '../sink.js';
import { openaiErrorInfo } from '../../providers/openai-compatible/translation.js';
import type { UpstreamErrorInfo, UpstreamRequest } from '../../providers/types.js';
import { usageFromOpenAI } from '../../spend/usage.js';
import { errorInfoOf, prepareRequest, translateAnswer, TranslatedStream, Wire, wireFor } from './translate.js';

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
  new UpstreamCall(ctx, sink, observer).begin();
}

/** How an attempt ended, for the deployment's state. */
const enum Outcome {
  Success,
  Failure,
  /** Ended by the client or the gateway (abort, shutdown): says nothing about the deployment. */
  Abandoned,
}

/** x-litellm-attempted-* values, without making a string for the usual 0. */
function countText(n: number): string {
  return n === 0 ? '0' : String(n);
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
  /** How the current attempt's bytes go (translate.ts); Direct is the plain pass-through. */
  private wire = Wire.Direct;
  /** The current attempt's translated stream, when the answer is one. */
  private translated: TranslatedStream | null = null;

  // Router state of this request (src/router/); numbers and references only, so the plain case
  // allocates nothing for it.
  /** An attempt is on the wire (between send and its end). */
  private attempting = false;
  /** performance.now() of the first attempt: the gateway's overhead is the time before it. */
  private firstDispatchAt = 0;
  /** The group the route stage chose (its fallback lists apply) and the name the current group was asked by. */
  private primary: DeploymentGroup | null = null;
  private publicName = '';
  /** Deployments of the current group this request has tried, by index; made on the first failure. */
  private tried: Uint8Array | null = null;
  private retries = 0;
  private retriesInGroup = 0;
  private fallbacks = 0;
  private fallbackList: readonly string[] | null = null;
  private fallbackKind = FallbackKind.General;
  private fallbackIndex = 0;
  /** The upstream's retry-after (retry-after-ms or retry-after) on an error answer, ms; -1 when none. */
  private retryAfterMs = -1;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Counter handles of the current attempt: the deployment's in-flight slot and half-open probe; -1 when none. */
  private inflightHandle = -1;
  private probeHandle = -1;
  /** The circuit's phase when the current attempt went (groups of several deployments). */
  private enteredPhase = Phase.Closed;

  constructor(ctx: RequestContext, sink: ResponseSink, observer: UpstreamObserver) {
    this.ctx = ctx;
    this.sink = sink;
    this.observer = observer;
  }

  /**
   * Runs the pre-call checks where they can apply (several deployments, a max_input_tokens, or no
   * deployment available at the route stage), then sends the first attempt.
   */
  begin(): void {
    const ctx = this.ctx;
    const deployment = ctx.deployment!;
    const group = deployment.group;
    this.primary = group;
    this.publicName = ctx.model;
    if (ctx.upstreamBody === null || group.size > 1 || deployment.maxInputTokens >= 0) {
      const refusal = this.preCallRefusal(deployment, group);
      if (refusal >= 0) {
        if (!this.moveOn(refusal as ErrorClass, false)) this.refuseBeforeCall(refusal as ErrorClass);
        return;
      }
    }
    this.send();
  }

  /**
   * Why `deployment` may not be called (an ErrorClass: ContextWindow when the prompt does not fit,
   * RateLimit when nothing is available), or -1 when it may.
   */
  private preCallRefusal(deployment: DeploymentRuntime, group: DeploymentGroup): number {
    // The route stage found no deployment it could use (it prepared no body).
    if (this.ctx.upstreamBody === null) return ErrorClass.RateLimit;
    if (!fits(deployment, this.fit())) return ErrorClass.ContextWindow;
    if (group.breaker && !group.policy.tryLeastRecentlyFailed && !deployment.state.available(Date.now())) return ErrorClass.RateLimit;
    return -1;
  }

  /** Prompt tokens + max_tokens for the context-window check; -1 when unknown or the check is off. */
  private fit(): number {
    const ctx = this.ctx;
    if (ctx.promptTokens < 0 || !ctx.runtime.router.preCallChecks) return -1;
    return ctx.promptTokens + Math.max(ctx.maxTokens, 0);
  }

  /** Answers a request no deployment could be tried for (nothing was sent upstream). */
  private refuseBeforeCall(cls: ErrorClass): void {
    const ctx = this.ctx;
    const group = ctx.deployment!.group;
    this.mode = Mode.Done;
    if (cls === ErrorClass.ContextWindow) {
      const limit = ctx.deployment!.maxInputTokens;
      this.sendError(
        new GatewayError(
          'context_window_exceeded',
          `ContextWindowExceededError: the prompt has ${ctx.promptTokens} tokens` +
            (ctx.maxTokens > 0 ? ` + max_tokens ${ctx.maxTokens}` : '') +
            `, more than model group ${group.name} takes (max_input_tokens ${limit}), and no context_window_fallbacks group fits it.`,
          { param: 'messages' },
        ),
      );
    } else {
      ctx.retryAfterS = group.retryAfterS();
      this.sendError(group.noDeploymentsError(ctx.model, ctx.retryAfterS));
    }
    this.observer.finish(ctx);
  }

  /** Sends one attempt to ctx.deployment. */
  private send(): void {
    const ctx = this.ctx;
    const deployment = ctx.deployment!;
    const group = deployment.group;
    const timeoutMs = ctx.stream ? deployment.spec.streamTimeoutMs : deployment.spec.timeoutMs;
    // Non-zero from here on: the upstream stage owns the end of the request (http-app.ts). Set
    // again when the bytes go (dispatch), so a translated request's making counts as gateway time.
    ctx.dispatchedAt = performance.now();
    this.attempting = true;
    this.ctx.cancelUpstream ??= (reason) => this.cancel(reason);
    if (group.size > 1) this.enterDeployment(deployment, group);
    const wire = (this.wire = wireFor(ctx, deployment));
    if (wire === Wire.Direct) {
      this.dispatch(deployment.pathPrefix + ctx.route.upstreamPath, deployment.headerBlock, ctx.upstreamBody!, timeoutMs);
      return;
    }
    let prepared: UpstreamRequest | Promise<UpstreamRequest>;
    try {
      prepared = prepareRequest(ctx, deployment, wire);
    } catch (error) {
      this.failBeforeDispatch(error);
      return;
    }
    if (!(prepared instanceof Promise)) {
      this.dispatch(prepared.path, prepared.headerBlock, prepared.body, timeoutMs);
      return;
    }
    prepared.then(
      (request) => {
        // Cancelled (client abort, shutdown) while the request was being made.
        if (this.mode === Mode.Done || !this.attempting) return;
        this.dispatch(request.path, request.headerBlock, request.body, timeoutMs);
      },
      (error: unknown) => this.failBeforeDispatch(error),
    );
  }

  /**
   * Sends the attempt's bytes. A stream may run for a long time: its timeout bounds the wait for
   * each next byte instead. A plain call has the whole-call timer of start(), so its connection
   * needs no inactivity timer.
   */
  private dispatch(path: string, headerBlock: string, body: Buffer, timeoutMs: number): void {
    const ctx = this.ctx;
    const stream = ctx.stream;
    ctx.dispatchedAt = performance.now();
    if (this.firstDispatchAt === 0) this.firstDispatchAt = ctx.dispatchedAt;
    const exchange = ctx.deployment!.pool.request({ path, headerBlock, body, idleTimeoutMs: stream ? timeoutMs : 0 }, this);
    if (this.attempting) this.start(exchange, stream ? 0 : timeoutMs);
  }

  /** The attempt's request could not be made: a parameter the provider cannot take, a credential that could not be had. */
  private failBeforeDispatch(error: unknown): void {
    if (this.mode === Mode.Done) return;
    const failure = error instanceof GatewayError ? error : new GatewayError('internal_error', `Could not make the upstream request (call id ${this.ctx.callId}): ${String(error)}`, { cause: error });
    if (failure.code === 'upstream_auth_failed') {
      // Says something about the deployment (its credentials), and another one may do.
      this.endAttempt(Outcome.Failure, ErrorClass.Authentication);
      if (this.moveOn(ErrorClass.Authentication, true)) return;
    }
    this.onError(failure);
  }

  /** Arms the whole-call timeout (0: none) and lets the request be cancelled from outside. */
  start(exchange: Exchange, timeoutMs: number): void {
    this.exchange = exchange;
    if (this.mode === Mode.Done) return;
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
    if (this.attempting) this.exchange?.abort(reason);
    this.onError(reason);
  }

  onHead(statusCode: number, headers: Record<string, string>): void {
    const ctx = this.ctx;
    ctx.upstreamHeadersAt = performance.now();
    this.status = statusCode;
    if (statusCode >= 400) {
      this.mode = Mode.UpstreamError;
      this.retryAfterMs = retryAfterMs(headers);
      return;
    }
    const deployment = ctx.deployment!;
    if (deployment.group.tracksLatency) deployment.state.observeTtfb(ctx.upstreamHeadersAt - ctx.dispatchedAt, Date.now());
    const translated = this.wire === Wire.Translated;
    // A translated answer is written in the client's format, whatever the upstream's content type.
    const contentType = translated ? (ctx.stream ? 'text/event-stream' : 'application/json') : (headers['content-type'] ?? '');
    this.headers = this.responseHeaders(headers, contentType);
    if (translated ? ctx.stream : contentType.startsWith('text/event-stream')) {
      this.mode = Mode.Streaming;
      if (translated) this.translated = new TranslatedStream(ctx, deployment);
      // The usage chunk the gateway asked for (route stage) is kept from the client.
      else this.scanner = new StreamUsageScanner(deployment.wire === 'anthropic' ? 'anthropic' : 'openai', { stripUsageEvent: ctx.usageInjected, collectText: true });
      this.clearTimer();
      ctx.overheadMs = this.firstDispatchAt - ctx.startedAt + (performance.now() - ctx.upstreamHeadersAt);
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
        let relayed: Uint8Array | string;
        if (this.translated === null) {
          relayed = this.scanner!.feed(chunk);
        } else {
          try {
            relayed = this.translated.feed(chunk);
          } catch (error) {
            this.streamUnreadable(error);
            return false;
          }
        }
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
        // Bytes the scanner (or translator) held go out before the end.
        let tail: Uint8Array | string;
        if (this.translated === null) {
          tail = this.scanner!.end();
          this.scannerEnded = true;
        } else {
          try {
            tail = this.translated.end();
          } catch (error) {
            this.streamUnreadable(error);
            return;
          }
        }
        this.settleStreamUsage();
        this.endAttempt(Outcome.Success, ErrorClass.BadRequest);
        // Finished (limits settled) before the last byte leaves: a client that sends its next
        // request the moment this one ends must find this one's reservation already settled.
        this.mode = Mode.Done;
        this.observer.finish(ctx);
        this.sink.end(tail.length > 0 ? tail : undefined);
        return;
      }
      case Mode.Buffered: {
        let body: Buffer | string = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.received);
        let usage: TokenUsage | null;
        // Gateway time: before the first dispatch, plus translating the answer back.
        let translationMs = 0;
        if (this.wire === Wire.Translated) {
          const translating = performance.now();
          try {
            const answer = translateAnswer(ctx, ctx.deployment!, body);
            body = answer.body;
            usage = answer.usage;
            translationMs = performance.now() - translating;
          } catch (error) {
            if (this.answerUnreadable(error)) return;
            break;
          }
        } else {
          // The provider's own usage prices the call (LiteLLM's x-litellm-response-cost) and settles
          // a limits reservation. ~1.5 µs on a 600-byte answer (only the usage object is parsed).
          usage = usageFromResponseBody(body);
        }
        const now = performance.now();
        ctx.overheadMs = this.firstDispatchAt - ctx.startedAt + translationMs;
        const overhead = ctx.overheadMs.toFixed(3);
        if (usage !== null) {
          ctx.usage = { promptTokens: usage.promptTokens, completionTokens: usage.completionTokens, source: 'provider' };
          ctx.costUsd = this.costOf(usage);
          if (ctx.costUsd !== null) this.headers.push('x-litellm-response-cost', String(ctx.costUsd));
          if (ctx.deployment!.group.tracksLatency) ctx.deployment!.state.observePerToken(now - ctx.dispatchedAt, usage.completionTokens, Date.now());
        }
        this.headers.push(
          'x-ailb-overhead-duration-ms', overhead,
          'x-litellm-overhead-duration-ms', overhead,
          'x-litellm-response-duration-ms', (now - ctx.startedAt).toFixed(3),
          'x-ailb-upstream-duration-ms', (now - ctx.dispatchedAt).toFixed(3),
        );
        ctx.status = this.status;
        this.endAttempt(Outcome.Success, ErrorClass.BadRequest);
        // Finished (limits settled) before the answer leaves, as for streams above.
        this.mode = Mode.Done;
        this.observer.finish(ctx);
        this.sink.respond(this.status, this.headers, body);
        return;
      }
      case Mode.UpstreamError: {
        const body = Buffer.concat(this.chunks);
        const details = errorDetails(this.status, errorInfoOf(ctx.deployment!, this.wire, this.status, body));
        const cls = classifyStatus(this.status, details.code, details.type, details.message);
        this.endAttempt(Outcome.Failure, cls);
        if (this.moveOn(cls, true)) return;
        this.observer.upstreamError(ctx, this.status >= 500 ? 'status_5xx' : 'status_4xx');
        this.sendError(details.error);
        break;
      }
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
      this.endAttempt(Outcome.Abandoned, ErrorClass.BadRequest);
      this.observer.finish(ctx);
      return;
    }
    if (error instanceof GatewayError) {
      this.endAttempt(Outcome.Abandoned, ErrorClass.BadRequest);
      // Ended by the gateway itself (shutdown, a request it could not make): say so rather than
      // blame the upstream.
      if (previous === Mode.Streaming) this.sink.end(this.streamErrorEvent(error));
      else this.sendError(error);
      this.observer.finish(ctx);
      return;
    }
    const classified = classifyTransportError(error, ctx.deployment!.spec.apiBase);
    const cls = classified.kind === 'timeout' ? ErrorClass.Timeout : ErrorClass.Connection;
    this.endAttempt(Outcome.Failure, cls);
    // Nothing has reached the client unless the stream had started: the call may move on.
    if (previous !== Mode.Streaming && this.moveOn(cls, true)) return;
    this.observer.upstreamError(ctx, previous === Mode.Streaming ? 'stream_broken' : classified.kind);
    if (previous === Mode.Streaming) {
      // Headers are out: the only honest thing left is an error event, then the end.
      const broken = new GatewayError('upstream_stream_error', `Upstream stream ended early: ${classified.error.message}`);
      this.sink.end(this.streamErrorEvent(broken));
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
    if (this.translated !== null) {
      this.settleTranslatedUsage(this.translated);
      return;
    }
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

  /** settleStreamUsage for a translated stream: the usage its last chunk reported, else the count of its text. */
  private settleTranslatedUsage(stream: TranslatedStream): void {
    const ctx = this.ctx;
    const reported = stream.usage === null ? null : usageFromOpenAI(stream.usage);
    if (reported !== null) {
      ctx.usage = { promptTokens: reported.promptTokens, completionTokens: reported.completionTokens, source: 'provider' };
      ctx.costUsd = this.costOf(reported);
    } else {
      const { encoding } = encodingForModel(ctx.upstreamModel);
      ctx.usage = { promptTokens: Math.max(ctx.promptTokens, 0), completionTokens: countTokens(encoding, stream.streamedText()), source: 'counted' };
      ctx.costUsd = this.costOf(ctx.usage);
    }
  }

  /**
   * A translated stream the gateway could not read (or that carried an error event): the client
   * gets an error event in its format and the end; the upstream exchange is dropped.
   */
  private streamUnreadable(error: unknown): void {
    const ctx = this.ctx;
    const failure = error instanceof GatewayError ? error : new GatewayError('upstream_bad_response', `The upstream stream could not be read: ${String(error)}`);
    this.clearTimer();
    this.mode = Mode.Done;
    if (this.attempting) this.exchange?.abort(failure);
    this.settleStreamUsage();
    this.endAttempt(Outcome.Failure, ErrorClass.InternalServer);
    this.observer.upstreamError(ctx, 'stream_broken');
    const event = this.streamErrorEvent(failure);
    this.translated = null;
    this.observer.finish(ctx);
    this.sink.end(event);
  }

  /**
   * A whole translated answer the gateway could not read: counted against the deployment like a
   * server error, and the call moves on when it can (returns true), else the client is told.
   */
  private answerUnreadable(error: unknown): boolean {
    const failure = error instanceof GatewayError ? error : new GatewayError('upstream_bad_response', `The upstream answer could not be read: ${String(error)}`);
    this.endAttempt(Outcome.Failure, ErrorClass.InternalServer);
    if (this.moveOn(ErrorClass.InternalServer, true)) return true;
    this.observer.upstreamError(this.ctx, 'bad_response');
    this.sendError(failure);
    return false;
  }

  /** The SSE event that tells a streaming client its stream broke, in the client's format. */
  private streamErrorEvent(error: GatewayError): string {
    if (this.translated !== null) return this.translated.error(error);
    if (this.ctx.route.client.wire === 'anthropic') return `event: error\ndata: ${error.toAnthropicBody()}\n\n`;
    return `data: ${error.toOpenAIBody()}\n\n`;
  }

  /** The call's cost in USD at the deployment's prices; null when the deployment is not priced. */
  private costOf(usage: TokenUsage): number | null {
    const deployment = this.ctx.deployment!;
    return costOf(concretePricing(deployment.pricing, this.ctx.upstreamModel), usage);
  }

  private sendError(error: GatewayError): void {
    const ctx = this.ctx;
    ctx.status = error.status;
    const headers = errorHeaders(ctx);
    headers.push('x-litellm-attempted-retries', countText(this.retries), 'x-litellm-attempted-fallbacks', countText(this.fallbacks));
    this.sink.respond(error.status, headers, ctx.route.client.errorBody(error));
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.retryTimer !== null) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
  }

  // ---- router: the deployment's state around an attempt, and moving on after a failure ----

  /** Takes the half-open probe, the in-flight slot and the request count where the group needs them. */
  private enterDeployment(deployment: DeploymentRuntime, group: DeploymentGroup): void {
    const now = Date.now();
    if (group.breaker) {
      const phase = deployment.state.phase(now);
      this.enteredPhase = phase;
      // Half-open: this attempt is the probe, unless another request took it in the meantime.
      if (phase === Phase.HalfOpen) this.probeHandle = deployment.state.takeProbe(now);
    }
    if (group.tracksInflight) this.inflightHandle = deployment.state.enter(now);
    if (group.tracksUsage) deployment.state.countRequest(now);
  }

  /** Ends the current attempt in the deployment's state (once per attempt; a no-op between attempts). */
  private endAttempt(outcome: Outcome, cls: ErrorClass): void {
    if (!this.attempting) return;
    this.attempting = false;
    const ctx = this.ctx;
    const deployment = ctx.deployment!;
    const group = deployment.group;
    if (outcome === Outcome.Failure) countFailure(group.name, deployment.spec.id, cls);
    if (group.size === 1) return;
    const state = deployment.state;
    const now = Date.now();
    if (this.inflightHandle >= 0) {
      state.release(this.inflightHandle);
      this.inflightHandle = -1;
    }
    const probe = this.probeHandle;
    this.probeHandle = -1;
    const entered = this.enteredPhase;
    this.enteredPhase = Phase.Closed;
    if (outcome === Outcome.Success) {
      if (entered !== Phase.Closed) state.probeSucceeded(probe, now);
      const usage = ctx.usage;
      if (group.tracksUsage && usage !== null) state.countTokens(usage.promptTokens + usage.completionTokens, now);
    } else if (outcome === Outcome.Failure) {
      if (group.breaker && state.failed(cls, probe, group.policy, now)) countCooldown(group.name, deployment.spec.id);
      else if (probe >= 0) state.release(probe);
      // A timeout is a latency sample too (a lower bound); other failures say nothing about speed.
      if (group.tracksLatency && cls === ErrorClass.Timeout) state.observeTtfb(performance.now() - ctx.dispatchedAt, now);
    } else if (probe >= 0) {
      state.release(probe);
    }
  }

  /**
   * Moves the request on after a failed attempt (`failed`) or a pre-call refusal: to another
   * deployment of the group, to the same one after backoff (when retries were asked for), or to
   * the next fallback group. Returns false when nothing is left to try; the caller answers.
   */
  private moveOn(cls: ErrorClass, failed: boolean): boolean {
    const ctx = this.ctx;
    if (ctx.aborted) return false;
    const current = ctx.deployment!;
    const group = current.group;
    const policy = group.policy;
    const fit = this.fit();
    const tried = (this.tried ??= new Uint8Array(group.size));
    tried[current.index] = 1;
    const allowed = failed ? policy.retriesFor(group.name, cls) : group.size;
    if (this.retriesInGroup < allowed) {
      const next = group.size > 1 ? group.pick(ctx.stream, fit, tried, false, Math.random) : null;
      if (next !== null) {
        if (failed) this.countRetry();
        this.moveTo(next, this.publicName, failed ? 0 : -1);
        return true;
      }
      // LiteLLM retries an authentication error only on another deployment.
      if (failed && cls !== ErrorClass.Authentication && policy.repeatsAllowed(group.name, cls, current.spec.maxRetries) && fits(current, fit)) {
        this.countRetry();
        this.moveTo(current, this.publicName, policy.retryDelayMs(this.retriesInGroup - 1, this.retryAfterMs, Math.random));
        return true;
      }
    }
    if (this.fallbackList === null) {
      const fallbacks = policy.fallbacksFor(this.primary!.name, cls);
      this.fallbackList = fallbacks.list;
      this.fallbackKind = fallbacks.kind;
    }
    const list = this.fallbackList;
    while (this.fallbackIndex < list.length && this.fallbacks < policy.maxFallbacks) {
      const name = list[this.fallbackIndex++];
      const next = ctx.runtime.groupFor(name);
      if (next === null || next === group) continue;
      const deployment = next.pick(ctx.stream, fit, null, policy.tryLeastRecentlyFailed, Math.random);
      if (deployment === null) continue;
      this.fallbacks++;
      this.retriesInGroup = 0;
      this.tried = null;
      countFallback(ctx.model, this.fallbackKind);
      this.moveTo(deployment, name, failed ? 0 : -1);
      return true;
    }
    return false;
  }

  private countRetry(): void {
    this.retries++;
    this.retriesInGroup++;
    countRetry(this.ctx.model);
  }

  /**
   * Points the request at `deployment` (asked for as `publicName`) and sends the next attempt:
   * at once (`delayMs` -1: still before the first attempt), or on a timer (0: the next turn of
   * the event loop, after the failed exchange has let go of its connection).
   */
  private moveTo(deployment: DeploymentRuntime, publicName: string, delayMs: number): void {
    const ctx = this.ctx;
    const upstreamModel = deployment.upstreamModelFor(publicName);
    const previous = ctx.deployment!;
    // Another group, model name or provider (a group may mix providers: another wire, another body).
    const newBody = deployment.group !== previous.group || upstreamModel !== ctx.upstreamModel || ctx.upstreamBody === null || deployment.adapter !== previous.adapter;
    ctx.deployment = deployment;
    this.publicName = publicName;
    if (newBody) {
      // Another model name goes upstream: the body is made again (the client's bytes are kept).
      ctx.upstreamModel = upstreamModel;
      ctx.upstreamBody = upstreamBody(ctx, deployment);
    }
    this.mode = Mode.Waiting;
    this.status = 0;
    this.retryAfterMs = -1;
    this.exchange = null;
    this.translated = null;
    if (this.chunks.length > 0) {
      this.chunks = [];
      this.received = 0;
    }
    if (this.headers.length > 0) this.headers = [];
    if (delayMs < 0) {
      this.send();
      return;
    }
    // A client abort or shutdown meanwhile reaches cancel(), which clears this timer.
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.send();
    }, delayMs);
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
      'x-litellm-attempted-retries', countText(this.retries),
      'x-litellm-attempted-fallbacks', countText(this.fallbacks),
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

/** Re-wraps an OpenAI-format upstream error answer, keeping its status and message. */
export function upstreamStatusError(status: number, body: Buffer): GatewayError {
  return upstreamErrorDetails(status, body).error;
}

/** An OpenAI-format error answer read once (errorDetails). */
export function upstreamErrorDetails(status: number, body: Buffer): { error: GatewayError; code: string; type: string; message: string } {
  return errorDetails(status, openaiErrorInfo(status, body));
}

/**
 * An upstream error answer, read by its provider's adapter: the error the client gets (status
 * kept, message passed on), and the error's own `code`, `type` and message, which the router
 * classifies by (context length, content policy…).
 */
function errorDetails(status: number, info: UpstreamErrorInfo): { error: GatewayError; code: string; type: string; message: string } {
  const error = new GatewayError('upstream_error', `Upstream error (${status}): ${info.message}`, { status, param: info.param });
  return { error, code: info.code, type: info.type, message: info.message };
}

/**
 * What an error answer asks the caller to wait, ms: OpenAI's `retry-after-ms`, else `retry-after`
 * (seconds or an HTTP date); -1 when it says nothing usable.
 */
export function retryAfterMs(headers: Record<string, string>): number {
  const ms = headers['retry-after-ms'];
  if (ms !== undefined) {
    const n = Number(ms);
    if (Number.isFinite(n) && n >= 0) return n;
  }
  const after = headers['retry-after'];
  if (after === undefined) return -1;
  const seconds = Number(after);
  if (Number.isFinite(seconds) && after.trim() !== '') return seconds >= 0 ? seconds * 1000 : -1;
  const at = Date.parse(after);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : -1;
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
