/**
 * Canonical chunks as the Responses API's streamed events: the exact events of a text answer (as
 * OpenAI's streaming reference shows them), reasoning, tool calls (arguments split, held until
 * the name comes, parallel, interleaved), incomplete answers, odd chunks, the end and errors.
 * The bytes are also read back by the official openai SDK (its responses.stream() accumulator
 * and the raw event iterator), fed to it in odd byte splits.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import OpenAI from 'openai';
import { GatewayError } from '../../../src/errors.js';
import { responsesClientFormat } from '../../../src/frontdoor/responses/index.js';
import type { OpenAIChatChunk, OpenAIUsage } from '../../../src/providers/types.js';
import { chunk, encodeChunks, sseEvents, streamedResponse, toolDelta, usageChunk, type SseEvent } from '../client-format.js';

const USAGE: OpenAIUsage = { prompt_tokens: 36, completion_tokens: 87, total_tokens: 123 };

/** Runs chunks through a fresh encoder and closes it. */
function encode(chunks: OpenAIChatChunk[]): string {
  return encodeChunks(responsesClientFormat, chunks);
}

/** The events, checked for form (client-format.ts) and for their sequence numbers 0, 1, 2… */
function events(sse: string): SseEvent[] {
  const parsed = sseEvents(sse);
  assert.deepEqual(
    parsed.map((e) => e.data.sequence_number),
    parsed.map((_, index) => index),
  );
  return parsed;
}

/** A compact outline: `added:0:message`, `text.delta:0`, `done:1:function_call`… */
function outline(sse: string): string[] {
  return events(sse).map(({ data }) => {
    const type = (data.type as string).replace(/^response\./, '');
    if (type === 'output_item.added' || type === 'output_item.done') return `${type}:${data.output_index}:${data.item.type}`;
    if ('output_index' in data) return `${type}:${data.output_index}`;
    return type;
  });
}

/** Generated ids (msg_, fc_, rs_, call_ + 32 hex digits) as `<msg>`, `<fc>`…, so whole events compare. */
function normalized(sse: string): any[] {
  return events(sse).map((e) => JSON.parse(JSON.stringify(e.data).replace(/"(msg|fc|rs|call)_[0-9a-f]{32}"/g, '"<$1>"')));
}

/** A fetch that answers with `body` as an event stream, `split` bytes at a time. */
function streamingFetch(body: string, split: number): typeof fetch {
  return async () => streamedResponse(body, [split]);
}

const TOOL_CHUNKS = [
  chunk({ role: 'assistant', content: null }),
  chunk({ content: 'Let me check.' }),
  chunk(toolDelta(0, { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } })),
  chunk(toolDelta(0, { function: { arguments: '{"city":' } })),
  chunk(toolDelta(0, { function: { arguments: '"Paris"}' } })),
  chunk(toolDelta(1, { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } })),
  chunk({}, 'tool_calls'),
  usageChunk(USAGE),
];

describe('canonical chunks → Responses streaming events', () => {
  test('a text answer: every event, exactly', () => {
    const sse = encode([chunk({ role: 'assistant', content: '' }), chunk({ content: 'Hi' }), chunk({ content: ' there!' }), chunk({}, 'stop'), usageChunk(USAGE)]);
    const envelope = {
      id: 'resp_chatcmpl-123',
      object: 'response',
      created_at: 1694268190,
      error: null,
      incomplete_details: null,
      instructions: null,
      model: 'gpt-4o-mini',
      parallel_tool_calls: true,
      previous_response_id: null,
      store: false,
      temperature: null,
      tool_choice: 'auto',
      tools: [],
      top_p: null,
      truncation: 'disabled',
      metadata: null,
    };
    const inProgress = { ...envelope, status: 'in_progress', output: [], usage: null };
    const part = (text: string) => ({ type: 'output_text', text, annotations: [], logprobs: [] });
    const message = { id: '<msg>', type: 'message', status: 'completed', content: [part('Hi there!')], role: 'assistant' };
    const address = { item_id: '<msg>', output_index: 0, content_index: 0 };
    assert.deepEqual(normalized(sse), [
      { type: 'response.created', sequence_number: 0, response: inProgress },
      { type: 'response.in_progress', sequence_number: 1, response: inProgress },
      { type: 'response.output_item.added', sequence_number: 2, output_index: 0, item: { id: '<msg>', type: 'message', status: 'in_progress', content: [], role: 'assistant' } },
      { type: 'response.content_part.added', sequence_number: 3, ...address, part: part('') },
      { type: 'response.output_text.delta', sequence_number: 4, ...address, delta: 'Hi', logprobs: [] },
      { type: 'response.output_text.delta', sequence_number: 5, ...address, delta: ' there!', logprobs: [] },
      { type: 'response.output_text.done', sequence_number: 6, ...address, text: 'Hi there!', logprobs: [] },
      { type: 'response.content_part.done', sequence_number: 7, ...address, part: part('Hi there!') },
      { type: 'response.output_item.done', sequence_number: 8, output_index: 0, item: message },
      {
        type: 'response.completed',
        sequence_number: 9,
        response: {
          ...envelope,
          status: 'completed',
          output: [message],
          usage: { input_tokens: 36, input_tokens_details: { cached_tokens: 0 }, output_tokens: 87, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 123 },
        },
      },
    ]);
  });

  test('text then tool calls: one item after another, arguments as they come', () => {
    const sse = encode(TOOL_CHUNKS);
    assert.deepEqual(outline(sse), [
      'created',
      'in_progress',
      'output_item.added:0:message',
      'content_part.added:0',
      'output_text.delta:0',
      'output_text.done:0',
      'content_part.done:0',
      'output_item.done:0:message',
      'output_item.added:1:function_call',
      'function_call_arguments.delta:1',
      'function_call_arguments.delta:1',
      'function_call_arguments.done:1',
      'output_item.done:1:function_call',
      'output_item.added:2:function_call',
      'function_call_arguments.delta:2',
      'function_call_arguments.done:2',
      'output_item.done:2:function_call',
      'completed',
    ]);
    const all = normalized(sse);
    assert.deepEqual(all[8].item, { id: '<fc>', type: 'function_call', status: 'in_progress', arguments: '', call_id: 'call_1', name: 'get_weather' });
    assert.deepEqual(all[11], { type: 'response.function_call_arguments.done', sequence_number: 11, item_id: '<fc>', output_index: 1, name: 'get_weather', arguments: '{"city":"Paris"}' });
    assert.deepEqual(all[12].item, { id: '<fc>', type: 'function_call', status: 'completed', arguments: '{"city":"Paris"}', call_id: 'call_1', name: 'get_weather' });
    const completed = all[all.length - 1].response;
    assert.deepEqual(
      completed.output.map((item: any) => [item.type, item.call_id ?? null, item.arguments ?? item.content[0].text]),
      [
        ['message', null, 'Let me check.'],
        ['function_call', 'call_1', '{"city":"Paris"}'],
        ['function_call', 'call_2', '{"city":"Oslo"}'],
      ],
    );
    assert.equal(completed.usage.total_tokens, 123);
    // The item ids of the deltas are those of the items they belong to.
    const raw = events(sse).map((e) => e.data);
    assert.equal(raw[9].item_id, raw[8].item.id);
    assert.equal(raw[14].item_id, raw[13].item.id);
  });

  test('arguments before the name are held; a call still unnamed at the end goes out with what it has', () => {
    const held = normalized(
      encode([
        chunk(toolDelta(0, { id: 'call_1', function: { arguments: '{"a":' } })),
        chunk(toolDelta(0, { function: { name: 'f', arguments: '1}' } })),
        chunk({}, 'tool_calls'),
      ]),
    );
    assert.deepEqual(
      held.filter((e) => e.type.startsWith('response.function_call_arguments')).map((e) => e.delta ?? e.arguments),
      ['{"a":1}', '{"a":1}'],
    );
    const unnamed = normalized(encode([chunk(toolDelta(0, { function: { arguments: '{}' } }))]));
    const item = unnamed.find((e) => e.type === 'response.output_item.done').item;
    assert.deepEqual(item, { id: '<fc>', type: 'function_call', status: 'completed', arguments: '{}', call_id: '<call>', name: '' });
  });

  test('a fragment for a call whose item ended goes out on its output_index and into the final response', () => {
    const all = normalized(
      encode([
        chunk(toolDelta(0, { id: 'call_1', function: { name: 'f', arguments: '{"a"' } })),
        chunk(toolDelta(1, { id: 'call_2', function: { name: 'g', arguments: '{}' } })),
        chunk(toolDelta(0, { function: { arguments: ':1}' } })),
        chunk({}, 'tool_calls'),
      ]),
    );
    const late = all.filter((e) => e.type === 'response.function_call_arguments.delta').pop();
    assert.equal(late.output_index, 0);
    assert.equal(late.delta, ':1}');
    assert.equal(all[all.length - 1].response.output[0].arguments, '{"a":1}');
  });

  test('reasoning_content: a reasoning item with a reasoning_text part, before the message', () => {
    const sse = encode([chunk({ reasoning_content: 'Think' }), chunk({ reasoning_content: 'ing.' }), chunk({ content: 'Done.' }), chunk({}, 'stop')]);
    assert.deepEqual(outline(sse), [
      'created',
      'in_progress',
      'output_item.added:0:reasoning',
      'content_part.added:0',
      'reasoning_text.delta:0',
      'reasoning_text.delta:0',
      'reasoning_text.done:0',
      'content_part.done:0',
      'output_item.done:0:reasoning',
      'output_item.added:1:message',
      'content_part.added:1',
      'output_text.delta:1',
      'output_text.done:1',
      'content_part.done:1',
      'output_item.done:1:message',
      'completed',
    ]);
    const all = normalized(sse);
    assert.deepEqual(all[2].item, { id: '<rs>', type: 'reasoning', status: 'in_progress', summary: [], content: [] });
    assert.deepEqual(all[3].part, { type: 'reasoning_text', text: '' });
    assert.deepEqual(all[8].item, { id: '<rs>', type: 'reasoning', status: 'completed', summary: [], content: [{ type: 'reasoning_text', text: 'Thinking.' }] });
    assert.equal(all[all.length - 1].response.usage, null, 'no usage reported: null');
  });

  test('finish_reason length: the message incomplete, then response.incomplete', () => {
    const all = normalized(encode([chunk({ content: 'Once upon a' }), chunk({}, 'length'), usageChunk(USAGE)]));
    assert.equal(all.find((e) => e.type === 'response.output_item.done').item.status, 'incomplete');
    const last = all[all.length - 1];
    assert.equal(last.type, 'response.incomplete');
    assert.equal(last.response.status, 'incomplete');
    assert.deepEqual(last.response.incomplete_details, { reason: 'max_output_tokens' });
    assert.equal(last.response.usage.output_tokens, 87);
  });

  test('odd chunks: no choices, empty deltas, an empty answer (an empty message), no chunk at all', () => {
    const empty = outline(encode([chunk({ role: 'assistant', content: '' }), chunk({}, 'stop'), usageChunk(USAGE)]));
    assert.deepEqual(empty, ['created', 'in_progress', 'output_item.added:0:message', 'content_part.added:0', 'output_text.done:0', 'content_part.done:0', 'output_item.done:0:message', 'completed']);
    const none = normalized(encode([]));
    assert.equal(none[0].type, 'response.created');
    assert.match(none[0].response.id, /^resp_[0-9a-f]{32}$/);
    assert.equal(none[none.length - 1].type, 'response.completed');
  });

  test('error: the error event, then response.failed with what was produced; nothing after', () => {
    const encoder = responsesClientFormat.chatStream(true);
    let sse = encoder.chunk(chunk({ content: 'partial' }));
    sse += encoder.error(new GatewayError('upstream_stream_error', 'The upstream broke the stream.'));
    assert.equal(encoder.chunk(chunk({ content: 'more' })), '');
    assert.equal(encoder.end(), '');
    assert.equal(encoder.error(new GatewayError('internal_error', 'again')), '');
    const all = normalized(sse);
    const [error, failed] = all.slice(-2);
    assert.deepEqual(error, { type: 'error', sequence_number: all.length - 2, code: '502', message: 'The upstream broke the stream.', param: null });
    assert.equal(failed.type, 'response.failed');
    assert.equal(failed.response.status, 'failed');
    assert.deepEqual(failed.response.error, { code: 'server_error', message: 'The upstream broke the stream.' });
    assert.equal(failed.response.output[0].content[0].text, 'partial');
    const before = normalized(responsesClientFormat.chatStream(false).error(new GatewayError('upstream_stream_error', 'gone')));
    assert.deepEqual(before.map((e) => e.type), ['error'], 'nothing announced yet: only the error event');
  });

  test('the openai SDK reads the bytes split oddly: responses.stream() accumulates the final response', async () => {
    for (const split of [1, 7, 64]) {
      const client = new OpenAI({ apiKey: 'sk-test', baseURL: 'http://gateway.invalid/v1', maxRetries: 0, fetch: streamingFetch(encode(TOOL_CHUNKS), split) });
      const stream = client.responses.stream({ model: 'gpt-4o-mini', input: 'weather?' });
      let text = '';
      stream.on('response.output_text.delta', (event) => {
        text += event.delta;
      });
      const response = await stream.finalResponse();
      assert.equal(text, 'Let me check.');
      assert.equal(response.output_text, 'Let me check.');
      assert.equal(response.status, 'completed');
      const calls = response.output.filter((item) => item.type === 'function_call');
      assert.deepEqual(
        calls.map((call) => [call.call_id, call.name, call.arguments]),
        [
          ['call_1', 'get_weather', '{"city":"Paris"}'],
          ['call_2', 'get_weather', '{"city":"Oslo"}'],
        ],
      );
      assert.equal(response.usage?.input_tokens, 36);
    }
  });

  test('the openai SDK: create({stream: true}) yields every event, a broken stream its error and response.failed', async () => {
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: 'http://gateway.invalid/v1', maxRetries: 0, fetch: streamingFetch(encode(TOOL_CHUNKS), 5) });
    const types: string[] = [];
    for await (const event of await client.responses.create({ model: 'm', input: 'x', stream: true })) types.push(event.type);
    assert.equal(types.length, 18);
    assert.equal(types[types.length - 1], 'response.completed');

    const encoder = responsesClientFormat.chatStream(false);
    const broken = encoder.chunk(chunk({ content: 'partial' })) + encoder.error(new GatewayError('upstream_stream_error', 'The upstream broke the stream.'));
    const failing = new OpenAI({ apiKey: 'sk-test', baseURL: 'http://gateway.invalid/v1', maxRetries: 0, fetch: streamingFetch(broken, 3) });
    const tail: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of await failing.responses.create({ model: 'm', input: 'x', stream: true })) tail.push(event);
    const [error, failed] = tail.slice(-2);
    assert.ok(error.type === 'error' && failed.type === 'response.failed');
    assert.equal(error.message, 'The upstream broke the stream.');
    assert.equal(failed.response.status, 'failed');
  });
});
