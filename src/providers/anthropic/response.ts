/**
 * An Anthropic Messages API answer (https://docs.anthropic.com/en/api/messages) as a canonical
 * chat.completion. Shared with Anthropic models on Vertex AI, which answer in the same format.
 *
 * Contract: pure; throws GatewayError `upstream_bad_response` for a body that is not a message
 * (never returns a half-filled completion).
 *
 * - text blocks are joined into `content` (null when there is none); tool_use blocks become
 *   `tool_calls` with their input as a JSON string; thinking blocks are joined into
 *   `reasoning_content`; other blocks (redacted thinking, server tools) have no OpenAI form.
 * - The one call to the JSON-mode tool (request.ts) is the content instead, finish_reason `stop`.
 * - usage: every input token Anthropic counts (fresh, read from the cache, written to it) is a
 *   prompt token, with the cache read in `cached_tokens` and the cache write in
 *   `cache_creation_tokens`; Anthropic reports no separate reasoning token count.
 */
import { GatewayError } from '../../errors.js';
import type { FinishReason, OpenAIChatCompletion, OpenAIToolCall, OpenAIUsage, UpstreamTarget } from '../types.js';
import { JSON_MODE_TOOL_NAME } from './request.js';
import { isRecord } from './values.js';

/** Anthropic's usage object (message, message_start and message_delta); absent counts are 0. */
export interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}

/** The body of a 2xx answer to a non-streamed call. */
export function chatCompletionFromBody(body: Buffer, target: UpstreamTarget): OpenAIChatCompletion {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new GatewayError('upstream_bad_response', 'anthropic answered with a body that is not JSON');
  }
  return chatCompletionFromMessage(parsed, target.upstreamModel);
}

/** A parsed Messages API `message` object; `fallbackModel` when it names none. */
export function chatCompletionFromMessage(message: unknown, fallbackModel: string): OpenAIChatCompletion {
  if (!isRecord(message) || !Array.isArray(message.content)) {
    throw new GatewayError('upstream_bad_response', 'anthropic answered without a `content` array');
  }
  const read = readContent(message.content);
  const jsonAnswer = jsonModeAnswer(read.toolCalls);
  const completion: OpenAIChatCompletion = {
    id: typeof message.id === 'string' ? message.id : 'msg_unknown',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: typeof message.model === 'string' ? message.model : fallbackModel,
    choices: [{
      index: 0,
      message: {
        role: 'assistant',
        content: jsonAnswer ?? (read.text === '' ? null : read.text),
        ...(jsonAnswer === undefined && read.toolCalls.length > 0 ? { tool_calls: read.toolCalls } : {}),
        ...(read.reasoning !== undefined ? { reasoning_content: read.reasoning } : {}),
      },
      finish_reason: finishReason(stringOrNull(message.stop_reason), jsonAnswer === undefined && read.toolCalls.length > 0),
      logprobs: null,
    }],
  };
  if (isRecord(message.usage)) completion.usage = openAIUsage(message.usage);
  return completion;
}

interface ReadContent {
  text: string;
  toolCalls: OpenAIToolCall[];
  reasoning: string | undefined;
}

function readContent(blocks: unknown[]): ReadContent {
  const read: ReadContent = { text: '', toolCalls: [], reasoning: undefined };
  for (const block of blocks) {
    if (!isRecord(block)) throw new GatewayError('upstream_bad_response', 'anthropic answered with a content block that is not an object');
    if (block.type === 'text') read.text += stringField(block, 'text');
    else if (block.type === 'tool_use') read.toolCalls.push(toolCall(block));
    else if (block.type === 'thinking') read.reasoning = (read.reasoning ?? '') + stringField(block, 'thinking');
  }
  return read;
}

function toolCall(block: Record<string, unknown>): OpenAIToolCall {
  const input = block.input ?? {};
  return {
    id: stringField(block, 'id'),
    type: 'function',
    function: { name: stringField(block, 'name'), arguments: JSON.stringify(input) },
  };
}

/** The JSON text when the answer's only tool call is the JSON-mode tool; else undefined. */
function jsonModeAnswer(toolCalls: readonly OpenAIToolCall[]): string | undefined {
  if (toolCalls.length !== 1 || toolCalls[0].function.name !== JSON_MODE_TOOL_NAME) return undefined;
  return toolCalls[0].function.arguments;
}

/**
 * Anthropic's stop_reason as OpenAI's finish_reason. `tool_use` is `tool_calls` only when the
 * client gets tool calls (the JSON-mode tool's call is content).
 */
export function finishReason(stopReason: string | null, hasToolCalls: boolean): FinishReason {
  switch (stopReason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return hasToolCalls ? 'tool_calls' : 'stop';
    case 'refusal':
      return 'content_filter';
    default:
      // end_turn, stop_sequence, pause_turn
      return 'stop';
  }
}

/** Anthropic's usage as OpenAI's, cache reads and writes counted in the prompt. */
export function openAIUsage(usage: AnthropicUsage): OpenAIUsage {
  const cacheRead = count(usage.cache_read_input_tokens);
  const cacheCreation = count(usage.cache_creation_input_tokens);
  const prompt = count(usage.input_tokens) + cacheRead + cacheCreation;
  const completion = count(usage.output_tokens);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cacheRead, cache_creation_tokens: cacheCreation },
  };
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function stringField(block: Record<string, unknown>, name: string): string {
  const value = block[name];
  if (typeof value !== 'string') throw new GatewayError('upstream_bad_response', `anthropic answered with a ${String(block.type)} block without a string '${name}'`);
  return value;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
