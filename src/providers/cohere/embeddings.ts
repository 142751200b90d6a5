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
import { answerObject, embeddingList } from '../answer.js';
import { jsonBody } from '../http.js';
import { setIfGiven, textInput } from '../request-fields.js';
import type { EmbeddingsTranslation, OpenAIEmbeddingRequest, OpenAIEmbeddingResponse, UpstreamRequest, UpstreamTarget } from '../types.js';
import { cohereEndpoint } from './http.js';
import { isObject } from './response.js';

/** LiteLLM's COHERE_DEFAULT_EMBEDDING_INPUT_TYPE. */
export const DEFAULT_INPUT_TYPE = 'search_document';

function embedRequest(req: OpenAIEmbeddingRequest, target: UpstreamTarget): UpstreamRequest {
  const body: Record<string, unknown> = {
    model: target.upstreamModel,
    texts: texts(req.input),
    input_type: typeof req.input_type === 'string' && req.input_type !== '' ? req.input_type : DEFAULT_INPUT_TYPE,
    embedding_types: ['float'],
  };
  setIfGiven(body, 'output_dimension', req.dimensions);
  if (typeof req.truncate === 'string') body.truncate = req.truncate;
  const endpoint = cohereEndpoint(target.deployment);
  return { path: endpoint.embedPath, headerBlock: endpoint.headerBlock, body: jsonBody(body) };
}

function texts(input: OpenAIEmbeddingRequest['input']): string[] {
  const text = textInput(input, 'Cohere');
  return typeof text === 'string' ? [text] : text;
}

function embedResponse(body: Buffer, target: UpstreamTarget): OpenAIEmbeddingResponse {
  const withoutEmbeddings = 'Cohere answered the embed call without embeddings.float';
  const answer = answerObject(body, 'Cohere answered the embed call with a body that is not JSON', withoutEmbeddings);
  const vectors = isObject(answer.embeddings) ? answer.embeddings.float : undefined;
  if (!Array.isArray(vectors) || !vectors.every(Array.isArray)) throw new GatewayError('upstream_bad_response', withoutEmbeddings);
  const meta = isObject(answer.meta) ? answer.meta : {};
  const billed = isObject(meta.billed_units) ? meta.billed_units.input_tokens : undefined;
  const counted = isObject(meta.tokens) ? meta.tokens.input_tokens : undefined;
  const tokens = typeof billed === 'number' ? billed : typeof counted === 'number' ? counted : 0;
  return embeddingList(vectors as number[][], target.upstreamModel, tokens);
}

export const cohereEmbeddings: EmbeddingsTranslation = { request: embedRequest, response: embedResponse };
