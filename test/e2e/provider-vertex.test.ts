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
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { MockGemini } from '../support/mocks/gemini.js';
import { CLIENT_EMAIL, MockGoogleOAuth } from '../support/mocks/google-oauth.js';
import { deployment, gatewayConfig, NO_RETRIES, providerGateway } from '../support/provider-e2e.js';

const PROJECT = 'ailb-vertex-e2e';
const LOCATION = 'us-east5';
const CLAUDE = 'claude-sonnet-4@20250514';

function vertex(name: string, model: string, apiBase: string, credentials: string): string {
  return deployment(name, { model: `vertex_ai/${model}`, api_base: apiBase, vertex_project: PROJECT, vertex_location: LOCATION, vertex_credentials: credentials });
}

describe('openai SDK → gateway → vertex_ai', () => {
  const oauth = new MockGoogleOAuth();
  const upstream = new MockGemini();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ailb-vertex-e2e-'));
  upstream.acceptsToken = (token) => oauth.tokensIssued().includes(token);

  /** The deployments, their key files written once the token endpoint listens (its URL is in them). */
  function config(apiBase: string): string {
    const keyFile = path.join(dir, 'service-account.json');
    writeFileSync(keyFile, JSON.stringify(oauth.serviceAccount()));
    // The same account and token endpoint, but signed with a key the endpoint does not know.
    const forgedFile = path.join(dir, 'forged.json');
    writeFileSync(forgedFile, JSON.stringify({ ...new MockGoogleOAuth().serviceAccount(), token_uri: oauth.serviceAccount().token_uri }));
    return gatewayConfig(
      [
        vertex('vertex-gemini', 'gemini-2.5-pro', apiBase, keyFile),
        vertex('vertex-claude', CLAUDE, apiBase, keyFile),
        vertex('vertex-embed', 'text-embedding-005', apiBase, keyFile),
        vertex('vertex-forged', 'gemini-2.5-flash', apiBase, forgedFile),
      ],
      NO_RETRIES,
    );
  }

  before(() => oauth.start());
  // One event-loop thread: each thread keeps its own token, and this test counts exchanges.
  const e2e = providerGateway(upstream, config, { threads: 1 });
  after(async () => {
    await oauth.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('Gemini on Vertex: one token exchange serves concurrent and later calls, sent as the bearer token on the publisher path', async () => {
    const exchangesBefore = oauth.exchanges.length;
    oauth.latencyMs = 100;
    const ask = () => e2e.client.chat.completions.create({ model: 'vertex-gemini', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 20 });
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
    const stream = await e2e.client.chat.completions.create({
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
    assert.equal(e2e.only().path, `/v1/projects/${PROJECT}/locations/${LOCATION}/publishers/google/models/gemini-2.5-pro:streamGenerateContent?alt=sse`);
  });

  test('Claude on Vertex: rawPredict with the Messages body, no model, anthropic_version vertex-2023-10-16', async () => {
    const completion = await e2e.client.chat.completions.create({
      model: 'vertex-claude',
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello' }],
      max_tokens: 100,
    });
    const seen = e2e.only();
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
    const stream = await e2e.client.chat.completions.create({ model: 'vertex-claude', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 100, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    assert.equal(text, 'Hello!');
    const seen = e2e.only();
    assert.equal(seen.path, `/v1/projects/${PROJECT}/locations/${LOCATION}/publishers/anthropic/models/${CLAUDE}:streamRawPredict`);
    assert.equal(seen.json!.stream, true);
  });

  test('embeddings on Vertex: :predict with instances, token counts from the statistics', async () => {
    const result = await e2e.client.embeddings.create({ model: 'vertex-embed', input: ['one two', 'three'], dimensions: 2, encoding_format: 'float' });
    const seen = e2e.only();
    assert.equal(seen.path, `/v1/projects/${PROJECT}/locations/${LOCATION}/publishers/google/models/text-embedding-005:predict`);
    assert.deepEqual(seen.json, { instances: [{ content: 'one two' }, { content: 'three' }], parameters: { outputDimensionality: 2 } });
    assert.deepEqual(result.data.map((d) => d.embedding), [[0.1, 0.11], [0.2, 0.21]]);
    assert.equal(result.usage.prompt_tokens, 3);
  });

  test('a refused token exchange answers 502 naming the service account; nothing reaches Vertex', async () => {
    await assert.rejects(e2e.client.chat.completions.create({ model: 'vertex-forged', messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.APIError, String(error));
      assert.equal(error.status, 502);
      assert.match(error.message, new RegExp(`service account ${CLIENT_EMAIL.replace(/\./g, '\\.')}`));
      return true;
    });
    assert.equal(upstream.requests.length, 0);
  });

  test("Vertex's 429 RESOURCE_EXHAUSTED stays a 429", async () => {
    upstream.enqueue({ kind: 'error', status: 429, googleStatus: 'RESOURCE_EXHAUSTED', message: 'Quota exceeded for aiplatform.googleapis.com/generate_content_requests_per_minute_per_project_per_base_model.' });
    await assert.rejects(e2e.client.chat.completions.create({ model: 'vertex-gemini', messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.RateLimitError, String(error));
      assert.match(error.message, /Quota exceeded/);
      return true;
    });
  });
});
