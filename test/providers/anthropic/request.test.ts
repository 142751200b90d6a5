/**
 * OpenAI chat requests → Anthropic Messages bodies: every translated field, turn merging, tool
 * calls and results, images, JSON mode, thinking, and the parameters Anthropic cannot take.
 * Expected bodies follow the request shapes of Anthropic's Messages API reference.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../../src/errors.js';
import { anthropicMessagesBody, JSON_MODE_TOOL_NAME } from '../../../src/providers/anthropic/request.js';
import type { OpenAIChatRequest } from '../../../src/providers/types.js';
import { anthropicTarget, type TargetOptions } from './target.js';

function body(req: Partial<OpenAIChatRequest> & Record<string, unknown>, options: TargetOptions = {}): Record<string, unknown> {
  return anthropicMessagesBody({ model: 'claude', messages: [{ role: 'user', content: 'Hello' }], ...req } as OpenAIChatRequest, anthropicTarget(options), { includeModel: true });
}

function refused(code: string, param: string | null, run: () => unknown): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof GatewayError, String(error));
    assert.equal(error.code, code);
    assert.equal(error.status, 400);
    if (param !== null) assert.equal(error.param, param);
    return true;
  });
}

const user = (text: string) => ({ role: 'user', content: [{ type: 'text', text }] });

describe('anthropic request: basics', () => {
  test('a user message with a system prompt: the reference example shape, default max_tokens 4096', () => {
    assert.deepEqual(
      body({ messages: [{ role: 'system', content: 'You are a helpful assistant.' }, { role: 'user', content: 'Hello, world' }] }),
      {
        model: 'claude-sonnet-4-5',
        max_tokens: 4096,
        system: [{ type: 'text', text: 'You are a helpful assistant.' }],
        messages: [user('Hello, world')],
      },
    );
  });

  test('system and developer messages anywhere become system blocks in order; cache_control kept', () => {
    const out = body({
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Long document', cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'Rules' }] },
        { role: 'user', content: 'Hi' },
        { role: 'developer', content: 'Be brief.', cache_control: { type: 'ephemeral', ttl: '1h' } } as never,
        { role: 'system', content: '' },
      ],
    });
    assert.deepEqual(out.system, [
      { type: 'text', text: 'Long document', cache_control: { type: 'ephemeral' } },
      { type: 'text', text: 'Rules' },
      { type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral', ttl: '1h' } },
    ]);
    assert.deepEqual(out.messages, [user('Hi')]);
  });

  test('a system message with an image part is refused', () => {
    refused('invalid_body', 'messages[0].content[0]', () =>
      body({ messages: [{ role: 'system', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }, { role: 'user', content: 'Hi' }] }),
    );
  });

  test('max_tokens, else max_completion_tokens, else the default', () => {
    assert.equal(body({ max_tokens: 100, max_completion_tokens: 200 }).max_tokens, 100);
    assert.equal(body({ max_completion_tokens: 200 }).max_tokens, 200);
    assert.equal(body({ max_tokens: null }).max_tokens, 4096);
  });

  test('temperature, top_p, top_k, stop, user, stream', () => {
    const out = body({ temperature: 0.2, top_p: 0.9, top_k: 40, stop: '\n\nHuman:', user: 'user-1234' }, { stream: true });
    assert.deepEqual(out, {
      model: 'claude-sonnet-4-5',
      max_tokens: 4096,
      messages: [user('Hello')],
      stop_sequences: ['\n\nHuman:'],
      temperature: 0.2,
      top_p: 0.9,
      top_k: 40,
      metadata: { user_id: 'user-1234' },
      stream: true,
    });
    assert.deepEqual(body({ stop: ['END', 'STOP'] }).stop_sequences, ['END', 'STOP']);
    assert.equal(body({}).stream, undefined, 'stream is left out when the call is not streamed');
  });

  test('user ids that are e-mail addresses or phone numbers are not sent (Anthropic refuses them)', () => {
    assert.equal(body({ user: 'someone@example.com' }).metadata, undefined);
    assert.equal(body({ user: '+1 (555) 123-4567' }).metadata, undefined);
  });

  test('whitespace-only stop sequences are left out only under drop_params', () => {
    assert.deepEqual(body({ stop: ['\n', 'END'] }).stop_sequences, ['\n', 'END']);
    assert.deepEqual(body({ stop: ['\n', 'END'] }, { dropParams: true }).stop_sequences, ['END']);
    assert.equal(body({ stop: ' ' }, { dropParams: true }).stop_sequences, undefined);
  });

  test('Vertex AI form: no model, anthropic_version in the body', () => {
    const out = anthropicMessagesBody({ model: 'claude', messages: [{ role: 'user', content: 'Hi' }] }, anthropicTarget(), { includeModel: false, anthropicVersion: 'vertex-2023-10-16' });
    assert.deepEqual(out, { anthropic_version: 'vertex-2023-10-16', max_tokens: 4096, messages: [user('Hi')] });
  });
});

describe('anthropic request: turns', () => {
  test('consecutive turns of one role are merged', () => {
    const out = body({
      messages: [
        { role: 'user', content: 'one' },
        { role: 'user', content: 'two' },
        { role: 'assistant', content: 'three' },
        { role: 'assistant', content: [{ type: 'text', text: 'four' }] },
        { role: 'user', content: 'five' },
      ],
    });
    assert.deepEqual(out.messages, [
      { role: 'user', content: [{ type: 'text', text: 'one' }, { type: 'text', text: 'two' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'three' }, { type: 'text', text: 'four' }] },
      user('five'),
    ]);
  });

  test('tool calls become tool_use blocks; tool messages become tool_result blocks in one user turn', () => {
    const out = body({
      messages: [
        { role: 'user', content: "What's the weather in San Francisco and Paris?" },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'toolu_01A09q90qw90lq917835lq9', type: 'function', function: { name: 'get_weather', arguments: '{"location":"San Francisco, CA"}' } },
            { id: 'toolu_02', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_01A09q90qw90lq917835lq9', content: '15 degrees' },
        { role: 'tool', tool_call_id: 'toolu_02', content: [{ type: 'text', text: '18 degrees' }] },
        { role: 'user', content: 'Thanks' },
      ],
    });
    assert.deepEqual(out.messages, [
      user("What's the weather in San Francisco and Paris?"),
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 'toolu_01A09q90qw90lq917835lq9', name: 'get_weather', input: { location: 'San Francisco, CA' } },
          { type: 'tool_use', id: 'toolu_02', name: 'get_weather', input: { location: 'Paris' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_01A09q90qw90lq917835lq9', content: '15 degrees' },
          { type: 'tool_result', tool_use_id: 'toolu_02', content: [{ type: 'text', text: '18 degrees' }] },
          { type: 'text', text: 'Thanks' },
        ],
      },
    ]);
  });

  test('assistant text before tool calls is kept; empty text and empty arguments are tolerated', () => {
    const out = body({
      messages: [
        { role: 'user', content: 'Go' },
        { role: 'assistant', content: '', tool_calls: [{ id: 't1', type: 'function', function: { name: 'now', arguments: '' } }] },
        { role: 'tool', tool_call_id: 't1', content: '12:00' },
        { role: 'assistant', content: 'Let me look.', tool_calls: [{ id: 't2', type: 'function', function: { name: 'now', arguments: '{}' } }] },
      ],
    });
    const turns = out.messages as { role: string; content: unknown[] }[];
    assert.deepEqual(turns[1].content, [{ type: 'tool_use', id: 't1', name: 'now', input: {} }]);
    assert.deepEqual(turns[3].content, [{ type: 'text', text: 'Let me look.' }, { type: 'tool_use', id: 't2', name: 'now', input: {} }]);
  });

  test('tool call arguments that are not a JSON object are refused', () => {
    const call = (args: string) => () =>
      body({ messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: null, tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: args } }] }] });
    refused('invalid_body', 'messages[1].tool_calls[0].function.arguments', call('{"location": '));
    refused('invalid_body', 'messages[1].tool_calls[0].function.arguments', call('[1,2]'));
  });

  test('a tool message without tool_call_id, and the function role, are refused', () => {
    refused('invalid_body', 'messages[1].tool_call_id', () => body({ messages: [{ role: 'user', content: 'x' }, { role: 'tool', content: 'y' }] }));
    refused('invalid_body', 'messages[0].role', () => body({ messages: [{ role: 'function', name: 'f', content: 'y' }] }));
  });

  test('images by URL and by data URL; a PDF data URL is a document; cache_control kept', () => {
    const out = body({
      messages: [{
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: 'https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg' } },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' }, cache_control: { type: 'ephemeral' } },
          { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0xLjQ=' } },
          { type: 'text', text: 'Describe these.' },
        ],
      }],
    });
    assert.deepEqual(out.messages, [{
      role: 'user',
      content: [
        { type: 'image', source: { type: 'url', url: 'https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg' } },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' }, cache_control: { type: 'ephemeral' } },
        { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0xLjQ=' } },
        { type: 'text', text: 'Describe these.' },
      ],
    }]);
  });

  test('content Anthropic cannot take is refused, naming the part', () => {
    const withPart = (part: Record<string, unknown>) => () => body({ messages: [{ role: 'user', content: [part as never] }] });
    refused('invalid_body', 'messages[0].content[0]', withPart({ type: 'input_audio', input_audio: { data: 'AAA', format: 'wav' } }));
    refused('invalid_body', 'messages[0].content[0]', withPart({ type: 'image_url', image_url: { url: 'data:audio/wav;base64,AAA' } }));
    refused('invalid_body', 'messages[0].content[0]', withPart({ type: 'image_url', image_url: { url: 'data:image/png,rawbytes' } }));
    refused('invalid_body', 'messages[0].content[0]', withPart({ type: 'file', file: { file_id: 'file-abc' } }));
  });
});

describe('anthropic request: tools', () => {
  const weather = {
    type: 'function' as const,
    function: {
      name: 'get_weather',
      description: 'Get the current weather in a given location',
      parameters: { type: 'object', properties: { location: { type: 'string', description: 'The city and state, e.g. San Francisco, CA' } }, required: ['location'] },
    },
  };

  test('tools become name, description, input_schema; a tool without parameters gets an empty object schema', () => {
    const out = body({ tools: [weather, { type: 'function', function: { name: 'now' } }] });
    assert.deepEqual(out.tools, [
      {
        name: 'get_weather',
        description: 'Get the current weather in a given location',
        input_schema: { type: 'object', properties: { location: { type: 'string', description: 'The city and state, e.g. San Francisco, CA' } }, required: ['location'] },
      },
      { name: 'now', input_schema: { type: 'object', properties: {} } },
    ]);
    assert.equal(out.tool_choice, undefined);
  });

  test('tool_choice: auto, required → any, none, a named function → tool', () => {
    assert.deepEqual(body({ tools: [weather], tool_choice: 'auto' }).tool_choice, { type: 'auto' });
    assert.deepEqual(body({ tools: [weather], tool_choice: 'required' }).tool_choice, { type: 'any' });
    assert.deepEqual(body({ tools: [weather], tool_choice: 'none' }).tool_choice, { type: 'none' });
    assert.deepEqual(body({ tools: [weather], tool_choice: { type: 'function', function: { name: 'get_weather' } } }).tool_choice, { type: 'tool', name: 'get_weather' });
  });

  test('parallel_tool_calls false → disable_parallel_tool_use, with or without a tool_choice', () => {
    assert.deepEqual(body({ tools: [weather], parallel_tool_calls: false }).tool_choice, { type: 'auto', disable_parallel_tool_use: true });
    assert.deepEqual(body({ tools: [weather], tool_choice: 'required', parallel_tool_calls: false }).tool_choice, { type: 'any', disable_parallel_tool_use: true });
    assert.deepEqual(body({ tools: [weather], tool_choice: 'none', parallel_tool_calls: false }).tool_choice, { type: 'none' });
  });

  test('tool_choice and parallel_tool_calls without tools are not sent', () => {
    const out = body({ tool_choice: 'auto', parallel_tool_calls: false });
    assert.equal(out.tool_choice, undefined);
    assert.equal(out.tools, undefined);
  });

  test('a tool that is not a function, and a tool named like the JSON-mode tool, are refused', () => {
    refused('invalid_body', 'tools[0]', () => body({ tools: [{ type: 'web_search' } as never] }));
    refused('invalid_body', 'tools[0]', () => body({ tools: [{ type: 'function', function: { name: JSON_MODE_TOOL_NAME } }] }));
  });
});

describe('anthropic request: JSON mode and thinking', () => {
  test('json_schema: a forced tool whose input schema is the schema', () => {
    const schema = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] };
    const out = body({ response_format: { type: 'json_schema', json_schema: { name: 'person', description: 'A person', schema } } });
    assert.deepEqual(out.tools, [{ name: JSON_MODE_TOOL_NAME, description: 'A person', input_schema: schema }]);
    assert.deepEqual(out.tool_choice, { type: 'tool', name: JSON_MODE_TOOL_NAME });
  });

  test('json_object: any object; the forced choice replaces the client tool_choice', () => {
    const out = body({ response_format: { type: 'json_object' }, tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: 'auto' });
    assert.deepEqual(out.tools, [
      { name: 'f', input_schema: { type: 'object', properties: {} } },
      { name: JSON_MODE_TOOL_NAME, input_schema: { type: 'object', additionalProperties: true, properties: {} } },
    ]);
    assert.deepEqual(out.tool_choice, { type: 'tool', name: JSON_MODE_TOOL_NAME });
    assert.equal(body({ response_format: { type: 'text' } }).tools, undefined);
  });

  test('reasoning_effort → thinking budget (LiteLLM mapping), max_tokens raised above the budget', () => {
    for (const [effort, budget] of [['minimal', 1024], ['low', 1024], ['medium', 2048], ['high', 4096]] as const) {
      const out = body({ reasoning_effort: effort });
      assert.deepEqual(out.thinking, { type: 'enabled', budget_tokens: budget }, effort);
      assert.equal(out.max_tokens, budget + 4096, effort);
    }
    assert.equal(body({ reasoning_effort: 'high', max_tokens: 9000 }).max_tokens, 9000);
    assert.equal(body({ reasoning_effort: 'none' }).thinking, undefined);
    refused('invalid_body', 'reasoning_effort', () => body({ reasoning_effort: 'extreme' }));
  });

  test('an explicit thinking object wins; with thinking on, JSON mode does not force the tool', () => {
    const out = body({ thinking: { type: 'enabled', budget_tokens: 10000 }, reasoning_effort: 'low', response_format: { type: 'json_object' } });
    assert.deepEqual(out.thinking, { type: 'enabled', budget_tokens: 10000 });
    assert.equal(out.max_tokens, 14096);
    assert.equal(out.tool_choice, undefined);
  });
});

describe('anthropic request: parameters Anthropic cannot take', () => {
  test('refused with unsupported_param naming the parameter', () => {
    for (const [name, value] of [['n', 2], ['logprobs', true], ['top_logprobs', 3], ['presence_penalty', 0.5], ['frequency_penalty', 1], ['seed', 42], ['logit_bias', { '50256': -100 }]] as const) {
      refused('unsupported_param', name, () => body({ [name]: value }));
    }
  });

  test('values that change nothing are accepted: n 1, logprobs false, penalties 0, nulls', () => {
    assert.doesNotThrow(() => body({ n: 1, logprobs: false, presence_penalty: 0, frequency_penalty: 0, seed: null }));
  });

  test('drop_params leaves them out', () => {
    const out = body({ n: 2, seed: 42, presence_penalty: 0.5, temperature: 0.5 }, { dropParams: true });
    assert.deepEqual(out, { model: 'claude-sonnet-4-5', max_tokens: 4096, messages: [user('Hello')], temperature: 0.5 });
  });

  test('keys that are no OpenAI chat parameter (gateway metadata, stream_options) are not sent', () => {
    const out = body({ metadata: { tags: ['a'] }, stream_options: { include_usage: true } }, { stream: true });
    assert.deepEqual(out, { model: 'claude-sonnet-4-5', max_tokens: 4096, messages: [user('Hello')], stream: true });
  });
});
