/**
 * A canonical chat request as an Ollama native chat call (`POST /api/chat`).
 *
 * `stream` is always sent (Ollama streams unless told not to). Sampling parameters go into
 * `options`: max_tokens (or max_completion_tokens) → num_predict, temperature, top_p, stop (a
 * list), seed, frequency_penalty, presence_penalty. response_format json_object → `format:
 * "json"`, json_schema → `format: <schema>`. Tools keep OpenAI's function schema. Ollama has no
 * tool_choice: `auto` is its behaviour, `none` sends no tools, `required` or a named function is
 * refused (unsupported_param) unless drop_params. reasoning_effort → `think`: `none` → false;
 * low/medium/high → that level for gpt-oss models (the ones that take levels), true for others.
 */
import { jsonBody } from '../http.js';
import { refuse, refuseUnsupported } from '../params.js';
import { functionTool, setIfGiven, setSamplingParams, unknownResponseFormat, type SamplingNames } from '../request-fields.js';
import type { OpenAIChatRequest, OpenAIResponseFormat, UpstreamRequest, UpstreamTarget } from '../types.js';
import { ollamaEndpoint } from './http.js';
import { ollamaMessages } from './messages.js';
import { NATIVE_OPTIONS, UNSUPPORTED_CHAT_PARAMS } from './params.js';

/** Ollama's option names (its Modelfile parameters). */
const SAMPLING_NAMES: SamplingNames = { maxTokens: 'num_predict', topP: 'top_p', stop: 'stop' };

export function ollamaChatRequest(req: OpenAIChatRequest, target: UpstreamTarget): UpstreamRequest {
  refuseUnsupported(req, UNSUPPORTED_CHAT_PARAMS, target, 'Ollama');
  const body: Record<string, unknown> = { model: target.upstreamModel, messages: ollamaMessages(req.messages) };
  const tools = toolsFor(req, target);
  if (tools !== null) body.tools = tools;
  const format = formatOf(req.response_format ?? null);
  if (format !== null) body.format = format;
  const options = optionsOf(req);
  if (Object.keys(options).length > 0) body.options = options;
  const think = thinkOf(req, target.upstreamModel);
  if (think !== null) body.think = think;
  setIfGiven(body, 'keep_alive', req.keep_alive);
  body.stream = target.stream;
  const endpoint = ollamaEndpoint(target.deployment);
  return { path: endpoint.chatPath, headerBlock: endpoint.headerBlock, body: jsonBody(body) };
}

function toolsFor(req: OpenAIChatRequest, target: UpstreamTarget): Record<string, unknown>[] | null {
  const tools = req.tools ?? null;
  if (tools === null || tools.length === 0) return null;
  const choice = req.tool_choice ?? 'auto';
  if (choice === 'none') return null;
  if (choice !== 'auto') refuse('tool_choice', target, 'Ollama', 'it cannot be made to call a tool, so tool_choice must be auto or none');
  return tools.map(functionTool);
}

function formatOf(format: OpenAIResponseFormat | null): string | Record<string, unknown> | null {
  if (format === null || format.type === 'text') return null;
  if (format.type === 'json_object') return 'json';
  if (format.type === 'json_schema') return format.json_schema?.schema ?? 'json';
  throw unknownResponseFormat(format);
}

function optionsOf(req: OpenAIChatRequest): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  setSamplingParams(options, req, SAMPLING_NAMES);
  for (const name of NATIVE_OPTIONS) setIfGiven(options, name, req[name]);
  return options;
}

const THINK_LEVELS: ReadonlySet<string> = new Set(['low', 'medium', 'high']);

/** `think` from a native `think` in the request, else from reasoning_effort; null leaves the model's default. */
function thinkOf(req: OpenAIChatRequest, model: string): boolean | string | null {
  if (typeof req.think === 'boolean' || typeof req.think === 'string') return req.think;
  const effort = req.reasoning_effort;
  if (typeof effort !== 'string' || effort === '') return null;
  if (effort === 'none') return false;
  return model.startsWith('gpt-oss') && THINK_LEVELS.has(effort) ? effort : true;
}
