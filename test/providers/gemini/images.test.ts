/**
 * Image generation on the Gemini API: Imagen models through `:predict` (n as sampleCount, the
 * size as an aspect ratio, output_format as outputOptions, Imagen's own parameters passed on),
 * Gemini image models through generateContent with IMAGE output; what is refused (a size with no
 * aspect ratio, response_format url, quality…) and what drop_params leaves out; the answers as
 * OpenAI's image list, filtered images left out.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../../src/errors.js';
import { geminiImages } from '../../../src/providers/gemini/images.js';
import { adapter } from '../../../src/providers/gemini/index.js';
import type { OpenAIImageRequest, UpstreamRequest } from '../../../src/providers/types.js';
import { googleTarget, type TargetOptions } from './target.js';

const IMAGEN = 'imagen-4.0-generate-001';
const FLASH_IMAGE = 'gemini-2.5-flash-image';
/** A 1×1 PNG. */
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

function call(fields: Partial<OpenAIImageRequest>, options: TargetOptions = {}): UpstreamRequest {
  const req: OpenAIImageRequest = { model: 'm', prompt: 'Robot holding a red skateboard', ...fields };
  return geminiImages.request(req, googleTarget({ upstreamModel: IMAGEN, ...options })) as UpstreamRequest;
}

function bodyOf(fields: Partial<OpenAIImageRequest>, options: TargetOptions = {}): any {
  return JSON.parse(call(fields, options).body.toString('utf8'));
}

const refused = (param: string) => (error: unknown) => error instanceof GatewayError && error.code === 'unsupported_param' && error.param === param;

describe('gemini images: Imagen', () => {
  test('the adapter serves images', () => {
    assert.equal(adapter.images, geminiImages);
  });

  test("`:predict` on the Gemini API with the api key, Google's documented body", () => {
    const upstream = call({ n: 4, size: '1024x1024' });
    assert.equal(upstream.path, '/v1beta/models/imagen-4.0-generate-001:predict');
    assert.equal(upstream.headerBlock, 'content-type: application/json\r\nx-goog-api-key: AIza-test-key\r\n');
    assert.deepEqual(JSON.parse(upstream.body.toString('utf8')), {
      instances: [{ prompt: 'Robot holding a red skateboard' }],
      parameters: { sampleCount: 4, aspectRatio: '1:1' },
    });
  });

  test('one image unless n says otherwise (Imagen would make 4), no aspect ratio unless a size is given', () => {
    assert.deepEqual(bodyOf({}).parameters, { sampleCount: 1 });
    assert.deepEqual(bodyOf({ size: 'auto' }).parameters, { sampleCount: 1 });
  });

  test("sizes: DALL·E 3's and Imagen's own as their ratios, exact ratios in lowest terms", () => {
    assert.equal(bodyOf({ size: '1792x1024' }).parameters.aspectRatio, '16:9');
    assert.equal(bodyOf({ size: '1024x1792' }).parameters.aspectRatio, '9:16');
    assert.equal(bodyOf({ size: '1280x896' }).parameters.aspectRatio, '4:3');
    assert.equal(bodyOf({ size: '896x1280' }).parameters.aspectRatio, '3:4');
    assert.equal(bodyOf({ size: '512x512' }).parameters.aspectRatio, '1:1');
    assert.equal(bodyOf({ size: '1920x1080' }).parameters.aspectRatio, '16:9');
  });

  test('a size Imagen has no ratio for is refused, or left out under drop_params', () => {
    assert.throws(() => call({ size: '1536x1024' }), refused('size'));
    assert.throws(() => call({ size: 'large' }), refused('size'));
    assert.deepEqual(bodyOf({ size: '1536x1024' }, { dropParams: true }).parameters, { sampleCount: 1 });
  });

  test('response_format url is refused (no hosted URL), b64_json taken; drop_params answers b64_json', () => {
    assert.throws(() => call({ response_format: 'url' }), (error: unknown) => refused('response_format')(error) && /b64_json/.test((error as Error).message));
    assert.deepEqual(bodyOf({ response_format: 'b64_json' }).parameters, { sampleCount: 1 });
    assert.deepEqual(bodyOf({ response_format: 'url' }, { dropParams: true }).parameters, { sampleCount: 1 });
  });

  test('other OpenAI parameters: refused unless at their default or dropped; user is not sent', () => {
    assert.throws(() => call({ quality: 'hd' }), refused('quality'));
    assert.throws(() => call({ style: 'vivid' }), refused('style'));
    assert.throws(() => call({ background: 'transparent' }), refused('background'));
    assert.deepEqual(bodyOf({ quality: 'auto', moderation: 'auto', user: 'user-1234' }).parameters, { sampleCount: 1 });
    assert.deepEqual(bodyOf({ quality: 'hd', style: 'vivid' }, { dropParams: true }).parameters, { sampleCount: 1 });
    assert.equal(call({ user: 'user-1234' }).body.toString('utf8').includes('user-1234'), false);
  });

  test('output_format png/jpeg as outputOptions.mimeType; webp refused', () => {
    assert.deepEqual(bodyOf({ output_format: 'jpeg' }).parameters, { sampleCount: 1, outputOptions: { mimeType: 'image/jpeg' } });
    assert.throws(() => call({ output_format: 'webp' }), refused('output_format'));
  });

  test("Imagen's own parameters go into parameters as written; an explicit aspectRatio wins over size", () => {
    assert.deepEqual(bodyOf({ size: '1024x1024', aspectRatio: '4:3', personGeneration: 'allow_adult', negativePrompt: 'blurry', seed: 7, unrelated: 'x' }).parameters, {
      sampleCount: 1,
      aspectRatio: '4:3',
      personGeneration: 'allow_adult',
      negativePrompt: 'blurry',
      seed: 7,
    });
  });

  test('n must be a positive integer', () => {
    for (const n of [0, -1, 1.5, '2']) {
      assert.throws(() => call({ n: n as number }), (error: unknown) => error instanceof GatewayError && error.code === 'invalid_body' && error.param === 'n');
    }
  });

  test("the answer: each prediction's bytes as b64_json, the rewritten prompt as revised_prompt, filtered ones left out", () => {
    const answer = {
      predictions: [
        { mimeType: 'image/png', bytesBase64Encoded: PNG },
        { raiFilteredReason: "Your current safety filter threshold filtered out 1 generated images. You will not be charged for blocked images." },
        { mimeType: 'image/png', bytesBase64Encoded: PNG, prompt: 'A silver robot holding a glossy red skateboard, studio light' },
      ],
    };
    const before = Math.floor(Date.now() / 1000);
    const response = geminiImages.response(Buffer.from(JSON.stringify(answer)), googleTarget({ upstreamModel: IMAGEN }));
    assert.ok(response.created >= before);
    assert.deepEqual(response.data, [{ b64_json: PNG }, { b64_json: PNG, revised_prompt: 'A silver robot holding a glossy red skateboard, studio light' }]);
  });

  test('an answer whose images were all filtered is an empty list; an unreadable one is upstream_bad_response', () => {
    assert.deepEqual(geminiImages.response(Buffer.from('{}'), googleTarget({ upstreamModel: IMAGEN })).data, []);
    const bad = (body: string) => () => geminiImages.response(Buffer.from(body), googleTarget({ upstreamModel: IMAGEN }));
    assert.throws(bad('not json'), (error: unknown) => error instanceof GatewayError && error.code === 'upstream_bad_response');
    assert.throws(bad('{"predictions":{}}'), (error: unknown) => error instanceof GatewayError && error.code === 'upstream_bad_response');
  });
});

describe('gemini images: Gemini image models', () => {
  const flash: TargetOptions = { upstreamModel: FLASH_IMAGE };

  test('generateContent with the prompt as the user turn and IMAGE output', () => {
    const upstream = call({}, flash);
    assert.equal(upstream.path, '/v1beta/models/gemini-2.5-flash-image:generateContent');
    assert.deepEqual(JSON.parse(upstream.body.toString('utf8')), {
      contents: [{ role: 'user', parts: [{ text: 'Robot holding a red skateboard' }] }],
      generationConfig: { responseModalities: ['IMAGE'] },
    });
  });

  test("the size as imageConfig.aspectRatio (Gemini's wider set), n above 1 as candidateCount, imageSize passed on", () => {
    assert.deepEqual(bodyOf({ size: '1536x1024', n: 2, imageSize: '2K' }, flash).generationConfig, {
      responseModalities: ['IMAGE'],
      candidateCount: 2,
      imageConfig: { aspectRatio: '3:2', imageSize: '2K' },
    });
    assert.throws(() => call({ size: '1000x10' }, flash), refused('size'));
    assert.throws(() => call({ output_format: 'png' }, flash), refused('output_format'));
  });

  test('the answer: inline image parts (not text, not thoughts) of every candidate', () => {
    const answer = {
      candidates: [{
        content: {
          role: 'model',
          parts: [
            { text: 'Here is a robot.' },
            { inlineData: { mimeType: 'image/png', data: 'draft' }, thought: true },
            { inlineData: { mimeType: 'image/png', data: PNG } },
          ],
        },
        finishReason: 'STOP',
        index: 0,
      }],
      usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 1290, totalTokenCount: 1299 },
    };
    assert.deepEqual(geminiImages.response(Buffer.from(JSON.stringify(answer)), googleTarget(flash)).data, [{ b64_json: PNG }]);
    const blocked = { promptFeedback: { blockReason: 'SAFETY' } };
    assert.deepEqual(geminiImages.response(Buffer.from(JSON.stringify(blocked)), googleTarget(flash)).data, []);
  });
});
