/**
 * Anthropic streams → chat.completion.chunk objects: the streaming guide's text, tool use and
 * extended thinking examples, usage, JSON mode, error events, truncated streams, and bytes split
 * anywhere (multi-byte UTF-8 included).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../../src/errors.js';
import { anthropicChunkDecoder } from '../../../src/providers/anthropic/stream.js';
import type { OpenAIChatChunk } from '../../../src/providers/types.js';
import { overloadedStreamEvents, sseText, textStreamEvents, thinkingStreamEvents, toolStreamEvents, type SseEvent } from '../../support/mocks/anthropic.js';
import { anthropicTarget } from './target.js';

const MODEL = 'claude-sonnet-4-5-20250929';

/** `created` is the decoder's clock: set to 0 so that two decodings compare equal. */
function timeless(chunks: OpenAIChatChunk[]): OpenAIChatChunk[] {
  return chunks.map((chunk) => ({ ...chunk, created: 0 }));
}

function decodeWhole(text: string): OpenAIChatChunk[] {
  const decoder = anthropicChunkDecoder(anthropicTarget({ stream: true }));
  return timeless([...decoder.feed(Buffer.from(text)), ...decoder.end()]);
}

function decodeByteByByte(text: string): OpenAIChatChunk[] {
  const decoder = anthropicChunkDecoder(anthropicTarget({ stream: true }));
  const bytes = Buffer.from(text);
  const out: OpenAIChatChunk[] = [];
  for (let i = 0; i < bytes.length; i++) out.push(...decoder.feed(bytes.subarray(i, i + 1)));
  return timeless([...out, ...decoder.end()]);
}

/** The chunks without the fields every chunk repeats, after checking them. */
function choicesAndUsage(chunks: OpenAIChatChunk[]): unknown[] {
  return chunks.map((chunk) => {
    assert.equal(chunk.object, 'chat.completion.chunk');
    assert.equal(chunk.id, 'msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY');
    assert.equal(chunk.model, MODEL);
    if (chunk.choices.length === 0) return { usage: chunk.usage };
    const [choice] = chunk.choices;
    return choice.finish_reason === null ? choice.delta : { delta: choice.delta, finish_reason: choice.finish_reason };
  });
}

describe('anthropic stream', () => {
  test('text (the streaming guide example): role, text deltas, finish, usage', () => {
    assert.deepEqual(choicesAndUsage(decodeWhole(sseText(textStreamEvents(MODEL)))), [
      { role: 'assistant', content: '' },
      { content: 'Hello' },
      { content: '!' },
      { delta: {}, finish_reason: 'stop' },
      { usage: { prompt_tokens: 25, completion_tokens: 15, total_tokens: 40, prompt_tokens_details: { cached_tokens: 0, cache_creation_tokens: 0 } } },
    ]);
  });

  test('tool use: the call opens with index, id and name, then its argument fragments', () => {
    assert.deepEqual(choicesAndUsage(decodeWhole(sseText(toolStreamEvents(MODEL)))), [
      { role: 'assistant', content: '' },
      { content: 'Okay, let me check the weather for San Francisco, CA:' },
      { tool_calls: [{ index: 0, id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', type: 'function', function: { name: 'get_weather', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"location":' } }] },
      { tool_calls: [{ index: 0, function: { arguments: ' "San Francisc' } }] },
      { tool_calls: [{ index: 0, function: { arguments: 'o, CA", "unit": "fahrenheit"}' } }] },
      { delta: {}, finish_reason: 'tool_calls' },
      { usage: { prompt_tokens: 472, completion_tokens: 89, total_tokens: 561, prompt_tokens_details: { cached_tokens: 0, cache_creation_tokens: 0 } } },
    ]);
  });

  test('two tool calls get indexes 0 and 1 whatever their block index', () => {
    const events: SseEvent[] = [
      { event: 'message_start', data: { type: 'message_start', message: { id: 'msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY', model: MODEL, usage: { input_tokens: 5, output_tokens: 1 } } } },
      { event: 'content_block_start', data: { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'a', name: 'f', input: {} } } },
      { event: 'content_block_start', data: { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'b', name: 'g', input: {} } } },
      { event: 'content_block_delta', data: { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{}' } } },
      { event: 'message_delta', data: { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 9 } } },
      { event: 'message_stop', data: { type: 'message_stop' } },
    ];
    const deltas = choicesAndUsage(decodeWhole(sseText(events)));
    assert.deepEqual(deltas.slice(1, 4), [
      { tool_calls: [{ index: 0, id: 'a', type: 'function', function: { name: 'f', arguments: '' } }] },
      { tool_calls: [{ index: 1, id: 'b', type: 'function', function: { name: 'g', arguments: '' } }] },
      { tool_calls: [{ index: 1, function: { arguments: '{}' } }] },
    ]);
  });

  test('thinking → reasoning_content (signature skipped); cached prompt tokens in usage', () => {
    assert.deepEqual(choicesAndUsage(decodeWhole(sseText(thinkingStreamEvents(MODEL)))), [
      { role: 'assistant', content: '' },
      { reasoning_content: 'Let me solve this step by step:\n\n1. First break down 27 * 453' },
      { reasoning_content: '\n2. 453 = 400 + 50 + 3' },
      { content: '27 * 453 = 12,231' },
      { delta: {}, finish_reason: 'stop' },
      { usage: { prompt_tokens: 1240, completion_tokens: 160, total_tokens: 1400, prompt_tokens_details: { cached_tokens: 1000, cache_creation_tokens: 200 } } },
    ]);
  });

  test('JSON mode: the json_tool_call input streams as content, finish_reason stop', () => {
    const events = toolStreamEvents(MODEL).filter((e) => !JSON.stringify(e.data).includes('Okay, let me'));
    const text = sseText(events).replace('"get_weather"', '"json_tool_call"');
    const deltas = choicesAndUsage(decodeWhole(text));
    assert.deepEqual(deltas.slice(0, -1), [
      { role: 'assistant', content: '' },
      { content: '{"location":' },
      { content: ' "San Francisc' },
      { content: 'o, CA", "unit": "fahrenheit"}' },
      { delta: {}, finish_reason: 'stop' },
    ]);
  });

  test('message_delta usage replaces the start usage (counts are cumulative)', () => {
    const events = textStreamEvents(MODEL);
    const delta = events.find((e) => e.event === 'message_delta')!;
    (delta.data as { usage: unknown }).usage = { input_tokens: 30, cache_read_input_tokens: 7, output_tokens: 16 };
    const last = decodeWhole(sseText(events)).at(-1)!;
    assert.deepEqual(last.usage, { prompt_tokens: 37, completion_tokens: 16, total_tokens: 53, prompt_tokens_details: { cached_tokens: 7, cache_creation_tokens: 0 } });
  });

  test('bytes fed one at a time, multi-byte UTF-8 included, give the same chunks', () => {
    const text = sseText(textStreamEvents(MODEL, ['héllo 世界 ', '🧑🏽‍💻 «ok»']));
    const whole = decodeWhole(text);
    assert.deepEqual(decodeByteByByte(text), whole);
    assert.equal(whole.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'héllo 世界 🧑🏽‍💻 «ok»');
  });

  test('CRLF line ends and a last event without its blank line', () => {
    const text = sseText(textStreamEvents(MODEL)).replace(/\n/g, '\r\n').replace(/\r\n\r\n$/, '');
    assert.deepEqual(decodeWhole(text), decodeWhole(sseText(textStreamEvents(MODEL))));
  });

  test('an error event throws upstream_error with the status of its type', () => {
    const decoder = anthropicChunkDecoder(anthropicTarget({ stream: true }));
    assert.throws(() => decoder.feed(Buffer.from(sseText(overloadedStreamEvents(MODEL)))), (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.equal(error.code, 'upstream_error');
      assert.equal(error.status, 529);
      assert.equal(error.message, 'Overloaded');
      return true;
    });
  });

  test('a stream cut before any stop reason is upstream_bad_response; one missing only message_stop finishes', () => {
    const events = textStreamEvents(MODEL);
    const cut = anthropicChunkDecoder(anthropicTarget({ stream: true }));
    cut.feed(Buffer.from(sseText(events.slice(0, 4))));
    assert.throws(() => cut.end(), (e: unknown) => e instanceof GatewayError && e.code === 'upstream_bad_response');
    const noStop = decodeWhole(sseText(events.slice(0, -1)));
    assert.equal(noStop.at(-2)?.choices[0].finish_reason, 'stop');
    assert.deepEqual(noStop.at(-1)?.choices, []);
  });

  test('an event that is not JSON is upstream_bad_response; unknown events and comments are skipped', () => {
    const decoder = anthropicChunkDecoder(anthropicTarget({ stream: true }));
    assert.throws(() => decoder.feed(Buffer.from('event: message_start\ndata: {not json\n\n')), (e: unknown) => e instanceof GatewayError && e.code === 'upstream_bad_response');
    const text = ': keep-alive\n\n' + sseText([{ event: 'future_event', data: { type: 'future_event', x: 1 } }]) + sseText(textStreamEvents(MODEL));
    assert.deepEqual(decodeWhole(text), decodeWhole(sseText(textStreamEvents(MODEL))));
  });

  test('the fed buffer is lent: reusing it after feed does not change held bytes', () => {
    const decoder = anthropicChunkDecoder(anthropicTarget({ stream: true }));
    const text = sseText(textStreamEvents(MODEL));
    const cut = text.indexOf('Hello') + 2;
    const first = Buffer.from(text.slice(0, cut));
    const out = decoder.feed(first);
    first.fill(0x20);
    out.push(...decoder.feed(Buffer.from(text.slice(cut))), ...decoder.end());
    assert.deepEqual(timeless(out), decodeWhole(text));
  });
});
