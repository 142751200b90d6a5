/**
 * The text of an Anthropic `/v1/messages/count_tokens` body (model, messages, and optionally
 * system, tools, tool_choice, thinking) that the gateway counts with its own tokenizer to answer
 * `{"input_tokens": N}`: the system prompt, every message's text (text blocks, tool_use names and
 * inputs as JSON, tool_result contents, thinking, plain-text documents) and each tool's name,
 * description and input_schema as JSON, one piece per line.
 *
 * An estimate: Anthropic's tokenizer is not public and its count adds per-message and tool-use
 * overheads; images and PDFs, whose counts depend on their pixels and pages, count nothing here.
 * Block types it does not know are skipped rather than refused: a count must not fail where the
 * request itself might pass.
 */
import { isObject, optionalArray, parseBody, requiredArray, wrongType, type JsonObject } from '../read.js';

export function textForTokenCount(body: Buffer): string {
  const request = parseBody(body);
  const messages = requiredArray(request, 'messages');
  const pieces: string[] = [...contentText(request.system)];
  messages.forEach((message, index) => {
    if (!isObject(message)) throw wrongType(`messages[${index}]`, 'an object', message);
    pieces.push(...contentText(message.content));
  });
  for (const tool of optionalArray(request, 'tools') ?? []) {
    if (isObject(tool)) pieces.push(...toolText(tool));
  }
  return pieces.join('\n');
}

/** The text pieces of a system prompt or a message's content: a string, or blocks. */
function contentText(content: unknown): string[] {
  if (typeof content === 'string') return content === '' ? [] : [content];
  if (!Array.isArray(content)) return [];
  return content.filter(isObject).flatMap(blockText);
}

function blockText(block: JsonObject): string[] {
  switch (block.type) {
    case 'text':
      return strings(block.text);
    case 'thinking':
      return strings(block.thinking);
    case 'tool_use':
      return [...strings(block.name), JSON.stringify(block.input ?? {})];
    case 'tool_result':
      return contentText(block.content);
    case 'document':
      return isObject(block.source) && block.source.type === 'text' ? strings(block.source.data) : [];
    default:
      return [];
  }
}

function toolText(tool: JsonObject): string[] {
  const schema = tool.input_schema === undefined ? [] : [JSON.stringify(tool.input_schema)];
  return [...strings(tool.name), ...strings(tool.description), ...schema];
}

function strings(value: unknown): string[] {
  return typeof value === 'string' && value !== '' ? [value] : [];
}
