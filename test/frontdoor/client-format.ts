/**
 * What the front doors' unit tests share: a client body translated by a format, the assertion for
 * its invalid_body errors, canonical chunks, a format's stream encoder run over chunks, the SSE
 * events it wrote (`event:` then `data:` repeating the type), and those bytes as a streamed HTTP
 * answer cut into pieces, for the official SDKs to read.
 */
import assert from 'node:assert/strict';
import { GatewayError } from '../../src/errors.js';
import type { ClientFormat } from '../../src/frontdoor/types.js';
import type { FinishReason, OpenAIChatChunk, OpenAIChatRequest, OpenAIToolCallDelta, OpenAIUsage } from '../../src/providers/types.js';

/** `body` as the client sends it, translated by `format`. */
export function chatRequestOf(format: ClientFormat, body: unknown): OpenAIChatRequest {
  return format.chatRequest(Buffer.from(JSON.stringify(body)));
}

/** `translate` throws invalid_body (400) naming `param`, its message matching `message`. */
export function assertInvalidBody(translate: () => unknown, param: string, message: RegExp): void {
  assert.throws(translate, (error: unknown) => {
    assert.ok(error instanceof GatewayError);
    assert.equal(error.code, 'invalid_body');
    assert.equal(error.status, 400);
    assert.equal(error.param, param);
    assert.match(error.message, message);
    return true;
  });
}

// ---- canonical chunks ----

export type Delta = OpenAIChatChunk['choices'][number]['delta'];

const CHUNK_BASE = { id: 'chatcmpl-123', object: 'chat.completion.chunk' as const, created: 1694268190, model: 'gpt-4o-mini' };

export function chunk(delta: Delta, finishReason: FinishReason | null = null): OpenAIChatChunk {
  return { ...CHUNK_BASE, choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }] };
}

export function usageChunk(usage: OpenAIUsage): OpenAIChatChunk {
  return { ...CHUNK_BASE, choices: [], usage };
}

export function toolDelta(index: number, fields: Omit<OpenAIToolCallDelta, 'index'>): Delta {
  return { tool_calls: [{ index, ...fields }] };
}

/** Runs chunks through a fresh encoder of `format` and closes it. */
export function encodeChunks(format: ClientFormat, chunks: OpenAIChatChunk[]): string {
  const encoder = format.chatStream(false);
  return chunks.map((c) => encoder.chunk(c)).join('') + encoder.end();
}

// ---- the stream written ----

export interface SseEvent {
  event: string;
  data: any;
}

/** The events, checked for form: each `event:` then `data:`, the event name repeating the data's type. */
export function sseEvents(sse: string): SseEvent[] {
  assert.ok(sse.endsWith('\n\n'), 'every event ends with a blank line');
  return sse
    .slice(0, -2)
    .split('\n\n')
    .map((block) => {
      const [eventLine, dataLine, ...rest] = block.split('\n');
      assert.equal(rest.length, 0, block);
      assert.match(eventLine, /^event: /);
      assert.match(dataLine, /^data: /);
      const event = { event: eventLine.slice('event: '.length), data: JSON.parse(dataLine.slice('data: '.length)) };
      assert.equal(event.data.type, event.event, 'the event name repeats the data type');
      return event;
    });
}

/** The bytes as a streamed HTTP answer, cut into pieces of the given sizes in turn. */
export function streamedResponse(sse: string, sizes: readonly number[]): Response {
  const bytes = Buffer.from(sse, 'utf8');
  const pieces: Uint8Array[] = [];
  for (let offset = 0, turn = 0; offset < bytes.length; turn++) {
    const size = sizes[turn % sizes.length];
    pieces.push(new Uint8Array(bytes.subarray(offset, offset + size)));
    offset += size;
  }
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const piece of pieces) controller.enqueue(piece);
      controller.close();
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
}
