/**
 * The official `openai` SDK as the client, an `anthropic/` deployment behind the gateway, a mock
 * Anthropic Messages API upstream: plain and streamed chat (the usage chunk only when asked for),
 * a tool round trip, vision, system prompts, stop sequences, Anthropic errors in the OpenAI
 * envelope with their status kept, and the exact request the upstream receives. Then the
 * `@anthropic-ai/sdk` client on `/v1/messages`: its bytes pass through with only `model` and the
 * credential replaced.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { MASTER_KEY } from '../support/gateway.js';
import { MockAnthropic, textMessage, textStreamEvents, toolStreamEvents, toolUseMessage } from '../support/mocks/anthropic.js';
import { deployment, gatewayConfig, NO_RETRIES, providerGateway } from '../support/provider-e2e.js';

const UPSTREAM_MODEL = 'claude-sonnet-4-5';

function config(apiBase: string): string {
  return gatewayConfig([deployment('claude', { model: `anthropic/${UPSTREAM_MODEL}`, api_base: apiBase, api_key: 'sk-ant-test' })], NO_RETRIES);
}

const weatherTool: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Get the current weather in a given location',
    parameters: { type: 'object', properties: { location: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } }, required: ['location'] },
  },
};

describe('openai SDK → gateway → anthropic', () => {
  const upstream = new MockAnthropic();
  const e2e = providerGateway(upstream, config);

  test('plain chat: the exact upstream request, the answer as a chat.completion', async () => {
    const completion = await e2e.client.chat.completions.create({
      model: 'claude',
      messages: [
        { role: 'system', content: 'You are a helpful assistant.' },
        { role: 'user', content: 'Hello, world' },
      ],
      max_tokens: 256,
      temperature: 0.3,
    });
    const seen = e2e.only();
    assert.equal(seen.method, 'POST');
    assert.equal(seen.path, '/v1/messages');
    assert.equal(seen.headers['x-api-key'], 'sk-ant-test');
    assert.equal(seen.headers['anthropic-version'], '2023-06-01');
    assert.equal(seen.headers['content-type'], 'application/json');
    assert.equal(seen.headers.authorization, undefined, "the client's key never goes upstream");
    assert.deepEqual(seen.json, {
      model: UPSTREAM_MODEL,
      max_tokens: 256,
      system: [{ type: 'text', text: 'You are a helpful assistant.' }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello, world' }] }],
      temperature: 0.3,
    });
    assert.equal(completion.object, 'chat.completion');
    assert.equal(completion.choices[0].message.role, 'assistant');
    assert.equal(completion.choices[0].message.content, 'Hi! My name is Claude.');
    assert.equal(completion.choices[0].finish_reason, 'stop');
    assert.equal(completion.usage?.prompt_tokens, 2095);
    assert.equal(completion.usage?.completion_tokens, 503);
    assert.equal(completion.usage?.total_tokens, 2598);
  });

  test('streamed without include_usage: text deltas, a finish_reason, and no usage chunk', async () => {
    const stream = await e2e.client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'Say hello' }], stream: true });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'Hello!');
    assert.equal(chunks[0].choices[0].delta.role, 'assistant');
    assert.equal(chunks.at(-1)?.choices[0]?.finish_reason, 'stop');
    assert.ok(chunks.every((c) => c.choices.length === 1 && c.usage == null), 'no usage chunk was asked for');
    assert.equal(e2e.only().json?.stream, true);
    assert.equal(e2e.only().json?.stream_options, undefined);
  });

  test('streamed with include_usage: the last chunk has no choices and the usage', async () => {
    const stream = await e2e.client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'Say hello' }], stream: true, stream_options: { include_usage: true } });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1)!;
    assert.deepEqual(last.choices, []);
    assert.equal(last.usage?.prompt_tokens, 25);
    assert.equal(last.usage?.completion_tokens, 15);
    assert.equal(last.usage?.total_tokens, 40);
    assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'Hello!');
  });

  test('tools round trip: tool_calls out, the tool message back in as a tool_result', async () => {
    upstream.enqueue({ kind: 'message', message: toolUseMessage(UPSTREAM_MODEL) });
    const question: OpenAI.Chat.Completions.ChatCompletionMessageParam = { role: 'user', content: "What's the weather like in San Francisco?" };
    const first = await e2e.client.chat.completions.create({ model: 'claude', messages: [question], tools: [weatherTool], tool_choice: 'auto', parallel_tool_calls: false });
    const out = e2e.only().json!;
    assert.deepEqual(out.tools, [{ name: 'get_weather', description: 'Get the current weather in a given location', input_schema: weatherTool.function.parameters }]);
    assert.deepEqual(out.tool_choice, { type: 'auto', disable_parallel_tool_use: true });
    const message = first.choices[0].message;
    assert.equal(first.choices[0].finish_reason, 'tool_calls');
    assert.equal(message.tool_calls?.length, 1);
    const call = message.tool_calls![0] as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall;
    assert.equal(call.id, 'toolu_01A09q90qw90lq917835lq9');
    assert.equal(call.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.function.arguments), { location: 'San Francisco, CA', unit: 'celsius' });

    upstream.requests.length = 0;
    const second = await e2e.client.chat.completions.create({
      model: 'claude',
      tools: [weatherTool],
      messages: [question, message, { role: 'tool', tool_call_id: call.id, content: '15 degrees' }],
    });
    assert.equal(second.choices[0].message.content, 'Hi! My name is Claude.');
    assert.deepEqual(e2e.only().json?.messages, [
      { role: 'user', content: [{ type: 'text', text: "What's the weather like in San Francisco?" }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: "I'll check the current weather in San Francisco for you." },
          { type: 'tool_use', id: 'toolu_01A09q90qw90lq917835lq9', name: 'get_weather', input: { location: 'San Francisco, CA', unit: 'celsius' } },
        ],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01A09q90qw90lq917835lq9', content: '15 degrees' }] },
    ]);
  });

  test('a streamed tool call arrives as OpenAI tool call deltas', async () => {
    upstream.enqueue({ kind: 'stream', events: toolStreamEvents(UPSTREAM_MODEL) });
    const stream = await e2e.client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'Weather in SF?' }], tools: [weatherTool], stream: true });
    let args = '';
    let name = '';
    let id = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
        assert.equal(delta.index, 0);
        id += delta.id ?? '';
        name += delta.function?.name ?? '';
        args += delta.function?.arguments ?? '';
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(id, 'toolu_01T1x1fJ34qAmk2tNTrN7Up6');
    assert.equal(name, 'get_weather');
    assert.deepEqual(JSON.parse(args), { location: 'San Francisco, CA', unit: 'fahrenheit' });
    assert.equal(finish, 'tool_calls');
  });

  test('vision: an image URL and a data URL become image blocks', async () => {
    await e2e.client.chat.completions.create({
      model: 'claude',
      messages: [{
        role: 'user',
        content: [
          { type: 'text', text: 'What is in these images?' },
          { type: 'image_url', image_url: { url: 'https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg' } },
          { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQSkZJRg==' } },
        ],
      }],
    });
    assert.deepEqual(e2e.only().json?.messages, [{
      role: 'user',
      content: [
        { type: 'text', text: 'What is in these images?' },
        { type: 'image', source: { type: 'url', url: 'https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg' } },
        { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQSkZJRg==' } },
      ],
    }]);
  });

  test('stop sequences go upstream as stop_sequences; a stop_sequence stop is finish_reason stop', async () => {
    upstream.enqueue({ kind: 'message', message: { ...textMessage(UPSTREAM_MODEL, 'One, two'), stop_reason: 'stop_sequence', stop_sequence: 'three' } });
    const completion = await e2e.client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'Count' }], stop: ['three', 'END'] });
    assert.deepEqual(e2e.only().json?.stop_sequences, ['three', 'END']);
    assert.equal(completion.choices[0].finish_reason, 'stop');
    assert.equal(completion.choices[0].message.content, 'One, two');
  });

  test('a parameter Anthropic cannot take is refused before any upstream call', async () => {
    await assert.rejects(e2e.client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'x' }], n: 2 }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.BadRequestError);
      assert.match(error.message, /'n'/);
      return true;
    });
    assert.equal(upstream.requests.length, 0);
  });

  for (const [status, type, message, errorClass] of [
    [429, 'rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit', OpenAI.RateLimitError],
    [529, 'overloaded_error', 'Overloaded', OpenAI.InternalServerError],
    [400, 'invalid_request_error', 'messages: roles must alternate between "user" and "assistant"', OpenAI.BadRequestError],
  ] as const) {
    test(`Anthropic ${status} ${type}: status kept, OpenAI error envelope`, async () => {
      upstream.enqueue({ kind: 'error', status, type, message });
      const response = await fetch(`${e2e.gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'claude', messages: [{ role: 'user', content: 'x' }] }),
      });
      assert.equal(response.status, status);
      const body = (await response.json()) as { error: { message: string; type: string; code: string } };
      assert.ok(body.error.message.includes(message), body.error.message);
      assert.equal(body.error.code, String(status));
      assert.equal(typeof body.error.type, 'string');

      upstream.enqueue({ kind: 'error', status, type, message });
      await assert.rejects(e2e.client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'x' }] }), (error: unknown) => {
        assert.ok(error instanceof errorClass, String(error));
        assert.equal((error as InstanceType<typeof OpenAI.APIError>).status, status);
        return true;
      });
    });
  }

  test('a stream the upstream breaks with an error event ends in an error, not a clean finish', async () => {
    upstream.enqueue({ kind: 'stream', events: [...textStreamEvents(UPSTREAM_MODEL).slice(0, 4), { event: 'error', data: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } }] });
    const stream = await e2e.client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'x' }], stream: true });
    let finished = false;
    await assert.rejects(async () => {
      for await (const chunk of stream) if (chunk.choices[0]?.finish_reason) finished = true;
    });
    assert.equal(finished, false);
  });

  test('Anthropic SDK on /v1/messages: the body passes through, model and key replaced', async () => {
    const anthropic = new Anthropic({ apiKey: MASTER_KEY, baseURL: e2e.gw.url, maxRetries: 0 });
    const message = await anthropic.messages.create({ model: 'claude', max_tokens: 1024, messages: [{ role: 'user', content: 'Hello, world' }] });
    assert.equal(message.content[0].type === 'text' ? message.content[0].text : '', 'Hi! My name is Claude.');
    const seen = e2e.only();
    assert.equal(seen.path, '/v1/messages');
    assert.equal(seen.headers['x-api-key'], 'sk-ant-test');
    assert.equal(seen.headers['anthropic-version'], '2023-06-01');
    assert.deepEqual(seen.json, { model: UPSTREAM_MODEL, max_tokens: 1024, messages: [{ role: 'user', content: 'Hello, world' }] });

    upstream.requests.length = 0;
    const stream = anthropic.messages.stream({ model: 'claude', max_tokens: 1024, messages: [{ role: 'user', content: 'Hello' }] });
    const final = await stream.finalMessage();
    assert.equal(final.content[0].type === 'text' ? final.content[0].text : '', 'Hello!');
    assert.equal(final.usage.output_tokens, 15);
    assert.equal(e2e.only().json?.stream, true);
  });
});
