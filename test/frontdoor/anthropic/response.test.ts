/**
 * Canonical completions as Anthropic Messages (the shapes of Anthropic's API docs): content
 * blocks, stop reasons, usage with cache counts, ids, and the error envelope.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../../src/errors.js';
import { anthropicClientFormat } from '../../../src/frontdoor/anthropic/index.js';
import type { FinishReason, OpenAIChatCompletion } from '../../../src/providers/types.js';

type Message = OpenAIChatCompletion['choices'][number]['message'];

function completion(message: Partial<Message>, finishReason: FinishReason | null = 'stop', extra: Partial<OpenAIChatCompletion> = {}): OpenAIChatCompletion {
  return {
    id: 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT',
    object: 'chat.completion',
    created: 1741569952,
    model: 'gpt-4o-2024-08-06',
    choices: [{ index: 0, message: { role: 'assistant', content: null, ...message }, finish_reason: finishReason, logprobs: null }],
    usage: { prompt_tokens: 19, completion_tokens: 10, total_tokens: 29 },
    ...extra,
  };
}

function render(value: OpenAIChatCompletion): any {
  return JSON.parse(anthropicClientFormat.chatResponse(value));
}

describe('canonical completion → Anthropic message', () => {
  test('a text answer, in the field order Anthropic writes', () => {
    const body = anthropicClientFormat.chatResponse(completion({ content: 'Hello! How can I assist you today?' }));
    assert.equal(
      body,
      JSON.stringify({
        id: 'msg_chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT',
        type: 'message',
        role: 'assistant',
        model: 'gpt-4o-2024-08-06',
        content: [{ type: 'text', text: 'Hello! How can I assist you today?' }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: 19, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 10 },
      }),
    );
  });

  test('an upstream id that already starts with msg_ is kept', () => {
    assert.equal(render(completion({ content: 'x' }, 'stop', { id: 'msg_01XFDUDYJgAACzvnptvVoYEL' })).id, 'msg_01XFDUDYJgAACzvnptvVoYEL');
  });

  test('the tool use answer of the docs: text, then tool_use with the arguments parsed', () => {
    const message = render(
      completion(
        {
          content: "I'll check the current weather in San Francisco for you.",
          tool_calls: [{ id: 'toolu_01A09q90qw90lq917835lq9', type: 'function', function: { name: 'get_weather', arguments: '{"location": "San Francisco, CA"}' } }],
        },
        'tool_calls',
      ),
    );
    assert.deepEqual(message.content, [
      { type: 'text', text: "I'll check the current weather in San Francisco for you." },
      { type: 'tool_use', id: 'toolu_01A09q90qw90lq917835lq9', name: 'get_weather', input: { location: 'San Francisco, CA' } },
    ]);
    assert.equal(message.stop_reason, 'tool_use');
  });

  test('tool calls without text make no empty text block; unreadable arguments become {}', () => {
    const message = render(
      completion(
        {
          content: '',
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'a', arguments: '' } },
            { id: 'call_2', type: 'function', function: { name: 'b', arguments: '{"cut": "sho' } },
          ],
        },
        'length',
      ),
    );
    assert.deepEqual(message.content, [
      { type: 'tool_use', id: 'call_1', name: 'a', input: {} },
      { type: 'tool_use', id: 'call_2', name: 'b', input: {} },
    ]);
    assert.equal(message.stop_reason, 'max_tokens');
  });

  test('reasoning_content comes first, as a thinking block', () => {
    const message = render(completion({ content: 'The answer is 12,231.', reasoning_content: '27 * 453 = 27 * 400 + 27 * 53 ...' }));
    assert.deepEqual(message.content, [
      { type: 'thinking', thinking: '27 * 453 = 27 * 400 + 27 * 53 ...', signature: '' },
      { type: 'text', text: 'The answer is 12,231.' },
    ]);
  });

  test('stop reasons: stop → end_turn, length → max_tokens, tool_calls → tool_use, content_filter → refusal, none → end_turn', () => {
    const reasons: [FinishReason | null, string][] = [
      ['stop', 'end_turn'],
      ['length', 'max_tokens'],
      ['tool_calls', 'tool_use'],
      ['function_call', 'tool_use'],
      ['content_filter', 'refusal'],
      [null, 'end_turn'],
    ];
    for (const [finish, stop] of reasons) assert.equal(render(completion({ content: 'x' }, finish)).stop_reason, stop, String(finish));
  });

  test('usage: input_tokens excludes the cached and cache-written parts of the prompt', () => {
    const message = render(
      completion({ content: 'x' }, 'stop', {
        usage: { prompt_tokens: 2006, completion_tokens: 300, total_tokens: 2306, prompt_tokens_details: { cached_tokens: 1920, cache_creation_tokens: 50 } },
      }),
    );
    assert.deepEqual(message.usage, { input_tokens: 36, cache_creation_input_tokens: 50, cache_read_input_tokens: 1920, output_tokens: 300 });
    assert.deepEqual(render(completion({ content: 'x' }, 'stop', { usage: undefined })).usage, {
      input_tokens: 0,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: 0,
    });
  });

  test('an answer without choices is an upstream_bad_response', () => {
    assert.throws(
      () => anthropicClientFormat.chatResponse({ ...completion({}), choices: [] }),
      (error: unknown) => error instanceof GatewayError && error.code === 'upstream_bad_response',
    );
  });

  test("errors in Anthropic's envelope, with Anthropic's type for the status", () => {
    assert.deepEqual(JSON.parse(anthropicClientFormat.errorBody(new GatewayError('invalid_body', 'Missing required parameter: max_tokens.'))), {
      type: 'error',
      error: { type: 'invalid_request_error', message: 'Missing required parameter: max_tokens.' },
    });
    assert.deepEqual(JSON.parse(anthropicClientFormat.errorBody(new GatewayError('upstream_error', 'Overloaded', { status: 529 }))), {
      type: 'error',
      error: { type: 'overloaded_error', message: 'Overloaded' },
    });
    assert.equal(anthropicClientFormat.wire, 'anthropic');
  });
});
