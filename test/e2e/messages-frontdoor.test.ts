/**
 * The official @anthropic-ai/sdk as the client of the gateway's Anthropic front door
 * (POST /v1/messages, /v1/messages/count_tokens):
 *
 * - with OpenAI-format upstreams: messages.create plain and streamed, the messages.stream()
 *   helper, a tool call round trip (upstream tool_calls → SDK tool_use; the client's tool_result →
 *   the upstream's role tool message), errors in Anthropic's envelope as the SDK's error classes,
 *   and countTokens;
 * - with an Anthropic upstream: the bytes pass through, only `model` replaced.
 */
import assert from 'node:assert/strict';
import type http from 'node:http';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { countTokens } from '../../src/native/index.js';
import { MASTER_KEY, startTestGateway, type TestGateway } from '../support/gateway.js';
import { MockOpenAI } from '../support/mock-openai.js';
import { MockAnthropic, sseText, textMessage, toolStreamEvents, toolUseMessage } from '../support/mocks/anthropic.js';
import { RecordingServer } from '../support/mocks/recording-server.js';
import { gatewayConfig, keyedDeployment, SentBodies } from '../support/provider-e2e.js';

const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'Get the current weather in a given location',
  input_schema: {
    type: 'object' as const,
    properties: { location: { type: 'string', description: 'The city and state, e.g. San Francisco, CA' } },
    required: ['location'],
  },
};

/**
 * An OpenAI-format upstream that calls get_weather until the conversation has a tool message,
 * then answers with text (MockOpenAI only answers text). Records the request bodies it gets, parsed.
 */
class ToolCallingUpstream extends RecordingServer<never, Record<string, any>> {
  constructor() {
    super('the tool-calling upstream', '/v1');
  }

  /** Records the body parsed, and answers it. */
  protected receive(_req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
    const parsed = JSON.parse(body.toString('utf8')) as Record<string, any>;
    this.requests.push(parsed);
    this.answer(parsed, res);
  }

  private answer(body: Record<string, any>, res: http.ServerResponse): void {
    const answered = body.messages.some((m: { role: string }) => m.role === 'tool');
    const base = { id: 'chatcmpl-tool', created: 1_700_000_000, model: body.model };
    const call = { id: 'call_weather_1', type: 'function', function: { name: 'get_weather', arguments: '{"location": "San Francisco, CA"}' } };
    const usage = { prompt_tokens: 80, completion_tokens: 20, total_tokens: 100 };
    if (body.stream !== true) {
      const message = answered ? { role: 'assistant', content: 'It is 15 degrees in San Francisco.' } : { role: 'assistant', content: null, tool_calls: [call] };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ...base, object: 'chat.completion', choices: [{ index: 0, message, logprobs: null, finish_reason: answered ? 'stop' : 'tool_calls' }], usage }));
      return;
    }
    const chunk = (delta: unknown, finish: string | null = null) => ({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
    const chunks = [
      chunk({ role: 'assistant', content: null }),
      chunk({ content: 'Let me check.' }),
      chunk({ tool_calls: [{ index: 0, id: call.id, type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"location": "San' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: ' Francisco, CA"}' } }] }),
      chunk({}, 'tool_calls'),
      { ...base, object: 'chat.completion.chunk', choices: [], usage },
    ];
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('') + 'data: [DONE]\n\n');
  }
}

describe('@anthropic-ai/sdk through the Anthropic front door', () => {
  const openai = new MockOpenAI();
  const limited = new MockOpenAI();
  const tools = new ToolCallingUpstream();
  const anthropic = new MockAnthropic();
  let gw: TestGateway;
  let client: Anthropic;
  const sent = new SentBodies();

  before(async () => {
    limited.otherwise = {
      kind: 'status',
      status: 429,
      body: JSON.stringify({ error: { message: 'Rate limit reached for gpt-4o in organization org-123 on requests per min (RPM): Limit 3, Used 3, Requested 1.', type: 'requests', param: null, code: 'rate_limit_exceeded' } }),
    };
    gw = await startTestGateway(
      gatewayConfig([
        keyedDeployment('gpt-4o', 'openai/gpt-4o-2024-08-06', await openai.start(), 'sk-upstream-secret'),
        keyedDeployment('gpt-limited', 'openai/gpt-4o-2024-08-06', await limited.start(), 'sk-upstream-secret'),
        keyedDeployment('gpt-tools', 'openai/gpt-4o-mini', await tools.start(), 'sk-upstream-secret'),
        keyedDeployment('claude', 'anthropic/claude-sonnet-4-20250514', await anthropic.start(), 'sk-ant-upstream'),
      ]),
    );
    client = new Anthropic({ apiKey: MASTER_KEY, baseURL: gw.url, maxRetries: 0, fetch: sent.fetch });
  });

  after(async () => {
    await gw.stop();
    await Promise.all([openai.stop(), limited.stop(), tools.stop(), anthropic.stop()]);
  });

  describe('OpenAI-format upstream', () => {
    test('messages.create: the upstream gets a chat completion request, the SDK an Anthropic message', async () => {
      const message = await client.messages.create({
        model: 'gpt-4o',
        max_tokens: 256,
        system: 'You are terse.',
        messages: [{ role: 'user', content: 'Say hello' }],
        stop_sequences: ['###'],
        metadata: { user_id: 'user-42' },
      });
      assert.equal(message.type, 'message');
      assert.equal(message.role, 'assistant');
      assert.equal(message.id, 'msg_chatcmpl-mock');
      assert.deepEqual(message.content, [{ type: 'text', text: 'Hello from the mock upstream.' }]);
      assert.equal(message.stop_reason, 'end_turn');
      assert.equal(message.stop_sequence, null);
      assert.deepEqual(message.usage, { input_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 6 });
      const seen = openai.lastRequest();
      assert.equal(seen.path, '/v1/chat/completions');
      assert.equal(seen.headers.authorization, 'Bearer sk-upstream-secret');
      const { stream, ...upstreamBody } = JSON.parse(seen.body.toString('utf8'));
      assert.notEqual(stream, true);
      assert.deepEqual(upstreamBody, {
        model: 'gpt-4o-2024-08-06',
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'user', content: 'Say hello' },
        ],
        max_tokens: 256,
        stop: ['###'],
        user: 'user-42',
      });
    });

    test('messages.create({stream: true}): the events of one text block, usage in message_delta', async () => {
      const stream = await client.messages.create({ model: 'gpt-4o', max_tokens: 64, messages: [{ role: 'user', content: 'stream please' }], stream: true });
      const types: string[] = [];
      let text = '';
      let usage: Anthropic.MessageDeltaUsage | null = null;
      for await (const event of stream) {
        types.push(event.type);
        if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
        if (event.type === 'message_delta') usage = event.usage;
      }
      assert.equal(text, 'piece0 piece1 piece2 ');
      assert.deepEqual(types, ['message_start', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
      assert.deepEqual(usage, { input_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 3 });
      const upstreamBody = JSON.parse(openai.lastRequest().body.toString('utf8'));
      assert.equal(upstreamBody.stream, true);
      assert.deepEqual(upstreamBody.stream_options, { include_usage: true });
    });

    test('messages.stream() helper: text events and finalMessage()', async () => {
      const stream = client.messages.stream({ model: 'gpt-4o', max_tokens: 64, messages: [{ role: 'user', content: 'stream please' }] });
      let text = '';
      stream.on('text', (delta) => {
        text += delta;
      });
      const message = await stream.finalMessage();
      assert.equal(text, 'piece0 piece1 piece2 ');
      assert.deepEqual(message.content, [{ type: 'text', text: 'piece0 piece1 piece2 ' }]);
      assert.equal(message.stop_reason, 'end_turn');
      assert.equal(message.usage.input_tokens, 12);
      assert.equal(message.usage.output_tokens, 3);
    });

    test('tool call round trip: upstream tool_calls → tool_use; tool_result → a role tool message', async () => {
      const question: Anthropic.MessageParam = { role: 'user', content: 'What is the weather like in San Francisco?' };
      const first = await client.messages.create({ model: 'gpt-tools', max_tokens: 512, tools: [WEATHER_TOOL], tool_choice: { type: 'auto' }, messages: [question] });
      assert.equal(first.stop_reason, 'tool_use');
      assert.deepEqual(first.content, [{ type: 'tool_use', id: 'call_weather_1', name: 'get_weather', input: { location: 'San Francisco, CA' } }]);
      assert.deepEqual(tools.requests[0].tools, [{ type: 'function', function: { name: 'get_weather', description: WEATHER_TOOL.description, parameters: WEATHER_TOOL.input_schema } }]);
      assert.equal(tools.requests[0].tool_choice, 'auto');

      const second = await client.messages.create({
        model: 'gpt-tools',
        max_tokens: 512,
        tools: [WEATHER_TOOL],
        messages: [
          question,
          { role: 'assistant', content: first.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_weather_1', content: '15 degrees' }] },
        ],
      });
      assert.deepEqual(second.content, [{ type: 'text', text: 'It is 15 degrees in San Francisco.' }]);
      assert.equal(second.stop_reason, 'end_turn');
      assert.deepEqual(tools.requests[1].messages, [
        { role: 'user', content: 'What is the weather like in San Francisco?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_weather_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"San Francisco, CA"}' } }] },
        { role: 'tool', tool_call_id: 'call_weather_1', content: '15 degrees' },
      ]);
    });

    test('a streamed tool call: finalMessage() has the text and the tool_use with its input parsed', async () => {
      const message = await client.messages
        .stream({ model: 'gpt-tools', max_tokens: 512, tools: [WEATHER_TOOL], messages: [{ role: 'user', content: 'Weather in SF?' }] })
        .finalMessage();
      assert.deepEqual(message.content, [
        { type: 'text', text: 'Let me check.' },
        { type: 'tool_use', id: 'call_weather_1', name: 'get_weather', input: { location: 'San Francisco, CA' } },
      ]);
      assert.equal(message.stop_reason, 'tool_use');
      assert.deepEqual({ ...message.usage }, { input_tokens: 80, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 20 });
    });

    test('an unknown model: BadRequestError with the Anthropic envelope', async () => {
      const error = await client.messages.create({ model: 'no-such-model', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).then(
        () => assert.fail('expected an error'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof Anthropic.BadRequestError, String(error));
      assert.equal(error.status, 400);
      assert.equal((error.error as any).type, 'error');
      assert.equal((error.error as any).error.type, 'invalid_request_error');
    });

    test('a body Anthropic would refuse: max_tokens missing is named in the envelope', async () => {
      const response = await fetch(`${gw.url}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': MASTER_KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
      });
      assert.equal(response.status, 400);
      const body = (await response.json()) as { type: string; error: { type: string; message: string } };
      assert.equal(body.type, 'error');
      assert.equal(body.error.type, 'invalid_request_error');
      assert.match(body.error.message, /max_tokens/);
    });

    test('an upstream 429: RateLimitError with the Anthropic envelope', async () => {
      const error = await client.messages.create({ model: 'gpt-limited', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).then(
        () => assert.fail('expected an error'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof Anthropic.RateLimitError, String(error));
      assert.equal(error.status, 429);
      assert.equal((error.error as any).type, 'error');
      assert.equal((error.error as any).error.type, 'rate_limit_error');
    });

    test('messages.countTokens: the text counted with the upstream model tokenizer', async () => {
      const counted = await client.messages.countTokens({ model: 'gpt-4o', system: 'You are a scientist', messages: [{ role: 'user', content: 'Hello, Claude' }] });
      assert.deepEqual(counted, { input_tokens: countTokens('o200k_base', 'You are a scientist\nHello, Claude') });
    });
  });

  describe('Anthropic upstream: pass-through', () => {
    test('messages.create: the body reaches the upstream unchanged but for model, the answer comes back as sent', async () => {
      const message = await client.messages.create({
        model: 'claude',
        max_tokens: 1024,
        tools: [WEATHER_TOOL],
        messages: [{ role: 'user', content: 'What is the weather like in San Francisco?' }],
        metadata: { user_id: 'user-42' },
      });
      const seen = anthropic.lastRequest();
      assert.equal(seen.path, '/v1/messages');
      assert.equal(seen.headers['x-api-key'], 'sk-ant-upstream');
      assert.equal(seen.body.toString('utf8'), sent.lastWithModel('claude', 'claude-sonnet-4-20250514'));
      assert.deepEqual(message, textMessage('claude-sonnet-4-20250514'));
    });

    test('a tool_use answer and a streamed answer come back byte for byte', async () => {
      anthropic.enqueue({ kind: 'message', message: toolUseMessage('claude-sonnet-4-20250514') }, { kind: 'stream', events: toolStreamEvents('claude-sonnet-4-20250514') });
      const whole = await client.messages.create({ model: 'claude', max_tokens: 1024, tools: [WEATHER_TOOL], messages: [{ role: 'user', content: 'Weather?' }] });
      assert.deepEqual(whole, toolUseMessage('claude-sonnet-4-20250514'));
      const streamed = await fetch(`${gw.url}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': MASTER_KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'claude', max_tokens: 1024, tools: [WEATHER_TOOL], messages: [{ role: 'user', content: 'Weather?' }], stream: true }),
      });
      assert.equal(streamed.status, 200);
      assert.equal(await streamed.text(), sseText(toolStreamEvents('claude-sonnet-4-20250514')));
    });

    test('messages.stream() over the pass-through', async () => {
      const message = await client.messages.stream({ model: 'claude', max_tokens: 1024, messages: [{ role: 'user', content: 'Hello' }] }).finalMessage();
      assert.deepEqual(message.content, [{ type: 'text', text: 'Hello!' }]);
      assert.equal(message.usage.output_tokens, 15);
    });
  });
});
