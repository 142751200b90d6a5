/**
 * Tokens stage: counts the prompt tokens of every chat request, exactly, from the body's bytes
 * (native tokenizer; OpenAI's per-message formula as LiteLLM applies it). The count feeds rate
 * limits, context-window checks and cost estimates, and is reported as `x-ailb-prompt-tokens`.
 *
 * The encoding is the upstream model's (o200k_base or cl100k_base); models of other families are
 * counted with o200k_base as an estimate. Bodies over INLINE_TOKENIZE_LIMIT are counted in the
 * tokenizer worker pool, so a huge prompt never stalls the event loop: the stage suspends the
 * pipeline and resumes it with the count.
 */
import { GatewayError } from '../../errors.js';
import { countChatTokens, countChatTokensAsync, encodingForModel, INLINE_TOKENIZE_LIMIT } from '../../native/index.js';
import { StageStatus, type RequestContext, type Stage } from '../context.js';

export function createTokensStage(): Stage {
  return function tokens(ctx: RequestContext): StageStatus {
    // Chat bodies with `messages` (OpenAI chat, Anthropic messages); a Responses API body is priced by the provider's usage.
    if (ctx.route.kind !== 'chat' || ctx.route.client.wire === 'openai-responses' || !ctx.runtime.config.ailbSettings.countPromptTokens) return StageStatus.Continue;
    const { encoding, estimate } = encodingForModel(ctx.upstreamModel);
    ctx.promptTokensEstimated = estimate;
    const body = ctx.body.subarray(0, ctx.bodyLength);
    if (body.length <= INLINE_TOKENIZE_LIMIT) {
      ctx.promptTokens = countChatTokens(encoding, body);
      return StageStatus.Continue;
    }
    countChatTokensAsync(encoding, body).then(
      (count) => {
        ctx.promptTokens = count;
        ctx.resume!(null);
      },
      (error: unknown) => ctx.resume!(new GatewayError('internal_error', `Could not count the prompt tokens: ${String(error)}`)),
    );
    return StageStatus.Suspend;
  };
}
