/**
 * An Anthropic Messages API stream (server-sent events, https://docs.anthropic.com/en/api/messages-streaming)
 * read into canonical chat.completion.chunk objects, as its bytes arrive. Shared with Anthropic
 * models on Vertex AI, which stream the same events.
 *
 * Events → chunks:
 * - message_start: the first chunk (role assistant, empty content); its usage is kept.
 * - content_block_start: a tool_use block opens a tool call (index among the calls, id, name,
 *   empty arguments); text and thinking blocks carry their (usually empty) start text.
 * - content_block_delta: text_delta → content; input_json_delta → that call's argument
 *   fragment; thinking_delta → reasoning_content; signature and citation deltas have no OpenAI form.
 * - message_delta: the stop reason, and usage (cumulative: its counts replace the earlier ones).
 * - message_stop: a chunk with the finish_reason, then the usage chunk (`choices: []`).
 * - ping and unknown events (Anthropic may add some) are skipped.
 * - The JSON-mode tool's call (request.ts) streams as content, and its `tool_use` stop is `stop`.
 *
 * Errors: an `error` event throws GatewayError `upstream_error` carrying Anthropic's message and
 * the HTTP status of its error type (overloaded_error → 529…), so the gateway ends the stream
 * with an error event rather than a completion that looks whole. A stream that ends before any
 * stop reason, or an event that is not JSON, throws `upstream_bad_response`.
 *
 * Bytes may split anywhere: the shared SSE reader (../sse.ts) keeps multi-byte characters split
 * across reads whole.
 */
import { GatewayError } from '../../errors.js';
import { SseReader } from '../sse.js';
import type { ChunkDecoder, OpenAIChatChunk, OpenAIToolCallDelta, UpstreamTarget } from '../types.js';
import { statusForErrorType } from './errors.js';
import { JSON_MODE_TOOL_NAME } from './request.js';
import { finishReason, openAIUsage, type AnthropicUsage } from './response.js';
import { isRecord } from './values.js';

type Delta = OpenAIChatChunk['choices'][number]['delta'];

/** What a content block's deltas become. */
type BlockKind = { kind: 'text' } | { kind: 'tool'; toolIndex: number } | { kind: 'json' } | { kind: 'thinking' } | { kind: 'other' };

export function anthropicChunkDecoder(target: UpstreamTarget): ChunkDecoder {
  return new AnthropicChunkDecoder(target.upstreamModel);
}

export class AnthropicChunkDecoder implements ChunkDecoder {
  private readonly events = new SseReader();
  private id = 'msg_unknown';
  private model: string;
  private readonly created = Math.floor(Date.now() / 1000);
  private started = false;
  private finished = false;
  private usage: AnthropicUsage | null = null;
  private stopReason: string | null = null;
  private readonly blocks = new Map<number, BlockKind>();
  private toolCalls = 0;

  constructor(fallbackModel: string) {
    this.model = fallbackModel;
  }

  feed(bytes: Buffer): OpenAIChatChunk[] {
    const out: OpenAIChatChunk[] = [];
    for (const data of this.events.feed(bytes)) this.dispatch(data, out);
    return out;
  }

  end(): OpenAIChatChunk[] {
    const out: OpenAIChatChunk[] = [];
    for (const data of this.events.end()) this.dispatch(data, out);
    if (!this.finished) {
      if (this.stopReason === null) throw new GatewayError('upstream_bad_response', 'the anthropic stream ended before the message was finished');
      this.finish(out);
    }
    return out;
  }

  /** One event's data. Only `data` matters: each event's JSON names its type. */
  private dispatch(data: string, out: OpenAIChatChunk[]): void {
    if (this.finished) return;
    let event: unknown;
    try {
      event = JSON.parse(data);
    } catch {
      throw new GatewayError('upstream_bad_response', 'the anthropic stream carried an event that is not JSON');
    }
    if (!isRecord(event)) throw new GatewayError('upstream_bad_response', 'the anthropic stream carried an event that is not an object');
    this.event(event, out);
  }

  private event(event: Record<string, unknown>, out: OpenAIChatChunk[]): void {
    switch (event.type) {
      case 'message_start':
        return this.messageStart(event, out);
      case 'content_block_start':
        return this.blockStart(event, out);
      case 'content_block_delta':
        return this.blockDelta(event, out);
      case 'message_delta':
        return this.messageDelta(event);
      case 'message_stop':
        return this.finish(out);
      case 'error':
        throw streamError(event);
      default:
        // ping, content_block_stop, and event types added later
        return;
    }
  }

  private messageStart(event: Record<string, unknown>, out: OpenAIChatChunk[]): void {
    const message = isRecord(event.message) ? event.message : {};
    if (typeof message.id === 'string') this.id = message.id;
    if (typeof message.model === 'string') this.model = message.model;
    if (isRecord(message.usage)) this.usage = { ...message.usage };
    this.start(out);
  }

  /** The first chunk, once (a stream without message_start still gets it before any content). */
  private start(out: OpenAIChatChunk[]): void {
    if (this.started) return;
    this.started = true;
    out.push(this.chunk({ role: 'assistant', content: '' }));
  }

  private blockStart(event: Record<string, unknown>, out: OpenAIChatChunk[]): void {
    this.start(out);
    const index = blockIndex(event);
    const block = isRecord(event.content_block) ? event.content_block : {};
    switch (block.type) {
      case 'text':
        this.blocks.set(index, { kind: 'text' });
        return this.emitText('content', block.text, out);
      case 'thinking':
        this.blocks.set(index, { kind: 'thinking' });
        return this.emitText('reasoning_content', block.thinking, out);
      case 'tool_use':
        return this.toolStart(index, block, out);
      default:
        this.blocks.set(index, { kind: 'other' });
    }
  }

  private toolStart(index: number, block: Record<string, unknown>, out: OpenAIChatChunk[]): void {
    if (block.name === JSON_MODE_TOOL_NAME) {
      this.blocks.set(index, { kind: 'json' });
      return;
    }
    if (typeof block.id !== 'string' || typeof block.name !== 'string') {
      throw new GatewayError('upstream_bad_response', 'the anthropic stream opened a tool_use block without an id and a name');
    }
    const toolIndex = this.toolCalls++;
    this.blocks.set(index, { kind: 'tool', toolIndex });
    out.push(this.toolChunk({ index: toolIndex, id: block.id, type: 'function', function: { name: block.name, arguments: '' } }));
  }

  private blockDelta(event: Record<string, unknown>, out: OpenAIChatChunk[]): void {
    this.start(out);
    const block = this.blocks.get(blockIndex(event)) ?? { kind: 'text' };
    const delta = isRecord(event.delta) ? event.delta : {};
    switch (delta.type) {
      case 'text_delta':
        return this.emitText('content', delta.text, out);
      case 'thinking_delta':
        return this.emitText('reasoning_content', delta.thinking, out);
      case 'input_json_delta':
        return this.jsonDelta(block, delta.partial_json, out);
      default:
        // signature_delta, citations_delta
        return;
    }
  }

  private jsonDelta(block: BlockKind, fragment: unknown, out: OpenAIChatChunk[]): void {
    if (block.kind === 'json') return this.emitText('content', fragment, out);
    if (block.kind !== 'tool') throw new GatewayError('upstream_bad_response', 'the anthropic stream sent tool input for a block that is not a tool_use');
    if (typeof fragment !== 'string') throw new GatewayError('upstream_bad_response', 'the anthropic stream sent an input_json_delta without partial_json');
    if (fragment !== '') out.push(this.toolChunk({ index: block.toolIndex, function: { arguments: fragment } }));
  }

  private messageDelta(event: Record<string, unknown>): void {
    if (isRecord(event.delta) && typeof event.delta.stop_reason === 'string') this.stopReason = event.delta.stop_reason;
    if (!isRecord(event.usage)) return;
    const usage: AnthropicUsage = { ...this.usage };
    for (const [name, value] of Object.entries(event.usage)) {
      if (typeof value === 'number') (usage as Record<string, unknown>)[name] = value;
    }
    this.usage = usage;
  }

  /** The finish_reason chunk, then the usage chunk. */
  private finish(out: OpenAIChatChunk[]): void {
    if (this.finished) return;
    this.start(out);
    this.finished = true;
    out.push(this.chunk({}, finishReason(this.stopReason, this.toolCalls > 0)));
    if (this.usage !== null) out.push({ ...this.chunk({}), choices: [], usage: openAIUsage(this.usage) });
  }

  private emitText(field: 'content' | 'reasoning_content', text: unknown, out: OpenAIChatChunk[]): void {
    if (typeof text !== 'string') throw new GatewayError('upstream_bad_response', `the anthropic stream sent a ${field === 'content' ? 'text' : 'thinking'} event without its text`);
    if (text !== '') out.push(this.chunk({ [field]: text }));
  }

  private toolChunk(call: OpenAIToolCallDelta): OpenAIChatChunk {
    return this.chunk({ tool_calls: [call] });
  }

  private chunk(delta: Delta, finish: OpenAIChatChunk['choices'][number]['finish_reason'] = null): OpenAIChatChunk {
    return {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    };
  }
}

function blockIndex(event: Record<string, unknown>): number {
  if (typeof event.index !== 'number') throw new GatewayError('upstream_bad_response', `the anthropic stream sent a ${String(event.type)} event without an index`);
  return event.index;
}

/** An `error` event: `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`. */
function streamError(event: Record<string, unknown>): GatewayError {
  const error = isRecord(event.error) ? event.error : {};
  const type = typeof error.type === 'string' ? error.type : 'api_error';
  const message = typeof error.message === 'string' ? error.message : 'the anthropic stream failed';
  return new GatewayError('upstream_error', message, { status: statusForErrorType(type) });
}
