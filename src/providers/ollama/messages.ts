/**
 * Canonical (OpenAI) messages as Ollama chat messages (`{role, content, images, thinking,
 * tool_calls, tool_name}`).
 *
 * Ollama's content is one string: text parts are joined as they are (as LiteLLM does). Images go
 * into `images` as bare base64, so an image must come as a base64 data URL; an http(s) image URL
 * is refused (400 unsupported_param): fetching it would be I/O the adapter contract does not
 * allow, and the client can fetch and inline it. Assistant tool calls carry their arguments as an
 * object (Ollama's shape); `reasoning_content` goes back as `thinking`. A tool result names its
 * tool (`tool_name`), found from the assistant tool call its tool_call_id answers.
 */
import { GatewayError } from '../../errors.js';
import { unsupportedContent } from '../params.js';
import type { OpenAIContentPart, OpenAIMessage, OpenAIToolCall } from '../types.js';

export interface OllamaToolCall {
  function: { name: string; arguments: Record<string, unknown> };
}

export interface OllamaMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  images?: string[];
  thinking?: string;
  tool_calls?: OllamaToolCall[];
  tool_name?: string;
}

export function ollamaMessages(messages: readonly OpenAIMessage[]): OllamaMessage[] {
  if (!Array.isArray(messages)) throw new GatewayError('invalid_body', 'messages must be a list', { param: 'messages' });
  const toolNames = new Map<string, string>();
  return messages.map((message, i) => {
    const at = `messages[${i}]`;
    for (const call of message.tool_calls ?? []) {
      if (typeof call?.id === 'string' && typeof call.function?.name === 'string') toolNames.set(call.id, call.function.name);
    }
    return ollamaMessage(message, at, toolNames);
  });
}

function ollamaMessage(message: OpenAIMessage, at: string, toolNames: ReadonlyMap<string, string>): OllamaMessage {
  switch (message.role) {
    case 'system':
    case 'developer':
      return { role: 'system', content: contentOf(message.content, at).text };
    case 'user':
      return userMessage(message, at);
    case 'assistant':
      return assistantMessage(message, at);
    case 'tool':
    case 'function':
      return toolMessage(message, at, toolNames);
    default:
      throw unsupportedContent(`${at}.role`, `Ollama takes messages of role system, user, assistant and tool, not '${String(message.role)}' (${at})`);
  }
}

function userMessage(message: OpenAIMessage, at: string): OllamaMessage {
  const { text, images } = contentOf(message.content, at);
  return images.length > 0 ? { role: 'user', content: text, images } : { role: 'user', content: text };
}

function assistantMessage(message: OpenAIMessage, at: string): OllamaMessage {
  const out: OllamaMessage = { role: 'assistant', content: contentOf(message.content, at).text };
  if (typeof message.reasoning_content === 'string' && message.reasoning_content !== '') out.thinking = message.reasoning_content;
  const calls = message.tool_calls ?? [];
  if (calls.length > 0) out.tool_calls = calls.map((call, j) => toolCall(call, `${at}.tool_calls[${j}]`));
  return out;
}

function toolCall(call: OpenAIToolCall, at: string): OllamaToolCall {
  if (typeof call?.function?.name !== 'string') throw new GatewayError('invalid_body', `${at}.function.name is required`, { param: `${at}.function.name` });
  return { function: { name: call.function.name, arguments: argumentsObject(call.function.arguments, `${at}.function.arguments`) } };
}

/** OpenAI's JSON-text arguments as the object Ollama expects. */
function argumentsObject(args: unknown, at: string): Record<string, unknown> {
  if (args === undefined || args === null || args === '') return {};
  let value: unknown = args;
  if (typeof args === 'string') {
    try {
      value = JSON.parse(args);
    } catch {
      throw new GatewayError('invalid_body', `${at} is not valid JSON`, { param: at });
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new GatewayError('invalid_body', `${at} must be a JSON object`, { param: at });
  return value as Record<string, unknown>;
}

function toolMessage(message: OpenAIMessage, at: string, toolNames: ReadonlyMap<string, string>): OllamaMessage {
  const out: OllamaMessage = { role: 'tool', content: contentOf(message.content, at).text };
  const name = (typeof message.tool_call_id === 'string' ? toolNames.get(message.tool_call_id) : undefined) ?? message.name;
  if (typeof name === 'string' && name !== '') out.tool_name = name;
  return out;
}

/** A message's text (parts joined) and its images as bare base64. */
function contentOf(content: OpenAIMessage['content'], at: string): { text: string; images: string[] } {
  if (content === null || content === undefined) return { text: '', images: [] };
  if (typeof content === 'string') return { text: content, images: [] };
  if (!Array.isArray(content)) throw new GatewayError('invalid_body', `${at}.content must be a string or a list of parts`, { param: `${at}.content` });
  let text = '';
  const images: string[] = [];
  content.forEach((part: OpenAIContentPart, j) => {
    const partAt = `${at}.content[${j}]`;
    if (part.type === 'text' && typeof part.text === 'string') text += part.text;
    else if (part.type === 'image_url') images.push(imageBase64(part.image_url, partAt));
    else throw unsupportedContent(partAt, `Ollama does not take content parts of type '${String(part.type)}' (${partAt})`);
  });
  return { text, images };
}

const DATA_URL = /^data:[^,]*;base64,/i;

function imageBase64(image: unknown, at: string): string {
  const url = typeof image === 'object' && image !== null ? (image as { url?: unknown }).url : undefined;
  if (typeof url !== 'string') throw new GatewayError('invalid_body', `${at}.image_url.url must be a string`, { param: `${at}.image_url.url` });
  const match = DATA_URL.exec(url);
  if (match !== null) return url.slice(match[0].length);
  throw unsupportedContent(
    `${at}.image_url.url`,
    `Ollama takes images only inline: send ${at}.image_url.url as a base64 data URL (data:image/png;base64,…), not a link`,
  );
}
