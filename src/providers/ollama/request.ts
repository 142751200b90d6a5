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
import { GatewayError } from '../../errors.js';
import type { OpenAIChatRequest, OpenAIResponseFormat, OpenAITool, UpstreamRequest, UpstreamTarget } from '../types.js';
import { ollamaHeaders, ollamaPath } from './http.js';
import { ollamaMessages } from './messages.js';
import { checkUnsupported, NATIVE_OPTIONS, refuse } from './params.js';

export function ollamaChatRequest(req: OpenAIChatRequest, target: UpstreamTarget): UpstreamRequest {
  checkUnsupported(req, target);
  const body: Record<string, unknown> = { model: target.upstreamModel, messages: ollamaMessages(req.messages) };
  const tools = toolsFor(req, target);
  if (tools !== null) body.tools = tools;
  const format = formatOf(req.response_format ?? null);
  if (format !== null) body.format = format;
  const options = optionsOf(req);
  if (Object.keys(options).length > 0) body.options = options;
  const think = thinkOf(req, target.upstreamModel);
  if (think !== null) body.think = think;
  if (req.keep_alive !== undefined && req.keep_alive !== null) body.keep_alive = req.keep_alive;
  body.stream = target.stream;
  return { path: ollamaPath(target.deployment.apiBase, 'chat'), headerBlock: ollamaHeaders(target.deployment), body: Buffer.from(JSON.stringify(body)) };
}

function toolsFor(req: OpenAIChatRequest, target: UpstreamTarget): Record<string, unknown>[] | null {
  const tools = req.tools ?? null;
  if (tools === null || tools.length === 0) return null;
  const choice = req.tool_choice ?? 'auto';
  if (choice === 'none') return null;
  if (choice !== 'auto') refuse('tool_choice', 'Ollama cannot be made to call a tool (tool_choice other than auto or none)', target);
  return tools.map(ollamaTool);
}

function ollamaTool(tool: OpenAITool, i: number): Record<string, unknown> {
  const fn = tool?.function;
  if (tool?.type !== 'function' || typeof fn?.name !== 'string') {
    throw new GatewayError('invalid_body', `tools[${i}] must be {type: "function", function: {name, …}}`, { param: `tools[${i}]` });
  }
  const definition: Record<string, unknown> = { name: fn.name };
  if (fn.description !== undefined) definition.description = fn.description;
  if (fn.parameters !== undefined) definition.parameters = fn.parameters;
  return { type: 'function', function: definition };
}

function formatOf(format: OpenAIResponseFormat | null): string | Record<string, unknown> | null {
  if (format === null || format.type === 'text') return null;
  if (format.type === 'json_object') return 'json';
  if (format.type === 'json_schema') return format.json_schema?.schema ?? 'json';
  throw new GatewayError('invalid_body', `response_format.type '${String((format as { type: unknown }).type)}' is not one of text, json_object, json_schema`, { param: 'response_format' });
}

function optionsOf(req: OpenAIChatRequest): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  const set = (name: string, value: unknown) => {
    if (value !== undefined && value !== null) options[name] = value;
  };
  set('num_predict', req.max_completion_tokens ?? req.max_tokens);
  set('temperature', req.temperature);
  set('top_p', req.top_p);
  set('stop', typeof req.stop === 'string' ? [req.stop] : req.stop);
  set('seed', req.seed);
  set('frequency_penalty', req.frequency_penalty);
  set('presence_penalty', req.presence_penalty);
  for (const name of NATIVE_OPTIONS) set(name, req[name]);
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
