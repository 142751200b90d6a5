/**
 * A canonical chat completion as an Anthropic Message
 * (`{id, type:"message", role:"assistant", model, content, stop_reason, stop_sequence, usage}`),
 * and the pieces the stream encoder shares: ids, stop reasons, usage.
 *
 * - content: thinking (from reasoning_content), then text, then one tool_use per tool call
 *   (input parsed from the arguments), Anthropic's own order. Empty text makes no block:
 *   Anthropic refuses empty text blocks when the client sends the turn back.
 * - stop_reason: stop → end_turn, length → max_tokens, tool_calls (and the legacy
 *   function_call) → tool_use, content_filter → refusal (LiteLLM says end_turn; refusal is
 *   Anthropic's name for it), none → end_turn. A stop sequence is reported as end_turn with
 *   stop_sequence null: the canonical answer does not say which stop ended it.
 * - usage: input_tokens is the prompt less its cached and cache-written parts, which Anthropic
 *   counts apart (cache_read_input_tokens, cache_creation_input_tokens).
 * - id: the upstream's when it starts with `msg_`, else `msg_` + the upstream's.
 */
import { randomUUID } from 'node:crypto';
import { GatewayError } from '../../errors.js';
import type { FinishReason, OpenAIChatCompletion, OpenAIToolCall, OpenAIUsage } from '../../providers/types.js';

export type AnthropicStopReason = 'end_turn' | 'max_tokens' | 'tool_use' | 'refusal';

export interface AnthropicUsage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  output_tokens: number;
}

export type AnthropicContentBlock =
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

export function anthropicMessageFromCompletion(completion: OpenAIChatCompletion): string {
  const choice = completion.choices.find((candidate) => candidate.index === 0) ?? completion.choices[0];
  if (choice === undefined) throw new GatewayError('upstream_bad_response', 'The upstream answer has no choices.');
  const { message } = choice;
  const content: AnthropicContentBlock[] = [];
  if (message.reasoning_content) content.push({ type: 'thinking', thinking: message.reasoning_content, signature: '' });
  if (message.content) content.push({ type: 'text', text: message.content });
  for (const call of message.tool_calls ?? []) content.push(toolUseBlock(call));
  return JSON.stringify({
    id: anthropicMessageId(completion.id),
    type: 'message',
    role: 'assistant',
    model: completion.model,
    content,
    stop_reason: anthropicStopReason(choice.finish_reason),
    stop_sequence: null,
    usage: anthropicUsage(completion.usage),
  });
}

function toolUseBlock(call: OpenAIToolCall): AnthropicContentBlock {
  return { type: 'tool_use', id: call.id || anthropicToolUseId(), name: call.function.name, input: toolInput(call.function.arguments) };
}

/**
 * The tool call's arguments as the object Anthropic's `input` must be. Arguments that are not a
 * JSON object (cut short by max_tokens, or malformed by the model) become `{}` rather than failing
 * the whole answer: its stop_reason (max_tokens) still tells a cut-short call apart.
 */
function toolInput(argumentsJson: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(argumentsJson);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function anthropicMessageId(upstreamId: string): string {
  if (upstreamId.startsWith('msg_')) return upstreamId;
  return `msg_${upstreamId || randomUUID().replaceAll('-', '')}`;
}

/** For a tool call that came without an id (Anthropic ids are `toolu_` + 24 characters). */
export function anthropicToolUseId(): string {
  return `toolu_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
}

export function anthropicStopReason(finishReason: FinishReason | null): AnthropicStopReason {
  switch (finishReason) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}

export function anthropicUsage(usage: OpenAIUsage | null | undefined): AnthropicUsage {
  const cacheRead = usage?.prompt_tokens_details?.cached_tokens ?? 0;
  const cacheCreation = usage?.prompt_tokens_details?.cache_creation_tokens ?? 0;
  return {
    input_tokens: Math.max((usage?.prompt_tokens ?? 0) - cacheRead - cacheCreation, 0),
    cache_creation_input_tokens: cacheCreation,
    cache_read_input_tokens: cacheRead,
    output_tokens: usage?.completion_tokens ?? 0,
  };
}
