/**
 * The official `openai` SDK as the client, `gemini/` deployments behind the gateway, a mock Gemini
 * API upstream: plain and streamed chat (the usage chunk only when asked for), a tool round trip
 * (the thought signature kept through the call id), vision by URL and data URL, JSON mode, system
 * prompts, stop sequences, cached and thought tokens in usage, embeddings, Google's errors with
 * their status kept, and the exact request the upstream receives.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import OpenAI from 'openai';
import { functionCallAnswer, functionCallStreamEvents, MockGemini, MOCK_RESPONSE_ID, textAnswer, thinkingAnswer } from '../support/mocks/gemini.js';
import { deployment, gatewayConfig, NO_RETRIES, providerGateway } from '../support/provider-e2e.js';

const MODEL = 'gemini-2.5-flash';
const API_KEY = 'AIza-upstream-test-key';

function config(apiBase: string): string {
  const gemini = (model: string) => ({ model: `gemini/${model}`, api_base: apiBase, api_key: API_KEY });
  return gatewayConfig([deployment('gemini', gemini(MODEL)), deployment('gemini-embed', gemini('gemini-embedding-001'))], NO_RETRIES);
}

const weatherTool: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Get the current weather in a given location',
    parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'], additionalProperties: false },
  },
};

describe('openai SDK → gateway → gemini', () => {
  const upstream = new MockGemini();
  const e2e = providerGateway(upstream, config);

  test('plain chat with a system prompt and stop sequences: the exact upstream request, the answer as a chat.completion', async () => {
    const completion = await e2e.client.chat.completions.create({
      model: 'gemini',
      messages: [
        { role: 'system', content: 'You are a helpful assistant.' },
        { role: 'user', content: 'Hello, world' },
      ],
      max_tokens: 256,
      temperature: 0.3,
      stop: ['END'],
    });
    const seen = e2e.only();
    assert.equal(seen.method, 'POST');
    assert.equal(seen.path, `/v1beta/models/${MODEL}:generateContent`);
    assert.equal(seen.headers['x-goog-api-key'], API_KEY);
    assert.equal(seen.headers['content-type'], 'application/json');
    assert.equal(seen.headers.authorization, undefined);
    assert.equal(
      seen.body.toString('utf8'),
      '{"contents":[{"role":"user","parts":[{"text":"Hello, world"}]}],"systemInstruction":{"parts":[{"text":"You are a helpful assistant."}]},' +
        '"generationConfig":{"maxOutputTokens":256,"temperature":0.3,"stopSequences":["END"]}}',
    );
    assert.equal(completion.object, 'chat.completion');
    assert.equal(completion.id, `chatcmpl-${MOCK_RESPONSE_ID}`);
    assert.equal(completion.choices[0].message.role, 'assistant');
    assert.equal(completion.choices[0].message.content, 'Hello from the mock Gemini.');
    assert.equal(completion.choices[0].finish_reason, 'stop');
    assert.equal(completion.usage?.prompt_tokens, 9);
    assert.equal(completion.usage?.completion_tokens, 7);
    assert.equal(completion.usage?.total_tokens, 16);
  });

  test('streamed chat: text chunk by chunk, no usage chunk unless include_usage asks for one', async () => {
    const stream = await e2e.client.chat.completions.create({ model: 'gemini', messages: [{ role: 'user', content: 'stream please' }], stream: true });
    let text = '';
    const finishes: (string | null)[] = [];
    let usageChunks = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.choices[0]?.finish_reason) finishes.push(chunk.choices[0].finish_reason);
      if (chunk.usage) usageChunks++;
    }
    assert.equal(text, 'Hello from the stream.');
    assert.deepEqual(finishes, ['stop']);
    assert.equal(usageChunks, 0);
    assert.equal(e2e.only().path, `/v1beta/models/${MODEL}:streamGenerateContent?alt=sse`);
    assert.equal(e2e.only().headers['x-goog-api-key'], API_KEY);

    upstream.requests.length = 0;
    const withUsage = await e2e.client.chat.completions.create({
      model: 'gemini', messages: [{ role: 'user', content: 'stream please' }], stream: true, stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of withUsage) chunks.push(chunk);
    const last = chunks[chunks.length - 1];
    assert.deepEqual(last.choices, []);
    assert.equal(last.usage?.prompt_tokens, 9);
    assert.equal(last.usage?.completion_tokens, 5);
    assert.equal(last.usage?.total_tokens, 14);
    assert.equal(chunks.filter((c) => c.usage).length, 1);
  });

  test('tools round trip: functionDeclarations out, a call back (signature kept in its id), the result sent as functionResponse', async () => {
    upstream.enqueue({ kind: 'json', body: functionCallAnswer(MODEL, 'get_weather', { location: 'Paris' }, 'c2lnbmF0dXJlLTE=') });
    const first = await e2e.client.chat.completions.create({
      model: 'gemini',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [weatherTool],
      tool_choice: 'auto',
    });
    const sent = e2e.only().json!;
    assert.deepEqual(sent.tools, [{
      functionDeclarations: [{
        name: 'get_weather',
        description: 'Get the current weather in a given location',
        parametersJsonSchema: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'], additionalProperties: false },
      }],
    }]);
    assert.deepEqual(sent.toolConfig, { functionCallingConfig: { mode: 'AUTO' } });
    assert.equal(first.choices[0].finish_reason, 'tool_calls');
    const call = first.choices[0].message.tool_calls![0] as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall;
    assert.equal(call.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.function.arguments), { location: 'Paris' });
    assert.match(call.id, /__thought__c2lnbmF0dXJlLTE=$/);

    upstream.requests.length = 0;
    const second = await e2e.client.chat.completions.create({
      model: 'gemini',
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: call.id, content: '{"temperature_c": 21}' },
      ],
      tools: [weatherTool],
    });
    assert.deepEqual(e2e.only().json!.contents, [
      { role: 'user', parts: [{ text: 'Weather in Paris?' }] },
      { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { location: 'Paris' } }, thoughtSignature: 'c2lnbmF0dXJlLTE=' }] },
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { content: '{"temperature_c": 21}' } } }] },
    ]);
    assert.equal(second.choices[0].message.content, 'Hello from the mock Gemini.');
  });

  test('a streamed tool call arrives as one tool_calls delta', async () => {
    upstream.enqueue({ kind: 'stream', events: functionCallStreamEvents(MODEL, 'get_weather', { location: 'Rome' }) });
    const stream = await e2e.client.chat.completions.create({ model: 'gemini', messages: [{ role: 'user', content: 'Rome?' }], tools: [weatherTool], stream: true });
    const calls: OpenAI.Chat.Completions.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      calls.push(...(chunk.choices[0]?.delta?.tool_calls ?? []));
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(calls.length, 1);
    assert.equal(calls[0].function?.name, 'get_weather');
    assert.equal(calls[0].function?.arguments, '{"location":"Rome"}');
    assert.equal(finish, 'tool_calls');
  });

  test('vision: an image URL goes as file_data, a data URL inline', async () => {
    await e2e.client.chat.completions.create({
      model: 'gemini',
      messages: [{
        role: 'user',
        content: [
          { type: 'text', text: 'Compare these.' },
          { type: 'image_url', image_url: { url: 'https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg' } },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==' } },
        ],
      }],
    });
    assert.deepEqual(e2e.only().json!.contents[0].parts, [
      { text: 'Compare these.' },
      { file_data: { mime_type: 'image/jpeg', file_uri: 'https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg' } },
      { inline_data: { mime_type: 'image/png', data: 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==' } },
    ]);
  });

  test('JSON mode: json_object and json_schema set responseMimeType (and responseJsonSchema)', async () => {
    upstream.enqueue({ kind: 'json', body: textAnswer(MODEL, '{"name":"Ada"}') });
    const answer = await e2e.client.chat.completions.create({ model: 'gemini', messages: [{ role: 'user', content: 'JSON please' }], response_format: { type: 'json_object' } });
    assert.deepEqual(JSON.parse(answer.choices[0].message.content!), { name: 'Ada' });
    assert.deepEqual(e2e.only().json!.generationConfig, { responseMimeType: 'application/json' });

    upstream.requests.length = 0;
    const schema = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'], additionalProperties: false };
    await e2e.client.chat.completions.create({
      model: 'gemini',
      messages: [{ role: 'user', content: 'JSON please' }],
      response_format: { type: 'json_schema', json_schema: { name: 'person', schema, strict: true } },
    });
    assert.deepEqual(e2e.only().json!.generationConfig, { responseMimeType: 'application/json', responseJsonSchema: schema });
  });

  test('usage with cached and thought tokens; thoughts as reasoning_content; reasoning_effort as a thinking budget', async () => {
    upstream.enqueue({ kind: 'json', body: thinkingAnswer(MODEL) });
    const completion = await e2e.client.chat.completions.create({ model: 'gemini', messages: [{ role: 'user', content: '6 x 7?' }], reasoning_effort: 'low' });
    assert.deepEqual(e2e.only().json!.generationConfig, { thinkingConfig: { thinkingBudget: 1024, includeThoughts: true } });
    assert.equal(completion.choices[0].message.content, '42');
    assert.equal((completion.choices[0].message as unknown as { reasoning_content: string }).reasoning_content, 'The user wants a number; 6 times 7 is 42.');
    assert.equal(completion.usage?.prompt_tokens, 1200);
    assert.equal(completion.usage?.completion_tokens, 42);
    assert.equal(completion.usage?.total_tokens, 1242);
    assert.equal(completion.usage?.prompt_tokens_details?.cached_tokens, 1024);
    assert.equal(completion.usage?.completion_tokens_details?.reasoning_tokens, 40);
  });

  test('embeddings: batchEmbedContents, one request per input, dimensions as outputDimensionality', async () => {
    const result = await e2e.client.embeddings.create({ model: 'gemini-embed', input: ['first', 'second'], dimensions: 4, encoding_format: 'float' });
    const seen = e2e.only();
    assert.equal(seen.path, '/v1beta/models/gemini-embedding-001:batchEmbedContents');
    assert.equal(seen.headers['x-goog-api-key'], API_KEY);
    assert.deepEqual(seen.json, {
      requests: [
        { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'first' }] }, outputDimensionality: 4 },
        { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'second' }] }, outputDimensionality: 4 },
      ],
    });
    assert.equal(result.data.length, 2);
    assert.deepEqual(result.data[1].embedding, [0.2, 0.21, 0.22, 0.23]);
  });

  test("embeddings in the SDK's default base64 encoding decode to the provider's vectors (as float32)", async () => {
    const result = await e2e.client.embeddings.create({ model: 'gemini-embed', input: ['first', 'second'], dimensions: 4 });
    e2e.only();
    assert.equal(result.data.length, 2);
    assert.deepEqual(result.data[1].embedding, Array.from(Float32Array.from([0.2, 0.21, 0.22, 0.23])));
  });

  test("Google's errors keep their status: 429 RESOURCE_EXHAUSTED is a RateLimitError, 400 INVALID_ARGUMENT a BadRequestError", async () => {
    upstream.enqueue({ kind: 'error', status: 429, googleStatus: 'RESOURCE_EXHAUSTED', message: 'Resource has been exhausted (e.g. check quota).' });
    await assert.rejects(e2e.client.chat.completions.create({ model: 'gemini', messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.RateLimitError, String(error));
      assert.equal(error.status, 429);
      assert.match(error.message, /Resource has been exhausted/);
      return true;
    });
    upstream.enqueue({ kind: 'error', status: 400, googleStatus: 'INVALID_ARGUMENT', message: 'Request contains an invalid argument.' });
    await assert.rejects(e2e.client.chat.completions.create({ model: 'gemini', messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.BadRequestError, String(error));
      assert.match(error.message, /invalid argument/);
      return true;
    });
  });

  test('a parameter Gemini cannot take is refused with 400 before any upstream call', async () => {
    await assert.rejects(e2e.client.chat.completions.create({ model: 'gemini', messages: [{ role: 'user', content: 'hi' }], logit_bias: { '1': 5 } }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.BadRequestError, String(error));
      assert.match(error.message, /gemini does not support the parameter 'logit_bias'/);
      return true;
    });
    assert.equal(upstream.requests.length, 0);
  });
});
