/**
 * The official `openai` SDK's `client.responses` against the gateway's POST /v1/responses:
 *
 * - a deployment of provider `openai`: the client's bytes go to the upstream's /v1/responses
 *   unchanged but for the model name, and its answers (plain and streamed) come back as they are;
 * - an OpenAI-compatible deployment of another provider (hosted_vllm): translated, the upstream
 *   gets a /v1/chat/completions request and the SDK a Response (output_text, streamed events, the
 *   responses.stream() helper, a function tool round trip with function_call_output), and what
 *   only OpenAI can serve (previous_response_id, built-in tools) is refused with a 400;
 * - an Anthropic deployment: translated to /v1/messages and back, a tool round trip included.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { MOCK_CALL_ID, MockOpenAI } from '../support/mock-openai.js';
import { MockAnthropic, textStreamEvents, toolUseMessage } from '../support/mocks/anthropic.js';
import { gatewayConfig, keyedDeployment, openaiClient, SentBodies } from '../support/provider-e2e.js';

const WEATHER_TOOL = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Get current temperature for a given location.',
  parameters: {
    type: 'object',
    properties: { location: { type: 'string', description: 'City and country e.g. Bogotá, Colombia' } },
    required: ['location'],
    additionalProperties: false,
  },
  strict: true,
};

const PARIS_ARGUMENTS = '{"location":"Paris, France"}';

function bodyOf(request: { body: Buffer }): any {
  return JSON.parse(request.body.toString('utf8'));
}

describe('openai SDK client.responses through the gateway', () => {
  const openai = new MockOpenAI();
  const vllm = new MockOpenAI();
  const anthropic = new MockAnthropic();
  let gw: TestGateway;
  let client: OpenAI;
  const sent = new SentBodies();

  before(async () => {
    gw = await startTestGateway(
      gatewayConfig([
        keyedDeployment('gpt-4o', 'openai/gpt-4o-2024-08-06', await openai.start(), 'sk-upstream-secret'),
        keyedDeployment('llama', 'hosted_vllm/meta-llama/Llama-3.1-8B-Instruct', await vllm.start(), 'sk-vllm-secret'),
        keyedDeployment('claude', 'anthropic/claude-sonnet-4-20250514', await anthropic.start(), 'sk-ant-upstream'),
      ]),
    );
    client = openaiClient(gw, { fetch: sent.fetch });
  });

  after(async () => {
    await gw.stop();
    await Promise.all([openai.stop(), vllm.stop(), anthropic.stop()]);
  });

  describe('provider openai: the bytes pass through', () => {
    test('responses.create: the upstream gets the body unchanged but the model, at /v1/responses', async () => {
      const response = await client.responses.create({ model: 'gpt-4o', instructions: 'Be brief.', input: 'Say hello', temperature: 0.2, store: false });
      assert.equal(response.output_text, 'Hello from the mock upstream.');
      assert.equal(response.id, 'resp_mock');
      assert.equal(response.usage?.total_tokens, 18);
      const seen = openai.lastRequest();
      assert.equal(seen.path, '/v1/responses');
      assert.equal(seen.headers.authorization, 'Bearer sk-upstream-secret');
      assert.equal(seen.body.toString('utf8'), sent.lastWithModel('gpt-4o', 'gpt-4o-2024-08-06'));
    });

    test('stream: true: the upstream events relayed', async () => {
      const stream = await client.responses.create({ model: 'gpt-4o', input: 'stream please', stream: true });
      let text = '';
      let last = '';
      for await (const event of stream) {
        if (event.type === 'response.output_text.delta') text += event.delta;
        last = event.type;
      }
      assert.equal(text, 'piece0 piece1 piece2 ');
      assert.equal(last, 'response.completed');
      assert.equal(openai.lastRequest().body.toString('utf8'), sent.lastWithModel('gpt-4o', 'gpt-4o-2024-08-06'));
    });

    test('function tool round trip: function_call, then function_call_output, bytes unchanged', async () => {
      openai.enqueue({ kind: 'tool-call', name: 'get_weather', arguments: PARIS_ARGUMENTS });
      const input: OpenAI.Responses.ResponseInput = [{ role: 'user', content: "What's the weather like in Paris today?" }];
      const first = await client.responses.create({ model: 'gpt-4o', input, tools: [WEATHER_TOOL] });
      const call = first.output.find((item) => item.type === 'function_call');
      assert.ok(call?.type === 'function_call');
      assert.equal(call.call_id, MOCK_CALL_ID);
      const second = await client.responses.create({
        model: 'gpt-4o',
        input: [...input, call, { type: 'function_call_output', call_id: call.call_id, output: '14°C' }],
        tools: [WEATHER_TOOL],
      });
      assert.equal(second.output_text, 'Hello from the mock upstream.');
      assert.equal(openai.lastRequest().path, '/v1/responses');
      assert.equal(openai.lastRequest().body.toString('utf8'), sent.lastWithModel('gpt-4o', 'gpt-4o-2024-08-06'));
    });
  });

  describe('an OpenAI-compatible provider other than openai: translated to chat completions', () => {
    test('responses.create: the upstream gets a chat request, the SDK a Response', async () => {
      const response = await client.responses.create({
        model: 'llama',
        instructions: 'Be brief.',
        input: 'Say hello',
        max_output_tokens: 64,
        temperature: 0.2,
        store: true,
        metadata: { session: 'abc' },
      });
      assert.equal(response.object, 'response');
      assert.equal(response.status, 'completed');
      assert.equal(response.output_text, 'Hello from the mock upstream.');
      assert.equal(response.id, 'resp_chatcmpl-mock');
      assert.deepEqual(response.usage, {
        input_tokens: 12,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 6,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 18,
      });
      const seen = vllm.lastRequest();
      assert.equal(seen.path, '/v1/chat/completions');
      assert.equal(seen.headers.authorization, 'Bearer sk-vllm-secret');
      assert.deepEqual(bodyOf(seen), {
        model: 'meta-llama/Llama-3.1-8B-Instruct',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Say hello' },
        ],
        max_tokens: 64,
        temperature: 0.2,
        stream: false,
      });
    });

    test('stream: true: the Responses events, usage in response.completed', async () => {
      const stream = await client.responses.create({ model: 'llama', input: 'stream please', stream: true });
      const types: string[] = [];
      let text = '';
      let completed: OpenAI.Responses.Response | null = null;
      for await (const event of stream) {
        types.push(event.type);
        if (event.type === 'response.output_text.delta') text += event.delta;
        if (event.type === 'response.completed') completed = event.response;
      }
      assert.equal(text, 'piece0 piece1 piece2 ');
      assert.deepEqual(types, [
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        'response.output_text.delta',
        'response.output_text.delta',
        'response.output_text.delta',
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.completed',
      ]);
      assert.equal(completed!.usage?.input_tokens, 12);
      assert.equal(completed!.usage?.output_tokens, 3);
      const upstreamBody = bodyOf(vllm.lastRequest());
      assert.equal(vllm.lastRequest().path, '/v1/chat/completions');
      assert.equal(upstreamBody.stream, true);
      assert.deepEqual(upstreamBody.stream_options, { include_usage: true });
    });

    test('responses.stream() helper: text events and finalResponse()', async () => {
      const stream = client.responses.stream({ model: 'llama', input: 'stream please' });
      let text = '';
      stream.on('response.output_text.delta', (event) => {
        text += event.delta;
      });
      const response = await stream.finalResponse();
      assert.equal(text, 'piece0 piece1 piece2 ');
      assert.equal(response.output_text, 'piece0 piece1 piece2 ');
      assert.equal(response.status, 'completed');
    });

    test('function tool round trip: tool_calls → function_call; function_call_output → a role tool message', async () => {
      vllm.enqueue({ kind: 'tool-call', name: 'get_weather', arguments: PARIS_ARGUMENTS });
      const input: OpenAI.Responses.ResponseInput = [{ role: 'user', content: "What's the weather like in Paris today?" }];
      const first = await client.responses.create({ model: 'llama', input, tools: [WEATHER_TOOL], tool_choice: 'auto' });
      assert.equal(first.output.length, 1);
      const call = first.output[0];
      assert.ok(call.type === 'function_call');
      assert.equal(call.call_id, MOCK_CALL_ID);
      assert.equal(call.name, 'get_weather');
      assert.equal(call.arguments, PARIS_ARGUMENTS);
      assert.deepEqual(bodyOf(vllm.lastRequest()).tools, [
        { type: 'function', function: { name: WEATHER_TOOL.name, description: WEATHER_TOOL.description, parameters: WEATHER_TOOL.parameters, strict: true } },
      ]);

      const second = await client.responses.create({
        model: 'llama',
        input: [...input, ...(first.output as OpenAI.Responses.ResponseInput), { type: 'function_call_output', call_id: call.call_id, output: '14°C' }],
        tools: [WEATHER_TOOL],
      });
      assert.equal(second.output_text, 'Hello from the mock upstream.');
      assert.deepEqual(bodyOf(vllm.lastRequest()).messages, [
        { role: 'user', content: "What's the weather like in Paris today?" },
        { role: 'assistant', content: null, tool_calls: [{ id: MOCK_CALL_ID, type: 'function', function: { name: 'get_weather', arguments: PARIS_ARGUMENTS } }] },
        { role: 'tool', tool_call_id: MOCK_CALL_ID, content: '14°C' },
      ]);
    });

    test('a streamed function call: the function_call item and its argument deltas', async () => {
      vllm.enqueue({ kind: 'tool-call', name: 'get_weather', arguments: PARIS_ARGUMENTS });
      const stream = client.responses.stream({ model: 'llama', input: 'Weather in Paris?', tools: [WEATHER_TOOL] });
      let streamedArguments = '';
      stream.on('response.function_call_arguments.delta', (event) => {
        streamedArguments += event.delta;
      });
      const response = await stream.finalResponse();
      assert.equal(streamedArguments, PARIS_ARGUMENTS);
      const call = response.output.find((item) => item.type === 'function_call');
      assert.ok(call?.type === 'function_call');
      assert.equal(call.call_id, MOCK_CALL_ID);
      assert.equal(call.arguments, PARIS_ARGUMENTS);
      assert.equal(response.usage?.total_tokens, 52);
    });

    test('previous_response_id and built-in tools: 400 invalid_request_error naming them, nothing sent upstream', async () => {
      const before = vllm.requests.length;
      await assert.rejects(
        client.responses.create({ model: 'llama', input: 'And in Bogotá?', previous_response_id: 'resp_123' }),
        (error: unknown) => {
          assert.ok(error instanceof OpenAI.BadRequestError);
          assert.equal(error.status, 400);
          assert.equal(error.type, 'invalid_request_error');
          assert.equal(error.param, 'previous_response_id');
          return true;
        },
      );
      await assert.rejects(client.responses.create({ model: 'llama', input: 'news?', tools: [{ type: 'web_search' }] }), (error: unknown) => {
        assert.ok(error instanceof OpenAI.BadRequestError);
        assert.match(error.message, /web_search/);
        return true;
      });
      assert.equal(vllm.requests.length, before);
    });
  });

  describe('provider anthropic: translated to the Messages API', () => {
    test('responses.create and stream', async () => {
      const response = await client.responses.create({ model: 'claude', instructions: 'Be brief.', input: 'Hello', max_output_tokens: 256 });
      assert.equal(response.output_text, 'Hi! My name is Claude.');
      assert.equal(response.usage?.input_tokens, 2095);
      const seen = anthropic.lastRequest();
      assert.equal(seen.path, '/v1/messages');
      assert.equal(seen.json?.max_tokens, 256);
      assert.deepEqual(seen.json?.system, [{ type: 'text', text: 'Be brief.' }]);

      anthropic.enqueue({ kind: 'stream', events: textStreamEvents('claude-sonnet-4-20250514') });
      const stream = client.responses.stream({ model: 'claude', input: 'Hello', max_output_tokens: 256 });
      const streamed = await stream.finalResponse();
      assert.equal(streamed.output_text, 'Hello!');
      assert.equal(streamed.usage?.output_tokens, 15);
    });

    test('function tool round trip: tool_use → function_call; function_call_output → tool_result', async () => {
      anthropic.enqueue({ kind: 'message', message: toolUseMessage('claude-sonnet-4-20250514') });
      const input: OpenAI.Responses.ResponseInput = [{ role: 'user', content: 'What is the weather like in San Francisco?' }];
      const first = await client.responses.create({ model: 'claude', input, tools: [WEATHER_TOOL], max_output_tokens: 512 });
      assert.equal(first.output_text, "I'll check the current weather in San Francisco for you.");
      const call = first.output.find((item) => item.type === 'function_call');
      assert.ok(call?.type === 'function_call');
      assert.equal(call.call_id, 'toolu_01A09q90qw90lq917835lq9');
      assert.deepEqual(JSON.parse(call.arguments), { location: 'San Francisco, CA', unit: 'celsius' });

      const second = await client.responses.create({
        model: 'claude',
        input: [...input, ...(first.output as OpenAI.Responses.ResponseInput), { type: 'function_call_output', call_id: call.call_id, output: '15 degrees' }],
        tools: [WEATHER_TOOL],
        max_output_tokens: 512,
      });
      assert.equal(second.output_text, 'Hi! My name is Claude.');
      const messages = anthropic.lastRequest().json?.messages as any[];
      assert.equal(messages.length, 3);
      assert.equal(messages[1].role, 'assistant');
      assert.ok(messages[1].content.some((block: any) => block.type === 'tool_use' && block.id === 'toolu_01A09q90qw90lq917835lq9'));
      assert.equal(messages[2].role, 'user');
      assert.ok(messages[2].content.some((block: any) => block.type === 'tool_result' && block.tool_use_id === 'toolu_01A09q90qw90lq917835lq9'));
    });
  });
});
