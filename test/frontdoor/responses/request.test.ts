/**
 * OpenAI Responses requests (bodies from OpenAI's API reference and guides) as canonical chat
 * requests: instructions and input (strings, messages, parts, function calls and their outputs),
 * the parameters, tools, text formats and reasoning; and the invalid_body errors for what only
 * OpenAI can serve (built-in tools, stored state, uploaded files).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { responsesClientFormat } from '../../../src/frontdoor/responses/index.js';
import { assertInvalidBody, chatRequestOf } from '../client-format.js';

function translate(body: unknown) {
  return chatRequestOf(responsesClientFormat, body);
}

function assertInvalid(body: unknown, param: string, message: RegExp): void {
  assertInvalidBody(() => translate(body), param, message);
}

const WEATHER_TOOL = {
  type: 'function',
  name: 'get_current_weather',
  description: 'Get the current weather in a given location',
  parameters: {
    type: 'object',
    properties: {
      location: { type: 'string', description: 'The city and state, e.g. San Francisco, CA' },
      unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
    },
    required: ['location', 'unit'],
  },
};

describe('Responses request → canonical chat request', () => {
  test('text input (the reference example)', () => {
    const chat = translate({ model: 'gpt-4.1', input: 'Tell me a three sentence bedtime story about a unicorn.' });
    assert.deepEqual(chat, { model: 'gpt-4.1', messages: [{ role: 'user', content: 'Tell me a three sentence bedtime story about a unicorn.' }] });
  });

  test('instructions become a leading system message', () => {
    const chat = translate({
      model: 'gpt-4.1',
      instructions: 'You are a coding assistant that talks like a pirate.',
      input: 'Are semicolons optional in JavaScript?',
    });
    assert.deepEqual(chat.messages, [
      { role: 'system', content: 'You are a coding assistant that talks like a pirate.' },
      { role: 'user', content: 'Are semicolons optional in JavaScript?' },
    ]);
  });

  test('message items: roles (developer as system), strings and input_text/input_image parts', () => {
    const chat = translate({
      model: 'gpt-4.1',
      input: [
        { role: 'developer', content: 'Talk like a pirate.' },
        { type: 'message', role: 'system', content: [{ type: 'input_text', text: 'Be brief.' }] },
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'what is in this image?' },
            {
              type: 'input_image',
              image_url: 'https://upload.wikimedia.org/wikipedia/commons/thumb/d/dd/Gfp-wisconsin-madison-the-nature-boardwalk.jpg/2560px-Gfp-wisconsin-madison-the-nature-boardwalk.jpg',
            },
            { type: 'input_image', image_url: 'data:image/jpeg;base64,/9j/4AAQSkZJRg', detail: 'high' },
          ],
        },
      ],
    });
    assert.deepEqual(chat.messages, [
      { role: 'system', content: 'Talk like a pirate.' },
      { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'what is in this image?' },
          {
            type: 'image_url',
            image_url: { url: 'https://upload.wikimedia.org/wikipedia/commons/thumb/d/dd/Gfp-wisconsin-madison-the-nature-boardwalk.jpg/2560px-Gfp-wisconsin-madison-the-nature-boardwalk.jpg' },
          },
          { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQSkZJRg', detail: 'high' } },
        ],
      },
    ]);
  });

  test('input_file with file_data becomes a file part', () => {
    const chat = translate({
      model: 'gpt-4.1',
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_file', filename: 'draconomicon.pdf', file_data: 'data:application/pdf;base64,JVBERi0xLjQK' },
            { type: 'input_text', text: 'What is the first dragon in the book?' },
          ],
        },
      ],
    });
    assert.deepEqual(chat.messages[0].content, [
      { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0xLjQK', filename: 'draconomicon.pdf' } },
      { type: 'text', text: 'What is the first dragon in the book?' },
    ]);
  });

  test('function calling round trip (the guide): output items sent back, then the call output', () => {
    const chat = translate({
      model: 'gpt-4.1',
      input: [
        { role: 'user', content: "What's the weather like in Paris today?" },
        { type: 'reasoning', id: 'rs_67ccd2bf1d4c8190b1', summary: [], encrypted_content: 'gAAAAABo' },
        {
          type: 'function_call',
          id: 'fc_12345xyz',
          call_id: 'call_12345xyz',
          name: 'get_weather',
          arguments: '{"latitude":48.8566,"longitude":2.3522}',
          status: 'completed',
        },
        { type: 'function_call_output', call_id: 'call_12345xyz', output: '14' },
      ],
      tools: [WEATHER_TOOL],
    });
    assert.deepEqual(chat.messages, [
      { role: 'user', content: "What's the weather like in Paris today?" },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_12345xyz', type: 'function', function: { name: 'get_weather', arguments: '{"latitude":48.8566,"longitude":2.3522}' } }],
      },
      { role: 'tool', tool_call_id: 'call_12345xyz', content: '14' },
    ]);
  });

  test('consecutive function calls (and the text before them) make one assistant message', () => {
    const chat = translate({
      model: 'm',
      input: [
        { role: 'user', content: 'Weather in Paris and Bogotá?' },
        {
          type: 'message',
          id: 'msg_1',
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text: 'Let me check both.', annotations: [] }],
        },
        { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call', call_id: 'call_2', name: 'get_weather', arguments: '{"city":"Bogotá"}' },
        { type: 'function_call_output', call_id: 'call_1', output: [{ type: 'input_text', text: '14°C' }] },
        { type: 'function_call_output', call_id: 'call_2', output: [{ type: 'input_text', text: '18' }, { type: 'input_text', text: '°C' }] },
        { type: 'function_call', call_id: 'call_3', name: 'get_weather', arguments: '{"city":"Oslo"}' },
      ],
    });
    assert.deepEqual(chat.messages, [
      { role: 'user', content: 'Weather in Paris and Bogotá?' },
      {
        role: 'assistant',
        content: 'Let me check both.',
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Bogotá"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '14°C' },
      {
        role: 'tool',
        tool_call_id: 'call_2',
        content: [
          { type: 'text', text: '18' },
          { type: 'text', text: '°C' },
        ],
      },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_3', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] },
    ]);
  });

  test('assistant messages keep output_text and refusal text', () => {
    const chat = translate({
      model: 'm',
      input: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: [{ type: 'output_text', text: 'Hello. ', annotations: [] }, { type: 'refusal', refusal: 'I cannot help with that.' }] },
        { role: 'user', content: 'ok' },
      ],
    });
    assert.deepEqual(chat.messages[1], { role: 'assistant', content: 'Hello. I cannot help with that.' });
  });

  test('parameters: max_output_tokens, temperature, top_p, user, stream (with usage); metadata and store ignored', () => {
    const chat = translate({
      model: 'gpt-4.1',
      input: 'hi',
      max_output_tokens: 1024,
      temperature: 0.2,
      top_p: 0.9,
      user: 'user-1234',
      metadata: { session: 'abc' },
      store: true,
      truncation: 'auto',
      include: ['reasoning.encrypted_content'],
      stream: true,
    });
    assert.deepEqual(chat, {
      model: 'gpt-4.1',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 1024,
      temperature: 0.2,
      top_p: 0.9,
      user: 'user-1234',
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  test('function tools (the reference example), tool_choice and parallel_tool_calls', () => {
    const chat = translate({ model: 'gpt-4.1', input: 'What is the weather like in Boston today?', tools: [{ ...WEATHER_TOOL, strict: true }], tool_choice: 'auto', parallel_tool_calls: false });
    assert.deepEqual(chat.tools, [
      {
        type: 'function',
        function: { name: WEATHER_TOOL.name, description: WEATHER_TOOL.description, parameters: WEATHER_TOOL.parameters, strict: true },
      },
    ]);
    assert.equal(chat.tool_choice, 'auto');
    assert.equal(chat.parallel_tool_calls, false);
    const named = translate({ model: 'm', input: 'x', tools: [WEATHER_TOOL], tool_choice: { type: 'function', name: 'get_current_weather' } });
    assert.deepEqual(named.tool_choice, { type: 'function', function: { name: 'get_current_weather' } });
    const required = translate({ model: 'm', input: 'x', tools: [{ type: 'function', name: 'noop', parameters: null, strict: null }], tool_choice: 'required' });
    assert.deepEqual(required.tools, [{ type: 'function', function: { name: 'noop' } }]);
    assert.equal(required.tool_choice, 'required');
  });

  test('tool_choice and parallel_tool_calls are left out without tools', () => {
    const chat = translate({ model: 'm', input: 'x', tools: [], tool_choice: 'none', parallel_tool_calls: true });
    assert.deepEqual(chat, { model: 'm', messages: [{ role: 'user', content: 'x' }] });
  });

  test('text.format: json_schema (structured outputs guide), json_object, text', () => {
    const schema = {
      type: 'object',
      properties: { name: { type: 'string' }, date: { type: 'string' }, participants: { type: 'array', items: { type: 'string' } } },
      required: ['name', 'date', 'participants'],
      additionalProperties: false,
    };
    const chat = translate({
      model: 'gpt-4o-2024-08-06',
      input: [
        { role: 'system', content: 'Extract the event information.' },
        { role: 'user', content: 'Alice and Bob are going to a science fair on Friday.' },
      ],
      text: { format: { type: 'json_schema', name: 'calendar_event', schema, strict: true } },
    });
    assert.deepEqual(chat.response_format, { type: 'json_schema', json_schema: { name: 'calendar_event', schema, strict: true } });
    assert.deepEqual(translate({ model: 'm', input: 'x', text: { format: { type: 'json_object' } } }).response_format, { type: 'json_object' });
    assert.equal(translate({ model: 'm', input: 'x', text: { format: { type: 'text' }, verbosity: 'low' } }).response_format, undefined);
  });

  test('reasoning.effort → reasoning_effort (the reasoning guide)', () => {
    const chat = translate({ model: 'o3-mini', input: 'How much wood would a woodchuck chuck?', reasoning: { effort: 'high', summary: 'auto' } });
    assert.equal(chat.reasoning_effort, 'high');
  });

  describe('refused', () => {
    test("OpenAI's built-in tools, named", () => {
      assertInvalid(
        { model: 'm', input: 'What was a positive news story from today?', tools: [{ type: 'web_search' }, WEATHER_TOOL, { type: 'file_search', vector_store_ids: ['vs_1'] }] },
        'tools',
        /built-in tools .*: web_search, file_search/,
      );
      assertInvalid({ model: 'm', input: 'x', tools: [{ type: 'code_interpreter', container: { type: 'auto' } }] }, 'tools', /code_interpreter/);
    });

    test('previous_response_id, conversation, prompt and background: no state on translated deployments', () => {
      assertInvalid({ model: 'm', input: 'And in Paris?', previous_response_id: 'resp_123' }, 'previous_response_id', /'previous_response_id' is not supported/);
      assertInvalid({ model: 'm', input: 'x', conversation: 'conv_123' }, 'conversation', /'conversation' is not supported/);
      assertInvalid({ model: 'm', input: 'x', prompt: { id: 'pmpt_123', version: '2' } }, 'prompt', /'prompt' is not supported/);
      assertInvalid({ model: 'm', input: 'x', background: true }, 'background', /'background' is not supported/);
      assert.doesNotThrow(() => translate({ model: 'm', input: 'x', previous_response_id: null, background: false }));
    });

    test('uploaded files (file_id) and files by URL', () => {
      assertInvalid({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-abc', detail: 'auto' }] }] }, 'input[0].content[0].file_id', /file_id/);
      assertInvalid({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file-abc' }] }] }, 'input[0].content[0].file_id', /file_id/);
      assertInvalid({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_file', file_url: 'https://example.com/a.pdf' }] }] }, 'input[0].content[0].file_url', /by URL/);
    });

    test('items that need OpenAI: item_reference, built-in tool calls', () => {
      assertInvalid({ model: 'm', input: [{ type: 'item_reference', id: 'msg_123' }] }, 'input[0].type', /'item_reference'/);
      assertInvalid({ model: 'm', input: [{ type: 'web_search_call', id: 'ws_1', status: 'completed' }] }, 'input[0].type', /'web_search_call'/);
    });

    test('tool choices other than none/auto/required/function', () => {
      assertInvalid({ model: 'm', input: 'x', tools: [WEATHER_TOOL], tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [] } }, 'tool_choice.type', /'allowed_tools'/);
      assertInvalid({ model: 'm', input: 'x', tools: [WEATHER_TOOL], tool_choice: 'sometimes' }, 'tool_choice', /'sometimes'/);
    });

    test('malformed bodies name the field', () => {
      assertInvalid({ model: 'm' }, 'input', /Missing required parameter: input/);
      assertInvalid({ model: 'm', input: 42 }, 'input', /expected a string or an array/);
      assertInvalid({ model: 'm', input: [] }, 'input', /at least one/);
      assertInvalid({ model: 'm', input: [{ role: 'tool', content: 'x' }] }, 'input[0].role', /'tool'/);
      assertInvalid({ model: 'm', input: [{ role: 'user', content: [{ type: 'output_text', text: 'x' }] }] }, 'input[0].content[0].type', /'output_text'/);
      assertInvalid({ model: 'm', input: [{ type: 'function_call', name: 'f', arguments: '{}' }] }, 'input[0].call_id', /Missing/);
      assertInvalid({ model: 'm', input: 'x', max_output_tokens: 1.5 }, 'max_output_tokens', /an integer/);
      assertInvalid({ model: 'm', input: 'x', text: { format: { type: 'json_schema', schema: {} } } }, 'text.format.name', /Missing/);
      assertInvalid({ model: 'm', input: 'x', tools: [{ type: 'function', description: 'no name' }] }, 'tools[0].name', /Missing/);
    });
  });
});
