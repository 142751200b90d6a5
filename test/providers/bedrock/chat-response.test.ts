/**
 * Whole Converse answers (shapes from the Converse API reference and its user guide examples) as
 * chat.completion objects: text, tool calls, reasoning, the response_format tool's answer, stop
 * reasons, usage with prompt-cache tokens, and answers that cannot be read.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { converseResponse } from '../../../src/providers/bedrock/chat-response.js';
import { bedrockTarget, CLAUDE } from './targets.js';

const answer = (value: unknown) => Buffer.from(JSON.stringify(value));
const target = bedrockTarget();

describe('converseResponse', () => {
  test('a text answer (the user guide example)', () => {
    const completion = converseResponse(
      answer({
        output: { message: { role: 'assistant', content: [{ text: 'Here is a list of 3 pop songs by artists from the United Kingdom: ...' }] } },
        stopReason: 'end_turn',
        usage: { inputTokens: 125, outputTokens: 60, totalTokens: 185 },
        metrics: { latencyMs: 1175 },
      }),
      target,
    );
    assert.match(completion.id, /^chatcmpl-[0-9a-f-]{36}$/);
    assert.equal(completion.object, 'chat.completion');
    assert.equal(completion.model, CLAUDE);
    assert.deepEqual(completion.choices, [
      { index: 0, message: { role: 'assistant', content: 'Here is a list of 3 pop songs by artists from the United Kingdom: ...' }, finish_reason: 'stop', logprobs: null },
    ]);
    assert.deepEqual(completion.usage, { prompt_tokens: 125, completion_tokens: 60, total_tokens: 185 });
  });

  test('a tool use (the tool use example: top_song) becomes tool_calls with the input as JSON arguments', () => {
    const completion = converseResponse(
      answer({
        output: {
          message: {
            role: 'assistant',
            content: [{ text: 'Let me look that up.' }, { toolUse: { toolUseId: 'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q', name: 'top_song', input: { sign: 'WZPZ' } } }],
          },
        },
        stopReason: 'tool_use',
        usage: { inputTokens: 375, outputTokens: 56, totalTokens: 431 },
      }),
      target,
    );
    assert.deepEqual(completion.choices[0].message, {
      role: 'assistant',
      content: 'Let me look that up.',
      tool_calls: [{ id: 'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q', type: 'function', function: { name: 'top_song', arguments: '{"sign":"WZPZ"}' } }],
    });
    assert.equal(completion.choices[0].finish_reason, 'tool_calls');
  });

  test('only tool calls: content is null', () => {
    const completion = converseResponse(
      answer({ output: { message: { role: 'assistant', content: [{ toolUse: { toolUseId: 't1', name: 'now', input: {} } }] } }, stopReason: 'tool_use', usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 } }),
      target,
    );
    assert.equal(completion.choices[0].message.content, null);
  });

  test('reasoning content becomes reasoning_content (redacted reasoning has no text)', () => {
    const completion = converseResponse(
      answer({
        output: {
          message: {
            role: 'assistant',
            content: [
              { reasoningContent: { reasoningText: { text: 'The user asks 2+2. ', signature: 'sig' } } },
              { reasoningContent: { redactedContent: 'ZW5jcnlwdGVk' } },
              { text: '4' },
            ],
          },
        },
        stopReason: 'end_turn',
        usage: { inputTokens: 10, outputTokens: 20, totalTokens: 30 },
      }),
      target,
    );
    assert.deepEqual(completion.choices[0].message, { role: 'assistant', content: '4', reasoning_content: 'The user asks 2+2. ' });
  });

  test("the response_format tool's input is the content and the turn ends with stop", () => {
    const completion = converseResponse(
      answer({ output: { message: { role: 'assistant', content: [{ toolUse: { toolUseId: 't1', name: 'json_tool_call', input: { answer: 'yes' } } }] } }, stopReason: 'tool_use', usage: { inputTokens: 5, outputTokens: 5, totalTokens: 10 } }),
      target,
    );
    assert.deepEqual(completion.choices[0].message, { role: 'assistant', content: '{"answer":"yes"}' });
    assert.equal(completion.choices[0].finish_reason, 'stop');
  });

  test('stop reasons', () => {
    const finish = (stopReason: string) =>
      converseResponse(answer({ output: { message: { role: 'assistant', content: [{ text: 'x' }] } }, stopReason, usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 } }), target).choices[0].finish_reason;
    assert.equal(finish('end_turn'), 'stop');
    assert.equal(finish('stop_sequence'), 'stop');
    assert.equal(finish('max_tokens'), 'length');
    assert.equal(finish('model_context_window_exceeded'), 'length');
    assert.equal(finish('guardrail_intervened'), 'content_filter');
    assert.equal(finish('content_filtered'), 'content_filter');
  });

  test('prompt_tokens counts the cache reads and writes Bedrock reports apart from inputTokens', () => {
    const completion = converseResponse(
      answer({
        output: { message: { role: 'assistant', content: [{ text: 'cached' }] } },
        stopReason: 'end_turn',
        usage: { inputTokens: 20, outputTokens: 10, totalTokens: 1530, cacheReadInputTokens: 1200, cacheWriteInputTokens: 300 },
      }),
      target,
    );
    assert.deepEqual(completion.usage, { prompt_tokens: 1520, completion_tokens: 10, total_tokens: 1530, prompt_tokens_details: { cached_tokens: 1200, cache_creation_tokens: 300 } });
  });

  test('an answer that cannot be read is upstream_bad_response', () => {
    const bad = (error: any) => error.code === 'upstream_bad_response';
    assert.throws(() => converseResponse(Buffer.from('<html>'), target), bad);
    assert.throws(() => converseResponse(answer({ output: {}, stopReason: 'end_turn' }), target), bad);
    assert.throws(() => converseResponse(answer({ output: { message: { content: [] } } }), target), bad);
    assert.throws(() => converseResponse(answer({ output: { message: { content: [{ toolUse: { input: {} } }] } }, stopReason: 'tool_use' }), target), bad);
  });
});
