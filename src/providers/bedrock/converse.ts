/**
 * What the Converse request, its whole answer and its stream share: the tool that carries
 * `response_format`, the stop reasons, the token usage, and the completion id.
 *
 * Converse has no JSON mode, so (as LiteLLM does) `response_format` becomes one forced tool whose
 * input schema is the requested schema, and the tool's input comes back as the message content.
 * The tool always has this name, so an answer can be recognised without the request at hand.
 */
import { randomUUID } from 'node:crypto';
import type { FinishReason, OpenAIUsage } from '../types.js';

export const JSON_TOOL_NAME = 'json_tool_call';

/**
 * OpenAI's finish_reason for a Converse `stopReason`
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_MessageStopEvent.html).
 * `answeredWithJsonTool`: the only tool used was the response_format tool, whose input is the
 * answer's content, so the turn ended as a normal stop.
 */
export function finishReasonOf(stopReason: string, answeredWithJsonTool: boolean): FinishReason {
  switch (stopReason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return answeredWithJsonTool ? 'stop' : 'tool_calls';
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content_filter';
    default:
      return 'stop';
  }
}

function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

/**
 * OpenAI usage from a Converse TokenUsage. Bedrock's `inputTokens` leaves out the tokens read from
 * and written to the prompt cache (LiteLLM adds them too), so prompt_tokens is their sum and the
 * details say which part each is. Null when the object is not a usage.
 */
export function usageOf(raw: unknown): OpenAIUsage | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const usage = raw as Record<string, unknown>;
  const input = count(usage.inputTokens);
  const output = count(usage.outputTokens);
  if (input === null || output === null) return null;
  const cacheRead = count(usage.cacheReadInputTokens);
  const cacheWrite = count(usage.cacheWriteInputTokens);
  const prompt = input + (cacheRead ?? 0) + (cacheWrite ?? 0);
  const result: OpenAIUsage = { prompt_tokens: prompt, completion_tokens: output, total_tokens: prompt + output };
  if (cacheRead !== null || cacheWrite !== null) {
    result.prompt_tokens_details = { cached_tokens: cacheRead ?? 0, cache_creation_tokens: cacheWrite ?? 0 };
  }
  return result;
}

/** A completion id in OpenAI's form (Converse answers carry none in the body). */
export function completionId(): string {
  return `chatcmpl-${randomUUID()}`;
}
