/**
 * A canonical chat request as a Converse / ConverseStream request
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html):
 * `POST /model/{modelId}/converse` (or `/converse-stream`) with
 * `{messages, system, inferenceConfig, toolConfig, additionalModelRequestFields}`.
 *
 * - max_completion_tokens / max_tokens → inferenceConfig.maxTokens; temperature, top_p, stop →
 *   temperature, topP, stopSequences.
 * - tools → toolConfig.tools[].toolSpec {name, description, inputSchema.json}; tool_choice auto →
 *   {auto}, required → {any}, a named function → {tool: {name}}; `none` has no Converse form.
 * - response_format json_object / json_schema → a forced tool (converse.ts); not forced while
 *   Claude thinks, which Anthropic refuses.
 * - What Converse lacks goes in additionalModelRequestFields, for the models that take it, as
 *   LiteLLM does: top_k (Claude: `top_k`; Nova: `inferenceConfig.topK`), `thinking` and
 *   reasoning_effort (Claude: `thinking` with a token budget).
 * - guardrailConfig and performanceConfig in the request are passed through (LiteLLM's names).
 * - OpenAI parameters Converse cannot take are refused (unsupported_param), or left out under
 *   drop_params; `user` is only the gateway's and is never sent.
 *
 * The model family is read from litellm_params.base_model when written (an application inference
 * profile ARN does not name its model), else from the model id.
 */
import { GatewayError } from '../../errors.js';
import type { OpenAIChatRequest, OpenAITool, UpstreamRequest, UpstreamTarget } from '../types.js';
import { JSON_TOOL_NAME } from './converse.js';
import { modelIdOf } from './endpoint.js';
import { converseMessages, type ContentBlock } from './messages.js';
import { bedrockRequest } from './transport.js';

/** OpenAI parameters with no Converse equivalent (`n` above 1 and parallel_tool_calls false are checked apart). */
const UNSUPPORTED_PARAMS = [
  'presence_penalty', 'frequency_penalty', 'seed', 'logit_bias', 'logprobs', 'top_logprobs', 'modalities', 'audio',
  'prediction', 'web_search_options', 'functions', 'function_call',
];
/** Bedrock request fields a client may send as is (LiteLLM's config blocks). */
const PASSED_THROUGH = ['guardrailConfig', 'performanceConfig'];

/** LiteLLM's thinking budgets for reasoning_effort; `minimal` gets Anthropic's smallest budget. */
const THINKING_BUDGET: Readonly<Record<string, number>> = { minimal: 1024, low: 1024, medium: 2048, high: 4096 };
/** Output room left after the thinking budget when the request sets no max_tokens (Anthropic wants max_tokens > budget). */
const ANSWER_TOKENS_AFTER_THINKING = 4096;

type Json = Record<string, unknown>;

export async function converseRequest(req: OpenAIChatRequest, target: UpstreamTarget): Promise<UpstreamRequest> {
  const modelId = modelIdOf(target.upstreamModel);
  const body = await converseBody(req, familyOf(target, modelId), target.dropParams);
  return bedrockRequest(target, modelId, target.stream ? 'converse-stream' : 'converse', Buffer.from(JSON.stringify(body)));
}

export type Family = 'anthropic' | 'nova' | 'other';

function familyOf(target: UpstreamTarget, modelId: string): Family {
  const baseModel = target.deployment.litellmParams.base_model;
  const name = typeof baseModel === 'string' && baseModel !== '' ? baseModel : modelId;
  if (/(^|[./:])anthropic\./.test(name)) return 'anthropic';
  if (/(^|[./:])amazon\.nova/.test(name)) return 'nova';
  return 'other';
}

/** The Converse body (without the model id, which goes in the path). */
export async function converseBody(req: OpenAIChatRequest, family: Family, dropParams: boolean): Promise<Json> {
  refuseUnsupported(req, dropParams);
  if (!Array.isArray(req.messages)) throw new GatewayError('invalid_body', 'messages must be an array.', { param: 'messages' });
  const converted = await converseMessages(req.messages, dropParams);
  const thinking = thinkingOf(req, family, dropParams);
  const body: Json = { messages: converted.messages };
  if (converted.system.length > 0) body.system = converted.system;
  const inferenceConfig = inferenceConfigOf(req, thinking);
  if (Object.keys(inferenceConfig).length > 0) body.inferenceConfig = inferenceConfig;
  const toolConfig = toolConfigOf(req, thinking !== null, dropParams);
  if (toolConfig !== null) body.toolConfig = toolConfig;
  else if (converted.usesTools) {
    throw new GatewayError('invalid_body', 'The messages hold tool calls or tool results but the request has no tools: Bedrock needs the tools that were used.', { param: 'tools' });
  }
  const additional = additionalFieldsOf(req, family, thinking, dropParams);
  if (Object.keys(additional).length > 0) body.additionalModelRequestFields = additional;
  for (const key of PASSED_THROUGH) {
    if (req[key] != null) body[key] = req[key];
  }
  return body;
}

function unsupported(param: string, dropParams: boolean, why = 'Bedrock (Converse) does not take it'): void {
  if (dropParams) return;
  throw new GatewayError('unsupported_param', `Unsupported parameter \`${param}\`: ${why}. Set drop_params: true to leave it out.`, { param });
}

function refuseUnsupported(req: OpenAIChatRequest, dropParams: boolean): void {
  for (const param of UNSUPPORTED_PARAMS) {
    const value = req[param];
    if (value != null && value !== false) unsupported(param, dropParams);
  }
  if (req.n != null && req.n !== 1) unsupported('n', dropParams, 'Bedrock returns one choice');
  if (req.parallel_tool_calls === false) unsupported('parallel_tool_calls', dropParams, 'Converse cannot turn parallel tool calls off');
}

function numberParam(req: OpenAIChatRequest, param: string): number | null {
  const value = req[param];
  if (value == null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new GatewayError('invalid_body', `${param} must be a number.`, { param });
  return value;
}

function inferenceConfigOf(req: OpenAIChatRequest, thinking: Json | null): Json {
  const config: Json = {};
  const maxTokens = numberParam(req, 'max_completion_tokens') ?? numberParam(req, 'max_tokens');
  const budget = typeof thinking?.budget_tokens === 'number' ? thinking.budget_tokens : null;
  if (maxTokens !== null) config.maxTokens = maxTokens;
  else if (budget !== null) config.maxTokens = budget + ANSWER_TOKENS_AFTER_THINKING;
  const temperature = numberParam(req, 'temperature');
  if (temperature !== null) config.temperature = temperature;
  const topP = numberParam(req, 'top_p');
  if (topP !== null) config.topP = topP;
  const stop = stopSequencesOf(req.stop);
  if (stop.length > 0) config.stopSequences = stop;
  return config;
}

/** Converse refuses empty stop sequences, so they are left out. */
function stopSequencesOf(stop: unknown): string[] {
  if (stop == null) return [];
  const list = typeof stop === 'string' ? [stop] : stop;
  if (!Array.isArray(list) || list.some((s) => typeof s !== 'string')) {
    throw new GatewayError('invalid_body', 'stop must be a string or an array of strings.', { param: 'stop' });
  }
  return (list as string[]).filter((s) => s !== '');
}

/** Claude's `thinking` field from `thinking` or reasoning_effort; null when the request asks for none. */
function thinkingOf(req: OpenAIChatRequest, family: Family, dropParams: boolean): Json | null {
  if (req.thinking != null) {
    if (typeof req.thinking !== 'object') throw new GatewayError('invalid_body', 'thinking must be an object.', { param: 'thinking' });
    if (family === 'anthropic') return req.thinking as Json;
    unsupported('thinking', dropParams, 'only Claude models on Bedrock take it');
    return null;
  }
  const effort = req.reasoning_effort;
  if (effort == null || effort === 'none') return null;
  if (family !== 'anthropic') {
    unsupported('reasoning_effort', dropParams, 'only Claude models on Bedrock take it');
    return null;
  }
  const budget = THINKING_BUDGET[effort];
  if (budget === undefined) throw new GatewayError('invalid_body', `reasoning_effort must be one of none, minimal, low, medium, high; got '${effort}'.`, { param: 'reasoning_effort' });
  return { type: 'enabled', budget_tokens: budget };
}

function additionalFieldsOf(req: OpenAIChatRequest, family: Family, thinking: Json | null, dropParams: boolean): Json {
  const fields: Json = {};
  if (thinking !== null) fields.thinking = thinking;
  const topK = numberParam(req, 'top_k');
  if (topK !== null) {
    if (family === 'anthropic') fields.top_k = topK;
    else if (family === 'nova') fields.inferenceConfig = { topK };
    else unsupported('top_k', dropParams, 'only Claude and Nova models on Bedrock take it');
  }
  return fields;
}

function toolConfigOf(req: OpenAIChatRequest, thinking: boolean, dropParams: boolean): Json | null {
  const tools = toolSpecsOf(req.tools, dropParams);
  const jsonTool = jsonToolOf(req);
  if (jsonTool !== null) tools.push(jsonTool);
  if (tools.length === 0) return null;
  const config: Json = { tools };
  if (jsonTool !== null && !thinking) config.toolChoice = { tool: { name: JSON_TOOL_NAME } };
  else if (req.tools != null && req.tool_choice != null) {
    const choice = toolChoiceOf(req.tool_choice, dropParams);
    if (choice !== null) config.toolChoice = choice;
  }
  return config;
}

function toolSpecsOf(tools: OpenAIChatRequest['tools'], dropParams: boolean): ContentBlock[] {
  if (tools == null) return [];
  if (!Array.isArray(tools)) throw new GatewayError('invalid_body', 'tools must be an array.', { param: 'tools' });
  const specs: ContentBlock[] = [];
  tools.forEach((tool: OpenAITool, i) => {
    if (tool?.type !== 'function') {
      unsupported(`tools[${i}].type`, dropParams, `Bedrock takes function tools, not '${String(tool?.type)}'`);
      return;
    }
    if (typeof tool.function?.name !== 'string') throw new GatewayError('invalid_body', `tools[${i}].function.name must be a string.`, { param: `tools[${i}].function.name` });
    specs.push(toolSpec(tool.function.name, tool.function.description, tool.function.parameters));
  });
  return specs;
}

/** A toolSpec; a tool without parameters takes an empty object. Converse refuses an empty description. */
function toolSpec(name: string, description: string | undefined, parameters: Json | undefined): ContentBlock {
  const spec: Json = { name };
  if (typeof description === 'string' && description !== '') spec.description = description;
  spec.inputSchema = { json: parameters ?? { type: 'object', properties: {} } };
  return { toolSpec: spec };
}

function toolChoiceOf(choice: NonNullable<OpenAIChatRequest['tool_choice']>, dropParams: boolean): Json | null {
  if (choice === 'auto') return { auto: {} };
  if (choice === 'required') return { any: {} };
  if (choice === 'none') {
    unsupported('tool_choice', dropParams, "Converse has no tool_choice 'none'");
    return null;
  }
  if (typeof choice === 'object' && choice !== null && typeof choice.function?.name === 'string') return { tool: { name: choice.function.name } };
  throw new GatewayError('invalid_body', "tool_choice must be 'auto', 'required', 'none' or {type: 'function', function: {name}}.", { param: 'tool_choice' });
}

/** The response_format tool; null for text answers. */
function jsonToolOf(req: OpenAIChatRequest): ContentBlock | null {
  const format = req.response_format;
  if (format == null || format.type === 'text') return null;
  if (format.type === 'json_object') {
    return toolSpec(JSON_TOOL_NAME, 'Respond with a JSON object.', { type: 'object', additionalProperties: true, properties: {} });
  }
  if (format.type === 'json_schema') {
    const schema = format.json_schema;
    const description = schema?.description ?? (schema?.name !== undefined ? `Respond with a JSON object: ${schema.name}.` : undefined);
    return toolSpec(JSON_TOOL_NAME, description, schema?.schema ?? { type: 'object', additionalProperties: true, properties: {} });
  }
  throw new GatewayError('invalid_body', "response_format.type must be 'text', 'json_object' or 'json_schema'.", { param: 'response_format' });
}
