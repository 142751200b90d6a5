/**
 * The vertex_ai adapter's requests: the regional host from the location, the publisher model
 * paths for Gemini and Claude (and embeddings), the bearer token, Gemini's body reused, the
 * Anthropic body with Vertex's anthropic_version and no model; answers read in each format.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GatewayError } from '../../../src/errors.js';
import { adapter as gemini } from '../../../src/providers/gemini/index.js';
import type { OpenAIChatRequest, UpstreamRequest, UpstreamTarget } from '../../../src/providers/types.js';
import { adapter } from '../../../src/providers/vertex_ai/index.js';
import { textMessage, textStreamEvents, sseText } from '../../support/mocks/anthropic.js';
import { MockGoogleOAuth, PROJECT_ID } from '../../support/mocks/google-oauth.js';
import { googleTarget, type TargetOptions } from '../gemini/target.js';

describe('vertex_ai adapter', () => {
  const oauth = new MockGoogleOAuth();
  const request: OpenAIChatRequest = { model: 'm', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }], max_tokens: 50 };

  function target(options: TargetOptions = {}): UpstreamTarget {
    return googleTarget({
      provider: 'vertex_ai',
      upstreamModel: 'gemini-2.5-pro',
      ...options,
      litellmParams: { vertex_credentials: oauth.serviceAccount(), vertex_project: 'proj-1', vertex_location: 'europe-west4', ...options.litellmParams },
    });
  }

  before(async () => {
    await oauth.start();
  });

  after(async () => {
    await oauth.stop();
  });

  test('endpoint: prefix, alias, no key, the host derived from the location', () => {
    assert.equal(adapter.prefix, 'vertex_ai');
    assert.deepEqual(adapter.aliases, ['vertex_ai_beta']);
    assert.equal(adapter.wire, 'other');
    assert.equal(adapter.defaultApiBase, null);
    assert.equal(adapter.keyRequired, false);
    assert.equal(adapter.apiBaseFor!({}, {}), 'https://us-central1-aiplatform.googleapis.com');
    assert.equal(adapter.apiBaseFor!({ vertex_location: 'europe-west4' }, {}), 'https://europe-west4-aiplatform.googleapis.com');
    assert.equal(adapter.apiBaseFor!({}, { VERTEXAI_LOCATION: 'asia-northeast1' }), 'https://asia-northeast1-aiplatform.googleapis.com');
    assert.equal(adapter.apiBaseFor!({ vertex_location: 'global' }, {}), 'https://aiplatform.googleapis.com');
    assert.equal(adapter.apiBaseFor!({ vertex_location: 'evil.com/x' }, {}), null);
  });

  test("Gemini models: the publisher path, the bearer token, and the gemini adapter's body", async () => {
    const upstream = await adapter.chat!.request(request, target());
    assert.equal(upstream.path, '/v1/projects/proj-1/locations/europe-west4/publishers/google/models/gemini-2.5-pro:generateContent');
    const token = oauth.tokensIssued().at(-1);
    assert.equal(upstream.headerBlock, `content-type: application/json\r\nauthorization: Bearer ${token}\r\n`);
    const direct = gemini.chat!.request(request, googleTarget({ upstreamModel: 'gemini-2.5-pro' })) as UpstreamRequest;
    assert.equal(upstream.body.toString('utf8'), direct.body.toString('utf8'));
    const streamed = await adapter.chat!.request(request, target({ stream: true }));
    assert.equal(streamed.path, '/v1/projects/proj-1/locations/europe-west4/publishers/google/models/gemini-2.5-pro:streamGenerateContent?alt=sse');
  });

  test('the project comes from the key when vertex_project is not set; global uses the global location', async () => {
    const upstream = await adapter.chat!.request(request, googleTarget({
      provider: 'vertex_ai', upstreamModel: 'gemini-2.5-flash', apiBase: 'https://aiplatform.googleapis.com',
      litellmParams: { vertex_credentials: oauth.serviceAccount(), vertex_location: 'global' },
    }));
    assert.equal(upstream.path, `/v1/projects/${PROJECT_ID}/locations/global/publishers/google/models/gemini-2.5-flash:generateContent`);
  });

  test('a request the provider cannot take is refused before any token exchange', async () => {
    const exchanges = oauth.exchanges.length;
    await assert.rejects(Promise.resolve().then(() => adapter.chat!.request({ ...request, logit_bias: { 1: 1 } }, target({ id: 'vertex-refused' }))), (error: unknown) =>
      error instanceof GatewayError && error.code === 'unsupported_param' && /vertex_ai does not support the parameter 'logit_bias'/.test(error.message));
    assert.equal(oauth.exchanges.length, exchanges);
  });

  test('Claude models: the anthropic publisher, rawPredict / streamRawPredict, Messages body without model and with vertex-2023-10-16', async () => {
    const claude = target({ upstreamModel: 'claude-sonnet-4@20250514' });
    const upstream = await adapter.chat!.request(request, claude);
    assert.equal(upstream.path, '/v1/projects/proj-1/locations/europe-west4/publishers/anthropic/models/claude-sonnet-4@20250514:rawPredict');
    assert.match(upstream.headerBlock, /^content-type: application\/json\r\nauthorization: Bearer ya29\.mock-token-\d+\r\n$/);
    const body = JSON.parse(upstream.body.toString('utf8'));
    assert.equal(body.anthropic_version, 'vertex-2023-10-16');
    assert.equal('model' in body, false);
    assert.equal(body.max_tokens, 50);
    assert.deepEqual(body.messages, [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }]);
    const streamed = await adapter.chat!.request(request, target({ upstreamModel: 'claude-sonnet-4@20250514', stream: true }));
    assert.equal(streamed.path, '/v1/projects/proj-1/locations/europe-west4/publishers/anthropic/models/claude-sonnet-4@20250514:streamRawPredict');
    assert.equal(JSON.parse(streamed.body.toString('utf8')).stream, true);
  });

  test("answers are read in each publisher's format", () => {
    const claude = target({ upstreamModel: 'claude-sonnet-4@20250514' });
    const completion = adapter.chat!.response(Buffer.from(JSON.stringify(textMessage('claude-sonnet-4@20250514', 'Hi from Claude.'))), claude);
    assert.equal(completion.choices[0].message.content, 'Hi from Claude.');
    const decoder = adapter.chat!.stream(claude);
    const chunks = [...decoder.feed(Buffer.from(sseText(textStreamEvents('claude-sonnet-4@20250514', ['Hel', 'lo'])))), ...decoder.end()];
    assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'Hello');
    const geminiAnswer = { candidates: [{ content: { parts: [{ text: 'Hi from Gemini.' }], role: 'model' }, finishReason: 'STOP' }] };
    assert.equal(adapter.chat!.response(Buffer.from(JSON.stringify(geminiAnswer)), target()).choices[0].message.content, 'Hi from Gemini.');
  });

  test('embeddings: :predict with one instance per text; vectors and token counts from the predictions', async () => {
    const embedTarget = target({ upstreamModel: 'text-embedding-005' });
    const upstream = await adapter.embeddings!.request({ model: 'e', input: ['a b', 'c'], dimensions: 256 }, embedTarget);
    assert.equal(upstream.path, '/v1/projects/proj-1/locations/europe-west4/publishers/google/models/text-embedding-005:predict');
    assert.deepEqual(JSON.parse(upstream.body.toString('utf8')), { instances: [{ content: 'a b' }, { content: 'c' }], parameters: { outputDimensionality: 256 } });
    const answer = {
      predictions: [
        { embeddings: { statistics: { truncated: false, token_count: 2 }, values: [0.1, 0.2] } },
        { embeddings: { statistics: { truncated: false, token_count: 1 }, values: [0.3, 0.4] } },
      ],
      metadata: { billableCharacterCount: 4 },
    };
    assert.deepEqual(adapter.embeddings!.response(Buffer.from(JSON.stringify(answer)), embedTarget), {
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2] }, { object: 'embedding', index: 1, embedding: [0.3, 0.4] }],
      model: 'text-embedding-005',
      usage: { prompt_tokens: 3, total_tokens: 3 },
    });
  });

  test("errorInfo reads Google's envelope and Anthropic's (Claude's own errors)", () => {
    assert.equal(adapter.errorInfo(429, Buffer.from('{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}')).type, 'RESOURCE_EXHAUSTED');
    assert.deepEqual(adapter.errorInfo(529, Buffer.from('{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}')), {
      message: 'Overloaded', type: 'overloaded_error', code: 'overloaded_error', param: null,
    });
  });
});
