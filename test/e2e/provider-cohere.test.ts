/**
 * The official `openai` SDK as the client, `cohere/` deployments behind the gateway, a mock
 * Cohere v2 API upstream: plain and streamed chat (the usage chunk only when asked for), a tool
 * round trip (the tool plan kept as reasoning), a streamed tool call, vision, JSON mode with a
 * schema, system prompts, stop sequences, usage from Cohere's token counts, embeddings, Cohere's
 * errors with their status kept, a parameter Cohere cannot take refused before any call, and the
 * exact request the upstream receives.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import OpenAI from 'openai';
import { MockCohere, MOCK_GENERATION_ID, textStreamEvents, toolCallResponse, toolCallStreamEvents } from '../support/mocks/cohere.js';
import { deployment, gatewayConfig, NO_RETRIES, providerGateway } from '../support/provider-e2e.js';

const MODEL = 'command-a-03-2025';
const API_KEY = 'co-upstream-test-key';

function config(apiBase: string): string {
  const cohere = (model: string) => ({ model, api_base: apiBase, api_key: API_KEY });
  return gatewayConfig([deployment('cohere', cohere(`cohere/${MODEL}`)), deployment('cohere-embed', cohere('cohere_chat/embed-v4.0'))], NO_RETRIES);
}

const weatherTool: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } },
};

describe('openai SDK → gateway → cohere', () => {
  const upstream = new MockCohere();
  const e2e = providerGateway(upstream, config);

  test('plain chat with a system prompt and stop sequences: the exact upstream request, the answer as a chat.completion', async () => {
    const completion = await e2e.client.chat.completions.create({
      model: 'cohere',
      messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Hello' }],
      max_tokens: 100,
      temperature: 0.3,
      top_p: 0.9,
      stop: ['END'],
      seed: 7,
    });
    const seen = e2e.only();
    assert.equal(seen.method, 'POST');
    assert.equal(seen.path, '/v2/chat');
    assert.equal(seen.headers.authorization, `Bearer ${API_KEY}`);
    assert.equal(seen.headers['content-type'], 'application/json');
    assert.equal(
      seen.body.toString('utf8'),
      `{"model":"${MODEL}","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Hello"}],` +
        '"max_tokens":100,"temperature":0.3,"p":0.9,"stop_sequences":["END"],"seed":7,"stream":false}',
    );
    assert.equal(completion.id, `chatcmpl-${MOCK_GENERATION_ID}`);
    assert.equal(completion.model, MODEL);
    assert.equal(completion.choices[0].message.content, 'Hello from Cohere.');
    assert.equal(completion.choices[0].finish_reason, 'stop');
    assert.deepEqual(completion.usage && [completion.usage.prompt_tokens, completion.usage.completion_tokens, completion.usage.total_tokens], [71, 7, 78]);
  });

  test('streamed chat: text chunk by chunk, no usage chunk unless include_usage asks for one', async () => {
    const collect = async (includeUsage: boolean) => {
      const stream = await e2e.client.chat.completions.create({
        model: 'cohere',
        messages: [{ role: 'user', content: 'stream please' }],
        stream: true,
        ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
      });
      let text = '';
      const finishes: string[] = [];
      let usage: OpenAI.CompletionUsage | null = null;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? '';
        if (chunk.choices[0]?.finish_reason) finishes.push(chunk.choices[0].finish_reason);
        if (chunk.usage) usage = chunk.usage;
      }
      return { text, finishes, usage };
    };
    const plain = await collect(false);
    assert.deepEqual([plain.text, plain.finishes, plain.usage], ['Hello from Cohere.', ['stop'], null]);
    assert.equal(upstream.requests[0].json!.stream, true);
    const withUsage = await collect(true);
    assert.equal(withUsage.text, 'Hello from Cohere.');
    assert.equal(withUsage.usage?.total_tokens, 78);
    assert.equal('stream_options' in upstream.requests[1].json!, false, 'stream_options is the gateway’s, not Cohere’s');
  });

  test('a tool round trip: the call and its plan come back, the result and the plan go back to Cohere', async () => {
    upstream.enqueue({ kind: 'chat', response: toolCallResponse() });
    const first = await e2e.client.chat.completions.create({ model: 'cohere', messages: [{ role: 'user', content: 'Weather in Toronto?' }], tools: [weatherTool], tool_choice: 'required' });
    assert.deepEqual(e2e.only().json!.tools, [weatherTool]);
    assert.equal(e2e.only().json!.tool_choice, 'REQUIRED');
    const message = first.choices[0].message as OpenAI.Chat.Completions.ChatCompletionMessage & { reasoning_content?: string };
    assert.equal(first.choices[0].finish_reason, 'tool_calls');
    assert.equal(message.content, null);
    assert.equal(message.reasoning_content, 'I will look up the weather in Toronto.');
    const call = message.tool_calls?.[0];
    assert.ok(call !== undefined && call.type === 'function');
    assert.deepEqual([call.id, call.function], ['get_weather_1byjy32y4hvq', { name: 'get_weather', arguments: '{"location":"Toronto"}' }]);

    upstream.requests.length = 0;
    const second = await e2e.client.chat.completions.create({
      model: 'cohere',
      messages: [{ role: 'user', content: 'Weather in Toronto?' }, message, { role: 'tool', tool_call_id: call.id, content: '{"temperature":"20C"}' }],
      tools: [weatherTool],
    });
    assert.equal(second.choices[0].message.content, 'Hello from Cohere.');
    assert.deepEqual(e2e.only().json!.messages, [
      { role: 'user', content: 'Weather in Toronto?' },
      { role: 'assistant', tool_calls: [{ id: 'get_weather_1byjy32y4hvq', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Toronto"}' } }], tool_plan: 'I will look up the weather in Toronto.' },
      { role: 'tool', tool_call_id: 'get_weather_1byjy32y4hvq', content: '{"temperature":"20C"}' },
    ]);
  });

  test('a streamed tool call arrives as OpenAI tool call deltas', async () => {
    upstream.enqueue({ kind: 'stream', events: toolCallStreamEvents() });
    const stream = await e2e.client.chat.completions.create({ model: 'cohere', messages: [{ role: 'user', content: 'Weather?' }], tools: [weatherTool], stream: true });
    let name = '';
    let args = '';
    let id = '';
    let finish = '';
    for await (const chunk of stream) {
      for (const delta of chunk.choices[0]?.delta?.tool_calls ?? []) {
        id ||= delta.id ?? '';
        name += delta.function?.name ?? '';
        args += delta.function?.arguments ?? '';
      }
      finish ||= chunk.choices[0]?.finish_reason ?? '';
    }
    assert.deepEqual([id, name, args, finish], ['get_weather_nsz5zm3w56q3', 'get_weather', '{"location":"Toronto"}', 'tool_calls']);
  });

  test('vision: text and image parts become Cohere content items', async () => {
    await e2e.client.chat.completions.create({
      model: 'cohere',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'high' } }] }],
    });
    assert.deepEqual(e2e.only().json!.messages, [
      { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'high' } }] },
    ]);
  });

  test('JSON mode: json_object, and json_schema as a json_object with the schema', async () => {
    await e2e.client.chat.completions.create({ model: 'cohere', messages: [{ role: 'user', content: 'JSON please' }], response_format: { type: 'json_object' } });
    assert.deepEqual(e2e.only().json!.response_format, { type: 'json_object' });
    upstream.requests.length = 0;
    const schema = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] };
    await e2e.client.chat.completions.create({ model: 'cohere', messages: [{ role: 'user', content: 'JSON please' }], response_format: { type: 'json_schema', json_schema: { name: 'person', schema } } });
    assert.deepEqual(e2e.only().json!.response_format, { type: 'json_object', json_schema: schema });
  });

  test('MAX_TOKENS finishes with length', async () => {
    upstream.enqueue({ kind: 'stream', events: textStreamEvents(['Once upon'], 'MAX_TOKENS') });
    const stream = await e2e.client.chat.completions.create({ model: 'cohere', messages: [{ role: 'user', content: 'A story' }], max_tokens: 2, stream: true });
    const finishes: string[] = [];
    for await (const chunk of stream) if (chunk.choices[0]?.finish_reason) finishes.push(chunk.choices[0].finish_reason);
    assert.deepEqual(finishes, ['length']);
  });

  test('Cohere’s errors keep their status and message: 429 a RateLimitError, 401 an AuthenticationError', async () => {
    upstream.enqueue({ kind: 'error', status: 429, message: 'You are using a Trial key, which is limited to 10 API calls / minute.' });
    await assert.rejects(e2e.client.chat.completions.create({ model: 'cohere', messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.RateLimitError, String(error));
      assert.match(error.message, /Trial key/);
      return true;
    });
    upstream.enqueue({ kind: 'error', status: 401, message: 'invalid api token' });
    await assert.rejects(e2e.client.chat.completions.create({ model: 'cohere', messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.AuthenticationError, String(error));
      assert.match(error.message, /invalid api token/);
      return true;
    });
  });

  test('a parameter Cohere cannot take (n: 2) is refused with a 400 naming it, before any upstream call', async () => {
    await assert.rejects(e2e.client.chat.completions.create({ model: 'cohere', messages: [{ role: 'user', content: 'hi' }], n: 2 }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.BadRequestError, String(error));
      assert.equal(error.param, 'n');
      return true;
    });
    assert.equal(upstream.requests.length, 0);
  });

  test('embeddings: /v2/embed with texts, search_document and float embeddings; usage from billed units; the SDK’s default base64 too', async () => {
    const result = await e2e.client.embeddings.create({ model: 'cohere-embed', input: ['first', 'second'], dimensions: 256, encoding_format: 'float' });
    assert.equal(e2e.only().path, '/v2/embed');
    assert.equal(e2e.only().headers.authorization, `Bearer ${API_KEY}`);
    assert.equal(e2e.only().body.toString('utf8'), '{"model":"embed-v4.0","texts":["first","second"],"input_type":"search_document","embedding_types":["float"],"output_dimension":256}');
    assert.equal(result.data.length, 2);
    assert.deepEqual(result.data[1].embedding, [0.016296387, -0.008354187, 1]);
    assert.equal(result.usage.prompt_tokens, 4);
    upstream.requests.length = 0;
    const decoded = await e2e.client.embeddings.create({ model: 'cohere-embed', input: 'third' });
    assert.equal('encoding_format' in e2e.only().json!, false, 'Cohere is asked for floats; the gateway encodes them as the SDK asked (base64)');
    assert.deepEqual(decoded.data[0].embedding, [0.016296387, -0.008354187, 0].map(Math.fround));
  });
});
