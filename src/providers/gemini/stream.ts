/**
 * A streamed generateContent answer (`streamGenerateContent?alt=sse`: one GenerateContentResponse
 * per `data:` event) as canonical chunks.
 *
 * Each event becomes one chunk per candidate it carries: the first chunk of a candidate brings
 * role `assistant`; text, thoughts (as reasoning_content) and whole function calls (Gemini never
 * splits one) follow as they come, the calls numbered per candidate. The event with a finishReason
 * sets the choice's finish_reason. Every event may repeat usageMetadata, each time the running
 * total, so the last one is the call's usage: it goes out as the final chunk (empty choices) when
 * the stream ends. An error event mid-stream throws GatewayError('upstream_stream_error').
 */
import { GatewayError } from '../../errors.js';
import { SseReader } from '../sse.js';
import type { ChunkDecoder, OpenAIChatChunk, OpenAIToolCall, OpenAIToolCallDelta } from '../types.js';
import { candidateIndex, completionId, finishReason, parseAnswer, readParts, usageOf } from './response.js';
import type { GeminiCandidate, GeminiGenerateContentResponse, GeminiUsageMetadata, GoogleErrorBody } from './wire.js';

type ChunkChoice = OpenAIChatChunk['choices'][number];

export class GeminiChunkDecoder implements ChunkDecoder {
  private readonly events = new SseReader();
  private readonly created = Math.floor(Date.now() / 1000);
  private id: string | null = null;
  private usage: GeminiUsageMetadata | null = null;
  /** Candidates whose first chunk (with the role) went out. */
  private readonly started = new Set<number>();
  /** Tool calls sent so far, per candidate (the next call's index). */
  private readonly callsSent = new Map<number, number>();

  constructor(private readonly model: string) {}

  feed(bytes: Buffer): OpenAIChatChunk[] {
    return this.events.feed(bytes).flatMap((data) => this.chunksOf(data));
  }

  end(): OpenAIChatChunk[] {
    const chunks = this.events.end().flatMap((data) => this.chunksOf(data));
    if (this.usage !== null) chunks.push(this.chunk([], usageOf(this.usage)));
    return chunks;
  }

  private chunksOf(data: string): OpenAIChatChunk[] {
    const answer = parseEvent(data);
    this.id ??= completionId(answer);
    if (answer.usageMetadata !== undefined) this.usage = answer.usageMetadata;
    const candidates = answer.candidates ?? [];
    if (candidates.length === 0) {
      if (typeof answer.promptFeedback?.blockReason !== 'string') return [];
      return [this.chunk([this.blockedChoice()])];
    }
    const chunks: OpenAIChatChunk[] = [];
    candidates.forEach((candidate, position) => {
      const choice = this.choiceOf(candidate, candidateIndex(candidate, position));
      if (choice !== null) chunks.push(this.chunk([choice]));
    });
    return chunks;
  }

  /** The chunk choice for one candidate of an event; null when it brings nothing new. */
  private choiceOf(candidate: GeminiCandidate, index: number): ChunkChoice | null {
    const read = readParts(candidate.content?.parts ?? []);
    const delta: ChunkChoice['delta'] = {};
    if (!this.started.has(index)) {
      this.started.add(index);
      delta.role = 'assistant';
    }
    if (read.text !== null) delta.content = read.text;
    if (read.reasoning !== null) delta.reasoning_content = read.reasoning;
    if (read.toolCalls.length > 0) delta.tool_calls = this.numbered(index, read.toolCalls);
    const finish = finishReason(candidate.finishReason, this.callsSent.has(index));
    if (Object.keys(delta).length === 0 && finish === null) return null;
    return { index, delta, finish_reason: finish };
  }

  private numbered(index: number, calls: readonly OpenAIToolCall[]): OpenAIToolCallDelta[] {
    const first = this.callsSent.get(index) ?? 0;
    this.callsSent.set(index, first + calls.length);
    return calls.map((call, i) => ({ index: first + i, id: call.id, type: 'function', function: call.function }));
  }

  private blockedChoice(): ChunkChoice {
    const delta: ChunkChoice['delta'] = {};
    if (!this.started.has(0)) {
      this.started.add(0);
      delta.role = 'assistant';
    }
    return { index: 0, delta, finish_reason: 'content_filter' };
  }

  private chunk(choices: ChunkChoice[], usage?: OpenAIChatChunk['usage']): OpenAIChatChunk {
    const chunk: OpenAIChatChunk = { id: this.id ?? completionId({}), object: 'chat.completion.chunk', created: this.created, model: this.model, choices };
    if (usage !== undefined) chunk.usage = usage;
    return chunk;
  }
}

/** One event's GenerateContentResponse; an error event throws upstream_stream_error. */
function parseEvent(data: string): GeminiGenerateContentResponse {
  const answer = parseAnswer(data) as GeminiGenerateContentResponse & GoogleErrorBody;
  if (answer.error !== undefined && answer.error !== null) {
    const status = answer.error.status ?? String(answer.error.code ?? '');
    throw new GatewayError('upstream_stream_error', `Gemini broke off the stream: ${status} ${answer.error.message ?? ''}`.trim());
  }
  return answer;
}
