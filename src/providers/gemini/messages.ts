/**
 * Canonical chat messages as Gemini `contents` and `systemInstruction`.
 *
 * - system and developer messages, wherever they stand, become the system instruction (Gemini has
 *   one, outside the turns), in order;
 * - user messages become `user` turns (text, images, audio, files);
 * - assistant messages become `model` turns: their text, then one functionCall part per tool call
 *   (with the thought signature the call's id carries, see tool-ids.ts);
 * - tool (and legacy function) messages become functionResponse parts in a `user` turn, named after
 *   the tool call they answer, with the result as `{"content": <text>}` (LiteLLM's shape);
 * - consecutive turns of one role are merged into one (consecutive tool results become one turn,
 *   as Gemini expects all answers to one model turn's calls together).
 *
 * Throws GatewayError('invalid_body') for a message it cannot translate, naming it.
 */
import { GatewayError } from '../../errors.js';
import type { OpenAIContentPart, OpenAIMessage, OpenAIToolCall } from '../types.js';
import { audioPart, urlPart } from './media.js';
import { signatureInToolCallId } from './tool-ids.js';
import type { GeminiContent, GeminiPart } from './wire.js';

export interface GeminiTurns {
  contents: GeminiContent[];
  systemInstruction?: { parts: GeminiPart[] };
}

export function geminiTurns(messages: readonly OpenAIMessage[]): GeminiTurns {
  const contents: GeminiContent[] = [];
  const system: GeminiPart[] = [];
  /** Function name of every tool call seen so far, by id: tool results name the function they answer. */
  const callNames = new Map<string, string>();
  messages.forEach((message, i) => {
    const param = `messages[${i}]`;
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(...textParts(message.content, param));
        return;
      case 'user':
        appendTurn(contents, 'user', userParts(message.content, param));
        return;
      case 'assistant':
        appendTurn(contents, 'model', assistantParts(message, param, callNames));
        return;
      case 'tool':
      case 'function':
        appendTurn(contents, 'user', [functionResponsePart(message, param, callNames)]);
        return;
      default:
        throw new GatewayError('invalid_body', `${param}.role '${String(message.role)}' is not a chat role`, { param: `${param}.role` });
    }
  });
  return system.length > 0 ? { contents, systemInstruction: { parts: system } } : { contents };
}

/** Adds parts as a turn, merged into the previous turn when it has the same role; no empty turns. */
function appendTurn(contents: GeminiContent[], role: GeminiContent['role'], parts: GeminiPart[]): void {
  if (parts.length === 0) return;
  const last = contents[contents.length - 1];
  if (last !== undefined && last.role === role) last.parts.push(...parts);
  else contents.push({ role, parts });
}

/** Text of a system message: a string or text parts (other parts cannot go in an instruction). */
function textParts(content: OpenAIMessage['content'], param: string): GeminiPart[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  return content.map((part, j) => {
    if (part.type !== 'text' || typeof part.text !== 'string') {
      throw new GatewayError('invalid_body', `${param}.content[${j}] must be a text part here`, { param: `${param}.content` });
    }
    return { text: part.text };
  }).filter((part) => part.text !== '');
}

function userParts(content: OpenAIMessage['content'], param: string): GeminiPart[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  if (!Array.isArray(content)) throw new GatewayError('invalid_body', `${param}.content must be a string or a list of parts`, { param: `${param}.content` });
  const parts: GeminiPart[] = [];
  content.forEach((part, j) => {
    const converted = contentPart(part, `${param}.content[${j}]`);
    if (converted !== null) parts.push(converted);
  });
  return parts;
}

/** One OpenAI content part; null for an empty text part (Gemini refuses empty parts). */
function contentPart(part: OpenAIContentPart, param: string): GeminiPart | null {
  switch (part.type) {
    case 'text':
      if (typeof part.text !== 'string') throw new GatewayError('invalid_body', `${param}.text must be a string`, { param });
      return part.text === '' ? null : { text: part.text };
    case 'image_url':
      return urlPart(imageUrl(part.image_url, param), 'image/jpeg', param);
    case 'input_audio': {
      const audio = (part.input_audio ?? {}) as { data?: unknown; format?: unknown };
      return audioPart(audio.data, audio.format, param);
    }
    case 'file':
      return filePart(part.file, param);
    default:
      throw new GatewayError('invalid_body', `${param}.type '${part.type}' cannot be sent to Gemini`, { param });
  }
}

function imageUrl(value: unknown, param: string): string {
  if (typeof value === 'string') return value;
  const url = (value as { url?: unknown } | null)?.url;
  if (typeof url !== 'string') throw new GatewayError('invalid_body', `${param}.image_url.url must be a string`, { param });
  return url;
}

/** OpenAI's file part: `file_data` (a data URL) or `file_id` (a URI Gemini can read). */
function filePart(file: unknown, param: string): GeminiPart {
  const f = (file ?? {}) as { file_data?: unknown; file_id?: unknown; format?: unknown };
  const fallbackMime = typeof f.format === 'string' ? f.format : 'application/pdf';
  if (typeof f.file_data === 'string') return urlPart(f.file_data, fallbackMime, param);
  if (typeof f.file_id === 'string') return urlPart(f.file_id, fallbackMime, param);
  throw new GatewayError('invalid_body', `${param}.file needs file_data or file_id`, { param });
}

function assistantParts(message: OpenAIMessage, param: string, callNames: Map<string, string>): GeminiPart[] {
  const parts = textParts(message.content, param);
  (message.tool_calls ?? []).forEach((call, j) => {
    callNames.set(call.id, call.function.name);
    parts.push(functionCallPart(call, `${param}.tool_calls[${j}]`));
  });
  return parts;
}

function functionCallPart(call: OpenAIToolCall, param: string): GeminiPart {
  const part: GeminiPart = { functionCall: { name: call.function.name, args: callArguments(call.function.arguments, param) } };
  const signature = typeof call.id === 'string' ? signatureInToolCallId(call.id) : undefined;
  if (signature !== undefined) part.thoughtSignature = signature;
  return part;
}

/** A tool call's JSON arguments as the object Gemini takes (`{}` for none). */
function callArguments(text: string | undefined, param: string): Record<string, unknown> {
  if (text === undefined || text.trim() === '') return {};
  let args: unknown;
  try {
    args = JSON.parse(text);
  } catch {
    throw new GatewayError('invalid_body', `${param}.function.arguments is not valid JSON`, { param: `${param}.function.arguments` });
  }
  if (args === null || typeof args !== 'object' || Array.isArray(args)) {
    throw new GatewayError('invalid_body', `${param}.function.arguments must be a JSON object`, { param: `${param}.function.arguments` });
  }
  return args as Record<string, unknown>;
}

function functionResponsePart(message: OpenAIMessage, param: string, callNames: Map<string, string>): GeminiPart {
  const name = (message.tool_call_id !== undefined ? callNames.get(message.tool_call_id) : undefined) ?? message.name;
  if (name === undefined || name === '') {
    throw new GatewayError('invalid_body', `${param}.tool_call_id matches no tool call of an earlier assistant message`, { param: `${param}.tool_call_id` });
  }
  const text = textParts(message.content, param).map((part) => part.text).join('');
  return { functionResponse: { name, response: { content: text } } };
}
