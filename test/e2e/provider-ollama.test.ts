/**
 * The official `openai` SDK as the client, `ollama_chat/` and `ollama/` deployments behind the
 * gateway, a mock Ollama server upstream on its native API: plain chat (stream: false sent
 * explicitly) and streamed NDJSON (the usage chunk only when asked for), a tool round trip
 * (arguments as objects upstream, JSON text to the client, the tool result named), vision with a
 * data URL (an image link refused before any call), JSON mode and schemas, thinking, system
 * prompts, stop sequences and options, usage from the eval counts, embeddings, the bearer key
 * when one is configured, Ollama's errors (a missing model, an error line in a stream), and the
 * exact request the upstream receives.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import OpenAI from 'openai';
import { MockOllama, streamLines } from '../support/mocks/ollama.js';
import { deployment, gatewayConfig, NO_RETRIES, providerGateway } from '../support/provider-e2e.js';

function config(apiBase: string): string {
  return gatewayConfig(
    [
      deployment('llama', { model: 'ollama_chat/llama3.2', api_base: apiBase }),
      deployment('llava', { model: 'ollama/llava', api_base: `${apiBase}/v1`, api_key: 'ol-proxy-key' }),
      deployment('missing', { model: 'ollama_chat/mistral', api_base: apiBase }),
      deployment('minilm', { model: 'ollama/all-minilm', api_base: apiBase }),
    ],
    NO_RETRIES,
  );
}

const weatherTool: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_current_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } },
};

type ReasonedMessage = OpenAI.Chat.Completions.ChatCompletionMessage & { reasoning_content?: string };

describe('openai SDK → gateway → ollama', () => {
  const upstream = new MockOllama();
  const e2e = providerGateway(upstream, config);

  test('plain chat with a system prompt, stop sequences and sampling options: the exact upstream request and the answer', async () => {
    const completion = await e2e.client.chat.completions.create({
      model: 'llama',
      messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Hello' }],
      max_tokens: 64,
      temperature: 0.2,
      stop: ['END'],
      seed: 42,
    });
    const seen = e2e.only();
    assert.equal(seen.method, 'POST');
    assert.equal(seen.path, '/api/chat');
    assert.equal(seen.headers.authorization, undefined, 'no key configured, none sent');
    assert.equal(seen.headers['content-type'], 'application/json');
    assert.equal(
      seen.body.toString('utf8'),
      '{"model":"llama3.2","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Hello"}],' +
        '"options":{"num_predict":64,"temperature":0.2,"stop":["END"],"seed":42},"stream":false}',
    );
    assert.match(completion.id, /^chatcmpl-/);
    assert.equal(completion.model, 'llama3.2');
    assert.equal(completion.choices[0].message.content, 'Hello from Ollama.');
    assert.equal(completion.choices[0].finish_reason, 'stop');
    assert.deepEqual(completion.usage && [completion.usage.prompt_tokens, completion.usage.completion_tokens, completion.usage.total_tokens], [26, 9, 35]);
  });

  test('streamed chat over NDJSON: text piece by piece, usage only with include_usage', async () => {
    const collect = async (includeUsage: boolean) => {
      const stream = await e2e.client.chat.completions.create({
        model: 'llama',
        messages: [{ role: 'user', content: 'stream please' }],
        stream: true,
        ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
      });
      let text = '';
      let pieces = 0;
      const finishes: string[] = [];
      let usage: OpenAI.CompletionUsage | null = null;
      for await (const chunk of stream) {
        const content = chunk.choices[0]?.delta?.content;
        if (content) pieces++;
        text += content ?? '';
        if (chunk.choices[0]?.finish_reason) finishes.push(chunk.choices[0].finish_reason);
        if (chunk.usage) usage = chunk.usage;
      }
      return { text, pieces, finishes, usage };
    };
    const plain = await collect(false);
    assert.deepEqual([plain.text, plain.pieces, plain.finishes, plain.usage], ['Hello from Ollama.', 3, ['stop'], null]);
    assert.equal(upstream.requests[0].json!.stream, true);
    const withUsage = await collect(true);
    assert.equal(withUsage.usage?.total_tokens, 35);
  });

  test('a tool round trip: object arguments become JSON text with an id; the result goes back named', async () => {
    upstream.enqueue({ kind: 'message', message: { content: '', tool_calls: [{ function: { name: 'get_current_weather', arguments: { location: 'Paris, FR' } } }] } });
    const first = await e2e.client.chat.completions.create({ model: 'llama', messages: [{ role: 'user', content: 'Weather in Paris?' }], tools: [weatherTool] });
    assert.deepEqual(e2e.only().json!.tools, [weatherTool]);
    const call = first.choices[0].message.tool_calls?.[0];
    assert.equal(first.choices[0].finish_reason, 'tool_calls');
    assert.ok(call !== undefined && call.type === 'function');
    assert.match(call.id, /^call_/);
    assert.deepEqual(call.function, { name: 'get_current_weather', arguments: '{"location":"Paris, FR"}' });

    upstream.requests.length = 0;
    await e2e.client.chat.completions.create({
      model: 'llama',
      messages: [{ role: 'user', content: 'Weather in Paris?' }, first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: '22 degrees' }],
      tools: [weatherTool],
    });
    assert.deepEqual(e2e.only().json!.messages, [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: '', tool_calls: [{ function: { name: 'get_current_weather', arguments: { location: 'Paris, FR' } } }] },
      { role: 'tool', content: '22 degrees', tool_name: 'get_current_weather' },
    ]);
  });

  test('vision: a data URL image goes as base64 in images, to the llava deployment with its bearer key', async () => {
    await e2e.client.chat.completions.create({
      model: 'llava',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is in this picture?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==' } }] }],
    });
    const seen = e2e.only();
    assert.equal(seen.path, '/api/chat', 'an api_base written for the OpenAI API (/v1) names the same server');
    assert.equal(seen.headers.authorization, 'Bearer ol-proxy-key');
    assert.deepEqual(seen.json!.messages, [{ role: 'user', content: 'What is in this picture?', images: ['iVBORw0KGgoAAAANSUhEUg=='] }]);
  });

  test('an image link is refused with a 400 naming it, before any upstream call', async () => {
    await assert.rejects(
      e2e.client.chat.completions.create({ model: 'llava', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }] }),
      (error: unknown) => {
        assert.ok(error instanceof OpenAI.BadRequestError, String(error));
        assert.equal(error.param, 'messages[0].content[0].image_url.url');
        assert.match(error.message, /data URL/);
        return true;
      },
    );
    assert.equal(upstream.requests.length, 0);
  });

  test('JSON mode: format "json", and a json_schema as the format schema', async () => {
    await e2e.client.chat.completions.create({ model: 'llama', messages: [{ role: 'user', content: 'JSON please' }], response_format: { type: 'json_object' } });
    assert.equal(e2e.only().json!.format, 'json');
    upstream.requests.length = 0;
    const schema = { type: 'object', properties: { age: { type: 'integer' }, available: { type: 'boolean' } }, required: ['age', 'available'] };
    await e2e.client.chat.completions.create({ model: 'llama', messages: [{ role: 'user', content: 'JSON please' }], response_format: { type: 'json_schema', json_schema: { name: 'x', schema } } });
    assert.deepEqual(e2e.only().json!.format, schema);
  });

  test('thinking: reasoning_effort turns think on; the thinking streams back as reasoning_content', async () => {
    upstream.enqueue({ kind: 'message', message: { content: 'Blue.', thinking: 'Rayleigh scattering.' } });
    const stream = await e2e.client.chat.completions.create({ model: 'llama', messages: [{ role: 'user', content: 'Why is the sky blue?' }], reasoning_effort: 'low', stream: true });
    let reasoning = '';
    let text = '';
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as (OpenAI.Chat.Completions.ChatCompletionChunk.Choice.Delta & { reasoning_content?: string }) | undefined;
      reasoning += delta?.reasoning_content ?? '';
      text += delta?.content ?? '';
    }
    assert.equal(e2e.only().json!.think, true);
    assert.deepEqual([reasoning, text], ['Rayleigh scattering.', 'Blue.']);
    upstream.requests.length = 0;
    upstream.enqueue({ kind: 'message', message: { content: 'Blue.', thinking: 'Scattering.' } });
    const whole = await e2e.client.chat.completions.create({ model: 'llama', messages: [{ role: 'user', content: 'Why?' }] });
    assert.equal((whole.choices[0].message as ReasonedMessage).reasoning_content, 'Scattering.');
  });

  test('a model the server lacks is a 404 with Ollama’s message', async () => {
    await assert.rejects(e2e.client.chat.completions.create({ model: 'missing', messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.NotFoundError, String(error));
      assert.match(error.message, /model "mistral" not found, try pulling it first/);
      return true;
    });
  });

  test('an error line in a stream ends the client’s stream with an error, not a completion', async () => {
    const lines = streamLines('llama3.2', { content: 'Partial answer' }).slice(0, 1);
    upstream.enqueue({ kind: 'lines', lines: [...lines, { error: 'an error was encountered while running the model: unexpected EOF' }] });
    const stream = await e2e.client.chat.completions.create({ model: 'llama', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    await assert.rejects(
      (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      })(),
      (error: unknown) => {
        assert.ok(error instanceof OpenAI.APIError, String(error));
        assert.match(error.message, /running the model/);
        return true;
      },
    );
    assert.equal(text, 'Partial ');
  });

  test('embeddings: /api/embed with the inputs as they are; usage from prompt_eval_count; the SDK’s default base64 too', async () => {
    const result = await e2e.client.embeddings.create({ model: 'minilm', input: ['Why is the sky blue?', 'Why is the grass green?'], encoding_format: 'float' });
    assert.equal(e2e.only().path, '/api/embed');
    assert.equal(e2e.only().body.toString('utf8'), '{"model":"all-minilm","input":["Why is the sky blue?","Why is the grass green?"]}');
    assert.equal(result.data.length, 2);
    assert.deepEqual(result.data[1].embedding, [0.010071029, -0.0017594862, 1]);
    assert.equal(result.usage.prompt_tokens, 8);
    upstream.requests.length = 0;
    const decoded = await e2e.client.embeddings.create({ model: 'minilm', input: 'one' });
    assert.equal(e2e.only().body.toString('utf8'), '{"model":"all-minilm","input":"one"}', 'Ollama is asked for floats; the gateway encodes them as the SDK asked (base64)');
    assert.deepEqual(decoded.data[0].embedding, [0.010071029, -0.0017594862, 0].map(Math.fround));
  });
});
