/**
 * Anthropic message objects → chat.completion: text, tool calls, thinking, JSON mode, stop
 * reasons and usage with prompt caching. Inputs are the examples of Anthropic's documentation.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../../src/errors.js';
import { chatCompletionFromBody, finishReason, openAIUsage } from '../../../src/providers/anthropic/response.js';
import { textMessage, toolUseMessage } from '../../support/mocks/anthropic.js';
import { anthropicTarget } from './target.js';

const MODEL = 'claude-sonnet-4-5-20250929';

function complete(message: unknown) {
  return chatCompletionFromBody(Buffer.from(JSON.stringify(message)), anthropicTarget());
}

describe('anthropic response', () => {
  test('a text answer (the Messages API reference example)', () => {
    const before = Math.floor(Date.now() / 1000);
    const completion = complete(textMessage(MODEL));
    assert.ok(completion.created >= before);
    assert.deepEqual({ ...completion, created: 0 }, {
      id: 'msg_013Zva2CMHLNnXjNJJKqJ2EF',
      object: 'chat.completion',
      created: 0,
      model: MODEL,
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hi! My name is Claude.' }, finish_reason: 'stop', logprobs: null }],
      usage: { prompt_tokens: 2095, completion_tokens: 503, total_tokens: 2598, prompt_tokens_details: { cached_tokens: 0, cache_creation_tokens: 0 } },
    });
  });

  test('a tool use answer: text kept, tool_use → tool_calls with the input as a JSON string', () => {
    const choice = complete(toolUseMessage(MODEL)).choices[0];
    assert.deepEqual(choice.message, {
      role: 'assistant',
      content: "I'll check the current weather in San Francisco for you.",
      tool_calls: [{ id: 'toolu_01A09q90qw90lq917835lq9', type: 'function', function: { name: 'get_weather', arguments: '{"location":"San Francisco, CA","unit":"celsius"}' } }],
    });
    assert.equal(choice.finish_reason, 'tool_calls');
  });

  test('text blocks are joined; thinking → reasoning_content; redacted thinking and server blocks skipped', () => {
    const completion = complete({
      id: 'msg_01', type: 'message', role: 'assistant', model: MODEL,
      content: [
        { type: 'thinking', thinking: 'To approach this, let me think about what I know about prime numbers...', signature: 'zbbJhbGciOiJFU8zI1NiIsImtakcjsu38219c0.eyJoYXNoIjoiYWJjMTIzIiwiaWF0IjoxNjE0NTM0NTY3fQ....' },
        { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP...' },
        { type: 'text', text: 'Yes, there are infinitely ' },
        { type: 'server_tool_use', id: 'srvtoolu_01', name: 'web_search', input: { query: 'primes' } },
        { type: 'text', text: 'many prime numbers.' },
      ],
      stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 10, output_tokens: 20 },
    });
    assert.deepEqual(completion.choices[0].message, {
      role: 'assistant',
      content: 'Yes, there are infinitely many prime numbers.',
      reasoning_content: 'To approach this, let me think about what I know about prime numbers...',
    });
  });

  test('no text: content null', () => {
    const completion = complete({ id: 'msg_02', type: 'message', role: 'assistant', model: MODEL, content: [], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 3, output_tokens: 0 } });
    assert.equal(completion.choices[0].message.content, null);
  });

  test('JSON mode: the one call to json_tool_call is the content, finish_reason stop', () => {
    const completion = complete({
      id: 'msg_03', type: 'message', role: 'assistant', model: MODEL,
      content: [{ type: 'tool_use', id: 'toolu_01', name: 'json_tool_call', input: { name: 'Ada', born: 1815 } }],
      stop_reason: 'tool_use', stop_sequence: null, usage: { input_tokens: 50, output_tokens: 12 },
    });
    assert.deepEqual(completion.choices[0].message, { role: 'assistant', content: '{"name":"Ada","born":1815}' });
    assert.equal(completion.choices[0].finish_reason, 'stop');
  });

  test('usage with prompt caching: every input token is a prompt token; reads are cached_tokens, writes cache_creation_tokens', () => {
    const completion = complete({ ...textMessage(MODEL), usage: { input_tokens: 21, cache_creation_input_tokens: 188086, cache_read_input_tokens: 0, output_tokens: 393 } });
    assert.deepEqual(completion.usage, {
      prompt_tokens: 188107, completion_tokens: 393, total_tokens: 188500,
      prompt_tokens_details: { cached_tokens: 0, cache_creation_tokens: 188086 },
    });
    assert.deepEqual(openAIUsage({ input_tokens: 21, cache_creation_input_tokens: null, cache_read_input_tokens: 188086, output_tokens: 393 }), {
      prompt_tokens: 188107, completion_tokens: 393, total_tokens: 188500,
      prompt_tokens_details: { cached_tokens: 188086, cache_creation_tokens: 0 },
    });
  });

  test('stop reasons', () => {
    assert.equal(finishReason('end_turn', false), 'stop');
    assert.equal(finishReason('stop_sequence', false), 'stop');
    assert.equal(finishReason('pause_turn', false), 'stop');
    assert.equal(finishReason('max_tokens', false), 'length');
    assert.equal(finishReason('model_context_window_exceeded', false), 'length');
    assert.equal(finishReason('tool_use', true), 'tool_calls');
    assert.equal(finishReason('refusal', false), 'content_filter');
    assert.equal(finishReason(null, false), 'stop');
    assert.equal(complete({ ...textMessage(MODEL), stop_reason: 'max_tokens' }).choices[0].finish_reason, 'length');
  });

  test('a body that is not a message is upstream_bad_response', () => {
    const bad = (body: Buffer) =>
      assert.throws(() => chatCompletionFromBody(body, anthropicTarget()), (e: unknown) => e instanceof GatewayError && e.code === 'upstream_bad_response');
    bad(Buffer.from('<html>502</html>'));
    bad(Buffer.from('{"type":"message"}'));
    bad(Buffer.from('{"content":[{"type":"text"}]}'));
    bad(Buffer.from('{"content":[{"type":"tool_use","name":"f","input":{}}]}'));
  });
});
