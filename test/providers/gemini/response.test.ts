/**
 * Whole generateContent answers (the shapes of Google's documentation examples) as canonical
 * completions: text, function calls, thoughts, finish reasons, blocked prompts, usage.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayError } from '../../../src/errors.js';
import { adapter } from '../../../src/providers/gemini/index.js';
import { signatureInToolCallId } from '../../../src/providers/gemini/tool-ids.js';
import type { OpenAIChatCompletion } from '../../../src/providers/types.js';
import { functionCallAnswer, MOCK_RESPONSE_ID, textAnswer, thinkingAnswer } from '../../support/mocks/gemini.js';
import { googleTarget } from './target.js';

function complete(answer: unknown): OpenAIChatCompletion {
  return adapter.chat!.response(Buffer.from(JSON.stringify(answer)), googleTarget());
}

test('a text answer: content, stop, usage, id from responseId', () => {
  const completion = complete(textAnswer('gemini-2.5-flash', 'Hello there.'));
  assert.equal(completion.id, `chatcmpl-${MOCK_RESPONSE_ID}`);
  assert.equal(completion.object, 'chat.completion');
  assert.equal(completion.model, 'gemini-2.5-flash');
  assert.ok(Math.abs(completion.created - Date.now() / 1000) < 5);
  assert.deepEqual(completion.choices, [{ index: 0, message: { role: 'assistant', content: 'Hello there.' }, finish_reason: 'stop', logprobs: null }]);
  assert.deepEqual(completion.usage, { prompt_tokens: 9, completion_tokens: 7, total_tokens: 16 });
});

test('a function call: tool_calls with a generated id (carrying the thought signature), JSON arguments, finish tool_calls', () => {
  const completion = complete(functionCallAnswer('gemini-2.5-flash', 'get_weather', { city: 'Paris', days: 2 }, 'c2lnbmF0dXJl'));
  const choice = completion.choices[0];
  assert.equal(choice.finish_reason, 'tool_calls');
  assert.equal(choice.message.content, null);
  const call = choice.message.tool_calls![0];
  assert.match(call.id, /^call_[0-9a-f]{24}__thought__c2lnbmF0dXJl$/);
  assert.equal(signatureInToolCallId(call.id), 'c2lnbmF0dXJl');
  assert.deepEqual(call.function, { name: 'get_weather', arguments: '{"city":"Paris","days":2}' });
  assert.equal(call.type, 'function');
  const unsigned = complete(functionCallAnswer('gemini-2.5-flash', 'now', {})).choices[0].message.tool_calls![0];
  assert.match(unsigned.id, /^call_[0-9a-f]{24}$/);
  assert.equal(unsigned.function.arguments, '{}');
});

test('thought parts become reasoning_content; thoughts count as completion and reasoning tokens; cached tokens', () => {
  const completion = complete(thinkingAnswer('gemini-2.5-pro'));
  assert.deepEqual(completion.choices[0].message, { role: 'assistant', content: '42', reasoning_content: 'The user wants a number; 6 times 7 is 42.' });
  assert.deepEqual(completion.usage, {
    prompt_tokens: 1200,
    completion_tokens: 42,
    total_tokens: 1242,
    prompt_tokens_details: { cached_tokens: 1024 },
    completion_tokens_details: { reasoning_tokens: 40 },
  });
});

test('finish reasons: MAX_TOKENS → length, safety reasons → content_filter, others → stop', () => {
  const finish = (reason: string) => complete({ candidates: [{ content: { parts: [{ text: 'x' }], role: 'model' }, finishReason: reason }] }).choices[0].finish_reason;
  assert.equal(finish('STOP'), 'stop');
  assert.equal(finish('MAX_TOKENS'), 'length');
  for (const reason of ['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII']) assert.equal(finish(reason), 'content_filter', reason);
  assert.equal(finish('OTHER'), 'stop');
  assert.equal(finish('MALFORMED_FUNCTION_CALL'), 'stop');
});

test('a candidate stopped for safety before any text', () => {
  const completion = complete({
    candidates: [{ finishReason: 'SAFETY', index: 0, safetyRatings: [{ category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH', blocked: true }] }],
    usageMetadata: { promptTokenCount: 12, totalTokenCount: 12 },
  });
  assert.deepEqual(completion.choices, [{ index: 0, message: { role: 'assistant', content: null }, finish_reason: 'content_filter', logprobs: null }]);
  assert.deepEqual(completion.usage, { prompt_tokens: 12, completion_tokens: 0, total_tokens: 12 });
});

test('a blocked prompt (promptFeedback.blockReason, no candidates) is an empty content_filter answer', () => {
  const completion = complete({ promptFeedback: { blockReason: 'SAFETY', safetyRatings: [] }, usageMetadata: { promptTokenCount: 8, totalTokenCount: 8 } });
  assert.deepEqual(completion.choices, [{ index: 0, message: { role: 'assistant', content: null }, finish_reason: 'content_filter', logprobs: null }]);
  assert.equal(completion.usage?.prompt_tokens, 8);
});

test('several candidates (n) become several choices', () => {
  const completion = complete({
    candidates: [
      { content: { parts: [{ text: 'A' }], role: 'model' }, finishReason: 'STOP', index: 0 },
      { content: { parts: [{ text: 'B' }], role: 'model' }, finishReason: 'MAX_TOKENS', index: 1 },
    ],
  });
  assert.deepEqual(completion.choices.map((c) => [c.index, c.message.content, c.finish_reason]), [[0, 'A', 'stop'], [1, 'B', 'length']]);
  assert.equal(completion.usage, undefined);
});

test('answers that cannot be read are upstream_bad_response', () => {
  for (const body of ['not json', '[1,2]', '{"candidates":{}}', '{}', '{"candidates":[{"content":{"parts":[null]}}]}', '{"candidates":[{"content":{"parts":[{"functionCall":{}}]}}]}']) {
    assert.throws(() => adapter.chat!.response(Buffer.from(body), googleTarget()), (error: unknown) => error instanceof GatewayError && error.code === 'upstream_bad_response', body);
  }
});
