/**
 * The `gemini` provider: Google AI Studio's Gemini API (https://ai.google.dev/api).
 *
 * Chat goes to `POST /v1beta/models/{model}:generateContent` (`:streamGenerateContent?alt=sse`
 * when streamed), embeddings to `:batchEmbedContents`; the deployment's api_key travels in
 * `x-goog-api-key`. The translations live beside this file; Vertex AI's Google models reuse them
 * with other paths and auth (src/providers/vertex_ai/).
 */
import { jsonBody } from '../http.js';
import type { OpenAIChatRequest, ProviderAdapter, UpstreamRequest, UpstreamTarget } from '../types.js';
import { geminiEmbeddings } from './embeddings.js';
import { googleErrorInfo, rawErrorInfo } from './errors.js';
import { geminiImages } from './images.js';
import { API_KEY_HEADER, apiKeyHeaderBlock, underApiBase } from './http.js';
import { geminiApiPath, geminiChatBody, generateMethod } from './request.js';
import { geminiCompletion } from './response.js';
import { GeminiChunkDecoder } from './stream.js';

function chatRequest(req: OpenAIChatRequest, target: UpstreamTarget): UpstreamRequest {
  return {
    path: underApiBase(target, geminiApiPath(target.upstreamModel, generateMethod(target.stream))),
    headerBlock: apiKeyHeaderBlock(target.deployment),
    body: jsonBody(geminiChatBody(req, target, 'gemini')),
  };
}

export const adapter: ProviderAdapter = Object.freeze<ProviderAdapter>({
  prefix: 'gemini',
  aliases: Object.freeze([]),
  wire: 'other',
  defaultApiBase: 'https://generativelanguage.googleapis.com',
  apiBaseSuffix: '',
  apiBaseEnv: Object.freeze(['GEMINI_API_BASE']),
  apiKeyEnv: Object.freeze(['GEMINI_API_KEY', 'GOOGLE_API_KEY']),
  keyRequired: true,
  authHeader: API_KEY_HEADER,
  authScheme: '',
  wellKnownModels: Object.freeze(['gemini-2.5-pro', 'gemini-2.5-flash', 'gemini-2.5-flash-lite', 'gemini-embedding-001']),
  chat: {
    request: chatRequest,
    response: (body, target) => geminiCompletion(body, target.upstreamModel),
    stream: (target) => new GeminiChunkDecoder(target.upstreamModel),
  },
  embeddings: geminiEmbeddings,
  images: geminiImages,
  errorInfo: (status, body) => googleErrorInfo(body) ?? rawErrorInfo(status, body, 'Gemini'),
});
