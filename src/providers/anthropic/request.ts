/**
 * A canonical (OpenAI Chat Completions) request as an Anthropic Messages API body
 * (https://docs.anthropic.com/en/api/messages). Shared with Anthropic models on Vertex AI, which
 * take the same body without `model` and with `anthropic_version` in it.
 *
 * Contract: pure; throws GatewayError `invalid_body` (a message, tool or value that cannot be
 * written for Anthropic, naming where) and `unsupported_param` (an OpenAI parameter Anthropic has
 * no counterpart for, unless the deployment drops such parameters).
 *
 * Choices, after LiteLLM's Anthropic transformation:
 * - system and developer messages, wherever they stand, become the top-level `system` blocks;
 *   `cache_control` on a content part (or on a message: its last block) is kept.
 * - `max_tokens` is required by Anthropic: max_tokens, else max_completion_tokens, else 4096
 *   (LiteLLM's default), or the thinking budget plus 4096 when thinking is on.
 * - JSON mode (`response_format` json_object / json_schema) is LiteLLM's forced tool: a tool named
 *   `json_tool_call` whose input schema is the wanted schema, forced through `tool_choice` (unless
 *   thinking is on, which Anthropic does not allow with a forced tool); the answer's call to it
 *   becomes the message content again (response.ts, stream.ts). This works on every Claude model,
 *   where Anthropic's own structured outputs need a recent model and a beta header. The name is
 *   therefore reserved: a client tool called `json_tool_call` is refused.
 * - reasoning_effort maps to a thinking budget as LiteLLM does (minimal/low 1024, medium 2048,
 *   high 4096; none leaves thinking off); an explicit Anthropic `thinking` object wins.
 * - `user` goes to metadata.user_id, except values that look like an e-mail address or a phone
 *   number, which Anthropic refuses (LiteLLM leaves them out too).
 * - tool_choice and parallel_tool_calls take effect only when the request has tools.
 * - An OpenAI parameter left at a value that changes nothing (n 1, logprobs false, penalties 0)
 *   is accepted; keys that are no OpenAI chat parameter (gateway metadata) are not sent.
 */
import { GatewayError } from '../../errors.js';
import { refuseUnsupported, type UnsupportedParams } from '../params.js';
import { setIfGiven } from '../request-fields.js';
import type { OpenAIChatRequest, OpenAIMessage, OpenAIResponseFormat, UpstreamTarget } from '../types.js';
import { isRecord } from './values.js';

/** The `anthropic-version` header value for the Anthropic API. */
export const ANTHROPIC_VERSION = '2023-06-01';

/** max_tokens when the request sets none (LiteLLM's DEFAULT_ANTHROPIC_CHAT_MAX_TOKENS). */
export const DEFAULT_MAX_TOKENS = 4096;

/** The tool JSON mode forces (LiteLLM's RESPONSE_FORMAT_TOOL_NAME). */
export const JSON_MODE_TOOL_NAME = 'json_tool_call';

/** LiteLLM's reasoning_effort → thinking budget_tokens. */
const THINKING_BUDGETS: ReadonlyMap<string, number> = new Map([['minimal', 1024], ['low', 1024], ['medium', 2048], ['high', 4096]]);

const never = (): boolean => false;

/** OpenAI chat parameters Anthropic cannot take, each with the test for a value that changes nothing. */
const UNSUPPORTED: UnsupportedParams = new Map<string, (value: unknown) => boolean>([
  ['n', (v) => v === 1], ['logprobs', (v) => v === false], ['top_logprobs', never], ['presence_penalty', (v) => v === 0], ['frequency_penalty', (v) => v === 0],
  ['seed', never], ['logit_bias', never], ['functions', never], ['function_call', never],
  ['audio', never], ['modalities', never], ['prediction', never], ['service_tier', never],
  ['web_search_options', never], ['verbosity', never],
]);

export interface AnthropicBodyOptions {
  /** Whether the body names the model (the Anthropic API) or the URL does (Vertex AI). */
  readonly includeModel: boolean;
  /** Written into the body as `anthropic_version` (Vertex AI: `vertex-2023-10-16`). */
  readonly anthropicVersion?: string;
}

type Block = Record<string, unknown>;

interface Turn {
  role: 'user' | 'assistant';
  content: Block[];
}

/** The Messages API body for `req` (as an object; the caller serialises it). */
export function anthropicMessagesBody(req: OpenAIChatRequest, target: UpstreamTarget, options: AnthropicBodyOptions): Record<string, unknown> {
  refuseUnsupported(req, UNSUPPORTED, target, 'anthropic');
  if (!Array.isArray(req.messages)) throw invalid('messages', '`messages` must be an array');
  const thinking = thinkingConfig(req);
  const body: Record<string, unknown> = {};
  if (options.includeModel) body.model = target.upstreamModel;
  if (options.anthropicVersion !== undefined) body.anthropic_version = options.anthropicVersion;
  body.max_tokens = maxTokens(req, thinking);
  const system = systemBlocks(req.messages);
  if (system.length > 0) body.system = system;
  body.messages = conversation(req.messages);
  const stop = stopSequences(req.stop, target.dropParams);
  if (stop !== undefined) body.stop_sequences = stop;
  setIfGiven(body, 'temperature', req.temperature);
  setIfGiven(body, 'top_p', req.top_p);
  setIfGiven(body, 'top_k', req.top_k);
  const userId = metadataUserId(req.user);
  if (userId !== undefined) body.metadata = { user_id: userId };
  if (target.stream) body.stream = true;
  Object.assign(body, toolFields(req, thinking !== undefined && thinking.type !== 'disabled'));
  if (thinking !== undefined) body.thinking = thinking;
  return body;
}

// ---- sampling parameters ----

function maxTokens(req: OpenAIChatRequest, thinking: Record<string, unknown> | undefined): unknown {
  const written = req.max_tokens ?? req.max_completion_tokens;
  if (written !== null && written !== undefined) return written;
  const budget = thinking?.budget_tokens;
  return typeof budget === 'number' ? budget + DEFAULT_MAX_TOKENS : DEFAULT_MAX_TOKENS;
}

/** An explicit Anthropic `thinking` object, else the budget for reasoning_effort, else none. */
function thinkingConfig(req: OpenAIChatRequest): Record<string, unknown> | undefined {
  if (isRecord(req.thinking)) return req.thinking;
  const effort = req.reasoning_effort;
  if (effort === null || effort === undefined || effort === 'none') return undefined;
  const budget = THINKING_BUDGETS.get(effort);
  if (budget === undefined) {
    throw invalid('reasoning_effort', `reasoning_effort '${effort}' is not one of none, minimal, low, medium, high`);
  }
  return { type: 'enabled', budget_tokens: budget };
}

/** stop as a list; whitespace-only sequences, which Anthropic refuses, are left out under drop_params. */
function stopSequences(stop: OpenAIChatRequest['stop'], dropParams: boolean): string[] | undefined {
  if (stop === null || stop === undefined) return undefined;
  const list = typeof stop === 'string' ? [stop] : stop;
  if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) throw invalid('stop', '`stop` must be a string or an array of strings');
  const kept = dropParams ? list.filter((s) => s.trim() !== '') : list;
  return kept.length > 0 ? kept : undefined;
}

const EMAIL = /^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$/;
const PHONE = /^\+?[\d\s()-]{7,}$/;

/** `user` as metadata.user_id, or undefined when it is left out. */
export function metadataUserId(user: unknown): string | undefined {
  if (typeof user !== 'string' || user === '' || EMAIL.test(user) || PHONE.test(user)) return undefined;
  return user;
}

// ---- tools and JSON mode ----

/** `tools` and `tool_choice` from the client's tools, tool_choice, parallel_tool_calls and response_format. */
function toolFields(req: OpenAIChatRequest, thinkingOn: boolean): Record<string, unknown> {
  const written = req.tools ?? [];
  if (!Array.isArray(written)) throw invalid('tools', '`tools` must be an array');
  const tools = written.map((tool, i) => anthropicTool(tool, i));
  let toolChoice = tools.length > 0 ? anthropicToolChoice(req.tool_choice, req.parallel_tool_calls) : undefined;
  const jsonTool = jsonModeTool(req.response_format);
  if (jsonTool !== undefined) {
    tools.push(jsonTool);
    if (!thinkingOn) toolChoice = { type: 'tool', name: JSON_MODE_TOOL_NAME };
  }
  const fields: Record<string, unknown> = {};
  if (tools.length > 0) fields.tools = tools;
  if (toolChoice !== undefined) fields.tool_choice = toolChoice;
  return fields;
}

function anthropicTool(tool: unknown, i: number): Block {
  const fn = isRecord(tool) && tool.type === 'function' && isRecord(tool.function) ? tool.function : null;
  if (fn === null || typeof fn.name !== 'string') throw invalid(`tools[${i}]`, `tools[${i}] must be {"type":"function","function":{"name":…}}`);
  if (fn.name === JSON_MODE_TOOL_NAME) throw invalid(`tools[${i}]`, `the tool name '${JSON_MODE_TOOL_NAME}' is reserved for response_format on anthropic`);
  const out: Block = { name: fn.name };
  if (typeof fn.description === 'string') out.description = fn.description;
  out.input_schema = isRecord(fn.parameters) ? fn.parameters : { type: 'object', properties: {} };
  const cacheControl = (tool as Record<string, unknown>).cache_control ?? fn.cache_control;
  if (cacheControl !== undefined) out.cache_control = cacheControl;
  return out;
}

function anthropicToolChoice(choice: unknown, parallel: unknown): Block | undefined {
  let out: Block | undefined;
  if (choice === 'auto') out = { type: 'auto' };
  else if (choice === 'required') out = { type: 'any' };
  else if (choice === 'none') return { type: 'none' };
  else if (isRecord(choice) && isRecord(choice.function) && typeof choice.function.name === 'string') out = { type: 'tool', name: choice.function.name };
  else if (choice !== null && choice !== undefined) throw invalid('tool_choice', '`tool_choice` must be none, auto, required or {"type":"function","function":{"name":…}}');
  if (typeof parallel === 'boolean') out = { ...(out ?? { type: 'auto' }), disable_parallel_tool_use: !parallel };
  return out;
}

function jsonModeTool(format: OpenAIResponseFormat | null | undefined): Block | undefined {
  if (format === null || format === undefined || format.type === 'text') return undefined;
  if (format.type !== 'json_object' && format.type !== 'json_schema') {
    throw invalid('response_format', `response_format type '${String(format.type)}' is not one of text, json_object, json_schema`);
  }
  const schema = format.type === 'json_schema' ? format.json_schema?.schema : undefined;
  const tool: Block = { name: JSON_MODE_TOOL_NAME };
  if (typeof format.json_schema?.description === 'string') tool.description = format.json_schema.description;
  tool.input_schema = isRecord(schema) ? schema : { type: 'object', additionalProperties: true, properties: {} };
  return tool;
}

// ---- messages ----

/** The text blocks of every system and developer message, in order. */
function systemBlocks(messages: readonly OpenAIMessage[]): Block[] {
  const blocks: Block[] = [];
  messages.forEach((message, i) => {
    if (!isRecord(message)) throw invalid(`messages[${i}]`, `messages[${i}] must be an object`);
    if (message.role !== 'system' && message.role !== 'developer') return;
    const own = textBlocks(message.content, `messages[${i}]`);
    markCache(own, message);
    blocks.push(...own);
  });
  return blocks;
}

/** The user and assistant turns, consecutive turns of one role merged (Anthropic requires alternation). */
function conversation(messages: readonly OpenAIMessage[]): Turn[] {
  const turns: Turn[] = [];
  messages.forEach((message, i) => {
    const where = `messages[${i}]`;
    switch (message.role) {
      case 'system':
      case 'developer':
        return;
      case 'user':
        return addTurn(turns, 'user', markCache(userBlocks(message.content, where), message));
      case 'assistant':
        return addTurn(turns, 'assistant', markCache(assistantBlocks(message, where), message));
      case 'tool':
        return addTurn(turns, 'user', markCache([toolResultBlock(message, where)], message));
      default:
        throw invalid(`${where}.role`, `${where}.role '${String(message.role)}' cannot be sent to anthropic (use system, developer, user, assistant or tool)`);
    }
  });
  return turns;
}

function addTurn(turns: Turn[], role: Turn['role'], content: Block[]): void {
  const last = turns[turns.length - 1];
  if (last !== undefined && last.role === role) last.content.push(...content);
  else turns.push({ role, content });
}

/** A message-level `cache_control` marks the message's last block (LiteLLM's rule). */
function markCache(blocks: Block[], message: OpenAIMessage): Block[] {
  const cacheControl = (message as unknown as Record<string, unknown>).cache_control;
  const last = blocks[blocks.length - 1];
  if (cacheControl !== undefined && last !== undefined && last.cache_control === undefined) last.cache_control = cacheControl;
  return blocks;
}

/** Text-only content (system messages): a string or text parts; empty text is left out. */
function textBlocks(content: OpenAIMessage['content'], where: string): Block[] {
  return contentParts(content, where).map((part, j) => {
    if (part.type !== 'text') throw invalid(`${where}.content[${j}]`, `${where}.content[${j}]: only text parts can go here, not '${String(part.type)}'`);
    return textBlock(part, `${where}.content[${j}]`);
  }).filter((block) => block.text !== '');
}

function userBlocks(content: OpenAIMessage['content'], where: string): Block[] {
  return contentParts(content, where).map((part, j) => mediaOrTextBlock(part, `${where}.content[${j}]`));
}

/** Text (empty text left out: Anthropic refuses it) then one tool_use block per tool call. */
function assistantBlocks(message: OpenAIMessage, where: string): Block[] {
  const blocks = textBlocks(message.content, where);
  const calls = message.tool_calls ?? [];
  if (!Array.isArray(calls)) throw invalid(`${where}.tool_calls`, `${where}.tool_calls must be an array`);
  calls.forEach((call, k) => blocks.push(toolUseBlock(call, `${where}.tool_calls[${k}]`)));
  return blocks;
}

function toolUseBlock(call: unknown, where: string): Block {
  if (!isRecord(call) || typeof call.id !== 'string' || !isRecord(call.function) || typeof call.function.name !== 'string') {
    throw invalid(where, `${where} must have an id and a function name`);
  }
  return { type: 'tool_use', id: call.id, name: call.function.name, input: toolArguments(call.function.arguments, where) };
}

/** The call's arguments (a JSON object in a string; empty means none) as an object. */
function toolArguments(args: unknown, where: string): Record<string, unknown> {
  if (args === undefined || args === null || args === '') return {};
  const param = `${where}.function.arguments`;
  const problem = `${param} must be a JSON object in a string`;
  if (typeof args !== 'string') throw invalid(param, problem);
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    throw invalid(param, `${problem}; it is not valid JSON`);
  }
  if (!isRecord(parsed)) throw invalid(param, problem);
  return parsed;
}

function toolResultBlock(message: OpenAIMessage, where: string): Block {
  if (typeof message.tool_call_id !== 'string') throw invalid(`${where}.tool_call_id`, `${where}: a tool message needs tool_call_id`);
  const block: Block = { type: 'tool_result', tool_use_id: message.tool_call_id };
  if (typeof message.content === 'string') block.content = message.content;
  else if (message.content !== null && message.content !== undefined) block.content = userBlocks(message.content, where);
  return block;
}

function contentParts(content: OpenAIMessage['content'], where: string): Record<string, unknown>[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) throw invalid(`${where}.content`, `${where}.content must be a string, an array of parts or null`);
  return content.map((part, j) => {
    if (!isRecord(part)) throw invalid(`${where}.content[${j}]`, `${where}.content[${j}] must be an object`);
    return part;
  });
}

function textBlock(part: Record<string, unknown>, where: string): Block {
  if (typeof part.text !== 'string') throw invalid(where, `${where}.text must be a string`);
  return withCacheControl({ type: 'text', text: part.text }, part);
}

function withCacheControl(block: Block, part: Record<string, unknown>): Block {
  if (part.cache_control !== undefined) block.cache_control = part.cache_control;
  return block;
}

/** A user (or tool result) content part: text, an image (URL or data URL), or a base64 file. */
function mediaOrTextBlock(part: Record<string, unknown>, where: string): Block {
  switch (part.type) {
    case 'text':
      return textBlock(part, where);
    case 'image_url': {
      const image = part.image_url;
      const url = typeof image === 'string' ? image : isRecord(image) ? image.url : undefined;
      if (typeof url !== 'string') throw invalid(where, `${where}.image_url.url must be a string`);
      return withCacheControl(urlBlock(url, where), part);
    }
    case 'file': {
      const data = isRecord(part.file) ? part.file.file_data : undefined;
      if (typeof data !== 'string') throw invalid(where, `${where}: anthropic takes a file only as file_data (a base64 data URL)`);
      return withCacheControl(urlBlock(data, where), part);
    }
    default:
      throw invalid(where, `${where}: content parts of type '${String(part.type)}' cannot be sent to anthropic`);
  }
}

const DATA_URL = /^data:([^;,]+)(?:;[^;,]*)*;base64,(.*)$/s;

/** An http(s) URL (an image by URL) or a base64 data URL (an image, or a PDF document). */
function urlBlock(url: string, where: string): Block {
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  const match = DATA_URL.exec(url);
  if (match === null) throw invalid(where, `${where}: the URL must be http(s) or a base64 data URL`);
  const mediaType = match[1].toLowerCase();
  const source = { type: 'base64', media_type: mediaType, data: match[2] };
  if (mediaType.startsWith('image/')) return { type: 'image', source };
  if (mediaType === 'application/pdf') return { type: 'document', source };
  throw invalid(where, `${where}: anthropic takes images and PDF documents, not '${mediaType}'`);
}

function invalid(param: string, message: string): GatewayError {
  return new GatewayError('invalid_body', message, { param });
}
