/**
 * A ConverseStream answer (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStreamOutput.html)
 * read into chat.completion.chunk objects as its event-stream frames arrive.
 *
 * Events (the `:event-type` header; the payload is the event's JSON):
 * - messageStart → a chunk with role `assistant`;
 * - contentBlockStart with `start.toolUse` → a tool call's first chunk (index, id, name);
 * - contentBlockDelta: `delta.text` → content, `delta.toolUse.input` → that tool call's arguments,
 *   `delta.reasoningContent.text` → reasoning_content (signatures and redacted reasoning have no
 *   OpenAI form);
 * - messageStop → the finish_reason chunk;
 * - metadata → the usage chunk (empty `choices`), last, as OpenAI's include_usage chunk;
 * - contentBlockStop and unknown events → nothing.
 * The response_format tool's input is streamed as content (converse.ts).
 *
 * An exception message (`:message-type` exception, e.g. throttlingException) is thrown as
 * GatewayError upstream_error with the exception's HTTP status; an `error` message likewise. When
 * the same bytes completed chunks before it, those are returned and the next call throws. A
 * stream that ends before messageStop, or inside a frame, is upstream_bad_response.
 */
import { GatewayError } from '../../errors.js';
import type { ChunkDecoder, OpenAIChatChunk, UpstreamTarget } from '../types.js';
import { completionId, finishReasonOf, JSON_TOOL_NAME, usageOf } from './converse.js';
import { EventStreamReader, stringHeader, type Message } from './event-stream.js';

type Delta = OpenAIChatChunk['choices'][number]['delta'];
type Payload = Record<string, unknown>;

/** HTTP statuses of the ConverseStream exceptions. */
const EXCEPTION_STATUS: Readonly<Record<string, number>> = {
  validationException: 400,
  throttlingException: 429,
  modelTimeoutException: 408,
  modelStreamErrorException: 424,
  internalServerException: 500,
  serviceUnavailableException: 503,
};

export class ConverseStreamDecoder implements ChunkDecoder {
  private readonly reader = new EventStreamReader();
  private readonly id = completionId();
  private readonly created = Math.floor(Date.now() / 1000);
  private readonly model: string;
  /** Content block index → OpenAI tool call index. */
  private readonly toolCallIndex = new Map<number, number>();
  /** Content blocks of the response_format tool, whose input is content. */
  private readonly jsonBlocks = new Set<number>();
  private stopped = false;
  /** A failure read after chunks that were returned, thrown by the next call. */
  private failure: unknown = null;

  constructor(target: UpstreamTarget) {
    this.model = target.upstreamModel;
  }

  feed(bytes: Buffer): OpenAIChatChunk[] {
    this.throwFailure();
    const chunks: OpenAIChatChunk[] = [];
    for (const message of this.reader.feed(bytes)) {
      try {
        const chunk = this.read(message);
        if (chunk !== null) chunks.push(chunk);
      } catch (error) {
        if (chunks.length === 0) throw error;
        // The chunks before the failure go out first; the failure ends the stream on the next call.
        this.failure = error;
        break;
      }
    }
    return chunks;
  }

  end(): OpenAIChatChunk[] {
    this.throwFailure();
    this.reader.end();
    if (!this.stopped) throw new GatewayError('upstream_bad_response', 'The Bedrock stream ended before its messageStop event.');
    return [];
  }

  private throwFailure(): void {
    if (this.failure !== null) throw this.failure;
  }

  private read(message: Message): OpenAIChatChunk | null {
    const messageType = stringHeader(message, ':message-type') ?? 'event';
    if (messageType === 'exception') throw exceptionOf(message);
    if (messageType === 'error') {
      const code = stringHeader(message, ':error-code') ?? 'error';
      throw new GatewayError('upstream_error', `Bedrock stream error ${code}: ${stringHeader(message, ':error-message') ?? ''}`);
    }
    const payload = payloadOf(message);
    switch (stringHeader(message, ':event-type')) {
      case 'messageStart':
        return this.chunk({ role: 'assistant', content: '' });
      case 'contentBlockStart':
        return this.blockStart(payload);
      case 'contentBlockDelta':
        return this.blockDelta(payload);
      case 'messageStop':
        return this.stop(payload);
      case 'metadata':
        return this.usage(payload);
      default:
        return null;
    }
  }

  private blockStart(payload: Payload): OpenAIChatChunk | null {
    const block = blockIndexOf(payload);
    const toolUse = (payload.start as { toolUse?: { toolUseId?: unknown; name?: unknown } } | undefined)?.toolUse;
    if (toolUse === undefined) return null;
    if (typeof toolUse.toolUseId !== 'string' || typeof toolUse.name !== 'string') {
      throw new GatewayError('upstream_bad_response', 'A Bedrock contentBlockStart has a toolUse without toolUseId or name.');
    }
    if (toolUse.name === JSON_TOOL_NAME) {
      this.jsonBlocks.add(block);
      return null;
    }
    const index = this.toolCallIndex.size;
    this.toolCallIndex.set(block, index);
    return this.chunk({ tool_calls: [{ index, id: toolUse.toolUseId, type: 'function', function: { name: toolUse.name, arguments: '' } }] });
  }

  private blockDelta(payload: Payload): OpenAIChatChunk | null {
    const block = blockIndexOf(payload);
    const delta = payload.delta as { text?: unknown; toolUse?: { input?: unknown }; reasoningContent?: { text?: unknown } } | undefined;
    if (typeof delta?.text === 'string') return this.chunk({ content: delta.text });
    if (typeof delta?.toolUse?.input === 'string') return this.toolInput(block, delta.toolUse.input);
    if (typeof delta?.reasoningContent?.text === 'string') return this.chunk({ reasoning_content: delta.reasoningContent.text });
    return null;
  }

  private toolInput(block: number, input: string): OpenAIChatChunk | null {
    if (this.jsonBlocks.has(block)) return this.chunk({ content: input });
    const index = this.toolCallIndex.get(block);
    if (index === undefined) throw new GatewayError('upstream_bad_response', `A Bedrock toolUse delta for content block ${block}, which started no tool use.`);
    return this.chunk({ tool_calls: [{ index, function: { arguments: input } }] });
  }

  private stop(payload: Payload): OpenAIChatChunk {
    if (typeof payload.stopReason !== 'string') throw new GatewayError('upstream_bad_response', 'A Bedrock messageStop has no stopReason.');
    this.stopped = true;
    const answeredWithJsonTool = this.jsonBlocks.size > 0 && this.toolCallIndex.size === 0;
    return this.chunk({}, finishReasonOf(payload.stopReason, answeredWithJsonTool));
  }

  private usage(payload: Payload): OpenAIChatChunk | null {
    const usage = usageOf(payload.usage);
    if (usage === null) return null;
    return { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [], usage };
  }

  private chunk(delta: Delta, finishReason: OpenAIChatChunk['choices'][number]['finish_reason'] = null): OpenAIChatChunk {
    return { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [{ index: 0, delta, finish_reason: finishReason }] };
  }
}

function payloadOf(message: Message): Payload {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(message.body.buffer, message.body.byteOffset, message.body.byteLength).toString('utf8'));
  } catch {
    throw new GatewayError('upstream_bad_response', `The Bedrock stream event ${stringHeader(message, ':event-type') ?? ''} is not JSON.`);
  }
  if (typeof parsed !== 'object' || parsed === null) throw new GatewayError('upstream_bad_response', 'A Bedrock stream event is not a JSON object.');
  return parsed as Payload;
}

function blockIndexOf(payload: Payload): number {
  const index = payload.contentBlockIndex;
  if (typeof index !== 'number') throw new GatewayError('upstream_bad_response', 'A Bedrock content block event has no contentBlockIndex.');
  return index;
}

function exceptionOf(message: Message): GatewayError {
  const type = stringHeader(message, ':exception-type') ?? 'exception';
  let text = '';
  try {
    const payload = payloadOf(message) as { message?: unknown; Message?: unknown };
    const found = payload.message ?? payload.Message;
    if (typeof found === 'string') text = found;
  } catch {
    // An exception whose payload cannot be read is still the exception.
  }
  const status = EXCEPTION_STATUS[type] ?? 502;
  return new GatewayError('upstream_error', `Bedrock ${type}: ${text}`.trim(), { status });
}
