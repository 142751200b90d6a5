/**
 * How the gateway answers bad input and failing upstreams: each case gets the right status, the
 * OpenAI error envelope and a message that names the problem, in time.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { MockOpenAI, sleep } from '../support/mock-openai.js';
import { MASTER_KEY, startTestGateway, type TestGateway } from '../support/gateway.js';

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string };
}

async function post(url: string, body: string | Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json', ...headers },
    body,
  });
}

async function expectError(response: Response, status: number, type: string, messagePart: string | RegExp): Promise<ErrorBody> {
  assert.equal(response.status, status);
  assert.match(response.headers.get('content-type') ?? '', /application\/json/);
  const body = (await response.json()) as ErrorBody;
  assert.equal(body.error.type, type);
  assert.equal(body.error.code, String(status));
  if (typeof messagePart === 'string') assert.ok(body.error.message.includes(messagePart), body.error.message);
  else assert.match(body.error.message, messagePart);
  return body;
}

/** A port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('errors and failing upstreams', () => {
  const upstream = new MockOpenAI();
  let gw: TestGateway;
  let chatUrl: string;

  before(async () => {
    const apiBase = await upstream.start();
    const deadPort = await closedPort();
    gw = await startTestGateway(`
model_list:
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, api_base: "${apiBase}", api_key: sk-x, timeout: 2, stream_timeout: 2 }
  - model_name: dead
    litellm_params: { model: openai/dead, api_base: "http://127.0.0.1:${deadPort}/v1", api_key: sk-x }
  - model_name: slow
    litellm_params: { model: openai/slow, api_base: "${apiBase}", api_key: sk-x, timeout: 0.5, stream_timeout: 0.5 }
general_settings:
  master_key: ${MASTER_KEY}
  max_request_size_mb: 0.01
ailb_settings:
  hot_reload: false
`);
    chatUrl = `${gw.url}/v1/chat/completions`;
  });

  after(async () => {
    await gw.stop();
    await upstream.stop();
  });

  test('malformed JSON is a 400 that says where', async () => {
    const body = await expectError(await post(chatUrl, '{"model": "gpt-4o", "messages": [}'), 400, 'invalid_request_error', 'Invalid JSON');
    assert.match(body.error.message, /offset|byte/);
  });

  test('invalid UTF-8 in the body is a 400', async () => {
    const bytes = Buffer.concat([Buffer.from('{"model":"gpt-4o","messages":[{"role":"user","content":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}]}')]);
    await expectError(await post(chatUrl, bytes), 400, 'invalid_request_error', 'Invalid JSON');
  });

  test('a non-object body is a 400', async () => {
    await expectError(await post(chatUrl, '[1,2,3]'), 400, 'invalid_request_error', 'Invalid JSON');
  });

  test('wrong types are 400s naming the parameter', async () => {
    const body = await expectError(await post(chatUrl, '{"model": 42, "messages": []}'), 400, 'invalid_request_error', "'model'");
    assert.equal(body.error.param, 'model');
    const stream = await expectError(await post(chatUrl, '{"model": "gpt-4o", "messages": [], "stream": "yes"}'), 400, 'invalid_request_error', "'stream'");
    assert.equal(stream.error.param, 'stream');
    await expectError(await post(chatUrl, '{"model": "gpt-4o"}'), 400, 'invalid_request_error', 'messages');
  });

  test('an unknown model is a 400 that names it', async () => {
    const body = await expectError(await post(chatUrl, '{"model": "no-such-model", "messages": []}'), 400, 'invalid_request_error', 'no-such-model');
    assert.equal(body.error.param, 'model');
  });

  test('a body over max_request_size_mb is a 413', async () => {
    const big = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x'.repeat(20_000) }] });
    await expectError(await post(chatUrl, big), 413, 'invalid_request_error', 'max_request_size_mb');
  });

  test('an unknown route is a 404 in the envelope', async () => {
    await expectError(await post(`${gw.url}/v1/nope`, '{}'), 404, 'not_found_error', '/v1/nope');
  });

  test('upstream 429 keeps its status and message', async () => {
    upstream.enqueue({
      kind: 'status',
      status: 429,
      body: JSON.stringify({ error: { message: 'Rate limit reached for gpt-4o', type: 'requests', param: null, code: 'rate_limit_exceeded' } }),
    });
    await expectError(await post(chatUrl, '{"model":"gpt-4o","messages":[]}'), 429, 'api_error', 'Rate limit reached for gpt-4o');
  });

  test('upstream 500 with a non-JSON body comes back in the envelope', async () => {
    upstream.enqueue({ kind: 'status', status: 500, body: '<html>oops</html>', headers: { 'content-type': 'text/html' } });
    await expectError(await post(chatUrl, '{"model":"gpt-4o","messages":[]}'), 500, 'api_error', 'oops');
  });

  test('an unreachable upstream is a quick 502', async () => {
    const started = performance.now();
    await expectError(await post(chatUrl, '{"model":"dead","messages":[]}'), 502, 'api_connection_error', 'could not be reached');
    assert.ok(performance.now() - started < 2000);
  });

  test('an upstream slower than the timeout is a 504 within the timeout', async () => {
    upstream.enqueue({ kind: 'hang' });
    const started = performance.now();
    await expectError(await post(chatUrl, '{"model":"slow","messages":[]}'), 504, 'timeout', 'timed out');
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 450 && elapsed < 1500, `answered after ${elapsed} ms`);
  });

  test('a stream that stalls longer than stream_timeout ends with an error event', async () => {
    upstream.enqueue({ kind: 'stream', chunks: 2, intervalMs: 1500 });
    const response = await post(chatUrl, '{"model":"slow","messages":[],"stream":true}');
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.match(text, /"error"/);
    assert.doesNotMatch(text, /\[DONE\]/);
  });

  test('a stream the upstream breaks ends with an error event, never a fake [DONE]', async () => {
    upstream.enqueue({ kind: 'break-stream', chunks: 2 });
    const response = await post(chatUrl, '{"model":"gpt-4o","messages":[],"stream":true}');
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.match(text, /piece1/);
    assert.match(text, /data: \{"error":\{"message":"Upstream stream ended early/);
    assert.doesNotMatch(text, /\[DONE\]/);
  });

  test('a client abort mid-stream cancels the upstream request', async () => {
    upstream.enqueue({ kind: 'stream', chunks: 50, intervalMs: 40 });
    const before = upstream.cancelledStreams;
    const response = await post(chatUrl, '{"model":"gpt-4o","messages":[],"stream":true}');
    const reader = response.body!.getReader();
    await reader.read();
    await reader.cancel();
    for (let i = 0; i < 50 && upstream.cancelledStreams === before; i++) await sleep(20);
    assert.equal(upstream.cancelledStreams, before + 1);
  });

  test('metrics count requests by route, model and status', async () => {
    const response = await fetch(`${gw.url}/metrics`);
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.match(text, /ailb_requests_total\{route="chat_completions",model="gpt-4o",status="429"\} 1/);
    assert.match(text, /ailb_upstream_errors_total\{[^}]*kind="unreachable"\} 1/);
    assert.match(text, /ailb_gateway_overhead_seconds_bucket/);
    assert.match(text, /ailb_client_aborts_total/);
  });

  test('health probes answer without a key', async () => {
    for (const path of ['/health/liveliness', '/health/liveness']) {
      const response = await fetch(`${gw.url}${path}`);
      assert.equal(response.status, 200);
      assert.equal(await response.json(), "I'm alive!");
    }
    const ready = await fetch(`${gw.url}/health/readiness`);
    assert.equal(ready.status, 200);
    assert.equal(((await ready.json()) as { status: string }).status, 'healthy');
  });

  test('/v1/models needs the key', async () => {
    const response = await fetch(`${gw.url}/v1/models`);
    await expectError(response, 401, 'auth_error', 'no API key');
  });
});
