/**
 * The `ollama_chat` adapter (alias `ollama`): Ollama's native API, as LiteLLM calls it, chat
 * (`/api/chat`, request.ts, response.ts, stream.ts) and embeddings (`/api/embed`, embeddings.ts).
 * api_base is the server root (OLLAMA_API_BASE, default http://localhost:11434); a key is
 * optional (OLLAMA_API_KEY, sent as a bearer token when set).
 */
import type { ProviderAdapter, UpstreamTarget } from '../types.js';
import { ollamaEmbeddings } from './embeddings.js';
import { ollamaErrorInfo } from './errors.js';
import { ollamaChatRequest } from './request.js';
import { ollamaChatResponse } from './response.js';
import { OllamaChunkDecoder } from './stream.js';

export const adapter: ProviderAdapter = Object.freeze({
  prefix: 'ollama_chat',
  aliases: Object.freeze(['ollama']),
  wire: 'other',
  defaultApiBase: 'http://localhost:11434',
  apiBaseSuffix: '',
  apiBaseEnv: Object.freeze(['OLLAMA_API_BASE']),
  apiKeyEnv: Object.freeze(['OLLAMA_API_KEY']),
  keyRequired: false,
  authHeader: 'authorization',
  authScheme: 'Bearer ',
  wellKnownModels: Object.freeze([]),
  chat: Object.freeze({
    request: ollamaChatRequest,
    response: ollamaChatResponse,
    stream: (target: UpstreamTarget) => new OllamaChunkDecoder(target),
  }),
  embeddings: ollamaEmbeddings,
  errorInfo: ollamaErrorInfo,
});
