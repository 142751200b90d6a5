import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayError } from '../../../src/errors.js';
import { CohereChunkDecoder } from '../../../src/providers/cohere/stream.js';
import type { OpenAIChatChunk } from '../../../src/providers/types.js';
import { cohereTarget } from './target.js';

/** Events as Cohere writes them: `event:` and `data:` lines, a blank line after each. */
function sse(events: Record<string, unknown>[]): Buffer {
  return Buffer.from(events.map((e) => `event: ${String(e.type)}\ndata: ${JSON.stringify(e)}\n\n`).join(''));
}

/** Feeds `bytes` in pieces of `size` bytes (splitting lines and UTF-8 sequences) and ends the stream. */
function decode(bytes: Buffer, size = bytes.length): OpenAIChatChunk[] {
  const decoder = new CohereChunkDecoder(cohereTarget({ stream: true }));
  const chunks: OpenAIChatChunk[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(...decoder.feed(bytes.subarray(i, i + size)));
  return [...chunks, ...decoder.end()];
}

const USAGE = { billed_units: { input_tokens: 3, output_tokens: 2 }, tokens: { input_tokens: 69, output_tokens: 2 } };

const TEXT_STREAM = sse([
  { type: 'message-start', id: '29f14a5a-11de-4cae-9800-25e4747408ed', delta: { message: { role: 'assistant', content: [], tool_plan: '', tool_calls: [], citations: [] } } },
  { type: 'content-start', index: 0, delta: { message: { content: { type: 'text', text: '' } } } },
  { type: 'content-delta', index: 0, delta: { message: { content: { text: 'Bonjour' } } } },
  { type: 'content-delta', index: 0, delta: { message: { content: { text: ' à tous' } } } },
  { type: 'content-end', index: 0 },
  { type: 'message-end', delta: { finish_reason: 'COMPLETE', usage: USAGE } },
]);

test('a text stream: role first, the text pieces, the finish chunk, then the usage chunk', () => {
  for (const size of [TEXT_STREAM.length, 7, 1]) {
    const chunks = decode(TEXT_STREAM, size);
    assert.deepEqual(chunks.map((c) => c.choices[0]?.delta ?? null), [{ role: 'assistant', content: '' }, { content: 'Bonjour' }, { content: ' à tous' }, {}, null], `pieces of ${size}`);
    assert.equal(chunks[3].choices[0].finish_reason, 'stop');
    assert.deepEqual(chunks[4].choices, []);
    assert.deepEqual(chunks[4].usage, { prompt_tokens: 69, completion_tokens: 2, total_tokens: 71 });
    for (const chunk of chunks) {
      assert.equal(chunk.id, 'chatcmpl-29f14a5a-11de-4cae-9800-25e4747408ed');
      assert.equal(chunk.object, 'chat.completion.chunk');
      assert.equal(chunk.model, 'command-a-03-2025');
    }
  }
});

test('a tool-call stream: the plan as reasoning_content, each call started then its arguments, finish tool_calls', () => {
  const chunks = decode(sse([
    { type: 'message-start', id: 'm1', delta: { message: { role: 'assistant' } } },
    { type: 'tool-plan-delta', delta: { message: { tool_plan: 'I will check' } } },
    { type: 'tool-plan-delta', delta: { message: { tool_plan: ' the weather.' } } },
    { type: 'tool-call-start', index: 0, delta: { message: { tool_calls: { id: 'get_weather_nsz5zm3w56q3', type: 'function', function: { name: 'get_weather', arguments: '' } } } } },
    { type: 'tool-call-delta', index: 0, delta: { message: { tool_calls: { function: { arguments: '{"location":' } } } } },
    { type: 'tool-call-delta', index: 0, delta: { message: { tool_calls: { function: { arguments: '"Toronto"}' } } } } },
    { type: 'tool-call-end', index: 0 },
    { type: 'tool-call-start', index: 1, delta: { message: { tool_calls: { id: 'get_time_2', type: 'function', function: { name: 'get_time', arguments: '{}' } } } } },
    { type: 'tool-call-end', index: 1 },
    { type: 'message-end', delta: { finish_reason: 'TOOL_CALL', usage: USAGE } },
  ]), 11);
  const deltas = chunks.map((c) => c.choices[0]?.delta ?? null);
  assert.deepEqual(deltas.slice(1, 7), [
    { reasoning_content: 'I will check' },
    { reasoning_content: ' the weather.' },
    { tool_calls: [{ index: 0, id: 'get_weather_nsz5zm3w56q3', type: 'function', function: { name: 'get_weather', arguments: '' } }] },
    { tool_calls: [{ index: 0, function: { arguments: '{"location":' } }] },
    { tool_calls: [{ index: 0, function: { arguments: '"Toronto"}' } }] },
    { tool_calls: [{ index: 1, id: 'get_time_2', type: 'function', function: { name: 'get_time', arguments: '{}' } }] },
  ]);
  assert.equal(chunks[7].choices[0].finish_reason, 'tool_calls');
});

test('thinking deltas become reasoning_content; CRLF line ends and unknown events are fine', () => {
  const text = [
    'event: message-start\r\ndata: {"type":"message-start","id":"m"}\r\n\r\n',
    'event: content-delta\r\ndata: {"type":"content-delta","index":0,"delta":{"message":{"content":{"thinking":"Let me see."}}}}\r\n\r\n',
    'event: citation-start\r\ndata: {"type":"citation-start","index":0,"delta":{"message":{"citations":{}}}}\r\n\r\n',
    'event: message-end\r\ndata: {"type":"message-end","delta":{"finish_reason":"MAX_TOKENS"}}\r\n\r\n',
  ].join('');
  const chunks = decode(Buffer.from(text));
  assert.deepEqual(chunks[1].choices[0].delta, { reasoning_content: 'Let me see.' });
  assert.equal(chunks[2].choices[0].finish_reason, 'length');
  assert.equal(chunks.length, 3, 'no usage reported, no usage chunk');
});

test('an ERROR finish or a stream cut before message-end throws upstream_stream_error; bad JSON upstream_bad_response', () => {
  const failed = sse([{ type: 'message-start', id: 'm' }, { type: 'message-end', delta: { finish_reason: 'ERROR', error: 'internal failure' } }]);
  assert.throws(() => decode(failed), (e: unknown) => e instanceof GatewayError && e.code === 'upstream_stream_error' && /internal failure/.test(e.message));
  const cut = sse([{ type: 'message-start', id: 'm' }, { type: 'content-delta', delta: { message: { content: { text: 'Hal' } } } }]);
  assert.throws(() => decode(cut), (e: unknown) => e instanceof GatewayError && e.code === 'upstream_stream_error');
  assert.throws(() => decode(Buffer.from('data: {oops\n\n')), (e: unknown) => e instanceof GatewayError && e.code === 'upstream_bad_response');
});
