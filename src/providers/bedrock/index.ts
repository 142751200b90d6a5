/**
 * The Amazon Bedrock adapter (prefix `bedrock`, alias `bedrock_converse`): chat through the
 * Converse and ConverseStream APIs, embeddings through InvokeModel (Titan, Cohere), every request
 * signed with SigV4 or carrying a Bedrock API key.
 *
 * api_base: as written, else `aws_bedrock_runtime_endpoint`, else the region's runtime endpoint
 * (endpoint.ts). No key is required: the credential is the AWS keys of litellm_params or the
 * environment; `api_key` (or AWS_BEARER_TOKEN_BEDROCK) is a Bedrock API key.
 */
import type { ProviderAdapter } from '../types.js';
import { converseRequest } from './chat-request.js';
import { converseResponse } from './chat-response.js';
import { ConverseStreamDecoder } from './chat-stream.js';
import { embeddingRequest, embeddingResponse } from './embeddings.js';
import { apiBaseFor, BEARER_TOKEN_ENV } from './endpoint.js';
import { bedrockErrorInfo } from './error-info.js';
import { bedrockImages } from './image-generation.js';

export const adapter: ProviderAdapter = {
  prefix: 'bedrock',
  aliases: ['bedrock_converse'],
  wire: 'other',
  defaultApiBase: null,
  apiBaseSuffix: '',
  apiBaseEnv: [],
  apiKeyEnv: [BEARER_TOKEN_ENV],
  keyRequired: false,
  authHeader: 'authorization',
  authScheme: 'Bearer ',
  wellKnownModels: [],
  apiBaseFor,
  chat: {
    request: converseRequest,
    response: converseResponse,
    stream: (target) => new ConverseStreamDecoder(target),
  },
  embeddings: {
    request: embeddingRequest,
    response: embeddingResponse,
  },
  images: bedrockImages,
  errorInfo: bedrockErrorInfo,
};
