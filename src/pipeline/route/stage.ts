/**
 * Route stage: picks the deployment that serves the requested model and prepares the bytes sent
 * upstream. The client's body is forwarded as-is; only the `model` string is spliced when the
 * upstream name differs from the public one (no JSON.parse/stringify round trip).
 *
 * Deployment choice here is weighted random (LiteLLM's default simple-shuffle); the router
 * strategies, retries and fallbacks build on this stage.
 */
import { GatewayError } from '../../errors.js';
import { StageStatus, type RequestContext, type Stage } from '../context.js';
import { jsonStringContents, type DeploymentRuntime } from '../runtime.js';

export function createRouteStage(random: () => number = Math.random): Stage {
  return function route(ctx: RequestContext): StageStatus {
    const candidates = ctx.runtime.deploymentsFor(ctx.model);
    if (candidates.length === 0) {
      throw new GatewayError(
        'unknown_model',
        `Invalid model name passed in model=${ctx.model}. Call \`/v1/models\` to view available models for your key.`,
        { param: 'model' },
      );
    }
    const deployment = candidates.length === 1 ? candidates[0] : pickWeighted(candidates, random);
    ctx.deployment = deployment;
    ctx.upstreamModel = deployment.upstreamModelFor(ctx.model);
    ctx.upstreamBody = spliceModel(ctx, deployment);
    return StageStatus.Continue;
  };
}

function pickWeighted(candidates: readonly DeploymentRuntime[], random: () => number): DeploymentRuntime {
  let total = 0;
  for (const d of candidates) total += d.spec.weight;
  let point = random() * total;
  for (const d of candidates) {
    point -= d.spec.weight;
    if (point < 0) return d;
  }
  return candidates[candidates.length - 1];
}

/** The body to send upstream: the client's own buffer when the model name is unchanged. */
export function spliceModel(ctx: RequestContext, deployment: DeploymentRuntime): Buffer {
  const body = ctx.body.subarray(0, ctx.bodyLength);
  const replacement = deployment.upstreamModelJson ?? jsonStringContents(ctx.upstreamModel);
  const start = ctx.modelStart;
  const end = ctx.modelEnd;
  if (end - start === replacement.length && body.compare(replacement, 0, replacement.length, start, end) === 0) {
    return body;
  }
  const out = Buffer.allocUnsafe(body.length - (end - start) + replacement.length);
  body.copy(out, 0, 0, start);
  replacement.copy(out, start);
  body.copy(out, start + replacement.length, end);
  return out;
}
