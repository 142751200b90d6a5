/**
 * Canonical embeddings as Cohere v2 embed calls (`POST /v2/embed`) and back.
 *
 * Request: input (a string or a list of strings) → texts; embedding_types ["float"];
 * dimensions → output_dimension; input_type from the request when the client sends Cohere's
 * parameter, else `search_document` (LiteLLM's default); `truncate` passes through when sent.
 * Token arrays cannot be embedded by Cohere and are refused. encoding_format is not sent: Cohere
 * answers floats, and the canonical response carries floats.
 * Response: embeddings.float → data; usage from meta.billed_units.input_tokens.
 */
import { GatewayError } from '../../errors.js';
import type { EmbeddingsTranslation, OpenAIEmbeddingRequest, OpenAIEmbeddingResponse, UpstreamRequest, UpstreamTarget } from '../types.js';
import { coherePath, cohereHeaders } from './http.js';
import { isObject } from './response.js';

/** LiteLLM's COHERE_DEFAULT_EMBEDDING_INPUT_TYPE. */
export const DEFAULT_INPUT_TYPE = 'search_document';

function embedRequest(req: OpenAIEmbeddingRequest, target: UpstreamTarget): UpstreamRequest {
  const body: Record<string, unknown> = {
    model: target.upstreamModel,
    texts: textsOf(req.input),
    input_type: typeof req.input_type === 'string' && req.input_type !== '' ? req.input_type : DEFAULT_INPUT_TYPE,
    embedding_types: ['float'],
  };
  if (req.dimensions !== undefined && req.dimensions !== null) body.output_dimension = req.dimensions;
  if (typeof req.truncate === 'string') body.truncate = req.truncate;
  return { path: coherePath(target.deployment.apiBase, 'embed'), headerBlock: cohereHeaders(target.deployment), body: Buffer.from(JSON.stringify(body)) };
}

function textsOf(input: OpenAIEmbeddingRequest['input']): string[] {
  if (typeof input === 'string') return [input];
  if (Array.isArray(input) && input.every((item) => typeof item === 'string')) return input as string[];
  if (Array.isArray(input)) {
    throw new GatewayError('unsupported_param', 'Cohere embeds text only: input must be a string or a list of strings, not token ids', { param: 'input' });
  }
  throw new GatewayError('invalid_body', 'input must be a string or a list of strings', { param: 'input' });
}

function embedResponse(body: Buffer, target: UpstreamTarget): OpenAIEmbeddingResponse {
  let answer: unknown;
  try {
    answer = JSON.parse(body.toString('utf8'));
  } catch {
    throw new GatewayError('upstream_bad_response', 'Cohere answered the embed call with a body that is not JSON');
  }
  const vectors = isObject(answer) && isObject(answer.embeddings) ? answer.embeddings.float : undefined;
  if (!Array.isArray(vectors) || !vectors.every(Array.isArray)) {
    throw new GatewayError('upstream_bad_response', 'Cohere answered the embed call without embeddings.float');
  }
  const meta = isObject(answer) && isObject(answer.meta) ? answer.meta : {};
  const billed = isObject(meta.billed_units) ? meta.billed_units.input_tokens : undefined;
  const counted = isObject(meta.tokens) ? meta.tokens.input_tokens : undefined;
  const tokens = typeof billed === 'number' ? billed : typeof counted === 'number' ? counted : 0;
  return {
    object: 'list',
    data: (vectors as number[][]).map((embedding, index) => ({ object: 'embedding', index, embedding })),
    model: target.upstreamModel,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

export const cohereEmbeddings: EmbeddingsTranslation = { request: embedRequest, response: embedResponse };
