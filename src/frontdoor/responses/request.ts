/**
 * An OpenAI Responses request (POST /v1/responses, https://platform.openai.com/docs/api-reference/responses/create)
 * as a canonical chat request, for deployments whose provider is not OpenAI itself (those get the
 * client's bytes). The conversation (`instructions`, `input`) is read in input.ts; here the rest:
 *
 * - max_output_tokens → max_tokens; temperature, top_p and user as they are.
 * - tools: function tools (name, description, parameters and strict at the top level) → chat
 *   function tools. OpenAI's built-in tools (web_search, file_search, code_interpreter, computer
 *   use, image generation, mcp, shell, custom grammar tools…) run on OpenAI's side or have
 *   schemas no other provider knows: refused naming them.
 * - tool_choice: none/auto/required as they are, {type: function, name} → the named function;
 *   allowed_tools and built-in tool choices are refused. tool_choice and parallel_tool_calls
 *   are left out without tools, as chat upstreams refuse them then.
 * - text.format: json_object → response_format json_object; json_schema (name, schema, strict,
 *   description) → response_format json_schema; text → nothing. text.verbosity is dropped.
 * - reasoning.effort → reasoning_effort; reasoning.summary is dropped (no summaries come back).
 * - stream → stream, with stream_options.include_usage: response.completed always has usage.
 * - State kept on OpenAI's side cannot be served: previous_response_id, conversation, a stored
 *   `prompt` template and background mode are refused (400 invalid_body naming the field).
 *   `store` is accepted and ignored: nothing is stored, so the response cannot be retrieved.
 * - Accepted and ignored: metadata, include, truncation, service_tier, safety_identifier,
 *   prompt_cache_key, prompt_cache_retention, max_tool_calls, top_logprobs, stream_options.
 */
import { GatewayError } from '../../errors.js';
import type { OpenAIChatRequest, OpenAIResponseFormat, OpenAITool, OpenAIToolChoice } from '../../providers/types.js';
import {
  invalidValue,
  objectAt,
  optionalArray,
  optionalBoolean,
  optionalNumber,
  optionalObject,
  optionalString,
  parseBody,
  pathOf,
  requiredObject,
  requiredString,
  wrongType,
  type JsonObject,
} from '../read.js';
import { chatFunctionTool } from '../tools.js';
import { conversationMessages } from './input.js';

/** Fields that need state kept by OpenAI, and what to do instead. */
const STATEFUL_FIELDS: Readonly<Record<string, string>> = {
  previous_response_id: 'send the whole conversation in `input` instead',
  conversation: 'send the whole conversation in `input` instead',
  prompt: 'send the prompt in `instructions` and `input` instead',
};

export function chatRequestFromResponses(body: Buffer): OpenAIChatRequest {
  const request = parseBody(body);
  refuseStatefulFields(request);
  const chat: OpenAIChatRequest = { model: requiredString(request, 'model'), messages: conversationMessages(request) };
  const maxOutputTokens = optionalInteger(request, 'max_output_tokens');
  if (maxOutputTokens !== undefined) chat.max_tokens = maxOutputTokens;
  const temperature = optionalNumber(request, 'temperature');
  if (temperature !== undefined) chat.temperature = temperature;
  const topP = optionalNumber(request, 'top_p');
  if (topP !== undefined) chat.top_p = topP;
  const user = optionalString(request, 'user');
  if (user !== undefined) chat.user = user;
  applyTools(chat, request);
  const responseFormat = responseFormatOf(optionalObject(request, 'text'));
  if (responseFormat !== undefined) chat.response_format = responseFormat;
  const effort = optionalString(optionalObject(request, 'reasoning') ?? {}, 'effort', 'reasoning');
  if (effort !== undefined) chat.reasoning_effort = effort;
  const stream = optionalBoolean(request, 'stream');
  if (stream !== undefined) chat.stream = stream;
  if (stream === true) chat.stream_options = { include_usage: true };
  return chat;
}

function refuseStatefulFields(request: JsonObject): void {
  for (const [field, instead] of Object.entries(STATEFUL_FIELDS)) {
    const value = request[field];
    if (value === undefined || value === null) continue;
    throw new GatewayError(
      'invalid_body',
      `'${field}' is not supported for this model: its provider is not OpenAI, and the gateway keeps no responses or conversations; ${instead}.`,
      { param: field },
    );
  }
  if (optionalBoolean(request, 'background') === true) {
    throw new GatewayError('invalid_body', "'background' is not supported for this model: its provider is not OpenAI, and the gateway keeps no responses to poll.", {
      param: 'background',
    });
  }
}

function optionalInteger(object: JsonObject, key: string): number | undefined {
  const value = optionalNumber(object, key);
  if (value !== undefined && !Number.isInteger(value)) throw wrongType(key, 'an integer', value);
  return value;
}

// ---- tools ----

function applyTools(chat: OpenAIChatRequest, request: JsonObject): void {
  const items = optionalArray(request, 'tools');
  const tools = items === undefined ? [] : chatTools(items);
  const choice = request.tool_choice === undefined || request.tool_choice === null ? undefined : toolChoice(request.tool_choice);
  const parallelToolCalls = optionalBoolean(request, 'parallel_tool_calls');
  if (tools.length === 0) return;
  chat.tools = tools;
  if (choice !== undefined) chat.tool_choice = choice;
  if (parallelToolCalls !== undefined) chat.parallel_tool_calls = parallelToolCalls;
}

function chatTools(items: unknown[]): OpenAITool[] {
  const tools = items.map((_, index) => objectAt(items, index, 'tools'));
  const builtIn = tools.filter((tool) => tool.type !== 'function');
  if (builtIn.length > 0) {
    const names = builtIn.map((tool) => String(tool.type ?? '(no type)')).join(', ');
    throw new GatewayError(
      'invalid_body',
      `OpenAI's built-in tools cannot be sent to this model, whose provider is not OpenAI: ${names}. Only function tools (type 'function') translate.`,
      { param: 'tools' },
    );
  }
  return tools.map((tool, index) => chatFunctionTool(tool, pathOf('tools', index), (t, path) => optionalObject(t, 'parameters', path)));
}

function toolChoice(value: unknown): OpenAIToolChoice {
  if (value === 'none' || value === 'auto' || value === 'required') return value;
  if (typeof value === 'string') throw invalidValue('tool_choice', `expected 'none', 'auto', 'required' or an object, but got '${value}'.`);
  if (typeof value !== 'object' || Array.isArray(value)) throw wrongType('tool_choice', 'a string or an object', value);
  const choice = value as JsonObject;
  const type = requiredString(choice, 'type', 'tool_choice');
  if (type === 'function') return { type: 'function', function: { name: requiredString(choice, 'name', 'tool_choice') } };
  throw invalidValue('tool_choice.type', `'${type}' cannot be translated for this model, whose provider is not OpenAI; use 'none', 'auto', 'required' or a function.`);
}

// ---- text format ----

function responseFormatOf(text: JsonObject | undefined): OpenAIResponseFormat | undefined {
  const format = text === undefined ? undefined : optionalObject(text, 'format', 'text');
  if (format === undefined) return undefined;
  const type = requiredString(format, 'type', 'text.format');
  switch (type) {
    case 'text':
      return undefined;
    case 'json_object':
      return { type: 'json_object' };
    case 'json_schema':
      return { type: 'json_schema', json_schema: jsonSchemaOf(format) };
    default:
      throw invalidValue('text.format.type', `expected 'text', 'json_object' or 'json_schema', but got '${type}'.`);
  }
}

function jsonSchemaOf(format: JsonObject): NonNullable<OpenAIResponseFormat['json_schema']> {
  const schema: NonNullable<OpenAIResponseFormat['json_schema']> = {
    name: requiredString(format, 'name', 'text.format'),
    schema: requiredObject(format, 'schema', 'text.format'),
  };
  const description = optionalString(format, 'description', 'text.format');
  if (description !== undefined) schema.description = description;
  const strict = optionalBoolean(format, 'strict', 'text.format');
  if (strict !== undefined) schema.strict = strict;
  return schema;
}
