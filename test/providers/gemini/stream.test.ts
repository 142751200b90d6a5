/**
 * streamGenerateContent?alt=sse answers as canonical chunks, whatever the byte split: role first,
 * text and thoughts as they come, function calls numbered, finish reasons, the usage chunk last.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayError } from '../../../src/errors.js';
import { adapter } from '../../../src/providers/gemini/index.js';
import type { OpenAIChatChunk } from '../../../src/providers/types.js';
import { functionCallStreamEvents, MOCK_RESPONSE_ID, textStreamEvents } from '../../support/mocks/gemini.js';
import { googleTarget } from './target.js';

function sse(events: readonly unknown[], separator = '\r\n\r\n'): Buffer {
  return Buffer.from(events.map((event) => `data: ${JSON.stringify(event)}${separator}`).join(''), 'utf8');
}

/** Decodes `bytes` fed in pieces of `step` bytes. */
function decode(bytes: Buffer, step = bytes.length): OpenAIChatChunk[] {
  const decoder = adapter.chat!.stream(googleTarget({ stream: true }));
  const chunks: OpenAIChatChunk[] = [];
  for (let at = 0; at < bytes.length; at += step) chunks.push(...decoder.feed(bytes.subarray(at, at + step)));
  chunks.push(...decoder.end());
  return chunks;
}

test('text events: role on the first chunk, content pieces, stop, then the usage chunk from the last usageMetadata', () => {
  const chunks = decode(sse(textStreamEvents('gemini-2.5-flash')));
  assert.deepEqual(chunks.map((c) => c.choices), [
    [{ index: 0, delta: { role: 'assistant', content: 'Hello' }, finish_reason: null }],
    [{ index: 0, delta: { content: ' from the' }, finish_reason: null }],
    [{ index: 0, delta: { content: ' stream.' }, finish_reason: 'stop' }],
    [],
  ]);
  assert.deepEqual(chunks[3].usage, { prompt_tokens: 9, completion_tokens: 5, total_tokens: 14 });
  for (const chunk of chunks) {
    assert.equal(chunk.id, `chatcmpl-${MOCK_RESPONSE_ID}`);
    assert.equal(chunk.object, 'chat.completion.chunk');
    assert.equal(chunk.model, 'gemini-2.5-flash');
  }
});

test('any byte split, LF or CRLF separators, and characters split across reads give the same chunks', () => {
  const events = textStreamEvents('gemini-2.5-flash', ['Grüße ', '🌍', ' 東京']);
  const whole = decode(sse(events)).map((c) => c.choices);
  for (const step of [1, 2, 3, 7, 64]) {
    assert.deepEqual(decode(sse(events), step).map((c) => c.choices), whole, `step ${step}`);
    assert.deepEqual(decode(sse(events, '\n\n'), step).map((c) => c.choices), whole, `LF, step ${step}`);
  }
  assert.equal(whole.map((choices) => choices[0]?.delta.content ?? '').join(''), 'Grüße 🌍 東京');
});

test('a function call arrives whole in one chunk, numbered; finish_reason is tool_calls', () => {
  const chunks = decode(sse(functionCallStreamEvents('gemini-2.5-flash', 'get_weather', { city: 'Paris' })));
  const call = chunks[0].choices[0].delta.tool_calls![0];
  assert.equal(call.index, 0);
  assert.match(call.id!, /^call_[0-9a-f]{24}$/);
  assert.deepEqual([call.type, call.function], ['function', { name: 'get_weather', arguments: '{"city":"Paris"}' }]);
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  assert.deepEqual(chunks[1].choices, [{ index: 0, delta: {}, finish_reason: 'tool_calls' }]);
  assert.deepEqual(chunks[2].usage, { prompt_tokens: 52, completion_tokens: 18, total_tokens: 70 });
});

test('calls in later events continue the numbering; thoughts stream as reasoning_content', () => {
  const chunks = decode(sse([
    { candidates: [{ content: { parts: [{ text: 'Let me think.', thought: true }], role: 'model' } }] },
    { candidates: [{ content: { parts: [{ functionCall: { name: 'a', args: {} } }, { functionCall: { name: 'b', args: { x: 1 } } }], role: 'model' } }] },
    { candidates: [{ content: { parts: [{ functionCall: { name: 'c', args: {} } }], role: 'model' }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 4, thoughtsTokenCount: 5 } },
  ]));
  assert.deepEqual(chunks[0].choices[0].delta, { role: 'assistant', reasoning_content: 'Let me think.' });
  assert.deepEqual(chunks[1].choices[0].delta.tool_calls!.map((c) => [c.index, c.function?.name]), [[0, 'a'], [1, 'b']]);
  assert.deepEqual(chunks[2].choices[0].delta.tool_calls!.map((c) => [c.index, c.function?.name]), [[2, 'c']]);
  assert.equal(chunks[2].choices[0].finish_reason, 'tool_calls');
  assert.deepEqual(chunks[3].usage, { prompt_tokens: 3, completion_tokens: 9, total_tokens: 12, completion_tokens_details: { reasoning_tokens: 5 } });
});

test('a prompt blocked in a stream ends with content_filter; no usage, no usage chunk', () => {
  const chunks = decode(sse([{ promptFeedback: { blockReason: 'PROHIBITED_CONTENT' } }]));
  assert.deepEqual(chunks.map((c) => c.choices), [[{ index: 0, delta: { role: 'assistant' }, finish_reason: 'content_filter' }]]);
});

test('an unterminated last event is read at the end', () => {
  const bytes = Buffer.from(`data: ${JSON.stringify(textStreamEvents('m', ['only'])[0])}`);
  assert.deepEqual(decode(bytes).map((c) => c.choices[0]?.delta.content ?? 'usage'), ['only', 'usage']);
});

test('an error event breaks the stream; an unreadable event is upstream_bad_response', () => {
  const decoder = adapter.chat!.stream(googleTarget({ stream: true }));
  assert.throws(() => decoder.feed(sse([{ error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } }])), (error: unknown) =>
    error instanceof GatewayError && error.code === 'upstream_stream_error' && /UNAVAILABLE The model is overloaded/.test(error.message));
  assert.throws(() => adapter.chat!.stream(googleTarget()).feed(Buffer.from('data: {oops\n\n')), (error: unknown) => error instanceof GatewayError && error.code === 'upstream_bad_response');
});
