/**
 * Route stage: picks the deployment that serves the requested model and prepares the bytes sent
 * upstream. When the upstream speaks the client's wire format the client's body is forwarded as-is;
 * only the `model` string is spliced when the upstream name differs from the public one (no
 * JSON.parse/stringify round trip). Other calls are translated per attempt (upstream/translate.ts).
 *
 * The model name selects a deployment group (src/router/group.ts) and the group's strategy picks
 * the deployment (LiteLLM's routing strategies, `order` tiers, cooldowns). A group of one
 * deployment has nothing to decide and reads no state. The upstream stage may move the request
 * on from here (pre-call checks, retries, fallbacks: src/pipeline/upstream/proxy.ts), re-running
 * the group's pick and, for another group, upstreamBody().
 */
import { GatewayError } from '../../errors.js';
import { StageStatus, type RequestContext, type Stage } from '../context.js';
import { jsonStringContents, type DeploymentRuntime } from '../runtime.js';
import { Wire, wireFor } from '../upstream/translate.js';

export function createRouteStage(random: () => number = Math.random): Stage {
  return function route(ctx: RequestContext): StageStatus {
    const group = ctx.runtime.groupFor(ctx.model);
    if (group === null) {
      throw new GatewayError(
        'unknown_model',
        `Invalid model name passed in model=${ctx.model}. Call \`/v1/models\` to view available models for your key.`,
        { param: 'model' },
      );
    }
    const picked = group.size === 1 ? group.deployments[0] : group.pick(ctx.stream, -1, null, group.policy.tryLeastRecentlyFailed, random);
    if (picked === null && !group.policy.hasFallbacks(group.name)) {
      // Every deployment is cooling down (when_all_cooling: refuse) or over its limits.
      ctx.retryAfterS = group.retryAfterS();
      throw group.noDeploymentsError(ctx.model, ctx.retryAfterS);
    }
    const deployment = picked ?? group.deployments[0];
    ctx.deployment = deployment;
    ctx.upstreamModel = deployment.upstreamModelFor(ctx.model);
    // No body when no deployment can take the request: the upstream stage moves on to the
    // group's fallbacks (the stages between still see the group's first deployment).
    ctx.upstreamBody = picked === null ? null : upstreamBody(ctx, deployment);
    return StageStatus.Continue;
  };
}

/** `stream_options` asking for the usage chunk, as added to a stream request that lacks it. */
const INCLUDE_USAGE = Buffer.from('{"include_usage":true}');
const STREAM_OPTIONS_MEMBER = Buffer.from('"stream_options":{"include_usage":true},');

interface Edit {
  readonly start: number;
  readonly end: number;
  readonly bytes: Buffer;
}

/**
 * The body to send upstream: the client's own buffer when nothing changes, else one copy with
 * every edit spliced in. Edits: the model name when the upstream's differs; for a stream whose
 * client did not ask for usage, `stream_options.include_usage: true`, so the provider reports the
 * tokens the call is priced by (its usage chunk is then kept from the client, see proxy.ts).
 */
export function upstreamBody(ctx: RequestContext, deployment: DeploymentRuntime): Buffer {
  const body = ctx.body.subarray(0, ctx.bodyLength);
  ctx.usageInjected = false;
  // A translated call makes its body from the canonical request at each attempt (translate.ts).
  if (wireFor(ctx, deployment) === Wire.Translated) return body;
  const edits: Edit[] = [];
  const replacement = deployment.upstreamModelJson ?? jsonStringContents(ctx.upstreamModel);
  const start = ctx.modelStart;
  const end = ctx.modelEnd;
  if (end - start !== replacement.length || body.compare(replacement, 0, replacement.length, start, end) !== 0) {
    edits.push({ start, end, bytes: replacement });
  }
  // Anthropic streams always carry usage (message_start, message_delta): nothing to ask for.
  if (ctx.stream && !ctx.clientWantsUsage && ctx.route.client.wire === 'openai') {
    ctx.usageInjected = true;
    edits.push(includeUsageEdit(ctx, body));
  }
  if (edits.length === 0) return body;
  if (edits.length === 2 && edits[1].start < edits[0].start) edits.reverse();
  let size = body.length;
  for (const edit of edits) size += edit.bytes.length - (edit.end - edit.start);
  const out = Buffer.allocUnsafe(size);
  let from = 0;
  let at = 0;
  for (const edit of edits) {
    at += body.copy(out, at, from, edit.start);
    at += edit.bytes.copy(out, at);
    from = edit.end;
  }
  body.copy(out, at, from);
  return out;
}

/** The edit that makes `stream_options.include_usage` true (the body passed the parse stage). */
function includeUsageEdit(ctx: RequestContext, body: Buffer): Edit {
  if (ctx.streamOptionsStart < 0) {
    // A new first member, right after the body's opening brace.
    let brace = 0;
    while (body[brace] !== 0x7b) brace++;
    return { start: brace + 1, end: brace + 1, bytes: STREAM_OPTIONS_MEMBER };
  }
  const start = ctx.streamOptionsStart;
  const end = ctx.streamOptionsEnd;
  if (body[start] !== 0x7b) return { start, end, bytes: INCLUDE_USAGE }; // null
  const options = JSON.parse(body.toString('utf8', start, end)) as Record<string, unknown>;
  options.include_usage = true;
  return { start, end, bytes: Buffer.from(JSON.stringify(options)) };
}
