/**
 * ConverseStream answers (AWS event-stream frames made with the AWS SDK's codec) read into
 * chat.completion.chunk objects: whatever the byte split, text, tool calls, reasoning, the
 * response_format tool, the finish chunk and the usage chunk last; exception events thrown with
 * their status; streams cut short or corrupt refused.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConverseStreamDecoder } from '../../../src/providers/bedrock/chat-stream.js';
import type { OpenAIChatChunk } from '../../../src/providers/types.js';
import { encodeEvent, streamEventsOf, type ConverseReply, type StreamEvent } from '../../support/mocks/bedrock.js';
import { bedrockTarget, CLAUDE } from './targets.js';

const bytesOf = (events: StreamEvent[]) => Buffer.concat(events.map(encodeEvent));

/** Decodes `bytes` fed in pieces cut at `cuts`; chunks without id/created (they vary per decoder). */
function decode(bytes: Buffer, cuts: number[] = []): Omit<OpenAIChatChunk, 'id' | 'created'>[] {
  const decoder = new ConverseStreamDecoder(bedrockTarget({ stream: true }));
  const chunks: OpenAIChatChunk[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    chunks.push(...decoder.feed(bytes.subarray(from, cut)));
    from = cut;
  }
  chunks.push(...decoder.end());
  const ids = new Set(chunks.map((c) => c.id));
  assert.equal(ids.size, 1, 'one id for the whole stream');
  return chunks.map(({ id: _id, created: _created, ...rest }) => rest);
}

const delta = (d: object, finish_reason: string | null = null) => ({ object: 'chat.completion.chunk', model: CLAUDE, choices: [{ index: 0, delta: d, finish_reason }] });

const textReply: ConverseReply = { content: [{ text: 'Hello there' }], stopReason: 'end_turn', usage: { inputTokens: 9, outputTokens: 3, totalTokens: 12 } };

describe('ConverseStreamDecoder', () => {
  test('a text answer: role, text pieces, finish, then the usage chunk', () => {
    assert.deepEqual(decode(bytesOf(streamEventsOf(textReply))), [
      delta({ role: 'assistant', content: '' }),
      delta({ content: 'Hello ' }),
      delta({ content: 'there' }),
      delta({}, 'stop'),
      { object: 'chat.completion.chunk', model: CLAUDE, choices: [], usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 } },
    ]);
  });

  test('the same chunks whatever the split: byte by byte, and cut once at every offset', () => {
    const bytes = bytesOf(streamEventsOf(textReply));
    const whole = decode(bytes);
    assert.deepEqual(decode(bytes, Array.from({ length: bytes.length - 1 }, (_, i) => i + 1)), whole);
    for (let cut = 1; cut < bytes.length; cut++) assert.deepEqual(decode(bytes, [cut]), whole, `cut at ${cut}`);
  });

  test('tool uses become tool calls numbered from 0 whatever their content block index', () => {
    const chunks = decode(
      bytesOf(
        streamEventsOf({
          content: [
            { text: 'Checking.' },
            { toolUse: { toolUseId: 'tooluse_a', name: 'get_weather', input: { city: 'Paris' } } },
            { toolUse: { toolUseId: 'tooluse_b', name: 'get_weather', input: { city: 'Rome' } } },
          ],
          stopReason: 'tool_use',
          usage: { inputTokens: 50, outputTokens: 40, totalTokens: 90 },
        }),
      ),
    );
    const toolDeltas = chunks.flatMap((c) => c.choices.flatMap((choice) => choice.delta.tool_calls ?? []));
    assert.deepEqual(toolDeltas, [
      { index: 0, id: 'tooluse_a', type: 'function', function: { name: 'get_weather', arguments: '' } },
      { index: 0, function: { arguments: '{"city":' } },
      { index: 0, function: { arguments: '"Paris"}' } },
      { index: 1, id: 'tooluse_b', type: 'function', function: { name: 'get_weather', arguments: '' } },
      { index: 1, function: { arguments: '{"city":' } },
      { index: 1, function: { arguments: '"Rome"}' } },
    ]);
    assert.equal(chunks[chunks.length - 2].choices[0].finish_reason, 'tool_calls');
  });

  test('reasoning deltas become reasoning_content; signatures are left out', () => {
    const chunks = decode(
      bytesOf(
        streamEventsOf({
          content: [{ reasoningContent: { reasoningText: { text: 'Think.', signature: 'c2ln' } } }, { text: 'Done' }],
          stopReason: 'end_turn',
          usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 },
        }),
      ),
    );
    assert.deepEqual(chunks.slice(1, 4), [delta({ reasoning_content: 'Think.' }), delta({ content: 'Do' }), delta({ content: 'ne' })]);
  });

  test("the response_format tool's input streams as content and finishes with stop", () => {
    const chunks = decode(
      bytesOf(streamEventsOf({ content: [{ toolUse: { toolUseId: 't', name: 'json_tool_call', input: { ok: true } } }], stopReason: 'tool_use', usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 } })),
    );
    assert.deepEqual(chunks.slice(0, 4), [delta({ role: 'assistant', content: '' }), delta({ content: '{"ok":' }), delta({ content: 'true}' }), delta({}, 'stop')]);
  });

  test('metadata with cache tokens: prompt_tokens includes them', () => {
    const chunks = decode(bytesOf(streamEventsOf({ ...textReply, usage: { inputTokens: 4, outputTokens: 3, totalTokens: 1007, cacheReadInputTokens: 1000 } })));
    assert.deepEqual(chunks[chunks.length - 1].usage, { prompt_tokens: 1004, completion_tokens: 3, total_tokens: 1007, prompt_tokens_details: { cached_tokens: 1000, cache_creation_tokens: 0 } });
  });

  test('an exception event is thrown as upstream_error with its status and message, after the chunks before it', () => {
    const events: StreamEvent[] = [{ event: 'messageStart', payload: { role: 'assistant' } }, { exception: 'throttlingException', message: 'Too many requests, please wait before trying again.' }];
    const decoder = new ConverseStreamDecoder(bedrockTarget({ stream: true }));
    assert.throws(
      () => decoder.feed(bytesOf(events.slice(1))),
      (error: any) => error.code === 'upstream_error' && error.status === 429 && error.message === 'Bedrock throttlingException: Too many requests, please wait before trying again.',
    );
    const partial = new ConverseStreamDecoder(bedrockTarget({ stream: true }));
    const before = partial.feed(bytesOf([...events.slice(0, 1), { event: 'contentBlockDelta', payload: { contentBlockIndex: 0, delta: { text: 'Part' } } }, events[1]]));
    assert.deepEqual(before.map((c) => c.choices[0].delta), [{ role: 'assistant', content: '' }, { content: 'Part' }], 'the chunks before the exception come out');
    assert.throws(() => partial.end(), (error: any) => error.code === 'upstream_error' && error.status === 429);
    const modelError = new ConverseStreamDecoder(bedrockTarget({ stream: true }));
    assert.throws(() => modelError.feed(bytesOf([{ exception: 'modelStreamErrorException', message: 'boom' }])), (error: any) => error.status === 424);
  });

  test('a stream cut before messageStop, inside a frame, or with a bad checksum is upstream_bad_response', () => {
    const bad = (error: any) => error.code === 'upstream_bad_response';
    const events = streamEventsOf(textReply);
    const noStop = new ConverseStreamDecoder(bedrockTarget({ stream: true }));
    noStop.feed(bytesOf(events.slice(0, 3)));
    assert.throws(() => noStop.end(), bad);
    const bytes = bytesOf(events);
    const cut = new ConverseStreamDecoder(bedrockTarget({ stream: true }));
    cut.feed(bytes.subarray(0, bytes.length - 5));
    assert.throws(() => cut.end(), bad);
    const corrupt = Buffer.from(bytes);
    corrupt[20] ^= 0xff;
    assert.throws(() => new ConverseStreamDecoder(bedrockTarget({ stream: true })).feed(corrupt), bad);
  });
});
