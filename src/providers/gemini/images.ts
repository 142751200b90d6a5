/**
 * Image generation (`/v1/images/generations`) on Google's models, for the gemini adapter and,
 * with Vertex AI's paths and auth, the vertex_ai adapter:
 *
 * - Imagen (`imagen-*`, and Vertex AI's older `imagegeneration@*`): the model's `:predict` method
 *   with `{instances: [{prompt}], parameters: {sampleCount, aspectRatio, outputOptions}}`, answered
 *   with `{predictions: [{bytesBase64Encoded, mimeType, prompt?}]}` (`prompt`: the rewritten prompt,
 *   given back as revised_prompt).
 * - Any other model (Gemini's image models, e.g. gemini-2.5-flash-image): `:generateContent` with
 *   the prompt as the user turn and `generationConfig.responseModalities: ["IMAGE"]`; the answer's
 *   inlineData image parts are the images (thought parts, a thinking model's drafts, are not).
 *
 * OpenAI parameters: `n` → sampleCount (Gemini: candidateCount when above 1), since Imagen makes
 * 4 images unless told; `size` → the aspect ratio (aspectRatioOf); `output_format` png/jpeg →
 * Imagen's outputOptions.mimeType. `response_format: "url"` cannot be honoured: Google answers
 * with the image bytes and the gateway hosts no images, so it is refused unless drop_params (the
 * answer is then b64_json). `user` only names the caller and is not sent. Other OpenAI parameters
 * (quality, style, background…) are refused unless drop_params or left at their default.
 * The model's own parameters, written in the request under Google's names (IMAGEN_PARAMETERS,
 * GEMINI_IMAGE_CONFIG), are sent as written — LiteLLM passes provider parameters on the same way.
 *
 * An image Google filtered out (a prediction with only raiFilteredReason, a candidate without an
 * image part) is left out; an answer with none is an empty `data` list, as LiteLLM answers it.
 * Images are priced per image, not per token: the answer carries no usage and the gateway records
 * none for the call.
 *
 * The OpenAI-side checks (imageCount, refuseUnsupportedImageParams, aspectRatioOf, imagesAnswer)
 * do not depend on Google and are shared with the bedrock adapter's image generation.
 */
import { GatewayError } from '../../errors.js';
import { parseJsonObject } from '../answer.js';
import { jsonBody } from '../http.js';
import { refuse } from '../params.js';
import type { ImagesTranslation, OpenAIImageRequest, OpenAIImageResponse, UpstreamRequest, UpstreamTarget } from '../types.js';
import { apiKeyHeaderBlock, underApiBase } from './http.js';
import { geminiApiPath } from './request.js';
import { parseAnswer } from './response.js';

// ---- OpenAI's side, shared by the translated providers ----

/**
 * OpenAI image parameters a translated provider does not take as such, each with the test for a
 * value that changes nothing (accepted, not sent). `n`, `size` and `user` are not here: every
 * provider takes the first two and `user` is never sent.
 */
const OPENAI_IMAGE_PARAMS: ReadonlyMap<string, (value: unknown) => boolean> = new Map<string, (value: unknown) => boolean>([
  ['response_format', (v) => v === 'b64_json'],
  ['quality', (v) => v === 'auto'],
  ['style', () => false],
  ['background', (v) => v === 'auto'],
  ['moderation', (v) => v === 'auto'],
  ['output_format', () => false],
  ['output_compression', () => false],
  ['partial_images', (v) => v === 0],
  ['stream', (v) => v === false],
]);

const URL_REFUSAL = 'the provider answers with the image data and the gateway hosts no images: ask for b64_json';

/**
 * Refuses (unless drop_params) each OpenAI image parameter the provider cannot take; `mapped`
 * names those the caller translates itself.
 */
export function refuseUnsupportedImageParams(req: OpenAIImageRequest, target: UpstreamTarget, providerName: string, mapped: ReadonlySet<string> = new Set()): void {
  for (const [key, value] of Object.entries(req)) {
    const harmless = OPENAI_IMAGE_PARAMS.get(key);
    if (harmless === undefined || mapped.has(key) || value === null || value === undefined || harmless(value)) continue;
    refuse(key, target, providerName, key === 'response_format' && value === 'url' ? URL_REFUSAL : '');
  }
}

/** How many images the request asks for: `n`, 1 when absent (OpenAI's default). */
export function imageCount(req: OpenAIImageRequest): number {
  const n = req.n;
  if (n === null || n === undefined) return 1;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new GatewayError('invalid_body', 'n must be a positive integer', { param: 'n' });
  return n;
}

/**
 * OpenAI's and Imagen's fixed sizes whose aspect ratio is a near one (1792x1024 is 7:4, drawn
 * 16:9 by every provider that takes DALL·E 3's sizes; 1280x896 and 1408x768 are Imagen's own
 * 4:3 and 16:9 outputs).
 */
const NEAR_RATIOS: ReadonlyMap<string, string> = new Map([
  ['1792x1024', '16:9'],
  ['1024x1792', '9:16'],
  ['1408x768', '16:9'],
  ['768x1408', '9:16'],
  ['1280x896', '4:3'],
  ['896x1280', '3:4'],
]);

/** The ratios Imagen draws. */
export const IMAGEN_RATIOS: ReadonlySet<string> = new Set(['1:1', '3:4', '4:3', '9:16', '16:9']);
/** The ratios Gemini's image models draw. */
export const GEMINI_IMAGE_RATIOS: ReadonlySet<string> = new Set(['1:1', '2:3', '3:2', '3:4', '4:3', '4:5', '5:4', '9:16', '16:9', '21:9']);

/**
 * `size` (`WIDTHxHEIGHT`) as one of the provider's `supported` aspect ratios: a near ratio from
 * the table, else the exact ratio in lowest terms (1536x1024 → 3:2). Null when the request leaves
 * the choice to the provider (no size, `auto`), or when the size has no supported ratio and
 * drop_params is set; else unsupported_param.
 */
export function aspectRatioOf(req: OpenAIImageRequest, supported: ReadonlySet<string>, target: UpstreamTarget, providerName: string): string | null {
  const size = req.size;
  if (size === null || size === undefined || size === 'auto') return null;
  const ratio = typeof size === 'string' ? (NEAR_RATIOS.get(size) ?? exactRatio(size)) : null;
  if (ratio !== null && supported.has(ratio)) return ratio;
  refuse('size', target, providerName, `${JSON.stringify(size)} is none of the aspect ratios it draws: ${[...supported].join(', ')}`);
  return null;
}

function exactRatio(size: string): string | null {
  const match = /^(\d+)x(\d+)$/.exec(size);
  if (match === null) return null;
  const width = Number(match[1]);
  const height = Number(match[2]);
  if (width === 0 || height === 0) return null;
  const divisor = gcd(width, height);
  return `${width / divisor}:${height / divisor}`;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

export type ImageData = OpenAIImageResponse['data'][number];

/** The OpenAI answer for these images. */
export function imagesAnswer(data: ImageData[]): OpenAIImageResponse {
  return { created: Math.floor(Date.now() / 1000), data };
}

/** The request's own keys among `names`, as written (null and undefined left out). */
export function writtenExtras(req: OpenAIImageRequest, names: readonly string[]): Record<string, unknown> {
  const extras: Record<string, unknown> = {};
  for (const name of names) {
    if (req[name] !== null && req[name] !== undefined) extras[name] = req[name];
  }
  return extras;
}

// ---- Google's side ----

/** Imagen's parameters a request may write under their own names; they go into `parameters` as written. */
const IMAGEN_PARAMETERS = [
  'aspectRatio', 'negativePrompt', 'seed', 'enhancePrompt', 'personGeneration', 'safetySetting',
  'addWatermark', 'includeRaiReason', 'language', 'sampleImageSize', 'outputOptions',
] as const;

/** Gemini's imageConfig fields a request may write; they go into generationConfig.imageConfig as written. */
const GEMINI_IMAGE_CONFIG = ['aspectRatio', 'imageSize'] as const;

const OUTPUT_MIME_TYPES: ReadonlyMap<unknown, string> = new Map([
  ['png', 'image/png'],
  ['jpeg', 'image/jpeg'],
]);

/** Imagen models answer `:predict`; every other Google model is asked through generateContent. */
export function isImagenModel(model: string): boolean {
  return /^(imagen|imagegeneration)/i.test(model);
}

/** The method (`:predict` or `:generateContent`) and body for the target's model. */
export function googleImageCall(req: OpenAIImageRequest, target: UpstreamTarget, providerName: string): { method: string; body: unknown } {
  return isImagenModel(target.upstreamModel)
    ? { method: ':predict', body: imagenBody(req, target, providerName) }
    : { method: ':generateContent', body: geminiImageBody(req, target, providerName) };
}

function imagenBody(req: OpenAIImageRequest, target: UpstreamTarget, providerName: string): unknown {
  refuseUnsupportedImageParams(req, target, providerName, new Set(['output_format']));
  const parameters: Record<string, unknown> = { sampleCount: imageCount(req) };
  const aspectRatio = aspectRatioOf(req, IMAGEN_RATIOS, target, providerName);
  if (aspectRatio !== null) parameters.aspectRatio = aspectRatio;
  const mimeType = outputMimeType(req, target, providerName);
  if (mimeType !== null) parameters.outputOptions = { mimeType };
  return { instances: [{ prompt: req.prompt }], parameters: { ...parameters, ...writtenExtras(req, IMAGEN_PARAMETERS) } };
}

/** output_format as Imagen's MIME type; null when not asked for (or dropped). */
function outputMimeType(req: OpenAIImageRequest, target: UpstreamTarget, providerName: string): string | null {
  const format = req.output_format;
  if (format === null || format === undefined) return null;
  const mimeType = OUTPUT_MIME_TYPES.get(format);
  if (mimeType !== undefined) return mimeType;
  refuse('output_format', target, providerName, 'Imagen writes png or jpeg');
  return null;
}

function geminiImageBody(req: OpenAIImageRequest, target: UpstreamTarget, providerName: string): unknown {
  refuseUnsupportedImageParams(req, target, providerName);
  const generationConfig: Record<string, unknown> = { responseModalities: ['IMAGE'] };
  const count = imageCount(req);
  if (count > 1) generationConfig.candidateCount = count;
  const imageConfig: Record<string, unknown> = {};
  const aspectRatio = aspectRatioOf(req, GEMINI_IMAGE_RATIOS, target, providerName);
  if (aspectRatio !== null) imageConfig.aspectRatio = aspectRatio;
  Object.assign(imageConfig, writtenExtras(req, GEMINI_IMAGE_CONFIG));
  if (Object.keys(imageConfig).length > 0) generationConfig.imageConfig = imageConfig;
  return { contents: [{ role: 'user', parts: [{ text: req.prompt }] }], generationConfig };
}

/** A `:predict` or generateContent answer (as `model` gets) as OpenAI's image answer. */
export function googleImageResponse(body: Buffer, model: string, providerName: string): OpenAIImageResponse {
  return isImagenModel(model) ? imagenResponse(body, providerName) : geminiImageResponse(body);
}

interface ImagenPrediction {
  bytesBase64Encoded?: unknown;
  prompt?: unknown;
}

function imagenResponse(body: Buffer, providerName: string): OpenAIImageResponse {
  const predictions = parseJsonObject(body, providerName).predictions ?? [];
  if (!Array.isArray(predictions)) throw new GatewayError('upstream_bad_response', `${providerName}'s Imagen answer has predictions that are not a list`);
  const data: ImageData[] = [];
  for (const prediction of predictions as (ImagenPrediction | null)[]) {
    // A prediction without image bytes is one the safety filter took out (raiFilteredReason).
    if (typeof prediction?.bytesBase64Encoded !== 'string') continue;
    const image: ImageData = { b64_json: prediction.bytesBase64Encoded };
    if (typeof prediction.prompt === 'string' && prediction.prompt !== '') image.revised_prompt = prediction.prompt;
    data.push(image);
  }
  return imagesAnswer(data);
}

/** A response part as Google writes it (camelCase), or as some proxies echo it (snake_case). */
interface AnswerPart {
  thought?: unknown;
  inlineData?: { mimeType?: unknown; data?: unknown };
  inline_data?: { mime_type?: unknown; data?: unknown };
}

function geminiImageResponse(body: Buffer): OpenAIImageResponse {
  const data: ImageData[] = [];
  for (const candidate of parseAnswer(body).candidates ?? []) {
    const parts = (candidate?.content?.parts ?? []) as AnswerPart[];
    if (!Array.isArray(parts)) throw new GatewayError('upstream_bad_response', "Gemini's answer has parts that are not a list");
    for (const part of parts) {
      const image = imageOf(part);
      if (image !== null) data.push({ b64_json: image });
    }
  }
  return imagesAnswer(data);
}

/** The base64 data of an image part that is part of the answer; null for any other part. */
function imageOf(part: AnswerPart | null): string | null {
  if (part === null || typeof part !== 'object' || part.thought === true) return null;
  const mimeType = part.inlineData?.mimeType ?? part.inline_data?.mime_type;
  const data = part.inlineData?.data ?? part.inline_data?.data;
  return typeof mimeType === 'string' && mimeType.startsWith('image/') && typeof data === 'string' ? data : null;
}

// ---- the Gemini API ----

function geminiImageRequest(req: OpenAIImageRequest, target: UpstreamTarget): UpstreamRequest {
  const call = googleImageCall(req, target, 'gemini');
  return {
    path: underApiBase(target, geminiApiPath(target.upstreamModel, call.method)),
    headerBlock: apiKeyHeaderBlock(target.deployment),
    body: jsonBody(call.body),
  };
}

export const geminiImages: ImagesTranslation = {
  request: geminiImageRequest,
  response: (body, target) => googleImageResponse(body, target.upstreamModel, 'Gemini'),
};
