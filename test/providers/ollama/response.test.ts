import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayError } from '../../../src/errors.js';
import { ollamaChatResponse } from '../../../src/providers/ollama/response.js';
import { ollamaTarget } from './target.js';

const answer = (value: unknown) => ollamaChatResponse(Buffer.from(JSON.stringify(value)), ollamaTarget());

test('a text answer: content, finish stop, usage from the eval counts, created from created_at', () => {
  const completion = answer({
    model: 'llama3.2',
    created_at: '2023-12-12T14:13:43.416799Z',
    message: { role: 'assistant', content: 'Hello! How are you today?' },
    done: true,
    done_reason: 'stop',
    total_duration: 5191566416,
    prompt_eval_count: 26,
    eval_count: 298,
  });
  assert.match(completion.id, /^chatcmpl-[0-9a-f-]{36}$/);
  assert.equal(completion.created, 1702390423);
  assert.equal(completion.model, 'llama3.2');
  assert.deepEqual(completion.choices, [{ index: 0, message: { role: 'assistant', content: 'Hello! How are you today?' }, finish_reason: 'stop', logprobs: null }]);
  assert.deepEqual(completion.usage, { prompt_tokens: 26, completion_tokens: 298, total_tokens: 324 });
});

test('tool calls: arguments object → JSON text, ids made, content null, finish tool_calls', () => {
  const completion = answer({
    model: 'llama3.2',
    created_at: '2024-07-22T20:33:28.123648Z',
    message: { role: 'assistant', content: '', tool_calls: [{ function: { name: 'get_current_weather', arguments: { format: 'celsius', location: 'Paris, FR' } } }] },
    done_reason: 'stop',
    done: true,
    prompt_eval_count: 122,
    eval_count: 33,
  });
  const message = completion.choices[0].message;
  assert.equal(message.content, null);
  assert.equal(message.tool_calls?.length, 1);
  assert.match(message.tool_calls![0].id, /^call_[0-9a-f]{24}$/);
  assert.deepEqual(message.tool_calls![0].function, { name: 'get_current_weather', arguments: '{"format":"celsius","location":"Paris, FR"}' });
  assert.equal(completion.choices[0].finish_reason, 'tool_calls');
});

test('thinking → reasoning_content; done_reason length → length; no counts, no usage', () => {
  const completion = answer({ model: 'qwen3', message: { role: 'assistant', content: 'Yes', thinking: 'Let me think.' }, done: true, done_reason: 'length' });
  assert.equal(completion.choices[0].message.reasoning_content, 'Let me think.');
  assert.equal(completion.choices[0].finish_reason, 'length');
  assert.equal(completion.usage, undefined);
});

test('an unreadable answer is upstream_bad_response', () => {
  assert.throws(() => ollamaChatResponse(Buffer.from('<html>'), ollamaTarget()), (e: unknown) => e instanceof GatewayError && e.code === 'upstream_bad_response');
  assert.throws(() => answer({ done: true }), (e: unknown) => e instanceof GatewayError && e.code === 'upstream_bad_response');
});
