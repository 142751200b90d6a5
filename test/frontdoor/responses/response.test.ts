/**
 * Canonical chat completions (OpenAI's documented examples) as Response objects: the message,
 * function_call and reasoning items, status and incomplete_details, usage, ids, and the fields
 * the openai SDK reads: its `output_text` helper, fed the body through a stub fetch.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import OpenAI from 'openai';
import { GatewayError } from '../../../src/errors.js';
import { responsesClientFormat } from '../../../src/frontdoor/responses/index.js';
import type { OpenAIChatCompletion } from '../../../src/providers/types.js';

/** The Chat Completions reference's example answer. */
const HELLO: OpenAIChatCompletion = {
  id: 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT',
  object: 'chat.completion',
  created: 1741569952,
  model: 'gpt-4.1-2025-04-14',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello! How can I assist you today?' }, logprobs: null, finish_reason: 'stop' }],
  usage: {
    prompt_tokens: 19,
    completion_tokens: 10,
    total_tokens: 29,
    prompt_tokens_details: { cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0 },
  },
};

/** The function calling guide's answer. */
const TOOL_CALL: OpenAIChatCompletion = {
  id: 'chatcmpl-abc123',
  object: 'chat.completion',
  created: 1699896916,
  model: 'gpt-4o-mini',
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_abc123', type: 'function', function: { name: 'get_current_weather', arguments: '{\n"location": "Boston, MA"\n}' } }],
      },
      logprobs: null,
      finish_reason: 'tool_calls',
    },
  ],
  usage: { prompt_tokens: 82, completion_tokens: 17, total_tokens: 99 },
};

function translate(completion: OpenAIChatCompletion): any {
  return JSON.parse(responsesClientFormat.chatResponse(completion));
}

/** The item with its generated id checked and removed. */
function withoutId(item: any, prefix: string): any {
  assert.match(item.id, new RegExp(`^${prefix}_[0-9a-f]{32}$`));
  const { id: _id, ...rest } = item;
  return rest;
}

describe('canonical completion → Response object', () => {
  test('a text answer: the whole object, as the reference shows it', () => {
    const response = translate(HELLO);
    assert.equal(response.output.length, 1);
    const message = withoutId(response.output[0], 'msg');
    assert.deepEqual(message, {
      type: 'message',
      status: 'completed',
      content: [{ type: 'output_text', text: 'Hello! How can I assist you today?', annotations: [], logprobs: [] }],
      role: 'assistant',
    });
    assert.deepEqual({ ...response, output: [] }, {
      id: 'resp_chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT',
      object: 'response',
      created_at: 1741569952,
      status: 'completed',
      error: null,
      incomplete_details: null,
      instructions: null,
      model: 'gpt-4.1-2025-04-14',
      output: [],
      parallel_tool_calls: true,
      previous_response_id: null,
      store: false,
      temperature: null,
      tool_choice: 'auto',
      tools: [],
      top_p: null,
      truncation: 'disabled',
      usage: {
        input_tokens: 19,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 10,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 29,
      },
      metadata: null,
    });
  });

  test('tool calls: one function_call item each, call_id the upstream id, no empty message', () => {
    const response = translate(TOOL_CALL);
    assert.equal(response.status, 'completed');
    assert.equal(response.output.length, 1);
    assert.deepEqual(withoutId(response.output[0], 'fc'), {
      type: 'function_call',
      status: 'completed',
      arguments: '{\n"location": "Boston, MA"\n}',
      call_id: 'call_abc123',
      name: 'get_current_weather',
    });
    assert.deepEqual(response.usage, {
      input_tokens: 82,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 17,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 99,
    });
  });

  test('reasoning, text and parallel calls: OpenAI order; cached and reasoning tokens', () => {
    const response = translate({
      ...HELLO,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            reasoning_content: 'The user wants two cities.',
            content: 'Checking both.',
            tool_calls: [
              { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
              { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
            ],
          },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150, prompt_tokens_details: { cached_tokens: 64 }, completion_tokens_details: { reasoning_tokens: 30 } },
    });
    assert.deepEqual(
      response.output.map((item: any) => item.type),
      ['reasoning', 'message', 'function_call', 'function_call'],
    );
    assert.deepEqual(withoutId(response.output[0], 'rs'), {
      type: 'reasoning',
      status: 'completed',
      summary: [],
      content: [{ type: 'reasoning_text', text: 'The user wants two cities.' }],
    });
    assert.deepEqual(
      response.output.slice(2).map((item: any) => [item.call_id, item.arguments]),
      [
        ['call_1', '{"city":"Paris"}'],
        ['call_2', '{"city":"Oslo"}'],
      ],
    );
    assert.deepEqual(response.usage.input_tokens_details, { cached_tokens: 64 });
    assert.deepEqual(response.usage.output_tokens_details, { reasoning_tokens: 30 });
  });

  test('finish_reason length: incomplete, reason max_output_tokens, the message incomplete', () => {
    const response = translate({ ...HELLO, choices: [{ ...HELLO.choices[0], finish_reason: 'length' }] });
    assert.equal(response.status, 'incomplete');
    assert.deepEqual(response.incomplete_details, { reason: 'max_output_tokens' });
    assert.equal(response.output[0].status, 'incomplete');
    const filtered = translate({ ...HELLO, choices: [{ ...HELLO.choices[0], finish_reason: 'content_filter' }] });
    assert.deepEqual(filtered.incomplete_details, { reason: 'content_filter' });
  });

  test('an empty answer still has its message; no usage reported → usage null; ids kept or made', () => {
    const response = translate({ ...HELLO, id: 'resp_abc', choices: [{ ...HELLO.choices[0], message: { role: 'assistant', content: null } }], usage: undefined });
    assert.equal(response.id, 'resp_abc');
    assert.equal(response.output.length, 1);
    assert.equal(response.output[0].content[0].text, '');
    assert.equal(response.usage, null);
    assert.match(translate({ ...HELLO, id: '' }).id, /^resp_[0-9a-f]{32}$/);
  });

  test('an answer without choices is upstream_bad_response', () => {
    assert.throws(
      () => translate({ ...HELLO, choices: [] }),
      (error: unknown) => error instanceof GatewayError && error.code === 'upstream_bad_response',
    );
  });

  test("the openai SDK reads it: output_text, output items, usage", async () => {
    const body = responsesClientFormat.chatResponse(HELLO);
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: 'http://gateway.invalid/v1', maxRetries: 0, fetch: async () => new Response(body, { headers: { 'content-type': 'application/json' } }) });
    const response = await client.responses.create({ model: 'gpt-4.1', input: 'hi' });
    assert.equal(response.output_text, 'Hello! How can I assist you today?');
    assert.equal(response.usage?.total_tokens, 29);
    const calls = await new OpenAI({ apiKey: 'sk-test', baseURL: 'http://gateway.invalid/v1', maxRetries: 0, fetch: async () => new Response(responsesClientFormat.chatResponse(TOOL_CALL), { headers: { 'content-type': 'application/json' } }) }).responses.create({ model: 'm', input: 'x' });
    assert.equal(calls.output_text, '');
    const [call] = calls.output;
    assert.ok(call.type === 'function_call');
    assert.equal(call.name, 'get_current_weather');
  });

  test('errorBody: the OpenAI envelope', () => {
    const error = new GatewayError('invalid_body', "'previous_response_id' is not supported", { param: 'previous_response_id' });
    assert.deepEqual(JSON.parse(responsesClientFormat.errorBody(error)), {
      error: { message: "'previous_response_id' is not supported", type: 'invalid_request_error', param: 'previous_response_id', code: '400' },
    });
  });
});
