/**
 * Canonical (OpenAI) messages as Cohere v2 chat messages.
 *
 * Roles map one to one (`developer` is a system message). Content stays a string when it is one;
 * parts become Cohere content items: text as `{type:"text"}`, images as `{type:"image_url"}`
 * (https or data URLs, which Cohere's vision models take as they are). Assistant tool calls keep
 * their OpenAI shape (Cohere v2 uses it); the assistant's `reasoning_content` next to tool calls
 * is sent back as Cohere's `tool_plan`, the form in which the adapter returns it. Tool results
 * keep `tool_call_id` and their content.
 */
import { GatewayError } from '../../errors.js';
import { unsupportedContent } from '../params.js';
import type { OpenAIContentPart, OpenAIMessage, OpenAIToolCall } from '../types.js';

type CohereContentItem = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string; detail?: string } };

export type CohereMessage =
  | { role: 'system' | 'user'; content: string | CohereContentItem[] }
  | { role: 'assistant'; content?: string | CohereContentItem[]; tool_calls?: OpenAIToolCall[]; tool_plan?: string }
  | { role: 'tool'; tool_call_id: string; content: string | CohereContentItem[] };

export function cohereMessages(messages: readonly OpenAIMessage[]): CohereMessage[] {
  if (!Array.isArray(messages)) throw new GatewayError('invalid_body', 'messages must be a list', { param: 'messages' });
  return messages.map((message, i) => cohereMessage(message, `messages[${i}]`));
}

function cohereMessage(message: OpenAIMessage, at: string): CohereMessage {
  switch (message.role) {
    case 'system':
    case 'developer':
      return { role: 'system', content: contentOf(message.content, at, false) ?? '' };
    case 'user':
      return { role: 'user', content: contentOf(message.content, at, true) ?? '' };
    case 'assistant':
      return assistantMessage(message, at);
    case 'tool':
      return toolMessage(message, at);
    default:
      throw unsupportedContent(`${at}.role`, `Cohere takes messages of role system, user, assistant and tool, not '${String(message.role)}' (${at})`);
  }
}

function assistantMessage(message: OpenAIMessage, at: string): CohereMessage {
  const out: { role: 'assistant'; content?: string | CohereContentItem[]; tool_calls?: OpenAIToolCall[]; tool_plan?: string } = { role: 'assistant' };
  const content = contentOf(message.content, at, false);
  const calls = message.tool_calls ?? [];
  if (calls.length > 0) {
    out.tool_calls = calls.map((call, j) => toolCall(call, `${at}.tool_calls[${j}]`));
    if (typeof message.reasoning_content === 'string' && message.reasoning_content !== '') out.tool_plan = message.reasoning_content;
  }
  if (content !== null && content !== '') out.content = content;
  else if (calls.length === 0) out.content = '';
  return out;
}

function toolCall(call: OpenAIToolCall, at: string): OpenAIToolCall {
  if (typeof call?.id !== 'string' || typeof call.function?.name !== 'string') {
    throw new GatewayError('invalid_body', `${at} needs an id and function.name`, { param: at });
  }
  const args = call.function.arguments;
  return { id: call.id, type: 'function', function: { name: call.function.name, arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}) } };
}

function toolMessage(message: OpenAIMessage, at: string): CohereMessage {
  if (typeof message.tool_call_id !== 'string' || message.tool_call_id === '') {
    throw new GatewayError('invalid_body', `${at}.tool_call_id is required for a tool message`, { param: `${at}.tool_call_id` });
  }
  return { role: 'tool', tool_call_id: message.tool_call_id, content: contentOf(message.content, at, false) ?? '' };
}

/** A message's content for Cohere: the string as it is, parts as content items; null stays null. */
function contentOf(content: OpenAIMessage['content'], at: string, imagesAllowed: boolean): string | CohereContentItem[] | null {
  if (content === null || content === undefined) return null;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw new GatewayError('invalid_body', `${at}.content must be a string or a list of parts`, { param: `${at}.content` });
  return content.map((part, j) => contentItem(part, `${at}.content[${j}]`, imagesAllowed));
}

function contentItem(part: OpenAIContentPart, at: string, imagesAllowed: boolean): CohereContentItem {
  if (part.type === 'text' && typeof part.text === 'string') return { type: 'text', text: part.text };
  if (part.type === 'image_url' && imagesAllowed) {
    const image = part.image_url as { url?: unknown; detail?: unknown } | undefined;
    if (typeof image?.url !== 'string') throw new GatewayError('invalid_body', `${at}.image_url.url must be a string`, { param: `${at}.image_url.url` });
    return { type: 'image_url', image_url: typeof image.detail === 'string' ? { url: image.url, detail: image.detail } : { url: image.url } };
  }
  throw unsupportedContent(at, `Cohere does not take content parts of type '${String(part.type)}' here (${at})`);
}
