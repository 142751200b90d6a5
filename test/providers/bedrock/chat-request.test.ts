/**
 * Canonical chat requests as Converse requests: path and signed header block, messages and system
 * blocks, inference parameters, tools and tool choice, images (data URLs and fetched URLs),
 * response_format as a forced tool, Claude's thinking and top_k, prompt-cache points, and the
 * parameters refused as unsupported (or dropped under drop_params).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { converseRequest } from '../../../src/providers/bedrock/chat-request.js';
import type { OpenAIChatRequest, UpstreamRequest } from '../../../src/providers/types.js';
import { bedrockDeployment, bedrockTarget, CLAUDE } from './targets.js';

const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

function chat(fields: Partial<OpenAIChatRequest>): OpenAIChatRequest {
  return { model: CLAUDE, messages: [{ role: 'user', content: 'Hello' }], ...fields };
}

function headersOf(request: UpstreamRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of request.headerBlock.split('\r\n')) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    headers[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  return headers;
}

async function bodyOf(req: Partial<OpenAIChatRequest>, options: Parameters<typeof bedrockTarget>[0] = {}): Promise<any> {
  const request = await converseRequest(chat(req), bedrockTarget(options));
  return JSON.parse(request.body.toString('utf8'));
}

const rejectsWith = (code: string, param?: string) => (error: any) => error.code === code && (param === undefined || error.param === param);

describe('the Converse request', () => {
  test('a plain call: path, signed headers (host left to the pool), body', async () => {
    const request = await converseRequest(
      chat({ messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello' }], max_tokens: 100, temperature: 0.3, top_p: 0.9, stop: 'END' }),
      bedrockTarget(),
    );
    assert.equal(request.path, '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse');
    const headers = headersOf(request);
    assert.deepEqual(Object.keys(headers), ['content-type', 'accept', 'x-amz-date', 'x-amz-content-sha256', 'authorization']);
    assert.equal(headers['content-type'], 'application/json');
    assert.equal(headers.accept, 'application/json');
    assert.match(headers.authorization, /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/bedrock\/aws4_request, SignedHeaders=accept;content-type;host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/);
    assert.deepEqual(JSON.parse(request.body.toString('utf8')), {
      messages: [{ role: 'user', content: [{ text: 'Hello' }] }],
      system: [{ text: 'Be brief.' }],
      inferenceConfig: { maxTokens: 100, temperature: 0.3, topP: 0.9, stopSequences: ['END'] },
    });
  });

  test('a streamed call goes to converse-stream and accepts the event stream', async () => {
    const request = await converseRequest(chat({ stream: true }), bedrockTarget({ stream: true }));
    assert.equal(request.path, '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream');
    assert.equal(headersOf(request).accept, 'application/vnd.amazon.eventstream');
  });

  test('a Bedrock API key is sent as a bearer token, unsigned; extra_headers are sent and signed', async () => {
    const bearer = await converseRequest(chat({}), bedrockTarget({ deployment: bedrockDeployment({ api_key: 'br-key' }, { apiKey: 'br-key' }) }));
    assert.deepEqual(headersOf(bearer), { 'content-type': 'application/json', accept: 'application/json', authorization: 'Bearer br-key' });
    const signed = await converseRequest(chat({}), bedrockTarget({ deployment: bedrockDeployment({}, { extraHeaders: { 'x-amzn-bedrock-trace': 'ENABLED', Authorization: 'ignored' } }) }));
    const headers = headersOf(signed);
    assert.equal(headers['x-amzn-bedrock-trace'], 'ENABLED');
    assert.match(headers.authorization, /SignedHeaders=accept;content-type;host;x-amz-content-sha256;x-amz-date;x-amzn-bedrock-trace,/);
  });

  test('max_completion_tokens wins over max_tokens; empty stop sequences are left out', async () => {
    const body = await bodyOf({ max_tokens: 10, max_completion_tokens: 20, stop: ['', 'STOP'] });
    assert.deepEqual(body.inferenceConfig, { maxTokens: 20, stopSequences: ['STOP'] });
  });

  test('developer and mid-conversation system messages all go to system; consecutive user turns merge; blank text is left out', async () => {
    const body = await bodyOf({
      messages: [
        { role: 'developer', content: [{ type: 'text', text: 'Rule one.' }] },
        { role: 'user', content: 'First' },
        { role: 'user', content: [{ type: 'text', text: '' }, { type: 'text', text: 'Second' }] },
        { role: 'assistant', content: '' },
        { role: 'assistant', content: 'Answer' },
        { role: 'system', content: 'Rule two.' },
        { role: 'user', content: 'Third' },
      ],
    });
    assert.deepEqual(body.system, [{ text: 'Rule one.' }, { text: 'Rule two.' }]);
    assert.deepEqual(body.messages, [
      { role: 'user', content: [{ text: 'First' }, { text: 'Second' }] },
      { role: 'assistant', content: [{ text: 'Answer' }] },
      { role: 'user', content: [{ text: 'Third' }] },
    ]);
  });

  test('cache_control marks a cache point after the part or message', async () => {
    const body = await bodyOf({
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Long context', cache_control: { type: 'ephemeral' } }] },
        { role: 'user', content: 'Question', cache_control: { type: 'ephemeral' } } as any,
      ],
    });
    assert.deepEqual(body.system, [{ text: 'Long context' }, { cachePoint: { type: 'default' } }]);
    assert.deepEqual(body.messages[0].content, [{ text: 'Question' }, { cachePoint: { type: 'default' } }]);
  });
});

describe('tools', () => {
  const weatherTool = { type: 'function' as const, function: { name: 'get_weather', description: 'Weather by city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } };

  test('a tool round trip: toolSpec, toolUse in the assistant turn, toolResults merged with the next user text', async () => {
    const body = await bodyOf({
      tools: [weatherTool, { type: 'function', function: { name: 'now' } }],
      tool_choice: 'auto',
      messages: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'tooluse_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'tooluse_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'tooluse_1', content: '18°C' },
        { role: 'tool', tool_call_id: 'tooluse_2', content: [{ type: 'text', text: '24°C' }] },
        { role: 'user', content: 'And tomorrow?' },
      ],
    });
    assert.deepEqual(body.toolConfig, {
      tools: [
        { toolSpec: { name: 'get_weather', description: 'Weather by city', inputSchema: { json: weatherTool.function.parameters } } },
        { toolSpec: { name: 'now', inputSchema: { json: { type: 'object', properties: {} } } } },
      ],
      toolChoice: { auto: {} },
    });
    assert.deepEqual(body.messages, [
      { role: 'user', content: [{ text: 'Weather in Paris and Rome?' }] },
      {
        role: 'assistant',
        content: [
          { toolUse: { toolUseId: 'tooluse_1', name: 'get_weather', input: { city: 'Paris' } } },
          { toolUse: { toolUseId: 'tooluse_2', name: 'get_weather', input: { city: 'Rome' } } },
        ],
      },
      {
        role: 'user',
        content: [
          { toolResult: { toolUseId: 'tooluse_1', content: [{ text: '18°C' }] } },
          { toolResult: { toolUseId: 'tooluse_2', content: [{ text: '24°C' }] } },
          { text: 'And tomorrow?' },
        ],
      },
    ]);
  });

  test('tool_choice required → any, a named function → tool; none is unsupported unless dropped', async () => {
    assert.deepEqual((await bodyOf({ tools: [weatherTool], tool_choice: 'required' })).toolConfig.toolChoice, { any: {} });
    assert.deepEqual((await bodyOf({ tools: [weatherTool], tool_choice: { type: 'function', function: { name: 'get_weather' } } })).toolConfig.toolChoice, { tool: { name: 'get_weather' } });
    await assert.rejects(bodyOf({ tools: [weatherTool], tool_choice: 'none' }), rejectsWith('unsupported_param', 'tool_choice'));
    assert.equal((await bodyOf({ tools: [weatherTool], tool_choice: 'none' }, { dropParams: true })).toolConfig.toolChoice, undefined);
  });

  test('tool calls in the history without tools in the request are refused (Bedrock needs a toolConfig)', async () => {
    await assert.rejects(
      bodyOf({ messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: null, tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '{}' } }] }, { role: 'tool', tool_call_id: 't', content: 'r' }] }),
      rejectsWith('invalid_body', 'tools'),
    );
  });

  test('tool call arguments must be JSON', async () => {
    await assert.rejects(
      bodyOf({ tools: [weatherTool], messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: null, tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '{oops' } }] }] }),
      rejectsWith('invalid_body', 'messages[1].tool_calls[0].function.arguments'),
    );
  });
});

describe('response_format', () => {
  const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] };

  test('json_schema becomes the forced json_tool_call tool with the schema', async () => {
    const body = await bodyOf({ response_format: { type: 'json_schema', json_schema: { name: 'reply', description: 'The reply', schema } } });
    assert.deepEqual(body.toolConfig, {
      tools: [{ toolSpec: { name: 'json_tool_call', description: 'The reply', inputSchema: { json: schema } } }],
      toolChoice: { tool: { name: 'json_tool_call' } },
    });
  });

  test('json_object takes any object; text is no change; the tool is not forced while Claude thinks', async () => {
    const jsonObject = await bodyOf({ response_format: { type: 'json_object' } });
    assert.deepEqual(jsonObject.toolConfig.tools[0].toolSpec.inputSchema.json, { type: 'object', additionalProperties: true, properties: {} });
    assert.equal((await bodyOf({ response_format: { type: 'text' } })).toolConfig, undefined);
    const thinking = await bodyOf({ response_format: { type: 'json_object' }, reasoning_effort: 'low' });
    assert.equal(thinking.toolConfig.toolChoice, undefined);
  });
});

describe('what Converse lacks', () => {
  test('reasoning_effort becomes Claude thinking with a budget, and max tokens leave room for the answer', async () => {
    const body = await bodyOf({ reasoning_effort: 'medium' });
    assert.deepEqual(body.additionalModelRequestFields, { thinking: { type: 'enabled', budget_tokens: 2048 } });
    assert.equal(body.inferenceConfig.maxTokens, 2048 + 4096);
    const explicit = await bodyOf({ thinking: { type: 'enabled', budget_tokens: 5000 }, max_tokens: 9000 });
    assert.deepEqual(explicit.additionalModelRequestFields, { thinking: { type: 'enabled', budget_tokens: 5000 } });
    assert.equal(explicit.inferenceConfig.maxTokens, 9000);
  });

  test('top_k: Claude top_k, Nova inferenceConfig.topK, others unsupported; base_model names the family of a profile ARN', async () => {
    assert.deepEqual((await bodyOf({ top_k: 5 } as any)).additionalModelRequestFields, { top_k: 5 });
    assert.deepEqual((await bodyOf({ top_k: 5 } as any, { model: 'us.amazon.nova-pro-v1:0' })).additionalModelRequestFields, { inferenceConfig: { topK: 5 } });
    await assert.rejects(bodyOf({ top_k: 5 } as any, { model: 'meta.llama3-1-70b-instruct-v1:0' }), rejectsWith('unsupported_param', 'top_k'));
    const profile = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123';
    const deployment = bedrockDeployment({ base_model: 'anthropic.claude-3-7-sonnet-20250219-v1:0' });
    assert.deepEqual((await bodyOf({ top_k: 3 } as any, { model: profile, deployment })).additionalModelRequestFields, { top_k: 3 });
  });

  test('OpenAI parameters with no Converse form are unsupported_param, or dropped under drop_params', async () => {
    for (const [param, value] of [['presence_penalty', 0.5], ['frequency_penalty', 0.1], ['seed', 7], ['logprobs', true], ['n', 2], ['parallel_tool_calls', false]] as const) {
      await assert.rejects(bodyOf({ [param]: value }), rejectsWith('unsupported_param', param), param);
    }
    const dropped = await bodyOf({ presence_penalty: 0.5, seed: 7, n: 2, user: 'u-1', reasoning_effort: 'high' }, { model: 'mistral.mistral-large-2407-v1:0', dropParams: true });
    assert.deepEqual(dropped, { messages: [{ role: 'user', content: [{ text: 'Hello' }] }] });
  });

  test('other content part types are unsupported (dropped under drop_params)', async () => {
    const messages = [{ role: 'user' as const, content: [{ type: 'input_audio', input_audio: { data: 'x', format: 'wav' } }, { type: 'text', text: 'hi' }] }];
    await assert.rejects(bodyOf({ messages }), rejectsWith('unsupported_param', 'messages[0].content[0].type'));
    assert.deepEqual((await bodyOf({ messages }, { dropParams: true })).messages, [{ role: 'user', content: [{ text: 'hi' }] }]);
  });

  test('guardrailConfig passes through', async () => {
    const guardrailConfig = { guardrailIdentifier: 'gr-1', guardrailVersion: '1', trace: 'enabled' };
    assert.deepEqual((await bodyOf({ guardrailConfig })).guardrailConfig, guardrailConfig);
  });
});

describe('images', () => {
  let server: http.Server;
  let base: string;
  const png = Buffer.from(PNG_BASE64, 'base64');

  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/cat.png') res.writeHead(200, { 'content-type': 'image/png' }).end(png);
      else if (req.url === '/untyped') res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(png);
      else if (req.url === '/huge') res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(5 * 1024 * 1024) }).end(Buffer.alloc(5 * 1024 * 1024));
      else if (req.url === '/text') res.writeHead(200, { 'content-type': 'text/plain' }).end('not an image');
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const imageMessage = (url: string) => [{ role: 'user' as const, content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url } }] }];

  test('a data URL becomes an image block with its bytes as they are', async () => {
    const body = await bodyOf({ messages: imageMessage(`data:image/png;base64,${PNG_BASE64}`) });
    assert.deepEqual(body.messages[0].content, [{ text: 'What is this?' }, { image: { format: 'png', source: { bytes: PNG_BASE64 } } }]);
  });

  test('an http URL is fetched; the format comes from content-type or the file signature', async () => {
    for (const path of ['/cat.png', '/untyped']) {
      const body = await bodyOf({ messages: imageMessage(`${base}${path}`) });
      assert.deepEqual(body.messages[0].content[1], { image: { format: 'png', source: { bytes: PNG_BASE64 } } });
    }
  });

  test('a fetch that fails, an image too large, or not an image is invalid_body naming the part', async () => {
    for (const url of [`${base}/missing`, `${base}/huge`, `${base}/text`, 'data:image/tiff;base64,AAAA', 'data:image/png,rawbytes', 'ftp://example.com/x.png']) {
      await assert.rejects(bodyOf({ messages: imageMessage(url) }), rejectsWith('invalid_body', 'messages[0].content[1]'), url);
    }
  });
});
