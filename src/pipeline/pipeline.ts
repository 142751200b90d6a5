/**
 * The inference pipeline: a closed list of stages run in order, then the upstream call.
 *
 *   auth → parse → access → route → tokens → limits → upstream
 *
 * Each stage either lets the request go on or refuses it by throwing a GatewayError, which is
 * answered here in the client's error envelope (OpenAI's, or Anthropic's on /v1/messages). docs/lifecycle.md describes every stage; keep it current.
 */
import { GatewayError } from '../errors.js';
import { budgetReportPoster } from '../limits/budget-reports.js';
import { createAccessStage } from './access/stage.js';
import type { ThreadKeyCache } from './auth/key-cache.js';
import { createAuthStage } from './auth/stage.js';
import { StageStatus, type RequestContext, type Stage } from './context.js';
import { createLimitsStage, RequestLimits } from './limits/stage.js';
import { createParseStage } from './parse/stage.js';
import { createRouteStage } from './route/stage.js';
import { createTokensStage } from './tokens/stage.js';
import type { ResponseSink } from './sink.js';
import { callUpstream, errorHeaders, type UpstreamObserver } from './upstream/proxy.js';

export class InferencePipeline {
  private readonly stages: readonly Stage[];
  /** This thread's limits and budgets; `finish` must hand every request to `limits.finish`. */
  readonly limits = new RequestLimits();
  private readonly observer: UpstreamObserver;
  private readonly onInternalError: (ctx: RequestContext, error: unknown) => void;

  /** `keys`: this thread's virtual-key cache, null when the gateway runs without a store. */
  constructor(observer: UpstreamObserver, onInternalError: (ctx: RequestContext, error: unknown) => void, keys: ThreadKeyCache | null = null) {
    // Budget alerts are decided on the main thread (one BudgetAlerts per process): post there.
    this.limits.budgetReporter = budgetReportPoster();
    this.stages = [createAuthStage(keys), createParseStage(), createAccessStage(keys), createRouteStage(), createTokensStage(), createLimitsStage(this.limits)];
    this.observer = observer;
    this.onInternalError = onInternalError;
  }

  /** Runs the stages from `from` on, then the upstream call. */
  run(ctx: RequestContext, sink: ResponseSink, from = 0): void {
    try {
      for (let index = from; index < this.stages.length; index++) {
        const status = this.stages[index](ctx);
        if (status === StageStatus.Continue) continue;
        if (status === StageStatus.Suspend) {
          ctx.resume = (error) => {
            ctx.resume = null;
            if (ctx.aborted) this.observer.finish(ctx);
            else if (error !== null) this.refuse(ctx, sink, error);
            else this.run(ctx, sink, index + 1);
          };
          return;
        }
        this.observer.finish(ctx);
        return;
      }
    } catch (error) {
      this.refuse(ctx, sink, error);
      return;
    }
    callUpstream(ctx, sink, this.observer);
  }

  /** Answers a request that failed before reaching an upstream. */
  refuse(ctx: RequestContext, sink: ResponseSink, error: unknown): void {
    let gatewayError: GatewayError;
    if (error instanceof GatewayError) {
      gatewayError = error;
    } else {
      this.onInternalError(ctx, error);
      gatewayError = new GatewayError('internal_error', `Internal error (call id ${ctx.callId}).`);
    }
    ctx.status = gatewayError.status;
    sink.respond(gatewayError.status, errorHeaders(ctx), ctx.route.client.errorBody(gatewayError));
    this.observer.finish(ctx);
  }
}
