/**
 * A canonical chat completion as an OpenAI Response object
 * (https://platform.openai.com/docs/api-reference/responses/object), and the pieces the stream
 * encoder shares: ids, output items, status, usage and the response envelope.
 *
 * - output, in OpenAI's order: a `reasoning` item when the answer has reasoning_content (its text
 *   as a reasoning_text content part, no summary), a `message` item with one output_text part,
 *   then one `function_call` item per tool call (call_id the upstream's tool call id). The message
 *   is left out when the answer is only tool calls; an answer with nothing gets an empty message,
 *   so `output_text` and `output[0]` read as they do from OpenAI.
 * - status: finish_reason length → incomplete with incomplete_details.reason max_output_tokens,
 *   content_filter → incomplete with reason content_filter (the last item is then incomplete
 *   too), anything else → completed.
 * - usage: input_tokens and output_tokens are the prompt and completion tokens, cached_tokens
 *   and reasoning_tokens their details (0 when not reported); null when the upstream sent none.
 * - The fields that echo the request are the client format contract's blind spot: only the
 *   completion reaches this writer. The ones the openai SDK's type requires carry neutral values
 *   (instructions, temperature, top_p and metadata null; tools []; tool_choice auto;
 *   parallel_tool_calls true), not what the client sent; optional ones it cannot know (text,
 *   reasoning, max_output_tokens, user) are left out. previous_response_id null, store false and
 *   truncation disabled are true of every translated call. The SDK's `output_text` needs only
 *   `output`.
 * - id: the upstream's when it starts with `resp_`, else `resp_` + the upstream's; item ids are
 *   new (`msg_`, `fc_`, `rs_` + 32 hex digits).
 */
import { randomBytes } from 'node:crypto';
import { GatewayError } from '../../errors.js';
import type { FinishReason, OpenAIChatCompletion, OpenAIToolCall, OpenAIUsage } from '../../providers/types.js';

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete' | 'failed';
export type ItemStatus = 'in_progress' | 'completed' | 'incomplete';

export interface OutputText {
  type: 'output_text';
  text: string;
  annotations: [];
  logprobs: [];
}

export interface ReasoningText {
  type: 'reasoning_text';
  text: string;
}

export interface MessageItem {
  id: string;
  type: 'message';
  status: ItemStatus;
  content: OutputText[];
  role: 'assistant';
}

export interface FunctionCallItem {
  id: string;
  type: 'function_call';
  status: ItemStatus;
  arguments: string;
  call_id: string;
  name: string;
}

export interface ReasoningItem {
  id: string;
  type: 'reasoning';
  status: ItemStatus;
  summary: [];
  content: ReasoningText[];
}

export type OutputItem = MessageItem | FunctionCallItem | ReasoningItem;

export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export interface Outcome {
  status: ResponseStatus;
  incomplete_details: { reason: 'max_output_tokens' | 'content_filter' } | null;
}

/** What the response envelope is made of; the rest are fixed or neutral values. */
export interface ResponseState {
  id: string;
  createdAt: number;
  model: string;
  outcome: Outcome;
  output: OutputItem[];
  usage: ResponsesUsage | null;
  error?: { code: string; message: string } | null;
}

export function responseFromCompletion(completion: OpenAIChatCompletion): string {
  const choice = completion.choices.find((candidate) => candidate.index === 0) ?? completion.choices[0];
  if (choice === undefined) throw new GatewayError('upstream_bad_response', 'The upstream answer has no choices.');
  const { message } = choice;
  const outcome = outcomeOf(choice.finish_reason);
  const output: OutputItem[] = [];
  if (message.reasoning_content) output.push(reasoningItem(message.reasoning_content, 'completed'));
  const toolCalls = message.tool_calls ?? [];
  if (message.content || toolCalls.length === 0) output.push(messageItem(message.content ?? '', 'completed'));
  for (const call of toolCalls) output.push(functionCallItem(call, 'completed'));
  if (outcome.status === 'incomplete') output[output.length - 1].status = 'incomplete';
  const response = responseEnvelope({
    id: responseId(completion.id),
    createdAt: completion.created,
    model: completion.model,
    outcome,
    output,
    usage: responsesUsage(completion.usage),
  });
  return JSON.stringify(response);
}

/** The Response object, with the request-echo fields at neutral values (see the header). */
export function responseEnvelope(state: ResponseState): Record<string, unknown> {
  return {
    id: state.id,
    object: 'response',
    created_at: state.createdAt,
    status: state.outcome.status,
    error: state.error ?? null,
    incomplete_details: state.outcome.incomplete_details,
    instructions: null,
    model: state.model,
    output: state.output,
    parallel_tool_calls: true,
    previous_response_id: null,
    store: false,
    temperature: null,
    tool_choice: 'auto',
    tools: [],
    top_p: null,
    truncation: 'disabled',
    usage: state.usage,
    metadata: null,
  };
}

export function outcomeOf(finishReason: FinishReason | null): Outcome {
  if (finishReason === 'length') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (finishReason === 'content_filter') return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

export function messageItem(text: string, status: ItemStatus, id = itemId('msg')): MessageItem {
  return { id, type: 'message', status, content: [outputText(text)], role: 'assistant' };
}

export function outputText(text: string): OutputText {
  return { type: 'output_text', text, annotations: [], logprobs: [] };
}

export function reasoningItem(text: string, status: ItemStatus, id = itemId('rs')): ReasoningItem {
  return { id, type: 'reasoning', status, summary: [], content: [{ type: 'reasoning_text', text }] };
}

function functionCallItem(call: OpenAIToolCall, status: ItemStatus): FunctionCallItem {
  return {
    id: itemId('fc'),
    type: 'function_call',
    status,
    arguments: call.function.arguments,
    call_id: call.id || itemId('call'),
    name: call.function.name,
  };
}

export function responsesUsage(usage: OpenAIUsage | null | undefined): ResponsesUsage | null {
  if (usage === null || usage === undefined) return null;
  return {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: { cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: usage.completion_tokens,
    output_tokens_details: { reasoning_tokens: usage.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: usage.total_tokens,
  };
}

export function responseId(upstreamId: string): string {
  if (upstreamId.startsWith('resp_')) return upstreamId;
  return upstreamId === '' ? itemId('resp') : `resp_${upstreamId}`;
}

/** A new id: `prefix_` + 32 hex digits. */
export function itemId(prefix: string): string {
  return `${prefix}_${randomBytes(16).toString('hex')}`;
}
