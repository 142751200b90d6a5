/**
 * Image generation on Vertex AI: Imagen through the publisher model's `:predict`, Gemini image
 * models through `:generateContent`, both with the deployment's access token and the gemini
 * adapter's bodies; a request the model cannot take is refused before any token exchange; the
 * answers read as the gemini adapter reads them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GatewayError } from '../../../src/errors.js';
import { geminiImages } from '../../../src/providers/gemini/images.js';
import type { OpenAIImageRequest, UpstreamRequest, UpstreamTarget } from '../../../src/providers/types.js';
import { adapter } from '../../../src/providers/vertex_ai/index.js';
import { MockGoogleOAuth } from '../../support/mocks/google-oauth.js';
import { googleTarget, type TargetOptions } from '../gemini/target.js';

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const PREFIX = '/v1/projects/proj-1/locations/us-central1/publishers/google/models';

describe('vertex_ai images', () => {
  const oauth = new MockGoogleOAuth();
  const request: OpenAIImageRequest = { model: 'm', prompt: 'A watercolor of a small boat on the water in the morning', n: 2, size: '1792x1024' };

  function target(options: TargetOptions = {}): UpstreamTarget {
    return googleTarget({
      provider: 'vertex_ai',
      upstreamModel: 'imagen-3.0-generate-002',
      ...options,
      litellmParams: { vertex_credentials: oauth.serviceAccount(), vertex_project: 'proj-1', vertex_location: 'us-central1', ...options.litellmParams },
    });
  }

  before(async () => {
    await oauth.start();
  });

  after(async () => {
    await oauth.stop();
  });

  test("Imagen: the publisher model's :predict with the access token, the gemini adapter's body", async () => {
    const upstream = await adapter.images!.request(request, target());
    assert.equal(upstream.path, `${PREFIX}/imagen-3.0-generate-002:predict`);
    assert.equal(upstream.headerBlock, `content-type: application/json\r\nauthorization: Bearer ${oauth.tokensIssued().at(-1)}\r\n`);
    assert.deepEqual(JSON.parse(upstream.body.toString('utf8')), {
      instances: [{ prompt: 'A watercolor of a small boat on the water in the morning' }],
      parameters: { sampleCount: 2, aspectRatio: '16:9' },
    });
    const direct = geminiImages.request(request, googleTarget({ upstreamModel: 'imagen-3.0-generate-002' })) as UpstreamRequest;
    assert.equal(upstream.body.toString('utf8'), direct.body.toString('utf8'));
  });

  test('older imagegeneration@ models are Imagen too; Gemini image models go through generateContent', async () => {
    assert.equal((await adapter.images!.request(request, target({ upstreamModel: 'imagegeneration@006' }))).path, `${PREFIX}/imagegeneration@006:predict`);
    const gemini = await adapter.images!.request({ model: 'm', prompt: 'a cat' }, target({ upstreamModel: 'gemini-2.5-flash-image' }));
    assert.equal(gemini.path, `${PREFIX}/gemini-2.5-flash-image:generateContent`);
    assert.deepEqual(JSON.parse(gemini.body.toString('utf8')).generationConfig, { responseModalities: ['IMAGE'] });
  });

  test('a parameter the model cannot take is refused before any token exchange', async () => {
    const exchanges = oauth.exchanges.length;
    await assert.rejects(
      async () => adapter.images!.request({ ...request, response_format: 'url' }, target({ id: 'vertex-fresh' })),
      (error: unknown) => error instanceof GatewayError && error.code === 'unsupported_param' && error.param === 'response_format' && /vertex_ai/.test(error.message),
    );
    assert.equal(oauth.exchanges.length, exchanges);
  });

  test("the answers: Imagen's predictions, a Gemini image model's inline parts", () => {
    const imagen = { predictions: [{ mimeType: 'image/png', bytesBase64Encoded: PNG }, { mimeType: 'image/png', bytesBase64Encoded: PNG }] };
    assert.deepEqual(adapter.images!.response(Buffer.from(JSON.stringify(imagen)), target()).data, [{ b64_json: PNG }, { b64_json: PNG }]);
    const gemini = { candidates: [{ content: { role: 'model', parts: [{ inlineData: { mimeType: 'image/png', data: PNG } }] }, finishReason: 'STOP' }] };
    assert.deepEqual(adapter.images!.response(Buffer.from(JSON.stringify(gemini)), target({ upstreamModel: 'gemini-2.5-flash-image' })).data, [{ b64_json: PNG }]);
    assert.throws(
      () => adapter.images!.response(Buffer.from('<html>'), target()),
      (error: unknown) => error instanceof GatewayError && error.code === 'upstream_bad_response' && /Vertex AI/.test(error.message),
    );
  });
});
