/**
 * OpenAI chat messages as Converse `system` blocks and `messages`
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Message.html).
 *
 * - system and developer messages, wherever they are, become `system` text blocks.
 * - user content: text → `{text}`, image_url → `{image}` (images.ts); other part types are refused
 *   as unsupported (left out under drop_params).
 * - assistant content → `{text}`, tool_calls → `{toolUse: {toolUseId, name, input}}`; an earlier
 *   turn's reasoning_content is not sent back (Converse takes reasoning only with the signature
 *   it came with, which OpenAI messages do not carry).
 * - tool messages → `{toolResult: {toolUseId, content: [{text} | {image}]}}` in a user turn.
 * - Converse wants user and assistant turns to alternate, so consecutive messages of one role
 *   (tool results and the user text after them included) are merged into one turn, as LiteLLM does.
 * - Converse refuses blank text blocks, so empty text is left out, and a turn left empty with it.
 * - `cache_control` on a message or part adds a `{cachePoint: {type: 'default'}}` block after it
 *   (prompt caching, as LiteLLM writes it).
 */
import { GatewayError } from '../../errors.js';
import type { OpenAIContentPart, OpenAIMessage } from '../types.js';
import { imageBlock } from './images.js';

export type ContentBlock = Record<string, unknown>;

export interface ConverseMessage {
  role: 'user' | 'assistant';
  content: ContentBlock[];
}

export interface ConverseMessages {
  system: ContentBlock[];
  messages: ConverseMessage[];
  /** Some message holds a tool call or a tool result (Converse then needs a toolConfig). */
  usesTools: boolean;
}

const CACHE_POINT: ContentBlock = { cachePoint: { type: 'default' } };

export async function converseMessages(messages: readonly OpenAIMessage[], dropParams: boolean): Promise<ConverseMessages> {
  const result: ConverseMessages = { system: [], messages: [], usesTools: false };
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i];
    const where = `messages[${i}]`;
    if (typeof message !== 'object' || message === null) throw invalid(where, 'must be an object');
    switch (message.role) {
      case 'system':
      case 'developer':
        result.system.push(...systemBlocks(message, where));
        break;
      case 'user':
        append(result.messages, 'user', await userBlocks(message, where, dropParams));
        break;
      case 'assistant':
        if ((message.tool_calls ?? []).length > 0) result.usesTools = true;
        append(result.messages, 'assistant', assistantBlocks(message, where));
        break;
      case 'tool':
        result.usesTools = true;
        append(result.messages, 'user', [await toolResultBlock(message, where)]);
        break;
      default:
        throw invalid(`${where}.role`, `'${String(message.role)}' is not a role Bedrock takes (system, developer, user, assistant, tool)`);
    }
  }
  return result;
}

/** Adds `blocks` as a turn of `role`, merged into the last turn when that has the same role. */
function append(turns: ConverseMessage[], role: 'user' | 'assistant', blocks: ContentBlock[]): void {
  if (blocks.length === 0) return;
  const last = turns[turns.length - 1];
  if (last !== undefined && last.role === role) last.content.push(...blocks);
  else turns.push({ role, content: blocks });
}

function hasCacheControl(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { cache_control?: unknown }).cache_control != null;
}

/** The content as parts: a string is one text part; null is none. */
function partsOf(message: OpenAIMessage, where: string): OpenAIContentPart[] {
  const content = message.content;
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) throw invalid(`${where}.content`, 'must be a string, an array of parts or null');
  return content;
}

function textOf(part: OpenAIContentPart, where: string): string {
  const text = (part as { text?: unknown }).text;
  if (typeof text !== 'string') throw invalid(`${where}.text`, 'must be a string');
  return text;
}

/** A text block, or none for blank text. */
function textBlocks(text: string): ContentBlock[] {
  return text.trim() === '' ? [] : [{ text }];
}

function systemBlocks(message: OpenAIMessage, where: string): ContentBlock[] {
  const blocks: ContentBlock[] = [];
  const parts = partsOf(message, where);
  parts.forEach((part, j) => {
    const partWhere = `${where}.content[${j}]`;
    if (part.type !== 'text') throw invalid(`${partWhere}.type`, 'system messages take only text parts');
    blocks.push(...textBlocks(textOf(part, partWhere)));
    if (hasCacheControl(part)) blocks.push(CACHE_POINT);
  });
  if (hasCacheControl(message)) blocks.push(CACHE_POINT);
  return blocks;
}

async function userBlocks(message: OpenAIMessage, where: string, dropParams: boolean): Promise<ContentBlock[]> {
  const blocks: ContentBlock[] = [];
  const parts = partsOf(message, where);
  for (let j = 0; j < parts.length; j++) {
    const part = parts[j];
    const partWhere = `${where}.content[${j}]`;
    const block = await userPartBlocks(part, partWhere, dropParams);
    blocks.push(...block);
    if (block.length > 0 && hasCacheControl(part)) blocks.push(CACHE_POINT);
  }
  if (blocks.length > 0 && hasCacheControl(message)) blocks.push(CACHE_POINT);
  return blocks;
}

async function userPartBlocks(part: OpenAIContentPart, where: string, dropParams: boolean): Promise<ContentBlock[]> {
  if (typeof part !== 'object' || part === null) throw invalid(where, 'must be an object');
  if (part.type === 'text') return textBlocks(textOf(part, where));
  if (part.type === 'image_url') return [await imageBlock(imageUrlOf(part, where), where)];
  if (dropParams) return [];
  throw new GatewayError('unsupported_param', `${where}: Bedrock does not take content parts of type '${String(part.type)}'; set drop_params: true to leave them out.`, { param: `${where}.type` });
}

function imageUrlOf(part: OpenAIContentPart, where: string): string {
  const imageUrl = (part as { image_url?: unknown }).image_url;
  const url = typeof imageUrl === 'string' ? imageUrl : (imageUrl as { url?: unknown } | null | undefined)?.url;
  if (typeof url !== 'string') throw invalid(`${where}.image_url.url`, 'must be a string');
  return url;
}

function assistantBlocks(message: OpenAIMessage, where: string): ContentBlock[] {
  const blocks: ContentBlock[] = [];
  partsOf(message, where).forEach((part, j) => {
    const partWhere = `${where}.content[${j}]`;
    // Assistant turns carry text; a refusal part is text the model wrote.
    if (part.type === 'text') blocks.push(...textBlocks(textOf(part, partWhere)));
    else if (part.type === 'refusal' && typeof part.refusal === 'string') blocks.push(...textBlocks(part.refusal));
    else throw invalid(`${partWhere}.type`, `assistant messages take text parts, not '${String(part.type)}'`);
  });
  (message.tool_calls ?? []).forEach((call, k) => blocks.push(toolUseBlock(call, `${where}.tool_calls[${k}]`)));
  return blocks;
}

function toolUseBlock(call: NonNullable<OpenAIMessage['tool_calls']>[number], where: string): ContentBlock {
  if (typeof call?.id !== 'string' || typeof call.function?.name !== 'string') throw invalid(where, 'needs an id and function.name');
  const args = call.function.arguments;
  let input: unknown = {};
  if (typeof args === 'string' && args.trim() !== '') {
    try {
      input = JSON.parse(args);
    } catch {
      throw invalid(`${where}.function.arguments`, 'must be JSON (Bedrock takes tool input as a JSON value)');
    }
  }
  return { toolUse: { toolUseId: call.id, name: call.function.name, input } };
}

async function toolResultBlock(message: OpenAIMessage, where: string): Promise<ContentBlock> {
  if (typeof message.tool_call_id !== 'string' || message.tool_call_id === '') throw invalid(`${where}.tool_call_id`, 'is required for role tool');
  const content: ContentBlock[] = [];
  const parts = partsOf(message, where);
  for (let j = 0; j < parts.length; j++) {
    const part = parts[j];
    const partWhere = `${where}.content[${j}]`;
    if (part.type === 'text') content.push({ text: textOf(part, partWhere) });
    else if (part.type === 'image_url') content.push(await imageBlock(imageUrlOf(part, partWhere), partWhere));
    else throw invalid(`${partWhere}.type`, `tool results take text and image_url parts, not '${String(part.type)}'`);
  }
  return { toolResult: { toolUseId: message.tool_call_id, content } };
}

function invalid(param: string, what: string): GatewayError {
  return new GatewayError('invalid_body', `${param} ${what}.`, { param });
}
