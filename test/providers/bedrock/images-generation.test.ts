/**
 * Image generation through InvokeModel: the Titan Image Generator / Nova Canvas body (n, size as
 * width and height, quality as standard/premium, their own negativeText/cfgScale/seed), the
 * Stability AI body (size as aspect_ratio, output_format, one image per call), the models not
 * served, the signed request, and the answers as OpenAI's image list.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../../src/errors.js';
import { bedrockImages } from '../../../src/providers/bedrock/image-generation.js';
import { adapter } from '../../../src/providers/bedrock/index.js';
import type { OpenAIImageRequest } from '../../../src/providers/types.js';
import { bedrockTarget } from './targets.js';

const TITAN = 'amazon.titan-image-generator-v2:0';
const NOVA = 'amazon.nova-canvas-v1:0';
const SD35 = 'stability.sd3-5-large-v1:0';
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

async function requestOf(model: string, fields: Partial<OpenAIImageRequest>, dropParams = false) {
  const request = await bedrockImages.request({ model, prompt: 'A car made out of vegetables.', ...fields }, bedrockTarget({ model, dropParams }));
  return { path: request.path, headerBlock: request.headerBlock, body: JSON.parse(request.body.toString('utf8')) };
}

const refused = (code: string, param: string) => (error: unknown) => error instanceof GatewayError && error.code === code && error.param === param;

describe('bedrock images: Titan Image Generator and Nova Canvas', () => {
  test('the adapter serves images', () => {
    assert.equal(adapter.images, bedrockImages);
  });

  test("InvokeModel, signed, with the documented TEXT_IMAGE body", async () => {
    const request = await requestOf(TITAN, { n: 2, size: '1024x1024', quality: 'standard' });
    assert.equal(request.path, '/model/amazon.titan-image-generator-v2%3A0/invoke');
    assert.match(request.headerBlock, /^authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/bedrock\/aws4_request, /m);
    assert.match(request.headerBlock, /^accept: application\/json\r$/m);
    assert.deepEqual(request.body, {
      taskType: 'TEXT_IMAGE',
      textToImageParams: { text: 'A car made out of vegetables.' },
      imageGenerationConfig: { numberOfImages: 2, width: 1024, height: 1024, quality: 'standard' },
    });
  });

  test('one image by default; quality hd/high → premium, auto → the model default; no size, no dimensions', async () => {
    assert.deepEqual((await requestOf(NOVA, {})).body.imageGenerationConfig, { numberOfImages: 1 });
    assert.deepEqual((await requestOf(NOVA, { quality: 'hd', size: '1280x720' })).body.imageGenerationConfig, { numberOfImages: 1, width: 1280, height: 720, quality: 'premium' });
    assert.equal((await requestOf(NOVA, { quality: 'high' })).body.imageGenerationConfig.quality, 'premium');
    assert.equal((await requestOf(NOVA, { quality: 'low' })).body.imageGenerationConfig.quality, 'standard');
    assert.deepEqual((await requestOf(NOVA, { quality: 'auto', size: 'auto' })).body.imageGenerationConfig, { numberOfImages: 1 });
  });

  test('their own negativeText, cfgScale and seed go where the model reads them', async () => {
    assert.deepEqual((await requestOf(TITAN, { negativeText: 'blurry', cfgScale: 8, seed: 42 })).body, {
      taskType: 'TEXT_IMAGE',
      textToImageParams: { text: 'A car made out of vegetables.', negativeText: 'blurry' },
      imageGenerationConfig: { numberOfImages: 1, cfgScale: 8, seed: 42 },
    });
  });

  test('refused unless drop_params: an unknown quality, a size that is not WIDTHxHEIGHT, style, response_format url', async () => {
    await assert.rejects(requestOf(TITAN, { quality: 'ultra' }), refused('unsupported_param', 'quality'));
    await assert.rejects(requestOf(TITAN, { size: 'big' }), refused('unsupported_param', 'size'));
    await assert.rejects(requestOf(TITAN, { style: 'vivid' }), refused('unsupported_param', 'style'));
    await assert.rejects(requestOf(TITAN, { response_format: 'url' }), refused('unsupported_param', 'response_format'));
    const dropped = await requestOf(TITAN, { quality: 'ultra', size: 'big', style: 'vivid', response_format: 'url', user: 'u-1' }, true);
    assert.deepEqual(dropped.body.imageGenerationConfig, { numberOfImages: 1 });
    await assert.rejects(requestOf(TITAN, { n: 0 }), refused('invalid_body', 'n'));
  });

  test('cross-region profiles and the invoke/ route prefix name the same models', async () => {
    assert.equal((await requestOf(`us.${NOVA}`, {})).path, '/model/us.amazon.nova-canvas-v1%3A0/invoke');
    assert.equal((await requestOf(`invoke/${TITAN}`, {})).path, '/model/amazon.titan-image-generator-v2%3A0/invoke');
  });
});

describe('bedrock images: Stability AI', () => {
  test('{prompt, aspect_ratio, output_format}, the size as a ratio Stability draws', async () => {
    const request = await requestOf(SD35, { size: '1792x1024', output_format: 'png' });
    assert.equal(request.path, '/model/stability.sd3-5-large-v1%3A0/invoke');
    assert.deepEqual(request.body, { prompt: 'A car made out of vegetables.', aspect_ratio: '16:9', output_format: 'png' });
    assert.deepEqual((await requestOf('stability.stable-image-ultra-v1:1', { size: '1024x1536' })).body, { prompt: 'A car made out of vegetables.', aspect_ratio: '2:3' });
    assert.deepEqual((await requestOf(SD35, { negative_prompt: 'text', seed: 5 })).body, { prompt: 'A car made out of vegetables.', negative_prompt: 'text', seed: 5 });
  });

  test('one image per call: n above 1 refused unless drop_params; quality, webp and unknown ratios refused', async () => {
    await assert.rejects(requestOf(SD35, { n: 2 }), refused('unsupported_param', 'n'));
    assert.deepEqual((await requestOf(SD35, { n: 2 }, true)).body, { prompt: 'A car made out of vegetables.' });
    await assert.rejects(requestOf(SD35, { quality: 'hd' }), refused('unsupported_param', 'quality'));
    await assert.rejects(requestOf(SD35, { output_format: 'webp' }), refused('unsupported_param', 'output_format'));
    await assert.rejects(requestOf(SD35, { size: '1000x10' }), refused('unsupported_param', 'size'));
  });
});

describe('bedrock images: models and answers', () => {
  test('models without an image body here are refused, naming the model', async () => {
    await assert.rejects(requestOf('stability.stable-diffusion-xl-v1', {}), refused('unsupported_param', 'model'));
    await assert.rejects(requestOf('anthropic.claude-3-5-sonnet-20240620-v1:0', {}), refused('unsupported_param', 'model'));
  });

  test("the answer's images as b64_json, for every family", () => {
    const target = bedrockTarget({ model: TITAN });
    const titan = bedrockImages.response(Buffer.from(JSON.stringify({ images: [PNG, PNG] })), target);
    assert.deepEqual(titan.data, [{ b64_json: PNG }, { b64_json: PNG }]);
    assert.equal(typeof titan.created, 'number');
    const stability = { seeds: [2130420379], finish_reasons: [null], images: [PNG] };
    assert.deepEqual(bedrockImages.response(Buffer.from(JSON.stringify(stability)), bedrockTarget({ model: SD35 })).data, [{ b64_json: PNG }]);
  });

  test('a filtered answer has no images; an unreadable one is upstream_bad_response', () => {
    const target = bedrockTarget({ model: SD35 });
    assert.deepEqual(bedrockImages.response(Buffer.from(JSON.stringify({ finish_reasons: ['Filter reason: prompt'] })), target).data, []);
    for (const body of ['nope', '[]', '{"images":[1]}', '{"images":"x"}']) {
      assert.throws(() => bedrockImages.response(Buffer.from(body), target), (error: unknown) => error instanceof GatewayError && error.code === 'upstream_bad_response', body);
    }
  });
});
