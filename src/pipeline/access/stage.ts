/**
 * Access stage (after parse, before route): applies the virtual key's model aliases, then checks
 * that the requested model is allowed by the key, its team and its user, and that the end user
 * named by the body's `user` field is not blocked. The end user's record is left on the context
 * (`ctx.customer`) for the limits stage.
 *
 * A models list allows a model when it is empty (everything), contains `all-proxy-models`, names
 * the model itself, names a wildcard pattern the model or one of its deployments'
 * `provider/model` matches (`openai/*`), or names one of the model's access groups
 * (model_info.access_groups). The master key skips every check but the end user's.
 */
import { GatewayError, type ErrorCode } from '../../errors.js';
import { StageStatus, type RequestContext, type Stage } from '../context.js';
import type { Runtime } from '../runtime.js';
import type { ThreadKeyCache } from '../auth/key-cache.js';

export function createAccessStage(keys: ThreadKeyCache | null): Stage {
  return function access(ctx: RequestContext): StageStatus {
    const record = ctx.auth;
    if (record !== null) {
      const alias = record.key.aliases[ctx.model] ?? record.team?.model_aliases[ctx.model];
      if (alias !== undefined) ctx.model = alias;
      checkModel(ctx.runtime, record.key.models, ctx.model, 'key_model_access_denied', 'key');
      if (record.team !== null) checkModel(ctx.runtime, record.team.models, ctx.model, 'team_model_access_denied', `team ${record.team.team_id}`);
      if (record.user !== null) checkModel(ctx.runtime, record.user.models, ctx.model, 'user_model_access_denied', `user ${record.user.user_id}`);
    }
    if (ctx.endUser === '' || keys === null) return StageStatus.Continue;
    const cached = keys.customer(ctx.endUser, Date.now());
    if (cached !== undefined) {
      ctx.customer = cached.record;
      checkCustomer(ctx, cached.record?.blocked === true);
      return StageStatus.Continue;
    }
    keys.fetchCustomer(ctx.endUser, (entry, error) => {
      const resume = ctx.resume;
      if (resume === null) return;
      if (error !== null || entry === null) {
        resume(new GatewayError('store_unavailable', `Could not check the end user: ${error ?? 'no answer'}.`));
        return;
      }
      ctx.customer = entry.record;
      try {
        checkCustomer(ctx, entry.record?.blocked === true);
      } catch (refusal) {
        resume(refusal as GatewayError);
        return;
      }
      resume(null);
    });
    return StageStatus.Suspend;
  };
}

function checkCustomer(ctx: RequestContext, blocked: boolean): void {
  if (blocked) {
    throw new GatewayError('customer_blocked', `End user ${ctx.endUser} is blocked. Ask an admin to unblock it (/customer/unblock).`, { param: 'user' });
  }
}

function checkModel(runtime: Runtime, allowed: readonly string[], model: string, code: ErrorCode, who: string): void {
  if (modelAllowed(runtime, allowed, model)) return;
  throw new GatewayError(code, `The ${who} may not call model=${model}. Allowed: ${allowed.join(', ')}.`, { param: 'model' });
}

export function modelAllowed(runtime: Runtime, allowed: readonly string[], model: string): boolean {
  if (allowed.length === 0) return true;
  for (const entry of allowed) {
    if (entry === model || entry === 'all-proxy-models' || entry === '*') return true;
    if (entry.endsWith('*') && model.startsWith(entry.slice(0, -1))) return true;
  }
  // Slower checks against the model's deployments: provider-qualified names and access groups.
  for (const deployment of runtime.deploymentsFor(model)) {
    const qualified = `${deployment.spec.provider}/${deployment.upstreamModelFor(model)}`;
    const groups = deployment.spec.modelInfo.access_groups;
    for (const entry of allowed) {
      if (entry === qualified) return true;
      if (entry.endsWith('*') && qualified.startsWith(entry.slice(0, -1))) return true;
      if (Array.isArray(groups) && groups.includes(entry)) return true;
    }
  }
  return false;
}
