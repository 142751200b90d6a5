/**
 * Fields of a canonical request that several adapters read and write alike: optional body fields,
 * sampling parameters, function tools for providers that take OpenAI's tool schema (Cohere,
 * Ollama), the response_format types, and text-only embedding input.
 *
 * Contract: pure; throws GatewayError `invalid_body` (a malformed tool, an unknown
 * response_format type, input that is neither text nor token ids) and `unsupported_param` (token
 * ids for a provider that embeds text only), naming the field.
 */
import { GatewayError } from '../errors.js';
import type { OpenAIChatRequest, OpenAIEmbeddingRequest, OpenAIResponseFormat, OpenAITool } from './types.js';

/** Sets `body[name]` when `value` is given (not null or undefined). */
export function setIfGiven(body: Record<string, unknown>, name: string, value: unknown): void {
  if (value !== undefined && value !== null) body[name] = value;
}

/** The provider's names for the sampling parameters it names otherwise than OpenAI. */
export interface SamplingNames {
  /** max_tokens (or max_completion_tokens). */
  readonly maxTokens: string;
  readonly topP: string;
  /** stop, always sent as a list. */
  readonly stop: string;
}

/** The request's sampling parameters that are given, set on `body` under the provider's names. */
export function setSamplingParams(body: Record<string, unknown>, req: OpenAIChatRequest, names: SamplingNames): void {
  setIfGiven(body, names.maxTokens, req.max_completion_tokens ?? req.max_tokens);
  setIfGiven(body, 'temperature', req.temperature);
  setIfGiven(body, names.topP, req.top_p);
  setIfGiven(body, names.stop, typeof req.stop === 'string' ? [req.stop] : req.stop);
  setIfGiven(body, 'seed', req.seed);
  setIfGiven(body, 'frequency_penalty', req.frequency_penalty);
  setIfGiven(body, 'presence_penalty', req.presence_penalty);
}

/** `tools[index]` in OpenAI's function tool shape: name, and description and parameters when given. */
export function functionTool(tool: OpenAITool, index: number): Record<string, unknown> {
  const fn = tool?.function;
  if (tool?.type !== 'function' || typeof fn?.name !== 'string') {
    throw new GatewayError('invalid_body', `tools[${index}] must be {type: "function", function: {name, …}}`, { param: `tools[${index}]` });
  }
  const definition: Record<string, unknown> = { name: fn.name };
  if (fn.description !== undefined) definition.description = fn.description;
  if (fn.parameters !== undefined) definition.parameters = fn.parameters;
  return { type: 'function', function: definition };
}

/** The error for a response_format whose type is none of OpenAI's. */
export function unknownResponseFormat(format: OpenAIResponseFormat): GatewayError {
  return new GatewayError('invalid_body', `response_format.type '${String((format as { type: unknown }).type)}' is not one of text, json_object, json_schema`, {
    param: 'response_format',
  });
}

/** Embedding input as text (a string, or a list of strings); token ids are refused for a provider that embeds text only. */
export function textInput(input: OpenAIEmbeddingRequest['input'], providerName: string): string | string[] {
  if (typeof input === 'string') return input;
  if (Array.isArray(input) && input.every((item) => typeof item === 'string')) return input as string[];
  if (Array.isArray(input)) {
    throw new GatewayError('unsupported_param', `${providerName} embeds text only: input must be a string or a list of strings, not token ids`, { param: 'input' });
  }
  throw new GatewayError('invalid_body', 'input must be a string or a list of strings', { param: 'input' });
}
