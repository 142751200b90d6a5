/**
 * The parameters of a canonical chat request as Gemini's generationConfig, tools and toolConfig.
 *
 * An OpenAI chat parameter Gemini has no counterpart for is refused (../params.ts) — unless it
 * is left at a value that changes nothing (logprobs false, parallel_tool_calls true, modalities
 * ['text']…), or the deployment drops parameters (drop_params), then it is left out. Parameters that only describe the caller (user,
 * metadata, store, prompt_cache_key, safety_identifier) and keys that are no OpenAI parameter
 * (gateway or LiteLLM extras) are not sent. Gemini's own `top_k` and `safety_settings`, which
 * LiteLLM passes on, go as topK and safetySettings.
 *
 * Schemas travel as JSON Schema, untranslated: `parametersJsonSchema` for function parameters and
 * `responseJsonSchema` for json_schema answers. Both take the JSON Schema an OpenAI client writes
 * (additionalProperties, anyOf, $ref/$defs included), where the older `parameters` and
 * `responseSchema` take an OpenAPI subset that refuses several of those keys. Only `$schema` is
 * removed: it is not among the keys Gemini lists as read.
 */
import { GatewayError } from '../../errors.js';
import { refuse, refuseUnsupported, type UnsupportedParams } from '../params.js';
import type { OpenAIChatRequest, OpenAITool, OpenAIToolChoice, UpstreamTarget } from '../types.js';
import { thinkingConfig } from './thinking.js';
import type { GeminiFunctionDeclaration, GeminiGenerateContentRequest, GeminiGenerationConfig, GeminiToolConfig } from './wire.js';

/**
 * OpenAI chat parameters Gemini cannot take, each with the test for a value that changes nothing
 * (so it is accepted and not sent).
 */
const UNSUPPORTED: UnsupportedParams = new Map<string, (value: unknown) => boolean>([
  ['logprobs', (v) => v === false],
  ['top_logprobs', () => false],
  ['logit_bias', () => false],
  ['parallel_tool_calls', (v) => v === true],
  ['functions', () => false],
  ['function_call', () => false],
  ['audio', () => false],
  ['modalities', (v) => Array.isArray(v) && v.every((m) => m === 'text')],
  ['prediction', () => false],
  ['service_tier', (v) => v === 'auto' || v === 'default'],
  ['verbosity', () => false],
  ['web_search_options', () => false],
]);

type RequestParams = Pick<GeminiGenerateContentRequest, 'generationConfig' | 'tools' | 'toolConfig' | 'safetySettings'>;

/** The request's parameters in Gemini's fields (only the fields that are set). */
export function geminiParams(req: OpenAIChatRequest, target: UpstreamTarget, providerName: string): RequestParams {
  refuseUnsupported(req, UNSUPPORTED, target, providerName);
  const out: RequestParams = {};
  const config = generationConfig(req, target, providerName);
  if (Object.keys(config).length > 0) out.generationConfig = config;
  const declarations = functionDeclarations(req.tools, target, providerName);
  if (declarations.length > 0) {
    out.tools = [{ functionDeclarations: declarations }];
    // tool_choice means something only beside tools (as with OpenAI, which refuses it alone).
    const toolConfig = functionCallingConfig(req.tool_choice);
    if (toolConfig !== null) out.toolConfig = toolConfig;
  }
  if (Array.isArray(req.safety_settings)) out.safetySettings = req.safety_settings;
  return out;
}

function generationConfig(req: OpenAIChatRequest, target: UpstreamTarget, providerName: string): GeminiGenerationConfig {
  const config: GeminiGenerationConfig = {};
  const maxTokens = req.max_completion_tokens ?? req.max_tokens;
  if (typeof maxTokens === 'number') config.maxOutputTokens = maxTokens;
  if (typeof req.temperature === 'number') config.temperature = req.temperature;
  if (typeof req.top_p === 'number') config.topP = req.top_p;
  if (typeof req.top_k === 'number') config.topK = req.top_k;
  const stop = typeof req.stop === 'string' ? [req.stop] : req.stop;
  if (Array.isArray(stop) && stop.length > 0) config.stopSequences = stop;
  if (typeof req.n === 'number') config.candidateCount = req.n;
  if (typeof req.seed === 'number') config.seed = req.seed;
  if (typeof req.presence_penalty === 'number') config.presencePenalty = req.presence_penalty;
  if (typeof req.frequency_penalty === 'number') config.frequencyPenalty = req.frequency_penalty;
  Object.assign(config, responseFormat(req.response_format, target, providerName));
  if (typeof req.reasoning_effort === 'string') config.thinkingConfig = thinkingConfig(req.reasoning_effort, target.upstreamModel);
  return config;
}

function responseFormat(format: OpenAIChatRequest['response_format'], target: UpstreamTarget, providerName: string): GeminiGenerationConfig {
  switch (format?.type) {
    case undefined:
    case 'text':
      return {};
    case 'json_object':
      return { responseMimeType: 'application/json' };
    case 'json_schema': {
      const schema = format.json_schema?.schema;
      if (schema === undefined) return { responseMimeType: 'application/json' };
      return { responseMimeType: 'application/json', responseJsonSchema: withoutSchemaKeyword(schema) };
    }
    default:
      refuse('response_format', target, providerName, `type '${String(format?.type)}'`);
      return {};
  }
}

function functionDeclarations(tools: OpenAITool[] | null | undefined, target: UpstreamTarget, providerName: string): GeminiFunctionDeclaration[] {
  const declarations: GeminiFunctionDeclaration[] = [];
  for (const tool of tools ?? []) {
    if (tool.type !== 'function') {
      refuse('tools', target, providerName, `tool type '${String(tool.type)}'`);
      continue;
    }
    const declaration: GeminiFunctionDeclaration = { name: tool.function.name };
    if (tool.function.description !== undefined) declaration.description = tool.function.description;
    if (tool.function.parameters !== undefined) declaration.parametersJsonSchema = withoutSchemaKeyword(tool.function.parameters);
    declarations.push(declaration);
  }
  return declarations;
}

/** tool_choice as functionCallingConfig: auto → AUTO, none → NONE, required → ANY, a named function → ANY with only it allowed. */
function functionCallingConfig(choice: OpenAIToolChoice | null | undefined): GeminiToolConfig | null {
  if (choice === null || choice === undefined) return null;
  if (choice === 'auto') return { functionCallingConfig: { mode: 'AUTO' } };
  if (choice === 'none') return { functionCallingConfig: { mode: 'NONE' } };
  if (choice === 'required') return { functionCallingConfig: { mode: 'ANY' } };
  if (typeof choice === 'object' && typeof choice.function?.name === 'string') {
    return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.function.name] } };
  }
  throw new GatewayError('invalid_body', "tool_choice must be 'auto', 'none', 'required' or a function", { param: 'tool_choice' });
}

function withoutSchemaKeyword(schema: Record<string, unknown>): Record<string, unknown> {
  if (!('$schema' in schema)) return schema;
  const { $schema: _dropped, ...rest } = schema;
  return rest;
}
