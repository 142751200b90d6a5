/**
 * A Responses request's conversation (`instructions` and `input`) as canonical chat messages.
 *
 * - instructions → a leading system message.
 * - input as a string → one user message.
 * - input items, in order:
 *   - messages (`type: message` or no type; role user, system, developer or assistant; content a
 *     string or parts): input_text → text parts; input_image → image_url parts (its image_url,
 *     a URL or data URL; a `file_id` is refused: uploaded files live on OpenAI's side);
 *     input_file with file_data → a `file` part (file_id and file_url are refused). Assistant
 *     messages (the output of an earlier response sent back) keep their output_text and refusal
 *     text. Role developer becomes system: OpenAI-format servers other than OpenAI's (vLLM,
 *     Ollama…) often know no developer role, and OpenAI reads both alike.
 *   - function_call → a tool call of the assistant message just before it (the text the model
 *     wrote with the calls, or the calls before it), else of a new assistant message: chat wants
 *     the calls of one turn in one message.
 *   - function_call_output → a role `tool` message (output a string, or parts as above; a lone
 *     text part becomes its string).
 *   - reasoning items are dropped: their encrypted content means nothing to another provider.
 *   - anything else (item_reference, built-in tool calls and their outputs…) is refused naming
 *     its type: it needs state or tools that only OpenAI has.
 */
import { GatewayError } from '../../errors.js';
import type { OpenAIContentPart, OpenAIImagePart, OpenAIMessage, OpenAITextPart, OpenAIToolCall } from '../../providers/types.js';
import { invalidValue, missingField, objectAt, optionalString, pathOf, requiredString, wrongType, type JsonObject } from '../read.js';

const IMAGE_DETAILS = new Set(['auto', 'low', 'high']);

export function conversationMessages(request: JsonObject): OpenAIMessage[] {
  const messages: OpenAIMessage[] = [];
  const instructions = optionalString(request, 'instructions');
  if (instructions !== undefined && instructions !== '') messages.push({ role: 'system', content: instructions });
  const input = request.input;
  if (input === undefined || input === null) throw missingField('input');
  if (typeof input === 'string') messages.push({ role: 'user', content: input });
  else if (Array.isArray(input)) input.forEach((_, index) => appendItem(messages, objectAt(input, index, 'input'), pathOf('input', index)));
  else throw wrongType('input', 'a string or an array of input items', input);
  if (messages.length === 0) throw invalidValue('input', 'at least one input item is required.');
  return messages;
}

function appendItem(messages: OpenAIMessage[], item: JsonObject, path: string): void {
  const type = optionalString(item, 'type', path) ?? 'message';
  switch (type) {
    case 'message':
      messages.push(messageOf(item, path));
      return;
    case 'function_call':
      appendToolCall(messages, toolCallOf(item, path));
      return;
    case 'function_call_output':
      messages.push(toolMessageOf(item, path));
      return;
    case 'reasoning':
      return;
    default:
      throw untranslatable(pathOf(path, 'type'), `Input items of type '${type}'`);
  }
}

// ---- messages ----

function messageOf(item: JsonObject, path: string): OpenAIMessage {
  const role = requiredString(item, 'role', path);
  const contentPath = pathOf(path, 'content');
  switch (role) {
    case 'user':
      return { role: 'user', content: inputContent(item.content, contentPath) };
    case 'system':
    case 'developer':
      return { role: 'system', content: inputContent(item.content, contentPath) };
    case 'assistant':
      return { role: 'assistant', content: assistantText(item.content, contentPath) };
    default:
      throw invalidValue(pathOf(path, 'role'), `expected 'user', 'assistant', 'system' or 'developer', but got '${role}'.`);
  }
}

/** Content a string, or parts: each checked to be an object. */
function contentItems(content: unknown, path: string): string | JsonObject[] {
  if (typeof content === 'string') return content;
  if (content === undefined || content === null) throw missingField(path);
  if (!Array.isArray(content)) throw wrongType(path, 'a string or an array of content parts', content);
  return content.map((_, index) => objectAt(content, index, path));
}

function inputContent(content: unknown, path: string): string | OpenAIContentPart[] {
  const parts = contentItems(content, path);
  if (typeof parts === 'string') return parts;
  return parts.map((part, index) => inputPart(part, pathOf(path, index)));
}

function inputPart(part: JsonObject, path: string): OpenAIContentPart {
  const type = requiredString(part, 'type', path);
  switch (type) {
    case 'input_text':
      return { type: 'text', text: requiredString(part, 'text', path) };
    case 'input_image':
      return imagePart(part, path);
    case 'input_file':
      return filePart(part, path);
    default:
      throw invalidValue(pathOf(path, 'type'), `expected 'input_text', 'input_image' or 'input_file', but got '${type}'.`);
  }
}

function imagePart(part: JsonObject, path: string): OpenAIImagePart {
  refuseUploadedFile(part, path);
  const url = optionalString(part, 'image_url', path);
  if (url === undefined) throw missingField(pathOf(path, 'image_url'));
  const image: OpenAIImagePart['image_url'] = { url };
  const detail = optionalString(part, 'detail', path);
  if (detail !== undefined && IMAGE_DETAILS.has(detail)) image.detail = detail as 'auto' | 'low' | 'high';
  return { type: 'image_url', image_url: image };
}

function filePart(part: JsonObject, path: string): OpenAIContentPart {
  refuseUploadedFile(part, path);
  if (optionalString(part, 'file_url', path) !== undefined) throw untranslatable(pathOf(path, 'file_url'), 'Files given by URL');
  const data = optionalString(part, 'file_data', path);
  if (data === undefined) throw missingField(pathOf(path, 'file_data'));
  const file: Record<string, string> = { file_data: data };
  const filename = optionalString(part, 'filename', path);
  if (filename !== undefined) file.filename = filename;
  return { type: 'file', file };
}

function refuseUploadedFile(part: JsonObject, path: string): void {
  if (optionalString(part, 'file_id', path) === undefined) return;
  throw untranslatable(pathOf(path, 'file_id'), "Files uploaded to OpenAI ('file_id')");
}

/** An assistant message's text: its string, or its output_text and refusal parts joined. */
function assistantText(content: unknown, path: string): string {
  const parts = contentItems(content, path);
  if (typeof parts === 'string') return parts;
  return parts.map((part, index) => assistantPartText(part, pathOf(path, index))).join('');
}

function assistantPartText(part: JsonObject, path: string): string {
  const type = requiredString(part, 'type', path);
  switch (type) {
    case 'output_text':
    case 'input_text':
      return requiredString(part, 'text', path);
    case 'refusal':
      return requiredString(part, 'refusal', path);
    default:
      throw invalidValue(pathOf(path, 'type'), `expected 'output_text' or 'refusal', but got '${type}'.`);
  }
}

// ---- function calls ----

function toolCallOf(item: JsonObject, path: string): OpenAIToolCall {
  return {
    id: requiredString(item, 'call_id', path),
    type: 'function',
    function: { name: requiredString(item, 'name', path), arguments: requiredString(item, 'arguments', path) },
  };
}

function appendToolCall(messages: OpenAIMessage[], call: OpenAIToolCall): void {
  const last = messages[messages.length - 1];
  if (last?.role === 'assistant') {
    last.tool_calls = [...(last.tool_calls ?? []), call];
    // A turn of calls only has no text: chat writes that as null content.
    if (last.content === '') last.content = null;
    return;
  }
  messages.push({ role: 'assistant', content: null, tool_calls: [call] });
}

function toolMessageOf(item: JsonObject, path: string): OpenAIMessage {
  const callId = requiredString(item, 'call_id', path);
  return { role: 'tool', tool_call_id: callId, content: loneTextAsString(inputContent(item.output, pathOf(path, 'output'))) };
}

/** One text part as its string: what every chat server takes in a tool message. */
function loneTextAsString(content: string | OpenAIContentPart[]): string | OpenAIContentPart[] {
  if (typeof content === 'string' || content.length !== 1 || content[0].type !== 'text') return content;
  return (content[0] as OpenAITextPart).text;
}

function untranslatable(path: string, what: string): GatewayError {
  return invalidValue(path, `${what} cannot be translated for this model, whose provider is not OpenAI.`);
}
