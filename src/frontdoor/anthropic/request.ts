/**
 * An Anthropic Messages request (POST /v1/messages, as the @anthropic-ai/sdk and Claude Code send
 * it) as a canonical OpenAI chat request, for deployments whose upstream is not Anthropic.
 * Follows LiteLLM's /v1/messages adapter where it has a rule; the differences are noted here.
 *
 * - system (a string or text blocks) → a leading system message (blocks kept as text parts).
 * - user turns: text → text parts; image (base64 → a data URL, url → the URL) → image_url;
 *   document (base64 → a `file` part with a data URL, plain text → a text part); tool_result
 *   blocks → role `tool` messages, before the rest of the turn (Anthropic puts them first too),
 *   content a string or parts, `is_error` written as an "Error: " prefix (OpenAI has no flag).
 * - assistant turns: text blocks joined → content; tool_use → tool_calls (input as a JSON
 *   string); thinking and redacted_thinking blocks are dropped: their signatures mean nothing to
 *   another provider, and OpenAI-format upstreams refuse unknown message fields.
 * - max_tokens → max_tokens (required, as Anthropic requires it); stop_sequences → stop;
 *   temperature and top_p as they are; metadata.user_id → user. top_k is dropped: OpenAI has no
 *   equivalent (LiteLLM passes it on, and OpenAI refuses it).
 * - tools: custom tools (input_schema → parameters). Anthropic's own tools (any `type` but
 *   `custom`: web_search, web_fetch, code_execution, bash, text_editor, computer…) are refused
 *   naming them: they run on Anthropic's side or have built-in schemas no other provider knows
 *   (LiteLLM turns web_search into web_search_options and passes the others on untranslated).
 * - tool_choice: auto → auto, any → required, none → none, tool → the named function;
 *   disable_parallel_tool_use → parallel_tool_calls false. Both are left out when there are no
 *   tools, as OpenAI refuses them without tools.
 * - stream → stream, with stream_options.include_usage: Anthropic clients always get usage.
 * - thinking → reasoning_effort, see `effortForThinkingBudget`.
 * - Not translated: cache_control hints, service_tier, container, mcp_servers,
 *   context_management, output_format.
 */
import { GatewayError } from '../../errors.js';
import type { OpenAIChatRequest, OpenAIContentPart, OpenAIMessage, OpenAITool, OpenAIToolCall, OpenAIToolChoice } from '../../providers/types.js';
import {
  invalidValue,
  missingField,
  objectAt,
  optionalArray,
  optionalBoolean,
  optionalNumber,
  optionalObject,
  optionalString,
  parseBody,
  pathOf,
  requiredArray,
  requiredObject,
  requiredString,
  wrongType,
  type JsonObject,
} from '../read.js';
import { chatFunctionTool } from '../tools.js';

/** How a failed tool run is told apart in a role `tool` message, which has no error flag. */
const TOOL_ERROR_NOTE = 'Error';

export function chatRequestFromAnthropic(body: Buffer): OpenAIChatRequest {
  const request = parseBody(body);
  const chat: OpenAIChatRequest = {
    model: requiredString(request, 'model'),
    messages: [...systemMessages(request.system), ...conversation(requiredArray(request, 'messages'))],
    max_tokens: maxTokens(request),
  };
  const temperature = optionalNumber(request, 'temperature');
  if (temperature !== undefined) chat.temperature = temperature;
  const topP = optionalNumber(request, 'top_p');
  if (topP !== undefined) chat.top_p = topP;
  const stop = stopSequences(request);
  if (stop !== undefined) chat.stop = stop;
  const user = optionalString(optionalObject(request, 'metadata') ?? {}, 'user_id', 'metadata');
  if (user !== undefined) chat.user = user;
  applyTools(chat, request);
  const thinking = optionalObject(request, 'thinking');
  const effort = thinking === undefined ? undefined : reasoningEffort(thinking);
  if (effort !== undefined) chat.reasoning_effort = effort;
  const stream = optionalBoolean(request, 'stream');
  if (stream !== undefined) chat.stream = stream;
  if (stream === true) chat.stream_options = { include_usage: true };
  return chat;
}

function maxTokens(request: JsonObject): number {
  const value = request.max_tokens;
  if (value === undefined || value === null) throw missingField('max_tokens');
  if (typeof value !== 'number' || !Number.isInteger(value)) throw wrongType('max_tokens', 'an integer', value);
  if (value < 0) throw invalidValue('max_tokens', 'expected an integer of at least 0.');
  return value;
}

function stopSequences(request: JsonObject): string[] | undefined {
  const items = optionalArray(request, 'stop_sequences');
  if (items === undefined || items.length === 0) return undefined;
  return items.map((item, index) => {
    if (typeof item !== 'string') throw wrongType(pathOf('stop_sequences', index), 'a string', item);
    return item;
  });
}

// ---- system and messages ----

function systemMessages(system: unknown): OpenAIMessage[] {
  if (system === undefined || system === null || system === '') return [];
  if (typeof system === 'string') return [{ role: 'system', content: system }];
  if (!Array.isArray(system)) throw wrongType('system', 'a string or an array of text blocks', system);
  if (system.length === 0) return [];
  const parts = system.map((_, index) => {
    const path = pathOf('system', index);
    const block = objectAt(system, index, 'system');
    const type = blockType(block, path);
    if (type !== 'text') throw invalidValue(pathOf(path, 'type'), `expected 'text', but got '${type}'.`);
    return { type: 'text' as const, text: requiredString(block, 'text', path) };
  });
  return [{ role: 'system', content: parts }];
}

function conversation(items: unknown[]): OpenAIMessage[] {
  if (items.length === 0) throw invalidValue('messages', 'at least one message is required.');
  return items.flatMap((_, index) => {
    const path = pathOf('messages', index);
    const message = objectAt(items, index, 'messages');
    const role = requiredString(message, 'role', path);
    const contentPath = pathOf(path, 'content');
    if (role === 'user') return userMessages(message.content, contentPath);
    if (role === 'assistant') return assistantMessages(message.content, contentPath);
    throw invalidValue(pathOf(path, 'role'), `expected 'user' or 'assistant', but got '${role}'.`);
  });
}

/** A message's content: its string, or its blocks (each checked to be an object). */
function contentOf(content: unknown, path: string): string | JsonObject[] {
  if (typeof content === 'string') return content;
  if (content === undefined || content === null) throw missingField(path);
  if (!Array.isArray(content)) throw wrongType(path, 'a string or an array of content blocks', content);
  return content.map((_, index) => objectAt(content, index, path));
}

function blockType(block: JsonObject, path: string): string {
  return requiredString(block, 'type', path);
}

function userMessages(content: unknown, path: string): OpenAIMessage[] {
  const blocks = contentOf(content, path);
  if (typeof blocks === 'string') return [{ role: 'user', content: blocks }];
  if (blocks.length === 0) throw invalidValue(path, 'a user message needs at least one content block.');
  const toolMessages: OpenAIMessage[] = [];
  const parts: OpenAIContentPart[] = [];
  blocks.forEach((block, index) => {
    const blockPath = pathOf(path, index);
    if (blockType(block, blockPath) === 'tool_result') toolMessages.push(toolResultMessage(block, blockPath));
    else parts.push(userPart(block, blockPath));
  });
  return parts.length === 0 ? toolMessages : [...toolMessages, { role: 'user', content: parts }];
}

function userPart(block: JsonObject, path: string): OpenAIContentPart {
  const type = blockType(block, path);
  switch (type) {
    case 'text':
      return { type: 'text', text: requiredString(block, 'text', path) };
    case 'image':
      return { type: 'image_url', image_url: { url: imageUrl(requiredObject(block, 'source', path), pathOf(path, 'source')) } };
    case 'document':
      return documentPart(block, path);
    default:
      throw untranslatable(pathOf(path, 'type'), `'${type}' blocks`);
  }
}

function imageUrl(source: JsonObject, path: string): string {
  const type = requiredString(source, 'type', path);
  if (type === 'base64') return dataUrl(source, path);
  if (type === 'url') return requiredString(source, 'url', path);
  throw untranslatable(pathOf(path, 'type'), `image sources of type '${type}' (only base64 and url are)`);
}

/** A PDF (base64) as OpenAI's `file` part; a plain-text document as its text. */
function documentPart(block: JsonObject, path: string): OpenAIContentPart {
  const sourcePath = pathOf(path, 'source');
  const source = requiredObject(block, 'source', path);
  const type = requiredString(source, 'type', sourcePath);
  if (type === 'text') return { type: 'text', text: requiredString(source, 'data', sourcePath) };
  if (type !== 'base64') throw untranslatable(pathOf(sourcePath, 'type'), `document sources of type '${type}' (only base64 and text are)`);
  const file: Record<string, string> = { file_data: dataUrl(source, sourcePath) };
  const title = optionalString(block, 'title', path);
  if (title !== undefined) file.filename = title;
  return { type: 'file', file };
}

function dataUrl(source: JsonObject, path: string): string {
  return `data:${requiredString(source, 'media_type', path)};base64,${requiredString(source, 'data', path)}`;
}

function toolResultMessage(block: JsonObject, path: string): OpenAIMessage {
  const toolCallId = requiredString(block, 'tool_use_id', path);
  const isError = optionalBoolean(block, 'is_error', path) === true;
  const content = toolResultContent(block.content, pathOf(path, 'content'));
  return { role: 'tool', tool_call_id: toolCallId, content: isError ? withErrorNote(content) : content };
}

/** A tool result's content: a string stays one, blocks become parts (a single text part, its string). */
function toolResultContent(content: unknown, path: string): string | OpenAIContentPart[] {
  if (content === undefined || content === null) return '';
  const blocks = contentOf(content, path);
  if (typeof blocks === 'string') return blocks;
  const parts = blocks.map((block, index) => userPart(block, pathOf(path, index)));
  if (parts.length === 0) return '';
  const only = parts[0];
  return parts.length === 1 && only.type === 'text' ? (only as { text: string }).text : parts;
}

function withErrorNote(content: string | OpenAIContentPart[]): string | OpenAIContentPart[] {
  if (typeof content === 'string') return content === '' ? TOOL_ERROR_NOTE : `${TOOL_ERROR_NOTE}: ${content}`;
  const firstText = content.findIndex((part) => part.type === 'text');
  if (firstText < 0) return [{ type: 'text', text: TOOL_ERROR_NOTE }, ...content];
  return content.map((part, index) =>
    index === firstText ? { type: 'text', text: `${TOOL_ERROR_NOTE}: ${(part as { text: string }).text}` } : part,
  );
}

function assistantMessages(content: unknown, path: string): OpenAIMessage[] {
  const blocks = contentOf(content, path);
  if (typeof blocks === 'string') return [{ role: 'assistant', content: blocks }];
  const texts: string[] = [];
  const toolCalls: OpenAIToolCall[] = [];
  blocks.forEach((block, index) => {
    const blockPath = pathOf(path, index);
    const type = blockType(block, blockPath);
    if (type === 'text') texts.push(requiredString(block, 'text', blockPath));
    else if (type === 'tool_use') toolCalls.push(toolCall(block, blockPath));
    else if (type !== 'thinking' && type !== 'redacted_thinking') throw untranslatable(pathOf(blockPath, 'type'), `'${type}' blocks`);
  });
  // A turn of thinking blocks only (or an empty prefill) leaves nothing to send.
  if (texts.length === 0 && toolCalls.length === 0) return [];
  const message: OpenAIMessage = { role: 'assistant', content: texts.length === 0 ? null : texts.join('') };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return [message];
}

function toolCall(block: JsonObject, path: string): OpenAIToolCall {
  const input = optionalObject(block, 'input', path) ?? {};
  return {
    id: requiredString(block, 'id', path),
    type: 'function',
    function: { name: requiredString(block, 'name', path), arguments: JSON.stringify(input) },
  };
}

function untranslatable(path: string, what: string): GatewayError {
  return invalidValue(path, `${what} cannot be translated for this deployment, whose provider does not speak Anthropic's format.`);
}

// ---- tools ----

function applyTools(chat: OpenAIChatRequest, request: JsonObject): void {
  const items = optionalArray(request, 'tools');
  const tools = items === undefined ? [] : chatTools(items);
  const choiceObject = optionalObject(request, 'tool_choice');
  const choice = choiceObject === undefined ? undefined : toolChoice(choiceObject);
  if (tools.length === 0) return;
  chat.tools = tools;
  if (choice === undefined) return;
  chat.tool_choice = choice.choice;
  if (choice.noParallelCalls) chat.parallel_tool_calls = false;
}

function chatTools(items: unknown[]): OpenAITool[] {
  const tools = items.map((_, index) => objectAt(items, index, 'tools'));
  const anthropicTools = tools.filter((tool) => tool.type !== undefined && tool.type !== null && tool.type !== 'custom');
  if (anthropicTools.length > 0) {
    const names = anthropicTools.map((tool) => `${String(tool.name ?? '(unnamed)')} (${String(tool.type)})`).join(', ');
    throw new GatewayError(
      'invalid_body',
      `Anthropic's own tools cannot be sent to this deployment, whose provider is not Anthropic: ${names}. Only custom tools (name, description, input_schema) translate.`,
      { param: 'tools' },
    );
  }
  return tools.map((tool, index) => chatFunctionTool(tool, pathOf('tools', index), (t, path) => requiredObject(t, 'input_schema', path)));
}

function toolChoice(value: JsonObject): { choice: OpenAIToolChoice; noParallelCalls: boolean } {
  const type = requiredString(value, 'type', 'tool_choice');
  const noParallelCalls = optionalBoolean(value, 'disable_parallel_tool_use', 'tool_choice') === true;
  switch (type) {
    case 'auto':
      return { choice: 'auto', noParallelCalls };
    case 'any':
      return { choice: 'required', noParallelCalls };
    case 'none':
      return { choice: 'none', noParallelCalls };
    case 'tool':
      return { choice: { type: 'function', function: { name: requiredString(value, 'name', 'tool_choice') } }, noParallelCalls };
    default:
      throw invalidValue('tool_choice.type', `expected 'auto', 'any', 'tool' or 'none', but got '${type}'.`);
  }
}

// ---- thinking ----

function reasoningEffort(thinking: JsonObject): string | undefined {
  const type = requiredString(thinking, 'type', 'thinking');
  switch (type) {
    case 'disabled':
      return undefined;
    case 'adaptive':
      // The model picks its own budget; LiteLLM's stand-in is medium.
      return 'medium';
    case 'enabled': {
      const budget = optionalNumber(thinking, 'budget_tokens', 'thinking');
      if (budget === undefined) throw missingField('thinking.budget_tokens');
      return effortForThinkingBudget(budget);
    }
    default:
      throw invalidValue('thinking.type', `expected 'enabled', 'disabled' or 'adaptive', but got '${type}'.`);
  }
}

/**
 * LiteLLM's buckets (reasoning_effort_from_thinking_budget with its default
 * DEFAULT_REASONING_EFFORT_*_THINKING_BUDGET): ≥ 4096 high, ≥ 2048 medium, ≥ 1024 low, else
 * minimal. Newer LiteLLM versions go on to xhigh (≥ 8192) and max (≥ 16384); those stay high
 * here, as most OpenAI-format models refuse them (OpenAI's values end at high for all but a few).
 */
export function effortForThinkingBudget(budgetTokens: number): 'minimal' | 'low' | 'medium' | 'high' {
  if (budgetTokens >= 4096) return 'high';
  if (budgetTokens >= 2048) return 'medium';
  if (budgetTokens >= 1024) return 'low';
  return 'minimal';
}
