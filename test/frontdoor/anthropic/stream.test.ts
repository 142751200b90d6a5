/**
 * Canonical chunks as Anthropic's SSE events: the exact bytes of the docs' basic stream, block
 * indexes for text, thinking and tool calls, tool-call argument fragments (split, held until the
 * name comes, parallel), odd chunks (role only, empty content, usage only), end and error. The
 * bytes are also read back by the official @anthropic-ai/sdk, fed to it in odd byte splits.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { GatewayError } from '../../../src/errors.js';
import { anthropicClientFormat } from '../../../src/frontdoor/anthropic/index.js';
import type { OpenAIChatChunk } from '../../../src/providers/types.js';
import { chunk, encodeChunks, sseEvents, streamedResponse, toolDelta, usageChunk } from '../client-format.js';

/** Runs chunks through a fresh encoder and closes it. */
function encode(chunks: OpenAIChatChunk[]): string {
  return encodeChunks(anthropicClientFormat, chunks);
}

/** A compact outline: `start:0:text`, `delta:0:text_delta`, `stop:0`… */
function outline(sse: string): string[] {
  return sseEvents(sse).map(({ event, data }) => {
    if (event === 'content_block_start') return `start:${data.index}:${data.content_block.type}`;
    if (event === 'content_block_delta') return `delta:${data.index}:${data.delta.type}`;
    if (event === 'content_block_stop') return `stop:${data.index}`;
    return event;
  });
}

function sdkReading(sse: string, sizes: number[]): Anthropic {
  return new Anthropic({ apiKey: 'test', maxRetries: 0, fetch: async () => streamedResponse(sse, sizes) });
}

const PARAMS = { model: 'gpt-4o-mini', max_tokens: 1024, messages: [{ role: 'user' as const, content: 'Hello' }] };

describe('canonical chunks → Anthropic SSE events', () => {
  test('the basic stream of the docs, byte for byte (usage from the final usage chunk)', () => {
    const sse = encode([
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: 'Hello' }),
      chunk({ content: '!' }),
      chunk({}, 'stop'),
      usageChunk({ prompt_tokens: 25, completion_tokens: 15, total_tokens: 40 }),
    ]);
    assert.equal(
      sse,
      'event: message_start\n' +
        'data: {"type":"message_start","message":{"id":"msg_chatcmpl-123","type":"message","role":"assistant","content":[],"model":"gpt-4o-mini","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}}\n\n' +
        'event: content_block_start\n' +
        'data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n' +
        'event: content_block_delta\n' +
        'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}\n\n' +
        'event: content_block_delta\n' +
        'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"!"}}\n\n' +
        'event: content_block_stop\n' +
        'data: {"type":"content_block_stop","index":0}\n\n' +
        'event: message_delta\n' +
        'data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":25,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":15}}\n\n' +
        'event: message_stop\n' +
        'data: {"type":"message_stop"}\n\n',
    );
  });

  test('text then two parallel tool calls with split arguments: one block each, in order', () => {
    const sse = encode([
      chunk({ role: 'assistant', content: null }),
      chunk({ content: "Okay, let's check the weather for San Francisco, CA:" }),
      chunk(toolDelta(0, { id: 'call_abc', type: 'function', function: { name: 'get_weather', arguments: '' } })),
      chunk(toolDelta(0, { function: { arguments: '{"loc' } })),
      chunk(toolDelta(0, { function: { arguments: 'ation": "San' } })),
      chunk(toolDelta(0, { function: { arguments: ' Francisco, CA"}' } })),
      chunk(toolDelta(1, { id: 'call_def', type: 'function', function: { name: 'get_time', arguments: '{"timezone": "America/Los_Angeles"}' } })),
      chunk({}, 'tool_calls'),
      usageChunk({ prompt_tokens: 472, completion_tokens: 89, total_tokens: 561 }),
    ]);
    assert.deepEqual(outline(sse), [
      'message_start',
      'start:0:text',
      'delta:0:text_delta',
      'stop:0',
      'start:1:tool_use',
      'delta:1:input_json_delta',
      'delta:1:input_json_delta',
      'delta:1:input_json_delta',
      'stop:1',
      'start:2:tool_use',
      'delta:2:input_json_delta',
      'stop:2',
      'message_delta',
      'message_stop',
    ]);
    const all = sseEvents(sse);
    assert.deepEqual(all[4].data.content_block, { type: 'tool_use', id: 'call_abc', name: 'get_weather', input: {} });
    assert.deepEqual(
      all.filter((e) => e.data.index === 1 && e.event === 'content_block_delta').map((e) => e.data.delta.partial_json),
      ['{"loc', 'ation": "San', ' Francisco, CA"}'],
    );
    assert.deepEqual(all[12].data, {
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { input_tokens: 472, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 89 },
    });
  });

  test('arguments before the name are held until the name comes; a tool call never named is sent at the end', () => {
    const held = encode([
      chunk(toolDelta(0, { id: 'call_1', function: { arguments: '{"a":' } })),
      chunk(toolDelta(0, { function: { name: 'f', arguments: '1}' } })),
      chunk({}, 'tool_calls'),
    ]);
    const heldEvents = sseEvents(held);
    assert.deepEqual(outline(held), ['message_start', 'start:0:tool_use', 'delta:0:input_json_delta', 'stop:0', 'message_delta', 'message_stop']);
    assert.deepEqual(heldEvents[1].data.content_block, { type: 'tool_use', id: 'call_1', name: 'f', input: {} });
    assert.equal(heldEvents[2].data.delta.partial_json, '{"a":1}');

    const unnamed = sseEvents(encode([chunk(toolDelta(0, { function: { arguments: '{}' } }))]));
    assert.equal(unnamed[1].data.content_block.name, '');
    assert.match(unnamed[1].data.content_block.id, /^toolu_[0-9a-f]{24}$/);
    assert.equal(unnamed[2].data.delta.partial_json, '{}');
  });

  test('a tool call first, then text: the tool block closes and a text block opens', () => {
    const sse = encode([
      chunk(toolDelta(0, { id: 'call_1', function: { name: 'f', arguments: '{}' } })),
      chunk({ content: 'Done.' }),
      chunk({}, 'stop'),
    ]);
    assert.deepEqual(outline(sse), ['message_start', 'start:0:tool_use', 'delta:0:input_json_delta', 'stop:0', 'start:1:text', 'delta:1:text_delta', 'stop:1', 'message_delta', 'message_stop']);
  });

  test('reasoning_content streams as a thinking block before the text; several deltas in one chunk keep that order', () => {
    const sse = encode([
      chunk({ role: 'assistant', reasoning_content: 'Let me solve this step by step:\n\n1. First break down 27 * 453' }),
      chunk({ reasoning_content: '\n2. 453 = 400 + 50 + 3', content: '27 * 453 = ' }),
      chunk({ content: '12,231' }, 'stop'),
    ]);
    assert.deepEqual(outline(sse), [
      'message_start',
      'start:0:thinking',
      'delta:0:thinking_delta',
      'delta:0:thinking_delta',
      'stop:0',
      'start:1:text',
      'delta:1:text_delta',
      'delta:1:text_delta',
      'stop:1',
      'message_delta',
      'message_stop',
    ]);
    const all = sseEvents(sse);
    assert.deepEqual(all[1].data.content_block, { type: 'thinking', thinking: '', signature: '' });
    assert.deepEqual(all[2].data.delta, { type: 'thinking_delta', thinking: 'Let me solve this step by step:\n\n1. First break down 27 * 453' });
  });

  test('role-only and empty chunks open no block; an upstream msg_ id is kept', () => {
    const encoder = anthropicClientFormat.chatStream(true);
    const first = encoder.chunk({ ...chunk({ role: 'assistant' }), id: 'msg_01abc' });
    assert.deepEqual(outline(first), ['message_start']);
    assert.equal(sseEvents(first)[0].data.message.id, 'msg_01abc');
    assert.equal(encoder.chunk(chunk({ content: '' })), '');
    assert.equal(encoder.chunk(chunk({ content: null })), '');
    assert.equal(encoder.chunk(usageChunk({ prompt_tokens: 3, completion_tokens: 0, total_tokens: 3 })), '');
    assert.deepEqual(outline(encoder.end()), ['message_delta', 'message_stop']);
  });

  test('a stream with no chunks at all still makes a whole message; without usage, output_tokens is 0', () => {
    const all = sseEvents(anthropicClientFormat.chatStream(false).end());
    assert.deepEqual(all.map((e) => e.event), ['message_start', 'message_delta', 'message_stop']);
    assert.match(all[0].data.message.id, /^msg_[0-9a-f]{32}$/);
    assert.deepEqual(all[1].data, { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 0 } });
  });

  test('finish_reason length → max_tokens; cached tokens are counted apart in message_delta', () => {
    const all = sseEvents(
      encode([
        chunk({ content: 'Once upon a' }, 'length'),
        usageChunk({ prompt_tokens: 2006, completion_tokens: 3, total_tokens: 2009, prompt_tokens_details: { cached_tokens: 1920 } }),
      ]),
    );
    const delta = all.find((e) => e.event === 'message_delta')!.data;
    assert.equal(delta.delta.stop_reason, 'max_tokens');
    assert.deepEqual(delta.usage, { input_tokens: 86, cache_creation_input_tokens: 0, cache_read_input_tokens: 1920, output_tokens: 3 });
  });

  test("error: Anthropic's error event, and nothing after it", () => {
    const encoder = anthropicClientFormat.chatStream(false);
    encoder.chunk(chunk({ content: 'partial' }));
    const failure = encoder.error(new GatewayError('upstream_stream_error', 'The upstream broke the stream.'));
    assert.equal(failure, 'event: error\ndata: {"type":"error","error":{"type":"api_error","message":"The upstream broke the stream."}}\n\n');
    assert.equal(encoder.chunk(chunk({ content: 'more' })), '');
    assert.equal(encoder.end(), '');
    assert.equal(encoder.error(new GatewayError('internal_error', 'again')), '');
  });

  test('nothing after end()', () => {
    const encoder = anthropicClientFormat.chatStream(false);
    encoder.chunk(chunk({ content: 'x' }, 'stop'));
    encoder.end();
    assert.equal(encoder.chunk(chunk({ content: 'y' })), '');
    assert.equal(encoder.end(), '');
  });
});

describe('the @anthropic-ai/sdk reads the events, fed in odd byte splits', () => {
  const toolStream = encode([
    chunk({ role: 'assistant', content: '' }),
    chunk({ content: 'Héllo 🌍, ' }),
    chunk({ content: 'checking…' }),
    chunk(toolDelta(0, { id: 'call_abc', type: 'function', function: { name: 'get_weather', arguments: '{"location": "Sa' } })),
    chunk(toolDelta(0, { function: { arguments: 'n Francisco, CA", "unit": "°C"}' } })),
    chunk({}, 'tool_calls'),
    usageChunk({ prompt_tokens: 100, completion_tokens: 42, total_tokens: 142, prompt_tokens_details: { cached_tokens: 60 } }),
  ]);

  for (const sizes of [[1], [7, 3, 11], [64, 2], [4096]]) {
    test(`messages.stream().finalMessage() with pieces of ${sizes.join(', ')} bytes`, async () => {
      const stream = sdkReading(toolStream, sizes).messages.stream(PARAMS);
      let text = '';
      stream.on('text', (delta) => {
        text += delta;
      });
      const message = await stream.finalMessage();
      assert.equal(text, 'Héllo 🌍, checking…');
      assert.equal(message.id, 'msg_chatcmpl-123');
      assert.deepEqual(message.content, [
        { type: 'text', text: 'Héllo 🌍, checking…' },
        { type: 'tool_use', id: 'call_abc', name: 'get_weather', input: { location: 'San Francisco, CA', unit: '°C' } },
      ]);
      assert.equal(message.stop_reason, 'tool_use');
      assert.deepEqual(
        { ...message.usage },
        { input_tokens: 40, cache_creation_input_tokens: 0, cache_read_input_tokens: 60, output_tokens: 42 },
      );
    });
  }

  test('messages.create({stream: true}) yields the raw events in order', async () => {
    const stream = await sdkReading(toolStream, [5, 13]).messages.create({ ...PARAMS, stream: true });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    assert.deepEqual(types, [
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
  });

  test('an error event makes the SDK throw with its message', async () => {
    const encoder = anthropicClientFormat.chatStream(false);
    const sse = encoder.chunk(chunk({ content: 'partial' })) + encoder.error(new GatewayError('upstream_error', 'Overloaded', { status: 529 }));
    const stream = sdkReading(sse, [9]).messages.stream(PARAMS);
    await assert.rejects(stream.finalMessage(), /Overloaded/);
  });
});
