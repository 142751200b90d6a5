/**
 * Canonical embeddings as Ollama native embed calls (`POST /api/embed`) and back.
 *
 * Request: input (a string or a list of strings) as it is; dimensions; Ollama's own `truncate`
 * and `keep_alive` pass through when the client sends them (Ollama truncates by default). Token
 * arrays cannot be embedded by Ollama and are refused. encoding_format is not sent: Ollama
 * answers floats, and the canonical response carries floats.
 * Response: embeddings → data; usage from prompt_eval_count.
 */
import { GatewayError } from '../../errors.js';
import { embeddingList } from '../answer.js';
import { jsonBody } from '../http.js';
import { setIfGiven, textInput } from '../request-fields.js';
import type { EmbeddingsTranslation, OpenAIEmbeddingRequest, OpenAIEmbeddingResponse, UpstreamRequest, UpstreamTarget } from '../types.js';
import { ollamaEndpoint } from './http.js';
import { parseObject } from './response.js';

function embedRequest(req: OpenAIEmbeddingRequest, target: UpstreamTarget): UpstreamRequest {
  const body: Record<string, unknown> = { model: target.upstreamModel, input: textInput(req.input, 'Ollama') };
  setIfGiven(body, 'dimensions', req.dimensions);
  if (typeof req.truncate === 'boolean') body.truncate = req.truncate;
  setIfGiven(body, 'keep_alive', req.keep_alive);
  const endpoint = ollamaEndpoint(target.deployment);
  return { path: endpoint.embedPath, headerBlock: endpoint.headerBlock, body: jsonBody(body) };
}

function embedResponse(body: Buffer, target: UpstreamTarget): OpenAIEmbeddingResponse {
  const answer = parseObject(body.toString('utf8'));
  const vectors = answer?.embeddings;
  if (!Array.isArray(vectors) || !vectors.every(Array.isArray)) {
    throw new GatewayError('upstream_bad_response', 'Ollama answered the embed call without embeddings');
  }
  const tokens = typeof answer?.prompt_eval_count === 'number' ? answer.prompt_eval_count : 0;
  return embeddingList(vectors as number[][], target.upstreamModel, tokens);
}

export const ollamaEmbeddings: EmbeddingsTranslation = { request: embedRequest, response: embedResponse };
