/**
 * A whole Cohere v2 chat answer as a canonical chat completion, and the pieces the stream decoder
 * shares: finish reasons and usage.
 *
 * Text content items are joined into `content`; `thinking` items and the `tool_plan` (the
 * model's plan before tool calls) become `reasoning_content`. Tool calls keep their shape.
 * Usage is Cohere's `usage.tokens` (what the model processed; `billed_units` can be lower), as
 * LiteLLM reports it. A generation Cohere ended with ERROR or TIMEOUT is an upstream error, not
 * a completion.
 */
import { randomUUID } from 'node:crypto';
import { GatewayError } from '../../errors.js';
import { parseJsonObject } from '../answer.js';
import type { FinishReason, OpenAIChatCompletion, OpenAIToolCall, OpenAIUsage, UpstreamTarget } from '../types.js';

export type CohereObject = Record<string, unknown>;

export function cohereChatResponse(body: Buffer, target: UpstreamTarget): OpenAIChatCompletion {
  const answer = parseJsonObject(body, 'Cohere');
  const message = answer.message;
  if (!isObject(message)) throw new GatewayError('upstream_bad_response', 'Cohere answered without a message object');
  const finishReason = finishReasonOf(answer.finish_reason, errorTextOf(answer));
  const { text, thinking } = contentText(message.content);
  const toolCalls = Array.isArray(message.tool_calls) ? message.tool_calls.map(toolCallOf) : [];
  const reasoning = [typeof message.tool_plan === 'string' ? message.tool_plan : '', thinking].filter((part) => part !== '').join('\n');
  const reply: OpenAIChatCompletion['choices'][number]['message'] = { role: 'assistant', content: toolCalls.length > 0 && text === '' ? null : text };
  if (toolCalls.length > 0) reply.tool_calls = toolCalls;
  if (reasoning !== '') reply.reasoning_content = reasoning;
  const completion: OpenAIChatCompletion = {
    id: completionId(answer.id),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: target.upstreamModel,
    choices: [{ index: 0, message: reply, finish_reason: finishReason, logprobs: null }],
  };
  const usage = usageOf(answer.usage);
  if (usage !== null) completion.usage = usage;
  return completion;
}

/** `chatcmpl-` and Cohere's id when it sent one. */
export function completionId(id: unknown): string {
  return `chatcmpl-${typeof id === 'string' && id !== '' ? id : randomUUID()}`;
}

/** Joined text and thinking of a message's content items. */
function contentText(content: unknown): { text: string; thinking: string } {
  if (typeof content === 'string') return { text: content, thinking: '' };
  let text = '';
  let thinking = '';
  for (const item of Array.isArray(content) ? content : []) {
    if (!isObject(item)) continue;
    if (item.type === 'text' && typeof item.text === 'string') text += item.text;
    else if (item.type === 'thinking' && typeof item.thinking === 'string') thinking += item.thinking;
  }
  return { text, thinking };
}

function toolCallOf(call: unknown): OpenAIToolCall {
  const fn = isObject(call) && isObject(call.function) ? call.function : null;
  if (fn === null || typeof fn.name !== 'string') throw new GatewayError('upstream_bad_response', 'Cohere answered with a tool call without function.name');
  const args = fn.arguments;
  const id = isObject(call) && typeof call.id === 'string' && call.id !== '' ? call.id : `call_${randomUUID().replaceAll('-', '')}`;
  return { id, type: 'function', function: { name: fn.name, arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}) } };
}

/** The canonical finish reason; throws for a generation Cohere reports as failed. */
export function finishReasonOf(reason: unknown, errorText: string | null): FinishReason {
  switch (reason) {
    case 'MAX_TOKENS':
      return 'length';
    case 'TOOL_CALL':
      return 'tool_calls';
    case 'ERROR':
    case 'TIMEOUT':
      throw new GatewayError('upstream_error', `Cohere ended the generation with ${reason}${errorText !== null ? `: ${errorText}` : ''}`);
    default:
      // COMPLETE, STOP_SEQUENCE, and reasons added after this was written
      return 'stop';
  }
}

function errorTextOf(answer: CohereObject): string | null {
  return typeof answer.error === 'string' && answer.error !== '' ? answer.error : null;
}

/** Canonical usage from Cohere's `usage` (`tokens`, else `billed_units`); null when it has neither. */
export function usageOf(usage: unknown): OpenAIUsage | null {
  if (!isObject(usage)) return null;
  const counted = isObject(usage.tokens) ? usage.tokens : isObject(usage.billed_units) ? usage.billed_units : null;
  if (counted === null) return null;
  const prompt = count(counted.input_tokens);
  const completion = count(counted.output_tokens);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.round(value) : 0;
}

export function isObject(value: unknown): value is CohereObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
