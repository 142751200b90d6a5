/**
 * Anthropic Messages requests (bodies from Anthropic's API docs) as canonical OpenAI chat
 * requests: every field mapping, and the invalid_body errors naming the field.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../../src/errors.js';
import { anthropicClientFormat } from '../../../src/frontdoor/anthropic/index.js';
import { assertInvalidBody, chatRequestOf } from '../client-format.js';
import { effortForThinkingBudget } from '../../../src/frontdoor/anthropic/request.js';

function translate(body: unknown) {
  return chatRequestOf(anthropicClientFormat, body);
}

function assertInvalid(body: unknown, param: string, message: RegExp): void {
  assertInvalidBody(() => translate(body), param, message);
}

const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'Get the current weather in a given location',
  input_schema: {
    type: 'object',
    properties: { location: { type: 'string', description: 'The city and state, e.g. San Francisco, CA' } },
    required: ['location'],
  },
};

describe('Anthropic request → canonical chat request', () => {
  test('the basic request of the docs', () => {
    const chat = translate({ model: 'claude-sonnet-4-20250514', max_tokens: 1024, messages: [{ role: 'user', content: 'Hello, world' }] });
    assert.deepEqual(chat, { model: 'claude-sonnet-4-20250514', messages: [{ role: 'user', content: 'Hello, world' }], max_tokens: 1024 });
  });

  test('system as a string, and as text blocks (cache_control hints dropped)', () => {
    const asString = translate({ model: 'm', max_tokens: 10, system: "Today's date is 2024-06-01.", messages: [{ role: 'user', content: 'Hi' }] });
    assert.deepEqual(asString.messages[0], { role: 'system', content: "Today's date is 2024-06-01." });
    const asBlocks = translate({
      model: 'm',
      max_tokens: 10,
      system: [
        { type: 'text', text: 'You are an AI assistant tasked with analyzing literary works.' },
        { type: 'text', text: '<the entire contents of Pride and Prejudice>', cache_control: { type: 'ephemeral' } },
      ],
      messages: [{ role: 'user', content: 'Analyze the major themes in Pride and Prejudice.' }],
    });
    assert.deepEqual(asBlocks.messages, [
      {
        role: 'system',
        content: [
          { type: 'text', text: 'You are an AI assistant tasked with analyzing literary works.' },
          { type: 'text', text: '<the entire contents of Pride and Prejudice>' },
        ],
      },
      { role: 'user', content: 'Analyze the major themes in Pride and Prejudice.' },
    ]);
  });

  test('images: base64 becomes a data URL, a url source its URL', () => {
    const chat = translate({
      model: 'm',
      max_tokens: 1024,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQSkZJRg...' } },
            { type: 'image', source: { type: 'url', url: 'https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg' } },
            { type: 'text', text: 'Describe this image.' },
          ],
        },
      ],
    });
    assert.deepEqual(chat.messages, [
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQSkZJRg...' } },
          { type: 'image_url', image_url: { url: 'https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg' } },
          { type: 'text', text: 'Describe this image.' },
        ],
      },
    ]);
  });

  test('documents: a base64 PDF becomes a file part, a plain-text document its text', () => {
    const chat = translate({
      model: 'm',
      max_tokens: 1024,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'document', title: 'paper.pdf', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0xLjQK' } },
            { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'The grass is green.' } },
            { type: 'text', text: 'Summarize.' },
          ],
        },
      ],
    });
    assert.deepEqual(chat.messages[0].content, [
      { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0xLjQK', filename: 'paper.pdf' } },
      { type: 'text', text: 'The grass is green.' },
      { type: 'text', text: 'Summarize.' },
    ]);
  });

  test('the tool use round trip of the docs: tools, tool_use → tool_calls, tool_result → a role tool message', () => {
    const chat = translate({
      model: 'claude-opus-4-1-20250805',
      max_tokens: 1024,
      tools: [WEATHER_TOOL],
      messages: [
        { role: 'user', content: 'What is the weather like in San Francisco?' },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: "I'll check the current weather in San Francisco for you." },
            { type: 'tool_use', id: 'toolu_01A09q90qw90lq917835lq9', name: 'get_weather', input: { location: 'San Francisco, CA' } },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01A09q90qw90lq917835lq9', content: '15 degrees' }] },
      ],
    });
    assert.deepEqual(chat, {
      model: 'claude-opus-4-1-20250805',
      messages: [
        { role: 'user', content: 'What is the weather like in San Francisco?' },
        {
          role: 'assistant',
          content: "I'll check the current weather in San Francisco for you.",
          tool_calls: [
            { id: 'toolu_01A09q90qw90lq917835lq9', type: 'function', function: { name: 'get_weather', arguments: '{"location":"San Francisco, CA"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_01A09q90qw90lq917835lq9', content: '15 degrees' },
      ],
      max_tokens: 1024,
      tools: [{ type: 'function', function: { name: 'get_weather', description: WEATHER_TOOL.description, parameters: WEATHER_TOOL.input_schema } }],
    });
  });

  test('an assistant turn of tool_use only has null content; tool results come before the rest of the user turn', () => {
    const chat = translate({
      model: 'm',
      max_tokens: 100,
      tools: [WEATHER_TOOL],
      messages: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: [
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { location: 'Paris' } },
            { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: { location: 'Rome' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: '18 degrees' }] },
            { type: 'tool_result', tool_use_id: 'toolu_2', content: 'ConnectionError: the weather service API is not available (HTTP 500)', is_error: true },
            { type: 'text', text: 'Which is warmer?' },
          ],
        },
      ],
    });
    assert.deepEqual(chat.messages.slice(1), [
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } },
          { id: 'toolu_2', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Rome"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_1', content: '18 degrees' },
      { role: 'tool', tool_call_id: 'toolu_2', content: 'Error: ConnectionError: the weather service API is not available (HTTP 500)' },
      { role: 'user', content: [{ type: 'text', text: 'Which is warmer?' }] },
    ]);
  });

  test('tool_result content: blocks with an image stay parts, is_error marks the first text, none makes an empty string', () => {
    const chat = translate({
      model: 'm',
      max_tokens: 100,
      messages: [
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 'toolu_a',
              content: [
                { type: 'text', text: 'Screenshot taken' },
                { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
              ],
            },
            { type: 'tool_result', tool_use_id: 'toolu_b', is_error: true, content: [{ type: 'image', source: { type: 'url', url: 'https://example.com/e.png' } }] },
            { type: 'tool_result', tool_use_id: 'toolu_c' },
          ],
        },
      ],
    });
    assert.deepEqual(chat.messages, [
      {
        role: 'tool',
        tool_call_id: 'toolu_a',
        content: [
          { type: 'text', text: 'Screenshot taken' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_b', content: [{ type: 'text', text: 'Error' }, { type: 'image_url', image_url: { url: 'https://example.com/e.png' } }] },
      { role: 'tool', tool_call_id: 'toolu_c', content: '' },
    ]);
  });

  test('sampling and metadata: stop_sequences → stop, temperature, top_p, metadata.user_id → user; top_k dropped', () => {
    const chat = translate({
      model: 'm',
      max_tokens: 256,
      messages: [{ role: 'user', content: 'Count to ten' }],
      stop_sequences: ['5', 'five'],
      temperature: 0.7,
      top_p: 0.9,
      top_k: 40,
      metadata: { user_id: '13803d75-b4b5-4c3e-b2a2-6f21399b021b' },
    });
    assert.deepEqual(chat, {
      model: 'm',
      messages: [{ role: 'user', content: 'Count to ten' }],
      max_tokens: 256,
      temperature: 0.7,
      top_p: 0.9,
      stop: ['5', 'five'],
      user: '13803d75-b4b5-4c3e-b2a2-6f21399b021b',
    });
  });

  test('stream: true asks the upstream for the usage chunk too', () => {
    const chat = translate({ model: 'm', max_tokens: 1024, messages: [{ role: 'user', content: 'Hello' }], stream: true });
    assert.equal(chat.stream, true);
    assert.deepEqual(chat.stream_options, { include_usage: true });
    const plain = translate({ model: 'm', max_tokens: 1024, messages: [{ role: 'user', content: 'Hello' }], stream: false });
    assert.equal(plain.stream, false);
    assert.equal(plain.stream_options, undefined);
  });

  test('tool_choice: auto, any → required, none, tool → the named function; disable_parallel_tool_use → parallel_tool_calls false', () => {
    const base = { model: 'm', max_tokens: 100, tools: [WEATHER_TOOL], messages: [{ role: 'user', content: 'Weather?' }] };
    assert.equal(translate({ ...base, tool_choice: { type: 'auto' } }).tool_choice, 'auto');
    assert.equal(translate({ ...base, tool_choice: { type: 'any' } }).tool_choice, 'required');
    assert.equal(translate({ ...base, tool_choice: { type: 'none' } }).tool_choice, 'none');
    const named = translate({ ...base, tool_choice: { type: 'tool', name: 'get_weather', disable_parallel_tool_use: true } });
    assert.deepEqual(named.tool_choice, { type: 'function', function: { name: 'get_weather' } });
    assert.equal(named.parallel_tool_calls, false);
    assert.equal(translate({ ...base, tool_choice: { type: 'auto', disable_parallel_tool_use: false } }).parallel_tool_calls, undefined);
    assert.equal(translate(base).tool_choice, undefined);
  });

  test('tool_choice without tools is left out (OpenAI refuses it)', () => {
    const chat = translate({ model: 'm', max_tokens: 100, tool_choice: { type: 'none' }, messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(chat.tool_choice, undefined);
    assert.equal(chat.tools, undefined);
  });

  test('custom tools with type "custom" and strict translate', () => {
    const chat = translate({
      model: 'm',
      max_tokens: 100,
      tools: [{ type: 'custom', name: 'lookup', input_schema: { type: 'object', properties: {} }, strict: true }],
      messages: [{ role: 'user', content: 'Hi' }],
    });
    assert.deepEqual(chat.tools, [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} }, strict: true } }]);
  });

  test("Anthropic's own tools are refused, naming them", () => {
    assertInvalid(
      {
        model: 'm',
        max_tokens: 1024,
        messages: [{ role: 'user', content: "What's the weather in NYC?" }],
        tools: [WEATHER_TOOL, { type: 'web_search_20250305', name: 'web_search', max_uses: 5 }, { type: 'bash_20250124', name: 'bash' }],
      },
      'tools',
      /web_search \(web_search_20250305\), bash \(bash_20250124\)/,
    );
  });

  test('thinking: budget_tokens → reasoning_effort by LiteLLM buckets; disabled sends none; adaptive is medium', () => {
    const base = { model: 'm', max_tokens: 16000, messages: [{ role: 'user', content: 'Are there an infinite number of prime numbers such that n mod 4 == 3?' }] };
    assert.equal(translate({ ...base, thinking: { type: 'enabled', budget_tokens: 10000 } }).reasoning_effort, 'high');
    assert.equal(translate({ ...base, thinking: { type: 'enabled', budget_tokens: 2048 } }).reasoning_effort, 'medium');
    assert.equal(translate({ ...base, thinking: { type: 'enabled', budget_tokens: 1024 } }).reasoning_effort, 'low');
    assert.equal(translate({ ...base, thinking: { type: 'disabled' } }).reasoning_effort, undefined);
    assert.equal(translate({ ...base, thinking: { type: 'adaptive' } }).reasoning_effort, 'medium');
    assert.deepEqual(
      [0, 1023, 1024, 2047, 2048, 4095, 4096, 31999].map(effortForThinkingBudget),
      ['minimal', 'minimal', 'low', 'low', 'medium', 'medium', 'high', 'high'],
    );
    assertInvalid({ ...base, thinking: { type: 'enabled' } }, 'thinking.budget_tokens', /Missing required parameter: thinking\.budget_tokens/);
  });

  test('thinking blocks in the history are dropped; a turn of thinking only disappears', () => {
    const chat = translate({
      model: 'm',
      max_tokens: 100,
      messages: [
        { role: 'user', content: 'What is 27 * 453?' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'Let me compute 27 * 453 step by step...', signature: 'EuYBCkQYAiJAgCs1le6/Pol5Z4/JMomVOouGrWdhYNsH3ukzUECbB6iWrSQtsQuRHJID6lWV9KCXPH6ZmZPC4DaigXeqmLw5cMnWQKcQiVv' },
            { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP' },
            { type: 'text', text: '27 * 453 = 12,231' },
          ],
        },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'More.', signature: 'x' }] },
        { role: 'user', content: 'Thanks' },
      ],
    });
    assert.deepEqual(chat.messages, [
      { role: 'user', content: 'What is 27 * 453?' },
      { role: 'assistant', content: '27 * 453 = 12,231' },
      { role: 'user', content: 'Thanks' },
    ]);
  });

  test('required fields: messages and max_tokens, named', () => {
    assertInvalid({ model: 'm', messages: [{ role: 'user', content: 'Hi' }] }, 'max_tokens', /Missing required parameter: max_tokens/);
    assertInvalid({ model: 'm', max_tokens: '10', messages: [{ role: 'user', content: 'Hi' }] }, 'max_tokens', /expected an integer, but got string/);
    assertInvalid({ model: 'm', max_tokens: 1.5, messages: [{ role: 'user', content: 'Hi' }] }, 'max_tokens', /expected an integer/);
    assertInvalid({ model: 'm', max_tokens: 10 }, 'messages', /Missing required parameter: messages/);
    assertInvalid({ model: 'm', max_tokens: 10, messages: {} }, 'messages', /expected an array, but got object/);
    assertInvalid({ model: 'm', max_tokens: 10, messages: [] }, 'messages', /at least one message/);
  });

  test('malformed messages and blocks are named by their path', () => {
    const request = (messages: unknown[]) => ({ model: 'm', max_tokens: 10, messages });
    assertInvalid(request([{ role: 'system', content: 'x' }]), 'messages[0].role', /expected 'user' or 'assistant', but got 'system'/);
    assertInvalid(request([{ role: 'user' }]), 'messages[0].content', /Missing required parameter/);
    assertInvalid(request([{ role: 'user', content: 'a' }, { role: 'user', content: [{ type: 'text' }] }]), 'messages[1].content[0].text', /Missing/);
    assertInvalid(request([{ role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'file_011' } }] }]), 'messages[0].content[0].source.type', /image sources of type 'file'/);
    assertInvalid(request([{ role: 'user', content: [{ type: 'search_result', source: 'x' }] }]), 'messages[0].content[0].type', /'search_result' blocks cannot be translated/);
    assertInvalid(request([{ role: 'user', content: [] }]), 'messages[0].content', /at least one content block/);
    assertInvalid(request([{ role: 'user', content: [{ type: 'tool_result' }] }]), 'messages[0].content[0].tool_use_id', /Missing/);
    assertInvalid(request([{ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'n', input: [] }] }]), 'messages[0].content[0].input', /expected an object, but got array/);
    assertInvalid({ model: 'm', max_tokens: 10, system: [{ type: 'image' }], messages: [{ role: 'user', content: 'x' }] }, 'system[0].type', /expected 'text'/);
    assertInvalid({ model: 'm', max_tokens: 10, tools: [{ name: 'x' }], messages: [{ role: 'user', content: 'x' }] }, 'tools[0].input_schema', /Missing/);
    assertInvalid({ model: 'm', max_tokens: 10, tools: [WEATHER_TOOL], tool_choice: { type: 'tool' }, messages: [{ role: 'user', content: 'x' }] }, 'tool_choice.name', /Missing/);
    assertInvalid({ model: 'm', max_tokens: 10, temperature: 'hot', messages: [{ role: 'user', content: 'x' }] }, 'temperature', /expected a number/);
  });

  test('a body that is not a JSON object', () => {
    assert.throws(() => anthropicClientFormat.chatRequest(Buffer.from('[1]')), (error: unknown) => error instanceof GatewayError && error.code === 'invalid_body');
  });
});
