/**
 * The `anthropic` provider: Anthropic's Messages API (https://docs.anthropic.com/en/api/messages).
 *
 * - OpenAI-format clients: a plain text chat body is written from the client's bytes
 *   (plain-body.ts), any other from the canonical request (request.ts); a plain answer is written
 *   as the client's chat.completion from its bytes (plain-answer.ts), any other read back
 *   (response.ts, stream.ts); error answers are read by errors.ts.
 * - Anthropic-format clients (`/v1/messages`, `/v1/messages/count_tokens`) pass through: only the
 *   path and headers are given here. The client's own `anthropic-version` and `anthropic-beta`
 *   headers are not seen by the adapter: the deployment's are sent (extra_headers to set them).
 * - Requests go to `<api_base>/v1/messages`; an api_base written with or without its `/v1` works.
 * - Headers: `x-api-key`, `anthropic-version: 2023-06-01` and the JSON content type, then the
 *   deployment's extra_headers, which replace a header of the same name (a newer
 *   anthropic-version, an anthropic-beta). Path and headers are made once per deployment
 *   (../http.ts, which refuses CR and LF in header values).
 */
import type { ModelDeployment } from '../../config/types.js';
import { readPlainChat } from '../../frontdoor/openai/plain-chat.js';
import { apiBasePath, headerBlock, JSON_CONTENT_TYPE, jsonBody, keyHeader, perDeployment } from '../http.js';
import type { ProviderAdapter, UpstreamRequest, UpstreamTarget } from '../types.js';
import { anthropicErrorInfo } from './errors.js';
import { plainCompletion } from './plain-answer.js';
import { anthropicBodyFromPlain } from './plain-body.js';
import { ANTHROPIC_VERSION, anthropicMessagesBody } from './request.js';
import { chatCompletionFromBody } from './response.js';
import { anthropicChunkDecoder } from './stream.js';

const MESSAGES_PATH = '/v1/messages';
const COUNT_TOKENS_PATH = '/v1/messages/count_tokens';
const MESSAGES_BODY = { includeModel: true } as const;

/** The path on the deployment's origin: api_base's own path (its `/v1`, if written, dropped) + `route`. */
export function anthropicPath(apiBase: string, route: string): string {
  return apiBasePath(apiBase).replace(/\/v1$/, '') + route;
}

/** Header lines (each ending in CRLF) for a call to the Anthropic API. */
export function anthropicHeaderBlock(deployment: ModelDeployment): string {
  const headers = new Map<string, string>([JSON_CONTENT_TYPE, ['anthropic-version', ANTHROPIC_VERSION]]);
  const key = keyHeader(deployment, 'x-api-key');
  if (key !== null) headers.set(...key);
  for (const [name, value] of Object.entries(deployment.extraHeaders)) headers.set(name.toLowerCase(), value);
  return headerBlock(headers, `anthropic deployment ${deployment.id}`);
}

/** Path and headers depend on the deployment only: made once per deployment (config generation). */
const endpointOf = perDeployment((deployment) => ({
  messagesPath: anthropicPath(deployment.apiBase, MESSAGES_PATH),
  countTokensPath: anthropicPath(deployment.apiBase, COUNT_TOKENS_PATH),
  headerBlock: anthropicHeaderBlock(deployment),
}));

function chatRequest(req: Parameters<typeof anthropicMessagesBody>[0], target: UpstreamTarget): UpstreamRequest {
  const body = anthropicMessagesBody(req, target, { includeModel: true });
  const endpoint = endpointOf(target.deployment);
  return { path: endpoint.messagesPath, headerBlock: endpoint.headerBlock, body: jsonBody(body) };
}

/** A plain text chat body written from the client's bytes (plain-body.ts); null for any other. */
function chatRequestFromBody(clientBody: Buffer, target: UpstreamTarget): UpstreamRequest | null {
  const plain = readPlainChat(clientBody);
  const body = plain === null ? null : anthropicBodyFromPlain(clientBody, plain, target, MESSAGES_BODY);
  if (body === null) return null;
  const endpoint = endpointOf(target.deployment);
  return { path: endpoint.messagesPath, headerBlock: endpoint.headerBlock, body };
}

export const adapter: ProviderAdapter = Object.freeze({
  prefix: 'anthropic',
  aliases: Object.freeze([]),
  wire: 'anthropic',
  defaultApiBase: 'https://api.anthropic.com',
  apiBaseSuffix: '',
  apiBaseEnv: Object.freeze(['ANTHROPIC_API_BASE', 'ANTHROPIC_BASE_URL']),
  apiKeyEnv: Object.freeze(['ANTHROPIC_API_KEY']),
  keyRequired: true,
  authHeader: 'x-api-key',
  authScheme: '',
  wellKnownModels: Object.freeze(['claude-opus-4-5', 'claude-sonnet-4-5', 'claude-haiku-4-5', 'claude-opus-4-1']),
  passthrough(upstreamPath: string, target: UpstreamTarget) {
    const endpoint = endpointOf(target.deployment);
    return { path: upstreamPath.endsWith('/count_tokens') ? endpoint.countTokensPath : endpoint.messagesPath, headerBlock: endpoint.headerBlock };
  },
  chat: Object.freeze({
    request: chatRequest,
    requestFromBody: chatRequestFromBody,
    response: chatCompletionFromBody,
    completionFromBody: plainCompletion,
    stream: anthropicChunkDecoder,
  }),
  embeddings: null,
  errorInfo: anthropicErrorInfo,
});
