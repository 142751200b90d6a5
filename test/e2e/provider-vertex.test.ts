/**
 * The official `openai` SDK as the client, `vertex_ai/` deployments behind the gateway, a mock
 * Vertex AI upstream and a mock OAuth token endpoint (the service-account key file's token_uri):
 * the access token is fetched once per deployment and reused, sent as `Authorization: Bearer`;
 * Gemini models go to publishers/google (plain and streamed), Claude models to
 * publishers/anthropic rawPredict / streamRawPredict with Vertex's anthropic_version; embeddings
 * go through :predict; a failed token exchange answers 502 naming the service account; Vertex's
 * errors keep their status.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import OpenAI from 'openai';
import { MASTER_KEY, startTestGateway, type TestGateway } from '../support/gateway.js';
import { MockGemini, type RecordedGeminiRequest } from '../support/mocks/gemini.js';
import { CLIENT_EMAIL, MockGoogleOAuth } from '../support/mocks/google-oauth.js';

const PROJECT = 'ailb-vertex-e2e';
const LOCATION = 'us-east5';
const CLAUDE = 'claude-sonnet-4@20250514';

function deployment(name: string, model: string, apiBase: string, credentials: string): string {
  return `  - model_name: ${name}
    litellm_params:
      model: vertex_ai/${model}
      api_base: ${JSON.stringify(apiBase)}
      vertex_project: ${PROJECT}
      vertex_location: ${LOCATION}
      vertex_credentials: ${JSON.stringify(credentials)}`;
}

describe('openai SDK → gateway → vertex_ai', () => {
  const oauth = new MockGoogleOAuth();
  const upstream = new MockGemini();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ailb-vertex-e2e-'));
  let gw: TestGateway;
  let client: OpenAI;

  before(async () => {
    await oauth.start();
    const apiBase = await upstream.start();
    upstream.acceptsToken = (token) => oauth.tokensIssued().includes(token);
    const keyFile = path.join(dir, 'service-account.json');
    writeFileSync(keyFile, JSON.stringify(oauth.serviceAccount()));
    // The same account and token endpoint, but signed with a key the endpoint does not know.
    const forgedFile = path.join(dir, 'forged.json');
    writeFileSync(forgedFile, JSON.stringify({ ...new MockGoogleOAuth().serviceAccount(), token_uri: oauth.serviceAccount().token_uri }));
    const yaml = `model_list:
${deployment('vertex-gemini', 'gemini-2.5-pro', apiBase, keyFile)}
${deployment('vertex-claude', CLAUDE, apiBase, keyFile)}
${deployment('vertex-embed', 'text-embedding-005', apiBase, keyFile)}
${deployment('vertex-forged', 'gemini-2.5-flash', apiBase, forgedFile)}
general_settings:
  master_key: ${MASTER_KEY}
router_settings:
  num_retries: 0
  allowed_fails: 1000
ailb_settings:
  hot_reload: false
`;
    // One event-loop thread: each thread keeps its own token, and this test counts exchanges.
    gw = await startTestGateway(yaml, { threads: 1 });
    client = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  });

  after(async () => {
    await gw.stop();
    await upstream.stop();
    await oauth.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    upstream.requests.length = 0;
  });

  function only(): RecordedGeminiRequest {
    assert.equal(upstream.requests.length, 1, 'one upstream request');
    return upstream.requests[0];
  }

  test('Gemini on Vertex: one token exchange serves concurrent and later calls, sent as the bearer token on the publisher path', async () => {
    const exchangesBefore = oauth.exchanges.length;
    oauth.latencyMs = 100;
    const ask = () => client.chat.completions.create({ model: 'vertex-gemini', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 20 });
    const concurrent = await Promise.all([ask(), ask(), ask()]);
    oauth.latencyMs = 0;
    const later = [await ask(), await ask()];
    assert.equal(oauth.exchanges.length - exchangesBefore, 1, 'one token exchange');
    const exchange = oauth.exchanges[exchangesBefore];
    assert.equal(exchange.signatureValid, true);
    assert.equal(exchange.claims.iss, CLIENT_EMAIL);
    for (const completion of [...concurrent, ...later]) assert.equal(completion.choices[0].message.content, 'Hello from the mock Gemini.');
    assert.equal(upstream.requests.length, 5);
    for (const seen of upstream.requests) {
      assert.equal(seen.path, `/v1/projects/${PROJECT}/locations/${LOCATION}/publishers/google/models/gemini-2.5-pro:generateContent`);
      assert.equal(seen.headers.authorization, `Bearer ${exchange.accessToken}`);
      assert.equal(seen.headers['x-goog-api-key'], undefined);
      assert.equal(seen.body.toString('utf8'), '{"contents":[{"role":"user","parts":[{"text":"Hello"}]}],"generationConfig":{"maxOutputTokens":20}}');
    }
  });

  test('Gemini on Vertex, streamed: streamGenerateContent?alt=sse, the usage chunk when asked for', async () => {
    const stream = await client.chat.completions.create({
      model: 'vertex-gemini', messages: [{ role: 'user', content: 'stream' }], stream: true, stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      usage = chunk.usage ?? usage;
    }
    assert.equal(text, 'Hello from the stream.');
    assert.equal(usage?.total_tokens, 14);
    assert.equal(only().path, `/v1/projects/${PROJECT}/locations/${LOCATION}/publishers/google/models/gemini-2.5-pro:streamGenerateContent?alt=sse`);
  });

  test('Claude on Vertex: rawPredict with the Messages body, no model, anthropic_version vertex-2023-10-16', async () => {
    const completion = await client.chat.completions.create({
      model: 'vertex-claude',
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello' }],
      max_tokens: 100,
    });
    const seen = only();
    assert.equal(seen.path, `/v1/projects/${PROJECT}/locations/${LOCATION}/publishers/anthropic/models/${CLAUDE}:rawPredict`);
    assert.match(seen.headers.authorization ?? '', /^Bearer ya29\.mock-token-\d+$/);
    assert.equal(seen.json!.anthropic_version, 'vertex-2023-10-16');
    assert.equal('model' in seen.json!, false);
    assert.equal(seen.json!.max_tokens, 100);
    assert.deepEqual(seen.json!.messages, [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }]);
    assert.equal(completion.choices[0].message.content, 'Hi! My name is Claude.');
    assert.equal(completion.choices[0].finish_reason, 'stop');
  });

  test('Claude on Vertex, streamed: streamRawPredict, Anthropic events read into chunks', async () => {
    const stream = await client.chat.completions.create({ model: 'vertex-claude', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 100, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    assert.equal(text, 'Hello!');
    const seen = only();
    assert.equal(seen.path, `/v1/projects/${PROJECT}/locations/${LOCATION}/publishers/anthropic/models/${CLAUDE}:streamRawPredict`);
    assert.equal(seen.json!.stream, true);
  });

  test('embeddings on Vertex: :predict with instances, token counts from the statistics', async () => {
    const result = await client.embeddings.create({ model: 'vertex-embed', input: ['one two', 'three'], dimensions: 2, encoding_format: 'float' });
    const seen = only();
    assert.equal(seen.path, `/v1/projects/${PROJECT}/locations/${LOCATION}/publishers/google/models/text-embedding-005:predict`);
    assert.deepEqual(seen.json, { instances: [{ content: 'one two' }, { content: 'three' }], parameters: { outputDimensionality: 2 } });
    assert.deepEqual(result.data.map((d) => d.embedding), [[0.1, 0.11], [0.2, 0.21]]);
    assert.equal(result.usage.prompt_tokens, 3);
  });

  test('a refused token exchange answers 502 naming the service account; nothing reaches Vertex', async () => {
    await assert.rejects(client.chat.completions.create({ model: 'vertex-forged', messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.APIError, String(error));
      assert.equal(error.status, 502);
      assert.match(error.message, new RegExp(`service account ${CLIENT_EMAIL.replace(/\./g, '\\.')}`));
      return true;
    });
    assert.equal(upstream.requests.length, 0);
  });

  test("Vertex's 429 RESOURCE_EXHAUSTED stays a 429", async () => {
    upstream.enqueue({ kind: 'error', status: 429, googleStatus: 'RESOURCE_EXHAUSTED', message: 'Quota exceeded for aiplatform.googleapis.com/generate_content_requests_per_minute_per_project_per_base_model.' });
    await assert.rejects(client.chat.completions.create({ model: 'vertex-gemini', messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.RateLimitError, String(error));
      assert.match(error.message, /Quota exceeded/);
      return true;
    });
  });
});
