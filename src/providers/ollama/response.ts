/**
 * A whole Ollama chat answer as a canonical chat completion, and the pieces the stream decoder
 * shares: tool calls, finish reasons and usage.
 *
 * `message.content` is the content, `message.thinking` the reasoning_content. Tool calls come
 * with their arguments as an object (made JSON text) and usually without an id (one is made).
 * done_reason `length` is `length`; an answer with tool calls finishes with `tool_calls` (Ollama
 * says `stop`); anything else is `stop`. Usage: prompt_eval_count and eval_count.
 */
import { randomUUID } from 'node:crypto';
import { GatewayError } from '../../errors.js';
import type { FinishReason, OpenAIChatCompletion, OpenAIToolCall, OpenAIUsage, UpstreamTarget } from '../types.js';

export type OllamaObject = Record<string, unknown>;

export function ollamaChatResponse(body: Buffer, target: UpstreamTarget): OpenAIChatCompletion {
  const answer = parseObject(body.toString('utf8'));
  if (answer === null) throw new GatewayError('upstream_bad_response', 'Ollama answered with a body that is not a JSON object');
  const message = answer.message;
  if (!isObject(message)) throw new GatewayError('upstream_bad_response', 'Ollama answered without a message object');
  const toolCalls = Array.isArray(message.tool_calls) ? message.tool_calls.map(toolCallOf) : [];
  const text = typeof message.content === 'string' ? message.content : '';
  const reply: OpenAIChatCompletion['choices'][number]['message'] = { role: 'assistant', content: toolCalls.length > 0 && text === '' ? null : text };
  if (toolCalls.length > 0) reply.tool_calls = toolCalls;
  if (typeof message.thinking === 'string' && message.thinking !== '') reply.reasoning_content = message.thinking;
  const completion: OpenAIChatCompletion = {
    id: newCompletionId(),
    object: 'chat.completion',
    created: createdOf(answer.created_at),
    model: target.upstreamModel,
    choices: [{ index: 0, message: reply, finish_reason: finishReasonOf(answer.done_reason, toolCalls.length > 0), logprobs: null }],
  };
  const usage = usageOf(answer);
  if (usage !== null) completion.usage = usage;
  return completion;
}

export function newCompletionId(): string {
  return `chatcmpl-${randomUUID()}`;
}

/** Seconds since the epoch of Ollama's `created_at` timestamp, else now. */
export function createdOf(createdAt: unknown): number {
  const ms = typeof createdAt === 'string' ? Date.parse(createdAt) : NaN;
  return Math.floor((Number.isFinite(ms) ? ms : Date.now()) / 1000);
}

export function toolCallOf(call: unknown): OpenAIToolCall {
  const fn = isObject(call) && isObject(call.function) ? call.function : null;
  if (fn === null || typeof fn.name !== 'string') throw new GatewayError('upstream_bad_response', 'Ollama answered with a tool call without function.name');
  const args = fn.arguments;
  const id = isObject(call) && typeof call.id === 'string' && call.id !== '' ? call.id : `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
  return { id, type: 'function', function: { name: fn.name, arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}) } };
}

export function finishReasonOf(doneReason: unknown, calledTools: boolean): FinishReason {
  if (calledTools) return 'tool_calls';
  return doneReason === 'length' ? 'length' : 'stop';
}

/** Usage from the counts of a final answer; null when it has neither. */
export function usageOf(answer: OllamaObject): OpenAIUsage | null {
  if (typeof answer.prompt_eval_count !== 'number' && typeof answer.eval_count !== 'number') return null;
  const prompt = count(answer.prompt_eval_count);
  const completion = count(answer.eval_count);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.round(value) : 0;
}

export function parseObject(text: string): OllamaObject | null {
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : null;
  } catch {
    return null;
  }
}

export function isObject(value: unknown): value is OllamaObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
