/**
 * Image generation (`/v1/images/generations`) through InvokeModel (`POST /model/{modelId}/invoke`),
 * signed like every Bedrock call (transport.ts), in each model family's body:
 *
 * - Amazon Titan Image Generator (`amazon.titan-image-generator-v1`, `-v2:0`) and Amazon Nova
 *   Canvas (`amazon.nova-canvas-v1:0`): `{taskType: "TEXT_IMAGE", textToImageParams: {text},
 *   imageGenerationConfig: {numberOfImages, width, height, quality}}` → `{images: [base64…]}`.
 *   `size` gives width and height, `quality` hd/high → premium and standard/medium/low →
 *   standard (LiteLLM's mapping). The request's own `negativeText` goes into textToImageParams,
 *   `cfgScale` and `seed` into imageGenerationConfig.
 * - Stability AI's models (`stability.sd3-5-large-v1:0`, `stability.stable-image-core-v1:1`,
 *   `stability.stable-image-ultra-v1:1`…): `{prompt, aspect_ratio, output_format}` →
 *   `{seeds, finish_reasons, images}`. `size` gives the aspect ratio, `output_format` png/jpeg is
 *   passed on; they draw one image per call, so `n` above 1 is refused unless drop_params. The
 *   request's own `negative_prompt`, `seed` and `aspect_ratio` are sent as written.
 *   Stable Diffusion XL (`stability.stable-diffusion-xl-v1`, another body) is not served.
 *
 * The OpenAI-side checks and refusals are the gemini adapter's (src/providers/gemini/images.ts): `n` counted,
 * `response_format: "url"` refused unless drop_params (Bedrock answers with the image data and
 * the gateway hosts no images), other OpenAI parameters refused unless drop_params or left at
 * their default, `user` not sent. Images are priced per image, so the answer carries no usage.
 *
 * The model is the upstream model name; LiteLLM's `invoke/` route prefix is accepted and dropped,
 * as images only go through InvokeModel.
 */
import { GatewayError } from '../../errors.js';
import { answerObject } from '../answer.js';
import { aspectRatioOf, imageCount, imagesAnswer, refuseUnsupportedImageParams, writtenExtras } from '../gemini/images.js';
import { refuse } from '../params.js';
import type { ImagesTranslation, OpenAIImageRequest, OpenAIImageResponse, UpstreamRequest, UpstreamTarget } from '../types.js';
import { modelIdOf } from './endpoint.js';
import { bedrockRequest } from './transport.js';

type Json = Record<string, unknown>;
type Family = 'amazon' | 'stability';

const PROVIDER = 'bedrock';
/** The ratios Stability's models on Bedrock draw. */
const STABILITY_RATIOS: ReadonlySet<string> = new Set(['16:9', '1:1', '21:9', '2:3', '3:2', '4:5', '5:4', '9:16', '9:21']);
const STABILITY_FORMATS: ReadonlySet<unknown> = new Set(['png', 'jpeg']);
/** OpenAI's quality names as Titan's and Nova Canvas's. */
const AMAZON_QUALITY: ReadonlyMap<unknown, string> = new Map([
  ['hd', 'premium'],
  ['high', 'premium'],
  ['standard', 'standard'],
  ['medium', 'standard'],
  ['low', 'standard'],
]);

async function imageRequest(req: OpenAIImageRequest, target: UpstreamTarget): Promise<UpstreamRequest> {
  const modelId = imageModelId(target.upstreamModel);
  const body = familyOf(modelId) === 'stability' ? stabilityBody(req, target) : amazonBody(req, target);
  return bedrockRequest(target, modelId, 'invoke', Buffer.from(JSON.stringify(body)));
}

function imageModelId(upstreamModel: string): string {
  return modelIdOf(upstreamModel.startsWith('invoke/') ? upstreamModel.slice('invoke/'.length) : upstreamModel);
}

/** The body family of a model id (plain, or a cross-region profile such as `us.amazon.nova-canvas-v1:0`). */
function familyOf(modelId: string): Family {
  if (modelId.includes('amazon.titan-image-generator') || modelId.includes('amazon.nova-canvas')) return 'amazon';
  if (modelId.includes('stability.') && !modelId.includes('stable-diffusion-xl')) return 'stability';
  throw new GatewayError(
    'unsupported_param',
    `Bedrock image generation is served for amazon.titan-image-generator-*, amazon.nova-canvas-* and Stability AI's stability.sd3*/stable-image-* models, not ${modelId}.`,
    { param: 'model' },
  );
}

function amazonBody(req: OpenAIImageRequest, target: UpstreamTarget): Json {
  refuseUnsupportedImageParams(req, target, PROVIDER, new Set(['quality']));
  const config: Json = { numberOfImages: imageCount(req), ...dimensionsOf(req, target) };
  const quality = amazonQuality(req, target);
  if (quality !== null) config.quality = quality;
  return {
    taskType: 'TEXT_IMAGE',
    textToImageParams: { text: req.prompt, ...writtenExtras(req, ['negativeText']) },
    imageGenerationConfig: { ...config, ...writtenExtras(req, ['cfgScale', 'seed']) },
  };
}

/** `size` (`WIDTHxHEIGHT`) as width and height; none for no size or `auto`. */
function dimensionsOf(req: OpenAIImageRequest, target: UpstreamTarget): { width?: number; height?: number } {
  const size = req.size;
  if (size === null || size === undefined || size === 'auto') return {};
  const match = typeof size === 'string' ? /^(\d+)x(\d+)$/.exec(size) : null;
  if (match !== null) return { width: Number(match[1]), height: Number(match[2]) };
  refuse('size', target, PROVIDER, `${JSON.stringify(size)} is not WIDTHxHEIGHT`);
  return {};
}

function amazonQuality(req: OpenAIImageRequest, target: UpstreamTarget): string | null {
  const quality = req.quality;
  if (quality === null || quality === undefined || quality === 'auto') return null;
  const mapped = AMAZON_QUALITY.get(quality);
  if (mapped !== undefined) return mapped;
  refuse('quality', target, PROVIDER, 'Titan and Nova Canvas draw standard or premium (hd)');
  return null;
}

function stabilityBody(req: OpenAIImageRequest, target: UpstreamTarget): Json {
  refuseUnsupportedImageParams(req, target, PROVIDER, new Set(['output_format']));
  if (imageCount(req) > 1) refuse('n', target, PROVIDER, "Stability AI's models draw one image per call");
  const body: Json = { prompt: req.prompt };
  const ratio = aspectRatioOf(req, STABILITY_RATIOS, target, PROVIDER);
  if (ratio !== null) body.aspect_ratio = ratio;
  const format = req.output_format;
  if (STABILITY_FORMATS.has(format)) body.output_format = format;
  else if (format !== null && format !== undefined) refuse('output_format', target, PROVIDER, 'Stability AI on Bedrock writes png or jpeg');
  return { ...body, ...writtenExtras(req, ['negative_prompt', 'seed', 'aspect_ratio']) };
}

/** `{images: [base64…]}`, the answer of every family; an answer whose images were all filtered has none. */
function imageResponse(body: Buffer): OpenAIImageResponse {
  const answer = answerObject(body, 'The Bedrock image answer is not JSON.', 'The Bedrock image answer is not a JSON object.') as Json;
  const images = answer.images ?? [];
  if (!Array.isArray(images) || !images.every((image) => typeof image === 'string')) {
    throw new GatewayError('upstream_bad_response', 'The Bedrock image answer has images that are not a list of base64 strings.');
  }
  return imagesAnswer((images as string[]).map((b64_json) => ({ b64_json })));
}

export const bedrockImages: ImagesTranslation = {
  request: imageRequest,
  response: imageResponse,
};
