/**
 * `POST /v1/images/generations` with the official `openai` SDK's `client.images.generate` as the
 * client, one gateway in front of every provider that generates images:
 *
 * - openai (a local mock OpenAI upstream): the client's bytes pass through with only `model`
 *   replaced, and OpenAI's answer comes back as it was;
 * - azure (the Azure mock): the same bytes at the deployment's images path with api-version and
 *   the `api-key` header;
 * - gemini Imagen (the Google mock): `:predict` with the api key, Imagen's body; no usage, so no
 *   response cost;
 * - vertex_ai Imagen: an access token fetched from the mock OAuth endpoint, sent as the bearer
 *   token on the publisher model's `:predict`;
 * - bedrock Titan Image Generator and Nova Canvas: InvokeModel, the SigV4 signature checked by
 *   the Bedrock mock;
 * - errors: a provider's 400 keeps its status and message, a parameter the provider cannot take
 *   (response_format url) is a 400 naming it, and a provider without image generation (an
 *   anthropic deployment) is a 400 naming the provider.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import OpenAI from 'openai';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { MockAzure } from '../support/mocks/azure.js';
import { MockBedrock, mockBedrockParams } from '../support/mocks/bedrock.js';
import { MOCK_PNG_BASE64, MockGemini } from '../support/mocks/gemini.js';
import { MockGoogleOAuth } from '../support/mocks/google-oauth.js';
import { recordOf, RecordingServer } from '../support/mocks/recording-server.js';
import { deployment, gatewayConfig, NO_RETRIES, openaiClient, SentBodies } from '../support/provider-e2e.js';

const AZURE_API_VERSION = '2024-10-21';
const VERTEX_PROJECT = 'ailb-images-e2e';
const VERTEX_LOCATION = 'us-central1';

/** OpenAI's answer to an image request, as the local mock sends it (bytes kept to compare). */
const OPENAI_ANSWER = JSON.stringify({
  created: 1_713_833_628,
  data: [{ b64_json: MOCK_PNG_BASE64, revised_prompt: 'A cute baby sea otter floating on its back in calm water.' }],
  usage: { total_tokens: 100, input_tokens: 50, output_tokens: 50, input_tokens_details: { text_tokens: 10, image_tokens: 40 } },
});

/** A minimal OpenAI upstream: `POST /v1/images/generations` answers OPENAI_ANSWER; every request is kept. */
class LocalOpenAI extends RecordingServer<never> {
  constructor() {
    super('the local OpenAI upstream', '/v1');
  }

  protected receive(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
    this.requests.push(recordOf(req, body));
    const found = req.method === 'POST' && req.url === '/v1/images/generations';
    const answer = found ? OPENAI_ANSWER : JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error', param: null, code: null } });
    res.writeHead(found ? 200 : 404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) }).end(answer);
  }
}

interface Bases {
  openai: string;
  azure: string;
  azureKey: string;
  google: string;
  vertexKeyFile: string;
  bedrock: string;
}

function config(b: Bases): string {
  const bedrock = (name: string, model: string) => deployment(name, mockBedrockParams(model, b.bedrock));
  const imagen = { model: 'gemini/imagen-4.0-generate-001', api_base: b.google, api_key: 'gemini-test-key' };
  return gatewayConfig(
    [
      deployment('openai-dalle', { model: 'openai/dall-e-3', api_base: b.openai, api_key: 'sk-upstream-secret' }),
      deployment('azure-dalle', { model: 'azure/my-image-deployment', api_base: b.azure, api_key: b.azureKey, api_version: AZURE_API_VERSION }),
      deployment('imagen', imagen),
      deployment('imagen-dropping', { ...imagen, drop_params: true }),
      deployment('vertex-imagen', {
        model: 'vertex_ai/imagen-3.0-generate-002',
        api_base: b.google,
        vertex_project: VERTEX_PROJECT,
        vertex_location: VERTEX_LOCATION,
        vertex_credentials: b.vertexKeyFile,
      }),
      bedrock('titan-image', 'amazon.titan-image-generator-v2:0'),
      bedrock('nova-canvas', 'amazon.nova-canvas-v1:0'),
      deployment('claude', { model: 'anthropic/claude-sonnet-4-20250514', api_base: 'http://127.0.0.1:9', api_key: 'sk-ant-unused' }),
    ],
    NO_RETRIES,
  );
}

describe('openai SDK images.generate → gateway → each provider', () => {
  const openai = new LocalOpenAI();
  const azure = new MockAzure();
  const google = new MockGemini();
  const oauth = new MockGoogleOAuth();
  const bedrock = new MockBedrock();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ailb-images-e2e-'));
  let gw: TestGateway;
  let client: OpenAI;
  const sent = new SentBodies();

  before(async () => {
    azure.deployments.add('my-image-deployment');
    await oauth.start();
    const vertexKeyFile = path.join(dir, 'service-account.json');
    writeFileSync(vertexKeyFile, JSON.stringify(oauth.serviceAccount()));
    const bases: Bases = {
      openai: await openai.start(),
      azure: await azure.start(),
      azureKey: azure.apiKey,
      google: await google.start(),
      vertexKeyFile,
      bedrock: await bedrock.start(),
    };
    google.acceptsToken = (token) => oauth.tokensIssued().includes(token);
    gw = await startTestGateway(config(bases), { threads: 1 });
    client = openaiClient(gw, { fetch: sent.fetch });
  });

  after(async () => {
    await gw.stop();
    await Promise.all([openai.stop(), azure.stop(), google.stop(), oauth.stop(), bedrock.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    openai.requests.length = 0;
    azure.requests.length = 0;
    google.requests.length = 0;
    bedrock.requests.length = 0;
  });

  test('openai: the client bytes pass through with the model replaced, the answer comes back as sent', async () => {
    const { data: images, response } = await client.images
      .generate({ model: 'openai-dalle', prompt: 'A cute baby sea otter', n: 1, size: '1024x1024', response_format: 'b64_json' })
      .withResponse();
    assert.equal(openai.requests.length, 1);
    const seen = openai.requests[0];
    assert.equal(seen.path, '/v1/images/generations');
    assert.equal(seen.headers.authorization, 'Bearer sk-upstream-secret');
    assert.equal(seen.body.toString('utf8'), sent.lastWithModel('openai-dalle', 'dall-e-3'));
    assert.deepEqual(images, JSON.parse(OPENAI_ANSWER));
    assert.ok(response.headers.get('x-ailb-call-id'));
  });

  test('azure: the deployment images path with api-version and the api-key header, body untouched but the model', async () => {
    const images = await client.images.generate({ model: 'azure-dalle', prompt: 'A lighthouse at dusk', n: 1, size: '1792x1024', response_format: 'b64_json' });
    assert.equal(azure.requests.length, 1);
    const seen = azure.requests[0];
    assert.equal(seen.path, `/openai/deployments/my-image-deployment/images/generations?api-version=${AZURE_API_VERSION}`);
    assert.equal(seen.headers['api-key'], azure.apiKey);
    assert.equal(seen.headers.authorization, undefined);
    assert.equal(seen.body.toString('utf8'), sent.lastWithModel('azure-dalle', 'my-image-deployment'));
    assert.equal(images.data?.[0].b64_json, MOCK_PNG_BASE64);
    assert.equal(images.data?.[0].revised_prompt, 'A picture of: A lighthouse at dusk');
  });

  test("gemini Imagen: :predict with the api key and Imagen's body; b64_json back, no usage so no cost", async () => {
    const { data: images, response } = await client.images
      .generate({ model: 'imagen', prompt: 'Robot holding a red skateboard', n: 2, size: '1792x1024' })
      .withResponse();
    assert.equal(google.requests.length, 1);
    const seen = google.requests[0];
    assert.equal(seen.path, '/v1beta/models/imagen-4.0-generate-001:predict');
    assert.equal(seen.headers['x-goog-api-key'], 'gemini-test-key');
    assert.deepEqual(seen.json, { instances: [{ prompt: 'Robot holding a red skateboard' }], parameters: { sampleCount: 2, aspectRatio: '16:9' } });
    assert.equal(images.data?.length, 2);
    for (const image of images.data ?? []) assert.equal(image.b64_json, MOCK_PNG_BASE64);
    assert.equal(typeof images.created, 'number');
    assert.equal('usage' in images, false);
    assert.equal(response.headers.get('x-litellm-response-cost'), null);
  });

  test('vertex Imagen: a token fetched for the service account, sent as the bearer token on the publisher :predict', async () => {
    const exchanges = oauth.exchanges.length;
    const images = await client.images.generate({ model: 'vertex-imagen', prompt: 'A watercolor of a small boat', size: '1024x1024' });
    assert.equal(oauth.exchanges.length, exchanges + 1, 'one token exchange');
    const token = oauth.exchanges.at(-1)!.accessToken;
    assert.equal(google.requests.length, 1);
    const seen = google.requests[0];
    assert.equal(seen.path, `/v1/projects/${VERTEX_PROJECT}/locations/${VERTEX_LOCATION}/publishers/google/models/imagen-3.0-generate-002:predict`);
    assert.equal(seen.headers.authorization, `Bearer ${token}`);
    assert.deepEqual(seen.json, { instances: [{ prompt: 'A watercolor of a small boat' }], parameters: { sampleCount: 1, aspectRatio: '1:1' } });
    assert.deepEqual(images.data, [{ b64_json: MOCK_PNG_BASE64 }]);
  });

  test('bedrock Titan and Nova Canvas: InvokeModel with a valid SigV4 signature, the TEXT_IMAGE body', async () => {
    const titan = await client.images.generate({ model: 'titan-image', prompt: 'A car made out of vegetables.', n: 2, size: '1024x1024', quality: 'hd' });
    const nova = await client.images.generate({ model: 'nova-canvas', prompt: 'A car made out of vegetables.' });
    assert.equal(bedrock.requests.length, 2);
    const [seenTitan, seenNova] = bedrock.requests;
    for (const seen of bedrock.requests) {
      assert.equal(seen.authError, null, 'the mock verified the signature');
      assert.equal(seen.operation, 'invoke');
    }
    assert.equal(seenTitan.path, '/model/amazon.titan-image-generator-v2%3A0/invoke');
    assert.deepEqual(JSON.parse(seenTitan.body.toString('utf8')), {
      taskType: 'TEXT_IMAGE',
      textToImageParams: { text: 'A car made out of vegetables.' },
      imageGenerationConfig: { numberOfImages: 2, width: 1024, height: 1024, quality: 'premium' },
    });
    assert.equal(seenNova.modelId, 'amazon.nova-canvas-v1:0');
    assert.deepEqual(titan.data, [{ b64_json: MOCK_PNG_BASE64 }, { b64_json: MOCK_PNG_BASE64 }]);
    assert.deepEqual(nova.data, [{ b64_json: MOCK_PNG_BASE64 }]);
  });

  test("a provider's 400 keeps its status and message", async () => {
    google.enqueue({ kind: 'error', status: 400, googleStatus: 'INVALID_ARGUMENT', message: 'Number of images must be between 1 and 4.' });
    const gemini = await client.images.generate({ model: 'imagen', prompt: 'too many', n: 9 }).catch((error: unknown) => error);
    assert.ok(gemini instanceof OpenAI.BadRequestError);
    assert.equal(gemini.status, 400);
    assert.match(gemini.message, /Number of images must be between 1 and 4/);
    const titan = await client.images.generate({ model: 'titan-image', prompt: 'too many', n: 6 }).catch((error: unknown) => error);
    assert.ok(titan instanceof OpenAI.BadRequestError);
    assert.match(titan.message, /numberOfImages must be between 1 and 5/);
  });

  test('response_format url is refused naming the parameter (no hosted URL), answered as b64_json under drop_params', async () => {
    const refused = await client.images.generate({ model: 'imagen', prompt: 'a cat', response_format: 'url' }).catch((error: unknown) => error);
    assert.ok(refused instanceof OpenAI.BadRequestError);
    assert.equal(refused.param, 'response_format');
    assert.match(refused.message, /b64_json/);
    assert.equal(google.requests.length, 0, 'nothing sent upstream');
    const dropped = await client.images.generate({ model: 'imagen-dropping', prompt: 'a cat', response_format: 'url' });
    assert.deepEqual(dropped.data, [{ b64_json: MOCK_PNG_BASE64 }]);
  });

  test('a provider without image generation is a 400 naming it', async () => {
    const error = await client.images.generate({ model: 'claude', prompt: 'a cat' }).catch((e: unknown) => e);
    assert.ok(error instanceof OpenAI.BadRequestError);
    assert.equal(error.status, 400);
    assert.match(error.message, /'anthropic'.*does not generate images/);
  });
});
