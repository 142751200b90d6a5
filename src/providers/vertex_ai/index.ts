/**
 * The `vertex_ai` provider (alias `vertex_ai_beta`): models on Google Cloud's Vertex AI
 * (https://cloud.google.com/vertex-ai/generative-ai/docs/reference/rest).
 *
 * - Google's models (Gemini): the Gemini API's body and answers (src/providers/gemini/) at
 *   `/v1/projects/{project}/locations/{location}/publishers/google/models/{model}:generateContent`
 *   (`:streamGenerateContent?alt=sse` streamed); embeddings through `:predict`.
 * - Anthropic's models (a name starting with `claude`): the Anthropic Messages body without
 *   `model` and with `"anthropic_version": "vertex-2023-10-16"` (src/providers/anthropic/) at
 *   `…/publishers/anthropic/models/{model}:rawPredict` (`:streamRawPredict` streamed), answered
 *   in Anthropic's format.
 * - Every call carries `Authorization: Bearer <access token>` from the deployment's Google
 *   credential (auth.ts); the host follows the location (location.ts).
 *
 * The request body is made before the token is fetched, so a request the provider cannot take
 * is refused without a token exchange.
 */
import { anthropicMessagesBody } from '../anthropic/request.js';
import { chatCompletionFromBody } from '../anthropic/response.js';
import { anthropicChunkDecoder } from '../anthropic/stream.js';
import { googleErrorInfo, rawErrorInfo } from '../gemini/errors.js';
import { underApiBase } from '../gemini/http.js';
import { geminiChatBody, generateMethod } from '../gemini/request.js';
import { geminiCompletion } from '../gemini/response.js';
import { GeminiChunkDecoder } from '../gemini/stream.js';
import { jsonBody, jsonHeaderBlock } from '../http.js';
import type { OpenAIChatRequest, OpenAIEmbeddingRequest, ProviderAdapter, UpstreamRequest, UpstreamTarget } from '../types.js';
import { vertexAuthFor } from './auth.js';
import { predictBody, predictResponse } from './embeddings.js';
import { vertexImages } from './images.js';
import { publisherModelPath, vertexApiBase, vertexLocation, vertexProject } from './location.js';

/** `anthropic_version` Anthropic's models on Vertex AI take in the body. */
export const VERTEX_ANTHROPIC_VERSION = 'vertex-2023-10-16';

function isAnthropicModel(model: string): boolean {
  return model.toLowerCase().startsWith('claude');
}

async function chatRequest(req: OpenAIChatRequest, target: UpstreamTarget): Promise<UpstreamRequest> {
  if (isAnthropicModel(target.upstreamModel)) {
    const body = anthropicMessagesBody(req, target, { includeModel: false, anthropicVersion: VERTEX_ANTHROPIC_VERSION });
    return authorizedRequest(target, 'anthropic', target.stream ? ':streamRawPredict' : ':rawPredict', body);
  }
  return authorizedRequest(target, 'google', generateMethod(target.stream), geminiChatBody(req, target, 'vertex_ai'));
}

function embeddingRequest(req: OpenAIEmbeddingRequest, target: UpstreamTarget): Promise<UpstreamRequest> {
  return authorizedRequest(target, 'google', ':predict', predictBody(req));
}

/** The request for a publisher model's method, with the deployment's access token. */
async function authorizedRequest(target: UpstreamTarget, publisher: 'google' | 'anthropic', method: string, body: unknown): Promise<UpstreamRequest> {
  const params = target.deployment.litellmParams;
  const env = process.env;
  const auth = vertexAuthFor(target.deployment, env);
  const [token, project] = await Promise.all([auth.accessToken(), vertexProject(params, env, auth)]);
  const path = publisherModelPath(project, vertexLocation(params, env), publisher, target.upstreamModel, method);
  return {
    path: underApiBase(target, path),
    headerBlock: jsonHeaderBlock(target.deployment, ['authorization', `Bearer ${token}`]),
    body: jsonBody(body),
  };
}

export const adapter: ProviderAdapter = Object.freeze<ProviderAdapter>({
  prefix: 'vertex_ai',
  aliases: Object.freeze(['vertex_ai_beta']),
  wire: 'other',
  defaultApiBase: null,
  apiBaseSuffix: '',
  apiBaseEnv: Object.freeze([]),
  apiKeyEnv: Object.freeze([]),
  keyRequired: false,
  authHeader: 'authorization',
  authScheme: 'Bearer ',
  wellKnownModels: Object.freeze(['gemini-2.5-pro', 'gemini-2.5-flash', 'gemini-embedding-001']),
  apiBaseFor: vertexApiBase,
  chat: {
    request: chatRequest,
    response: (body, target) => (isAnthropicModel(target.upstreamModel) ? chatCompletionFromBody(body, target) : geminiCompletion(body, target.upstreamModel)),
    stream: (target) => (isAnthropicModel(target.upstreamModel) ? anthropicChunkDecoder(target) : new GeminiChunkDecoder(target.upstreamModel)),
  },
  embeddings: { request: embeddingRequest, response: predictResponse },
  images: vertexImages((target, method, body) => authorizedRequest(target, 'google', method, body)),
  errorInfo: (status, body) => googleErrorInfo(body) ?? rawErrorInfo(status, body, 'Vertex AI'),
});
