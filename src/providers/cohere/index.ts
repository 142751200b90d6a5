/**
 * The `cohere` adapter (alias `cohere_chat`): Cohere's v2 API, chat (`/v2/chat`, request.ts,
 * response.ts, stream.ts) and embeddings (`/v2/embed`, embeddings.ts), bearer key from
 * COHERE_API_KEY or CO_API_KEY.
 */
import type { ProviderAdapter, UpstreamTarget } from '../types.js';
import { cohereEmbeddings } from './embeddings.js';
import { cohereErrorInfo } from './errors.js';
import { cohereChatRequest } from './request.js';
import { cohereChatResponse } from './response.js';
import { CohereChunkDecoder } from './stream.js';

export const adapter: ProviderAdapter = Object.freeze({
  prefix: 'cohere',
  aliases: Object.freeze(['cohere_chat']),
  wire: 'other',
  defaultApiBase: 'https://api.cohere.com',
  apiBaseSuffix: '',
  apiBaseEnv: Object.freeze(['COHERE_API_BASE']),
  apiKeyEnv: Object.freeze(['COHERE_API_KEY', 'CO_API_KEY']),
  keyRequired: true,
  authHeader: 'authorization',
  authScheme: 'Bearer ',
  wellKnownModels: Object.freeze(['command-a-03-2025', 'command-r-plus-08-2024', 'command-r-08-2024', 'embed-v4.0']),
  chat: Object.freeze({
    request: cohereChatRequest,
    response: cohereChatResponse,
    stream: (target: UpstreamTarget) => new CohereChunkDecoder(target),
  }),
  embeddings: cohereEmbeddings,
  errorInfo: cohereErrorInfo,
});
