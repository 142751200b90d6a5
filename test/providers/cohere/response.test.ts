import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayError } from '../../../src/errors.js';
import { cohereChatResponse } from '../../../src/providers/cohere/response.js';
import { toolCallResponse } from '../../support/mocks/cohere.js';
import { cohereTarget } from './target.js';

const answer = (value: unknown) => cohereChatResponse(Buffer.from(JSON.stringify(value)), cohereTarget());

test('a text answer: content joined, finish COMPLETE → stop, usage from tokens (not billed units)', () => {
  const completion = answer({
    id: 'c14c80c3-18eb-4519-9460-6c92edd8cfb4',
    finish_reason: 'COMPLETE',
    message: { role: 'assistant', content: [{ type: 'text', text: 'LLMs are ' }, { type: 'text', text: 'neural networks.' }] },
    usage: { billed_units: { input_tokens: 5, output_tokens: 418 }, tokens: { input_tokens: 71, output_tokens: 418 } },
  });
  assert.equal(completion.id, 'chatcmpl-c14c80c3-18eb-4519-9460-6c92edd8cfb4');
  assert.equal(completion.object, 'chat.completion');
  assert.equal(completion.model, 'command-a-03-2025');
  assert.deepEqual(completion.choices, [{ index: 0, message: { role: 'assistant', content: 'LLMs are neural networks.' }, finish_reason: 'stop', logprobs: null }]);
  assert.deepEqual(completion.usage, { prompt_tokens: 71, completion_tokens: 418, total_tokens: 489 });
});

test('tool calls with their plan: content null, the plan as reasoning_content, finish tool_calls', () => {
  const completion = answer(toolCallResponse());
  assert.deepEqual(completion.choices[0].message, {
    role: 'assistant',
    content: null,
    tool_calls: [{ id: 'get_weather_1byjy32y4hvq', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Toronto"}' } }],
    reasoning_content: 'I will look up the weather in Toronto.',
  });
  assert.equal(completion.choices[0].finish_reason, 'tool_calls');
});

test('thinking content becomes reasoning_content; MAX_TOKENS → length; STOP_SEQUENCE → stop', () => {
  const thinking = answer({ id: 'x', finish_reason: 'MAX_TOKENS', message: { content: [{ type: 'thinking', thinking: 'Hmm.' }, { type: 'text', text: 'Yes' }] } });
  assert.equal(thinking.choices[0].message.content, 'Yes');
  assert.equal(thinking.choices[0].message.reasoning_content, 'Hmm.');
  assert.equal(thinking.choices[0].finish_reason, 'length');
  assert.equal(answer({ id: 'x', finish_reason: 'STOP_SEQUENCE', message: { content: [] } }).choices[0].finish_reason, 'stop');
  assert.equal(answer({ id: 'x', finish_reason: 'COMPLETE', message: { content: [] } }).usage, undefined, 'no usage reported, none made up');
});

test('a generation Cohere reports as ERROR is an upstream error; an unreadable answer is upstream_bad_response', () => {
  assert.throws(() => answer({ id: 'x', finish_reason: 'ERROR', message: { content: [] } }), (e: unknown) => e instanceof GatewayError && e.code === 'upstream_error');
  assert.throws(() => cohereChatResponse(Buffer.from('not json'), cohereTarget()), (e: unknown) => e instanceof GatewayError && e.code === 'upstream_bad_response');
  assert.throws(() => answer({ id: 'x', finish_reason: 'COMPLETE' }), (e: unknown) => e instanceof GatewayError && e.code === 'upstream_bad_response');
});
