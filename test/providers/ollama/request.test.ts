import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayError } from '../../../src/errors.js';
import { ollamaChatRequest } from '../../../src/providers/ollama/request.js';
import type { OpenAIChatRequest } from '../../../src/providers/types.js';
import { ollamaTarget } from './target.js';

function body(req: Partial<OpenAIChatRequest>, options: Parameters<typeof ollamaTarget>[0] = {}): Record<string, unknown> {
  const request = ollamaChatRequest({ model: 'm', messages: [{ role: 'user', content: 'Hi' }], ...req }, ollamaTarget(options));
  return JSON.parse(request.body.toString('utf8'));
}

const WEATHER_TOOL = {
  type: 'function' as const,
  function: { name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};

test('path at the server root, no auth without a key, and stream always sent', () => {
  const request = ollamaChatRequest({ model: 'm', messages: [{ role: 'user', content: 'Hi' }] }, ollamaTarget());
  assert.equal(request.path, '/api/chat');
  assert.equal(request.headerBlock, 'content-type: application/json\r\n');
  assert.equal(request.body.toString('utf8'), '{"model":"llama3.2","messages":[{"role":"user","content":"Hi"}],"stream":false}');
  assert.equal(body({}, { stream: true }).stream, true);
});

test('a key is sent as a bearer token; api_base written for the OpenAI API or as an endpoint names the same server', () => {
  assert.equal(ollamaChatRequest({ model: 'm', messages: [] }, ollamaTarget({ params: 'api_key: ol-key' })).headerBlock, 'content-type: application/json\r\nauthorization: Bearer ol-key\r\n');
  for (const base of ['http://h:11434/v1', 'http://h:11434/api/chat', 'http://h:11434/', 'http://h:11434/api']) {
    assert.equal(ollamaChatRequest({ model: 'm', messages: [] }, ollamaTarget({ params: `api_base: "${base}"` })).path, '/api/chat', base);
  }
  assert.equal(ollamaChatRequest({ model: 'm', messages: [] }, ollamaTarget({ params: 'api_base: "https://gw.example/ollama"' })).path, '/ollama/api/chat');
});

test('sampling parameters go into options: num_predict, temperature, top_p, stop, seed, penalties, native options', () => {
  assert.deepEqual(body({ max_tokens: 64, temperature: 0.1, top_p: 0.8, stop: 'END', seed: 42, frequency_penalty: 0.5, presence_penalty: 0.2, num_ctx: 8192, top_k: 20 }).options, {
    num_predict: 64, temperature: 0.1, top_p: 0.8, stop: ['END'], seed: 42, frequency_penalty: 0.5, presence_penalty: 0.2, num_ctx: 8192, top_k: 20,
  });
  assert.equal((body({ max_tokens: 64, max_completion_tokens: 32 }).options as Record<string, unknown>).num_predict, 32);
  assert.equal('options' in body({ user: 'u', metadata: { a: 1 } }), false, 'nothing to set, no options; user and metadata not sent');
  assert.equal(body({ keep_alive: '10m' }).keep_alive, '10m');
});

test('messages: system and developer, user text parts joined and data-URL images as base64, assistant tool calls as objects with thinking, tool results named', () => {
  const b = body({
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'developer', content: 'Metric units.' },
      { role: 'user', content: [{ type: 'text', text: 'What is ' }, { type: 'text', text: 'this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] },
      { role: 'assistant', content: null, reasoning_content: 'Need the weather.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '{"temp":21}' },
      { role: 'assistant', content: 'It is 21 °C.' },
    ],
  });
  assert.deepEqual(b.messages, [
    { role: 'system', content: 'Be brief.' },
    { role: 'system', content: 'Metric units.' },
    { role: 'user', content: 'What is this?', images: ['iVBORw0KGgo='] },
    { role: 'assistant', content: '', thinking: 'Need the weather.', tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Paris' } } }] },
    { role: 'tool', content: '{"temp":21}', tool_name: 'get_weather' },
    { role: 'assistant', content: 'It is 21 °C.' },
  ]);
});

test('an image link is refused (Ollama takes inline images only), whatever drop_params says', () => {
  assert.throws(
    () => body({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }] }, { dropParams: true }),
    (e: unknown) => e instanceof GatewayError && e.code === 'unsupported_param' && e.status === 400 && e.param === 'messages[0].content[0].image_url.url',
  );
});

test('tool call arguments that are not a JSON object are refused naming the field', () => {
  const messages = [{ role: 'assistant' as const, content: null, tool_calls: [{ id: 'c', type: 'function' as const, function: { name: 'f', arguments: '{oops' } }] }];
  assert.throws(() => body({ messages }), (e: unknown) => e instanceof GatewayError && e.code === 'invalid_body' && e.param === 'messages[0].tool_calls[0].function.arguments');
});

test('tools keep the function schema; tool_choice none sends none; required or named is refused unless drop_params', () => {
  assert.deepEqual(body({ tools: [WEATHER_TOOL] }).tools, [WEATHER_TOOL]);
  assert.deepEqual(body({ tools: [WEATHER_TOOL], tool_choice: 'auto' }).tools, [WEATHER_TOOL]);
  assert.equal('tools' in body({ tools: [WEATHER_TOOL], tool_choice: 'none' }), false);
  assert.throws(() => body({ tools: [WEATHER_TOOL], tool_choice: 'required' }), (e: unknown) => e instanceof GatewayError && e.code === 'unsupported_param' && e.param === 'tool_choice');
  assert.deepEqual(body({ tools: [WEATHER_TOOL], tool_choice: { type: 'function', function: { name: 'get_weather' } } }, { dropParams: true }).tools, [WEATHER_TOOL]);
});

test('response_format: json_object → "json", json_schema → the schema', () => {
  assert.equal(body({ response_format: { type: 'json_object' } }).format, 'json');
  const schema = { type: 'object', properties: { age: { type: 'integer' } }, required: ['age'] };
  assert.deepEqual(body({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema } } }).format, schema);
  assert.equal('format' in body({ response_format: { type: 'text' } }), false);
});

test('reasoning_effort → think: none → false, levels for gpt-oss, true for other models; a native think wins', () => {
  assert.equal(body({ reasoning_effort: 'none' }).think, false);
  assert.equal(body({ reasoning_effort: 'high' }).think, true);
  assert.equal(body({ reasoning_effort: 'low' }, { model: 'ollama/gpt-oss:20b' }).think, 'low');
  assert.equal(body({ reasoning_effort: 'high', think: false }).think, false);
  assert.equal('think' in body({}), false);
});

test('OpenAI parameters Ollama lacks are refused naming them, or dropped under drop_params', () => {
  for (const [name, value] of [['n', 3], ['logprobs', true], ['logit_bias', { '1': 2 }], ['parallel_tool_calls', false]] as const) {
    assert.throws(() => body({ [name]: value }), (e: unknown) => e instanceof GatewayError && e.code === 'unsupported_param' && e.param === name, name);
    assert.equal(name in body({ [name]: value }, { dropParams: true }), false, name);
  }
});
