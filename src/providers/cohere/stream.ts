/**
 * Reads a streamed Cohere v2 chat answer (server-sent events, one JSON object per event, its
 * `type` naming the event) into canonical chunks:
 *
 * - message-start → the first chunk (role assistant, empty content), under Cohere's id;
 * - content-delta → content (text items) or reasoning_content (thinking items);
 * - tool-plan-delta → reasoning_content (the plan the model writes before tool calls);
 * - tool-call-start / tool-call-delta → tool_calls deltas (id and name first, then arguments);
 * - message-end → the finish reason, then the usage chunk (choices empty);
 * - content-start/-end, tool-call-end, citation-*, debug → nothing.
 *
 * A message-end with finish reason ERROR, or a stream that ends before message-end, throws
 * GatewayError (the client gets an error event, never a fake completion).
 */
import { GatewayError } from '../../errors.js';
import { SseReader } from '../sse.js';
import type { ChunkDecoder, OpenAIChatChunk, OpenAIToolCallDelta, UpstreamTarget } from '../types.js';
import { completionId, finishReasonOf, isObject, usageOf, type CohereObject } from './response.js';

type Delta = OpenAIChatChunk['choices'][number]['delta'];

export class CohereChunkDecoder implements ChunkDecoder {
  private readonly events = new SseReader();
  private readonly model: string;
  private readonly created = Math.floor(Date.now() / 1000);
  private id = completionId(null);
  /** Cohere's content index of each tool call → its canonical index (in order of appearance). */
  private readonly toolIndexes = new Map<number, number>();
  private ended = false;

  constructor(target: UpstreamTarget) {
    this.model = target.upstreamModel;
  }

  feed(bytes: Buffer): OpenAIChatChunk[] {
    return this.events.feed(bytes).flatMap((data) => this.chunksOfData(data));
  }

  end(): OpenAIChatChunk[] {
    const chunks = this.events.end().flatMap((data) => this.chunksOfData(data));
    if (!this.ended) throw new GatewayError('upstream_stream_error', 'The Cohere stream ended before its message-end event');
    return chunks;
  }

  /** The chunks of one event (`event:` lines add nothing: the data's own `type` names the event). */
  private chunksOfData(data: string): OpenAIChatChunk[] {
    if (data === '[DONE]') return [];
    let event: unknown;
    try {
      event = JSON.parse(data);
    } catch {
      throw new GatewayError('upstream_bad_response', `Cohere sent a stream event that is not JSON: ${data.slice(0, 200)}`);
    }
    return isObject(event) ? this.chunksOf(event) : [];
  }

  private chunksOf(event: CohereObject): OpenAIChatChunk[] {
    const message = isObject(event.delta) && isObject(event.delta.message) ? event.delta.message : {};
    switch (event.type) {
      case 'message-start':
        if (typeof event.id === 'string' && event.id !== '') this.id = completionId(event.id);
        return [this.chunk({ role: 'assistant', content: '' })];
      case 'content-delta':
        return this.contentDelta(message.content);
      case 'tool-plan-delta':
        return typeof message.tool_plan === 'string' && message.tool_plan !== '' ? [this.chunk({ reasoning_content: message.tool_plan })] : [];
      case 'tool-call-start':
        return this.toolCallStart(event.index, message.tool_calls);
      case 'tool-call-delta':
        return this.toolCallDelta(event.index, message.tool_calls);
      case 'message-end':
        return this.messageEnd(isObject(event.delta) ? event.delta : {});
      default:
        return [];
    }
  }

  private contentDelta(content: unknown): OpenAIChatChunk[] {
    if (!isObject(content)) return [];
    if (typeof content.text === 'string' && content.text !== '') return [this.chunk({ content: content.text })];
    if (typeof content.thinking === 'string' && content.thinking !== '') return [this.chunk({ reasoning_content: content.thinking })];
    return [];
  }

  private toolCallStart(index: unknown, call: unknown): OpenAIChatChunk[] {
    const fn = isObject(call) && isObject(call.function) ? call.function : null;
    if (fn === null || typeof fn.name !== 'string') throw new GatewayError('upstream_bad_response', 'Cohere started a tool call without function.name');
    const position = this.toolIndexes.size;
    this.toolIndexes.set(typeof index === 'number' ? index : position, position);
    const id = isObject(call) && typeof call.id === 'string' && call.id !== '' ? call.id : `call_${this.id.slice(9)}_${position}`;
    const args = typeof fn.arguments === 'string' ? fn.arguments : '';
    return [this.chunk({ tool_calls: [{ index: position, id, type: 'function', function: { name: fn.name, arguments: args } }] })];
  }

  private toolCallDelta(index: unknown, call: unknown): OpenAIChatChunk[] {
    const fn = isObject(call) && isObject(call.function) ? call.function : null;
    if (fn === null || typeof fn.arguments !== 'string' || fn.arguments === '') return [];
    const position = this.toolIndexes.get(typeof index === 'number' ? index : -1) ?? this.toolIndexes.size - 1;
    if (position < 0) throw new GatewayError('upstream_bad_response', 'Cohere sent tool call arguments before the tool call started');
    const delta: OpenAIToolCallDelta = { index: position, function: { arguments: fn.arguments } };
    return [this.chunk({ tool_calls: [delta] })];
  }

  private messageEnd(delta: CohereObject): OpenAIChatChunk[] {
    const errorText = typeof delta.error === 'string' && delta.error !== '' ? delta.error : null;
    let finish: ReturnType<typeof finishReasonOf>;
    try {
      finish = finishReasonOf(delta.finish_reason, errorText);
    } catch (error) {
      throw new GatewayError('upstream_stream_error', (error as Error).message, { cause: error });
    }
    this.ended = true;
    const chunks = [this.chunk({}, finish)];
    const usage = usageOf(delta.usage);
    if (usage !== null) chunks.push({ id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [], usage });
    return chunks;
  }

  private chunk(delta: Delta, finishReason: OpenAIChatChunk['choices'][number]['finish_reason'] = null): OpenAIChatChunk {
    return { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [{ index: 0, delta, finish_reason: finishReason }] };
  }
}
