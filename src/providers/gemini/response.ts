/**
 * A whole generateContent answer as a canonical chat completion, and the pieces the stream decoder
 * shares: candidate parts, finish reasons and usage.
 *
 * - each candidate is a choice: answer text parts joined as `content`, thought parts joined as
 *   `reasoning_content`, functionCall parts as `tool_calls` (generated ids, args as JSON text);
 * - finishReason: STOP → stop (tool_calls when the candidate called functions), MAX_TOKENS →
 *   length, the safety reasons → content_filter, anything else → stop;
 * - a prompt blocked before generation (promptFeedback.blockReason, no candidates) is one empty
 *   choice finished by content_filter, as LiteLLM answers it;
 * - usage: completion tokens are candidatesTokenCount plus thoughtsTokenCount (Gemini counts the
 *   thoughts apart; OpenAI counts reasoning inside completion tokens), the thoughts also as
 *   reasoning_tokens, cachedContentTokenCount as cached_tokens.
 */
import { randomUUID } from 'node:crypto';
import { GatewayError } from '../../errors.js';
import { answerObject } from '../answer.js';
import type { FinishReason, OpenAIChatCompletion, OpenAIToolCall, OpenAIUsage } from '../types.js';
import { newToolCallId } from './tool-ids.js';
import type { GeminiCandidate, GeminiGenerateContentResponse, GeminiPart, GeminiUsageMetadata } from './wire.js';

const CONTENT_FILTER_REASONS = new Set([
  'SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT', 'IMAGE_RECITATION',
]);

export function geminiCompletion(body: Buffer, model: string): OpenAIChatCompletion {
  const answer = parseAnswer(body);
  const completion: OpenAIChatCompletion = {
    id: completionId(answer),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: choicesOf(answer),
  };
  if (answer.usageMetadata !== undefined) completion.usage = usageOf(answer.usageMetadata);
  return completion;
}

/** `chatcmpl-` and Gemini's responseId when it sent one. */
export function completionId(answer: GeminiGenerateContentResponse): string {
  return `chatcmpl-${typeof answer.responseId === 'string' && answer.responseId !== '' ? answer.responseId : randomUUID()}`;
}

/** A JSON object that is a GenerateContentResponse, else upstream_bad_response. */
export function parseAnswer(body: Buffer | string): GeminiGenerateContentResponse {
  const answer = answerObject(body, 'Gemini answered with a body that is not JSON', 'Gemini answered with JSON that is not a GenerateContentResponse object') as GeminiGenerateContentResponse;
  if (answer.candidates !== undefined && !Array.isArray(answer.candidates)) {
    throw new GatewayError('upstream_bad_response', "Gemini's answer has candidates that are not a list");
  }
  return answer;
}

function choicesOf(answer: GeminiGenerateContentResponse): OpenAIChatCompletion['choices'] {
  const candidates = answer.candidates ?? [];
  if (candidates.length === 0) {
    if (typeof answer.promptFeedback?.blockReason !== 'string') {
      throw new GatewayError('upstream_bad_response', "Gemini's answer has no candidates and no promptFeedback.blockReason");
    }
    return [{ index: 0, message: { role: 'assistant', content: null }, finish_reason: 'content_filter', logprobs: null }];
  }
  return candidates.map((candidate, i) => {
    const read = readParts(candidate.content?.parts ?? []);
    const message: OpenAIChatCompletion['choices'][number]['message'] = { role: 'assistant', content: read.text };
    if (read.reasoning !== null) message.reasoning_content = read.reasoning;
    if (read.toolCalls.length > 0) message.tool_calls = read.toolCalls;
    return {
      index: candidateIndex(candidate, i),
      message,
      finish_reason: finishReason(candidate.finishReason, read.toolCalls.length > 0) ?? 'stop',
      logprobs: null,
    };
  });
}

export function candidateIndex(candidate: GeminiCandidate, position: number): number {
  return typeof candidate.index === 'number' ? candidate.index : position;
}

export interface ReadParts {
  /** Answer text, joined; null when there is none. */
  text: string | null;
  /** Thought text, joined; null when there is none. */
  reasoning: string | null;
  toolCalls: OpenAIToolCall[];
}

/** A candidate's parts as answer text, thoughts and tool calls (other parts are not relayed). */
export function readParts(parts: readonly GeminiPart[]): ReadParts {
  let text: string | null = null;
  let reasoning: string | null = null;
  const toolCalls: OpenAIToolCall[] = [];
  if (!Array.isArray(parts)) throw new GatewayError('upstream_bad_response', "Gemini's answer has content.parts that are not a list");
  for (const part of parts) {
    if (part === null || typeof part !== 'object') throw new GatewayError('upstream_bad_response', "Gemini's answer has a part that is not an object");
    if (typeof part.text === 'string') {
      if (part.text === '') continue;
      if (part.thought === true) reasoning = (reasoning ?? '') + part.text;
      else text = (text ?? '') + part.text;
    } else if (part.functionCall !== undefined) {
      toolCalls.push(toolCallOf(part));
    }
  }
  return { text, reasoning, toolCalls };
}

function toolCallOf(part: GeminiPart): OpenAIToolCall {
  const call = part.functionCall!;
  if (typeof call.name !== 'string') throw new GatewayError('upstream_bad_response', "Gemini's functionCall has no name");
  return {
    id: newToolCallId(part.thoughtSignature),
    type: 'function',
    function: { name: call.name, arguments: JSON.stringify(call.args ?? {}) },
  };
}

/** Gemini's finishReason as OpenAI's; null when there is none (a stream event mid-answer). */
export function finishReason(reason: string | undefined, calledFunctions: boolean): FinishReason | null {
  if (reason === undefined || reason === '') return null;
  if (reason === 'MAX_TOKENS') return 'length';
  if (CONTENT_FILTER_REASONS.has(reason)) return 'content_filter';
  return calledFunctions ? 'tool_calls' : 'stop';
}

export function usageOf(meta: GeminiUsageMetadata): OpenAIUsage {
  const prompt = count(meta.promptTokenCount);
  const thoughts = count(meta.thoughtsTokenCount);
  const completion = count(meta.candidatesTokenCount) + thoughts;
  const usage: OpenAIUsage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  if (meta.cachedContentTokenCount !== undefined) usage.prompt_tokens_details = { cached_tokens: count(meta.cachedContentTokenCount) };
  if (meta.thoughtsTokenCount !== undefined) usage.completion_tokens_details = { reasoning_tokens: thoughts };
  return usage;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}
