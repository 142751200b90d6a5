import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayError } from '../../../src/errors.js';
import { OllamaChunkDecoder } from '../../../src/providers/ollama/stream.js';
import type { OpenAIChatChunk } from '../../../src/providers/types.js';
import { ollamaTarget } from './target.js';

const ndjson = (lines: unknown[]) => Buffer.from(lines.map((l) => JSON.stringify(l) + '\n').join(''));

/** Feeds `bytes` in pieces of `size` bytes (splitting lines and UTF-8 sequences) and ends the stream. */
function decode(bytes: Buffer, size = bytes.length): OpenAIChatChunk[] {
  const decoder = new OllamaChunkDecoder(ollamaTarget({ stream: true }));
  const chunks: OpenAIChatChunk[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(...decoder.feed(bytes.subarray(i, i + size)));
  return [...chunks, ...decoder.end()];
}

const AT = '2023-08-04T08:52:19.385406455-07:00';
const TEXT_STREAM = ndjson([
  { model: 'llama3.2', created_at: AT, message: { role: 'assistant', content: 'The' }, done: false },
  { model: 'llama3.2', created_at: AT, message: { role: 'assistant', content: ' sky é' }, done: false },
  { model: 'llama3.2', created_at: AT, message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop', total_duration: 4883583458, prompt_eval_count: 26, eval_count: 282 },
]);

test('a text stream: role with the first piece, the pieces, the finish chunk, the usage chunk', () => {
  for (const size of [TEXT_STREAM.length, 5, 1]) {
    const chunks = decode(TEXT_STREAM, size);
    assert.deepEqual(chunks.map((c) => c.choices[0]?.delta ?? null), [{ role: 'assistant', content: 'The' }, { content: ' sky é' }, {}, null], `pieces of ${size}`);
    assert.equal(chunks[2].choices[0].finish_reason, 'stop');
    assert.deepEqual(chunks[3].usage, { prompt_tokens: 26, completion_tokens: 282, total_tokens: 308 });
    assert.deepEqual(chunks[3].choices, []);
    assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
    assert.equal(chunks[0].created, 1691164339);
    assert.equal(chunks[0].model, 'llama3.2');
  }
});

test('thinking, then tool calls (whole, with made ids and growing indexes), then finish tool_calls', () => {
  const chunks = decode(ndjson([
    { model: 'qwen3', created_at: AT, message: { role: 'assistant', content: '', thinking: 'Weather needed.' }, done: false },
    { model: 'qwen3', created_at: AT, message: { role: 'assistant', content: '', tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Paris' } } }] }, done: false },
    { model: 'qwen3', created_at: AT, message: { role: 'assistant', content: '', tool_calls: [{ function: { name: 'get_time', arguments: {} } }] }, done: false },
    { model: 'qwen3', created_at: AT, message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop', prompt_eval_count: 10, eval_count: 5 },
  ]));
  assert.deepEqual(chunks[0].choices[0].delta, { role: 'assistant', content: '', reasoning_content: 'Weather needed.' });
  const calls = [chunks[1], chunks[2]].map((c) => c.choices[0].delta.tool_calls![0]);
  assert.deepEqual(calls.map((c) => [c.index, c.type, c.function]), [[0, 'function', { name: 'get_weather', arguments: '{"city":"Paris"}' }], [1, 'function', { name: 'get_time', arguments: '{}' }]]);
  assert.ok(calls.every((c) => typeof c.id === 'string' && c.id.startsWith('call_')));
  assert.equal(chunks[3].choices[0].finish_reason, 'tool_calls');
});

test('done_reason length → length; a final line without counts sends no usage chunk', () => {
  const chunks = decode(ndjson([{ model: 'm', message: { content: 'a' }, done: false }, { model: 'm', message: { content: '' }, done: true, done_reason: 'length' }]));
  assert.equal(chunks[chunks.length - 1].choices[0].finish_reason, 'length');
  assert.ok(chunks.every((c) => c.usage === undefined));
});

test('an error line or a stream cut before done throws upstream_stream_error; a bad line upstream_bad_response', () => {
  assert.throws(() => decode(ndjson([{ model: 'm', message: { content: 'a' }, done: false }, { error: 'an error was encountered while running the model' }])),
    (e: unknown) => e instanceof GatewayError && e.code === 'upstream_stream_error' && /running the model/.test(e.message));
  assert.throws(() => decode(ndjson([{ model: 'm', message: { content: 'a' }, done: false }])), (e: unknown) => e instanceof GatewayError && e.code === 'upstream_stream_error');
  assert.throws(() => decode(Buffer.from('{oops\n')), (e: unknown) => e instanceof GatewayError && e.code === 'upstream_bad_response');
});
