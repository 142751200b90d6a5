import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayError } from '../../../src/errors.js';
import { cohereChatRequest } from '../../../src/providers/cohere/request.js';
import type { OpenAIChatRequest } from '../../../src/providers/types.js';
import { cohereTarget } from './target.js';

function body(req: Partial<OpenAIChatRequest>, options: Parameters<typeof cohereTarget>[0] = {}): Record<string, unknown> {
  const request = cohereChatRequest({ model: 'm', messages: [{ role: 'user', content: 'Hi' }], ...req }, cohereTarget(options));
  return JSON.parse(request.body.toString('utf8'));
}

const WEATHER_TOOL = {
  type: 'function' as const,
  function: { name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};

test('path, headers and the minimal body (stream always sent)', () => {
  const request = cohereChatRequest({ model: 'm', messages: [{ role: 'user', content: 'Hi' }] }, cohereTarget());
  assert.equal(request.path, '/v2/chat');
  assert.equal(request.headerBlock, 'content-type: application/json\r\nauthorization: Bearer co-key\r\n');
  assert.equal(request.body.toString('utf8'), '{"model":"command-a-03-2025","messages":[{"role":"user","content":"Hi"}],"stream":false}');
  assert.equal(body({}, { stream: true }).stream, true);
});

test('an api_base written as the endpoint or a versioned base gets the v2 path once', () => {
  for (const base of ['https://api.cohere.com/v2/chat', 'https://api.cohere.com/v1', 'https://api.cohere.com/v2/', 'https://api.cohere.com']) {
    assert.equal(cohereChatRequest({ model: 'm', messages: [] }, cohereTarget({ params: `api_key: k, api_base: "${base}"` })).path, '/v2/chat', base);
  }
  assert.equal(cohereChatRequest({ model: 'm', messages: [] }, cohereTarget({ params: 'api_key: k, api_base: "https://proxy.example/cohere"' })).path, '/cohere/v2/chat');
});

test('sampling parameters: max_tokens, temperature, top_p → p, stop → stop_sequences, seed, penalties', () => {
  assert.deepEqual(
    body({ max_tokens: 100, temperature: 0.2, top_p: 0.9, stop: 'END', seed: 7, frequency_penalty: 0.1, presence_penalty: 0.3 }),
    {
      model: 'command-a-03-2025', messages: [{ role: 'user', content: 'Hi' }],
      max_tokens: 100, temperature: 0.2, p: 0.9, stop_sequences: ['END'], seed: 7, frequency_penalty: 0.1, presence_penalty: 0.3, stream: false,
    },
  );
  assert.equal(body({ max_tokens: 100, max_completion_tokens: 50 }).max_tokens, 50);
  assert.deepEqual(body({ stop: ['a', 'b'] }).stop_sequences, ['a', 'b']);
});

test('Cohere-native parameters pass through; others that mean nothing to Cohere are left out', () => {
  const b = body({ k: 40, safety_mode: 'STRICT', documents: ['doc'], user: 'u-1', metadata: { a: 1 }, n: 1, logprobs: false, parallel_tool_calls: true });
  assert.equal(b.k, 40);
  assert.equal(b.safety_mode, 'STRICT');
  assert.deepEqual(b.documents, ['doc']);
  for (const key of ['user', 'metadata', 'n', 'logprobs', 'parallel_tool_calls']) assert.equal(key in b, false, key);
});

test('every role: system and developer, user parts with images, assistant tool calls with their plan, tool results', () => {
  const b = body({
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'developer', content: [{ type: 'text', text: 'Use metric units.' }] },
      { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' } }] },
      { role: 'assistant', content: null, reasoning_content: 'I will look up the weather.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '{"temp":21}' },
      { role: 'assistant', content: 'It is 21 °C.' },
    ],
  });
  assert.deepEqual(b.messages, [
    { role: 'system', content: 'Be brief.' },
    { role: 'system', content: [{ type: 'text', text: 'Use metric units.' }] },
    { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' } }] },
    { role: 'assistant', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }], tool_plan: 'I will look up the weather.' },
    { role: 'tool', tool_call_id: 'call_1', content: '{"temp":21}' },
    { role: 'assistant', content: 'It is 21 °C.' },
  ]);
});

test('a tool message without tool_call_id, or content Cohere cannot take, is refused naming the field', () => {
  assert.throws(() => body({ messages: [{ role: 'tool', content: 'x' }] }), (e: unknown) => e instanceof GatewayError && e.code === 'invalid_body' && e.param === 'messages[0].tool_call_id');
  assert.throws(
    () => body({ messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }] }, { dropParams: true }),
    (e: unknown) => e instanceof GatewayError && e.code === 'unsupported_param' && e.param === 'messages[0].content[0]',
  );
  assert.throws(() => body({ messages: [{ role: 'function', name: 'f', content: 'x' }] }), (e: unknown) => e instanceof GatewayError && e.param === 'messages[0].role');
});

test('tools keep the function schema; strict everywhere sets strict_tools', () => {
  assert.deepEqual(body({ tools: [WEATHER_TOOL] }).tools, [WEATHER_TOOL]);
  const strict = body({ tools: [{ type: 'function', function: { ...WEATHER_TOOL.function, strict: true } }] });
  assert.equal(strict.strict_tools, true);
  assert.deepEqual(strict.tools, [WEATHER_TOOL], 'strict is not a Cohere function field');
});

test('tool_choice: required → REQUIRED, none → NONE, auto → default, a named function → only it, REQUIRED', () => {
  assert.equal(body({ tools: [WEATHER_TOOL], tool_choice: 'required' }).tool_choice, 'REQUIRED');
  assert.equal(body({ tools: [WEATHER_TOOL], tool_choice: 'none' }).tool_choice, 'NONE');
  assert.equal('tool_choice' in body({ tools: [WEATHER_TOOL], tool_choice: 'auto' }), false);
  const other = { type: 'function' as const, function: { name: 'get_time' } };
  const named = body({ tools: [WEATHER_TOOL, other], tool_choice: { type: 'function', function: { name: 'get_time' } } });
  assert.deepEqual(named.tools, [other]);
  assert.equal(named.tool_choice, 'REQUIRED');
  assert.throws(() => body({ tools: [WEATHER_TOOL], tool_choice: { type: 'function', function: { name: 'nope' } } }), (e: unknown) => e instanceof GatewayError && e.param === 'tool_choice');
});

test('response_format: json_object, json_schema with its schema, text left out', () => {
  assert.deepEqual(body({ response_format: { type: 'json_object' } }).response_format, { type: 'json_object' });
  const schema = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] };
  assert.deepEqual(body({ response_format: { type: 'json_schema', json_schema: { name: 'person', schema, strict: true } } }).response_format, { type: 'json_object', json_schema: schema });
  assert.equal('response_format' in body({ response_format: { type: 'text' } }), false);
});

test('OpenAI parameters Cohere lacks are refused naming them, or dropped under drop_params', () => {
  for (const [name, value] of [['n', 2], ['logprobs', true], ['top_logprobs', 2], ['logit_bias', { '42': 1 }], ['parallel_tool_calls', false], ['reasoning_effort', 'high']] as const) {
    assert.throws(() => body({ [name]: value }), (e: unknown) => e instanceof GatewayError && e.code === 'unsupported_param' && e.param === name && e.status === 400, name);
    assert.equal(name in body({ [name]: value }, { dropParams: true }), false, name);
  }
});
