/**
 * The official `openai` SDK as the client, `bedrock/` deployments behind the gateway, a mock
 * Bedrock runtime that checks every SigV4 signature: plain and streamed chat (frames split across
 * reads; the usage chunk only when asked for), a tool round trip, vision from a data URL, system
 * prompts and stop sequences, usage with prompt-cache tokens, Bedrock errors (HTTP and in-stream)
 * in the OpenAI envelope with their status kept, a wrong secret refused by the signature check,
 * Titan embeddings, and the exact request Bedrock receives.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import OpenAI from 'openai';
import { MockBedrock, mockBedrockParams, type RecordedBedrockRequest } from '../support/mocks/bedrock.js';
import { deployment, gatewayConfig, NO_RETRIES, providerGateway, TEST_TIMEOUTS } from '../support/provider-e2e.js';

const CLAUDE = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
const CLAUDE_PATH = '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0';

function config(endpoint: string): string {
  const bedrock = (name: string, model: string, secret?: string) => deployment(name, { ...mockBedrockParams(model, endpoint, secret), ...TEST_TIMEOUTS });
  return gatewayConfig([bedrock('claude', CLAUDE), bedrock('claude-wrong-secret', CLAUDE, 'not-the-secret'), bedrock('titan-embed', 'amazon.titan-embed-text-v2:0')], NO_RETRIES);
}

const weatherTool: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Get the current weather in a given location',
    parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
  },
};

describe('openai SDK → gateway → bedrock (Converse)', () => {
  const upstream = new MockBedrock();
  const e2e = providerGateway(upstream, config);

  beforeEach(() => {
    upstream.streamPieceBytes = 0;
  });

  /** The one request Bedrock received; its signature was valid. */
  function only(): RecordedBedrockRequest {
    const seen = e2e.only();
    assert.equal(seen.authError, null, 'the SigV4 signature is valid');
    return seen;
  }

  const bodyOf = (seen: RecordedBedrockRequest) => JSON.parse(seen.body.toString('utf8'));

  test('plain chat: the exact signed request, the answer as a chat.completion', async () => {
    const completion = await e2e.client.chat.completions.create({
      model: 'claude',
      messages: [
        { role: 'system', content: 'You are a helpful assistant.' },
        { role: 'user', content: 'Hello, world' },
      ],
      max_tokens: 256,
      temperature: 0.3,
    });
    const seen = only();
    assert.equal(seen.method, 'POST');
    assert.equal(seen.path, `${CLAUDE_PATH}/converse`);
    assert.equal(seen.headers.host, new URL(e2e.apiBase).host);
    assert.equal(seen.headers['content-type'], 'application/json');
    assert.match(String(seen.headers.authorization), /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/bedrock\/aws4_request, SignedHeaders=accept;content-type;host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/);
    assert.deepEqual(bodyOf(seen), {
      messages: [{ role: 'user', content: [{ text: 'Hello, world' }] }],
      system: [{ text: 'You are a helpful assistant.' }],
      inferenceConfig: { maxTokens: 256, temperature: 0.3 },
    });
    assert.equal(completion.object, 'chat.completion');
    assert.equal(completion.choices[0].message.role, 'assistant');
    assert.equal(completion.choices[0].message.content, 'Hello from the mock Bedrock.');
    assert.equal(completion.choices[0].finish_reason, 'stop');
    assert.deepEqual(completion.usage, { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 });
  });

  test('streamed chat, frames split across reads: text in order, no usage chunk unless asked', async () => {
    upstream.streamPieceBytes = 7;
    upstream.enqueue({ kind: 'reply', reply: { content: [{ text: 'Streaming from Bedrock works.' }], stopReason: 'end_turn', usage: { inputTokens: 10, outputTokens: 6, totalTokens: 16 } } });
    const stream = await e2e.client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'stream please' }], stream: true });
    let text = '';
    let finish: string | null = null;
    let usageChunks = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usageChunks++;
    }
    const seen = only();
    assert.equal(seen.path, `${CLAUDE_PATH}/converse-stream`);
    assert.equal(seen.headers.accept, 'application/vnd.amazon.eventstream');
    assert.equal(text, 'Streaming from Bedrock works.');
    assert.equal(finish, 'stop');
    assert.equal(usageChunks, 0);
  });

  test('streamed chat with include_usage: the last chunk carries the usage', async () => {
    upstream.streamPieceBytes = 13;
    const stream = await e2e.client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks[chunks.length - 1];
    assert.deepEqual(last.choices, []);
    assert.deepEqual(last.usage, { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 });
    only();
  });

  test('a tool round trip: toolUse → tool_calls; tool results → toolResult blocks', async () => {
    upstream.enqueue({
      kind: 'reply',
      reply: {
        content: [{ toolUse: { toolUseId: 'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q', name: 'get_weather', input: { location: 'Paris' } } }],
        stopReason: 'tool_use',
        usage: { inputTokens: 80, outputTokens: 20, totalTokens: 100 },
      },
    });
    const first = await e2e.client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'Weather in Paris?' }], tools: [weatherTool], tool_choice: 'auto' });
    assert.deepEqual(bodyOf(only()).toolConfig, {
      tools: [{ toolSpec: { name: 'get_weather', description: 'Get the current weather in a given location', inputSchema: { json: weatherTool.function.parameters } } }],
      toolChoice: { auto: {} },
    });
    const message = first.choices[0].message;
    assert.equal(first.choices[0].finish_reason, 'tool_calls');
    assert.equal(message.content, null);
    assert.deepEqual(message.tool_calls, [{ id: 'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }]);

    upstream.requests.length = 0;
    const second = await e2e.client.chat.completions.create({
      model: 'claude',
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        message as OpenAI.Chat.Completions.ChatCompletionAssistantMessageParam,
        { role: 'tool', tool_call_id: 'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q', content: '18°C and sunny' },
      ],
    });
    assert.deepEqual(bodyOf(only()).messages, [
      { role: 'user', content: [{ text: 'Weather in Paris?' }] },
      { role: 'assistant', content: [{ toolUse: { toolUseId: 'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q', name: 'get_weather', input: { location: 'Paris' } } }] },
      { role: 'user', content: [{ toolResult: { toolUseId: 'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q', content: [{ text: '18°C and sunny' }] } }] },
    ]);
    assert.equal(second.choices[0].message.content, 'Hello from the mock Bedrock.');
  });

  test('a streamed tool call arrives as tool_calls deltas', async () => {
    upstream.enqueue({
      kind: 'reply',
      reply: { content: [{ toolUse: { toolUseId: 'tooluse_s1', name: 'get_weather', input: { location: 'Oslo' } } }], stopReason: 'tool_use', usage: { inputTokens: 5, outputTokens: 5, totalTokens: 10 } },
    });
    const stream = await e2e.client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'Oslo?' }], tools: [weatherTool], stream: true });
    let args = '';
    let id: string | undefined;
    let finish: string | null = null;
    for await (const chunk of stream) {
      const call = chunk.choices[0]?.delta?.tool_calls?.[0];
      id ??= call?.id;
      args += call?.function?.arguments ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    only();
    assert.equal(id, 'tooluse_s1');
    assert.equal(args, '{"location":"Oslo"}');
    assert.equal(finish, 'tool_calls');
  });

  test('vision: a data URL image becomes an image block', async () => {
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
    await e2e.client.chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is in this image?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } }] }],
    });
    assert.deepEqual(bodyOf(only()).messages[0].content, [{ text: 'What is in this image?' }, { image: { format: 'png', source: { bytes: png } } }]);
  });

  test('system prompts (several) and stop sequences; stop_sequence finishes with stop', async () => {
    upstream.enqueue({ kind: 'reply', reply: { content: [{ text: 'One, two' }], stopReason: 'stop_sequence', usage: { inputTokens: 3, outputTokens: 2, totalTokens: 5 } } });
    const completion = await e2e.client.chat.completions.create({
      model: 'claude',
      messages: [
        { role: 'system', content: 'Count slowly.' },
        { role: 'developer', content: 'Stop at three.' },
        { role: 'user', content: 'Count' },
      ],
      stop: ['three', 'END'],
    });
    const body = bodyOf(only());
    assert.deepEqual(body.system, [{ text: 'Count slowly.' }, { text: 'Stop at three.' }]);
    assert.deepEqual(body.inferenceConfig, { stopSequences: ['three', 'END'] });
    assert.equal(completion.choices[0].finish_reason, 'stop');
  });

  test('usage with prompt-cache tokens: prompt_tokens is the total, the cached part in the details', async () => {
    upstream.enqueue({
      kind: 'reply',
      reply: { content: [{ text: 'cached answer' }], stopReason: 'end_turn', usage: { inputTokens: 14, outputTokens: 4, totalTokens: 2018, cacheReadInputTokens: 1800, cacheWriteInputTokens: 200 } },
    });
    const completion = await e2e.client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'again' }] });
    only();
    assert.equal(completion.usage?.prompt_tokens, 2014);
    assert.equal(completion.usage?.completion_tokens, 4);
    assert.equal(completion.usage?.total_tokens, 2018);
    assert.equal(completion.usage?.prompt_tokens_details?.cached_tokens, 1800);
  });

  test('a ThrottlingException (429) reaches the client as 429 in the OpenAI envelope', async () => {
    upstream.enqueue({ kind: 'error', status: 429, errorType: 'ThrottlingException', message: 'Too many requests, please wait before trying again.' });
    await assert.rejects(e2e.client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.APIError);
      assert.equal(error.status, 429);
      assert.match(error.message, /Too many requests, please wait before trying again\./);
      return true;
    });
  });

  test('a ValidationException (400) keeps its status and message', async () => {
    upstream.enqueue({ kind: 'error', status: 400, errorType: 'ValidationException', message: 'Malformed input request: #: extraneous key [foo] is not permitted' });
    await assert.rejects(e2e.client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.APIError);
      assert.equal(error.status, 400);
      assert.match(error.message, /extraneous key \[foo\]/);
      return true;
    });
  });

  test('a throttlingException event in the stream ends it with an error', async () => {
    upstream.enqueue({
      kind: 'events',
      events: [
        { event: 'messageStart', payload: { role: 'assistant' } },
        { event: 'contentBlockDelta', payload: { contentBlockIndex: 0, delta: { text: 'Partial' } } },
        { exception: 'throttlingException', message: 'Too many tokens, please wait before trying again.' },
      ],
    });
    const stream = await e2e.client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    await assert.rejects(
      (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      })(),
      (error: unknown) => {
        assert.ok(error instanceof OpenAI.APIError);
        assert.match(error.message, /Too many tokens/);
        return true;
      },
    );
    assert.equal(text, 'Partial');
  });

  test('a wrong secret makes a signature Bedrock refuses: 403 to the client', async () => {
    await assert.rejects(e2e.client.chat.completions.create({ model: 'claude-wrong-secret', messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.APIError);
      assert.equal(error.status, 403);
      assert.match(error.message, /signature we calculated does not match/);
      return true;
    });
    assert.notEqual(upstream.requests[0].authError, null);
  });

  test('Titan embeddings through InvokeModel', async () => {
    const response = await e2e.client.embeddings.create({ model: 'titan-embed', input: 'hello bedrock', dimensions: 256, encoding_format: 'float' });
    const seen = only();
    assert.equal(seen.path, '/model/amazon.titan-embed-text-v2%3A0/invoke');
    assert.deepEqual(bodyOf(seen), { inputText: 'hello bedrock', dimensions: 256 });
    assert.equal(response.data.length, 1);
    assert.deepEqual(response.data[0].embedding, [0.13, 0.5, -0.25]);
    assert.equal(response.usage.prompt_tokens, 2);
  });
});
