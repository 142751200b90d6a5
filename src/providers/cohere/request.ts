/**
 * A canonical chat request as a Cohere v2 chat call (`POST /v2/chat`).
 *
 * Parameters: max_tokens (or max_completion_tokens) → max_tokens, temperature, top_p → p,
 * stop → stop_sequences, seed, frequency_penalty, presence_penalty, stream (always sent: Cohere
 * requires it). Tools keep OpenAI's function schema; all-strict tools set strict_tools.
 * tool_choice: `required` → REQUIRED, `none` → NONE, `auto` → left out (Cohere's default), a
 * named function → only that tool offered, with REQUIRED. response_format: json_object →
 * `{type:"json_object"}`, json_schema → `{type:"json_object", json_schema: <schema>}`.
 */
import { GatewayError } from '../../errors.js';
import { jsonBody } from '../http.js';
import { refuseUnsupported } from '../params.js';
import { functionTool, setIfGiven, setSamplingParams, unknownResponseFormat, type SamplingNames } from '../request-fields.js';
import type { OpenAIChatRequest, OpenAIResponseFormat, OpenAITool, OpenAIToolChoice, UpstreamRequest, UpstreamTarget } from '../types.js';
import { cohereEndpoint } from './http.js';
import { cohereMessages } from './messages.js';
import { NATIVE_CHAT_PARAMS, UNSUPPORTED_CHAT_PARAMS } from './params.js';

const SAMPLING_NAMES: SamplingNames = { maxTokens: 'max_tokens', topP: 'p', stop: 'stop_sequences' };

export function cohereChatRequest(req: OpenAIChatRequest, target: UpstreamTarget): UpstreamRequest {
  refuseUnsupported(req, UNSUPPORTED_CHAT_PARAMS, target, 'Cohere');
  const body: Record<string, unknown> = { model: target.upstreamModel, messages: cohereMessages(req.messages) };
  Object.assign(body, toolFields(req.tools ?? null, req.tool_choice ?? null));
  const format = responseFormat(req.response_format ?? null);
  if (format !== null) body.response_format = format;
  setSamplingParams(body, req, SAMPLING_NAMES);
  // A native strict_tools does not override the one the tools' own `strict` flags set.
  for (const name of NATIVE_CHAT_PARAMS) if (body[name] === undefined) setIfGiven(body, name, req[name]);
  body.stream = target.stream;
  const endpoint = cohereEndpoint(target.deployment);
  return { path: endpoint.chatPath, headerBlock: endpoint.headerBlock, body: jsonBody(body) };
}

/** tools, tool_choice and strict_tools for the request's tools and tool_choice. */
function toolFields(tools: readonly OpenAITool[] | null, choice: OpenAIToolChoice | null): Record<string, unknown> {
  if (tools === null || tools.length === 0) return {};
  const named = typeof choice === 'object' && choice !== null ? choice.function?.name : undefined;
  const offered = named === undefined ? tools : tools.filter((tool) => tool.function?.name === named);
  if (offered.length === 0) throw new GatewayError('invalid_body', `tool_choice names function '${String(named)}', which is not in tools`, { param: 'tool_choice' });
  const fields: Record<string, unknown> = { tools: offered.map(functionTool) };
  if (named !== undefined || choice === 'required') fields.tool_choice = 'REQUIRED';
  else if (choice === 'none') fields.tool_choice = 'NONE';
  if (offered.every((tool) => tool.function?.strict === true)) fields.strict_tools = true;
  return fields;
}

function responseFormat(format: OpenAIResponseFormat | null): Record<string, unknown> | null {
  if (format === null || format.type === 'text') return null;
  if (format.type === 'json_object') return { type: 'json_object' };
  if (format.type === 'json_schema') {
    const schema = format.json_schema?.schema;
    return schema !== undefined ? { type: 'json_object', json_schema: schema } : { type: 'json_object' };
  }
  throw unknownResponseFormat(format);
}
