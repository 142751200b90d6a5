/**
 * The generateContent request the gemini adapter makes: path, headers, and how each OpenAI
 * parameter lands in generationConfig, tools and toolConfig (or is refused, or dropped).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayError } from '../../../src/errors.js';
import { adapter } from '../../../src/providers/gemini/index.js';
import type { OpenAIChatRequest, UpstreamRequest } from '../../../src/providers/types.js';
import { googleTarget, type TargetOptions } from './target.js';

const USER = [{ role: 'user' as const, content: 'Hi' }];

function request(req: Partial<OpenAIChatRequest>, options: TargetOptions = {}): UpstreamRequest {
  return adapter.chat!.request({ model: 'gemini-2.5-flash', messages: USER, ...req }, googleTarget(options)) as UpstreamRequest;
}

function body(req: Partial<OpenAIChatRequest>, options: TargetOptions = {}): Record<string, any> {
  return JSON.parse(request(req, options).body.toString('utf8'));
}

function refusal(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected a GatewayError');
}

test('adapter endpoint: prefix, default base, key variables and header', () => {
  assert.equal(adapter.prefix, 'gemini');
  assert.equal(adapter.wire, 'other');
  assert.equal(adapter.defaultApiBase, 'https://generativelanguage.googleapis.com');
  assert.deepEqual(adapter.apiKeyEnv, ['GEMINI_API_KEY', 'GOOGLE_API_KEY']);
  assert.equal(adapter.authHeader, 'x-goog-api-key');
  assert.equal(adapter.authScheme, '');
});

test('path, headers and the whole body of a plain request', () => {
  const upstream = request({ temperature: 0.3 }, { extraHeaders: { 'x-goog-user-project': 'billing-1' } });
  assert.equal(upstream.path, '/v1beta/models/gemini-2.5-flash:generateContent');
  assert.equal(upstream.headerBlock, 'content-type: application/json\r\nx-goog-api-key: AIza-test-key\r\nx-goog-user-project: billing-1\r\n');
  assert.equal(upstream.body.toString('utf8'), '{"contents":[{"role":"user","parts":[{"text":"Hi"}]}],"generationConfig":{"temperature":0.3}}');
});

test('a streamed request asks for server-sent events; an api_base path prefixes the path', () => {
  assert.equal(request({}, { stream: true }).path, '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
  assert.equal(request({}, { apiBase: 'https://proxy.example.com/google' }).path, '/google/v1beta/models/gemini-2.5-flash:generateContent');
});

test('sampling parameters map to generationConfig', () => {
  assert.deepEqual(body({
    max_tokens: 100, temperature: 0.5, top_p: 0.9, top_k: 40, stop: 'END', n: 2, seed: 7,
    presence_penalty: 0.1, frequency_penalty: 0.2, user: 'u-1', stream_options: { include_usage: true },
    logprobs: false, parallel_tool_calls: true, modalities: ['text'], service_tier: 'auto', metadata: { a: '1' },
    store: false, tags: ['gateway-extra'],
  }).generationConfig, {
    maxOutputTokens: 100, temperature: 0.5, topP: 0.9, topK: 40, stopSequences: ['END'], candidateCount: 2, seed: 7,
    presencePenalty: 0.1, frequencyPenalty: 0.2,
  });
  assert.deepEqual(body({ max_tokens: 100, max_completion_tokens: 50, stop: ['a', 'b'] }).generationConfig, { maxOutputTokens: 50, stopSequences: ['a', 'b'] });
});

test('JSON mode: json_object sets the MIME type; json_schema adds responseJsonSchema (the JSON Schema as written, $schema removed)', () => {
  assert.deepEqual(body({ response_format: { type: 'json_object' } }).generationConfig, { responseMimeType: 'application/json' });
  const schema = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    properties: { name: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } } },
    required: ['name'],
    additionalProperties: false,
  };
  const { $schema: _ignored, ...expected } = schema;
  assert.deepEqual(body({ response_format: { type: 'json_schema', json_schema: { name: 'person', schema, strict: true } } }).generationConfig, {
    responseMimeType: 'application/json',
    responseJsonSchema: expected,
  });
  assert.deepEqual(body({ response_format: { type: 'text' } }).generationConfig, undefined);
});

test('tools become functionDeclarations with parametersJsonSchema; tool_choice becomes functionCallingConfig', () => {
  const tools = [
    { type: 'function' as const, function: { name: 'get_weather', description: 'Weather for a city', parameters: { $schema: 'x', type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false } } },
    { type: 'function' as const, function: { name: 'now' } },
  ];
  const sent = body({ tools, tool_choice: 'auto' });
  assert.deepEqual(sent.tools, [{
    functionDeclarations: [
      { name: 'get_weather', description: 'Weather for a city', parametersJsonSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false } },
      { name: 'now' },
    ],
  }]);
  assert.deepEqual(sent.toolConfig, { functionCallingConfig: { mode: 'AUTO' } });
  assert.deepEqual(body({ tools, tool_choice: 'none' }).toolConfig, { functionCallingConfig: { mode: 'NONE' } });
  assert.deepEqual(body({ tools, tool_choice: 'required' }).toolConfig, { functionCallingConfig: { mode: 'ANY' } });
  assert.deepEqual(body({ tools, tool_choice: { type: 'function', function: { name: 'now' } } }).toolConfig, {
    functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['now'] },
  });
  assert.equal(body({ tool_choice: 'none' }).toolConfig, undefined);
});

test('reasoning_effort: thinking budgets for Gemini 2.x, levels for Gemini 3, as LiteLLM maps them', () => {
  const thinking = (effort: string, upstreamModel: string) => body({ reasoning_effort: effort }, { upstreamModel }).generationConfig.thinkingConfig;
  assert.deepEqual(thinking('low', 'gemini-2.5-flash'), { thinkingBudget: 1024, includeThoughts: true });
  assert.deepEqual(thinking('medium', 'gemini-2.5-pro'), { thinkingBudget: 2048, includeThoughts: true });
  assert.deepEqual(thinking('high', 'gemini-2.5-pro'), { thinkingBudget: 4096, includeThoughts: true });
  assert.deepEqual(thinking('minimal', 'gemini-2.5-flash'), { thinkingBudget: 1, includeThoughts: true });
  assert.deepEqual(thinking('minimal', 'gemini-2.5-flash-lite'), { thinkingBudget: 512, includeThoughts: true });
  assert.deepEqual(thinking('minimal', 'gemini-2.5-pro'), { thinkingBudget: 128, includeThoughts: true });
  assert.deepEqual(thinking('none', 'gemini-2.5-flash'), { thinkingBudget: 0, includeThoughts: false });
  assert.deepEqual(thinking('medium', 'gemini-3-pro-preview'), { thinkingLevel: 'high', includeThoughts: true });
  assert.deepEqual(thinking('low', 'gemini-3.1-flash'), { thinkingLevel: 'low', includeThoughts: true });
  assert.deepEqual(thinking('disable', 'gemini-3-pro-preview'), { thinkingLevel: 'low', includeThoughts: false });
  assert.equal(refusal(() => body({ reasoning_effort: 'extreme' })).code, 'invalid_body');
});

test('parameters Gemini cannot take are refused naming them, or left out with drop_params', () => {
  for (const [req, param] of [
    [{ logit_bias: { '50256': -100 } }, 'logit_bias'],
    [{ logprobs: true }, 'logprobs'],
    [{ parallel_tool_calls: false }, 'parallel_tool_calls'],
    [{ service_tier: 'flex' }, 'service_tier'],
    [{ web_search_options: {} }, 'web_search_options'],
    [{ modalities: ['text', 'audio'] }, 'modalities'],
  ] as [Partial<OpenAIChatRequest>, string][]) {
    const error = refusal(() => body(req));
    assert.equal(error.code, 'unsupported_param', param);
    assert.equal(error.param, param);
    assert.match(error.message, new RegExp(`gemini does not support the parameter '${param}'`));
    assert.equal(error.status, 400);
    assert.deepEqual(body({ ...req, temperature: 1 }, { dropParams: true }), { contents: [{ role: 'user', parts: [{ text: 'Hi' }] }], generationConfig: { temperature: 1 } });
  }
});

test('a request without any turn is refused', () => {
  const error = refusal(() => body({ messages: [{ role: 'system', content: 'only a system prompt' }] }));
  assert.equal(error.code, 'invalid_body');
  assert.equal(error.param, 'messages');
});
